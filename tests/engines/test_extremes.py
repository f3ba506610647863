"""Numbers stay sound at the extremes: no NaN or infinity reaches an output."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from builders import binary, categorical, count, evidence, item, question

import forecasting as fc
from forecasting import analyses as sn

AS_OF = "2025-06-01"


def check_sound(f: fc.Forecast) -> None:
    """Everything a reader sees is finite, and probabilities sum to 1 within 1e-12."""
    p = f.probabilities.values
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    assert abs(p.sum() - 1.0) < 1e-12
    assert np.all(np.isfinite(f.interval_if_parameters_known.values))
    assert np.all(f.interval_if_parameters_known.values >= 0) and np.all(
        f.interval_if_parameters_known.values <= 1
    )
    text = f.to_json()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text)
    rb = f.tree["posterior"]["scenario_probability"].values
    assert np.all(np.isfinite(rb))
    np.testing.assert_allclose(rb.sum(-1), 1.0, atol=1e-12)


def test_tens_of_thousands_of_items():
    q = question(
        ("a", "b", "c"),
        indicators={
            "ops": count({"a": (4, 2), "b": (2, 2), "c": (1, 2)}),
            "fact": binary({"a": (6, 2), "b": (3, 3), "c": (2, 6)}),
            "state": categorical(("x", "y"), {"a": (3, 1), "b": (1, 1), "c": (1, 3)}),
        },
    )
    rng = np.random.default_rng(0)
    items = []
    for i in range(30_000):
        kind = i % 3
        if kind == 0:
            items.append(item(f"o{i}", "ops", int(rng.poisson(1.1)), exposure=1.0, weight=0.5))
        elif kind == 1:
            items.append(item(f"f{i}", "fact", bool(rng.random() < 0.5), weight=0.3))
        else:
            items.append(item(f"s{i}", "state", "x" if rng.random() < 0.5 else "y"))
    f = fc.forecast(q, evidence(q, items), as_of=AS_OF, draws=1000)
    check_sound(f)
    assert "log_likelihood" not in f.tree.children or f.tree["log_likelihood"].sizes


def test_counts_in_the_millions():
    q = question(indicators={"ops": count({"a": (2, 1), "b": (50, 1)})})
    ev = evidence(
        q,
        [
            item("big", "ops", 3_000_000, exposure=1.0),
            item("big2", "ops", 2_500_000, exposure=2.0, weight=0.7),
        ],
    )
    f = fc.forecast(q, ev, as_of=AS_OF)
    check_sound(f)
    # the heavier-tailed-to-the-right prior (b) wins overwhelmingly
    assert f.probabilities.values[1] > 1 - 1e-12
    infl = sn.evidence_influence(f)
    assert np.all(np.isfinite(infl["log_bayes_factor"].values))


@pytest.mark.parametrize("tiny", [1e-12, 1e-13])
def test_likelihood_probabilities_next_to_zero_and_one(tiny):
    q = question(
        ("a", "b"),
        indicators={
            "fact": {
                "kind": "binary",
                "description": "d",
                "probability": {
                    "a": {"alpha": tiny, "beta": 1.0},
                    "b": {"alpha": 1.0, "beta": tiny},
                },
            },
            "state": {
                "kind": "categorical",
                "description": "d",
                "categories": ["x", "y"],
                "concentration": 1.0,
                "probabilities": {"a": {"x": tiny, "y": 1 - tiny}, "b": {"x": 1 - tiny, "y": tiny}},
            },
        },
    )
    ev = evidence(q, [item("t", "fact", True), item("s", "state", "x")])
    f = fc.forecast(q, ev, as_of=AS_OF)
    check_sound(f)
    assert f.probabilities.values[0] < 1e-20
    check_sound(fc.forecast(q, evidence(q, [item("t", "fact", False)]), as_of=AS_OF))


def test_a_scenario_made_impossible_is_zero_not_nan():
    q = question(("a", "b"), indicators={"fact": binary({"a": (1, 200), "b": (200, 1)})})
    items = [item(f"t{i}", "fact", True) for i in range(5_000)]
    f = fc.forecast(q, evidence(q, items), as_of=AS_OF)
    check_sound(f)
    assert f.probabilities.values[0] == 0.0
    assert f.interval_if_parameters_known.values[0].tolist() == [0.0, 0.0]
    assert f.probabilities.values[1] == 1.0
    tree = sn.sensitivity(f)
    for name in ("judgement_sensitivity", "value_of_information", "next_observation"):
        ds = tree[name].to_dataset()
        for var in ds.data_vars:
            if ds[var].dtype.kind == "f":
                assert not np.any(np.isnan(ds[var].values)), (name, var)


def test_reliability_zero_is_no_evidence():
    q = question(indicators={"fact": binary({"a": (8, 2), "b": (2, 8)})})
    f0 = fc.forecast(q, evidence(q, [item("x", "fact", True, weight=0.0)]), as_of=AS_OF)
    check_sound(f0)
    np.testing.assert_allclose(f0.probabilities.values, [0.5, 0.5], rtol=1e-15)


def test_all_evidence_excluded_by_the_as_of_date():
    q = question(
        ("a", "b", "c"),
        prior=(0.5, 0.3, 0.2),
        indicators={"fact": binary({s: (2, 2) for s in "abc"})},
    )
    later = dt.date(2025, 9, 1)
    ev = evidence(q, [item(f"x{i}", "fact", True, date=later) for i in range(3)])
    f = fc.forecast(q, ev, as_of=AS_OF)
    check_sound(f)
    np.testing.assert_allclose(f.probabilities.values, [0.5, 0.3, 0.2], rtol=1e-12)
    assert [x["id"] for x in f.excluded] == ["x0", "x1", "x2"]
    assert all("after the as-of date" in x["reason"] for x in f.excluded)


def test_extreme_but_valid_parameters_and_tiny_priors():
    q = question(
        ("a", "b", "c"),
        prior=(1e-6, 0.5 - 5e-7, 0.5 - 5e-7),
        indicators={"ops": count({"a": (1e-6, 1e-3), "b": (1e6, 1e5), "c": (1, 1)})},
    )
    ev = evidence(q, [item("o", "ops", 0, exposure=1e3), item("p", "ops", 10**6, exposure=1e-3)])
    f = fc.forecast(q, ev, as_of=AS_OF)
    check_sound(f)
    assert math.isclose(f.probabilities.values.sum(), 1.0, abs_tol=1e-12)
