"""The weekly update: archive safety, history, backfill, report, exit codes."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_FILE, BUNDLED_QUESTION, ROOT, small_project

import forecasting as fc
from forecasting.cli import main
from forecasting.pipeline.archive import Archive
from forecasting.pipeline.weekly import backfill, history, update


@pytest.fixture
def project(tmp_path):
    """A copy of the bundled question and ledger in a fresh project folder."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "syria_coalition.yaml").write_text(BUNDLED_QUESTION.read_text())
    ev = tmp_path / "evidence" / "syria-coalition"
    ev.mkdir(parents=True)
    for f in BUNDLED_EVIDENCE.glob("*.yaml"):
        (ev / f.name).write_text(f.read_text())
    return tmp_path


def q_path(project):
    return project / "models" / "syria_coalition.yaml"


# --- the archive --------------------------------------------------------------------------------


def test_archive_write_is_a_no_op_for_identical_inputs_and_keeps_revisions(tmp_path):
    store = Archive(tmp_path)
    a = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=1)
    first = store.write(a)
    assert first.status == "written" and first.entry.path.name == "2025-10-27.nc"
    again = store.write(fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=1))
    assert again.status == "unchanged" and "nothing written" in again.message
    other = store.write(fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=2))
    assert other.status == "revision" and other.entry.path.name == "2025-10-27.r2.nc"
    # nothing was overwritten: the first file still holds the first forecast
    assert fc.Forecast.load(first.entry.path).to_json() == a.to_json()
    assert [e.revision for e in store.entries("syria-coalition")] == [1, 2]


