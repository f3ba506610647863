"""Elicit Gamma and Beta priors from an interval statement.

An analyst states a prior as "I am ``mass`` sure the value lies between
``lower`` and ``upper``".  Among all members of the chosen family that put
exactly ``mass`` probability on ``[lower, upper]`` we return the one with the
largest (differential) entropy, i.e. the least informative distribution that
honours the statement.  This is the same problem that ``preliz.maxent`` solves;
this module solves it with numpy and scipy only, and more precisely.

Method
------
Maximising entropy subject to one equality constraint over a two-parameter
family is a one-dimensional problem along the constraint curve.  We slice the
parameter plane by the first parameter ``p`` (Gamma shape, Beta alpha) and, for
each ``p``, solve the constraint for the second parameter ``q`` (Gamma rate,
Beta beta) with a bracketed root finder.

For fixed ``p`` both families are exponential families in ``q`` with a
monotone sufficient statistic (``-x`` for the Gamma, ``log(1 - x)`` for the
Beta).  Such families are totally positive, so by variation diminishing the
interval probability ``F(q) = P(lower <= X <= upper)`` is unimodal in ``q``:

* if the interval touches the edge of the support (``lower == 0``, or
  ``upper == 1`` for the Beta), ``F`` is monotone in ``q`` and the constraint
  has exactly one root, which is available in closed form through
  ``scipy.special.gammaincinv`` / ``scipy.special.btdtrib``;
* otherwise ``F`` rises from 0 to a peak and falls back to 0, so for
  ``p`` above a threshold ``p_min`` there are exactly two roots, one on each
  side of the peak, and the constraint curve is a "U" whose two branches meet
  at ``p_min``.  For the Gamma the peak is known in closed form and, because
  the entropy of a Gamma with fixed shape decreases with the rate, the optimum
  always lies on the small-rate branch.  For the Beta the peak is found
  numerically inside a provable bracket and both branches are searched.

The curve is parameterised by ``tau`` with ``log p = log p_min + tau**2`` (the
sign of ``tau`` selects the branch), which makes the entropy a smooth function
of ``tau`` through the junction.  The entropy is then maximised over ``tau``
with a coarse scan followed by bounded Brent refinement, and the result is
checked against the mass constraint.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator

import numpy as np
from scipy import optimize, special

__all__ = ["ElicitationError", "fit_beta_interval", "fit_gamma_interval"]

#: Largest absolute error allowed between the requested and the fitted mass.
MASS_TOLERANCE = 1e-6

# Largest shape (Gamma) or alpha (Beta) parameter we are willing to search.
# Beyond this the interval is so narrow for its mass that the distribution is
# numerically degenerate.
_MAX_LOG_PARAM = math.log(1e12)
# Smallest shape/alpha we search.  Below this the distribution is degenerate.
_MIN_LOG_PARAM = math.log(1e-12)
# Step of the coarse scan along the constraint curve (in ``tau``).
_SCAN_STEP = 0.2
# Number of scan steps added each time the best point sits on a scan edge.
_SCAN_CHUNK = 10
# Absolute tolerance of the final 1-D refinement along the curve.
_REFINE_XATOL = 1e-10
# Finite stand-in for the entropy of infeasible points during the search.
_PENALTY = -1e300
_RTOL = 4 * np.finfo(float).eps


class ElicitationError(ValueError):
    """An interval statement cannot be turned into a prior.

    Raised for invalid inputs (non-finite numbers, bounds outside the support
    of the family, ``lower >= upper``, ``mass`` outside ``(0, 1)``) and for
    statements that no member of the family can honour numerically.  The
    message says what was received, what is allowed and what to do instead.
    """


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def fit_gamma_interval(lower: float, upper: float, mass: float = 0.9) -> tuple[float, float]:
    """Return (shape, rate) of the max-entropy Gamma with P(lower <= X <= upper) == mass.

    Parameters
    ----------
    lower : float
        Lower end of the interval, ``0 <= lower < upper``.
    upper : float
        Upper end of the interval, finite.
    mass : float, default 0.9
        Probability that the value lies in ``[lower, upper]``, ``0 < mass < 1``.

    Returns
    -------
    shape : float
        Shape parameter ``k > 0`` (preliz ``alpha``).
    rate : float
        Rate parameter ``r > 0`` (preliz ``beta``); the mean is ``shape / rate``.

    Raises
    ------
    ElicitationError
        If the inputs are invalid, or if no Gamma with the requested mass has
        a finite maximum-entropy member that can be computed accurately.  With
        ``lower == 0`` this happens when ``mass <= 1/e``: the entropy then grows
        without bound as the shape tends to zero.

    Notes
    -----
    The returned distribution satisfies the mass constraint to within
    ``MASS_TOLERANCE`` (1e-6).  The problem is scale invariant: scaling both
    bounds by ``c`` leaves the shape unchanged and divides the rate by ``c``.

    Examples
    --------
    >>> shape, rate = fit_gamma_interval(1.0, 3.0, 0.9)
    >>> round(shape, 3), round(rate, 3)
    (10.276, 5.096)
    """
    lower, upper, mass = _validate(lower, upper, mass, family="Gamma")
    with _numerical_failure("Gamma", lower, upper, mass):
        if lower == 0.0:
            shape, rate = _gamma_from_zero(upper, mass)
        else:
            shape, rate = _gamma_interior(lower, upper, mass)
    _check_fit("Gamma", (shape, rate), _gamma_mass(shape, rate, lower, upper), lower, upper, mass)
    return float(shape), float(rate)


def fit_beta_interval(lower: float, upper: float, mass: float = 0.9) -> tuple[float, float]:
    """Return (alpha, beta) of the max-entropy Beta with P(lower <= X <= upper) == mass.

    Parameters
    ----------
    lower : float
        Lower end of the interval, ``0 <= lower < upper``.
    upper : float
        Upper end of the interval, ``upper <= 1``.  The interval ``[0, 1]``
        is rejected because every Beta puts all its mass on it.
    mass : float, default 0.9
        Probability that the value lies in ``[lower, upper]``, ``0 < mass < 1``.

    Returns
    -------
    alpha : float
        First shape parameter, ``alpha > 0``.
    beta : float
        Second shape parameter, ``beta > 0``; the mean is
        ``alpha / (alpha + beta)``.

    Raises
    ------
    ElicitationError
        If the inputs are invalid or the statement cannot be honoured
        accurately by any Beta (for example a very high mass on an extremely
        narrow interval).

    Notes
    -----
    The returned distribution satisfies the mass constraint to within
    ``MASS_TOLERANCE`` (1e-6).  The problem is mirror symmetric: fitting
    ``(1 - upper, 1 - lower)`` returns ``(beta, alpha)``.

    Examples
    --------
    >>> alpha, beta = fit_beta_interval(0.6, 0.9, 0.9)
    >>> round(alpha, 2), round(beta, 2)
    (15.51, 5.24)
    """
    lower, upper, mass = _validate(lower, upper, mass, family="Beta")
    with _numerical_failure("Beta", lower, upper, mass):
        if lower == 0.0:
            alpha, beta = _beta_from_zero(upper, mass)
        elif upper == 1.0:
            beta, alpha = _beta_from_zero(1.0 - lower, mass)
        else:
            alpha, beta = _beta_interior(lower, upper, mass)
    _check_fit("Beta", (alpha, beta), _beta_mass(alpha, beta, lower, upper), lower, upper, mass)
    return float(alpha), float(beta)


# ---------------------------------------------------------------------------
# Validation and checks
# ---------------------------------------------------------------------------


def _as_finite_float(name: str, value: object) -> float:
    """Convert ``value`` to a finite float or raise ElicitationError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ElicitationError(
            f"{name} must be a real number, but received {value!r} "
            f"({type(value).__name__}); pass a finite float such as 0.5"
        )
    result = float(value)
    if not math.isfinite(result):
        raise ElicitationError(
            f"{name} ({result}) must be a finite number; pass a finite float "
            "(infinite or NaN bounds and masses cannot be elicited)"
        )
    return result


