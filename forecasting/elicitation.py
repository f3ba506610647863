"""Elicit Gamma and Beta priors from an interval statement.

An analyst states a prior as "I am ``mass`` sure the value lies between
``lower`` and ``upper``".  Among all members of the chosen family that put
exactly ``mass`` probability on ``[lower, upper]`` we return the one with the
largest (differential) entropy, i.e. the least informative distribution that
honours the statement.  This is the same problem that ``preliz.maxent`` solves;
this module solves it with numpy and scipy only (no preliz at runtime), meets
the mass constraint to near machine precision, and searches the whole
constraint curve rather than polishing a single local optimum.

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
of ``tau`` through the junction.  The entropy along the curve can have several
local maxima (it does for Beta statements with a small mass), so it is scanned
outward from the junction until a rigorous bound shows that no point further
out can beat the best one found: an entropy ``H`` needs a variance of at least
``exp(2 H) / (2 pi e)``, and with Cantelli's inequality this caps ``p``.  The
promising local maxima of the scan are then polished with bounded Brent
minimisation, and the result is checked against the mass constraint.  When the
interval touches the edge of the support the curve is a single open branch,
searched the same way from a moment-matched starting point.

Entropies are evaluated with formulas that stay accurate for very large
parameters (asymptotic expansions instead of differences of huge terms), so
that narrow intervals do not produce spurious optima.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator

import numpy as np
from scipy import special

from ._optim import brentq, fminbound

__all__ = ["ElicitationError", "fit_beta_interval", "fit_gamma_interval"]

#: Largest absolute error allowed between the requested and the fitted mass.
MASS_TOLERANCE = 1e-6

# Largest shape (Gamma) or alpha (Beta) parameter we are willing to search.
# Beyond this the interval is so narrow for its mass that the distribution is
# numerically degenerate.
_MAX_LOG_PARAM = math.log(1e12)
# Smallest shape/alpha we search.  Below this the distribution is degenerate.
_MIN_LOG_PARAM = math.log(1e-12)
# Largest step of the coarse scans, in log-parameter.
_SCAN_STEP = 0.25
# Step of the scan in ``tau`` near the junction of the two branches.
_JUNCTION_STEP = 0.2
# Number of scan steps added each time the best point sits on a scan edge.
_SCAN_CHUNK = 5
# Local maxima of a scan within this many nats of the best are refined ...
_REFINE_MARGIN = 1.0
# ... but no more than this many of them.
_MAX_REFINEMENTS = 4
# Safety margin (in log-parameter) added to the entropy-based scan bound.
_BOUND_MARGIN = 0.25
# Absolute tolerance of the final 1-D refinement along the curve.
_REFINE_XATOL = 1e-9
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


def _failure_hint(family: str, lower: float, mass: float) -> str:
    """What to do when a valid statement cannot be fitted."""
    if family == "Gamma" and lower == 0.0 and mass < 0.4:
        return (
            "with lower = 0 and a mass this close to 1/e (about 0.3679) the "
            "maximum-entropy Gamma is degenerate (shape near 0, rate "
            "underflowing to 0); use a larger mass or a positive lower bound"
        )
    return (
        f"the statement is too extreme for any {family} (for example a very "
        "high mass on a very narrow interval, a bound extremely close to the "
        "edge of the support, or a very small mass); widen the interval or "
        "change the mass"
    )


def _check_fit(
    family: str,
    params: tuple[float, float],
    achieved: float,
    lower: float,
    upper: float,
    mass: float,
) -> None:
    """Raise ElicitationError unless ``params`` are usable and honour ``mass``.

    Usable means finite and at least the smallest normal float: subnormal
    parameters have lost most of their significant digits.
    """
    p, q = params
    tiny = float(np.finfo(float).tiny)
    ok_params = math.isfinite(p) and math.isfinite(q) and p >= tiny and q >= tiny
    if ok_params and abs(achieved - mass) <= MASS_TOLERANCE:
        return
    raise ElicitationError(
        f"could not fit a {family} with mass {mass} on [{lower}, {upper}]: "
        f"the best candidate {family}({p:.6g}, {q:.6g}) puts mass "
        f"{achieved:.9g} there (tolerance {MASS_TOLERANCE:g}) or has parameters "
        "outside double precision; "
        f"{_failure_hint(family, lower, mass)}"
    )


# ---------------------------------------------------------------------------
# Generic 1-D search along the constraint curve
# ---------------------------------------------------------------------------


def _finite_or_penalty(value: float) -> float:
    return value if math.isfinite(value) else _PENALTY


def _scan_line(
    objective: Callable[[float], float],
    start: float,
    stop: float,
    floor: float,
    ceiling: float,
) -> tuple[list[float], list[float]]:
    """Scan ``objective`` on ``[start, stop]`` with step ``_SCAN_STEP``.

    The scan is extended toward ``floor``/``ceiling`` while its best value
    sits on an edge.  Used for the open constraint curves (interval touching
    the edge of the support), where the entropy is unimodal.
    """
    step = _SCAN_STEP
    start, stop = max(start, floor), min(stop, ceiling)
    n = max(int(math.ceil((stop - start) / step)), 2)
    grid = [float(x) for x in np.linspace(start, stop, n + 1)]
    values = [_finite_or_penalty(objective(x)) for x in grid]
    while True:
        best = int(np.argmax(values))
        if (best == len(grid) - 1 and grid[-1] >= ceiling) or (best == 0 and grid[0] <= floor):
            raise _SearchFailed(_OUT_OF_RANGE)
        if best == len(grid) - 1 and grid[-1] < ceiling:
            new = sorted({min(grid[-1] + step * (i + 1), ceiling) for i in range(_SCAN_CHUNK)})
            grid.extend(new)
            values.extend(_finite_or_penalty(objective(x)) for x in new)
        elif best == 0 and grid[0] > floor:
            new = sorted({max(grid[0] - step * (i + 1), floor) for i in range(_SCAN_CHUNK)})
            grid[:0] = new
            values[:0] = [_finite_or_penalty(objective(x)) for x in new]
        else:
            return grid, values


def _scan_from_junction(
    objective: Callable[[float], float],
    log_p_min: float,
    log_p_bound: Callable[[float], float],
    two_sided: bool,
) -> tuple[list[float], list[float]]:
    """Scan ``objective(tau)``, ``log p = log_p_min + tau**2``, outward from 0.

    The step is ``_JUNCTION_STEP`` in ``tau`` near the junction and at most
    ``_SCAN_STEP`` in ``log p`` further out.  Each side stops once
    ``log p`` exceeds ``log_p_bound(best entropy so far)``: no point of the
    constraint curve beyond that can have a larger entropy.
    """
    tau_cap = math.sqrt(max(_MAX_LOG_PARAM - log_p_min, 0.0))
    grid = [0.0]
    values = [_finite_or_penalty(objective(0.0))]
    best = values[0]
    # Current |tau| of each side still being scanned; the sides advance in
    # turn so that a good point found on one side tightens the other's bound.
    active = {1.0: 0.0, -1.0: 0.0} if two_sided else {1.0: 0.0}
    while active:
        side = min(active, key=active.__getitem__)
        tau = active[side]
        step = _JUNCTION_STEP if tau == 0.0 else min(_JUNCTION_STEP, _SCAN_STEP / (2 * tau))
        tau = min(tau + step, tau_cap)
        value = _finite_or_penalty(objective(side * tau))
        grid.append(side * tau)
        values.append(value)
        best = max(best, value)
        active[side] = tau
        if tau >= tau_cap or log_p_min + tau * tau > log_p_bound(best):
            del active[side]
        for other in [o for o in active if log_p_min + active[o] ** 2 > log_p_bound(best)]:
            del active[other]
    order = sorted(range(len(grid)), key=grid.__getitem__)
    grid, values = [grid[i] for i in order], [values[i] for i in order]
    best = int(np.argmax(values))
    if best in (0, len(grid) - 1) and abs(grid[best]) >= tau_cap > 0.0:
        raise _SearchFailed(_OUT_OF_RANGE)
    return grid, values


def _entropy_bound(upper: float, mass: float) -> Callable[[float], float]:
    """Return ``best -> log p_max`` beyond which entropy cannot exceed ``best``.

    For a Gamma (``p`` = shape) or Beta (``p`` = alpha) with mean ``mu`` and
    variance ``v``, ``p <= mu**2 / v``.  Cantelli's inequality and
    ``P(X <= upper) >= mass`` give ``mu <= upper + sqrt(v (1 - mass) / mass)``,
    and an entropy of at least ``best`` needs ``v >= exp(2 best) / (2 pi e)``
    (the normal has the largest entropy for a given variance).  Together:
    ``p <= (upper / sqrt(v_min) + sqrt((1 - mass) / mass))**2``.
    """
    log_scaled_upper = math.log(upper) + 0.5 * math.log(2.0 * math.pi * math.e)
    log_tail = 0.5 * (math.log1p(-mass) - math.log(mass))

    def bound(best: float) -> float:
        if best <= _PENALTY:
            return math.inf
        return 2.0 * float(np.logaddexp(log_scaled_upper - best, log_tail)) + _BOUND_MARGIN

    return bound


def _refine(objective: Callable[[float], float], grid: list[float], values: list[float]) -> float:
    """Polish the promising local maxima of a scan; return the best argument.

    Every local maximum of the scan within ``_REFINE_MARGIN`` of the best
    scanned value (at most ``_MAX_REFINEMENTS`` of them, best first) is
    refined by bounded Brent minimisation between its two neighbours.
    """
    n = len(grid)
    top = max(values)
    if top <= _PENALTY:
        raise _SearchFailed("no feasible point found on the constraint curve")
    peaks = [
        i
        for i in range(n)
        if values[i] >= top - _REFINE_MARGIN
        and (i == 0 or values[i] >= values[i - 1])
        and (i == n - 1 or values[i] >= values[i + 1])
    ]
    peaks.sort(key=values.__getitem__, reverse=True)
    best = peaks[0]
    if (best > 0 and values[best - 1] <= _PENALTY) or (
        best < n - 1 and values[best + 1] <= _PENALTY
    ):
        # The best point borders a point where the computation broke down
        # (underflow): the optimum is not representable.
        raise _SearchFailed(_OUT_OF_RANGE)
    best_x, best_value = grid[best], values[best]
    for i in peaks[:_MAX_REFINEMENTS]:
        left, right = grid[max(i - 1, 0)], grid[min(i + 1, n - 1)]
        if right <= left:
            continue
        x, fx = fminbound(
            lambda x: -_finite_or_penalty(objective(x)), left, right, xatol=_REFINE_XATOL
        )
        if -fx > best_value:
            best_x, best_value = float(x), -float(fx)
    return best_x


class _SearchFailed(Exception):
    """Internal signal that the numerical search found no usable point."""


_OUT_OF_RANGE = (
    "the entropy keeps increasing up to the edge of what can be computed "
    "(first parameter outside 1e-12 to 1e12, or a parameter under- or "
    "overflowing), so the maximum-entropy distribution is numerically "
    "degenerate"
)


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
            f"the numerical search failed ({exc}); "
            f"{_failure_hint(family, lower, mass)}"
        ) from exc


def _brentq(f: Callable[[float], float], a: float, b: float) -> float:
    """Root of ``f`` on ``[a, b]`` (signs differ) to near machine precision.

    Used for log-parameters, so an absolute tolerance of 1e-15 is a relative
    tolerance of 1e-15 on the parameter itself.
    """
    return float(brentq(f, a, b, xtol=1e-15, rtol=_RTOL, maxiter=200))


def _find_threshold(
    g: Callable[[float], float], start: float, floor: float, ceiling: float
) -> float | None:
    """Root of an increasing function ``g`` on ``[floor, ceiling]``.

    Returns ``None`` if ``g(ceiling) < 0``; returns ``floor`` if ``g(floor) >= 0``.
    """
    start = min(max(start, floor), ceiling)
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
    return float(brentq(g, lo, hi, xtol=1e-13, rtol=_RTOL, maxiter=200))


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
    grid, values = _scan_line(entropy, s0 - 2.0, s0 + 2.0, _MIN_LOG_PARAM, _MAX_LOG_PARAM)
    log_shape = _refine(entropy, grid, values)
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

    grid, values = _scan_from_junction(entropy, s_min, _entropy_bound(upper, mass), False)
    tau = _refine(entropy, grid, values)
    shape = math.exp(s_min + tau * tau)
    return shape, small_rate_root(shape) / upper


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


def _beta_entropy(alpha: float, beta: float) -> float:
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
        return _beta_entropy(alpha, beta)

    s0 = _beta_start_log_alpha(0.0, upper, mass)
    grid, values = _scan_line(entropy, s0 - 2.0, s0 + 2.0, _MIN_LOG_PARAM, _MAX_LOG_PARAM)
    log_alpha = _refine(entropy, grid, values)
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
        x, fx = fminbound(lambda t: -interval_mass(alpha, t), t_left, t_right, xatol=1e-8)
        return float(x), -float(fx)

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

    grid, values = _scan_from_junction(entropy, s_min, _entropy_bound(upper, mass), True)
    tau = _refine(entropy, grid, values)
    return point(tau)