_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import xarray as xr
    import forecasting as fc
    from forecasting.pipeline.archive import Archive

    real = xr.DataTree.to_netcdf

    def slow(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)          # the temporary file is complete...
        with open(path, "r+b") as fh:               # ...then half of it is garbage
            fh.truncate(fh.seek(0, 2) // 2)
        print("WRITING", flush=True)
        time.sleep(60)                              # killed here, before the rename

    xr.DataTree.to_netcdf = slow
    f = fc.forecast(sys.argv[1], as_of="2025-10-27", seed=99)
    Archive(sys.argv[2]).write(f)
""")


def test_a_writer_killed_mid_write_leaves_the_archive_as_it_was(tmp_path):
    store = Archive(tmp_path / "archive")
    good = store.write(fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=1))
    before = good.entry.path.read_bytes()
    script = tmp_path / "writer.py"
    script.write_text(_KILLED_WRITER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(BUNDLED_QUESTION), str(tmp_path / "archive")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "WRITING" in line
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # the archived forecast is untouched, no half-written entry appeared, and the lock is free
    assert good.entry.path.read_bytes() == before
    assert [e.path.name for e in store.entries("syria-coalition")] == ["2025-10-27.nc"]
    assert list((tmp_path / "archive" / "syria-coalition").glob(".*.tmp"))  # its debris
    third = store.write(fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=3))
    assert third.status == "revision"
    fc.Forecast.load(third.entry.path)
    assert not list((tmp_path / "archive" / "syria-coalition").glob(".*.tmp"))


def _write_with_seed(args):
    root, seed = args
    f = fc.forecast(str(BUNDLED_QUESTION), as_of="2025-10-27", seed=seed)
    return Archive(root).write(f).entry.path.name


def test_concurrent_writers_are_serialised(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        names = pool.map(_write_with_seed, [(str(tmp_path), 5), (str(tmp_path), 6)])
    # both kept, one as a revision: neither overwrote the other
    assert sorted(names) == ["2025-10-27.nc", "2025-10-27.r2.nc"]
    seeds = sorted(
        fc.Forecast.load(tmp_path / "syria-coalition" / n).provenance["seed"] for n in names
    )
    assert seeds == [5, 6]


# --- update, history, backfill -------------------------------------------------------------


def test_update_archives_compares_and_reports(project):
    r1 = update(q_path(project), as_of="2025-10-20")
    assert r1.previous is None and r1.attribution is None
    r2 = update(q_path(project), as_of="2025-10-27")
    assert r2.archived.status == "written"
    assert r2.previous.as_of.isoformat() == "2025-10-20"
    np.testing.assert_allclose(
        r2.attribution.parts.contribution.sum("change").values, r2.attribution.total, atol=1e-12
    )
    folder = project / "reports" / "syria-coalition" / "2025-10-27"
    md = (folder / "report.md").read_text()
    assert md.splitlines()[2].startswith("**Syria formally joins the coalition: ")
    assert "since 2025-10-20" in md.splitlines()[2]
    for section in (
        "## Scenarios",
        "## Trajectory",
        "## What changed and why",
        "## New evidence",
        "## What the forecast rests on",
        "## What to watch next",
        "## Diagnostics and provenance",
    ):
        assert section in md
    page = (folder / "report.html").read_text()
    assert "data:image/png;base64," in page and "src='figures" not in page
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["previous_as_of"] == "2025-10-20"
    assert summary["headline"] == r2.summary["headline"]
    assert {"estimative", "change"} <= set(summary["scenarios"][0])
    # re-running with identical inputs is a no-op that says so
    r3 = update(q_path(project), as_of="2025-10-27")
    assert r3.archived.status == "unchanged"
    assert len(Archive(project / "forecasts").entries("syria-coalition")) == 2


def test_backfill_replays_the_ledger_and_history_reads_it(project):
    results = backfill(
        q_path(project), start="2025-10-06", end="2025-10-27", every_days=7, progress=False
    )
    assert [d.isoformat() for d, _ in results] == [
        "2025-10-06",
        "2025-10-13",
        "2025-10-20",
        "2025-10-27",
    ]
    hist = history(q_path(project))
    assert hist.sizes == {"as_of": 4, "scenario": 4, "ci_bound": 2}
    # items dated after each as-of were left out
    assert list(hist.n_items.values) == [0, 0, 3, 12]
    np.testing.assert_allclose(hist.probability.isel(as_of=0).values, [0.25, 0.4, 0.15, 0.2])
    assert fc.history is not None


def test_cli_update_history_backfill(project, capsys):
    q = str(q_path(project))
    assert main(["backfill", q, "--from", "2025-10-13", "--to", "2025-10-20", "--every", "1w"]) == 0
    out = capsys.readouterr()
    assert "2025-10-13" in out.out and "backfill 2/2" in out.err
    assert main(["update", q, "--as-of", "2025-10-27", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["previous_as_of"] == "2025-10-20"
    assert summary["report"]["html"].endswith("report.html")
    assert main(["history", q, "--json", "--plot", str(project / "t.png")]) == 0
    hist = json.loads(capsys.readouterr().out)
    assert [h["as_of"] for h in hist["history"]] == ["2025-10-13", "2025-10-20", "2025-10-27"]
    assert (project / "t.png").stat().st_size > 1000
    assert main(["history", q]) == 0
    assert "3 archived forecasts" in capsys.readouterr().out
    assert main(["backfill", q, "--from", "2025-10-13", "--every", "0d"]) == 2


def test_update_exit_code_3_when_the_evidence_is_improbable_everywhere(tmp_path, capsys):
    q = str(small_project(tmp_path))
    assert main(["update", q, "--as-of", "2025-10-27"]) == 0
    capsys.readouterr()
    extra = tmp_path / "evidence" / "watch" / "2025-11-03.yaml"
    extra.write_text(
        textwrap.dedent("""
        - id: implausible-clashes
          indicator: clashes
          value: 400
          window: [2025-10-27, 2025-11-03]
          date: 2025-11-03
          source: test
    """)
    )
    assert main(["update", q, "--as-of", "2025-11-03"]) == 3
    out = capsys.readouterr()
    assert "FLAGGED" in out.out and "improbable under every scenario" in out.err
    assert "implausible-clashes" in out.err  # the item is named
    md = (tmp_path / "reports" / "watch" / "2025-11-03" / "report.md").read_text()
    assert "WARNING" in md and "scenario set may be incomplete" in md
    # the history says what the report said
    assert main(["history", q, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["history"]
    flagged = {r["as_of"]: (r["flagged"], r["flags"]) for r in rows}
    assert flagged["2025-10-27"] == (False, [])
    assert flagged["2025-11-03"][0] is True
    assert "implausible-clashes" in flagged["2025-11-03"][1][0]
    assert main(["history", q]) == 0
    assert "2025-11-03" in capsys.readouterr().out.split("(flagged)")[0]


def test_an_update_beyond_the_work_budget_says_what_it_did_not_test(tmp_path, capsys, monkeypatch):
    # (the first update of a large ledger: hours of sequential integrals otherwise)
    import forecasting.analyses.new_items as ni

    monkeypatch.setattr(ni, "WALK_BUDGET", 0.0)
    q = str(small_project(tmp_path))
    assert main(["update", q, "--as-of", "2025-10-27"]) == 0
    out = capsys.readouterr().out
    assert "Note: of the 6 new items, 0 were checked for surprise alone and 0 tested" in out
    folder = tmp_path / "reports" / "watch" / "2025-10-27"
    summary = json.loads(
        (folder / "summary.json").read_text(), parse_constant=lambda c: pytest.fail(c)
    )  # strict JSON: no NaN
    sur, pre = summary["surprise"], summary["prequential"]
    assert sorted(sur["untested"]) == ["c1", "c2", "c3", "t1", "t2", "t3"]
    assert sur["joint_items"] == [] and not sur["flagged"]
    assert all(row["tail_forecast"] is None for row in sur["items"])
    assert all(row["log_predictive"] is None for row in pre["items"])
    assert np.isfinite(pre["total"]) and pre["origins"] == {}
    md = (folder / "report.md").read_text()
    assert "not computed" in md and "Of the 6 new items, 0 had their predictive tail" in md
    # the default budget tests all six, and says nothing of it
    monkeypatch.setattr(ni, "WALK_BUDGET", 3e9)
    q = str(small_project(tmp_path / "again"))
    assert main(["update", q, "--as-of", "2025-10-27"]) == 0
    assert "Note: of the" not in capsys.readouterr().out
    folder = tmp_path / "again" / "reports" / "watch" / "2025-10-27"
    summary = json.loads((folder / "summary.json").read_text())
    assert len(summary["surprise"]["joint_items"]) == 6 and not summary["surprise"]["untested"]
    assert all(row["log_predictive"] is not None for row in summary["prequential"]["items"])


def test_update_with_bad_input_exits_2_and_leaves_the_archive(tmp_path, capsys):
    q = str(small_project(tmp_path))
    assert main(["update", q, "--as-of", "2025-10-27"]) == 0
    before = sorted(p.name for p in (tmp_path / "forecasts" / "watch").iterdir())
    bad = tmp_path / "evidence" / "watch" / "2025-11-03.yaml"
    bad.write_text("- id: x\n  indicator: clashs\n  value: 1\n")
    assert main(["update", q, "--as-of", "2025-11-03"]) == 2
    err = capsys.readouterr().err
    assert "2025-11-03.yaml:2: [0].indicator" in err and "Traceback" not in err
    after = sorted(p.name for p in (tmp_path / "forecasts" / "watch").iterdir())
    assert after == before


def test_sensitivity_cli(tmp_path, capsys):
    assert (
        main(
            [
                "sensitivity",
                str(BUNDLED_QUESTION),
                "--as-of",
                "2025-10-27",
                "--plots",
                str(tmp_path),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for heading in (
        "EVIDENCE INFLUENCE",
        "JUDGEMENT SENSITIVITY",
        "TIPPING POINTS",
        "WHAT TO WATCH NEXT",
    ):
        assert heading in out
    assert {p.name for p in tmp_path.glob("*.png")} >= {
        "posterior.png",
        "evidence_influence.png",
        "tornado.png",
        "tornado_grid.png",
        "tipping_points.png",
        "value_of_information.png",
        "sweep.png",
    }
    assert main(["sensitivity", str(BUNDLED_QUESTION), "--as-of", "2025-10-27", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ids = {r["item"] for r in data["evidence_influence"]["item"]}
    assert ids == set(fc.load_evidence(None, fc.load_question(BUNDLED_QUESTION)).ids)
    judgement_ids = {r["judgement"] for r in data["judgement_sensitivity"]["judgement"]}
    assert "likelihood:joint_operations:accession" in judgement_ids
    assert set(data["evidence_influence"]["item"][0]["shift"]) == {
        "accession",
        "informal",
        "collapse",
        "unilateral",
    }


def test_make_forecast_prints_what_the_readme_shows(tmp_path, monkeypatch, capsys):
    """``make forecast`` on a fresh copy of the bundled project (the question as shipped, with
    its dynamics; its ledger; its archive): the README's Quick start shows its output verbatim,
    and the change the headline states is the archived 2025-10-20 forecast's, recomputed."""
    shutil.copytree(ROOT / "models", tmp_path / "models")
    shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / "syria-coalition")
    shutil.copytree(
        ROOT / "forecasts" / "syria-coalition", tmp_path / "forecasts" / "syria-coalition"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["update", "models/syria_coalition.yaml", "--as-of", "2025-10-27"]) == 0
    out = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("writes the report. It prints:\n\n```\n", 1)[1].split("```", 1)[0]
    assert out == shown
    new = fc.Forecast.load(tmp_path / "forecasts" / "syria-coalition" / "2025-10-27.nc")
    before = fc.forecast(BUNDLED_FILE, as_of="2025-10-20", confidence=False)
    up = re.search(r"up (\d+) points since 2025-10-20", out)
    moved = new.probabilities.sel(scenario="accession") - before.probabilities.sel(
        scenario="accession"
    )
    assert up and int(up.group(1)) == round(100 * float(moved))
    static = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", confidence=False)  # one period
    np.testing.assert_allclose(new.now.values, static.probabilities.values, atol=1e-12)


