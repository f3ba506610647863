"""The regime paths of a dynamic posterior, re-weighed as the confidence measures need them.

A question with dynamics (:mod:`forecasting.model.dynamics`) has its posterior as a sum over
the regime paths of the periods that hold evidence. Given a path, each indicator's reports
split by regime and each scenario's parameter is integrated over its own share; under the
truth mixture an origin whose reports fall in periods of different regimes has its state
(genuine or not) summed over. :class:`PathSet` holds, for the paths the engine kept, each
indicator's *terms* (a state of its split origins, its probability's log factor, and each
regime's share of the reports), so that the paths can be weighed again under other
judgements (the range of reasonable opinion: other likelihood priors, other stay
probabilities) or the next horizon's reports (responsiveness), exactly given the paths.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..core.stats import logsumexp
from ..model.data import IndicatorData, ModelData
from ..model.dynamics import DynamicPosterior, item_periods, share_view
from ..model.subsets import SubsetMarginals


@dataclass(frozen=True)
class Share:
    """One scenario's share of an indicator's reports on a path, in one state of its origins."""

    scenario: int
    mask: np.ndarray  # (items,) bool
    rho: np.ndarray | None  # the origins' reliabilities, split origins' states fixed

    @property
    def key(self) -> bytes:
        """What its log marginal depends on."""
        rho = b"" if self.rho is None else self.rho[self.mask].tobytes()
        return bytes([self.scenario]) + self.mask.tobytes() + rho


@dataclass(frozen=True)
class Term:
    """One state of the split origins: its log factor and every regime's share."""

    log_z: float
    shares: tuple[Share, ...]


@dataclass(frozen=True)
class Entry:
    """One indicator with reports: its items' periods, each path's key and each key's terms."""

    ind: IndicatorData
    periods: np.ndarray  # (items,)
    key: np.ndarray  # (P,) which of ``terms`` each path has
    terms: list[list[Term]]


