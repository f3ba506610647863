"""Responsiveness to new information: how far the next horizon of evidence could move it.

Friedman and Zeckhauser's first dimension of analytic confidence. For many simulated futures,
each drawn from the posterior predictive (a scenario ``S`` from ``P(S | E)``, each indicator's
parameter from its posterior under ``S``, then the evidence of the next ``horizon_days``), the
forecast after that evidence ``P(S = k | E, E_new)``, exact given the posterior atoms
(:mod:`forecasting.model.future`). The evidence of the horizon:

* a count indicator: one window of the horizon (a count over ``horizon_days``);
* the other kinds: a Poisson number of new reports at the indicator's arrival rate: its used
  reports (relayed copies of one report counted once) per day from its first used item to the
  as-of date (over at least :data:`~forecasting.core.constants.ARRIVAL_MIN_SPAN_DAYS`), or the
  question's ``arrivals_per_30_days`` for the indicator;
* each future report from a new origin of its own, genuine with the median reliability of the
  indicator's used items (1 if none).

Reported per scenario: the 5%-95% range of the probability after the horizon, with the Monte
Carlo standard error of each bound (futures are added until each is at most
:data:`~forecasting.core.constants.CONFIDENCE_MCSE`), the expected absolute move, and the
chance that the leading scenario changes. The mean over futures is today's probability (a
martingale), which the tests check.

What the weighing of futures buys with its complexity (:func:`weigh`): a set of reports
already weighed in an earlier batch of futures is remembered, not weighed again; where each
scenario has atoms of its own (categorical probabilities) a set is weighed by products of
powers, a few scenarios at a time (:func:`~forecasting.core.stats.log_power_sums`); values of
a discrete kind are weighed once each however many reports hold them. In process, on the
questions of ``benchmarks/wide.py``: 300 scenarios 45 s -> 13 s, a categorical indicator of
1,000 categories 75 s -> 19 s (the bundled question 0.39 s -> 0.27 s), the same numbers to
1e-14.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..core.constants import (
    ARRIVAL_MIN_SPAN_DAYS,
    CONFIDENCE_MCSE,
    RESPONSIVENESS_FUTURES,
    RESPONSIVENESS_MAX_FUTURES,
)
from ..core.stats import log_matmul_exp, log_power_sums, logsumexp, normalise_log
from ..inputs.evidence import Evidence
from ..model.data import IndicatorData, ModelData
from ..model.future import draw_reports, report_log_lik
from .precision import sample_until

#: Equal-weight atoms per scenario where a posterior is held as draws (categorical
#: probabilities). Fixed within a run, their own noise is not in the reported Monte Carlo
#: error: at 512 the bounds' spread across seeds on the bundled question was up to 1.6 times
#: the reported error; 2,048 cost little (a report of a category is weighed once per atom).
ATOMS = 2048
#: Distinct outcomes up to which futures are grouped by what they hold (the discrete kinds).
_GROUPED = 512
#: The key of a memo's table of each value's log likelihoods at the atoms (:func:`_table`).
_ROWS = "rows"
#: Report-by-atom terms computed at once for measured values (bounds the memory: 32 MB).
_PIECE = 4_000_000
#: Distinct values up to which a set of reports is weighed by powers (few values: few factors).
_POWERS = 16
#: Terms summed at once where the atoms are each scenario's own (2 MB: stays in the cache).
_SMALL_PIECE = 262_144


@dataclass(frozen=True)
class Stream:
    """What one indicator's next horizon holds: its reports' number, window and reliability."""

    indicator: str
    exposure: float | None  # a count's window over the horizon (per_days units), else None
    per_horizon: float  # expected number of reports (1 for a count's window)
    reliability: float
    rate_from: str  # "window", "stated" or "observed"


@dataclass(frozen=True)
class Responsiveness:
    """The distribution of each scenario's probability after the next horizon of evidence."""

    horizon_days: float
    lower: np.ndarray  # (K,)
    upper: np.ndarray  # (K,)
    mcse: np.ndarray  # (K, 2): of the lower and the upper bound
    expected_move: np.ndarray  # (K,)
    p_leader_change: float
    futures: int
    streams: tuple[Stream, ...]
    samples: np.ndarray  # (futures, K)
    #: With dynamics: the posterior mass of the regime paths not weighed (:mod:`.unfolding`).
    paths_left_out: float = 0.0