def test_bundled_archive_ships_a_history():
    store = Archive(ROOT / "forecasts")
    dates = [e.as_of.isoformat() for e in store.entries("syria-coalition")]
    assert len(dates) >= 3
    for e in store.entries("syria-coalition"):
        f = e.load()
        assert f.question_id == "syria-coalition"
        assert f.as_of == e.as_of


# --- verify ------------------------------------------------------------------------------------


def test_archived_forecasts_verify(capsys):
    for entry in Archive(ROOT / "forecasts").entries("syria-coalition"):
        assert main(["verify", str(entry.path)]) == 0
        assert "reproduces" in capsys.readouterr().out


def test_a_forecast_archived_under_the_tempered_model_still_verifies(capsys):
    """Made before ``reliability_model`` and origins existed (the bundled question's first
    archive): it records no model, so it was the tempered one, and reruns as such."""
    old = Path(__file__).parent / "data" / "made-before-origins-2025-10-20.nc"
    assert "reliability_model" not in fc.Forecast.load(old).provenance
    assert main(["verify", str(old)]) == 0
    assert "reproduces" in capsys.readouterr().out


def test_a_tampered_forecast_does_not_verify(tmp_path, capsys):
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=4)
    tree = f.tree.copy(deep=True)
    tree["forecast"]["probability"].values[0] += 1e-12  # floating-point noise: still the same
    path = fc.Forecast(tree).save(tmp_path / "noise.nc")
    assert main(["verify", str(path)]) == 0
    assert "agree to within 1e-12" in capsys.readouterr().out
    tree["forecast"]["probability"].values[0] += 0.01
    path = fc.Forecast(tree).save(tmp_path / "tampered.nc")
    assert main(["verify", str(path), "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert not out["reproduces"]
    assert any(d.startswith("accession probability") for d in out["differences"])
    tree.attrs["evidence"] = tree.attrs["evidence"].replace('"value": 4', '"value": 5')
    path = fc.Forecast(tree).save(tmp_path / "tampered2.nc")
    assert main(["verify", str(path)]) == 3
    assert "does not match its recorded SHA-256" in capsys.readouterr().out
    assert main(["verify", str(tmp_path / "missing.nc")]) == 2


def test_settings_too_large_are_refused_from_the_command_line_and_from_a_file(tmp_path, capsys):
    """``run --draws 10**14`` ran out of memory with a traceback; a file may record it too."""
    assert (
        main(["run", str(BUNDLED_QUESTION), "--as-of", "2025-10-27", "--draws", str(10**14)]) == 2
    )
    err = capsys.readouterr().err
    assert "draws: at most 1,000,000" in err and "Traceback" not in err
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", draws=200, confidence=False)
    tree = f.tree.copy(deep=True)
    prov = json.loads(tree.attrs["provenance"])
    prov["settings"]["draws"] = 10**14
    tree.attrs["provenance"] = json.dumps(prov)
    path = fc.Forecast(tree).save(tmp_path / "huge.nc")
    assert main(["verify", str(path), "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert not out["reproduces"]
    assert any("recorded settings cannot be rerun: draws" in d for d in out["differences"])
