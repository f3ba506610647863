"""The surprise check: how probable the new items were before they arrived.

For every new item, the predictive tail probability (the chance of an observation at most as
probable as the one seen) under each scenario and under the previous forecast's mixture, given
the evidence before it; under the truth-mixture model, of a report as reliable as this one
(its predictive mixes the genuine predictive and the noise), and for a report whose origin or
event was heard from before, its predictive given those reports. An item whose tail probability
is below :data:`SURPRISE_THRESHOLD` under *every* scenario is improbable whichever scenario
holds: the scenario set may be incomplete.

The week's new items are also tested together: each one's tail given the evidence before it
*and the new items before it* (in date order) is, under the model, a p-value independent of
the others' (the prequential principle; for counts, yes/no and categories a conservative one),
and Fisher's method combines them: ``-2 sum log p_i`` against a chi-squared with ``2n``
degrees of freedom. Several items each a little surprising can be improbable together.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import special

from ..core.constants import CATCH_ALL, CATCH_ALL_THRESHOLD
from ..core.dims import SCENARIO
from ..core.stats import normalise_log
from ..inputs.evidence import Evidence, EvidenceItem
from ..model import dynamics
from ..model.data import ModelData, relay
from ..results.forecast import Forecast
from .new_items import NewItems, new_items

#: Tail probability below which a new item counts as improbable under a scenario.
SURPRISE_THRESHOLD = 0.01


def surprise(
    previous: Forecast | None,
    current: Forecast,
    *,
    threshold: float = SURPRISE_THRESHOLD,
    week: NewItems | None = None,
) -> xr.Dataset:
    """How probable each new item was before it arrived, under each scenario and overall.

    For every item of ``current`` not in ``previous`` (all items if there is no previous
    forecast): ``tail_probability`` (item, scenario), the predictive probability of an
    observation at most as probable as the one seen, given the evidence before it, under each
    scenario; the same under the previous forecast's mixture (``tail_forecast``);
    ``improbable`` when the tail is below ``threshold`` under every scenario.
    ``attrs["flagged"]`` is true when any item is. ``week``: the new items of ``previous``
    and ``current`` (:func:`.new_items`) with the models already built, to share them with
    the prequential scores.
    """
    week = new_items(previous, current) if week is None else week
    question, before, fresh = week.question, week.before, week.fresh
    data = week.model(0)
    k = data.n_scenarios
    if data.timeline is None:
        with np.errstate(divide="ignore"):
            weights = normalise_log(np.log(data.prior) + data.log_marginals().sum(axis=0))
    else:  # not used: the dynamic tail weighs the scenarios by the report's period
        weights = np.full(k, 1.0 / k)
    plan = week.plan
    tails = np.full((len(fresh), k), np.nan)  # NaN: not computed (beyond the work budget)
    mix = np.full(len(fresh), np.nan)
    for n, it in enumerate(fresh):
        if it.id in plan.alone:
            tails[n], mix[n] = _item_tail(question, data, before, it, weights)
    with np.errstate(invalid="ignore"):
        improbable = np.all(tails < threshold, axis=1) if len(fresh) else np.zeros(0, dtype=bool)
    computed = [n for n, it in enumerate(fresh) if it.id in plan.alone]
    alone = {fresh[n].id: tails[n] for n in computed} if data.timeline is None else {}
    joint = _joint_tail(week, weights, alone) if len(plan.walked) > 1 else np.ones(k)
    joint_improbable = bool(np.all(joint < threshold))
    return xr.Dataset(
        {
            "tail_probability": (("item", SCENARIO), tails),
            "tail_forecast": (("item",), mix),
            "improbable": (("item",), improbable),
            "joint_tail": ((SCENARIO,), joint),
        },
        coords={"item": [it.id for it in fresh], SCENARIO: list(data.scenarios)},
        attrs={
            "threshold": threshold,
            "flagged": bool(improbable.any()) or joint_improbable,
            "joint_improbable": joint_improbable,
            "n_new": len(fresh),
            # what the budget of work left out (:mod:`.new_items`)
            "n_joint": len(plan.walked),
            "joint_items": [it.id for it in plan.walked],
            "untested": [it.id for it in fresh if it.id not in plan.alone],
        },
    )


def catch_all_flag(current: Forecast) -> float | None:
    """The catch-all scenario's probability if it is at or above :data:`CATCH_ALL_THRESHOLD`."""
    if CATCH_ALL not in current.scenarios:
        return None
    p = float(current.probabilities.sel(scenario=CATCH_ALL))
    return p if p >= CATCH_ALL_THRESHOLD else None


