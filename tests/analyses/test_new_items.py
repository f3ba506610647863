"""The surprise check and the prequential scores share the models of the week's prefixes.

Built once (:class:`~forecasting.analyses.new_items.NewItems`), they give exactly what each
analysis gives building its own, and each prefix is the ledger before that new item.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from builders import binary, categorical, count, item, question

import forecasting as fc
from forecasting.analyses.new_items import (
    CUBATURE_WORK,
    GRID_WORK,
    NewItems,
    integral_work,
    new_items,
)
from forecasting.analyses.prequential import by_origin, prequential, records
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


# --- the budget of work (a large ledger's first update must end) -------------------------------

POSTURE = ("calm", "tense", "clashes", "war")


def _posture_question():
    q = question(
        ("deal", "drift", "war"),
        prior=(0.4, 0.35, 0.25),
        indicators={
            "posture": categorical(
                POSTURE,
                {
                    "deal": (4, 2.4, 1.2, 0.4),
                    "drift": (2, 3.2, 2, 0.8),
                    "war": (0.4, 1.6, 3.2, 2.8),
                },
            ),
            "talks": binary({"deal": (6.0, 2.0), "drift": (3.0, 3.0), "war": (1.0, 6.0)}),
        },
        reliability_model="mixture",
    )
    rng = np.random.default_rng(3)
    rows = []
    for i in range(18):
        row = item(f"p{i:02d}", "posture", str(rng.choice(POSTURE)), weight="B2")
        row |= {"date": f"2025-03-{i + 1:02d}", "source": f"outlet {i % 3}"}
        rows.append(row)
    for i in range(3):
        rows.append(
            item(f"t{i}", "talks", bool(i % 2), weight="B2", date=f"2025-03-{6 * i + 3:02d}")
        )
    return q, rows


def _week(rows, budget, old=2):
    """NewItems of the rows: the first ``old`` before the week, the rest new."""
    q, _ = _posture_question()
    items = list(Evidence.from_items(rows, q).items)
    return NewItems(q, items[:old], items[old:], budget)


def _forecasts_of(rows, old=2):
    q, _ = _posture_question()
    ev = fc.Evidence.from_items
    prev = fc.forecast(q, ev(rows[:old], q), draws=100, confidence=False)
    cur = fc.forecast(q, ev(rows, q), draws=100, confidence=False)
    return prev, cur


def test_a_budget_leaves_later_items_out_of_the_walk_and_keeps_the_week_total():
    _, rows = _posture_question()
    prev, cur = _forecasts_of(rows)
    whole = new_items(prev, cur)
    assert not whole.plan.left  # the default budget walks these 19 items
    tight = new_items(prev, cur, budget=whole.plan.work / 3)
    walked, left = tight.plan.walked, tight.plan.left
    assert walked and left and {it.indicator for it in left} == {"posture"}
    assert "t2" in {it.id for it in walked}  # another indicator's later items still walked
    full, part = prequential(prev, cur, week=whole), prequential(prev, cur, week=tight)
    # the chain rule in another order: the week's ln p(new | E) is the same
    assert part.attrs["total"] == pytest.approx(full.attrs["total"], abs=1e-9)
    assert part.attrs["n_scored"] == len(walked) and part.attrs["n_new"] == 19
    scores = part["log_predictive"].to_series()
    assert scores[[it.id for it in left]].isna().all()
    # up to the first item left out, the walk is the same walk
    first_left = min(whole.in_order.index(it) for it in left)
    for it in whole.in_order[:first_left]:
        assert scores[it.id] == pytest.approx(float(full["log_predictive"].sel(item=it.id)))
    rows_json = records(part)
    assert [r["log_predictive"] is None for r in rows_json] == list(scores.isna())
    assert sum(r["n_items"] for r in by_origin(part).values()) == len(walked)


def test_the_joint_test_combines_the_walked_items_and_the_untested_are_named():
    _, rows = _posture_question()
    prev, cur = _forecasts_of(rows)
    whole = new_items(prev, cur)
    tight = new_items(prev, cur, budget=whole.plan.work / 3)
    sur = surprise(prev, cur, week=tight)
    walked = [it.id for it in tight.plan.walked]
    assert sur.attrs["joint_items"] == walked and sur.attrs["n_joint"] == len(walked)
    # the same walk as a week that brought only the walked items
    only = [r for r in rows[:2]] + [r for r in rows[2:] if r["id"] in walked]
    prev2, cur2 = _forecasts_of(only)
    np.testing.assert_allclose(
        sur["joint_tail"].values, surprise(prev2, cur2)["joint_tail"].values, rtol=1e-12
    )
    # with no budget at all nothing is tested, and nothing is flagged for it
    none = surprise(prev, cur, week=new_items(prev, cur, budget=0.0))
    assert np.isnan(none["tail_probability"].values).all()
    assert not none["improbable"].values.any() and not none.attrs["flagged"]
    assert sorted(none.attrs["untested"]) == sorted(r["id"] for r in rows[2:])
    np.testing.assert_array_equal(none["joint_tail"].values, 1.0)


@pytest.mark.parametrize("position", [5, 9, 14])
def test_which_items_are_tested_is_decided_before_their_values_are_seen(position):
    _, rows = _posture_question()
    base = _week(rows, budget=0.0)
    budget = _week(rows, budget=1e12).plan.work / 3
    plan = _week(rows, budget).plan
    order = [it.id for it in base.in_order]
    target = order[position]
    changed = [dict(r) for r in rows]
    row = next(r for r in changed if r["id"] == target)
    if row["indicator"] == "posture":
        row["value"] = next(c for c in POSTURE if c != row["value"])
    else:
        row["value"] = not row["value"]
    other = _week(changed, budget).plan

    def up_to(p):
        return [i for i in order[: position + 1] if i in {it.id for it in p.walked}]

    assert up_to(plan) == up_to(other)
    assert (target in plan.alone) == (target in other.alone)


def test_the_walks_models_share_the_indicators_a_step_leaves_alone():
    _, rows = _posture_question()
    week = _week(rows, budget=1e12)
    q = week.question
    for n, it in enumerate(week.plan.walked[:6]):
        a, b = week.model(n), week.model(n + 1)
        for x, y in zip(a.indicators, b.indicators, strict=True):
            assert (x is y) == (x.id != it.indicator)
        direct = ModelData.build(q, Evidence(q.id, tuple(week.known(n + 1))))
        np.testing.assert_array_equal(b.log_marginals(), direct.log_marginals())


def test_the_work_estimate_follows_the_integral_it_stands_for():
    q, _ = _posture_question()
    known, values = Counter({"posture": 40}), {"posture": Counter(dict.fromkeys(POSTURE, 10))}
    small = integral_work(q, "posture", known, values)
    assert small == pytest.approx(2 * 11**4 * 41)  # twice prod(n_c + 1) terms, a pass a report
    values["posture"] = Counter(dict.fromkeys(POSTURE, 40))
    assert integral_work(q, "posture", Counter({"posture": 160}), values) == CUBATURE_WORK
    assert integral_work(q, "talks", Counter({"talks": 9}), {}) == GRID_WORK * 10
    tempered = fc.Question.model_validate(q.to_dict() | {"reliability_model": "tempered"})
    assert integral_work(tempered, "posture", known, values) == 41


def test_the_budgeted_joint_test_keeps_its_level_in_the_models_own_worlds():
    """Simulated from the model, with a budget that stops each week's walk where the earlier
    reports' categories put it (their polynomial's terms): the true scenario's joint tail is
    below 0.1 in at most about 10% of weeks (the walked items' sequential tails stay
    independent and uniform, or conservative for categories)."""
    cats = ("a", "b", "c")
    alphas = {"x": (6.0, 2.0, 1.0), "y": (1.0, 2.0, 6.0)}
    q = question(
        ("x", "y"), indicators={"s": categorical(cats, alphas)}, reliability_model="mixture"
    )
    rng = np.random.default_rng(4)
    below, walked, weeks = 0, [], 100
    for _ in range(weeks):
        k = int(rng.integers(2))
        theta = rng.dirichlet(list(alphas["xy"[k]]))
        values = rng.choice(cats, size=22, p=theta)
        rows = [
            item(f"i{n}", "s", str(v), weight=0.8, date=f"2025-03-{n + 1:02d}")
            | {"source": f"o{n % 3}"}
            for n, v in enumerate(values)
        ]
        items = list(Evidence.from_items(rows, q).items)
        week = NewItems(q, items[:2], items[2:], budget=3e5)  # a full walk is 4e5-7e5
        prev = fc.forecast(q, fc.Evidence.from_items(rows[:2], q), draws=50, confidence=False)
        cur = fc.forecast(q, fc.Evidence.from_items(rows, q), draws=50, confidence=False)
        sur = surprise(prev, cur, week=week)
        walked.append(len(week.plan.walked))
        below += float(sur["joint_tail"].values[k]) < 0.1
    # cut in most weeks, and where depends on the values
    assert sum(n < 20 for n in walked) > weeks / 2 and len(set(walked)) >= 3
    assert below / weeks <= 0.1 + 3 * np.sqrt(0.09 / weeks)
