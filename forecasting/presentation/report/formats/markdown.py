"""The report as Markdown (``report.md``): figures are linked, relative to the report.

Text read from files (titles, labels, sources, item ids, notes) reads as the literal text: every
character Markdown or HTML would act on is backslash-escaped (a ``<script>`` tag, a
``[link](javascript:...)``, a ``#`` or ``|``), a line break is a space (as the HTML report shows it;
a line break would end a table row or start a heading), and control characters are shown
escaped (:func:`~forecasting.presentation.text.escape_controls`). Our own markup is kept: the
``**bold**`` and ```code``` of a :class:`Paragraph` (as in the HTML report), the figures' links.
Headings, warnings, bullets, table cells and captions are text with no markup.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote

from ...text import escape_controls
from ..blocks import Bullets, Figure, Heading, Paragraph, Table, Warning
from . import Context, Format

#: Every character a Markdown or HTML renderer acts on within a line: emphasis, code, links and
#: images (``!`` needs a ``[``), raw HTML and entities, headings, tables, strikethrough, math;
#: all ASCII punctuation, so a backslash before it always shows the character itself.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|&~$])")

#: What may start a block where a line starts: a list item (``-``, ``+``, ``1.``, ``1)``), a
#: setext heading's underline (``=``), a thematic break, a fence (``~~~``).
_BLOCK_START = re.compile(r"^(\s*)([-+=~]|\d+(?=[.)]))")

#: Markdown's line breaks (each would end a table row or a heading, or start a block).
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")


def _flat(text: str) -> str:
    """One line: every line break a space, the other control characters shown escaped."""
    return escape_controls(_LINE_BREAK.sub(" ", str(text)), keep="\t")


def escape(text: str) -> str:
    """``text`` as Markdown that reads as exactly ``text`` (on one line)."""
    return _SPECIAL.sub(r"\\\1", _flat(text))


def _start(markdown: str) -> str:
    """Markdown that starts a block, with what would start a list or a heading escaped."""
    match = _BLOCK_START.match(markdown)
    if match is None:
        return markdown.lstrip()
    mark = match.group(2)
    if mark[0].isdigit():  # "1." starts an ordered list; "1\." does not
        return mark + "\\" + markdown[match.end() :]
    return "\\" + mark + markdown[match.end() :]


def _code(text: str) -> str:
    """A code span: its content is literal; backticks are not in it (they delimit it)."""
    text = _flat(text)
    return f"`{text}`" if text.strip() else text


def _bold(markdown: str) -> str:
    """Bold, with the spaces at either end outside the ``**`` (where they would undo it)."""
    core = markdown.strip()
    if not core:
        return markdown
    head = markdown[: len(markdown) - len(markdown.lstrip())]
    tail = markdown[len(markdown.rstrip()) :]
    return f"{head}**{core}**{tail}"


def _inline(text: str) -> str:
    """A paragraph's text: ``**bold**`` and ```code``` marked up, the rest escaped.

    The same rule as the HTML report's: the text is split at ``**``, then at backticks.
    """
    out = []
    for i, part in enumerate(str(text).split("**")):
        pieces = part.split("`")
        md = "".join(_code(p) if j % 2 else escape(p) for j, p in enumerate(pieces))
        out.append(_bold(md) if i % 2 else md)
    return "".join(out)


def _heading(block: Heading, ctx: Context) -> str:
    return f"{'#' * block.level} {escape(block.text).strip()}\n"


def _paragraph(block: Paragraph, ctx: Context) -> str:
    return _start(_inline(block.text)) + "\n"


def _warning(block: Warning, ctx: Context) -> str:
    return f"> **WARNING:** {escape(block.text).strip()}\n"


def _bullets(block: Bullets, ctx: Context) -> str:
    return "\n".join(f"- {_start(escape(item))}" for item in block.items) + "\n"


def _cell(x: str) -> str:
    return escape(x).strip()


def _table(block: Table, ctx: Context) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in block.header) + " |",
        "|" + "---|" * len(block.header),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
    return "\n".join(lines) + "\n"


def _figure(block: Figure, ctx: Context) -> str:
    target = os.path.relpath(block.path, ctx.directory).replace(os.sep, "/")
    return f"![{escape(block.caption)}]({quote(target)})\n"


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
