"""Plots of a forecast and of what it rests on (matplotlib).

Every function takes its data first and everything else by keyword, draws into ``ax`` (or
``axes``) when given and otherwise makes a new figure, never calls ``plt.show()``, and returns
``(fig, ax)``. Scenarios keep one colour everywhere (:func:`scenario_colors`, by position in
the declared scenario order, Okabe-Ito palette).

The two kinds of sensitivity keep their names apart, as in :mod:`forecasting.sensitivity`:
**evidence influence** is about the *items of evidence* (:func:`plot_evidence_influence`),
**judgement sensitivity** about the *elicited quantities* (:func:`plot_tornado`,
:func:`plot_tornado_grid`, :func:`plot_tipping_points`, :func:`plot_sweep`).

This module is imported only for plotting; ``import forecasting`` does not import matplotlib.

>>> import forecasting as fc
>>> from forecasting import plots, sensitivity as sn
>>> f = fc.forecast("models/syria_coalition.yaml", as_of="2025-10-27")  # doctest: +SKIP
>>> fig, ax = plots.plot_posterior(f)                                     # doctest: +SKIP
>>> plots.save_all(f, sn.sensitivity(f), "figures")                        # doctest: +SKIP
"""

from __future__ import annotations

import gc
import math
import re
import textwrap
import warnings
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from .dims import CI_BOUND, INDICATOR, ITEM, SCENARIO

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .result import Forecast

__all__ = [
    "OKABE_ITO",
    "plot_evidence_influence",
    "plot_history",
    "plot_next_observation",
    "plot_posterior",
    "plot_sweep",
    "plot_tipping_points",
    "plot_tornado",
    "plot_tornado_grid",
    "plot_value_of_information",
    "figure_data",
    "render_figures",
    "save_all",
    "save_figure",
    "scenario_colors",
]

#: Okabe-Ito colour-blind-safe qualitative palette, in the order scenarios take it
#: (yellow and black last: yellow is faint on white, black is kept for reference marks).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Colour of bars that belong to no scenario.
NEUTRAL = "#5B6770"
#: Diverging colormap of signed shifts (red: the item lowers the probability, blue: raises).
DIVERGING = "RdBu"
#: Resolution of saved figures.
DPI = 110
#: Text settings while saving: unhinted glyphs render about 40% faster and look the same
#: at this resolution.
_FAST_TEXT = {"text.hinting": "no_hinting"}
#: Longest row label, in characters (longer ids are shortened in the middle).
MAX_LABEL = 44

JUDGEMENT = "judgement"
SETTING = "setting"


# --- colours and text ------------------------------------------------------------------------


def scenario_colors(scenarios: Sequence[str]) -> dict[str, str]:
    """One colour per scenario, by its position in the declared scenario order.

    Parameters
    ----------
    scenarios
        Scenario ids in declared order (e.g. ``Forecast.scenarios``).

    Returns
    -------
    dict
        Scenario id to hex colour: the Okabe-Ito palette for up to 8 scenarios, ``tab20``
        beyond that (cycled past 20).
    """
    scenarios = [str(s) for s in scenarios]
    if len(scenarios) <= len(OKABE_ITO):
        palette = list(OKABE_ITO)
    else:
        from matplotlib import colormaps
        from matplotlib.colors import to_hex

        palette = [to_hex(c) for c in colormaps["tab20"].colors]
    return {s: palette[k % len(palette)] for k, s in enumerate(scenarios)}


def _readable(name: str) -> str:
    """An indicator or category id as words: ``joint_operations`` -> ``joint operations``."""
    return str(name).replace("_", " ")


def _shorten(text: str, width: int = MAX_LABEL) -> str:
    """``text`` cut in the middle to at most ``width`` characters (keeps start and end)."""
    text = str(text)
    if len(text) <= width:
        return text
    head = (width - 1) * 3 // 5
    tail = width - 1 - head
    return f"{text[:head]}\u2026{text[-tail:]}"


def _pct(p: float, *, digits: int | None = None) -> str:
    """A probability as a percentage, with more digits for small values."""
    if not math.isfinite(p):
        return "n/a"
    if digits is None:
        digits = 0 if 0.01 <= p <= 0.99 or p in (0.0, 1.0) else 1
    text = f"{100 * p:.{digits}f}"
    if float(text) == 0 and p > 0:
        text = "<0.1" if digits else "<1"
    elif float(text) == 100 and p < 1:
        text = ">99.9" if digits else ">99"
    return text + "%"


def _pp(shift: float) -> str:
    """A shift in probability as signed percentage points (no unit)."""
    v = 100 * shift
    if abs(v) < 0.05:
        return "0"
    return f"{v:+.1f}".replace("-", "\u2212")


def _fmt_value(value: float, unit: str) -> str:
    """A judgement's value in its own unit, short enough to sit at the end of a bar."""
    if not math.isfinite(value):
        return "n/a"
    unit = str(unit)
    if unit.startswith("P(") or unit == "prior probability":
        return _pct(value)
    m = re.fullmatch(r"mean rate per (\S+) days?", unit)
    if m:
        return f"{value:.3g}/{m.group(1)}d"
    if unit == "reliability weight":
        return f"w={value:.2f}"
    return f"{value:.3g}"


def _text_color(color: str) -> str:
    """A scenario colour for text: pale colours (yellow) are darkened to stay legible."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return color if 0.299 * r + 0.587 * g + 0.114 * b < 0.75 else "0.25"


def _percent_axis(axis: Any) -> None:
    """Tick labels of a probability axis as percentages, without trailing zeros."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x: float, _pos: Any) -> str:
        text = f"{100 * x:.2f}".rstrip("0").rstrip(".")
        return ("0" if text in ("-0", "") else text) + "%"

    axis.set_major_formatter(FuncFormatter(fmt))


def _bounded_percent_axis(ax: Axes, lo: float, hi: float) -> None:
    """Set the x range to ``lo``-``hi`` (room for labels), with percentage ticks in [0, 1]."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(lo, hi)
    ticks = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(max(lo, 0), min(hi, 1))
    ax.set_xticks([t for t in ticks if max(lo, 0) - 1e-12 <= t <= min(hi, 1) + 1e-12])
    _percent_axis(ax.xaxis)


def _labels_of(labels: Mapping[str, str] | None, scenarios: Sequence[str]) -> dict[str, str]:
    labels = dict(labels or {})
    return {s: str(labels.get(s, s)) for s in scenarios}


def _coord(ds: xr.Dataset, name: str, dim: str, default: Any = "") -> list[Any]:
    if name in ds.coords or name in ds.data_vars:
        return [v.item() if hasattr(v, "item") else v for v in ds[name].values]
    return [default] * ds.sizes.get(dim, 0)


def _clip(text: str, width: int) -> str:
    """``text`` cut at the end to at most ``width`` characters."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _judgement_names(ds: xr.Dataset) -> list[str]:
    """Readable, bounded-length names of the judgements of a sensitivity Dataset."""
    n = ds.sizes.get(JUDGEMENT, 0)
    ids = [str(v) for v in ds[JUDGEMENT].values]
    kinds = _coord(ds, "judgement_kind", JUDGEMENT)
    targets = [_readable(t) for t in _coord(ds, "judgement_target", JUDGEMENT)]
    scens = [_clip(s, 16) for s in _coord(ds, "judgement_scenario", JUDGEMENT)]
    cats = [_readable(c) for c in _coord(ds, "judgement_category", JUDGEMENT)]
    units = _coord(ds, "judgement_unit", JUDGEMENT)
    given = _coord(ds, "judgement_label", JUDGEMENT)
    out = []
    for i in range(n):
        kind, target, scen, cat = kinds[i], targets[i], scens[i], cats[i]
        if kind == "likelihood" and str(units[i]).startswith("mean rate"):
            name = f"{_clip(target, 32)} rate | {scen}"
        elif kind == "likelihood" and cat:
            name = f"P({_clip(target, 24)} = {_clip(cat, 22)} | {scen})"
        elif kind == "likelihood":
            name = f"P({_clip(target, 34)} | {scen})"
        elif kind == "prior":
            name = f"prior P({scen})"
        elif kind == "concentration":
            name = "prior concentration"
        elif kind == "reliability":
            # item ids are kept as written (underscores too), shortened in the middle
            name = f"reliability of {_shorten(_coord(ds, 'judgement_target', JUDGEMENT)[i], 38)}"
        else:
            name = _clip(_readable(given[i] or ids[i]), MAX_LABEL)
        out.append(name)
    return out


