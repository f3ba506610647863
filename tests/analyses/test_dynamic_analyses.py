"""The sensitivity analyses under dynamics: each setting is the dynamic posterior, exactly."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from builders import binary, count, item, question

import forecasting as fc
from forecasting.analyses.base import base_of
from forecasting.analyses.influence import evidence_influence
from forecasting.analyses.judgements import judgement_sensitivity, sweep
from forecasting.analyses.observation import value_of_information
from forecasting.analyses.tipping import item_tipping_points, tipping_points

T = dt.date(2025, 12, 31)
START = dt.date(2025, 7, 7)


def _q():
    return question(
        scenarios=("holds", "collapse"),
        indicators={
            "clashes": count({"holds": (2, 2), "collapse": (16, 2)}, per_days=7),
            "talks": binary({"holds": (8, 2), "collapse": (3, 7)}),
        },
        reliability_model="mixture",
        resolves=T,
        dynamics={
            "period_days": 28,
            "transitions": {
                "holds": {"stay": 0.9, "leaves_to": {"collapse": 1}},
                "collapse": {"stay": 0.9, "leaves_to": {"holds": 1}},
            },
        },
    )


@pytest.fixture(scope="module")
def model():
    q = _q()
    rows = []
    for w, v in enumerate([1, 0, 2, 1, 6, 9]):
        end = START + dt.timedelta(weeks=w + 1)
        row = item(f"w{w}", "clashes", v, date=end, window=(end - dt.timedelta(7), end))
        row["reliability"] = "B2"
        row["origin"] = "monitor"
        rows.append(row)
    rows.append(item("t1", "talks", True, weight=0.8, date=START + dt.timedelta(weeks=5)))
    ev = fc.Evidence.from_items(rows, q)
    as_of = START + dt.timedelta(weeks=6)
    return q, ev, as_of, fc.forecast(q, ev, as_of=as_of, confidence=False)


def test_leaving_an_item_out_is_the_dynamic_forecast_without_it(model):
    q, ev, as_of, f = model
    infl = evidence_influence(f)
    for item_id in ("w4", "t1"):
        direct = fc.forecast(q, ev.without([item_id]), as_of=as_of, confidence=False)
        np.testing.assert_allclose(
            infl.probability_without.sel(item=item_id).values,
            direct.probabilities.values,
            atol=1e-12,
        )


def test_the_stay_probabilities_are_judgements_with_tipping_points(model):
    q, ev, as_of, f = model
    js = judgement_sensitivity(f)
    assert {"stay:holds", "stay:collapse"} <= set(js.judgement.values)
    at_base = sweep(f, "stay:collapse", [0.9])
    np.testing.assert_allclose(at_base.values[0], f.probabilities.values, atol=1e-12)
    # the same edit made in the question gives the same answer
    edited = fc.Question.model_validate(
        q.to_dict()
        | {
            "dynamics": {
                "period_days": 28,
                "transitions": {
                    "holds": {"stay": 0.9, "leaves_to": {"collapse": 1}},
                    "collapse": {"stay": 0.6, "leaves_to": {"holds": 1}},
                },
            }
        }
    )
    direct = fc.forecast(edited, ev, as_of=as_of, confidence=False).probabilities.values
    np.testing.assert_allclose(sweep(f, "stay:collapse", [0.6]).values[0], direct, atol=1e-12)
    tp = tipping_points(f)
    leader = int(np.argmax(f.probabilities.values))
    for jid in ("stay:collapse", "stay:holds"):
        for side in ("below", "above"):
            x = float(tp[f"flip_{side}"].sel(judgement=jid))
            if np.isnan(x):
                continue
            step = 1e-3 * (1 if side == "above" else -1)
            inside = sweep(f, jid, [x - step]).values[0]
            beyond = sweep(f, jid, [min(max(x + step, 1e-4), 1.0)]).values[0]
            assert np.argmax(inside) == leader and np.argmax(beyond) != leader
    assert np.isfinite(tp.distance.sel(judgement="stay:collapse"))


def test_value_of_information_and_item_tipping_are_consistent(model):
    q, ev, as_of, f = model
    voi = value_of_information(f)
    assert np.all(voi.entropy_reduction.values >= -1e-12)
    # the yes/no indicator's two outcomes: their predictive probabilities sum to 1
    from forecasting.analyses.observation import _outcomes, _usual_exposure

    base = base_of(f)
    j, ind = base.indicator("talks")
    _, pred = _outcomes(base, ind, _usual_exposure(base, ind))
    assert pred.sum() == pytest.approx(1.0, abs=1e-9)
    tip = item_tipping_points(f)
    leader = int(np.argmax(f.probabilities.values))
    for item_id in tip.item.values:
        code = float(tip.flip_code.sel(item=item_id))
        if np.isnan(code):
            continue
        rows = [it.to_dict() for it in ev.items]
        for r in rows:
            if r["id"] == item_id:
                r["value"] = bool(code) if r["indicator"] == "talks" else int(code)
        changed = fc.forecast(q, fc.Evidence.from_items(rows, q), as_of=as_of, confidence=False)
        assert int(np.argmax(changed.probabilities.values)) != leader
