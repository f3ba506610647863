"""Several analysts' forecasts and their pool, and what they differ on (``--analysts``).

The table of the analysts' forecasts, and the disagreement map's table: which judgements the
analysts' differences come from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..analyses.disagreement import top_judgements
from ..results.analysts import AnalystForecasts
from .text import pct

#: Longest rationale shown under the table (the JSON output has it whole).
RATIONALE_CHARS = 160


def pool_words(
    method: str, extremize: float, weighting: str, names: Sequence[str], weights: Sequence[float]
) -> str:
    """How analysts are pooled, in words.

    For example ``linear pool, equal weights`` or ``log pool, d = 1.5, Cooke weights a 0.70,
    b 0.30``.
    """
    how = method if extremize == 1.0 else f"{method}, d = {extremize:g}"
    w = np.asarray(weights, dtype=float)
    if len(w) == 0 or (abs(w - w[0]) < 1e-12).all():
        return f"{how} pool, equal weights"
    kind = "Cooke weights" if weighting == "cooke" else "weights"
    return f"{how} pool, {kind} " + ", ".join(f"{n} {x:.2f}" for n, x in zip(names, w, strict=True))


def analysts_line(summary: dict[str, Any]) -> str:
    """One line on the analysts of an update (``summary["analysts"]``, their ``to_dict``)."""
    rows = summary["analysts"]
    names = [a["name"] for a in rows]
    how = pool_words(
        summary["pool"]["method"],
        summary["pool"]["extremize"],
        summary["weighting"],
        names,
        [a["weight"] for a in rows],
    )
    leader = summary["leader"]
    label = next(s["label"] for s in summary["scenarios"] if s["id"] == leader)
    each = [a["probability"][leader] for a in rows]
    leaders = set(summary["leaders"].values())
    agree = (
        "every analyst leads with it" if len(leaders) == 1 else "they lead with different scenarios"
    )
    return (
        f"Analysts ({len(names)}, {how}): pooled, {label} is at {pct(summary['pooled'][leader])} "
        f"(the analysts {pct(min(each))} to {pct(max(each))}); {agree}. The report has the "
        "disagreement map."
    )


def format_analysts(result: AnalystForecasts) -> str:
    """Each analyst's probabilities, the pool and the spread (max - min) per scenario."""
    ds = result.probabilities
    names = result.analysts
    width = max(8, *(len(n) for n in names))
    label_width = max(len("scenario"), *(len(result.labels[s][:48]) for s in result.scenarios))
    how = pool_words(result.method, result.extremize, result.weighting, names, ds.weight.values)
    lines = [
        f"{result.title}: {len(names)} analyst{'s' if len(names) != 1 else ''}, {how}",
        f"as of {result.as_of.isoformat()} | exact engine | evidence: {result.n_items} items, "
        "shared by every analyst",
        "",
        "  "
        + f"{'scenario':<{label_width}}  {'shared':>7}  "
        + "  ".join(f"{n:>{width}}" for n in names)
        + f"  {'pool':>7}  {'spread':>7}",
    ]
    for k, s in enumerate(result.scenarios):
        cells = "  ".join(f"{pct(float(p)):>{width}}" for p in ds.probability.values[:, k])
        points = 100 * float(ds.spread.values[k])
        spread = f"{points:.0f} pt{'s' if round(points) != 1 else ''}"
        lines.append(
            f"  {result.labels[s][:48]:<{label_width}}  {pct(float(ds.shared.values[k])):>7}  "
            f"{cells}  {pct(float(ds.pooled.values[k])):>7}  {spread:>7}"
        )
    lines += [
        "",
        "  shared: the question as the desk holds it (not in the pool); spread: the largest "
        "minus the smallest analyst's probability",
    ]
    stated = [(n, result.rationales[n]) for n in names if result.rationales[n]]
    if stated:
        lines += ["", "Rationales:"]
        for n, text in stated:
            text = " ".join(str(text).split())
            if len(text) > RATIONALE_CHARS:
                text = text[: RATIONALE_CHARS - 3] + "..."
            lines.append(f"  {n}: {text}")
    if result.confidence is not None:
        c = result.confidence
        lines += [
            "",
            f"Confidence {c.level} (the shared question's evidence; the range of reasonable "
            "opinion reads the analysts' spread): " + "; ".join(c.reasons),
        ]
    return "\n".join(lines)


