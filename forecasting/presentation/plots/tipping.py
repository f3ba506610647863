"""Tipping points: how far each judgement must move before the leading scenario changes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ..text import judgement_value, scenario_names, shorten
from .layout import (
    axes_width,
    caller_titles,
    figure_and_axes,
    fit_axes,
    legend_size,
    xaxis_room,
    yaxis_room,
)
from .style import (
    JUDGEMENT,
    NEUTRAL,
    clean_axes,
    coord_values,
    empty_note,
    judgement_names,
    legend_label,
    plain_text,
    scenario_colors,
    scenario_order,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@plain_text
def plot_tipping_points(
    tipping: xr.Dataset,
    *,
    labels: Mapping[str, str] | None = None,
    top: int = 15,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """How far each judgement must move before the leading scenario changes.

    Distances are normalised by each judgement's own sensitivity range,
    ``(flip - base) / (high_value - low_value)``, so judgements in different units compare:
    a flip within ``+-0.5`` lies inside the range the judgement was moved over.

    Parameters
    ----------
    tipping
        Output of :func:`forecasting.sensitivity.tipping_points`.
    labels
        Scenario id to label, for the legend (ids when ``None``).
    top
        Number of judgements shown, those that flip the leader with the smallest move.
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One row per judgement that can flip the leader: the base value at 0, the flip
        value(s) as dots in the colour of the scenario that would then lead, labelled with
        the flip value in the judgement's own unit; the grey band is the low-high range.
    """
    leader = str(tipping.attrs.get("leader", ""))
    scenarios = scenario_order(tipping)
    for s in list(coord_values(tipping, "leader_below", JUDGEMENT)) + list(
        coord_values(tipping, "leader_above", JUDGEMENT)
    ):
        if s and str(s) not in scenarios:
            scenarios.append(str(s))
    colors = scenario_colors(scenarios)
    names = scenario_names(labels, scenarios)
    base = np.asarray(tipping["base_value"].values, dtype=float)
    span = np.asarray(tipping["high_value"].values - tipping["low_value"].values, dtype=float)
    span = np.where(np.abs(span) > 0, span, np.nan)
    low_rel = (np.asarray(tipping["low_value"].values, dtype=float) - base) / span
    high_rel = (np.asarray(tipping["high_value"].values, dtype=float) - base) / span
    below = np.asarray(tipping["flip_below"].values, dtype=float)
    above = np.asarray(tipping["flip_above"].values, dtype=float)
    rel_b, rel_a = (below - base) / span, (above - base) / span
    dist = np.fmin(np.abs(rel_b), np.abs(rel_a))
    has = np.isfinite(dist)
    order = np.flatnonzero(has)
    order = order[np.argsort(dist[order], kind="stable")][: max(int(top), 0)]
    n = len(order)
    fig, ax, own = figure_and_axes(ax, (9.5, 2.2 + 0.36 * max(n, 3)))
    leader_name = shorten(names.get(leader, leader), 50)
    title = "Judgement sensitivity: tipping points of the leading scenario"
    if n == 0:
        empty_note(
            ax,
            f"No judgement, moved anywhere within its allowed range,\ncan change the leading "
            f"scenario ({leader_name}).",
        )
        if own:
            fit_axes(ax, title=title, width=9.5, plot_height=1.5, left=0, right=0, below=0)
        else:
            caller_titles(ax, title)
        return fig, ax
    jnames = judgement_names(tipping)
    legend: list[str] = []
    quantity = coord_values(tipping, "judgement_quantity", JUDGEMENT)
    short = coord_values(tipping, "judgement_unit_short", JUDGEMENT)
    lead_b = coord_values(tipping, "leader_below", JUDGEMENT)
    lead_a = coord_values(tipping, "leader_above", JUDGEMENT)
    y = np.arange(n)
    seen: set[str] = set()
    legend.append(legend_label("range the judgement was moved over (low\u2013high)"))
    for yi, j in enumerate(order):
        ax.plot(
            [low_rel[j], high_rel[j]],
            [yi, yi],
            color="0.85",
            linewidth=9,
            solid_capstyle="butt",
            zorder=1,
            label=legend[-1] if yi == 0 else None,
        )
        ends = [v for v in (rel_b[j], rel_a[j]) if math.isfinite(v)]
        ax.plot([min(ends + [0.0]), max(ends + [0.0])], [yi, yi], color="0.35", lw=1.2, zorder=2)
        for rel, raw, who, side in (
            (rel_b[j], below[j], lead_b[j], -1),
            (rel_a[j], above[j], lead_a[j], 1),
        ):
            if not math.isfinite(rel):
                continue
            who = str(who)
            if who not in seen:
                legend.append(legend_label(f"then leads: {names.get(who, who)}"))
            ax.scatter(
                rel,
                yi,
                s=52,
                color=colors.get(who, NEUTRAL),
                edgecolor="white",
                linewidth=0.8,
                zorder=4,
                label=legend[-1] if who not in seen else None,
            )
            seen.add(who)
            ax.annotate(
                judgement_value(raw, quantity[j], short[j]),
                xy=(rel, yi),
                xytext=(6 * side, 0),
                textcoords="offset points",
                ha="right" if side < 0 else "left",
                va="center",
                fontsize=8,
                color="0.2",
                annotation_clip=False,
                in_layout=False,  # inside the axes: no need to measure it for the layout
            )
    ax.axvline(0, color="0.1", linewidth=1.0, zorder=3)
    shown = np.concatenate([rel_b[order], rel_a[order], low_rel[order], high_rel[order]])
    shown = shown[np.isfinite(shown)]
    lim = float(np.max(np.abs(shown))) if len(shown) else 1.0
    ax.set_xlim(-lim * 1.25 - 0.05, lim * 1.25 + 0.05)
    rows = [jnames[j] for j in order]
    ax.set_yticks(y, rows, fontsize=8.5)
    ax.set_ylim(n - 0.5, -0.7)
    xlabel = "(flip value \u2212 value as elicited) / (high \u2212 low value of the judgement)"
    ax.set_xlabel(xlabel)
    clean_axes(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    n_all = int(has.sum())
    shown_txt = f"the {n} nearest of {n_all}" if n < n_all else f"all {n_all}"
    note = (
        f"How far each elicited quantity must move before the leader ({leader_name}) changes: "
        f"{shown_txt} judgements that can change it. Dots: the tipping values, in the "
        "judgement's own unit; 0: as elicited; grey: the range it was moved over in the "
        "tornado chart."
    )
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    width, left = 9.5, yaxis_room(rows, 8.5)
    legend_w, legend_h = legend_size(legend, 8)
    # the legend starts 1% of the axes' width right of them
    plot_w = (axes_width(width, left, legend_w) * 72) / 1.01
    fit_axes(
        ax,
        title=title,
        note=note,
        width=width,
        plot_height=max(0.36 * max(n, 3), legend_h / 72),
        left=left,
        right=legend_w + 0.01 * plot_w,
        below=xaxis_room(xlabel=xlabel),
        xticks=xaxis_room(),
        yticks=left,
    )
    return fig, ax
