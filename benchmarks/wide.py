"""Wide questions against the bundled one: 1,000 categories, 300 scenarios (issue 15).

    python benchmarks/wide.py               # run, sensitivity and update, 3 interleaved repeats
    python benchmarks/wide.py --repeats 1 --only run

Two questions, each written with its ledger into a temporary project:

* ``wide-categories``: the bundled Syria question plus one categorical indicator of 1,000
  categories (the district where an operation took place) with 36 reports naming 6 districts;
  under the truth mixture (the default) and, as ``categories-tempered``, the tempered model;
* ``wide-scenarios``: 300 scenarios, 8 indicators of the four kinds, 40 reports from 12
  origins over eight weeks.

Every command is timed whole process (``forecast run``, ``forecast sensitivity``, ``forecast
update``) beside the bundled question's same command, pair by pair, and printed as a ratio
(the target is a few times the bundled question: <= 4x). An update is timed on a fresh copy of
its project whose archive holds the forecast of the week before (written untimed), so each
update compares with a previous forecast and tests the week's new items, as the weekly job does.
The bundled question here is its static copy, ``tests/inputs/data/bundled_static/`` (without its
``dynamics:``), as it was when these figures were measured.

Under the truth mixture (the default) ``wide-categories`` was refused until 2026-12-02 (the
exact integral had an array axis per category, at most 60). Its polynomial now has an axis per
category the reports name (6 here), the others entering through their total concentration
(Dirichlet aggregation); their judgements are one ("the 994 others"); a moved default noise
reweighs the polynomial's terms instead of rebuilding it; an item's value swapped to a category
no other item names is the two parts of one polynomial. Measured 2026-12-02 evening (quiet
2-core VM, whole process, medians of 2 interleaved repeats, ratio to the bundled question's
same command):

| command       | bundled | categories (mixture) | categories-tempered |
|---------------|---------|----------------------|---------------------|
| ``run``       | 1.31 s  | 14.75 s, 11.3x       | 7.25 s, 5.6x        |
| ``sensitivity`` | 3.86 s | 54.72 s, 14.2x      | 7.45 s, 1.9x        |
| ``update``    | 6.19 s  | 96.10 s, 15.5x       | 23.05 s, 3.7x       |

Under the mixture the 6 named districts' 36 unreliable reports from 9 origins make a dense
polynomial of 7^6 = 117,649 terms, and every integral sums them: in ``run`` the range of
reasonable opinion (4,000 redrawn priors, 4.4 s in process), the responsiveness's futures
(noise reports drawn from a 1,000-category Dirichlet, 2.7 s) and the draws (1.8 s); in
``sensitivity`` the tipping points (23 s) and the item tipping points (16 s). Before these
changes the tipping points alone would have taken hours (4,000 judgements, each a new
polynomial per setting).

Measured for issue 15 (2026-12-01, a 2-core VM shared with four others, load average 4-12, so
CPU seconds of one process, one BLAS thread, in process; the same code before and after):

| step (CPU s, one thread)                                 | before | after | change          |
|----------------------------------------------------------|--------|-------|-----------------|
| categories-tempered: ``sensitivity`` (its analyses)      |   88.3 |  14.2 | categorical     |
| scenarios: ``report_tail`` of all 40 items               |   54.2 |  43.3 | ``two_part``    |
| scenarios: ``update`` (the whole command, in process)    |  134.3 | 128.1 | all             |
| ``item_loo_log_lik``: 300 reports, 40 origins, 4000 x 3  |   44.7 |   0.9 | ``fast_loo``    |

(``sensitivity``: the categorical marginal summed over the 6 reported categories only;
``report_tail``: a swapped value's marginals as two integrals, one matrix product; the
leave-one-out: an origin's block without the item, not a refit, which every forecast computes.)

Results: the tipping points identical; every report tail within 2.3e-15 (relative); every
``with_values`` row within 3e-14 (log); the leave-one-out log-likelihoods within 4.4e-13 (the
refit's own rounding: a difference of two sums near -1,000). Wall times on this machine were 3 to
4 times the CPU times; not comparable between runs.

Where the scenarios ``update``'s CPU still goes (a profile, roughly): the forecast step 58 s, of
which ``sensitivity`` 52 s (tipping points over 4,553 judgements 27 s, mostly
``Mixture._many_priors``; item tipping points 12 s; concentration intervals 8 s); the surprise
check 25 s (20 report tails, half of them for the joint tail); the rest in the
report's figures and files.

Measured 2026-12-03 (quiet 2-core VM, whole process, medians of 2 interleaved repeats; the
bundled question 0.84 s / 2.49 s / 4.54 s):

| command       | categories (mixture) | categories-tempered | scenarios (300)          |
|---------------|----------------------|---------------------|--------------------------|
| ``run``       | 14.82 s, 17.6x       | 7.40 s, 8.8x        | 7.67 s, 9.1x             |
| ``sensitivity`` | 37.27 s, 15.0x     | 6.02 s, 2.4x        | 11.12 s, 4.5x (55.1 s)   |
| ``update``    | 76.73 s, 16.9x       | 19.01 s, 4.2x       | 22.87 s, 5.0x (88.2 s)   |

(in brackets: the same morning, before these changes). For the 300 scenarios: a moved
default noise reweighs the terms of ``L`` over which reports are genuine
(``forecasting/model/noise_terms.py``); the tipping points' searches of every judgement run
side by side, each round one call (``sweep_many``); an ordered item's other values nearest
first until one flips; the concentration's three settings share their draws; a measured
value's tail on a grid of sd/64, cell by cell; figures give at most 20 rows or columns to
scenarios; posterior draws are stored uncompressed. The ``run`` is mostly the analytic
confidence's futures (4.4 s: 2,048 atoms per scenario for each categorical indicator, a grid
per scenario for each continuous one) and the engine's draws (2.3 s).

Measured 2026-12-03 afternoon (``--wide categories --wide categories-tempered --repeats 1``;
bundled 0.79 s / 2.29 s / 4.29 s), after a categorical polynomial of 512 terms or more was
integrated one category at a time (``forecasting/kinds/categorical.py``, ``_contracted``):
the 1,000-category question under the mixture 10.12 s / 23.55 s / 51.25 s (12.8x / 10.3x /
11.9x; it was 14.82 / 37.27 / 76.73 s), tempered 6.98 s / 4.89 s / 17.39 s (8.8x / 2.1x /
4.1x). Its ``run`` is now the responsiveness's futures (6.7 s, of which 3.1 s draw false
reports through a 1,000-category Dirichlet each) and the engine's draws (1.9 s).

Since 2026-12-02 a likelihood's or a prior's judgement moves the default noise with it, as a
refit of the edited question does (issue 12). Each setting is then a likelihood of its own, so
such tipping points search a coarse grid with bisection. In process, 300 of the scenarios
question's 4,200 likelihood judgements took 4.4 s, about 60 s for all of them if the rest cost
the same (not run whole). The same 4,200 took 26.6 s with the noise held.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# the bundled question without its dynamics
STATIC = ROOT / "tests" / "inputs" / "data" / "bundled_static"
QUESTION = STATIC / "models" / "syria_coalition.yaml"
AS_OF = dt.date(2025, 10, 27)
WEEK_BEFORE = AS_OF - dt.timedelta(days=7)
SCENARIOS = ("accession", "informal", "collapse", "unilateral")


def _write(root: Path, name: str, body: dict, rows: list[dict]) -> Path:
    """Write ``models/<name>.yaml`` and ``evidence/<id>/ledger.yaml`` under ``root``."""
    import yaml

    (root / "models").mkdir(parents=True, exist_ok=True)
    path = root / "models" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    ev = root / "evidence" / body["id"]
    ev.mkdir(parents=True, exist_ok=True)
    (ev / "ledger.yaml").write_text(yaml.safe_dump(rows, sort_keys=False))
    return path


def _dates(n: int, rng: np.random.Generator) -> list[dt.date]:
    """``n`` report dates over the eight weeks to :data:`AS_OF`, a quarter in the last week."""
    recent = n // 4
    older = [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(8, 56, n - recent)]
    new = [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(0, 6, recent)]
    return sorted(older) + sorted(new)


def write_bundled_project(root: Path) -> Path:
    """The bundled question and its ledger, copied under ``root``."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(QUESTION, root / "models" / QUESTION.name)
    shutil.copytree(ROOT / "evidence" / "syria-coalition", root / "evidence" / "syria-coalition")
    return root / "models" / QUESTION.name


