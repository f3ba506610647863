"""The sensitivity curve of one judgement: every scenario's probability as it moves."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...core.dims import SCENARIO
from ..text import judgement_name, judgement_value, scenario_names
from .layout import (
    caller_titles,
    figure_and_axes,
    fit_legend_right,
    xaxis_room,
    yaxis_room,
)
from .style import (
    clean_axes,
    legend_label,
    percent_axis,
    plain_text,
    scenario_colors,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@plain_text
def plot_sweep(
    curve: xr.DataArray,
    *,
    labels: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """The sensitivity curve of one judgement: every scenario's probability as it moves.

    Parameters
    ----------
    curve
        Output of :func:`forecasting.sensitivity.sweep` (dims ``value, scenario``; attrs
        ``judgement``, ``unit``, ``base``, ``label``).
    labels
        Scenario id to label, for the legend (ids when ``None``).
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One line per scenario in its colour (``ax.lines``, then the base-value line).
    """
    scenarios = [str(s) for s in curve[SCENARIO].values]
    colors = scenario_colors(scenarios)
    names = scenario_names(labels, scenarios)
    fig, ax, own = figure_and_axes(ax, (9.0, 4.6))
    value_dim = next(d for d in curve.dims if d != SCENARIO)
    x = np.asarray(curve[value_dim].values, dtype=float)
    order = np.argsort(x)
    legend = [legend_label(names[s]) for s in scenarios]
    for s, text in zip(scenarios, legend, strict=True):
        ax.plot(
            x[order],
            np.asarray(curve.sel({SCENARIO: s}).values, dtype=float)[order],
            color=colors[s],
            linewidth=2.0,
            label=text,
        )
    base = curve.attrs.get("base")
    unit = str(curve.attrs.get("unit", value_dim))
    quantity = str(curve.attrs.get("judgement_quantity", ""))
    short = str(curve.attrs.get("judgement_unit_short", ""))
    if base is not None and math.isfinite(float(base)):
        ax.axvline(float(base), color="0.15", linestyle="--", linewidth=1.0, zorder=0)
        ax.annotate(
            f"as elicited: {judgement_value(float(base), quantity, short)}",
            xy=(float(base), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
            color="0.2",
            annotation_clip=False,
            in_layout=False,  # inside the axes: no need to measure it for the layout
        )
    ax.set_ylim(0, 1)
    ax.set_xlim(float(np.min(x)), float(np.max(x)))
    percent_axis(ax.yaxis)
    if quantity == "probability":
        percent_axis(ax.xaxis)
    ax.set_xlabel(unit)
    ax.set_ylabel("probability")
    clean_axes(ax, grid="both")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    attrs = curve.attrs
    what = judgement_name(
        str(attrs.get("judgement_kind", "")),
        str(attrs.get("judgement_target", attrs.get("judgement", ""))),
        str(attrs.get("judgement_scenario", "")),
        str(attrs.get("judgement_category", "")),
        quantity,
    )
    title = f"Judgement sensitivity: {what}"
    note = (
        "Scenario probabilities as this one elicited quantity moves, all else as elicited; "
        "dashed line: its value as elicited."
    )
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    fit_legend_right(
        ax,
        legend,
        width=9.0,
        left=yaxis_room(["100%"], ylabel="probability"),
        min_height=3.4,
        title=title,
        note=note,
        below=xaxis_room(xlabel=unit),
        xticks=xaxis_room(),
        yticks=yaxis_room(["100%"]),
    )
    return fig, ax
