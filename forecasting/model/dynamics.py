"""Scenarios that unfold: the regime moves between scenarios from period to period.

With ``dynamics:`` in the question (:mod:`forecasting.inputs.dynamics_spec`), time is cut into
periods of ``period_days`` counted back from the resolution date ``T`` (period 0 ends on ``T``).
The regime ``S_p`` of each period is one of the scenarios; it moves to the next period by the
elicited transition matrix ``A``. Each report is emitted by the regime of the period of what it
reports (its ``occurred`` date, a count window's end, else its date; all reports of one event
by the period of the earliest). The question's ``prior`` is the regime's distribution in the
period of the oldest evidence (without evidence: now). Each scenario's parameters ``theta`` are
shared by every period in that regime. The forecast is ``P(S_T = k | E)``; ``P(S_now = k | E)``
stands beside it.

**The exact engine.** Given the regimes of the periods that hold evidence (a *path*), the
evidence of each indicator splits by regime, and ``theta`` integrates out exactly as in the
static model: each regime's share of the reports is integrated with that scenario's prior
(closed form, the categorical polynomial, or the adaptive quadrature of :mod:`.likelihood`).
Under the truth mixture an origin whose reports fall in periods of different regimes couples
those integrals; its state (genuine or not) is then summed over explicitly. The paths are
built forward, period by period (between periods with evidence the regime moves by powers of
``A``); after each period the paths more than :data:`PRUNE_NATS` nats below the best are
dropped, and at most :data:`MAX_BEAM` kept; except the path that stays throughout in a regime
no other regime moves into (the catch-all without a row of its own), which no later evidence
could bring back once dropped. The posterior mass dropped (at the moment it was
dropped) is reported as the method's error estimate (``dropped`` in the diagnostics); with
few periods nothing is dropped and the sum is exact. The posterior over paths gives
``P(S_now)`` and, by ``A ** n`` to ``T``, ``P(S_T)``. Otherwise its error is the quadrature's
(about 1e-10 relative). Cost: with ``K = 4`` and persistent regimes, a few hundred paths
survive each period. A row of regimes is looked up by its digits in base ``K``, and each step
kept by the paths it was asked about (the sensitivity analyses' variants ask the unchanged
indicators about the same paths again): the bundled question's weekly update, in process,
8.5 s -> 7.7 s of CPU (three runs each).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..core.errors import InputError, Problem
from ..core.stats import logsumexp
from .subsets import SubsetMarginals

if TYPE_CHECKING:
    from .data import IndicatorData, ModelData

#: Paths whose weight falls this many nats below the best path's are dropped (their share of
#: the posterior at that moment is added up and reported: ``dropped``).
PRUNE_NATS = 18.0
#: The most regime paths kept after each period (the best ones).
MAX_BEAM = 2_000
#: Steps an indicator keeps (:meth:`_Partial.step`), each keyed by up to :data:`MAX_BEAM` paths'
#: regimes: the sensitivity's variants ask again about the same few sets of paths.
_KEPT_STEPS = 256
#: The most origins whose states one indicator's path sums over explicitly.
MAX_SPLIT_ORIGINS = 10


@dataclass(frozen=True)
class Timeline:
    """The periods of a question with dynamics, as ordinals of days."""

    matrix: np.ndarray  # (K, K)
    period_days: float
    resolves: int  # ordinal of T
    as_of: int  # ordinal of the as-of date

    def period(self, day: float) -> int:
        """The period holding ``day`` (0 ends on ``T``; older periods count up)."""
        return max(int(np.floor((self.resolves - day) / self.period_days)), 0)

    @property
    def now(self) -> int:
        """The period holding the as-of date."""
        return self.period(self.as_of)

    def power(self, n: int) -> np.ndarray:
        """``A ** n``."""
        return np.linalg.matrix_power(self.matrix, max(int(n), 0))


@dataclass(frozen=True)
class DynamicPosterior:
    """The exact dynamic posterior."""

    probability: np.ndarray  # (K,) P(S_T = k | E)
    now: np.ndarray  # (K,) P(S_now = k | E)
    log_marginal: np.ndarray  # (K,) log p(E | S_T = k)
    log_evidence: float
    periods: tuple[int, ...]  # the periods with evidence, oldest first
    paths: np.ndarray  # (P, T_e) regimes
    path_log_lik: np.ndarray  # (P,) log p(E | path)
    path_log_prior: np.ndarray  # (P,) log p(path) without the first period's prior
    #: The posterior mass of the paths dropped along the way (at the time they were dropped).
    dropped: float = 0.0

    @property
    def n_paths(self) -> int:
        """Number of regime paths summed over."""
        return len(self.paths)


def item_periods(ind: IndicatorData, timeline: Timeline) -> np.ndarray:
    """Each item's period; the reports of one event share the oldest of theirs."""
    days = ind.ref_days if ind.ref_days is not None else np.full(len(ind.values), timeline.as_of)
    out = np.array([timeline.period(d) for d in days], dtype=int)
    events: dict[str, int] = {}
    for e, p in zip(ind.item_events, out, strict=True):
        if e is not None:
            events[e] = max(events.get(e, p), p)
    return np.array(
        [events[e] if e is not None else p for e, p in zip(ind.item_events, out, strict=True)],
        dtype=int,
    )


