"""The report stands alone (question, resolution, ledger, exclusions) and is never silently
rewritten: a rebuild that differs is a revision, an identical one writes nothing (issue 17)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from builders import small_project

import forecasting as fc
from forecasting.pipeline.archive import Archive
from forecasting.pipeline.weekly import update

QUESTION = "Will the truce of 1 October still hold on 31 March 2026 <per the UN>?"


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    root = tmp_path_factory.mktemp("standalone")
    path = small_project(root)
    text = path.read_text().replace("resolves:", f"question: '{QUESTION}'\nresolves:")
    path.write_text(text)
    Archive(root / "forecasts").write(fc.forecast(path, as_of="2025-10-13"))
    return root


@pytest.fixture
def project(archived, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(archived, root)
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_report_has_the_question_the_ledger_and_what_was_left_out(project):
    """It had no question text, no resolution date, excluded items only as a count."""
    res = update(project / "models" / "watch.yaml", as_of="2025-10-20")
    md = Path(res.report["markdown"]).read_text()
    page = Path(res.report["html"]).read_text()
    assert "**Question:** Will the truce of 1 October still hold on 31 March 2026 \\<per" in md
    assert "the UN\\>?" in md and "**Resolves:** 2026-03-31." in md
    assert "<strong>Question:</strong> Will the truce" in page and "&lt;per the UN&gt;" in page
    assert "<strong>Resolves:</strong> 2026-03-31." in page
    # the ledger, as an appendix: every item used, its origin, relays, grade, weight, influence
    assert "## Appendix: the evidence ledger" in md
    header = next(
        line
        for line in md.splitlines()
        if line.startswith("| date | item | indicator | value | origin")
    )
    for column in ("origin", "relayed by", "grade", "weight", "influence on", "diagnosticity"):
        assert column in header
    ledger = [line for line in md.splitlines() if line.startswith("| 2025-")]
    used = {line.split(" | ")[1] for line in ledger}
    assert used >= {"c1", "t1", "c2", "t2"}
    c1 = next(line for line in ledger if line.split(" | ")[1] == "c1")
    assert "UN monitors | direct | B2 |" in c1 and "2025-09-10 to 2025-10-10" in c1
    # what was left out, with the reason, in both formats
    assert "Left out of this forecast (2 items):" in md
    assert "| c3 | dated 2025-10-24, after the as-of date 2025-10-20 |" in md
    assert "<td>t3</td><td>dated 2025-10-25, after the as-of date 2025-10-20</td>" in page
    assert "| evidence items excluded | 2 (listed in the appendix) |" in md


def test_an_identical_rebuild_writes_nothing(project):
    q = project / "models" / "watch.yaml"
    first = update(q, as_of="2025-10-27")
    folder = Path(first.report["html"]).parent
    assert first.summary["report_status"]["status"] == "written"
    before = _files(folder)
    again = update(q, as_of="2025-10-27")  # the archive says "already holds": same report
    assert again.summary["report_status"]["status"] == "unchanged"
    assert "already holds this report (same content); nothing written" in again.report_message
    assert _files(folder) == before and not (folder / "revisions").exists()
    assert again.report == first.report
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_a_rebuild_that_differs_is_a_revision_that_keeps_the_earlier_report(project):
    """Backfill then update rebuilt a published report with another baseline, silently."""
    q = project / "models" / "watch.yaml"
    first = update(q, as_of="2025-10-27")
    folder = Path(first.report["html"]).parent
    published = _files(folder)
    assert "since 2025-10-13" in first.summary["headline"]
    # a backfill adds a forecast between: the same date's report now compares with 2025-10-20
    Archive(project / "forecasts").write(fc.forecast(q, as_of="2025-10-20"))
    second = update(q, as_of="2025-10-27")
    status = second.summary["report_status"]
    assert status["status"] == "revision" and status["revision"] == 2
    assert "kept it in" in second.report_message and "revisions/r1" in second.report_message
    assert "wrote revision 2" in second.report_message
    kept = folder / "revisions" / "r1"
    assert _files(kept) == published  # the earlier report, whole
    md = (folder / "report.md").read_text()
    assert "since 2025-10-20" in second.summary["headline"]
    assert "> **WARNING:** This report revises the one published earlier for this date" in md
    assert "revisions/r1/" in md and first.summary["headline"][:30] in md
    page = (folder / "report.html").read_text()
    assert "This report revises the one published earlier" in page
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["report_status"]["status"] == "revision"
    # the same rebuild again: nothing new; another change: r2 keeps revision 2
    third = update(q, as_of="2025-10-27")
    assert third.summary["report_status"]["status"] == "unchanged"
    assert sorted(p.name for p in (folder / "revisions").iterdir()) == ["r1"]
    Archive(project / "forecasts").write(fc.forecast(q, as_of="2025-10-24"))
    fourth = update(q, as_of="2025-10-27")
    assert fourth.summary["report_status"]["revision"] == 3
    assert sorted(p.name for p in (folder / "revisions").iterdir()) == ["r1", "r2"]
    assert _files(folder / "revisions" / "r1") == published
    assert "This report revises" in (folder / "revisions" / "r2" / "report.md").read_text()
