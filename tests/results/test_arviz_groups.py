"""ArviZ reads a forecast's tree under its conventions (issue 17).

``log_likelihood`` holds one pointwise value per item (chain, draw, item), so that ``az.loo``
counts 12 observations for 12 items and estimates the leave-one-out predictive the closed
form gives; the per-scenario shares live in ``log_likelihood_scenario``; files of the earlier
layout (per-scenario values in ``log_likelihood``) are read as written, and still verify
(``tests/pipeline/test_verify.py``).
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, ROOT
from scipy import special

import forecasting as fc
from forecasting.analyses.base import base_of
from forecasting.engines.exact import exact_posterior

AS_OF = "2025-10-27"
OLD_FILES = (
    sorted((ROOT / "tests" / "pipeline" / "data").glob("*.nc"))
    + sorted((ROOT / "forecasts" / "syria-coalition").glob("*.nc"))[:1]
)


@pytest.fixture(scope="module")
def forecast():
    return fc.forecast(BUNDLED_QUESTION, BUNDLED_EVIDENCE, as_of=AS_OF, seed=3)


def _log_evidence(data) -> float:
    """``log p(E)``: the scenario and its mix integrated out (``P(S = k) = prior_k``)."""
    post = exact_posterior(data)
    return float(special.logsumexp(np.log(data.prior) + post.log_marginal))


def test_log_likelihood_has_one_value_per_item(forecast):
    ll = forecast.tree["log_likelihood"]["evidence"]
    n = len(forecast.evidence_items)
    assert ll.dims == ("chain", "draw", "item") and ll.sizes["item"] == n
    by_scenario = forecast.tree["log_likelihood_scenario"]["evidence"]
    assert by_scenario.dims == ("chain", "draw", "scenario", "item")
    loo = az.loo(forecast.tree, pointwise=True)
    assert loo.n_data_points == n  # not n * scenarios


def test_loo_estimates_the_exact_leave_one_out_predictive(forecast):
    data = base_of(forecast).data
    full = _log_evidence(data)
    exact = np.array([full - _log_evidence(data.without_items({item})) for item in data.item_ids])
    loo = az.loo(forecast.tree, pointwise=True)
    assert np.all(loo.pareto_k.values < 0.7)
    np.testing.assert_allclose(loo.elpd_i.values, exact, atol=0.05)
    assert loo.elpd == pytest.approx(exact.sum(), abs=0.2)


def test_summary_of_scenario_probability_is_the_forecast(forecast):
    summary = az.summary(forecast.tree, var_names=["scenario_probability"], kind="stats")
    mean = summary["mean"].to_numpy(dtype=float)
    np.testing.assert_allclose(mean, forecast.probabilities.values, atol=0.02)


@pytest.mark.parametrize("path", OLD_FILES, ids=lambda p: p.name)
def test_files_of_the_earlier_layout_read_as_written(path):
    g = fc.Forecast.load(path)
    by_scenario = g.log_likelihood_by_scenario
    if "log_likelihood" in g.tree.children:  # the earlier layout: per scenario, as written
        assert "scenario" in g.tree["log_likelihood"].dims
        assert by_scenario is not None and by_scenario.dims[-2:] == ("scenario", "item")


def test_new_files_keep_both_groups(forecast, tmp_path):
    g = fc.Forecast.load(forecast.save(tmp_path / "f.nc"))
    assert g.tree["log_likelihood"]["evidence"].dims == ("chain", "draw", "item")
    assert g.log_likelihood_by_scenario.dims == ("chain", "draw", "scenario", "item")


def test_pi_is_the_scenario_mix_not_the_forecast(forecast):
    pi = forecast.tree["posterior"]["pi"]
    assert "not the forecast" in pi.attrs["description"]
    q = fc.load_question(BUNDLED_QUESTION)
    c, p = q.concentration, forecast.probabilities.values
    np.testing.assert_allclose(
        pi.mean(("chain", "draw")).values, (c * q.prior + p) / (c + 1), atol=0.02
    )