def posterior(data: ModelData, memo: dict | None = None) -> DynamicPosterior:
    """``P(S_T | E)``, ``P(S_now | E)`` and the evidence, forward over the regime paths.

    ``memo`` (optional) keeps each indicator's marginals by its content, for callers that
    evaluate many variants (attribution).
    """
    tl = data.timeline
    assert tl is not None
    k = data.n_scenarios
    per_item = {ind.id: item_periods(ind, tl) for ind in data.indicators}
    periods = sorted({int(p) for ps in per_item.values() for p in ps}, reverse=True)
    with np.errstate(divide="ignore"):
        log_prior0 = np.log(data.prior)
    if not periods:
        now = data.prior.copy()
        at_t = now @ tl.power(tl.now)
        return DynamicPosterior(
            at_t, now, np.zeros(k), 0.0, (), np.zeros((1, 0), int), np.zeros(1), np.zeros(1)
        )
    position = {p: i for i, p in enumerate(periods)}
    parts = []
    for ind in data.indicators:
        if not len(ind.values):
            continue
        pos = np.array([position[int(p)] for p in per_item[ind.id]], dtype=int)
        # (with the periods of all the evidence: a part's positions are among them)
        key = None if memo is None else ("dynamic", _content(ind, per_item[ind.id]), *periods)
        part = None if key is None else memo.get(key)
        if part is None:
            part = _Partial(ind, pos, k, per_item[ind.id])
            if key is not None:
                memo[key] = part
        parts.append(part)
    paths = np.arange(k)[:, None]
    log_moves = np.zeros(k)
    log_lik = np.zeros(k)
    dropped = 0.0
    # a regime no other regime moves into (the catch-all without a row in `dynamics:`) is
    # reached only by the path that stays in it throughout: dropped once, no later evidence
    # could bring it back, so that path is always kept
    closed = no_inflow(tl.matrix)
    for t in range(len(periods)):
        if t:
            with np.errstate(divide="ignore"):
                step = np.log(tl.power(periods[t - 1] - periods[t]))
            n = len(paths)
            log_moves = (log_moves[:, None] + step[paths[:, -1]]).reshape(-1)
            paths = np.concatenate(
                [np.repeat(paths, k, axis=0), np.tile(np.arange(k), n)[:, None]], axis=1
            )
            log_lik = np.repeat(log_lik, k)
        for part in parts:
            if t in part.periods:
                log_lik = log_lik + part.step(paths, t)
        with np.errstate(invalid="ignore"):
            log_w = log_prior0[paths[:, 0]] + log_moves + log_lik
        keep = _beam(log_w)
        if len(closed):
            stays = np.all(paths == paths[:, :1], axis=1) & np.isin(paths[:, 0], closed)
            keep |= stays & np.isfinite(log_w)
        if not keep.all():
            top = logsumexp(log_w, axis=0)
            dropped += float(np.exp(logsumexp(log_w[~keep], axis=0) - top))
            paths, log_moves, log_lik = paths[keep], log_moves[keep], log_lik[keep]
    with np.errstate(invalid="ignore"):
        log_joint = log_prior0[paths[:, 0]] + log_moves + log_lik
    log_evidence = float(logsumexp(log_joint, axis=0))
    post = np.exp(log_joint - log_evidence)
    last = paths[:, -1]
    now = post @ tl.power(periods[-1] - tl.now)[last]
    to_t = tl.power(periods[-1])
    at_t = post @ to_t[last]
    prior_t = data.prior @ tl.power(periods[0])
    with np.errstate(divide="ignore"):
        log_marginal = np.log(post @ to_t[last]) + log_evidence - np.log(prior_t)
    return DynamicPosterior(
        at_t / at_t.sum(),
        now / now.sum(),
        log_marginal,
        log_evidence,
        tuple(periods),
        paths,
        log_lik,
        log_moves,
        dropped,
    )


