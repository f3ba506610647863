"""The maximum-entropy Beta with a stated mass on an interval."""

from __future__ import annotations

import math

from scipy import special

from .optim import fminbound
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
    lower, upper, mass = validate(lower, upper, mass, family="Beta")
    with numerical_failure("Beta", lower, upper, mass):
        if lower == 0.0:
            alpha, beta = _beta_from_zero(upper, mass)
        elif upper == 1.0:
            beta, alpha = _beta_from_zero(1.0 - lower, mass)
        else:
            alpha, beta = _beta_interior(lower, upper, mass)
    check_fit("Beta", (alpha, beta), _beta_mass(alpha, beta, lower, upper), lower, upper, mass)
    return float(alpha), float(beta)


# ---------------------------------------------------------------------------
# Beta
# ---------------------------------------------------------------------------


def _digamma_increment(x: float, y: float) -> float:
    """Return ``digamma(x + y) - digamma(x)`` without cancellation for large ``x``."""
    if x < 1e3:
        return float(special.digamma(x + y) - special.digamma(x))
    # digamma(z) = log z - 1/(2z) - 1/(12 z^2) + 1/(120 z^4) - 1/(252 z^6) + ...
    z = x + y
    return (
        math.log1p(y / x)
        + y / (2.0 * x * z)
        + y * (x + z) / (12.0 * x * x * z * z)
        - (1.0 / z**4 - 1.0 / x**4) / 120.0
        + (1.0 / z**6 - 1.0 / x**6) / 252.0
    )


def beta_entropy(alpha: float, beta: float) -> float:
    """Differential entropy of Beta(alpha, beta), accurate for large parameters.

    Uses ``log B(a, b) + (a - 1) [psi(a + b) - psi(a)] + (b - 1) [psi(a + b) - psi(b)]``
    with the digamma increments computed without cancellation, and the
    asymptotic expansion when both parameters are large.
    """
    a, b = alpha, beta
    if a >= 1e6 and b >= 1e6:
        # Expansion of the exact formula (as in scipy.stats.beta).
        n = a + b
        log_term = 0.5 * (
            math.log(2.0 * math.pi) + math.log(a) + math.log(b) - 3.0 * math.log(n) + 1.0
        )
        t1 = 110.0 / n + 20.0 / n**2 + 1.0 / n**3 - 2.0 / n**4
        t2 = -50.0 / a - 10.0 / a**2 - 1.0 / a**3 + 1.0 / a**4
        t3 = -50.0 / b - 10.0 / b**2 - 1.0 / b**3 + 1.0 / b**4
        return log_term + (t1 + t2 + t3) / 120.0
    return float(
        special.betaln(a, b)
        + (a - 1.0) * _digamma_increment(a, b)
        + (b - 1.0) * _digamma_increment(b, a)
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
        return beta_entropy(alpha, beta)

    s0 = _beta_start_log_alpha(0.0, upper, mass)
    grid, values = scan_line(entropy, s0 - 2.0, s0 + 2.0, MIN_LOG_PARAM, MAX_LOG_PARAM)
    log_alpha = refine(entropy, grid, values)
    alpha = math.exp(log_alpha)
    return alpha, solve_beta(alpha)


def _beta_root_monotone(alpha: float, upper: float, mass: float) -> float:
    """Fallback bracketed solve of I_upper(alpha, beta) == mass for beta."""

    def g(log_beta: float) -> float:
        return float(special.betainc(alpha, math.exp(log_beta), upper)) - mass

    start = math.log(alpha * (1.0 - upper) / upper)
    root = find_threshold(g, start, -700.0, 700.0)
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

        t_right = find_threshold(g, math.log(alpha * (1.0 - lower) / lower), -700.0, 700.0)
        if t_right is None or t_right <= t_left:
            t_right = t_left + 1.0
        x, fx = fminbound(lambda t: -interval_mass(alpha, t), t_left, t_right, xatol=1e-8)
        return float(x), -float(fx)

    def peak_excess(log_alpha: float) -> float:
        return peak(math.exp(log_alpha))[1] - mass

    s0 = _beta_start_log_alpha(lower, upper, mass)
    s_min = find_threshold(peak_excess, s0, MIN_LOG_PARAM, MAX_LOG_PARAM)
    if s_min is None:
        raise ElicitationError(
            f"could not fit a Beta with mass {mass} on [{lower}, {upper}]: the "
            f"interval is too narrow for this mass (it would need alpha above "
            f"{math.exp(MAX_LOG_PARAM):.0e}); widen the interval or lower the mass"
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
        return log_root(lambda t: interval_mass(alpha, t) - mass, lo, hi)

    def point(tau: float) -> tuple[float, float]:
        alpha = math.exp(s_min + tau * tau)
        log_beta = root(alpha, 1 if tau >= 0.0 else -1)
        return alpha, math.exp(log_beta)

    def entropy(tau: float) -> float:
        alpha, beta = point(tau)
        if not (math.isfinite(beta) and beta > 0.0):
            return -math.inf
        return beta_entropy(alpha, beta)

    grid, values = scan_from_junction(entropy, s_min, entropy_bound(upper, mass), True)
    tau = refine(entropy, grid, values)
    return point(tau)
