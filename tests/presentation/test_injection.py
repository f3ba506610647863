"""Text read from files is shown as the literal text, in every output (red-team issue 15).

Report: Markdown escapes what Markdown or HTML would act on (a line break is a space), the HTML
page escapes HTML, the JSON report holds the plain strings. Terminal: the tables show control
characters escaped (``\\x1b``). The payloads are built in Python (blocks, or a forecast whose
embedded question says them), so the tests hold whatever the input validation refuses.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION

import forecasting as fc
from forecasting.cli import main
from forecasting.presentation import tables, text
from forecasting.presentation.report import blocks as b
from forecasting.presentation.report.formats import Context, all_formats

#: Markup, HTML and links in one line (what input validation will let through).
MARKUP = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) "
    "![i](javascript:alert(2)) <javascript:alert(3)> &lt;b&gt; a|b *e* _u_ ~~s~~ $m$ \\ # h"
)
#: Line breaks that would start a heading, a table row, a list, a quote; and control characters.
LINES = (
    "ok\n# injected\r\n| x | y |\n- item\n1. one\n> quote\u2028sep "
    "\x1b[2J\x1b[1;31mPWNED \u202eevil"
)
#: What a reader sees of ``LINES``: each line break a space, each control character escaped.
LINES_SHOWN = (
    "ok # injected | x | y | - item 1. one > quote\\u2028sep \\x1b[2J\\x1b[1;31mPWNED \\u202eevil"
)
PAYLOAD = MARKUP + " " + LINES
SHOWN = MARKUP + " " + LINES_SHOWN

#: What no output may hold raw: control characters (but line breaks), separators, overrides.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

#: Tags our HTML page and our Markdown (rendered) may hold.
OUR_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "strong", "code", "div",
    "blockquote", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "figure", "img",
    "figcaption",
}  # fmt: skip


def payload_blocks(png: Path) -> list[b.Block]:
    return [
        b.Heading(f"{PAYLOAD}: forecast", 1),
        b.Paragraph(f"**{PAYLOAD}: 52% (likely)**"),
        b.Paragraph(f"Note: {PAYLOAD}."),
        b.Paragraph(f"1. {PAYLOAD}"),
        b.Warning(f"'{PAYLOAD}' is at 30%"),
        b.Bullets((PAYLOAD, f"- {PAYLOAD}")),
        b.Table(("item", "source"), (("a-1", PAYLOAD), (PAYLOAD, "s"))),
        b.Figure(str(png), f"caption {PAYLOAD}"),
    ]


class Page(HTMLParser):
    """The tags, attributes and text of an HTML page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def assert_only_our_html(page: str) -> Page:
    parsed = Page(page)
    assert {tag for tag, _ in parsed.tags} <= OUR_TAGS, page
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "href" not in attrs, (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith(("data:image/png;base64,", "figures/")), attrs
    return parsed


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "figures" / "f.png"
    path.parent.mkdir()
    path.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    return path


def render(name: str, blocks: list[b.Block], directory: Path) -> str:
    return all_formats()[name].render(blocks, Context(f"title {PAYLOAD}", directory))


# --- report.md -----------------------------------------------------------------------------------

#: A Markdown backslash escape: the character itself.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def cells(row: str) -> list[str]:
    """A Markdown table row's cells, unescaped (a cell ends at a pipe no backslash escapes)."""
    parts = re.split(r"(?<!\\)\|", row.strip())
    assert parts[0] == "" and parts[-1] == "", row
    return [_ESCAPE.sub(r"\1", p.strip()) for p in parts[1:-1]]


def test_markdown_keeps_every_text_on_its_own_line(tmp_path, png):
    md = render("markdown", payload_blocks(png), tmp_path)
    lines = md.splitlines()
    # one line per heading, paragraph, warning, bullet, table row, figure; blank between blocks
    assert [line for line in lines if line.startswith("#")] == [lines[0]]
    assert lines[0].startswith("# \\<script\\>")
    assert len([line for line in lines if line.startswith("- ")]) == 2
    assert len([line for line in lines if line.startswith(">")]) == 1
    rows = [line for line in lines if line.startswith("|")]
    assert len(rows) == 4  # the header, its rule and two rows
    assert [cells(row) for row in rows if "---" not in row] == [
        ["item", "source"],
        ["a-1", SHOWN],
        [SHOWN, "s"],
    ]
    assert len(lines) == 8 * 2 + 3  # eight blocks, a bullet and two rows more
    # nothing Markdown or HTML acts on is left unescaped, and no control character is in it
    for line in lines[:-1]:
        line = line.removeprefix("> ").replace("**", "")
        assert not re.search(r"(?<!\\)[<>\[\]`_]", line), line
        assert not CONTROL.search(line), line
    # our own markup still works: the headline's bold, the figure's link
    assert lines[2].startswith("**\\<script\\>") and lines[2].endswith(": 52% (likely)**")
    assert lines[-1].startswith("![caption \\<script\\>") and lines[-1].endswith("](figures/f.png)")


def test_markdown_starts_no_list_where_the_text_starts(tmp_path, png):
    md = render("markdown", payload_blocks(png), tmp_path)
    assert "\n1\\. \\<script\\>" in md  # a paragraph starting "1." is not a list
    assert "\n- \\- \\<script\\>" in md  # a bullet starting "- " is not a nested list


def test_markdown_renders_as_the_literal_text(tmp_path, png):
    markdown_it = pytest.importorskip("markdown_it")
    md = render("markdown", payload_blocks(png), tmp_path)
    page = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)
    parsed = assert_only_our_html(page)
    assert [tag for tag, _ in parsed.tags].count("h1") == 1
    assert [tag for tag, _ in parsed.tags].count("li") == 2
    assert [tag for tag, _ in parsed.tags].count("tr") == 3
    assert [tag for tag, _ in parsed.tags].count("strong") == 2  # the headline and WARNING
    shown = "".join(parsed.text)
    for expected in (f"{SHOWN}: forecast", f"Note: {SHOWN}.", f"1. {SHOWN}", f"- {SHOWN}"):
        assert expected in shown
    alt = [attrs["alt"] for tag, attrs in parsed.tags if tag == "img"]
    assert alt == [f"caption {SHOWN}"]


