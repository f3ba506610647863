"""A published report is archived like a forecast: a rebuild that differs is a revision.

The report of a date lives in ``reports/<id>/<as-of>/``. Rebuilding it (the same update run
again, or after a backfill changed the forecast it compares with) gives either

* the same content: nothing is written (:data:`UNCHANGED`; the folder is left as it is), or
* other content: the new report takes the folder, and every earlier one is kept, whole, in
  ``<as-of>/revisions/r1/``, ``r2/``... (r1 the first published), the way the archive keeps a
  forecast's revisions; the new report says so under its headline (:func:`announce`), naming
  what the earlier one said, and the update's summary carries the same message.

"Content" is what the report says (its blocks as ``report.json`` holds them), less the
archive row's account of what the update did to the archive this time ("wrote...", "already
holds...") and less the revision notice itself; the archived forecast the report is of is
part of it (its own row). Figures are drawn from the same numbers as the text.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ...core.paths import display_path
from .blocks import Block, Figure, Warning

#: The folder, inside a report's folder, holding the earlier reports of its date.
REVISIONS = "revisions"

#: How the revision notice starts (it is left out of the content compared).
NOTICE = "This report revises"

#: The row of the diagnostics table that says what the update did to the archive this time.
ARCHIVE_ROW = "archive"

UNCHANGED, WRITTEN, REVISION = "unchanged", "written", "revision"


class Unchanged(Exception):
    """Raised inside the staged folder to leave the published report as it is (same content)."""


@dataclass(frozen=True)
class ReportPlan:
    """What writing the report will do: ``written`` (first), ``unchanged`` or ``revision``."""

    status: str
    directory: Path
    revision: int  # this report's number among its date's reports (1 for the first)
    kept: Path | None  # where the earlier report goes (``revision`` only)
    earlier_headline: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The plan as the summary records it."""
        return {
            "status": self.status,
            "revision": self.revision,
            "kept": None if self.kept is None else str(self.kept),
            "message": self.message,
        }


def _records(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks that count as content, as plain data (see the module's docstring)."""
    out = []
    for rec in blocks:
        if rec.get("type") == "warning" and str(rec.get("text", "")).startswith(NOTICE):
            continue
        if rec.get("type") == "table":
            rows = [
                row
                for row in rec.get("rows", [])
                if not (list(rec.get("header", [])) == ["item", "value"] and row[0] == ARCHIVE_ROW)
            ]
            rec = {**rec, "rows": rows}
        out.append(rec)
    return out


def content_key(blocks: list[Block], directory: Path) -> str:
    """A digest of what ``blocks`` say (figures by their path relative to ``directory``)."""
    plain = []
    for block in blocks:
        rec = {"type": type(block).__name__.lower(), **asdict(block)}
        if isinstance(block, Figure):
            rec["path"] = os.path.relpath(block.path, directory).replace(os.sep, "/")
        plain.append(rec)
    return _digest(json.loads(json.dumps(plain)))


def _digest(records: list[dict[str, Any]]) -> str:
    text = json.dumps(_records(records), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def published_key(directory: Path) -> str | None:
    """The digest of the report published in ``directory`` (``None``: none, or unreadable)."""
    try:
        records = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return None
    return _digest(records)


def earlier_revisions(directory: Path) -> int:
    """How many earlier reports of the date are kept (``revisions/r1``, ``r2``...)."""
    folder = directory / REVISIONS
    if not folder.is_dir():
        return 0
    numbers = [
        int(p.name[1:]) for p in folder.iterdir() if p.name[:1] == "r" and p.name[1:].isdigit()
    ]
    return max(numbers, default=0)


def plan(directory: Path, blocks: list[Block], staging: Path) -> ReportPlan:
    """What writing ``blocks`` (figures in ``staging``) into ``directory`` will do."""
    shown = display_path(str(directory))
    if not directory.exists():
        return ReportPlan(WRITTEN, directory, 1, None, "", f"wrote {shown}")
    key = content_key(blocks, staging)
    if published_key(directory) == key:
        return ReportPlan(
            UNCHANGED,
            directory,
            earlier_revisions(directory) + 1,
            None,
            "",
            f"{shown} already holds this report (same content); nothing written",
        )
    n = earlier_revisions(directory) + 1
    kept = directory / REVISIONS / f"r{n}"
    try:
        before = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
        headline = str(before.get("headline", "")) if isinstance(before, dict) else ""
    except (OSError, ValueError):
        headline = ""
    return ReportPlan(
        REVISION,
        directory,
        n + 1,
        kept,
        headline,
        f"{shown} held a report of this date with other content; kept it in "
        f"{display_path(str(kept))} and wrote revision {n + 1}",
    )


def announce(blocks: list[Block], report: ReportPlan) -> list[Block]:
    """``blocks`` with the revision notice under the headline (as they are unless a revision)."""
    if report.status != REVISION or report.kept is None:
        return blocks
    said = f"; it read: \u201c{report.earlier_headline}\u201d" if report.earlier_headline else ""
    notice = Warning(
        f"{NOTICE} the one published earlier for this date (revision {report.revision}; the "
        f"earlier one is kept in {REVISIONS}/{report.kept.name}/{said}). The forecast or what "
        "it is compared with changed since."
    )
    return [*blocks[:2], notice, *blocks[2:]]


def keep_earlier(report: ReportPlan, staging: Path) -> None:
    """Copy the published report into ``staging``'s ``revisions/`` (a revision only).

    The earlier revisions are copied as they are and the published report (all of its folder
    but ``revisions/``) becomes ``revisions/r<n>/``; nothing is moved, so a failure leaves the
    published folder whole.
    """
    if report.status != REVISION or report.kept is None:
        return
    source = report.directory
    target = staging / REVISIONS / report.kept.name
    if (source / REVISIONS).is_dir():
        shutil.copytree(source / REVISIONS, staging / REVISIONS, dirs_exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name == REVISIONS:
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)


def paths(directory: Path) -> dict[str, Path]:
    """The published report's files (for a rebuild that wrote nothing)."""
    from .formats import all_formats

    out = {name: directory / f"report{fmt.suffix}" for name, fmt in all_formats().items()}
    out["summary"] = directory / "summary.json"
    return out
