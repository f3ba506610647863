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
    # the surprise check reads the probabilities only: no confidence (300 forecasts below)
    prev = fc.forecast(q, fc.Evidence.from_items(old, q), draws=100, confidence=False)
    cur = fc.forecast(q, fc.Evidence.from_items(old + new, q), draws=100, confidence=False)
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


# --- reports that depend on earlier ones (truth mixture) ----------------------------------------


def _event_question():
    from builders import binary

    q = question(
        ("calm", "tense"),
        prior=(0.5, 0.5),
        indicators={"ops": count(RATES), "fact": binary({"calm": (2, 6), "tense": (6, 2)})},
    )
    return fc.Question.model_validate(q.to_dict() | {"reliability_model": "mixture"})


@pytest.mark.parametrize(("indicator", "value", "support"), [("ops", 7, 400), ("fact", True, 2)])
def test_the_predictive_of_a_report_given_its_origins_and_events_sums_to_one(
    indicator, value, support
):
    """m(others + y) / m(others) over every value y: a distribution (to rounding)."""
    from forecasting.model.data import ModelData

    q = _event_question()
    extra = {"exposure": 1.0} if indicator == "ops" else {}
    rows = [
        item("a", indicator, value, **extra) | {"origin": "MEI", "reliability": "B2", "event": "e"},
        item("b", indicator, value, **extra)
        | {"origin": "Lister", "reliability": "C3", "event": "e"},
        item("c", indicator, value, **extra) | {"origin": "MEI", "reliability": "B3"},
    ]
    ind = next(
        i
        for i in ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
        if i.id == indicator
    )
    for i in range(3):
        others = ind.with_items(np.arange(3) != i).model.log_marginal()
        ys = np.arange(support, dtype=float)
        total = np.exp(special.logsumexp(ind.model.with_values(i, ys) - others[None, :], axis=0))
        np.testing.assert_allclose(total, 1.0, atol=1e-9)


def test_a_second_report_of_an_event_already_seen_is_judged_given_the_first():
    """Lister reported 6 operations in a day; MEI, another origin, reports the same event. As
    a fresh report, 6 a day is improbable; as a second report of a seen event, it is not
    (the first report already said so), and a second report disagreeing is the surprise."""
    q = _event_question()
    lister = item("lister", "ops", 6, exposure=1 / 30) | {
        "origin": "Lister",
        "reliability": "B2",
        "event": "landing",
    }
    rows_prev = [lister]
    prev = fc.forecast(q, fc.Evidence.from_items(rows_prev, q), draws=100)

    def tail(value, event):
        mei = item("mei", "ops", value, exposure=1 / 30, date="2025-02-01") | {
            "origin": "MEI",
            "reliability": "B2",
        }
        if event:
            mei["event"] = "landing"
        cur = fc.forecast(q, fc.Evidence.from_items([lister, mei], q), draws=100)
        return float(surprise(prev, cur)["tail_forecast"].sel(item="mei"))

    assert tail(6, event=False) < 0.01  # judged as a fresh report of 6 in a day
    assert tail(6, event=True) > 0.3  # the same value as the first report of the event
    assert tail(2, event=True) < tail(6, event=True)


def test_a_relayed_copy_is_no_surprise():
    q = _event_question()
    first = item("first", "ops", 6, exposure=1.0) | {
        "origin": "MEI",
        "reliability": "B2",
        "event": "x",
    }
    copy = item("copy", "ops", 6, exposure=1.0, date="2025-02-01") | {
        "origin": "MEI",
        "reliability": "B2",
        "event": "x",
        "via": ["Levant24"],
    }
    prev = fc.forecast(q, fc.Evidence.from_items([first], q), draws=100)
    cur = fc.forecast(q, fc.Evidence.from_items([first, copy], q), draws=100)
    s = surprise(prev, cur)
    np.testing.assert_allclose(s["tail_probability"].sel(item="copy").values, 1.0)


def test_the_bundled_second_report_of_al_dumayr_reads_as_the_readme_says():
    """README and notebook 03: without dynamics, MEI's report of the operation Lister reported
    has tail 0.31 under the forecast as it stood; as a fresh report of one operation in a day,
    0.04 (what the dynamic check, which judges it as a new report, gives on the shipped file)."""
    from builders import BUNDLED_QUESTION

    prev = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-20")
    cur = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    s = surprise(prev, cur)
    item_id = "mei-2025-10-27-joint-op-dumayr"
    assert float(s["tail_forecast"].sel(item=item_id)) == pytest.approx(0.314, abs=5e-4)
    # the same report judged as a fresh one (no event, its own origin)
    q = cur.question_spec()
    rows = [
        {k: v for k, v in r.items() if k != "event"} | {"origin": "someone else"}
        if r["id"] == item_id
        else r
        for r in cur.evidence().item_dicts
    ]
    fresh = fc.forecast(q, fc.Evidence.from_items(rows, q), as_of="2025-10-27", draws=100)
    tail = float(surprise(prev, fresh)["tail_forecast"].sel(item=item_id))
    assert tail == pytest.approx(0.04, abs=0.005)
    # with the shipped file's dynamics the check judges it as a new report: about as surprising
    from builders import BUNDLED_FILE

    dynamic = surprise(
        fc.forecast(BUNDLED_FILE, as_of="2025-10-20"), fc.forecast(BUNDLED_FILE, as_of="2025-10-27")
    )
    dynamic_tail = float(dynamic["tail_forecast"].sel(item=item_id))
    assert dynamic_tail == pytest.approx(0.044, abs=5e-4) and abs(dynamic_tail - tail) < 0.01


@pytest.mark.parametrize("model", ["tempered", "mixture"])
def test_a_new_item_on_an_indicator_no_earlier_new_item_reports_keeps_its_own_tail(model):
    """The joint test's sequential tail of an item is its tail given the week's earlier items;
    a scenario's tail depends only on its indicator's items, so where none of them is on its
    indicator it is the item's own tail, not computed again: the same numbers."""
    from forecasting.analyses.new_items import new_items
    from forecasting.analyses.surprise_check import _joint_tail

    q = question(
        ("calm", "tense"), prior=(0.5, 0.5), indicators={"ops": count(RATES), "raids": count(RATES)}
    )
    q = fc.Question.model_validate(q.to_dict() | {"reliability_model": model})
    old = [item("o1", "ops", 1, exposure=1.0), item("r1", "raids", 2, exposure=1.0)]
    new = [
        item("n1", "ops", 4, exposure=1.0, date="2025-02-01"),
        item("n2", "raids", 5, exposure=1.0, date="2025-02-02"),
        item("n3", "ops", 6, exposure=1.0, date="2025-02-03"),
    ]
    prev = fc.forecast(q, fc.Evidence.from_items(old, q), draws=100, confidence=False)
    cur = fc.forecast(q, fc.Evidence.from_items(old + new, q), draws=100, confidence=False)
    s = surprise(prev, cur)
    week = new_items(prev, cur)
    weights = np.array([0.5, 0.5])
    np.testing.assert_array_equal(
        _joint_tail(week, cur.probabilities.values), s["joint_tail"].values
    )
    alone = dict(zip(["n1", "n2", "n3"], s["tail_probability"].values, strict=True))
    # n3 follows n1 on "ops": computed, not reused (a wrong reuse would differ)
    reused = _joint_tail(week, weights, alone)
    computed = _joint_tail(week, weights)
    np.testing.assert_array_equal(reused, computed)
