"""MCMC backends side by side: whole process, with cold and with warm compile caches.

    python benchmarks/mcmc_backends.py                       # every backend that is installed
    python benchmarks/mcmc_backends.py --only nutpie-numba --question bundled --warm 3
    python benchmarks/mcmc_backends.py --only engine --vs pymc-c --question bundled --cold 3

Each run is one process that imports the package, builds the PyMC model of a question
(:func:`forecasting.build_pymc_model`) and samples it: two chains of 1,000 draws after 1,000
tuning steps, the engine's defaults. *Cold* runs start with empty compile caches (PyTensor's
compile directory, numba's cache, JAX's persistent cache, each in a fresh temporary folder);
*warm* runs reuse the caches a first, uncounted run filled. Reported per run: the whole
process's wall time and peak memory, and the smallest bulk and tail ESS, the largest r_hat and
the divergences of the scenario probabilities. The questions are the bundled one and a
synthetic one with 12 scenarios and 50 indicators of all four kinds (1,000 items).

``--vs CONFIG`` pairs each configuration with a baseline: the two run in turn (cold A, cold B,
cold A, ...; then warm likewise, each with the caches its own first run filled), and the
ratio A/B is taken pair by pair, so a machine whose speed drifts moves both alike.

Backends that are not installed are skipped (``pip install nutpie numpyro blackjax jax``).

The "bundled question" here is its static copy, ``tests/inputs/data/bundled_static/`` (the bundled
question without its ``dynamics:``): these figures are the static engine's, as they were before
the bundled question had dynamics (``forecast run models/syria_coalition.yaml`` as shipped runs
the dynamic model).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2025-10-27"

#: name -> keyword arguments of ``pm.sample`` (``backend`` is PyTensor's linker); ``engine`` is
#: the package's own MCMC engine as ``forecasting.forecast(..., engine="mcmc")`` runs it (its
#: defaults: 1,500 draws per chain, diagnostics and the exact engine's cross-check included).
CONFIGS: dict[str, dict] = {
    "engine": {"nuts_sampler": "engine"},
    "pymc-c": {"nuts_sampler": "pymc", "backend": "c", "cores": 1},
    "pymc-c-2proc": {"nuts_sampler": "pymc", "backend": "c", "cores": 2},
    "pymc-numba": {"nuts_sampler": "pymc", "backend": "numba", "cores": 1},
    "nutpie-numba": {"nuts_sampler": "nutpie", "nuts_sampler_kwargs": {"backend": "numba"}},
    "nutpie-jax": {
        "nuts_sampler": "nutpie",
        "nuts_sampler_kwargs": {"backend": "jax", "gradient_backend": "jax"},
    },
    "numpyro-vectorized": {
        "nuts_sampler": "numpyro",
        "nuts_sampler_kwargs": {"chain_method": "vectorized"},
    },
    "numpyro-parallel": {
        "nuts_sampler": "numpyro",
        "nuts_sampler_kwargs": {"chain_method": "parallel"},
    },
    "blackjax-vectorized": {
        "nuts_sampler": "blackjax",
        "nuts_sampler_kwargs": {"chain_method": "vectorized"},
    },
}
#: The Python package each sampler needs besides PyMC.
NEEDS = {"nutpie": "nutpie", "numpyro": "numpyro", "blackjax": "blackjax"}


def _question(name: str):
    import forecasting as fc

    if name == "bundled":
        q = fc.load_question(
            ROOT
            / "tests"
            / "inputs"
            / "data"
            / "bundled_static"
            / "models"
            / "syria_coalition.yaml"
        )
        return q, fc.load_evidence(None, q)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import synthetic

    return synthetic(n_items=1000, n_scenarios=12, n_indicators=50)


def child(config: str, question: str, cache: str, seed: int) -> None:
    """One measured run (in its own process): build, sample, diagnose; print a JSON line."""
    cache_dir = Path(cache)
    os.environ["PYTENSOR_FLAGS"] = f"base_compiledir={cache_dir / 'pytensor'}"
    os.environ["NUMBA_CACHE_DIR"] = str(cache_dir / "numba")
    os.environ["FORECASTING_CACHE_DIR"] = str(cache_dir)
    if config == "engine":
        import forecasting as fc

        t0 = time.perf_counter()
        q, ev = _question(question)
        as_of = AS_OF if question == "bundled" else "2026-01-01"
        f = fc.forecast(q, ev, as_of=as_of, engine="mcmc", seed=seed, progress=False)
        d = f.diagnostics
        print(
            json.dumps(
                {
                    "setup_s": 0.0,
                    "sample_s": time.perf_counter() - t0,
                    "ess_min": min(d["ess_bulk_min"], d["ess_tail_min"]),
                    "rhat_max": d["rhat_max"],
                    "divergences": d["divergences"],
                    "mean": f.probabilities.values.tolist(),
                }
            )
        )
        return
    if config == "numpyro-parallel":
        os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    t0 = time.perf_counter()
    kwargs = dict(CONFIGS[config])
    if kwargs["nuts_sampler"] in ("numpyro", "blackjax") or "jax" in config:
        import jax

        jax.config.update("jax_compilation_cache_dir", str(cache_dir / "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    import arviz_stats as azs
    import pymc as pm

    import forecasting as fc

    q, ev = _question(question)
    model = fc.build_pymc_model(q, ev, as_of=AS_OF if question == "bundled" else "2026-01-01")
    t1 = time.perf_counter()
    tree = pm.sample(
        1000,
        tune=1000,
        chains=2,
        random_seed=seed,
        target_accept=0.9,
        progressbar=False,
        compute_convergence_checks=False,
        model=model,
        **kwargs,
    )
    t2 = time.perf_counter()
    sp = tree["posterior"].to_dataset()[["scenario_probability"]]
    ess_bulk = azs.ess(sp, method="bulk")["scenario_probability"].values
    ess_tail = azs.ess(sp, method="tail")["scenario_probability"].values
    rhat = azs.rhat(sp)["scenario_probability"].values
    diverging = int(tree["sample_stats"]["diverging"].values.sum())
    mean = sp["scenario_probability"].mean(("chain", "draw")).values
    print(
        json.dumps(
            {
                "setup_s": t1 - t0,
                "sample_s": t2 - t1,
                "ess_min": float(min(ess_bulk.min(), ess_tail.min())),
                "rhat_max": float(rhat.max()),
                "divergences": diverging,
                "mean": mean.tolist(),
            }
        )
    )


def measured(cmd: list[str]) -> tuple[float, float, dict]:
    """Wall seconds, peak MiB and the JSON line of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        return wall, usage.ru_maxrss / 1024, {"error": f"exit status {status}"}
    return wall, usage.ru_maxrss / 1024, json.loads(out.strip().splitlines()[-1])


