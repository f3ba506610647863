"""In worlds drawn from the model's own prior, the forecasts are calibrated; in worlds that
break its assumptions the reliability diagram shows it.

Each world (:mod:`responsiveness_worlds`: a scenario from the prior, parameters from their
priors under it, a ledger of reports each genuine with probability 0.8, else noise) is one
question that resolves to the scenario drawn. The exact engine's probabilities of 600 such
questions go into the CORP reliability diagram (:func:`forecasting.scoring.calibration.
reliability`): under the model, the recalibrated curve stays inside its pointwise 90%
consistency band at about 90% of the points and the miscalibration term is small. Where every
report is copied three times and the copies logged as independent origins (an echo), the
same worlds are forecast overconfidently: the curve leaves the band and the miscalibration
grows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "confidence"))

from responsiveness_worlds import ARRIVALS, draw_world, world_question  # noqa: E402

import forecasting as fc  # noqa: E402
from forecasting.engines.exact import exact_posterior  # noqa: E402
from forecasting.model.data import ModelData  # noqa: E402
from forecasting.scoring.calibration import reliability  # noqa: E402

WORLDS = 600


def forecasts(echo: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities (WORLDS, K), truths)``; each report logged ``echo`` times."""
    q = world_question()
    rng = np.random.default_rng(seed)
    p, truth = [], []
    for _ in range(WORLDS):
        t, history, horizon = draw_world(rng, ARRIVALS)
        items = [
            dict(it, id=f"{it['id']}-copy{c}", source=f"{it['id']}-outlet{c}")
            for it in history + horizon
            for c in range(echo)
        ]
        data = ModelData.build(q, fc.Evidence.from_items(items, q))
        p.append(exact_posterior(data).probability)
        truth.append(t)
    return np.array(p), np.array(truth)


def test_forecasts_in_the_model_s_own_worlds_are_calibrated_and_an_echo_is_not():
    p, truth = forecasts(echo=1)
    good = reliability(p, truth, seed=2)
    # pointwise 90% band: about 90% of the points inside when calibrated (measured 0.927,
    # miscalibration 0.0028 of a Brier score of 0.089; with the echo 0.327 and 0.0068)
    assert good.attrs["share_inside_band"] >= 0.8, good.attrs
    assert good.attrs["miscalibration"] < 0.01, good.attrs
    assert good.attrs["discrimination"] > 0.05  # the evidence does tell the scenarios apart
    p3, truth3 = forecasts(echo=3)
    assert np.array_equal(truth3, truth)  # the same worlds
    echo = reliability(p3, truth3, seed=2)
    assert echo.attrs["miscalibration"] > 2 * good.attrs["miscalibration"], echo.attrs
    assert echo.attrs["share_inside_band"] < good.attrs["share_inside_band"]
    assert echo.attrs["mean_score"] > good.attrs["mean_score"]
