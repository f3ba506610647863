"""Many questions: the weekly update of 200 small questions, serial against Dask (issue 19).

    python benchmarks/many_questions.py                   # issue 19: 200 questions, 2 workers
    python benchmarks/many_questions.py --questions 40 --workers 2

200 questions take about 14 minutes on a quiet 2-core machine (2026-12-02: serial 8.9, Dask 4.7;
1.87x).

The questions are written into a temporary project: three scenarios, a count and a yes/no
indicator with Gamma and Beta judgements drawn at random, and a ledger of 4-12 reports from
3 sources over the eight weeks before the as-of date; the archive holds each question's
forecast of the week before (written untimed), so each update compares with it, as the weekly
job does. Then:

* the update of every question in this process, one after another (``--serial``), and the
  same on an embedded ``LocalCluster`` of ``--workers`` processes (one thread each), on a
  fresh copy of the project: the wall times, their ratio, and a check that both wrote the same
  bytes;
* where the time goes on the client (reading the inputs and the archive, writing the archive
  and the report: the part that does not run in parallel), a question at a time, in both
  runs, and on the workers (in the serial run);
* the scheduling overhead per task: empty tasks through the same loop (in flight a few at a
  time, as the update submits them);
* a **projection** (not a measurement) of a 1,000-question weekly run on 10 and 100 workers
  from these figures: ``max(n * compute / workers, n * client) + n * overhead / workers``,
  ``client`` the Dask run's (the workers read the previous forecast's file there; on this
  machine the client shares the two cores with the workers, which slows it: the projection
  is also given with the client's CPU time alone, as on a core of its own).
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

AS_OF = dt.date(2025, 10, 27)
WEEK_BEFORE = AS_OF - dt.timedelta(days=7)
ROOT = Path(__file__).resolve().parent.parent


def write_project(root: Path, n: int, seed: int = 0) -> Path:
    """``n`` small random questions with their ledgers under ``root``; the models folder."""
    rng = np.random.default_rng(seed)
    models = root / "models"
    models.mkdir(parents=True)
    scen = ("holds", "frays", "collapses")
    for k in range(n):
        qid = f"q{k:04d}"
        prior = rng.dirichlet([4, 4, 4]).round(2)
        prior[-1] = round(1 - prior[:-1].sum(), 2)
        body = {
            "id": qid,
            "title": f"Synthetic question {k}",
            "resolves": "2026-03-31",
            "scenarios": {
                s: {"label": f"Scenario {s}", "prior": float(p)}
                for s, p in zip(scen, prior, strict=True)
            },
            "indicators": {
                "clashes": {
                    "kind": "count",
                    "description": "Clashes reported",
                    "per_days": 30,
                    "rate": {s: {"shape": float(rng.uniform(1, 20)), "rate": 2.0} for s in scen},
                },
                "talks": {
                    "kind": "binary",
                    "description": "Talks are scheduled",
                    "probability": {
                        s: {"alpha": float(rng.uniform(1, 8)), "beta": float(rng.uniform(1, 8))}
                        for s in scen
                    },
                },
            },
        }
        (models / f"{qid}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
        rows = []
        for j in range(int(rng.integers(4, 13))):
            day = AS_OF - dt.timedelta(days=int(rng.integers(0, 56)))
            source = ["UN monitors", "Reuters", "Local radio"][int(rng.integers(0, 3))]
            row = {"id": f"r{j}", "date": day, "source": source, "reliability": "B2"}
            if j % 2:
                row |= {"indicator": "talks", "value": bool(rng.integers(0, 2))}
            else:
                start = day - dt.timedelta(days=7)
                row |= {"indicator": "clashes", "value": int(rng.integers(0, 8))}
                row["window"] = [start, day]
            rows.append(row)
        ev = root / "evidence" / qid
        ev.mkdir(parents=True)
        (ev / "ledger.yaml").write_text(yaml.safe_dump(rows, sort_keys=False))
    return models


class Client:
    """The client's time in the update: reading (inputs, archive) and writing (archive, report)."""

    def __init__(self, many):
        self.reading = Timer(many, ["prepare", "_gather"])
        self.writing = Timer(many, ["finish"])

    def reset(self):
        self.reading.total = self.writing.total = 0.0
        self.reading.cpu = self.writing.cpu = 0.0

    def restore(self):
        self.reading.restore()
        self.writing.restore()

    def line(self, n: int) -> str:
        read, write = self.reading.total / n, self.writing.total / n
        cpu = (self.reading.cpu + self.writing.cpu) / n
        return (
            f"client {1000 * (read + write):.0f} ms a question (reading {1000 * read:.0f} ms, "
            f"writing {1000 * write:.0f} ms; of it on the CPU {1000 * cpu:.0f} ms)"
        )


