"""The "none of these" scenario: what it is, and that it means what the README says."""

from __future__ import annotations

import json

import numpy as np
import pytest
from builders import binary, count, item, question

import forecasting as fc
from forecasting.cli import main
from forecasting.core.constants import CATCH_ALL, CATCH_ALL_THRESHOLD
from forecasting.engines.exact import exact_posterior
from forecasting.model.data import ModelData

NAMED = {"holds": (20.0, 20.0), "frays": (40.0, 20.0), "breaks": (60.0, 20.0)}  # ~1, 2, 3 a month


def catch_all_question(prior: float = 0.05, model: str = "tempered") -> fc.Question:
    q = question(
        tuple(NAMED),
        prior=(0.5, 0.3, 0.2),
        indicators={
            "ops": count(NAMED, per_days=30),
            "fact": binary({"holds": (8, 2), "frays": (5, 5), "breaks": (2, 8)}),
        },
    )
    return fc.Question.model_validate(
        q.to_dict() | {"catch_all": {"prior": prior}, "reliability_model": model}
    )


def test_the_catch_all_is_one_more_scenario_with_diffuse_likelihoods():
    q = catch_all_question()
    assert q.scenario_ids == ["holds", "frays", "breaks", CATCH_ALL]
    np.testing.assert_allclose(q.prior, [0.475, 0.285, 0.19, 0.05])
    assert q.labels[CATCH_ALL] == "None of these scenarios"
    data = ModelData.build(q, fc.Evidence.from_items([], q))
    ops, fact = data.indicators
    # a Gamma of shape 0.5 around the named scenarios' average rate; a uniform probability
    np.testing.assert_allclose(ops.prior[-1], [0.5, 0.5 / 2.0])
    np.testing.assert_allclose(fact.prior[-1], [1.0, 1.0])
    # without evidence, the forecast is the prior
    f = fc.forecast(q, fc.Evidence.from_items([], q), draws=200)
    np.testing.assert_allclose(f.probabilities.values, q.prior, atol=1e-12)


def _simulate(q, rates, facts, rng, months=6) -> float:
    rows = [
        item(f"o{m}", "ops", int(rng.poisson(rate)), exposure=1.0)
        for m, rate in enumerate(rates[:months])
    ] + [item(f"f{n}", "fact", bool(v)) for n, v in enumerate(facts)]
    data = ModelData.build(q, fc.Evidence.from_items(rows, q))
    return float(exact_posterior(data).probability[-1])


@pytest.mark.parametrize("model", ["tempered", "mixture"])
def test_it_rarely_rises_in_worlds_of_the_named_scenarios_and_rises_outside_them(model):
    """Simulated from the model's own prior, then from worlds it does not name."""
    q = catch_all_question(model=model)
    data = ModelData.build(q, fc.Evidence.from_items([], q))
    ops, fact = data.indicators
    rng = np.random.default_rng(7)
    inside, outside = [], []
    for _ in range(200):
        k = rng.choice(3, p=[0.5, 0.3, 0.2])
        rate = rng.gamma(ops.prior[k, 0], 1 / ops.prior[k, 1])
        p = rng.beta(*fact.prior[k])
        inside.append(_simulate(q, [rate] * 6, rng.random(3) < p, rng))
        # a world none of them describes: ten joint operations a month
        outside.append(_simulate(q, [10.0] * 6, rng.random(3) < p, rng))
    inside, outside = np.array(inside), np.array(outside)
    assert np.mean(inside >= CATCH_ALL_THRESHOLD) < 0.05
    assert np.mean(outside >= CATCH_ALL_THRESHOLD) > 0.95
    # calibrated on average: in the model's own worlds its mean is about its prior
    assert np.mean(inside) < 0.05


def test_update_flags_an_incomplete_scenario_set_and_history_agrees(tmp_path, capsys):
    q = catch_all_question()
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "q.yaml"
    q.to_yaml(path)
    ledger = tmp_path / "evidence" / "test-q"
    ledger.mkdir(parents=True)
    rows = [
        {
            "id": f"o{m}",
            "indicator": "ops",
            "value": 9 + m % 3,
            "exposure": 1.0,
            "date": f"2025-0{m + 1}-15",
            "source": "monitor",
        }
        for m in range(4)
    ]
    import yaml

    (ledger / "a.yaml").write_text(yaml.safe_dump(rows[:1]))
    assert main(["update", str(path), "--as-of", "2025-01-31"]) in (0, 3)
    (ledger / "b.yaml").write_text(yaml.safe_dump(rows[1:]))
    capsys.readouterr()
    assert main(["update", str(path), "--as-of", "2025-04-30"]) == 3
    out = capsys.readouterr()
    assert "None of these scenarios' is at" in out.err and "may be incomplete" in out.err
    md = (tmp_path / "reports" / "test-q" / "2025-04-30" / "report.md").read_text()
    assert "None of these scenarios' is at" in md
    summary = json.loads(
        (tmp_path / "reports" / "test-q" / "2025-04-30" / "summary.json").read_text()
    )
    assert summary["flagged"] is True
    assert main(["history", str(path), "--json"]) == 0
    rows_out = json.loads(capsys.readouterr().out)["history"]
    last = rows_out[-1]
    assert last["as_of"] == "2025-04-30" and last["flagged"] is True
    assert any("None of these" in r for r in last["flags"])
    assert [s["id"] for s in last["scenarios"]][-1] == CATCH_ALL


def test_a_bad_catch_all_is_located(tmp_path):
    path = tmp_path / "q.yaml"
    body = question(("a", "b"), indicators={"fact": binary({"a": (5, 2), "b": (2, 5)})}).to_yaml()
    path.write_text(body + "catch_all: {prior: 1.5}\n")
    with pytest.raises(fc.InputError) as err:
        fc.load_question(path)
    (problem,) = err.value.problems
    assert problem.field == "catch_all.prior" and problem.line == body.count("\n") + 1


def test_the_catch_all_id_is_reserved():
    body = question(("a", CATCH_ALL), indicators={"fact": binary({"a": (5, 2), CATCH_ALL: (2, 5)})})
    with pytest.raises(ValueError, match="is the id of the catch-all scenario"):
        fc.Question.model_validate(body.to_dict() | {"catch_all": {"prior": 0.1}})
