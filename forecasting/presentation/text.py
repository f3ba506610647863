"""How numbers, probabilities, judgements and items read in words: one module for all outputs.

The CLI, the report, the plots and the notebooks format through here, so a probability reads
the same everywhere (:func:`pct`), and an estimative term (ICD 203) always goes with the same
number.

ODNI Intelligence Community Directive 203 pairs probability ranges with terms so that readers
do not have to guess what "likely" means:

=================  ==========================  =========================
probability        term                        alternative
=================  ==========================  =========================
below 5%           almost no chance            remote
5% to 20%          very unlikely               highly improbable
20% to 45%         unlikely                    improbable
45% to 55%         roughly even chance         roughly even odds
55% to 80%         likely                      probable
80% to 95%         very likely                 highly probable
above 95%          almost certain              nearly certain
=================  ==========================  =========================
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..confidence.level import horizon_words
from ..core.dims import SCENARIO

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from ..results.forecast import Forecast

#: (upper bound, term, alternative), in increasing order; the last bound is inclusive of 1.
SCALE: tuple[tuple[float, str, str], ...] = (
    (0.05, "almost no chance", "remote"),
    (0.20, "very unlikely", "highly improbable"),
    (0.45, "unlikely", "improbable"),
    (0.55, "roughly even chance", "roughly even odds"),
    (0.80, "likely", "probable"),
    (0.95, "very likely", "highly probable"),
    (1.00, "almost certain", "nearly certain"),
)

#: Longest row label of a plot or table, in characters (longer ids are shortened in the middle).
MAX_LABEL = 44


# --- numbers -----------------------------------------------------------------------------------


def pct(p: float, *, digits: int | None = None, sign: bool = True) -> str:
    """A probability as a percentage: ``52%``, ``0.5%``, ``<0.1%``, ``>99.9%``.

    Whole percentages between 1% and 99%, one decimal outside (unless ``digits`` says);
    ``sign=False`` leaves out the ``%``.
    """
    if not math.isfinite(p):
        return "n/a"
    if digits is None:
        digits = 0 if 0.01 <= p <= 0.99 or p in (0.0, 1.0) else 1
    text = f"{100 * p:.{digits}f}"
    if float(text) == 0 and p > 0:
        text = "<0.1" if digits else "<1"
    elif float(text) == 100 and p < 1:
        text = ">99.9" if digits else ">99"
    return text + ("%" if sign else "")


def pct_range(lo: float, hi: float) -> str:
    """A range of probabilities: ``25-81%``, ``<0.1% to 5%``, ``<0.1%`` (both ends alike).

    Never ``<0.1->99.9%`` (an end shown as a bound gets its own ``%`` and ``to``) nor
    ``<0.1-<0.1%`` (two ends that show alike are one number).
    """
    a, b = pct(lo), pct(hi)
    if a == b:
        return a
    if a[0] in "<>" or b[0] in "<>":
        return f"{a} to {b}"
    return f"{pct(lo, sign=False)}-{b}"


def signed(x: float, digits: int = 1) -> str:
    """A signed number with ``digits`` decimals: ``+5.1``, ``-0.3``.

    ``0.0`` where it rounds to zero (never ``-0.0`` or ``+0.0``).
    """
    text = f"{x:+.{digits}f}"
    return f"{0:.{digits}f}" if float(text) == 0 else text


def pp(shift: float) -> str:
    """A shift in probability as signed percentage points for a figure (no unit, true minus)."""
    v = 100 * shift
    if abs(v) < 0.05:
        return "0"
    return f"{v:+.1f}".replace("-", "\u2212")


def points(shift: float) -> str:
    """A shift in probability as signed percentage points for a table (``+5.1``, ``0.0``)."""
    return signed(100 * shift, 1)


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``1 item``, ``3 items``: every count of a noun in the outputs reads through here."""
    return f"{n} {noun if n == 1 else plural_form or noun + 's'}"


def evidence_count(n_items: int, n_origins: int) -> str:
    """``14 items from 6 independent origins``: how much evidence, resting on how many origins."""
    return f"{plural(n_items, 'item')} from {plural(n_origins, 'independent origin')}"


