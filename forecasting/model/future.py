"""Future reports: what the next stretch of evidence could hold, and how it would weigh.

The responsiveness measure (:mod:`forecasting.confidence.responsiveness`) simulates the
evidence of the coming weeks from the model and weighs it with these pieces. A future report
comes from a new origin of its own and is genuine with probability ``r``: a genuine report's
value is drawn from ``f(y | theta)``, a false one's from the indicator's noise distribution
``g`` (the truth-mixture model's, :mod:`.mixture`). Its likelihood is
``r f(y | theta) + (1 - r) g(y)`` under either reliability model: the tempered model has no
predictive distribution for an unreliable report (``f^w`` does not integrate to 1), so its
future reports are weighed as the truth mixture weighs them, on top of its posterior.

Each scenario's posterior of an indicator's parameter is held as weighted *atoms*
(``atoms(rng, size)`` of the indicator's model): the same atoms draw the future and weigh it,
so the forecast after a simulated future is an exact Bayesian update of the forecast now under
those atoms, and its mean over futures is the forecast now (a martingale).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..core.stats import log_add_rows, log_matmul_exp, logsumexp

if TYPE_CHECKING:
    from .data import IndicatorData


def noise_mixture(
    ind: IndicatorData, noise: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parameters ``(S, P)`` and weights ``(S,)`` of the noise distribution's components.

    The indicator's ``noise:`` if stated (one component); otherwise the scenarios' priors,
    weighted by the scenarios' prior probabilities.
    """
    stated = noise if noise is not None else ind.noise
    stated = stated if stated is not None else ind.spec.noise_params()
    if stated is None:
        return ind.prior, np.asarray(ind.scenario_prior, dtype=float)
    return stated, np.ones(1)


def log_noise(
    ind: IndicatorData, values: np.ndarray, exposures: np.ndarray, noise: np.ndarray | None = None
) -> np.ndarray:
    """``log g(y)`` of each value: the noise distribution's predictive density."""
    kind = ind.kind
    values = np.asarray(values, dtype=float)
    exposures = np.asarray(exposures, dtype=float)
    params, weights = noise_mixture(ind, noise)
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    out = np.empty(len(values))
    for t in np.unique(exposures):
        at = exposures == t
        log_pred = kind.log_predictive(ind, params, values[at], float(t))
        out[at] = logsumexp(log_pred + log_w[None, :], axis=1)
    return out


def log_noise_rows(
    ind: IndicatorData,
    values: np.ndarray,
    exposures: np.ndarray,
    *,
    scenario: int | np.ndarray | None = None,
    params: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    cache: dict | None = None,
) -> np.ndarray:
    """``log g`` of each value ``(m, n)`` with the default noise moved, one row per setting.

    The default noise mixes the scenarios' prior predictives by the scenarios' prior
    probabilities, so it moves when either does: ``scenario``'s parameters (each row's own
    scenario's, for an array ``(m,)``) set to each row of ``params`` ``(m, P)``, or the
    scenarios' probabilities to each row of ``weights`` ``(m, K)``. (A refit of the edited
    question recomputes it the same way.) Each distinct value is computed once (equal values
    get equal numbers); ``cache``, a dict kept by the caller for the same ``ind``, ``values``
    and ``exposures``, holds the scenarios' prior predictives between calls.
    """
    kind = ind.kind
    values = np.asarray(values, dtype=float)
    exposures = np.asarray(exposures, dtype=float)
    cache = {} if cache is None else cache
    with np.errstate(divide="ignore"):
        log_w = np.log(np.asarray(ind.scenario_prior, dtype=float))
        log_rows = None if weights is None else np.log(np.asarray(weights, dtype=float))
    m = len(params) if params is not None else len(log_rows)
    out = np.empty((m, len(values)))
    for t in np.unique(exposures):
        at = exposures == t
        if float(t) not in cache:
            uniq, inv = np.unique(values[at], return_inverse=True)
            pred = kind.log_predictive(ind, ind.prior, uniq, float(t))  # (U, K)
            cache[float(t)] = uniq, inv, pred, {}
        uniq, inv, pred, others = cache[float(t)]
        if log_rows is not None:
            out[:, at] = log_matmul_exp(log_rows, pred)[:, inv]
            continue
        ks = np.broadcast_to(np.asarray(scenario, dtype=int), (m,))
        distinct, row = np.unique(ks, return_inverse=True)
        for k in distinct:
            if int(k) not in others:  # the other scenarios' mixture, k's term left out
                others[int(k)] = logsumexp(np.delete(pred + log_w[None, :], k, axis=1), axis=1)
        rest = np.stack([others[int(k)] for k in distinct])[row]  # (m, U)
        moved = kind.log_predictive(ind, params, uniq, float(t))  # (U, m)
        out[:, at] = np.logaddexp(rest, log_w[ks][:, None] + moved.T)[:, inv]
    return out


