"""The weekly report: ``report.md``, a self-contained ``report.html`` and ``summary.json``.

The report is built once as a list of blocks (headings, paragraphs, tables, figures, warnings)
and rendered twice, so the Markdown and the HTML always say the same thing. Figures are PNG
files beside the report; the HTML embeds them, so it can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .constants import INTERVAL_PROB
from .language import change_words, estimative
from .result import Forecast, _pct

PCT = int(round(INTERVAL_PROB * 100))


@dataclass(frozen=True)
class Block:
    """One piece of a report."""

    kind: str  # h1 | h2 | p | table | figure | warning | list
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    header: tuple[str, ...] = ()
    path: str = ""


def _figure(figures: dict[str, Path], name: str, caption: str) -> list[Block]:
    """The figure ``name`` as a block, or nothing when it was not drawn."""
    return [Block("figure", caption, path=str(figures[name]))] if name in figures else []


def headline(current: Forecast, previous: Forecast | None) -> str:
    """The report's headline: :meth:`Forecast.headline` with the change since ``previous``."""
    return current.headline(previous)


def build(
    current: Forecast,
    *,
    previous: Forecast | None,
    attribution: Any,
    surprise: xr.Dataset,
    sensitivity: xr.DataTree,
    figures: dict[str, Path],
    archive_message: str,
) -> list[Block]:
    """The report's blocks, in reading order."""
    b: list[Block] = [Block("h1", f"{current.title}: forecast as of {current.as_of}")]
    b.append(Block("p", f"**{headline(current, previous)}**"))
    for w in current.warnings:
        b.append(Block("warning", f"Sampler diagnostics: {w}. Treat the numbers as unreliable."))
    if surprise.attrs.get("flagged"):
        items = [
            str(i)
            for i, bad in zip(surprise["item"].values, surprise["improbable"].values, strict=True)
            if bad
        ]
        b.append(
            Block(
                "warning",
                "The new evidence is improbable under every scenario "
                f"({', '.join(items)}: tail probability below "
                f"{surprise.attrs['threshold']:g} whichever scenario holds). The "
                "scenario set may be incomplete; review the question.",
            )
        )

    # scenarios
    rows = []
    for k, s in enumerate(current.scenarios):
        p = float(current.probabilities.values[k])
        lo, hi = current.interval.values[k]
        change = ""
        if previous is not None and s in previous.scenarios:
            change = change_words(p - float(previous.probabilities.sel(scenario=s)))
        rows.append(
            (
                current.labels[s],
                estimative(p),
                _pct(p),
                f"{_pct(lo, sign=False)}-{_pct(hi)}",
                _pct(float(current.prior.values[k])),
                change,
            )
        )
    b.append(Block("h2", "Scenarios"))
    b.append(
        Block(
            "table",
            header=(
                "scenario",
                "estimative term",
                "probability",
                f"{PCT}% interval",
                "prior",
                "since last",
            ),
            rows=tuple(rows),
        )
    )
    b.append(
        Block(
            "p",
            "The estimative terms follow ICD 203. The interval is the "
            f"{PCT}% credible range of each probability given the uncertainty in the "
            "analyst's judgements; it narrows as evidence accumulates.",
        )
    )
    b += _figure(figures, "posterior", "Posterior probabilities with intervals, beside the prior")
    if "trajectory" in figures:
        b.append(Block("h2", "Trajectory"))
        b += _figure(
            figures,
            "trajectory",
            "Every scenario's probability and interval over the archived as-of dates",
        )

    # what changed and why
    b.append(Block("h2", "What changed and why"))
    if previous is None:
        b.append(
            Block(
                "p",
                "This is the first archived forecast of the question: there is "
                "nothing to compare with yet.",
            )
        )
    elif attribution is not None:
        b.extend(_attribution_blocks(current, attribution))

    # new evidence
    b.append(Block("h2", "New evidence"))
    new_ids = set(str(i) for i in surprise["item"].values)
    items = [it for it in current.evidence_items if it["id"] in new_ids]
    if not items:
        b.append(Block("p", "No new evidence since the previous forecast."))
    else:
        tails = surprise["tail_forecast"].to_series() if len(new_ids) else {}
        rows = []
        for it in sorted(items, key=lambda r: (r["date"], r["id"])):
            value = it["value"]
            value = ("true" if value else "false") if isinstance(value, bool) else str(value)
            rows.append(
                (
                    it["date"],
                    it["id"],
                    it["indicator"],
                    value,
                    it["source"],
                    str(it.get("reliability", 1)),
                    f"{float(tails[it['id']]):.2g}",
                )
            )
        b.append(
            Block(
                "table",
                header=(
                    "date",
                    "item",
                    "indicator",
                    "value",
                    "source",
                    "reliability",
                    "predictive tail",
                ),
                rows=tuple(rows),
            )
        )
        b.append(
            Block(
                "p",
                "Predictive tail: before the item arrived, the probability (under "
                "the previous forecast) of an observation at most as probable as this "
                "one. Small values mean surprising evidence.",
            )
        )

    # drivers
    b.append(Block("h2", "What the forecast rests on"))
    b.extend(_driver_blocks(current, sensitivity, figures))

    # what to watch next
    b.append(Block("h2", "What to watch next"))
    b.extend(_watch_blocks(current, sensitivity, figures))

    # diagnostics
    b.append(Block("h2", "Diagnostics and provenance"))
    prov = current.provenance
    diag = current.diagnostics
    rows = [
        ("engine", current.engine),
        ("as-of", current.as_of.isoformat()),
        ("evidence items used", str(len(current.evidence_items))),
        ("evidence items excluded", str(len(current.excluded))),
        ("seed", str(prov.get("seed"))),
        ("question SHA-256", str(prov.get("question_sha256", ""))[:16] + "..."),
        ("evidence SHA-256", str(prov.get("evidence_sha256", ""))[:16] + "..."),
        ("package version", str(prov.get("package_version"))),
        ("archive", archive_message),
    ]
    for key in ("divergences", "rhat_max", "ess_bulk_min", "ess_tail_min", "agreement_z_max"):
        if key in diag:
            rows.append(
                (key, f"{diag[key]:.4g}" if isinstance(diag[key], float) else str(diag[key]))
            )
    b.append(Block("table", header=("item", "value"), rows=tuple(rows)))
    return b