def _legend_label(text: str) -> str:
    return textwrap.fill(str(text), 30)


def _scenario_order(ds: xr.Dataset) -> list[str]:
    """Declared scenario order: the ``scenario`` coordinate, else the judgements' scenarios."""
    if SCENARIO in ds.coords:
        return [str(s) for s in ds[SCENARIO].values]
    order: list[str] = []
    for s in _coord(ds, "judgement_scenario", JUDGEMENT):
        if s and s not in order:
            order.append(str(s))
    return order


# --- figures ---------------------------------------------------------------------------------
#
# Figures made here get a fixed layout computed from their content: the room each text needs
# is its width measured from the font's advance widths (no drawing), its height from its
# number of lines. That is about a third cheaper to save than constrained layout, which lays
# every text out several times, and it sizes the figure to its rows. Axes given by a caller
# are left to the caller's layout.

#: Room (points) between the figure's edge and its outermost texts.
_EDGE = 6.0
#: Room (points) between the title (or the caption) and the axes block.
_GAP = 8.0
#: Size (points) of the figure title and of the caption.
_TITLE_SIZE = 12.0
_NOTE_SIZE = 8.5
_NOTE_SPACING = 1.3

#: Advance width (em) of each character, per font file.
_ADVANCES: dict[str, dict[str, float]] = {}


def _font_path(bold: bool) -> str:
    from matplotlib.font_manager import FontProperties, findfont

    return findfont(FontProperties(weight="bold" if bold else "normal"))


def _advances(chars: set[str], bold: bool) -> dict[str, float]:
    """Advance widths (em) of ``chars`` in the default font, measured once per character."""
    path = _font_path(bold)
    table = _ADVANCES.setdefault(path, {})
    missing = chars - table.keys()
    if missing:
        from matplotlib import ft2font

        font = ft2font.FT2Font(path)
        font.set_size(100, 72)  # 100 pixels per em
        flags = getattr(ft2font, "LoadFlags", None)
        no_hinting = flags.NO_HINTING if flags is not None else ft2font.LOAD_NO_HINTING
        for c in missing:
            if not font.get_char_index(ord(c)):
                table[c] = 1.0  # drawn by a fallback font: assume a wide glyph
                continue
            glyph = font.load_char(ord(c), flags=no_hinting)
            table[c] = glyph.linearHoriAdvance / 65536 / 100
    return table


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width (points) of the widest line of ``text`` (kerning ignored: slightly wide)."""
    text = str(text)
    if not text:
        return 0.0
    adv = _advances(set(text) - {"\n"}, bold)
    return size * max(sum(adv[c] for c in line) for line in text.split("\n"))


def _widest(texts: Sequence[str], size: float, *, bold: bool = False) -> float:
    return max((_text_width(t, size, bold=bold) for t in texts), default=0.0)


def _text_height(text: str, size: float, spacing: float = 1.2) -> float:
    """Height (points) of ``text``: its lines at ``spacing`` (an upper bound for any version)."""
    return size * (spacing * str(text).count("\n") + max(spacing, 1.17))


def _wrap_to(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """``text`` wrapped at spaces to lines at most ``width`` points wide (long words split)."""
    text = str(text)
    adv = _advances(set(text) - {"\n"}, bold)
    space = adv.get(" ", 0.3) * size
    out = []
    for para in text.split("\n"):
        line, used = "", 0.0
        for word in para.split(" "):
            w = size * sum(adv[c] for c in word)
            while w > width and len(word) > 1:  # a word wider than a line: split it
                cut, acc = 0, 0.0
                while cut < len(word) - 1 and acc + size * adv[word[cut]] <= width:
                    acc += size * adv[word[cut]]
                    cut += 1
                cut = max(cut, 1)
                if line:
                    out.append(line)
                out.append(word[:cut])
                line, used = "", 0.0
                word = word[cut:]
                w = size * sum(adv[c] for c in word)
            if line and used + space + w > width:
                out.append(line)
                line, used = word, w
            elif line:
                line, used = f"{line} {word}", used + space + w
            else:
                line, used = word, w
        out.append(line)
    return "\n".join(out)


def _rc_size(key: str) -> float:
    """A font size from rcParams (``"medium"`` and the like) in points."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    return FontProperties(size=rcParams[key]).get_size_in_points()


def _tick_room(axis: str = "y") -> float:
    """Points between an axes' edge and its tick labels (tick length plus pad)."""
    from matplotlib import rcParams

    return float(rcParams[f"{axis}tick.major.size"]) + float(rcParams[f"{axis}tick.major.pad"])


def _xaxis_room(
    ticks: Sequence[str] | None = None, *, xlabel: str = "", size: float | None = None
) -> float:
    """Points below an axes taken by its x tick labels (``ticks``: the widest lines) and label."""
    from matplotlib import rcParams

    size = _rc_size("xtick.labelsize") if size is None else size
    lines = max((str(t).count("\n") + 1 for t in ticks), default=1) if ticks else 1
    room = _tick_room("x") + _text_height("\n" * (lines - 1), size)
    if xlabel:
        room += float(rcParams["axes.labelpad"]) + _text_height(xlabel, _rc_size("axes.labelsize"))
    return room


def _yaxis_room(labels: Sequence[str], size: float | None = None, *, ylabel: str = "") -> float:
    """Points left of an axes taken by its y tick labels and label."""
    from matplotlib import rcParams

    size = _rc_size("ytick.labelsize") if size is None else size
    room = _tick_room("y") + _widest(labels, size)
    if ylabel:
        room += float(rcParams["axes.labelpad"]) + _text_height(ylabel, _rc_size("axes.labelsize"))
    return room


def _legend_size(labels: Sequence[str], size: float) -> tuple[float, float]:
    """Width and height (points) of a frameless legend of ``labels`` in one column."""
    from matplotlib import rcParams

    em = size
    width = _widest(labels, size) + em * (
        2 * float(rcParams["legend.borderpad"])
        + float(rcParams["legend.handlelength"])
        + float(rcParams["legend.handletextpad"])
        + float(rcParams["legend.borderaxespad"])
    )
    height = sum(_text_height(t, size) for t in labels) + em * (
        float(rcParams["legend.labelspacing"]) * max(len(labels) - 1, 0)
        + 2 * float(rcParams["legend.borderpad"])
    )
    return width, height


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    """The figure and axes to draw into, and whether the figure was made here.

    A figure made here has no layout engine: :func:`_fit` places everything in it.
    """
    if ax is not None:
        return ax.figure, ax, False
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, layout="none")
    return fig, ax, True


def _header(fig: Figure, title: str, note: str, width: float) -> tuple[float, float, Any]:
    """Title (top-left) and caption (bottom-left) of a figure ``width`` inches wide.

    Both are wrapped to the figure's width. Returns the room they take at the top and at the
    bottom (points, edges and gaps included) and a function that pins them once the figure's
    height is known.
    """
    room = width * 72 - 2 * _EDGE
    title = _wrap_to(title, room, _TITLE_SIZE, bold=True)
    top = _EDGE + _text_height(title, _TITLE_SIZE) + _GAP
    bottom = _EDGE
    if note:
        note = _wrap_to(note, room, _NOTE_SIZE)
        bottom += _text_height(note, _NOTE_SIZE, _NOTE_SPACING) + _GAP

    def pin(height: float) -> None:
        w, h = width * 72, height
        fig.suptitle(
            title,
            x=_EDGE / w,
            y=1 - _EDGE / h,
            ha="left",
            va="top",
            fontsize=_TITLE_SIZE,
            fontweight="bold",
        )
        if note:
            fig.supxlabel(
                note,
                x=_EDGE / w,
                y=_EDGE / h,
                ha="left",
                va="bottom",
                fontsize=_NOTE_SIZE,
                color="0.3",
                linespacing=_NOTE_SPACING,
            )

    return top, bottom, pin


