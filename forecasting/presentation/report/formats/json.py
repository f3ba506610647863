r"""The report as JSON (``report.json``): the blocks in order, for other programs to render.

Strings are plain JSON strings, as read from the files. Besides the control characters JSON
always escapes, DEL, the C1 controls, the line and paragraph separators and the bidirectional
overrides are written as ``\uXXXX`` escapes too (the same strings), so the file is safe to show
on a terminal.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from typing import Any

from ..blocks import Bullets, Figure, Heading, Paragraph, Table, Warning
from . import Context, Format

#: What JSON leaves as it is but a terminal or a JavaScript parser would act on.
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _dumps(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False)
    return "  " + _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _block(kind: str) -> Any:
    def render(block: Any, ctx: Context) -> str:
        return _dumps({"type": kind, **asdict(block)})

    return render


def _figure(block: Figure, ctx: Context) -> str:
    fields = {"path": os.path.relpath(block.path, ctx.directory), "caption": block.caption}
    return _dumps({"type": "figure", **fields})


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
