"""The command line of a new user's first hour (issue 17): ``init``, ``run --with``, and
``validate`` reporting every problem of both files at once, with the window note.
"""

from __future__ import annotations

import json
import shutil

import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION

from forecasting.cli import EXIT_INPUT, EXIT_OK, WINDOW_NOTE, main

AS_OF = "2025-10-27"
WHAT_IF = """\
- id: no-ops-october
  indicator: joint_operations
  value: 0
  window: [2025-09-27, 2025-10-27]
  date: 2025-10-27
  source: hypothetical
"""


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models").mkdir()
    question = tmp_path / "models" / BUNDLED_QUESTION.name
    shutil.copy(BUNDLED_QUESTION, question)
    shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / BUNDLED_EVIDENCE.name)
    return question, tmp_path / "evidence" / BUNDLED_EVIDENCE.name


def snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_init_writes_a_template_that_validates(capsys, tmp_path):
    code, out, err = run(capsys, "init", "gaza-ceasefire", "--dir", tmp_path)
    assert code == EXIT_OK, err
    question = tmp_path / "models" / "gaza_ceasefire.yaml"
    assert question.is_file() and "forecast validate" in out
    code, out, err = run(capsys, "validate", question)
    assert code == EXIT_OK, err
    assert out.rstrip().endswith("OK: no problems found")
    code, out, err = run(capsys, "init", "gaza-ceasefire", "--dir", tmp_path)
    assert code == EXIT_INPUT and "exists already" in err and "nothing was written" in err


def test_run_with_is_a_what_if_that_writes_nothing(capsys, project, tmp_path):
    question, ledger = project
    what_if = tmp_path / "what_if.yaml"
    what_if.write_text(WHAT_IF, encoding="utf-8")
    before = snapshot(tmp_path)
    code, plain, err = run(capsys, "run", question, "--as-of", AS_OF)
    code, out, err = run(capsys, "run", question, "--as-of", AS_OF, "--with", what_if)
    assert code == EXIT_OK, err
    assert out.startswith("WHAT-IF: 1 hypothetical item from ")
    assert "no-ops-october" in out.splitlines()[0] and "13 items" in out
    assert out != plain
    code, out, err = run(capsys, "run", question, "--as-of", AS_OF, "--with", what_if, "--json")
    assert code == EXIT_OK, err
    data = json.loads(out)
    assert data["hypothetical"] == [{"id": "no-ops-october", "file": str(what_if)}]
    assert "no-ops-october" in data["evidence"]["used"]
    assert snapshot(tmp_path) == before  # neither the ledger nor an archive was touched


def test_run_with_bad_items_names_the_with_file(capsys, project, tmp_path):
    question, ledger = project
    first = next(iter(sorted(ledger.glob("*.yaml"))))
    taken = first.read_text(encoding="utf-8").split("id: ", 1)[1].split()[0]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        WHAT_IF.replace("value: 0", "value: -2") + WHAT_IF.replace("no-ops-october", taken),
        encoding="utf-8",
    )
    code, out, err = run(
        capsys, "run", question, "--with", bad, "--with", tmp_path / "missing.yaml"
    )
    assert code == EXIT_INPUT and out == "" and "Traceback" not in err
    lines = err.splitlines()
    assert any(ln.startswith(f"{bad}:3: [0].value:") for ln in lines), err
    assert any(ln.startswith(f"{bad}:7: [1].id:") and "used twice" in ln for ln in lines), err
    assert any(ln.startswith(f"{tmp_path / 'missing.yaml'}: --with:") for ln in lines), err


def test_validate_reports_question_and_evidence_problems_together(capsys, project):
    question, ledger = project
    text = question.read_text(encoding="utf-8")
    question.write_text(text.replace("prior: 0.25", "prior: 0.30", 1), encoding="utf-8")
    (ledger / "zz.yaml").write_text(
        "- id: x-1\n  indicator: joint_operations\n  value: 1\n"
        "  window: [2025-10-01, 2025-10-01]\n  date: 2025-10-02\n  source: s\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "validate", question)
    assert code == EXIT_INPUT
    assert "priors sum to 1.05" in err
    assert "zz.yaml:4: [0].window:" in err and "(item 'x-1')" in err


def test_validate_says_windows_leave_out_their_end_day(capsys):
    code, out, err = run(capsys, "validate", BUNDLED_QUESTION)
    assert code == EXIT_OK, err
    assert f"note: {WINDOW_NOTE}" in out
    assert out.rstrip().endswith("OK: no problems found")
    code, out, err = run(capsys, "validate", BUNDLED_QUESTION, "--json")
    assert json.loads(out)["notes"] == [WINDOW_NOTE]