def _attribution_blocks(current: Forecast, attribution) -> list[Block]:
    out: list[Block] = []
    parts = attribution.parts
    k = current.scenarios.index(current.leading)
    lead = current.labels[current.leading]
    total = attribution.total
    out.append(
        Block(
            "p",
            f"Since {attribution.previous_as_of}: "
            + "; ".join(
                f"{current.labels[s]} {change_words(float(total[n]))}"
                for n, s in enumerate(current.scenarios)
            )
            + ".",
        )
    )
    if parts.sizes.get("change", 0):
        order = np.argsort(-np.abs(parts.contribution.values[:, k]))
        rows = []
        for n in order:
            contrib = parts.contribution.values[n]
            se = parts.standard_error.values[n, k]
            cell = f"{100 * contrib[k]:+.1f}" + (f" ± {100 * se:.1f}" if se > 0 else "")
            others = ", ".join(
                f"{s} {100 * contrib[j]:+.1f}" for j, s in enumerate(current.scenarios) if j != k
            )
            rows.append(
                (str(parts.change_kind.values[n]), str(parts.change_label.values[n]), cell, others)
            )
        out.append(
            Block(
                "table",
                header=("kind", "change", f"{lead} (points)", "other scenarios (points)"),
                rows=tuple(rows),
            )
        )
        out.append(
            Block(
                "p",
                "Each part is the change's Shapley value: its average "
                "contribution over every order of applying the changes, so the parts "
                "add up exactly to the total whatever the order.",
            )
        )
    seq = attribution.sequential
    if seq.sizes.get("change", 0) > 1:
        rows = [
            (
                str(seq.change_date.values[n]),
                str(seq.change_id.values[n]),
                f"{100 * seq.contribution.values[n, k]:+.1f}",
            )
            for n in range(seq.sizes["change"])
        ]
        out.append(
            Block(
                "p",
                "The same new items in the order they arrived (each item's "
                f"effect on {lead} given the items before it):",
            )
        )
        out.append(Block("table", header=("date", "item", "points"), rows=tuple(rows)))
    for note in attribution.notes:
        out.append(Block("p", f"Note: {note}."))
    return out


