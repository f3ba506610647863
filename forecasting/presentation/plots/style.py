"""What every figure shares: the palette, scenario colours, percent axes, axes furniture.

Scenarios keep one colour everywhere (:func:`scenario_colors`, by position in the declared
scenario order, Okabe-Ito palette). Numbers and names are formatted by
:mod:`forecasting.presentation.text`, as in the CLI and the report.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ...core.dims import SCENARIO
from ..text import escape_controls, judgement_name

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

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


def plain_text[F: Callable[..., Any]](draw: F) -> F:
    r"""Run a plotting function with matplotlib's mathtext off and control characters escaped.

    Labels, sources and notes come from files ("Tariffs rise by $5% to $10%"); with mathtext on,
    matplotlib reads ``$...$`` as mathematics, drops the dollars or fails to draw at all. Every
    public plotting function is wrapped, so every text it makes is plain (the user's own
    settings are restored on return), and every text of the figures it is given or returns
    passes through :func:`escape_figure_texts`: a label built in Python or read from an
    archived file may hold an ESC or a U+202E that validation would have refused.
    """

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            for fig in _figures([*args, *kwargs.values()]):  # e.g. the figure save_figure saves
                escape_figure_texts(fig)
            out = draw(*args, **kwargs)
            for fig in _figures(out if isinstance(out, tuple) else [out]):
                escape_figure_texts(fig)
            return out

    return wrapper  # type: ignore[return-value]


def escape_figure_texts(fig: Any) -> None:
    r"""Every text a figure draws with its control characters escaped (``\x1b``, ``\u202e``).

    The one place plotted text meets :func:`~forecasting.presentation.text.escape_controls`
    (line breaks kept: the layout's own): titles, tick labels (also those of fixed ticks, which
    are made again at each draw), legends, annotations and the labels artists carry for a
    legend made later. A raw control character would be drawn as a missing glyph (matplotlib warns
    "Glyph 27 missing") or reorder the text around it.
    """
    from matplotlib.artist import Artist
    from matplotlib.text import Text
    from matplotlib.ticker import FixedLocator

    for ax in fig.axes:  # labels of fixed ticks (``set_yticks(y, rows)``), made at each draw
        for axis in (ax.xaxis, ax.yaxis):
            for minor in (False, True):
                locator = axis.get_minor_locator() if minor else axis.get_major_locator()
                if not isinstance(locator, FixedLocator):
                    continue
                formatter = axis.get_minor_formatter() if minor else axis.get_major_formatter()
                labels = [str(t) for t in formatter.format_ticks(list(locator.locs))]
                escaped = [escape_controls(t, "\n") for t in labels]
                if escaped != labels:
                    axis.set_ticklabels(escaped, minor=minor)
    for artist in fig.findobj(Artist):
        if isinstance(artist, Text):
            _escape_set(artist.get_text(), artist.set_text)
        label = artist.get_label()
        if isinstance(label, str):
            _escape_set(label, artist.set_label)


def _escape_set(text: str, setter: Callable[[str], Any]) -> None:
    escaped = escape_controls(text, "\n")
    if escaped != text:
        setter(escaped)


def _figures(values: Sequence[Any]) -> list[Any]:
    """The figures among ``values``: figures, and those of axes (alone, in lists or arrays)."""
    from matplotlib.axes import Axes
    from matplotlib.figure import FigureBase

    found: list[Any] = []
    for value in values:
        if isinstance(value, list | tuple):
            items = list(value)
        elif isinstance(value, np.ndarray) and value.dtype.kind == "O":
            items = list(value.flat)  # an array of axes (subplots)
        else:
            items = [value]
        for item in items:
            fig = item.figure if isinstance(item, Axes) else item
            if isinstance(fig, FigureBase) and all(fig is not f for f in found):
                found.append(fig)
    return found


JUDGEMENT = "judgement"
SETTING = "setting"


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


def text_color(color: str) -> str:
    """A scenario colour for text: pale colours (yellow) are darkened to stay legible."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return color if 0.299 * r + 0.587 * g + 0.114 * b < 0.75 else "0.25"


def percent_axis(axis: Any) -> None:
    """Tick labels of a probability axis as percentages, without trailing zeros."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x: float, _pos: Any) -> str:
        text = f"{100 * x:.2f}".rstrip("0").rstrip(".")
        return ("0" if text in ("-0", "") else text) + "%"

    axis.set_major_formatter(FuncFormatter(fmt))


def bounded_percent_axis(ax: Axes, lo: float, hi: float) -> None:
    """Set the x range to ``lo``-``hi`` (room for labels), with percentage ticks in [0, 1]."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(lo, hi)
    ticks = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(max(lo, 0), min(hi, 1))
    ax.set_xticks([t for t in ticks if max(lo, 0) - 1e-12 <= t <= min(hi, 1) + 1e-12])
    percent_axis(ax.xaxis)


