"""The next observation: what it could show, and what it is worth (what to watch next).

For each indicator, the posterior predictive distribution of one more observation (each kind
says which values it can take, :meth:`~forecasting.kinds.base.Kind.outcomes`; for counts over
one ``per_days`` period), the forecast after each, and the value of information: the expected
drop in the entropy of the scenario probabilities and the chance that the leader changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from scipy import special

from ..core.dims import INDICATOR, SCENARIO
from ..core.errors import InputError, Problem
from ..core.stats import entropy, normalise_log
from ..inputs.evidence import Evidence
from ..model import dynamics
from ..model.data import IndicatorData
from .base import Base, base_of

OUTCOME = "outcome"


def _usual_exposure(base: Base, ind: IndicatorData) -> float:
    """The window of a next count observation: one ``per_days`` period (exposure 1)."""
    return 1.0


def _outcomes(base: Base, ind: IndicatorData, exposure: float) -> tuple[np.ndarray, np.ndarray]:
    """Possible next observations and their posterior predictive probabilities (by the kind)."""
    return ind.kind.outcomes(
        ind,
        base.probability,
        exposure,
        lambda outcomes: _predictive(base, ind, outcomes, exposure),
    )


def _predictive(
    base: Base, ind: IndicatorData, outcomes: np.ndarray, exposure: float
) -> np.ndarray:
    """``p(y | E) = sum_k P(k | E) p(y | k, E)`` (a confirmed observation, weight 1).

    With dynamics ``k`` is the regime of the period after the as-of date's.
    """
    if base.dynamic:
        dens, weights = dynamics.predictive_density(
            base.data, ind, outcomes, exposure, 1.0, _next_day(base)
        )
        return dens @ weights
    log_pred_k = ind.model.predictive(outcomes, exposure)
    with np.errstate(divide="ignore"):  # a scenario of probability 0 contributes nothing
        log_p = np.log(base.probability)
    return np.exp(special.logsumexp(log_pred_k + log_p[None, :], axis=1))


def _next_day(base: Base) -> float:
    """With dynamics, the day a next report is about: one period after the as-of date."""
    tl = base.data.timeline
    return tl.as_of + tl.period_days


def _with_outcomes(base: Base, j: int, ind, outcomes, weight, exposure) -> np.ndarray:
    """Log posteriors ``(m, K)`` after one more report of each of ``outcomes``."""
    if not base.dynamic:
        return base.with_indicator(j, ind.model.with_outcomes(outcomes, weight, exposure))
    day = _next_day(base)
    return base.with_indicator_data(
        j, [ind.plus_report(float(y), weight, exposure, day) for y in outcomes]
    )


def _after_next(base: Base, j: int, weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indicator ``j``'s next outcomes, their predictive probabilities, the posteriors after each.

    Kept in ``base.memo``: :func:`next_observation` and :func:`value_of_information` ask the
    same of one base (a second of CPU on the bundled question, half its next-observation work).
    """
    key = ("next observation", j, float(weight))
    if key not in base.memo:
        ind = base.data.indicators[j]
        exposure = _usual_exposure(base, ind)
        outcomes, pred = _outcomes(base, ind, exposure)
        post = normalise_log(_with_outcomes(base, j, ind, outcomes, weight, exposure))
        base.memo[key] = (outcomes, pred, post)
    return base.memo[key]


