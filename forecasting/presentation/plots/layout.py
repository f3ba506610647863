"""A fixed layout for the figures made here, computed from text metrics.

Figures made here get a layout computed from their content: the room each text needs is its
width measured from the font's advance widths (no drawing), its height from its number of lines.
That is about a third cheaper to save than constrained layout, which lays every text out several
times (measured when it was introduced: ``forecast sensitivity --plots`` took 0.86x the wall
time and 0.77x the CPU of the constrained-layout version, paired runs), and it sizes each
figure to its rows. Axes given
by a caller are left to the caller's layout; titles and notes on them are wrapped to the room
the axes will have (:func:`caller_titles`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..text import escape_controls

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Room (points) between the figure's edge and its outermost texts.
EDGE = 6.0
#: Room (points) between the title (or the caption) and the axes block.
GAP = 8.0
#: Size (points) of the figure title and of the caption.
TITLE_SIZE = 12.0
NOTE_SIZE = 8.5
NOTE_SPACING = 1.3

#: Advance widths are scaled by this: hinted text (matplotlib's default, at the 100 dpi of a
#: plain ``fig.savefig(path)``) is drawn up to about 4% wider than its unhinted advances, so a
#: figure laid out here saves whole with or without hinting, at any usual resolution.
HINTING = 1.045

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
            table[c] = HINTING * glyph.linearHoriAdvance / 65536 / 100
    return table


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width (points) of the widest line of ``text`` (kerning ignored, hinting allowed for: wide).

    Control characters are measured as drawn: escaped (:func:`.style.escape_figure_texts`).
    """
    text = escape_controls(str(text), "\n")
    if not text:
        return 0.0
    adv = _advances(set(text) - {"\n"}, bold)
    return size * max(sum(adv[c] for c in line) for line in text.split("\n"))


def widest(texts: Sequence[str], size: float, *, bold: bool = False) -> float:
    """Width (points) of the widest of ``texts``."""
    return max((text_width(t, size, bold=bold) for t in texts), default=0.0)


def text_height(text: str, size: float, spacing: float = 1.2) -> float:
    """Height (points) of ``text``: its lines at ``spacing`` (an upper bound for any version)."""
    return size * (spacing * str(text).count("\n") + max(spacing, 1.17))


def wrap_to(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """``text`` wrapped at spaces to lines at most ``width`` points wide (long words split).

    Its control characters come back escaped, as they are drawn (line breaks kept).
    """
    text = escape_controls(str(text), "\n")
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


def rc_size(key: str) -> float:
    """A font size from rcParams (``"medium"`` and the like) in points."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    return FontProperties(size=rcParams[key]).get_size_in_points()


def tick_room(axis: str = "y") -> float:
    """Points between an axes' edge and its tick labels (tick length plus pad)."""
    from matplotlib import rcParams

    return float(rcParams[f"{axis}tick.major.size"]) + float(rcParams[f"{axis}tick.major.pad"])


def xaxis_room(
    ticks: Sequence[str] | None = None, *, xlabel: str = "", size: float | None = None
) -> float:
    """Points below an axes taken by its x tick labels (``ticks``: the widest lines) and label."""
    from matplotlib import rcParams

    size = rc_size("xtick.labelsize") if size is None else size
    lines = max((str(t).count("\n") + 1 for t in ticks), default=1) if ticks else 1
    room = tick_room("x") + text_height("\n" * (lines - 1), size)
    if xlabel:
        room += float(rcParams["axes.labelpad"]) + text_height(xlabel, rc_size("axes.labelsize"))
    return room


def yaxis_room(labels: Sequence[str], size: float | None = None, *, ylabel: str = "") -> float:
    """Points left of an axes taken by its y tick labels and label."""
    from matplotlib import rcParams

    size = rc_size("ytick.labelsize") if size is None else size
    room = tick_room("y") + widest(labels, size)
    if ylabel:
        room += float(rcParams["axes.labelpad"]) + text_height(ylabel, rc_size("axes.labelsize"))
    return room


def legend_size(labels: Sequence[str], size: float) -> tuple[float, float]:
    """Width and height (points) of a frameless legend of ``labels`` in one column."""
    from matplotlib import rcParams

    em = size
    width = widest(labels, size) + em * (
        2 * float(rcParams["legend.borderpad"])
        + float(rcParams["legend.handlelength"])
        + float(rcParams["legend.handletextpad"])
        + float(rcParams["legend.borderaxespad"])
    )
    height = sum(text_height(t, size) for t in labels) + em * (
        float(rcParams["legend.labelspacing"]) * max(len(labels) - 1, 0)
        + 2 * float(rcParams["legend.borderpad"])
    )
    return width, height


def figure_and_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    """The figure and axes to draw into, and whether the figure was made here.

    A figure made here has no layout engine: :func:`fit_axes` places everything in it.
    """
    if ax is not None:
        return ax.figure, ax, False
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, layout="none")
    return fig, ax, True


