"""Checks between ledger items: what no single item shows (ids, events, origins).

Run on every ledger, whatever its files and formats, after each item is checked on its own
(:mod:`.evidence`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.constants import MAX_LINKED_ORIGINS
from ..core.errors import Problem
from ..kinds import get_kind

if TYPE_CHECKING:
    from .evidence import EvidenceItem
    from .question import Question


def _where(item: EvidenceItem) -> str:
    if item.file:
        return f"{item.file}:{item.line}"
    return f"line {item.line}" if item.line is not None else f"item '{item.id}'"


def _window(item: EvidenceItem) -> str:
    start, end = item.window
    return f"[{start.isoformat()}, {end.isoformat()}]"


def _certain(item: EvidenceItem, question: Question) -> bool:
    """Whether a report is certainly genuine (origin, credibility and every relay at 1)."""
    relays = question.relays or {}
    return (
        item.origin_weight >= 1
        and (item.credibility or 0) >= 1
        and all(relays.get(v, 1.0) >= 1 for v in item.via)
    )


def cross_item_problems(
    items: Sequence[EvidenceItem], question: Question | None = None
) -> list[Problem]:
    """Problems between items.

    (An id used twice is found on the rows, valid or not: :func:`.items.duplicate_ids`.) An
    event reported on two indicators, or over two different windows;
    relayed copies of one origin's report of an event that disagree on the value. Under the
    truth-mixture model (``reliability_model: mixture``) also: an origin graded with two
    different letters, or on one indicator with a letter and by a number (its reliability there
    is one number: a number grades the report alone, its origin counted reliable), a measured
    (continuous)
    event reported by several origins, and shared events linking more than
    :data:`~forecasting.core.constants.MAX_LINKED_ORIGINS` origins into one component.
    """
    events: dict[str, EvidenceItem] = {}
    copies: dict[tuple[str, str], EvidenceItem] = {}
    event_origins: dict[str, set[str]] = {}
    letters: dict[str, EvidenceItem] = {}
    # an origin's reliability is one number per indicator (its block of reports): graded by a
    # letter and by a number on one indicator, it would be whichever item came last
    numbered: dict[tuple[str, str], EvidenceItem] = {}
    lettered: dict[tuple[str, str], EvidenceItem] = {}
    certain: dict[str, list[EvidenceItem]] = {}
    mixture = question is not None and question.reliability == "mixture"
    problems = []

    def bad(it: EvidenceItem, field: str, message: str) -> None:
        problems.append(Problem(it.file, it.line, field, f"{message} (item '{it.id}')"))

    for it in items:
        if it.event is not None:
            seen = events.setdefault(it.event, it)
            if seen.indicator != it.indicator:
                bad(
                    it,
                    "event",
                    f"event '{it.event}' is reported here on indicator '{it.indicator}' "
                    f"but on '{seen.indicator}' at {_where(seen)}; reports of one event "
                    "observe one indicator (give the other report its own event id)",
                )
            elif seen.exposure != it.exposure:
                if it.window is not None and seen.window is not None:
                    spans = f"{_window(it)} here but over {_window(seen)}"
                else:
                    spans = f"{it.exposure:g} here but over {seen.exposure:g} (units of per_days)"
                bad(
                    it,
                    "window" if it.window is not None else "exposure",
                    f"event '{it.event}' is reported over {spans} at {_where(seen)}; reports of "
                    "one event count over one window",
                )
            copy = copies.setdefault((it.event, it.origin), it)
            if copy is not it and copy.value != it.value and seen.indicator == it.indicator:
                bad(
                    it,
                    "value",
                    f"'{it.origin}' reports event '{it.event}' as {it.value!r} here but as "
                    f"{copy.value!r} at {_where(copy)}; relays of one origin's report carry "
                    "one value (if the origin reported twice, give the reports their own "
                    "event ids)",
                )
            event_origins.setdefault(it.event, set()).add(it.origin)
            if mixture and seen.indicator == it.indicator and _certain(it, question):
                sure = certain.setdefault(it.event, [])
                clash = next((x for x in sure if x.value != it.value), None)
                if clash is not None:
                    bad(
                        it,
                        "reliability",
                        f"event '{it.event}' is reported as {it.value!r} here and as "
                        f"{clash.value!r} at {_where(clash)}, both by reports graded certainly "
                        "genuine; at most one of them can be right: lower the reliability of one",
                    )
                sure.append(it)
            if (
                mixture
                and not get_kind(it.kind).shared_events
                and len(event_origins[it.event]) == 2
                and seen.indicator == it.indicator
            ):
                bad(
                    it,
                    "event",
                    f"event '{it.event}' of the measured indicator '{it.indicator}' is "
                    f"reported by '{it.origin}' and at {_where(seen)} by '{seen.origin}'; "
                    "several origins' measurements of one event are not supported: give each "
                    "origin's measurement its own event id",
                )
        if mixture and not isinstance(it.reliability, str):
            numbered.setdefault((it.origin, it.indicator), it)
            graded = lettered.get((it.origin, it.indicator))
            if graded is not None:
                bad(
                    it,
                    "reliability",
                    f"origin '{it.origin}' is graded by a number here but with the letter "
                    f"{str(graded.reliability)[0]} at {_where(graded)}, on the same indicator "
                    f"('{it.indicator}'); a number grades the "
                    "report alone (its origin counted reliable), a letter grades the origin, "
                    "shared by all its reports: give this report a code with the letter "
                    f"{str(graded.reliability)[0]}, or grade all of the origin's reports on "
                    "it by numbers",
                )
        if mixture and isinstance(it.reliability, str):
            graded = letters.setdefault(it.origin, it)
            number = numbered.get((it.origin, it.indicator))
            if number is not None and lettered.setdefault((it.origin, it.indicator), it) is it:
                bad(
                    it,
                    "reliability",
                    f"origin '{it.origin}' is graded {it.reliability[0]} here but by a number "
                    f"at {_where(number)}, on the same indicator ('{it.indicator}'); a letter "
                    "grades the origin, shared by all its "
                    "reports, a number grades the report alone (its origin counted reliable): "
                    "use codes with one letter for all of the origin's reports on it, or "
                    "numbers for all of them",
                )
            lettered.setdefault((it.origin, it.indicator), it)
            if str(graded.reliability)[0] != it.reliability[0]:
                bad(
                    it,
                    "reliability",
                    f"origin '{it.origin}' is graded {it.reliability[0]} here but "
                    f"{str(graded.reliability)[0]} at {_where(graded)}; an origin's reliability "
                    "(the letter) is one judgement, shared by all its reports: use one letter "
                    "(or, to read each code as one weight as the first release did, set "
                    "reliability_model: tempered in the question)",
                )
    if mixture:
        problems += _linked_origins(items)
    return problems


def _linked_origins(items: Sequence[EvidenceItem]) -> list[Problem]:
    """Components of origins linked by shared events beyond :data:`MAX_LINKED_ORIGINS`.

    (An event reported by several origins links them: the likelihood sums over their states.)
    Located at the item whose event first takes a component past the limit.
    """
    # an indicator's origins (each indicator's reports are linked apart from the others')
    parent: dict[tuple[str, str], tuple[str, str]] = {}
    size: dict[tuple[str, str], int] = {}
    first: dict[tuple[str, str], tuple[str, str]] = {}  # (indicator, event) -> a reporter

    def find(x: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(x, x)
        size.setdefault(x, 1)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    problems: list[Problem] = []
    flagged: set[tuple[str, str]] = set()
    for it in items:
        if it.event is None:
            continue
        node = (it.indicator, it.origin)
        a, b = find(first.setdefault((it.indicator, it.event), node)), find(node)
        if a == b:
            continue
        parent[b] = a
        size[a] += size[b]
        if size[a] > MAX_LINKED_ORIGINS and a not in flagged:
            flagged.add(a)
            members = sorted(o for ind, o in parent if find((ind, o)) == a and o != it.origin)
            shown = ", ".join(f"'{o}'" for o in members[:5])
            problems.append(
                Problem(
                    it.file,
                    it.line,
                    "event",
                    f"event '{it.event}' links origin '{it.origin}' with "
                    f"{len(members)} others through shared events ({shown}, ...); the "
                    f"truth mixture sums over the states of linked origins and links at most "
                    f"{MAX_LINKED_ORIGINS}: log outlets that only relayed another origin's "
                    "report under that origin (`origin:` it, `via:` the outlets), or give "
                    f"reports that are not of one event their own event ids (item '{it.id}')",
                )
            )
    return problems


#: Pairs of origins named per indicator by :func:`likely_copies` for counts over one window.
MAX_WINDOW_PAIRS = 20


def likely_copies(
    items: Sequence[EvidenceItem], question: Question | None = None
) -> list[tuple[EvidenceItem, str]]:
    """Warnings: items that look like one report or one observation counted twice.

    Under the truth mixture a report counts once only as copies of one ``event`` by one origin
    (the first release's echo). Warned of, never refused (each may be a report of its own):
    two items of one origin, indicator, value and date without an ``event``, one of them
    relayed (``via``); and counts over the very same window by different origins without a
    shared ``event`` (two observations of the same days), one warning per indicator and pair
    of origins however many windows they share. Each with the later item of the first pair.
    At most :data:`MAX_WINDOW_PAIRS` pairs of origins an indicator are named; one more warning
    counts the windows that further origins share (a ledger of 100,000 counts by 1,000
    origins made millions of pairs: 6 s, and as many warnings, before).
    """
    if question is None or question.reliability != "mixture":
        return []
    out: list[tuple[EvidenceItem, str]] = []
    same_report: dict[tuple, EvidenceItem] = {}
    same_window: dict[tuple, dict[str, EvidenceItem]] = {}  # origin -> its first item there
    pairs: dict[tuple, list[tuple[EvidenceItem, EvidenceItem]]] = {}
    named: dict[str, int] = {}  # pairs named per indicator
    beyond: dict[str, list] = {}  # per indicator: windows shared beyond them, the first's item
    for it in items:
        if it.event is not None:
            continue
        key = (it.origin, it.indicator, repr(it.value), it.date, it.window)
        seen = same_report.setdefault(key, it)
        if seen is not it and (seen.via or it.via):
            out.append(
                (
                    it,
                    f"{_where(it)}: item '{it.id}' and item '{seen.id}' at {_where(seen)} are "
                    f"by one origin ('{it.origin}'), of one indicator and value, on one day, "
                    "relayed, and without an `event`: they count as two reports; if they are one "
                    "report reaching you by two outlets, give both the same `event:` (it then "
                    "counts once)",
                )
            )
        if it.window is not None:
            group = same_window.setdefault((it.indicator, it.window), {})
            if it.origin in group:
                continue
            if group and named.get(it.indicator, 0) < MAX_WINDOW_PAIRS:
                for other in group.values():
                    pair = (it.indicator, *sorted((other.origin, it.origin)))
                    if pair not in pairs:
                        named[it.indicator] = named.get(it.indicator, 0) + 1
                    pairs.setdefault(pair, []).append((other, it))
            elif len(group) == 1:  # a window now shared, its pairs not named
                beyond.setdefault(it.indicator, [0, it])[0] += 1
            group[it.origin] = it
    for (indicator, a, b), found in pairs.items():
        other, it = found[0]
        more = len(found) - 1
        also = f" (and {more} other window{'s' if more != 1 else ''} the two share)" if more else ""
        out.append(
            (
                it,
                f"{_where(it)}: item '{it.id}' counts '{indicator}' over the same window as "
                f"item '{other.id}' at {_where(other)}{also}, '{a}' and '{b}', without a shared "
                "`event`: two observations of the same days; if they count the same events, "
                "give both the same `event:` (distinct origins then corroborate)",
            )
        )
    for indicator, (count, it) in beyond.items():
        out.append(
            (
                it,
                f"{_where(it)}: and {count} more window{'s' if count != 1 else ''} of "
                f"'{indicator}' counted by other origins too, without a shared `event` (the "
                f"first {MAX_WINDOW_PAIRS} pairs of origins are named above; their counts of "
                "shared windows stop there)",
            )
        )
    return out