def _validate(
    lower: object, upper: object, mass: object, family: str
) -> tuple[float, float, float]:
    """Check the interval statement and return it as floats."""
    lower_f = _as_finite_float("lower", lower)
    upper_f = _as_finite_float("upper", upper)
    mass_f = _as_finite_float("mass", mass)
    if not 0.0 < mass_f < 1.0:
        raise ElicitationError(
            f"mass ({mass_f}) must satisfy 0 < mass < 1; it is the probability "
            "that the value lies between lower and upper, e.g. 0.9 for "
            "'90% sure' (use a mass strictly below 1 and widen the interval "
            "if you are certain)"
        )
    if not lower_f < upper_f:
        raise ElicitationError(
            f"lower ({lower_f}) must be less than upper ({upper_f}); "
            "swap them or widen the interval"
        )
    if lower_f < 0.0:
        raise ElicitationError(
            f"lower ({lower_f}) must be >= 0 because a {family} variable is "
            "never negative; use lower=0 or a positive lower bound"
        )
    if family == "Beta":
        if upper_f > 1.0:
            raise ElicitationError(
                f"upper ({upper_f}) must be <= 1 because a Beta variable lies in "
                "[0, 1]; express the bounds as proportions between 0 and 1"
            )
        if lower_f == 0.0 and upper_f == 1.0:
            raise ElicitationError(
                "the interval [0.0, 1.0] covers the whole support of the Beta, "
                f"so every Beta puts probability 1 on it, not mass ({mass_f}); "
                "narrow the interval (lower > 0 or upper < 1)"
            )
    elif family == "Gamma" and lower_f == 0.0 and mass_f <= math.exp(-1.0):
        raise ElicitationError(
            f"mass ({mass_f}) must be greater than 1/e (about 0.3679) when "
            "lower is 0: with P(X <= upper) <= 1/e the Gamma entropy grows "
            "without bound as the shape goes to 0, so no maximum-entropy Gamma "
            "exists; increase the mass or use a positive lower bound"
        )
    return lower_f, upper_f, mass_f


