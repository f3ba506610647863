"""Brent's root finder and bounded minimiser against known answers and scipy."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from forecasting.kinds.elicitation.optim import brentq, fminbound


def test_known_roots_and_minima():
    assert brentq(lambda x: x**3 - 2, 0, 2, xtol=1e-15) == pytest.approx(2 ** (1 / 3), abs=1e-14)
    assert brentq(math.cos, 1, 2, xtol=1e-15) == pytest.approx(math.pi / 2, abs=1e-14)
    x, fx = fminbound(math.cos, 3, 4, xatol=1e-10)
    assert x == pytest.approx(math.pi, abs=1e-8) and fx == pytest.approx(-1, abs=1e-15)
    x, _ = fminbound(lambda t: (t - 2) ** 2, -5, 5, xatol=1e-10)
    assert x == pytest.approx(2, abs=1e-8)
    with pytest.raises(ValueError, match="opposite signs"):
        brentq(lambda x: x * x + 1, -1, 1)


@settings(max_examples=200)
@given(st.floats(-50, 50), st.floats(0.1, 5), st.floats(0.0, 3))
def test_agrees_with_scipy(shift, scale, wiggle):
    def f(x):
        return scale * (x - shift) ** 3 + (x - shift) + wiggle * math.sin(x - shift)

    ours = brentq(f, shift - 60, shift + 70, xtol=1e-13)
    theirs = optimize.brentq(f, shift - 60, shift + 70, xtol=1e-13, maxiter=1000)
    assert ours == pytest.approx(theirs, abs=1e-9)

    def g(x):
        return scale * (x - shift) ** 2 + math.sin(x)

    x, fx = fminbound(g, shift - 3, shift + 4, xatol=1e-9)
    res = optimize.minimize_scalar(
        g, bounds=(shift - 3, shift + 4), method="bounded", options={"xatol": 1e-9}
    )
    assert fx <= res.fun + 1e-9
