"""Many questions on Dask: the same files as serial, one row per question, faults survived.

One ``LocalCluster`` (2 processes, 1 thread each) serves the whole module.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from builders import SMALL_LEDGER, SMALL_QUESTION, small_project

from forecasting.cli import main
from forecasting.pipeline import many
from forecasting.pipeline.archive import Archive
from forecasting.pipeline.many import Row, backfill_many, dask_client, exit_code, update_many


@pytest.fixture(scope="module")
def compile_root(tmp_path_factory):
    return tmp_path_factory.mktemp("compile")


@pytest.fixture(scope="module")
def client(compile_root):
    with dask_client(workers=2, compile_root=compile_root) as c:
        yield c


def add_question(root: Path, qid: str) -> Path:
    """Another small question (its own id, title and ledger) in the project."""
    path = root / "models" / f"{qid}.yaml"
    text = SMALL_QUESTION.replace("id: watch", f"id: {qid}")
    path.write_text(text.replace("title: Does the truce hold?", f"title: Does the {qid} hold?"))
    (root / "evidence" / qid).mkdir(parents=True)
    (root / "evidence" / qid / "ledger.yaml").write_text(SMALL_LEDGER)
    return path


@pytest.fixture
def project(tmp_path):
    small_project(tmp_path)
    add_question(tmp_path, "ceasefire")
    return tmp_path


def files(folder: Path) -> dict[str, bytes]:
    """Every file below a folder, by relative path (the lock files aside)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_each_worker_compiles_in_its_own_folder(client, compile_root):
    """Run first: a client that connects later sets its own folders (the default one)."""

    def where() -> str:
        import pytensor

        return pytensor.config.compiledir

    folders = client.run(where)
    assert len(set(folders.values())) == len(folders) == 2
    for folder in folders.values():
        assert Path(folder).is_relative_to(compile_root)


