"""Performance weights for several analysts: Cooke's classical model, for scenario forecasts.

Cooke's classical model (R. M. Cooke, *Experts in Uncertainty*, Oxford 1991, ch. 9 and 12;
Cooke, Mendel and Thijs 1988, "Calibration and information in expert resolution; a classical
approach", Automatica 24:87-94) weighs each expert by how their past probabilities fared on
questions whose answers are known: **calibration** (is the expert statistically accurate?)
times **information** (how far from the base rate are their probabilities?), with experts
whose calibration falls below a cutoff ``alpha`` given weight 0.

Its version for uncertain *events* (rather than quantiles of continuous quantities) puts each
event the expert assessed into one of ``B`` probability bins with bin probabilities
``p_1 .. p_B``. Here each resolved question's forecast over its ``K`` scenarios gives ``K``
events, "scenario ``k`` happens", of probability ``p_k`` (one of them happened); an event goes
to the bin of width 0.1 holding its probability, and the bin's probability is the bin's
centre, ``p_b = 0.05, 0.15, ..., 0.95`` (:data:`BIN_PROBABILITIES`). With ``n_b`` events in
bin ``b``, of which the fraction ``s_b`` happened, and ``N = sum_b n_b``:

- relative information of a yes/no distribution: ``I(s, p) = s ln(s/p) + (1-s) ln((1-s)/(1-p))``
  (``0 ln 0 = 0``);
- **calibration** ``C = 1 - F_B'(2 sum_b n_b I(s_b, p_b))``, ``F_B'`` the chi-square
  distribution function with ``B'`` degrees of freedom, ``B'`` the number of non-empty bins:
  if the events of bin ``b`` happen independently with probability ``p_b``, each bin's
  ``2 n_b I(s_b, p_b)`` is its binomial likelihood-ratio statistic, asymptotically chi-square
  with one degree of freedom, and the bins are independent (Cooke 1991, ch. 9). ``C`` is the
  p-value: the probability of a statistic at least as large from an analyst whose bins are
  right (1 when every ``s_b = p_b``; near 0 for a badly miscalibrated record);
- **information** ``I = (1/N) sum_b n_b I(p_b, r)``: the mean relative information of the bin
  probabilities with respect to the base rate ``r``, the fraction of all ``N`` events that
  happened (``1/K`` for questions of ``K`` scenarios). An analyst who always says ``1/K``
  carries no information;
- **weight** ``w_i ∝ C_i * I_i * 1[C_i >= alpha]``, normalised to sum to 1.

The cutoff ``alpha`` is, as in Cooke's "optimised decision maker", the one that maximises the
pool's own combined score ``C_DM * I_DM`` on the same resolved questions (the pool of the
analysts' records under the candidate weights, scored like an analyst): the candidates are the
analysts' calibration scores (any ``alpha`` between two of them gives the same weights), ties
go to the smallest (the most analysts kept). That needs every analyst's records to be on the
same questions (the same outcomes, in the same order); records that are not can only be
weighed with a stated ``alpha``.

The chi-square is asymptotic: with a handful of resolved questions the scores are rough,
which is what they are in Cooke's own studies (typically 10 seed questions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .pooling import DEFAULT_POOL, pool

#: Bin edges: ten bins of width 0.1 (a probability of exactly 1 goes to the last).
BIN_EDGES: np.ndarray = np.linspace(0.0, 1.0, 11)
#: Each bin's probability: its centre.
BIN_PROBABILITIES: np.ndarray = (BIN_EDGES[:-1] + BIN_EDGES[1:]) / 2
#: What to say when no analyst has a resolved record.
NO_RECORDS = "no resolved questions to weigh the analysts by; use equal weights"

#: One record: a forecast's probabilities over the scenarios, and the scenario that happened
#: (its index, or its id when the probabilities are a mapping by scenario id).
Record = tuple[Sequence[float] | Mapping[str, float] | np.ndarray, int | str]


def relative_information(s: np.ndarray | float, p: np.ndarray | float) -> np.ndarray:
    """``I(s, p) = s ln(s/p) + (1-s) ln((1-s)/(1-p))`` of yes/no distributions, elementwise."""
    from scipy.special import rel_entr

    s = np.asarray(s, dtype=float)
    p = np.asarray(p, dtype=float)
    return rel_entr(s, p) + rel_entr(1.0 - s, 1.0 - p)


def events(records: Sequence[Record]) -> tuple[np.ndarray, np.ndarray]:
    """Each record's scenarios as yes/no events: (probabilities, happened), flat.

    Raises :class:`ValueError` for a record whose probabilities are not a distribution or whose
    outcome is not one of its scenarios.
    """
    p_all, o_all = [], []
    for n, (probabilities, outcome) in enumerate(records):
        if isinstance(probabilities, Mapping):
            ids = list(probabilities)
            if outcome not in ids:
                raise ValueError(f"record {n + 1}: outcome {outcome!r} is not one of {ids}")
            k = ids.index(outcome)
            p = np.array([probabilities[i] for i in ids], dtype=float)
        else:
            p = np.asarray(probabilities, dtype=float)
            if isinstance(outcome, bool) or not isinstance(outcome, int | np.integer):
                raise ValueError(f"record {n + 1}: outcome must be a scenario's index")
            k = int(outcome)
            if not 0 <= k < p.size:
                raise ValueError(f"record {n + 1}: outcome {k} is not a scenario's index")
        if p.ndim != 1 or p.size < 2 or not np.all(np.isfinite(p)) or np.any(p < 0):
            raise ValueError(f"record {n + 1}: probabilities must be 2 or more numbers >= 0")
        if abs(p.sum() - 1.0) > 1e-6:
            raise ValueError(f"record {n + 1}: probabilities sum to {p.sum():.6g}, not 1")
        happened = np.zeros(p.size)
        happened[k] = 1.0
        p_all.append(p / p.sum())
        o_all.append(happened)
    if not p_all:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(p_all), np.concatenate(o_all)


def bins(p: np.ndarray) -> np.ndarray:
    """The bin of each probability (0 .. 9): ``[0, 0.1)``, ..., ``[0.9, 1]``."""
    return np.minimum((np.asarray(p, dtype=float) * 10).astype(int), len(BIN_PROBABILITIES) - 1)


def bin_counts(p: np.ndarray, happened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per bin: the number of events ``n_b`` and how many happened."""
    b = bins(p)
    size = len(BIN_PROBABILITIES)
    return (
        np.bincount(b, minlength=size).astype(float),
        np.bincount(b, weights=happened, minlength=size),
    )


