"""Analytic confidence, beside (never inside) the probability.

After Friedman and Zeckhauser (Political Psychology 39(5), 2018), three dimensions that
decision makers use differently, each computed exactly or with its Monte Carlo error stated:

1. responsiveness to new information (:mod:`.responsiveness`): where each scenario's
   probability could be after the next horizon of typical evidence;
2. reliability of the evidence (:mod:`.origins`): how many independent origins, how much rests
   on the largest, the mix of grades, the forecast with each origin left out;
3. range of reasonable opinion (:mod:`.opinion`): the forecast under every elicited judgement
   redrawn within its own band;

and a level (low / moderate / high) from stated rules on them (:mod:`.level`), with its
reasons. :func:`assess` computes them; :class:`Confidence` is the view of the stored result
(the ``confidence`` group of a forecast's DataTree).

With dynamics (:mod:`forecasting.model.dynamics`) every measure is of the dynamic model and of
the headline, the probability at resolution ``P(S_T = k | E)``: each origin left out is a
dynamic posterior; the opinion range re-weighs the regime paths under redrawn judgements,
stay probabilities among them (:mod:`.opinion`); the futures run over the paths and the
regime of the horizon's period (:mod:`.unfolding`). The rules of the level are the same.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import xarray as xr

from ..core.constants import CONFIDENCE_RANGE
from ..core.dims import CI_BOUND, INDICATOR, SCENARIO
from ..engines.exact import exact_posterior
from ..inputs.evidence import Evidence
from ..model import dynamics
from ..model.data import ModelData
from . import level as rules
from .opinion import opinion_range
from .origins import evidence_reliability
from .responsiveness import measure_responsiveness, streams
from .unfolding import measure_unfolding

ORIGIN = "origin"
LEFT_OUT = "left_out"


def assess(
    data: ModelData,
    evidence: Evidence,
    as_of: dt.date,
    horizon_days: float,
    *,
    seed: int,
    analysts: xr.Dataset | None = None,
) -> Confidence:
    """All three measures and the level, for the exact posterior of ``data``.

    ``analysts``: several analysts' forecasts of the question (the ``probabilities`` of
    :class:`~forecasting.results.analysts.AnalystForecasts`: ``probability``, analyst x
    scenario, and ``pooled``); with two or more, the range of reasonable opinion reads their
    actual spread too (:func:`analyst_spread`, :mod:`.level`).
    """
    plan = streams(data, evidence, as_of, horizon_days)
    if data.timeline is None:
        closed = exact_posterior(data)  # the engine's closed form (its integrals are cached)
        probability = closed.probability
        with np.errstate(divide="ignore"):
            log_joint = np.log(data.prior) + closed.log_marginal
        resp = measure_responsiveness(data, probability, plan, horizon_days, seed=seed)
        origins = evidence_reliability(data, evidence, probability, log_joint)
        opinion = opinion_range(data, probability, seed=seed + 1)
    else:  # every measure of the dynamic model, of the probability at resolution
        memo: dict = {}  # each indicator's subset marginals, shared by the posteriors
        post = dynamics.posterior(data, memo=memo)
        probability = post.probability
        resp = measure_unfolding(data, post, plan, horizon_days, seed=seed)
        origins = evidence_reliability(
            data,
            evidence,
            probability,
            None,
            lambda ids: dynamics.posterior(data.without_items(ids), memo=memo).probability,
        )
        opinion = opinion_range(data, probability, seed=seed + 1, dynamic=post)
    largest = origins.largest
    measures = rules.Measures(
        origins=len(origins.origins),
        largest_origin=None if largest is None else largest.name,
        largest_share=0.0 if largest is None else largest.share,
        leader_changes_without=origins.leader_changes,
        leader_ties_without=origins.leader_ties,
        p_flip_opinion=opinion.p_leader_change,
        p_flip_horizon=resp.p_leader_change,
        horizon_days=float(horizon_days),
        **({} if analysts is None else analyst_spread(analysts)),
    )
    lvl, reasons, verdicts = rules.level(measures)
    scen = {SCENARIO: list(data.scenarios), CI_BOUND: ["lower", "upper"]}
    names = [o.name for o in origins.origins]
    ds = xr.Dataset(
        {
            "probability": ((SCENARIO,), probability),
            "responsiveness": ((SCENARIO, CI_BOUND), np.stack([resp.lower, resp.upper], 1)),
            "responsiveness_mcse": ((SCENARIO, CI_BOUND), resp.mcse),
            "expected_move": ((SCENARIO,), resp.expected_move),
            "opinion": ((SCENARIO, CI_BOUND), np.stack([opinion.lower, opinion.upper], 1)),
            "opinion_mcse": ((SCENARIO, CI_BOUND), opinion.mcse),
            "origin_range": ((SCENARIO, CI_BOUND), np.stack([origins.lower, origins.upper], 1)),
            "without_origin": ((LEFT_OUT, SCENARIO), origins.without),
            "origin_items": ((ORIGIN,), np.array([o.items for o in origins.origins], int)),
            "origin_reports": ((ORIGIN,), np.array([o.reports for o in origins.origins], int)),
            "origin_weight": ((ORIGIN,), np.array([o.weight for o in origins.origins], float)),
            "origin_share": ((ORIGIN,), np.array([o.share for o in origins.origins], float)),
            "arrivals": ((INDICATOR,), np.array([s.per_horizon for s in plan], float)),
            "arrival_reliability": ((INDICATOR,), np.array([s.reliability for s in plan], float)),
            "arrival_basis": ((INDICATOR,), np.array([s.rate_from for s in plan], dtype=str)),
        },
        coords={
            **scen,
            ORIGIN: np.array(names, dtype=str),
            LEFT_OUT: np.array(list(origins.left_out), dtype=str),
            INDICATOR: np.array([s.indicator for s in plan], dtype=str),
        },
        attrs={
            "level": lvl,
            "reasons": json.dumps([r.reason for r in reasons]),
            "reason_rules": json.dumps([r.name for r in reasons]),
            "rules": json.dumps(verdicts),
            "range_prob": CONFIDENCE_RANGE,
            "horizon_days": float(horizon_days),
            "futures": resp.futures,
            "p_leader_change": resp.p_leader_change,
            "opinion_draws": opinion.draws,
            "opinion_p_leader_change": opinion.p_leader_change,
            "items": origins.items,
            "grades": json.dumps(origins.grades),
            "leader_changes_without": json.dumps(list(origins.leader_changes)),
        },
    )
    ds["probability"].attrs["description"] = (
        "P(S = k | E), exact: what the measures are of"
        if data.timeline is None
        else "P(S_T = k | E), the probability at resolution (dynamics), exact: what the "
        "measures are of"
    )
    if analysts is not None:  # only then: every forecast without analysts is as it was
        ds.attrs["analysts"] = json.dumps(list(measures.analysts))
        ds.attrs["analyst_leaders"] = json.dumps(list(measures.analyst_leaders))
        ds.attrs["analyst_spread"] = measures.analyst_spread
    return Confidence(ds)


def analyst_spread(forecasts: xr.Dataset) -> dict[str, Any]:
    """The analysts' disagreement as the level's rules read it (:class:`.level.Measures`).

    ``forecasts`` has ``probability`` (analyst x scenario) and ``pooled`` (scenario). Returns
    the analysts, each one's leading scenario, and the largest minus the smallest analyst's
    probability of the pool's leading scenario.
    """
    p = np.asarray(forecasts["probability"].values, dtype=float)
    scenarios = [str(s) for s in forecasts[SCENARIO].values]
    leader = int(np.argmax(np.asarray(forecasts["pooled"].values, dtype=float)))
    return {
        "analysts": tuple(str(a) for a in forecasts["analyst"].values),
        "analyst_leaders": tuple(scenarios[int(k)] for k in np.argmax(p, axis=1)),
        "analyst_spread": float(p[:, leader].max() - p[:, leader].min()) if len(p) else 0.0,
    }


class Confidence:
    """The three measures and the level, as stored (``Forecast.confidence``)."""

    def __init__(self, ds: xr.Dataset):
        self.ds = ds

    def _attr_json(self, name: str) -> Any:
        return json.loads(self.ds.attrs[name])

    @property
    def level(self) -> str:
        """``low``, ``moderate`` or ``high`` (:mod:`forecasting.confidence.level`)."""
        return str(self.ds.attrs["level"])

    @property
    def reasons(self) -> list[str]:
        """The reasons that decided the level, in words."""
        return list(self._attr_json("reasons"))

    @property
    def reason_rules(self) -> list[str]:
        """The names of the rules that decided the level (as :attr:`reasons`, in order)."""
        return list(self._attr_json("reason_rules"))

    @property
    def rules(self) -> dict[str, bool]:
        """Every rule's verdict, by name."""
        return dict(self._attr_json("rules"))

    @property
    def horizon_days(self) -> float:
        """The horizon of the responsiveness measure (days)."""
        return float(self.ds.attrs["horizon_days"])

    @property
    def p_leader_change(self) -> float:
        """Probability that the leading scenario changes over the horizon."""
        return float(self.ds.attrs["p_leader_change"])

    @property
    def origins(self) -> list[str]:
        """The independent origins, largest share first."""
        return [str(o) for o in self.ds[ORIGIN].values]

    @property
    def largest(self) -> tuple[str, float] | None:
        """The origin carrying the most weight, and its share."""
        if not len(self.ds[ORIGIN]):
            return None
        return str(self.ds[ORIGIN].values[0]), float(self.ds["origin_share"].values[0])

    @property
    def items(self) -> int:
        """Items of evidence used."""
        return int(self.ds.attrs["items"])

    def range(self, name: str, scenario: str) -> tuple[float, float]:
        """``responsiveness``, ``opinion`` or ``origin_range`` of one scenario: (lower, upper)."""
        lo, hi = self.ds[name].sel({SCENARIO: scenario}).values
        return float(lo), float(hi)

    def to_dict(self) -> dict[str, Any]:
        """The top-level ``confidence`` object of the JSON output."""
        ds = self.ds
        scen = [str(s) for s in ds[SCENARIO].values]

        def per_scenario(name: str) -> dict[str, dict[str, float]]:
            return {
                s: {"lower": float(ds[name].values[k, 0]), "upper": float(ds[name].values[k, 1])}
                for k, s in enumerate(scen)
            }

        return {
            "level": self.level,
            "reasons": self.reasons,
            "rules": self.rules,
            "origins": {
                "n_items": self.items,
                "n_origins": len(self.origins),
                "largest": None
                if self.largest is None
                else {"origin": self.largest[0], "share": self.largest[1]},
                "shares": {
                    str(o): float(v)
                    for o, v in zip(ds[ORIGIN].values, ds["origin_share"].values, strict=True)
                },
                "grades": self._attr_json("grades"),
                "leave_one_origin_out": per_scenario("origin_range"),
                "leader_changes_without": self._attr_json("leader_changes_without"),
            },
            "opinion": None
            if int(ds.attrs["opinion_draws"]) == 0
            else {
                "range": per_scenario("opinion"),
                "mcse": float(np.max(ds["opinion_mcse"].values)),
                "draws": int(ds.attrs["opinion_draws"]),
                "p_leader_change": float(ds.attrs["opinion_p_leader_change"]),
            },
            "responsiveness": {
                "horizon_days": self.horizon_days,
                "futures": int(ds.attrs["futures"]),
                "p_leader_change": self.p_leader_change,
                "expected_move": {
                    s: float(v) for s, v in zip(scen, ds["expected_move"].values, strict=True)
                },
            },
            "range_prob": float(ds.attrs["range_prob"]),
            **(
                {}
                if "analysts" not in ds.attrs
                else {
                    "analysts": {
                        "names": self._attr_json("analysts"),
                        "leaders": self._attr_json("analyst_leaders"),
                        "leader_spread": float(ds.attrs["analyst_spread"]),
                    }
                }
            ),
        }
