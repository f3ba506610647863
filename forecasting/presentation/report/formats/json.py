"""The report as JSON (``report.json``): the blocks in order, for other programs to render."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Any

from ..blocks import Bullets, Figure, Heading, Paragraph, Table, Warning
from . import Context, Format


def _block(kind: str) -> Any:
    def render(block: Any, ctx: Context) -> str:
        return "  " + json.dumps({"type": kind, **asdict(block)}, ensure_ascii=False)

    return render


def _figure(block: Figure, ctx: Context) -> str:
    fields = {"path": os.path.relpath(block.path, ctx.directory), "caption": block.caption}
    return "  " + json.dumps({"type": "figure", **fields}, ensure_ascii=False)


FORMAT = Format(
    "json",
    ".json",
    {
        Heading: _block("heading"),
        Paragraph: _block("paragraph"),
        Warning: _block("warning"),
        Bullets: _block("bullets"),
        Table: _block("table"),
        Figure: _figure,
    },
    begin=lambda ctx: "[\n",
    end=lambda ctx: "\n]\n",
    joiner=",\n",
)
