"""The weekly report: built once as blocks (:mod:`.content`), rendered by every format.

``report.md``, a self-contained ``report.html`` and ``report.json`` (one module per format in
:mod:`.formats`), plus ``summary.json`` (what ``forecast update --json`` prints). A rebuild
of a published report is a revision or nothing (:mod:`.revisions`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...core.atomic import write_text_atomic
from .blocks import Block
from .content import FIGURES, build
from .formats import Context, all_formats
from .revisions import ReportPlan, Unchanged, announce, keep_earlier, paths, plan

__all__ = [
    "FIGURES",
    "ReportPlan",
    "Unchanged",
    "all_formats",
    "announce",
    "build",
    "keep_earlier",
    "paths",
    "plan",
    "write",
]


def write(
    directory: Path,
    blocks: list[Block],
    summary: dict[str, Any],
    title: str,
    *,
    final: Path | None = None,
) -> dict[str, Path]:
    """Write the report in every format, and ``summary.json``, into ``directory``.

    ``final``: the folder ``directory`` is to become (a staging folder of
    :func:`~forecasting.core.atomic.staged_folder`, renamed once complete); the paths
    returned and recorded are there. ``summary.json`` is ``summary`` with ``report``, these
    paths. Figures are linked relative to ``directory``, so they move with it.

    Returns format name (``markdown``, ``html``, ``json``) and ``summary`` to path.
    """
    context = Context(title, directory)
    home = directory if final is None else final
    paths: dict[str, Path] = {}
    for name, fmt in all_formats().items():
        write_text_atomic(directory / f"report{fmt.suffix}", fmt.render(blocks, context))
        paths[name] = home / f"report{fmt.suffix}"
    paths["summary"] = home / "summary.json"
    record = {**summary, "report": {k: str(v) for k, v in paths.items()}}
    write_text_atomic(directory / "summary.json", json.dumps(record, indent=2, default=str) + "\n")
    return paths
