"""The report: blocks rendered by every format module the registry finds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecasting.presentation.report import blocks as b
from forecasting.presentation.report import formats, write
from forecasting.presentation.report.formats import all_formats

EVERY_BLOCK = [
    b.Heading("Title <1>", 1),
    b.Heading("Section"),
    b.Paragraph("**bold** and `code` & <tags>"),
    b.Warning("careful"),
    b.Bullets(("one", "two")),
    b.Table(("a", "b|c"), (("1", "2"), ("x|y", "<z>"))),
]


def test_the_formats_are_found():
    assert set(all_formats()) >= {"markdown", "html", "json"}


@pytest.mark.parametrize("name", sorted(all_formats()))
def test_every_format_renders_every_kind_of_block(name, tmp_path):
    fmt = all_formats()[name]
    block_types = {b.Heading, b.Paragraph, b.Warning, b.Bullets, b.Table, b.Figure}
    assert set(fmt.renderers) == block_types
    png = tmp_path / "figures" / "f.png"
    png.parent.mkdir()
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    out = fmt.render([*EVERY_BLOCK, b.Figure(str(png), "a figure")], formats.Context("T", tmp_path))
    assert "Section" in out and "careful" in out


def test_markdown_escapes_table_pipes_and_links_figures(tmp_path):
    fmt = all_formats()["markdown"]
    out = fmt.render(
        [*EVERY_BLOCK, b.Figure(str(tmp_path / "figures" / "f.png"), "cap")],
        formats.Context("T", tmp_path),
    )
    assert "| x\\|y | \\<z\\> |" in out and "![cap](figures/f.png)" in out
    assert out.startswith("# Title \\<1\\>\n")


def test_html_escapes_and_embeds(tmp_path):
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    out = all_formats()["html"].render(
        [*EVERY_BLOCK, b.Figure(str(png), "cap")], formats.Context("T & U", tmp_path)
    )
    assert "<title>T &amp; U</title>" in out
    assert "<strong>bold</strong>" in out and "<code>code</code>" in out and "&lt;tags&gt;" in out
    assert "data:image/png;base64," in out and out.endswith("</body></html>")


def test_json_is_the_blocks_in_order(tmp_path):
    out = all_formats()["json"].render(EVERY_BLOCK, formats.Context("T", tmp_path))
    data = json.loads(out)
    assert [d["type"] for d in data] == [
        "heading",
        "heading",
        "paragraph",
        "warning",
        "bullets",
        "table",
    ]
    assert data[5]["rows"] == [["1", "2"], ["x|y", "<z>"]]


def test_write_puts_every_format_and_the_summary_in_the_folder(tmp_path):
    paths = write(tmp_path, EVERY_BLOCK, {"headline": "h"}, "T")
    assert set(paths) == {"markdown", "html", "json", "summary"}
    assert {Path(p).name for p in paths.values()} == {
        "report.md",
        "report.html",
        "report.json",
        "summary.json",
    }
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["headline"] == "h"
    assert set(summary.get("report", paths)) == set(paths)
