"""A report far narrower than the quadrature grid's panels: integrated on panels of its own.

The truth mixture's grid (:mod:`.quadrature`) is laid for the reports it was built from. A
report whose ``f(y | u)`` is much narrower than the grid's panels near its value (a precise
measurement, sd far below the level's prior sd; a count over a long window), met as *one more*
report (:meth:`~.likelihood.Mixture.with_outcomes`) or as an item's value swapped for another
(:meth:`~.likelihood.Mixture.with_values`, the surprise check's ``report_tail``), falls
between the grid's nodes. Those rows are integrated anew: the grid's panels within the spike's
reach are left out and replaced by panels split at the spike's own breakpoints
(:data:`_STEPS` of its scale), 10 Gauss-Legendre nodes each.

Both callers hand over the rows to refine as two functions: the log integrand (``log L`` with
the row's report) at the grid's nodes, and at any nodes, one row each.

Also here: a fast report's value swapped on the grid (:func:`swapped`), and its marginals as two
integrals, the genuine part by one matrix product and the false part once (:func:`two_part`).
Measured (one thread, in process, CPU time) on the wide benchmark's 300-scenario question: the
``with_values`` of a measurement over its 20,002 tail values 5.6 s -> 4.5 s; the surprise
check's ``report_tail`` of all 40 items 54 s -> 43 s, the tails equal to 2e-15.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..core.stats import log_matmul_exp, logsumexp
from . import mixture as mx
from .quadrature import FINE_W, FINE_X

if TYPE_CHECKING:
    from .components import Components
    from .data import IndicatorData

#: A row's ``f(y | u)`` is narrow where some panel within :data:`_CORE` of its scale is wider
#: than :data:`_WIDTH` scales; its panels are then split at :data:`_STEPS` of its scale
#: (10-point Gauss-Legendre integrates a Normal over panels of 3 sds to 1e-12 of its mass, of 4
#: sds only to 3e-10).
_WIDTH, _CORE = 3.0, 8.0
# Tried and not kept (issue 15): refining only the rows whose spike meets the integrand's mass,
# by a log-concave bound of the spike part on the wide panels near it. A spike far from every
# report (30 sds) has its integrand's mass where the prior and the spike overlap, on panels
# narrower than 3 of the spike's scales but wider than their product's (the conjugate test at
# ratio 1 then failed by 3e-6); bounded on those panels too, 9,105 of the 300-scenario
# question's 15,176 rows still needed panels, and the bound cost more than it saved (7.0 s
# against 4.5 s of CPU for one ``with_values``).
_STEPS = np.array([0, 1.5, 3, 4.5, 6, 8, 11, 15, 20, 28, 40], dtype=float)
_STEPS = np.concatenate([-_STEPS[:0:-1], _STEPS])
#: Terms (rows x nodes x scenarios, or x reports) of one block of those integrals.
_BLOCK = 4_000_000
#: Where the spikes are wide enough that the grid's panels within their reach split into pieces
#: of at most :data:`_PIECE` of the least scale make at most :data:`_SHARED_PANELS` panels, all
#: rows are integrated on that one grid, by one matrix product (:func:`shared_grid`).
_PIECE, _SHARED_PANELS = 1.5, 4000
#: Rows (in the order of their spikes) integrated together on the shared grid: on the grid's
#: panels within some row's reach only (the shared grid's nodes there), the rest on the grid's
#: own nodes, as each row alone would be. A few hundred rows' panels are few: a precise
#: measurement's tail (20,002 values, sd a hundredth of the level's; ``tail`` in
#: ``tests/model/test_narrow_measurements.py``) took 48 s of CPU (28 s wall, in process) on the
#: whole shared grid for every row, 5 s (3.6 s) so, the tails the same to the digits printed.
#: 256 rows a block: 64 to 1,024 took within 15% of it, 4,096 twice as long. A block whose
#: panels hold as many nodes as the whole shared grid is integrated on all of it, as before (the
#: 300-scenario question of ``benchmarks/wide.py``: its tails the same bits, its time the same).
_BAND = 256

#: ``at(rows, u)``: the log integrand of ``rows`` (indexes into the outcomes) at nodes ``u``:
#: ``(b, n)``, one row of nodes each, or ``(n,)`` shared by all; ``(b, n)``.
At = Callable[[np.ndarray, np.ndarray], np.ndarray]


def panel_edges(u: np.ndarray, log_w: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The ends of a grid's panels (10 nodes each), ``(P + 1,)``."""
    n = len(FINE_X)
    half = np.exp(log_w).reshape(-1, n).sum(axis=1) / 2  # the weights sum to 2 per panel
    mid = (u.reshape(-1, n)[:, 0] + u.reshape(-1, n)[:, -1]) / 2
    return np.concatenate([[lo], (mid - half)[1:], [hi]])


