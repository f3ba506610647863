"""What the Python API is given, checked as the files are: located errors, never a traceback
from deep inside (found by trying the API as a research user would)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, binary, count, item, question

import forecasting as fc
from forecasting import analyses


@pytest.fixture(scope="module")
def bundled():
    q = fc.load_question(BUNDLED_QUESTION)
    return q, fc.load_evidence(BUNDLED_EVIDENCE, q)


def test_leaving_out_an_id_that_is_not_there_is_an_error_and_one_id_is_one_item(bundled):
    q, ev = bundled
    with pytest.raises(fc.InputError) as err:
        ev.without(["mei-2025-10-27-joint-ops"])  # misspelt: used to leave out nothing
    (problem,) = err.value.problems
    assert (
        "no item 'mei-2025-10-27-joint-ops'" in problem.message
        and "did you mean" in problem.message
    )
    one = ev.without("mei-2025-10-27-joint-ops-earlier-four")  # a plain string: that id
    assert len(one.items) == len(ev.items) - 1
    assert len(one.without("mei-2025-10-27-joint-ops-earlier-four").items) == len(one.items)


@pytest.mark.parametrize(
    "date", ["2025-10-20", dt.date(2025, 10, 20), dt.datetime(2025, 10, 20, 9)]
)
def test_as_of_takes_a_date_its_text_or_a_datetime(bundled, date):
    q, ev = bundled
    assert ev.as_of(date).as_of_date == dt.date(2025, 10, 20)


@pytest.mark.parametrize("bad", [20251027, np.datetime64("2025-10-27"), "27/10/2025"])
def test_an_as_of_that_is_not_a_date_is_a_located_error(bundled, bad):
    q, ev = bundled
    with pytest.raises(fc.InputError, match="as_of"):
        ev.as_of(bad)
    with pytest.raises(fc.InputError, match="as_of"):
        fc.forecast(q, ev, as_of=bad, confidence=False)


@pytest.mark.parametrize("seed", [-1, 2**32, "abc", 1.5, True])
def test_a_seed_that_is_not_a_whole_number_in_range_is_a_located_error(bundled, seed):
    q, ev = bundled
    with pytest.raises(fc.InputError, match="seed: must be a whole number"):
        fc.forecast(q, ev, as_of="2025-10-27", seed=seed, confidence=False)
    fc.forecast(q, ev, as_of="2025-10-27", seed=np.int64(7), confidence=False)


def test_numpy_numbers_and_truths_are_item_values_as_python_ones_are():
    q = question(
        ("a", "b"),
        indicators={
            "fact": binary({"a": (5, 2), "b": (2, 5)}),
            "ops": count({"a": (2, 1), "b": (6, 1)}),
        },
    )
    numpy_rows = [
        item("x", "fact", np.True_),
        item("y", "ops", np.int64(3), exposure=np.float64(1.0)),
    ]
    plain_rows = [item("x", "fact", True), item("y", "ops", 3, exposure=1.0)]
    a = fc.Evidence.from_items(numpy_rows, q)
    b = fc.Evidence.from_items(plain_rows, q)
    assert a.sha256() == b.sha256()
    assert fc.Evidence(q.id, ()).add(numpy_rows, q).sha256() == b.sha256()


def test_a_catch_all_of_prior_one_is_refused():
    body = question(("a", "b"), indicators={"fact": binary({"a": (5, 2), "b": (2, 5)})}).to_dict()
    with pytest.raises(fc.InputError, match="catch_all.prior: input should be less than 1"):
        fc.Question.model_validate(body | {"catch_all": {"prior": 1.0}})


@pytest.mark.parametrize("weight", [0, -1, 2, float("nan"), "high"])
def test_the_next_observation_s_reliability_is_a_number_in_0_1(bundled, weight):
    q, ev = bundled
    with pytest.raises(fc.InputError, match=r"weight: must be a reliability in \(0, 1\]"):
        analyses.next_observation(q, ev, as_of="2025-10-27", weight=weight)


@pytest.mark.parametrize(
    ("judgement", "values", "match"),
    [
        ("prior:collapse", [1.5], r"'prior:collapse' is a probability .*strictly between 0 and 1"),
        ("prior:collapse", [0.3, float("nan")], "got nan"),
        ("likelihood:joint_operations:accession", [-1.0], r"is a rate .*above 0; got -1"),
        ("prior:collapse", [], "give one number or a list of numbers"),
        ("prior:collapse", [[0.1, 0.2]], "give one number or a list of numbers"),
        ("prior:collapse", ["high"], "give one number or a list of numbers"),
    ],
)
def test_a_judgement_is_swept_only_over_values_it_can_take(bundled, judgement, values, match):
    """A prior of 1.5 or a negative rate returned rows of NaN with numpy's warnings."""
    q, ev = bundled
    with pytest.raises(fc.InputError, match=match):
        analyses.sweep(q, judgement, values, evidence=ev, as_of="2025-10-27")
    ok = analyses.sweep(q, judgement, 0.3, evidence=ev, as_of="2025-10-27")
    assert np.isfinite(ok.values).all()


def test_the_summary_of_a_forecast_with_dynamics_shows_now_beside_at_resolution():
    from builders import BUNDLED_FILE

    f = fc.forecast(BUNDLED_FILE, BUNDLED_EVIDENCE, as_of="2025-10-27", confidence=False)
    table = f.summary()
    assert list(table.columns[:4]) == ["label", "prior", "now", "probability"]
    np.testing.assert_array_equal(table["now"].values, f.now.values)
    static = fc.forecast(BUNDLED_QUESTION, BUNDLED_EVIDENCE, as_of="2025-10-27", confidence=False)
    assert "now" not in static.summary().columns
