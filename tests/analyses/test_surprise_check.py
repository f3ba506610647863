"""The surprise check: one item at a time, and the week's items together."""

from __future__ import annotations

import numpy as np
import pytest
from builders import count, item, question
from scipy import special

import forecasting as fc
from forecasting.analyses.surprise_check import surprise

RATES = {"calm": (20.0, 20.0), "tense": (60.0, 20.0)}  # about 1 and 3 a month


def _q(model: str = "tempered") -> fc.Question:
    q = question(("calm", "tense"), prior=(0.5, 0.5), indicators={"ops": count(RATES)})
    return fc.Question.model_validate(q.to_dict() | {"reliability_model": model})


def _forecasts(q, old_values, new_values):
    old = [item(f"old{n}", "ops", v, exposure=1.0) for n, v in enumerate(old_values)]
    new = [
        item(f"new{n}", "ops", v, exposure=1.0, date=f"2025-02-{n + 1:02d}")
        for n, v in enumerate(new_values)
    ]
    prev = fc.forecast(q, fc.Evidence.from_items(old, q), draws=100)
    cur = fc.forecast(q, fc.Evidence.from_items(old + new, q), draws=100)
    return prev, cur


@pytest.mark.parametrize("model", ["tempered", "mixture"])
def test_one_new_item_joint_tail_is_its_own(model):
    q = _q(model)
    prev, cur = _forecasts(q, [1, 2], [4])
    s = surprise(prev, cur)
    np.testing.assert_allclose(s["joint_tail"].values, 1.0)  # one item: not tested jointly
    # two: Fisher's combination of the first one's tail and the second's given the first
    prev, cur = _forecasts(q, [1, 2], [4, 6])
    s = surprise(prev, cur)
    t1 = s["tail_probability"].values[0]
    first_three = [it.to_dict() for it in cur.evidence().items[:3]]
    mid = fc.forecast(q, fc.Evidence.from_items(first_three, q), draws=100)
    t2 = surprise(mid, cur)["tail_probability"].values[-1]  # new1 given old and new0
    expect = special.gammaincc(2, -(np.log(t1) + np.log(t2)))
    np.testing.assert_allclose(s["joint_tail"].values, expect, rtol=1e-12)


def test_items_each_a_little_surprising_are_improbable_together():
    q = _q()
    # six weeks of eight operations: each alone is not below 0.01 under "tense"...
    prev, cur = _forecasts(q, [1, 3, 2], [8] * 6)
    s = surprise(prev, cur)
    assert not s["improbable"].values.any()
    # ...but the six together are improbable under both scenarios
    assert s.attrs["joint_improbable"] and s.attrs["flagged"]
    assert np.all(s["joint_tail"].values < 0.01)


def test_the_joint_test_rarely_fires_in_the_models_own_worlds():
    """Simulated from the model: the joint p-value is below 0.01 in at most about 1% of weeks."""
    q = _q()
    rng = np.random.default_rng(11)
    fired = 0
    weeks = 150
    for _ in range(weeks):
        k = rng.integers(2)
        shape, rate = list(RATES.values())[k]
        lam = rng.gamma(shape, 1 / rate)
        values = rng.poisson(lam, size=6).tolist()
        prev, cur = _forecasts(q, values[:3], values[3:])
        fired += bool(surprise(prev, cur).attrs["joint_improbable"])
    assert fired / weeks <= 0.03