class PathSet:
    """The engine's regime paths (or the chosen ones) and, per indicator, each path's terms."""

    def __init__(self, data: ModelData, post: DynamicPosterior, chosen: np.ndarray | None = None):
        self.data, self.post = data, post
        tl = data.timeline
        assert tl is not None
        self.k = data.n_scenarios
        chosen = np.arange(len(post.paths)) if chosen is None else np.asarray(chosen)
        self.paths = post.paths[chosen]
        self.path_log_prior = post.path_log_prior[chosen]
        position = {p: i for i, p in enumerate(post.periods)}
        self.entries: list[Entry] = []
        self._grids: dict[str, SubsetMarginals] = {}
        self._term_weights: dict[tuple[str, int], np.ndarray] = {}
        for ind in data.indicators:
            if not len(ind.values):
                continue
            periods = item_periods(ind, tl)
            pos = np.array([position[int(p)] for p in periods], dtype=int)
            rows, inverse = np.unique(self.paths[:, pos], axis=0, return_inverse=True)
            terms = [_terms(ind, row, self.k) for row in rows]
            self.entries.append(Entry(ind, periods, inverse.reshape(-1), terms))

    def entry(self, indicator: str) -> Entry | None:
        """The indicator's entry (``None``: it has no reports)."""
        return next((e for e in self.entries if e.ind.id == indicator), None)

    def terms_of(self, entry: Entry, path: int) -> tuple[list[Term], np.ndarray]:
        """The terms of a path and each one's posterior probability (log), given the path."""
        j = int(entry.key[path])
        terms = entry.terms[j]
        if len(terms) == 1:
            return terms, np.zeros(1)
        memo = (entry.ind.id, j)
        if memo not in self._term_weights:
            ind = entry.ind
            grid = None
            if ind.trend is None or not np.any(ind.trend):
                grid = self._grids.setdefault(ind.id, SubsetMarginals(ind))
            totals = []
            for t in terms:
                total = t.log_z
                for sh in t.shares:
                    if grid is not None:  # as the engine sums the states (the shared grid)
                        lm = grid(sh.mask[None, :], None if sh.rho is None else sh.rho[None, :])
                        total += float(lm[0, sh.scenario])
                    else:
                        total += float(self.view(entry, sh).model.log_marginal()[sh.scenario])
                totals.append(total)
            totals = np.array(totals)
            self._term_weights[memo] = totals - logsumexp(totals, axis=0)
        return terms, self._term_weights[memo]

    def log_prior(self) -> np.ndarray:
        """``log p(first regime)`` of each path, ``(P,)``."""
        with np.errstate(divide="ignore"):
            return np.log(self.data.prior)[self.paths[:, 0]]

    def log_moves(self, matrices: np.ndarray | None) -> np.ndarray:
        """``log p(path | first regime)`` under each matrix ``(D, K, K)``: ``(D, P)``.

        ``None``: the question's matrix (the engine's own, ``(1, P)``).
        """
        if matrices is None:
            return self.path_log_prior[None, :]
        periods = self.post.periods
        out = np.zeros((len(matrices), len(self.paths)))
        for t in range(1, len(periods)):
            step = np.linalg.matrix_power(matrices, periods[t - 1] - periods[t])
            with np.errstate(divide="ignore"):
                out += np.log(step[:, self.paths[:, t - 1], self.paths[:, t]])
        return out

    def view(self, entry: Entry, share: Share) -> IndicatorData:
        """The reports of ``share`` as an indicator of their own (its model is kept)."""
        return share_view(entry.ind, share.scenario, entry.periods, share.mask, share.rho)

    def log_lik(self, priors: dict[str, np.ndarray]) -> np.ndarray:
        """``log p(E | path)`` under each draw of the likelihoods' priors: ``(D, P)``.

        ``priors`` maps each indicator with reports to its prior parameters per draw
        ``(D, K, P...)``. A share of all the indicator's reports is integrated by the model's
        own integral (as the static opinion range's); other shares, where the subsets' shared
        grid serves, all at once on it (:meth:`~forecasting.model.subsets.SubsetMarginals.
        under_priors`), else each by its own model.
        """
        d = len(next(iter(priors.values()))) if priors else 1
        out = np.zeros((d, len(self.paths)))
        for entry in self.entries:
            values = self._share_values(entry, priors[entry.ind.id])
            per_key = np.empty((d, len(entry.terms)))
            for j, key_terms in enumerate(entry.terms):
                totals = [
                    term.log_z + sum(values[share.key] for share in term.shares)
                    for term in key_terms
                ]
                per_key[:, j] = (
                    logsumexp(np.array(totals), axis=0) if len(totals) > 1 else totals[0]
                )
            out += per_key[:, entry.key]
        return out

    def _share_values(self, entry: Entry, rows: np.ndarray) -> dict[bytes, np.ndarray]:
        """Each share's log marginal under each draw ``(D,)``, by the share's key."""
        ind = entry.ind
        shares = {s.key: s for terms in entry.terms for t in terms for s in t.shares}
        no_trend = ind.trend is None or not np.any(ind.trend)
        values: dict[bytes, np.ndarray] = {}
        batch: dict[int, list[Share]] = {}
        if no_trend and entry.ind.id not in self._grids:
            self._grids[ind.id] = SubsetMarginals(ind)
        grid = self._grids.get(ind.id)
        for key, share in shares.items():
            whole = share.rho is None and share.mask.all()
            if not whole and grid is not None and grid.shares_grid:
                batch.setdefault(share.scenario, []).append(share)
                continue
            lm = self.view(entry, share).model.log_marginal(rows[:, share.scenario])
            values[key] = np.nan_to_num(lm, nan=-np.inf)
        base = np.asarray(ind.item_origin_weights, dtype=float)
        for s, group in batch.items():
            masks = np.array([x.mask for x in group])
            rho = np.array([base if x.rho is None else x.rho for x in group])
            lm = grid.under_priors(masks, rows[:, s], rho)  # (n, D)
            for x, v in zip(group, lm, strict=True):
                values[x.key] = np.nan_to_num(v, nan=-np.inf)
        return values

    def at_resolution(self, log_w: np.ndarray, matrices: np.ndarray | None) -> np.ndarray:
        """``P(S_T | E)`` per row of path log weights ``(D, P)``: ``(D, K)``.

        ``matrices`` ``(D, K, K)``: each row's transition matrix (``None``: the question's).
        """
        top = np.max(log_w, axis=1, keepdims=True)
        w = np.exp(log_w - np.where(np.isfinite(top), top, 0.0))
        w = w / w.sum(axis=1, keepdims=True)
        last = self.paths[:, -1]
        if matrices is None:
            to_t = np.linalg.matrix_power(self.data.timeline.matrix, self.post.periods[-1])
            return w @ to_t[last]
        to_t = np.linalg.matrix_power(matrices, self.post.periods[-1])  # (D, K, K)
        return np.einsum("dp,dpk->dk", w, to_t[:, last, :])

    def cost(self) -> float:
        """Terms one re-weighing sums (the opinion range's budget of work).

        A share of all the reports: its model's integration nodes. Shares on the shared grid:
        the prior's density at its nodes per scenario, and per share a row of a matrix
        product, counted as a sixteenth of a term each (multiply-adds, not logarithms).
        """
        total = 1.0
        for entry in self.entries:
            shares = {s.key: s for terms in entry.terms for t in terms for s in t.shares}
            grid = self._grids.get(entry.ind.id)
            if grid is None and (entry.ind.trend is None or not np.any(entry.ind.trend)):
                grid = self._grids[entry.ind.id] = SubsetMarginals(entry.ind)
            on_grid = set()
            for s in shares.values():
                whole = s.rho is None and s.mask.all()
                if not whole and grid is not None and grid.shares_grid:
                    on_grid.add(s.scenario)
                    total += grid.nodes / 16.0
                else:
                    total += self.view(entry, s).model.integration_size
            total += len(on_grid) * (grid.nodes if on_grid else 0)
        return total


def _terms(ind: IndicatorData, regime: np.ndarray, k: int) -> list[Term]:
    """The terms of one assignment of the indicator's items to regimes.

    Under the truth mixture each origin of reliability strictly between 0 and 1 whose reports
    fall in more than one regime has its state summed over (as the engine does).
    """
    split = []
    if ind.reliability_model == "mixture":
        origins = np.array(ind.item_origins, dtype=object)
        rho = {o: float(w) for o, w in zip(ind.item_origins, ind.item_origin_weights, strict=True)}
        for o in dict.fromkeys(ind.item_origins):
            mine = regime[origins == o]
            if 0.0 < rho[o] < 1.0 and mine.min() != mine.max():
                split.append(o)
    masks = [(s, regime == s) for s in range(k) if np.any(regime == s)]
    if not split:
        return [Term(0.0, tuple(Share(s, m, None) for s, m in masks))]
    base = np.asarray(ind.item_origin_weights, dtype=float)
    out = []
    for z in itertools.product((1.0, 0.0), repeat=len(split)):
        r = base.copy()
        log_z = 0.0
        for o, on in zip(split, z, strict=True):
            r[origins == o] = on
            with np.errstate(divide="ignore"):
                log_z += float(np.log(rho[o]) if on else np.log1p(-rho[o]))
        out.append(Term(log_z, tuple(Share(s, m, r) for s, m in masks)))
    return out
