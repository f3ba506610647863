"""The weekly report's content, as blocks in reading order (:func:`build`).

The report is built once as a list of blocks (:mod:`.blocks`) and rendered by every format of
:mod:`.formats` (Markdown, HTML, JSON), so every format says the same thing. Figures are the
PNG files of the plot registry, with its captions.

Why this module is long: it is the report, section by section in reading order (the headline
and warnings, scenarios, change, new evidence, drivers, confidence, what to watch); split, a
reader would hunt across files for what one report says and in which order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ...analyses.prequential import by_origin
from ...analyses.surprise_check import catch_all_flag
from ...core.constants import CATCH_ALL, CATCH_ALL_THRESHOLD
from ...results.forecast import Forecast
from .. import dynamics
from ..plots.registry import figure as figure_spec
from ..text import (
    change_words,
    estimative,
    evidence_count,
    headline,
    horizon_words,
    leader_moves,
    next_observation_sentences,
    pct,
    pct_range,
    plural,
    points,
    signed,
)
from .blocks import Block, Bullets, Figure, Heading, Paragraph, Table, Warning
from .ledger import ledger_blocks, question_blocks

#: The figures the report shows (names of the plot registry), in reading order.
FIGURES = (
    "posterior",
    "confidence",
    "trajectory",
    "evidence_influence",
    "tornado",
    "tipping_points",
    "value_of_information",
)


_RANGES = ("responsiveness", "opinion")


def _range(conf, name: str, scenario: str) -> str:
    return pct_range(*conf.range(name, scenario))


def _confidence(current: Forecast, figures: dict[str, Path]) -> list[Block]:
    """The analytic confidence: the level, its reasons, and the three measures explained."""
    conf = current.confidence
    if conf is None:
        return []
    ds = conf.ds
    k = current.leading
    when = horizon_words(conf.horizon_days)
    lo, hi = conf.range("responsiveness", k)
    o_lo, o_hi = conf.range("opinion", k)
    l_lo, l_hi = conf.range("origin_range", k)
    label = current.labels[k]
    out: list[Block] = [Heading("Confidence")]
    out.append(Paragraph(f"**Confidence {conf.level}.** What decided it:"))
    out.append(Bullets(tuple(conf.reasons)))
    out.append(
        Bullets(
            (
                f"Responsiveness: {when} of typical evidence could leave '{label}' anywhere "
                f"between {pct(lo)} and {pct(hi)} (5%-95%; it moves by "
                f"{plural(round(100 * float(ds['expected_move'].sel(scenario=k))), 'point')} on "
                "average), "
                "and would "
                f"change the leader with probability {pct(conf.p_leader_change)}.",
                f"Reliability of the evidence: {evidence_count(conf.items, len(conf.origins))}"
                + (
                    f", the largest ({conf.largest[0]}) carrying {pct(conf.largest[1])} of the "
                    "weight"
                    if conf.largest is not None
                    else ""
                )
                + f". Left out one at a time, the origins move '{label}' between {pct(l_lo)} "
                f"and {pct(l_hi)}.",
                (
                    "Range of reasonable opinion: not computed (too costly here: exact "
                    "integrals of many unreliable reports)."
                    if int(ds.attrs["opinion_draws"]) == 0
                    else "Range of reasonable opinion: with every likelihood judgement redrawn "
                    f"within its own stated band, '{label}' lies between {pct(o_lo)} and "
                    f"{pct(o_hi)} (5%-95%); another scenario leads in "
                    f"{pct(float(ds.attrs['opinion_p_leader_change']))} of the draws."
                ),
            )
        )
    )
    shares = [
        (str(o), str(int(n)), pct(float(s)))
        for o, n, s in zip(
            ds["origin"].values, ds["origin_items"].values, ds["origin_share"].values, strict=True
        )
    ]
    if shares:
        out.append(Table(header=("origin", "items", "share of the weight"), rows=tuple(shares)))
    out += _figure(figures, "confidence")
    return out


def _figure(figures: dict[str, Path], name: str) -> list[Block]:
    """The figure ``name`` with its caption, or nothing when it was not drawn."""
    if name not in figures:
        return []
    return [Figure(str(figures[name]), figure_spec(name).caption)]


def build(
    current: Forecast,
    *,
    previous: Forecast | None,
    attribution: Any,
    surprise: xr.Dataset,
    sensitivity: xr.DataTree,
    figures: dict[str, Path],
    archive_message: str,
    prequential: xr.Dataset | None = None,
    archived_as: str = "",
    analysts: Sequence[Block] = (),
) -> list[Block]:
    """The report's blocks, in reading order.

    ``prequential``: the new items' log predictive scores
    (:func:`~forecasting.analyses.prequential.prequential`), a column of the new evidence.
    ``archived_as``: the archive's file of the forecast (a row of the diagnostics).
    ``analysts``: the section on several analysts (:func:`.analysts.analyst_blocks`), placed
    after what to watch next.
    """
    b: list[Block] = [Heading(f"{current.title}: forecast as of {current.as_of}", 1)]
    b.append(Paragraph(f"**{headline(current, previous)}**"))
    b += question_blocks(current)
    for w in dynamics.sampler_warnings(current.warnings):
        b.append(Warning(f"Sampler diagnostics: {w}. Treat the numbers as unreliable."))
    for w in dynamics.notes(current.warnings):
        b.append(Warning(f"{w[0].upper()}{w[1:]}."))
    if surprise.attrs.get("joint_improbable"):
        b.append(
            Warning(
                f"The {plural(int(surprise.attrs['n_joint']), 'new item')} tested together are "
                "improbable together "
                "under every "
                f"scenario (joint tail probability below {surprise.attrs['threshold']:g}, "
                "Fisher's combination of each one's tail given the ones before it). The "
                "scenario set may be incomplete; review the question.",
            )
        )
    if surprise.attrs.get("flagged") and surprise["improbable"].values.any():
        items = [
            str(i)
            for i, bad in zip(surprise["item"].values, surprise["improbable"].values, strict=True)
            if bad
        ]
        b.append(
            Warning(
                "The new evidence is improbable under every scenario "
                f"({', '.join(items)}: tail probability below "
                f"{surprise.attrs['threshold']:g} whichever scenario holds). The "
                "scenario set may be incomplete; review the question.",
            )
        )
    p = catch_all_flag(current)
    if p is not None:
        b.append(
            Warning(
                f"'{current.labels[CATCH_ALL]}' is at {pct(p)} (flagged from "
                f"{pct(CATCH_ALL_THRESHOLD)}): the evidence fits none of the named scenarios "
                "well. The scenario set may be incomplete; review the question.",
            )
        )

    # scenarios
    conf = current.confidence
    now = current.now  # with dynamics: P(S_now = k | E) beside the probability at resolution
    rows = []
    for k, s in enumerate(current.scenarios):
        p = float(current.probabilities.values[k])
        change = ""
        if previous is not None and s in previous.scenarios:
            change = change_words(p - float(previous.probabilities.sel(scenario=s)))
        ranges = () if conf is None else tuple(_range(conf, n, s) for n in _RANGES)
        rows.append(
            (
                current.labels[s],
                estimative(p),
                *(() if now is None else (pct(float(now.values[k])),)),
                pct(p),
                *ranges,
                pct(float(current.prior.values[k])),
                change,
            )
        )
    b.append(Heading("Scenarios"))
    after = () if conf is None else (f"after {horizon_words(conf.horizon_days)}", "opinion range")
    shown = ("probability",)
    if now is not None:
        shown = ("now", dynamics.at_resolution(dynamics.resolves(current)))
    b.append(
        Table(
            header=("scenario", "estimative term", *shown, *after, "prior", "since last"),
            rows=tuple(rows),
        )
    )
    if now is not None:
        b.append(
            Paragraph(
                f"{dynamics.meaning(current)} The estimative terms follow ICD 203 and, like the "
                "change since last, are of the probability at resolution, and so are the "
                "confidence measures (their opinion range also redraws the stay "
                "probabilities). Ranges are 5%-95%.",
            )
        )
    else:
        b.append(
            Paragraph(
                "The estimative terms follow ICD 203; how confident the analysis is, is said "
                "apart (below). Ranges are 5%-95%.",
            )
        )
    b += _figure(figures, "posterior")
    b += _confidence(current, figures)
    if "trajectory" in figures:
        b.append(Heading("Trajectory"))
        b += _figure(figures, "trajectory")

    # what changed and why
    b.append(Heading("What changed and why"))
    if previous is None:
        b.append(
            Paragraph(
                "This is the first archived forecast of the question: there is "
                "nothing to compare with yet.",
            )
        )
    elif attribution is not None:
        b.extend(_attribution_blocks(current, attribution))

    # new evidence
    b.append(Heading("New evidence"))
    new_ids = set(str(i) for i in surprise["item"].values)
    items = [it for it in current.evidence_items if it["id"] in new_ids]
    if not items:
        b.append(Paragraph("No new evidence since the previous forecast."))
    else:
        tails = surprise["tail_forecast"].to_series() if len(new_ids) else {}
        scored = prequential is not None and prequential.sizes["item"] > 0
        logs = prequential["log_predictive"].to_series() if scored else {}
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
                    _shown(float(tails[it["id"]]), f"{float(tails[it['id']]):.2g}"),
                    *(
                        (_shown(float(logs[it["id"]]), signed(float(logs[it["id"]]), 2)),)
                        if scored
                        else ()
                    ),
                )
            )
        b.append(
            Table(
                header=(
                    "date",
                    "item",
                    "indicator",
                    "value",
                    "source",
                    "reliability",
                    "predictive tail",
                    *(("log score",) if scored else ()),
                ),
                rows=tuple(rows),
            )
        )
        b.append(
            Paragraph(
                "Predictive tail: before the item arrived, the probability (under "
                "the previous forecast) of an observation at most as probable as this "
                "one. Small values mean surprising evidence."
                + (
                    " Log score: the natural log of the probability the forecast before it "
                    "gave this item, given the new items before it (a log density for a "
                    "measured value); near 0 is expected evidence, far below surprising. "
                    f"The week's items together: {signed(prequential.attrs['total'], 2)}; "
                    "by origin: "
                    + "; ".join(
                        f"{o} {signed(row['total'], 2)} ({plural(int(row['n_items']), 'item')})"
                        for o, row in by_origin(prequential).items()
                    )
                    + "."
                    if scored
                    else ""
                ),
            )
        )

        b.extend(_budget_blocks(surprise, prequential))

    # drivers
    b.append(Heading("What the forecast rests on"))
    b.extend(_driver_blocks(current, sensitivity, figures))

    # what to watch next
    b.append(Heading("What to watch next"))
    b.extend(_watch_blocks(current, sensitivity, figures))

    b.extend(analysts)

    # diagnostics
    b.append(Heading("Diagnostics and provenance"))
    prov = current.provenance
    diag = current.diagnostics
    rows = [
        ("engine", current.engine),
        ("as-of", current.as_of.isoformat()),
        *(() if current.now is None else (("resolves", str(dynamics.resolves(current))),)),
        (
            "evidence used",
            evidence_count(len(current.evidence_items), len(current.origins)),
        ),
        (
            "evidence items excluded",
            str(len(current.excluded)) + (" (listed in the appendix)" if current.excluded else ""),
        ),
        ("seed", str(prov.get("seed"))),
        ("question SHA-256", str(prov.get("question_sha256", ""))[:16] + "..."),
        ("evidence SHA-256", str(prov.get("evidence_sha256", ""))[:16] + "..."),
        ("package version", str(prov.get("package_version"))),
        *((("archived forecast", archived_as),) if archived_as else ()),
        ("archive", archive_message),
    ]
    for key in ("divergences", "rhat_max", "ess_bulk_min", "ess_tail_min", "agreement_z_max"):
        if key in diag:
            rows.append(
                (key, f"{diag[key]:.4g}" if isinstance(diag[key], float) else str(diag[key]))
            )
    b.append(Table(header=("item", "value"), rows=tuple(rows)))
    b += ledger_blocks(current, sensitivity)
    return b


def _attribution_blocks(current: Forecast, attribution) -> list[Block]:
    out: list[Block] = []
    parts = attribution.parts
    k = current.scenarios.index(current.leading)
    lead = current.labels[current.leading]
    total = attribution.total
    if attribution.confidence:
        c = attribution.confidence
        out.append(Paragraph(f"{c[0].upper()}{c[1:]}."))
    out.append(
        Paragraph(
            f"Since {attribution.previous_as_of}"
            + ("" if current.now is None else " (at resolution)")
            + ": "
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
            cell = points(contrib[k]) + (f" ± {100 * se:.1f}" if se > 0 else "")
            others = ", ".join(
                f"{s} {points(contrib[j])}" for j, s in enumerate(current.scenarios) if j != k
            )
            rows.append(
                (str(parts.change_kind.values[n]), str(parts.change_label.values[n]), cell, others)
            )
        out.append(
            Table(
                header=("kind", "change", f"{lead} (points)", "other scenarios (points)"),
                rows=tuple(rows),
            )
        )
        out.append(
            Paragraph(
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
                points(seq.contribution.values[n, k]),
            )
            for n in range(seq.sizes["change"])
        ]
        out.append(
            Paragraph(
                "The same new items in the order they arrived (each item's "
                f"effect on {lead} given the items before it):",
            )
        )
        out.append(Table(header=("date", "item", "points"), rows=tuple(rows)))
    for note in attribution.notes:
        out.append(Paragraph(f"Note: {note}."))
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
                points(infl["shift"].values[n, k]),
                f"{infl['diagnosticity'].values[n]:.2f}",
            )
            for n in order
        ]
        out.append(
            Paragraph(
                "**Evidence influence** (which items move the forecast; each "
                "item left out in turn):",
            )
        )
        out.append(
            Table(
                header=(
                    "item",
                    "indicator",
                    f"shift of {current.leading} (points)",
                    "diagnosticity (max |log BF|)",
                ),
                rows=tuple(rows),
            )
        )
    out += _figure(figures, "evidence_influence")
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
        Paragraph(
            "**Judgement sensitivity** (which elicited quantities matter; each "
            "moved over its own plausible range):",
        )
    )
    out.append(
        Table(
            header=("judgement", "range", f"swing of {current.leading} (points)"),
            rows=tuple(rows),
        )
    )
    out += _figure(figures, "tornado")
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
            Paragraph(
                "**Tipping points** (how far a judgement must move before another scenario leads):",
            )
        )
        out.append(Table(header=("judgement", "now", "flips at", "new leader"), rows=tuple(rows)))
    else:
        out.append(
            Paragraph(
                "**Tipping points**: no single judgement within its allowed "
                "range changes the leading scenario.",
            )
        )
    out += _figure(figures, "tipping_points")
    return out


def _watch_blocks(current: Forecast, tree: xr.DataTree, figures: dict[str, Path]) -> list[Block]:
    out: list[Block] = []
    voi = tree["value_of_information"].to_dataset()
    move = leader_moves(voi, tree["next_observation"].to_dataset())
    order = np.argsort(-np.nan_to_num(move, nan=-1.0), kind="stable")
    rows = [
        (
            str(voi.indicator.values[n]),
            f"\u00b1{100 * move[n]:.1f}" if np.isfinite(move[n]) else "n/a",
            pct(float(voi["p_leader_change"].values[n])),
            f"{voi['entropy_reduction'].values[n]:.3f}",
        )
        for n in order
    ]
    leader = str(voi.attrs.get("leader", current.leading))
    out.append(
        Paragraph(
            "What one more confirmed observation of each indicator is expected to do: how far "
            f"it would move the probability of the leader ({current.labels.get(leader, leader)}"
            "), in percentage points either way, and the chance that it changes the leader "
            "(the expected information in nats, last, for comparison with earlier reports)."
        )
    )
    out.append(
        Table(
            header=(
                "indicator",
                "expected move of the leader (points)",
                "chance the leader changes",
                "expected information (nats)",
            ),
            rows=tuple(rows),
        )
    )
    out += _figure(figures, "value_of_information")
    sentences = next_observation_sentences(
        current.question, current.labels, tree["next_observation"].to_dataset()
    )
    if sentences:
        out.append(
            Paragraph(
                "Single observations that would change the leading scenario (each taken as "
                "confirmed, reliability 1):",
            )
        )
        out.append(Bullets(tuple(sentences)))
    return out


def _shown(value: float, text: str) -> str:
    """A number of the new-evidence table, or "not computed" (beyond the work budget)."""
    return "not computed" if np.isnan(value) else text


def _budget_blocks(surprise: xr.Dataset, prequential: xr.Dataset | None) -> list[Block]:
    """What the work budget of the week's item-by-item checks left out, if anything."""
    n_new = int(surprise.attrs.get("n_new", 0))
    untested = list(surprise.attrs.get("untested", []))
    n_joint = int(surprise.attrs.get("n_joint", n_new))
    if not untested and n_joint == n_new:
        return []
    text = (
        f"Of the {plural(n_new, 'new item')}, {n_new - len(untested)} had their predictive "
        f"tail computed and {n_joint} were tested together and scored one by one: the rest "
        "would have taken too long (their indicators' integrals grow with every report; the "
        "work is estimated from the items before each one, so which items are tested does "
        "not depend on their own values)."
    )
    if prequential is not None and int(prequential.attrs.get("n_scored", 0)) < n_new:
        text += (
            " The items not scored one by one are scored together: "
            f"{signed(float(prequential.attrs['left_total']), 2)} (natural log), included in "
            "the week's total."
        )
    return [Paragraph(text)]
