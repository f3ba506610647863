"""The report as Markdown (``report.md``): figures are linked, relative to the report."""

from __future__ import annotations

import os

from ..blocks import Bullets, Figure, Heading, Paragraph, Table, Warning
from . import Context, Format


def _heading(block: Heading, ctx: Context) -> str:
    return f"{'#' * block.level} {block.text}\n"


def _paragraph(block: Paragraph, ctx: Context) -> str:
    return block.text + "\n"


def _warning(block: Warning, ctx: Context) -> str:
    return f"> **WARNING:** {block.text}\n"


def _bullets(block: Bullets, ctx: Context) -> str:
    return "\n".join(f"- {item}" for item in block.items) + "\n"


def _cell(x: str) -> str:
    return str(x).replace("|", "\\|")


def _table(block: Table, ctx: Context) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in block.header) + " |",
        "|" + "---|" * len(block.header),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
    return "\n".join(lines) + "\n"


def _figure(block: Figure, ctx: Context) -> str:
    return f"![{block.caption}]({os.path.relpath(block.path, ctx.directory)})\n"


FORMAT = Format(
    "markdown",
    ".md",
    {
        Heading: _heading,
        Paragraph: _paragraph,
        Warning: _warning,
        Bullets: _bullets,
        Table: _table,
        Figure: _figure,
    },
)
