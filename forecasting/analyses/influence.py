"""Evidence influence: how much each item of evidence (or indicator, or source) moves the forecast.

For every item, the posterior without it (leave-one-out), the shift per scenario, and its log
Bayes factor for each scenario against the rest (its *diagnosticity*). An item equally likely
under every scenario has Bayes factors near 1 and is not diagnostic, however surprising it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.dims import INDICATOR, ITEM, SCENARIO
from ..core.stats import normalise_log
from ..inputs.evidence import Evidence
from ..kinds import get_kind
from .base import Base, base_of, logit

#: Dimension of origin influence.
ORIGIN = "origin"


def evidence_influence(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Leave-one-out influence of every evidence item (exact, vectorised).

    Returns a Dataset with dims ``(item, scenario)``: ``probability_without`` (the posterior
    without the item), ``shift`` (with minus without), ``log_bayes_factor`` (the item's
    Bayes factor for each scenario against the rest, given the other items) and, per item,
    ``diagnosticity`` (largest absolute log Bayes factor). Coordinates name each item's
    indicator, source, value and weight. Items are in ledger order; sort by diagnosticity.
    """
    base = base_of(source, evidence, as_of)
    data = base.data
    order = {item: n for n, item in enumerate(data.item_ids)}
    lj = np.tile(base.log_joint, (len(data.item_ids), 1))
    for j, ind in enumerate(data.indicators):
        if not ind.item_ids:
            continue
        rows = [order[i] for i in ind.item_ids]
        if base.dynamic:
            n = len(ind.item_ids)
            lj[rows] = base.with_indicator_data(
                j, [ind.with_items(np.arange(n) != i) for i in range(n)]
            )
            continue
        lm_loo = ind.model.loo()
        lj[rows] = base.log_joint[None, :] - base.log_marginals[j][None, :] + lm_loo
    return influence_dataset(
        base, ITEM, list(data.item_ids), lj, coords=item_coords(base), kind="evidence influence"
    )


def influence_dataset(
    base: Base,
    dim: str,
    names: list[str],
    lj: np.ndarray,
    *,
    coords: dict[str, Any] | None = None,
    kind: str,
    n_items: list[int] | None = None,
) -> xr.Dataset:
    """The influence Dataset of leaving out each group of items (``lj``: log joint without)."""
    lj = lj.reshape(len(names), base.data.n_scenarios)
    without = normalise_log(lj)
    log_bf = logit(base.log_joint)[None, :] - logit(lj)
    ds = xr.Dataset(
        {
            "probability_without": ((dim, SCENARIO), without),
            "shift": ((dim, SCENARIO), base.probability[None, :] - without),
            "log_bayes_factor": ((dim, SCENARIO), log_bf),
            "diagnosticity": (
                (dim,),
                np.max(np.abs(log_bf), axis=1) if len(names) else np.zeros(0),
            ),
            "probability": ((SCENARIO,), base.probability),
        },
        coords={dim: names, SCENARIO: base.scenarios, **(coords or {})},
        attrs={"kind": kind, "leader": base.scenarios[base.leader]},
    )
    if n_items is not None:
        ds["n_items"] = ((dim,), n_items)
    return ds


def item_coords(base: Base) -> dict[str, Any]:
    """What each item is: indicator, source, origin, value, date and weight."""
    data = base.data
    if base.evidence is not None:
        by_id = {it.id: it for it in base.evidence.items}
        src = [by_id[i].source for i in data.item_ids]
        origin = [by_id[i].origin for i in data.item_ids]
        val = [get_kind(by_id[i].kind).value_text(by_id[i].value) for i in data.item_ids]
        date = [by_id[i].date.isoformat() for i in data.item_ids]
    else:
        src = [""] * len(data.item_ids)
        origin = [""] * len(data.item_ids)
        val = [""] * len(data.item_ids)
        date = [""] * len(data.item_ids)
    weight = np.zeros(len(data.item_ids))
    order = {item: n for n, item in enumerate(data.item_ids)}
    for ind in data.indicators:
        for item, w in zip(ind.item_ids, ind.weights, strict=True):
            weight[order[item]] = w
    return {
        "item_indicator": (ITEM, list(data.item_indicator)),
        "item_source": (ITEM, src),
        "item_origin": (ITEM, origin),
        "item_value": (ITEM, val),
        "item_date": (ITEM, date),
        "item_weight": (ITEM, weight),
    }


def indicator_influence(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Influence of all items of each indicator together (dims ``indicator, scenario``)."""
    base = base_of(source, evidence, as_of)
    names = [ind.id for ind in base.data.indicators]
    if base.dynamic:
        lj = np.concatenate(
            [
                base.with_indicator_data(j, [ind.with_items(np.zeros(len(ind.values), bool))])
                for j, ind in enumerate(base.data.indicators)
            ]
        ).reshape(len(names), base.data.n_scenarios)
    else:
        lj = base.log_joint[None, :] - base.log_marginals  # drop indicator j's evidence
    return influence_dataset(
        base,
        INDICATOR,
        names,
        lj,
        kind="evidence influence by indicator",
        n_items=[len(i.item_ids) for i in base.data.indicators],
    )


def origin_influence(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Influence of all items of each origin together (dims ``origin, scenario``).

    An origin is who first observed or reported an item (its ``source`` where the ledger names
    no ``origin``): leaving one origin out leaves out everything that rests on it, however many
    outlets relayed it.
    """
    base = base_of(source, evidence, as_of)
    data = base.data
    if base.evidence is None:
        raise ValueError("origin influence needs the evidence items (their origins)")
    by_id = {it.id: it.origin for it in base.evidence.items}
    origins = sorted({by_id[i] for i in data.item_ids})
    rows = []
    for o in origins:
        masks = [
            np.array([by_id[i] == o for i in ind.item_ids], dtype=bool) for ind in data.indicators
        ]
        if base.dynamic:  # the dynamic posterior (at resolution) without the origin's items
            kept = tuple(
                ind.with_items(~mask) for ind, mask in zip(data.indicators, masks, strict=True)
            )
            rows.append(base.dynamic_log_joint(replace(data, indicators=kept)))
            continue
        lm = [ind.model.without(mask) for ind, mask in zip(data.indicators, masks, strict=True)]
        rows.append(base.log_prior + np.sum(lm, axis=0))
    counts = [sum(by_id[i] == o for i in data.item_ids) for o in origins]
    return influence_dataset(
        base, ORIGIN, origins, np.array(rows), kind="evidence influence by origin", n_items=counts
    )
