"""One ledger item: its schema, its validation against the question, the validated item.

Every item is checked the same way wherever it comes from (a ledger file of any format, Python,
a forecast file, a what-if file): the schema (types), then its meaning by its indicator's kind,
each problem located at the item (``[2].date``) and naming the item's id where it has one.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from ..core.errors import Problem, did_you_mean, one_of
from ..core.schema import Date, id_text, is_number
from ..core.schema import short_value as _short
from ..kinds import get_kind, kinds
from .item_bounds import bound_problems
from .ledgers import plain_number_problem
from .problems import drop_misspelt_missing, error_problem
from .question import Question
from .reliability import code_parts
from .safe_yaml import LineMap
from .text_rules import value_problems

#: An item or event id, matched in full (:func:`id_text`).
ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]*")


class _ItemBase(BaseModel):
    """Schema of one ledger entry (types only; meaning is checked against the question)."""

    model_config = ConfigDict(extra="forbid")
    ID_HELP: ClassVar[str] = (
        "item id: start with a letter or digit, then use only letters, digits and . _ : @ + - "
        "(no spaces)"
    )


#: Keys that some kinds read (e.g. a count's ``window`` and ``exposure``), by kind.
KIND_KEYS: dict[str, tuple[str, ...]] = {k.name: k.item_keys for k in kinds().values()}
#: The fields of an item, in the order messages list them. ``value``'s meaning and the kinds'
#: own keys are checked against the question by the indicator's kind (:func:`_check_item`);
#: ``reliability`` is a number in [0, 1] or an Admiralty code.
_ItemSpec = create_model(
    "_ItemSpec",
    __base__=_ItemBase,
    id=(id_text(ITEM_ID), ...),
    indicator=(Annotated[str, Field(min_length=1)], ...),
    value=(Any, ...),
    **{key: (Any, None) for key in dict.fromkeys(k for ks in KIND_KEYS.values() for k in ks)},
    date=(Date, ...),
    occurred=(Date | None, None),
    source=(Annotated[str, Field(min_length=1)], ...),
    origin=(Annotated[str, Field(min_length=1)] | None, None),
    via=(list[Annotated[str, Field(min_length=1)]] | None, None),
    event=(id_text(ITEM_ID) | None, None),
    reliability=(Any, None),
    note=(str | None, None),
    url=(str | None, None),
)

_ITEMS = TypeAdapter(list[_ItemSpec])
_REQUIRED = ("id", "indicator", "value", "date", "source")


@dataclass(frozen=True)
class EvidenceItem:
    """One validated observation.

    ``value`` is as the indicator's kind checked it (an ``int`` count, a ``bool``, a category,
    a number); ``exposure`` is in units of the indicator's ``per_days`` (count items only);
    ``weight`` is the reliability as a number in [0, 1]. ``origin`` is who first observed or
    reported it (the ``source`` when the ledger does not say), ``via`` the outlets that relayed
    it, in order, and ``event`` the id shared by every report of one fact or event (``None``: the
    item is its own event).
    """

    id: str
    indicator: str
    kind: str
    value: int | bool | str
    date: dt.date
    source: str
    weight: float
    reliability: float | str = 1.0
    origin: str = ""
    via: tuple[str, ...] = ()
    event: str | None = None
    origin_weight: float = 1.0
    credibility: float | None = None
    exposure: float | None = None
    window: tuple[dt.date, dt.date] | None = None
    #: When what it reports happened, if not on ``date`` (not for counts over a window).
    occurred: dt.date | None = None
    note: str | None = None
    url: str | None = None
    file: str | None = None
    line: int | None = None

    def __post_init__(self) -> None:
        if not self.origin:
            object.__setattr__(self, "origin", self.source)
        if self.credibility is None:
            object.__setattr__(self, "credibility", self.weight)

    @property
    def reference_date(self) -> dt.date:
        """The date of what it reports: ``occurred``, a count window's end, else ``date``.

        Ageing and the periods of a question's dynamics go by it (:mod:`forecasting.model`);
        ``as_of`` filters by ``date``, when the report became known.
        """
        if self.occurred is not None:
            return self.occurred
        if self.window is not None:
            return self.window[1]
        return self.date

    def to_dict(self) -> dict[str, Any]:
        """The item as it would be written in a ledger (JSON-ready)."""
        out: dict[str, Any] = {"id": self.id, "indicator": self.indicator}
        out["value"] = self.value
        if self.window is not None:
            out["window"] = [self.window[0].isoformat(), self.window[1].isoformat()]
        elif self.exposure is not None:
            out["exposure"] = self.exposure
        out["date"] = self.date.isoformat()
        if self.occurred is not None:
            out["occurred"] = self.occurred.isoformat()
        out["source"] = self.source
        if self.origin and self.origin != self.source:
            out["origin"] = self.origin
        if self.via:
            out["via"] = list(self.via)
        if self.event is not None:
            out["event"] = self.event
        out["reliability"] = self.reliability
        if self.note is not None:
            out["note"] = self.note
        if self.url is not None:
            out["url"] = self.url
        return out


def _table(question: Question) -> tuple[tuple[str, float], ...] | None:
    codes = question.reliability_codes
    return tuple(sorted(codes.items())) if codes else None


@lru_cache(maxsize=4096)
def _code_parts(code: str, table: tuple[tuple[str, float], ...] | None) -> tuple[float, float]:
    """:func:`code_parts`, remembered (ledgers repeat a handful of codes)."""
    return code_parts(code, dict(table) if table else None)


def _rows(
    raw: list[Any], lines: LineMap
) -> tuple[list[tuple[int, dict]], list[ItemRef], list[Problem], set[str]]:
    """The rows that are mappings, where each id is, and the problems of the rows' text.

    Returns those rows with their index, the refs of their ids, the problems (rows that are
    not mappings, text refused for its characters or length) and the fields those explain
    (they get no second error on the same field).
    """
    problems: list[Problem] = []
    refs: list[ItemRef] = []
    good_rows = []
    for i, row in enumerate(raw):
        if not isinstance(row, dict):
            problems.append(
                lines.problem(
                    (i,), f"each evidence item must be a mapping of fields, got {_short(row)}"
                )
            )
            continue
        good_rows.append((i, row))
        if isinstance(row.get("id"), str) and ITEM_ID.fullmatch(row["id"]):
            refs.append(ItemRef(row["id"], lines.source, lines.line((i, "id")), i))
    written = [p for i, row in good_rows for p in value_problems(row, lines, (i,), numbers=False)]
    problems.extend(written)
    return good_rows, refs, problems, {p.field for p in written}


def parse_items(
    raw: list[Any],
    lines: LineMap,
    question: Question,
    *,
    text_values: bool = False,
    ledger: bool = False,
) -> tuple[list[EvidenceItem], list[Problem], list[ItemRef]]:
    """Validate the items of one file (``ledger``) or given in Python.

    Returns the valid items, every problem (each naming its item's id, where it has one), and
    where every item with an id is, valid or not (:func:`duplicate_ids` then finds an id used
    twice at once, not after the items are fixed). A window that ends after its item's date
    is refused wherever the items come from.
    """
    good_rows, refs, problems, explained = _rows(raw, lines)
    try:
        specs = _ITEMS.validate_python([row for _, row in good_rows])
        spec_by_index = {i: s for (i, _), s in zip(good_rows, specs, strict=True)}
    except ValidationError as exc:
        failed = set()
        for p in _item_schema_problems(exc, lines, good_rows):
            if p.field not in explained:
                problems.append(p)
        for err in exc.errors(include_url=False):
            failed.add(err["loc"][0])
        spec_by_index = {}
        ok_rows = [(i, row) for k, (i, row) in enumerate(good_rows) if k not in failed]
        if ok_rows:
            specs = _ITEMS.validate_python([row for _, row in ok_rows])
            spec_by_index = {i: s for (i, _), s in zip(ok_rows, specs, strict=True)}
    # meaning, for every item whose indicator and value can be checked
    items = []
    for i, row in good_rows:
        item, found = _check_item(
            i, row, spec_by_index.get(i), lines, question, text_values, ledger
        )
        problems.extend(p for p in found if p.field not in explained)
        if item is not None:
            items.append(item)
    return items, [_naming_item(p, raw) for p in problems], refs


def shape_problems(raw: list[Any], lines: LineMap) -> tuple[list[Problem], list[ItemRef]]:
    """What :func:`parse_items` finds without a question: each item's fields and their types.

    For a ledger whose question does not validate: its problems are reported with the
    question's, not after the question is fixed.
    """
    good_rows, refs, problems, explained = _rows(raw, lines)
    try:
        _ITEMS.validate_python([row for _, row in good_rows])
    except ValidationError as exc:
        problems += [
            p for p in _item_schema_problems(exc, lines, good_rows) if p.field not in explained
        ]
    return [_naming_item(p, raw) for p in problems], refs


@dataclass(frozen=True)
class ItemRef:
    """Where an item with an id is (valid or not): for ids used twice."""

    id: str
    file: str | None
    line: int | None
    index: int


def duplicate_ids(refs: list[ItemRef], taken: Mapping[str, str] | None = None) -> list[Problem]:
    """An id used twice among ``refs`` (in order), or already ``taken`` (id: where)."""
    first: dict[str, ItemRef] = {}
    problems = []
    for ref in refs:
        where = (taken or {}).get(ref.id)
        if where is None and ref.id in first:
            seen = first[ref.id]
            where = f"{seen.file}:{seen.line}" if seen.file else f"item [{seen.index}]"
            if seen.file is None and seen.line is not None:
                where = f"line {seen.line}"
        if where is not None:
            problems.append(
                Problem(
                    ref.file,
                    ref.line,
                    f"[{ref.index}].id",
                    f"item id '{ref.id}' is used twice (first at {where}); ids must be unique "
                    "across all files",
                )
            )
        else:
            first[ref.id] = ref
    return problems


_INDEX = re.compile(r"\[([0-9]+)\]")


def _naming_item(problem: Problem, raw: list[Any]) -> Problem:
    """``problem`` (located at ``[i].field``) with its item's id named in the message."""
    match = _INDEX.match(problem.field)
    if match is None or problem.field.endswith("].id"):
        return problem
    i = int(match[1])
    row = raw[i] if i < len(raw) else None
    item_id = row.get("id") if isinstance(row, dict) else None
    if not isinstance(item_id, str) or not item_id.strip() or len(item_id) > 200:
        return problem
    return replace(problem, message=f"{problem.message} (item '{item_id}')")


def _item_schema_problems(
    exc: ValidationError, lines: LineMap, good_rows: list[tuple[int, dict]]
) -> list[Problem]:
    """Schema errors, re-indexed from the list of mappings to the file's own item indexes."""
    out = []
    for err in drop_misspelt_missing(exc.errors(include_url=False)):
        k, *rest = err["loc"]
        index, row = good_rows[k]
        out.append(
            error_problem(dict(err, loc=tuple(rest)), lines, _ItemSpec, row, prefix=(index,))
        )
    return out


def _check_item(
    i: int,
    row: Mapping[str, Any],
    spec: BaseModel | None,
    lines: LineMap,
    question: Question,
    text_values: bool = False,
    ledger: bool = False,
) -> tuple[EvidenceItem | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(path: tuple, message: str) -> None:
        problems.append(lines.problem((i, *path), message))

    name = row.get("indicator")
    indicator = question.indicators.get(name) if isinstance(name, str) else None
    if isinstance(name, str) and indicator is None:
        names = list(question.indicators)
        bad(
            ("indicator",),
            f"'{name}' is not an indicator of question '{question.id}'"
            f"{did_you_mean(name, names)}; indicators are {one_of(names)}",
        )
    weight = None
    origin_weight, credibility = 1.0, None
    reliability = row.get("reliability", 1.0)
    if reliability is None:
        reliability = 1.0
    if isinstance(reliability, str):
        try:
            origin_weight, credibility = _code_parts(reliability, _table(question))
            weight = origin_weight * credibility
            reliability = reliability.strip().upper()
        except ValueError as exc:
            bad(("reliability",), str(exc))
    elif is_number(reliability) and math.isfinite(reliability) and 0 <= reliability <= 1:
        weight = float(reliability)
    else:
        bad(
            ("reliability",),
            f"must be a number between 0 and 1 or an Admiralty code such as 'B2', "
            f"got {_shown(reliability, lines, (i, 'reliability'))}",
        )
    if indicator is None:
        return None, problems
    kind = get_kind(indicator.kind)
    for key in _OTHER_KEYS[kind.name]:
        if key in row:
            owners = [k for k, keys in KIND_KEYS.items() if key in keys]
            bad(
                (key,),
                f"'{key}' applies only to {' or '.join(owners)} indicators; "
                f"'{name}' is {indicator.kind}",
            )
    if text_values and isinstance(row.get("value"), str):
        value = kind.value_from_text(row["value"])
        if is_number(value) and (message := plain_number_problem(row["value"])):
            bad(("value",), message)
            return None, problems
        row = {**row, "value": value}
    parsed = kind.parse_item(row, indicator, bad, lines.text((i, "value")))
    if parsed is not None and spec is not None:
        for path, message in bound_problems(parsed, spec.date, indicator):
            bad(path, message)
    if spec is not None and spec.occurred is not None:
        if spec.occurred > spec.date:
            bad(
                ("occurred",),
                f"{spec.occurred} is after the item's date ({spec.date}): a report can only tell "
                "of what had happened when it became known",
            )
        if parsed is not None and parsed.window is not None:
            bad(
                ("occurred",),
                "a count over a window reports on its window: its events are dated by the "
                "window's end; remove 'occurred'",
            )
    if problems or spec is None or parsed is None or weight is None:
        return None, problems
    item = EvidenceItem(
        id=spec.id,
        indicator=spec.indicator,
        kind=indicator.kind,
        value=parsed.value,
        date=spec.date,
        source=spec.source,
        weight=weight,
        reliability=reliability,
        origin=spec.origin or spec.source,
        via=tuple(spec.via or ()),
        event=spec.event,
        origin_weight=origin_weight,
        credibility=credibility,
        exposure=parsed.exposure,
        window=parsed.window,
        occurred=spec.occurred,
        note=spec.note,
        url=spec.url,
        file=lines.source,
        line=lines.line((i,)),
    )
    return item, problems


#: Keys of other kinds, which an item of this kind must not have.
_OTHER_KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(
        dict.fromkeys(
            k
            for other, keys in KIND_KEYS.items()
            if other != name
            for k in keys
            if k not in KIND_KEYS[name]
        )
    )
    for name in KIND_KEYS
}


def _shown(value: Any, lines: LineMap, path: tuple) -> str:
    """A value as the analyst wrote it (``yes`` rather than ``True``)."""
    written = lines.text(path)
    return f"'{written}' (read as {value!r})" if written is not None else _short(value)
