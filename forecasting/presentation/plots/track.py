"""The track record: how calibrated the probabilities were, and what each resolved question got.

Two figures of a scorecard. :func:`plot_reliability` is the CORP reliability diagram
(Dimitriadis, Gneiting & Jordan 2021) of every scenario-event of the resolved questions: the
isotonic (PAV) recalibration of the forecasts, the band where it would fall if they were
calibrated, and the Brier score's decomposition. :func:`plot_scores` draws, for each resolved
question, the probability its forecasts gave to the outcome that came true, over its open life.
Both take the results already computed (a Dataset, a JSON-ready dict); neither scores anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ..text import pct, plural, shorten
from .layout import (
    axes_width,
    caller_titles,
    figure_and_axes,
    fit_axes,
    fit_legend_right,
    legend_size,
    rc_size,
    text_height,
    text_width,
    tick_room,
    xaxis_room,
    yaxis_room,
)
from .style import (
    NEUTRAL,
    OKABE_ITO,
    clean_axes,
    empty_note,
    legend_label,
    percent_axis,
    plain_text,
    scenario_colors,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Share of the axes' height taken by the tallest bar of the forecasts' histogram.
HISTOGRAM_HEIGHT = 0.15
#: Distinct forecast values up to which each gets its own bar, marker and band whisker.
FEW_POINTS = 40
#: Bins of the forecasts' histogram beyond :data:`FEW_POINTS` values.
BINS = 20
#: Forecasts of a question up to which each is marked with a dot.
FEW_FORECASTS = 40
RECALIBRATED = "recalibrated (PAV)"
EMPTY_SCORES = "No resolved question yet: record one with 'forecast resolve'."
#: Colour of the consistency band.
BAND = "0.55"


# --- the reliability diagram -----------------------------------------------------------------


def _histogram(forecast: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Bars of the forecasts at the foot of the axes: centres, heights, width, tallest count.

    Each distinct value gets its own bar up to :data:`FEW_POINTS` of them, else :data:`BINS`
    equal bins over [0, 1]; heights are scaled so the tallest is :data:`HISTOGRAM_HEIGHT`.
    """
    if len(forecast) <= FEW_POINTS:
        centres, counts, width = forecast, n.astype(float), 0.012
    else:
        counts, edges = np.histogram(forecast, bins=BINS, range=(0.0, 1.0), weights=n)
        centres, width = (edges[:-1] + edges[1:]) / 2, 1.0 / BINS
    tallest = float(counts.max()) if len(counts) else 0.0
    heights = HISTOGRAM_HEIGHT * counts / tallest if tallest > 0 else np.zeros_like(counts)
    return centres, heights, width, int(round(tallest))


def _reliability_note(calibration: xr.Dataset, tallest: int, few: bool) -> str:
    a = calibration.attrs
    level = pct(float(a.get("band_level", 0.9)))
    first = (
        f"Brier {float(a['mean_score']):.3f} = miscalibration {float(a['miscalibration']):.3f} "
        f"\u2212 discrimination {float(a['discrimination']):.3f} + uncertainty "
        f"{float(a['uncertainty']):.3f}; {plural(int(a['n_questions']), 'question')}, "
        f"{int(a['n_pairs'])} scenario-events; {float(a['share_inside_band']):.0%} inside the "
        f"{level} consistency band"
    )
    base = a.get("base_rate")
    bars = "each forecast value" if few else f"bins of {pct(1 / BINS)}"
    second = (
        "Step line: how often the scenarios came true at each forecast probability (isotonic "
        f"fit); grey band: where it would lie in {level} of worlds where the forecasts are "
        f"calibrated; bars at the foot: scenario-events at {bars} (tallest {tallest})"
        + (f"; base rate {pct(float(base))}." if base is not None else ".")
    )
    return f"{first}.\n{second}"


