"""Ledger files in three formats, read into the same rows with the same line numbers.

* ``.yaml`` / ``.yml``: a YAML list of items (what analysts write; :mod:`.safe_yaml`).
* ``.jsonl``: JSON Lines, one item object per line (what machines write). Dates are ISO text
  (``"2025-10-27"``), a count's window a list of two dates.
* ``.csv``: a header row naming the fields, then one item per row. Cells are text: a value is
  read by its indicator's kind (``5``, ``true``, ``hostile``), ``reliability`` is a number or
  an Admiralty code, a ``window`` is ``start/end`` (ISO 8601 interval, e.g.
  ``2025-07-27/2025-10-18``), ``via`` the relaying outlets separated by ``;``; an empty cell is a
  field not given.

Every row is then validated the same way whatever its format (:mod:`.evidence`), and every
problem names the file and the line.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import InputError, Problem, did_you_mean, escape_invisible, one_of
from . import safe_yaml
from .safe_yaml import LineMap

#: What a reader gives: the rows (``None`` for an empty file), their lines, and whether values
#: are text to be read by each indicator's kind (CSV).
Rows = tuple[list[Any] | None, LineMap, bool]


def read_yaml(path: Path) -> Rows:
    """A YAML ledger file."""
    raw, lines = safe_yaml.load(path)
    if raw is not None and not isinstance(raw, list):
        what = "a mapping" if isinstance(raw, dict) else type(raw).__name__
        hint = " (start each item with '- ')" if isinstance(raw, dict) else ""
        message = f"an evidence file must be a list of items, got {what}{hint}"
        raise InputError([lines.problem((), message)])
    return raw, lines, False


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows; write a finite number")


def read_jsonl(path: Path) -> Rows:
    """A JSON Lines ledger file: one JSON object per non-blank line."""
    text = safe_yaml.read_text(path)
    source = str(path)
    rows: list[Any] = []
    where: dict[tuple, int] = {}
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            problems.append(Problem(source, number, "", f"malformed JSON: {exc}"))
            continue
        if not isinstance(row, dict):
            problems.append(
                Problem(
                    source,
                    number,
                    "",
                    "each line of a JSON Lines ledger must be one item object "
                    f'({{"id": ..., "indicator": ...}}), got {type(row).__name__}',
                )
            )
            continue
        where[(len(rows),)] = number
        rows.append(row)
    if problems:
        raise InputError(problems)
    if not rows:
        return None, LineMap(source), False
    return rows, LineMap(source, where), False


#: A number as a cell or a JSON value may write it: plain decimal. (Python's ``float`` and
#: ``int`` also read ``1_000``, ``nan``, ``infinity`` and surrounding spaces.)
PLAIN_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def plain_number_problem(text: str) -> str | None:
    """Why a cell that Python would read as a number is not a plain decimal here.

    ``None`` if it is one, or if it is no number at all (reported by what expects one).
    """
    t = text.strip()
    if PLAIN_DECIMAL.fullmatch(t):
        return None
    try:
        float(t)
    except ValueError:
        return None
    return (
        f"'{t}' is not a plain decimal number (digits, a point and an exponent only: no "
        "'_', nan or infinity); write it as e.g. 1000 or 2.5e-3"
    )


#: Fields of a CSV ledger that are not text: how a cell reads.
def _reliability_cell(text: str) -> Any:
    if not PLAIN_DECIMAL.fullmatch(text.strip()):
        return text  # a code, or reported as not a number
    number = float(text)
    return number if math.isfinite(number) else text


def _number_cell(text: str) -> Any:
    return float(text) if PLAIN_DECIMAL.fullmatch(text.strip()) else text


def _window_cell(text: str) -> Any:
    parts = text.split("/")
    return [p.strip() for p in parts] if len(parts) == 2 else text


def _list_cell(text: str) -> Any:
    return [p.strip() for p in text.split(";")]


_CSV_CELLS: dict[str, Callable[[str], Any]] = {
    "via": _list_cell,
    "reliability": _reliability_cell,
    "exposure": _number_cell,
    "window": _window_cell,
}


def read_csv(path: Path) -> Rows:
    """A CSV ledger file: a header row of field names, then one item per row."""
    text = safe_yaml.read_text(path)
    source = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Any] = []
    where: dict[tuple, int] = {}
    try:
        header = next(reader, None)
        if header is None:
            return None, LineMap(source), False
        names = [h.strip() for h in header]
        dup = sorted({n for n in names if n and names.count(n) > 1})
        if dup:
            raise InputError(
                [Problem(source, 1, "", f"the header names {', '.join(dup)} more than once")]
            )
        start = reader.line_num + 1
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(names):
                raise InputError(
                    [
                        Problem(
                            source,
                            line,
                            "",
                            f"the row has {len(cells)} cells but the header names "
                            f"{len(names)} fields",
                        )
                    ]
                )
            row: dict[str, Any] = {}
            for name, cell in zip(names, cells, strict=False):
                if not name or cell == "":
                    continue
                row[name] = _CSV_CELLS.get(name, str)(cell)
            where[(len(rows),)] = line
            rows.append(row)
    except csv.Error as exc:
        raise InputError([Problem(source, reader.line_num, "", f"malformed CSV: {exc}")]) from None
    return (rows or None), LineMap(source, where), True


#: File suffix (lower case) -> reader.
READERS: dict[str, Callable[[Path], Rows]] = {
    ".yaml": read_yaml,
    ".yml": read_yaml,
    ".jsonl": read_jsonl,
    ".csv": read_csv,
}


def read_rows(path: Path) -> Rows:
    """The rows of one ledger file, by its suffix (YAML when the suffix is unknown)."""
    return READERS.get(path.suffix.lower(), read_yaml)(path)


def folder_files(folder: Path) -> tuple[list[Path], list[str], list[Problem]]:
    """The ledger files of a folder in name order, what was left unread, and what cannot be.

    Read: the regular files (or links to them) at the top level whose suffix is one of
    :data:`READERS`, in any case (``A.YAML`` too). Left out without a word: hidden names
    (starting with '.': editor swap files, ``.DS_Store``, ``.git``). Left out and named (the
    second list, for a warning): subfolders, which are not read, and files of other suffixes.
    Refused (the problems): an entry with a ledger suffix that cannot be read as a file (a
    dangling or looping link, a device, a pipe): the ledger would be silently incomplete.
    """
    files: list[Path] = []
    skipped: list[str] = []
    problems: list[Problem] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(
            [Problem(str(folder), None, "", f"cannot list the folder: {exc.strerror}")]
        ) from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        ledger = path.suffix.lower() in READERS
        shown = escape_invisible(entry.name)
        try:
            mode = os.stat(entry.path).st_mode
        except OSError as exc:
            why = (
                "a symbolic link that loops"
                if exc.errno == errno.ELOOP
                else "a dangling symbolic link (to nothing)"
                if entry.is_symlink()
                else f"unreadable ({exc.strerror})"
            )
            if ledger:
                problems.append(
                    Problem(str(path), None, "", f"{why}: this ledger file cannot be read")
                )
            else:
                skipped.append(f"{shown} ({why})")
            continue
        if stat.S_ISDIR(mode):
            skipped.append(f"{shown}/ (a folder: ledger files are read from the top level only)")
        elif not ledger:
            skipped.append(f"{shown} (not a ledger file: {_SUFFIXES})")
        elif not stat.S_ISREG(mode):
            problems.append(
                Problem(
                    str(path),
                    None,
                    "",
                    "not a regular file (a device, pipe or socket): this ledger file cannot "
                    "be read",
                )
            )
        else:
            files.append(path)
    return files, skipped, problems


_SUFFIXES = ", ".join(list(READERS)[:-1]) + " or " + list(READERS)[-1]


def misplaced_evidence(path: Path, question_id: str) -> Problem | None:
    """Why a missing default folder ``evidence/<id>/`` is an error, if it is.

    It is when ``evidence/`` holds other folders: the question's id then probably differs from
    its evidence folder's (a typo, or an id changed), and a forecast on the priors alone, which
    an update would archive, would hide the evidence. Without ``evidence/`` at all (a new
    project), no evidence yet is the plain truth (``None``).
    """
    try:
        others = sorted(
            p.name for p in path.parent.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
    except OSError:
        return None
    if not others:
        return None
    more = " and more" if len(others) > 10 else ""
    return Problem(
        str(path),
        None,
        "",
        f"no evidence folder for question '{question_id}'{did_you_mean(question_id, others)}; "
        f"{path.parent} holds {one_of([o + '/' for o in others[:10]])}{more}. If the evidence "
        f"is in one of them, rename it to {question_id}/ (or correct the question's id); to "
        f"forecast on the priors alone, create the empty folder {question_id}/; or give the "
        "evidence path explicitly (--evidence)",
    )