def estimative(p: float) -> str:
    """The ICD 203 term for probability ``p`` as displayed (e.g. 0.62 -> ``"likely"``).

    The term is chosen from the number as :func:`pct` shows it, so one displayed number always
    gets one term: 0.546 and 0.552 both show as "55%", and both read "roughly even chance".
    """
    shown = pct(p, sign=False)
    if math.isfinite(p) and shown[0].isdigit():
        p = float(shown) / 100
    for upper, term, _ in SCALE:
        if p < upper or (upper == 0.55 and p <= upper) or upper == 1.0:
            return term
    return SCALE[-1][1]


def change_words(delta: float) -> str:
    """``"up 7 points"``, ``"down 3 points"`` or ``"unchanged"`` (percentage points)."""
    n = round(100 * delta)
    if n == 0:
        return "unchanged"
    return f"{'up' if n > 0 else 'down'} {plural(abs(n), 'point')}"


# --- names -------------------------------------------------------------------------------------


def readable(name: str) -> str:
    """An indicator or category id as words: ``joint_operations`` -> ``joint operations``."""
    return str(name).replace("_", " ")


def shorten(text: str, width: int = MAX_LABEL) -> str:
    """``text`` cut in the middle to at most ``width`` characters (keeps start and end)."""
    text = str(text)
    if len(text) <= width:
        return text
    head = (width - 1) * 3 // 5
    tail = width - 1 - head
    return f"{text[:head]}\u2026{text[-tail:]}"


def clip(text: str, width: int) -> str:
    """``text`` cut at the end to at most ``width`` characters."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def clip_words(text: str, width: int) -> str:
    """``text`` cut at the end to at most ``width`` characters, between words.

    Never inside a word or a number (``w 0.36`` is kept whole or cut before ``0.36``, never
    as ``w 0``); what is left out is marked with an ellipsis. A single word longer than
    ``width`` is cut.
    """
    text = str(text)
    if len(text) <= width:
        return text
    head = text[: width - 1]
    if not text[width - 1].isspace():  # the cut falls inside a word: back to its start
        space = head.rfind(" ")
        head = head[:space] if space > 0 else head
    return head.rstrip(" ,;:([{") + "\u2026"


#: What :func:`escape_controls` shows escaped: C0 and C1 control characters and DEL (category
#: Cc, U+0085 included), the line and paragraph separators, and the bidirectional embeddings,
#: overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str, keep: str = "") -> str:
    r"""``text`` with its control characters shown escaped, as Python writes them in a string.

    ESC as ``\x1b``, a line break as ``\n``, U+202E (right-to-left override) as ``\u202e``:
    text read from a file can neither drive a terminal nor reorder the line it is on. What the
    command line prints from files goes through here (:mod:`.tables`, the CLI's own
    lines). ``keep``: characters left as they are, e.g. ``"\n"`` for several lines of our own
    layout whose values were escaped already.
    """

    def shown(match: re.Match[str]) -> str:
        c = match.group()
        return c if c in keep else c.encode("unicode_escape").decode("ascii")

    return _CONTROL.sub(shown, str(text))


# --- judgements --------------------------------------------------------------------------------


def judgement_value(value: float, quantity: str, unit_short: str = "") -> str:
    """A judgement's value in its own unit, short: ``52%``, ``1.2/30d``, ``w=0.50``, ``8``."""
    if not math.isfinite(value):
        return "n/a"
    if quantity == "probability":
        return pct(value)
    if quantity == "weight":
        return f"w={value:.2f}"
    return f"{value:.3g}{unit_short}"


def judgement_name(
    kind: str, target: str, scenario: str, category: str = "", quantity: str = ""
) -> str:
    """A readable, bounded-length name of a judgement (from its typed coordinates).

    ``joint operations rate | accession``, ``P(us rhetoric = hostile | informal)``,
    ``prior P(collapse)``, ``reliability of mei-2025-...``.
    """
    what, scen, cat = readable(target), clip(scenario, 16), readable(category)
    if kind == "likelihood" and quantity == "rate":
        return f"{clip(what, 32)} rate | {scen}"
    if kind == "likelihood" and quantity == "mean":
        return f"{clip(what, 32)} level | {scen}"
    if kind == "likelihood" and cat:
        return f"P({clip(what, 24)} = {clip(cat, 22)} | {scen})"
    if kind == "likelihood":
        return f"P({clip(what, 34)} | {scen})"
    if kind == "prior":
        return f"prior P({scen})"
    if kind == "concentration":
        return "prior concentration"
    if kind == "reliability":
        # item ids are kept as written (underscores too), shortened in the middle
        return f"reliability of {shorten(target, 38)}"
    if kind == "origin":
        return f"reliability of origin {shorten(target, 31)}"
    if kind == "noise" and cat:
        return f"noise P({clip(what, 24)} = {clip(cat, 22)})"
    if kind == "noise":
        return f"noise of {clip(what, 38)}"
    if kind == "transition":
        return f"P(stay in {scen})"
    return clip(readable(target), MAX_LABEL)


