"""Judgement sensitivity as tornado charts: one scenario, or small multiples of all."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ...core.dims import SCENARIO
from ..text import clip, clip_words, judgement_value, pct
from .layout import (
    EDGE,
    GAP,
    axes_width,
    caller_titles,
    figure_and_axes,
    figure_header,
    fit_axes,
    pin_labels,
    text_height,
    text_width,
    widest,
    wrap_lines,
    wrap_to,
    xaxis_room,
    yaxis_room,
)
from .style import (
    JUDGEMENT,
    SETTING,
    bounded_percent_axis,
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


def _base_probability(ds: xr.Dataset, scenario: str) -> float:
    """The scenario's probability with every judgement as elicited."""
    for name in ("base_probability", "probability_base"):
        if name in ds:
            return float(ds[name].sel({SCENARIO: scenario}))
    if "probability" in ds and "concentration" in [str(j) for j in ds[JUDGEMENT].values]:
        # the point probability does not depend on the prior concentration
        return float(ds["probability"].sel({JUDGEMENT: "concentration", SCENARIO: scenario})[0])
    return math.nan


_TORNADO_NOTE = (
    "Each elicited quantity moved over its range, all others as elicited (likelihoods: "
    "{q0}\u2013{q1} quantiles; priors and reliabilities: odds halved and doubled). Pale: the "
    "judgement at its low value; dark: at its high value; italics: those values, in its own "
    "unit, beside each bar (across the line when both ends lie on one side of it). Line: the "
    "probability as elicited."
)


def _label_pad(ax: Axes, span: float, text_width: float, plot_width: float | None) -> float:
    """Room (in data units) beside a bar for a label ``text_width`` points wide.

    ``plot_width`` is the axes' width in inches when known (a figure made here); otherwise it
    is estimated from the axes' width before layout (tick labels will take part of it).
    """
    if plot_width is None:
        plot_width = 0.55 * ax.get_position().width * ax.figure.get_figwidth()
    frac = min((text_width + 6) / 72 / max(plot_width, 0.5), 0.3)
    return span * frac / (1 - 2 * frac)


def _quantiles(ds: xr.Dataset) -> dict[str, str]:
    q = ds.attrs.get("quantiles", (0.05, 0.95))
    return {"q0": pct(float(q[0])), "q1": pct(float(q[1]))}


def _tornado_rows(ds: xr.Dataset, scenario: str, top: int) -> np.ndarray:
    """The judgements of a tornado chart, by decreasing absolute swing of ``scenario``."""
    swing = np.asarray(ds["swing"].sel({SCENARIO: scenario}).values, dtype=float)
    return np.argsort(-np.abs(swing), kind="stable")[: max(int(top), 0)]


#: A bar end closer than this to the probability as elicited is "no effect" (it rounds to 0.0
#: points); a scenario none of whose judgements moves it by :data:`NEGLIGIBLE_SWING` gets no panel
#: of its own in a tornado grid.
NO_EFFECT = 5e-4
NEGLIGIBLE_SWING = 5e-3


def _ends(ds: xr.Dataset, scenario: str, order: np.ndarray) -> tuple[np.ndarray, ...]:
    """Probability of ``scenario`` with each judgement of ``order`` low, high, as elicited."""
    probs = ds["probability"].sel({SCENARIO: scenario})
    p_low = np.asarray(probs.sel({SETTING: "low"}).values, dtype=float)[order]
    p_high = np.asarray(probs.sel({SETTING: "high"}).values, dtype=float)[order]
    base = _base_probability(ds, scenario)
    centre = np.full(len(order), base) if math.isfinite(base) else 0.5 * (p_low + p_high)
    return p_low, p_high, centre


def _extent(ds: xr.Dataset, scenario: str, top: int) -> tuple[float, float]:
    """The smallest and largest probability the tornado of ``scenario`` draws."""
    ends = np.concatenate(_ends(ds, scenario, _tornado_rows(ds, scenario, top)))
    if not np.isfinite(ends).any():
        return 0.0, 1.0
    return float(np.nanmin(ends)), float(np.nanmax(ends))