def coord_values(ds: xr.Dataset, name: str, dim: str, default: Any = "") -> list[Any]:
    """The values of coordinate (or variable) ``name`` along ``dim``, ``default`` if absent."""
    if name in ds.coords or name in ds.data_vars:
        return [v.item() if hasattr(v, "item") else v for v in ds[name].values]
    return [default] * ds.sizes.get(dim, 0)


def judgement_names(ds: xr.Dataset) -> list[str]:
    """Readable, bounded-length names of the judgements of a sensitivity Dataset.

    Built from the typed coordinates (``judgement_kind``, ``judgement_target``...), as
    :func:`forecasting.presentation.text.judgement_name`.
    """
    n = ds.sizes.get(JUDGEMENT, 0)
    kinds = coord_values(ds, "judgement_kind", JUDGEMENT)
    targets = coord_values(ds, "judgement_target", JUDGEMENT)
    scens = coord_values(ds, "judgement_scenario", JUDGEMENT)
    cats = coord_values(ds, "judgement_category", JUDGEMENT)
    quantities = coord_values(ds, "judgement_quantity", JUDGEMENT)
    return [
        judgement_name(kinds[i], targets[i], scens[i], cats[i], quantities[i]) for i in range(n)
    ]


def legend_label(text: str) -> str:
    """A legend entry wrapped to 30 characters a line."""
    return textwrap.fill(str(text), 30)


def scenario_order(ds: xr.Dataset) -> list[str]:
    """Declared scenario order: the ``scenario`` coordinate, else the judgements' scenarios."""
    if SCENARIO in ds.coords:
        return [str(s) for s in ds[SCENARIO].values]
    if isinstance(ds.attrs.get("scenarios"), list | tuple):
        return [str(s) for s in ds.attrs["scenarios"]]
    order: list[str] = []
    for s in coord_values(ds, "judgement_scenario", JUDGEMENT):
        if s and s not in order:
            order.append(str(s))
    return order


def dataset_of(data: xr.Dataset | xr.DataTree) -> xr.Dataset:
    """A group of the analyses as a Dataset: a Dataset as given, or a node of the analyses' tree.

    A node (``tree["judgement_sensitivity"]``) brings the scenario labels of its tree's root
    (``attrs["labels"]``, ``attrs["scenarios"]``), so the plot speaks in labels without being
    handed them.
    """
    if isinstance(data, xr.Dataset):
        return data
    ds = data.to_dataset()
    root = data.root.attrs
    extra = {k: root[k] for k in ("labels", "scenarios") if k in root and k not in ds.attrs}
    return ds.assign_attrs(extra) if extra else ds


def labels_of(
    ds: xr.Dataset, labels: Mapping[str, str] | None, scenarios: Sequence[str]
) -> dict[str, str]:
    """Scenario id to label: ``labels`` when given, else those the data carry, else the ids.

    The data carry them as a ``label`` (or ``scenario_label``) coordinate along ``scenario``,
    or as ``attrs["labels"]``: a mapping, or a list in the order of ``attrs["scenarios"]``
    (the analyses' tree, :func:`dataset_of`) or of the ``scenario`` coordinate.
    """
    found: dict[str, str] = {}
    for name in ("label", "scenario_label"):
        if name in ds.coords and ds[name].dims == (SCENARIO,):
            ids = [str(s) for s in ds[SCENARIO].values]
            found = dict(zip(ids, [str(v) for v in ds[name].values], strict=True))
            break
    attr = ds.attrs.get("labels")
    if not found and isinstance(attr, Mapping):
        found = {str(k): str(v) for k, v in attr.items()}
    elif not found and isinstance(attr, list | tuple | np.ndarray):
        ids = ds.attrs.get("scenarios")
        if ids is None and SCENARIO in ds.coords:
            ids = ds[SCENARIO].values
        if ids is not None and len(ids) == len(attr):
            found = {str(k): str(v) for k, v in zip(ids, attr, strict=True)}
    found.update(labels or {})
    return {str(s): str(found.get(str(s), s)) for s in scenarios}


def empty_note(ax: Axes, text: str) -> None:
    """Say on empty axes why there is nothing to draw."""
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


def beside_axes(ax: Axes, y: float, text: str, *, dx: float = 8, **style: Any) -> None:
    """``text`` to the right of the axes at data height ``y``, ``dx`` points out, centred."""
    ax.annotate(
        text,
        xy=(1.0, y),
        xycoords=("axes fraction", "data"),
        xytext=(dx, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        **style,
    )


def clean_axes(ax: Axes, *, grid: str = "x") -> None:
    """No top and right spines; a light grid behind the data along ``grid``."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(axis=grid, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
