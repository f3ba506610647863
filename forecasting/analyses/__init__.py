"""Analyses of a forecast: what it rests on, what changed, what to watch next.

Each function takes a :class:`~forecasting.results.forecast.Forecast` (or a question with its
evidence and an as-of date) and returns xarray objects keyed by the question's and the
ledger's ids; :func:`sensitivity` gathers the exact ones in one DataTree.

>>> from forecasting import analyses as an
>>> tree = an.sensitivity(f)                                        # doctest: +SKIP
>>> an.sweep(f, "likelihood:joint_operations:accession", values)    # doctest: +SKIP
"""

from __future__ import annotations

from .attribution import Attribution, attribute
from .base import Base, base_of
from .disagreement import disagreement_map
from .influence import evidence_influence, indicator_influence, origin_influence
from .judgements import (
    Judgement,
    all_judgements,
    concentration_intervals,
    judgement_sensitivity,
    sweep,
)
from .observation import next_observation, value_of_information
from .overview import sensitivity
from .sampled import PARETO_K_MAX, influence_psis, log_prior_density, power_scaling
from .surprise_check import SURPRISE_THRESHOLD, surprise
from .tipping import item_tipping_points, tipping_points

__all__ = [
    "PARETO_K_MAX",
    "SURPRISE_THRESHOLD",
    "Attribution",
    "Base",
    "Judgement",
    "attribute",
    "base_of",
    "concentration_intervals",
    "disagreement_map",
    "evidence_influence",
    "indicator_influence",
    "influence_psis",
    "item_tipping_points",
    "judgement_sensitivity",
    "all_judgements",
    "log_prior_density",
    "next_observation",
    "power_scaling",
    "sensitivity",
    "origin_influence",
    "surprise",
    "sweep",
    "tipping_points",
    "value_of_information",
]
