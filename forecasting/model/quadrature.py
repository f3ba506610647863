"""The quadrature grid of the truth-mixture model's integral over a scalar parameter.

Panels of Gauss-Legendre nodes in the kind's coordinate ``u`` (``log rate``, ``logit p``, the
level), laid where the integrand's mass can be and split until a coarser rule agrees.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..core.stats import logsumexp

if TYPE_CHECKING:
    from .likelihood import Mixture

#: Gauss-Legendre points per panel, and the coarser rule each panel is checked against.
_FINE, _COARSE = 10, 5
#: A panel is split while the two rules differ by more than this share of any scenario's total.
_TOLERANCE = 1e-13
#: Panels of the first grid around each centre, in units of the distribution's scale.
_STEPS = np.array([-10, -6, -3, -1.5, 0, 1.5, 3, 6, 10], dtype=float)
#: Rounds of panel splitting at most.
_MAX_SPLITS = 40
#: Half-width of the grid, in scales of the widest distribution.
REACH = 40.0
#: The two rules' nodes and weights on [-1, 1], computed once (each call of ``leggauss`` solves
#: an eigenproblem: 6% of the confidence calibration test's time when it was called per grid).
FINE_X, FINE_W = np.polynomial.legendre.leggauss(_FINE)
COARSE_X, COARSE_W = np.polynomial.legendre.leggauss(_COARSE)


def adaptive_grid(model: Mixture) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Panels of Gauss-Legendre nodes, split until a coarser rule agrees to ``_TOLERANCE``.

    The first panels are laid around each scenario's prior and its posterior were every report
    genuine (where the integrand's mass can be), a unit of each distribution's scale wide near
    its centre; a panel is split wherever the 10-point and the 5-point rule differ by more than
    ``_TOLERANCE`` of a scenario's integral.
    """
    ind, kind = model.ind, model.kind
    prior = ind.prior
    c0, s0 = kind.u_location(prior)
    all_genuine = kind.stats(replace(ind, weights=np.ones(len(ind.values))))
    c1, s1 = kind.u_location(kind.posterior(prior, all_genuine))
    centres, scales = np.concatenate([c0, c1]), np.concatenate([s0, s1])
    ok = np.isfinite(centres) & np.isfinite(scales) & (scales > 0)
    centres, scales = centres[ok], scales[ok]
    lo = float(np.min(centres - REACH * scales))
    hi = float(np.max(centres + REACH * scales))
    lo, hi = max(lo, kind.u_bounds[0]), min(hi, kind.u_bounds[1])
    span = (hi - lo) / 16
    points = [np.linspace(lo, hi, 17)]
    owners = [np.full(17, span)]
    for c, s in zip(centres, scales, strict=True):
        points.append(c + s * _STEPS)
        owners.append(np.full(len(_STEPS), s))
    pts, own = np.concatenate(points), np.concatenate(owners)
    inside = (pts >= lo) & (pts <= hi)
    order = np.argsort(pts[inside], kind="stable")
    pts, own = pts[inside][order], own[inside][order]
    # a breakpoint closer to the last one kept than a third of either's scale adds nothing (the
    # centres of many scenarios' posteriors often coincide), nor one of no width
    kept_p, kept_s = [lo], [span]
    for x, sc in zip(pts, own, strict=True):
        if x - kept_p[-1] >= max(min(sc, kept_s[-1]) / 3, 1e-9 * (hi - lo)):
            kept_p.append(float(x))
            kept_s.append(float(sc))
        elif sc < kept_s[-1]:
            kept_s[-1] = float(sc)
    if hi - kept_p[-1] > 1e-9 * (hi - lo):
        kept_p.append(hi)
    else:
        kept_p[-1] = hi
    breaks = np.array(kept_p)
    fine_x, fine_w, coarse_x, coarse_w = FINE_X, FINE_W, COARSE_X, COARSE_W
    rep = model.reports()
    k = len(prior)
    # accepted panels, a batch per round: (a, u, log w, log L); the scenarios' totals over them
    done: list[tuple] = []
    done_total = np.full(k, -np.inf)
    a, b = breaks[:-1], breaks[1:]
    for attempt in range(_MAX_SPLITS + 1):
        n = len(a)
        if not n:
            break
        half, mid = (b - a) / 2, (a + b) / 2
        u_f = mid[:, None] + half[:, None] * fine_x[None, :]
        u_c = mid[:, None] + half[:, None] * coarse_x[None, :]
        both = np.concatenate([u_f, u_c], axis=1).reshape(-1)
        log_l = model.log_l_at(rep, both).reshape(n, _FINE + _COARSE)
        lw_f = np.log(half[:, None] * fine_w[None, :])
        lw_c = np.log(half[:, None] * coarse_w[None, :])
        # each panel's integral by both rules, per scenario: (K, n)
        fine = logsumexp(
            kind.log_prior_u(u_f.reshape(-1), prior).reshape(k, n, _FINE)
            + (lw_f + log_l[:, :_FINE])[None],
            axis=2,
        )
        coarse = logsumexp(
            kind.log_prior_u(u_c.reshape(-1), prior).reshape(k, n, _COARSE)
            + (lw_c + log_l[:, _FINE:])[None],
            axis=2,
        )
        # judge every panel against the scenarios' totals so far
        total = np.logaddexp(done_total, logsumexp(fine, axis=1))  # (K,)
        with np.errstate(invalid="ignore"):
            err = np.abs(np.exp(fine - total[:, None]) - np.exp(coarse - total[:, None]))
        err = np.max(np.nan_to_num(err, nan=0.0), axis=0)  # (n,)
        split = (attempt < _MAX_SPLITS) & (err > _TOLERANCE) & (b - a > 1e-9 * (hi - lo))
        keep = ~split
        if keep.any():
            done.append((a[keep], u_f[keep], lw_f[keep], log_l[keep, :_FINE]))
            done_total = np.logaddexp(done_total, logsumexp(fine[:, keep], axis=1))
        m = mid[split]
        a = np.stack([a[split], m], axis=1).reshape(-1)  # each split panel's two halves
        b = np.stack([m, b[split]], axis=1).reshape(-1)
    order = np.argsort(np.concatenate([d[0] for d in done]), kind="stable")
    u = np.concatenate([d[1] for d in done])[order].reshape(-1)
    log_w = np.concatenate([d[2] for d in done])[order].reshape(-1)
    log_l = np.concatenate([d[3] for d in done])[order].reshape(-1)
    return u, log_w, log_l, lo, hi
