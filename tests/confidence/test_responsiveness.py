"""The responsiveness measure on one question at a time: a martingale, with honest errors.

Each scenario's probability after the next horizon of evidence, averaged over the simulated
futures, is today's probability (the mean of a posterior's update is the posterior): on the
bundled question under the truth mixture, on the same question read with the tempered model,
and on a small question with a continuous indicator. And the Monte Carlo standard error that
is reported for each bound of the 5%-95% range is what the bound really varies by from one
seed to another.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, item, question
from hypothesis import given, settings
from hypothesis import strategies as st

import forecasting as fc
from forecasting.analyses.base import base_of
from forecasting.confidence.responsiveness import (
    Responsiveness,
    measure_responsiveness,
    streams,
)
from forecasting.core.constants import RESPONSIVENESS_FUTURES
from forecasting.engines.exact import exact_posterior
from forecasting.kinds import get_kind
from forecasting.model.data import ModelData

AS_OF = dt.date(2025, 10, 27)
HORIZON = 30.0


def _bundled(reliability_model: str | None = None):
    base = base_of(BUNDLED_QUESTION, BUNDLED_EVIDENCE, AS_OF)
    if reliability_model is None:
        return base.data, base.evidence, base.probability
    q = base.question.model_copy(update={"reliability_model": reliability_model})
    data = ModelData.build(q, base.evidence)
    return data, base.evidence, exact_posterior(data).probability


def _continuous(reliability_model: str):
    """Three scenarios, a measured level (4 reports a month) and a monthly count."""
    scen = ("high", "middle", "low")
    level = get_kind("continuous").example(list(scen)) | {"arrivals_per_30_days": 4.0}
    ops = get_kind("count").example(list(scen))
    q = question(
        scen,
        prior=(0.3, 0.4, 0.3),
        indicators={"output": level, "ops": ops},
        reliability_model=reliability_model,
    )
    day = dt.date(2025, 10, 1)
    rows = [
        item("out-1", "output", 78.0, weight=0.7, date=day),
        item("out-2", "output", 84.5, weight=0.9, date=day),
        item("out-3", "output", 66.0, weight=0.5, date=day),
        item("ops-1", "ops", 2, exposure=1.0, weight=0.8, date=day),
    ]
    ev = fc.Evidence.from_items(rows, q)
    data = ModelData.build(q, ev)
    return data, ev, exact_posterior(data).probability


def _assert_martingale(res: Responsiveness, probability: np.ndarray) -> None:
    mean = res.samples.mean(axis=0)
    se = res.samples.std(axis=0, ddof=1) / np.sqrt(len(res.samples))
    gap = mean - probability
    assert np.all(np.abs(gap) <= 4 * se + 1e-12), (gap, se)
    # each future is a probability distribution over the scenarios
    assert np.allclose(res.samples.sum(axis=1), 1.0)


@pytest.mark.parametrize("reliability_model", [None, "tempered"], ids=["mixture", "tempered"])
def test_mean_after_the_horizon_is_todays_probability_on_the_bundled_question(reliability_model):
    data, ev, p = _bundled(reliability_model)
    if reliability_model is not None:
        assert all(ind.reliability_model == reliability_model for ind in data.indicators)
    plan = streams(data, ev, AS_OF, HORIZON)
    res = measure_responsiveness(data, p, plan, HORIZON, seed=11)  # the adaptive default: batches
    assert res.futures > RESPONSIVENESS_FUTURES  # batches were added to meet the target
    _assert_martingale(res, p)
    # the range holds today's probability, and every scenario's probability can move
    assert np.all(res.lower <= p) and np.all(p <= res.upper)
    assert np.all(res.expected_move > 0)


@pytest.mark.parametrize("reliability_model", ["mixture", "tempered"])
def test_mean_after_the_horizon_is_todays_probability_with_a_continuous_indicator(
    reliability_model,
):
    data, ev, p = _continuous(reliability_model)
    plan = streams(data, ev, AS_OF, HORIZON)
    by_id = {s.indicator: s for s in plan}
    assert by_id["output"].rate_from == "stated" and by_id["output"].per_horizon == 4.0
    assert by_id["ops"].rate_from == "window" and by_id["ops"].exposure == 1.0
    assert by_id["output"].reliability == pytest.approx(0.7)  # the median of 0.5, 0.7, 0.9
    res = measure_responsiveness(data, p, plan, HORIZON, seed=5, futures=3000, max_futures=3000)
    _assert_martingale(res, p)
    # measured values: the futures' probabilities are (almost all) distinct
    assert len(np.unique(res.samples[:, 0])) > 0.9 * res.futures


def test_reported_monte_carlo_error_of_each_bound_is_what_the_bound_varies_by():
    """20 seeds at a fixed number of futures: the bounds' spread across seeds is the reported
    standard error (within a factor of 2: the spread of 20 draws is itself uncertain by ~16%).

    A seed also redraws the categorical indicators' atoms (512 draws of each scenario's
    posterior, fixed within a run), whose error the reported one leaves out: measured when
    written, the spread was 0.9-1.6 times the reported error (0.7-1.1 with the atoms fixed).
    """
    data, ev, p = _bundled()
    plan = streams(data, ev, AS_OF, HORIZON)
    runs = [
        measure_responsiveness(data, p, plan, HORIZON, seed=100 + s, futures=2000, max_futures=2000)
        for s in range(20)
    ]
    assert {r.futures for r in runs} == {2000}
    bounds = np.stack([np.stack([r.lower, r.upper], axis=1) for r in runs])  # (20, K, 2)
    reported = np.stack([r.mcse for r in runs]).mean(axis=0)  # (K, 2)
    spread = bounds.std(axis=0, ddof=1)
    ratio = spread / reported
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio
    # and it is not vacuous: the bounds do move with the seed
    assert np.all(spread > 0)


def test_log_matmul_exp_is_logsumexp_also_where_the_product_underflows():
    from forecasting.core.stats import log_matmul_exp, logsumexp

    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 60)) * 30
    b = rng.normal(size=(30, 60)) * 30
    a[0] = -np.inf  # a future no atom can produce
    b[1] = -1e4  # every product far below its rows' maxima: summed again term by term
    a[2, :30], b[3, 30:] = -800.0, -800.0  # the two rows' mass in disjoint atoms
    ref = logsumexp(a[:, None, :] + b[None, :, :], axis=2)
    out = log_matmul_exp(a, b)
    assert np.array_equal(np.isfinite(out), np.isfinite(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(out[fin], ref[fin], rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("terms", [1, 2, 3, 8, 9, 40])
def test_logsumexp_is_scipys_pairwise_and_by_the_shift(terms):
    """Up to 8 terms it adds pairwise, beyond by the maximum's shift: either is SciPy's."""
    from scipy.special import logsumexp as scipy_logsumexp

    from forecasting.core.stats import logsumexp

    rng = np.random.default_rng(terms)
    x = rng.normal(size=(5, terms, 7)) * 40
    x[x < -50] = -np.inf
    x[0] = -np.inf  # every term -inf: -inf
    x[1, 0, 0] = np.inf
    for axis in (0, 1, 2, -1):
        got = logsumexp(x, axis=axis)
        with np.errstate(invalid="ignore"):
            want = scipy_logsumexp(x, axis=axis)
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    one = logsumexp(x[2, :, 3])  # a vector: a scalar, as numpy's reductions give
    assert np.ndim(one) == 0 and one == pytest.approx(scipy_logsumexp(x[2, :, 3]), rel=1e-14)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 120),
    st.integers(1, 12),
    st.integers(1, 40),
    st.integers(0, 2**32 - 1),
)
def test_rows_of_counts_grouped_as_numpy_groups_them(n, u, top, seed):
    """The futures' sets of reports: the same rows, order and members as np.unique(axis=0)."""
    from forecasting.confidence import responsiveness

    counts = np.random.default_rng(seed).integers(0, top, size=(n, u)).astype(float)
    rows, member = responsiveness._unique_rows(counts)
    want, want_member = np.unique(counts, axis=0, return_inverse=True)
    np.testing.assert_array_equal(rows, want)
    np.testing.assert_array_equal(member.reshape(-1), want_member.reshape(-1))