class Timer:
    """Total seconds spent in some functions of a module (wrapped in place until restored).

    ``total``: wall time; ``cpu``: the calling thread's CPU time (without the waits for a core
    that other processes hold, nor the waits for the disk).
    """

    def __init__(self, module, names):
        self.total, self.cpu, self.module = 0.0, 0.0, module
        self.real = {name: getattr(module, name) for name in names}
        for name, real in self.real.items():

            def timed(*args, _real=real, **kwargs):
                t, c = time.perf_counter(), time.thread_time()
                try:
                    return _real(*args, **kwargs)
                finally:
                    self.total += time.perf_counter() - t
                    self.cpu += time.thread_time() - c

            setattr(module, name, timed)

    def restore(self):
        for name, real in self.real.items():
            setattr(self.module, name, real)


def _noop(k):
    return k


def overhead(client, n: int) -> float:
    """Seconds per empty task through the update's loop (a few in flight at a time)."""
    from forecasting.pipeline import many

    def jobs():
        for k in range(n):
            yield k, _noop, (k,)

    got = []
    t = time.perf_counter()
    many._run(client, jobs(), lambda tag, result, error: got.append(result))
    elapsed = time.perf_counter() - t
    assert sorted(got) == list(range(n))
    return elapsed / n


def same_files(a: Path, b: Path) -> bool:
    """Whether two folders hold the same files with the same bytes (lock files aside)."""
    left = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != ".lock")
    right = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != ".lock")
    if left != right:
        return False
    return all(filecmp.cmp(a / p, b / p, shallow=False) for p in left)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=1000, help="empty tasks for the overhead")
    args = parser.parse_args()
    n = args.questions

    from forecasting.pipeline import many

    load = "load average {:.1f} {:.1f} {:.1f}".format
    print(f"{n} questions, {args.workers} workers; at the start: {load(*os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        models = write_project(root, n)
        os.chdir(root)  # paths in files as written by the weekly job run in its project
        t = time.perf_counter()
        with many.dask_client(workers=args.workers) as client:
            started = time.perf_counter() - t
            # the week before, archived untimed (on the cluster)
            many.backfill_many([models], start=WEEK_BEFORE, end=WEEK_BEFORE, client=client)
            before = Path(tmp) / "before"
            shutil.copytree(root / "forecasts", before)

            client_side = Client(many)
            compute_side = Timer(many, ["compute"])
            t = time.perf_counter()
            rows = many.update_many([models], as_of=AS_OF, keep="summary")  # as the CLI
            serial = time.perf_counter() - t
            compute_side.restore()
            assert all(r.code in (0, 3) for r in rows), [r.to_dict() for r in rows if r.code]
            per_compute = compute_side.total / n
            print(
                f"serial:  {serial:7.1f} s  ({serial / n:.2f} s a question: "
                f"compute {per_compute:.2f} s, {client_side.line(n)})",
                flush=True,
            )
            out = Path(tmp) / "serial"
            out.mkdir()
            shutil.move(root / "forecasts", out / "forecasts")
            shutil.move(root / "reports", out / "reports")
            shutil.copytree(before, root / "forecasts")

            client_side.reset()
            t = time.perf_counter()
            rows = many.update_many([models], as_of=AS_OF, client=client, keep="summary")
            parallel = time.perf_counter() - t
            client_side.restore()
            # what the projection takes: the client's time a question with the workers' files
            per_client = (client_side.reading.total + client_side.writing.total) / n
            per_client_cpu = (client_side.reading.cpu + client_side.writing.cpu) / n
            per_task = overhead(client, args.tasks)
        assert all(r.code in (0, 3) for r in rows)
        print(
            f"dask:    {parallel:7.1f} s  on {args.workers} workers (cluster start "
            f"{started:.1f} s, not included; {client_side.line(n)})"
        )
        print(
            f"speed-up: {serial / parallel:.2f}x (counting the cluster's start: "
            f"{serial / (parallel + started):.2f}x)"
        )
        same = same_files(out / "forecasts", root / "forecasts") and same_files(
            out / "reports", root / "reports"
        )
        print(f"same bytes as serial (archive and reports): {same}")
        print(f"overhead: {1000 * per_task:.1f} ms per task ({args.tasks} empty tasks)")
        print(f"at the end: {load(*os.getloadavg())} (other jobs slow both runs)")
        print("PROJECTION (from the figures above, not measured) of 1,000 questions:")
        os.chdir(ROOT)
        big = 1000
        for workers in (10, 100):
            compute = big * per_compute / workers
            client = big * per_client
            total = max(compute, client) + big * per_task / workers
            bound = "the client (reading and writing)" if client > compute else "the workers"
            print(
                f"  {workers:>3} workers: about {total / 60:.1f} min (bound by {bound}; "
                f"compute {compute / 60:.1f} min, client {client / 60:.1f} min)"
            )
        # here the client shares the cores with the workers; with a core of its own it would
        # take about its CPU time (and the disk's waits, which are in neither figure)
        client = big * per_client_cpu
        total = max(big * per_compute / 100, client) + big * per_task / 100
        print(
            f"  100 workers, the client on a core of its own: about {total / 60:.1f} min "
            f"(client {client / 60:.1f} min: its CPU time, the disk's waits aside)"
        )


if __name__ == "__main__":
    main()