def streams(
    data: ModelData, evidence: Evidence, as_of: dt.date, horizon_days: float
) -> tuple[Stream, ...]:
    """Each indicator's future reports over the horizon (see the module docstring)."""
    dates = {it.id: it.date for it in evidence.items}
    out = []
    for ind in data.indicators:
        r = _reliability(ind)
        exposure = ind.kind.horizon_exposure(ind.spec, horizon_days)
        stated = getattr(ind.spec, "arrivals_per_30_days", None)
        if exposure is not None:
            out.append(Stream(ind.id, exposure, 1.0, r, "window"))
        elif stated is not None:
            out.append(Stream(ind.id, None, stated * horizon_days / 30.0, r, "stated"))
        else:
            out.append(
                Stream(
                    ind.id, None, _observed_rate(ind, dates, as_of) * horizon_days, r, "observed"
                )
            )
    return tuple(out)


def _reliability(ind: IndicatorData) -> float:
    """The median probability that one of the indicator's used items is genuine (1 if none)."""
    if not len(ind.values):
        return 1.0
    r = ind.item_origin_weights * ind.item_credibility * ind.item_relay
    return float(np.clip(np.median(r), 0.0, 1.0))


def _observed_rate(ind: IndicatorData, dates: dict[str, dt.date], as_of: dt.date) -> float:
    """Reports per day: distinct (origin, event) reports over the span since the first."""
    if not ind.item_ids:
        return 0.0
    reports = {
        (o, e if e is not None else i)
        for i, o, e in zip(ind.item_ids, ind.item_origins, ind.item_events, strict=True)
    }
    first = min(dates[i] for i in ind.item_ids)
    span = max((as_of - first).days, ARRIVAL_MIN_SPAN_DAYS)
    return len(reports) / span


def measure_responsiveness(
    data: ModelData,
    probability: np.ndarray,
    plan: tuple[Stream, ...],
    horizon_days: float,
    *,
    seed: int,
    futures: int = RESPONSIVENESS_FUTURES,
    max_futures: int = RESPONSIVENESS_MAX_FUTURES,
    target_mcse: float = CONFIDENCE_MCSE,
) -> Responsiveness:
    """Simulate futures until every bound's Monte Carlo error is at most ``target_mcse``."""
    rng = np.random.default_rng(seed)
    atoms = {ind.id: prune(*ind.model.atoms(rng, ATOMS)) for ind in data.indicators}
    memo: dict[str, dict] = {}  # the weights of the sets of reports weighed so far
    samples, bounds, mcse = sample_until(
        lambda m: _simulate(data, probability, plan, atoms, m, rng, memo),
        futures,
        max_futures,
        target_mcse,
    )
    n = len(samples)
    leader = int(np.argmax(probability))
    return Responsiveness(
        horizon_days=float(horizon_days),
        lower=bounds[:, 0],
        upper=bounds[:, 1],
        mcse=mcse,
        expected_move=np.mean(np.abs(samples - probability[None, :]), axis=0),
        p_leader_change=float(np.mean(np.argmax(samples, axis=1) != leader)),
        futures=n,
        streams=plan,
        samples=samples,
    )


