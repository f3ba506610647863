"""Scores of archived forecasts, their time average, and the CORP calibration, by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import xarray as xr

from forecasting.scoring.calibration import pav, reliability
from forecasting.scoring.scores import brier, log_score, score_question, skill, stood_days


def test_brier_and_log_score_by_hand():
    p = np.array([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    # (0.5-1)^2 + 0.3^2 + 0.2^2; certain and right; certain and wrong
    np.testing.assert_allclose(brier(p, 0), [0.38, 0.0, 2.0], atol=1e-15)
    np.testing.assert_allclose(log_score(p[:1], 1), [-np.log(0.3)])
    assert log_score(p[2:], 0)[0] == np.inf
    # uniform over K scores 1 - 1/K, and ln K
    u = np.full((1, 4), 0.25)
    assert brier(u, 2)[0] == pytest.approx(0.75) and log_score(u, 2)[0] == pytest.approx(np.log(4))


def history(dates, probabilities, prior):
    """A history Dataset as the archive gives it."""
    k = len(prior)
    return xr.Dataset(
        {
            "probability": (("as_of", "scenario"), np.array(probabilities, dtype=float)),
            "prior": (("as_of", "scenario"), np.tile(prior, (len(dates), 1))),
        },
        coords={
            "as_of": [np.datetime64(d, "ns") for d in dates],
            "scenario": [f"s{i}" for i in range(k)],
        },
    )


def test_a_question_s_score_weights_each_forecast_by_how_long_it_stood():
    d = [dt.date(2025, 1, 1), dt.date(2025, 1, 8), dt.date(2025, 1, 15), dt.date(2025, 3, 1)]
    probs = [[0.5, 0.5], [0.8, 0.2], [0.9, 0.1], [0.0, 1.0]]
    h = history(d, probs, [0.5, 0.5])
    s = score_question(h, "s0", dt.date(2025, 1, 31))
    # the forecast of 2025-03-01 came after the outcome was known: not scored
    assert s.attrs["n_forecasts"] == 3
    np.testing.assert_array_equal(s["stood_days"].values, [7, 7, 16])
    by_hand = [2 * 0.5**2, 2 * 0.2**2, 2 * 0.1**2]
    np.testing.assert_allclose(s["brier"].values, by_hand)
    assert s.attrs["brier"] == pytest.approx(np.dot([7, 7, 16], by_hand) / 30)
    logs = -np.log([0.5, 0.8, 0.9])
    assert s.attrs["log"] == pytest.approx(np.dot([7, 7, 16], logs) / 30)
    assert s.attrs["brier_prior"] == pytest.approx(0.5)
    assert s.attrs["brier_skill_prior"] == pytest.approx(1 - s.attrs["brier"] / 0.5)
    assert s.attrs["log_skill_uniform"] == pytest.approx(1 - s.attrs["log"] / np.log(2))
    np.testing.assert_allclose(s["time_averaged"].values, np.dot([7, 7, 16], probs[:3]) / 30)


def test_stood_days_and_skill_edge_cases():
    days = stood_days([dt.date(2025, 1, 1)], dt.date(2025, 1, 11))
    np.testing.assert_array_equal(days, [10])
    assert skill(0.2, 0.5) == pytest.approx(0.6)
    assert np.isnan(skill(0.2, 0.0)) and np.isnan(skill(np.inf, 1.0))


def test_pav_by_hand():
    x = np.array([0.1, 0.1, 0.4, 0.8])
    y = np.array([0.0, 1.0, 0.0, 1.0])
    ux, fit = pav(x, y)
    np.testing.assert_array_equal(ux, [0.1, 0.4, 0.8])
    # 0.1 (mean 1/2, two events) and 0.4 (mean 0) violate the order: pooled to 1/3
    np.testing.assert_allclose(fit, [1 / 3, 1 / 3, 1.0])


def test_the_brier_decomposition_by_hand():
    # two questions of two scenarios: probabilities (0.1, 0.9) and (0.4, 0.6); outcomes 1 and 0
    p = np.array([[0.1, 0.9], [0.4, 0.6]])
    r = reliability(p, np.array([1, 0]), resamples=200)
    x = np.array([0.1, 0.9, 0.4, 0.6])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    score = np.mean((x - y) ** 2)
    # PAV over x ascending 0.1, 0.4, 0.6, 0.9 with outcomes 0, 1, 0, 1: 0, 1/2, 1/2, 1
    fit = np.array([0.0, 1.0, 0.5, 0.5])
    fitted_score = np.mean((fit - y) ** 2)
    assert r.attrs["mean_score"] == pytest.approx(score)
    assert r.attrs["miscalibration"] == pytest.approx(score - fitted_score)
    assert r.attrs["uncertainty"] == pytest.approx(0.25)  # base rate 1/2
    assert r.attrs["discrimination"] == pytest.approx(0.25 - fitted_score)
    a = r.attrs
    assert a["mean_score"] == pytest.approx(
        a["miscalibration"] - a["discrimination"] + a["uncertainty"]
    )
    np.testing.assert_allclose(r["recalibrated"].values, [0.0, 0.5, 0.5, 1.0])


def test_calibrated_forecasts_stay_inside_the_band_and_overconfident_ones_do_not():
    rng = np.random.default_rng(3)
    p = rng.dirichlet([1.0, 1.0, 1.0], size=600)
    truth = np.array([rng.choice(3, p=row) for row in p])
    calibrated = reliability(p, truth, seed=1)
    # a pointwise 90% band: about 90% of the points inside under calibration (here 0.897)
    assert calibrated.attrs["share_inside_band"] >= 0.8, calibrated.attrs
    assert calibrated.attrs["miscalibration"] < 0.01
    sharp = p**3 / (p**3).sum(axis=1, keepdims=True)  # the same skill, claimed too surely
    over = reliability(sharp, truth, seed=1)
    assert over.attrs["share_inside_band"] < 0.5, over.attrs
    assert over.attrs["miscalibration"] > 5 * calibrated.attrs["miscalibration"]
    # recalibration recovers what the overconfident forecasts knew: the same discrimination
    assert over.attrs["discrimination"] == pytest.approx(
        calibrated.attrs["discrimination"], abs=0.02
    )


def test_questions_with_fewer_scenarios_leave_nan_out():
    p = np.array([[0.7, 0.3, np.nan], [0.2, 0.3, 0.5]])
    r = reliability(p, np.array([0, 2]), resamples=50)
    assert r.attrs["n_pairs"] == 5 and r.attrs["n_questions"] == 2
    assert int(r["n"].sum()) == 5