#: Judgements shown in the disagreement map's table (the JSON output has every one).
TOP_JUDGEMENTS = 8


def format_disagreement(ds: xr.Dataset, n: int = TOP_JUDGEMENTS) -> str:
    """The judgements moving the pool's leading scenario most, per analyst and for the pool.

    ``ds`` is :func:`forecasting.analyses.disagreement.disagreement_map`'s Dataset; the cells
    are points of the leader's probability (Shapley parts: each analyst's column sums to its
    move from the shared forecast, the pool's to the pool's move).
    """
    leader = str(ds.attrs["leader"])
    scenarios = [str(s) for s in ds["scenario"].values]
    k = scenarios.index(leader)
    label = str(ds["scenario_label"].values[k])
    names = [str(a) for a in ds["analyst"].values]
    methods = json.loads(ds.attrs["methods"])
    exact = all(m == "exact" for m in methods.values()) and ds.attrs["pooled_method"] == "exact"
    how = "exact Shapley values" if exact else "Shapley values, some from random orders (± MC se)"
    shown = top_judgements(ds, leader, n)
    labels = [str(ds["judgement_label"].values[j]) for j in shown]
    first = max(len("judgement"), len("total (move from shared)"), *(len(x) for x in labels))
    width = max(8, *(len(a) for a in names))

    def points(x: float) -> str:
        return f"{100 * x:+.1f}"

    header = f"  {'judgement':<{first}}  " + "  ".join(f"{a:>{width}}" for a in names)
    lines = [
        f"What the analysts differ on: each judgement's part of the move of '{label}' from the "
        f"shared forecast, in points ({how})",
        "",
        header + f"  {'pool':>7}",
    ]
    contribution = ds["contribution"].values[:, :, k]
    se = ds["contribution_mcse"].values[:, :, k]
    changed = ds["changed"].values
    for j, text in zip(shown, labels, strict=True):
        cells = []
        for i in range(len(names)):
            cell = points(contribution[j, i]) if changed[j, i] else "."
            if changed[j, i] and se[j, i] > 0:
                cell += f"±{100 * se[j, i]:.1f}"
            cells.append(f"{cell:>{width}}")
        pooled = float(ds["pooled_contribution"].values[j, :, k].sum())
        lines.append(f"  {text:<{first}}  " + "  ".join(cells) + f"  {points(pooled):>7}")
    total = ds["total"].values[:, k]
    lines.append(
        f"  {'total (move from shared)':<{first}}  "
        + "  ".join(f"{points(t):>{width}}" for t in total)
        + f"  {points(float(ds['pooled_total'].values[k])):>7}"
    )
    rest = int(ds.sizes["judgement"]) - len(shown)
    tail = f"{rest} more judgement{'s' if rest != 1 else ''} in --json; " if rest > 0 else ""
    lines += [
        "",
        f"  '.': not changed by that analyst; {tail}the pool's column is its move from the pool "
        f"of the shared forecast ({_pooled_words(ds)})",
    ]
    return "\n".join(lines)


def _pooled_words(ds: xr.Dataset) -> str:
    if ds.attrs["pool"] == "linear":
        return "linear pool: each analyst's part times their weight, exactly"
    spread = float(np.max(ds["pooled_contribution_mcse"].values, initial=0.0))
    how = "exactly" if ds.attrs["pooled_method"] == "exact" else f"MC se up to {100 * spread:.1f}"
    return f"{ds.attrs['pool']} pool: Shapley values over every analyst's judgements, {how}"