def test_markdown_tables_headings_and_bullets_have_no_markup(tmp_path):
    md = render(
        "markdown",
        [b.Heading("**a** `b`"), b.Bullets(("`c`",)), b.Table(("h",), (("**d** `e`",),))],
        tmp_path,
    )
    assert md.splitlines()[0] == "## \\*\\*a\\*\\* \\`b\\`"
    assert "- \\`c\\`" in md and "| \\*\\*d\\*\\* \\`e\\` |" in md


def test_markdown_paragraph_markup_is_ours_and_code_is_literal(tmp_path):
    md = render("markdown", [b.Paragraph("**bold <b>** and `<code> | x`")], tmp_path)
    assert md == "**bold \\<b\\>** and `<code> | x`\n"


def test_markdown_figure_links_are_url_encoded(tmp_path):
    md = render("markdown", [b.Figure(str(tmp_path / "figures" / "a b(1).png"), "c")], tmp_path)
    assert md == "![c](figures/a%20b%281%29.png)\n"


# --- report.html ---------------------------------------------------------------------------------


def test_html_shows_the_same_payloads_as_text(tmp_path, png):
    page = render("html", payload_blocks(png), tmp_path)
    assert "<script" not in page and "\x1b" not in page and "\u202e" not in page
    parsed = assert_only_our_html(page)
    assert [tag for tag, _ in parsed.tags].count("img") == 1
    shown = "".join(parsed.text)
    # the line breaks are left in the page (a browser shows them as spaces, as report.md has)
    literal = MARKUP + " " + LINES.replace("\x1b", "\\x1b").replace("\u2028", "\\u2028")
    literal = literal.replace("\u202e", "\\u202e")
    for expected in (
        f"title {literal}",
        f"{literal}: forecast",
        f"{literal}: 52% (likely)",
        f"Note: {literal}.",
        f"'{literal}' is at 30%",
        f"- {literal}",
    ):
        assert expected in shown
    cells_shown = [t for t in parsed.text if t.startswith("<script>")]
    assert cells_shown.count(literal) == 3  # a bullet and two table cells
    alt = [attrs["alt"] for tag, attrs in parsed.tags if tag == "img"]
    assert alt == [f"caption {literal}"]


