"""The command line's tables: a forecast, what ``validate`` found, what a forecast rests on.

Plain text, formatted through :mod:`.text` like every other output; the notebooks use them too.
Every value read from a file (titles, labels, ids, sources) is shown with its control characters
escaped (:func:`.text.escape_controls`): each line of a table is one line on the terminal, and
a label cannot clear the screen or reorder the line it is on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.constants import CATCH_ALL
from ..kinds import get_kind
from . import text
from .text import escape_controls


def _lines(lines: list[str]) -> str:
    """Lines of ours joined: whatever control character is left in a line is shown escaped."""
    return "\n".join(escape_controls(line) for line in lines)


def format_table(result, *, headline: bool = True) -> str:
    """The readable table (and, unless ``headline=False``, the headline) of a forecast.

    Beside each probability, where the next horizon of typical evidence could leave it and the
    range of reasonable opinion (both 5%-95%); the confidence level and its reasons below.
    """
    labels = {s: escape_controls(result.labels[s]) for s in result.scenarios}
    width = max(len("scenario"), *(len(labels[s]) for s in result.scenarios))
    n_used, n_excl = len(result.evidence_items), len(result.excluded)
    conf = result.confidence
    now = result.now
    head = f"  {'scenario':<{width}}  {'prior':>6}  {'posterior':>9}"
    if now is not None:
        head = f"  {'scenario':<{width}}  {'prior':>6}  {'now':>6}  {'at resolution':>13}"
    if conf is not None:
        after = f"after {text.horizon_words(conf.horizon_days)}"
        head += f"  {after:>15}  {'opinion range':>15}"
    lines = [
        result.title,
        f"as of {result.as_of.isoformat()} | {result.engine} engine | evidence: "
        f"{text.evidence_count(n_used, len(result.origins))} used, {n_excl} excluded",
        "",
        head,
    ]
    mcse = result.mcse.values
    for k, s in enumerate(result.scenarios):
        p = float(result.probabilities.values[k])
        post = text.pct(p) + (f" ±{100 * mcse[k]:.1f}" if mcse[k] > 0 else "")
        row = f"  {labels[s]:<{width}}  {text.pct(float(result.prior.values[k])):>6}  {post:>9}"
        if now is not None:
            row = (
                f"  {labels[s]:<{width}}  {text.pct(float(result.prior.values[k])):>6}  "
                f"{text.pct(float(now.values[k])):>6}  {post:>13}"
            )
        if conf is not None:
            for name in ("responsiveness", "opinion"):
                lo, hi = (text.pct(x) for x in conf.range(name, s))
                # ends that show alike are one number (never "<0.1% - <0.1%")
                row += f"  {lo:>6}   {'':<6}" if lo == hi else f"  {lo:>6} - {hi:<6}"
        lines.append(row)
    if conf is not None:
        lines += [
            "",
            f"  ranges: 5%-95%; 'after {text.horizon_words(conf.horizon_days)}': where the "
            "probability could be once that much typical evidence is in; 'opinion range': "
            "with every likelihood judgement redrawn within its stated band"
            + (
                ""
                if now is None
                else " (and the stay probabilities; both of the probability at resolution)"
            ),
        ]
    if now is not None:
        lines += [
            "",
            f"  now: the regime of the as-of date's period; at resolution: on "
            f"{result.question.get('resolves')} (dynamics: the regime moves between scenarios)",
        ]
    if headline:
        lines += ["", f"Most likely: {text.headline(result)}"]
    for w in result.warnings:
        lines.append(f"WARNING: {w}")
    return _lines(lines)


def describe(question, evidence) -> dict[str, Any]:
    """What ``forecast validate`` found: scenarios, fitted likelihoods, evidence counts."""
    scenarios = question.scenario_ids
    prior = question.prior
    out: dict[str, Any] = {
        "question": question.id,
        "title": question.title,
        "file": question.source,
        "scenarios": [
            {"id": s, "label": question.labels[s], "prior": float(prior[k])}
            for k, s in enumerate(scenarios)
        ],
        "prior_concentration": question.concentration,
        "reliability_model": question.reliability,
        "relays": dict(question.relays or {}),
        "catch_all": question.catch_all is not None,
        "indicators": [],
        "evidence": {
            "files": list(evidence.files),
            "items": len(evidence.items),
            "origins": len({it.origin for it in evidence.items}),
            "events": len({it.event or f"item:{it.id}" for it in evidence.items}),
        },
    }
    counts: dict[str, int] = {}
    for it in evidence.items:
        counts[it.indicator] = counts.get(it.indicator, 0) + 1
    for name, ind in question.indicators.items():
        kind = get_kind(ind.kind)
        if question.catch_all is not None:  # its diffuse likelihood, as if written out
            data = ind.model_dump(exclude_none=True)
            row = ind.prior_params(scenarios)[scenarios.index(CATCH_ALL)]
            data[kind.likelihood_field][CATCH_ALL] = kind.entry(ind, row)
            ind = type(ind).model_validate(data)
        entry: dict[str, Any] = {
            "id": name,
            "kind": ind.kind,
            "items": counts.get(name, 0),
            **kind.describe(ind, scenarios),
        }
        noise = ind.noise_params()
        if noise is not None:
            entry["noise"] = kind.likelihood_text(ind, noise[0])
        out["indicators"].append(entry)
    if evidence.items:
        dates = sorted(it.date for it in evidence.items)
        out["evidence"]["first_date"] = dates[0].isoformat()
        out["evidence"]["last_date"] = dates[-1].isoformat()
    return out


def format_description(report: dict[str, Any]) -> str:
    """Readable form of :func:`describe`."""
    lines = [
        f"question {report['question']}: {report['title']}  ({report['file']})",
        f"  {len(report['scenarios'])} scenarios (prior, concentration "
        f"{report['prior_concentration']:g}):",
    ]
    for s in report["scenarios"]:
        lines.append(f"    {escape_controls(s['id']):<16} {s['prior']:.3f}  {s['label']}")
    if report.get("reliability_model") == "mixture":
        relays = ", ".join(f"{k} {v:g}" for k, v in report.get("relays", {}).items())
        lines.append(
            "  reliability: truth mixture (the probability that a report is genuine)"
            + (f"; relays: {relays}" if relays else "")
        )
    else:
        lines.append("  reliability: tempered (an item of reliability w counts w * log f)")
    lines.append(f"  {len(report['indicators'])} indicators:")
    for ind in report["indicators"]:
        kind = get_kind(ind["kind"])
        extra = kind.describe_suffix(ind)
        lines.append(f"    {ind['id']} ({ind['kind']}{extra}; {text.plural(ind['items'], 'item')})")
        for s, lk in ind["likelihoods"].items():
            lines.append(f"      {escape_controls(s):<16} {kind.describe_text(lk)}")
        if "noise" in ind:
            lines.append(f"      {'noise':<16} {ind['noise']}  (what a false report says)")
    ev = report["evidence"]
    span = f", dated {ev['first_date']} to {ev['last_date']}" if ev.get("first_date") else ""
    lines.append(
        f"  evidence: {text.evidence_count(ev['items'], ev['origins'])} "
        f"({text.plural(ev['events'], 'event')}) in {text.plural(len(ev['files']), 'file')}{span}"
    )
    lines.append("OK: no problems found")
    return _lines(lines)


def format_sensitivity(f, tree) -> str:
    """The top drivers as readable tables."""
    lead = f.leading
    k = f.scenarios.index(lead)
    lines = [
        f"{f.title}: what the forecast rests on (as of {f.as_of})",
        f"Leading scenario: {f.labels[lead]} ({text.pct(float(f.probabilities.values[k]))})",
        "",
    ]
    infl = tree["evidence_influence"].to_dataset()
    lines.append("EVIDENCE INFLUENCE (each item left out in turn)")
    if infl.sizes.get("item", 0):
        lines.append(f"  {'item':<42} {'indicator':<26} {'shift':>7} {'diag.':>6}")
        for n in np.argsort(-infl["diagnosticity"].values)[:10]:
            lines.append(
                f"  {escape_controls(infl.item.values[n])[:42]:<42} "
                f"{escape_controls(infl.item_indicator.values[n])[:26]:<26} "
                f"{text.points(infl['shift'].values[n, k]):>6}p "
                f"{infl['diagnosticity'].values[n]:6.2f}"
            )
        lines.append(
            f"  shift: points of '{lead}' the item adds; diag.: largest |log Bayes "
            "factor| of the item for any scenario against the rest"
        )
    else:
        lines.append("  (no evidence)")
    if "origin_influence" in tree.children and tree["origin_influence"].sizes.get("origin", 0):
        by = tree["origin_influence"].to_dataset()
        lines += [
            "",
            "BY ORIGIN (all of an origin's items left out together, however many outlets "
            "relayed them)",
            f"  {'origin':<42} {'items':>5} {'shift':>7} {'diag.':>6}",
        ]
        for n in np.argsort(-by["diagnosticity"].values, kind="stable")[:10]:
            lines.append(
                f"  {escape_controls(by.origin.values[n])[:42]:<42} "
                f"{int(by['n_items'].values[n]):>5} "
                f"{text.points(by['shift'].values[n, k]):>6}p "
                f"{by['diagnosticity'].values[n]:6.2f}"
            )
    js = tree["judgement_sensitivity"].to_dataset()
    lines += [
        "",
        "JUDGEMENT SENSITIVITY (each elicited quantity over its own range)",
        f"  {'judgement':<48} {'range':<30} {'swing':>7}",
    ]
    for n in np.argsort(-js["leader_swing"].values)[:10]:
        rng = (
            f"{js.low_value.values[n]:.3g}-{js.high_value.values[n]:.3g} "
            f"{js.judgement_unit.values[n]}"
        )
        lines.append(
            f"  {escape_controls(js.judgement_label.values[n])[:48]:<48} {rng[:30]:<30} "
            f"{100 * js['leader_swing'].values[n]:6.1f}p"
        )
    tips = tree["tipping_points"].to_dataset()
    dist = tips["distance"].values
    order = [n for n in np.argsort(dist) if np.isfinite(dist[n])][:6]
    lines += ["", "TIPPING POINTS (nearest value of a judgement that changes the leader)"]
    if not order:
        lines.append("  no single judgement within its allowed range changes the leader")
    for n in order:
        b, lo, hi = tips.base_value.values[n], tips.flip_below.values[n], tips.flip_above.values[n]
        use_lo = np.isfinite(lo) and (not np.isfinite(hi) or abs(lo - b) <= abs(hi - b))
        flip, who = (
            (lo, tips.leader_below.values[n]) if use_lo else (hi, tips.leader_above.values[n])
        )
        lines.append(
            f"  {escape_controls(tips.judgement_label.values[n])[:48]:<48} now {b:.3g}, "
            f"flips at {flip:.3g} -> {who}"
        )
    voi = tree["value_of_information"].to_dataset()
    move = text.leader_moves(voi, tree["next_observation"].to_dataset())
    leader = str(voi.attrs.get("leader", f.leading))
    lines += [
        "",
        "WHAT TO WATCH NEXT (value of one more observation)",
        "  expected move: how far one more confirmed observation would move the leader's",
        f"  probability ({escape_controls(f.labels.get(leader, leader))}), in points either way",
        f"  {'indicator':<30} {'expected move':>13} {'P(leader changes)':>18} {'nats':>6}",
    ]
    for n in np.argsort(-np.nan_to_num(move, nan=-1.0), kind="stable"):
        shown = f"+-{100 * move[n]:.1f} pts" if np.isfinite(move[n]) else "n/a"
        lines.append(
            f"  {escape_controls(voi.indicator.values[n]):<30} {shown:>13} "
            f"{text.pct(float(voi['p_leader_change'].values[n])):>18} "
            f"{voi['entropy_reduction'].values[n]:6.3f}"
        )
    nxt = tree["next_observation"].to_dataset()
    for sentence in text.next_observation_sentences(f.question, f.labels, nxt):
        lines.append(f"  - {sentence}")
    return _lines(lines)
