"""The trajectory as small multiples: one panel per scenario, the others faint behind it.

Every scenario's line in one axes turns into a tangle past a few dates, and with one or two
dates the ranges beside the latest date stand far from the points they belong to. Here each
scenario has its own panel (its line in its colour, the other scenarios in light grey for
context, its range beside its own latest point); the panels share one date axis and one
probability axis, so they compare at a glance.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...confidence.level import horizon_words
from ...core.dims import SCENARIO
from ..dynamics import at_resolution
from ..text import pct
from .history import DENSE, LEVEL_MARKS, ROW_SIZE
from .layout import (
    EDGE,
    figure_header,
    leading,
    text_height,
    text_width,
    tick_room,
    wrap_to,
    yaxis_room,
)
from .style import NEUTRAL, clean_axes, percent_axis, plain_text, scenario_colors, text_color

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Panels at most: beyond, the least probable scenarios (at the latest date) share the last.
MAX_PANELS = 8
#: Colour of the other scenarios' lines behind a panel's own.
CONTEXT = "0.86"
OTHERS = "others"
TITLE_SIZE = 9.5


def _panels(history: xr.Dataset, top: int) -> tuple[list[str], np.ndarray, dict[str, str]]:
    """The panels' scenarios, their probabilities (as_of, panel) and their titles.

    With more scenarios than ``top``, the ``top - 1`` most probable at the latest date keep a
    panel each and the rest are summed in one panel, :data:`OTHERS`.
    """
    scenarios = [str(s) for s in history[SCENARIO].values]
    labels = [str(v) for v in history["label"].values] if "label" in history.coords else scenarios
    names = dict(zip(scenarios, labels, strict=True))
    p = np.asarray(history["probability"].transpose("as_of", SCENARIO).values, dtype=float)
    top = max(int(top), 2)
    if len(scenarios) <= top:
        return scenarios, p, names
    keep = leading(np.nan_to_num(p[-1], nan=-1.0), top - 1)
    rest = [k for k in range(len(scenarios)) if k not in keep]
    shown = [scenarios[k] for k in keep] + [OTHERS]
    probability = np.column_stack([p[:, keep], np.nansum(p[:, rest], axis=1)])
    names[OTHERS] = f"The other {len(rest)} scenarios, together"
    return shown, probability, names


def _grid(k: int) -> tuple[int, int]:
    """Rows and columns of ``k`` panels."""
    ncols = 1 if k == 1 else 2 if k <= 4 else 3
    return math.ceil(k / ncols), ncols


@plain_text
def plot_trajectory(
    history: xr.Dataset, *, top: int = MAX_PANELS, axes: np.ndarray | None = None
) -> tuple[Figure, np.ndarray]:
    """Small multiples of the trajectory: one panel per scenario over the as-of dates.

    Parameters
    ----------
    history
        Output of :func:`forecasting.history` (as for :func:`~.history.plot_history`).
    top
        Panels at most; with more scenarios, the ``top - 1`` most probable at the latest date
        have one each and the rest are summed in the last.
    axes
        At least one Axes per panel (any shape) to draw into; a new figure when ``None``.

    Returns
    -------
    fig, axes
        The axes as an array (unused ones hidden). In each panel: the scenario's probability
        over the dates (its colour, markers; dashed: the regime now, with dynamics), the other
        scenarios in light grey, its latest value in the panel's title, where the next horizon of
        typical evidence could leave it (a whisker beside the latest date), flagged forecasts
        ringed; above the top panels, the confidence of each date (L, M, H).
    """
    import matplotlib.dates as mdates

    shown, probability, names = _panels(history, top)
    all_ids = [str(s) for s in history[SCENARIO].values]
    colors = {**scenario_colors(all_ids), OTHERS: NEUTRAL}
    dates = history["as_of"].values
    n = len(dates)
    now = None
    if "probability_now" in history and len(shown) == len(all_ids):
        now = np.asarray(history["probability_now"].transpose("as_of", SCENARIO).values, float)
        now = now if np.isfinite(now).any() else None
    ranges = None
    if "responsiveness" in history and n and len(shown) == len(all_ids):
        last = history["responsiveness"].isel(as_of=-1).transpose(SCENARIO, ...).values
        ranges = np.asarray(last, dtype=float) if np.isfinite(last).any() else None
    flagged = (
        np.asarray(history["flagged"].values, dtype=bool)
        if "flagged" in history
        else np.zeros(n, bool)
    )
    levels = [str(v) for v in history["confidence"].values] if "confidence" in history else []
    marked = any(v in LEVEL_MARKS for v in levels)
    k = len(shown)
    nrows, ncols = _grid(k)
    made_here = axes is None
    if made_here:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(nrows, ncols, figsize=(10.0, 6.0), layout="none", squeeze=False)
    axes = np.asarray(axes, dtype=object)
    flat = axes.reshape(-1)
    if len(flat) < k:
        raise ValueError(f"need {k} axes, got {len(flat)}")
    fig = flat[0].figure
    span = (dates[-1] - dates[0]) if n > 1 else np.timedelta64(7, "D")
    step = span / 25
    if n > 1:
        xlim = (dates[0] - span / 20, dates[-1] + span / 8)
    else:
        xlim = (dates[0] - span / 2, dates[0] + span / 2)
    titles = {
        s: f"{names[s]}: {pct(probability[-1, i])}" if n else names[s] for i, s in enumerate(shown)
    }
    if made_here:
        note = _caption(history, n, k < len(all_ids), ranges is not None, now is not None)
        _layout(fig, axes.reshape(nrows, ncols), k, titles, note, history)
    for i, (a, s) in enumerate(zip(flat, shown, strict=False)):
        for j in range(k):  # the others, faint, behind
            if j != i:
                a.plot(dates, probability[:, j], color=CONTEXT, lw=1.0, zorder=1)
        color = colors[s]
        a.plot(
            dates,
            probability[:, i],
            color=color,
            lw=2.0,
            marker="o",
            ms=4.5 if n <= 30 else 2.5,
            zorder=3,
            label=names[s],
        )
        if now is not None:
            a.plot(dates, now[:, i], color=color, lw=1.3, ls="--", zorder=3)
        if flagged.any():
            a.scatter(
                dates[flagged],
                probability[flagged, i],
                s=90,
                facecolors="none",
                edgecolors="0.1",
                lw=1.3,
                zorder=4,
            )
        if ranges is not None and np.isfinite(ranges[i]).all():
            a.vlines(dates[-1] + step, *ranges[i], color=color, lw=2.0, alpha=0.8, zorder=2)
        a.set_xlim(*xlim)
        a.set_ylim(0, 1.0)
        a.set_yticks([0, 0.5, 1.0])
        percent_axis(a.yaxis)
        a.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        if n <= (6 if ncols > 1 else 10):
            a.set_xticks(dates)
        else:
            a.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=4 if ncols > 1 else 8))
        row = i // ncols
        bottom = i + ncols >= k
        a.tick_params(axis="x", labelrotation=30, labelbottom=bottom, labelsize=8)
        a.tick_params(axis="y", labelsize=8, labelleft=i % ncols == 0)
        clean_axes(a, grid="y")
        a.set_title(
            wrap_to(titles[s], 0.9 * a.get_position().width * fig.get_figwidth() * 72, TITLE_SIZE)
            if made_here
            else titles[s],
            loc="left",
            fontsize=TITLE_SIZE,
            fontweight="bold",
            color=text_color(color),
            y=1.0 if made_here else None,
        )
        if row == 0 and marked:
            _confidence_letters(a, dates, levels)
    for a in flat[k:]:
        a.set_visible(False)
    return fig, axes


def _confidence_letters(ax: Axes, dates: np.ndarray, levels: list[str]) -> None:
    """Each date's confidence letter just under the panel's top (where it changes, if dense)."""
    dense = len(dates) > DENSE
    for i, (date, level) in enumerate(zip(dates, levels, strict=True)):
        if dense and i and level == levels[i - 1]:
            continue
        ax.annotate(
            LEVEL_MARKS.get(level, "\u2013"),
            xy=(date, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -3),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=ROW_SIZE,
            color="0.1" if level == "low" else "0.45",
            fontweight="bold" if level == "low" else "normal",
        )


def _caption(history: xr.Dataset, n: int, summed: bool, ranges: bool, now: bool) -> str:
    """The caption of a trajectory made here."""
    text = (
        f"Each archived forecast ({n} as-of date{'s' if n != 1 else ''}, latest revision of "
        "each): one panel per scenario, its probability in its colour and the other scenarios "
        "in grey behind it; the latest value beside its name"
    )
    if now:
        text += (
            f"; solid: {at_resolution(history.attrs.get('resolves'))}, dashed: now (the regime "
            "of each as-of date's period)"
        )
    if ranges:
        days = history.attrs.get("horizon_days")
        when = "the next horizon" if days is None else horizon_words(float(days))
        text += (
            f"; the whisker right of the latest date: where {when} of typical evidence could "
            "leave it (5%\u201395% of simulated futures)"
        )
    levels = [str(v) for v in history["confidence"].values] if "confidence" in history else []
    if any(v in LEVEL_MARKS for v in levels):
        where = "each date" if n <= DENSE else "each date where it changes"
        text += f"; letters at the top of the first panels: the confidence at {where} (L low, "
        text += "M moderate, H high)"
    if "flagged" in history and bool(np.any(history["flagged"].values)):
        text += "; ringed: flagged forecasts"
    if summed:
        text += (
            f"; beyond {MAX_PANELS - 1} panels, the least probable scenarios at the latest date "
            "share the last panel"
        )
    return text + "."


def _layout(
    fig: Figure,
    axes: np.ndarray,
    k: int,
    titles: dict[str, str],
    note: str,
    history: xr.Dataset,
) -> None:
    """Fixed layout of the panels: sized from their texts, the title and caption pinned."""
    nrows, ncols = axes.shape
    width = 10.0 if ncols > 1 else 8.4
    title = f"Trajectory: {str(history.attrs.get('title', '')) or 'Forecast'}"
    top, bottom, pin = figure_header(fig, title, note, width)
    size = 8.0
    left = EDGE + yaxis_room(["100%"], size)
    right, gap = EDGE + 12.0, 14.0
    pw = (width * 72 - left - right - (ncols - 1) * gap) / ncols
    titles_h = [
        max(
            (
                text_height(wrap_to(titles[s], 0.9 * pw, TITLE_SIZE), TITLE_SIZE)
                for s in list(titles)[r * ncols : (r + 1) * ncols]
            ),
            default=0.0,
        )
        + 6.0
        for r in range(nrows)
    ]
    date_w, date_h = text_width("2025-10-27", size), text_height("0", size)
    below = tick_room("x") + date_w * 0.5 + date_h * 0.87
    plot_h = 1.35 * 72 if nrows > 1 else 2.4 * 72
    row_gap = 16.0
    last_row = [
        r
        for r in range(nrows)
        if any(i + ncols >= k for i in range(r * ncols, min((r + 1) * ncols, k)))
    ]
    heights = [
        titles_h[r] + plot_h + (below if r in last_row else 0.0) + (row_gap if r else 0.0)
        for r in range(nrows)
    ]
    height = top + sum(heights) + bottom
    fig.set_size_inches(width, height / 72)
    w = width * 72
    y = height - top
    for r in range(nrows):
        y -= titles_h[r] + (row_gap if r else 0.0) + plot_h
        for c in range(ncols):
            x = left + c * (pw + gap)
            axes[r, c].set_position((x / w, y / height, pw / w, plot_h / height))
        y -= below if r in last_row else 0.0
    pin(height)