def _end_labels(
    ax: Axes,
    ds: xr.Dataset,
    order: np.ndarray,
    p_low: np.ndarray,
    p_high: np.ndarray,
    centre: np.ndarray,
    fs: float,
) -> list[str]:
    """Each bar's end values, in the judgement's unit, where they touch no bar and no line.

    The smaller end's value goes left of everything drawn on its row (bars and the line of
    the probability as elicited), the larger end's right of it: when both ends lie on one
    side of the line, the inner end's value is across the line from the bars. A judgement that
    moves nothing (both ends within :data:`NO_EFFECT`) gets one "no effect" right of the line.
    Returns the texts.
    """
    quantity = coord_values(ds, "judgement_quantity", JUDGEMENT)
    short = coord_values(ds, "judgement_unit_short", JUDGEMENT)
    low_v = coord_values(ds, "low_value", JUDGEMENT, math.nan)
    high_v = coord_values(ds, "high_value", JUDGEMENT, math.nan)
    style = {
        "textcoords": "offset points",
        "va": "center",
        "fontsize": fs,
        "fontstyle": "italic",
        "color": "0.3",
        "annotation_clip": False,
        "in_layout": False,  # inside the axes: no need to measure it for the layout
    }
    texts: list[str] = []
    for yi, j in enumerate(order):
        c = centre[yi]
        if max(abs(p_low[yi] - c), abs(p_high[yi] - c)) < NO_EFFECT:
            texts.append("no effect")
            ax.annotate("no effect", xy=(c, yi), xytext=(4, 0), ha="left", **style)
            ax.texts[-1].set_gid("tornado-value")
            continue
        ends = [
            (p_low[yi], judgement_value(low_v[j], quantity[j], short[j])),
            (p_high[yi], judgement_value(high_v[j], quantity[j], short[j])),
        ]
        ends.sort(key=lambda e: e[0])
        left = min(ends[0][0], c) if math.isfinite(c) else ends[0][0]
        right = max(ends[1][0], c) if math.isfinite(c) else ends[1][0]
        for x, text, side in ((left, ends[0][1], -1), (right, ends[1][1], 1)):
            texts.append(text)
            ax.annotate(
                text, xy=(x, yi), xytext=(4 * side, 0), ha="right" if side < 0 else "left", **style
            )
            ax.texts[-1].set_gid("tornado-value")
    return texts


def _draw_tornado(
    ax: Axes,
    ds: xr.Dataset,
    scenario: str,
    *,
    color: str,
    top: int,
    compact: bool,
    names: Sequence[str] | None = None,
    plot_width: float | None = None,
    xlim: tuple[float, float] | None = None,
) -> int:
    """Draw the tornado of ``scenario`` into ``ax``; return the number of bars.

    ``names`` are the judgements' row labels (:func:`judgement_names`, computed when
    ``None``); ``plot_width`` the axes' width in inches when known; ``xlim`` the probabilities
    the x axis must show (those of the bars when ``None``; small multiples share one).
    """
    order = _tornado_rows(ds, scenario, top)
    p_low, p_high, centre = _ends(ds, scenario, order)
    base = _base_probability(ds, scenario)
    all_names = judgement_names(ds) if names is None else names
    rows = [all_names[i] for i in order]
    n = len(order)
    if n == 0:
        empty_note(ax, "No judgements.")
        return 0
    y = np.arange(n)
    for end, alpha, which in ((p_low, 0.38, "low"), (p_high, 0.95, "high")):
        ax.barh(
            y,
            end - centre,
            left=centre,
            height=0.64,
            color=color,
            alpha=alpha,
            edgecolor=color,
            linewidth=0.8,
            label=f"judgement at its {which} value",
            zorder=2,
        )
    if math.isfinite(base):
        ax.axvline(base, color="0.15", linewidth=1.0, zorder=3)
    fs = 7 if compact else 8
    ends_text: list[str] = []
    if not compact:  # small multiples: bars only
        ends_text = _end_labels(ax, ds, order, p_low, p_high, centre, fs)
    ax.set_yticks(y, rows, fontsize=fs + 0.5)
    ax.set_ylim(n - 0.5, -0.6)
    if xlim is None:
        lo, hi = _extent(ds, scenario, top)
    else:
        lo, hi = xlim
    span = max(hi - lo, 0.01)
    if compact:
        pad = 0.08 * span
    else:
        pad = max(0.12 * span, _label_pad(ax, span, widest(ends_text, fs), plot_width))
    bounded_percent_axis(ax, lo - pad, hi + pad)
    ax.tick_params(axis="x", labelsize=fs + 0.5)
    clean_axes(ax)
    return n