def _check_fit(
    family: str,
    params: tuple[float, float],
    achieved: float,
    lower: float,
    upper: float,
    mass: float,
) -> None:
    """Raise ElicitationError unless ``params`` are valid and honour ``mass``."""
    p, q = params
    ok_params = math.isfinite(p) and math.isfinite(q) and p > 0.0 and q > 0.0
    if not ok_params or not abs(achieved - mass) <= MASS_TOLERANCE:
        raise ElicitationError(
            f"could not fit a {family} with mass {mass} on [{lower}, {upper}]: "
            f"the best candidate {family}({p:.6g}, {q:.6g}) puts mass "
            f"{achieved:.9g} there, but the tolerance is {MASS_TOLERANCE:g}. "
            "The interval is too narrow (or too close to a boundary) for this "
            "mass to be matched accurately by any member of the family; widen "
            "the interval or lower the mass"
        )


# ---------------------------------------------------------------------------
# Generic 1-D search along the constraint curve
# ---------------------------------------------------------------------------


def _finite_or_penalty(value: float) -> float:
    return value if math.isfinite(value) else _PENALTY


def _maximise_along_curve(
    objective: Callable[[float], float],
    start: float,
    stop: float,
    floor: float,
    ceiling: float,
) -> float:
    """Maximise ``objective`` on ``[floor, ceiling]``; return the argmax.

    A coarse scan on ``[start, stop]`` (extended toward ``floor``/``ceiling``
    while the best value sits on an edge of the scan) locates the best grid
    point; bounded Brent refinement between its neighbours polishes it.
    Non-finite objective values are treated as infeasible.
    """
    step = _SCAN_STEP
    start, stop = max(start, floor), min(stop, ceiling)
    n = max(int(math.ceil((stop - start) / step)), 2)
    grid = list(np.linspace(start, stop, n + 1))
    values = [_finite_or_penalty(objective(x)) for x in grid]
    while True:
        best = int(np.argmax(values))
        if values[best] == _PENALTY:
            raise _SearchFailed("no feasible point on the constraint curve")
        if best == len(grid) - 1 and grid[-1] < ceiling:
            new = [min(grid[-1] + step * (i + 1), ceiling) for i in range(_SCAN_CHUNK)]
            new = sorted(set(new))
            grid.extend(new)
            values.extend(_finite_or_penalty(objective(x)) for x in new)
        elif best == 0 and grid[0] > floor:
            new = [max(grid[0] - step * (i + 1), floor) for i in range(_SCAN_CHUNK)]
            new = sorted(set(new))
            grid[:0] = new
            values[:0] = [_finite_or_penalty(objective(x)) for x in new]
        else:
            break
    left = grid[max(best - 1, 0)]
    right = grid[min(best + 1, len(grid) - 1)]
    result = optimize.minimize_scalar(
        lambda x: -_finite_or_penalty(objective(x)),
        bounds=(left, right),
        method="bounded",
        options={"xatol": _REFINE_XATOL},
    )
    if math.isfinite(result.fun) and -result.fun >= values[best]:
        return float(result.x)
    return float(grid[best])


