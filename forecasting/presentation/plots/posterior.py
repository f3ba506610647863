"""The posterior: each scenario's probability with its interval, beside the prior."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...core.dims import CI_BOUND, SCENARIO
from ..text import pct, scenario_names, shorten
from .layout import (
    caller_titles,
    figure_and_axes,
    fit_axes,
    widest,
    xaxis_room,
    yaxis_room,
)
from .style import (
    clean_axes,
    coord_values,
    percent_axis,
    plain_text,
    scenario_colors,
    text_color,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ...results.forecast import Forecast


@plain_text
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
    ds = forecast if isinstance(forecast, xr.Dataset) else forecast_data(forecast)
    scenarios = [str(s) for s in ds[SCENARIO].values]
    names = coord_values(ds, "label", SCENARIO, None)
    labels = scenario_names({s: n for s, n in zip(scenarios, names, strict=True) if n}, scenarios)
    colors = scenario_colors(scenarios)
    k = len(scenarios)
    fig, ax, own = figure_and_axes(ax, (8.5, 1.3 + 0.55 * k))
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
        label=f"{pct(float(level))} credible interval",
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
    pcts = [pct(pk) for pk in p]
    spans = [f"[{pct(lk)}\u2013{pct(hk)}]" for lk, hk in zip(lo, hi, strict=True)]
    # the interval starts after the widest probability
    at = max(48.0, 16 + widest(pcts, 10, bold=True))
    for yi, (shown, span) in enumerate(zip(pcts, spans, strict=True)):
        ax.annotate(
            shown,
            xy=(1.0, yi),
            xycoords=("axes fraction", "data"),
            xytext=(8, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=10,
            fontweight="bold",
            color=text_color(colors[scenarios[yi]]),
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
    percent_axis(ax.xaxis)
    ax.set_xlabel("probability")
    clean_axes(ax)
    as_of = ds.attrs.get("as_of")
    title = shorten(str(ds.attrs.get("title", "Scenario probabilities")), 70)
    note = (
        f"Posterior scenario probabilities{f' as of {as_of}' if as_of else ''} (bars) with "
        f"{pct(float(level))} credible intervals (whiskers) and the prior (\u25c7)."
    )
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    lines = max(r.count("\n") + 1 for r in rows) if rows else 1
    fit_axes(
        ax,
        title=title,
        note=note,
        width=8.5,
        plot_height=max(k, 1) * max(0.55, 0.2 + lines * 0.18),
        left=yaxis_room(rows),
        right=at + widest(spans, 9) + 2,
        below=xaxis_room(xlabel="probability"),
        xticks=xaxis_room(),
        yticks=yaxis_room(rows),
    )
    return fig, ax


def forecast_data(forecast: Forecast) -> xr.Dataset:
    """The ``forecast`` group of a forecast, with its labels, title and as-of date.

    What :func:`plot_posterior` draws (it also takes the group of a file read back).
    """
    ds = forecast.tree["forecast"].to_dataset()
    labels = forecast.labels
    ds = ds.assign_coords(label=(SCENARIO, [labels.get(s, s) for s in forecast.scenarios]))
    ds.attrs.update(title=str(forecast.title), as_of=str(forecast.as_of))
    return ds