def _fit(
    ax: Axes,
    *,
    title: str,
    note: str = "",
    width: float,
    plot_height: float,
    left: float,
    right: float,
    below: float,
    above: float = 0.0,
    xticks: float | None = None,
    yticks: float | None = None,
) -> float:
    """Lay out a one-axes figure made here; return the axes' width (inches).

    The figure is ``width`` inches wide; its height is the axes' ``plot_height`` (inches) plus
    the room around them (points): ``left``/``right``/``below``/``above`` for what belongs to
    the axes (tick labels, axis labels, legends), the title above and the caption below.
    ``xticks``/``yticks``: the room of the tick labels alone, to pin the axis labels beyond
    them (:func:`_pin_labels`).
    """
    fig = ax.figure
    top, bottom, pin = _header(fig, title, note, width)
    top += above
    bottom += below
    w = width * 72
    h = top + 72 * plot_height + bottom
    fig.set_size_inches(width, h / 72)
    left += _EDGE
    right += _EDGE
    ax.set_position([left / w, bottom / h, (w - left - right) / w, 72 * plot_height / h])
    pin(h)
    _pin_labels(ax, w - left - right, 72 * plot_height, xticks=xticks, yticks=yticks)
    return (w - left - right) / 72


def _pin_labels(
    ax: Axes, width: float, height: float, *, xticks: float | None, yticks: float | None
) -> None:
    """Put the axis labels of axes ``width`` x ``height`` points where matplotlib would.

    ``xticks``/``yticks`` are the room (points) the tick labels take below and left of the
    axes. Placed by hand, the labels spare matplotlib measuring every tick label once more
    at each draw to place them.
    """
    from matplotlib import rcParams

    pad = float(rcParams["axes.labelpad"])
    if xticks is not None:
        ax.xaxis.set_label_coords(0.5, -(xticks + pad) / height)
    if yticks is not None:
        ax.yaxis.set_label_coords(-(yticks + pad) / width, 0.5)


def _plot_width(width: float, left: float, right: float) -> float:
    """Width (inches) that :func:`_fit` leaves for the axes."""
    return (width * 72 - left - right - 2 * _EDGE) / 72


def _fit_legend_right(
    ax: Axes,
    legend: Sequence[str],
    *,
    width: float,
    left: float,
    min_height: float,
    **kwargs: Any,
) -> float:
    """:func:`_fit` for axes with a one-column legend (8.5 pt) anchored at x = 1.01 beside them.

    The axes are at least ``min_height`` inches tall, taller if the legend needs it;
    ``kwargs`` go to :func:`_fit`.
    """
    legend_w, legend_h = _legend_size(legend, 8.5)
    plot_w = (_plot_width(width, left, legend_w) * 72) / 1.01
    return _fit(
        ax,
        width=width,
        plot_height=max(min_height, legend_h / 72),
        left=left,
        right=legend_w + 0.01 * plot_w,
        **kwargs,
    )


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def _titles(ax: Axes, title: str, note: str = "") -> None:
    """A bold title and a grey note saying how to read the plot, above axes given by a caller.

    (On a figure made here the title heads the figure and the note is a caption at its foot:
    see :func:`_fit`.)
    """
    # Wrapped to the room the axes will have: its grid cell less its y tick labels, which a
    # layout engine will make room for by narrowing the axes.
    fig = ax.figure
    spec = ax.get_subplotspec()
    if spec is not None:
        cell = len(spec.colspan) / spec.get_gridspec().ncols
    else:
        cell = ax.get_position().width
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    room = cell * fig.get_figwidth() * 72 - (_yaxis_room(ticks) if ticks else 0.0)
    room = max(0.9 * room - 2 * _EDGE, 72.0)
    title = _wrap_to(title, room, 11, bold=True)
    note = _wrap_to(note, room, 8.5) if note else ""
    lines = note.count("\n") + 1 if note else 0
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=6 + 11 * lines)
    if note:
        ax.annotate(
            note,
            xy=(0, 1),
            xycoords="axes fraction",
            xytext=(0, 5),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=8.5,
            color="0.3",
        )


def _note(ax: Axes, text: str) -> None:
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=10,
        color="0.3",
        wrap=True,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _clean(ax: Axes, *, grid: str = "x") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(axis=grid, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)


# --- 1. the posterior ------------------------------------------------------------------------