def trended(ind: IndicatorData, s: int, periods: np.ndarray) -> IndicatorData:
    """``ind`` as scenario ``s`` sees it: each count's exposure times ``exp(beta_s * t)``.

    ``t = -period`` (periods before the resolution date), so the stated rate is the rate at
    resolution. Without a trend: ``ind`` itself.
    """
    if ind.trend is None or ind.trend[s] == 0:
        return ind
    scaled = ind.exposures * np.exp(-ind.trend[s] * np.asarray(periods))
    return replace(ind, exposures=scaled, noise_exposures=ind.exposures)


def share_view(
    ind: IndicatorData,
    s: int,
    periods: np.ndarray,
    mask: np.ndarray,
    rho: np.ndarray | None = None,
) -> IndicatorData:
    """The reports of ``mask`` as scenario ``s`` sees them (:func:`trended`), as an indicator.

    With the origins' reliabilities ``rho`` if given. Made once per indicator and kept with it
    (:attr:`~.data.IndicatorData.views`), and with it its model and quadrature grid: the exact
    engine's draws, the range of reasonable opinion and the responsiveness ask for the same
    few subsets again and again (on the bundled question 26 of 32 grids were repeats, 37 ms).
    """
    mask = np.asarray(mask, dtype=bool)
    moved = ind.trend is not None and ind.trend[s] != 0
    key = (
        int(s) if moved else None,
        np.asarray(periods, dtype=float).tobytes() if moved else b"",
        mask.tobytes(),
        None if rho is None else np.asarray(rho, dtype=float).tobytes(),
    )
    if key not in ind.views:
        v = trended(ind, s, periods)
        if rho is not None:
            v = replace(v, origin_weights=rho)
        ind.views[key] = v if mask.all() else v.with_items(mask)
    return ind.views[key]


def no_inflow(matrix: np.ndarray) -> np.ndarray:
    """The regimes no other regime moves into (indices): only a path starting there is in them."""
    off = matrix - np.diag(np.diag(matrix))
    return np.flatnonzero(~np.any(off > 0, axis=0))


def _beam(log_w: np.ndarray) -> np.ndarray:
    """The paths kept: within :data:`PRUNE_NATS` of the best, the :data:`MAX_BEAM` best."""
    finite = np.isfinite(log_w)
    if not finite.any():
        return np.ones(len(log_w), dtype=bool)
    keep = finite & (log_w >= np.max(log_w[finite]) - PRUNE_NATS)
    if keep.sum() > MAX_BEAM:
        cut = np.partition(log_w[keep], -MAX_BEAM)[-MAX_BEAM]
        keep &= log_w >= cut
    return keep


def _content(ind: IndicatorData, periods: np.ndarray) -> tuple:
    """What an indicator's marginals depend on (its prior, reports and their periods)."""

    def raw(a) -> bytes:
        return b"" if a is None else np.asarray(a, dtype=float).tobytes()

    return (
        ind.id,
        ind.kind.name,
        ind.reliability_model,
        raw(ind.prior),
        raw(ind.values),
        raw(ind.weights),
        raw(ind.exposures),
        tuple(ind.item_origins),
        raw(ind.item_origin_weights),
        raw(ind.item_credibility),
        raw(ind.item_relay),
        tuple(ind.item_events),
        raw(periods),
        raw(ind.noise),
        raw(ind.trend),
    )


