"""The weekly report: built once as blocks (:mod:`.content`), rendered by every format.

``report.md``, a self-contained ``report.html`` and ``report.json`` (one module per format in
:mod:`.formats`), plus ``summary.json`` (what ``forecast update --json`` prints).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...core.atomic import write_text_atomic
from .blocks import Block
from .content import FIGURES, build
from .formats import Context, all_formats

__all__ = ["FIGURES", "all_formats", "build", "write"]


def write(
    directory: Path, blocks: list[Block], summary: dict[str, Any], title: str
) -> dict[str, Path]:
    """Write the report in every format, and ``summary.json``, into ``directory``.

    Returns format name (``markdown``, ``html``, ``json``) and ``summary`` to path.
    """
    context = Context(title, directory)
    paths: dict[str, Path] = {}
    for name, fmt in all_formats().items():
        paths[name] = directory / f"report{fmt.suffix}"
        write_text_atomic(paths[name], fmt.render(blocks, context))
    paths["summary"] = directory / "summary.json"
    write_text_atomic(paths["summary"], json.dumps(summary, indent=2, default=str) + "\n")
    return paths
