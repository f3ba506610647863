"""The surprise check: how probable each new item was before it arrived.

For every new item, the predictive tail probability (the chance of an observation at most as
probable as the one seen) under each scenario and under the previous forecast's mixture, given
the evidence before it. An item whose tail probability is below :data:`SURPRISE_THRESHOLD`
under *every* scenario is improbable whichever scenario holds: the scenario set may be
incomplete.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..core.dims import SCENARIO
from ..core.stats import normalise_log
from ..inputs.evidence import Evidence
from ..model.data import ModelData, relay
from ..results.forecast import Forecast

#: Tail probability below which a new item counts as improbable under a scenario.
SURPRISE_THRESHOLD = 0.01


def surprise(
    previous: Forecast | None, current: Forecast, *, threshold: float = SURPRISE_THRESHOLD
) -> xr.Dataset:
    """How probable each new item was before it arrived, under each scenario and overall.

    For every item of ``current`` not in ``previous`` (all items if there is no previous
    forecast): ``tail_probability`` (item, scenario), the predictive probability of an
    observation at most as probable as the one seen, given the evidence before it, under each
    scenario; the same under the previous forecast's mixture (``tail_forecast``);
    ``improbable`` when the tail is below ``threshold`` under every scenario.
    ``attrs["flagged"]`` is true when any item is.
    """
    question = current.question_spec()
    new_ev = current.evidence()
    old_ids = set() if previous is None else {it["id"] for it in previous.evidence_items}
    before = [it for it in new_ev.items if it.id in old_ids]
    fresh = [it for it in new_ev.items if it.id not in old_ids]
    data = ModelData.build(question, Evidence(question.id, tuple(before)))
    with np.errstate(divide="ignore"):
        lj = np.log(data.prior) + data.log_marginals().sum(axis=0)
    weights = normalise_log(lj)
    k = data.n_scenarios
    tails = np.zeros((len(fresh), k))
    mix = np.zeros(len(fresh))
    for n, it in enumerate(fresh):
        ind = next(i for i in data.indicators if i.id == it.indicator)
        genuine = it.origin_weight * (it.credibility or 0.0) * relay(it.via, question.relays or {})
        tails[n], mix[n] = ind.model.tail(it.value, it.exposure, weights, genuine)
    improbable = np.all(tails < threshold, axis=1) if len(fresh) else np.zeros(0, dtype=bool)
    return xr.Dataset(
        {
            "tail_probability": (("item", SCENARIO), tails),
            "tail_forecast": (("item",), mix),
            "improbable": (("item",), improbable),
        },
        coords={"item": [it.id for it in fresh], SCENARIO: list(data.scenarios)},
        attrs={"threshold": threshold, "flagged": bool(improbable.any()), "n_new": len(fresh)},
    )
