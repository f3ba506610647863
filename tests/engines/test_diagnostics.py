"""The MCMC engine's health checks on draws made up here (no sampling): what counts as failure."""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecasting.core.constants import AGREEMENT_FLOOR
from forecasting.engines.mcmc import diagnose

SCENARIOS = ["holds", "frays", "collapses"]


def tree_of(draws: np.ndarray) -> xr.DataTree:
    """A posterior of scenario probabilities (chain, draw, scenario), no divergences."""
    chains, n, k = draws.shape
    coords = {"chain": np.arange(chains), "draw": np.arange(n), "scenario": SCENARIOS[:k]}
    return xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {"scenario_probability": (("chain", "draw", "scenario"), draws)}, coords=coords
            ),
            "sample_stats": xr.Dataset(
                {"diverging": (("chain", "draw"), np.zeros((chains, n), dtype=bool))},
                coords={"chain": coords["chain"], "draw": coords["draw"]},
            ),
        }
    )


def draws_around(means: np.ndarray, sds: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return means + sds * rng.standard_normal((2, 2000, len(means)))


def test_a_negligible_scenario_raises_no_alarm():
    """3.8e-7 against an exact 3.7e-7 is many MCSE apart, but no reader can see it."""
    means = np.array([0.6, 0.4 - 3.8e-7, 3.8e-7])
    draws = draws_around(means, np.array([0.05, 0.05, 1e-9]))
    exact = np.array([0.6, 0.4 - 3.7e-7, 3.7e-7])
    diag = diagnose(tree_of(draws), exact, SCENARIOS)
    assert diag["agreement_z_max"] > 4  # far apart in MCSE ...
    assert diag["problems"] == []  # ... yet no problem


def test_a_visible_disagreement_names_its_scenario():
    means = np.array([0.6, 0.3, 0.1])
    draws = draws_around(means, np.array([0.02, 0.02, 0.01]))
    exact = np.array([0.56, means[1], means[2]])  # (the check is per scenario)
    diag = diagnose(tree_of(draws), exact, SCENARIOS)
    (problem,) = diag["problems"]
    assert problem.startswith("MCMC and exact disagree on 'holds': ")
    assert " vs 0.56 (" in problem
    assert f"> {AGREEMENT_FLOOR:g}" in problem


def test_agreement_within_monte_carlo_error_is_no_problem():
    means = np.array([0.5, 0.3, 0.2])
    draws = draws_around(means, np.array([0.05, 0.05, 0.05]))
    diag = diagnose(tree_of(draws), draws.mean(axis=(0, 1)) + 1e-4, SCENARIOS)
    assert diag["problems"] == []


def test_a_negligible_scenario_is_left_out_of_r_hat_and_ess():
    """Draws of a scenario at 1e-9 are constant: r_hat is NaN, ESS meaningless; no alarm."""
    means = np.array([0.6, 0.4, 0.0])
    draws = draws_around(means, np.array([0.05, 0.05, 0.0]))
    draws[..., 2] = 1e-9
    diag = diagnose(tree_of(draws), draws.mean(axis=(0, 1)), SCENARIOS)
    assert np.isnan(diag["rhat"][2]) or diag["rhat"][2] > 1.01 or diag["ess_bulk"][2] < 400
    assert diag["problems"] == []


def test_poor_mixing_of_a_visible_scenario_is_reported():
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.standard_normal((2, 2000)), axis=1) * 0.002
    draws = np.stack([0.5 + walk, 0.3 - walk, np.full((2, 2000), 0.2)], axis=-1)
    draws[1] += 0.05  # the chains disagree
    diag = diagnose(tree_of(draws), None, SCENARIOS)
    assert any(p.startswith("r_hat") for p in diag["problems"])
    assert any(p.startswith("ESS") for p in diag["problems"])
