"""``L(theta)`` as a sum over which reports are genuine: a moved noise reweighs its terms.

Where every report of an indicator is alone in its event (the usual case: no ``event:``
shared), each origin's block ``rho prod_i (a_i f_i + (1 - a_i) g_i) + (1 - rho) prod_i g_i``
expands into one term per subset ``T`` of its reports, and the indicator's likelihood into one
per subset ``S`` of all of them::

    L(theta; g) = sum_S  C_S  prod_{i not in S} g_i  prod_{i in S} f_i(theta)

``C_S`` (products of ``rho``, ``a_i``, ``1 - a_i`` and ``1 - rho``) does not depend on ``g``.
So each scenario's marginal is ``sum_S C_S prod_{i not in S} g_i M_S`` with
``M_S = int prod_{i in S} f_i(theta) p(theta | scenario) dtheta`` integrated once on the
quadrature grid: a new noise (a moved scenario prior or a scenario's parameters, under the
default noise that mixes the scenarios' prior predictives) is a new weight per term, ``2^R``
numbers, instead of ``log L`` again at every node and an integral against every scenario's
density.

The figure it buys: on the 300-scenario question of ``benchmarks/wide.py`` (5 reports per
indicator, 1,000-2,000 nodes) the tipping points' 27,000 moved noises took 38.1 s in
``Mixture._with_item_noises`` and take 5.0 s (the categorical indicators' included); the
tipping points as a whole 46 s -> 9 s (in process, one thread, with the prior predictives kept
between calls by :func:`~.future.log_noise_rows`); their flips agree to 2e-13 (relative).
All terms are positive, so the rearranged sum is accurate to rounding (tested against the
node-by-node sum). Used only where it is cheaper: ``2^R`` at most :data:`MAX_TERMS` and at most
half the nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import mixture as mx

#: The most terms (subsets of reports) the expansion is built for.
MAX_TERMS = 1024
#: A log of 0 stood in for by a large negative number in matrix products (``-inf * 0`` is NaN).
_NEG = -1e300


@dataclass(frozen=True)
class NoiseTerms:
    """The expansion of one indicator's ``L`` over its (fast) reports.

    ``absent`` ``(T, R)``: 1 where report ``r`` is not in subset ``t`` (its ``g`` is a factor);
    ``log_c`` ``(T,)``; ``log_l`` ``(T, Q + 2)``: each subset's ``log prod f`` at the nodes and
    the two ends (for the prior's tails); ``reports``: the reports' indexes (``Reports``).
    """

    absent: np.ndarray
    log_c: np.ndarray
    log_l: np.ndarray
    reports: np.ndarray

    def weights(self, log_g: np.ndarray) -> np.ndarray:
        """Each term's log weight ``log C_S + sum_{i not in S} log g_i``, ``(m, T)``.

        ``log_g`` ``(m, R_all)``: every report's ``log g`` per row.
        """
        g = np.maximum(log_g[:, self.reports], _NEG)
        w = self.log_c[None, :] + g @ self.absent.T
        w[w < 0.5 * _NEG] = -np.inf
        return w


def build(rep: mx.Reports, node_logf: np.ndarray, n_nodes: int) -> NoiseTerms | None:
    """The expansion for ``rep`` with ``log f`` at the nodes ``(Q, R)``; ``None`` where unused.

    Unused where reports share events (``components``), or where ``2^R`` exceeds
    :data:`MAX_TERMS` or half the nodes (the node-by-node sum is then as cheap).
    """
    expansion = expand(rep, min(MAX_TERMS, n_nodes // 2))
    if expansion is None:
        return None
    member, log_c = expansion
    order = rep.fast_order
    logf = np.maximum(node_logf[:, order], _NEG)
    log_l = member.astype(float) @ logf.T  # (T, Q)
    log_l[log_l < 0.5 * _NEG] = -np.inf
    log_l = np.concatenate([log_l, log_l[:, :1], log_l[:, -1:]], axis=1)
    return NoiseTerms((~member).astype(float), log_c, log_l, order)


def expand(rep: mx.Reports, most: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Subsets of the (fast) reports ``(T, F)`` and each one's ``log C_S`` ``(T,)``.

    ``None`` where reports share events or there would be more than ``most`` subsets.
    """
    order = rep.fast_order
    n = len(order)
    if len(rep.components) or not n or 2**n > most:
        return None
    member = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1 == 1  # (T, F)
    a = rep.genuine[order]
    with np.errstate(divide="ignore"):
        per = np.where(member, mx.safe_log(a)[None, :], mx.safe_log1m(a)[None, :])
    genuine = np.add.reduceat(per, rep.fast_starts, axis=1)  # (T, O): log(prod a prod (1-a))
    rho = rep.origin_rho[rep.fast_origins]
    none = ~np.logical_or.reduceat(member, rep.fast_starts, axis=1)  # no report of o in S
    with np.errstate(invalid="ignore"):
        block = mx.safe_log(rho)[None, :] + genuine
        block = np.where(none, np.logaddexp(block, mx.safe_log1m(rho)[None, :]), block)
    return member, block.sum(axis=1)
