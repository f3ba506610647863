"""Log marginals of many subsets of one indicator's reports at once (the dynamics' paths).

Complexity bought for speed: a question with dynamics integrates each scenario's parameter over
every share of the reports that some regime path gives it: thousands of subsets. Refitting
each (the truth mixture's adaptive quadrature, 1-3 ms each) made 18 weekly periods of one
count indicator take over 10 minutes; evaluating all subsets on one grid as matrix products
takes about a second (``tests/model/test_dynamics.py`` measures both answers against each
other and against a brute-force forward filter).

* Tempered model: each subset's statistics are a product of the subset masks with the items'
  statistics; the conjugate marginals are closed form.
* Truth mixture, scalar parameter, no events linking origins: ``log L`` at the nodes of one
  composite Gauss-Legendre grid (panels no wider than the narrowest scale among the
  scenarios' priors and the all-genuine posterior, over 14 scales around them), summed per
  origin by matrix products. Every integral is also taken by the 5-point rule on the same
  panels; a subset whose two rules differ by more than :data:`TOLERANCE` (relative), or
  anything else (categories, linked origins), is refitted exactly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..core.stats import log_matmul_exp
from . import mixture as mx
from .quadrature import COARSE_W, COARSE_X, FINE_W, FINE_X

if TYPE_CHECKING:
    from .data import IndicatorData

#: Largest relative difference of the two rules accepted without a refit.
TOLERANCE = 1e-9
#: The most panels of the shared grid.
MAX_PANELS = 3_000
#: Half-width of the shared grid, in scales of the widest distribution (beyond it the
#: integrand is taken as the prior's tail mass times ``L`` at the grid's end, as the adaptive
#: grid does with its wider reach; the two rules do not see this truncation, the tests do).
SUBSET_REACH = 14.0


class SubsetMarginals:
    """``log p(subset of an indicator's items | scenario)`` for many subsets, ``(n, K)``."""

    def __init__(self, ind: IndicatorData):
        self.ind = ind
        self.n_items = len(ind.values)
        self._grid = None
        if ind.reliability_model != "mixture":
            self.mode = "tempered"
            model = ind.model
            self.item_stats = model.item_stats
            self.item_constant = np.array(
                [
                    ind.kind.constant(ind.with_items(np.arange(self.n_items) == i))
                    for i in range(self.n_items)
                ]
            )
        elif ind.kind.integration == "quadrature" and not ind.model.reports().components:
            self.mode = "grid"
        else:
            self.mode = "refit"

    def __call__(self, masks: np.ndarray, rho: np.ndarray | None = None) -> np.ndarray:
        """Log marginals ``(n, K)`` of the items where ``masks`` ``(n, items)`` is true.

        ``rho`` ``(n, items)``: each item's origin reliability per subset (default: its own).
        """
        masks = np.asarray(masks, dtype=bool)
        if self.mode == "tempered":
            stats = masks.astype(float) @ self.item_stats
            out = self.ind.kind.log_marginal(self.ind.prior, stats)
            return out + (masks.astype(float) @ self.item_constant)[:, None]
        if self.mode == "grid":
            out, bad = self._on_grid(masks, rho)
            for i in np.flatnonzero(bad):
                out[i] = self.refit(masks[i], None if rho is None else rho[i])
            return out
        return np.array([self.refit(m, None if rho is None else r) for m, r in _rows(masks, rho)])

    def refit(self, mask: np.ndarray, rho: np.ndarray | None) -> np.ndarray:
        """One subset's log marginals by the model's own integral."""
        if not mask.any():
            return np.zeros(len(self.ind.prior))
        sub = self.ind
        if rho is not None:
            sub = replace(sub, origin_weights=np.asarray(rho, dtype=float))
        return sub.with_items(mask).log_marginal()

    # --- the shared grid ---------------------------------------------------------------------
    def _build(self):
        ind, kind = self.ind, self.ind.kind
        rep = ind.model.reports()
        prior = ind.prior
        c0, s0 = kind.u_location(prior)
        genuine = kind.stats(replace(ind, weights=np.ones(self.n_items)))
        c1, s1 = kind.u_location(kind.posterior(prior, genuine))
        centres, scales = np.concatenate([c0, c1]), np.concatenate([s0, s1])
        ok = np.isfinite(centres) & np.isfinite(scales) & (scales > 0)
        centres, scales = centres[ok], scales[ok]
        lo = max(float(np.min(centres - SUBSET_REACH * scales)), kind.u_bounds[0])
        hi = min(float(np.max(centres + SUBSET_REACH * scales)), kind.u_bounds[1])
        n = int(min(MAX_PANELS, max(16, np.ceil((hi - lo) / np.min(scales)))))
        edges = np.linspace(lo, hi, n + 1)
        half, mid = np.diff(edges) / 2, (edges[1:] + edges[:-1]) / 2
        rules = []
        for x, w in ((FINE_X, FINE_W), (COARSE_X, COARSE_W)):
            u = (mid[:, None] + half[:, None] * x[None, :]).reshape(-1)
            log_w = np.log((half[:, None] * w[None, :]).reshape(-1))
            dens = log_w[None, :] + kind.log_prior_u(u, prior)  # (K, Q)
            theta = kind.theta_from_u(u)[:, None]
            logf = ind.model.report_logf(theta)[:, 0, :]  # (Q, R)
            a, g = rep.genuine, rep.log_noise
            with np.errstate(divide="ignore", invalid="ignore"):
                term = np.logaddexp(mx.safe_log(a) + logf, mx.safe_log1m(a) + g)
            term = np.maximum(np.nan_to_num(term, nan=-1e30, neginf=-1e30), -1e30)
            rules.append((dens, term))
        tails = kind.log_prior_tails(prior, lo, hi)  # (K, 2): mass beyond the ends
        self._grid = (rep, rules, tails)

    def _on_grid(self, masks: np.ndarray, rho: np.ndarray | None):
        if self._grid is None:
            self._build()
        rep, rules, tails = self._grid
        g = np.maximum(rep.log_noise, -1e30)
        on = masks[:, rep.first_item].astype(float)  # (n, R): reports included
        origin_rho = rep.origin_rho[rep.origin]  # (R,)
        r = np.broadcast_to(origin_rho, on.shape) if rho is None else rho[:, rep.first_item]
        results = []
        for dens, term in rules:
            log_l = np.zeros((len(masks), term.shape[0]))
            ends = np.zeros((len(masks), 2))
            for o in range(len(rep.origin_names)):
                idx = np.flatnonzero(rep.origin == o)
                m = on[:, idx]
                if not m.any():
                    continue
                s1 = m @ term[:, idx].T  # (n, Q)
                s0 = m @ g[idx]  # (n,)
                ro = r[:, idx[0]][:, None]
                with np.errstate(divide="ignore"):
                    block = np.logaddexp(np.log(ro) + s1, np.log1p(-ro) + s0[:, None])
                log_l += block
            ends = log_l[:, [0, -1]]  # L taken as flat beyond the grid
            body = log_matmul_exp(log_l, dens)  # (n, K)
            beyond = np.logaddexp(ends[:, :1] + tails[None, :, 0], ends[:, 1:] + tails[None, :, 1])
            results.append(np.logaddexp(body, beyond))
        fine, coarse = results
        with np.errstate(invalid="ignore"):
            diff = np.abs(np.expm1(coarse - fine))
        bad = ~np.all(np.isfinite(fine), axis=1) | np.any(
            np.nan_to_num(diff, nan=1.0) > TOLERANCE, axis=1
        )
        return fine, bad


def _rows(masks, rho):
    for i in range(len(masks)):
        yield masks[i], None if rho is None else rho[i]
