"""Elicit Gamma, Beta and Normal priors from an interval statement.

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

The Normal needs no search: for a fixed standard deviation the mass on ``[lower, upper]`` is
largest when the distribution is centred on the interval, and it falls as the standard
deviation grows, so the widest (maximum-entropy) Normal with the stated mass is the centred
one, ``mean = (lower + upper) / 2``, ``sd = (upper - lower) / (2 z)`` with ``z`` the
``(1 + mass) / 2`` quantile of the standard Normal.

Modules: :mod:`.search` (the checks and the search along the constraint curve that the Gamma and
Beta fits share), :mod:`.gamma`, :mod:`.beta`, and :mod:`.optim` (Brent's root finder and
minimiser, so that no run pays for importing ``scipy.optimize``).
"""

from __future__ import annotations

import math

from .beta import fit_beta_interval
from .gamma import fit_gamma_interval
from .search import MASS_TOLERANCE, ElicitationError, as_finite_float

__all__ = [
    "MASS_TOLERANCE",
    "ElicitationError",
    "fit_beta_interval",
    "fit_gamma_interval",
    "fit_normal_interval",
]


def fit_normal_interval(lower: float, upper: float, mass: float = 0.9) -> tuple[float, float]:
    """Return (mean, sd) of the max-entropy Normal with P(lower <= X <= upper) == mass.

    Parameters
    ----------
    lower, upper : float
        The interval, ``lower < upper``, both finite (any sign).
    mass : float, default 0.9
        Probability that the value lies in ``[lower, upper]``, ``0 < mass < 1``.

    Examples
    --------
    >>> mean, sd = fit_normal_interval(80.0, 120.0, 0.9)
    >>> round(mean, 3), round(sd, 3)
    (100.0, 12.159)
    """
    from scipy import special

    lower_f = as_finite_float("lower", lower)
    upper_f = as_finite_float("upper", upper)
    mass_f = as_finite_float("mass", mass)
    if not 0.0 < mass_f < 1.0:
        raise ElicitationError(
            f"mass ({mass_f}) must satisfy 0 < mass < 1; it is the probability that the value "
            "lies between lower and upper, e.g. 0.9 for '90% sure'"
        )
    if not lower_f < upper_f:
        raise ElicitationError(
            f"lower ({lower_f}) must be less than upper ({upper_f}); swap them or widen the "
            "interval"
        )
    z = float(special.ndtri(0.5 + 0.5 * mass_f))
    sd = (upper_f - lower_f) / (2.0 * z)
    if not (math.isfinite(sd) and sd > 0):
        raise ElicitationError(
            f"could not fit a Normal with mass {mass_f} on [{lower_f}, {upper_f}]: the interval "
            "is too narrow or too wide for double precision; rescale the quantity"
        )
    return 0.5 * (lower_f + upper_f), sd
