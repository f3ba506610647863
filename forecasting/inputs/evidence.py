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
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ..core.errors import (
    ForecastingWarning,
    InputError,
    LikelyCopyWarning,
    Problem,
    did_you_mean,
    escape_invisible,
    one_of,
)
from ..core.paths import display_path, project_root
from ..core.schema import as_date
from .cross_checks import cross_item_problems, likely_copies
from .items import (
    ITEM_ID,
    KIND_KEYS,
    EvidenceItem,
    ItemRef,
    duplicate_ids,
    parse_items,
    shape_problems,
)
from .ledgers import READERS, folder_files, misplaced_evidence, read_rows
from .question import Question
from .safe_yaml import LineMap

__all__ = ["ITEM_ID", "KIND_KEYS", "Evidence", "EvidenceItem", "Exclusion", "load_evidence"]

#: File suffixes read as ledger files, in any case (see :mod:`.ledgers`).
LEDGER_SUFFIXES = tuple(READERS)


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

    def as_of(self, date: dt.date | str | None) -> Evidence:
        """The evidence known on ``date``: items dated after it are moved to ``excluded``.

        ``date``: a ``datetime.date`` (a ``datetime``'s day) or ISO text (``"2025-10-27"``).
        """
        if date is None:
            return self
        date = as_date(date, "as_of")
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

    def without(self, ids: str | Iterable[str], reason: str = "left out by request") -> Evidence:
        """The evidence without the items ``ids`` (they are listed as excluded).

        Raises
        ------
        InputError
            Naming each id that is neither an item nor already excluded, with the nearest one
            (a misspelt id would otherwise leave the evidence as it was, without a word).
        """
        drop = {ids} if isinstance(ids, str) else set(ids)
        known = set(self.ids) | {x.id for x in self.excluded}
        unknown = sorted(str(x) for x in drop - known)
        if unknown:
            raise InputError(
                [
                    Problem(
                        None,
                        None,
                        "ids",
                        f"no item '{x}' in this evidence{did_you_mean(x, self.ids)}",
                    )
                    for x in unknown
                ]
            )
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
        JSON of a saved forecast. Problems are located as the ledger's are (``[2].date``, with
        the item's id), in ``source`` if given.
        """
        rows = [_plain(row) for row in items]
        parsed, problems, refs = parse_items(rows, LineMap(source), question)
        problems += duplicate_ids(refs) + cross_item_problems(parsed, question)
        if problems:
            raise InputError(problems)
        for _, note in likely_copies(parsed, question):
            warnings.warn(note, LikelyCopyWarning, stacklevel=2)
        return cls(question.id, tuple(parsed), (source,) if source else ())

    def add(
        self,
        items: Sequence[Mapping[str, Any] | EvidenceItem] | Evidence,
        question: Question,
        *,
        source: str | None = None,
    ) -> Evidence:
        """A new evidence with ``items`` added after the ledger's (this one is left as it is).

        ``items`` are mappings with the ledger's keys, :class:`EvidenceItem` s or another
        :class:`Evidence` (e.g. a what-if file read with :func:`load_evidence`), validated as
        ledger items are, and against this ledger: an id it already uses (or has excluded) is
        an error, as are events, origins and relays the two would disagree on. Items dated
        after this evidence's as-of date are excluded, as its own were.

        Raises
        ------
        InputError
            With every problem, located at the item (``[0].value``, in ``source`` if given).
        """
        if isinstance(items, Evidence):
            if items.question_id != question.id:
                raise InputError([_other_question(items.question_id, question.id, source)])
            new = list(items.items)
            refs = [ItemRef(it.id, it.file, it.line, i) for i, it in enumerate(new)]
            problems: list[Problem] = []
        else:
            rows = [it.to_dict() if isinstance(it, EvidenceItem) else _plain(it) for it in items]
            new, problems, refs = parse_items(rows, LineMap(source), question)
        if self.question_id != question.id:
            problems.append(_other_question(self.question_id, question.id, source))
        problems += duplicate_ids(refs, _taken(self))
        problems += [p for p in cross_item_problems([*self.items, *new], question) if _in(p, new)]
        if problems:
            raise InputError(problems)
        fresh = {id(it) for it in new}
        for it, note in likely_copies([*self.items, *new], question):
            if id(it) in fresh:
                warnings.warn(note, LikelyCopyWarning, stacklevel=2)
        files = self.files + tuple(dict.fromkeys(f for it in new if (f := it.file)))
        known = Evidence(self.question_id, tuple(new)).as_of(self.as_of_date)
        return replace(
            self,
            items=self.items + known.items,
            files=files,
            excluded=self.excluded + known.excluded,
        )

    def drop(self, ids: str | Iterable[str] = (), *, origin: str | Iterable[str] = ()) -> Evidence:
        """A new evidence without the items ``ids`` and every item of ``origin``.

        This one is left as it is. Dropped items are gone, not listed as excluded (see
        :meth:`without` for that): the result is the ledger as if they had never been logged.

        Raises
        ------
        InputError
            Naming each id or origin that is not in this evidence, with the nearest one.
        """
        ids = [ids] if isinstance(ids, str) else list(ids)
        origins = [origin] if isinstance(origin, str) else list(origin)
        known_ids, known_origins = self.ids, list(dict.fromkeys(it.origin for it in self.items))
        problems = [
            Problem(
                None,
                None,
                "ids",
                f"no item '{x}' in this evidence{did_you_mean(x, known_ids)}"
                + _excluded_note(x, self.excluded),
            )
            for x in ids
            if x not in known_ids
        ]
        problems += [
            Problem(
                None,
                None,
                "origin",
                f"no item of origin '{o}' in this evidence{did_you_mean(o, known_origins)}; "
                f"origins are {one_of(known_origins[:20])}"
                + (" and more" if len(known_origins) > 20 else ""),
            )
            for o in origins
            if o not in known_origins
        ]
        if problems:
            raise InputError(problems)
        gone, from_origins = set(ids), set(origins)
        kept = tuple(it for it in self.items if it.id not in gone and it.origin not in from_origins)
        return replace(self, items=kept)


def _where(item: EvidenceItem) -> str:
    if item.file:
        return f"{item.file}:{item.line}"
    return f"line {item.line}" if item.line is not None else f"item '{item.id}' of the evidence"


def _taken(evidence: Evidence | None) -> dict[str, str]:
    """The ids an evidence uses (or has excluded), and where."""
    if evidence is None:
        return {}
    taken = {it.id: _where(it) for it in evidence.items}
    return taken | {ex.id: "an item excluded from this evidence" for ex in evidence.excluded}


def _in(problem: Problem, new: Sequence[EvidenceItem]) -> bool:
    """Whether a problem between items is at one of the ``new`` items."""
    return any(
        problem.file == it.file and problem.line == it.line and f"'{it.id}'" in problem.message
        for it in new
    )


def _excluded_note(item_id: str, excluded: Sequence[Exclusion]) -> str:
    reason = next((ex.reason for ex in excluded if ex.id == item_id), None)
    return f" (it is excluded: {reason})" if reason is not None else ""


def _other_question(have: str, want: str, source: str | None) -> Problem:
    return Problem(source, None, "evidence", f"the evidence is for question '{have}', not '{want}'")


def ledger_files(path: str | Path) -> list[Path]:
    """The ledger files of a path: a folder's (see :func:`.ledgers.folder_files`), or the file."""
    path = Path(path)
    if path.is_dir():
        return folder_files(path)[0]
    return [path]