# --- sentences ---------------------------------------------------------------------------------


def headline(forecast: Forecast, previous: Forecast | None = None) -> str:
    """The leading scenario, its probability and ICD 203 term; then, apart, the confidence.

    With ``previous``, the change since that forecast (``"up 7 points since ..."``). With
    dynamics the probability is on the resolution date, and the regime now is said after it
    (``"...: 85% (very likely) by 2026-03-31, up 4 points since ...; now 96%"``). The
    confidence is its own sentence (:func:`confidence_sentence`), never inside the first:
    ICD 203 keeps how likely a judgement is apart from how confident the analyst is in it.
    Where the runner-up is within :data:`CLOSE_POINTS` of the leader, the first sentence says
    the two are too close to call (``"...; too close to call against 'Frays' at 45% (within 10
    points)"``).
    """
    k = forecast.leading
    p = float(forecast.probabilities.sel({SCENARIO: k}))
    text = f"{forecast.labels[k]}: {pct(p)} ({estimative(p)})"
    now = forecast.now
    if now is not None:  # dynamics: the probability is on the resolution date
        text = f"{text} by {forecast.question.get('resolves')}"
    if previous is not None and k in previous.scenarios:
        before = float(previous.probabilities.sel({SCENARIO: k}))
        text = f"{text}, {change_words(p - before)} since {previous.as_of.isoformat()}"
        if now is not None:
            text = f"{text}; now {pct(float(now.sel({SCENARIO: k})))}"
    elif now is not None:
        text = f"{text}; now {pct(float(now.sel({SCENARIO: k})))} (as of {forecast.as_of})"
    else:
        text = f"{text} as of {forecast.as_of.isoformat()}"
    runner = close_runner_up(forecast)
    if runner is not None:
        text = (
            f"{text}; too close to call against '{forecast.labels[runner]}' at "
            f"{pct(float(forecast.probabilities.sel({SCENARIO: runner})))} (within "
            f"{CLOSE_POINTS} points)"
        )
    confidence = confidence_sentence(forecast)
    return f"{text}. {confidence}" if confidence else text


#: The headline calls the two leading scenarios too close to call when their probabilities, as
#: shown (whole percentages), are at most this many points apart: 55% against 45% reads
#: "likely" against "unlikely" in ICD 203's words, which says more than ten points do.
CLOSE_POINTS = 10


def close_runner_up(forecast: Forecast) -> str | None:
    """The second scenario where it is within :data:`CLOSE_POINTS` of the leader, else ``None``.

    Compared as :func:`pct` shows them, so the rule reads off the numbers printed.
    """
    probs = [float(p) for p in forecast.probabilities.values]
    if len(probs) < 2:
        return None
    order = sorted(range(len(probs)), key=lambda k: -probs[k])
    lead, second = order[0], order[1]
    shown = [round(100 * probs[k]) for k in (lead, second)]
    if shown[0] - shown[1] > CLOSE_POINTS:
        return None
    return forecast.scenarios[second]


#: Rules whose reasons the confidence sentence says in its own words (origins, the horizon).
_SAID = {"few_origins", "one_origin_dominates", "many_origins", "unsettled", "settled"}


