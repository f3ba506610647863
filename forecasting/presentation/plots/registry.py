"""The registry of figures: each figure's name, caption, the results it draws, how it is drawn.

:func:`save_all` and the report ask the registry which figures there are; adding a figure is
one entry in :data:`FIGURES`. A figure draws results that the analyses computed before
(:func:`forecasting.analyses.sensitivity`, :func:`forecasting.history`); it never computes an
analysis itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from .confidence import confidence_data, plot_confidence
from .influence import plot_evidence_influence
from .observation import plot_value_of_information
from .posterior import forecast_data, plot_posterior
from .style import DPI, plain_text
from .sweep import plot_sweep
from .tipping import plot_tipping_points
from .tornado import plot_tornado, plot_tornado_grid
from .trajectory import plot_trajectory

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ...results.forecast import Forecast

#: Text settings while saving: unhinted glyphs render about 40% faster and look the same at
#: this resolution.
FAST_TEXT = {"text.hinting": "no_hinting"}


@dataclass(frozen=True)
class Results:
    """What figures are drawn from: a forecast's own groups, its analyses, its history.

    ``confidence`` is :func:`~.confidence.confidence_data` of the forecast (``None`` for a
    forecast made before the analytic confidence was computed).
    """

    forecast: xr.Dataset
    labels: dict[str, str]
    analyses: xr.DataTree | None = None
    history: xr.Dataset | None = None
    confidence: xr.Dataset | None = None

    def group(self, name: str) -> xr.Dataset | None:
        """One group of the analyses, or ``None`` when it was not computed."""
        if self.analyses is None or name not in self.analyses.children:
            return None
        return self.analyses[name].to_dataset()


#: A figure's arguments from the results, or ``None`` when what it needs is missing.
Arguments = Callable[[Results], tuple[tuple[Any, ...], dict[str, Any]] | None]


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the registry."""

    name: str
    caption: str
    draw: Callable[..., tuple[Any, Any]]
    arguments: Arguments


def _group(name: str, *, labels: bool = True) -> Arguments:
    def arguments(results: Results) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        ds = results.group(name)
        if ds is None:
            return None
        return (ds,), ({"labels": results.labels} if labels else {})

    return arguments


def _sweep(results: Results) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    ds = results.group("sweep")
    return None if ds is None else ((ds["probability"],), {"labels": results.labels})


def _value_of_information(results: Results) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    ds = results.group("value_of_information")
    if ds is None:
        return None
    return (ds,), {"next_observation": results.group("next_observation"), "labels": results.labels}


def _confidence(results: Results) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    return None if results.confidence is None else ((results.confidence,), {})


def _history(results: Results) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    if results.history is None or not results.history.sizes.get("as_of", 0):
        return None
    return (results.history,), {}


#: Every figure, in the order they are drawn.
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "posterior",
        "Posterior probabilities, where a horizon of typical evidence could leave each, "
        "beside the prior",
        plot_posterior,
        lambda r: ((r.forecast,), {}),
    ),
    FigureSpec(
        "confidence",
        "Analytic confidence: how far new evidence, other reasonable judgements or one origin's "
        "absence could move each probability, and each origin's share of the weight",
        plot_confidence,
        _confidence,
    ),
    FigureSpec(
        "evidence_influence",
        "Evidence influence: signed shift per item and scenario",
        plot_evidence_influence,
        _group("evidence_influence"),
    ),
    FigureSpec(
        "tornado",
        "Judgement sensitivity: swing of the leading scenario",
        plot_tornado,
        _group("judgement_sensitivity"),
    ),
    FigureSpec(
        "tornado_grid",
        "Judgement sensitivity of every scenario",
        plot_tornado_grid,
        _group("judgement_sensitivity"),
    ),
    FigureSpec("tipping_points", "Tipping points", plot_tipping_points, _group("tipping_points")),
    FigureSpec(
        "value_of_information",
        "Value of one more observation of each indicator: the expected move of the leading "
        "scenario and the chance the leader changes",
        plot_value_of_information,
        _value_of_information,
    ),
    FigureSpec(
        "sweep",
        "The judgement that moves the leading scenario most, swept over its range",
        plot_sweep,
        _sweep,
    ),
    FigureSpec(
        "trajectory",
        "Every scenario's probability and confidence over the archived as-of dates, one panel "
        "per scenario",
        plot_trajectory,
        _history,
    ),
)


