"""Attribution of a change between two forecasts, and the surprise check."""

from __future__ import annotations

import datetime as dt

import numpy as np
from builders import BUNDLED_QUESTION, binary, count, evidence, item, question, random_model
from hypothesis import given, settings
from hypothesis import strategies as st

import forecasting as fc
from forecasting import analyses as at
from forecasting.kinds import get_kind

D1, D2 = dt.date(2025, 1, 1), dt.date(2025, 2, 1)


def pair(q_old, items_old, q_new, items_new):
    prev = fc.forecast(q_old, evidence(q_old, items_old), as_of=D1)
    cur = fc.forecast(q_new, evidence(q_new, items_new), as_of=D2)
    return prev, cur


@settings(max_examples=25)
@given(random_model(), st.data())
def test_parts_add_up_to_the_total(model, data):
    q, ev = model
    rows = []
    for it in ev.items:
        row = it.to_dict()
        row["date"] = it.date
        row["reliability"] = it.weight
        rows.append(row)
    keep = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    old = [r for r, k in zip(rows, keep, strict=True) if k]
    # an edit of the question: one likelihood scaled, and maybe the priors
    body = q.to_dict()
    name = data.draw(st.sampled_from(sorted(q.indicators)))
    spec = body["indicators"][name]
    field = get_kind(spec["kind"]).likelihood_field
    s0 = q.scenario_ids[0]
    entry = spec[field][s0]
    factor = data.draw(st.floats(0.5, 0.9) | st.floats(1.1, 2.0))  # a real edit, never 1
    if spec["kind"] == "count":
        entry["shape"] *= factor
    elif spec["kind"] == "binary":
        entry["alpha"] *= factor
    elif spec["kind"] == "continuous":
        entry["mean"] += factor
    else:
        first = next(iter(entry["alpha"]))
        entry["alpha"][first] *= factor
    if data.draw(st.booleans()):
        k = len(q.scenario_ids)
        for s in q.scenario_ids:
            body["scenarios"][s]["prior"] = 1.0 / k
    q2 = fc.Question.model_validate(body)
    prev, cur = pair(q, old, q2, rows)
    res = at.attribute(prev, cur)
    assert res.comparable
    np.testing.assert_allclose(res.parts.contribution.sum("change").values, res.total, atol=1e-12)
    kinds = list(res.parts.change_kind.values)
    assert kinds.count("new") == len(rows) - len(old)
    assert "question" in kinds
    # the date-order reading of the new items adds up to the same as their Shapley values
    new_total = res.parts.contribution.where(res.parts.change_kind == "new", 0).sum("change")
    np.testing.assert_allclose(
        res.sequential.contribution.sum("change").values, new_total.values, atol=1e-12
    )


def _simple():
    q = question(
        ("a", "b", "c"),
        indicators={
            "ops": count({"a": (6, 2), "b": (3, 2), "c": (1, 2)}),
            "fact": binary({"a": (6, 2), "b": (3, 3), "c": (2, 5)}),
        },
    )
    return q


def test_shapley_is_symmetric_and_ignores_weightless_items():
    q = _simple()
    items = [
        item("x1", "fact", True, date=D2),
        item("x2", "fact", True, date=D2),
        item("zero", "ops", 9, exposure=1, weight=0.0, date=D2),
    ]
    prev, cur = pair(q, [], q, items)
    res = at.attribute(prev, cur)
    c = res.parts.set_index(change="change_id").contribution
    np.testing.assert_allclose(c.sel(change="x1").values, c.sel(change="x2").values, atol=1e-14)
    np.testing.assert_allclose(c.sel(change="zero").values, 0.0, atol=1e-15)
    # order matters for the date-order reading, not for the Shapley values
    seq = res.sequential.set_index(change="change_id").contribution
    assert not np.allclose(seq.sel(change="x1").values, seq.sel(change="x2").values)


def test_many_new_items_use_sampled_orders_with_a_stated_error():
    q = _simple()
    items = [item(f"n{i}", "fact", bool(i % 3), date=D2) for i in range(14)]
    prev, cur = pair(q, [], q, items)
    res = at.attribute(prev, cur, seed=1)
    assert set(res.parts.method.values) == {"sampled"}
    assert any("random orders" in n for n in res.notes)
    assert np.all(res.parts.standard_error.values >= 0)
    # the sampled values still add up exactly (each order's parts sum to the total)
    np.testing.assert_allclose(res.parts.contribution.sum("change").values, res.total, atol=1e-12)
    # items with the same value are exchangeable: their estimates agree within the error
    c = res.parts.set_index(change="change_id")
    a, b = c.contribution.sel(change="n1").values, c.contribution.sel(change="n2").values
    se = c.standard_error.sel(change="n1").values + c.standard_error.sel(change="n2").values
    assert np.all(np.abs(a - b) <= 5 * se + 1e-12)