class _Partial:
    """One indicator's ``log p(its reports up to a period | the regimes of its periods)``.

    Given the regimes, each scenario's parameters are integrated over that scenario's share of
    the reports exactly as in the static model; under the truth mixture an origin whose
    reports fall in periods of different regimes has its state summed over (at most
    :data:`MAX_SPLIT_ORIGINS` such origins).
    """

    def __init__(self, ind: IndicatorData, pos: np.ndarray, k: int, periods: np.ndarray):
        self.ind, self.pos, self.k = ind, pos, k
        self.trended = ind.trend is not None and bool(np.any(ind.trend != 0))
        views = [trended(ind, s, periods) for s in range(k)] if self.trended else [ind]
        self.evaluators = [SubsetMarginals(v) for v in views]
        self.own = np.unique(pos)  # its periods (positions among all), oldest first
        self.periods = set(self.own.tolist())
        self.origins = np.array(ind.item_origins, dtype=object)
        self.rho = {
            o: float(w) for o, w in zip(ind.item_origins, ind.item_origin_weights, strict=True)
        }
        self.values: dict = {}  # by a row of regimes' key (:meth:`_at`)
        self.steps: dict[tuple, np.ndarray] = {}  # by the paths asked about (:meth:`step`)
        self.marginal: dict[bytes, np.ndarray] = {}

    def step(self, paths: np.ndarray, t: int) -> np.ndarray:
        """The change of ``log p`` when period ``t``'s reports join, for each path.

        Kept by the paths asked about: the variants of a sensitivity analysis that leave this
        indicator as it is ask it about the same paths again.
        """
        key = (t, paths.shape, paths.tobytes())
        hit = self.steps.get(key)
        if hit is not None:
            return hit
        upto = self.own[self.own <= t]
        new = self._at(paths[:, upto])
        before = upto[:-1]
        old = self._at(paths[:, before]) if len(before) else np.zeros(len(paths))
        if len(self.steps) >= _KEPT_STEPS:  # a variant asks again about its own few paths
            self.steps.clear()
        self.steps[key] = hit = new - old
        return hit

    def _at(self, assigned: np.ndarray) -> np.ndarray:
        """``log p`` of the reports of the periods ``assigned`` covers, for each row of regimes.

        A row of regimes is keyed by its length and its digits in base K (a row too long for
        an int64 falls back to a tuple): a dynamic update asks this about 30,000 times, and
        ``np.unique(axis=0)`` and a tuple per row took most of it.
        """
        n = assigned.shape[1]
        if n * np.log2(max(self.k, 2)) < 62:
            codes = assigned.astype(np.int64) @ (self.k ** np.arange(n, dtype=np.int64))
            codes, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
            keys: list = [(n, c) for c in codes.tolist()]
            rows = assigned[first]
        else:
            rows, inverse = np.unique(assigned, axis=0, return_inverse=True)
            keys = [tuple(int(x) for x in row) for row in rows]
        missing = [i for i, key in enumerate(keys) if key not in self.values]
        if missing:
            self._compute([keys[i] for i in missing], rows[missing])
        out = np.array([self.values[key] for key in keys])
        return out[inverse.reshape(-1)]

    def _compute(self, keys: list, grid: np.ndarray) -> None:
        """Fill :attr:`values` for ``keys``, the rows of regimes ``grid`` (all of one length).

        Every subset, in batches; keys are grouped by the origins they split between regimes
        (:meth:`_group`).
        """
        n = grid.shape[1]
        included = np.isin(self.pos, self.own[:n])
        at = np.searchsorted(self.own[:n], self.pos)  # each included item's place in a key
        regime = np.where(included[None, :], grid[:, np.minimum(at, max(n - 1, 0))], -1)
        candidates = []
        if self.ind.reliability_model == "mixture":
            candidates = [
                o for o in dict.fromkeys(self.origins[included]) if 0.0 < self.rho[o] < 1.0
            ]
        split = np.zeros((len(keys), len(candidates)), dtype=bool)
        for c, o in enumerate(candidates):
            mine = regime[:, included & (self.origins == o)]
            split[:, c] = mine.min(axis=1) != mine.max(axis=1)
        if split.shape[1] and split.sum(axis=1).max() > MAX_SPLIT_ORIGINS:
            raise InputError(
                [
                    Problem(
                        None,
                        None,
                        "dynamics",
                        f"indicator '{self.ind.id}': more than {MAX_SPLIT_ORIGINS} origins "
                        "report in periods of different regimes; use longer periods",
                    )
                ]
            )
        groups: dict[bytes, list[int]] = {}
        for i, row in enumerate(split):
            groups.setdefault(row.tobytes(), []).append(i)
        for rows in groups.values():
            chosen = [o for o, on in zip(candidates, split[rows[0]], strict=True) if on]
            self._group(keys, np.array(rows), regime[rows], chosen)

    def _group(self, keys, rows: np.ndarray, regime: np.ndarray, split: list[str]) -> None:
        """Keys ``rows`` (each item's regime ``regime``) sharing the split origins ``split``."""
        base_rho = np.asarray(self.ind.item_origin_weights, dtype=float)
        masks = (regime[:, None, :] == np.arange(self.k)[None, :, None]).reshape(
            -1, len(self.pos)
        )  # (keys x K, items)
        totals = []
        for z in itertools.product((1.0, 0.0), repeat=len(split)):
            rho = None
            log_z = 0.0
            if split:
                rho = base_rho.copy()
                for o, on in zip(split, z, strict=True):
                    rho[self.origins == o] = on
                    with np.errstate(divide="ignore"):
                        log_z += float(np.log(self.rho[o]) if on else np.log1p(-self.rho[o]))
            suffix = b"" if rho is None else rho.tobytes()
            if self.trended:  # each regime's subsets under its own scenario's trend
                total = np.zeros(len(rows))
                for s in range(self.k):
                    own = regime == s
                    total += self._table(own, rho, suffix, s)[:, s]
                totals.append(log_z + total)
                continue
            per = self._table(masks, rho, suffix, 0).reshape(len(rows), self.k, self.k)
            totals.append(log_z + np.einsum("nss->n", per))  # each regime's own scenario
        value = logsumexp(np.array(totals), axis=0) if len(totals) > 1 else totals[0]
        for i, v in zip(rows, value, strict=True):
            self.values[keys[i]] = float(v)

    def _table(self, masks: np.ndarray, rho, suffix: bytes, s: int) -> np.ndarray:
        """Log marginals ``(n, K)`` of the subsets ``masks`` (by scenario ``s``'s trend)."""
        tag = bytes([s]) if self.trended else b""
        unique, inverse = np.unique(masks, axis=0, return_inverse=True)
        todo = [row for row in unique if tag + row.tobytes() + suffix not in self.marginal]
        if todo:
            rhos = None if rho is None else np.tile(rho, (len(todo), 1))
            evaluate = self.evaluators[s if self.trended else 0]
            for row, value in zip(todo, evaluate(np.array(todo), rhos), strict=True):
                self.marginal[tag + row.tobytes() + suffix] = value
        table = np.array(
            [
                self.marginal[tag + row.tobytes() + suffix] if row.any() else np.zeros(self.k)
                for row in unique
            ]
        )  # (U, K)
        return table[inverse.reshape(-1)]


