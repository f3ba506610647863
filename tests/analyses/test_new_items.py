"""The surprise check and the prequential scores share the models of the week's prefixes.

Built once (:class:`~forecasting.analyses.new_items.NewItems`), they give exactly what each
analysis gives building its own, and each prefix is the ledger before that new item.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import binary, count, item, question

import forecasting as fc
from forecasting.analyses.new_items import new_items
from forecasting.analyses.prequential import prequential
from forecasting.analyses.surprise_check import surprise
from forecasting.inputs.evidence import Evidence
from forecasting.model.data import ModelData


def _forecasts(model: str):
    q = question(
        ("calm", "tense", "war"),
        prior=(0.5, 0.3, 0.2),
        indicators={
            "ops": count({"calm": (20.0, 20.0), "tense": (60.0, 20.0), "war": (90.0, 15.0)}),
            "talks": binary({"calm": (6.0, 2.0), "tense": (3.0, 3.0), "war": (1.0, 6.0)}),
        },
    )
    q = fc.Question.model_validate(q.to_dict() | {"reliability_model": model})
    old = [item("old0", "ops", 1, exposure=1.0), item("old1", "talks", True, weight=0.8)]
    new = [
        item("new-b", "ops", 4, exposure=1.0, date="2025-02-03", source="x"),
        item("new-a", "talks", False, weight=0.7, date="2025-02-03", source="y"),
        item("new-c", "ops", 6, exposure=1.0, weight=0.9, date="2025-02-01", source="x"),
    ]
    prev = fc.forecast(q, fc.Evidence.from_items(old, q), draws=100, confidence=False)
    cur = fc.forecast(q, fc.Evidence.from_items(old + new, q), draws=100, confidence=False)
    return prev, cur


@pytest.mark.parametrize("model", ["tempered", "mixture"])
def test_shared_prefix_models_give_what_each_analysis_builds_alone(model):
    prev, cur = _forecasts(model)
    week = new_items(prev, cur)
    assert [it.id for it in week.in_order] == ["new-c", "new-a", "new-b"]  # date, then id
    sur = surprise(prev, cur, week=week)
    pre = prequential(prev, cur, week=week)
    alone_sur, alone_pre = surprise(prev, cur), prequential(prev, cur)
    for name in ("tail_probability", "tail_forecast", "joint_tail"):
        np.testing.assert_allclose(sur[name].values, alone_sur[name].values, rtol=0, atol=1e-15)
    np.testing.assert_allclose(
        pre["log_predictive"].values, alone_pre["log_predictive"].values, rtol=0, atol=1e-15
    )
    # each prefix is the model of the ledger before that new item, built once
    q = week.question
    for n in range(len(week.fresh) + 1):
        known = week.known(n)
        assert week.model(n) is week.model(n)
        direct = ModelData.build(q, Evidence(q.id, tuple(known)))
        assert week.model(n).item_ids == direct.item_ids
        np.testing.assert_array_equal(week.model(n).log_marginals(), direct.log_marginals())
