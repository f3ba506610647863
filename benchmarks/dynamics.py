"""The bundled question with its dynamics: a forecast and a year of weekly backfill (issue 14).

    python benchmarks/dynamics.py                # 7 interleaved pairs each
    python benchmarks/dynamics.py --repeats 3

Whole process, on a copy of the project in a temporary folder (the real archive untouched):

* ``forecast run --engine exact`` of the bundled question (with ``dynamics:``, the forward
  algorithm with the parameters integrated numerically) against the bare import every command
  pays (target: within 1.5x), and the same question without its ``dynamics:`` block against
  the same baseline, interleaved (A B A B ...) so a drifting machine speed cancels out;
* ``forecast backfill`` of 52 weekly forecasts (a year up to the MEI report's date, each with
  its analytic confidence, written to the archive): target under 30 s.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTION = ROOT / "models" / "syria_coalition.yaml"
AS_OF = dt.date(2025, 10, 27)
#: What every command imports before it can do anything: the baseline of the ratio.
BARE = "import xarray, scipy.special, pydantic, yaml"


def run(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - t0


def project(root: Path) -> tuple[Path, Path]:
    """A copy of the bundled project: the question with its dynamics and one without."""
    shutil.copytree(ROOT / "evidence", root / "evidence")
    (root / "models").mkdir()
    (root / "static" / "models").mkdir(parents=True)
    shutil.copytree(ROOT / "evidence", root / "static" / "evidence")
    dynamic = root / "models" / QUESTION.name
    shutil.copy(QUESTION, dynamic)
    body = yaml.safe_load(QUESTION.read_text(encoding="utf-8"))
    if "dynamics" not in body:
        raise SystemExit(f"{QUESTION} has no dynamics: nothing to measure")
    del body["dynamics"]
    static = root / "static" / "models" / QUESTION.name
    static.write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dynamic, static


def paired(a: list[str], b: list[str], cwd: Path, repeats: int) -> tuple[list[float], list]:
    run(a, cwd), run(b, cwd)  # warm-up (file cache)
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(run(a, cwd))
        tb.append(run(b, cwd))
    return ta, tb


def report(what: str, ta: list[float], tb: list[float], target: float) -> None:
    ratios = [x / y for x, y in zip(ta, tb, strict=True)]
    print(f"  {what}: {statistics.median(ta):5.2f} s (min {min(ta):.2f}, max {max(ta):.2f})")
    print(f"    baseline python -c '{BARE}': {statistics.median(tb):5.2f} s")
    print(
        f"    ratio {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max "
        f"{max(ratios):.2f}); target <= {target:g}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    # the dependencies' bytecode written and used, as `make` does (a bare import of xarray
    # compiled from source every time took 3.1 s instead of 0.85 s)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(ROOT / "forecasting", quiet=1)  # bytecode as installed
    exe = str(Path(sys.executable).with_name("forecast"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {dt.datetime.now():%F %T}")
    with tempfile.TemporaryDirectory() as tmp:
        dynamic, static = project(Path(tmp))
        bare = [sys.executable, "-c", BARE]
        print(f"whole process, median of {args.repeats} interleaved pairs")
        for what, q in (("with its dynamics", dynamic), ("without (static)", static)):
            cmd = [exe, "run", str(q), "--engine", "exact", "--as-of", str(AS_OF)]
            ta, tb = paired(cmd, bare, q.parent.parent, args.repeats)
            report(f"forecast run, bundled question {what}", ta, tb, 1.5)
        start = AS_OF - dt.timedelta(weeks=51)
        times = []
        for k in range(max(1, args.repeats // 2)):
            archive = Path(tmp) / f"archive{k}"
            cmd = [exe, "backfill", str(dynamic), "--from", str(start), "--to", str(AS_OF)]
            times.append(run([*cmd, "--every", "7d", "--archive", str(archive)], Path(tmp)))
            written = sorted((archive / "syria-coalition").glob("*.nc"))
            assert len(written) == 52, len(written)
        print(
            f"  forecast backfill, 52 weekly forecasts {start} .. {AS_OF} (with dynamics): "
            f"{statistics.median(times):5.1f} s (min {min(times):.1f}, max {max(times):.1f}; "
            f"{len(times)} runs); target < 30 s"
        )


if __name__ == "__main__":
    main()
