"""Tipping points: how far each judgement must move before the leading scenario changes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ..text import clip_words, judgement_value
from .layout import (
    EDGE,
    caller_titles,
    figure_and_axes,
    fit_axes,
    text_height,
    text_width,
    widest,
    wrap_lines,
    yaxis_room,
)
from .style import (
    JUDGEMENT,
    NEUTRAL,
    beside_axes,
    clean_axes,
    coord_values,
    dataset_of,
    empty_note,
    judgement_names,
    labels_of,
    plain_text,
    scenario_colors,
    scenario_order,
    text_color,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


#: Column headings right of the rows, and the room (points) between columns.
COLUMNS = ("as elicited", "tips at", "then leads")
COLUMN_GAP = 14.0
TEXT_SIZE = 8.5
#: Characters a line of the "then leads" column holds (two lines at most).
LEADS_WIDTH = 34
#: Width (points) the rows' own scales get at least.
SCALE_WIDTH = 300.0


def _row_scale(values: list[float]) -> tuple[float, float]:
    """The range of one row's own scale: its values, padded by 8% each side."""
    finite = [v for v in values if math.isfinite(v)]
    lo, hi = min(finite), max(finite)
    pad = 0.08 * (hi - lo) if hi > lo else max(abs(lo), 1.0) * 0.1
    return lo - pad, hi + pad


def _then_leads(whos: list[str], names: Mapping[str, str]) -> str:
    """Who leads once the judgement tips (two names when its two directions differ)."""
    unique = list(dict.fromkeys(w for w in whos if w))
    text = " / ".join(names.get(w, w) for w in unique)
    return wrap_lines(clip_words(text, 2 * LEADS_WIDTH - 4), LEADS_WIDTH)