class _SearchFailed(Exception):
    """Internal signal that the numerical search found no usable point."""


@contextlib.contextmanager
def _numerical_failure(family: str, lower: float, upper: float, mass: float) -> Iterator[None]:
    """Turn any numerical failure inside the fit into an ElicitationError."""
    try:
        yield
    except ElicitationError:
        raise
    except (_SearchFailed, ValueError, ArithmeticError, RuntimeError) as exc:
        raise ElicitationError(
            f"could not fit a {family} with mass {mass} on [{lower}, {upper}]: "
            f"the numerical search failed ({exc}). The statement is probably "
            "too extreme for the family (an interval that is very narrow for "
            "its mass, or a very small mass); widen the interval or change "
            "the mass"
        ) from exc


def _brentq(f: Callable[[float], float], a: float, b: float) -> float:
    """Root of ``f`` on ``[a, b]`` (signs differ) to near machine precision.

    Used for log-parameters, so an absolute tolerance of 1e-15 is a relative
    tolerance of 1e-15 on the parameter itself.
    """
    return float(optimize.brentq(f, a, b, xtol=1e-15, rtol=_RTOL, maxiter=200))


def _find_threshold(
    g: Callable[[float], float], start: float, floor: float, ceiling: float
) -> float | None:
    """Root of an increasing function ``g`` on ``[floor, ceiling]``.

    Returns ``None`` if ``g(ceiling) < 0``; returns ``floor`` if ``g(floor) >= 0``.
    """
    lo, hi = start, start
    g_start = g(start)
    if g_start >= 0.0:
        step = 1.0
        lo = start - step
        while True:
            if lo <= floor:
                lo = floor
                if g(lo) >= 0.0:
                    return floor
                break
            if g(lo) < 0.0:
                break
            hi = lo
            step *= 2.0
            lo = hi - step
    else:
        step = 1.0
        hi = start + step
        while True:
            if hi >= ceiling:
                hi = ceiling
                if g(hi) < 0.0:
                    return None
                break
            if g(hi) >= 0.0:
                break
            lo = hi
            step *= 2.0
            hi = lo + step
    return float(optimize.brentq(g, lo, hi, xtol=1e-13, rtol=_RTOL, maxiter=200))