def default_evidence_path(question: Question) -> Path:
    """``evidence/<id>/`` beside the ``models/`` directory that holds the question file.

    Relative to the working directory (where it lies below it) when the question file's path
    is, absolute when that is: messages name both files alike.
    """
    if question.source is None:
        return Path("evidence") / question.id
    path = project_root(question.source) / "evidence" / question.id
    if Path(question.source).is_absolute():
        return path
    return Path(display_path(path))  # shown as the question's path is: relative to here


def load_evidence(
    path: str | Path | None, question: Question, *, taken: Evidence | None = None
) -> Evidence:
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
    taken
        A ledger these items are to be added to (:meth:`Evidence.add`): an id it uses is
        reported as used twice with the file's other problems.

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
    refs: list[ItemRef] = []
    for found_items, found, notes, found_refs in _read_files(files, question):
        items.extend(found_items)
        problems.extend(found)
        refs.extend(found_refs)
        for note in notes:
            warnings.warn(note, ForecastingWarning, stacklevel=2)
    problems.extend(duplicate_ids(refs, _taken(taken)))
    problems.extend(cross_item_problems(items, question))
    if problems:
        raise InputError(problems)
    for _, note in likely_copies(items, question):
        warnings.warn(note, LikelyCopyWarning, stacklevel=2)
    return Evidence(question.id, tuple(items), tuple(str(f) for f in files))


def ledger_shape_problems(path: Path) -> list[Problem]:
    """The problems a ledger shows without its question (fields, types, ids used twice).

    For a question that does not validate at all: its ledger's problems are reported with
    the question's (:func:`.resolve.load_inputs`). Nothing for a path that does not exist.
    """
    if not path.exists():
        return []
    problems: list[Problem] = []
    files = [path]
    if path.is_dir():
        files, _, unreadable = folder_files(path)
        problems.extend(unreadable)
    refs: list[ItemRef] = []
    for f in files:
        try:
            raw, lines, _ = read_rows(f)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        found, found_refs = shape_problems(raw or [], lines)
        problems.extend(found)
        refs.extend(found_refs)
    return problems + duplicate_ids(refs)


def _read_file(f: Path, question: Question) -> tuple[list, list[Problem], list[str], list]:
    """Items, problems, warnings and where each item with an id is, of one ledger file."""
    try:
        raw, lines, text_values = read_rows(f)
    except InputError as exc:
        return [], list(exc.problems), [], []
    if raw is None:
        return [], [], [f"{escape_invisible(str(f))} is empty: it adds no evidence items"], []
    items, problems, refs = parse_items(raw, lines, question, text_values=text_values, ledger=True)
    return items, problems, [], refs


def _read_files(files: list[Path], question: Question) -> list:
    """:func:`_read_file` of every file, in order."""
    return [_read_file(f, question) for f in files]


def _plain(row: Any) -> Any:
    """A row given in Python, its numpy scalars as the numbers a ledger file would give.

    (``np.int64(3)`` a count, ``np.True_`` a yes.)
    """
    if not isinstance(row, Mapping):
        return row
    return {
        k: v.item() if type(v).__module__ == "numpy" and hasattr(v, "item") else v
        for k, v in row.items()
    }
