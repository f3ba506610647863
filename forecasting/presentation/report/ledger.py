"""What makes a report stand alone: the question it answers and the ledger it rests on.

The question's text and resolution date open the report; the appendix shows the ledger (each
item used, with its origin, the outlets that relayed it, its grade, its weight and its
influence on the leading scenario) and every item left out, with the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ...results.forecast import Forecast
from ..text import plural, points
from .blocks import Block, Heading, Paragraph, Table


def question_blocks(current: Forecast) -> list[Block]:
    """The question as asked and the date it resolves on (whichever the question states)."""
    q = current.question
    out: list[Block] = []
    asked = str(q.get("question") or "").strip()
    if asked:
        out.append(Paragraph(f"**Question:** {asked}"))
    resolves = q.get("resolves")
    out.append(
        Paragraph(
            f"**Resolves:** {resolves}." if resolves else "**Resolves:** no date stated.",
        )
    )
    return out


def _value(item: dict[str, Any]) -> str:
    value = item["value"]
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    window = item.get("window")
    if window:
        text += f" ({window[0]} to {window[1]})"
    return text


def ledger_blocks(current: Forecast, sensitivity: xr.DataTree) -> list[Block]:
    """The appendix: every item used (origin, relays, grade, weight, influence) and left out."""
    out: list[Block] = [Heading("Appendix: the evidence ledger")]
    items = current.evidence_items
    lead = current.leading
    k = current.scenarios.index(lead)
    infl = sensitivity["evidence_influence"].to_dataset()
    found = {str(i): n for n, i in enumerate(infl["item"].values)} if "item" in infl.dims else {}
    rows = []
    for it in sorted(items, key=lambda r: (r["date"], r["id"])):
        n = found.get(it["id"])
        weight = "" if n is None else f"{float(infl['item_weight'].values[n]):.2f}"
        shift = "" if n is None else points(float(infl["shift"].values[n, k]))
        diag = "" if n is None else f"{float(infl['diagnosticity'].values[n]):.2f}"
        via = it.get("via") or ()
        rows.append(
            (
                str(it["date"]),
                str(it["id"]),
                str(it["indicator"]),
                _value(it),
                str(it.get("origin") or it["source"]),
                ", ".join(str(v) for v in via) if via else "direct",
                str(it.get("reliability", "")),
                weight,
                shift,
                diag,
            )
        )
    if rows:
        out.append(
            Paragraph(
                f"The {plural(len(rows), 'item')} this forecast used, by date. Origin: who first "
                "reported it; relayed by: the outlets it reached us through; grade: its "
                "Admiralty code as logged; weight: its reliability as the model uses it; "
                f"influence: the points of '{current.labels[lead]}' it adds (the forecast with "
                "it against without it) and its diagnosticity (the largest |log Bayes factor| "
                "for any scenario against the rest).",
            )
        )
        out.append(
            Table(
                header=(
                    "date",
                    "item",
                    "indicator",
                    "value",
                    "origin",
                    "relayed by",
                    "grade",
                    "weight",
                    f"influence on {lead} (points)",
                    "diagnosticity",
                ),
                rows=tuple(rows),
            )
        )
    else:
        out.append(Paragraph("No evidence was used: the forecast is the prior."))
    out += excluded_blocks(current)
    return out


def excluded_blocks(current: Forecast) -> list[Block]:
    """Every item left out of the forecast, with the reason (nothing when none was)."""
    excluded = current.excluded
    if not excluded:
        return [Paragraph("No item of the ledger was left out.")]
    order = np.argsort([str(e["id"]) for e in excluded], kind="stable")
    return [
        Paragraph(f"Left out of this forecast ({plural(len(excluded), 'item')}):"),
        Table(
            header=("item", "why it was left out"),
            rows=tuple((str(excluded[n]["id"]), str(excluded[n]["reason"])) for n in order),
        ),
    ]