@plain_text
def plot_tornado(
    sensitivity: xr.Dataset | xr.DataTree,
    *,
    scenario: str | None = None,
    labels: Mapping[str, str] | None = None,
    top: int = 15,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Tornado chart of judgement sensitivity: how far each judgement swings one scenario.

    Parameters
    ----------
    sensitivity
        Output of :func:`forecasting.sensitivity.judgement_sensitivity` (dims ``judgement,
        setting, scenario``), or the node ``tree["judgement_sensitivity"]`` of
        :func:`forecasting.analyses.sensitivity` (which brings the scenario labels).
    scenario
        The scenario whose probability is shown; the leader (``attrs["leader"]``) by default.
    labels
        Scenario id to label (by default those the data carry, :func:`~.style.labels_of`;
        else the ids).
    top
        Number of judgements shown, those with the largest absolute swing on the scenario.
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        For each judgement, a bar from the scenario's probability with the judgement at its
        low value (pale) to that at its high value (full colour), about the base probability
        (black line); bar ends labelled with the judgement's values in its own unit, clear of
        the bars and the line ("no effect" for a judgement that moves nothing).
    """
    sensitivity = dataset_of(sensitivity)
    scenarios = scenario_order(sensitivity)
    scenario = str(scenario or sensitivity.attrs.get("leader") or scenarios[0])
    if scenario not in scenarios:
        raise KeyError(f"no scenario '{scenario}' (scenarios: {', '.join(scenarios)})")
    names = labels_of(sensitivity, labels, scenarios)
    color = scenario_colors(scenarios)[scenario]
    n_rows = min(int(top), sensitivity.sizes.get(JUDGEMENT, 0))
    fig, ax, own = figure_and_axes(ax, (10.5, 2.0 + 0.32 * max(n_rows, 3)))
    title = f"Judgement sensitivity: {clip(names[scenario], 60)}"
    xlabel = f"probability of: {clip(names[scenario], 60)}"
    note = _TORNADO_NOTE.format(**_quantiles(sensitivity))
    if not own:
        _draw_tornado(ax, sensitivity, scenario, color=color, top=top, compact=False)
        ax.set_xlabel(xlabel)
        caller_titles(ax, title, note)
        return fig, ax
    jnames = judgement_names(sensitivity)
    rows = [jnames[i] for i in _tornado_rows(sensitivity, scenario, top)]
    width, left, right = 10.5, yaxis_room(rows, 8.5), 14.0
    plot_width = axes_width(width, left, right)
    _draw_tornado(
        ax,
        sensitivity,
        scenario,
        color=color,
        top=top,
        compact=False,
        names=jnames,
        plot_width=plot_width,
    )
    ax.set_xlabel(xlabel)
    fit_axes(
        ax,
        title=title,
        note=note,
        width=width,
        plot_height=0.34 * max(n_rows, 3),
        left=left,
        right=right,
        below=xaxis_room(size=8.5, xlabel=xlabel),
        xticks=xaxis_room(size=8.5),
        yticks=left,
    )
    return fig, ax


@plain_text
def plot_tornado_grid(
    sensitivity: xr.Dataset,
    *,
    labels: Mapping[str, str] | None = None,
    top: int = 10,
    axes: Any = None,
) -> tuple[Figure, np.ndarray]:
    """Small multiples of judgement sensitivity: one tornado chart per scenario.

    Parameters
    ----------
    sensitivity
        Output of :func:`forecasting.sensitivity.judgement_sensitivity`.
    labels
        Scenario id to label (ids when ``None``).
    top
        Number of judgements in each panel.
    axes
        At least one Axes per scenario (any shape) to draw into; a new figure when ``None``.

    Returns
    -------
    fig, axes
        The axes as an array (two columns when the figure is made here); unused ones hidden.
    """
    sensitivity = dataset_of(sensitivity)
    scenarios = scenario_order(sensitivity)
    names = labels_of(sensitivity, labels, scenarios)
    colors = scenario_colors(scenarios)
    jnames = judgement_names(sensitivity)
    largest = {s: _largest_swing(sensitivity, s) for s in scenarios}
    made_here = axes is None
    shown = scenarios
    if made_here:  # no empty panels, and no more than MAX_PANELS
        shown = [s for s in scenarios if largest[s] >= NEGLIGIBLE_SWING] or scenarios[:1]
        if len(shown) > MAX_PANELS:
            kept = set(sorted(shown, key=lambda s: -largest[s])[:MAX_PANELS])
            shown = [s for s in shown if s in kept]
    moved = [s for s in shown if largest[s] >= NEGLIGIBLE_SWING] or shown
    extents = np.array([_extent(sensitivity, s, top) for s in moved])
    xlim = (float(np.min(extents[:, 0])), float(np.max(extents[:, 1])))
    titles = {s: wrap_lines(names[s], 40) for s in shown}
    if made_here:
        import matplotlib.pyplot as plt

        k = max(len(shown), 1)
        ncols = 1 if k == 1 else 2
        nrows = math.ceil(k / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(7.2 * ncols, 8.0), layout="none")
        axes = np.asarray(axes, dtype=object).reshape(nrows, ncols)
        note = _left_out_note([s for s in scenarios if s not in shown], names, largest)
        _grid_layout(fig, axes, sensitivity, shown, jnames, names, titles, top, note)
    axes = np.asarray(axes, dtype=object)
    flat = axes.reshape(-1)
    if len(flat) < len(shown):
        raise ValueError(f"need {len(shown)} axes, got {len(flat)}")
    fig = flat[0].figure
    for a, s in zip(flat, shown, strict=False):
        if largest[s] >= NEGLIGIBLE_SWING or len(moved) == len(shown):
            _draw_tornado(
                a, sensitivity, s, color=colors[s], top=top, compact=True, names=jnames, xlim=xlim
            )
        else:  # given axes: say why the panel is empty
            empty_note(a, f"No judgement moves it by {pct(NEGLIGIBLE_SWING)} or more.")
        a.set_title(
            titles[s],
            loc="left",
            fontsize=10,
            fontweight="bold",
            color=text_color(colors[s]),
            # on a figure made here nothing is above the axes: a fixed title position
            # spares measuring the tick labels again to place it
            y=1.0 if made_here else None,
        )
    for a in flat[len(shown) :]:
        a.set_visible(False)
    return fig, axes


#: Panels of a tornado grid made here, at most (those of the scenarios moved most).
MAX_PANELS = 8


def _largest_swing(ds: xr.Dataset, scenario: str) -> float:
    """The largest distance of either bar end of ``scenario`` from its probability as elicited."""
    order = np.arange(ds.sizes.get(JUDGEMENT, 0))
    p_low, p_high, centre = _ends(ds, scenario, order)
    moves = np.abs(np.concatenate([p_low - centre, p_high - centre]))
    return float(np.nanmax(moves)) if np.isfinite(moves).any() else 0.0


def _left_out_note(left_out: list[str], names: dict[str, str], largest: dict[str, float]) -> str:
    """The sentence naming the scenarios a tornado grid made here has no panel for."""
    if not left_out:
        return ""
    small = [s for s in left_out if largest[s] < NEGLIGIBLE_SWING]
    many = [s for s in left_out if largest[s] >= NEGLIGIBLE_SWING]

    def listed(ids: list[str]) -> str:
        shown = ", ".join(clip_words(names[s], 40) for s in ids[:3])
        return shown + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")

    parts = []
    if small:
        parts.append(
            f"No panel for {listed(small)}: no judgement moves "
            f"{'it' if len(small) == 1 else 'them'} by {pct(NEGLIGIBLE_SWING)} or more."
        )
    if many:
        parts.append(f"No panel for {listed(many)}: at most {MAX_PANELS} panels, the most moved.")
    return " ".join(parts)


_GRID_TITLE = (
    "Judgement sensitivity by scenario: the elicited quantities that move each probability most"
)


def _grid_layout(
    fig: Figure,
    axes: np.ndarray,
    ds: xr.Dataset,
    scenarios: list[str],
    jnames: list[str],
    names: dict[str, str],
    titles: dict[str, str],
    top: int,
    note: str = "",
) -> None:
    """Fixed layout of a tornado grid made here: panels sized to their labels, legend below.

    Also writes the figure title and the legend; wraps panel titles wider than their room
    (``titles`` is updated).
    """
    from matplotlib import rcParams
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    nrows, ncols = axes.shape
    fs = 7.5  # tick labels of compact tornados
    rows = min(int(top), ds.sizes.get(JUDGEMENT, 0))
    panel = {}  # (r, c) -> scenario
    for i, s in enumerate(scenarios):
        panel[divmod(i, ncols)] = s
    lefts = []
    for c in range(ncols):
        labels = [
            jnames[j]
            for r in range(nrows)
            if (r, c) in panel
            for j in _tornado_rows(ds, panel[(r, c)], top)
        ]
        lefts.append(yaxis_room(labels, fs))
    right, gap, row_gap = 14.0, 22.0, 12.0
    width = 7.2 * ncols
    pw = (width * 72 - 2 * EDGE - sum(lefts) - ncols * right - (ncols - 1) * gap) / ncols
    if pw < 160:  # long labels: a wider figure rather than narrow panels
        width = math.ceil((width * 72 + ncols * (160 - pw)) / 72 * 10) / 10
        pw = 160.0
    # panel titles wider than the room up to the next panel's title are wrapped to it
    for (_r, c), s in panel.items():
        room = pw + right + (gap + lefts[c + 1] if c + 1 < ncols else EDGE - 2)
        if text_width(titles[s], 10, bold=True) > room:
            titles[s] = wrap_to(names[s], room, 10, bold=True)
    q = _quantiles(ds)
    legend_title = wrap_to(
        f"Each elicited quantity moved over its range (likelihoods: {q['q0']}\u2013"
        f"{q['q1']} quantiles; priors, reliabilities: odds halved and doubled), "
        f"the others as elicited. All panels share one probability scale. {note}".strip(),
        width * 72 - 2 * EDGE,
        8.5,
    )
    em = 8.5
    legend_h = (
        text_height(legend_title, em)
        + text_height("x", em)
        + em * (float(rcParams["legend.labelspacing"]) + 2 * float(rcParams["legend.borderpad"]))
    )
    top_room, _, pin = figure_header(fig, _GRID_TITLE, "", width)
    title_pad = float(rcParams["axes.titlepad"])
    title_h = [
        max(
            (text_height(titles[panel[(r, c)]], 10) for c in range(ncols) if (r, c) in panel),
            default=0.0,
        )
        + title_pad
        for r in range(nrows)
    ]
    plot_h = 72 * 0.27 * max(rows, 3)
    below = xaxis_room(size=fs)
    height = (
        top_room
        + sum(title_h)
        + nrows * (plot_h + below)
        + (nrows - 1) * row_gap
        + GAP
        + legend_h
        + EDGE
    )
    fig.set_size_inches(width, height / 72)
    w = width * 72
    y = height - top_room
    for r in range(nrows):
        y -= title_h[r] + plot_h
        x = EDGE
        for c in range(ncols):
            x += lefts[c]
            axes[r, c].set_position((x / w, y / height, pw / w, plot_h / height))
            pin_labels(axes[r, c], pw, plot_h, xticks=below, yticks=lefts[c])
            x += pw + right + gap
        y -= below + row_gap
    pin(height)
    handles = [
        Patch(facecolor="0.45", alpha=0.38, label="judgement at its low value"),
        Patch(facecolor="0.45", alpha=0.95, label="judgement at its high value"),
        Line2D([], [], color="0.15", linewidth=1.0, label="probability as elicited"),
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, EDGE / height),
        borderaxespad=0,
        ncol=3,
        fontsize=8.5,
        frameon=False,
        title=legend_title,
        title_fontsize=8.5,
    )
