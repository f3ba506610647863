"""Several analysts' forecasts of one question, and their pool.

Made by :func:`forecasting.api.forecast_analysts`: each analyst's exact posterior under the
question with the analyst's overlay (:mod:`forecasting.inputs.overlays`), on the same evidence,
and the pool of them (:mod:`forecasting.core.pooling`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ..confidence import Confidence, analyst_spread


@dataclass(frozen=True)
class AnalystForecasts:
    """Per-analyst and pooled scenario probabilities.

    ``probabilities`` is a Dataset with dims ``analyst`` x ``scenario``: ``probability``
    (each analyst's), ``weight`` (the pool's weight of each analyst), ``pooled`` (the pool),
    ``shared`` (the shared question's own forecast, which no analyst's overlay changes; not
    in the pool) and ``spread`` (the largest minus the smallest analyst's probability).
    ``confidence`` is the shared question's analytic confidence, its range of reasonable
    opinion reading the analysts' actual spread (``None`` when not computed).
    ``weighting`` is ``equal``, ``given`` or ``cooke``; with ``cooke``, ``performance`` holds
    each analyst's calibration, information and weight and the cutoff
    (:meth:`forecasting.core.cooke.CookeWeights.to_dict`).
    """

    question_id: str
    title: str
    as_of: dt.date
    labels: dict[str, str]
    method: str
    extremize: float
    probabilities: xr.Dataset
    rationales: dict[str, str | None]
    files: dict[str, str | None]
    n_items: int
    confidence: Confidence | None = None
    weighting: str = "equal"
    performance: dict[str, Any] | None = None

    @property
    def analysts(self) -> list[str]:
        """The analysts, in the order given."""
        return [str(a) for a in self.probabilities.analyst.values]

    @property
    def scenarios(self) -> list[str]:
        """The scenario ids."""
        return [str(s) for s in self.probabilities.scenario.values]

    @property
    def pooled(self) -> xr.DataArray:
        """The pooled probabilities (dim ``scenario``)."""
        return self.probabilities["pooled"]

    @property
    def spread(self) -> xr.DataArray:
        """Largest minus smallest analyst's probability, per scenario."""
        return self.probabilities["spread"]

    @property
    def leader(self) -> str:
        """The pool's leading scenario."""
        return self.scenarios[int(np.argmax(self.pooled.values))]

    @property
    def leaders(self) -> dict[str, str]:
        """Each analyst's leading scenario."""
        spread = analyst_spread(self.probabilities)
        return dict(zip(self.analysts, spread["analyst_leaders"], strict=True))

    @property
    def leader_spread(self) -> float:
        """Largest minus smallest analyst's probability of the pool's leading scenario."""
        return float(analyst_spread(self.probabilities)["analyst_spread"])

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data."""
        ds = self.probabilities

        def row(values: np.ndarray) -> dict[str, float]:
            return {s: float(v) for s, v in zip(self.scenarios, values, strict=True)}

        return {
            "question": self.question_id,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "engine": "exact",
            "evidence_items": self.n_items,
            "pool": {"method": self.method, "extremize": self.extremize},
            "weighting": self.weighting,
            "performance": self.performance,
            "scenarios": [{"id": s, "label": self.labels[s]} for s in self.scenarios],
            "analysts": [
                {
                    "name": a,
                    "file": self.files[a],
                    "rationale": self.rationales[a],
                    "weight": float(ds.weight.values[i]),
                    "probability": row(ds.probability.values[i]),
                }
                for i, a in enumerate(self.analysts)
            ],
            "pooled": row(ds.pooled.values),
            "spread": row(ds.spread.values),
            "shared": row(ds.shared.values),
            "leader": self.leader,
            "leaders": self.leaders,
            "leader_spread": self.leader_spread,
            "confidence": None if self.confidence is None else self.confidence.to_dict(),
        }


def make_analyst_forecasts(
    *,
    question_id: str,
    title: str,
    as_of: dt.date,
    labels: dict[str, str],
    analysts: list[str],
    probability: np.ndarray,
    weights: np.ndarray,
    pooled: np.ndarray,
    shared: np.ndarray,
    method: str,
    extremize: float,
    rationales: dict[str, str | None],
    files: dict[str, str | None],
    n_items: int,
    confidence: Confidence | None = None,
    weighting: str = "equal",
    performance: dict[str, Any] | None = None,
) -> AnalystForecasts:
    """Assemble the result (``probability`` is ``(analysts, scenarios)``)."""
    scenarios = list(labels)
    ds = xr.Dataset(
        {
            "probability": (("analyst", "scenario"), probability),
            "weight": (("analyst",), weights),
            "pooled": (("scenario",), pooled),
            "shared": (("scenario",), shared),
            "spread": (("scenario",), probability.max(axis=0) - probability.min(axis=0)),
        },
        coords={"analyst": analysts, "scenario": scenarios},
        attrs={"question": question_id, "as_of": as_of.isoformat(), "pool": method},
    )
    ds.attrs["extremize"] = extremize
    return AnalystForecasts(
        question_id=question_id,
        title=title,
        as_of=as_of,
        labels=labels,
        method=method,
        extremize=extremize,
        probabilities=ds,
        rationales=rationales,
        files=files,
        n_items=n_items,
        confidence=confidence,
        weighting=weighting,
        performance=performance,
    )
