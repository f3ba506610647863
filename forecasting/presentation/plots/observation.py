"""What to watch next: the value of information, and the forecast after each next observation."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...core.dims import INDICATOR, SCENARIO
from ..text import leader_moves, pct, readable, scenario_names, shorten
from .layout import (
    axes_width,
    caller_titles,
    figure_and_axes,
    fit_axes,
    fit_legend_right,
    widest,
    xaxis_room,
    yaxis_room,
)
from .style import (
    NEUTRAL,
    clean_axes,
    dataset_of,
    empty_note,
    labels_of,
    legend_label,
    percent_axis,
    plain_text,
    scenario_colors,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@plain_text
def plot_value_of_information(
    voi: xr.Dataset | xr.DataTree,
    *,
    next_observation: xr.Dataset | None = None,
    labels: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """What one more observation of each indicator is expected to do to the leading scenario.

    Parameters
    ----------
    voi
        Output of :func:`forecasting.sensitivity.value_of_information`, or the node
        ``tree["value_of_information"]`` of :func:`forecasting.analyses.sensitivity` (which
        brings its sibling ``next_observation`` and the scenario labels).
    next_observation
        Output of :func:`forecasting.sensitivity.next_observation`, from which the expected
        move of the leader is computed (:func:`~forecasting.presentation.text.leader_moves`);
        without it (and without ``voi["expected_leader_move"]``) the bars are the expected
        entropy reduction in nats, as before.
    labels
        Scenario id to label (by default those the data carry; else the ids).
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One bar per indicator, largest at top: how far one more confirmed observation is
        expected to move the leading scenario's probability, in percentage points; beside
        each, the chance that it changes the leader.
    """
    if isinstance(voi, xr.DataTree):
        parent = voi.parent
        if next_observation is None and parent is not None and "next_observation" in parent:
            next_observation = parent["next_observation"].to_dataset()
        voi = dataset_of(voi)
    inds = [str(i) for i in voi[INDICATOR].values]
    move = leader_moves(voi, next_observation)
    in_points = bool(np.isfinite(move).any())
    gain = move if in_points else np.asarray(voi["entropy_reduction"].values, dtype=float)
    change = np.asarray(voi["p_leader_change"].values, dtype=float)
    order = np.argsort(-np.nan_to_num(gain, nan=-np.inf), kind="stable")
    n = len(order)
    fig, ax, own = figure_and_axes(ax, (9.0, 1.9 + 0.4 * max(n, 3)))
    title = "Value of information: which indicator to watch next"
    if n == 0:
        empty_note(ax, "No indicators.")
        if own:
            fit_axes(ax, title=title, width=9.0, plot_height=1.5, left=0, right=0, below=0)
        else:
            caller_titles(ax, title)
        return fig, ax
    leader = str(voi.attrs.get("leader", ""))
    leader_name = labels_of(voi, labels, [leader])[leader] if leader else ""
    y = np.arange(n)
    ax.barh(y, gain[order], height=0.62, color=NEUTRAL, alpha=0.85, zorder=2)
    if in_points:
        notes = [
            f"\u00b1{100 * gain[j]:.1f} points   leader changes: {pct(change[j])}" for j in order
        ]
    else:
        notes = [f"{gain[j]:.3f} nats   leader changes: {pct(change[j])}" for j in order]
    for yi, text in enumerate(notes):
        ax.annotate(
            text,
            xy=(gain[order[yi]], yi),
            xytext=(5, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8.5,
            color="0.2",
            annotation_clip=False,
            in_layout=False,  # inside the axes: no need to measure it for the layout
        )
    rows = [shorten(readable(inds[j])) for j in order]
    ax.set_yticks(y, rows, fontsize=9)
    ax.set_ylim(n - 0.5, -0.5)
    gmax = max(float(np.nanmax(gain)) if np.isfinite(gain).any() else 0.0, 1e-6)
    if in_points:
        xlabel = "expected move of the leading scenario's probability (percentage points)"
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{100 * x:g}"))
    else:
        xlabel = "expected reduction in the entropy of the scenario probabilities (nats)"
    ax.set_xlabel(xlabel)
    clean_axes(ax)
    who = f"the leader ({leader_name})" if leader_name else "the leader"
    if in_points:
        sub = (
            f"How far one more confirmed observation of each indicator is expected to move "
            f"the probability of {who}, in percentage points (either way); beside each bar, "
            "the chance that the observation changes the leader."
        )
    else:
        sub = (
            "Expected information from one more confirmed observation of each indicator, in "
            f"nats; beside each bar, the chance that it changes {who}."
        )
    if not own:
        ax.set_xlim(0, gmax * 1.55)
        caller_titles(ax, title, sub)
        return fig, ax
    width, left, right = 9.0, yaxis_room(rows, 9), 14.0
    # room right of the longest bar for its annotation
    frac = min((widest(notes, 8.5) + 10) / 72 / axes_width(width, left, right), 0.6)
    ax.set_xlim(0, gmax * max(1.55, 1 / (1 - frac)))
    fit_axes(
        ax,
        title=title,
        note=sub,
        width=width,
        plot_height=0.42 * max(n, 3),
        left=left,
        right=right,
        below=xaxis_room(xlabel=xlabel),
        xticks=xaxis_room(),
        yticks=left,
    )
    return fig, ax


#: Outcomes less likely than this that change the leader are drawn one bar per run.
RARE_OUTCOME = 1e-3


def _merge_rare_runs(values, pred, post, flips, leaders):
    """Rare neighbouring outcomes that hand the lead to one scenario, as one bar.

    Outcomes each below :data:`RARE_OUTCOME` (counts of 50, 51, ..., 63 operations): the run's
    likeliest outcome's forecast, labelled with the run's range (``>= 50`` where it reaches
    the last outcome computed) and its total chance.
    """
    keep_v, keep_p, keep_post, keep_f = [], [], [], []
    n, start = len(values), 0
    while start < n:
        end = start
        rare = flips[start] and pred[start] < RARE_OUTCOME
        while (
            rare
            and end + 1 < n
            and flips[end + 1]
            and pred[end + 1] < RARE_OUTCOME
            and leaders[end + 1] == leaders[start]
        ):
            end += 1
        best = start + int(np.argmax(pred[start : end + 1]))
        if end == start:
            keep_v.append(values[start])
        else:
            keep_v.append(f"{values[start]}–{values[end]}" if end + 1 < n else f"≥{values[start]}")
        keep_p.append(float(np.sum(pred[start : end + 1])))
        keep_post.append(post[best])
        keep_f.append(bool(flips[best]))
        start = end + 1
    return keep_v, np.array(keep_p), np.array(keep_post), np.array(keep_f, dtype=bool)


@plain_text
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
    names = scenario_names(labels, scenarios)
    which = np.asarray(nxt["outcome_indicator"].values).astype(str) == str(indicator)
    if not which.any():
        known = sorted(set(np.asarray(nxt["outcome_indicator"].values).astype(str)))
        raise KeyError(f"no indicator '{indicator}' (indicators: {', '.join(known)})")
    sub = nxt.isel(outcome=np.flatnonzero(which))
    values = [readable(v) for v in np.asarray(sub["outcome_value"].values).astype(str)]
    pred = np.asarray(sub["predictive_probability"].values, dtype=float)
    post = np.asarray(sub["probability"].transpose(..., SCENARIO).values, dtype=float)
    flips = np.asarray(sub["flips"].values, dtype=bool)
    values, pred, post, flips = _merge_rare_runs(
        values, pred, post, flips, np.asarray(sub["leader"].values).astype(str)
    )
    m = len(values)
    fig, ax, own = figure_and_axes(ax, (6.8 + 0.55 * m, 4.8))
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
            label=legend_label(names[s]),
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
    ticks = [f"{textwrap.fill(v, 12)}\n{pct(p)}" for v, p in zip(values, pred, strict=True)]
    ax.set_xticks(x, ticks, fontsize=8.5)
    ax.set_ylim(0, 1.0)
    ax.set_xlim(-0.6, m - 0.4)
    percent_axis(ax.yaxis)
    ax.set_ylabel("probability after the observation")
    ax.set_xlabel("next observation (and how likely it is)")
    clean_axes(ax, grid="")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    leader = nxt.attrs.get("leader")
    title = f"Next observation: {shorten(readable(indicator), 50)}"
    note = (
        "Scenario probabilities after each possible next observation (one more item of "
        "evidence), with how likely each is"
        + (f"; outlined: the leader ({leader}) would change." if leader else ".")
    )
    if not own:
        caller_titles(ax, title, note)
        return fig, ax
    legend = [legend_label(names[s]) for s in scenarios]
    if len(flipping):
        legend.append("changes the leader")
    fit_legend_right(
        ax,
        legend,
        width=6.8 + 0.55 * m,
        left=yaxis_room(["100%"], ylabel="probability after the observation"),
        min_height=3.2,
        title=title,
        note=note,
        below=xaxis_room(ticks, xlabel="next observation (and how likely it is)", size=8.5),
        xticks=xaxis_room(ticks, size=8.5),
        yticks=yaxis_room(["100%"]),
    )
    return fig, ax