def figure_header(fig: Figure, title: str, note: str, width: float) -> tuple[float, float, Any]:
    """Title (top-left) and caption (bottom-left) of a figure ``width`` inches wide.

    Both are wrapped to the figure's width. Returns the room they take at the top and at the
    bottom (points, edges and gaps included) and a function that pins them once the figure's
    height is known.
    """
    room = width * 72 - 2 * EDGE
    title = wrap_to(title, room, TITLE_SIZE, bold=True)
    top = EDGE + text_height(title, TITLE_SIZE) + GAP
    bottom = EDGE
    if note:
        note = wrap_to(note, room, NOTE_SIZE)
        bottom += text_height(note, NOTE_SIZE, NOTE_SPACING) + GAP

    def pin(height: float) -> None:
        w, h = width * 72, height
        fig.suptitle(
            title,
            x=EDGE / w,
            y=1 - EDGE / h,
            ha="left",
            va="top",
            fontsize=TITLE_SIZE,
            fontweight="bold",
        )
        if note:
            fig.supxlabel(
                note,
                x=EDGE / w,
                y=EDGE / h,
                ha="left",
                va="bottom",
                fontsize=NOTE_SIZE,
                color="0.3",
                linespacing=NOTE_SPACING,
            )

    return top, bottom, pin


def fit_axes(
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
    them (:func:`pin_labels`).
    """
    fig = ax.figure
    top, bottom, pin = figure_header(fig, title, note, width)
    top += above
    bottom += below
    w = width * 72
    h = top + 72 * plot_height + bottom
    fig.set_size_inches(width, h / 72)
    left += EDGE
    right += EDGE
    ax.set_position([left / w, bottom / h, (w - left - right) / w, 72 * plot_height / h])
    pin(h)
    pin_labels(ax, w - left - right, 72 * plot_height, xticks=xticks, yticks=yticks)
    return (w - left - right) / 72


def pin_labels(
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


def axes_width(width: float, left: float, right: float) -> float:
    """Width (inches) that :func:`fit_axes` leaves for the axes."""
    return (width * 72 - left - right - 2 * EDGE) / 72


def fit_legend_right(
    ax: Axes,
    legend: Sequence[str],
    *,
    width: float,
    left: float,
    min_height: float,
    **kwargs: Any,
) -> float:
    """:func:`fit_axes` for axes with a one-column legend (8.5 pt) anchored at x = 1.01 beside them.

    The axes are at least ``min_height`` inches tall, taller if the legend needs it;
    ``kwargs`` go to :func:`fit_axes`.
    """
    legend_w, legend_h = legend_size(legend, 8.5)
    plot_w = (axes_width(width, left, legend_w) * 72) / 1.01
    return fit_axes(
        ax,
        width=width,
        plot_height=max(min_height, legend_h / 72),
        left=left,
        right=legend_w + 0.01 * plot_w,
        **kwargs,
    )


def wrap_lines(text: str, width: int) -> str:
    """Each paragraph of ``text`` wrapped to ``width`` characters."""
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def caller_titles(ax: Axes, title: str, note: str = "") -> None:
    """A bold title and a grey note saying how to read the plot, above axes given by a caller.

    (On a figure made here the title heads the figure and the note is a caption at its foot:
    see :func:`fit_axes`.)
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
    room = cell * fig.get_figwidth() * 72 - (yaxis_room(ticks) if ticks else 0.0)
    room = max(0.9 * room - 2 * EDGE, 72.0)
    title = wrap_to(title, room, 11, bold=True)
    note = wrap_to(note, room, 8.5) if note else ""
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


#: Scenarios a figure gives a row or a column each, at most: with more (a question of 300
#: scenarios drew a posterior 166 inches tall and an evidence heatmap 227 inches wide, 11 s to
#: save), the rest are summed in one row or left out, and the caption says which.
MAX_SCENARIOS = 20


def leading(score: Sequence[float], top: int = MAX_SCENARIOS) -> list[int] | None:
    """Positions of the ``top`` largest of ``score`` in their own order; ``None`` if all fit.

    Ties go to the first declared; NaN counts as the least.
    """
    import numpy as np

    values = np.nan_to_num(np.asarray(score, dtype=float), nan=-np.inf)
    if len(values) <= top:
        return None
    return sorted(int(i) for i in np.argsort(-values, kind="stable")[: max(int(top), 1)])
