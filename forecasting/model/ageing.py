"""Ageing: a report's bearing on the current state decays with the age of what it reports.

An indicator may state ``half_life_days`` (the question a default for all of them). A report
whose content is ``a`` days old on the as-of date (``a`` counted from what it reports: its
``occurred`` date, a count window's end, else its date; not from when it arrived) then
describes the current state with probability

    rho_eff = rho * 2 ** (-a / half_life)

where ``rho`` is its probability of being genuine. Under the truth mixture the rest falls to
the noise distribution, which says nothing about the scenario: an old report can neither
confirm nor rule out a scenario beyond what its age allows, and the integral stays exact.
Under the tempered model the factor multiplies the report's weight. Without a half-life
nothing changes (factor 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np


def half_life(question, indicator: str) -> float | None:
    """The half-life of ``indicator``'s reports in days (``None``: they do not age)."""
    own = getattr(question.indicators[indicator], "half_life_days", None)
    return float(own) if own is not None else question.half_life_days


def factors(
    reference: Sequence[dt.date], as_of: dt.date | None, half_life_days: float | None
) -> np.ndarray:
    """``2 ** (-age / half_life)`` per report (1 without a half-life or an as-of date).

    The age is ``as_of - reference`` in days, at least 0.
    """
    n = len(reference)
    if half_life_days is None or as_of is None or not n:
        return np.ones(n)
    age = np.array([max((as_of - d).days, 0) for d in reference], dtype=float)
    return np.exp2(-age / float(half_life_days))
