"""Prequential scores: how probable each new item was under the forecast before it.

Each new item's log predictive probability given the evidence before it and the new items
before it in date order, under the mixture over scenarios (Dawid's prequential principle):
``ln p(y_i | E, y_1..y_{i-1}) = ln p(E, y_1..y_i) - ln p(E, y_1..y_{i-1})``, each term the
exact engine's log evidence. The items' scores add up to the week's, ``ln p(new | E)``, and an
origin's to that origin's. Higher is better; a report the forecast thought likely scores near
0, one it thought improbable far below. This is feedback long before a question resolves, and
the data to check sources' reliability later (an origin whose reports keep scoring low is
worse than its grade says, or the scenarios miss something).

Where the week's items are too many to walk one by one within the work budget (the first
update of a large ledger: :mod:`.new_items`), the items left out of the walk are scored
together, after the walked ones (the chain rule holds in any order): their ``log_predictive``
is NaN (``None`` in JSON), attribute ``left_total`` is their joint score, and ``total`` is
still the week's ``ln p(new | E)``.

For a measured (continuous) indicator the score is a log *density*, in the indicator's unit;
for counts, yes/no and categories a log probability. Under the tempered reliability model an
item of weight below 1 has no normalised predictive, so its number is not a probability: such
items are marked ``proper = False``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..engines.exact import exact_posterior
from ..kinds import get_kind
from ..results.forecast import Forecast
from .new_items import NewItems, new_items


def prequential(
    previous: Forecast | None, current: Forecast, *, week: NewItems | None = None
) -> xr.Dataset:
    """Log predictive scores of the items of ``current`` not in ``previous``.

    Returns a Dataset over ``item`` (date order): ``log_predictive`` (nats), ``origin``,
    ``indicator``, ``date``, ``density`` (true for a measured value's log density) and
    ``proper``; attributes ``total`` (the week's ``ln p(new | E)``) and ``n_new``. Scores per
    origin: :func:`by_origin`. ``week``: the new items (:func:`.new_items`) with the models
    already built, to share them with the surprise check.
    """
    week = new_items(previous, current) if week is None else week
    question, walked, left = week.question, week.plan.walked, week.plan.left
    log_evidence = [exact_posterior(week.model(n)).log_evidence for n in range(len(walked) + 1)]
    scores = np.diff(np.array(log_evidence, dtype=float))
    block = 0.0
    if left:  # together, given the evidence and every walked item: the week's total stays whole
        block = exact_posterior(week.model_all).log_evidence - log_evidence[-1]
        scores = np.append(scores, np.full(len(left), np.nan))
    fresh = [*walked, *left]
    tempered = question.reliability == "tempered"
    return _dataset(
        [it.id for it in fresh],
        scores,
        origin=[it.origin for it in fresh],
        indicator=[it.indicator for it in fresh],
        date=[it.date.isoformat() for it in fresh],
        density=[get_kind(question.indicators[it.indicator].kind).measured for it in fresh],
        proper=[not tempered or it.weight >= 1.0 for it in fresh],
        left_total=block,
    )


def empty() -> xr.Dataset:
    """The scores of no items (a week without new evidence, or no archived forecast)."""
    none: list = []
    return _dataset(none, np.zeros(0), none, none, none, none, none)


def _dataset(
    ids, scores, origin, indicator, date, density, proper, left_total: float = 0.0
) -> xr.Dataset:
    text = {"origin": origin, "indicator": indicator, "date": date}
    flags = {"density": density, "proper": proper}
    scored = np.isfinite(scores) | np.isneginf(scores)  # NaN: left out of the walk
    return xr.Dataset(
        {"log_predictive": (("item",), scores)}
        | {k: (("item",), np.array(v, dtype=object)) for k, v in text.items()}
        | {k: (("item",), np.array(v, dtype=bool)) for k, v in flags.items()},
        coords={"item": np.array(ids, dtype=object)},
        attrs={
            "total": float(scores[scored].sum() + left_total),
            "n_new": len(ids),
            "n_scored": int(scored.sum()),
            "left_total": float(left_total),
        },
    )


def records(scores: xr.Dataset) -> list[dict[str, Any]]:
    """Each item's score as JSON-ready data, for the update's summary and ``score``.

    Keys ``id``, ``origin``, ``indicator``, ``date``, ``log_predictive``, ``density``,
    ``proper``.
    """
    return [
        {
            "id": str(i),
            "origin": str(scores["origin"].values[n]),
            "indicator": str(scores["indicator"].values[n]),
            "date": str(scores["date"].values[n]),
            "log_predictive": _score(scores["log_predictive"].values[n]),
            "density": bool(scores["density"].values[n]),
            "proper": bool(scores["proper"].values[n]),
        }
        for n, i in enumerate(scores["item"].values)
    ]


def _score(value: float) -> float | None:
    """A score as JSON: ``None`` for an item left out of the walk (not scored alone)."""
    return None if np.isnan(value) else float(value)


def by_origin(scores: xr.Dataset) -> dict[str, dict[str, float]]:
    """Each origin's scored items: how many, their summed and mean log predictive score."""
    out: dict[str, dict[str, float]] = {}
    for origin, value in zip(scores["origin"].values, scores["log_predictive"].values, strict=True):
        if np.isnan(value):
            continue
        row = out.setdefault(str(origin), {"n_items": 0, "total": 0.0})
        row["n_items"] += 1
        row["total"] += float(value)
    for row in out.values():
        row["mean"] = row["total"] / row["n_items"]
    return out