def test_the_embedded_workers_keep_glibc_s_adaptive_allocation(client):
    """Dask's nannies set MALLOC_TRIM_THRESHOLD_, which makes every mid-sized array a fresh
    mapping (an update 15-25% slower a question); the embedded cluster's workers go without,
    and keep Dask's one BLAS thread each."""
    import os

    env = client.run(
        lambda: {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS")}
    )
    assert len(env) == 2
    for worker in env.values():
        assert worker == {"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1"}


def test_dask_writes_the_bytes_serial_writes(project, client):
    models = [project / "models"]
    # the earlier weeks, by a backfill: serial, then on Dask
    serial = backfill_many(models, start="2025-10-13", end="2025-10-20", client=None)
    assert [r.code for r in serial] == [0, 0]
    backfilled = files(project / "forecasts")
    assert len(backfilled) == 4
    shutil.rmtree(project / "forecasts")
    rows = backfill_many(models, start="2025-10-13", end="2025-10-20", client=client)
    assert [r.code for r in rows] == [0, 0]
    assert files(project / "forecasts") == backfilled
    # this week's update (with a previous forecast to compare with): serial, then on Dask
    rows = update_many(models, as_of="2025-10-27", client=None)
    assert [(r.id, r.code) for r in rows] == [("ceasefire", 0), ("watch", 0)]
    archive, reports = files(project / "forecasts"), files(project / "reports")
    assert len(archive) == 6 and "watch/2025-10-27/report.html" in reports
    summaries = [json.loads(json.dumps(r.result.summary, default=str)) for r in rows]
    shutil.rmtree(project / "reports")
    for name in ("ceasefire", "watch"):
        (project / "forecasts" / name / "2025-10-27.nc").unlink()
    # as the CLI asks: the workers send back what a summary needs (not the previous forecast)
    rows = update_many(models, as_of="2025-10-27", client=client, keep="summary")
    assert [(r.id, r.code) for r in rows] == [("ceasefire", 0), ("watch", 0)]
    assert [json.loads(json.dumps(r.result, default=str)) for r in rows] == summaries
    assert rows[1].result["previous_as_of"] == "2025-10-20"
    # byte for byte: the archive (no timestamps are stored), the reports' text and JSON; the
    # figures (PNG, and the HTML that embeds them) by name: once, in a full suite run, one
    # figure was drawn 11 px wider in the test process than on a worker (unexplained; the
    # numbers were the same)
    assert files(project / "forecasts") == archive
    again = files(project / "reports")
    assert again.keys() == reports.keys()
    exact = [k for k in reports if not k.endswith((".png", ".html"))]
    assert {k: again[k] for k in exact} == {k: reports[k] for k in exact}
    folder = project / "reports" / "watch" / "2025-10-27"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["previous_as_of"] == "2025-10-20"
    # run again: nothing new is written, and it says so
    again = update_many(models, as_of="2025-10-27", client=client)
    assert all(r.result.archived.status == "unchanged" for r in again)
    assert files(project / "forecasts") == archive


def flip_until_a_whole_read_fails(path: Path) -> None:
    """Flip one bit in the file's draws: its history groups still read, a whole read fails."""
    import forecasting as fc

    good = path.read_bytes()
    for k in range(60):
        data = bytearray(good)
        data[len(data) // 2 + 4099 * k] ^= 0x10
        path.write_bytes(bytes(data))
        try:
            fc.Forecast.load(path, groups=("forecast", "confidence"))
        except fc.ForecastingError:
            continue
        try:
            fc.Forecast.load(path)
        except fc.ForecastingError:
            return
    raise AssertionError("no bit flip broke the file")  # pragma: no cover


def test_a_previous_forecast_a_worker_cannot_read_is_read_again_here(project, client):
    """The worker reads the previous forecast's file (shipped unread); damaged, it says so,
    and the client reads the archive as the serial update does: quarantine, the one before."""
    models = [project / "models"]
    assert [r.code for r in backfill_many(models, start="2025-10-13", end="2025-10-20")] == [0, 0]
    folder = project / "forecasts" / "watch"
    flip_until_a_whole_read_fails(folder / "2025-10-20.nc")
    rows = update_many(models, as_of="2025-10-27", client=client)
    assert [(r.id, r.code) for r in rows] == [("ceasefire", 0), ("watch", 0)]
    assert rows[0].result.previous.as_of.isoformat() == "2025-10-20"
    watch = rows[1].result
    assert watch.previous.as_of.isoformat() == "2025-10-13"
    assert [(u.path.name, u.moved_to) for u in watch.skipped] == [
        ("2025-10-20.nc", folder / "quarantine" / "2025-10-20.nc")
    ]
    assert sorted(p.name for p in folder.glob("*.nc")) == ["2025-10-13.nc", "2025-10-27.nc"]
    assert "skipped" in (project / "reports" / "watch" / "2025-10-27" / "report.md").read_text()


def test_one_question_s_bad_input_does_not_stop_the_others(project, client, capsys):
    (project / "models" / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    add_question(project, "surge")
    (project / "evidence" / "surge" / "later.yaml").write_text(
        "- {id: huge, indicator: clashes, value: 400, window: [2025-10-20, 2025-10-27],\n"
        "   date: 2025-10-27, source: test}\n"
    )
    address = client.scheduler.address
    models = str(project / "models")
    code = main(["update", models, "--as-of", "2025-10-27", "--scheduler", address])
    out, err = capsys.readouterr()
    assert code == 2  # bad input outranks a flag
    table = out[out.index("question") :]
    # bad input first, then flagged, then the rest
    assert table.index("broken.yaml") < table.index("surge") < table.index("watch")
    assert "bad input" in table and "flagged" in table
    assert "4 questions: 2 ok, 1 flagged, 1 bad input; exit 2" in out
    assert "broken.yaml" in err and "Traceback" not in err
    assert {p.name for p in (project / "forecasts").iterdir()} == {"ceasefire", "surge", "watch"}
    # the history lists every question of the folder
    assert main(["history", str(project / "models")]) == 2  # the broken file is named
    out = capsys.readouterr().out
    for qid in ("ceasefire", "surge", "watch", "broken.yaml"):
        assert qid in out
    assert "1 forecast " in out and "flagged" in out
    assert main(["history", str(project / "models" / "watch.yaml"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["question"] == "watch"


def test_cli_backfill_of_a_folder(project, client, capsys):
    models, address = str(project / "models"), client.scheduler.address
    args = ["backfill", models, "--from", "2025-10-20", "--to", "2025-10-27"]
    assert main([*args, "--scheduler", address]) == 0
    out = capsys.readouterr().out
    assert "2 questions: 2 ok; exit 0" in out and "2 dates, 2 written" in out
    assert main([*args, "--serial"]) == 0  # again, one after another: nothing new
    assert "2 dates, 0 written" in capsys.readouterr().out
    assert main([*args, "--evidence", str(project / "evidence" / "watch")]) == 2
    assert "give it with one question only" in capsys.readouterr().err


def test_a_folder_without_questions_is_bad_input(tmp_path, capsys):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "watch.resolution.yaml").write_text("outcome: holds\n")
    assert main(["update", str(tmp_path / "models"), "--serial"]) == 2
    assert "holds no question files" in capsys.readouterr().err


def test_the_exit_code_is_the_most_severe_question_s():
    def row(code):
        return Row("q.yaml", "q", code, "")

    assert exit_code([]) == 0
    assert exit_code([row(0), row(3)]) == 3
    assert exit_code([row(3), row(2), row(0)]) == 2
    assert exit_code([row(2), row(1), row(3)]) == 1
    assert [r.code for r in many.ordered([row(0), row(3), row(1), row(2)])] == [1, 2, 3, 0]


def test_dry_run_writes_nothing(project, capsys):
    before = files(project)
    q = str(project / "models" / "watch.yaml")
    assert main(["update", q, "--as-of", "2025-10-27", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "It collapses" in out and "posterior" in out
    assert "Dry run: nothing written (the archive would say: wrote " in out
    assert files(project) == before
    assert sorted(p.name for p in project.iterdir()) == ["evidence", "models"]
    rows = update_many([project / "models"], as_of="2025-10-27", dry_run=True)
    assert [r.code for r in rows] == [0, 0] and files(project) == before
    # the CLI keeps each question's summary only (keep="summary": not its forecasts, to the
    # end of the run), and prints them whole
    argv = ["update", str(project / "models"), "--as-of", "2025-10-27", "--dry-run", "--json"]
    assert main([*argv, "--serial"]) == 0  # (in this process: no second cluster's start)
    out = json.loads(capsys.readouterr().out)["questions"]
    assert [q["summary"] for q in out] == [
        json.loads(json.dumps(r.result.summary, default=str)) for r in rows
    ]
    with pytest.raises(ValueError, match="keep must be"):
        update_many([project / "models"], keep="everything")


def test_a_killed_worker_s_task_runs_again_and_nothing_is_lost_or_doubled(
    project, client, monkeypatch, tmp_path_factory
):
    marker = tmp_path_factory.mktemp("marker") / "killed"

    def dies_once(ship):  # a worker process killed mid-task, the first time only
        from forecasting.pipeline.steps import compute

        if ship.question.id == "watch" and not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return compute(ship)

    monkeypatch.setattr(many, "compute", dies_once)
    rows = update_many([project / "models"], as_of="2025-10-27", client=client)
    assert marker.exists()  # it did die
    assert [(r.id, r.code) for r in rows] == [("ceasefire", 0), ("watch", 0)]
    for qid in ("ceasefire", "watch"):
        assert [e.path.name for e in Archive(project / "forecasts").entries(qid)] == [
            "2025-10-27.nc"
        ]
        assert not list((project / "forecasts" / qid).glob(".*.tmp"))
        assert (project / "reports" / qid / "2025-10-27" / "report.html").is_file()


def test_a_result_that_cannot_be_sent_back_is_that_question_s_error(client):
    """Dask's as_completed waits forever for a result it cannot serialise: the task serialises
    its own result, so the failure is the question's error and the others come back."""
    import threading

    got = {}

    def done(tag, result, error):
        got[tag] = (result, error)

    jobs = iter([("bad", lambda: threading.Lock(), ()), ("good", lambda: {"p": 0.5}, ())])
    many._run(client, jobs, done)
    assert got["good"] == ({"p": 0.5}, None)
    assert got["bad"][0] is None and "pickle" in str(got["bad"][1]).lower()