# ---------------------------------------------------------------------------
# Gamma
# ---------------------------------------------------------------------------


def _gamma_entropy_std(shape: float) -> float:
    """Entropy of Gamma(shape, rate=1); asymptotic series for large shape."""
    if shape < 250.0:
        return shape + special.gammaln(shape) + (1.0 - shape) * special.digamma(shape)
    inv = 1.0 / shape
    return (
        0.5 * (1.0 + math.log(2.0 * math.pi) + math.log(shape))
        - inv / 3.0
        - inv**2 / 12.0
        - inv**3 / 90.0
        + inv**4 / 120.0
    )


def _gamma_mass(shape: float, rate: float, lower: float, upper: float) -> float:
    """P(lower <= X <= upper) for X ~ Gamma(shape, rate)."""
    x_lo, x_hi = rate * lower, rate * upper
    if x_lo > shape:  # both points in the upper tail: use survival functions
        return float(special.gammaincc(shape, x_lo) - special.gammaincc(shape, x_hi))
    return float(special.gammainc(shape, x_hi) - special.gammainc(shape, x_lo))


def _gamma_start_log_shape(lower: float, upper: float, mass: float) -> float:
    """Log-shape of the Gamma matching mean (l+u)/2 and sd (u-l)/(4 mass)."""
    mean = 0.5 * (lower + upper)
    sd = (upper - lower) / (4.0 * mass)
    return math.log(max((mean / sd) ** 2, 1e-3))


def _gamma_from_zero(upper: float, mass: float) -> tuple[float, float]:
    """Max-entropy Gamma with P(X <= upper) == mass (requires mass > 1/e)."""

    def quantile(shape: float) -> float:
        return float(special.gammaincinv(shape, mass))

    def entropy(log_shape: float) -> float:
        shape = math.exp(log_shape)
        q = quantile(shape)
        if not q > 0.0:
            return -math.inf
        return _gamma_entropy_std(shape) - math.log(q) + math.log(upper)

    s0 = _gamma_start_log_shape(0.0, upper, mass)
    log_shape = _maximise_along_curve(entropy, s0 - 3.0, s0 + 3.0, _MIN_LOG_PARAM, _MAX_LOG_PARAM)
    shape = math.exp(log_shape)
    return shape, quantile(shape) / upper


def _gamma_interior(lower: float, upper: float, mass: float) -> tuple[float, float]:
    """Max-entropy Gamma with P(lower <= X <= upper) == mass, lower > 0."""
    ratio = upper / lower
    # For fixed shape k the interval mass, as a function of y = rate * upper,
    # peaks at y* = k * ratio * log(ratio) / (ratio - 1).
    peak_factor = ratio * math.log(ratio) / (ratio - 1.0) if ratio < 1e300 else math.log(ratio)

    def interval_mass(shape: float, y: float) -> float:
        return _gamma_mass(shape, y / upper, lower, upper)

    def peak_excess(log_shape: float) -> float:
        shape = math.exp(log_shape)
        return interval_mass(shape, shape * peak_factor) - mass

    s0 = _gamma_start_log_shape(lower, upper, mass)
    s_min = _find_threshold(peak_excess, s0, _MIN_LOG_PARAM, _MAX_LOG_PARAM)
    if s_min is None:
        raise ElicitationError(
            f"could not fit a Gamma with mass {mass} on [{lower}, {upper}]: the "
            f"interval is too narrow for this mass (it would need a shape above "
            f"{math.exp(_MAX_LOG_PARAM):.0e}); widen the interval or lower the mass"
        )

    def small_rate_root(shape: float) -> float:
        """Return y = rate * upper on the small-rate branch of the constraint."""

        def excess(log_y: float) -> float:
            return interval_mass(shape, math.exp(log_y)) - mass

        t_peak = math.log(shape * peak_factor)
        if excess(t_peak) <= 0.0:
            return math.exp(t_peak)  # at (or numerically just below) the junction
        # F(y) <= gammainc(k, y), so the root is at least gammaincinv(k, mass).
        y_low = float(special.gammaincinv(shape, mass))
        if not y_low > 0.0:  # gammaincinv underflowed: degenerate shape
            return math.nan
        t_low = math.log(y_low)
        if not t_low < t_peak or excess(t_low) >= 0.0:
            return math.exp(min(t_low, t_peak))
        return math.exp(_brentq(excess, t_low, t_peak))

    def entropy(tau: float) -> float:
        shape = math.exp(s_min + tau * tau)
        y = small_rate_root(shape)
        if not y > 0.0:
            return -math.inf
        return _gamma_entropy_std(shape) - math.log(y) + math.log(upper)

    tau_ceiling = math.sqrt(max(_MAX_LOG_PARAM - s_min, 0.0))
    tau = _maximise_along_curve(entropy, 0.0, 3.0, 0.0, tau_ceiling)
    shape = math.exp(s_min + tau * tau)
    return shape, small_rate_root(shape) / upper