def _genuine(item: EvidenceItem, question) -> float:
    """The probability that an item is a genuine report (origin, credibility, relays)."""
    return item.origin_weight * (item.credibility or 0.0) * relay(item.via, question.relays or {})


def _item_tail(
    question,
    data: ModelData,
    before: list,
    it: EvidenceItem,
    weights: np.ndarray,
    with_it: ModelData | None = None,
) -> tuple[np.ndarray, float]:
    """An item's tail given the evidence ``before`` it (``data``): per scenario, and mixed.

    Under the truth mixture a report whose origin has earlier reports on the indicator, or
    whose event was reported before, is judged by its predictive given them (see
    :meth:`~forecasting.model.likelihood.Mixture.report_tail`); any other as one more report
    of its reliability. ``with_it``: the model of ``before`` and the item, where at hand.
    """
    ind = next(i for i in data.indicators if i.id == it.indicator)
    if data.timeline is not None:
        return _dynamic_tail(question, data, ind, it)
    if ind.reliability_model == "mixture" and any(
        b.indicator == it.indicator
        and (b.origin == it.origin or (it.event is not None and b.event == it.event))
        for b in before
    ):
        if with_it is None:
            with_it = ModelData.build(question, Evidence(question.id, (*before, it)))
        ind = next(i for i in with_it.indicators if i.id == it.indicator)
        return ind.model.report_tail(ind.item_ids.index(it.id), weights)
    return ind.model.tail(it.value, it.exposure, weights, _genuine(it, question))


def _dynamic_tail(question, data: ModelData, ind, it: EvidenceItem) -> tuple[np.ndarray, float]:
    """An item's tail under dynamics: "under scenario k" is "its period's regime is k".

    (:func:`~forecasting.model.dynamics.predictive_density`.) A report whose origin or event
    was heard from before is judged as a new report here.
    """
    code = ind.kind.encode(ind.spec, it.value)
    t = float(it.exposure or 1.0)
    support, obs, log_measure = ind.kind.tail_support(ind, code, t)
    genuine = _genuine(it, question) if ind.reliability_model == "mixture" else 1.0
    dens, weights = dynamics.predictive_density(
        data, ind, support, t, genuine, it.reference_date.toordinal()
    )
    return ind.kind.tails(dens, log_measure, obs, weights)


def _joint_tail(
    week: NewItems, weights: np.ndarray, alone: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """Fisher's combination of the walked new items' sequential tails, per scenario ``(K,)``.

    The items the work budget lets the walk take (:attr:`.NewItems.plan`), in date order.
    ``alone``: each item's tail given the evidence before the week (without dynamics). An item
    whose indicator no earlier walked item reports on has that same tail (a scenario's tail
    depends only on its indicator's items): it is not computed again.
    """
    alone = alone or {}
    log_p = np.zeros(len(weights))
    seen: set[str] = set()
    walked = week.plan.walked
    for n, it in enumerate(walked):
        if it.id in alone and it.indicator not in seen:
            per = alone[it.id]
        else:
            per, _ = _item_tail(
                week.question, week.model(n), week.known(n), it, weights, week.model(n + 1)
            )
        seen.add(it.indicator)
        log_p += np.log(np.clip(per, 1e-300, 1.0))
    # P(chi2_{2n} >= -2 sum log p) = Q(n, -sum log p), the regularised upper incomplete gamma
    return special.gammaincc(len(walked), -log_p)