def next_observation(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    weight: float = 1.0,
    min_probability: float = 1e-4,
) -> xr.Dataset:
    """What one more observation of each indicator could show and what each would do.

    For each indicator and each possible next observation (for counts: over one ``per_days``
    period), its posterior predictive probability, the scenario probabilities after it (an
    item of reliability ``weight``), and whether the leader changes. Outcomes less probable
    than ``min_probability`` are left out, unless they would change the leader.
    Dims ``(outcome, scenario)``; ``outcome_value`` is each outcome in words, ``outcome_code``
    as the number the model computes with (a count, 1/0, a category's index, a measurement).
    """
    _check_weight(weight)
    base = base_of(source, evidence, as_of)
    rows_ind, rows_val, rows_code, rows_p, rows_post, rows_exp = [], [], [], [], [], []
    for j, ind in enumerate(base.data.indicators):
        exposure = _usual_exposure(base, ind)
        outcomes, pred, post = _after_next(base, j, weight)
        keep = pred >= min_probability
        keep |= np.argmax(post, axis=1) != base.leader  # always show what would flip it
        for o, p, row in zip(outcomes[keep], pred[keep], post[keep], strict=True):
            rows_ind.append(ind.id)
            rows_val.append(ind.kind.outcome_text(ind, o))
            rows_code.append(o)
            rows_p.append(p)
            rows_post.append(row)
            rows_exp.append(exposure)
    post = np.array(rows_post).reshape(-1, base.data.n_scenarios)
    leaders = [base.scenarios[int(k)] for k in np.argmax(post, axis=1)] if len(post) else []
    return xr.Dataset(
        {
            "predictive_probability": ((OUTCOME,), np.array(rows_p, dtype=float)),
            "probability": ((OUTCOME, SCENARIO), post),
            "leader": ((OUTCOME,), leaders),
            "flips": (
                (OUTCOME,),
                np.array([ld != base.scenarios[base.leader] for ld in leaders], dtype=bool),
            ),
        },
        coords={
            OUTCOME: np.arange(len(rows_ind)),
            SCENARIO: base.scenarios,
            "outcome_indicator": (OUTCOME, rows_ind),
            "outcome_value": (OUTCOME, rows_val),
            "outcome_code": (OUTCOME, np.array(rows_code, dtype=float)),
            "outcome_exposure": (OUTCOME, np.array(rows_exp, dtype=float)),
        },
        attrs={"kind": "next observation", "leader": base.scenarios[base.leader], "weight": weight},
    )


def value_of_information(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Expected value of one more (confirmed) observation of each indicator.

    ``entropy_reduction`` is the expected drop in the entropy (nats) of the scenario
    distribution, i.e. the mutual information between the scenario and the next observation
    under the posterior predictive; ``p_leader_change`` the probability that the most likely
    scenario changes; ``expected_leader_move`` the expected absolute change of the leading
    scenario's probability, ``sum_o p(o) |P(leader | o) - P(leader)|`` (the value of
    information in probability terms). Dims ``(indicator,)``; rank by any to decide what to
    watch next.
    """
    base = base_of(source, evidence, as_of)
    h0 = float(entropy(base.probability))
    names, gain, change, move, exposures = [], [], [], [], []
    for j, ind in enumerate(base.data.indicators):
        exposure = _usual_exposure(base, ind)
        outcomes, pred, post = _after_next(base, j, 1.0)
        names.append(ind.id)
        gain.append(h0 - float(np.sum(pred * entropy(post, axis=1))))
        change.append(float(np.sum(pred[np.argmax(post, axis=1) != base.leader])))
        now = base.probability[base.leader]
        move.append(float(np.sum(pred * np.abs(post[:, base.leader] - now))))
        exposures.append(exposure)
    return xr.Dataset(
        {
            "entropy_reduction": ((INDICATOR,), np.array(gain)),
            "p_leader_change": ((INDICATOR,), np.array(change)),
            "expected_leader_move": ((INDICATOR,), np.array(move)),
            "exposure": ((INDICATOR,), np.array(exposures)),
        },
        coords={INDICATOR: names},
        attrs={
            "kind": "value of information",
            "entropy": h0,
            "leader": base.scenarios[base.leader],
        },
    )


def _check_weight(weight: Any) -> None:
    """A next observation's reliability: a number in (0, 1]."""
    if not (
        isinstance(weight, int | float | np.floating | np.integer)
        and not isinstance(weight, bool)
        and 0 < float(weight) <= 1
    ):
        raise InputError(
            [Problem(None, None, "weight", f"must be a reliability in (0, 1], got {weight!r}")]
        )
