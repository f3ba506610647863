"""The disagreement map: what each analyst's judgements do to the leading scenario."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ...analyses.disagreement import top_judgements
from .layout import caller_titles, figure_and_axes, fit_axes, widest, xaxis_room, yaxis_room
from .style import empty_note, plain_text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Judgements drawn (the largest contributions to the leading scenario).
TOP = 12
#: Cell text size (points).
CELL_SIZE = 8.5


@plain_text
def plot_disagreement(
    ds: xr.Dataset,
    *,
    scenario: str | None = None,
    top: int = TOP,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """A heatmap, judgement x analyst, of each judgement's part of the analysts' disagreement.

    Parameters
    ----------
    ds
        Output of :func:`forecasting.analyses.disagreement.disagreement_map`.
    scenario
        The scenario whose probability is split (default: the pool's leading scenario).
    top
        How many judgements to draw, the largest contributions first.
    ax
        Axes to draw into; a new figure when ``None``.

    Returns
    -------
    fig, ax
        One row per judgement, one column per analyst and a last one for the pool: the
        judgement's Shapley part, in points, of the analyst's move from the shared forecast
        (of the pool's move, in the last column); blank where the analyst did not change it.
    """
    import matplotlib.pyplot as plt

    scenarios = [str(s) for s in ds["scenario"].values]
    chosen = scenario or str(ds.attrs["leader"])
    k = scenarios.index(chosen)
    label = str(ds["scenario_label"].values[k]) if "scenario_label" in ds.coords else chosen
    rows = top_judgements(ds, chosen, top)
    names = [str(a) for a in ds["analyst"].values]
    columns = [*names, "pool"]
    ylabels = [str(ds["judgement_label"].values[j]) for j in rows]
    title = f"What the analysts differ on: parts of the move of '{label}'"
    note = (
        "Each cell: the judgement's Shapley part of that analyst's move from the shared "
        "forecast, in percentage points (the pool's column: of the pool's move). Blank: not "
        "changed by that analyst. Each analyst's parts sum to their whole move."
    )
    n = len(rows)
    width = max(6.5, 2.6 + 1.1 * len(columns) + widest(ylabels or [""], 9) / 72)
    fig, ax, own = figure_and_axes(ax, (width, 1.8 + 0.36 * max(n, 3)))
    if n == 0:
        empty_note(ax, "No judgement differs from the shared question.")
        if own:
            fit_axes(ax, title=title, width=width, plot_height=1.5, left=0, right=0, below=0)
        else:
            caller_titles(ax, title)
        return fig, ax
    cells = np.full((n, len(columns)), np.nan)
    contribution = ds["contribution"].values[:, :, k]
    changed = ds["changed"].values
    for r, j in enumerate(rows):
        for i in range(len(names)):
            if changed[j, i]:
                cells[r, i] = 100 * contribution[j, i]
        cells[r, -1] = 100 * float(ds["pooled_contribution"].values[j, :, k].sum())
    limit = max(float(np.nanmax(np.abs(cells))), 0.5)
    cmap = plt.get_cmap("RdBu").with_extremes(bad="white")
    image = ax.imshow(
        np.ma.masked_invalid(cells), cmap=cmap, vmin=-limit, vmax=limit, aspect="auto"
    )
    for r in range(n):
        for c in range(len(columns)):
            if np.isfinite(cells[r, c]):
                rgba = image.cmap(image.norm(cells[r, c]))
                ax.text(
                    c,
                    r,
                    f"{cells[r, c]:+.1f}",
                    ha="center",
                    va="center",
                    fontsize=CELL_SIZE,
                    color="white" if _dark(rgba) else "0.1",
                )
    ax.axvline(len(names) - 0.5, color="0.2", linewidth=1.0)
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(n), ylabels)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    if own:
        fit_axes(
            ax,
            title=title,
            note=note,
            width=width,
            plot_height=0.36 * n,
            left=yaxis_room(ylabels),
            right=0,
            below=0,
            above=xaxis_room(columns),
        )
    else:
        caller_titles(ax, title, note)
    return fig, ax


def _dark(rgba: tuple[float, ...]) -> bool:
    r, g, b = rgba[:3]
    return 0.299 * r + 0.587 * g + 0.114 * b < 0.5