def locate(ind: IndicatorData, outcomes: np.ndarray, exposure: float) -> tuple[np.ndarray, ...]:
    """Where each outcome's ``f(y | u)`` lies in ``u``: centre and scale, ``(m,)`` each.

    Those of the posterior from the catch-all's diffuse prior and the outcome alone.
    """
    kind = ind.kind
    anchor = np.asarray(ind.spec.diffuse(ind.prior), dtype=float)[None, :]
    stats = kind.outcome_stats(ind, outcomes, 1.0, exposure)
    centre, scale = kind.u_location(kind.posterior(anchor, stats.T))
    return np.broadcast_to(centre, outcomes.shape), np.broadcast_to(scale, outcomes.shape)


def narrow_rows(
    edges: np.ndarray, centre: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose spike the grid cannot resolve, and the panels within each one's reach.

    Returns their indexes ``(b,)`` and ``(b, P)``, true for a panel to integrate anew.
    """
    left, right = edges[:-1], edges[1:]
    near = (left < (centre + _CORE * scale)[:, None]) & (right > (centre - _CORE * scale)[:, None])
    narrow = np.max(np.where(near, right - left, 0.0), axis=1) > _WIDTH * scale
    idx = np.flatnonzero(narrow)
    reach = _STEPS[-1] * scale[idx, None]
    inside = (left < centre[idx, None] + reach) & (right > centre[idx, None] - reach)
    return idx, inside


def swapped(
    rep: mx.Reports, parts: tuple, log_l: np.ndarray, p: int, log_l_new, log_g_new
) -> np.ndarray:
    """``log L`` at the nodes with fast report ``p``'s term replaced (``None``: removed).

    ``parts``: at the nodes, each fast report's term (or a function of its position
    returning it), the origins' sums and blocks (``Mixture._blocks``); ``log_l`` ``(Q,)``:
    ``log L``; ``log_l_new`` ``(m, Q)`` and ``log_g_new`` ``(m,)``: the report's new terms.
    ``(m, Q)``; NaN where the caller must refit.
    """
    genuine, s1, s0, block = parts
    o = int(np.searchsorted(rep.fast_starts, p, side="right") - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the origin's sums without report p, then with its new terms (if any)
        column = genuine(p) if callable(genuine) else genuine[:, p]
        s1_new = (s1[:, o] - column)[None, :]
        s0_new = np.atleast_1d(s0[o] - rep.log_noise[rep.fast_order[p]])
        if log_l_new is not None:
            s1_new = s1_new + log_l_new
            s0_new = s0_new + np.asarray(log_g_new)
        rho = rep.origin_rho[rep.fast_origins[o]]
        new_block = np.logaddexp(
            mx.safe_log(rho) + s1_new, mx.safe_log1m(rho) + np.asarray(s0_new)[:, None]
        )
        return log_l[None, :] - block[None, :, o] + new_block


def swap_parts(
    rep: mx.Reports, parts: tuple, log_l: np.ndarray, p: int, a: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """``log L`` with fast report ``p``'s value swapped is ``log(W1 f(y) + W0 g(y))``.

    The origin's block is ``rho A (a f + (1 - a) g) + (1 - rho) B g`` (``A``, ``B``: its
    other reports' genuine and false terms), the rest unchanged: ``log W1``, ``log W0`` at the
    nodes ``(Q,)`` each, or ``None`` where not finite (the caller refits). ``a``: the report's
    genuineness; ``parts``, ``log_l``: as :func:`swapped`.
    """
    genuine, s1, s0, block = parts
    o = int(np.searchsorted(rep.fast_starts, p, side="right") - 1)
    rho = rep.origin_rho[rep.fast_origins[o]]
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = log_l - block[:, o]
        mates = mx.safe_log(rho) + s1[:, o] - genuine[:, p]
        false = mx.safe_log1m(rho) + s0[o] - rep.log_noise[rep.fast_order[p]]
        w1 = rest + mates + mx.safe_log(a)
        w0 = rest + np.logaddexp(mates + mx.safe_log1m(a), false)
    if not all(np.all(np.isfinite(w) | np.isneginf(w)) for w in (w1, w0)):
        return None
    return w1, w0


def two_part(
    logf: np.ndarray, log_g: np.ndarray, w1: np.ndarray, w0: np.ndarray, dens: np.ndarray
) -> np.ndarray:
    """``log int prior(u) (W1(u) f(y | u) + W0(u) g(y)) du`` for each row, ``(m, K)``.

    A fast report's value swapped (:meth:`~.likelihood.Mixture.with_values`): ``logf`` ``(m,
    Q + 2)`` each value's ``log f`` at the nodes and ends, ``log_g`` ``(m,)``; ``w1``, ``w0``
    ``(Q + 2,)``; ``dens`` ``(K, Q + 2)`` log weight and prior density (and the tails). Two
    integrals: the genuine part by one matrix product, the false part once (``g(y)`` a constant
    factor), instead of ``log L`` of every row at the nodes. A sum of the genuine part lost to
    underflow is summed again term by term only where it could reach ``1e-22`` of the false
    part. Measured on a loaded 2-core VM, 20,002 values at 300 scenarios and 1,232 nodes: see
    :mod:`.spikes`.
    """
    smooth = logsumexp(dens + w0[None, :], axis=1)  # (K,)
    with np.errstate(invalid="ignore"):
        floor = log_g[:, None] + smooth[None, :]
    spike = _log_sums(logf, dens + w1[None, :], floor - _FALSE_PART)
    with np.errstate(invalid="ignore"):
        return np.logaddexp(spike, floor)


#: Below this many nats of the false part, the genuine part is not summed again (``e^-50``).
_FALSE_PART = 50.0
#: Below this, a sum by the matrix product may have lost digits to underflow.
_UNDERFLOW = 1e-250


def _product(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sum_g exp(a[i, g] + b[j, g])`` by one matrix product, each row shifted by its top.

    Returns the shifted sums and the shifts ``(I, J)`` (as
    :func:`~forecasting.core.stats.log_matmul_exp`).
    """
    ma = np.max(a, axis=1, keepdims=True)
    mb = np.max(b, axis=1, keepdims=True)
    ma = np.where(np.isfinite(ma), ma, 0.0)
    mb = np.where(np.isfinite(mb), mb, 0.0)
    return np.exp(a - ma) @ np.exp(b - mb).T, ma + mb.T


