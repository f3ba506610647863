"""The exact engine: closed-form posterior plus i.i.d. draws of the joint posterior.

``P(S = k | E)`` is proportional to ``prior_k * prod_j m_kj`` where ``m_kj`` is the conjugate
marginal likelihood of indicator ``j``'s tempered statistics under scenario ``k``. For the
credible interval, draws of ``(S, pi, theta)`` come from the joint posterior exactly: ``S`` from
its posterior; the drawn scenario's parameters from their conjugate posteriors, the others from
their priors; ``pi`` from ``Dirichlet(c * prior + e_S)``. For each draw the conditional
``P(S = k | E, pi, theta)`` is computed; its posterior mean is the point value and its 5%-95%
range the interval.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..core.constants import EXACT_DRAWS
from ..core.stats import normalise_log
from ..model import dynamics
from ..model.data import ModelData
from .common import EngineResult, conditional_probability


@dataclass(frozen=True)
class ExactPosterior:
    """Closed-form results."""

    probability: np.ndarray  # (K,)
    log_marginal: np.ndarray  # (K,) log p(E | S = k), all indicators
    log_evidence: float  # log p(E)
    #: With dynamics: ``P(S_now = k | E)`` (``probability`` is then at the resolution date).
    now: np.ndarray | None = None


def exact_posterior(data: ModelData) -> ExactPosterior:
    """Closed-form scenario posterior, in log space (with dynamics: :mod:`..model.dynamics`)."""
    if data.timeline is not None:
        dyn = dynamics.posterior(data)
        return ExactPosterior(dyn.probability, dyn.log_marginal, dyn.log_evidence, dyn.now)
    log_m = data.log_marginals().sum(axis=0) if data.indicators else np.zeros(data.n_scenarios)
    with np.errstate(divide="ignore"):
        log_joint = np.log(data.prior) + log_m
    probability = normalise_log(log_joint)
    top = np.max(log_joint)
    log_evidence = float(top + np.log(np.sum(np.exp(log_joint - top))))
    return ExactPosterior(probability, log_m, log_evidence)


def draw_joint(
    data: ModelData, probability: np.ndarray, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """I.i.d. draws of ``(S, log pi, theta)`` from the joint posterior.

    Returns ``scenario`` of shape ``(draws,)``, ``log_pi`` ``(draws, K)`` and ``thetas``
    mapping indicator id to ``(draws, K)`` or ``(draws, K, C)``.
    """
    scenario = rng.choice(data.n_scenarios, size=draws, p=probability)
    log_pi = draw_log_pi(data.concentration, data.prior, scenario, rng)
    # the drawn scenario's parameters from their posterior, the others' from their priors
    thetas = {ind.id: ind.model.draw(scenario, rng) for ind in data.indicators}
    return scenario, log_pi, thetas


def draw_log_pi(
    concentration: float, prior: np.ndarray, scenario: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """``log pi`` given each draw's scenario: ``Dirichlet(concentration * prior + e_S)``.

    (Given ``S``, ``pi`` does not depend on the parameters ``theta``, nor they on the
    concentration.)
    """
    draws, k = len(scenario), len(prior)
    chosen = np.zeros((draws, k), dtype=bool)
    chosen[np.arange(draws), scenario] = True
    g = rng.gamma(concentration * np.asarray(prior)[None, :] + chosen)
    with np.errstate(divide="ignore"):
        log_g = np.log(g)
    top = np.max(log_g, axis=1, keepdims=True)
    return log_g - (top + np.log(np.sum(np.exp(log_g - top), axis=1, keepdims=True)))


def run(
    data: ModelData, *, draws: int = EXACT_DRAWS, seed: int | None = None, lazy: bool = False
) -> EngineResult:
    """Run the exact engine.

    ``lazy``: the closed form now, the draws (and what comes of them: the interval if the
    parameters were known, the Rao-Blackwell check) when first asked for
    (:attr:`~.common.EngineResult.drawn`): a forecast read for its table never makes them
    (30 ms of the bundled question's ``forecast run``, a sixth of its computing). The same
    draws either way: the closed form takes no random numbers.
    """
    if data.timeline is not None:
        post = dynamics.posterior(data)
        closed = ExactPosterior(post.probability, post.log_marginal, post.log_evidence, post.now)

        def make() -> EngineResult:
            return _drawn_dynamic(data, post, closed, draws, seed)
    else:
        closed = exact_posterior(data)

        def make() -> EngineResult:
            return _drawn(data, closed, draws, seed)

    if not lazy:
        return make()
    return EngineResult(
        engine="exact",
        probability=closed.probability,
        mcse=np.zeros(data.n_scenarios),
        posterior={},
        diagnostics={"draws": draws, "log_evidence": closed.log_evidence},
        settings={"draws": draws, "chains": 1},
        log_marginal=closed.log_marginal,
        now=closed.now,
        drawn=functools.cache(make),
    )


def _drawn(data: ModelData, closed: ExactPosterior, draws: int, seed: int | None) -> EngineResult:
    """The exact engine's result with its draws of the joint posterior."""
    rng = np.random.default_rng(seed)
    scenario, log_pi, thetas = draw_joint(data, closed.probability, draws, rng)
    rb = conditional_probability(data, log_pi, thetas)
    undefined = ~np.all(np.isfinite(rb), axis=1)
    if undefined.any():
        # every scenario's likelihood underflowed to 0 for these draws (extreme parameters):
        # the conditional is undefined there; the drawn scenario is its limit
        rb[undefined] = np.eye(data.n_scenarios)[scenario[undefined]]
    return _result(data, closed, np.exp(log_pi), rb, thetas, {})


def _result(data, closed, pi, rb, thetas, extra: dict, now=None) -> EngineResult:
    """The engine's result from the exact answer and the draws of ``(pi, P(S | E, ...), theta)``.

    The diagnostics check the Rao-Blackwell identity: the draws' mean equals the exact value.
    """
    draws = len(rb)
    mc_mean = rb.mean(axis=0)
    mc_se = rb.std(axis=0, ddof=1) / np.sqrt(draws)
    diagnostics = {
        "draws": draws,
        "rao_blackwell_max_z": float(
            np.max(np.abs(mc_mean - closed.probability) / np.maximum(mc_se, 1e-300))
        ),
        "log_evidence": closed.log_evidence,
        **extra,
    }
    posterior = {"pi": pi[None], "scenario_probability": rb[None]}
    posterior.update({name: value[None] for name, value in thetas.items()})
    return EngineResult(
        engine="exact",
        probability=closed.probability,
        mcse=np.zeros(data.n_scenarios),
        posterior=posterior,
        sample_stats={"diverging": np.zeros((1, draws), dtype=bool)},
        diagnostics=diagnostics,
        settings={"draws": draws, "chains": 1},
        log_marginal=closed.log_marginal,
        now=now,
    )


def _drawn_dynamic(
    data: ModelData,
    post: dynamics.DynamicPosterior,
    closed: ExactPosterior,
    draws: int,
    seed: int | None,
) -> EngineResult:
    """The exact engine's result on a question with dynamics (:mod:`..model.dynamics`)."""
    pi, rb, thetas = dynamics.draws(data, post, draws, np.random.default_rng(seed))
    tl = data.timeline
    extra = {
        "dynamics": {
            "paths": post.n_paths,
            "dropped": post.dropped,
            "periods_with_evidence": len(post.periods),
            "period_days": tl.period_days,
            "periods_to_resolution": tl.now,
            "now": post.now.tolist(),
            "method": "regime paths built forward (dropped: the posterior mass pruned); theta "
            "integrated over each path's shares as in the static model",
        },
    }
    return _result(data, closed, pi, rb, thetas, extra, now=post.now)