def test_changed_and_removed_items_and_question_edits_are_named():
    q = _simple()
    old = [
        item("keep", "fact", True),
        item("gone", "ops", 4, exposure=1),
        item("edit", "fact", True),
    ]
    new = [
        item("keep", "fact", True),
        item("edit", "fact", False),
        item("fresh", "ops", 1, exposure=1, date=D2),
    ]
    body = q.to_dict()
    body["indicators"]["ops"]["rate"]["a"] = {"shape": 9, "rate": 2}
    body["title"] = "Renamed"
    q2 = fc.Question.model_validate(body)
    prev, cur = pair(q, old, q2, new)
    res = at.attribute(prev, cur)
    by_id = {
        str(i): str(k)
        for i, k in zip(res.parts.change_id.values, res.parts.change_kind.values, strict=True)
    }
    assert by_id["gone"] == "removed"
    assert by_id["edit"] == "changed"
    assert by_id["fresh"] == "new"
    assert by_id["likelihood:ops:a"] == "question"
    assert by_id["wording"] == "question"
    np.testing.assert_allclose(res.parts.contribution.sum("change").values, res.total, atol=1e-12)


def test_removed_indicator_and_changed_scenarios():
    q = _simple()
    body = q.to_dict()
    del body["indicators"]["ops"]
    q2 = fc.Question.model_validate(body)
    prev, cur = pair(
        q, [item("o", "ops", 4, exposure=1), item("f", "fact", True)], q2, [item("f", "fact", True)]
    )
    res = at.attribute(prev, cur)
    assert "indicator:ops" in set(res.parts.change_id.values)
    np.testing.assert_allclose(res.parts.contribution.sum("change").values, res.total, atol=1e-12)
    body = q.to_dict()
    body["scenarios"]["d"] = {"label": "new one"}
    for name in ("ops", "fact"):
        field = "rate" if name == "ops" else "probability"
        body["indicators"][name][field]["d"] = (
            {"shape": 1, "rate": 1} if name == "ops" else {"alpha": 1, "beta": 1}
        )
    q3 = fc.Question.model_validate(body)
    prev, cur = pair(q, [], q3, [])
    res = at.attribute(prev, cur)
    assert not res.comparable
    assert "added d" in str(res.parts.change_label.values[0])


def test_bundled_week_is_explained():
    prev = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-20")
    cur = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    res = at.attribute(prev, cur)
    assert res.parts.sizes["change"] == 9
    assert set(res.parts.method.values) == {"exact"}
    np.testing.assert_allclose(res.parts.contribution.sum("change").values, res.total, atol=1e-12)
    d = res.to_dict()
    assert d["previous_as_of"] == "2025-10-20" and len(d["parts"]) == 9


# --- surprise ---------------------------------------------------------------------------------


def test_evidence_improbable_under_every_scenario_is_flagged():
    q = _simple()
    prev, cur = pair(
        q,
        [item("o1", "ops", 2, exposure=1)],
        q,
        [item("o1", "ops", 2, exposure=1), item("o2", "ops", 60, exposure=1, date=D2)],
    )
    s = at.surprise(prev, cur)
    assert s.attrs["flagged"]
    assert bool(s["improbable"].sel(item="o2"))
    assert float(s["tail_probability"].sel(item="o2").max()) < at.SURPRISE_THRESHOLD
    # ordinary evidence is not
    prev, cur = pair(q, [], q, [item("o3", "ops", 2, exposure=1, date=D2)])
    assert not at.surprise(prev, cur).attrs["flagged"]


def test_surprise_tail_by_hand():
    """Binary item, Beta(1, 3) under every scenario: P(true) = 1/4, tail of 'true' = 1/4."""
    q = question(("a", "b"), indicators={"fact": binary({"a": (1, 3), "b": (1, 3)})})
    prev, cur = pair(q, [], q, [item("t", "fact", True, date=D2)])
    s = at.surprise(prev, cur, threshold=0.3)
    np.testing.assert_allclose(s["tail_probability"].values, [[0.25, 0.25]])
    assert s.attrs["flagged"]


def test_surprise_threshold_is_documented():
    from forecasting.analyses import surprise_check as module

    assert at.SURPRISE_THRESHOLD == 0.01
    assert "SURPRISE_THRESHOLD" in module.__doc__


def test_a_question_that_never_chose_a_model_moves_to_the_default_and_says_so():
    """A forecast archived under the tempered model (before the field existed); the same
    question and ledger forecast now take the truth mixture, the default: the update's
    explanation names the change of model and its effect, and the parts add up."""
    from pathlib import Path

    archived = Path(__file__).parent.parent / "pipeline/data/made-before-origins-2025-10-20.nc"
    previous = fc.Forecast.load(archived)
    q = fc.Question.model_validate(previous.question_spec().to_dict())
    assert q.reliability_model is None and q.reliability == "mixture"
    current = fc.forecast(q, previous.evidence(), as_of="2025-10-20")
    res = at.attribute(previous, current)
    labels = [str(x) for x in res.parts.change_label.values]
    assert "reliability model tempered -> mixture" in labels
    np.testing.assert_allclose(res.parts.contribution.sum("change").values, res.total, atol=1e-12)
    moved = res.parts.contribution.sel(change=labels.index("reliability model tempered -> mixture"))
    assert float(np.abs(moved).max()) > 1e-4  # three reports read anew