def _simulate(
    data: ModelData,
    probability: np.ndarray,
    plan: tuple[Stream, ...],
    atoms: dict[str, tuple[np.ndarray, np.ndarray]],
    n: int,
    rng: np.random.Generator,
    memo: dict[str, dict] | None = None,
) -> np.ndarray:
    """``n`` futures: the probabilities after each, ``(n, K)``.

    ``memo`` (per indicator) keeps the weight of each set of reports already weighed, for
    the next batch of futures (the atoms are the same).
    """
    k = data.n_scenarios
    truth = rng.choice(k, size=n, p=probability / probability.sum())
    log_new = np.zeros((n, k))
    for stream, ind in zip(plan, data.indicators, strict=True):
        m = (
            np.ones(n, dtype=int)
            if stream.exposure is not None
            else rng.poisson(stream.per_horizon, size=n)
        )
        if not m.any():
            continue
        theta, log_w = atoms[ind.id]
        w = np.exp(log_w)
        pick = np.empty(n, dtype=int)
        for s in range(k):
            rows = np.flatnonzero(truth == s)
            if len(rows):
                pick[rows] = rng.choice(w.shape[1], size=len(rows), p=w[s] / w[s].sum())
        owner = np.repeat(np.arange(n), m)
        exposure = 1.0 if stream.exposure is None else stream.exposure
        values = draw_reports(
            ind, theta[truth[owner], pick[owner]], exposure, stream.reliability, rng
        )
        log_new += weigh(
            ind,
            values,
            owner,
            n,
            exposure,
            stream.reliability,
            theta,
            log_w,
            None if memo is None else memo.setdefault(ind.id, {}),
        )
    with np.errstate(divide="ignore"):  # a scenario of probability 0 stays at 0
        log_p = np.log(probability)
    return normalise_log(log_p[None, :] + log_new, axis=1)


