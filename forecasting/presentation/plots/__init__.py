"""Plots of a forecast and of what it rests on (matplotlib).

Every function takes its data first and everything else by keyword, draws into ``ax`` (or
``axes``) when given and otherwise makes a new figure, never calls ``plt.show()``, and returns
``(fig, ax)``. Scenarios keep one colour everywhere (:func:`scenario_colors`).

The two kinds of sensitivity keep their names apart, as in :mod:`forecasting.analyses`:
**evidence influence** is about the *items of evidence* (:func:`plot_evidence_influence`),
**judgement sensitivity** about the *elicited quantities* (:func:`plot_tornado`,
:func:`plot_tornado_grid`, :func:`plot_tipping_points`, :func:`plot_sweep`). The trajectory
of the archived forecasts is :func:`plot_trajectory` (one panel per scenario) or
:func:`plot_history` (one axes). The analytic
confidence (:func:`plot_confidence`) stands beside the probabilities, never inside them. The
track record of resolved questions is drawn from a scorecard: how calibrated the probabilities
were (:func:`plot_reliability`, the CORP reliability diagram) and what each resolved question's
forecasts gave to the outcome that came true (:func:`plot_scores`).

Modules: :mod:`.style` (palette, colours, axes), :mod:`.layout` (the fixed layout of figures
made here), one module per family of figures, and :mod:`.registry` (which figures there are,
what results each draws, and writing them to files). ``import forecasting`` does not import
matplotlib; this package does, when first used.

>>> import forecasting as fc
>>> from forecasting import analyses, plots
>>> f = fc.forecast("models/syria_coalition.yaml", as_of="2025-10-27")  # doctest: +SKIP
>>> fig, ax = plots.plot_posterior(f)                                     # doctest: +SKIP
>>> plots.save_all(f, analyses.sensitivity(f), "figures")                  # doctest: +SKIP
"""

from __future__ import annotations

from .confidence import plot_confidence
from .disagreement import plot_disagreement
from .history import plot_history
from .influence import plot_evidence_influence
from .observation import plot_next_observation, plot_value_of_information
from .posterior import plot_posterior
from .registry import FIGURES, draw_figures, results_of, save_all, save_figure
from .style import OKABE_ITO, scenario_colors
from .sweep import plot_sweep
from .tipping import plot_tipping_points
from .tornado import plot_tornado, plot_tornado_grid
from .track import plot_reliability, plot_scores
from .trajectory import plot_trajectory

__all__ = [
    "FIGURES",
    "OKABE_ITO",
    "draw_figures",
    "plot_confidence",
    "plot_disagreement",
    "plot_evidence_influence",
    "plot_history",
    "plot_next_observation",
    "plot_posterior",
    "plot_reliability",
    "plot_scores",
    "plot_sweep",
    "plot_tipping_points",
    "plot_tornado",
    "plot_tornado_grid",
    "plot_trajectory",
    "plot_value_of_information",
    "results_of",
    "save_all",
    "save_figure",
    "scenario_colors",
]
