"""The disagreement map: exact Shapley parts of each analyst's and the pool's move."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from builders import SMALL_QUESTION, small_project

import forecasting as fc
from forecasting.analyses.disagreement import (
    MAX_EXACT,
    disagreement_map,
    shapley_values,
    top_judgements,
)
from forecasting.cli import EXIT_OK, main

AS_OF = "2025-10-27"
CATCH_ALL = "catch_all: {label: Something else, prior: 0.1}\n"


@pytest.fixture
def project(tmp_path) -> Path:
    return small_project(tmp_path)


def write(question: Path, name: str, body: str) -> Path:
    folder = question.parent / question.stem / "analysts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(f"analyst: {name}\n{body}")
    return path


HAWK = """\
scenarios:
  holds: {prior: 0.3}
  frays: {prior: 0.4}
  collapses: {prior: 0.3}
indicators:
  talks:
    probability:
      holds: {alpha: 5, beta: 5}
  clashes:
    rate:
      collapses: {shape: 12, rate: 2}
"""
DOVE = """\
scenarios:
  holds: {prior: 0.6}
  frays: {prior: 0.25}
  collapses: {prior: 0.15}
indicators:
  clashes:
    rate:
      frays: {shape: 10, rate: 2}
"""


@pytest.mark.parametrize(("pool", "extremize"), [("linear", 1.0), ("gmo", 1.5), ("log", 1.0)])
def test_parts_sum_to_each_analysts_move_and_to_the_pools(project, pool, extremize):
    write(project, "hawk", HAWK)
    write(project, "dove", DOVE)
    ds = disagreement_map(project, as_of=AS_OF, pool=pool, extremize=extremize)
    result = fc.forecast_analysts(
        project, as_of=AS_OF, pool=pool, extremize=extremize, confidence=False
    )
    want = result.probabilities.probability.values - result.probabilities.shared.values
    assert np.max(np.abs(ds.total.values - want)) < 1e-12
    assert np.max(np.abs(ds.contribution.sum("judgement").values - want)) < 1e-9
    pooled = ds.pooled_contribution.sum(("judgement", "analyst")).values
    assert np.max(np.abs(pooled - ds.pooled_total.values)) < 1e-9
    assert np.max(np.abs(ds.pooled.values - ds.baseline.values - pooled)) < 1e-9
    assert json.loads(ds.attrs["methods"]) == {"dove": "exact", "hawk": "exact"}
    assert ds.attrs["pooled_method"] == "exact"
    assert float(ds.contribution_mcse.max()) == 0.0
    if pool == "linear":  # the pool's part of a judgement is the analyst's, times the weight
        w = result.probabilities.weight.values[None, :, None]
        assert np.allclose(ds.pooled_contribution.values, w * ds.contribution.values, atol=1e-15)
        assert np.allclose(ds.baseline.values, result.probabilities.shared.values)
    # the readable labels of every kind of judgement changed here
    labels = dict(zip(ds.judgement.values, ds.judgement_label.values, strict=True))
    assert labels["scenarios.holds.prior"] == "prior of 'holds'"
    assert labels["indicators.talks.probability.holds"] == "talks | holds"
    assert labels["indicators.clashes.rate.frays"] == "clashes | frays"


def test_a_judgement_an_analyst_did_not_change_contributes_nothing(project):
    write(project, "hawk", HAWK)
    write(project, "dove", DOVE)
    ds = disagreement_map(project, as_of=AS_OF)
    changed = ds.changed.values
    assert changed.sum() == 5 + 4  # hawk: 3 priors, 2 likelihood entries; dove: 3 priors, 1
    untouched = ~changed
    assert np.all(ds.contribution.values[untouched] == 0.0)
    assert np.all(ds.pooled_contribution.values[untouched] == 0.0)
    talks = ds.sel(judgement="indicators.talks.probability.holds")
    assert bool(talks.changed.sel(analyst="hawk")) and not bool(talks.changed.sel(analyst="dove"))
    assert float(np.abs(talks.contribution.sel(analyst="hawk")).max()) > 1e-3  # it did move


def test_two_analysts_differing_in_one_prior_only_have_all_of_it_on_that_prior(project):
    project.write_text(SMALL_QUESTION + CATCH_ALL)
    write(project, "wide", "catch_all: {prior: 0.2}\n")
    write(project, "narrow", "catch_all: {prior: 0.05}\n")
    ds = disagreement_map(project, as_of=AS_OF, analysts=["wide", "narrow"])
    assert list(ds.judgement_label.values) == ["prior of the catch-all"]
    part = ds.contribution.sel(judgement="catch_all.prior").values
    assert np.max(np.abs(part - ds.total.values)) < 1e-12
    difference = ds.probability.sel(analyst="wide") - ds.probability.sel(analyst="narrow")
    split = part[0] - part[1]
    assert np.max(np.abs(split - difference.values)) < 1e-12 and np.abs(split).max() > 1e-3


def test_sampled_shapley_states_its_error_and_still_sums_to_the_total():
    n = MAX_EXACT + 2
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(n, 2))

    def value(mask: int) -> np.ndarray:  # additive, plus one interaction of players 0 and 1
        bits = np.array([(mask >> i) & 1 for i in range(n)], dtype=float)
        return bits @ weights + (0.5 if mask & 3 == 3 else 0.0)

    phi, se, how = shapley_values(value, n, max_exact=MAX_EXACT, permutations=400, seed=1)
    assert how == "sampled"
    assert np.allclose(phi.sum(axis=0), value((1 << n) - 1) - value(0), atol=1e-12)
    assert np.allclose(phi[2:], weights[2:], atol=1e-12)  # no interaction: no sampling error
    assert np.all(se[2:] < 1e-12) and np.all(se[:2] > 0)
    assert np.all(np.abs(phi[:2] - (weights[:2] + 0.25)) < 5 * se[:2] + 1e-12)
    exact, exact_se, how = shapley_values(value, 6, max_exact=MAX_EXACT, permutations=0)
    assert how == "exact" and not exact_se.any()
    assert np.allclose(exact[:2], weights[:2] + 0.25) and np.allclose(exact[2:], weights[2:6])


def test_cli_table_and_json_show_the_top_judgement(project, capsys):
    write(project, "hawk", HAWK)
    write(project, "dove", DOVE)
    args = ["run", str(project), "--as-of", AS_OF, "--analysts", "all"]
    assert main(args) == EXIT_OK
    out = capsys.readouterr().out
    ds = disagreement_map(project, as_of=AS_OF)
    first = str(ds.judgement_label.values[top_judgements(ds)[0]])
    table = out[out.index("What the analysts differ on") :]
    assert table.splitlines()[3].strip().startswith(first)
    assert "total (move from shared)" in table
    assert main([*args, "--json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    got = {j["judgement"]: j for j in data["disagreement"]["judgements"]}
    assert set(got) == set(ds.judgement.values)
    k = ds.attrs["leader"]
    for j in got.values():
        want = ds.contribution.sel(judgement=j["judgement"], scenario=k)
        for a, part in j["analysts"].items():
            assert math.isclose(part["contribution"][k], float(want.sel(analyst=a)))
    assert data["leaders"] and "leader_spread" in data


def test_the_plot_draws():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from forecasting.presentation.plots import plot_disagreement

    ds = disagreement_map(
        "models/syria_coalition.yaml", as_of=AS_OF, analysts=["sdf_impasse", "trust_gap"]
    )
    fig, ax = plot_disagreement(ds, top=5)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 5 and labels[0] == str(ds.judgement_label.values[top_judgements(ds)[0]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sdf_impasse", "trust_gap", "pool"]
    assert all("$" not in t.get_text() for t in fig.findobj(matplotlib.text.Text))
    plt.close(fig)
    empty = ds.isel(judgement=[])
    fig, _ = plot_disagreement(empty)
    plt.close(fig)