def plot_posterior(
    forecast: Forecast | xr.Dataset, *, ax: Axes | None = None
) -> tuple[Figure, Axes]:
    """Each scenario's posterior probability with its credible interval, beside the prior.

    Parameters
    ----------
    forecast
        A :class:`~forecasting.Forecast`, or its ``forecast`` group as a Dataset (variables
        ``probability``, ``prior``, ``interval``; scenario labels from a ``label`` coordinate;
        title and as-of date from the attributes ``title`` and ``as_of`` when present).
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One horizontal bar per scenario (declared order, first at top; ``ax.patches``), the
        interval as an error bar and the prior as a hollow diamond.
    """
    ds = forecast if isinstance(forecast, xr.Dataset) else _posterior_data(forecast)
    scenarios = [str(s) for s in ds[SCENARIO].values]
    names = _coord(ds, "label", SCENARIO, None)
    labels = _labels_of({s: n for s, n in zip(scenarios, names, strict=True) if n}, scenarios)
    colors = scenario_colors(scenarios)
    k = len(scenarios)
    fig, ax, own = _figure(ax, (8.5, 1.3 + 0.55 * k))
    p = np.asarray(ds["probability"].values, dtype=float)
    prior = np.asarray(ds["prior"].values, dtype=float)
    lo = np.asarray(ds["interval"].sel({CI_BOUND: "lower"}).values, dtype=float)
    hi = np.asarray(ds["interval"].sel({CI_BOUND: "upper"}).values, dtype=float)
    level = ds.attrs.get("interval_prob", 0.9)
    y = np.arange(k)
    ax.barh(y, p, height=0.6, color=[colors[s] for s in scenarios], alpha=0.85, zorder=2)
    ax.errorbar(
        p,
        y,
        xerr=[np.clip(p - lo, 0, None), np.clip(hi - p, 0, None)],
        fmt="none",
        ecolor="0.15",
        elinewidth=1.2,
        capsize=4,
        zorder=3,
        label=f"{_pct(float(level))} credible interval",
    )
    ax.scatter(
        prior,
        y,
        marker="D",
        s=46,
        facecolor="white",
        edgecolor="0.15",
        linewidth=1.3,
        zorder=4,
        label="prior",
    )
    pcts = [_pct(pk) for pk in p]
    spans = [f"[{_pct(lk)}\u2013{_pct(hk)}]" for lk, hk in zip(lo, hi, strict=True)]
    # the interval starts after the widest probability
    at = max(48.0, 16 + _widest(pcts, 10, bold=True))
    for yi, (pct, span) in enumerate(zip(pcts, spans, strict=True)):
        ax.annotate(
            pct,
            xy=(1.0, yi),
            xycoords=("axes fraction", "data"),
            xytext=(8, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=10,
            fontweight="bold",
            color=_text_color(colors[scenarios[yi]]),
        )
        ax.annotate(
            span,
            xy=(1.0, yi),
            xycoords=("axes fraction", "data"),
            xytext=(at, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=9,
            color="0.35",
        )
    rows = [textwrap.fill(labels[s], 30) for s in scenarios]
    ax.set_yticks(y, rows)
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis)
    ax.set_xlabel("probability")
    _clean(ax)
    as_of = ds.attrs.get("as_of")
    title = _shorten(str(ds.attrs.get("title", "Scenario probabilities")), 70)
    note = (
        f"Posterior scenario probabilities{f' as of {as_of}' if as_of else ''} (bars) with "
        f"{_pct(float(level))} credible intervals (whiskers) and the prior (\u25c7)."
    )
    if not own:
        _titles(ax, title, note)
        return fig, ax
    lines = max(r.count("\n") + 1 for r in rows) if rows else 1
    _fit(
        ax,
        title=title,
        note=note,
        width=8.5,
        plot_height=max(k, 1) * max(0.55, 0.2 + lines * 0.18),
        left=_yaxis_room(rows),
        right=at + _widest(spans, 9) + 2,
        below=_xaxis_room(xlabel="probability"),
        xticks=_xaxis_room(),
        yticks=_yaxis_room(rows),
    )
    return fig, ax


def _posterior_data(forecast: Forecast) -> xr.Dataset:
    """The ``forecast`` group of a forecast, with its labels, title and as-of date."""
    ds = forecast.tree["forecast"].to_dataset()
    labels = forecast.labels
    ds = ds.assign_coords(label=(SCENARIO, [labels.get(s, s) for s in forecast.scenarios]))
    ds.attrs.update(title=str(forecast.title), as_of=str(forecast.as_of))
    return ds


# --- 2. evidence influence -------------------------------------------------------------------


def plot_evidence_influence(
    influence: xr.Dataset,
    *,
    labels: Mapping[str, str] | None = None,
    top: int | None = 20,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Heatmap of how much each item of evidence moves each scenario's probability.

    Parameters
    ----------
    influence
        Output of :func:`forecasting.sensitivity.evidence_influence` (dims ``item, scenario``:
        ``shift``, ``diagnosticity``, coordinate ``item_indicator``).
    labels
        Scenario id to label, for the column headings (ids when ``None``).
    top
        Number of items shown, the most diagnostic ones; all when ``None``.
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One row per item (most diagnostic at top), one column per scenario, each cell the
        shift (with minus without the item) in percentage points; a colorbar.
    """
    scenarios = [str(s) for s in influence[SCENARIO].values]
    names = _labels_of(labels, scenarios)
    colors = scenario_colors(scenarios)
    items = [str(i) for i in influence[ITEM].values]
    diag = np.asarray(influence["diagnosticity"].values, dtype=float)
    order = np.argsort(-diag, kind="stable")
    if top is not None:
        order = order[:top]
    n = len(order)
    fig, ax, own = _figure(ax, (10.0, 2.2 + 0.3 * max(n, 3)))
    title = "Evidence influence: how much each item of evidence moves the forecast"
    if n == 0 or not scenarios:
        _note(ax, "No evidence items.")
        if own:
            _fit(ax, title=title, width=10.0, plot_height=1.5, left=0, right=0, below=0)
        else:
            _titles(ax, title)
        return fig, ax
    k = len(scenarios)
    shift = np.asarray(influence["shift"].transpose(ITEM, SCENARIO).values, dtype=float)[order]
    indicators = _coord(influence, "item_indicator", ITEM)
    vmax = float(np.nanmax(np.abs(shift))) if np.isfinite(shift).any() else 0.0
    vmax = max(vmax, 1e-4)
    im = ax.imshow(
        shift, cmap=DIVERGING, vmin=-vmax, vmax=vmax, aspect="auto", interpolation="nearest"
    )
    cells = [[_pp(v) for v in row] for row in shift]
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
        rows.append(f"{_shorten(items[i])}  [{_readable(ind)}]" if ind else _shorten(items[i]))
    columns = [textwrap.fill(names[s], 18) for s in scenarios]
    diags = [f"{diag[i]:.2f}" for i in order]
    shrink = min(1.0, 6 / max(n, 1) + 0.3)
    shown = f"the {n} most diagnostic of {len(items)} items" if n < len(items) else "items"
    note = (
        "Cells: the probability with the item minus without it, in percentage points. "
        f"Rows: {shown}, sorted by diagnosticity (|log BF|: the largest absolute log Bayes "
        "factor of one scenario against the rest)."
    )
    if own:
        # room right of the cells: the diagnosticity column, then the colorbar with its
        # tick labels (at most as wide as the widest end value) and its label
        cbar_gap, cbar_w = 18.0, 13.0
        ends = [_pp(v) for v in (-vmax, vmax, -10 * vmax, 10 * vmax)]
        diag_w = max(_widest(diags, 8), _text_width("|log BF|", 8, bold=True))
        side = diag_w + cbar_gap + cbar_w + _tick_room("y") + _widest(ends, 8) + 4
        side += _text_height("shift", 9)
        left = _yaxis_room(rows, 8.5)
        # each column at least as wide as its cells and the longest word of its heading;
        # headings wider than their column are wrapped to it
        words = [w for s in scenarios for w in names[s].split()]
        col_w = max(_widest(words, 9, bold=True), _widest([c for r in cells for c in r], 8.5))
        width = 10.0
        heat_w = _plot_width(width, left, side) * 72 / 1.015
        if heat_w < k * (col_w + 8):
            width = math.ceil((k * (col_w + 8) * 1.015 + left + side + 2 * _EDGE) / 7.2) / 10
            heat_w = _plot_width(width, left, side) * 72 / 1.015
        room = heat_w / k - 8
        columns = [
            c if _text_width(c, 9, bold=True) <= room else _wrap_to(names[s], room, 9, bold=True)
            for c, s in zip(columns, scenarios, strict=True)
        ]
    ax.set_yticks(np.arange(n), rows, fontsize=8.5)
    ax.set_xticks(np.arange(k), columns, fontsize=9)
    for tick, s in zip(ax.get_xticklabels(), scenarios, strict=True):
        tick.set_color(_text_color(colors[s]))
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
        _fit(
            ax,
            title=title,
            note=note,
            width=width,
            plot_height=0.32 * max(n, 2),
            left=left,
            right=side + 0.015 * heat_w,
            below=_xaxis_room(columns, size=9),
            xticks=_xaxis_room(columns, size=9),
            yticks=left,
        )
        box = ax.get_position()
        fw = width * 72
        x0 = box.x1 + (0.015 * heat_w + diag_w + cbar_gap) / fw
        h = box.height * shrink
        cax = fig.add_axes((x0, box.y0 + (box.height - h) / 2, cbar_w / fw, h))
        cbar = fig.colorbar(im, cax=cax)
    cbar.ax.yaxis.set_major_formatter(lambda v, _pos: _pp(v).removesuffix(".0"))
    cbar.set_label("shift (percentage points)", fontsize=9)
    cbar.ax.tick_params(labelsize=8)
    if not own:
        _titles(ax, title, note)
    return fig, ax


# --- 3./4. judgement sensitivity: tornado charts ----------------------------------------------


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
    "unit. Line: the probability as elicited."
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
    return {"q0": _pct(float(q[0])), "q1": _pct(float(q[1]))}


def _tornado_rows(ds: xr.Dataset, scenario: str, top: int) -> np.ndarray:
    """The judgements of a tornado chart, by decreasing absolute swing of ``scenario``."""
    swing = np.asarray(ds["swing"].sel({SCENARIO: scenario}).values, dtype=float)
    return np.argsort(-np.abs(swing), kind="stable")[: max(int(top), 0)]


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
) -> int:
    """Draw the tornado of ``scenario`` into ``ax``; return the number of bars.

    ``names`` are the judgements' row labels (:func:`_judgement_names`, computed when
    ``None``); ``plot_width`` the axes' width in inches when known.
    """
    order = _tornado_rows(ds, scenario, top)
    probs = ds["probability"].sel({SCENARIO: scenario})
    p_low = np.asarray(probs.sel({SETTING: "low"}).values, dtype=float)[order]
    p_high = np.asarray(probs.sel({SETTING: "high"}).values, dtype=float)[order]
    base = _base_probability(ds, scenario)
    all_names = _judgement_names(ds) if names is None else names
    rows = [all_names[i] for i in order]
    n = len(order)
    if n == 0:
        _note(ax, "No judgements.")
        return 0
    y = np.arange(n)
    centre = np.full(n, base) if math.isfinite(base) else 0.5 * (p_low + p_high)
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
        units = _coord(ds, "judgement_unit", JUDGEMENT)
        low_v = _coord(ds, "low_value", JUDGEMENT, math.nan)
        high_v = _coord(ds, "high_value", JUDGEMENT, math.nan)
        for yi, j in enumerate(order):
            ends = [
                (p_low[yi], _fmt_value(low_v[j], units[j])),
                (p_high[yi], _fmt_value(high_v[j], units[j])),
            ]
            ends.sort(key=lambda e: e[0])
            for (x, text), side in zip(ends, (-1, 1), strict=True):
                ends_text.append(text)
                ax.annotate(
                    text,
                    xy=(x, yi),
                    xytext=(3 * side, 0),
                    textcoords="offset points",
                    ha="right" if side < 0 else "left",
                    va="center",
                    fontsize=fs,
                    fontstyle="italic",
                    color="0.3",
                    annotation_clip=False,
                    in_layout=False,  # inside the axes: no need to measure it for the layout
                )
    ax.set_yticks(y, rows, fontsize=fs + 0.5)
    ax.set_ylim(n - 0.5, -0.6)
    lo = float(np.nanmin(np.concatenate([p_low, p_high, centre])))
    hi = float(np.nanmax(np.concatenate([p_low, p_high, centre])))
    span = max(hi - lo, 0.01)
    if compact:
        pad = 0.08 * span
    else:
        pad = max(0.12 * span, _label_pad(ax, span, _widest(ends_text, fs), plot_width))
    _bounded_percent_axis(ax, lo - pad, hi + pad)
    ax.tick_params(axis="x", labelsize=fs + 0.5)
    _clean(ax)
    return n


def plot_tornado(
    sensitivity: xr.Dataset,
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
        setting, scenario``).
    scenario
        The scenario whose probability is shown; the leader (``attrs["leader"]``) by default.
    labels
        Scenario id to label (ids when ``None``).
    top
        Number of judgements shown, those with the largest absolute swing on the scenario.
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        For each judgement, a bar from the scenario's probability with the judgement at its
        low value (pale) to that at its high value (full colour), about the base probability
        (black line); bar ends labelled with the judgement's values in its own unit.
    """
    scenarios = _scenario_order(sensitivity)
    scenario = str(scenario or sensitivity.attrs.get("leader") or scenarios[0])
    if scenario not in scenarios:
        raise KeyError(f"no scenario '{scenario}' (scenarios: {', '.join(scenarios)})")
    names = _labels_of(labels, scenarios)
    color = scenario_colors(scenarios)[scenario]
    n_rows = min(int(top), sensitivity.sizes.get(JUDGEMENT, 0))
    fig, ax, own = _figure(ax, (10.5, 2.0 + 0.32 * max(n_rows, 3)))
    title = f"Judgement sensitivity: {_clip(names[scenario], 60)}"
    xlabel = f"probability of: {_clip(names[scenario], 60)}"
    note = _TORNADO_NOTE.format(**_quantiles(sensitivity))
    if not own:
        _draw_tornado(ax, sensitivity, scenario, color=color, top=top, compact=False)
        ax.set_xlabel(xlabel)
        _titles(ax, title, note)
        return fig, ax
    jnames = _judgement_names(sensitivity)
    rows = [jnames[i] for i in _tornado_rows(sensitivity, scenario, top)]
    width, left, right = 10.5, _yaxis_room(rows, 8.5), 14.0
    plot_width = _plot_width(width, left, right)
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
    _fit(
        ax,
        title=title,
        note=note,
        width=width,
        plot_height=0.34 * max(n_rows, 3),
        left=left,
        right=right,
        below=_xaxis_room(size=8.5, xlabel=xlabel),
        xticks=_xaxis_room(size=8.5),
        yticks=left,
    )
    return fig, ax


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
    scenarios = _scenario_order(sensitivity)
    names = _labels_of(labels, scenarios)
    colors = scenario_colors(scenarios)
    jnames = _judgement_names(sensitivity)
    titles = {s: _wrap(names[s], 40) for s in scenarios}
    made_here = axes is None
    if made_here:
        import matplotlib.pyplot as plt

        k = max(len(scenarios), 1)
        ncols = 1 if k == 1 else 2
        nrows = math.ceil(k / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(7.2 * ncols, 8.0), layout="none")
        axes = np.asarray(axes, dtype=object).reshape(nrows, ncols)
        _grid_layout(fig, axes, sensitivity, scenarios, jnames, names, titles, top)
    axes = np.asarray(axes, dtype=object)
    flat = axes.reshape(-1)
    if len(flat) < len(scenarios):
        raise ValueError(f"need {len(scenarios)} axes, got {len(flat)}")
    fig = flat[0].figure
    for a, s in zip(flat, scenarios, strict=False):
        _draw_tornado(a, sensitivity, s, color=colors[s], top=top, compact=True, names=jnames)
        a.set_title(
            titles[s],
            loc="left",
            fontsize=10,
            fontweight="bold",
            color=_text_color(colors[s]),
            # on a figure made here nothing is above the axes: a fixed title position
            # spares measuring the tick labels again to place it
            y=1.0 if made_here else None,
        )
    for a in flat[len(scenarios) :]:
        a.set_visible(False)
    return fig, axes


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
        lefts.append(_yaxis_room(labels, fs))
    right, gap, row_gap = 14.0, 22.0, 12.0
    width = 7.2 * ncols
    pw = (width * 72 - 2 * _EDGE - sum(lefts) - ncols * right - (ncols - 1) * gap) / ncols
    if pw < 160:  # long labels: a wider figure rather than narrow panels
        width = math.ceil((width * 72 + ncols * (160 - pw)) / 72 * 10) / 10
        pw = 160.0
    # panel titles wider than the room up to the next panel's title are wrapped to it
    for (_r, c), s in panel.items():
        room = pw + right + (gap + lefts[c + 1] if c + 1 < ncols else _EDGE - 2)
        if _text_width(titles[s], 10, bold=True) > room:
            titles[s] = _wrap_to(names[s], room, 10, bold=True)
    q = _quantiles(ds)
    legend_title = _wrap_to(
        f"Each elicited quantity moved over its range (likelihoods: {q['q0']}\u2013"
        f"{q['q1']} quantiles; priors, reliabilities: odds halved and doubled), "
        "the others as elicited",
        width * 72 - 2 * _EDGE,
        8.5,
    )
    em = 8.5
    legend_h = (
        _text_height(legend_title, em)
        + _text_height("x", em)
        + em * (float(rcParams["legend.labelspacing"]) + 2 * float(rcParams["legend.borderpad"]))
    )
    top_room, _, pin = _header(fig, _GRID_TITLE, "", width)
    title_pad = float(rcParams["axes.titlepad"])
    title_h = [
        max(
            (_text_height(titles[panel[(r, c)]], 10) for c in range(ncols) if (r, c) in panel),
            default=0.0,
        )
        + title_pad
        for r in range(nrows)
    ]
    plot_h = 72 * 0.27 * max(rows, 3)
    below = _xaxis_room(size=fs)
    height = (
        top_room
        + sum(title_h)
        + nrows * (plot_h + below)
        + (nrows - 1) * row_gap
        + _GAP
        + legend_h
        + _EDGE
    )
    fig.set_size_inches(width, height / 72)
    w = width * 72
    y = height - top_room
    for r in range(nrows):
        y -= title_h[r] + plot_h
        x = _EDGE
        for c in range(ncols):
            x += lefts[c]
            axes[r, c].set_position((x / w, y / height, pw / w, plot_h / height))
            _pin_labels(axes[r, c], pw, plot_h, xticks=below, yticks=lefts[c])
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
        bbox_to_anchor=(0.5, _EDGE / height),
        borderaxespad=0,
        ncol=3,
        fontsize=8.5,
        frameon=False,
        title=legend_title,
        title_fontsize=8.5,
    )