@plain_text
def plot_reliability(
    calibration: xr.Dataset,
    *,
    ax: Axes | None = None,
    title: str = "Are the probabilities calibrated?",
) -> tuple[Figure, Axes]:
    """The CORP reliability diagram of the resolved questions' scenario-events.

    Parameters
    ----------
    calibration
        Over dim ``point`` (the distinct forecast probabilities, ascending): ``forecast``,
        ``recalibrated`` (the isotonic PAV fit, nondecreasing), ``band_lower`` and
        ``band_upper`` (the consistency band under calibration) and ``n`` (scenario-events
        at that forecast); attributes ``mean_score``, ``miscalibration``, ``discrimination``,
        ``uncertainty``, ``base_rate``, ``n_questions``, ``n_pairs``, ``share_inside_band``
        and ``band_level``. No missing values.
    ax
        Axes to draw into; a new figure when ``None``.
    title
        Title of the figure (or of the axes given).

    Returns
    -------
    fig, ax
        The diagonal (dashed, perfect calibration), the consistency band (a grey step area,
        and a whisker at each value when there are few, else at the last), the recalibrated
        probabilities as a step line labelled :data:`RECALIBRATED` (``steps-post``; its y
        data are ``recalibrated``) and the forecasts' histogram in the lowest 15% of the axes;
        both axes 0-100%. The Brier score's decomposition is in the caption (the note above
        axes given).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, ax, own = figure_and_axes(ax, (7.6, 5.6))
    x = np.asarray(calibration["forecast"].values, dtype=float)
    y = np.asarray(calibration["recalibrated"].values, dtype=float)
    lo = np.asarray(calibration["band_lower"].values, dtype=float)
    hi = np.asarray(calibration["band_upper"].values, dtype=float)
    n = np.asarray(calibration["n"].values, dtype=float)
    few = len(x) <= FEW_POINTS
    centres, heights, width, tallest = _histogram(x, n)
    ax.bar(
        centres,
        heights,
        width=width,
        bottom=0.0,
        color=NEUTRAL,
        alpha=0.35,
        linewidth=0,
        zorder=1,
        label="forecasts",
    )
    ax.fill_between(
        x, lo, hi, step="post", color=BAND, alpha=0.3, linewidth=0, zorder=2, label="band"
    )
    # the band at each value too when there are few, else at the last (the step area has no
    # width there)
    at = slice(None) if few else slice(-1, None)
    ax.vlines(x[at], lo[at], hi[at], colors=BAND, linewidth=1.2, alpha=0.8, zorder=2, label="_band")
    ax.plot([0, 1], [0, 1], color="0.45", linestyle="--", linewidth=1.0, zorder=3)
    ax.plot(
        x,
        y,
        drawstyle="steps-post",
        color=OKABE_ITO[0],
        linewidth=2.0,
        marker="o" if few else None,
        ms=4.5,
        zorder=4,
        clip_on=False,
        label=RECALIBRATED,
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    xlabel, ylabel = "forecast probability", "how often it came true (recalibrated)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    clean_axes(ax, grid="both")
    level = pct(float(calibration.attrs.get("band_level", 0.9)))
    handles = [
        Line2D(
            [],
            [],
            color=OKABE_ITO[0],
            linewidth=2.0,
            marker="o" if few else None,
            ms=4.5,
            label=RECALIBRATED,
        ),
        Patch(facecolor=BAND, alpha=0.4, linewidth=0, label=f"{level} consistency band"),
        Line2D([], [], color="0.45", linestyle="--", linewidth=1.0, label="calibrated"),
        Patch(facecolor=NEUTRAL, alpha=0.35, linewidth=0, label="forecasts issued"),
    ]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False
    )
    note = _reliability_note(calibration, tallest, few)
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    legend = [h.get_label() for h in handles]
    left = yaxis_room(["100%"], ylabel=ylabel)
    legend_w = legend_size(legend, 8.5)[0]
    side = axes_width(7.6, left, legend_w) / 1.01  # square axes
    fit_legend_right(
        ax,
        legend,
        width=7.6,
        left=left,
        min_height=side,
        title=title,
        note=note,
        below=xaxis_room(xlabel=xlabel),
        xticks=xaxis_room(),
        yticks=yaxis_room(["100%"]),
    )
    return fig, ax


# --- the scores of each question -------------------------------------------------------------


def _day(text: Any) -> np.datetime64:
    """An ISO date (or date-time) string as a day."""
    return np.datetime64(dt.date.fromisoformat(str(text)[:10]), "D")


def _skill(value: float | None) -> str:
    if value is None:
        return "n/a"
    text = f"{float(value):+.0%}"
    return "+0%" if text == "-0%" else text


def _brier(value: float | None) -> str:
    return "n/a" if value is None else f"{float(value):.2f}"


def _resolved(card: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The resolved questions that have forecasts to draw."""
    return [
        q
        for q in card.get("questions", [])
        if q.get("status") == "resolved" and q.get("forecasts") and q.get("resolution")
    ]