# ---------------------------------------------------------------------------
# Beta
# ---------------------------------------------------------------------------


def _beta_entropy(alpha: float, beta: float) -> float:
    """Differential entropy of Beta(alpha, beta)."""
    return float(
        special.betaln(alpha, beta)
        - (alpha - 1.0) * special.digamma(alpha)
        - (beta - 1.0) * special.digamma(beta)
        + (alpha + beta - 2.0) * special.digamma(alpha + beta)
    )


def _beta_mass(alpha: float, beta: float, lower: float, upper: float) -> float:
    """P(lower <= X <= upper) for X ~ Beta(alpha, beta)."""
    cdf_lo = special.betainc(alpha, beta, lower)
    if cdf_lo > 0.5:
        return float(special.betaincc(alpha, beta, lower) - special.betaincc(alpha, beta, upper))
    return float(special.betainc(alpha, beta, upper) - cdf_lo)


def _beta_start_log_alpha(lower: float, upper: float, mass: float) -> float:
    """Log-alpha of the Beta matching mean (l+u)/2 and sd (u-l)/(4 mass)."""
    mean = 0.5 * (lower + upper)
    var = ((upper - lower) / (4.0 * mass)) ** 2
    concentration = mean * (1.0 - mean) / var - 1.0
    return math.log(max(mean * concentration, 0.1))


def _beta_from_zero(upper: float, mass: float) -> tuple[float, float]:
    """Max-entropy Beta with P(X <= upper) == mass, 0 < upper < 1."""

    def solve_beta(alpha: float) -> float:
        # I_upper(alpha, beta) increases with beta: unique root, closed form.
        beta = float(special.btdtrib(alpha, mass, upper))
        if math.isfinite(beta) and beta > 0.0:
            if abs(_beta_mass(alpha, beta, 0.0, upper) - mass) <= 1e-12:
                return beta
        return _beta_root_monotone(alpha, upper, mass)

    def entropy(log_alpha: float) -> float:
        alpha = math.exp(log_alpha)
        beta = solve_beta(alpha)
        if not (math.isfinite(beta) and beta > 0.0):
            return -math.inf
        return _beta_entropy(alpha, beta)

    s0 = _beta_start_log_alpha(0.0, upper, mass)
    log_alpha = _maximise_along_curve(entropy, s0 - 3.0, s0 + 3.0, _MIN_LOG_PARAM, _MAX_LOG_PARAM)
    alpha = math.exp(log_alpha)
    return alpha, solve_beta(alpha)


def _beta_root_monotone(alpha: float, upper: float, mass: float) -> float:
    """Fallback bracketed solve of I_upper(alpha, beta) == mass for beta."""

    def g(log_beta: float) -> float:
        return float(special.betainc(alpha, math.exp(log_beta), upper)) - mass

    start = math.log(alpha * (1.0 - upper) / upper)
    root = _find_threshold(g, start, -700.0, 700.0)
    return math.nan if root is None else math.exp(root)