def confidence_sentence(forecast: Forecast) -> str:
    """The confidence, its own sentence: the level, the origins, how far the horizon could move.

    ``Confidence low: 12 items from 6 independent origins, the largest carrying 56% of the
    weight; a month of typical evidence could leave it anywhere between 27% and 80%.``
    Empty for a forecast made before confidence was computed. Every reason that decided the
    level (:mod:`forecasting.confidence.level`) is in it.
    """
    conf = forecast.confidence
    if conf is None:
        return ""
    k = forecast.leading
    n = len(conf.origins)
    parts = [evidence_count(conf.items, n)]
    largest = conf.largest
    if largest is not None and n > 1:
        parts[0] += f", the largest ({largest[0]}) carrying {pct(largest[1])} of the weight"
    lo, hi = conf.range("responsiveness", k)
    when = horizon_words(conf.horizon_days)
    move = f"{when} of typical evidence could leave it anywhere between {pct(lo)} and {pct(hi)}"
    if {"unsettled", "settled"} & set(conf.reason_rules):
        move += f", and would change the leader with probability {pct(conf.p_leader_change)}"
    parts.append(move)
    parts += [
        reason
        for reason, rule in zip(conf.reasons, conf.reason_rules, strict=True)
        if rule not in _SAID
    ]
    return f"Confidence {conf.level}: " + "; ".join(parts) + "."


#: The chance below which an observation that would change the leader is not one to watch
#: (what :func:`pct` shows as "<0.1%": 52 joint operations in a month where one is usual).
WATCH_MIN_CHANCE = 0.001


def next_observation_sentences(
    question: Mapping[str, Any], labels: Mapping[str, str], nxt: xr.Dataset, limit: int = 8
) -> list[str]:
    """Plain sentences: which single next observation would make another scenario lead.

    One sentence per indicator and new leader, e.g. "A count of at most 1 for joint operations
    in the next 30 days would make 'Coordination continues...' lead (chance of seeing it:
    36%)"; none where that chance is below :data:`WATCH_MIN_CHANCE` (the analysis itself
    keeps every outcome). The observation is taken as confirmed (reliability 1).
    ``question`` is the question as plain data, ``nxt`` the output of
    :func:`forecasting.analyses.next_observation`.
    """
    from ..kinds import get_kind

    out = []
    for ind, spec in question["indicators"].items():
        rows = [n for n in range(nxt.sizes["outcome"]) if nxt.outcome_indicator.values[n] == ind]
        flips = [n for n in rows if bool(nxt.flips.values[n])]
        if not flips:
            continue
        kind = get_kind(spec["kind"])
        every = [str(nxt.outcome_value.values[n]) for n in rows]
        for leader in dict.fromkeys(str(nxt.leader.values[n]) for n in flips):
            sel = [n for n in flips if str(nxt.leader.values[n]) == leader]
            chance = float(sum(nxt.predictive_probability.values[n] for n in sel))
            if chance < WATCH_MIN_CHANCE:
                continue
            values = [str(nxt.outcome_value.values[n]) for n in sel]
            what = kind.observation_phrase(readable(ind), spec, values, every)
            out.append(
                f"{what[0].upper()}{what[1:]} would make '{labels.get(leader, leader)}' lead "
                f"(chance of seeing it: {pct(chance)})"
            )
    return out[:limit]


def leader_moves(voi: xr.Dataset, nxt: xr.Dataset | None) -> Any:
    """How far one more observation of each indicator is expected to move the leader.

    The value of information in probability terms: for each indicator of ``voi`` (the output
    of :func:`forecasting.analyses.value_of_information`), the expected absolute change of the
    leading scenario's probability, ``sum_o p(o) |P(leader | o) - P(leader)|``, over the
    possible next observations ``o`` of ``nxt`` (:func:`forecasting.analyses.next_observation`;
    ``P(leader)`` is their predictive mean, the probability now). ``voi["expected_leader_move"]``
    when the analysis gave it; NaN where neither says.
    """
    import numpy as np

    if "expected_leader_move" in voi:
        return np.asarray(voi["expected_leader_move"].values, dtype=float)
    inds = [str(i) for i in voi["indicator"].values]
    out = np.full(len(inds), np.nan)
    leader = voi.attrs.get("leader")
    if nxt is None or leader is None or leader not in [str(s) for s in nxt["scenario"].values]:
        return out
    which = np.asarray(nxt["outcome_indicator"].values).astype(str)
    pred = np.asarray(nxt["predictive_probability"].values, dtype=float)
    post = np.asarray(nxt["probability"].sel(scenario=leader).values, dtype=float)
    for k, ind in enumerate(inds):
        rows = which == ind
        total = float(pred[rows].sum())
        if total > 0:
            now = float(pred[rows] @ post[rows]) / total
            out[k] = float(pred[rows] @ np.abs(post[rows] - now)) / total
    return out


