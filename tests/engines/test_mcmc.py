"""The MCMC engine against the exact engine (within Monte Carlo error), on few model structures.

Each structure compiles once (``module`` fixtures); other ledgers reuse it through ``pm.Data``.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from builders import (
    BUNDLED_EVIDENCE,
    BUNDLED_QUESTION,
    binary,
    categorical,
    continuous,
    count,
    evidence,
    item,
    question,
)

import forecasting as fc
from forecasting.core.constants import ESS_MIN, RHAT_MAX
from forecasting.engines import exact, mcmc
from forecasting.engines.common import conditional_probability
from forecasting.model.data import ModelData
from forecasting.model.pymc_model import build_model

pytestmark = pytest.mark.mcmc


@pytest.fixture(scope="module")
def mixed_question():
    return question(
        ("a", "b", "c"),
        prior=(0.4, 0.35, 0.25),
        concentration=5,
        indicators={
            "ops": count({"a": (6, 2), "b": (3, 2), "c": (1.5, 2)}),
            "fact": binary({"a": (6, 2), "b": (3, 3), "c": (2, 5)}),
            "state": categorical(("x", "y", "z"), {"a": (4, 2, 1), "b": (2, 3, 2), "c": (1, 2, 4)}),
            "level": continuous({"a": (2.0, 1.0), "b": (0.0, 1.5), "c": (-1.0, 1.0)}, sd=1.2),
        },
    )


LEDGERS = {
    "several items, w < 1": [
        item("o1", "ops", 4, exposure=1.5, weight=0.8),
        item("o2", "ops", 1, exposure=1.0, weight=0.6),
        item("f1", "fact", True, weight=0.64),
        item("f2", "fact", False, weight=0.36),
        item("f3", "fact", True),
        item("s1", "state", "x", weight=0.8),
        item("s2", "state", "z", weight=0.5),
        item("l1", "level", 1.4, weight=0.7),
        item("l2", "level", -0.3),
    ],
    "one indicator only": [item("s1", "state", "z"), item("s2", "state", "y", weight=0.4)],
    "no evidence": [],
}


@pytest.fixture(scope="module")
def compiled(mixed_question):
    data = ModelData.build(mixed_question, evidence(mixed_question, []))
    return build_model(data)


@pytest.mark.parametrize("ledger", list(LEDGERS))
def test_mcmc_agrees_with_exact(mixed_question, compiled, ledger):
    data = ModelData.build(mixed_question, evidence(mixed_question, LEDGERS[ledger]))
    closed = exact.exact_posterior(data)
    result = mcmc.run(
        data,
        seed=7,
        exact_probability=closed.probability,
        model=compiled,
        progress=False,
        retry=False,
    )
    diag = result.diagnostics
    assert diag["divergences"] == 0
    assert diag["rhat_max"] <= RHAT_MAX
    assert diag["ess_bulk_min"] >= ESS_MIN
    z = np.abs(result.probability - closed.probability) / result.mcse
    assert np.all(z <= 4), (result.probability, closed.probability, result.mcse)
    # the PyTensor likelihood and the numpy one are the same function
    post = result.posterior
    thetas = {ind.id: post[ind.id] for ind in data.indicators}
    again = conditional_probability(data, np.log(post["pi"]), thetas)
    np.testing.assert_allclose(again, post["scenario_probability"], rtol=1e-6, atol=1e-9)


@pytest.fixture(scope="module")
def bundled_runs():
    f_mcmc = fc.forecast(
        BUNDLED_QUESTION, as_of="2025-10-27", engine="mcmc", seed=1, progress=False
    )
    f_exact = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", engine="exact", seed=1)
    return f_mcmc, f_exact


def test_bundled_question_converges_and_agrees(bundled_runs):
    f_mcmc, f_exact = bundled_runs
    diag = f_mcmc.diagnostics
    assert diag["divergences"] == 0
    assert diag["rhat_max"] <= RHAT_MAX
    assert min(diag["ess_bulk_min"], diag["ess_tail_min"]) >= ESS_MIN
    assert f_mcmc.warnings == []
    z = np.abs(f_mcmc.probabilities.values - f_exact.probabilities.values) / f_mcmc.mcse.values
    assert np.all(z <= 4)
    # the intervals describe the same posterior: agree to within a few points
    np.testing.assert_allclose(
        f_mcmc.interval_if_parameters_known.values,
        f_exact.interval_if_parameters_known.values,
        atol=0.05,
    )


def test_both_engines_give_the_same_tree_layout(bundled_runs):
    f_mcmc, f_exact = bundled_runs
    for group in ("forecast", "posterior", "log_likelihood", "constant_data"):
        a, b = f_mcmc.tree[group].to_dataset(), f_exact.tree[group].to_dataset()
        assert set(a.data_vars) == set(b.data_vars), group
        for name in a.data_vars:
            assert a[name].dims == b[name].dims, (group, name)
    assert "diverging" in f_mcmc.tree["sample_stats"]
    assert "diverging" in f_exact.tree["sample_stats"]
    assert f_mcmc.tree["posterior"]["scenario_probability"].dims[:2] == ("chain", "draw")


def test_mcmc_json_has_mcse_and_diagnostics(bundled_runs):
    f_mcmc, _ = bundled_runs
    out = f_mcmc.to_dict()
    assert out["engine"] == "mcmc"
    assert all(s["mcse"] > 0 for s in out["scenarios"])
    for key in ("divergences", "rhat_max", "ess_bulk_min", "ess_tail_min", "agreement_z_max"):
        assert key in out["diagnostics"]
    assert out["provenance"]["versions"]["pymc"].startswith("6.")


def test_build_pymc_model_is_extensible():
    import pymc as pm
    import pytensor.tensor as pt

    model = fc.build_pymc_model(BUNDLED_QUESTION, as_of="2025-10-27")
    names = set(model.named_vars)
    assert {"pi", "scenario_probability", "joint_operations", "us_rhetoric"} <= names
    assert model.named_vars_to_dims["us_rhetoric"] == ("scenario", "us_rhetoric_category")
    assert model.named_vars_to_dims["pi"] == ("scenario",)
    # a custom likelihood inside the marginalisation, and a shared parameter
    with pm.Model(coords={"scenario": ["accession", "informal", "collapse", "unilateral"]}):
        shared = pm.Gamma("shared_rate", alpha=2.0, beta=1.0, dims="scenario")
        sub = fc.build_pymc_model(
            BUNDLED_QUESTION,
            as_of="2025-10-27",
            name="q1",
            parameters={"joint_operations": shared},
            extra_loglik=lambda m: pt.zeros(4),
        )
    assert "q1::joint_operations" in sub.named_vars
    assert "q1::scenario_probability" in sub.named_vars
    # one log-likelihood per scenario, or an error that says so (not a failure at compile time)
    for wrong in (pt.zeros(3), pt.zeros((4, 2)), pt.as_tensor_variable(0.0)):
        with pytest.raises(ValueError, match=r"one log-likelihood per scenario, shape \(4,\)"):
            fc.build_pymc_model(
                BUNDLED_QUESTION, as_of="2025-10-27", extra_loglik=lambda m, w=wrong: w
            )


# --- sensitivity on MCMC output -----------------------------------------------------------


def test_importance_reweighting_agrees_with_exact_leave_one_out(bundled_runs):
    from forecasting import analyses as sn

    f_mcmc, f_exact = bundled_runs
    psis = sn.influence_psis(f_mcmc, refit=False)
    exact_loo = sn.evidence_influence(f_exact)
    assert np.all(psis["pareto_k"].values < sn.PARETO_K_MAX)
    np.testing.assert_allclose(
        psis["probability_without"].values, exact_loo["probability_without"].values, atol=0.03
    )


def test_importance_reweighting_refits_where_k_is_high(mixed_question, compiled):
    """Forced refits (k_max = -inf) reproduce the exact leave-one-out answers."""
    from forecasting import analyses as sn
    from forecasting.results.assemble import make_forecast

    ev = evidence(mixed_question, LEDGERS["one indicator only"])
    data = ModelData.build(mixed_question, ev)
    closed = exact.exact_posterior(data)
    result = mcmc.run(
        data,
        seed=3,
        exact_probability=closed.probability,
        model=compiled,
        progress=False,
        retry=False,
    )
    f = make_forecast(
        data,
        result,
        question=mixed_question,
        evidence=ev,
        as_of=ev.items[0].date,
        seed=3,
        engine_requested="mcmc",
    )
    psis = sn.influence_psis(f, k_max=-np.inf, seed=5)
    assert list(psis["method"].values) == ["refit", "refit"]
    exact_loo = sn.evidence_influence(mixed_question, ev, as_of=ev.items[0].date)
    np.testing.assert_allclose(
        psis["probability_without"].values, exact_loo["probability_without"].values, atol=0.03
    )


def test_power_scaling_sensitivity(bundled_runs):
    from forecasting import analyses as sn

    f_mcmc, _ = bundled_runs
    ps = sn.power_scaling(f_mcmc)
    assert set(ps.data_vars) == {"prior", "likelihood"}
    assert ps["prior"].dims == ("scenario",)
    assert np.all(np.isfinite(ps["prior"].values)) and np.all(ps["likelihood"].values > 0)
    tree = sn.sensitivity(f_mcmc)
    assert "power_scaling" in tree.children


# --- health and reproducibility -------------------------------------------------------------


def test_failed_diagnostics_are_retried_then_reported(mixed_question, compiled):
    from forecasting.results.assemble import make_forecast

    ev = evidence(mixed_question, LEDGERS["several items, w < 1"])
    data = ModelData.build(mixed_question, ev)
    closed = exact.exact_posterior(data)
    result = mcmc.run(
        data,
        draws=25,
        tune=25,
        seed=1,
        exact_probability=closed.probability,
        model=compiled,
        progress=False,
    )
    assert result.settings["retried"] is True
    assert result.settings["tune"] >= 3000 and result.settings["target_accept"] >= 0.97
    assert result.diagnostics["first_attempt_problems"]
    assert any("ESS" in p for p in result.diagnostics["problems"])
    f = make_forecast(
        data,
        result,
        question=mixed_question,
        evidence=ev,
        as_of=ev.items[0].date,
        seed=1,
        engine_requested="mcmc",
    )
    assert f.warnings and all(w.startswith("MCMC diagnostics failed") for w in f.warnings)
    assert f.to_dict()["diagnostics"]["warnings"] == f.warnings
    from forecasting.presentation.tables import format_table

    assert "WARNING: MCMC diagnostics failed" in format_table(f)


def test_update_with_failing_mcmc_exits_3(tmp_path, capsys):
    import shutil

    from builders import BUNDLED_EVIDENCE

    from forecasting.cli import main

    (tmp_path / "models").mkdir()
    shutil.copy(BUNDLED_QUESTION, tmp_path / "models" / "syria_coalition.yaml")
    shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / "syria-coalition")
    q = str(tmp_path / "models" / "syria_coalition.yaml")
    code = main(["update", q, "--as-of", "2025-10-27", "--engine", "mcmc", "--draws", "30"])
    out = capsys.readouterr()
    assert code == 3
    assert "FLAGGED: MCMC diagnostics" in out.out
    md = (tmp_path / "reports" / "syria-coalition" / "2025-10-27" / "report.md").read_text()
    assert "WARNING:** Sampler diagnostics" in md


def test_mcmc_is_reproducible_and_verifies(bundled_runs, tmp_path):
    from forecasting.pipeline.verify import verify

    """``verify`` reruns the file's inputs with its seed and compares everything the file shows
    (to 1e-9): the rerun is the reproducibility check, so no second run is made here."""
    f_mcmc, _ = bundled_runs
    path = f_mcmc.save(tmp_path / "mcmc.nc")
    result = verify(path, progress=False)
    assert result.reproduces, result.differences
    # the same numbers to the last digit (the rerun's provenance names no question file: it
    # reran the question embedded in the file)
    again, first = json.loads(result.rerun.to_json()), json.loads(f_mcmc.to_json())
    assert again.pop("provenance")["seed"] == first.pop("provenance")["seed"] == 1
    assert again == first


def test_set_evidence_swaps_the_ledger_without_rebuilding():
    """Under the tempered model the evidence is pm.Data: another as-of date, same model."""
    from forecasting.model.pymc_model import evidence_data

    q = fc.load_question(BUNDLED_QUESTION)
    q = fc.Question.model_validate(q.to_dict() | {"reliability_model": "tempered"})
    ev = fc.load_evidence(BUNDLED_EVIDENCE, q)
    model = fc.build_pymc_model(q, ev, as_of="2025-10-27")
    fc.set_evidence(model, q, ev, as_of="2025-10-20")
    expected = evidence_data(ModelData.build(q, ev.as_of(dt.date(2025, 10, 20))))
    for name, value in expected.items():
        np.testing.assert_allclose(model[name].get_value(), value)


def test_under_the_mixture_a_model_cannot_take_other_evidence_in_place():
    """The mixture's reports are constants of the graph: swapping would change nothing, so
    it is refused with the reason (and the MCMC engine refuses a model built beforehand)."""
    model = fc.build_pymc_model(BUNDLED_QUESTION, as_of="2025-10-27")
    with pytest.raises(ValueError, match="constants of the PyMC graph"):
        fc.set_evidence(model, BUNDLED_QUESTION, as_of="2025-10-20")
    q = fc.load_question(BUNDLED_QUESTION)
    data = ModelData.build(q, fc.load_evidence(None, q).as_of(dt.date(2025, 10, 20)))
    with pytest.raises(ValueError, match="build the model again"):
        mcmc.run(data, model=model, progress=False)


def test_a_scenario_below_one_in_a_million_raises_no_alarm():
    """3e-7 by the exact engine: whatever the draws say of it, no reader could see it."""
    q = question(
        ("a", "b", "c"), indicators={"fact": binary({"a": (8, 2), "b": (5, 5), "c": (0.5, 30)})}
    )
    ev = evidence(q, [item(f"f{i}", "fact", True) for i in range(6)])
    f = fc.forecast(q, ev, as_of="2025-06-01", engine="mcmc", seed=2, progress=False)
    exact_p = fc.forecast(q, ev, as_of="2025-06-01").probabilities.values
    assert exact_p[2] < 1e-6
    assert f.warnings == [] and f.diagnostics["problems"] == []
    assert f.diagnostics["agreement_z_max"] >= 0


def test_jax_compile_cache_cold_or_warm_gives_the_same_forecast(tmp_path):
    """Same inputs and seed, an empty and a filled compile cache: the same JSON.

    On a question of two scenarios and one count (the cache is what is tested, not the model:
    the bundled question took 70 s of the suite here, twice a cold compile).
    """
    import subprocess
    import sys

    import yaml

    body = {
        "id": "small",
        "title": "Small",
        "scenarios": {"a": {"label": "a"}, "b": {"label": "b"}},
        "indicators": {"ops": count({"a": (6, 2), "b": (2, 2)})},
    }
    (tmp_path / "models").mkdir()
    question_file = tmp_path / "models" / "small.yaml"
    question_file.write_text(yaml.safe_dump(body))
    (tmp_path / "evidence" / "small").mkdir(parents=True)
    rows = [
        {
            "id": "o1",
            "indicator": "ops",
            "value": 5,
            "exposure": 2,
            "date": "2025-03-01",
            "source": "s",
        }
    ]
    (tmp_path / "evidence" / "small" / "items.yaml").write_text(yaml.safe_dump(rows))
    cmd = [sys.executable, "-m", "forecasting.cli", "run", str(question_file)]
    cmd += ["--as-of", "2025-04-01", "--engine", "mcmc", "--draws", "300", "--json"]
    env = dict(__import__("os").environ, FORECASTING_CACHE_DIR=str(tmp_path / "cache"))
    runs = [subprocess.run(cmd, env=env, capture_output=True, text=True, check=True) for _ in "ab"]
    cold, warm = (json.loads(r.stdout) for r in runs)
    assert any((tmp_path / "cache" / "jax").iterdir())  # the second run found a filled cache
    assert cold["scenarios"] == warm["scenarios"]
    assert cold["diagnostics"] == warm["diagnostics"]


def test_verify_reruns_with_the_sampler_the_file_recorded(tmp_path, monkeypatch):
    """A forecast made by PyMC's own NUTS is rerun by it, not by today's default."""
    import forecasting.api

    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=5)
    prov = json.loads(f.tree.attrs["provenance"])
    prov["engine"] = "mcmc"
    prov["settings"] = {"draws": 10, "tune": 10, "chains": 2, "sampler": "pymc-nuts"}
    tree = f.tree.copy()
    tree.attrs["provenance"] = json.dumps(prov)
    path = fc.Forecast(tree).save(tmp_path / "f.nc")
    seen = {}

    def rerun(*args, **kwargs):
        seen.update(kwargs)
        return fc.Forecast(tree)

    monkeypatch.setattr(forecasting.api, "forecast", rerun)
    assert fc.verify(path).reproduces
    assert seen["engine"] == "mcmc" and seen["sampler"] == "pymc-nuts"
    prov["settings"].pop("sampler")  # made before samplers were recorded: PyMC's own
    tree.attrs["provenance"] = json.dumps(prov)
    fc.verify(fc.Forecast(tree).save(tmp_path / "g.nc"))
    assert seen["sampler"] == "pymc-nuts"


def test_a_question_with_every_kind_through_the_mcmc_engine(tmp_path, capsys):
    """`forecast run --engine mcmc` on one indicator of every kind, checked against exact."""
    import yaml

    from forecasting.cli import main
    from forecasting.kinds import kinds

    scenarios = ["holds", "frays", "collapses"]
    body = {
        "id": "every-kind",
        "title": "Every kind",
        "scenarios": {s: {"label": s} for s in scenarios},
        "indicators": {f"{n}_ind": k.example(scenarios) for n, k in kinds().items()},
    }
    (tmp_path / "models").mkdir()
    question_file = tmp_path / "models" / "every_kind.yaml"
    question_file.write_text(yaml.safe_dump(body))
    rows = [
        {
            "id": f"{n}-{i}",
            "indicator": f"{n}_ind",
            "value": v,
            "date": "2025-03-01",
            "source": "s",
            **k.example_item(),
        }
        for n, k in kinds().items()
        for i, v in enumerate(k.example_values())
    ]
    (tmp_path / "evidence" / "every-kind").mkdir(parents=True)
    (tmp_path / "evidence" / "every-kind" / "items.yaml").write_text(yaml.safe_dump(rows))
    cmd = ["run", str(question_file), "--as-of", "2025-04-01", "--engine", "mcmc", "--json"]
    assert main(cmd) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == "mcmc" and out["diagnostics"]["problems"] == []
    exact_p = fc.forecast(question_file, as_of="2025-04-01").probabilities.values
    for s, p in zip(out["scenarios"], exact_p, strict=True):
        assert abs(s["probability"] - p) <= max(4 * s["mcse"], 1e-3)


def test_the_truth_mixture_model_through_the_mcmc_engine(tmp_path, capsys):
    """Every kind, unreliable origins shared across reports, an event two origins report
    differently (a component summed over its origins' states): MCMC agrees with exact."""
    import yaml

    from forecasting.cli import main
    from forecasting.kinds import kinds

    scenarios = ["a", "b", "c"]
    body = {
        "id": "mixed-reliability",
        "title": "Truth mixture",
        "reliability_model": "mixture",
        "relays": {"Enab Baladi": 0.8},
        "scenarios": {s: {"label": s} for s in scenarios},
        "indicators": {f"{n}_ind": k.example(scenarios) for n, k in kinds().items()},
    }
    (tmp_path / "models").mkdir()
    question_file = tmp_path / "models" / "mixed.yaml"
    question_file.write_text(yaml.safe_dump(body))
    origins = [("MEI", "B"), ("ministry", "C"), ("eyewitness", "D")]
    rows = []
    for n, k in kinds().items():
        for i, v in enumerate(k.example_values()):
            origin, letter = origins[i % 3]
            rows.append(
                {
                    "id": f"{n}-{i}",
                    "indicator": f"{n}_ind",
                    "value": v,
                    "date": "2025-03-01",
                    "source": "Enab Baladi",
                    "origin": origin,
                    "via": ["Enab Baladi"],
                    "reliability": f"{letter}{2 + i % 3}",
                    **k.example_item(),
                }
            )
        if k.shared_events:  # the first value reported again, otherwise, by another origin
            first = dict(rows[-len(k.example_values())], event=f"{n}-event")
            rows[-len(k.example_values())] = first
            other = dict(first, id=f"{n}-other", origin="Reuters", reliability="B2")
            other["value"] = k.example_values()[1]
            rows.append(other)
    (tmp_path / "evidence" / "mixed-reliability").mkdir(parents=True)
    (tmp_path / "evidence" / "mixed-reliability" / "items.yaml").write_text(yaml.safe_dump(rows))
    cmd = ["run", str(question_file), "--as-of", "2025-04-01", "--engine", "mcmc", "--json"]
    assert main(cmd) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == "mcmc" and out["diagnostics"]["problems"] == []
    assert out["provenance"]["reliability_model"] == "mixture"
    exact = fc.forecast(question_file, as_of="2025-04-01")
    assert exact.evidence().items[0].origin == "MEI"
    for s, p in zip(out["scenarios"], exact.probabilities.values, strict=True):
        assert abs(s["probability"] - p) <= max(4 * s["mcse"], 1e-3)