def draws(
    data: ModelData, post: DynamicPosterior, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Draws of ``pi`` ``(n, K)``, ``P(S_T | E, pi)`` ``(n, K)`` and ``theta`` per indicator.

    ``pi`` (the first period's regime mix) from its posterior, a mixture of Dirichlets; the
    conditional ``P(S_T | E, pi)`` sums the paths again (its mean is the probability). Each
    draw's ``theta``: a path from its posterior, then each scenario's parameters from their
    posterior given the reports of that scenario's periods on the path (the prior where it has
    none).
    """
    tl = data.timeline
    k = data.n_scenarios
    if not post.periods:
        first = rng.choice(k, size=n, p=data.prior)
        pi = rng.dirichlet(data.concentration * data.prior + 1e-300, size=n)
        cond = pi @ tl.power(tl.now)
        thetas = {ind.id: ind.model.draw(first, rng) for ind in data.indicators}
        return pi, cond, thetas
    log_c = post.path_log_lik + post.path_log_prior
    top = np.max(log_c)
    c = np.exp(log_c - top)
    first, last = post.paths[:, 0], post.paths[:, -1]
    g = np.zeros((k, k))
    np.add.at(g, (first, last), c)
    to_t = tl.power(post.periods[-1])
    with np.errstate(divide="ignore"):
        log_joint = np.log(data.prior)[first] + log_c
    p_path = np.exp(log_joint - logsumexp(log_joint, axis=0))
    p_first = np.bincount(first, weights=p_path, minlength=k)
    s1 = rng.choice(k, size=n, p=p_first / p_first.sum())
    alpha = data.concentration * data.prior[None, :] + np.eye(k)[s1]
    pi = rng.gamma(np.maximum(alpha, 1e-300))
    pi = pi / pi.sum(axis=1, keepdims=True)
    joint = pi[:, :, None] * g[None, :, :]  # (n, first, last)
    by_last = joint.sum(axis=1)
    cond = by_last @ to_t
    cond = cond / cond.sum(axis=1, keepdims=True)
    # theta: a path per draw, then each scenario's parameters given its periods' reports
    chosen = rng.choice(len(p_path), size=n, p=p_path)
    position = {p: i for i, p in enumerate(post.periods)}
    thetas = {}
    for ind in data.indicators:
        theta = ind.kind.draw(ind.prior, rng, n)  # priors, overwritten where there is evidence
        if len(ind.values):
            periods = item_periods(ind, tl)
            pos = np.array([position[int(p)] for p in periods], dtype=int)
            for path_index in np.unique(chosen):
                rows = np.flatnonzero(chosen == path_index)
                regime = post.paths[path_index][pos]
                for s in np.unique(regime):
                    sub = share_view(ind, int(s), periods, regime == s)
                    drawn = sub.model.draw(np.full(len(rows), s), rng)
                    theta[rows, s] = drawn[:, s]
        thetas[ind.id] = theta
    return pi, cond, thetas


def predictive_density(
    data: ModelData,
    ind: IndicatorData,
    support: np.ndarray,
    exposure: float,
    genuine: float,
    day: float,
    post: DynamicPosterior | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One more report's predictive under dynamics: densities ``(m, K)`` and weights ``(K,)``.

    "Under scenario k" is "the regime of the report's period (the one holding ordinal ``day``)
    is k": the density mixes, over the regime paths of the evidence, the static predictive
    given ``ind``'s reports from the periods the path puts in regime ``k`` (the scenario's
    parameters learn only from those), weighted by the path's posterior times the chance that
    the report's period is in regime ``k``; ``weights`` is ``P(regime k | E)`` of that period.
    The report is genuine with probability ``genuine`` (else from the noise distribution).
    """
    tl = data.timeline
    k = data.n_scenarios
    post = posterior(data) if post is None else post
    p_new = tl.period(day)
    if post.periods:
        older = [i for i, p in enumerate(post.periods) if p >= p_new]
        at = older[-1] if older else 0
        step = tl.power(max(post.periods[at] - p_new, 0))
        with np.errstate(divide="ignore"):
            log_path = (
                post.path_log_lik + post.path_log_prior + np.log(data.prior)[post.paths[:, 0]]
            )
        path_w = np.exp(log_path - np.max(log_path))
        regime_at = step[post.paths[:, at]]  # (P, K): P(S_new = k | path)
        position = {p: i for i, p in enumerate(post.periods)}
        cols = [position[int(p)] for p in item_periods(ind, tl)] if len(ind.values) else []
        item_regime = post.paths[:, cols] if cols else np.zeros((len(path_w), 0), dtype=int)
    else:
        path_w = np.ones(1)
        regime_at = (data.prior @ tl.power(0))[None, :]
        item_regime = np.zeros((1, 0), dtype=int)
    masks: dict[bytes, np.ndarray] = {}
    weight: dict[bytes, np.ndarray] = {}
    for path in range(len(path_w)):
        for s in range(k):
            mask = item_regime[path] == s
            key = mask.tobytes()
            masks[key] = mask
            weight.setdefault(key, np.zeros(k))[s] += path_w[path] * regime_at[path, s]
    dens = np.zeros((len(support), k))
    periods = item_periods(ind, tl) if len(ind.values) else np.zeros(0)
    trend = ind.trend if ind.trend is not None else np.zeros(k)
    for key, mask in masks.items():
        if not np.any(trend):
            sub = share_view(ind, 0, periods, mask)
            true = np.exp(sub.model.predictive(support, exposure))  # (m, K)
        else:  # each scenario's own trend, for the reports before and this one
            true = np.empty((len(support), k))
            for s in range(k):
                sub = share_view(ind, s, periods, mask)
                scaled = exposure * float(np.exp(-trend[s] * p_new))
                true[:, s] = np.exp(sub.model.predictive(support, scaled))[:, s]
        if genuine < 1.0 and ind.reliability_model == "mixture":
            noise = np.exp(ind.model.log_noise(support, np.full(len(support), exposure)))
            true = genuine * true + (1.0 - genuine) * noise[:, None]
        dens += true * weight[key][None, :]
    total = sum(weight.values())
    return dens / np.maximum(total, 1e-300)[None, :], total / total.sum()