def _log_sums(a: np.ndarray, b: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """``log sum_g exp(a[i, g] + b[j, g])`` ``(I, J)``, as ``log_matmul_exp``.

    Except that a sum lost to underflow is summed again only where it could reach ``floor``.
    """
    total, shift = _product(a, b)
    with np.errstate(divide="ignore"):
        out = np.log(total) + shift
        reach = np.log(total + a.shape[1] * _UNDERFLOW) + shift
    low = np.argwhere((total < _UNDERFLOW) & ~(reach < floor))
    step = max(1, 4_000_000 // max(1, a.shape[1]))
    for start in range(0, len(low), step):
        i, j = low[start : start + step, 0], low[start : start + step, 1]
        out[i, j] = logsumexp(a[i] + b[j], axis=1)
    return out


def spike_integral(
    ind: IndicatorData,
    edges: np.ndarray,
    centre: np.ndarray,
    scale: np.ndarray,
    inside: np.ndarray,
    at: At,
) -> np.ndarray:
    """``log int prior(u) exp(at(u)) du`` over the panels ``inside`` each spike's reach.

    Those panels split at the spike's breakpoints (:data:`_STEPS` of its scale), 10
    Gauss-Legendre nodes each; ``at`` gives the log integrand (rows as indexes into these).
    ``(b, K)``.
    """
    kind, prior = ind.kind, ind.prior
    # each row's breakpoints: the ends of its panels inside, and the spike's within them
    ends = np.concatenate([inside, np.zeros((len(inside), 1), bool)], axis=1)
    ends[:, 1:] |= inside
    a = np.min(np.where(ends, edges, np.inf), axis=1)
    b = np.max(np.where(ends, edges, -np.inf), axis=1)
    own = np.clip(centre[:, None] + scale[:, None] * _STEPS, a[:, None], b[:, None])
    breaks = np.sort(np.concatenate([np.where(ends, edges, b[:, None]), own], axis=1), axis=1)
    breaks = breaks[:, : int(ends.sum(axis=1).max()) + len(_STEPS)]
    half = (breaks[:, 1:] - breaks[:, :-1]) / 2
    mid = (breaks[:, 1:] + breaks[:, :-1]) / 2
    nodes = (mid[:, :, None] + half[:, :, None] * FINE_X).reshape(len(breaks), -1)
    with np.errstate(divide="ignore"):
        log_w = np.log(half[:, :, None] * FINE_W).reshape(len(breaks), -1)
    out = np.empty((len(breaks), len(prior)))
    reports = max(1, len(ind.values))
    step = max(1, _BLOCK // (nodes.shape[1] * max(len(prior), reports)))
    for s in range(0, len(breaks), step):
        rows = np.arange(s, min(s + step, len(breaks)))
        u = nodes[rows]
        terms = (log_w[rows] + at(rows, u))[None]
        terms = terms + kind.log_prior_u(u.reshape(-1), prior).reshape(len(prior), *u.shape)
        out[rows] = logsumexp(terms, axis=2).T
    return out


def refine(
    base: Callable[[np.ndarray], np.ndarray],
    m: int,
    ind: IndicatorData,
    grid: tuple,
    centre: np.ndarray,
    scale: np.ndarray,
    on_grid: Callable[[np.ndarray], np.ndarray],
    at: At,
    density: np.ndarray,
) -> np.ndarray:
    """Log marginals ``(m, K)``: ``base(rows)`` on the grid, the rows of narrow spikes anew.

    ``on_grid(idx)``: those rows' log integrand at the grid's nodes ``(b, Q)``; ``at``: at any
    nodes, rows as indexes into all ``m``; ``density``: the log quadrature weights and prior
    densities at the grid's nodes and its two ends (the prior's tails), ``(K, Q + 2)``.
    """
    u, log_w, _, lo, hi = grid
    edges = panel_edges(u, log_w, lo, hi)
    idx, inside = narrow_rows(edges, centre, scale)
    if not len(idx):
        return base(np.arange(m))
    out = np.empty((m, len(ind.prior)))
    rest = np.setdiff1d(np.arange(m), idx)
    if len(rest):
        out[rest] = base(rest)
    shared = shared_grid(edges, centre[idx], scale[idx])
    if shared is not None:
        nodes, weights, pieces = shared
        dens = weights[None, :] + ind.kind.log_prior_u(nodes, ind.prior)  # (K, N)
        whole = np.concatenate([dens, ind.kind.log_prior_tails(ind.prior, lo, hi)], axis=1)
        per_node = np.repeat(np.arange(len(pieces)), pieces * len(FINE_X))  # each node's panel
        # rows in the order of their spikes, so that a block's panels are few (:data:`_BAND`);
        # the marginals are matrix products (no terms of rows x nodes x scenarios)
        order = np.argsort(centre[idx], kind="stable")
        idx, inside = idx[order], inside[order]
        terms = len(ind.values) + 2
        rest = []  # the rows of blocks whose panels hold as many nodes as the whole grid
        for s in range(0, len(idx), _BAND):
            block, here = idx[s : s + _BAND], inside[s : s + _BAND]
            band = np.any(here, axis=0)  # (P,): the panels within some row's reach
            mine = band[per_node]
            if int(mine.sum()) + len(u) >= len(nodes):
                rest.append(block)
                continue
            step = max(1, _BLOCK // ((int(mine.sum()) + len(u)) * terms))
            for t in range(0, len(block), step):
                rows = block[t : t + step]
                cut = _cut(on_grid(rows), band[None, :])
                fine = np.broadcast_to(at(rows, nodes[mine]), (len(rows), int(mine.sum())))
                out[rows] = _with_rest(cut, density, log_matmul_exp(fine, dens[:, mine]))
        rest = np.concatenate(rest) if rest else np.zeros(0, int)
        step = max(1, _BLOCK // (len(nodes) * terms))
        for t in range(0, len(rest), step):
            rows = rest[t : t + step]
            log_l = np.broadcast_to(at(rows, nodes), (len(rows), len(nodes)))
            log_l = np.concatenate([log_l, log_l[:, :1], log_l[:, -1:]], axis=1)
            out[rows] = log_matmul_exp(log_l, whole)
        return out
    step = max(1, _BLOCK // (len(u) * max(len(ind.prior), len(ind.values) + 1)))
    for s in range(0, len(idx), step):
        rows, here = idx[s : s + step], inside[s : s + step]
        cut = _cut(on_grid(rows), here)
        spike = spike_integral(
            ind,
            edges,
            centre[rows],
            scale[rows],
            here,
            lambda r, nodes, rows=rows: at(rows[r], nodes),
        )
        out[rows] = _with_rest(cut, density, spike)
    return out


def _cut(log_l: np.ndarray, panels: np.ndarray) -> np.ndarray:
    """The log integrand at the grid's nodes and its two ends, ``-inf`` on ``panels``.

    ``log_l`` ``(b, Q)``; ``panels`` ``(b, P)`` or ``(1, P)``: those the spike's part covers.
    """
    cut = np.concatenate([log_l, log_l[:, :1], log_l[:, -1:]], axis=1)
    drop = np.broadcast_to(np.repeat(panels, len(FINE_X), axis=1), log_l.shape)
    cut[:, : log_l.shape[1]][drop] = -np.inf
    return cut


def _with_rest(cut: np.ndarray, density: np.ndarray, spike: np.ndarray) -> np.ndarray:
    """The spike's part ``(b, K)`` plus the integral of the rest of the grid.

    ``cut``: the log integrand there, ``-inf`` on the panels the spike's part covered. Summed
    again term by term after an underflow only where it could reach ``e^-50`` of the spike's
    part (the tails of a 300-scenario question's measurement took 130 s of CPU an item summing
    them all, 5 s so).
    """
    with np.errstate(invalid="ignore"):
        rest = _log_sums(cut, density, spike - _FALSE_PART)
        return np.logaddexp(rest, spike)


def shared_grid(
    edges: np.ndarray, centre: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One grid for all the spikes: nodes, log weights, pieces of each panel; or ``None``.

    ``None`` if too many panels; the pieces ``(P,)``: how many each of the grid's panels is cut in.

    Each panel of the grid within a spike's reach split into equal pieces of at most
    :data:`_PIECE` of the least such spike's scale (10 Gauss-Legendre nodes integrate a Normal
    over 3 sds to 1e-12 of its mass). Measured on a loaded 2-core VM, a 300-scenario question's
    ``with_values`` of a measurement over its 20,002 tail values (15,000 of them flagged, far out
    in the tails): over 600 s on each row's own panels (stopped), 15 s on one shared grid.
    """
    left, right = edges[:-1], edges[1:]
    least = np.full(len(left), np.inf)
    reach = _STEPS[-1] * scale
    step = max(1, _BLOCK // len(left))
    for s in range(0, len(centre), step):
        c, r, sc = centre[s : s + step, None], reach[s : s + step, None], scale[s : s + step, None]
        meets = (left < c + r) & (right > c - r)
        least = np.minimum(least, np.min(np.where(meets, sc, np.inf), axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pieces = np.where(np.isfinite(least), np.ceil((right - left) / (_PIECE * least)), 1.0)
    if not np.all(np.isfinite(pieces)) or np.sum(pieces) > _SHARED_PANELS:
        return None
    pieces = np.maximum(pieces.astype(int), 1)
    starts = np.repeat(left, pieces)
    within = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    width = np.repeat((right - left) / pieces, pieces)
    a = starts + within * width
    half, mid = width / 2, a + width / 2
    nodes = (mid[:, None] + half[:, None] * FINE_X).reshape(-1)
    with np.errstate(divide="ignore"):
        log_w = np.log(half[:, None] * FINE_W).reshape(-1)
    return nodes, log_w, pieces


def outcome_logf(ind: IndicatorData, outcomes: np.ndarray, exposure: float, u: np.ndarray):
    """``log f(y_j | u)`` of each outcome at its own row of nodes ``u`` ``(b, n)``: ``(b, n)``.

    (Nodes ``(n,)`` are shared by all rows.)
    """
    u = np.broadcast_to(u, (len(outcomes), u.shape[-1]))
    # the values as (b, 1, 1) broadcast against the parameter (b, n) as ``item_loglik`` takes it
    view = replace(
        ind,
        item_ids=("outcome",),
        values=np.asarray(outcomes, dtype=float)[:, None, None],
        weights=np.ones(1),
        exposures=np.full(1, exposure),
    )
    return ind.kind.item_loglik(ind.kind.theta_from_u(u), view)[..., 0]


def swapped_log_l(
    rep: mx.Reports,
    comps: Components | None,
    logf: np.ndarray,
    r: int,
    logf_new: np.ndarray,
    value: np.ndarray,
    log_g: np.ndarray,
) -> np.ndarray:
    """``log L`` with report ``r``'s value replaced, one value per row: ``(b, n)``.

    ``logf``: every report's ``log f`` at nodes shared by the rows ``(n, R)``, or at each
    row's own ``(b, n, R)``; ``logf_new`` ``(b, n)``: that of the row's new value; ``value``,
    ``log_g`` ``(b,)``: the value and its ``log g``; ``comps``: the indicator's components
    (``None`` where it has none). (The arithmetic of :func:`.mixture.log_likelihood`, the
    report's terms changed; the other origins' blocks computed once where the nodes are shared.)
    """
    b, n = logf_new.shape
    total = np.zeros((b, n))
    if len(rep.fast_order):
        genuine, g = mx.fast_parts(rep, logf)
        block = mx.blocks(
            rep,
            np.add.reduceat(genuine, rep.fast_starts, axis=-1),
            np.add.reduceat(g, rep.fast_starts),
        )
        where = np.flatnonzero(rep.fast_order == r)
        if not len(where):
            total = total + block.sum(axis=-1)
        else:
            p, a = int(where[0]), rep.genuine[r]
            o = int(np.searchsorted(rep.fast_starts, p, side="right") - 1)
            ends = [*rep.fast_starts[1:], len(rep.fast_order)]
            mates = np.setdiff1d(np.arange(rep.fast_starts[o], ends[o]), [p])
            with np.errstate(invalid="ignore"):
                term = np.logaddexp(mx.safe_log(a) + logf_new, mx.safe_log1m(a) + log_g[:, None])
                s1 = np.sum(genuine[..., mates], axis=-1) + term
                s0 = np.sum(g[mates]) + log_g
                rho = rep.origin_rho[rep.fast_origins[o]]
                mine = np.logaddexp(mx.safe_log(rho) + s1, mx.safe_log1m(rho) + s0[:, None])
            total = total + np.sum(np.delete(block, o, axis=-1), axis=-1) + mine
    for c in range(len(rep.components)):
        place = comps.place(c, r)  # type: ignore[union-attr]
        every = logf if logf.ndim == 3 else logf[None]
        if place is None:
            total = total + comps.at(c, every, None)  # type: ignore[union-attr]
            continue
        every = np.broadcast_to(every, (b, *every.shape[1:]))
        changes = {"logf": logf_new, "v": value, "g": log_g}
        total = total + comps.at(c, every, place, **changes)  # type: ignore[union-attr]
    return total
