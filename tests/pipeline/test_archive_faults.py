"""The archive stays usable: damaged, misnamed or foreign files, and a full disk (issue 15)."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import matplotlib.figure
import numpy as np
import pytest
import xarray as xr
from builders import count, evidence, question, small_project

import forecasting as fc
from forecasting.cli import main
from forecasting.pipeline.archive import Archive
from forecasting.pipeline.weekly import history, update

QID = "watch"


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """A project whose archive holds the forecasts of 2025-10-13 and 2025-10-20."""
    root = tmp_path_factory.mktemp("archived")
    small_project(root)
    store = Archive(root / "forecasts")
    for day in ("2025-10-13", "2025-10-20"):
        store.write(fc.forecast(root / "models" / "watch.yaml", as_of=day))
    return root


@pytest.fixture
def project(archived, tmp_path):
    """A fresh copy of :func:`archived`."""
    root = tmp_path / "project"
    shutil.copytree(archived, root)
    return root


def q(project: Path) -> str:
    return str(project / "models" / "watch.yaml")


def folder(project: Path) -> Path:
    return project / "forecasts" / QID


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file below a folder (hidden ones too) and its bytes."""
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def leftovers(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if ".tmp" in p.name or p.name.endswith(".old")]


def _flip_until(path: Path, broken) -> None:
    """Flip one bit of a file, trying positions from its middle until ``broken(path)``."""
    good = path.read_bytes()
    for k in range(60):
        data = bytearray(good)
        data[len(data) // 2 + 4099 * k] ^= 0x10
        path.write_bytes(bytes(data))
        if broken(path):
            return
    raise AssertionError("no bit flip broke the file")  # pragma: no cover


def _unreadable(path: Path) -> bool:
    try:
        fc.Forecast.load(path, groups=("forecast", "confidence"))
    except fc.ForecastingError:
        return True
    return False


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "bit-flipped":  # the HDF5 signature's second byte: H -> J
        path.write_bytes(data[:1] + bytes([data[1] ^ 0x02]) + data[2:])
    else:  # bit-flipped in the draws: the history reads it, a whole read fails
        _flip_until(path, lambda p: not _unreadable(p) and _whole_read_fails(p))


def _whole_read_fails(path: Path) -> bool:
    try:
        fc.Forecast.load(path)
    except fc.ForecastingError:
        return True
    return False


# --- files that cannot be used ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["truncated", "empty", "bit-flipped"])
def test_a_damaged_file_is_named_by_history_and_quarantined_by_update(project, capsys, how):
    """It made every later update exit 2 after archiving (and without a report), and history
    fail, run after run."""
    damaged = folder(project) / "2025-10-13.nc"
    _damage(damaged, how)
    original = damaged.read_bytes()

    assert main(["history", q(project)]) == 0
    out = capsys.readouterr().out
    assert "Unreadable, skipped (1" in out and "2025-10-13.nc: not a readable forecast" in out
    assert "1 archived forecast" in out and "2025-10-20" in out
    assert main(["history", q(project), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["as_of"] for r in data["history"]] == ["2025-10-20"]
    assert [Path(u["path"]).name for u in data["unreadable"]] == ["2025-10-13.nc"]
    assert damaged.exists()  # history only reads

    assert main(["update", q(project), "--as-of", "2025-10-27"]) == 0
    res = capsys.readouterr()
    assert "Archive: wrote" in res.out
    assert "Archive: skipped" in res.out and "quarantine/2025-10-13.nc" in res.out
    assert "archive file skipped" in res.err and "2025-10-13.nc" in res.err
    quarantined = folder(project) / "quarantine" / "2025-10-13.nc"
    assert not damaged.exists() and quarantined.read_bytes() == original  # moved, not deleted
    note = (folder(project) / "quarantine" / "2025-10-13.nc.txt").read_text()
    assert "not a readable forecast file" in note
    report = project / "reports" / QID / "2025-10-27"
    assert "quarantine/2025-10-13.nc" in (report / "report.md").read_text()
    summary = json.loads((report / "summary.json").read_text())
    assert summary["previous_as_of"] == "2025-10-20"
    (skipped,) = summary["archive"]["skipped"]
    assert skipped["moved_to"] == str(quarantined)
    # later runs no longer meet it
    assert main(["history", q(project), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["as_of"] for r in data["history"]] == ["2025-10-20", "2025-10-27"]
    assert data["unreadable"] == []


def test_a_previous_forecast_damaged_in_its_draws_is_quarantined_and_the_one_before_used(
    project,
):
    """Its history groups read, but the update's whole read of the previous forecast fails."""
    damaged = folder(project) / "2025-10-20.nc"
    _damage(damaged, "draws")
    assert [str(d)[:10] for d in history(q(project)).as_of.values] == ["2025-10-13", "2025-10-20"]
    res = update(q(project), as_of="2025-10-27")
    assert res.previous.as_of.isoformat() == "2025-10-13"
    assert [u.path.name for u in res.skipped] == ["2025-10-20.nc"]
    assert res.skipped[0].moved_to == folder(project) / "quarantine" / "2025-10-20.nc"
    # draws stored plain: the flip is caught by the checksum (compressed: by zlib)
    reason = res.skipped[0].reason
    assert "does not match its checksum" in reason or "not a readable forecast file" in reason
    assert not damaged.exists()
    dates = [str(d)[:10] for d in history(q(project)).as_of.values]
    assert dates == ["2025-10-13", "2025-10-27"]


def test_a_file_named_for_a_date_that_does_not_exist(project, capsys):
    """``2025-02-30.nc`` made history and update exit 1 with a traceback."""
    stray = folder(project) / "2025-02-30.nc"
    shutil.copy(folder(project) / "2025-10-13.nc", stray)
    assert main(["history", q(project), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["history"]) == 2
    assert data["unreadable"] == [
        {"path": str(stray), "reason": "named for 2025-02-30, which is not a date"}
    ]
    assert [e.path.name for e in Archive(project / "forecasts").entries(QID)] == [
        "2025-10-13.nc",
        "2025-10-20.nc",
    ]
    assert main(["update", q(project), "--as-of", "2025-10-27"]) == 0
    assert "2025-02-30.nc: named for 2025-02-30" in capsys.readouterr().out
    assert (folder(project) / "quarantine" / "2025-02-30.nc").exists() and not stray.exists()


def test_a_forecast_of_another_question_or_date_is_skipped_not_shown_as_n_a(project, capsys):
    """Another question's forecast dropped into the folder showed as rows of n/a."""
    other_q = question(indicators={"n": count({"a": (2, 1), "b": (1, 1)})})
    other = fc.forecast(other_q, evidence(other_q, []), as_of="2025-10-16")
    other.save(folder(project) / "2025-10-16.nc")
    shutil.copy(folder(project) / "2025-10-20.nc", folder(project) / "2025-10-17.nc")
    hist = history(q(project))
    assert [str(d)[:10] for d in hist.as_of.values] == ["2025-10-13", "2025-10-20"]
    assert not np.isnan(hist.probability.values).any()
    reasons = dict(
        zip(
            [Path(p).name for p in hist.attrs["unreadable"]],
            hist.attrs["unreadable_reason"],
            strict=True,
        )
    )
    assert reasons == {
        "2025-10-16.nc": "a forecast of another question ('test-q'), not of 'watch'",
        "2025-10-17.nc": "a forecast as of 2025-10-20, not 2025-10-17 as its name says",
    }
    assert main(["history", q(project)]) == 0
    out = capsys.readouterr().out
    assert "n/a" not in out and "2 archived forecasts" in out
    res = update(q(project), as_of="2025-10-27")
    assert sorted(u.moved_to.name for u in res.skipped) == ["2025-10-16.nc", "2025-10-17.nc"]
    assert res.previous.as_of.isoformat() == "2025-10-20"


def test_a_file_of_a_newer_version_is_skipped_but_left_in_place(project):
    tree = fc.Forecast.load(folder(project) / "2025-10-20.nc").tree.copy(deep=True)
    tree.attrs["format_version"] = 99
    newer = folder(project) / "2025-10-20.r2.nc"
    fc.Forecast(tree).save(newer)
    hist = history(q(project))
    assert hist.revision.values.tolist() == [1, 1]
    assert "written by a newer version" in hist.attrs["unreadable_reason"][0]
    res = update(q(project), as_of="2025-10-27")
    assert newer.exists() and res.skipped[0].moved_to is None
    assert "left in place" in res.skipped[0].describe()
    assert not (folder(project) / "quarantine").exists()


# --- a full disk --------------------------------------------------------------------------------


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _assert_nothing_changed(project, before, capsys, path):
    """Exit 2 named the path and the full disk; the archive and the reports are as they were."""
    err = capsys.readouterr().err
    assert "disk is full" in err and str(path) in err and "Traceback" not in err
    assert snapshot(folder(project)) == before
    assert not (project / "reports" / QID / "2025-10-27").exists()
    assert leftovers(project) == []


def test_a_full_disk_while_archiving(project, capsys, monkeypatch):
    """It was exit 1, "internal error", ``RuntimeError: NetCDF: HDF error``."""
    before = snapshot(folder(project))
    real = xr.DataTree.to_netcdf

    def half_then_full(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)
        with open(path, "r+b") as fh:
            fh.truncate(fh.seek(0, 2) // 2)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", half_then_full)
    assert main(["update", q(project), "--as-of", "2025-10-27"]) == 2
    _assert_nothing_changed(project, before, capsys, folder(project) / "2025-10-27.nc")

    def hdf_error(self, path, *args, **kwargs):  # what netCDF really raises
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", hdf_error)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9, 0))
    assert main(["update", q(project), "--as-of", "2025-10-27"]) == 2
    _assert_nothing_changed(project, before, capsys, folder(project) / "2025-10-27.nc")


@pytest.mark.parametrize("where", ["report", "figure"])
def test_a_full_disk_while_writing_the_report(project, capsys, monkeypatch, where):
    """It left a half-written report folder (and the forecast archived without its report)."""
    before = snapshot(folder(project))
    report = project / "reports" / QID / "2025-10-27"
    if where == "report":
        real = Path.write_text

        def full_at_html(self, *args, **kwargs):
            if "report.html" in self.name:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", full_at_html)
        named = report / "report.html"
    else:
        real = matplotlib.figure.Figure.savefig
        calls = []

        def full_at_third(self, path, *args, **kwargs):
            calls.append(path)
            if len(calls) == 3:
                Path(path).write_bytes(b"\x89PNG half")
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(self, path, *args, **kwargs)

        monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full_at_third)
        named = report
    assert main(["update", q(project), "--as-of", "2025-10-27"]) == 2
    _assert_nothing_changed(project, before, capsys, named)


def test_an_existing_report_is_replaced_only_by_a_complete_one(project, capsys, monkeypatch):
    assert main(["update", q(project), "--as-of", "2025-10-27"]) == 0
    capsys.readouterr()
    report = project / "reports" / QID / "2025-10-27"
    (report / "notes-from-last-time.txt").write_text("stale")
    archive_before, report_before = snapshot(folder(project)), snapshot(report)
    real = Path.write_text

    def full_at_summary(self, *args, **kwargs):
        if "summary.json" in self.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_at_summary)
    # another seed: a revision would be archived
    assert main(["update", q(project), "--as-of", "2025-10-27", "--seed", "7"]) == 2
    err = capsys.readouterr().err
    assert f"{report / 'summary.json'}: the disk is full" in err
    assert snapshot(report) == report_before and snapshot(folder(project)) == archive_before
    assert leftovers(project) == []
    monkeypatch.setattr(Path, "write_text", real)
    assert main(["update", q(project), "--as-of", "2025-10-27", "--seed", "7"]) == 0
    assert "revision 2" in capsys.readouterr().out
    assert not (report / "notes-from-last-time.txt").exists()  # the folder was replaced whole
    summary = json.loads((report / "summary.json").read_text())
    assert summary["archive"]["status"] == "revision"
    assert summary["report"]["html"] == str(report / "report.html")
    assert leftovers(project) == []


def test_a_staged_folder_is_all_or_nothing(tmp_path):
    from forecasting.core.atomic import staged_folder

    target = tmp_path / "2025-10-27"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(OSError), staged_folder(target) as staging:
        (staging / "new.txt").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    # a killed writer's debris is cleared by the next one
    (tmp_path / ".2025-10-27.1.tmp").mkdir()
    with staged_folder(target) as staging:
        (staging / "new.txt").write_text("whole")
        assert [p.name for p in target.iterdir()] == ["old.txt"]  # replaced only once complete
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-10-27"]