def _driver_blocks(current: Forecast, tree: xr.DataTree, figures: dict[str, Path]) -> list[Block]:
    out: list[Block] = []
    infl = tree["evidence_influence"].to_dataset()
    if infl.sizes.get("item", 0):
        order = np.argsort(-infl["diagnosticity"].values)[:8]
        k = current.scenarios.index(current.leading)
        rows = [
            (
                str(infl.item.values[n]),
                str(infl.item_indicator.values[n]),
                f"{100 * infl['shift'].values[n, k]:+.1f}",
                f"{infl['diagnosticity'].values[n]:.2f}",
            )
            for n in order
        ]
        out.append(
            Block(
                "p",
                "**Evidence influence** (which items move the forecast; each "
                "item left out in turn):",
            )
        )
        out.append(
            Block(
                "table",
                header=(
                    "item",
                    "indicator",
                    f"shift of {current.leading} (points)",
                    "diagnosticity (max |log BF|)",
                ),
                rows=tuple(rows),
            )
        )
    out += _figure(
        figures, "evidence_influence", "Evidence influence: signed shift per item and scenario"
    )
    js = tree["judgement_sensitivity"].to_dataset()
    order = np.argsort(-js["leader_swing"].values)[:8]
    rows = [
        (
            str(js.judgement_label.values[n]),
            f"{js.low_value.values[n]:.3g} to {js.high_value.values[n]:.3g} "
            f"({js.judgement_unit.values[n]})",
            f"{100 * js['leader_swing'].values[n]:.1f}",
        )
        for n in order
    ]
    out.append(
        Block(
            "p",
            "**Judgement sensitivity** (which elicited quantities matter; each "
            "moved over its own plausible range):",
        )
    )
    out.append(
        Block(
            "table",
            header=("judgement", "range", f"swing of {current.leading} (points)"),
            rows=tuple(rows),
        )
    )
    out += _figure(figures, "tornado", "Judgement sensitivity: swing of the leading scenario")
    tips = tree["tipping_points"].to_dataset()
    dist = tips["distance"].values
    close = [n for n in np.argsort(dist) if np.isfinite(dist[n])][:6]
    if close:
        rows = []
        for n in close:
            below, above = tips.flip_below.values[n], tips.flip_above.values[n]
            flip, who = (
                (below, tips.leader_below.values[n])
                if np.isfinite(below)
                and (
                    not np.isfinite(above)
                    or abs(below - tips.base_value.values[n])
                    <= abs(above - tips.base_value.values[n])
                )
                else (above, tips.leader_above.values[n])
            )
            rows.append(
                (
                    str(tips.judgement_label.values[n]),
                    f"{tips.base_value.values[n]:.3g}",
                    f"{flip:.3g}",
                    str(who),
                )
            )
        out.append(
            Block(
                "p",
                "**Tipping points** (how far a judgement must move before another scenario leads):",
            )
        )
        out.append(
            Block("table", header=("judgement", "now", "flips at", "new leader"), rows=tuple(rows))
        )
    else:
        out.append(
            Block(
                "p",
                "**Tipping points**: no single judgement within its allowed "
                "range changes the leading scenario.",
            )
        )
    out += _figure(figures, "tipping_points", "Tipping points")
    return out


def _watch_blocks(current: Forecast, tree: xr.DataTree, figures: dict[str, Path]) -> list[Block]:
    out: list[Block] = []
    voi = tree["value_of_information"].to_dataset()
    order = np.argsort(-voi["entropy_reduction"].values)
    rows = [
        (
            str(voi.indicator.values[n]),
            f"{voi['entropy_reduction'].values[n]:.3f}",
            _pct(float(voi["p_leader_change"].values[n])),
        )
        for n in order
    ]
    out.append(
        Block(
            "table",
            header=("indicator", "expected information (nats)", "chance the leader changes"),
            rows=tuple(rows),
        )
    )
    out += _figure(
        figures, "value_of_information", "Value of one more observation of each indicator"
    )
    sentences = next_observation_sentences(current, tree)
    if sentences:
        out.append(
            Block(
                "p",
                "Single observations that would change the leading scenario (each taken as "
                "confirmed, reliability 1):",
            )
        )
        out.append(Block("list", rows=tuple((s,) for s in sentences)))
    return out


def next_observation_sentences(current: Forecast, tree: xr.DataTree, limit: int = 8) -> list[str]:
    """Plain sentences: which single next observation would make another scenario lead.

    One sentence per indicator and new leader, e.g. "At most 1 joint operation in the next 30
    days would make *Coordination continues...* lead (chance of seeing it: 36%)". The
    observation is taken as confirmed (reliability 1).
    """
    nxt = tree["next_observation"].to_dataset()
    spec = current.question
    labels = current.labels
    out = []
    for ind in spec["indicators"]:
        rows = [n for n in range(nxt.sizes["outcome"]) if nxt.outcome_indicator.values[n] == ind]
        flips = [n for n in rows if bool(nxt.flips.values[n])]
        if not flips:
            continue
        kind = spec["indicators"][ind]["kind"]
        name = ind.replace("_", " ")
        for leader in dict.fromkeys(str(nxt.leader.values[n]) for n in flips):
            sel = [n for n in flips if str(nxt.leader.values[n]) == leader]
            chance = float(sum(nxt.predictive_probability.values[n] for n in sel))
            if kind == "count":
                per = spec["indicators"][ind].get("per_days", 1)
                values = sorted(int(nxt.outcome_value.values[n]) for n in sel)
                top = max(int(nxt.outcome_value.values[n]) for n in rows)
                what = f"{_count_range(values, top)} {name} in the next {per:g} day"
                what += "" if per == 1 else "s"
            else:
                values = [str(nxt.outcome_value.values[n]) for n in sel]
                what = f"{name} observed as " + " or ".join(f"'{v}'" for v in values)
            out.append(
                f"{what[0].upper()}{what[1:]} would make '{labels.get(leader, leader)}' lead "
                f"(chance of seeing it: {_pct(chance)})"
            )
    return out[:limit]


