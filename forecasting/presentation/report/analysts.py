"""The report's section on several analysts: their forecasts, the pool, and what they differ on.

Written by ``forecast update --analysts``: a table of each analyst's probabilities beside the
shared question's and the pool's, the spread, the rationales, and the disagreement map (the
judgements each analyst's move from the shared forecast comes from, as exact Shapley parts
that add up to the move) as a table and a figure.
"""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

from ...analyses.disagreement import top_judgements
from ...results.analysts import AnalystForecasts
from ..analysts import pool_words
from ..text import pct
from .blocks import Block, Figure, Heading, Paragraph, Table

#: Judgements listed in the report's disagreement table (``summary.json`` has every one).
TOP_JUDGEMENTS = 8

#: The disagreement figure's caption (one caption per figure: it is also the image's alt text).
FIGURE_CAPTION = (
    "What the analysts differ on: each judgement's part, in points, of each analyst's move of "
    "the leading scenario from the shared forecast (last column: the pool's move)."
)


def analyst_blocks(
    result: AnalystForecasts, disagreement: xr.Dataset, figure: Path | None = None
) -> list[Block]:
    """The section's blocks: the analysts' table, rationales and the disagreement map.

    ``figure``: the disagreement map's PNG (drawn by the caller), or ``None`` for none.
    """
    ds = result.probabilities
    names = result.analysts
    leader = result.leader
    k = result.scenarios.index(leader)
    lo, hi = float(ds.probability.values[:, k].min()), float(ds.probability.values[:, k].max())
    how = pool_words(result.method, result.extremize, result.weighting, names, ds.weight.values)
    b: list[Block] = [Heading("Several analysts")]
    leaders = sorted(set(result.leaders.values()))
    agree = (
        "every analyst has the same leading scenario"
        if len(leaders) == 1
        else "the analysts lead with different scenarios ("
        + ", ".join(f"{n}: {result.labels[s]}" for n, s in result.leaders.items())
        + ")"
    )
    b.append(
        Paragraph(
            f"{len(names)} analysts read the same evidence with their own judgements "
            f"(overlays in `models/<question>/analysts/`). Pooled ({how}), "
            f"**{result.labels[leader]}** is at {pct(float(ds.pooled.values[k]))}; the analysts "
            f"range from {pct(lo)} to {pct(hi)} on it, and {agree}."
        )
    )
    header = ("scenario", "shared", *names, "pool", "spread")
    rows = []
    for j, s in enumerate(result.scenarios):
        points = 100 * float(ds.spread.values[j])
        rows.append(
            (
                result.labels[s],
                pct(float(ds.shared.values[j])),
                *(pct(float(p)) for p in ds.probability.values[:, j]),
                pct(float(ds.pooled.values[j])),
                f"{points:.0f} pt{'s' if round(points) != 1 else ''}",
            )
        )
    b.append(Table(header=header, rows=tuple(rows)))
    b.append(
        Paragraph(
            "Shared: the question as the desk holds it (not in the pool). Spread: the largest "
            "minus the smallest analyst's probability."
        )
    )
    stated = [(n, " ".join(str(result.rationales[n]).split())) for n in names]
    stated = [(n, text) for n, text in stated if text and text != "None"]
    if stated:
        b.append(Table(header=("analyst", "rationale"), rows=tuple(stated)))
    b += disagreement_blocks(disagreement, figure)
    return b


def disagreement_blocks(ds: xr.Dataset, figure: Path | None = None) -> list[Block]:
    """The disagreement map as a table (top judgements, points of the leader) and a figure."""
    leader = str(ds.attrs["leader"])
    scenarios = [str(s) for s in ds["scenario"].values]
    k = scenarios.index(leader)
    label = str(ds["scenario_label"].values[k])
    names = [str(a) for a in ds["analyst"].values]
    shown = top_judgements(ds, leader, TOP_JUDGEMENTS)
    contribution = ds["contribution"].values[:, :, k]
    changed = ds["changed"].values
    methods = json.loads(ds.attrs["methods"]).values()
    exact = ds.attrs["pooled_method"] == "exact" and all(m == "exact" for m in methods)
    rows = []
    for j in shown:
        cells = tuple(
            f"{100 * contribution[j, i]:+.1f}" if changed[j, i] else "." for i in range(len(names))
        )
        pooled = float(ds["pooled_contribution"].values[j, :, k].sum())
        rows.append((str(ds["judgement_label"].values[j]), *cells, f"{100 * pooled:+.1f}"))
    total = ds["total"].values[:, k]
    rows.append(
        (
            "total (move from shared)",
            *(f"{100 * t:+.1f}" for t in total),
            f"{100 * float(ds['pooled_total'].values[k]):+.1f}",
        )
    )
    rest = int(ds.sizes["judgement"]) - len(shown)
    b: list[Block] = [
        Paragraph(
            f"**What the analysts differ on.** Each judgement's part of the move of "
            f"'{label}' from the shared forecast, in points ("
            + ("exact Shapley values" if exact else "Shapley values")
            + "): each analyst's column adds up to that analyst's move, the pool's to the "
            "pool's. '.': the analyst did not change that judgement."
            + (f" {rest} more judgements are in `summary.json`." if rest > 0 else "")
        ),
        Table(header=("judgement", *names, "pool"), rows=tuple(rows)),
    ]
    if figure is not None:
        b.append(Figure(str(figure), FIGURE_CAPTION))
    return b
