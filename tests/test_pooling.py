"""The opinion pools (:mod:`forecasting.core.pooling`) against hand-computed values and the
published formulas (Sevilla 2021 / FRI ``aggutils``: the geometric mean of odds; Satopää et al.
2014: the extremized logit aggregator ``logit p = d * mean_i logit p_i``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecasting.core.pooling import gmo_pool, linear_pool, log_pool, normalise_weights, pool


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_linear_pool_by_hand():
    # (0.2 + 0.6) / 2 = 0.4; (0.8 + 0.4) / 2 = 0.6
    assert linear_pool(np.array([[0.2, 0.8], [0.6, 0.4]])) == pytest.approx([0.4, 0.6], abs=1e-15)
    # weights 3:1 -> 0.75 * 0.2 + 0.25 * 0.6 = 0.3
    got = linear_pool(np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([3.0, 1.0]))
    assert got == pytest.approx([0.3, 0.7], abs=1e-15)


def test_log_pool_by_hand():
    # two scenarios: sqrt(0.2 * 0.8) = sqrt(0.8 * 0.2) = 0.4 each -> 0.5, 0.5
    got = log_pool(np.array([[0.2, 0.8], [0.8, 0.2]]))
    assert got == pytest.approx([0.5, 0.5], abs=1e-15)
    # three: geometric means sqrt(0.5 * 0.25), sqrt(0.25 * 0.5), sqrt(0.25 * 0.25) = 0.25
    g = math.sqrt(0.125)
    want = np.array([g, g, 0.25]) / (2 * g + 0.25)  # 0.36940, 0.36940, 0.26120
    got = log_pool(np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]]))
    assert got == pytest.approx(want, abs=1e-15)
    assert got[0] == pytest.approx(0.369398, abs=1e-6)


def test_gmo_by_hand_three_scenarios():
    # scenario odds: a 0.5/0.5 = 1 and 0.2/0.8 = 0.25 -> geometric mean 0.5 -> q = 1/3;
    # b 0.3/0.7 for both -> q = 0.3; c as a -> 1/3; renormalised by 1/3 + 0.3 + 1/3 = 29/30
    p = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    want = np.array([1 / 3, 0.3, 1 / 3]) / (29 / 30)  # 0.34483, 0.31034, 0.34483
    assert gmo_pool(p) == pytest.approx(want, abs=1e-15)
    # with more than two scenarios the gmo is not the log pool: sqrt(0.1) / (2 sqrt(0.1) + 0.3)
    assert log_pool(p)[0] == pytest.approx(math.sqrt(0.1) / (2 * math.sqrt(0.1) + 0.3), abs=1e-15)
    assert abs(gmo_pool(p)[0] - log_pool(p)[0]) > 1e-3


@pytest.mark.parametrize("d", [1.0, 0.5, 2.5])
def test_gmo_of_one_event_is_the_published_formula(d):
    # Satopää et al. (2014), FRI aggutils: p = expit(d * sum_i w_i logit p_i)
    ps, w = [0.1, 0.35, 0.8], [0.5, 0.3, 0.2]
    want = expit(d * sum(wi * logit(p) for wi, p in zip(w, ps, strict=True)))
    rows = np.array([[p, 1 - p] for p in ps])
    assert gmo_pool(rows, np.array(w), d)[0] == pytest.approx(want, abs=1e-14)
    assert log_pool(rows, np.array(w), d)[0] == pytest.approx(want, abs=1e-14)
    # without extremizing, the geometric mean of the odds: (1/9)^0.5 (0.35/0.65)^0.3 4^0.2
    if d == 1.0:
        odds = (1 / 9) ** 0.5 * (0.35 / 0.65) ** 0.3 * 4**0.2
        assert gmo_pool(rows, np.array(w))[0] == pytest.approx(odds / (1 + odds), abs=1e-14)


def test_extremizing_one_analyst_by_hand():
    # odds 0.6/0.4 = 1.5, squared 2.25 -> 2.25 / 3.25 = 0.6923
    assert gmo_pool(np.array([[0.6, 0.4]]), extremize=2.0)[0] == pytest.approx(9 / 13, abs=1e-15)


@given(
    st.lists(st.floats(0.01, 0.99), min_size=2, max_size=5),
    st.floats(0.2, 5.0),
)
def test_two_scenarios_gmo_equals_log_pool(ps, d):
    rows = np.array([[p, 1 - p] for p in ps])
    assert gmo_pool(rows, extremize=d) == pytest.approx(log_pool(rows, extremize=d), abs=1e-12)


@pytest.mark.parametrize("method", ["linear", "log", "gmo"])
def test_identical_analysts_pool_to_themselves(method):
    p = np.array([0.52, 0.31, 0.12, 0.05])
    assert pool(np.tile(p, (3, 1)), method) == pytest.approx(p, abs=1e-14)


@pytest.mark.parametrize("method", ["log", "gmo"])
def test_extremize_one_is_no_extremizing(method):
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]])
    w = np.array([0.2, 0.5, 0.3])
    assert np.array_equal(pool(p, method, w, 1.0), pool(p, method, w))


def test_log_pool_of_a_one_hot_analyst():
    # a near-certain analyst and an indifferent one: scenario odds sqrt((1 - 2e-9) / 1e-9)
    p = np.array([[1 - 2e-9, 1e-9, 1e-9], [1 / 3, 1 / 3, 1 / 3]])
    r = math.sqrt((1 - 2e-9) / 1e-9)  # about 31,623
    assert log_pool(p) == pytest.approx([r / (r + 2), 1 / (r + 2), 1 / (r + 2)], rel=1e-12)
    # an analyst's 0 is a veto in the log pool (floored at 1e-300, not a NaN)
    veto = log_pool(np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]))
    assert veto[0] == 1.0 and veto[1] < 1e-100 and np.all(np.isfinite(veto))
    assert np.all(np.isfinite(gmo_pool(np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]))))


def test_refusals():
    with pytest.raises(ValueError, match="no extremizing"):
        pool(np.array([[0.5, 0.5]]), "linear", extremize=2.0)
    with pytest.raises(ValueError, match="not a pool"):
        pool(np.array([[0.5, 0.5]]), "median")
    with pytest.raises(ValueError, match="non-negative"):
        normalise_weights([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="non-negative"):
        normalise_weights([0.0, 0.0], 2)
