"""The maximum-entropy Gamma with a stated mass on an interval."""

from __future__ import annotations

import math

from scipy import special

from .search import (
    MAX_LOG_PARAM,
    MIN_LOG_PARAM,
    ElicitationError,
    check_fit,
    entropy_bound,
    find_threshold,
    log_root,
    numerical_failure,
    refine,
    scan_from_junction,
    scan_line,
    validate,
)


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
    lower, upper, mass = validate(lower, upper, mass, family="Gamma")
    with numerical_failure("Gamma", lower, upper, mass):
        if lower == 0.0:
            shape, rate = _gamma_from_zero(upper, mass)
        else:
            shape, rate = _gamma_interior(lower, upper, mass)
    check_fit("Gamma", (shape, rate), _gamma_mass(shape, rate, lower, upper), lower, upper, mass)
    return float(shape), float(rate)


# ---------------------------------------------------------------------------
# Gamma
# ---------------------------------------------------------------------------


def gamma_entropy_std(shape: float) -> float:
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
        return gamma_entropy_std(shape) - math.log(q) + math.log(upper)

    s0 = _gamma_start_log_shape(0.0, upper, mass)
    grid, values = scan_line(entropy, s0 - 2.0, s0 + 2.0, MIN_LOG_PARAM, MAX_LOG_PARAM)
    log_shape = refine(entropy, grid, values)
    shape = math.exp(log_shape)
    return shape, quantile(shape) / upper


def _gamma_interior(lower: float, upper: float, mass: float) -> tuple[float, float]:
    """Max-entropy Gamma with P(lower <= X <= upper) == mass, lower > 0."""
    # For fixed shape k the interval mass, as a function of y = rate * upper,
    # peaks at y* = k * rho * log(rho) / (rho - 1) with rho = upper / lower
    # (where the densities at the two bounds are equal).  Written to stay
    # accurate for rho near 1 and finite for rho beyond the float range.
    log_ratio = math.log(upper) - math.log(lower)
    peak_factor = log_ratio / -math.expm1(-log_ratio)

    def interval_mass(shape: float, y: float) -> float:
        return _gamma_mass(shape, y / upper, lower, upper)

    def peak_excess(log_shape: float) -> float:
        shape = math.exp(log_shape)
        return interval_mass(shape, shape * peak_factor) - mass

    s0 = _gamma_start_log_shape(lower, upper, mass)
    s_min = find_threshold(peak_excess, s0, MIN_LOG_PARAM, MAX_LOG_PARAM)
    if s_min is None:
        raise ElicitationError(
            f"could not fit a Gamma with mass {mass} on [{lower}, {upper}]: the "
            f"interval is too narrow for this mass (it would need a shape above "
            f"{math.exp(MAX_LOG_PARAM):.0e}); widen the interval or lower the mass"
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
        return math.exp(log_root(excess, t_low, t_peak))

    def entropy(tau: float) -> float:
        shape = math.exp(s_min + tau * tau)
        y = small_rate_root(shape)
        if not y > 0.0:
            return -math.inf
        return gamma_entropy_std(shape) - math.log(y) + math.log(upper)

    grid, values = scan_from_junction(entropy, s_min, entropy_bound(upper, mass), False)
    tau = refine(entropy, grid, values)
    shape = math.exp(s_min + tau * tau)
    return shape, small_rate_root(shape) / upper