# --- report.json ---------------------------------------------------------------------------------


def test_json_holds_the_plain_strings_and_no_raw_control_characters(tmp_path, png):
    out = render("json", payload_blocks(png), tmp_path)
    data = json.loads(out)
    assert data[0]["text"] == f"{PAYLOAD}: forecast"
    assert data[6]["rows"] == [["a-1", PAYLOAD], [PAYLOAD, "s"]]
    assert data[7] == {"type": "figure", "path": "figures/f.png", "caption": f"caption {PAYLOAD}"}
    assert not CONTROL.search(out)  # \u001b, \u202e: JSON escapes
    assert "\\u202e" in out and "\\u001b" in out


# --- the weekly update's report, end to end ------------------------------------------------------

#: A source as a ledger may write it: markup, HTML and links, but no control character.
SOURCE = "<script>alert(1)</script> [x](javascript:alert(1)) | # not a heading *e* _u_ `c`"


@pytest.fixture
def project(tmp_path):
    """The bundled question and ledger, one item's source made a payload."""
    (tmp_path / "models").mkdir()
    question = tmp_path / "models" / BUNDLED_QUESTION.name
    shutil.copy(BUNDLED_QUESTION, question)
    ledger = tmp_path / "evidence" / BUNDLED_EVIDENCE.name
    shutil.copytree(BUNDLED_EVIDENCE, ledger)
    path = ledger / "2025-10-19_dumayr-and-qalamoun.yaml"
    old = "source: Charles Lister (director of MEI's Syria Initiative), post on X, via Enab Baladi"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, f"source: {json.dumps(SOURCE)}", 1))
    return question


def test_the_weekly_report_shows_a_source_as_written(project, capsys):
    assert main(["update", str(project), "--as-of", "2025-10-20"]) == 0
    capsys.readouterr()
    folder = project.parent.parent / "reports" / "syria-coalition" / "2025-10-20"
    md = (folder / "report.md").read_text()
    row = next(line for line in md.splitlines() if "| 2025-10-19 | lister-2025-10-19-dum" in line)
    assert cells(row)[1:5] == ["lister-2025-10-19-dumayr-landing", "joint_operations", "1", SOURCE]
    assert "<script>" not in md and "\n# not" not in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)
    page = (folder / "report.html").read_text()
    assert "<script" not in page
    assert SOURCE in "".join(assert_only_our_html(page).text)
    blocks = json.loads((folder / "report.json").read_text())
    rows = [r for blk in blocks if blk["type"] == "table" for r in blk["rows"]]
    assert any(r[4] == SOURCE for r in rows if len(r) > 4)