def _steps(question: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Dates and probabilities of a question's step line: each forecast, then the resolution."""
    rows = sorted(question["forecasts"], key=lambda f: _day(f["as_of"]))
    dates = [_day(f["as_of"]) for f in rows] + [_day(question["resolution"]["date"])]
    p = [float(f["probability_of_outcome"]) for f in rows]
    return np.array(dates, dtype="datetime64[D]"), np.array([*p, p[-1]], dtype=float)


def score_label(question: Mapping[str, Any]) -> str:
    """``q1 (Brier 0.12, skill vs prior +35%)``: a question's legend entry.

    Longer than a legend line, the scores go on a line of their own under the id.
    """
    name = shorten(str(question["question"]), 44)
    scores = (
        f"(Brier {_brier(question.get('brier'))}, "
        f"skill vs prior {_skill(question.get('brier_skill_prior'))})"
    )
    one_line = f"{name} {scores}"
    return one_line if len(one_line) <= 30 else f"{legend_label(name)}\n{scores}"


def _scores_note(card: Mapping[str, Any], shown: int) -> str:
    counts: dict[str, int] = {}
    for q in card.get("questions", []):
        counts[str(q.get("status"))] = counts.get(str(q.get("status")), 0) + 1
    words = {"annulled": "annulled", "open": "open", "no forecasts": "without forecasts"}
    others = [f"{plural(counts[s], 'question')} {w}" for s, w in words.items() if counts.get(s)]
    return (
        "For each resolved question, the probability its forecasts gave to the outcome that came "
        "true, each forecast standing until the next and the last until the resolution (\u25cf); "
        "higher is better. Brier: time-averaged over the question's open life; skill vs prior: "
        f"1 \u2212 Brier / Brier of the prior. {plural(shown, 'resolved question')} shown"
        + (f"; {', '.join(others)}." if others else ".")
    )


@plain_text
def plot_scores(
    card: Mapping[str, Any], *, ax: Axes | None = None, title: str = "Track record"
) -> tuple[Figure, Axes]:
    """The probability each resolved question's forecasts gave to what came true, over time.

    Parameters
    ----------
    card
        A scorecard as a JSON-ready dict: ``card["questions"]`` lists each question's
        ``question`` (id), ``title`` and ``status`` (``"resolved"``, ``"annulled"``, ``"open"``,
        ``"no forecasts"``); a resolved one also has ``resolution`` (``outcome``, ``date``),
        ``brier``, ``brier_skill_prior`` (or ``None``) and ``forecasts`` (each ``as_of``,
        ``stood_days``, ``probability_of_outcome``).
    ax
        Axes to draw into; a new figure when ``None``.
    title
        Title of the figure (or of the axes given).

    Returns
    -------
    fig, ax
        One step line per resolved question (``steps-post``, labelled :func:`score_label`):
        each forecast from its as-of date until the next, the last until the resolution date,
        where the line ends with a dot; y axis 0-100%, dates on x, the legend to the right.
        With no resolved question, empty axes saying so.
    """
    import matplotlib.dates as mdates

    questions = _resolved(card)
    fig, ax, own = figure_and_axes(ax, (9.0, 4.6))
    if not questions:
        empty_note(ax, EMPTY_SCORES)
        if own:
            fit_axes(ax, title=title, width=9.0, plot_height=1.5, left=0, right=0, below=0)
        else:
            caller_titles(ax, title)
        return fig, ax
    ids = [str(q["question"]) for q in questions]
    colors = scenario_colors([f"{k}" for k in range(len(ids))])
    legend = [score_label(q) for q in questions]
    steps = [_steps(q) for q in questions]
    for k, ((dates, p), label) in enumerate(zip(steps, legend, strict=True)):
        color = colors[str(k)]
        dashes = "-" if k < 20 or len(ids) <= 8 else "--"  # tab20's colours come round again
        ax.plot(
            dates,
            p,
            drawstyle="steps-post",
            color=color,
            linestyle=dashes,
            linewidth=1.8,
            marker="o" if len(p) - 1 <= FEW_FORECASTS else None,
            markevery=list(range(len(p) - 1)),
            ms=3.0,
            label=label,
            zorder=3,
        )
        ax.plot(
            dates[-1:],
            p[-1:],
            linestyle="none",
            marker="o",
            ms=7,
            color=color,
            markeredgecolor="white",
            markeredgewidth=1.0,
            clip_on=False,
            label=f"_resolution {ids[k]}",
            zorder=4,
        )
    first = min(dates[0] for dates, _ in steps)
    last = max(dates[-1] for dates, _ in steps)
    span = max(last - first, np.timedelta64(2, "D"))
    pad = np.timedelta64(max(int(np.ceil(span / np.timedelta64(1, "D") / 40)), 1), "D")
    ax.set_xlim(first - pad, last + pad)
    ax.set_ylim(0, 1)
    percent_axis(ax.yaxis)
    ylabel = "probability of what happened"
    ax.set_ylabel(ylabel)
    days = int((ax.get_xlim()[1] - ax.get_xlim()[0]) // 1)
    if days <= 12:  # whole days, not hours
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(days // 6, 1)))
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    ax.tick_params(axis="x", labelrotation=30)
    clean_axes(ax, grid="y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    note = _scores_note(card, len(questions))
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    _fit_scores(ax, legend, title, note, ylabel)
    return fig, ax


def _fit_scores(ax: Axes, legend: Sequence[str], title: str, note: str, ylabel: str) -> None:
    """Fixed layout of a figure made by :func:`plot_scores`: date labels turned 30 degrees."""
    size = rc_size("xtick.labelsize")
    date_w, date_h = text_width("2025-10-27", size), text_height("0", size)
    fit_legend_right(
        ax,
        legend,
        width=9.0,
        left=yaxis_room(["100%"], ylabel=ylabel),
        min_height=3.4,
        title=title,
        note=note,
        below=tick_room("x") + date_w * 0.5 + date_h * 0.87,
        yticks=yaxis_room(["100%"]),
    )
