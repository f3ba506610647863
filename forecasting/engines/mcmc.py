"""The MCMC engine: the PyMC model of :mod:`forecasting.model.pymc_model`, sampled with NUTS.

The sampler is numpyro's NUTS through PyMC's JAX bridge, chains in parallel on the CPU cores,
its compiled programs kept in JAX's persistent cache (:data:`~forecasting.core.constants.
MCMC_SAMPLER` says why: it is several times faster than PyMC's own sampler, cold and warm);
PyMC's own NUTS on the C backend (``sampler="pymc-nuts"``) reruns forecasts that recorded it.
Diagnostics (r_hat, ESS, divergences, agreement with the exact engine) decide whether to retry
once with safer settings. PyMC and JAX are imported only when this engine is used.

Research code that builds the model with :func:`forecasting.build_pymc_model` and samples it
itself is not affected by the choice.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.constants import (
    AGREEMENT_FLOOR,
    AGREEMENT_MCSE,
    ESS_MIN,
    MCMC_BACKEND,
    MCMC_CHAINS,
    MCMC_DRAWS,
    MCMC_RETRY_TARGET_ACCEPT,
    MCMC_RETRY_TUNE,
    MCMC_SAMPLER,
    MCMC_SAMPLERS,
    MCMC_TARGET_ACCEPT,
    MCMC_TUNE,
    RHAT_MAX,
)
from ..model.data import ModelData
from ..model.pymc_model import NOT_SWAPPABLE, build_model, evidence_data, evidence_swappable
from .common import EngineResult

if TYPE_CHECKING:
    import pymc as pm


def sample(
    model: pm.Model,
    *,
    draws: int = MCMC_DRAWS,
    tune: int = MCMC_TUNE,
    chains: int = MCMC_CHAINS,
    target_accept: float = MCMC_TARGET_ACCEPT,
    seed: int | None = None,
    progress: bool | None = None,
    sampler: str = MCMC_SAMPLER,
):
    """NUTS on ``model``; returns PyMC's DataTree (posterior, sample_stats).

    ``sampler`` is ``numpyro-nuts`` (chains in parallel, one per CPU core up to ``chains``) or
    ``pymc-nuts`` (PyMC's own NUTS on :data:`~forecasting.core.constants.MCMC_BACKEND`, chains
    one after another in this process).
    """
    import pymc as pm

    if sampler not in MCMC_SAMPLERS:
        raise ValueError(f"unknown sampler '{sampler}'; use one of {', '.join(MCMC_SAMPLERS)}")
    if progress is None:
        progress = sys.stderr.isatty()
    common: dict[str, Any] = {
        "tune": tune,
        "chains": chains,
        "random_seed": seed,
        "target_accept": target_accept,
        "progressbar": progress,
        "compute_convergence_checks": False,
        "model": model,
    }
    with warnings.catch_warnings():
        # the model has no matrix products: a missing BLAS library costs it nothing
        warnings.filterwarnings("ignore", "PyTensor could not link to a BLAS", UserWarning)
        # numpyro's progress bar, imported in a notebook without ipywidgets, says so
        warnings.filterwarnings("ignore", "IProgress not found", Warning)
        if sampler == "pymc-nuts":
            return pm.sample(
                draws,
                cores=1,
                nuts_sampler="pymc",
                backend=MCMC_BACKEND,
                quiet=not progress,
                **common,
            )
        # PyMC's JAX bridge, imported before JAX: it asks XLA for one device per core
        from pymc.sampling.jax import sample_jax_nuts

        jax = _jax()
        method = "parallel" if jax.local_device_count() >= chains else "vectorized"
        # called directly, not through pm.sample: that would first assign PyMC's own step
        # methods, which compiles functions the JAX sampler never uses (about 1 s)
        return sample_jax_nuts(
            draws,
            nuts_sampler="numpyro",
            chain_method=method,
            quiet=not progress,
            **common,
        )


def _jax():
    """JAX, with its persistent compilation cache in the user's cache folder (unless set)."""
    import jax

    if not jax.config.jax_compilation_cache_dir:
        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = Path(os.environ.get("FORECASTING_CACHE_DIR") or home / "forecasting") / "jax"
        jax.config.update("jax_compilation_cache_dir", str(folder))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return jax