# --- 5. tipping points -----------------------------------------------------------------------


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
    scenarios = _scenario_order(tipping)
    for s in list(_coord(tipping, "leader_below", JUDGEMENT)) + list(
        _coord(tipping, "leader_above", JUDGEMENT)
    ):
        if s and str(s) not in scenarios:
            scenarios.append(str(s))
    colors = scenario_colors(scenarios)
    names = _labels_of(labels, scenarios)
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
    fig, ax, own = _figure(ax, (9.5, 2.2 + 0.36 * max(n, 3)))
    leader_name = _shorten(names.get(leader, leader), 50)
    title = "Judgement sensitivity: tipping points of the leading scenario"
    if n == 0:
        _note(
            ax,
            f"No judgement, moved anywhere within its allowed range,\ncan change the leading "
            f"scenario ({leader_name}).",
        )
        if own:
            _fit(ax, title=title, width=9.5, plot_height=1.5, left=0, right=0, below=0)
        else:
            _titles(ax, title)
        return fig, ax
    jnames = _judgement_names(tipping)
    legend: list[str] = []
    units = _coord(tipping, "judgement_unit", JUDGEMENT)
    lead_b = _coord(tipping, "leader_below", JUDGEMENT)
    lead_a = _coord(tipping, "leader_above", JUDGEMENT)
    y = np.arange(n)
    seen: set[str] = set()
    legend.append(_legend_label("range the judgement was moved over (low\u2013high)"))
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
                legend.append(_legend_label(f"then leads: {names.get(who, who)}"))
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
                _fmt_value(raw, units[j]),
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
    _clean(ax)
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
        _titles(ax, title, note)
        return fig, ax
    width, left = 9.5, _yaxis_room(rows, 8.5)
    legend_w, legend_h = _legend_size(legend, 8)
    # the legend starts 1% of the axes' width right of them
    plot_w = (_plot_width(width, left, legend_w) * 72) / 1.01
    _fit(
        ax,
        title=title,
        note=note,
        width=width,
        plot_height=max(0.36 * max(n, 3), legend_h / 72),
        left=left,
        right=legend_w + 0.01 * plot_w,
        below=_xaxis_room(xlabel=xlabel),
        xticks=_xaxis_room(),
        yticks=left,
    )
    return fig, ax