@plain_text
def plot_tipping_points(
    tipping: xr.Dataset | xr.DataTree,
    *,
    labels: Mapping[str, str] | None = None,
    top: int = 15,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """How far each judgement must move before the leading scenario changes, in its own unit.

    Each row is drawn on its own scale, in the judgement's own unit: the range it was moved
    over in the tornado chart (grey), its value as elicited (black tick) and the value(s) at
    which another scenario would lead (dots in that scenario's colour); the values themselves
    stand in columns right of the rows ("as elicited", "tips at", "then leads"). Rows are
    ordered by how near the tipping value is, relative to the judgement's range.

    Parameters
    ----------
    tipping
        Output of :func:`forecasting.sensitivity.tipping_points`, or the node
        ``tree["tipping_points"]`` of :func:`forecasting.analyses.sensitivity`.
    labels
        Scenario id to label (by default those the data carry, :func:`~.style.labels_of`;
        else the ids).
    top
        Number of judgements shown, those that flip the leader with the smallest move.
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One row per judgement that can flip the leader (nearest first), no x axis (each row
        has its own scale); the three columns of values as annotations right of the axes.
    """
    tipping = dataset_of(tipping)
    leader = str(tipping.attrs.get("leader", ""))
    scenarios = scenario_order(tipping)
    for s in list(coord_values(tipping, "leader_below", JUDGEMENT)) + list(
        coord_values(tipping, "leader_above", JUDGEMENT)
    ):
        if s and str(s) not in scenarios:
            scenarios.append(str(s))
    colors = scenario_colors(scenarios)
    names = labels_of(tipping, labels, scenarios)
    base = np.asarray(tipping["base_value"].values, dtype=float)
    low = np.asarray(tipping["low_value"].values, dtype=float)
    high = np.asarray(tipping["high_value"].values, dtype=float)
    span = np.where(np.abs(high - low) > 0, np.abs(high - low), np.nan)
    below = np.asarray(tipping["flip_below"].values, dtype=float)
    above = np.asarray(tipping["flip_above"].values, dtype=float)
    dist = np.fmin(np.abs(below - base), np.abs(above - base)) / span
    has = np.isfinite(dist)
    order = np.flatnonzero(has)
    order = order[np.argsort(dist[order], kind="stable")][: max(int(top), 0)]
    n = len(order)
    fig, ax, own = figure_and_axes(ax, (10.5, 2.2 + 0.36 * max(n, 3)))
    leader_name = names.get(leader, leader)
    title = "Judgement sensitivity: tipping points of the leading scenario"
    if n == 0:
        empty_note(
            ax,
            f"No judgement, moved anywhere within its allowed range, can change the leading "
            f"scenario ({clip_words(leader_name, 80)}).",
        )
        if own:
            fit_axes(ax, title=title, width=10.5, plot_height=1.5, left=0, right=0, below=0)
        else:
            caller_titles(ax, title)
        return fig, ax
    jnames = judgement_names(tipping)
    quantity = coord_values(tipping, "judgement_quantity", JUDGEMENT)
    short = coord_values(tipping, "judgement_unit_short", JUDGEMENT)
    lead_b = [str(v) for v in coord_values(tipping, "leader_below", JUDGEMENT)]
    lead_a = [str(v) for v in coord_values(tipping, "leader_above", JUDGEMENT)]
    columns: list[list[str]] = [[], [], []]
    colours: list[str] = []
    for yi, j in enumerate(order):
        lo, hi = _row_scale([low[j], high[j], base[j], below[j], above[j]])

        def at(v: float, lo: float = lo, hi: float = hi) -> float:
            return (v - lo) / (hi - lo)

        ax.plot(
            [at(low[j]), at(high[j])],
            [yi, yi],
            color="0.85",
            linewidth=9,
            solid_capstyle="butt",
            zorder=1,
        )
        flips = [
            (v, w) for v, w in ((below[j], lead_b[j]), (above[j], lead_a[j])) if np.isfinite(v)
        ]
        ends = [at(v) for v, _ in flips] + [at(base[j])]
        ax.plot([min(ends), max(ends)], [yi, yi], color="0.35", lw=1.2, zorder=2)
        ax.plot([at(base[j])], [yi], marker="|", ms=14, mew=2.2, color="0.1", zorder=3)
        for v, who in flips:
            ax.scatter(
                at(v),
                yi,
                s=52,
                color=colors.get(who, NEUTRAL),
                edgecolor="white",
                linewidth=0.8,
                zorder=4,
            )
        whos = [w for _, w in flips]
        columns[0].append(judgement_value(base[j], quantity[j], short[j]))
        columns[1].append(" or ".join(judgement_value(v, quantity[j], short[j]) for v, _ in flips))
        columns[2].append(_then_leads(whos, names))
        unique = set(whos)
        colours.append(text_color(colors.get(whos[0], NEUTRAL)) if len(unique) == 1 else "0.2")
    widths = [
        max(widest(col, TEXT_SIZE), text_width(head, TEXT_SIZE, bold=True))
        for col, head in zip(columns, COLUMNS, strict=True)
    ]
    x = COLUMN_GAP
    for col, head, w, k in zip(columns, COLUMNS, widths, range(3), strict=True):
        ax.annotate(
            head,
            xy=(1.0, 1.0),
            xycoords="axes fraction",
            xytext=(x, 4),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=TEXT_SIZE,
            fontweight="bold",
            color="0.25",
        )
        for yi, text in enumerate(col):
            beside_axes(
                ax,
                yi,
                text,
                dx=x,
                fontsize=TEXT_SIZE,
                color=colours[yi] if k == 2 else "0.15",
                fontweight="bold" if k == 1 else "normal",
            )
            ax.texts[-1].set_gid(f"tipping-{COLUMNS[k]}")
        x += w + COLUMN_GAP
    ax.set_xlim(-0.02, 1.02)
    ax.set_xticks([])
    rows = [jnames[j] for j in order]
    ax.set_yticks(np.arange(n), rows, fontsize=TEXT_SIZE)
    ax.set_ylim(n - 0.5, -0.5)
    clean_axes(ax, grid="")
    ax.spines["bottom"].set_visible(False)
    for yi in range(n):  # a faint rule under each row, across the columns
        ax.axhline(yi + 0.5, color="0.93", linewidth=0.6, zorder=0, clip_on=False)
    n_all = int(has.sum())
    shown_txt = f"the {n} nearest of {n_all}" if n < n_all else f"all {n_all}"
    note = (
        f"How far each elicited quantity must move before the leader ({leader_name}) changes: "
        f"{shown_txt} judgements that can change it, nearest first (relative to the range each "
        "was moved over). Each row on its own scale, in the judgement's own unit: grey, the "
        "range it was moved over in the tornado chart; black tick, the value as elicited; dot, "
        "the value at which the scenario named on the right would lead (in its colour)."
    )
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    left = yaxis_room(rows, TEXT_SIZE)
    width = max(10.5, math.ceil((left + SCALE_WIDTH + x + 2 * EDGE) / 7.2) / 10)
    fit_axes(
        ax,
        title=title,
        note=note,
        width=width,
        plot_height=0.36 * max(n, 3),
        left=left,
        right=x,
        below=4.0,
        above=text_height("x", TEXT_SIZE) + 4,
        yticks=left,
    )
    return fig, ax
