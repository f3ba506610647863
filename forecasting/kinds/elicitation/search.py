"""What the Gamma and Beta fits share: the error, the checks, the search along the curve.

See the package docstring for the method.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator

import numpy as np

from .optim import brentq, fminbound

#: Largest absolute error allowed between the requested and the fitted mass.
MASS_TOLERANCE = 1e-6

# Largest shape (Gamma) or alpha (Beta) parameter we are willing to search.
# Beyond this the interval is so narrow for its mass that the distribution is
# numerically degenerate.
MAX_LOG_PARAM = math.log(1e12)
# Smallest shape/alpha we search.  Below this the distribution is degenerate.
MIN_LOG_PARAM = math.log(1e-12)
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
# Validation and checks
# ---------------------------------------------------------------------------


def as_finite_float(name: str, value: object) -> float:
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


def validate(lower: object, upper: object, mass: object, family: str) -> tuple[float, float, float]:
    """Check the interval statement and return it as floats."""
    lower_f = as_finite_float("lower", lower)
    upper_f = as_finite_float("upper", upper)
    mass_f = as_finite_float("mass", mass)
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


def check_fit(
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


def scan_line(
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


def scan_from_junction(
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
    tau_cap = math.sqrt(max(MAX_LOG_PARAM - log_p_min, 0.0))
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


def entropy_bound(upper: float, mass: float) -> Callable[[float], float]:
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


def refine(objective: Callable[[float], float], grid: list[float], values: list[float]) -> float:
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
def numerical_failure(family: str, lower: float, upper: float, mass: float) -> Iterator[None]:
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


def log_root(f: Callable[[float], float], a: float, b: float) -> float:
    """Root of ``f`` on ``[a, b]`` (signs differ) to near machine precision.

    Used for log-parameters, so an absolute tolerance of 1e-15 is a relative
    tolerance of 1e-15 on the parameter itself.
    """
    return float(brentq(f, a, b, xtol=1e-15, rtol=_RTOL, maxiter=200))


def find_threshold(
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