def diagnose(
    tree,
    exact_probability: np.ndarray | None,
    scenarios: Sequence[str] | None = None,
    exact_now: np.ndarray | None = None,
) -> dict[str, Any]:
    """Convergence diagnostics of the scenario probabilities, and failures in words.

    MCMC and exact disagree on a scenario when they differ by more than
    :data:`~forecasting.core.constants.AGREEMENT_MCSE` Monte Carlo standard errors *and* by
    more than :data:`~forecasting.core.constants.AGREEMENT_FLOOR`; the message names it.
    r_hat and ESS are judged on the scenarios of probability at least that floor. With
    dynamics ``probability_now`` (``P(S_now | E)``) is checked against ``exact_now`` too.
    """
    import arviz_stats as azs

    sp = tree["posterior"].to_dataset()[["scenario_probability"]]
    with warnings.catch_warnings():
        # constant draws (a scenario the evidence rules out) have no variance to divide by
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = azs.rhat(sp)["scenario_probability"].values
        ess_bulk = azs.ess(sp, method="bulk")["scenario_probability"].values
        ess_tail = azs.ess(sp, method="tail")["scenario_probability"].values
        mcse = azs.mcse(sp, method="mean")["scenario_probability"].values
    divergences = int(tree["sample_stats"]["diverging"].values.sum())
    mean = sp["scenario_probability"].mean(("chain", "draw")).values
    out: dict[str, Any] = {
        "divergences": divergences,
        "rhat_max": float(np.nanmax(rhat)),
        "ess_bulk_min": float(np.nanmin(ess_bulk)),
        "ess_tail_min": float(np.nanmin(ess_tail)),
        "rhat": rhat.tolist(),
        "ess_bulk": ess_bulk.tolist(),
        "ess_tail": ess_tail.tolist(),
    }
    problems = []
    if divergences:
        problems.append(f"{divergences} divergent transitions")
    # convergence is judged on the scenarios a reader can see: the draws of a scenario at 1e-7
    # are all but constant, and their r_hat and ESS mean nothing (r_hat is often NaN)
    seen = mean >= AGREEMENT_FLOOR
    if seen.any() and not np.all(rhat[seen] <= RHAT_MAX):
        problems.append(f"r_hat {np.nanmax(np.where(seen, rhat, np.nan)):.3f} > {RHAT_MAX}")
    low = min(
        np.nanmin(np.where(seen, ess_bulk, np.inf)), np.nanmin(np.where(seen, ess_tail, np.inf))
    )
    if seen.any() and not low >= ESS_MIN:
        problems.append(f"ESS {low:.0f} < {ESS_MIN:.0f}")
    if exact_probability is not None:
        z, problem = _agreement(mean, mcse, exact_probability, scenarios, "")
        out["exact_probability"] = exact_probability.tolist()
        out["agreement_z_max"] = float(np.max(z))
        problems.extend(problem)
    if "probability_now" in tree["posterior"]:
        now = tree["posterior"].to_dataset()[["probability_now"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            now_mcse = azs.mcse(now, method="mean")["probability_now"].values
        now_mean = now["probability_now"].mean(("chain", "draw")).values
        out["now"] = now_mean.tolist()
        out["now_mcse"] = now_mcse.tolist()
        if exact_now is not None:
            z, problem = _agreement(now_mean, now_mcse, exact_now, scenarios, " now")
            out["exact_now"] = exact_now.tolist()
            out["now_agreement_z_max"] = float(np.max(z))
            problems.extend(problem)
    out["problems"] = problems
    out["_mcse"] = mcse
    out["_mean"] = mean
    return out


def _agreement(mean, mcse, exact, scenarios, when: str) -> tuple[np.ndarray, list[str]]:
    """Each scenario's distance from the exact value in MCSE, and the disagreement in words."""
    diff = np.abs(mean - exact)
    z = diff / np.maximum(mcse, 1e-12)
    bad = (z > AGREEMENT_MCSE) & (diff > AGREEMENT_FLOOR)
    if not bad.any():
        return z, []
    k = int(np.argmax(np.where(bad, z, -np.inf)))
    name = f"'{scenarios[k]}'" if scenarios is not None else f"scenario {k + 1}"
    return z, [
        f"MCMC and exact disagree on {name}{when}: {mean[k]:.4g} vs {exact[k]:.4g} "
        f"({z[k]:.1f} MCSE > {AGREEMENT_MCSE:g}, and the difference {diff[k]:.2g} > "
        f"{AGREEMENT_FLOOR:g})"
    ]


def run(
    data: ModelData,
    *,
    draws: int = MCMC_DRAWS,
    tune: int = MCMC_TUNE,
    chains: int = MCMC_CHAINS,
    target_accept: float = MCMC_TARGET_ACCEPT,
    seed: int | None = None,
    exact_probability: np.ndarray | None = None,
    exact_now: np.ndarray | None = None,
    progress: bool | None = None,
    retry: bool = True,
    model: pm.Model | None = None,
    sampler: str = MCMC_SAMPLER,
) -> EngineResult:
    """Run the MCMC engine; retry once with safer settings if the diagnostics fail.

    ``model`` may be a model built earlier by :func:`build_model` for the same question (its
    evidence data are replaced), which saves building it again (tempered model only: under the
    truth mixture the reports are part of the graph); ``sampler`` as in :func:`sample`.
    With dynamics the result's ``now`` is the mean of ``probability_now`` (checked against
    ``exact_now`` when given, as ``probability`` is against ``exact_probability``).

    Raises
    ------
    ValueError
        If ``model`` is given for a question under the truth mixture or with dynamics.
    """
    import pymc as pm

    if model is None:
        model = build_model(data)
    elif not evidence_swappable(data):
        raise ValueError(NOT_SWAPPABLE)
    else:
        pm.set_data(evidence_data(data), model=model)
    settings = {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "target_accept": target_accept,
        "sampler": sampler,
        "retried": False,
        "requested": {"draws": draws, "tune": tune, "chains": chains},
    }
    attempts = [(tune, target_accept, seed)]
    if retry:  # safer settings, used only if the first attempt fails its diagnostics
        attempts.append(
            (
                max(tune, MCMC_RETRY_TUNE),
                max(target_accept, MCMC_RETRY_TARGET_ACCEPT),
                None if seed is None else seed + 1,
            )
        )
    first_problems: list[str] = []
    for n, (tune_n, accept_n, seed_n) in enumerate(attempts):
        tree = sample(
            model,
            draws=draws,
            tune=tune_n,
            chains=chains,
            target_accept=accept_n,
            seed=seed_n,
            progress=progress,
            sampler=sampler,
        )
        diag = diagnose(tree, exact_probability, data.scenarios, exact_now)
        if n:
            settings.update(tune=tune_n, target_accept=accept_n, retried=True)
        if not diag["problems"]:
            break
        if n == 0:
            first_problems = diag["problems"]
    post = tree["posterior"]
    names = ["pi", "scenario_probability", *(ind.id for ind in data.indicators)]
    posterior = {name: np.asarray(post[name].values) for name in names}
    stats_ds = tree["sample_stats"]
    sample_stats = {name: np.asarray(stats_ds[name].values) for name in stats_ds.data_vars}
    mcse = diag.pop("_mcse")
    mean = diag.pop("_mean")
    diag["first_attempt_problems"] = first_problems
    now = None
    if "probability_now" in post:
        now = np.asarray(post["probability_now"].values).mean(axis=(0, 1))
        now = now / now.sum()
    return EngineResult(
        engine="mcmc",
        probability=mean / mean.sum(),
        mcse=mcse,
        posterior=posterior,
        sample_stats=sample_stats,
        diagnostics=diag,
        settings=settings,
        now=now,
    )
