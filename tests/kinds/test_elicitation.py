"""Tests for forecasting.elicitation: max-entropy Gamma/Beta priors from intervals.

preliz is the oracle.  It is slow to import and must never be a runtime
dependency of the library, so it is imported only here, lazily and once per
module (the ``pz`` fixture).  Masses are checked directly with the regularised
incomplete gamma/beta functions, independently of the library's own code.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats

from forecasting.kinds.elicitation import ElicitationError, fit_beta_interval, fit_gamma_interval
from forecasting.kinds.elicitation import beta as beta_module
from forecasting.kinds.elicitation import gamma as gamma_module

MASS_TOL = 1e-6
REPO_ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------
# Independent helpers
# ---------------------------------------------------------------------------


# The mass functions broadcast over array parameters.
def gamma_mass(shape, rate, lower: float, upper: float):
    rate = np.asarray(rate)
    return special.gammainc(shape, rate * upper) - special.gammainc(shape, rate * lower)


def beta_mass(alpha, beta, lower: float, upper: float):
    return special.betainc(alpha, beta, upper) - special.betainc(alpha, beta, lower)


def gamma_entropy_scipy(shape: float, rate: float) -> float:
    return float(stats.gamma(shape, scale=1.0 / rate).entropy())


def beta_entropy_scipy(alpha: float, beta: float) -> float:
    return float(stats.beta(alpha, beta).entropy())


# scipy.stats' Beta entropy returns 0.0 or loses digits for some very large
# parameters, so the local-optimality property uses the library's entropy
# functions, which are checked against scipy and asymptotics further down.
def gamma_entropy_lib(shape: float, rate: float) -> float:
    return gamma_module.gamma_entropy_std(shape) - math.log(rate)


def beta_entropy_lib(alpha: float, beta: float) -> float:
    return beta_module.beta_entropy(alpha, beta)


def assert_local_max_on_constraint(
    mass_fn: Callable[..., float],
    entropy_fn: Callable[[float, float], float],
    params: tuple[float, float],
    lower: float,
    upper: float,
    mass: float,
) -> None:
    """Nearby points of the constraint curve must not have a larger entropy.

    In log-parameters, shift one parameter by ``+-eps`` and find every point of
    the constraint curve within 0.05 of the fit in the other parameter (dense
    scan for sign changes, then a bracketed root).  Slicing both ways handles
    the sharply bent "U" where the two branches of an interior interval meet,
    where the curve is a graph over one parameter but not the other.
    """
    x0 = np.log(np.asarray(params, dtype=float))
    h0 = entropy_fn(*params)
    offsets = np.linspace(-0.05, 0.05, 1001)
    for eps in (1e-2, 1e-3, 1e-4):
        found = 0
        for i in (0, 1):
            for shift in (eps, -eps):

                def excess(t, i=i, shift=shift):
                    x = [x0[0], x0[1]]
                    x[i] += shift
                    x[1 - i] = t
                    return mass_fn(np.exp(x[0]), np.exp(x[1]), lower, upper) - mass

                ts = x0[1 - i] + offsets
                sign = np.sign(excess(ts))
                for k in np.nonzero(sign[:-1] * sign[1:] < 0)[0]:
                    t = optimize.brentq(excess, ts[k], ts[k + 1], xtol=1e-15)
                    x = [x0[0], x0[1]]
                    x[i] += shift
                    x[1 - i] = t
                    moved = (float(np.exp(x[0])), float(np.exp(x[1])))
                    assert abs(mass_fn(*moved, lower, upper) - mass) < 1e-9
                    h = entropy_fn(*moved)
                    assert h <= h0 + 1e-9 * max(1.0, abs(h0)), (
                        f"entropy rises from {h0!r} to {h!r} near {params} (at {moved})"
                    )
                    found += 1
        assert found >= 2, f"no constraint points found within {eps} of {params}"


# ---------------------------------------------------------------------------
# preliz as the oracle
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pz():
    return pytest.importorskip("preliz")


def preliz_fit(pz, family: str, lower: float, upper: float, mass: float) -> tuple[float, float]:
    """preliz.maxent without plotting; (alpha, beta) are shape/rate for the Gamma."""
    dist = pz.Gamma() if family == "gamma" else pz.Beta()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = pz.maxent(dist, lower, upper, mass, plot=False)
    return float(fitted.alpha), float(fitted.beta)


FAMILIES = {
    "gamma": (fit_gamma_interval, gamma_mass, gamma_entropy_scipy),
    "beta": (fit_beta_interval, beta_mass, beta_entropy_scipy),
}

PRELIZ_CASES = [
    ("gamma", 1.0, 3.0, 0.9),
    ("gamma", 0.5, 10.0, 0.9),
    ("gamma", 0.1, 0.5, 0.8),
    ("gamma", 2.0, 2.5, 0.5),
    ("gamma", 0.0, 4.0, 0.9),
    ("gamma", 1.0, 100.0, 0.95),
    ("gamma", 5.0, 50.0, 0.3),
    ("gamma", 0.0, 1.0, 0.6),
    ("beta", 0.6, 0.9, 0.9),
    ("beta", 0.05, 0.3, 0.9),
    ("beta", 0.4, 0.6, 0.5),
    ("beta", 0.0, 0.2, 0.9),
    ("beta", 0.8, 1.0, 0.9),
    ("beta", 0.1, 0.9, 0.5),
    ("beta", 0.2, 0.4, 0.95),
    ("beta", 0.01, 0.99, 0.9),
]


def test_preliz_gamma_is_shape_rate(pz):
    dist = pz.Gamma(alpha=2.0, beta=4.0)
    assert dist.mean() == pytest.approx(0.5)
    assert dist.var() == pytest.approx(2.0 / 16.0)


@pytest.mark.parametrize(("family", "lower", "upper", "mass"), PRELIZ_CASES)
def test_matches_preliz_maxent(pz, family, lower, upper, mass):
    fit, mass_fn, entropy_fn = FAMILIES[family]
    ours = fit(lower, upper, mass)
    theirs = preliz_fit(pz, family, lower, upper, mass)

    # preliz's optimiser is itself approximate.
    np.testing.assert_allclose(ours, theirs, rtol=1e-2)
    assert abs(mass_fn(*ours, lower, upper) - mass) <= MASS_TOL

    # At least as good as preliz.  preliz meets the constraint only to ~1e-7,
    # and its slack can buy it ~1e-6 of entropy, so compare fairly: refit at the
    # mass preliz actually achieved.  The plain comparison is also made when
    # preliz's constraint error is small enough for it to be meaningful.
    h_theirs = entropy_fn(*theirs)
    achieved = mass_fn(*theirs, lower, upper)
    assert entropy_fn(*fit(lower, upper, achieved)) >= h_theirs - 1e-9
    if abs(achieved - mass) <= 1e-7:
        assert entropy_fn(*ours) >= h_theirs - 1e-6


@pytest.mark.parametrize(
    ("family", "lower", "upper", "mass"),
    [
        ("gamma", 0.01, 0.02, 0.6),
        ("beta", 0.3, 0.31, 0.5),
    ],
)
def test_at_least_as_good_where_preliz_stops_early(pz, family, lower, upper, mass):
    """On these statements preliz (0.28) returns a local optimum; we must not be worse."""
    fit, mass_fn, entropy_fn = FAMILIES[family]
    ours = fit(lower, upper, mass)
    theirs = preliz_fit(pz, family, lower, upper, mass)
    assert abs(mass_fn(*ours, lower, upper) - mass) <= MASS_TOL
    achieved = mass_fn(*theirs, lower, upper)
    assert abs(achieved - mass) < 1e-4
    assert entropy_fn(*fit(lower, upper, achieved)) >= entropy_fn(*theirs) - 1e-9


# ---------------------------------------------------------------------------
# Global optimality against brute force
# ---------------------------------------------------------------------------


def brute_force_max_entropy(family: str, lower: float, upper: float, mass: float) -> float:
    """Largest entropy over all constraint roots found on a dense log-grid."""
    log_p = np.linspace(-4.0, 6.0, 81)
    log_q = np.linspace(-12.0, 12.0, 1201)
    p_grid, q_grid = np.meshgrid(np.exp(log_p), np.exp(log_q), indexing="ij")
    if family == "gamma":
        _, mass_fn, entropy_fn = FAMILIES["gamma"]
        excess = special.gammainc(p_grid, q_grid * upper) - special.gammainc(p_grid, q_grid * lower)
    else:
        _, mass_fn, entropy_fn = FAMILIES["beta"]
        excess = special.betainc(p_grid, q_grid, upper) - special.betainc(p_grid, q_grid, lower)
    excess -= mass
    best = -math.inf
    for i, p in enumerate(p_grid[:, 0]):
        sign = np.sign(excess[i])
        for j in np.nonzero(sign[:-1] * sign[1:] < 0)[0]:
            t = optimize.brentq(
                lambda t, p=p: mass_fn(p, math.exp(t), lower, upper) - mass,
                log_q[j],
                log_q[j + 1],
                xtol=1e-14,
            )
            best = max(best, entropy_fn(p, math.exp(t)))
    return best


@pytest.mark.parametrize(
    ("family", "lower", "upper", "mass"),
    [
        # Small mass on a wide interval: the entropy along the constraint
        # curve has several local maxima, far apart.
        ("beta", 0.15844828654598886, 0.8334344701545956, 0.12572989661143769),
        ("beta", 0.6, 0.9, 0.9),
        ("beta", 0.05, 0.95, 0.1),
        ("gamma", 1.0, 3.0, 0.9),
        ("gamma", 5.0, 50.0, 0.3),
        ("gamma", 0.0, 4.0, 0.9),
    ],
)
def test_global_maximum_against_brute_force(family, lower, upper, mass):
    fit, mass_fn, entropy_fn = FAMILIES[family]
    ours = fit(lower, upper, mass)
    assert abs(mass_fn(*ours, lower, upper) - mass) <= MASS_TOL
    brute = brute_force_max_entropy(family, lower, upper, mass)
    assert entropy_fn(*ours) >= brute - 1e-9
    assert entropy_fn(*ours) - brute < 1e-2  # the grid did see the same optimum


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@st.composite
def gamma_statements(draw):
    lower = draw(st.one_of(st.just(0.0), st.floats(1e-3, 1e3)))
    width = draw(st.floats(1e-3, 1e3)) * (lower if lower > 0 else 1.0)
    mass = draw(st.floats(0.01, 0.999))
    return lower, lower + width, mass


@st.composite
def beta_statements(draw):
    lower = draw(st.one_of(st.just(0.0), st.floats(1e-4, 0.99)))
    fraction = draw(st.one_of(st.just(1.0), st.floats(1e-3, 1.0)))
    upper = min(lower + (1.0 - lower) * fraction, 1.0)
    if lower == 0.0 and upper == 1.0:
        upper = 0.5
    mass = draw(st.floats(0.01, 0.999))
    return lower, upper, mass


def check_fit_or_clear_error(fit, mass_fn, entropy_fn, family, lower, upper, mass):
    try:
        params = fit(lower, upper, mass)
    except ElicitationError as exc:
        message = str(exc)
        event(f"ElicitationError: {message.split(':')[0][:60]}")
        # Says what was asked for, and what to do instead.
        assert family in message and str(mass) in message
        assert any(word in message for word in ("widen", "increase", "use", "change", "lower"))
        return
    event("fitted")
    assert all(type(v) is float and math.isfinite(v) and v > 0 for v in params)
    assert abs(mass_fn(*params, lower, upper) - mass) <= MASS_TOL
    assert_local_max_on_constraint(mass_fn, entropy_fn, params, lower, upper, mass)


PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(gamma_statements())
def test_gamma_property(statement):
    lower, upper, mass = statement
    check_fit_or_clear_error(
        fit_gamma_interval, gamma_mass, gamma_entropy_lib, "Gamma", lower, upper, mass
    )


@PROPERTY_SETTINGS
@given(beta_statements())
def test_beta_property(statement):
    lower, upper, mass = statement
    check_fit_or_clear_error(
        fit_beta_interval, beta_mass, beta_entropy_lib, "Beta", lower, upper, mass
    )


@pytest.mark.parametrize("scale", [1e-6, 0.37, 1.0, 250.0, 1e8])
@pytest.mark.parametrize(("lower", "upper", "mass"), [(1.0, 3.0, 0.9), (0.0, 2.0, 0.8)])
def test_gamma_scale_invariance(scale, lower, upper, mass):
    shape, rate = fit_gamma_interval(lower, upper, mass)
    scaled_shape, scaled_rate = fit_gamma_interval(lower * scale, upper * scale, mass)
    assert scaled_shape == pytest.approx(shape, rel=1e-6)
    assert scaled_rate == pytest.approx(rate / scale, rel=1e-6)


@pytest.mark.parametrize(
    ("lower", "upper", "mass"), [(0.6, 0.9, 0.9), (0.0, 0.2, 0.9), (0.1, 0.7, 0.3)]
)
def test_beta_mirror_symmetry(lower, upper, mass):
    alpha, beta = fit_beta_interval(lower, upper, mass)
    mirrored = fit_beta_interval(1.0 - upper, 1.0 - lower, mass)
    np.testing.assert_allclose(mirrored, (beta, alpha), rtol=1e-6)


def test_symmetric_beta_interval_gives_symmetric_prior():
    alpha, beta = fit_beta_interval(0.4, 0.6, 0.5)
    assert alpha == pytest.approx(beta, rel=1e-6)


def test_returns_python_floats():
    for params in (fit_gamma_interval(1, 3), fit_beta_interval(0.2, 0.5)):
        assert isinstance(params, tuple) and len(params) == 2
        assert all(type(v) is float and v > 0 for v in params)


# ---------------------------------------------------------------------------
# Entropy helpers (used by the search, so their accuracy matters)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [1e-3, 0.5, 1.0, 7.3, 249.0, 251.0, 1e4, 1e8])
def test_gamma_entropy_matches_scipy(shape):
    expected = float(stats.gamma(shape).entropy())
    assert gamma_module.gamma_entropy_std(shape) == pytest.approx(expected, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("alpha", [0.01, 0.5, 3.0, 999.0, 1001.0, 2e5])
@pytest.mark.parametrize("beta", [0.02, 1.0, 40.0, 5e3, 3e6])
def test_beta_entropy_matches_scipy(alpha, beta):
    expected = float(stats.beta(alpha, beta).entropy())
    assert beta_module.beta_entropy(alpha, beta) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("alpha", [0.5, 3.0, 100.0])
@pytest.mark.parametrize("beta", [1e9, 1e12, 1e15])
def test_beta_entropy_gamma_limit(alpha, beta):
    # Beta(a, b) ~ Gamma(a) / b for large b, with a 1/b correction.
    gamma_part = float(stats.gamma(alpha).entropy())
    expected = gamma_part - math.log(beta) - (1.5 * alpha - 0.5) / beta
    assert beta_module.beta_entropy(alpha, beta) == pytest.approx(expected, abs=1e-9)
    assert beta_module.beta_entropy(beta, alpha) == pytest.approx(expected, abs=1e-9)


# ---------------------------------------------------------------------------
# Validation: one test per rule, messages say received / allowed / what to do
# ---------------------------------------------------------------------------


def test_elicitation_error_is_a_value_error():
    assert issubclass(ElicitationError, ValueError)


@pytest.mark.parametrize("fit", [fit_gamma_interval, fit_beta_interval])
def test_rejects_non_numbers(fit):
    with pytest.raises(
        ElicitationError, match=r"lower must be a real number, but received '0\.1' \(str\)"
    ):
        fit("0.1", 0.5)
    with pytest.raises(
        ElicitationError, match=r"mass must be a real number, but received True \(bool\)"
    ):
        fit(0.1, 0.5, True)


@pytest.mark.parametrize("fit", [fit_gamma_interval, fit_beta_interval])
@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        ((math.nan, 0.5, 0.9), r"lower \(nan\) must be a finite number; pass a finite float"),
        ((0.1, math.inf, 0.9), r"upper \(inf\) must be a finite number; pass a finite float"),
        ((0.1, 0.5, math.nan), r"mass \(nan\) must be a finite number; pass a finite float"),
    ],
)
def test_rejects_non_finite(fit, args, pattern):
    with pytest.raises(ElicitationError, match=pattern):
        fit(*args)


@pytest.mark.parametrize("fit", [fit_gamma_interval, fit_beta_interval])
@pytest.mark.parametrize("mass", [0.0, 1.0, -0.5, 1.5])
def test_rejects_mass_outside_open_unit_interval(fit, mass):
    pattern = rf"mass \({mass}\) must satisfy 0 < mass < 1; .*widen the interval"
    with pytest.raises(ElicitationError, match=pattern):
        fit(0.1, 0.5, mass)


@pytest.mark.parametrize("fit", [fit_gamma_interval, fit_beta_interval])
@pytest.mark.parametrize(("lower", "upper"), [(0.3, 0.1), (0.2, 0.2)])
def test_rejects_lower_not_below_upper(fit, lower, upper):
    pattern = rf"lower \({lower}\) must be less than upper \({upper}\); swap them or widen"
    with pytest.raises(ElicitationError, match=pattern):
        fit(lower, upper, 0.9)


def test_lower_not_below_upper_message_example():
    with pytest.raises(ElicitationError, match=r"lower \(3\.0\) must be less than upper \(1\.0\)"):
        fit_gamma_interval(3.0, 1.0)


@pytest.mark.parametrize(
    ("fit", "family"), [(fit_gamma_interval, "Gamma"), (fit_beta_interval, "Beta")]
)
def test_rejects_negative_lower(fit, family):
    pattern = (
        rf"lower \(-0\.5\) must be >= 0 because a {family} variable is never negative; use lower=0"
    )
    with pytest.raises(ElicitationError, match=pattern):
        fit(-0.5, 0.5, 0.9)


def test_beta_rejects_upper_above_one():
    with pytest.raises(
        ElicitationError,
        match=r"upper \(1\.5\) must be <= 1 because a Beta variable lies in \[0, 1\]",
    ):
        fit_beta_interval(0.2, 1.5, 0.9)


def test_beta_rejects_whole_support():
    with pytest.raises(
        ElicitationError, match=r"covers the whole support of the Beta.*narrow the interval"
    ):
        fit_beta_interval(0.0, 1.0, 0.9)


@pytest.mark.parametrize("mass", [0.05, 0.3, math.exp(-1.0)])
def test_gamma_from_zero_rejects_mass_at_most_one_over_e(mass):
    pattern = (
        rf"mass \({mass}\) must be greater than 1/e .*"
        "no maximum-entropy Gamma exists; increase the mass"
    )
    with pytest.raises(ElicitationError, match=pattern):
        fit_gamma_interval(0.0, 2.0, mass)


def test_gamma_from_zero_mass_just_above_one_over_e_is_degenerate():
    with pytest.raises(
        ElicitationError, match=r"close to 1/e .*use a larger mass or a positive lower bound"
    ):
        fit_gamma_interval(0.0, 1.0, 0.368)


@pytest.mark.parametrize(
    ("fit", "lower", "upper", "family"),
    [(fit_gamma_interval, 1.0, 1.0 + 1e-9, "Gamma"), (fit_beta_interval, 0.5, 0.5 + 1e-9, "Beta")],
)
def test_rejects_interval_too_narrow_for_mass(fit, lower, upper, family):
    pattern = (
        rf"could not fit a {family} with mass 0\.5 .*too narrow for this mass.*"
        "widen the interval or lower the mass"
    )
    with pytest.raises(ElicitationError, match=pattern):
        fit(lower, upper, 0.5)


def test_rejects_statement_whose_optimum_is_degenerate():
    # 50% above 1 - 1.1e-16: the entropy keeps growing as alpha goes past 1e12.
    pattern = (
        r"could not fit a Beta with mass 0\.5 on \[0\.0, 0\.9999999999999999\]: .*"
        r"numerically degenerate.*widen the interval or change the mass"
    )
    with pytest.raises(ElicitationError, match=pattern):
        fit_beta_interval(0.0, 1.0 - 1e-16, 0.5)


# ---------------------------------------------------------------------------
# Runtime constraints
# ---------------------------------------------------------------------------


def test_import_is_light_and_silent():
    code = (
        "import sys\n"
        "import forecasting.kinds.elicitation as e\n"
        "assert 'preliz' not in sys.modules, 'preliz imported at runtime'\n"
        "assert 'pymc' not in sys.modules\n"
        "e.fit_gamma_interval(1, 3); e.fit_beta_interval(0.2, 0.6)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
