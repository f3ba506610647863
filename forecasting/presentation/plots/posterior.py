"""The posterior: each scenario's probability, where new evidence could move it, and the prior."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...confidence.level import horizon_words
from ...core.dims import CI_BOUND, SCENARIO
from ..text import pct, scenario_names, shorten
from .layout import (
    MAX_SCENARIOS,
    caller_titles,
    figure_and_axes,
    fit_axes,
    leading,
    widest,
    xaxis_room,
    yaxis_room,
)
from .style import (
    beside_axes,
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

#: The variable of :func:`forecast_data` holding where the horizon's evidence could leave each
#: probability (copied from the forecast's ``confidence`` group).
RESPONSIVENESS = "responsiveness"


def responsiveness_words(ds: xr.Dataset) -> str:
    """``where a month of typical evidence could leave it (90%)``, from ``ds``'s attributes."""
    when = horizon_words(float(ds.attrs.get("horizon_days", 30.0)))
    level = pct(float(ds.attrs.get("range_prob", 0.9)))
    return f"where {when} of typical evidence could leave it ({level})"


def has_responsiveness(ds: xr.Dataset) -> bool:
    """Whether ``ds`` holds a responsiveness range with at least one finite bound."""
    return RESPONSIVENESS in ds and bool(np.isfinite(ds[RESPONSIVENESS].values).any())


@plain_text
def plot_posterior(
    forecast: Forecast | xr.Dataset, *, ax: Axes | None = None, top: int = MAX_SCENARIOS
) -> tuple[Figure, Axes]:
    """Each scenario's posterior probability, where new evidence could move it, and the prior.

    Parameters
    ----------
    forecast
        A :class:`~forecasting.Forecast`, or :func:`forecast_data` of one (variables
        ``probability``, ``prior`` and, when the forecast has its analytic confidence,
        ``responsiveness`` (scenario, ci_bound); scenario labels from a ``label`` coordinate;
        title, as-of date, ``horizon_days`` and ``range_prob`` from the attributes when present).
    ax
        Axes to draw into; a new figure when ``None``.
    top
        Bars at most: with more scenarios, the ``top - 1`` most probable keep a bar each and
        the rest are summed in the last (their prior summed too; no whisker).

    Returns
    -------
    fig, ax
        One horizontal bar per scenario (declared order, first at top; ``ax.patches``), where a
        horizon of typical evidence could leave it (5%-95% of simulated futures) as a whisker,
        and the prior as a hollow diamond. A forecast made before the confidence was computed
        is drawn without whiskers.
    """
    ds = forecast if isinstance(forecast, xr.Dataset) else forecast_data(forecast)
    declared = [str(s) for s in ds[SCENARIO].values]  # their colours: by declared position
    ds, others = _with_others(ds, top)
    scenarios = [str(s) for s in ds[SCENARIO].values]
    names = coord_values(ds, "label", SCENARIO, None)
    labels = scenario_names({s: n for s, n in zip(scenarios, names, strict=True) if n}, scenarios)
    colors = scenario_colors(declared)
    if others:
        colors[OTHERS] = OTHERS_COLOR
    k = len(scenarios)
    fig, ax, own = figure_and_axes(ax, (8.5, 1.3 + 0.55 * k))
    p = np.asarray(ds["probability"].values, dtype=float)
    prior = np.asarray(ds["prior"].values, dtype=float)
    y = np.arange(k)
    ax.barh(y, p, height=0.6, color=[colors[s] for s in scenarios], alpha=0.85, zorder=2)
    whiskers = has_responsiveness(ds)
    spans: list[str] = []
    if whiskers:
        lo = np.asarray(ds[RESPONSIVENESS].sel({CI_BOUND: "lower"}).values, dtype=float)
        hi = np.asarray(ds[RESPONSIVENESS].sel({CI_BOUND: "upper"}).values, dtype=float)
        # centred on the range, not on the bar: the range of the futures need not hold today's
        # probability (a small one that rarely jumps has its 95th percentile below it)
        ax.errorbar(
            (lo + hi) / 2,
            y,
            xerr=np.abs(hi - lo) / 2,
            fmt="none",
            ecolor="0.15",
            elinewidth=1.2,
            capsize=4,
            zorder=3,
            label=responsiveness_words(ds),
        )
        spans = [
            f"[{pct(lk)}\u2013{pct(hk)}]" if np.isfinite(lk) and np.isfinite(hk) else ""
            for lk, hk in zip(lo, hi, strict=True)
        ]
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
    # the range starts after the widest probability
    at = max(48.0, 16 + widest(pcts, 10, bold=True))
    for yi, shown in enumerate(pcts):
        beside_axes(
            ax, yi, shown, fontsize=10, fontweight="bold", color=text_color(colors[scenarios[yi]])
        )
        if spans and spans[yi]:
            beside_axes(ax, yi, spans[yi], dx=at, fontsize=9, color="0.35")
    rows = [textwrap.fill(labels[s], 30) for s in scenarios]
    ax.set_yticks(y, rows)
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_xlim(0, 1)
    percent_axis(ax.xaxis)
    ax.set_xlabel("probability")
    clean_axes(ax)
    as_of = ds.attrs.get("as_of")
    title = shorten(str(ds.attrs.get("title", "Scenario probabilities")), 70)
    when = f" as of {as_of}" if as_of else ""
    if whiskers:
        note = (
            f"Posterior scenario probabilities{when} (bars); whiskers and brackets: "
            f"{responsiveness_words(ds)}, 5%\u201395% of simulated futures; the prior (\u25c7)."
        )
    else:
        note = (
            f"Posterior scenario probabilities{when} (bars) and the prior (\u25c7); made before "
            "the analytic confidence was computed, so without the range new evidence could "
            "move them."
        )
    if others:
        note += (
            f" Beyond {top - 1} bars, the {others} least probable scenarios are summed in the last."
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
        right=(at + widest(spans, 9) if spans else widest(pcts, 10, bold=True) + 8) + 2,
        below=xaxis_room(xlabel="probability"),
        xticks=xaxis_room(),
        yticks=yaxis_room(rows),
    )
    return fig, ax


