"""The analytic confidence: how far each probability could move, and whose reports it rests on.

Two panels side by side. Left, for every scenario, its probability and three ranges of
:mod:`forecasting.confidence`: where the next horizon of typical evidence could leave it, the
forecast under judgements other analysts could reasonably make, and the lowest and highest with
any one origin left out. Right, each independent origin's share of the evidence's weight (largest
first). The level and the reasons that decided it head the figure.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ...confidence.level import HIGH_SHARE, LOW_SHARE, horizon_words
from ...core.dims import CI_BOUND, SCENARIO
from ..text import pct, plural, scenario_names, shorten
from .layout import (
    EDGE,
    GAP,
    MAX_SCENARIOS,
    caller_titles,
    figure_header,
    leading,
    legend_size,
    pin_labels,
    rc_size,
    text_height,
    tick_room,
    widest,
    wrap_to,
    xaxis_room,
    yaxis_room,
)
from .style import (
    NEUTRAL,
    beside_axes,
    clean_axes,
    coord_values,
    empty_note,
    percent_axis,
    plain_text,
    scenario_colors,
    text_color,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ...results.forecast import Forecast

ORIGIN = "origin"
#: The three ranges, top to bottom within a scenario's row: variable and vertical offset.
RANGES: tuple[tuple[str, float], ...] = (
    ("responsiveness", -0.24),
    ("opinion", 0.0),
    ("origin_range", 0.24),
)
#: How each range is drawn (its colour is its scenario's).
_STYLE: dict[str, dict[str, Any]] = {
    "responsiveness": {"linewidth": 6.0, "alpha": 0.45, "capstyle": "butt"},
    "opinion": {"linewidth": 1.6, "alpha": 0.95},
    "origin_range": {"linewidth": 1.8, "alpha": 0.95, "linestyle": (0, (1, 1.4))},
}
#: End marks of the thin ranges.
_ENDS = {"opinion": "|", "origin_range": "o"}
PANEL_TITLES = ("Where each probability could be", "Whose reports carry the weight")
TITLE_SIZE = 10.0
SUBTITLE_SIZE = 9.5
LEGEND_SIZE = 8.5


def confidence_data(forecast: Forecast) -> xr.Dataset:
    """The ``confidence`` group of a forecast, with its labels, title and as-of date.

    What :func:`plot_confidence` draws. Raises ``ValueError`` for a forecast made before the
    analytic confidence was computed.
    """
    conf = forecast.confidence
    if conf is None:
        raise ValueError("this forecast was made before its analytic confidence was computed")
    ds = conf.ds.copy()
    labels = forecast.labels
    ds = ds.assign_coords(
        label=(SCENARIO, [labels.get(str(s), str(s)) for s in ds[SCENARIO].values])
    )
    ds.attrs.update(title=str(forecast.title), as_of=str(forecast.as_of))
    return ds


def _reasons(ds: xr.Dataset) -> list[str]:
    raw = ds.attrs.get("reasons", "[]")
    try:
        return [str(r) for r in json.loads(raw)] if isinstance(raw, str) else list(raw)
    except ValueError:
        return [str(raw)]


def _grades(ds: xr.Dataset) -> str:
    raw = ds.attrs.get("grades")
    try:
        grades = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    except ValueError:
        return ""
    return ", ".join(f"{g} \u00d7{n}" for g, n in grades.items())


def _origin_rows(ds: xr.Dataset, top: int) -> tuple[list[str], np.ndarray, list[int], bool]:
    """The origins shown (largest share first), their shares and items; the rest grouped last.

    The last flag says whether the last row is the group of the rest.
    """
    names = [str(o) for o in ds[ORIGIN].values] if ORIGIN in ds.coords else []
    if not names:
        return [], np.zeros(0), [], False
    share = np.asarray(ds["origin_share"].values, dtype=float)
    items = [int(v) for v in coord_values(ds, "origin_items", ORIGIN, 0)]
    order = np.argsort(-share, kind="stable")
    names = [names[i] for i in order]
    share, items = share[order], [items[i] for i in order]
    top = max(int(top), 1)
    if len(names) <= top + 1:  # one origin is shown rather than grouped on its own
        return [shorten(n, 34) for n in names], share, items, False
    rest = len(names) - top
    return (
        [shorten(n, 34) for n in names[:top]] + [f"{rest} other origins"],
        np.append(share[:top], share[top:].sum()),
        items[:top] + [sum(items[top:])],
        True,
    )


def _legend_handles(ds: xr.Dataset) -> list[Any]:
    from matplotlib.lines import Line2D

    when = horizon_words(float(ds.attrs.get("horizon_days", 30.0)))
    level = pct(float(ds.attrs.get("range_prob", 0.9)))

    def line(label: str, color: str = "0.35", **style: Any) -> Line2D:
        if "capstyle" in style:  # a LineCollection's name for it
            style["solid_capstyle"] = style.pop("capstyle")
        return Line2D([], [], color=color, label=label, **style)

    return [
        line("probability today", "0.1", marker="|", linestyle="none", ms=11, mew=1.6),
        line(f"after {when} of typical evidence ({level})", **_STYLE["responsiveness"]),
        line(
            f"under others' reasonable judgements ({level})", **_STYLE["opinion"], marker="|", ms=7
        ),
        line("with any one origin left out (all)", **_STYLE["origin_range"], marker="o", ms=3.5),
        line(
            f"largest share allowing high confidence ({pct(HIGH_SHARE)})",
            "0.55",
            linestyle="--",
            linewidth=0.9,
        ),
        line(f"share making confidence low ({pct(LOW_SHARE)})", "0.2", linestyle="--", lw=0.9),
    ]


def _draw_ranges(
    ax: Axes, ds: xr.Dataset, scenarios: list[str], rows: list[str], colors: dict[str, str]
) -> float:
    """The left panel; returns the room (points) its texts take right of the axes."""
    k = len(scenarios)
    y = np.arange(k, dtype=float)
    p = np.asarray(ds["probability"].values, dtype=float)
    texts = [pct(v) for v in p]
    at = 16 + widest(texts, 10, bold=True)
    spans: list[str] = []
    for name, dy in RANGES:
        if name not in ds:
            continue
        lo = np.asarray(ds[name].sel({CI_BOUND: "lower"}).values, dtype=float)
        hi = np.asarray(ds[name].sel({CI_BOUND: "upper"}).values, dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        cols = [colors[s] for s in scenarios]
        ax.hlines(
            y[ok] + dy,
            lo[ok],
            hi[ok],
            colors=np.array(cols)[ok],
            zorder=2,
            label=name,
            **_STYLE[name],
        )
        if name in _ENDS:
            for yi in np.flatnonzero(ok):
                ax.plot(
                    [lo[yi], hi[yi]],
                    [y[yi] + dy] * 2,
                    linestyle="none",
                    marker=_ENDS[name],
                    ms=7 if _ENDS[name] == "|" else 3.5,
                    color=cols[yi],
                    mew=1.4,
                    zorder=3,
                    label=f"_{name} ends",
                )
        for yi in np.flatnonzero(ok):
            span = f"{pct(lo[yi])}\u2013{pct(hi[yi])}"
            spans.append(span)
            beside_axes(ax, y[yi] + dy, span, dx=at, fontsize=8, color="0.35")
    ax.vlines(p, y - 0.38, y + 0.38, colors="0.1", linewidth=1.6, zorder=4, label="probability")
    for yi, s in enumerate(scenarios):
        beside_axes(
            ax, y[yi], texts[yi], fontsize=10, fontweight="bold", color=text_color(colors[s])
        )
    ax.set_yticks(y, rows)
    if k:
        ax.get_yticklabels()[int(np.argmax(p))].set_fontweight("bold")  # the leader
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_xlim(0, 1)
    percent_axis(ax.xaxis)
    ax.set_xlabel("probability")
    clean_axes(ax)
    return max(8 + widest(texts, 10, bold=True), at + widest(spans, 8)) + 4


def _draw_origins(ax: Axes, ds: xr.Dataset, top: int) -> tuple[list[str], list[str]]:
    """The right panel; returns its row labels and the texts right of the axes."""
    names, share, items, grouped = _origin_rows(ds, top)
    if not names:
        empty_note(ax, "No evidence used: no origins.")
        return [], []
    y = np.arange(len(names))
    colors = [NEUTRAL] * len(names)
    if grouped:
        colors[-1] = "0.72"
    ax.barh(y, share, height=0.62, color=colors, zorder=2)
    ax.axvline(HIGH_SHARE, color="0.55", linestyle="--", linewidth=0.9, zorder=1)
    ax.axvline(LOW_SHARE, color="0.2", linestyle="--", linewidth=0.9, zorder=1)
    texts = [f"{pct(v)}  {plural(n, 'item')}" for v, n in zip(share, items, strict=True)]
    for yi, t in enumerate(texts):
        beside_axes(ax, yi, t, fontsize=9, color="0.25")
    ax.set_yticks(y, names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    percent_axis(ax.xaxis)
    ax.set_xlabel("share of the evidence's weight")
    clean_axes(ax)
    return names, texts


def _texts(ds: xr.Dataset) -> tuple[str, str, str]:
    """Title, subtitle (the reasons) and caption."""
    level = str(ds.attrs.get("level", "")) or "not stated"
    title = f"Confidence {level} \u2014 {shorten(str(ds.attrs.get('title', 'Forecast')), 64)}"
    reasons = _reasons(ds)
    subtitle = f"Why {level}: " + "; ".join(reasons) + "." if reasons else ""
    as_of = ds.attrs.get("as_of")
    when = horizon_words(float(ds.attrs.get("horizon_days", 30.0)))
    futures, draws = ds.attrs.get("futures"), ds.attrs.get("opinion_draws")
    flip = ds.attrs.get("p_leader_change")
    flip_op = ds.attrs.get("opinion_p_leader_change")
    note = (
        f"Left: each scenario's probability{f' as of {as_of}' if as_of else ''} (|; the leader's "
        f"name in bold). Thick band: where {when} of typical evidence could leave it (5%\u201395%"
        + (f" of {int(futures)} simulated futures" if futures is not None else "")
        + (f"; the leader changes in {pct(float(flip))} of them" if flip is not None else "")
        + "). Capped line: the forecast under judgements other analysts could reasonably make, "
        "each elicited likelihood redrawn within its band (5%\u201395%"
        + (f" of {int(draws)} draws" if draws is not None else "")
        + (f"; another leader in {pct(float(flip_op))}" if flip_op is not None else "")
        + "). Dotted: the lowest and highest with any one origin left out. Right: each "
        "independent origin's share of the evidence's weight, largest first"
    )
    items, grades = ds.attrs.get("items"), _grades(ds)
    if items is not None:
        note += f"; {plural(int(items), 'item')}" + (f", grades {grades}" if grades else "")
    return title, subtitle, note + "."


@plain_text
def plot_confidence(
    confidence: Forecast | xr.Dataset,
    *,
    top: int = 8,
    axes: Sequence[Axes] | None = None,
    max_scenarios: int = MAX_SCENARIOS,
) -> tuple[Figure, np.ndarray]:
    """The analytic confidence: three ranges around each probability, and the origins' shares.

    Parameters
    ----------
    confidence
        A :class:`~forecasting.Forecast` made with its analytic confidence, or
        :func:`confidence_data` of one (its ``confidence`` group: ``probability``,
        ``responsiveness``, ``opinion``, ``origin_range`` (scenario, ci_bound), ``origin_share``
        and ``origin_items`` (origin); the level, reasons and counts in the attributes; scenario
        labels from a ``label`` coordinate; ``title`` and ``as_of`` when present).
    top
        Origins shown one by one (largest share first); the rest are one bar.
    axes
        Two axes to draw into (the ranges, the origins); a new figure when ``None``.
    max_scenarios
        Rows of the left panel at most: with more scenarios, the most probable (the caption
        says so).

    Returns
    -------
    fig, axes
        The two axes as an array. Left: one row per scenario (declared order, first at top),
        its probability as a dark tick, and three ranges in its colour, top to bottom: where the
        horizon's typical evidence could leave it (thick), under reasonable judgements (capped),
        with one origin left out (dotted); each range is a ``LineCollection`` labelled with its
        variable. Right: one bar per origin. The level and its reasons head the figure.
    """
    ds = confidence if isinstance(confidence, xr.Dataset) else confidence_data(confidence)
    declared = [str(s) for s in ds[SCENARIO].values]
    keep = leading(ds["probability"].values, max_scenarios)
    if keep is not None:  # the most probable; ranges of the others are not summed
        ds = ds.isel({SCENARIO: keep})
    scenarios = [str(s) for s in ds[SCENARIO].values]
    names = coord_values(ds, "label", SCENARIO, None)
    labels = scenario_names({s: n for s, n in zip(scenarios, names, strict=True) if n}, scenarios)
    rows = [textwrap.fill(labels[s], 28) for s in scenarios]
    made_here = axes is None
    if made_here:
        import matplotlib.pyplot as plt

        fig, pair = plt.subplots(1, 2, figsize=(11.0, 4.0), layout="none")
        axes_out = np.asarray(pair, dtype=object)
    else:
        axes_out = np.asarray(axes, dtype=object).reshape(-1)
        if len(axes_out) != 2:
            raise ValueError(f"need 2 axes (the ranges, the origins), got {len(axes_out)}")
        fig = axes_out[0].figure
    right = _draw_ranges(axes_out[0], ds, scenarios, rows, scenario_colors(declared))
    origin_rows, origin_texts = _draw_origins(axes_out[1], ds, top)
    title, subtitle, note = _texts(ds)
    if keep is not None:
        note += f" Left: the {len(keep)} most probable of {len(declared)} scenarios."
    handles = _legend_handles(ds)
    if not origin_rows:
        handles = handles[:4]
    if not made_here:
        caller_titles(axes_out[0], title, subtitle)
        caller_titles(axes_out[1], PANEL_TITLES[1])
        axes_out[0].legend(handles=handles, fontsize=7.5, frameon=False, loc="best")
        return fig, axes_out
    _layout(fig, axes_out, rows, origin_rows, right, origin_texts, handles, (title, subtitle, note))
    return fig, axes_out


def _layout(
    fig: Figure,
    axes: np.ndarray,
    rows: list[str],
    origin_rows: list[str],
    right1: float,
    origin_texts: list[str],
    handles: list[Any],
    words: tuple[str, str, str],
) -> None:
    """Fixed layout of the figure made here: both panels side by side, the legend below."""
    from matplotlib import rcParams

    title, subtitle, note = words
    # the leader's name is bold
    left1 = tick_room("y") + widest(rows, rc_size("ytick.labelsize"), bold=True)
    left2 = yaxis_room(origin_rows) if origin_rows else 8.0
    right2 = 8 + widest(origin_texts, 9) + 4
    gap = 24.0
    width = 11.0
    avail = width * 72 - 2 * EDGE - left1 - right1 - gap - left2 - right2
    if avail < 380:  # long names: a wider figure rather than narrow panels
        width = float(np.ceil((width * 72 + 380 - avail) / 72 * 10) / 10)
        avail = 380.0
    pw1, pw2 = 0.56 * avail, 0.44 * avail
    w = width * 72
    # the legend: three columns of two (the probability and a range; two ranges; the lines)
    ncol = 3 if len(handles) > 4 else 2
    legend_w = sum(
        legend_size([h.get_label() for h in handles[2 * c : 2 * c + 2]], LEGEND_SIZE)[0]
        for c in range(ncol)
    )
    if legend_w > w - 2 * EDGE:
        ncol = 2
    per_col = int(np.ceil(len(handles) / ncol))
    legend_h = per_col * text_height("x", LEGEND_SIZE) + LEGEND_SIZE * (
        float(rcParams["legend.labelspacing"]) * (per_col - 1)
        + 2 * float(rcParams["legend.borderpad"])
    )
    top, bottom, pin = figure_header(fig, title, note, width)
    sub = wrap_to(subtitle, w - 2 * EDGE, SUBTITLE_SIZE) if subtitle else ""
    sub_h = text_height(sub, SUBTITLE_SIZE) + 3 if sub else 0.0
    panel_h = text_height("x", TITLE_SIZE) + float(rcParams["axes.titlepad"])
    plot_h = 72 * max(len(rows) * 0.72, len(origin_rows) * 0.32, 1.5)
    below = xaxis_room(xlabel="probability")
    height = top + sub_h + panel_h + plot_h + below + 4 + legend_h + bottom
    fig.set_size_inches(width, height / 72)
    y0 = bottom + legend_h + 4 + below
    x1 = EDGE + left1
    x2 = x1 + pw1 + right1 + gap + left2
    for ax, x, pw, left in ((axes[0], x1, pw1, left1), (axes[1], x2, pw2, left2)):
        ax.set_position((x / w, y0 / height, pw / w, plot_h / height))
        pin_labels(ax, pw, plot_h, xticks=xaxis_room(), yticks=left)
    for ax, text in zip(axes, PANEL_TITLES, strict=True):
        ax.set_title(text, loc="left", fontsize=TITLE_SIZE, fontweight="bold", y=1.0)
    pin(height)
    if sub:
        fig.text(
            EDGE / w,
            1 - (top - GAP + 3) / height,
            sub,
            ha="left",
            va="top",
            fontsize=SUBTITLE_SIZE,
            color="0.15",
        )
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, bottom / height),
        borderaxespad=0,
        ncol=ncol,
        fontsize=LEGEND_SIZE,
        frameon=False,
    )
