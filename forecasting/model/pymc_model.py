"""The PyMC model of a question: the scenario marginalised out, evidence in ``pm.Data``.

The model (``pi`` and every indicator's per-scenario parameter are random variables)::

    pi ~ Dirichlet(c * prior)                                  dims: scenario
    theta_j ~ the kind's prior (elicited)                     dims: scenario[, j_category]
    log w_k = log pi_k + sum_j log-lik of indicator j's evidence under theta_kj
    Potential("evidence", logsumexp_k log w_k)                 # S marginalised out
    scenario_probability = softmax(log w)                      # Deterministic, dims: scenario

Under the tempered reliability model the evidence enters only through ``pm.Data`` (the
tempered sufficient statistics), so one compiled model serves any ledger of the same
question: use ``pm.set_data`` and sample again. Under the truth-mixture model
(:mod:`.mixture`) the log-likelihood is the same sum over origins' blocks, written with
``logaddexp`` (no discrete latent variables); its reports are constants of the graph (the
grouping of reports into origins and events is part of the model's structure).
With dynamics (``dynamics:`` in the question) the regime of each period is summed out by the
forward algorithm instead (:mod:`.pymc_dynamics`): ``scenario_probability`` is then
``P(S_T | E, pi, theta)`` at the resolution date and ``probability_now`` stands beside it.
PyMC is imported only when a model is built (by the MCMC engine or research code).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.dims import SCENARIO
from .data import ModelData

if TYPE_CHECKING:
    import pymc as pm


def evidence_swappable(data: ModelData) -> bool:
    """Whether a built model takes other evidence through ``pm.set_data`` (tempered, static)."""
    return data.timeline is None and all(
        ind.reliability_model != "mixture" for ind in data.indicators
    )


#: Why a truth-mixture model (or one with dynamics) cannot take other evidence in place.
NOT_SWAPPABLE = (
    "under reliability_model: mixture, or with dynamics, the reports are constants of the "
    "PyMC graph (their grouping into origins, events and periods is the model's structure): "
    "build the model again for the other evidence"
)


def data_names(data: ModelData) -> list[str]:
    """Names of the ``pm.Data`` containers that hold the evidence."""
    return [f"{ind.id}__{suffix}" for ind in data.indicators for suffix in ind.kind.pymc_stats(ind)]


def evidence_data(data: ModelData) -> dict[str, np.ndarray]:
    """Values for the evidence ``pm.Data`` containers (for ``pm.set_data``)."""
    return {
        f"{ind.id}__{suffix}": values
        for ind in data.indicators
        for suffix, (values, _) in ind.kind.pymc_stats(ind).items()
    }


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
        Not with dynamics (there is no one scenario to add it to: ``ValueError``).
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
        coords.update(ind.kind.coords(ind))
    if data.timeline is not None:
        if extra_loglik is not None:
            raise ValueError(
                "extra_loglik is a log-likelihood per scenario of a static question; with "
                "dynamics each period has its own regime: add the term to the model instead"
            )
        return _dynamic_model(data, parameters, coords, name)
    # Inside an enclosing ``with pm.Model():`` block this becomes a submodel (named ``name``).
    with pm.Model(coords=coords, name=name) as m:
        pi_alpha = pm.Data("pi__alpha", data.concentration * data.prior, dims=SCENARIO)
        pi = pm.Dirichlet("pi", a=pi_alpha, dims=SCENARIO)
        log_w = pt.log(pi)
        for ind in data.indicators:
            dims: tuple[str, ...] = (SCENARIO, *ind.kind.coords(ind))
            stats = [
                pm.Data(f"{ind.id}__{suffix}", values, dims=stat_dims or None)
                for suffix, (values, stat_dims) in ind.kind.pymc_stats(ind).items()
            ]
            if ind.id in parameters:
                theta = pm.Deterministic(ind.id, parameters[ind.id], dims=dims)
            else:
                theta = ind.kind.pymc_prior(ind, dims)
            if ind.reliability_model == "mixture":
                log_w = log_w + mixture_loglik(ind, theta)
            else:
                log_w = log_w + ind.kind.pt_kernel(theta, stats)
        if extra_loglik is not None:
            log_w = log_w + _per_scenario(extra_loglik(m), data.n_scenarios)
        pm.Potential("evidence", pm.math.logsumexp(log_w))
        pm.Deterministic("scenario_probability", pt.special.softmax(log_w), dims=SCENARIO)
    return m


def _per_scenario(term: Any, k: int) -> Any:
    """``extra_loglik``'s term as a tensor of shape ``(K,)``, or a ``ValueError`` saying why not.

    (Broadcast as it came, a term of another length would fail, or be added wrongly, only
    when the model is compiled.)
    """
    import pytensor.tensor as pt

    term = pt.as_tensor_variable(term)
    if term.ndim != 1 or term.type.shape[0] not in (None, k):
        shape = tuple("?" if d is None else d for d in term.type.shape)
        raise ValueError(
            f"extra_loglik must give one log-likelihood per scenario, shape ({k},); got a "
            f"tensor of shape {shape}"
        )
    return pt.specify_shape(term, (k,))


def _dynamic_model(data, parameters, coords, name) -> pm.Model:
    """The model of a question with dynamics (:mod:`.pymc_dynamics`)."""
    import pymc as pm

    from .pymc_dynamics import add_regimes

    with pm.Model(coords=coords, name=name) as m:
        pi_alpha = pm.Data("pi__alpha", data.concentration * data.prior, dims=SCENARIO)
        pi = pm.Dirichlet("pi", a=pi_alpha, dims=SCENARIO)
        thetas = {}
        for ind in data.indicators:
            dims: tuple[str, ...] = (SCENARIO, *ind.kind.coords(ind))
            if ind.id in parameters:
                thetas[ind.id] = pm.Deterministic(ind.id, parameters[ind.id], dims=dims)
            else:
                thetas[ind.id] = ind.kind.pymc_prior(ind, dims)
        add_regimes(data, pi, thetas)
    return m


def mixture_loglik(ind, theta):
    """The truth-mixture log-likelihood of an indicator's reports, per scenario (PyTensor)."""
    import pytensor.tensor as pt

    from . import mixture as mx
    from .pymc_dynamics import TensorAlgebra

    rep = ind.model.reports()
    if not rep.n_reports:
        return pt.zeros_like(theta[:, 0] if theta.ndim > 1 else theta)
    logf = ind.kind.pt_report_loglik(ind, theta, rep.value, rep.exposure)  # (K, R)
    total = 0.0
    order = rep.fast_order
    if len(order):
        a = rep.genuine[order]
        g = rep.log_noise[order]
        with np.errstate(divide="ignore"):
            log_a, log_1ma = np.log(a), np.log1p(-a)
        f = logf[:, order]
        groups = np.zeros((len(order), len(rep.fast_starts)))
        ends = [*rep.fast_starts[1:], len(order)]
        for o, (start, end) in enumerate(zip(rep.fast_starts, ends, strict=True)):
            groups[start:end, o] = 1.0
        # per origin, the sum of its reports' terms if it is genuine: a report certainly
        # genuine adds log f, one certainly false log g, the others the mixture
        sure, never = np.flatnonzero(a >= 1), np.flatnonzero(a <= 0)
        some = np.flatnonzero((a > 0) & (a < 1))
        s1 = pt.zeros((theta.shape[0], len(rep.fast_starts))) + g[never] @ groups[never]
        if len(sure):
            s1 = s1 + pt.dot(f[:, sure], groups[sure])
        if len(some):
            mixed = pt.logaddexp(log_a[some] + f[:, some], log_1ma[some] + g[some])
            s1 = s1 + pt.dot(mixed, groups[some])
        s0 = g @ groups  # (O,)
        rho = rep.origin_rho[rep.fast_origins]
        certain = np.flatnonzero(rho >= 1)
        if len(certain):
            total = total + s1[:, certain].sum(axis=1)
        total = total + float(s0[rho <= 0].sum())
        doubt = np.flatnonzero((rho > 0) & (rho < 1))
        if len(doubt):
            blocks = pt.logaddexp(
                np.log(rho[doubt]) + s1[:, doubt], np.log1p(-rho[doubt]) + s0[doubt]
            )
            total = total + blocks.sum(axis=1)
    for origins, events in rep.components:
        total = total + mx.component(rep, origins, events, TensorAlgebra(logf))
    return total