def calibration(p: np.ndarray, happened: np.ndarray) -> tuple[float, float, int]:
    """Cooke's calibration score of events: (score, statistic ``2 sum n_b I(s_b, p_b)``, df)."""
    from scipy.stats import chi2

    n, k = bin_counts(p, happened)
    used = n > 0
    if not used.any():
        raise ValueError("no events to score")
    s = k[used] / n[used]
    stat = float(2.0 * np.sum(n[used] * relative_information(s, BIN_PROBABILITIES[used])))
    df = int(used.sum())
    return float(chi2.sf(stat, df)), stat, df


def information(p: np.ndarray, happened: np.ndarray) -> float:
    """Mean relative information of the events' bin probabilities w.r.t. the base rate."""
    if len(p) == 0:
        raise ValueError("no events to score")
    rate = float(np.mean(happened))
    return float(np.mean(relative_information(BIN_PROBABILITIES[bins(p)], rate)))


@dataclass(frozen=True)
class CookeWeights:
    """Each analyst's calibration, information, number of records and events, and weight.

    ``alpha`` is the cutoff used; ``optimised`` says whether it was chosen to maximise the
    pool's combined score (then ``pool_score`` is that score, by cutoff tried).
    """

    analysts: list[str]
    calibration: np.ndarray
    information: np.ndarray
    records: np.ndarray
    events: np.ndarray
    weights: np.ndarray
    alpha: float
    optimised: bool
    pool_score: dict[float, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the cutoff and each analyst's scores and weight."""
        return {
            "method": "cooke",
            "alpha": self.alpha,
            "alpha_optimised": self.optimised,
            "pool_score": [{"alpha": a, "score": s} for a, s in self.pool_score.items()],
            "analysts": [
                {
                    "name": a,
                    "calibration": float(self.calibration[i]),
                    "information": float(self.information[i]),
                    "combined": float(self.calibration[i] * self.information[i]),
                    "records": int(self.records[i]),
                    "events": int(self.events[i]),
                    "weight": float(self.weights[i]),
                }
                for i, a in enumerate(self.analysts)
            ],
        }


def cooke_weights(
    records: Mapping[str, Sequence[Record]],
    *,
    alpha: float | None = None,
    method: str = DEFAULT_POOL,
    extremize: float = 1.0,
) -> CookeWeights:
    """The classical model's weights of the analysts in ``records`` (name -> their records).

    ``alpha`` ``None``: the cutoff that maximises the pool's (``method``, ``extremize``)
    combined score on the records, which must then be on the same questions; else a number in
    ``[0, 1)``. Raises :class:`ValueError` (:data:`NO_RECORDS` when no analyst has a record).
    """
    names = list(records)
    if not names or not any(len(records[a]) for a in names):
        raise ValueError(NO_RECORDS)
    empty = [a for a in names if not len(records[a])]
    if empty:
        raise ValueError(f"no resolved records for {', '.join(empty)}: every analyst needs some")
    if alpha is not None and (
        isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha < 1
    ):
        raise ValueError(f"the cutoff alpha must be a number in [0, 1), got {alpha!r}")
    flat = [events(records[a]) for a in names]
    cal = np.array([calibration(p, o)[0] for p, o in flat])
    info = np.array([information(p, o) for p, o in flat])
    scores: dict[float, float] = {}
    if alpha is None:
        matrix = aligned(records)
        if matrix is None:
            raise ValueError(
                "the analysts' records are not on the same questions, so the cutoff cannot be "
                "chosen by the pool's score; state the cutoff alpha"
            )
        for candidate in sorted(set(cal.tolist())):
            w = cal * info * (cal >= candidate)
            if w.sum() > 0:
                scores[candidate] = pool_combined_score(matrix, w, method, extremize)
        if not scores:
            raise ValueError("every analyst's calibration times information is 0")
        best = max(scores.values())
        chosen = min(a for a, s in scores.items() if s == best)
    else:
        chosen = float(alpha)
    w = cal * info * (cal >= chosen)
    if w.sum() <= 0:
        raise ValueError(
            f"no analyst has calibration at least {chosen:g} and information above 0; "
            "lower the cutoff or use equal weights"
        )
    return CookeWeights(
        analysts=names,
        calibration=cal,
        information=info,
        records=np.array([len(records[a]) for a in names]),
        events=np.array([len(p) for p, _ in flat]),
        weights=w / w.sum(),
        alpha=float(chosen),
        optimised=alpha is None,
        pool_score=scores,
    )


def aligned(records: Mapping[str, Sequence[Record]]) -> list[tuple[np.ndarray, int]] | None:
    """The records as ``(analysts x scenarios probabilities, outcome)`` per question.

    ``None`` unless every analyst has records on the same questions: as many, in the same
    order, with the same number of scenarios and the same outcome.
    """
    names = list(records)
    lengths = {len(records[a]) for a in names}
    if len(lengths) != 1:
        return None
    out = []
    for rows in zip(*(records[a] for a in names), strict=True):
        probs, outcomes = [], set()
        for probabilities, outcome in rows:
            p, o = events([(probabilities, outcome)])
            probs.append(p)
            outcomes.add(int(np.argmax(o)))
        if len({p.size for p in probs}) != 1 or len(outcomes) != 1:
            return None
        out.append((np.array(probs), outcomes.pop()))
    return out


def pool_combined_score(
    matrix: list[tuple[np.ndarray, int]], weights: np.ndarray, method: str, extremize: float
) -> float:
    """Calibration times information of the pool of each question's forecasts."""
    pooled = [(pool(rows, method, weights, extremize), k) for rows, k in matrix]
    p, o = events(pooled)
    return calibration(p, o)[0] * information(p, o)