def draw_noise(ind: IndicatorData, n: int, exposure: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` values of false reports (draws from the noise distribution)."""
    params, weights = noise_mixture(ind)
    rows = rng.choice(len(params), size=n, p=weights / weights.sum())
    theta = None
    for r in np.unique(rows):  # each component's parameters for its own draws only
        at = rows == r
        part = ind.kind.draw(params[r : r + 1], rng, int(at.sum()))[:, 0]
        if theta is None:
            theta = np.empty((n, *part.shape[1:]))
        theta[at] = part
    return ind.kind.simulate(ind, theta, exposure, rng)


def draw_reports(
    ind: IndicatorData,
    theta: np.ndarray,
    exposure: float,
    reliability: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """One report per parameter value ``theta`` ``(n[, C])``: genuine with ``reliability``."""
    n = len(theta)
    genuine = ind.kind.simulate(ind, theta, exposure, rng)
    if reliability >= 1.0:
        return genuine
    false = draw_noise(ind, n, exposure, rng)
    return np.where(rng.random(n) < reliability, genuine, false)


def report_log_lik(
    ind: IndicatorData,
    values: np.ndarray,
    exposure: float,
    reliability: float,
    theta: np.ndarray,
) -> np.ndarray:
    """``log(r f(y | theta) + (1 - r) g(y))`` of each value at atoms ``theta`` ``(K, G[, C])``.

    Shape ``(U, K, G)`` for ``U`` values.
    """
    values = np.asarray(values, dtype=float)
    view = replace(
        ind,
        item_ids=tuple(str(u) for u in range(len(values))),
        values=values,
        weights=np.ones(len(values)),
        exposures=np.full(len(values), float(exposure)),
    )
    logf = ind.kind.item_loglik(np.moveaxis(theta, 0, 1), view)  # (G, K, U)
    logf = np.moveaxis(logf, -1, 0).transpose(0, 2, 1)  # (U, K, G)
    if reliability >= 1.0:
        return logf
    log_g = log_noise(ind, values, np.full(len(values), float(exposure)))
    with np.errstate(divide="ignore"):
        return log_add_rows(
            np.log(reliability) + logf, np.log1p(-reliability) + log_g[:, None, None]
        )


#: Nodes of a shared grid, about, over all scenarios (at least 16 per scenario, evenly spaced
#: over -9..9 scales of each: for bell-shaped posteriors the rule's error is far below 1e-10).
GRID_NODES = 256


def shared_grid(
    ind: IndicatorData, params: np.ndarray, size: int = GRID_NODES
) -> tuple[np.ndarray, np.ndarray]:
    """Atoms shared by every scenario for a scalar parameter: ``(K, Q)`` values and log weights.

    Nodes at -9..9 scales around each row of ``params`` (in the kind's coordinate ``u``),
    merged; each scenario weighs them by its density times the node's cell width. Shared nodes
    let a report's likelihood be computed once for every scenario.
    """
    kind = ind.kind
    centre, scale = kind.u_location(params)
    per = max(16, size // len(params))
    z = np.linspace(-9.0, 9.0, per)
    u = np.unique(np.clip((centre[:, None] + scale[:, None] * z[None, :]).ravel(), *kind.u_bounds))
    edges = np.concatenate([[u[0]], (u[1:] + u[:-1]) / 2, [u[-1]]])
    with np.errstate(divide="ignore"):
        logp = kind.log_prior_u(u, params) + np.log(np.diff(edges))[None, :]
    logp = logp - logsumexp(logp, axis=1)[:, None]
    return np.broadcast_to(kind.theta_from_u(u), logp.shape), logp