# --- 6. value of information -----------------------------------------------------------------


def plot_value_of_information(voi: xr.Dataset, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """What one more observation of each indicator is expected to tell.

    Parameters
    ----------
    voi
        Output of :func:`forecasting.sensitivity.value_of_information`.
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One bar per indicator, sorted (most informative at top): the expected entropy
        reduction in nats, annotated with the probability that the leading scenario changes.
    """
    inds = [str(i) for i in voi[INDICATOR].values]
    gain = np.asarray(voi["entropy_reduction"].values, dtype=float)
    change = np.asarray(voi["p_leader_change"].values, dtype=float)
    order = np.argsort(-np.nan_to_num(gain, nan=-np.inf), kind="stable")
    n = len(order)
    fig, ax, own = _figure(ax, (9.0, 1.9 + 0.4 * max(n, 3)))
    title = "Value of information: which indicator to watch next"
    if n == 0:
        _note(ax, "No indicators.")
        if own:
            _fit(ax, title=title, width=9.0, plot_height=1.5, left=0, right=0, below=0)
        else:
            _titles(ax, title)
        return fig, ax
    y = np.arange(n)
    ax.barh(y, gain[order], height=0.62, color=NEUTRAL, alpha=0.85, zorder=2)
    notes = [f"{gain[j]:.3f}   leader changes: {_pct(change[j])}" for j in order]
    for yi, (j, text) in enumerate(zip(order, notes, strict=True)):
        ax.annotate(
            text,
            xy=(gain[j], yi),
            xytext=(5, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8.5,
            color="0.2",
            annotation_clip=False,
            in_layout=False,  # inside the axes: no need to measure it for the layout
        )
    rows = [_shorten(_readable(inds[j])) for j in order]
    ax.set_yticks(y, rows, fontsize=9)
    ax.set_ylim(n - 0.5, -0.5)
    gmax = max(float(np.nanmax(gain)) if np.isfinite(gain).any() else 0.0, 1e-6)
    xlabel = "expected reduction in the entropy of the scenario probabilities (nats)"
    ax.set_xlabel(xlabel)
    _clean(ax)
    h0 = voi.attrs.get("entropy")
    leader = voi.attrs.get("leader")
    sub = "Expected information from one more confirmed observation of each indicator"
    if h0 is not None:
        sub += f" (current entropy of the scenario probabilities: {float(h0):.2f} nats)"
    sub += "; annotated: the probability that it changes the leading scenario"
    sub += f" ({leader})." if leader else "."
    if not own:
        ax.set_xlim(0, gmax * 1.55)
        _titles(ax, title, sub)
        return fig, ax
    width, left, right = 9.0, _yaxis_room(rows, 9), 14.0
    # room right of the longest bar for its annotation
    frac = min((_widest(notes, 8.5) + 10) / 72 / _plot_width(width, left, right), 0.6)
    ax.set_xlim(0, gmax * max(1.55, 1 / (1 - frac)))
    _fit(
        ax,
        title=title,
        note=sub,
        width=width,
        plot_height=0.42 * max(n, 3),
        left=left,
        right=right,
        below=_xaxis_room(xlabel=xlabel),
        xticks=_xaxis_room(),
        yticks=left,
    )
    return fig, ax


# --- 7. a sweep of one judgement -------------------------------------------------------------


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
    names = _labels_of(labels, scenarios)
    fig, ax, own = _figure(ax, (9.0, 4.6))
    value_dim = next(d for d in curve.dims if d != SCENARIO)
    x = np.asarray(curve[value_dim].values, dtype=float)
    order = np.argsort(x)
    legend = [_legend_label(names[s]) for s in scenarios]
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
    if base is not None and math.isfinite(float(base)):
        ax.axvline(float(base), color="0.15", linestyle="--", linewidth=1.0, zorder=0)
        ax.annotate(
            f"as elicited: {_fmt_value(float(base), unit)}",
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
    _percent_axis(ax.yaxis)
    if unit.startswith("P(") or unit == "prior probability":
        _percent_axis(ax.xaxis)
    ax.set_xlabel(unit)
    ax.set_ylabel("probability")
    _clean(ax, grid="both")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    label = str(curve.attrs.get("label", curve.attrs.get("judgement", "judgement")))
    jd = xr.Dataset(
        coords={
            JUDGEMENT: [curve.attrs.get("judgement", label)],
            **{
                f"judgement_{k}": (JUDGEMENT, [v])
                for k, v in _parse_judgement(str(curve.attrs.get("judgement", ""))).items()
            },
            "judgement_unit": (JUDGEMENT, [unit]),
            "judgement_label": (JUDGEMENT, [label]),
        }
    )
    title = f"Judgement sensitivity: {_judgement_names(jd)[0]}"
    note = (
        "Scenario probabilities as this one elicited quantity moves, all else as elicited; "
        "dashed line: its value as elicited."
    )
    if not own:
        _titles(ax, title, note)
        return fig, ax
    _fit_legend_right(
        ax,
        legend,
        width=9.0,
        left=_yaxis_room(["100%"], ylabel="probability"),
        min_height=3.4,
        title=title,
        note=note,
        below=_xaxis_room(xlabel=unit),
        xticks=_xaxis_room(),
        yticks=_yaxis_room(["100%"]),
    )
    return fig, ax


def _parse_judgement(jid: str) -> dict[str, str]:
    """Kind, target, scenario and category from a judgement id such as ``likelihood:x:s:c``."""
    parts = jid.split(":")
    kind = parts[0] if parts else ""
    out = {"kind": kind, "target": "", "scenario": "", "category": ""}
    if kind == "likelihood" and len(parts) >= 3:
        out.update(target=parts[1], scenario=parts[2], category=":".join(parts[3:]))
    elif kind == "prior" and len(parts) >= 2:
        out.update(target=parts[1], scenario=parts[1])
    elif kind == "reliability" and len(parts) >= 2:
        out.update(target=":".join(parts[1:]))
    elif kind != "concentration":
        out["kind"] = ""
    return out


# --- 8. the next observation -----------------------------------------------------------------


def plot_next_observation(
    nxt: xr.Dataset,
    indicator: str,
    *,
    labels: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """The forecast after each possible next observation of one indicator.

    Parameters
    ----------
    nxt
        Output of :func:`forecasting.sensitivity.next_observation`.
    indicator
        The indicator whose next observation is shown.
    labels
        Scenario id to label, for the legend (ids when ``None``).
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One stacked bar per possible outcome (scenario colours), each topped by the
        outcome's predictive probability; outlined bars change the leading scenario.
    """
    scenarios = [str(s) for s in nxt[SCENARIO].values]
    colors = scenario_colors(scenarios)
    names = _labels_of(labels, scenarios)
    which = np.asarray(nxt["outcome_indicator"].values).astype(str) == str(indicator)
    if not which.any():
        known = sorted(set(np.asarray(nxt["outcome_indicator"].values).astype(str)))
        raise KeyError(f"no indicator '{indicator}' (indicators: {', '.join(known)})")
    sub = nxt.isel(outcome=np.flatnonzero(which))
    values = [_readable(v) for v in np.asarray(sub["outcome_value"].values).astype(str)]
    pred = np.asarray(sub["predictive_probability"].values, dtype=float)
    post = np.asarray(sub["probability"].transpose(..., SCENARIO).values, dtype=float)
    flips = np.asarray(sub["flips"].values, dtype=bool)
    m = len(values)
    fig, ax, own = _figure(ax, (6.8 + 0.55 * m, 4.8))
    x = np.arange(m)
    # the first scenario on top, as in the legend and in the other plots
    tops = np.cumsum(post[:, ::-1], axis=1)[:, ::-1]
    for k, s in enumerate(scenarios):
        ax.bar(
            x,
            post[:, k],
            bottom=tops[:, k] - post[:, k],
            width=0.72,
            color=colors[s],
            edgecolor="white",
            linewidth=0.5,
            label=_legend_label(names[s]),
            zorder=2,
        )
    flipping = np.flatnonzero(flips)
    if len(flipping):
        ax.bar(
            flipping,
            np.ones(len(flipping)),
            width=0.72,
            fill=False,
            edgecolor="0.1",
            linewidth=1.8,
            zorder=3,
            label="changes the leader",
        )
    ticks = [f"{textwrap.fill(v, 12)}\n{_pct(p)}" for v, p in zip(values, pred, strict=True)]
    ax.set_xticks(x, ticks, fontsize=8.5)
    ax.set_ylim(0, 1.0)
    ax.set_xlim(-0.6, m - 0.4)
    _percent_axis(ax.yaxis)
    ax.set_ylabel("probability after the observation")
    ax.set_xlabel("next observation (and how likely it is)")
    _clean(ax, grid="")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    leader = nxt.attrs.get("leader")
    title = f"Next observation: {_shorten(_readable(indicator), 50)}"
    note = (
        "Scenario probabilities after each possible next observation (one more item of "
        "evidence), with how likely each is"
        + (f"; outlined: the leader ({leader}) would change." if leader else ".")
    )
    if not own:
        _titles(ax, title, note)
        return fig, ax
    legend = [_legend_label(names[s]) for s in scenarios]
    if len(flipping):
        legend.append("changes the leader")
    _fit_legend_right(
        ax,
        legend,
        width=6.8 + 0.55 * m,
        left=_yaxis_room(["100%"], ylabel="probability after the observation"),
        min_height=3.2,
        title=title,
        note=note,
        below=_xaxis_room(ticks, xlabel="next observation (and how likely it is)", size=8.5),
        xticks=_xaxis_room(ticks, size=8.5),
        yticks=_yaxis_room(["100%"]),
    )
    return fig, ax


# --- 10. history -----------------------------------------------------------------------------


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
    fig, ax, own = _figure(ax, (8.4, 4.6))
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
            label=_legend_label(names[s]),
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
    _percent_axis(ax.yaxis)
    ax.set_ylabel("probability")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    if n <= 12:
        ax.set_xticks(dates)
    ax.tick_params(axis="x", labelrotation=30)
    _clean(ax, grid="y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    title = f"Trajectory: {str(history.attrs.get('title', '')) or 'Forecast'}"
    note = (
        "Each archived forecast (latest revision per as-of date): lines are the scenario "
        "probabilities, dashed bands their 90% credible intervals"
        + ("; ringed: flagged forecasts." if any_flagged else ".")
    )
    if not own:
        _titles(ax, title, note)
        return fig, ax
    legend = [_legend_label(names[s]) for s in scenarios]
    # date labels turned by 30 degrees
    size = _rc_size("xtick.labelsize")
    date_w, date_h = _text_width("2025-10-27", size), _text_height("0", size)
    _fit_legend_right(
        ax,
        legend,
        width=8.4,
        left=_yaxis_room(["100%"], ylabel="probability"),
        min_height=3.2,
        title=title,
        note=note,
        below=_tick_room("x") + date_w * 0.5 + date_h * 0.87,
        yticks=_yaxis_room(["100%"]),
    )
    return fig, ax


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Save one figure as PNG the way :func:`save_all` does, and close it."""
    _ensure_backend()
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_png(fig, path)
    finally:
        plt.close(fig)
    return path


def _write_png(fig: Figure, path: Path) -> None:
    """Draw ``fig`` at :data:`DPI` on white and write it as an RGB PNG.

    With the Agg canvas (the default) the figure is drawn once and its pixels are written by
    :func:`_png` (half the time Pillow takes through ``savefig``); with any other canvas,
    through ``savefig``. Either way the figure is left at :data:`DPI`: close it after.
    """
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with plt.rc_context(_FAST_TEXT):
        if type(fig.canvas) is not FigureCanvasAgg:
            fig.savefig(path, dpi=DPI, facecolor="white", pil_kwargs={"compress_level": 1})
            return
        fig.set_dpi(DPI)
        fig.patch.set_facecolor("white")
        fig.canvas.draw()
    path.write_bytes(_png(np.asarray(fig.canvas.buffer_rgba())))


def _png(rgba: np.ndarray) -> bytes:
    """An opaque RGBA image as an RGB PNG: no row filter, fastest deflate, :data:`DPI`.

    Plots are mostly flat colour, so unfiltered rows compress as well as Pillow's adaptive
    filters, which take most of its encoding time.
    """
    import struct
    import zlib

    import matplotlib

    h, w = rgba.shape[:2]
    rows = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:].reshape(h, w, 3)[...] = rgba[..., :3]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ppm = round(DPI / 0.0254)
    software = f"Software\0Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            chunk(b"tEXt", software.encode("latin-1")),
            chunk(b"IDAT", zlib.compress(rows, 1)),
            chunk(b"IEND", b""),
        ]
    )


# --- 9. everything to files ------------------------------------------------------------------


def _ensure_backend() -> None:
    """Use Agg when no backend has been chosen (never overrides a chosen one)."""
    import matplotlib

    get = getattr(matplotlib.rcParams, "_get_backend_or_none", None)
    chosen = get() if get is not None else matplotlib.rcParams.get("backend")
    if chosen is None:
        matplotlib.use("Agg")


def _sweep_values(js: xr.Dataset, tp: xr.Dataset | None, jid: str, n: int = 161) -> np.ndarray:
    """Values over which to sweep a judgement: its range, widened to show any flip."""
    one = js.sel({JUDGEMENT: jid})
    base = float(one["base_value"])
    low, high = float(one["low_value"]), float(one["high_value"])
    width = max(high - low, 1e-9)
    lo, hi = low - 0.5 * width, high + 0.5 * width
    if tp is not None and jid in [str(j) for j in tp[JUDGEMENT].values]:
        row = tp.sel({JUDGEMENT: jid})
        for name in ("flip_below", "flip_above"):
            v = float(row[name])
            if math.isfinite(v):
                lo, hi = min(lo, v - 0.15 * width), max(hi, v + 0.15 * width)
        lo = max(lo, float(row["lower_limit"]))
        hi = min(hi, float(row["upper_limit"]))
    lo = max(lo, 0.0)
    unit = str(one["judgement_unit"].item()) if "judgement_unit" in one.coords else ""
    if unit.startswith("P(") or unit in ("prior probability", "reliability weight"):
        hi = min(hi, 1.0 - 1e-4 if unit != "reliability weight" else 1.0)
        lo = max(lo, 1e-4 if unit != "reliability weight" else 0.0)
    return np.unique(np.concatenate([np.linspace(lo, hi, n), [base]]))


def save_all(
    forecast: Forecast,
    tree: xr.DataTree,
    directory: str | Path,
    *,
    workers: int | None = None,
    only: Sequence[str] | None = None,
) -> dict[str, Path]:
    """Write every plot of a forecast and its sensitivity analyses as PNG files.

    Parameters
    ----------
    forecast
        The forecast.
    tree
        Output of :func:`forecasting.sensitivity.sensitivity` for the same forecast.
    directory
        Where to write (created if missing).
    workers
        Processes that draw (1 or 2); default 2 on a multi-core Linux system when this
        process runs no other threads, else 1.
    only
        Draw only these plots (names as below).

    Returns
    -------
    dict
        Plot name to path: ``posterior``, ``evidence_influence``, ``tornado``,
        ``tornado_grid``, ``tipping_points``, ``value_of_information``, ``sweep`` (the
        judgement with the largest swing of the leader), each ``<name>.png``; analyses missing
        from ``tree`` are skipped. (:func:`plot_next_observation` draws one indicator at a
        time, on request.)
    """
    return render_figures(figure_data(forecast, tree, only=only), directory, workers=workers)


#: One figure of :func:`save_all` as plain data: its name, the plot function's name in this
#: module, and the function's arguments (Datasets and strings: they pickle).
FigureData = tuple[str, str, tuple[Any, ...], dict[str, Any]]


def figure_data(
    forecast: Forecast, tree: xr.DataTree, *, only: Sequence[str] | None = None
) -> list[FigureData]:
    """The figures of :func:`save_all` as data, computed without matplotlib.

    :func:`render_figures` draws them, in this process or another one (the ``forecast``
    command hands them to a process that loaded matplotlib while the analyses ran).
    """
    from . import sensitivity as sn

    labels = dict(forecast.labels)
    groups = set(tree.children)

    def ds(name: str) -> xr.Dataset | None:
        return tree[name].to_dataset() if name in groups else None

    ei, js, tp = ds("evidence_influence"), ds("judgement_sensitivity"), ds("tipping_points")
    voi = ds("value_of_information")
    out: list[FigureData] = [("posterior", "plot_posterior", (_posterior_data(forecast),), {})]
    if ei is not None:
        out.append(("evidence_influence", "plot_evidence_influence", (ei,), {"labels": labels}))
    if js is not None:
        out.append(("tornado", "plot_tornado", (js,), {"labels": labels}))
        out.append(("tornado_grid", "plot_tornado_grid", (js,), {"labels": labels}))
    if tp is not None:
        out.append(("tipping_points", "plot_tipping_points", (tp,), {"labels": labels}))
    if voi is not None:
        out.append(("value_of_information", "plot_value_of_information", (voi,), {}))
    if (only is None or "sweep" in only) and js is not None and js.sizes.get(JUDGEMENT, 0):
        jid = str(js[JUDGEMENT].values[int(np.argmax(js["leader_swing"].values))])
        curve = sn.sweep(forecast, jid, _sweep_values(js, tp, jid))
        out.append(("sweep", "plot_sweep", (curve,), {"labels": labels}))
    if only is not None:
        out = [fd for fd in out if fd[0] in set(only)]
    return out


def render_figures(
    figures: Sequence[FigureData], directory: str | Path, *, workers: int | None = None
) -> dict[str, Path]:
    """Draw :func:`figure_data` output into ``directory`` as ``<name>.png``.

    ``workers`` as in :func:`save_all`. Returns plot name to path.
    """
    _ensure_backend()
    import matplotlib.pyplot as plt

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    plot_functions = {name: globals()[name] for name in __all__ if name.startswith("plot_")}
    jobs: list[tuple[str, Any]] = [
        (name, partial(plot_functions[function], *args, **kwargs))
        for name, function, args, kwargs in figures
    ]

    def render(batch: list[tuple[str, Any]]) -> None:
        # matplotlib makes many small objects per figure; pausing the cyclic garbage
        # collector while drawing saves ~5% (restored below, as it was)
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for name, job in batch:
                fig, _ = job()
                try:
                    # the fixed layout already fits every label inside the figure, so no
                    # bbox_inches="tight": it would lay every text out once more (~25% slower)
                    _write_png(fig, directory / f"{name}.png")
                finally:
                    plt.close(fig)
        finally:
            if gc_was_enabled:
                gc.enable()

    if workers is None:
        workers = _default_workers()
    child = None
    if workers > 1 and len(jobs) > 1:
        # drawing is pure Python in matplotlib: split the figures between this process and a
        # forked copy of it, balancing their measured drawing times
        import multiprocessing

        mine, theirs = _split(jobs)
        for name, _ in theirs:
            (directory / f"{name}.png").unlink(missing_ok=True)
        child = multiprocessing.get_context("fork").Process(
            target=_render_and_exit, args=(render, theirs), daemon=True
        )
        with warnings.catch_warnings():
            # the only other threads are the idle worker pools of the BLAS libraries (no
            # Python threads: see _default_workers), which survive a fork
            warnings.filterwarnings(
                "ignore", "This process .* is multi-threaded", DeprecationWarning
            )
            child.start()
        render(mine)
        child.join(timeout=_HELPER_TIMEOUT)
        if child.is_alive():  # hung: stop it and draw its figures here
            child.kill()
            child.join()
        missing = [n for n, _ in theirs if not (directory / f"{n}.png").is_file()]
        if child.exitcode != 0 or missing:  # all of them: a file may be half written
            render(theirs)
    else:
        render(jobs)
    return {name: directory / f"{name}.png" for name, _ in jobs}


#: Seconds to wait for the forked helper of :func:`render_figures` once this process has drawn
#: its share (the two shares take about the same time: about 0.5 s each here).
_HELPER_TIMEOUT = 120.0

#: Relative drawing times of the figures of :func:`save_all` (measured on the bundled question).
_COST = {
    "tornado_grid": 45,
    "evidence_influence": 33,
    "tipping_points": 26,
    "tornado": 23,
    "value_of_information": 16,
    "sweep": 12,
    "posterior": 10,
}


def _split(jobs: list[tuple[str, Any]]) -> tuple[list, list]:
    """Two batches of about equal drawing time (largest first, into the lighter batch)."""
    batches: tuple[list, list] = ([], [])
    load = [0, 0]
    for job in sorted(jobs, key=lambda j: -_COST.get(j[0], 20)):
        k = 0 if load[0] <= load[1] else 1
        batches[k].append(job)
        load[k] += _COST.get(job[0], 20)
    return batches


def _render_and_exit(render: Any, batch: list[tuple[str, Any]]) -> None:
    import os

    try:
        render(batch)
    except BaseException:  # the parent draws whatever is missing
        os._exit(1)
    os._exit(0)


def _default_workers() -> int:
    """2 where forking is safe and useful (:func:`forecasting._plotworker.fork_is_safe`)."""
    from ._plotworker import fork_is_safe

    return 2 if fork_is_safe() else 1