def _count_range(values: list[int], top: int) -> str:
    """``[0, 1]`` -> "at most 1"; ``[7, ..., top]`` -> "at least 7"; else the values."""
    contiguous = values == list(range(values[0], values[-1] + 1))
    if contiguous and values[0] == 0 and len(values) > 1:
        return f"at most {values[-1]}"
    if contiguous and values[-1] == top and len(values) > 1:
        return f"at least {values[0]}"
    if contiguous and len(values) > 2:
        return f"{values[0]} to {values[-1]}"
    return " or ".join(str(v) for v in values)


# --- rendering ---------------------------------------------------------------------------------


def to_markdown(blocks: list[Block], base: Path) -> str:
    """Render blocks as Markdown; figure paths relative to ``base``."""
    out = []
    for bl in blocks:
        if bl.kind == "h1":
            out.append(f"# {bl.text}\n")
        elif bl.kind == "h2":
            out.append(f"## {bl.text}\n")
        elif bl.kind == "p":
            out.append(bl.text + "\n")
        elif bl.kind == "warning":
            out.append(f"> **WARNING:** {bl.text}\n")
        elif bl.kind == "list":
            out.append("\n".join(f"- {r[0]}" for r in bl.rows) + "\n")
        elif bl.kind == "table":

            def cell(x: str) -> str:
                return str(x).replace("|", "\\|")

            lines = [
                "| " + " | ".join(cell(h) for h in bl.header) + " |",
                "|" + "---|" * len(bl.header),
            ]
            lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in bl.rows]
            out.append("\n".join(lines) + "\n")
        elif bl.kind == "figure":
            rel = os.path.relpath(bl.path, base)
            out.append(f"![{bl.text}]({rel})\n")
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.8rem 0;font-size:0.92rem}
th,td{border:1px solid #ccc;padding:0.3rem 0.55rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.warning{background:#fff3cd;border-left:5px solid #d39e00;
padding:0.6rem 0.9rem;margin:1rem 0}img{max-width:100%;height:auto}figure{margin:1rem 0}
figcaption{font-size:0.85rem;color:#555}code{background:#f3f3f3;padding:0 0.2rem}
"""


def _inline(text: str) -> str:
    """Escape HTML and render **bold** and `code`."""
    parts = html.escape(text).split("**")
    text = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def to_html(blocks: list[Block], title: str) -> str:
    """Render blocks as one self-contained HTML page (figures embedded as data URIs)."""
    out = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
    ]
    for bl in blocks:
        if bl.kind == "h1":
            out.append(f"<h1>{_inline(bl.text)}</h1>")
        elif bl.kind == "h2":
            out.append(f"<h2>{_inline(bl.text)}</h2>")
        elif bl.kind == "p":
            out.append(f"<p>{_inline(bl.text)}</p>")
        elif bl.kind == "warning":
            out.append(f"<div class='warning'><strong>WARNING:</strong> {_inline(bl.text)}</div>")
        elif bl.kind == "list":
            out.append("<ul>" + "".join(f"<li>{_inline(r[0])}</li>" for r in bl.rows) + "</ul>")
        elif bl.kind == "table":
            head = "".join(f"<th>{_inline(h)}</th>" for h in bl.header)
            body = "".join(
                "<tr>" + "".join(f"<td>{_inline(str(c))}</td>" for c in r) + "</tr>"
                for r in bl.rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif bl.kind == "figure":
            data = base64.b64encode(Path(bl.path).read_bytes()).decode()
            out.append(
                f"<figure><img alt='{html.escape(bl.text)}' "
                f"src='data:image/png;base64,{data}'><figcaption>"
                f"{html.escape(bl.text)}</figcaption></figure>"
            )
    out.append("</body></html>")
    return "\n".join(out)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write(
    directory: Path, blocks: list[Block], summary: dict[str, Any], title: str
) -> dict[str, Path]:
    """Write ``report.md``, ``report.html`` and ``summary.json`` into ``directory``."""
    paths = {
        "markdown": directory / "report.md",
        "html": directory / "report.html",
        "summary": directory / "summary.json",
    }
    write_text_atomic(paths["markdown"], to_markdown(blocks, directory))
    write_text_atomic(paths["html"], to_html(blocks, title))
    write_text_atomic(paths["summary"], json.dumps(summary, indent=2, default=str) + "\n")
    return paths
