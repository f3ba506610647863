"""What the responsiveness range does not promise, and how it narrows with evidence.

* In worlds that break the measure's assumption (the next horizon brings twice the reports the
  question states), the range covers the probability after the horizon measurably less than
  90% of the time, and the probability moves further than the measure expects: the range says
  nothing about evidence that arrives faster than stated.
* On a growing ledger drawn from one scenario that the indicators tell apart, the range
  narrows as items accumulate.

The worlds are those of :mod:`responsiveness_worlds`. Measured on the final code: with twice the
arrivals, coverage 0.78 (first scenario, 600 worlds, seed 7; 0.90 with the stated arrivals);
the width of the true scenario's range at 2, 8 and 32 items 0.75, 0.46, 0.22, of all three
scenarios' on average 0.64, 0.39, 0.14 (means over 30 ledgers).
"""

from __future__ import annotations

import numpy as np
from responsiveness_worlds import (
    ARRIVALS,
    AS_OF,
    HORIZON,
    INDICATORS,
    SCENARIOS,
    draw_report,
    draw_theta,
    row,
    simulate_worlds,
    world_question,
)

import forecasting as fc
from forecasting.confidence.responsiveness import measure_responsiveness, streams
from forecasting.engines.exact import exact_posterior
from forecasting.model.data import ModelData


def test_with_twice_the_stated_arrivals_the_range_covers_measurably_less():
    """The world breaks the measure's assumption: reports arrive twice as fast as stated."""
    twice = {name: 2.0 * rate for name, rate in ARRIVALS.items()}
    w = simulate_worlds(600, 7, arrivals=twice, futures=500)
    coverage = w["inside"].mean(axis=0)
    # the binomial sd of 600 worlds is 1.2%: 0.85 is four sds below 90%
    assert coverage[0] < 0.85, coverage
    assert np.all(coverage < 0.87), coverage
    # the probability moves further than the measure expects
    excess = (w["move"] - w["expected"]).sum(axis=1)
    assert excess.mean() > 4 * excess.std(ddof=1) / np.sqrt(len(excess)), excess.mean()


def test_the_range_narrows_as_evidence_from_one_scenario_accumulates():
    """Ledgers drawn from ``war`` (every indicator tells it apart): the width of the range at
    2, 8 and 32 items, averaged over 30 ledgers, falls at each step."""
    q = world_question()
    rng = np.random.default_rng(3)
    truth, sizes = SCENARIOS.index("war"), (2, 8, 32)
    widths, means = [], []  # (ledgers, sizes): the true scenario's width; the mean width
    for ledger in range(30):
        theta = {name: draw_theta(name, truth, rng) for name in INDICATORS}
        rows = []
        for i in range(max(sizes)):
            name = INDICATORS[i % len(INDICATORS)]
            rows.append(row(name, str(i), draw_report(name, theta[name], 1.0, rng), 1.0))
        true_w, mean_w = [], []
        for n in sizes:
            ev = fc.Evidence.from_items(rows[:n], q)
            data = ModelData.build(q, ev)
            p = exact_posterior(data).probability
            plan = streams(data, ev, AS_OF, HORIZON)
            res = measure_responsiveness(
                data, p, plan, HORIZON, seed=1000 * ledger + n, futures=1000, max_futures=1000
            )
            width = res.upper - res.lower
            true_w.append(width[truth])
            mean_w.append(width.mean())
        widths.append(true_w)
        means.append(mean_w)
    for w in (np.array(widths), np.array(means)):
        avg = w.mean(axis=0)
        step = w[:, :-1] - w[:, 1:]  # paired: the same ledger, more items
        se = step.std(axis=0, ddof=1) / np.sqrt(len(step))
        assert np.all(step.mean(axis=0) > 3 * se), (avg, step.mean(axis=0), se)
        assert np.all(avg[1:] < 0.8 * avg[:-1]), avg
