"""The table of several analysts' forecasts and their pool (``forecast run --analysts``)."""

from __future__ import annotations

from ..results.analysts import AnalystForecasts
from .text import pct

#: Longest rationale shown under the table (the JSON output has it whole).
RATIONALE_CHARS = 160


def format_analysts(result: AnalystForecasts) -> str:
    """Each analyst's probabilities, the pool and the spread (max - min) per scenario."""
    ds = result.probabilities
    names = result.analysts
    width = max(8, *(len(n) for n in names))
    label_width = max(len("scenario"), *(len(result.labels[s][:48]) for s in result.scenarios))
    how = result.method if result.extremize == 1.0 else f"{result.method}, d = {result.extremize:g}"
    equal = bool((abs(ds.weight.values - ds.weight.values[0]) < 1e-12).all())
    weights = (
        "equal weights"
        if equal
        else "weights "
        + ", ".join(f"{n} {w:.2f}" for n, w in zip(names, ds.weight.values, strict=True))
    )
    lines = [
        f"{result.title}: {len(names)} analyst{'s' if len(names) != 1 else ''}, "
        f"pooled {how} ({weights})",
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
    return "\n".join(lines)
