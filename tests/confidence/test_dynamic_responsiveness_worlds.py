"""Responsiveness under dynamics means what it says, in worlds drawn from the dynamic model.

In each world (:mod:`dynamic_worlds`: three scenarios, each regime's parameters from their
priors, regimes moving by the elicited transition matrix over three 30-day periods of
unreliable reports, then the next period, the horizon, from the same world continuing), the
probability at resolution after the horizon, the exact dynamic posterior of the extended
ledger, is one draw from the distribution the measure simulates
(:func:`~forecasting.confidence.unfolding.measure_unfolding`). So each scenario's 5%-95% range
holds it 90% of the time, its PIT (randomised where the distribution has atoms) is uniform,
and the expected absolute move and the chance that the leader changes come true as often as
they say. Where the regime switches over the horizon (about one world in eight) the range
holds it less often, and the probability moves further than expected; where it stays, more
often: the 90% is over both, weighed as the measure weighs them.

In worlds that break the question's transitions (the regimes stay with probability 0.5, 0.4,
0.5 instead of the elicited 0.9, 0.8, 0.9: the world leaves a regime three to five times as
often as the question says) the probability moves further than the measure expects, the
leader changes more often than it says, and the range covers it measurably less than 90%.

Measured on the final code (500 futures per world; per scenario calm, tense, war). The
model's own prior (1,500 worlds, seed 1): coverage 0.897, 0.898, 0.893; PIT KS D 0.016,
0.027, 0.014 (p 0.83, 0.22, 0.93); mean move 0.111, 0.064, 0.094 against 0.110, 0.063, 0.090
expected; the leader changed in 24.9% of worlds against 22.0% said (2.9 standard errors, the
most of seeds 1-5); the regime switched over the horizon in 11.5%, where the coverage was
0.744, 0.831, 0.733 (elsewhere 0.917, 0.907, 0.914) and the moves summed over the scenarios
0.418 against 0.268 expected. Seeds 2-5 (1,500 each): coverage 0.882-0.915, every KS p above
0.04, switched worlds' coverage below the others' by 2.4-5.5 standard errors; pooled over
9,000 worlds of seeds 1-5: coverage 0.893, 0.898, 0.895 (a range estimated from 500 futures
covers 0.896 where the actual probability and the futures are exchangeable), moves within one
standard error of expected, leader changed in 21.3% against 21.7% said. Stays 0.5, 0.4, 0.5
(600 worlds, seed 5): the regime switched in 54% of worlds, coverage 0.843, 0.873, 0.838
(1,000 worlds, seed 11: 0.841, 0.872, 0.838), moves summed 0.350 against 0.292 expected (5.8
standard errors), the leader changed in 38.8% against 28.3% said (5.5). Not tested here (the
static test breaks the arrivals): with twice the stated yes/no reports in the horizon (400
worlds, seed 5) coverage 0.833, 0.81, 0.833; with both breaks (300 worlds, seed 7) 0.747,
0.72, 0.743. Time: 40-50 ms of CPU per world, half the engine's two exact posteriors (the
ledger and the ledger with the horizon), half the measure; the file 90-110 s of CPU (2 to
4.5 min wall on 2 cores loaded by other work).
"""

from __future__ import annotations

import functools

import numpy as np
from dynamic_worlds import simulate_worlds
from scipy import stats

#: Worlds from the model's own prior: the binomial sd of a 90% coverage is 0.77%.
N_PRIOR, SEED_PRIOR = 1500, 1
#: Worlds that switch far more often than elicited (the stays of calm, tense, war).
N_SWITCHING, SEED_SWITCHING, STAYS = 600, 5, (0.5, 0.4, 0.5)
FUTURES = 500


@functools.cache
def prior_worlds() -> dict[str, np.ndarray]:
    """The worlds of the model's own prior (shared by the tests that read them)."""
    return simulate_worlds(N_PRIOR, SEED_PRIOR, futures=FUTURES)


def z_score(x: np.ndarray) -> np.ndarray:
    """The mean of ``x`` over worlds (axis 0) in standard errors."""
    return x.mean(axis=0) / (x.std(axis=0, ddof=1) / np.sqrt(len(x)))


def test_the_range_covers_the_probability_at_resolution_90_percent_of_the_time():
    w = prior_worlds()
    coverage = w["inside"].mean(axis=0)  # per scenario
    # 90% +- 2.5% (3.2 binomial sds of 1,500 worlds); a range estimated from 500 futures
    # covers 0.896 where the actual probability and the futures are exchangeable
    assert np.all(np.abs(coverage - 0.90) <= 0.025), coverage
    # where in the measure's distribution the actual probability fell: uniform, per scenario
    for k in range(coverage.size):
        ks = stats.kstest(w["pit"][:, k], "uniform")
        assert ks.pvalue > 0.01, (k, ks)


def test_the_expected_move_and_the_chance_of_a_new_leader_come_true():
    w = prior_worlds()
    # the mean absolute move is the mean expected move, within 4 standard errors
    gap = w["move"] - w["expected"]
    assert np.all(np.abs(z_score(gap)) < 4), (w["move"].mean(axis=0), w["expected"].mean(axis=0))
    flips = w["flip"] - w["p_flip"]
    assert abs(z_score(flips)) < 4, (w["flip"].mean(), w["p_flip"].mean())
    assert 0.05 < w["flip"].mean() < 0.5  # the leader does change in some worlds: not vacuous


def test_the_range_holds_less_often_where_the_regime_switched_over_the_horizon():
    """The coverage given a switch the measure could not foresee is not 90%, nor should be.

    Robust (seeds 1-5): where the regime switched the probability moved further than expected
    (5.2-7.3 standard errors) and the range held it less often than where it stayed (by 2.4-5.5
    standard errors: only the direction is asserted).
    """
    w = prior_worlds()
    switched = w["switched"].astype(bool)
    assert 0.05 < switched.mean() < 0.3, switched.mean()  # about 13% by the matrix
    excess = (w["move"] - w["expected"]).sum(axis=1)
    assert z_score(excess[switched]) > 4, excess[switched].mean()
    inside = w["inside"].mean(axis=1)  # the share of the scenarios whose range held it
    assert inside[switched].mean() < inside[~switched].mean(), inside[switched].mean()


def test_where_the_world_switches_far_more_often_than_elicited_it_moves_further():
    """The world breaks the question's transitions: each regime is left 3-5 times as often."""
    w = simulate_worlds(N_SWITCHING, SEED_SWITCHING, futures=FUTURES, stays=STAYS)
    assert w["switched"].mean() > 0.4, w["switched"].mean()  # ~13% under the elicited stays
    # the probability moves further than the measure expects, and the leader changes more often
    excess = (w["move"] - w["expected"]).sum(axis=1)
    assert z_score(excess) > 3, excess.mean()
    assert z_score(w["flip"] - w["p_flip"]) > 3, (w["flip"].mean(), w["p_flip"].mean())
    # so the range covers measurably less than 90%: the binomial sd of 600 worlds is 1.2%,
    # three of them below is 0.863 (measured 0.852)
    coverage = w["inside"].mean(axis=0)
    assert np.all(coverage < 0.90), coverage
    assert coverage.mean() < 0.90 - 3 * np.sqrt(0.09 / N_SWITCHING), coverage