def available(config: str) -> bool:
    import importlib.util

    if config == "engine":
        return True
    needs = NEEDS.get(CONFIGS[config]["nuts_sampler"])
    if needs and importlib.util.find_spec(needs) is None:
        return False
    return "jax" not in config or importlib.util.find_spec("jax") is not None


def bench(config: str, question: str, cold: int, warm: int) -> dict:
    me = [sys.executable, __file__, "--child", config, question]
    rows = {"cold": [], "warm": []}
    for n in range(cold):
        with tempfile.TemporaryDirectory() as cache:
            rows["cold"].append(measured([*me, cache, str(n + 1)]))
    with tempfile.TemporaryDirectory() as cache:
        measured([*me, cache, "99"])  # fill the caches
        for n in range(warm):
            rows["warm"].append(measured([*me, cache, str(n + 1)]))
    return rows


def bench_paired(a: str, b: str, question: str, cold: int, warm: int) -> dict:
    """:func:`bench` of ``a`` and ``b`` in turn, run by run: ``{"a": rows, "b": rows}``."""
    out = {c: {"cold": [], "warm": []} for c in (a, b)}
    for n in range(cold):
        for c in (a, b):
            with tempfile.TemporaryDirectory() as cache:
                me = [sys.executable, __file__, "--child", c, question, cache, str(n + 1)]
                out[c]["cold"].append(measured(me))
    with tempfile.TemporaryDirectory() as ca, tempfile.TemporaryDirectory() as cb:
        caches = {a: ca, b: cb}
        for c in (a, b):
            measured([sys.executable, __file__, "--child", c, question, caches[c], "99"])
        for n in range(warm):
            for c in (a, b):
                me = [sys.executable, __file__, "--child", c, question, caches[c], str(n + 1)]
                out[c]["warm"].append(measured(me))
    return out


def ratios(rows_a: dict, rows_b: dict) -> str:
    """Median (min, max) of the pairwise wall-time ratios A/B, cold and warm."""
    parts = []
    for when in ("cold", "warm"):
        pairs = list(zip(rows_a[when], rows_b[when], strict=True))
        if not pairs or any("error" in r[2] for p in pairs for r in p):
            continue
        r = [x[0] / y[0] for x, y in pairs]
        parts.append(
            f"{when} A/B {statistics.median(r):.3f} (min {min(r):.3f}, max {max(r):.3f}; "
            f"{len(r)} pairs)"
        )
    return "  ratio " + " | ".join(parts)


def summarise(config: str, question: str, rows: dict) -> str:
    parts = []
    for when in ("cold", "warm"):
        runs = rows[when]
        if not runs:
            continue
        errors = [r[2]["error"] for r in runs if "error" in r[2]]
        if errors:
            parts.append(f"{when}: failed ({errors[0]})")
            continue
        wall = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        ess = min(r[2]["ess_min"] for r in runs)
        rhat = max(r[2]["rhat_max"] for r in runs)
        div = max(r[2]["divergences"] for r in runs)
        sample = statistics.median(r[2]["sample_s"] for r in runs)
        parts.append(
            f"{when} {wall:6.1f} s (sampling incl. compile {sample:5.1f} s), peak {peak:5.0f} MiB, "
            f"ESS >= {ess:5.0f}, r_hat <= {rhat:.3f}, {div} div."
        )
    return f"{config:<20} {question:<8} " + " | ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=4, metavar=("CONFIG", "QUESTION", "CACHE", "SEED"))
    parser.add_argument("--only", nargs="*", default=None, help="configurations to run")
    parser.add_argument("--question", choices=("bundled", "big", "both"), default="both")
    parser.add_argument("--cold", type=int, default=1, help="cold runs per configuration")
    parser.add_argument("--warm", type=int, default=3, help="warm runs per configuration")
    parser.add_argument("--vs", default=None, help="a baseline configuration, run in turn")
    args = parser.parse_args()
    if args.child:
        config, question, cache, seed = args.child
        child(config, question, cache, int(seed))
        return
    questions = ["bundled", "big"] if args.question == "both" else [args.question]
    for question in questions:
        for config in args.only or list(CONFIGS):
            if not available(config):
                print(f"{config:<20} {question:<8} not installed")
                continue
            if args.vs:
                both = bench_paired(config, args.vs, question, args.cold, args.warm)
                print(summarise(config, question, both[config]), flush=True)
                print(summarise(args.vs, question, both[args.vs]), flush=True)
                print(ratios(both[config], both[args.vs]), flush=True)
                continue
            rows = bench(config, question, args.cold, args.warm)
            print(summarise(config, question, rows), flush=True)


if __name__ == "__main__":
    main()
