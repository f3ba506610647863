"""Evidence influence: how much each item of evidence moves each scenario (a heatmap)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...core.dims import ITEM, SCENARIO
from ..text import pp, readable, shorten
from .layout import (
    EDGE,
    MAX_SCENARIOS,
    axes_width,
    caller_titles,
    figure_and_axes,
    fit_axes,
    leading,
    text_height,
    text_width,
    tick_room,
    widest,
    wrap_to,
    xaxis_room,
    yaxis_room,
)
from .style import (
    DIVERGING,
    coord_values,
    dataset_of,
    empty_note,
    labels_of,
    plain_text,
    scenario_colors,
    text_color,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


CBAR_LABEL = "shift (percentage points)"


@plain_text
def plot_evidence_influence(
    influence: xr.Dataset | xr.DataTree,
    *,
    labels: Mapping[str, str] | None = None,
    top: int | None = 20,
    ax: Axes | None = None,
    max_scenarios: int = MAX_SCENARIOS,
) -> tuple[Figure, Axes]:
    """Heatmap of how much each item of evidence moves each scenario's probability.

    Parameters
    ----------
    influence
        Output of :func:`forecasting.sensitivity.evidence_influence` (dims ``item, scenario``:
        ``shift``, ``diagnosticity``, coordinate ``item_indicator``).
    labels
        Scenario id to label, for the column headings (by default those the data carry:
        :func:`~.style.labels_of`; a node of the analyses' tree carries its tree's).
    top
        Number of items shown, the most diagnostic ones; all when ``None``.
    ax
        Axes to draw into; a new figure when ``None``.
    max_scenarios
        Columns at most: with more scenarios, those the rows shown move most (the caption
        says so).

    Returns
    -------
    fig, ax
        One row per item (most diagnostic at top), one column per scenario, each cell the
        shift (with minus without the item) in percentage points; a colorbar.
    """
    influence = dataset_of(influence)
    declared = [str(s) for s in influence[SCENARIO].values]
    colors = scenario_colors(declared)
    items = [str(i) for i in influence[ITEM].values]
    diag = np.asarray(influence["diagnosticity"].values, dtype=float)
    order = np.argsort(-diag, kind="stable")
    if top is not None:
        order = order[:top]
    n = len(order)
    moved = np.abs(influence["shift"].transpose(SCENARIO, ITEM).values[:, order])
    keep = leading(np.nanmax(moved, axis=1, initial=0.0), max_scenarios)
    if keep is not None:  # the scenarios the rows shown move most
        influence = influence.isel({SCENARIO: keep})
    scenarios = [str(s) for s in influence[SCENARIO].values]
    names = labels_of(influence, labels, scenarios)
    fig, ax, own = figure_and_axes(ax, (10.0, 2.2 + 0.3 * max(n, 3)))
    title = "Evidence influence: how much each item of evidence moves the forecast"
    if n == 0 or not scenarios:
        empty_note(ax, "No evidence items.")
        if own:
            fit_axes(ax, title=title, width=10.0, plot_height=1.5, left=0, right=0, below=0)
        else:
            caller_titles(ax, title)
        return fig, ax
    k = len(scenarios)
    shift = np.asarray(influence["shift"].transpose(ITEM, SCENARIO).values, dtype=float)[order]
    indicators = coord_values(influence, "item_indicator", ITEM)
    vmax = float(np.nanmax(np.abs(shift))) if np.isfinite(shift).any() else 0.0
    vmax = max(vmax, 1e-4)
    im = ax.imshow(
        shift, cmap=DIVERGING, vmin=-vmax, vmax=vmax, aspect="auto", interpolation="nearest"
    )
    cells = [[pp(v) for v in row] for row in shift]
    for r in range(n):
        for c in range(k):
            dark = abs(shift[r, c]) > 0.6 * vmax
            ax.text(
                c,
                r,
                cells[r][c],
                ha="center",
                va="center",
                fontsize=8.5,
                color="white" if dark else "0.1",
                in_layout=False,
            )
    rows = []
    for i in order:
        ind = indicators[i]
        rows.append(f"{shorten(items[i])}  [{readable(ind)}]" if ind else shorten(items[i]))
    columns = [textwrap.fill(names[s], 18) for s in scenarios]
    diags = [f"{diag[i]:.2f}" for i in order]
    shrink = min(1.0, 6 / max(n, 1) + 0.3)
    shown = f"the {n} most diagnostic of {len(items)} items" if n < len(items) else "items"
    note = (
        "Cells: the probability with the item minus without it, in percentage points. "
        f"Rows: {shown}, sorted by diagnosticity (|log BF|: the largest absolute log Bayes "
        "factor of one scenario against the rest)."
    )
    if keep is not None:
        note += (
            f" Columns: the {len(keep)} of {len(declared)} scenarios these items move most "
            "(largest shift in any row)."
        )
    if own:
        # room right of the cells: the diagnosticity column, then the colorbar with its
        # tick labels (at most as wide as the widest end value) and its label
        cbar_gap, cbar_w = 18.0, 13.0
        ends = [pp(v) for v in (-vmax, vmax, -10 * vmax, 10 * vmax)]
        diag_w = max(widest(diags, 8), text_width("|log BF|", 8, bold=True))
        side = diag_w + cbar_gap + cbar_w + tick_room("y") + widest(ends, 8) + 4
        side += text_height("shift", 9)
        left = yaxis_room(rows, 8.5)
        # each column at least as wide as its cells and the longest word of its heading;
        # headings wider than their column are wrapped to it
        words = [w for s in scenarios for w in names[s].split()]
        col_w = max(widest(words, 9, bold=True), widest([c for r in cells for c in r], 8.5))
        width = 10.0
        heat_w = axes_width(width, left, side) * 72 / 1.015
        if heat_w < k * (col_w + 8):
            width = math.ceil((k * (col_w + 8) * 1.015 + left + side + 2 * EDGE) / 7.2) / 10
            heat_w = axes_width(width, left, side) * 72 / 1.015
        room = heat_w / k - 8
        columns = [
            c if text_width(c, 9, bold=True) <= room else wrap_to(names[s], room, 9, bold=True)
            for c, s in zip(columns, scenarios, strict=True)
        ]
    ax.set_yticks(np.arange(n), rows, fontsize=8.5)
    ax.set_xticks(np.arange(k), columns, fontsize=9)
    for tick, s in zip(ax.get_xticklabels(), scenarios, strict=True):
        tick.set_color(text_color(colors[s]))
        tick.set_fontweight("bold")
    # no tick marks (and none drawn): the cells are labelled
    ax.tick_params(length=0, left=False, bottom=False)
    # white cell borders, drawn once (minor ticks would cost a tick artist per line)
    ax.hlines(np.arange(0.5, n - 1), -0.5, k - 0.5, color="white", linewidth=1.5)
    ax.vlines(np.arange(0.5, k - 1), -0.5, n - 0.5, color="white", linewidth=1.5)
    for spine in ax.spines.values():
        spine.set_visible(False)
    # the diagnosticity of each row, as a column of text right of the cells
    right = ax.get_yaxis_transform()  # x in axes fraction, y in data
    for r, text in enumerate(diags):
        ax.text(1.015, r, text, transform=right, ha="left", va="center", fontsize=8)
    ax.text(
        1.015,
        n - 0.5,
        "|log BF|",
        transform=right,
        ha="left",
        va="top",
        fontsize=8,
        fontweight="bold",
        color="0.3",
    )
    if not own:
        cbar = fig.colorbar(im, ax=ax, shrink=shrink, pad=0.08)
    else:
        fit_axes(
            ax,
            title=title,
            note=note,
            width=width,
            # tall enough for the colorbar's label, which stands along it
            plot_height=max(0.32 * max(n, 2), (text_width(CBAR_LABEL, 9) + 8) / 72),
            left=left,
            right=side + 0.015 * heat_w,
            below=xaxis_room(columns, size=9),
            xticks=xaxis_room(columns, size=9),
            yticks=left,
        )
        box = ax.get_position()
        fw = width * 72
        x0 = box.x1 + (0.015 * heat_w + diag_w + cbar_gap) / fw
        h = box.height * shrink
        cax = fig.add_axes((x0, box.y0 + (box.height - h) / 2, cbar_w / fw, h))
        cbar = fig.colorbar(im, cax=cax)
    cbar.ax.yaxis.set_major_formatter(lambda v, _pos: pp(v).removesuffix(".0"))
    cbar.set_label(CBAR_LABEL, fontsize=9)
    cbar.ax.tick_params(labelsize=8)
    if not own:
        caller_titles(ax, title, note)
    return fig, ax