# --- the terminal --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[1;31mPWNED\x1b[0m", "\\x1b[2J\\x1b[1;31mPWNED\\x1b[0m"),
        ("a\x00b\x07c\x08d\x7fe", "a\\x00b\\x07c\\x08d\\x7fe"),
        ("line\nbreak\ttab\rcr", "line\\nbreak\\ttab\\rcr"),
        ("c1 \x85 \x9b31m", "c1 \\x85 \\x9b31m"),
        ("sep \u2028 \u2029", "sep \\u2028 \\u2029"),
        ("bidi \u202aa\u202bb\u202cc\u202dd\u202ee \u2066f\u2067g\u2068h\u2069", None),
        (
            "Dar'a, Ḥalab, دمشق, 東京, café, ½, ü, 😀 \\x1b",
            "Dar'a, Ḥalab, دمشق, 東京, café, ½, ü, 😀 \\x1b",
        ),
    ],
)
def test_escape_controls(raw, shown):
    out = text.escape_controls(raw)
    if shown is None:
        assert out == (
            "bidi \\u202aa\\u202bb\\u202cc\\u202dd\\u202ee \\u2066f\\u2067g\\u2068h\\u2069"
        )
    else:
        assert out == shown
    assert out.isprintable()


def test_escape_controls_keeps_what_it_is_told_to():
    assert text.escape_controls("a\nb\x1b\tc", keep="\n\t") == "a\nb\\x1b\tc"


#: A label with control characters and a line break, as a forecast file may embed it.
LABEL = "\x1b[2J\x1b[1;31mPWNED\x1b[0m\nMost likely: nothing \u202eevil"
LABEL_SHOWN = "\\x1b[2J\\x1b[1;31mPWNED\\x1b[0m\\nMost likely: nothing \\u202eevil"


@pytest.fixture(scope="module")
def tampered():
    """A forecast whose embedded question has a hostile label and title, and the analyses of
    what it rests on (made before: validation refuses such a question, the tables must not
    rely on that).
    """
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    tree = fc.analyses.sensitivity(f)
    question = f.question
    question["title"] = "Title \x1b]0;pwned\x07 \x9b2J"
    question["scenarios"][f.leading]["label"] = LABEL
    f.tree.attrs["question"] = json.dumps(question)
    return f, tree


def assert_no_control_characters(out: str) -> None:
    assert not CONTROL.search(out), repr(out)


def test_format_table_escapes_labels_and_title(tampered):
    plain = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    out = tables.format_table(tampered[0])
    assert_no_control_characters(out)
    lines = out.splitlines()
    assert len(lines) == len(tables.format_table(plain).splitlines())  # no line added
    assert lines[0] == "Title \\x1b]0;pwned\\x07 \\x9b2J"
    assert sum(line.startswith("Most likely: ") for line in lines) == 1
    assert f"  {LABEL_SHOWN}  " in out
    assert f"Most likely: {LABEL_SHOWN}: " in out
    # the columns stay aligned: every row's prior ends where the header's does
    head = next(line for line in lines if "posterior" in line)
    rows = [line for line in lines if line.startswith("  ") and "%" in line][:4]
    end = head.index("prior") + len("prior")
    assert all(row[end - 1] == "%" for row in rows), rows


def test_format_description_escapes_what_validate_prints():
    question = fc.load_question(BUNDLED_QUESTION)
    report = tables.describe(question, fc.load_evidence(None, question))
    report["title"] = "T \x1b[2J"
    report["scenarios"][0]["label"] = LABEL
    report["scenarios"][1]["id"] = "id\x1b[1m"
    out = tables.format_description(report)
    assert_no_control_characters(out)
    assert "T \\x1b[2J" in out and LABEL_SHOWN in out and "id\\x1b[1m" in out


def test_format_sensitivity_escapes_labels(tampered):
    out = tables.format_sensitivity(*tampered)
    assert_no_control_characters(out)
    assert f"Leading scenario: {LABEL_SHOWN} (" in out


def test_the_report_of_a_hostile_label_shows_it_escaped(tampered, tmp_path, png):
    blocks = [b.Paragraph(f"**{text.headline(tampered[0])}**")]
    md = render("markdown", blocks, tmp_path)
    assert md.startswith("**\\\\x1b\\[2J\\\\x1b\\[1;31mPWNED\\\\x1b\\[0m Most likely: nothing")
    assert_no_control_characters(md)
    assert len(md.splitlines()) == 1