def _beta_interior(lower: float, upper: float, mass: float) -> tuple[float, float]:
    """Max-entropy Beta with P(lower <= X <= upper) == mass, 0 < lower < upper < 1."""
    log1m_lower = math.log1p(-lower)

    def interval_mass(alpha: float, log_beta: float) -> float:
        return _beta_mass(alpha, math.exp(log_beta), lower, upper)

    def peak(alpha: float) -> tuple[float, float]:
        """(log beta, mass) at the maximum of the interval mass for fixed alpha.

        At the maximum E[log(1-X) | lower<=X<=upper] == E[log(1-X)], so
        digamma(b) - digamma(a+b) lies in (log(1-upper), log(1-lower)).  By
        Jensen this gives b > a (1-upper)/upper, and b < b2 where b2 solves
        digamma(b2) - digamma(a+b2) == log(1-lower) (an increasing function).
        """
        t_left = math.log(alpha * (1.0 - upper) / upper)

        def g(log_beta: float) -> float:
            b = math.exp(log_beta)
            return float(special.digamma(b) - special.digamma(alpha + b)) - log1m_lower

        t_right = _find_threshold(g, math.log(alpha * (1.0 - lower) / lower), -700.0, 700.0)
        if t_right is None or t_right <= t_left:
            t_right = t_left + 1.0
        res = optimize.minimize_scalar(
            lambda t: -interval_mass(alpha, t),
            bounds=(t_left, t_right),
            method="bounded",
            options={"xatol": 1e-10},
        )
        return float(res.x), -float(res.fun)

    def peak_excess(log_alpha: float) -> float:
        return peak(math.exp(log_alpha))[1] - mass

    s0 = _beta_start_log_alpha(lower, upper, mass)
    s_min = _find_threshold(peak_excess, s0, _MIN_LOG_PARAM, _MAX_LOG_PARAM)
    if s_min is None:
        raise ElicitationError(
            f"could not fit a Beta with mass {mass} on [{lower}, {upper}]: the "
            f"interval is too narrow for this mass (it would need alpha above "
            f"{math.exp(_MAX_LOG_PARAM):.0e}); widen the interval or lower the mass"
        )
    mean_mid = 0.5 * (lower + upper)

    def root(alpha: float, side: int) -> float:
        """Return log(beta) at the root left (side=-1) or right (side=+1) of the peak."""
        t_in = math.log(alpha * (1.0 - mean_mid) / mean_mid)
        f_in = interval_mass(alpha, t_in) - mass
        if f_in < 0.0:
            t_in, m_peak = peak(alpha)
            f_in = m_peak - mass
            if f_in <= 0.0:
                return t_in  # at (or numerically just below) the junction
        step = 0.5
        t_out = t_in + side * step
        while interval_mass(alpha, t_out) - mass >= 0.0:
            t_in = t_out
            step *= 2.0
            t_out = t_in + side * step
            if abs(t_out) > 1400.0:
                return math.nan
        lo, hi = sorted((t_in, t_out))
        return _brentq(lambda t: interval_mass(alpha, t) - mass, lo, hi)

    def point(tau: float) -> tuple[float, float]:
        alpha = math.exp(s_min + tau * tau)
        log_beta = root(alpha, 1 if tau >= 0.0 else -1)
        return alpha, math.exp(log_beta)

    def entropy(tau: float) -> float:
        alpha, beta = point(tau)
        if not (math.isfinite(beta) and beta > 0.0):
            return -math.inf
        return _beta_entropy(alpha, beta)

    tau_ceiling = math.sqrt(max(_MAX_LOG_PARAM - s_min, 0.0))
    tau = _maximise_along_curve(entropy, -3.0, 3.0, -tau_ceiling, tau_ceiling)
    return point(tau)
