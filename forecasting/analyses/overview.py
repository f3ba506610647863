"""What a forecast rests on: every exact analysis of evidence and judgements in one DataTree.

Two different questions, named differently everywhere:

* **Evidence influence** (:mod:`.influence`): how much does each *item of evidence* move the
  forecast? Leave-one-out per item, per indicator and per origin.
* **Judgement sensitivity** (:mod:`.judgements`): how much does each *elicited quantity* move
  the forecast? Each likelihood, prior, the prior concentration and each reliability, moved
  over its own plausible range.

Built on these: tipping points (:mod:`.tipping`), the next observation and the value of
information (:mod:`.observation`); for MCMC output, power scaling and importance-reweighted
influence (:mod:`.sampled`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..inputs.evidence import Evidence
from ..results.forecast import Forecast
from .base import base_of
from .influence import evidence_influence, indicator_influence, origin_influence
from .judgements import JUDGEMENT, concentration_intervals, judgement_sensitivity, sweep
from .observation import next_observation, value_of_information
from .sampled import power_scaling
from .tipping import item_tipping_points, sweep_range, tipping_points


def sensitivity(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.DataTree:
    """Every exact analysis in one DataTree.

    Groups: ``evidence_influence``, ``indicator_influence``, ``origin_influence``,
    ``judgement_sensitivity``, ``concentration_intervals``, ``tipping_points``,
    ``item_tipping_points``, ``next_observation``, ``value_of_information`` and ``sweep`` (the
    curve of the judgement that moves the leading scenario most, over its range widened to
    show where it flips the leader). When ``source`` is an MCMC
    :class:`~forecasting.Forecast`, also ``power_scaling``.
    """
    base = base_of(source, evidence, as_of)
    js, tp = judgement_sensitivity(base), tipping_points(base)
    groups = {
        "evidence_influence": evidence_influence(base),
        "indicator_influence": indicator_influence(base),
        "judgement_sensitivity": js,
        "concentration_intervals": concentration_intervals(
            base, forecast=source if isinstance(source, Forecast) else None
        ).to_dataset(),
        "tipping_points": tp,
        "item_tipping_points": item_tipping_points(base),
        "next_observation": next_observation(base),
        "value_of_information": value_of_information(base),
    }
    if js.sizes.get(JUDGEMENT, 0):
        # the curve of the judgement that moves the leader most
        jid = str(js[JUDGEMENT].values[int(np.argmax(js["leader_swing"].values))])
        groups["sweep"] = sweep(base, jid, sweep_range(js, tp, jid)).to_dataset()
    if base.evidence is not None:
        groups["origin_influence"] = origin_influence(base)
    if isinstance(source, Forecast) and source.engine == "mcmc" and source.now is None:
        # (with dynamics the likelihood is not a sum over items given the scenario)
        groups["power_scaling"] = power_scaling(source)
    tree = xr.DataTree.from_dict(groups)
    tree.attrs = {
        "question": base.data.question_id,
        "leader": base.scenarios[base.leader],
        "scenarios": list(base.scenarios),
        "labels": list(base.data.labels),
    }
    return tree