def scenario_names(labels: Mapping[str, str] | None, scenarios: Sequence[str]) -> dict[str, str]:
    """Scenario id to label (the id where no label is given)."""
    labels = dict(labels or {})
    return {s: str(labels.get(s, s)) for s in scenarios}


#: Resolved questions below which the reliability diagram is said to say little.
FEW_QUESTIONS = 30


def score_lines(card: Mapping[str, Any]) -> list[str]:
    """The ``forecast score`` table, from a scorecard's ``to_dict()``.

    A line per question (status, outcome, time-averaged Brier and log scores, skill against
    the prior), its items' prequential scores by origin, then the calibration across the
    resolved questions.
    """

    def num(x: float | None, fmt: str) -> str:
        return "n/a" if x is None else format(x, fmt)

    lines = []
    for q in card["questions"]:
        res = q["resolution"]
        if q["status"] == "resolved":
            lines.append(
                f"{q['question']}: resolved {res['date']} as '{res['outcome']}'; "
                f"{plural(len(q['forecasts']), 'forecast')} over its open life"
            )
            lines.append(
                f"  Brier {num(q['brier'], '.3f')} (prior {num(q['brier_prior'], '.3f')}, "
                f"uniform {num(q['brier_uniform'], '.3f')}); skill vs prior "
                f"{num(q['brier_skill_prior'], '+.0%')}, vs uniform "
                f"{num(q['brier_skill_uniform'], '+.0%')}"
            )
            lines.append(
                f"  log score {num(q['log'], '.3f')} nats (prior {num(q['log_prior'], '.3f')}, "
                f"uniform {num(q['log_uniform'], '.3f')}); skill vs prior "
                f"{num(q['log_skill_prior'], '+.0%')}"
            )
        elif q["status"] == "annulled":
            lines.append(f"{q['question']}: annulled {res['date']} ({res['annulled']}); not scored")
        elif q["status"] == "no forecasts":
            lines.append(f"{q['question']}: resolved, but no forecast was archived before it")
        else:
            lines.append(f"{q['question']}: open (not resolved yet)")
        for why in q.get("skipped", []):
            lines.append(f"  skipped (unreadable or not this question's): {why}")
        one_by_one = [row for row in q["items"] if row["log_predictive"] is not None]
        if len(one_by_one) < len(q["items"]):  # beyond a week's budget of work
            lines.append(
                f"  {plural(len(q['items']) - len(one_by_one), 'item')} scored together with "
                "the rest of their week, not one by one (too costly); each week's total: "
                + ", ".join(f"{w['as_of']} {w['log_predictive']:+.2f}" for w in q["weeks"])
            )
        if one_by_one:
            lines.append(
                f"  {plural(len(one_by_one), 'item')} scored as they arrived "
                "(log predictive probability under the forecast before them, by origin):"
            )
            origins = sorted(q["origins"].items(), key=lambda kv: kv[1]["mean"])
            width = min(40, max(len(o) for o, _ in origins))
            for origin, row in origins:
                lines.append(
                    f"    {clip(origin, width):<{width}}  {plural(int(row['n_items']), 'item'):>9}"
                    f"  mean {row['mean']:+.2f}  total {row['total']:+.2f}"
                )
    cal = card.get("calibration")
    if cal is not None:
        lines.append(
            f"Calibration over {plural(int(cal['n_questions']), 'resolved question')} "
            f"({int(cal['n_pairs'])} scenario-events): Brier {cal['mean_score']:.3f} = "
            f"miscalibration {cal['miscalibration']:.3f} - discrimination "
            f"{cal['discrimination']:.3f} + uncertainty {cal['uncertainty']:.3f}; the "
            f"recalibrated curve is inside its 90% consistency band for "
            f"{cal['share_inside_band']:.0%} of them"
            + (
                f" (with {plural(int(cal['n_questions']), 'question')} the band is wide: the "
                "diagram says little until a few dozen questions have resolved)"
                if cal["n_questions"] < FEW_QUESTIONS
                else ""
            )
        )
    return lines
