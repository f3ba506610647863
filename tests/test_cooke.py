"""Cooke's classical model for scenario forecasts (forecasting.core.cooke)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2, power_divergence

from forecasting.core.cooke import (
    BIN_PROBABILITIES,
    NO_RECORDS,
    bin_counts,
    calibration,
    cooke_weights,
    events,
    information,
)

# Four resolved questions of two scenarios, one analyst:
#   (0.75, 0.25), the first happened    -> events (0.75, yes), (0.25, no)
#   (0.75, 0.25), the second happened   -> events (0.75, no),  (0.25, yes)
#   (0.35, 0.65), the second happened   -> events (0.35, no),  (0.65, yes)   (twice)
# Bins (width 0.1, probability = centre): 0.25, 0.35, 0.65 and 0.75, two events each, with
# observed frequencies s = 0.5, 0, 1 and 0.5.
HAND = [((0.75, 0.25), 0), ((0.75, 0.25), 1), ((0.35, 0.65), 1), ((0.35, 0.65), 1)]


def test_calibration_and_information_by_hand():
    p, o = events(HAND)
    # I(0.5, 0.75) = I(0.5, 0.25) = 0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25) = 0.5 ln(4/3) = 0.14384
    # I(0, 0.35) = I(1, 0.65) = ln(1/0.65) = 0.43078
    # statistic = 2 * sum_b n_b I(s_b, p_b) = 2 * 2 * (ln(4/3) + 2 ln(1/0.65)) = 4.59699
    stat = 4 * (math.log(4 / 3) + 2 * math.log(1 / 0.65))
    # four bins used: chi-square with 4 degrees of freedom, whose survival function is
    # exp(-x/2) (1 + x/2): calibration = exp(-2.29850) * 3.29850 = 0.10041 * 3.29850 = 0.33120
    score, statistic, df = calibration(p, o)
    assert df == 4
    assert statistic == pytest.approx(stat, rel=1e-12)
    assert score == pytest.approx(math.exp(-stat / 2) * (1 + stat / 2), rel=1e-12)
    assert score == pytest.approx(0.33120, abs=1e-5)
    # base rate: 4 of the 8 events happened, r = 0.5; I(p, 0.5) = p ln 2p + (1-p) ln 2(1-p):
    # I(0.75) = I(0.25) = 0.75 ln 1.5 + 0.25 ln 0.5 = 0.13081, I(0.35) = I(0.65) = 0.04570;
    # information = the mean over the 8 events = (0.13081 + 0.04570) / 2 = 0.08825
    i75 = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    i35 = 0.35 * math.log(0.7) + 0.65 * math.log(1.3)
    assert information(p, o) == pytest.approx((i75 + i35) / 2, rel=1e-12)
    assert information(p, o) == pytest.approx(0.08825, abs=1e-5)


def test_records_by_scenario_id_read_the_same():
    ids = [({"a": a, "b": b}, "ab"[k]) for (a, b), k in HAND]
    np.testing.assert_array_equal(events(ids)[0], events(HAND)[0])
    np.testing.assert_array_equal(events(ids)[1], events(HAND)[1])


def test_calibration_is_scipys_likelihood_ratio_chi_square():
    rng = np.random.default_rng(3)
    for _ in range(20):
        records = []
        for _ in range(int(rng.integers(5, 60))):
            p = rng.dirichlet(np.ones(4) * 0.7)
            records.append((p, int(rng.choice(4, p=rng.dirichlet(np.ones(4))))))
        p, o = events(records)
        n, k = bin_counts(p, o)
        used = n > 0
        # each bin a binomial G-test (scipy's log-likelihood power divergence), summed
        g = sum(
            power_divergence([k[b], n[b] - k[b]], [n[b] * q, n[b] * (1 - q)], lambda_=0).statistic
            for b, q in enumerate(BIN_PROBABILITIES)
            if used[b]
        )
        score, stat, df = calibration(p, o)
        assert stat == pytest.approx(g, rel=1e-10)
        assert df == used.sum()
        assert score == pytest.approx(chi2.sf(g, used.sum()), rel=1e-10)


def simulate(rng, n, temper, k=3):
    """``n`` questions whose truth is drawn from p; the analyst says p**temper, renormalised."""
    out = []
    for _ in range(n):
        p = rng.dirichlet(np.ones(k))
        said = p**temper / (p**temper).sum()
        out.append((said, int(rng.choice(k, p=p))))
    return out


def test_a_calibrated_analyst_outweighs_a_miscalibrated_one():
    rng = np.random.default_rng(1)
    truth = [rng.dirichlet(np.ones(3)) for _ in range(200)]
    outcomes = [int(rng.choice(3, p=p)) for p in truth]

    def said(temper):
        return [(p**temper / (p**temper).sum(), o) for p, o in zip(truth, outcomes, strict=True)]

    records = {"calibrated": said(1.0), "overconfident": said(3.0), "timid": said(0.3)}
    cw = cooke_weights(records)  # 200 forecasts each, on the same questions
    assert cw.calibration[0] > 0.05
    assert cw.calibration[1] < 1e-6 and cw.calibration[2] < 1e-3
    assert cw.weights[0] > 0.99
    assert cw.information[1] > cw.information[0] > cw.information[2]  # bolder, more informative
    assert cw.weights.sum() == pytest.approx(1.0)


def test_weights_are_calibration_times_information_above_the_cutoff():
    rng = np.random.default_rng(2)
    records = {
        "a": simulate(rng, 40, 1.0),
        "b": simulate(rng, 40, 1.5),
        "c": simulate(rng, 40, 0.5),
    }
    cw = cooke_weights(records, alpha=0.0)
    raw = cw.calibration * cw.information
    np.testing.assert_allclose(cw.weights, raw / raw.sum(), rtol=1e-12)
    # a cutoff between two calibration scores drops the analysts below it, and only them
    middle = float(np.sort(cw.calibration)[1])
    cut = cooke_weights(records, alpha=middle)
    keep = cw.calibration >= middle
    assert (cut.weights[~keep] == 0).all() and (cut.weights[keep] > 0).all()
    np.testing.assert_allclose(cut.weights, raw * keep / (raw * keep).sum(), rtol=1e-12)
    with pytest.raises(ValueError, match="no analyst has calibration at least"):
        cooke_weights(records, alpha=float(min(0.999, cw.calibration.max() + 1e-9)))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        cooke_weights(records, alpha=1.5)


def test_the_optimised_cutoff_maximises_the_pools_score():
    rng = np.random.default_rng(1)
    truth = [rng.dirichlet(np.ones(3)) for _ in range(60)]
    outcomes = [int(rng.choice(3, p=p)) for p in truth]

    def said(temper):
        return [(p**temper / (p**temper).sum(), o) for p, o in zip(truth, outcomes, strict=True)]

    records = {"a": said(1.0), "b": said(2.0), "c": said(0.5)}
    for method in ("linear", "log", "gmo"):
        cw = cooke_weights(records, method=method)
        assert cw.optimised and set(cw.pool_score) == set(cw.calibration.tolist())
        best = max(cw.pool_score.values())
        assert cw.pool_score[cw.alpha] == best
        assert cw.alpha == min(a for a, s in cw.pool_score.items() if s == best)
        fixed = cooke_weights(records, alpha=cw.alpha, method=method)
        np.testing.assert_allclose(fixed.weights, cw.weights)
    # records on different questions cannot choose their cutoff by the pool
    uneven = {"a": said(1.0), "b": said(1.0)[:30]}
    with pytest.raises(ValueError, match="state the cutoff"):
        cooke_weights(uneven)
    assert cooke_weights(uneven, alpha=0.0).weights.sum() == pytest.approx(1.0)


def test_no_records_is_refused():
    with pytest.raises(ValueError, match=NO_RECORDS):
        cooke_weights({"a": [], "b": []})
    with pytest.raises(ValueError, match="no resolved records for b"):
        cooke_weights({"a": HAND, "b": []})
    with pytest.raises(ValueError, match="sum to"):
        cooke_weights({"a": [((0.5, 0.6), 0)]}, alpha=0.0)
    with pytest.raises(ValueError, match="not one of"):
        cooke_weights({"a": [({"x": 0.5, "y": 0.5}, "z")]}, alpha=0.0)