def write_categories_project(
    root: Path,
    n_categories: int = 1000,
    n_reports: int = 36,
    seed: int = 0,
    reliability_model: str = "mixture",
) -> Path:
    """The bundled question plus a categorical indicator of ``n_categories`` categories.

    Each scenario's Dirichlet alphas favour a different band of categories; the reports name
    6 districts and come from 9 origins (letters A-C, digits 2-3), a quarter of them in the
    last week. ``reliability_model``: the question's (the bundled question's is the mixture).
    """
    import yaml

    rng = np.random.default_rng(seed)
    body = yaml.safe_load(QUESTION.read_text())
    body["id"] = "wide-categories"
    body["reliability_model"] = reliability_model
    cats = [f"district_{c:04d}" for c in range(n_categories)]
    alphas = {}
    for k, s in enumerate(SCENARIOS):
        centre = (k + 0.5) * n_categories / len(SCENARIOS)
        bump = np.exp(-0.5 * ((np.arange(n_categories) - centre) / (0.1 * n_categories)) ** 2)
        a = 0.02 + 0.2 * bump * rng.uniform(0.5, 1.5, n_categories)
        alphas[s] = {"alpha": {c: round(float(v), 4) for c, v in zip(cats, a, strict=True)}}
    body["indicators"]["operation_district"] = {
        "kind": "categorical",
        "arrivals_per_30_days": 4,
        "description": "The district where a reported joint counter-ISIS operation took place.",
        "categories": cats,
        "probabilities": alphas,
    }
    # operations cluster: the reports name 6 districts (the exact integral of unreliable
    # categorical reports is a polynomial of prod(reports per category + 1) terms)
    districts = [cats[int(c)] for c in rng.choice(n_categories // 2, 6, replace=False)]
    rows = []
    for n, day in enumerate(_dates(n_reports, rng)):
        origin = n % 9
        rows.append(
            {
                "id": f"district-{n:03d}",
                "indicator": "operation_district",
                "value": districts[n % len(districts)],
                "date": day,
                "source": f"outlet {origin}",
                "origin": f"outlet {origin}",
                "reliability": "ABC"[origin % 3] + "23"[n % 2],
            }
        )
    path = _write(root, "wide_categories", body, rows)
    for ledger in (ROOT / "evidence" / "syria-coalition").glob("*.yaml"):
        shutil.copy(ledger, root / "evidence" / body["id"] / ledger.name)
    return path


def write_scenarios_project(
    root: Path, n_scenarios: int = 300, n_reports: int = 40, seed: int = 0
) -> Path:
    """A question of ``n_scenarios`` scenarios, 8 indicators (two of each kind), a ledger.

    The reports come from 12 origins (letters A-C, digits 2-3, two graded by number), a
    quarter of them in the last week; counts have 30-day windows.
    """
    rng = np.random.default_rng(seed)
    scen = [f"s{k:03d}" for k in range(n_scenarios)]
    cats = ["rising", "steady", "falling", "unclear"]
    indicators: dict = {}
    for j in range(8):
        kind = ("count", "binary", "categorical", "continuous")[j % 4]
        if kind == "count":
            spec = {
                "per_days": 30,
                "rate": {
                    s: {"mean": round(float(rng.uniform(0.5, 5)), 3), "sd": 1.0} for s in scen
                },
            }
        elif kind == "binary":
            spec = {
                "probability": {
                    s: {"alpha": round(float(rng.uniform(1, 8)), 3), "beta": 3.0} for s in scen
                }
            }
        elif kind == "categorical":
            spec = {
                "categories": cats,
                "probabilities": {
                    s: {"alpha": {c: round(float(rng.uniform(0.5, 4)), 3) for c in cats}}
                    for s in scen
                },
            }
        else:
            spec = {
                "sd": 2.0,
                "mean": {s: {"mean": round(float(rng.uniform(-5, 5)), 3), "sd": 1.5} for s in scen},
            }
        indicators[f"{kind}_{j}"] = {"kind": kind, "description": f"indicator {j}", **spec}
    body = {
        "id": "wide-scenarios",
        "title": "Three hundred scenarios",
        "question": "Which of 300 scenarios?",
        "resolves": "2026-06-30",
        "scenarios": {s: {"label": f"scenario {s}"} for s in scen},
        "indicators": indicators,
    }
    names = list(indicators)
    rows = []
    for n, day in enumerate(_dates(n_reports, rng)):
        name = names[n % len(names)]
        kind = indicators[name]["kind"]
        origin = n % 12
        row = {
            "id": f"item-{n:03d}",
            "indicator": name,
            "value": {
                "count": lambda: int(rng.poisson(2)),
                "binary": lambda: bool(rng.random() < 0.5),
                "categorical": lambda: str(rng.choice(cats)),
                "continuous": lambda: round(float(rng.normal(0, 3)), 3),
            }[kind](),
            "date": day,
            "source": f"outlet {origin}",
            "origin": f"outlet {origin}",
            "reliability": [0.7, 0.9][n % 2] if origin >= 10 else "ABC"[origin % 3] + "23"[n % 2],
        }
        if kind == "count":
            row["window"] = [day - dt.timedelta(days=30), day]
        rows.append(row)
    return _write(root, "wide_scenarios", body, rows)


PROJECTS = {
    "bundled": write_bundled_project,
    "categories": write_categories_project,
    "categories-tempered": lambda root: write_categories_project(
        root, reliability_model="tempered"
    ),
    "scenarios": write_scenarios_project,
}
WIDE = [name for name in PROJECTS if name != "bundled"]


def _exe() -> str:
    return str(Path(sys.executable).with_name("forecast"))


def commands(question: Path, command: str, work: Path) -> list[str]:
    """The command line of ``command`` on ``question`` as of :data:`AS_OF`."""
    cmd = [_exe(), command, str(question), "--as-of", AS_OF.isoformat()]
    if command == "update":
        cmd += ["--archive", str(work / "forecasts"), "--reports", str(work / "reports")]
    return cmd


def seed_archive(question: Path) -> None:
    """Archive the forecast of the week before (untimed): the update's previous forecast."""
    root = question.parent.parent
    cmd = [_exe(), "update", str(question), "--as-of", WEEK_BEFORE.isoformat()]
    cmd += ["--archive", str(root / "forecasts"), "--reports", str(root / "reports")]
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(cmd: list[str]) -> float:
    """Whole-process wall time of ``cmd``; NaN if it fails (its last line of error printed)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 3):  # 3: produced but flagged
        last = (proc.stderr.decode().strip().splitlines() or ["?"])[-1]
        print(f"  ({cmd[1]} {Path(cmd[2]).name} exited {proc.returncode}: {last[:200]})")
        return float("nan")
    return elapsed


def time_command(question: Path, command: str) -> float:
    """Whole-process time of ``command``; an update runs on a fresh copy of the project."""
    if command != "update":
        return timed(commands(question, command, question.parent.parent))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "project"
        shutil.copytree(question.parent.parent, work)
        return timed(commands(work / "models" / question.name, command, work))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["run", "sensitivity", "update"], action="append")
    parser.add_argument("--wide", choices=WIDE, action="append")
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    which = args.only or ["run", "sensitivity", "update"]
    wide = args.wide or WIDE
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {dt.datetime.now():%F %T}")
    with tempfile.TemporaryDirectory() as tmp:
        questions = {}
        for name in ["bundled", *wide]:
            questions[name] = PROJECTS[name](Path(tmp) / name)
            if "update" in which:
                seed_archive(questions[name])
        for command in which:
            times: dict[str, list[float]] = {name: [] for name in questions}
            for _ in range(args.repeats):  # pair by pair: a drifting machine speed cancels
                for name, q in questions.items():
                    times[name].append(time_command(q, command))
            base = times["bundled"]
            print(f"forecast {command}: bundled {statistics.median(base):6.2f} s")
            for name in wide:
                ratios = [a / b for a, b in zip(times[name], base, strict=True)]
                print(
                    f"  {name:19s} {statistics.median(times[name]):6.2f} s "
                    f"(min {min(times[name]):.2f}, max {max(times[name]):.2f}); ratio "
                    f"{statistics.median(ratios):5.1f}x (target <= 4x)"
                )


if __name__ == "__main__":
    main()
