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

from ..core.stats import log_matmul_exp, logsumexp
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
        self._nodes: np.ndarray | None = None  # the shared grid's nodes (fine rule), by _build
        self._rules_nodes: list[tuple[np.ndarray, np.ndarray]] = []  # per rule: nodes, log w
        self._ends = (0.0, 0.0)
        self._log_l: dict[bytes, list[np.ndarray]] = {}  # the last subsets' log L per rule
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
            if x is FINE_X:
                self._nodes = u
            log_w = np.log((half[:, None] * w[None, :]).reshape(-1))
            self._rules_nodes.append((u, log_w))
            dens = log_w[None, :] + kind.log_prior_u(u, prior)  # (K, Q)
            theta = kind.theta_from_u(u)[:, None]
            logf = ind.model.report_logf(theta)[:, 0, :]  # (Q, R)
            a, g = rep.genuine, rep.log_noise
            with np.errstate(divide="ignore", invalid="ignore"):
                term = np.logaddexp(mx.safe_log(a) + logf, mx.safe_log1m(a) + g)
            term = np.maximum(np.nan_to_num(term, nan=-1e30, neginf=-1e30), -1e30)
            rules.append((dens, term))
        tails = kind.log_prior_tails(prior, lo, hi)  # (K, 2): mass beyond the ends
        self._ends = (lo, hi)
        self._grid = (rep, rules, tails)

    def _included(self, masks: np.ndarray, rho: np.ndarray | None):
        """Reports included ``(n, R)``, their origins' reliabilities, and ``log g``."""
        rep = self._grid[0]
        g = np.maximum(rep.log_noise, -1e30)
        on = masks[:, rep.first_item].astype(float)  # (n, R): reports included
        origin_rho = rep.origin_rho[rep.origin]  # (R,)
        r = np.broadcast_to(origin_rho, on.shape) if rho is None else rho[:, rep.first_item]
        return on, r, g

    @property
    def nodes(self) -> int:
        """Nodes of the shared grid, both rules (what one subset's integral sums)."""
        if self._grid is None:
            self._build()
        return sum(len(u) for u, _ in self._rules_nodes)

    @property
    def shares_grid(self) -> bool:
        """Whether :meth:`posterior_atoms` can put every subset on the shared grid."""
        return self.mode == "grid"

    def posterior_atoms(
        self, masks: np.ndarray, scenarios: np.ndarray, rho: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each subset's posterior of the parameter under its scenario, on the shared grid.

        Returns the parameter at the grid's nodes ``(Q,)`` and, per subset ``i``, the log
        weights ``(n, Q)`` of scenario ``scenarios[i]``'s posterior given the subset's reports
        (the prior where it has none): the nodes' quadrature weights times prior times ``L``,
        normalised (the mass beyond the grid's ends, past 14 scales of every distribution, is
        left out). Atoms shared by every subset: the responsiveness weighs a future report at
        the nodes once for all of them (:mod:`forecasting.confidence.unfolding`).
        """
        if self._grid is None:
            self._build()
        rep, rules, _ = self._grid
        dens, term = rules[0]
        on, r, g = self._included(np.asarray(masks, dtype=bool), rho)
        log_w = dens[np.asarray(scenarios, dtype=int)] + _summed(rep, term, on, r, g)
        log_w = log_w - logsumexp(log_w, axis=1)[:, None]
        return self.ind.kind.theta_from_u(self._nodes), log_w

    def under_priors(
        self, masks: np.ndarray, priors: np.ndarray, rho: np.ndarray | None = None
    ) -> np.ndarray:
        """Log marginals ``(n, D)`` of each subset under each row of ``priors`` ``(D, P)``.

        One ``log L`` per subset on the shared grid, integrated against every prior by one
        matrix product (the range of reasonable opinion redraws the priors a thousand times).
        Both rules are taken; a subset whose two differ by more than :data:`TOLERANCE`
        (relative) under some prior is refitted by the model's own integral.
        """
        if self._grid is None:
            self._build()
        masks = np.asarray(masks, dtype=bool)
        priors = np.asarray(priors, dtype=float)
        rep, rules, _ = self._grid
        on, r, g = self._included(masks, rho)
        lo, hi = self._ends
        kind = self.ind.kind
        tails = kind.log_prior_tails(priors, lo, hi)  # (D, 2)
        key = masks.tobytes() + (b"" if rho is None else np.asarray(rho, float).tobytes())
        if key not in self._log_l:  # the same subsets under the next batch of priors
            self._log_l = {key: [_summed(rep, term, on, r, g) for _, term in rules]}
        results = []
        for log_l, (u, log_w) in zip(self._log_l[key], self._rules_nodes, strict=True):
            dens = log_w[None, :] + kind.log_prior_u(u, priors)  # (D, Q)
            body = log_matmul_exp(log_l, dens)
            beyond = np.logaddexp(
                log_l[:, :1] + tails[None, :, 0], log_l[:, -1:] + tails[None, :, 1]
            )
            results.append(np.logaddexp(body, beyond))
        fine, coarse = results
        with np.errstate(invalid="ignore"):
            diff = np.abs(np.expm1(coarse - fine))
        bad = ~np.all(np.isfinite(fine), axis=1) | np.any(
            np.nan_to_num(diff, nan=1.0) > TOLERANCE, axis=1
        )
        for i in np.flatnonzero(bad):
            sub = self.ind
            if rho is not None:
                sub = replace(sub, origin_weights=np.asarray(rho[i], dtype=float))
            fine[i] = sub.with_items(masks[i]).model.log_marginal(priors)
        return fine

    def _on_grid(self, masks: np.ndarray, rho: np.ndarray | None):
        if self._grid is None:
            self._build()
        rep, rules, tails = self._grid
        on, r, g = self._included(masks, rho)
        results = []
        for dens, term in rules:
            log_l = _summed(rep, term, on, r, g)
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


def _summed(rep, term: np.ndarray, on: np.ndarray, r: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``log L`` of each subset at the grid's nodes, ``(n, Q)``: per origin, genuine or not."""
    log_l = np.zeros((len(on), term.shape[0]))
    for o in range(len(rep.origin_names)):
        idx = np.flatnonzero(rep.origin == o)
        m = on[:, idx]
        if not m.any():
            continue
        s1 = m @ term[:, idx].T  # (n, Q)
        s0 = m @ g[idx]  # (n,)
        ro = r[:, idx[0]][:, None]
        with np.errstate(divide="ignore"):
            log_l += np.logaddexp(np.log(ro) + s1, np.log1p(-ro) + s0[:, None])
    return log_l


def _rows(masks, rho):
    for i in range(len(masks)):
        yield masks[i], None if rho is None else rho[i]
