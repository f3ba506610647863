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
enumerated: ``K ** T_e`` of them for ``T_e`` periods with evidence, at most
:data:`MAX_PATHS`; between those periods the regime moves by powers of ``A``. The posterior
over paths gives ``P(S_now)`` and, by ``A ** n`` to ``T``, ``P(S_T)``. Its error is the
quadrature's (about 1e-10 relative): the integral over ``theta`` is the static engine's, and
the sum over paths is exact. Beyond :data:`MAX_PATHS`, a longer ``period_days`` is asked for.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..core.errors import InputError, Problem
from ..core.stats import logsumexp

if TYPE_CHECKING:
    from .data import IndicatorData, ModelData

#: The most regime paths (``K ** T_e``) the exact engine enumerates.
MAX_PATHS = 200_000
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
    """``P(S_T | E)``, ``P(S_now | E)`` and the evidence, by enumerating regime paths.

    ``memo`` (optional) keeps each indicator's table of ``log p(its reports | its periods'
    regimes)`` by its content, for callers that evaluate many variants (attribution).
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
    t_e = len(periods)
    if float(k) ** t_e > MAX_PATHS:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "dynamics.period_days",
                    f"the evidence falls in {t_e} periods of {tl.period_days:g} days: "
                    f"{k}^{t_e} regime paths, more than the exact engine sums over "
                    f"({MAX_PATHS:,}); use longer periods",
                )
            ]
        )
    paths = np.array(list(itertools.product(range(k), repeat=t_e)), dtype=int).reshape(-1, t_e)
    with np.errstate(divide="ignore"):
        log_moves = np.zeros(len(paths))
        for i in range(t_e - 1):
            step = np.log(tl.power(periods[i] - periods[i + 1]))
            log_moves = log_moves + step[paths[:, i], paths[:, i + 1]]
    position = {p: i for i, p in enumerate(periods)}
    log_lik = np.zeros(len(paths))
    for ind in data.indicators:
        if not len(ind.values):
            continue
        key = None if memo is None else ("dynamic", _content(ind, per_item[ind.id]))
        found = None if key is None else memo.get(key)
        if found is None:
            found = _indicator_table(ind, per_item[ind.id], k)
            if key is not None:
                memo[key] = found
        own, table = found
        cols = np.array([position[p] for p in own], dtype=int)
        log_lik = log_lik + table[paths[:, cols] @ (k ** np.arange(len(own))[::-1])]
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
    )


def _content(ind: IndicatorData, periods: np.ndarray) -> tuple:
    """What an indicator's table depends on (its prior, reports and their periods)."""

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
    )


def _indicator_table(ind: IndicatorData, periods: np.ndarray, k: int):
    """``log p(indicator's reports | its periods' regimes)``.

    Returns its periods (oldest first) and the table over their ``K ** n`` regime assignments
    (the first period's regime the most significant digit).
    """
    own = sorted({int(p) for p in periods}, reverse=True)
    local = np.array([own.index(int(p)) for p in periods], dtype=int)
    memo: dict[tuple, np.ndarray] = {}

    def marginals(mask: np.ndarray, overrides: tuple[tuple[str, float], ...]) -> np.ndarray:
        key = (mask.tobytes(), overrides)
        found = memo.get(key)
        if found is None:
            sub = ind.with_items(mask)
            if overrides:
                set_to = dict(overrides)
                weights = np.array(
                    [
                        set_to.get(o, w)
                        for o, w in zip(sub.item_origins, sub.item_origin_weights, strict=True)
                    ]
                )
                sub = replace(sub, origin_weights=weights)
            found = memo[key] = sub.log_marginal() if mask.any() else np.zeros(k)
        return found

    origins = np.array(ind.item_origins, dtype=object)
    rho = {o: float(w) for o, w in zip(ind.item_origins, ind.item_origin_weights, strict=True)}
    mixture = ind.reliability_model == "mixture"
    table = np.empty(k ** len(own))
    for a, regimes in enumerate(itertools.product(range(k), repeat=len(own))):
        regime = np.asarray(regimes)[local]  # each item's regime
        split = []
        if mixture:
            for o in dict.fromkeys(origins):
                mine = regime[origins == o]
                if len(np.unique(mine)) > 1 and 0.0 < rho[o] < 1.0:
                    split.append(o)
        if len(split) > MAX_SPLIT_ORIGINS:
            raise InputError(
                [
                    Problem(
                        None,
                        None,
                        "dynamics",
                        f"indicator '{ind.id}': {len(split)} origins report in periods of "
                        f"different regimes (at most {MAX_SPLIT_ORIGINS}); use longer periods",
                    )
                ]
            )
        terms = []
        for z in itertools.product((1.0, 0.0), repeat=len(split)):
            with np.errstate(divide="ignore"):
                w = sum(
                    np.log(rho[o]) if s else np.log1p(-rho[o])
                    for o, s in zip(split, z, strict=True)
                )
            overrides = tuple(zip(split, z, strict=True))
            total = w
            for s in range(k):
                mask = regime == s
                if mask.any():
                    mine = tuple((o, v) for o, v in overrides if np.any(origins[mask] == o))
                    total = total + marginals(mask, mine)[s]
            terms.append(total)
        table[a] = logsumexp(np.array(terms), axis=0) if len(terms) > 1 else terms[0]
    return own, table


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
            pos = np.array([position[int(p)] for p in item_periods(ind, tl)], dtype=int)
            for path_index in np.unique(chosen):
                rows = np.flatnonzero(chosen == path_index)
                regime = post.paths[path_index][pos]
                for s in np.unique(regime):
                    sub = ind.with_items(regime == s)
                    drawn = sub.model.draw(np.full(len(rows), s), rng)
                    theta[rows, s] = drawn[:, s]
        thetas[ind.id] = theta
    return pi, cond, thetas
