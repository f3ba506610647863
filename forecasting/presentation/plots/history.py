"""The trajectory of every scenario's probability over the archived forecasts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...core.dims import CI_BOUND, SCENARIO
from .layout import (
    caller_titles,
    figure_and_axes,
    fit_legend_right,
    rc_size,
    text_height,
    text_width,
    tick_room,
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
def plot_history(history: xr.Dataset, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Trajectory of every scenario's probability and credible interval over as-of dates.

    Parameters
    ----------
    history
        Output of :func:`forecasting.history` (dims ``as_of, scenario``; ``probability``,
        ``interval`` and, optionally, ``flagged``).
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One line per scenario (its colour), a band for its interval; flagged forecasts are
        ringed.
    """
    import matplotlib.dates as mdates

    scenarios = [str(s) for s in history[SCENARIO].values]
    colors = scenario_colors(scenarios)
    names = (
        dict(zip(scenarios, [str(v) for v in history["label"].values], strict=True))
        if "label" in history.coords
        else {s: s for s in scenarios}
    )
    fig, ax, own = figure_and_axes(ax, (8.4, 4.6))
    dates = history["as_of"].values
    n = len(dates)
    for k, s in enumerate(scenarios):
        p = history["probability"].values[:, k]
        ax.plot(
            dates,
            p,
            marker="o",
            ms=4.5,
            lw=1.8,
            color=colors[s],
            label=legend_label(names[s]),
            zorder=3,
        )
        if "interval" in history and n > 1:
            lo = history["interval"].sel({CI_BOUND: "lower"}).values[:, k]
            hi = history["interval"].sel({CI_BOUND: "upper"}).values[:, k]
            ax.fill_between(dates, lo, hi, color=colors[s], alpha=0.08, lw=0, zorder=1)
            for bound in (lo, hi):
                ax.plot(dates, bound, color=colors[s], lw=0.7, ls="--", alpha=0.6, zorder=2)
        elif "interval" in history:
            lo = history["interval"].sel({CI_BOUND: "lower"}).values[:, k]
            hi = history["interval"].sel({CI_BOUND: "upper"}).values[:, k]
            ax.vlines(dates, lo, hi, color=colors[s], alpha=0.5, lw=3, zorder=1)
    any_flagged = "flagged" in history and bool(np.any(history["flagged"].values))
    if any_flagged:
        bad = np.asarray(history["flagged"].values, dtype=bool)
        for k in range(len(scenarios)):
            ax.scatter(
                dates[bad],
                history["probability"].values[bad, k],
                s=110,
                facecolors="none",
                edgecolors="0.1",
                lw=1.4,
                zorder=4,
            )
    ax.set_ylim(0, 1)
    percent_axis(ax.yaxis)
    ax.set_ylabel("probability")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    if n <= 12:
        ax.set_xticks(dates)
    ax.tick_params(axis="x", labelrotation=30)
    clean_axes(ax, grid="y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    title = f"Trajectory: {str(history.attrs.get('title', '')) or 'Forecast'}"
    note = (
        "Each archived forecast (latest revision per as-of date): lines are the scenario "
        "probabilities, dashed bands their 90% credible intervals"
        + ("; ringed: flagged forecasts." if any_flagged else ".")
    )
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    legend = [legend_label(names[s]) for s in scenarios]
    # date labels turned by 30 degrees
    size = rc_size("xtick.labelsize")
    date_w, date_h = text_width("2025-10-27", size), text_height("0", size)
    fit_legend_right(
        ax,
        legend,
        width=8.4,
        left=yaxis_room(["100%"], ylabel="probability"),
        min_height=3.2,
        title=title,
        note=note,
        below=tick_room("x") + date_w * 0.5 + date_h * 0.87,
        yticks=yaxis_room(["100%"]),
    )
    return fig, ax
