"""Sensitivity of MCMC output: power scaling, and leave-one-out by importance reweighting.

For models without a closed form (a PyMC model extended by research code), the influence of
each item comes from Pareto-smoothed importance reweighting of one MCMC posterior
(:func:`influence_psis`), with the Pareto k reported and items with k > 0.7 refitted; the
power-scaling sensitivity of ArviZ (:func:`power_scaling`) is reported beside the exact
analyses.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import special

from ..core.dims import ITEM, SCENARIO
from ..core.stats import dirichlet_logpdf, normalise_log
from .base import Base, base_of

#: Pareto k above which importance reweighting is not trusted and the item is refitted.
PARETO_K_MAX = 0.7


def _mcmc_parts(forecast) -> tuple[Base, np.ndarray, np.ndarray]:
    """Base, log pi ``(C, D, K)`` and per-item log-likelihood ``(C, D, K, n)`` of a forecast.

    Raises
    ------
    ValueError
        With dynamics, where the evidence's likelihood is not a product over items given one
        scenario (the regimes of the periods are summed out).
    """
    if forecast.now is not None:
        raise ValueError(
            "power scaling and importance reweighting need a likelihood that is a product over "
            "items given the scenario; with dynamics it is not (use the exact analyses)"
        )
    base = base_of(forecast)
    tree = forecast.tree
    with np.errstate(divide="ignore"):
        log_pi = np.log(tree["posterior"]["pi"].values)
    ll = forecast.log_likelihood_by_scenario.values  # (the scenario not summed out)
    return base, log_pi, ll


def log_prior_density(forecast) -> np.ndarray:
    """``log p(pi) + sum_j log p(theta_j)`` for every posterior draw, ``(chain, draw)``."""
    base = base_of(forecast)
    post = forecast.tree["posterior"]
    data = base.data
    pi = post["pi"].values
    out = dirichlet_logpdf(pi, data.concentration * data.prior)
    for ind in data.indicators:
        out = out + ind.kind.log_prior_density(post[ind.id].values, ind.prior)
    return out


def power_scaling(forecast) -> xr.Dataset:
    """ArviZ power-scaling sensitivity of the scenario probabilities (MCMC output).

    Prior sensitivity above 0.05 says the prior is informative for that quantity; likelihood
    sensitivity below 0.05 says the evidence says little about it. Dims ``(scenario,)`` for
    ``prior`` and ``likelihood``.
    """
    import arviz_stats as azs

    _, log_pi, ll = _mcmc_parts(forecast)
    total = special.logsumexp(log_pi + ll.sum(axis=-1), axis=-1)  # log L(pi, theta)
    post = forecast.tree["posterior"].to_dataset()[["scenario_probability"]]
    sample = {"chain": post["chain"].values, "draw": post["draw"].values}
    tree = xr.DataTree.from_dict(
        {
            "posterior": post,
            "log_likelihood": xr.Dataset({"evidence": (("chain", "draw"), total)}, coords=sample),
            "log_prior": xr.Dataset(
                {"prior": (("chain", "draw"), log_prior_density(forecast))}, coords=sample
            ),
        }
    )
    prior = azs.psense(tree, var_names=["scenario_probability"], group="prior")
    like = azs.psense(tree, var_names=["scenario_probability"], group="likelihood")
    return xr.Dataset(
        {"prior": prior["scenario_probability"], "likelihood": like["scenario_probability"]},
        attrs={
            "kind": "power-scaling sensitivity",
            "note": "prior > 0.05: informative prior; likelihood < 0.05: weak evidence",
        },
    )


def influence_psis(
    forecast, *, refit: bool = True, k_max: float = PARETO_K_MAX, seed: int = 0
) -> xr.Dataset:
    r"""Leave-one-out influence from one MCMC posterior by Pareto-smoothed importance sampling.

    For each item ``i`` the draws are reweighted by ``L_{-i}(pi, theta) / L(pi, theta)`` (the
    likelihood without the item over the full likelihood, the scenario marginalised out), the
    weights are Pareto-smoothed, and the posterior without the item is the weighted mean of
    ``P(S = k | E \\ i, pi, theta)``. ``pareto_k`` is reported; where it exceeds 0.7 the item
    is refitted without it (``refit=True``, MCMC on one compiled model, as
    many draws and chains as the forecast) and ``method`` says so.
    """
    import arviz_stats as azs  # noqa: F401  (registers the .azstats accessor)

    from ..engines.common import item_log_likelihood

    base, log_pi, ll = _mcmc_parts(forecast)
    full = log_pi + ll.sum(axis=-1)  # (C, D, K)
    log_l = special.logsumexp(full, axis=-1)
    post = forecast.tree["posterior"]
    thetas = {ind.id: post[ind.id].values for ind in base.data.indicators if ind.item_ids}
    ll = item_log_likelihood(base.data, thetas, loo=True)  # what leaving each item out removes
    n = ll.shape[-1]
    k_hat = np.zeros(n)
    without = np.zeros((n, base.data.n_scenarios))
    method = ["psis"] * n
    chains, draws = log_l.shape
    for i in range(n):
        part = full - ll[..., i]
        log_ratio = special.logsumexp(part, axis=-1) - log_l
        # arviz-stats' psislw takes the log-likelihood of the left-out data and uses its
        # negative as the log importance ratio, so hand it -log_ratio
        if np.ptp(log_ratio) <= 1e-12 * max(1.0, float(np.max(np.abs(log_ratio)))):
            w, k = np.full(log_ratio.shape, 1.0 / log_ratio.size), 0.0  # it changes nothing
        else:
            da = xr.DataArray(-log_ratio, dims=("chain", "draw"))
            lw, k = da.azstats.psislw(dim=["chain", "draw"])
            w = np.exp(lw.values - special.logsumexp(lw.values))
        cond = normalise_log(part)
        without[i] = np.tensordot(w.reshape(-1), cond.reshape(-1, cond.shape[-1]), axes=1)
        k_hat[i] = float(k)
    if refit:
        bad = np.flatnonzero(k_hat > k_max)
        if len(bad):
            from ..engines import mcmc
            from ..model.pymc_model import build_model, evidence_swappable

            model = None
            for i in bad:
                item = base.data.item_ids[i]
                data = base.data.without_items({item})
                if model is None or not evidence_swappable(data):  # the mixture: built anew
                    model = build_model(data)
                res = mcmc.run(
                    data,
                    model=model,
                    seed=seed,
                    progress=False,
                    retry=False,
                    draws=draws,
                    chains=chains,
                    sampler=forecast.provenance["settings"].get("sampler", "pymc-nuts"),
                )
                without[i] = res.probability
                method[i] = "refit"
    full_p = forecast.probabilities.values
    return xr.Dataset(
        {
            "probability_without": ((ITEM, SCENARIO), without),
            "shift": ((ITEM, SCENARIO), full_p[None, :] - without),
            "pareto_k": ((ITEM,), k_hat),
            "method": ((ITEM,), method),
        },
        coords={ITEM: list(base.data.item_ids), SCENARIO: base.scenarios},
        attrs={"kind": "evidence influence (importance reweighting)", "pareto_k_max": k_max},
    )