def weigh(
    ind: IndicatorData,
    values: np.ndarray,
    owner: np.ndarray,
    n: int,
    exposure: float,
    reliability: float,
    theta: np.ndarray,
    log_w: np.ndarray,
    memo: dict | None = None,
) -> np.ndarray:
    """``log sum_g w_kg prod_(reports of a future) L(y | theta_kg)`` per future, ``(n, K)``.

    ``owner`` (sorted) says which future each report of ``values`` belongs to. ``memo`` maps
    a set of reports (values and how many times each) to its weights, ``(K,)``: sets already
    in it are not weighed again, new ones are added.
    """
    k, g = log_w.shape
    if theta.ndim == 2 and np.all(theta == theta[:1]):
        theta = theta[:1]  # atoms shared by every scenario: each report's likelihood once
    distinct, which = np.unique(values, return_inverse=True)
    u = len(distinct)
    if u <= _GROUPED:
        # futures that hold the same reports weigh the same: group them
        counts = np.zeros((n, u))
        np.add.at(counts, (owner, which.reshape(-1)), 1.0)
        kinds, member = _unique_rows(counts)
        memo = {} if memo is None else memo
        keys = [(distinct[c > 0].tobytes(), c[c > 0].tobytes()) for c in kinds]
        new = [f for f, key in enumerate(keys) if key not in memo]
        if new:
            table = _table(ind, distinct, exposure, reliability, theta, memo)  # (U, K, G)
            weighed = _grouped(kinds[new], table, log_w)
            memo.update(zip([keys[f] for f in new], weighed, strict=True))
        return np.stack([memo[key] for key in keys])[member.reshape(-1)]
    rows = len(theta)
    if not ind.kind.measured:
        # many distinct values of a discrete kind (such as 1,000 categories): each value
        # weighed once, the futures' sums one sparse product, a piece of futures at a time
        from scipy import sparse  # here only: 8 ms of every command's imports otherwise

        once = report_log_lik(ind, distinct, exposure, reliability, theta).reshape(u, rows * g)
        held = sparse.csr_matrix(
            (np.ones(len(owner)), (owner, which.reshape(-1))), shape=(n, u)
        )  # how many reports of each value each future holds
        out = np.empty((n, k))
        step = max(1, _PIECE // (rows * g))
        for start in range(0, n, step):
            part = slice(start, min(n, start + step))
            out[part] = _over_atoms(np.asarray(held[part] @ once).reshape(-1, rows, g), log_w)
        return out
    # measured values are all distinct: reports in pieces of bounded memory, summed per future
    summed = np.zeros((n, rows, g))
    step = max(1, _PIECE // (rows * g))
    for start in range(0, len(values), step):
        part = slice(start, min(len(values), start + step))
        table = report_log_lik(ind, values[part], exposure, reliability, theta)
        who = owner[part]
        firsts = np.flatnonzero(np.concatenate([[True], who[1:] != who[:-1]]))
        summed[who[firsts]] += np.add.reduceat(table, firsts, axis=0)
    return _over_atoms(summed, log_w)


def _table(
    ind: IndicatorData,
    values: np.ndarray,
    exposure: float,
    reliability: float,
    theta: np.ndarray,
    memo: dict,
) -> np.ndarray:
    """:func:`~forecasting.model.future.report_log_lik` of ``values``, each value's rows once.

    The atoms are the same for every batch of futures, so a value's rows ``(K, G)`` are kept
    in ``memo`` (under :data:`_ROWS`) for the next batch: on 300 scenarios of 2,048 atoms
    each batch recomputed every value it held.
    """
    rows = memo.setdefault(_ROWS, {})
    missing = [v for v in values.tolist() if v not in rows]
    if missing:
        table = report_log_lik(ind, np.array(missing), exposure, reliability, theta)
        rows.update(zip(missing, table, strict=True))
    return np.stack([rows[v] for v in values.tolist()])


def _unique_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(counts, axis=0, return_inverse=True)`` for rows of counts.

    Each row read as the digits of one integer (base: the largest count plus one), which sorts
    as the rows do, so the rows and their order are NumPy's (``axis=0`` sorts the rows as
    records): the bundled question's confidence 0.22 s -> 0.195 s in process.
    """
    base = int(counts.max(initial=0)) + 1
    if counts.shape[1] * np.log2(base) >= 62:  # the key would not fit in 64 bits
        return np.unique(counts, axis=0, return_inverse=True)
    weights = base ** np.arange(counts.shape[1] - 1, -1, -1, dtype=np.int64)
    keys = counts.astype(np.int64) @ weights
    _, first, member = np.unique(keys, return_index=True, return_inverse=True)
    return counts[first], member


def _grouped(kinds: np.ndarray, table: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    """:func:`_over_atoms` of sets of reports: ``(F, K)`` from counts ``kinds`` ``(F, U)``.

    ``table`` ``(U, 1 or K, G)`` holds each value's log likelihood at the atoms; scenarios
    with atoms of their own are summed by :func:`~forecasting.core.stats.log_power_sums`
    (never the ``(F, K, G)`` array of sums: at 300 scenarios and 2,048 atoms, 0.6 GB for
    every 100 sets).
    """
    if table.shape[1] == 1:
        return log_matmul_exp(kinds @ table[:, 0, :], log_w)
    u, rows, g = table.shape
    if u <= _POWERS:
        return log_power_sums(kinds, table, log_w)
    out = np.empty((len(kinds), rows))
    step = max(1, _SMALL_PIECE // (len(kinds) * g))  # a piece stays in the cache
    for start in range(0, rows, step):
        part = slice(start, min(rows, start + step))
        width = part.stop - part.start
        summed = (kinds @ table[:, part, :].reshape(u, width * g)).reshape(-1, width, g)
        out[:, part] = logsumexp(summed + log_w[None, part], axis=2)
    return out


def _over_atoms(summed: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    """``log sum_g w_kg L_fkg``: ``(F, K)`` from ``summed`` ``(F, 1 or K, G)`` and ``log_w``.

    Atoms shared by every scenario (one row of ``summed``) make it a matrix product
    (:func:`~forecasting.core.stats.log_matmul_exp`).
    """
    if summed.shape[1] == 1:
        return log_matmul_exp(summed[:, 0, :], log_w)
    return logsumexp(summed + log_w[None], axis=2)


def prune(theta: np.ndarray, log_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave out atoms that no scenario's posterior needs (beyond ``1 - 1e-12`` of its mass).

    The same atoms still draw the futures and weigh them, so the update stays exact for them.
    """
    order = np.argsort(-log_w, axis=1)
    mass = np.cumsum(np.exp(np.take_along_axis(log_w, order, axis=1)), axis=1)
    needed = np.zeros(log_w.shape[1], dtype=bool)
    for s in range(log_w.shape[0]):
        last = int(np.searchsorted(mass[s], 1.0 - 1e-12)) + 1
        needed[order[s, :last]] = True
    if needed.all():
        return theta, log_w
    kept = log_w[:, needed]
    kept = kept - logsumexp(kept, axis=1)[:, None]
    return theta[:, needed], kept
