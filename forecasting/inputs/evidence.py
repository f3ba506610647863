"""The evidence ledger: dated, sourced observations of a question's indicators.

A ledger is a directory of files (``evidence/<question id>/``), each a list of items: YAML for
what analysts write, JSON Lines and CSV for what machines write (:mod:`.ledgers`). Items are
validated against the question (indicator names, reliability codes, and each value by its
indicator's kind), ids must be unique across all files, and every problem is reported at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from ..core.errors import (
    ForecastingWarning,
    InputError,
    Problem,
    did_you_mean,
    escape_invisible,
    one_of,
)
from ..core.paths import project_root
from ..core.schema import Date, id_text, is_number
from ..core.schema import short_value as _short
from ..kinds import get_kind, kinds
from .cross_checks import cross_item_problems
from .item_bounds import bound_problems
from .ledgers import READERS, folder_files, misplaced_evidence, plain_number_problem, read_rows
from .problems import drop_misspelt_missing, error_problem
from .question import Question
from .reliability import code_parts
from .safe_yaml import LineMap
from .text_rules import value_problems

#: An item or event id, matched in full (:func:`id_text`).
ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]*")
#: File suffixes read as ledger files, in any case (see :mod:`.ledgers`).
LEDGER_SUFFIXES = tuple(READERS)


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


@dataclass(frozen=True)
class Exclusion:
    """An item left out of a forecast, and why."""

    id: str
    reason: str


@dataclass(frozen=True)
class Evidence:
    """The validated evidence of one question: items in ledger order, and the files read."""

    question_id: str
    items: tuple[EvidenceItem, ...]
    files: tuple[str, ...] = ()
    excluded: tuple[Exclusion, ...] = field(default=())
    #: The date the evidence is known on (:meth:`as_of`); ``None``: its latest item's date.
    as_of_date: dt.date | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    @property
    def ids(self) -> list[str]:
        """Item ids in ledger order."""
        return [it.id for it in self.items]

    def as_of(self, date: dt.date | None) -> Evidence:
        """The evidence known on ``date``: items dated after it are moved to ``excluded``."""
        if date is None:
            return self
        kept, dropped = [], list(self.excluded)
        for it in self.items:
            if it.date > date:
                dropped.append(
                    Exclusion(
                        it.id,
                        f"dated {it.date.isoformat()}, after the as-of date {date.isoformat()}",
                    )
                )
            else:
                kept.append(it)
        return replace(self, items=tuple(kept), excluded=tuple(dropped), as_of_date=date)

    @property
    def known_on(self) -> dt.date | None:
        """The as-of date, else the latest item's date (``None`` without items)."""
        if self.as_of_date is not None:
            return self.as_of_date
        return max((it.date for it in self.items), default=None)

    def without(self, ids: Iterable[str], reason: str = "left out by request") -> Evidence:
        """The evidence without the items ``ids`` (they are listed as excluded)."""
        drop = set(ids)
        kept = tuple(it for it in self.items if it.id not in drop)
        dropped = self.excluded + tuple(
            Exclusion(it.id, reason) for it in self.items if it.id in drop
        )
        return replace(self, items=kept, excluded=dropped)

    @cached_property
    def item_dicts(self) -> list[dict[str, Any]]:
        """Each item as it would be written in a ledger (JSON-ready), in ledger order."""
        return [it.to_dict() for it in self.items]

    def sha256(self) -> str:
        """SHA-256 of the used items' canonical JSON, independent of file split and order."""
        records = sorted(self.item_dicts, key=lambda r: r["id"])
        text = json.dumps(records, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Write the items as a ledger file (to ``path`` if given) and return the text."""
        import yaml

        rows = []
        for row in self.item_dicts:
            row = dict(row, date=dt.date.fromisoformat(row["date"]))
            if "window" in row:
                row["window"] = [dt.date.fromisoformat(d) for d in row["window"]]
            rows.append(row)
        text = yaml.safe_dump(rows, sort_keys=False, allow_unicode=True, width=100)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_records(self) -> list[dict[str, Any]]:
        """Items as JSON-ready mappings (for tables and reports)."""
        return [
            it.to_dict() | {"weight": it.weight, "file": it.file, "line": it.line}
            for it in self.items
        ]

    @classmethod
    def from_items(
        cls, items: Sequence[Mapping[str, Any]], question: Question, *, source: str | None = None
    ) -> Evidence:
        """Validate items given in Python (same keys as the ledger files).

        Dates may be ``datetime.date`` objects or ISO strings (``"2025-10-27"``), as in the
        JSON of a saved forecast.
        """
        items = list(items)
        lines = LineMap(source)
        parsed, problems = _parse_items(items, lines, question)
        problems += cross_item_problems(parsed, question)
        if problems:
            raise InputError(problems)
        return cls(question.id, tuple(parsed), (source,) if source else ())


def ledger_files(path: str | Path) -> list[Path]:
    """The ledger files of a path: a folder's (see :func:`.ledgers.folder_files`), or the file."""
    path = Path(path)
    if path.is_dir():
        return folder_files(path)[0]
    return [path]


def default_evidence_path(question: Question) -> Path:
    """``evidence/<id>/`` beside the ``models/`` directory that holds the question file."""
    if question.source is None:
        return Path("evidence") / question.id
    return project_root(question.source) / "evidence" / question.id


def load_evidence(path: str | Path | None, question: Question) -> Evidence:
    """Read and validate an evidence ledger against a question.

    Parameters
    ----------
    path
        A directory of ledger files (``.yaml``, ``.yml``, ``.jsonl``, ``.csv``, in any case, at
        its top level) or one file; ``None`` means :func:`default_evidence_path`. A missing
        default directory is an empty ledger, unless ``evidence/`` holds other questions'
        folders (then the question's id or its folder is probably wrong: an error).
    question
        The question the evidence bears on.

    Raises
    ------
    InputError
        With every problem found in every file.
    """
    explicit = path is not None
    path = Path(path) if path is not None else default_evidence_path(question)
    if not path.exists():
        if explicit:
            raise InputError([Problem(str(path), None, "", "no such file or directory")])
        misplaced = misplaced_evidence(path, question.id)
        if misplaced is not None:
            raise InputError([misplaced])
        warnings.warn(
            f"no evidence directory {escape_invisible(str(path))}: no evidence yet (a forecast "
            "rests on the priors)",
            ForecastingWarning,
            stacklevel=2,
        )
        return Evidence(question.id, ())
    problems: list[Problem] = []
    if path.is_dir() and path.parent.name == "evidence" and path.name != question.id:
        problems.append(
            Problem(
                str(path),
                None,
                "",
                f"this evidence folder is named "
                f"'{path.name}' but the question id is '{question.id}'; "
                f"evidence for it belongs in evidence/{question.id}/",
            )
        )
    if path.is_dir():
        files, skipped, unreadable = folder_files(path)
        problems.extend(unreadable)
        if skipped:
            warnings.warn(
                f"{escape_invisible(str(path))}: not read: {'; '.join(skipped)}",
                ForecastingWarning,
                stacklevel=2,
            )
    else:
        files = [path]
    if path.is_dir() and not files and not problems:
        warnings.warn(
            f"{escape_invisible(str(path))} holds no ledger files (.yaml, .yml, .jsonl, .csv): "
            "no evidence yet (a forecast rests on the priors)",
            ForecastingWarning,
            stacklevel=2,
        )
    items: list[EvidenceItem] = []
    for found_items, found, notes in _read_files(files, question):
        items.extend(found_items)
        problems.extend(found)
        for note in notes:
            warnings.warn(note, ForecastingWarning, stacklevel=2)
    problems.extend(cross_item_problems(items, question))
    if problems:
        raise InputError(problems)
    return Evidence(question.id, tuple(items), tuple(str(f) for f in files))


def _read_file(f: Path, question: Question) -> tuple[list[EvidenceItem], list[Problem], list[str]]:
    """Items, problems and warnings of one ledger file."""
    try:
        raw, lines, text_values = read_rows(f)
    except InputError as exc:
        return [], list(exc.problems), []
    if raw is None:
        return [], [], [f"{escape_invisible(str(f))} is empty: it adds no evidence items"]
    items, problems = _parse_items(raw, lines, question, text_values=text_values, ledger=True)
    return items, problems, []


def _read_files(files: list[Path], question: Question) -> list:
    """:func:`_read_file` of every file, in order."""
    return [_read_file(f, question) for f in files]


def _table(question: Question) -> tuple[tuple[str, float], ...] | None:
    codes = question.reliability_codes
    return tuple(sorted(codes.items())) if codes else None


@lru_cache(maxsize=4096)
def _code_parts(code: str, table: tuple[tuple[str, float], ...] | None) -> tuple[float, float]:
    """:func:`code_parts`, remembered (ledgers repeat a handful of codes)."""
    return code_parts(code, dict(table) if table else None)


def _parse_items(
    raw: list[Any],
    lines: LineMap,
    question: Question,
    *,
    text_values: bool = False,
    ledger: bool = False,
) -> tuple[list[EvidenceItem], list[Problem]]:
    """Validate the items of one file (``ledger``) or given in Python.

    A window that ends after its item's date is refused wherever the items come from.
    """
    problems: list[Problem] = []
    good_rows = []
    for i, row in enumerate(raw):
        if not isinstance(row, dict):
            problems.append(
                lines.problem(
                    (i,), f"each evidence item must be a mapping of fields, got {_short(row)}"
                )
            )
        else:
            good_rows.append((i, row))
    # text refused for its characters or length gets no second error on the same field
    written = [p for i, row in good_rows for p in value_problems(row, lines, (i,), numbers=False)]
    explained = {p.field for p in written}
    problems.extend(written)
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
    return items, problems


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
