"""Figures drawn by a worker forked before the heavy imports; the light package import."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import forecasting as fc  # noqa: E402
from forecasting import plots  # noqa: E402
from forecasting._plotworker import PlotWorker  # noqa: E402
from forecasting.cli import main  # noqa: E402
from forecasting.sensitivity import sensitivity  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "models" / "syria_coalition.yaml"
HEAVY = ("numpy", "xarray", "pandas", "scipy", "pydantic", "matplotlib", "pymc")

needs_fork = pytest.mark.skipif(
    not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
    reason="the worker forks, on Linux with several cores",
)


@pytest.fixture(scope="module")
def figures():
    f = fc.forecast(BUNDLED, as_of="2025-10-27")
    return plots.figure_data(f, sensitivity(f))


def _children() -> set[int]:
    """This process's child processes, zombies included (Linux /proc)."""
    me, out = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[1]) == me:
            out.add(int(stat.parent.name))
    return out


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """Every test here leaves no child process behind, running or unreaped."""
    before = _children()
    yield
    assert _children() <= before


def _start() -> PlotWorker:
    if threading.active_count() > 1:
        pytest.skip("this test process runs threads: the worker is not forked")
    worker = PlotWorker.start()
    assert worker is not None
    return worker


def test_package_and_cli_load_nothing_heavy_until_needed():
    code = (
        "import sys, forecasting, forecasting.cli as cli\n"
        "cli.build_parser().parse_args(['sensitivity', 'q.yaml', '--plots', 'p'])\n"
        "v = forecasting.__version__\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "forecasting.load_question\n"
        "print('pydantic' in sys.modules, 'matplotlib' in sys.modules, 'pymc' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.splitlines() == ["[]", "True False False"]


def test_lazy_names_resolve_and_update_stays_the_function():
    code = (
        "import forecasting as fc, types\n"
        "from forecasting.update import history\n"  # binds the submodule to the name
        "assert callable(fc.update) and not isinstance(fc.update, types.ModuleType)\n"
        "assert fc.history is history\n"
        "for name in fc.__all__: getattr(fc, name)\n"
        "assert set(fc.__all__) <= set(dir(fc))\n"
        "print(fc.__version__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == fc.__version__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fc.nope  # noqa: B018


def test_module_runs_as_a_script():
    out = subprocess.run(
        [sys.executable, "-m", "forecasting.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"forecast {fc.__version__}"


@needs_fork
def test_worker_draws_the_same_files_as_this_process(figures, tmp_path):
    here = plots.render_figures(figures, tmp_path / "here", workers=1)
    worker = _start()
    there = worker.render(figures, tmp_path / "there")
    assert there is not None and set(there) == set(here)
    for name, path in here.items():
        assert there[name].read_bytes() == path.read_bytes(), name


@needs_fork
def test_a_failing_worker_returns_none_and_leaves_no_stale_file(figures, tmp_path):
    (tmp_path / "posterior.png").write_bytes(b"stale")
    broken = [("posterior", "plot_nothing", (), {})]  # no such plot: the worker fails
    worker = _start()
    assert worker.render(broken, tmp_path) is None
    assert not (tmp_path / "posterior.png").exists()


@needs_fork
def test_close_stops_an_idle_worker_at_once():
    worker = _start()
    with worker:
        pass
    assert worker.render([], "unused") is None  # closed: the caller draws


def test_cli_draws_in_process_when_the_worker_fails(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(PlotWorker, "render", lambda self, figures, directory: None)
    args = ["sensitivity", str(BUNDLED), "--as-of", "2025-10-27", "--plots", str(tmp_path)]
    assert main(args) == 0
    assert len(list(tmp_path.glob("*.png"))) == 7
    assert "Plots written to" in capsys.readouterr().out


def test_cli_bad_input_with_plots_exits_2_and_leaves_no_process(tmp_path, capsys):
    bad = tmp_path / "q.yaml"
    bad.write_text("id: x\ntitle: [unclosed\n")
    assert main(["sensitivity", str(bad), "--plots", str(tmp_path / "p")]) == 2
    assert "q.yaml:2" in capsys.readouterr().err
    assert not list(tmp_path.glob("p/*.png"))


def test_forecast_command_forks_before_the_heavy_imports(tmp_path):
    """The installed command path end to end: same PNGs as drawn in this process."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "forecasting.cli",
            "sensitivity",
            str(BUNDLED),
            "--as-of",
            "2025-10-27",
            "--plots",
            str(tmp_path / "cli"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    f = fc.forecast(BUNDLED, as_of="2025-10-27")
    here = plots.save_all(f, sensitivity(f), tmp_path / "here", workers=1)
    for name, path in here.items():
        assert (tmp_path / "cli" / f"{name}.png").read_bytes() == path.read_bytes(), name


def test_posterior_plot_takes_the_forecast_group(figures):
    f = fc.forecast(BUNDLED, as_of="2025-10-27")
    ds = f.tree["forecast"].to_dataset().drop_vars("label")  # no title, date or labels
    _, ax = plots.plot_posterior(ds)
    assert [t.get_text() for t in ax.get_yticklabels()] == f.scenarios
    texts = [t.get_text() for t in ax.figure.texts]
    assert "Scenario probabilities" in texts and not any("as of" in t for t in texts)
    (name, function, (data,), _), *_ = figures
    assert (name, function, data.attrs["as_of"]) == ("posterior", "plot_posterior", "2025-10-27")
    _, ax = plots.plot_posterior(data)
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert labels == [f.labels[s] for s in f.scenarios]
    matplotlib.pyplot.close("all")


def _project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    q = root / "models" / "syria_coalition.yaml"
    q.write_text(BUNDLED.read_text())
    ev = root / "evidence" / "syria-coalition"
    ev.mkdir(parents=True)
    for f in (ROOT / "evidence" / "syria-coalition").glob("*.yaml"):
        (ev / f.name).write_text(f.read_text())
    return q


def _figures(q: Path) -> dict[str, bytes]:
    folder = q.parent.parent / "reports" / "syria-coalition" / "2025-10-27" / "figures"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


def test_update_draws_the_same_report_with_or_without_the_worker(tmp_path, monkeypatch):
    # the library draws in this process; the command hands the figures to the worker
    lib, cli = _project(tmp_path / "lib"), _project(tmp_path / "cli")
    for q in (lib, cli):
        fc.update(q, as_of="2025-10-20")
    fc.update(lib, as_of="2025-10-27")
    assert main(["update", str(cli), "--as-of", "2025-10-27"]) == 0
    here, there = _figures(lib), _figures(cli)
    assert "trajectory.png" in here and len(here) == 8
    assert there == here
    lib_page, cli_page = (
        (q.parent.parent / "reports/syria-coalition/2025-10-27/report.html").read_text()
        for q in (lib, cli)
    )
    lib_page, cli_page = lib_page.replace("/lib/", "/"), cli_page.replace("/cli/", "/")
    assert lib_page == cli_page
    # a worker that fails: this process draws the same files
    monkeypatch.setattr(PlotWorker, "finish", lambda self: self.close())
    for png in (cli.parent.parent / "reports").rglob("*.png"):
        png.unlink()
    assert main(["update", str(cli), "--as-of", "2025-10-27"]) == 0
    assert _figures(cli) == here


def test_paths_that_cannot_be_written_exit_2_without_a_traceback(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = ["sensitivity", str(BUNDLED), "--as-of", "2025-10-27"]
    assert main([*args, "--plots", str(blocker / "plots")]) == 2
    err = capsys.readouterr().err
    assert f"{blocker / 'plots'}: --plots: cannot create the directory" in err
    assert "Traceback" not in err
    q = _project(tmp_path / "p")
    update = ["update", str(q), "--as-of", "2025-10-27", "--reports", str(blocker / "r")]
    assert main(update) == 2
    err = capsys.readouterr().err
    assert f"forecast: error: cannot create or write {blocker / 'r'}" in err
    assert "Traceback" not in err


def _hang_outside(pid: int, draw):
    """A plot function that hangs in any process but ``pid`` (inherited by a fork)."""

    def plot(*args, **kwargs):
        if os.getpid() != pid:
            import time

            time.sleep(600)
        return draw(*args, **kwargs)

    return plot


@needs_fork
def test_a_hung_worker_is_stopped_with_its_helper(figures, tmp_path, monkeypatch):
    import forecasting._plotworker as pw

    monkeypatch.setattr(pw, "TIMEOUT", 3.0)
    monkeypatch.setattr(plots, "plot_posterior", _hang_outside(os.getpid(), plots.plot_posterior))
    worker = _start()
    group = worker._pid
    assert worker.render(figures[:3], tmp_path) is None
    assert _running_in_group(group) == []  # the worker and the helper it forked are gone


def _running_in_group(group: int, wait: float = 5.0) -> list[int]:
    """Processes of a process group that are not zombies (Linux /proc), after up to ``wait``
    seconds for a killed one to die."""
    import time

    deadline = time.monotonic() + wait
    while True:
        running = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # exited meanwhile
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                running.append(int(stat.parent.name))
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.05)


@needs_fork
def test_a_hung_helper_is_stopped_and_its_figures_drawn_here(figures, tmp_path, monkeypatch):
    here = plots.render_figures(figures, tmp_path / "here", workers=1)
    monkeypatch.setattr(plots, "_HELPER_TIMEOUT", 2.0)
    for name in ("plot_posterior", "plot_tornado_grid", "plot_evidence_influence"):
        monkeypatch.setattr(plots, name, _hang_outside(os.getpid(), getattr(plots, name)))
    if threading.active_count() > 1:
        pytest.skip("this test process runs threads: render_figures does not fork")
    there = plots.render_figures(figures, tmp_path / "there", workers=2)
    assert {n: p.read_bytes() for n, p in there.items()} == {
        n: p.read_bytes() for n, p in here.items()
    }
