"""The trajectory of every scenario's probability and confidence over the archived forecasts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...confidence.level import horizon_words
from ...core.dims import CI_BOUND, SCENARIO
from ..dynamics import at_resolution
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


#: Letters of the confidence row, by level (dates without a confidence get a dash).
LEVEL_MARKS = {"low": "L", "moderate": "M", "high": "H"}
#: Dates beyond which the confidence row marks only the dates where the level changes.
DENSE = 40
ROW_SIZE = 7.5


def _latest_ranges(history: xr.Dataset) -> np.ndarray | None:
    """The latest forecast's responsiveness (scenario, 2), or ``None`` when it has none."""
    if "responsiveness" not in history or not history.sizes.get("as_of", 0):
        return None
    last = np.asarray(
        history["responsiveness"].isel(as_of=-1).transpose(SCENARIO, CI_BOUND).values, dtype=float
    )
    return last if np.isfinite(last).any() else None


def _confidence_row(ax: Axes, dates: np.ndarray, levels: list[str]) -> bool:
    """Letters above the axes with each date's confidence; whether any level was written.

    Beyond :data:`DENSE` dates only the dates where the level changes get a letter.
    """
    if not any(v in LEVEL_MARKS for v in levels):
        return False
    dense = len(dates) > DENSE
    for i, (date, level) in enumerate(zip(dates, levels, strict=True)):
        if dense and i and level == levels[i - 1]:
            continue
        ax.annotate(
            LEVEL_MARKS.get(level, "\u2013"),
            xy=(date, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=ROW_SIZE,
            color="0.1" if level == "low" else "0.45",
            fontweight="bold" if level == "low" else "normal",
        )
    ax.annotate(
        "confidence",
        xy=(0.0, 1.0),
        xycoords="axes fraction",
        xytext=(-6, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=ROW_SIZE,
        color="0.45",
    )
    return True


def _now(history: xr.Dataset) -> np.ndarray | None:
    """``P(S_now = k | E)`` (as_of, scenario) of forecasts with dynamics; ``None`` without."""
    if "probability_now" not in history:
        return None
    now = np.asarray(history["probability_now"].values, dtype=float)
    return now if np.isfinite(now).any() else None


def _style_handles(history: xr.Dataset) -> list:
    """Legend entries (drawn on no axes) saying what the solid and the dashed lines are."""
    from matplotlib.lines import Line2D

    resolves = history.attrs.get("resolves")
    return [
        Line2D([], [], color="0.35", lw=1.8, label=legend_label(at_resolution(resolves))),
        Line2D(
            [], [], color="0.35", lw=1.4, ls="--", label=legend_label("now (as-of date's period)")
        ),
    ]


@plain_text
def plot_history(history: xr.Dataset, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Trajectory of every scenario's probability over as-of dates, with the confidence of each.

    All scenarios in one axes (kept for callers that draw into their own axes); the report and
    ``save_all`` draw :func:`~.trajectory.plot_trajectory` instead, one panel per scenario,
    which stays readable with many dates, with one or two, and with many scenarios.

    Parameters
    ----------
    history
        Output of :func:`forecasting.history` (dims ``as_of, scenario``; ``probability`` and,
        optionally, ``responsiveness`` (as_of, scenario, ci_bound), ``confidence`` (as_of; the
        level, ``""`` for a forecast made before it was computed) and ``flagged``).
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One line with markers per scenario (its colour); with dynamics (``probability_now``)
        these are at resolution, and a dashed line of the same colour is the regime now (a
        legend entry says which style is which); beside the latest date, where the
        next horizon of typical evidence could leave each probability (a thin whisker per
        scenario, when the latest forecast has its confidence); a row of letters above the
        plot with the confidence of each date (L, M, H; beyond :data:`DENSE` dates, of each
        date where it changes); flagged forecasts are ringed.
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
    probability = np.asarray(history["probability"].values, dtype=float)
    for k, s in enumerate(scenarios):
        ax.plot(
            dates,
            probability[:, k],
            marker="o",
            ms=4.5 if n <= 30 else 3.0,
            lw=1.8,
            color=colors[s],
            label=legend_label(names[s]),
            zorder=3,
        )
    now = _now(history)
    if now is not None:  # dynamics: the regime now, dashed, beside the line at resolution
        for k, s in enumerate(scenarios):
            ax.plot(dates, now[:, k], ls="--", lw=1.4, color=colors[s], label=f"_now {s}", zorder=3)
    span = (dates[-1] - dates[0]) if n > 1 else np.timedelta64(0, "D")
    step = max(span / 60, np.timedelta64(6, "h"))
    latest = _latest_ranges(history)
    if latest is not None:
        # one thin whisker per scenario just right of the latest date, side by side
        for k, s in enumerate(scenarios):
            lo, hi = latest[k]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.vlines(
                    dates[-1] + (k + 1) * step,
                    lo,
                    hi,
                    color=colors[s],
                    lw=1.6,
                    alpha=0.8,
                    zorder=2,
                    label=f"_responsiveness {s}",
                )
    any_flagged = "flagged" in history and bool(np.any(history["flagged"].values))
    if any_flagged:
        bad = np.asarray(history["flagged"].values, dtype=bool)
        for k in range(len(scenarios)):
            ax.scatter(
                dates[bad],
                probability[bad, k],
                s=110,
                facecolors="none",
                edgecolors="0.1",
                lw=1.4,
                zorder=4,
            )
    levels = [str(v) for v in history["confidence"].values] if "confidence" in history else []
    marked = _confidence_row(ax, dates, levels)
    if n > 1:
        right = dates[-1] + (len(scenarios) + 1) * step if latest is not None else dates[-1]
        ax.set_xlim(dates[0] - span / 40, right + span / 40)
    elif latest is not None:  # one date, centred, its whiskers beside it
        half = (len(scenarios) + 2) * step
        ax.set_xlim(dates[0] - half, dates[0] + half)
    ax.set_ylim(0, 1)
    percent_axis(ax.yaxis)
    ax.set_ylabel("probability")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    if n <= 12:
        ax.set_xticks(dates)
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
    ax.tick_params(axis="x", labelrotation=30)
    clean_axes(ax, grid="y")
    styles = _style_handles(history) if now is not None else []
    ax.legend(
        **({"handles": ax.get_legend_handles_labels()[0] + styles} if styles else {}),
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8.5,
        frameon=False,
    )
    title = f"Trajectory: {str(history.attrs.get('title', '')) or 'Forecast'}"
    note = (
        "Each archived forecast (latest revision per as-of date): lines are the scenario "
        "probabilities"
    )
    if now is not None:
        note = (
            "Each archived forecast (latest revision per as-of date): solid lines are the "
            f"scenario probabilities {at_resolution(history.attrs.get('resolves'))}, dashed "
            "lines the probabilities now (the regime of each as-of date's period)"
        )
    if latest is not None:
        days = history.attrs.get("horizon_days")
        when = "the next horizon" if days is None else horizon_words(float(days))
        note += (
            f"; the whiskers right of the latest date: where {when} of typical evidence could "
            "leave each (5%\u201395% of simulated futures)"
        )
    if marked:
        where = "each date" if n <= DENSE else "each date where it changes"
        missing = "" if all(v in LEVEL_MARKS for v in levels) else ", \u2013 not computed"
        note += f"; above {where}, the confidence: L low, M moderate, H high{missing}"
    note += "; ringed: flagged forecasts." if any_flagged else "."
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    legend = [legend_label(names[s]) for s in scenarios] + [h.get_label() for h in styles]
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
        above=text_height("L", ROW_SIZE) + 6 if marked else 0.0,
        yticks=yaxis_room(["100%"]),
    )
    return fig, ax
