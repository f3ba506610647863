"""Benchmarks of the forecasting engine, each printed against a baseline in the same run.

    python benchmarks/run.py            # everything (a few minutes; MCMC compiles once)
    python benchmarks/run.py --no-mcmc --no-scale   # the quick figures only

Figures are medians over repeats; ratios are taken pair by pair (A, B, A, B, ...) so that a
drifting machine speed cancels out. Timed code never runs inside the unit tests.

The "bundled question" here is its static copy, ``tests/inputs/data/bundled_static/`` (the bundled
question without its ``dynamics:``): these figures are the static engine's, as they were before
the bundled question had dynamics (``forecast run models/syria_coalition.yaml`` as shipped runs
the dynamic model).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# the bundled question without its dynamics
STATIC = ROOT / "tests" / "inputs" / "data" / "bundled_static"
QUESTION = STATIC / "models" / "syria_coalition.yaml"
AS_OF = "2025-10-27"


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def synthetic_inputs(n_items: int, n_scenarios: int, n_indicators: int, seed: int = 0):
    """A question (as a mapping) and ledger rows of the given size.

    Indicators cycle through the four kinds; count items have 30-day windows, reliabilities
    mix Admiralty codes (each of the 37 sources graded with one letter, as the truth mixture
    asks, the digit varying) and numbers; every value is its own object (so YAML has no
    aliases).
    """
    rng = np.random.default_rng(seed)
    scen = [f"s{k}" for k in range(n_scenarios)]
    cats = ["a", "b", "c", "d"]
    indicators: dict = {}
    for j in range(n_indicators):
        kind = ("count", "binary", "categorical", "continuous")[j % 4]
        if kind == "count":
            likelihood = {
                "rate": {
                    s: {"mean": float(rng.uniform(0.5, 5)), "sd": float(rng.uniform(0.3, 2))}
                    for s in scen
                },
                "per_days": 30,
            }
        elif kind == "binary":
            likelihood = {
                "probability": {
                    s: {"alpha": float(rng.uniform(1, 8)), "beta": float(rng.uniform(1, 8))}
                    for s in scen
                }
            }
        elif kind == "continuous":
            likelihood = {
                "sd": float(rng.uniform(1, 3)),
                "mean": {
                    s: {"mean": float(rng.uniform(-5, 5)), "sd": float(rng.uniform(0.5, 3))}
                    for s in scen
                },
            }
        else:
            likelihood = {
                "categories": cats,
                "probabilities": {
                    s: {"alpha": {c: float(rng.uniform(0.5, 4)) for c in cats}} for s in scen
                },
            }
        indicators[f"ind{j}"] = {"kind": kind, "description": "d", **likelihood}
    question = {
        "id": "bench",
        "title": "Benchmark",
        "indicators": indicators,
        "scenarios": {s: {"label": s} for s in scen},
    }
    names = list(indicators)
    digits = "12323"
    rows = []
    for i in range(n_items):
        name = names[i % n_indicators]
        kind = indicators[name]["kind"]
        value = {
            "count": lambda: int(rng.poisson(2)),
            "binary": lambda: bool(rng.random() < 0.5),
            "categorical": lambda: str(rng.choice(cats)),
            "continuous": lambda: round(float(rng.normal(0, 3)), 3),
        }[kind]()
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i % 600)
        row = {
            "id": f"e{i:06d}",
            "indicator": name,
            "value": value,
            "date": dt.date.fromordinal(day.toordinal()),
            "source": f"source {i % 37}",
            "reliability": (
                [0.7, 1.0][i % 2] if i % 37 >= 35 else "ABC"[i % 37 % 3] + digits[i % 5]
            ),
        }
        if kind == "count":
            row["window"] = [day - dt.timedelta(days=30), day]
        rows.append(row)
    return question, rows


def synthetic(n_items=1000, n_scenarios=16, n_indicators=10, seed=0):
    """The synthetic question and its evidence, validated."""
    import forecasting as fc

    body, rows = synthetic_inputs(n_items, n_scenarios, n_indicators, seed)
    q = fc.Question.model_validate(body)
    return q, fc.Evidence.from_items(rows, q)


def _engine_and_confidence(q, ev) -> tuple:
    """Closures: the exact engine alone, and the analytic confidence alone (fresh models)."""
    from forecasting.confidence import assess
    from forecasting.engines import exact
    from forecasting.inputs.resolve import resolve_inputs
    from forecasting.model.data import ModelData

    question, used, as_of = resolve_inputs(q, ev, AS_OF)
    as_of = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))

    def engine():
        exact.run(ModelData.build(question, used), seed=1)

    def confidence():
        data = ModelData.build(question, used)
        exact.exact_posterior(data)  # the models' integrals, as the forecast leaves them
        t0 = time.perf_counter()
        assess(data, used, as_of, question.horizon, seed=1)
        return time.perf_counter() - t0

    return engine, confidence


def bench_exact(repeats: int) -> None:
    import forecasting as fc

    q = fc.load_question(QUESTION)
    ev = fc.load_evidence(None, q)
    engine, confidence = _engine_and_confidence(q, ev)
    t_bundled = median_time(engine, repeats)
    t_conf = statistics.median(confidence() for _ in range(repeats))
    qs, evs = synthetic()
    engine_big, confidence_big = _engine_and_confidence(qs, evs)
    t_big = median_time(engine_big, repeats)
    t_conf_big = statistics.median(confidence_big() for _ in range(repeats))
    print(
        f"analytic confidence, in process (median of {repeats}): bundled "
        f"{1000 * t_conf:.0f} ms; 1,000 items x 16 scenarios {1000 * t_conf_big:.0f} ms"
    )
    print(f"exact engine, in process (median of {repeats}; 4000 joint-posterior draws)")
    print(
        f"  bundled question (4 scenarios, 9 indicators, {len(ev)} items): "
        f"{1000 * t_bundled:8.1f} ms"
    )
    print(
        f"  1,000 items x 16 scenarios x 10 indicators:           "
        f"{1000 * t_big:8.1f} ms   ({t_big / t_bundled:.1f}x the bundled question)"
    )


def bench_narrow_tail(repeats: int) -> None:
    """A precise measurement's tail: spikes integrated in blocks against the whole fine grid.

    One reliable-enough report (genuine 0.6) of a level measured with an sd a hundredth of the
    levels' prior sd; the surprise check asks the tail of one more such report, 20,002 tail
    values each integrated over the level. The baseline is the same code with every value in
    one block (the whole shared fine grid, as before the blocks): both in one run, interleaved.
    """
    import forecasting as fc
    from forecasting.model import spikes
    from forecasting.model.data import ModelData

    body = {
        "id": "narrow",
        "title": "A precise measurement",
        "reliability_model": "mixture",
        "scenarios": {"a": {"label": "a"}, "b": {"label": "b"}},
        "indicators": {
            "x": {
                "kind": "continuous",
                "description": "a level measured precisely",
                "sd": 0.01,
                "mean": {"a": {"mean": 0.0, "sd": 1.0}, "b": {"mean": 0.5, "sd": 1.0}},
            }
        },
    }
    q = fc.Question.model_validate(body)
    row = {"id": "r1", "indicator": "x", "value": 0.3, "date": "2025-01-01", "source": "s"}
    ev = fc.Evidence.from_items([row | {"reliability": 0.6}], q)
    (ind,) = ModelData.build(q, ev).indicators

    def tail():
        t0 = time.process_time()
        out = ind.model.tail(-0.4, None, np.array([0.3, 0.7]), 1.0)
        return time.process_time() - t0, out

    band = spikes._BAND
    blocks, whole = [], []
    for _ in range(repeats):
        t, first = tail()
        blocks.append(t)
        spikes._BAND = 10**9  # one block: its panels hold the whole fine grid
        try:
            t, second = tail()
        finally:
            spikes._BAND = band
        whole.append(t)
    same = np.allclose(first[0], second[0], rtol=1e-9, atol=0) and np.isclose(first[1], second[1])
    ratios = [b / w for b, w in zip(blocks, whole, strict=True)]
    print(f"a precise measurement's tail (sd 1/100 of the level's; CPU, {repeats} pairs)")
    print(f"  in blocks of {band} values: {statistics.median(blocks):6.2f} s")
    print(f"  baseline, the whole fine grid for every value: {statistics.median(whole):6.2f} s")
    print(
        f"  ratio {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max "
        f"{max(ratios):.2f}); the same tails to 1e-9: {same}"
    )


def run_process(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t0


#: What every command imports before it can do anything: the baselines of the ratios.
BARE = "import xarray, scipy.special, pydantic, yaml"
BARE_PLOTS = "import xarray, scipy.special, pydantic, yaml, matplotlib.pyplot"


def paired(a: list[str], b: list[str], repeats: int) -> tuple[list[float], list[float]]:
    """Whole-process times of ``a`` and ``b``, interleaved A B A B after one warm-up each."""
    run_process(a), run_process(b)  # warm-up (file cache)
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(run_process(a))
        tb.append(run_process(b))
    return ta, tb


def report_pair(what: str, ta: list[float], tb: list[float], baseline: str, target: float) -> None:
    ratios = [x / y for x, y in zip(ta, tb, strict=True)]
    print(f"  {what}: {statistics.median(ta):5.2f} s (min {min(ta):.2f}, max {max(ta):.2f})")
    print(f"  baseline python -c '{baseline}': {statistics.median(tb):5.2f} s")
    print(
        f"  ratio {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max "
        f"{max(ratios):.2f}); target <= {target:g}x"
    )


def bench_process(repeats: int) -> None:
    import shutil
    import tempfile

    exe = Path(sys.executable).with_name("forecast")
    a = [str(exe), "run", str(QUESTION), "--engine", "exact", "--as-of", AS_OF]
    ta, tb = paired(a, [sys.executable, "-c", BARE], repeats)
    print(f"whole process, median of {repeats} interleaved pairs")
    report_pair("forecast run --engine exact (bundled, truth mixture)", ta, tb, BARE, 1.2)
    with tempfile.TemporaryDirectory() as tmp:  # the same question under the tempered model
        (Path(tmp) / "models").mkdir()
        shutil.copytree(ROOT / "evidence", Path(tmp) / "evidence")
        tempered = Path(tmp) / "models" / QUESTION.name
        text = QUESTION.read_text()
        assert "reliability_model: mixture\n" in text
        tempered.write_text(
            text.replace("reliability_model: mixture\n", "reliability_model: tempered\n")
        )
        a = [str(exe), "run", str(tempered), "--engine", "exact", "--as-of", AS_OF]
        ta, tb = paired(a, [sys.executable, "-c", BARE], repeats)
    report_pair("the same, reliability_model: tempered", ta, tb, BARE, 1.2)


def bench_sensitivity(repeats: int) -> None:
    import tempfile

    import forecasting as fc
    from forecasting import analyses

    f = fc.forecast(QUESTION, as_of=AS_OF)
    values = np.linspace(0.05, 6.0, 10_000)
    t_sweep = median_time(
        lambda: analyses.sweep(f, "likelihood:joint_operations:accession", values), repeats
    )
    print("sensitivity analyses")
    print(
        f"  sweep of one judgement over 10,000 settings (one call, in process): "
        f"{1000 * t_sweep:7.1f} ms"
    )
    exe = Path(sys.executable).with_name("forecast")
    with tempfile.TemporaryDirectory() as tmp:
        a = [str(exe), "sensitivity", str(QUESTION), "--as-of", AS_OF, "--plots", tmp]
        ta, tb = paired(a, [sys.executable, "-c", BARE_PLOTS], repeats)
    report_pair("forecast sensitivity --plots (every analysis and plot)", ta, tb, BARE_PLOTS, 2.5)


def bench_update(repeats: int) -> None:
    import shutil
    import tempfile

    exe = Path(sys.executable).with_name("forecast")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "forecasts"
        shutil.copytree(ROOT / "forecasts", archive)
        a = [str(exe), "update", str(QUESTION), "--as-of", AS_OF, "--archive", str(archive)]
        a += ["--reports", str(Path(tmp) / "reports")]
        ta, tb = paired(a, [sys.executable, "-c", BARE_PLOTS], repeats)
    print("the weekly update of the bundled question (forecast, analyses, archive, comparison,")
    print("8 figures, report in three formats)")
    report_pair("forecast update", ta, tb, BARE_PLOTS, 3.0)


def write_scale_project(
    root: Path, n_items=100_000, n_indicators=50, n_scenarios=12, mixture: bool = False
) -> Path:
    """The scale benchmark's question (YAML) and ledger (ten JSON Lines files of 10,000 items).

    Otherwise the tempered model (stated in the question: the default is the mixture).
    ``mixture``: the truth-mixture model, 1,000 origins each graded with one letter (A-E)
    (the categorical indicators' exact polynomials would be too large at this size: they are
    integrated by cubature, ``forecasting/model/cubature.py``).
    """
    import json

    import yaml

    body, rows = synthetic_inputs(n_items, n_scenarios, n_indicators)
    body["reliability_model"] = "tempered"
    if mixture:
        body["reliability_model"] = "mixture"
        for i, row in enumerate(rows):
            origin = i % 1000
            code = row["reliability"]
            row["origin"] = f"origin {origin}"
            row["reliability"] = "ABCDE"[origin % 5] + (code[1] if isinstance(code, str) else "2")
    body["id"] = "scale"
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "models" / "scale.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    ev = root / "evidence" / "scale"
    ev.mkdir(parents=True, exist_ok=True)
    for start in range(0, n_items, 10_000):
        part = rows[start : start + 10_000]
        text = "".join(json.dumps(r, default=str) + "\n" for r in part)
        (ev / f"part{start // 10_000:03d}.jsonl").write_text(text)
    return root / "models" / "scale.yaml"


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MiB) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"{cmd} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def bench_scale(repeats: int) -> None:
    import tempfile

    exe = Path(sys.executable).with_name("forecast")
    with tempfile.TemporaryDirectory() as tmp:
        question = write_scale_project(Path(tmp))
        size = sum(p.stat().st_size for p in (Path(tmp) / "evidence" / "scale").iterdir())
        cmd = [str(exe), "run", str(question), "--engine", "exact", "--as-of", "2026-01-01"]
        runs = [run_measured([*cmd, "--json"]) for _ in range(repeats)]
    times = [t for t, _ in runs]
    print(
        "scale: 100,000 items, 50 indicators (all four kinds), 12 scenarios, tempered model "
        f"(ten JSON Lines files, {size / 2**20:.0f} MB)"
    )
    print(
        f"  forecast run --engine exact (validate + forecast), whole process: "
        f"{statistics.median(times):5.2f} s (min {min(times):.2f}, max {max(times):.2f}); "
        f"peak memory {max(m for _, m in runs):.0f} MiB; target < 10 s, < 1024 MiB"
    )
    with tempfile.TemporaryDirectory() as tmp:
        question = write_scale_project(Path(tmp), mixture=True)
        n = sum(1 for p in (Path(tmp) / "evidence" / "scale").iterdir() for _ in p.open())
        cmd = [str(exe), "run", str(question), "--engine", "exact", "--as-of", "2026-01-01"]
        runs = [run_measured([*cmd, "--json"]) for _ in range(repeats)]
    times = [t for t, _ in runs]
    print(
        f"  the same under the truth mixture, 1,000 origins ({n:,} items; the categorical "
        f"indicators by cubature): {statistics.median(times):5.2f} s (min {min(times):.2f}, "
        f"max {max(times):.2f}); peak memory {max(m for _, m in runs):.0f} MiB"
    )


def bench_mcmc() -> None:
    """The MCMC engine, whole process, cold and warm, beside PyMC's own NUTS (C backend)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from mcmc_backends import bench, summarise

    print("MCMC on the bundled question, whole process (every backend: mcmc_backends.py)")
    for config in ("engine", "pymc-c"):
        print("  " + summarise(config, "bundled", bench(config, "bundled", cold=1, warm=2)))
    print("  targets for the engine: cold <= 30 s, warm <= 5 s, ESS >= 1000, r_hat <= 1.01")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mcmc", action="store_true", help="skip the MCMC benchmark")
    parser.add_argument("--no-scale", action="store_true", help="skip the 100,000-item run")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    # the dependencies' bytecode written and used, as `make` does (a bare import of xarray
    # compiled from source every time took 3.1 s instead of 0.85 s)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # bytecode as an installed package has it (pip compiles at install; an editable install
    # or PYTHONDONTWRITEBYTECODE would otherwise compile every changed module in every run)
    compileall.compile_dir(ROOT / "forecasting", quiet=1)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"{dt.datetime.now().isoformat(timespec='seconds')}\n"
    )
    bench_exact(args.repeats)
    print()
    bench_narrow_tail(min(args.repeats, 3))
    print()
    bench_process(args.repeats)
    print()
    bench_sensitivity(args.repeats)
    print()
    bench_update(args.repeats)
    if not args.no_scale:
        print()
        bench_scale(3)
    if not args.no_mcmc:
        print()
        bench_mcmc()


if __name__ == "__main__":
    main()
