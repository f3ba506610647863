"""The report as one self-contained HTML page (``report.html``).

Figures are embedded as data URIs, so the page can be mailed as one file. Every text is
HTML-escaped (text read from files reads as the literal text) and its control characters are
shown escaped (:func:`~forecasting.presentation.text.escape_controls`: a bidirectional override
cannot reorder what the page shows). Only a :class:`Paragraph` has markup (``**bold**`` and
```code```), as in the Markdown report; headings, warnings, bullets and tables are text.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from ...text import escape_controls
from ..blocks import Bullets, Figure, Heading, Paragraph, Table, Warning
from . import Context, Format

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.8rem 0;font-size:0.92rem}
th,td{border:1px solid #ccc;padding:0.3rem 0.55rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.warning{background:#fff3cd;border-left:5px solid #d39e00;
padding:0.6rem 0.9rem;margin:1rem 0}img{max-width:100%;height:auto}figure{margin:1rem 0}
code{background:#f3f3f3;padding:0 0.2rem}
"""


def _text(text: str) -> str:
    """Text as HTML that shows it literally."""
    return html.escape(escape_controls(text, keep="\t\n\r"))


def _inline(text: str) -> str:
    """Escape HTML and render **bold** and `code`."""
    parts = _text(text).split("**")
    text = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _begin(ctx: Context) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
        f"<title>{_text(ctx.title)}</title><style>{_CSS}</style></head><body>\n"
    )


def _heading(block: Heading, ctx: Context) -> str:
    return f"<h{block.level}>{_text(block.text)}</h{block.level}>"


def _paragraph(block: Paragraph, ctx: Context) -> str:
    return f"<p>{_inline(block.text)}</p>"


def _warning(block: Warning, ctx: Context) -> str:
    return f"<div class='warning'><strong>WARNING:</strong> {_text(block.text)}</div>"


def _bullets(block: Bullets, ctx: Context) -> str:
    return "<ul>" + "".join(f"<li>{_text(item)}</li>" for item in block.items) + "</ul>"


def _table(block: Table, ctx: Context) -> str:
    head = "".join(f"<th>{_text(h)}</th>" for h in block.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_text(str(c))}</td>" for c in row) + "</tr>" for row in block.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(block: Figure, ctx: Context) -> str:
    """The image, with its caption as its alternative text.

    The image shows its own title and caption, so a ``<figcaption>`` would say it twice.
    """
    data = base64.b64encode(Path(block.path).read_bytes()).decode()
    caption = _text(block.caption)
    return f"<figure><img alt='{caption}' src='data:image/png;base64,{data}'></figure>"


FORMAT = Format(
    "html",
    ".html",
    {
        Heading: _heading,
        Paragraph: _paragraph,
        Warning: _warning,
        Bullets: _bullets,
        Table: _table,
        Figure: _figure,
    },
    begin=_begin,
    end=lambda ctx: "\n</body></html>",
)
