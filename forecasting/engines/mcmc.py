"""The MCMC engine: a PyMC model with the scenario marginalised out, sampled with NUTS.

The model (``pi`` and every indicator's per-scenario parameter are random variables)::

    pi ~ Dirichlet(c * prior)                                  dims: scenario
    theta_j ~ Gamma | Beta | Dirichlet (elicited)              dims: scenario[, j_category]
    log w_k = log pi_k + sum_j tempered log-lik of indicator j under theta_kj
    Potential("evidence", logsumexp_k log w_k)                 # S marginalised out
    scenario_probability = softmax(log w)                      # Deterministic, dims: scenario

The evidence enters only through ``pm.Data`` (the tempered sufficient statistics), so one
compiled model serves any ledger of the same question: use ``pm.set_data`` and sample again.
PyMC is imported only here, and only when this engine is used.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..constants import (
    AGREEMENT_MCSE,
    ESS_MIN,
    MCMC_BACKEND,
    MCMC_CHAINS,
    MCMC_DRAWS,
    MCMC_RETRY_TARGET_ACCEPT,
    MCMC_RETRY_TUNE,
    MCMC_TARGET_ACCEPT,
    MCMC_TUNE,
    RHAT_MAX,
)
from ..dims import SCENARIO, category_dim
from ..model_data import ModelData
from .common import EngineResult

if TYPE_CHECKING:
    import pymc as pm


def data_names(data: ModelData) -> list[str]:
    """Names of the ``pm.Data`` containers that hold the evidence."""
    names = []
    for ind in data.indicators:
        names += (
            [f"{ind.id}__stats"]
            if ind.kind == "categorical"
            else [f"{ind.id}__stat0", f"{ind.id}__stat1"]
        )
    return names


def evidence_data(data: ModelData) -> dict[str, np.ndarray]:
    """Values for the evidence ``pm.Data`` containers (for ``pm.set_data``)."""
    out: dict[str, np.ndarray] = {}
    for ind in data.indicators:
        stats = ind.stats
        if ind.kind == "categorical":
            out[f"{ind.id}__stats"] = stats
        else:
            out[f"{ind.id}__stat0"] = np.asarray(stats[0])
            out[f"{ind.id}__stat1"] = np.asarray(stats[1])
    return out


def build_model(
    data: ModelData,
    *,
    parameters: Mapping[str, Any] | None = None,
    extra_loglik: Callable[[pm.Model], Any] | None = None,
    name: str = "",
) -> pm.Model:
    """Build the PyMC model of a question and its evidence (see the module docstring).

    Parameters
    ----------
    data
        The question and evidence as arrays.
    parameters
        Optional replacements for indicator parameters, keyed by indicator id: a PyTensor
        expression of shape ``(K,)`` (or ``(K, C)`` for a categorical indicator) built inside the
        surrounding model, e.g. a hierarchical prior shared with another question. It is recorded
        as a Deterministic under the indicator's id.
    extra_loglik
        Optional callable ``f(model) -> tensor of shape (K,)``: an additional log-likelihood per
        scenario (a custom likelihood), added inside the marginalisation over the scenario.
    name
        Prefix for every variable (``name::pi``...), to hold several questions in one model.
        Coordinates are shared by all the models in one enclosing model, so such questions
        must have the same scenario ids in the same order, and categorical indicators with the
        same id must have the same categories.
    """
    import pymc as pm
    import pytensor.tensor as pt

    parameters = dict(parameters or {})
    unknown = set(parameters) - {ind.id for ind in data.indicators}
    if unknown:
        raise ValueError(f"parameters given for unknown indicators: {sorted(unknown)}")
    coords: dict[str, list[str]] = {SCENARIO: list(data.scenarios)}
    for ind in data.indicators:
        if ind.kind == "categorical":
            coords[category_dim(ind.id)] = list(ind.categories or ())
    # Inside an enclosing ``with pm.Model():`` block this becomes a submodel (named ``name``).
    with pm.Model(coords=coords, name=name) as m:
        pi_alpha = pm.Data("pi__alpha", data.concentration * data.prior, dims=SCENARIO)
        pi = pm.Dirichlet("pi", a=pi_alpha, dims=SCENARIO)
        log_w = pt.log(pi)
        values = evidence_data(data)
        for ind in data.indicators:
            if ind.kind == "categorical":
                dims: tuple[str, ...] = (SCENARIO, category_dim(ind.id))
                stats: Any = pm.Data(f"{ind.id}__stats", values[f"{ind.id}__stats"], dims=dims[1])
            else:
                dims = (SCENARIO,)
                stats = [
                    pm.Data(f"{ind.id}__stat0", values[f"{ind.id}__stat0"]),
                    pm.Data(f"{ind.id}__stat1", values[f"{ind.id}__stat1"]),
                ]
            if ind.id in parameters:
                theta = pm.Deterministic(ind.id, parameters[ind.id], dims=dims)
            elif ind.kind == "count":
                theta = pm.Gamma(
                    ind.id,
                    alpha=pm.Data(f"{ind.id}__shape", ind.prior[:, 0], dims=SCENARIO),
                    beta=pm.Data(f"{ind.id}__rate", ind.prior[:, 1], dims=SCENARIO),
                    dims=dims,
                )
            elif ind.kind == "binary":
                theta = pm.Beta(
                    ind.id,
                    alpha=pm.Data(f"{ind.id}__alpha", ind.prior[:, 0], dims=SCENARIO),
                    beta=pm.Data(f"{ind.id}__beta", ind.prior[:, 1], dims=SCENARIO),
                    dims=dims,
                )
            else:
                theta = pm.Dirichlet(
                    ind.id, a=pm.Data(f"{ind.id}__alpha", ind.prior, dims=dims), dims=dims
                )
            log_w = log_w + ind.family.pt_kernel(theta, stats)
        if extra_loglik is not None:
            log_w = log_w + extra_loglik(m)
        pm.Potential("evidence", pm.math.logsumexp(log_w))
        pm.Deterministic("scenario_probability", pt.special.softmax(log_w), dims=SCENARIO)
    return m


def sample(
    model: pm.Model,
    *,
    draws: int = MCMC_DRAWS,
    tune: int = MCMC_TUNE,
    chains: int = MCMC_CHAINS,
    target_accept: float = MCMC_TARGET_ACCEPT,
    seed: int | None = None,
    progress: bool | None = None,
):
    """NUTS on ``model`` with PyMC's own sampler, chains one after another.

    Chains run sequentially in this process: on two cores that is faster than starting worker
    processes for a model this small, and results do not depend on the core count. The
    backend is :data:`~forecasting.constants.MCMC_BACKEND` (C: reproducible draws).
    """
    import pymc as pm

    if progress is None:
        progress = sys.stderr.isatty()
    with warnings.catch_warnings():
        # the model has no matrix products: a missing BLAS library costs it nothing
        warnings.filterwarnings("ignore", "PyTensor could not link to a BLAS", UserWarning)
        return pm.sample(
            draws,
            tune=tune,
            chains=chains,
            cores=1,
            random_seed=seed,
            target_accept=target_accept,
            nuts_sampler="pymc",
            backend=MCMC_BACKEND,
            progressbar=progress,
            quiet=not progress,
            compute_convergence_checks=False,
            model=model,
        )


def diagnose(tree, exact_probability: np.ndarray | None) -> dict[str, Any]:
    """Convergence diagnostics of the scenario probabilities, and failures in words."""
    import arviz_stats as azs

    sp = tree["posterior"].to_dataset()[["scenario_probability"]]
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
    if not np.all(rhat <= RHAT_MAX):
        problems.append(f"r_hat {np.nanmax(rhat):.3f} > {RHAT_MAX}")
    low = min(np.nanmin(ess_bulk), np.nanmin(ess_tail))
    if not low >= ESS_MIN:
        problems.append(f"ESS {low:.0f} < {ESS_MIN:.0f}")
    if exact_probability is not None:
        z = np.abs(mean - exact_probability) / np.maximum(mcse, 1e-12)
        out["exact_probability"] = exact_probability.tolist()
        out["agreement_z_max"] = float(np.max(z))
        if not np.max(z) <= AGREEMENT_MCSE:
            k = int(np.argmax(z))
            problems.append(
                f"MCMC and exact disagree: {mean[k]:.4f} vs {exact_probability[k]:.4f} "
                f"({z[k]:.1f} MCSE > {AGREEMENT_MCSE:g})"
            )
    out["problems"] = problems
    out["_mcse"] = mcse
    out["_mean"] = mean
    return out


def run(
    data: ModelData,
    *,
    draws: int = MCMC_DRAWS,
    tune: int = MCMC_TUNE,
    chains: int = MCMC_CHAINS,
    target_accept: float = MCMC_TARGET_ACCEPT,
    seed: int | None = None,
    exact_probability: np.ndarray | None = None,
    progress: bool | None = None,
    retry: bool = True,
    model: pm.Model | None = None,
) -> EngineResult:
    """Run the MCMC engine; retry once with safer settings if the diagnostics fail.

    ``model`` may be a model built earlier by :func:`build_model` for the same question (its
    evidence data are replaced), which saves building and compiling it again.
    """
    import pymc as pm

    if model is None:
        model = build_model(data)
    else:
        pm.set_data(evidence_data(data), model=model)
    settings = {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "target_accept": target_accept,
        "sampler": "pymc-nuts",
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
        )
        diag = diagnose(tree, exact_probability)
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
    return EngineResult(
        engine="mcmc",
        probability=mean / mean.sum(),
        mcse=mcse,
        posterior=posterior,
        sample_stats=sample_stats,
        diagnostics=diag,
        settings=settings,
    )