def figure(name: str) -> FigureSpec:
    """The registry's entry called ``name``."""
    for fig in FIGURES:
        if fig.name == name:
            return fig
    raise KeyError(f"no figure '{name}' (figures: {', '.join(f.name for f in FIGURES)})")


def results_of(
    forecast: Forecast, analyses: xr.DataTree | None = None, history: xr.Dataset | None = None
) -> Results:
    """The :class:`Results` of a forecast, its analyses and its history."""
    confidence = None if forecast.confidence is None else confidence_data(forecast)
    return Results(forecast_data(forecast), dict(forecast.labels), analyses, history, confidence)


def ensure_backend() -> None:
    """Use Agg when no backend has been chosen (never overrides a chosen one)."""
    import matplotlib

    get = getattr(matplotlib.rcParams, "_get_backend_or_none", None)
    chosen = get() if get is not None else matplotlib.rcParams.get("backend")
    if chosen is None:
        matplotlib.use("Agg")


@plain_text
def save_figure(fig: Figure, path: str | Path) -> Path:
    """Save one figure as PNG the way :func:`save_all` does (white, :data:`DPI`), and close it."""
    ensure_backend()
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with plt.rc_context(FAST_TEXT):
            # the fixed layout already fits every label inside the figure, so no
            # bbox_inches="tight": it would lay every text out once more (~25% slower)
            fig.savefig(path, dpi=DPI, facecolor="white", pil_kwargs={"compress_level": 1})
    finally:
        plt.close(fig)
    return path


@plain_text
def draw_figures(
    results: Results, directory: str | Path, *, only: Sequence[str] | None = None
) -> dict[str, Path]:
    """Draw every figure of the registry whose results are there, as ``<name>.png``.

    Returns figure name to path, in registry order.
    """
    ensure_backend()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fig in FIGURES:
        if only is not None and fig.name not in only:
            continue
        arguments = fig.arguments(results)
        if arguments is None:
            continue
        args, kwargs = arguments
        drawn, _ = fig.draw(*args, **kwargs)
        written[fig.name] = save_figure(drawn, directory / f"{fig.name}.png")
    return written


@plain_text
def save_all(
    forecast: Forecast,
    tree: xr.DataTree,
    directory: str | Path,
    *,
    only: Sequence[str] | None = None,
    history: xr.Dataset | None = None,
) -> dict[str, Path]:
    """Write every plot of a forecast and its sensitivity analyses as PNG files.

    Parameters
    ----------
    forecast
        The forecast.
    tree
        Output of :func:`forecasting.analyses.sensitivity` for the same forecast.
    directory
        Where to write (created if missing).
    only
        Draw only these figures (names of :data:`FIGURES`).
    history
        The question's archived forecasts (:func:`forecasting.history`), for the trajectory.

    Returns
    -------
    dict
        Figure name to path: ``posterior``, ``confidence`` (for a forecast with its analytic
        confidence), ``evidence_influence``, ``tornado``, ``tornado_grid``, ``tipping_points``,
        ``value_of_information``, ``sweep`` (the judgement with the largest swing of the
        leader) and, with ``history``, ``trajectory``, each ``<name>.png``; figures whose
        results are missing are skipped.
        (:func:`~forecasting.presentation.plots.plot_next_observation` draws one indicator at a
        time, on request.)
    """
    return draw_figures(results_of(forecast, tree, history), directory, only=only)