#: The id of the bar that sums the least probable scenarios (no scenario id has parentheses),
#: and its colour.
OTHERS, OTHERS_COLOR = "(others)", "#9a9a9a"


def _with_others(ds: xr.Dataset, top: int) -> tuple[xr.Dataset, int]:
    """``ds`` with the least probable scenarios beyond ``top - 1`` summed in one row.

    Returns the dataset drawn and how many scenarios were summed (0: ``ds`` itself).
    """
    keep = leading(ds["probability"].values, max(int(top), 2) - 1)
    if keep is None:
        return ds, 0
    k = ds.sizes[SCENARIO]
    rest = [i for i in range(k) if i not in set(keep)]
    names = coord_values(ds, "label", SCENARIO, None)
    ids = [str(s) for s in ds[SCENARIO].values]
    out = xr.Dataset(
        {
            "probability": (SCENARIO, np.append(ds["probability"].values[keep], 0.0)),
            "prior": (SCENARIO, np.append(ds["prior"].values[keep], 0.0)),
        },
        coords={
            SCENARIO: [ids[i] for i in keep] + [OTHERS],
            "label": (
                SCENARIO,
                [names[i] or ids[i] for i in keep] + [f"The other {len(rest)} scenarios, together"],
            ),
        },
        attrs=dict(ds.attrs),
    )
    out["probability"].values[-1] = float(np.nansum(ds["probability"].values[rest]))
    out["prior"].values[-1] = float(np.nansum(ds["prior"].values[rest]))
    if RESPONSIVENESS in ds:
        r = ds[RESPONSIVENESS].transpose(SCENARIO, CI_BOUND)
        vals = np.vstack([r.values[keep], np.full((1, r.sizes[CI_BOUND]), np.nan)])
        out[RESPONSIVENESS] = ((SCENARIO, CI_BOUND), vals)
        out = out.assign_coords({CI_BOUND: r[CI_BOUND].values})
    return out, len(rest)


def forecast_data(forecast: Forecast) -> xr.Dataset:
    """The ``forecast`` group of a forecast, with its labels, title, as-of date and responsiveness.

    What :func:`plot_posterior` draws (it also takes the group of a file read back). From the
    forecast's ``confidence`` group: ``responsiveness`` (scenario, ci_bound) and the attributes
    ``horizon_days`` and ``range_prob``; absent for a forecast made before it existed. The
    ``interval_if_parameters_known`` is not drawn.
    """
    ds = forecast.tree["forecast"].to_dataset()
    labels = forecast.labels
    ds = ds.assign_coords(label=(SCENARIO, [labels.get(s, s) for s in forecast.scenarios]))
    ds.attrs.update(title=str(forecast.title), as_of=str(forecast.as_of))
    conf = forecast.confidence
    if conf is not None and RESPONSIVENESS in conf.ds:
        ds[RESPONSIVENESS] = conf.ds[RESPONSIVENESS].reindex({SCENARIO: ds[SCENARIO].values})
        ds.attrs.update(
            horizon_days=float(conf.ds.attrs.get("horizon_days", 30.0)),
            range_prob=float(conf.ds.attrs.get("range_prob", 0.9)),
        )
    return ds
