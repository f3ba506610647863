"""Range of reasonable opinion: how far the answer moves if the judgements were another's.

Friedman and Zeckhauser's third dimension of analytic confidence. Every elicited likelihood (each
indicator under each scenario) has a stated 5%-95% band. For each of many draws, every one of
those judgements' centres is redrawn at once and independently: from its own elicited
distribution, within its band, spread kept (:meth:`~forecasting.kinds.base.Kind.redraw_centres`;
a categorical scenario's whole probability vector at once, every category within its band).
The exact ``P(S = k | E)`` under each draw is computed (vectorised over draws); its 5%-95% range
is the range of reasonable opinion. The scenarios' priors, the reliabilities and the noise
distributions are held: they have no stated band (the sensitivity analysis moves them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.constants import (
    OPINION_BUDGET,
    OPINION_DRAWS,
    OPINION_MCSE,
    OPINION_MIN_DRAWS,
)
from ..core.stats import normalise_log
from ..model.data import ModelData
from .precision import sample_until


@dataclass(frozen=True)
class OpinionRange:
    """The forecast under judgements redrawn within their bands."""

    lower: np.ndarray  # (K,)
    upper: np.ndarray  # (K,)
    mcse: np.ndarray  # (K, 2)
    p_leader_change: float  # share of draws whose leader differs from today's
    draws: int
    samples: np.ndarray  # (draws, K)


def opinion_range(
    data: ModelData,
    probability: np.ndarray,
    *,
    seed: int,
    draws: int = OPINION_DRAWS,
    max_draws: int = 4 * OPINION_DRAWS,
    target_mcse: float = OPINION_MCSE,
) -> OpinionRange:
    """Redraw every judgement within its band; add draws until each bound's MC error is small."""
    rng = np.random.default_rng(seed)
    # each draw is an exact posterior: on a large ledger under the truth mixture (thousands of
    # quadrature nodes per scenario) the draws are fewer, and the Monte Carlo error says so;
    # below OPINION_MIN_DRAWS the range is not computed (NaN), and the level cannot be high
    affordable = int(OPINION_BUDGET // _cost(data))
    if affordable < OPINION_MIN_DRAWS:
        k = data.n_scenarios
        nan = np.full(k, np.nan)
        return OpinionRange(nan, nan, np.full((k, 2), np.nan), np.nan, 0, np.zeros((0, k)))
    draws = min(draws, affordable)
    max_draws = min(max_draws, 4 * affordable)
    first = _draw(data, rng, draws)
    if not len(first):  # no draw could explain the evidence: the judgements as given stand
        first, max_draws = probability[None, :], 1
    pending = [first]

    def draw(m: int) -> np.ndarray:
        return pending.pop() if pending else _draw(data, rng, m)

    samples, bounds, mcse = sample_until(draw, len(first), max_draws, target_mcse)
    n = len(samples)
    leader = int(np.argmax(probability))
    return OpinionRange(
        lower=bounds[:, 0],
        upper=bounds[:, 1],
        mcse=mcse,
        p_leader_change=float(np.mean(np.argmax(samples, axis=1) != leader)),
        draws=n,
        samples=samples,
    )


def _cost(data: ModelData) -> float:
    """Terms one draw sums over: per indicator with evidence, scenarios x integration nodes."""
    total = 1.0
    for ind in data.indicators:
        if len(ind.item_ids):
            total += data.n_scenarios * ind.model.integration_size
    return total


def _draw(data: ModelData, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of the exact posterior under redrawn judgements, ``(n, K)``."""
    k = data.n_scenarios
    with np.errstate(divide="ignore"):
        log_joint = np.tile(np.log(data.prior), (n, 1))
    for ind in data.indicators:
        if not len(ind.item_ids):
            continue  # no evidence: its likelihoods cancel whatever they are
        rows = np.stack(
            [
                ind.kind.redraw_centres(ind, s, name, rng, n)
                for s, name in enumerate(data.scenarios)
            ],
            axis=1,
        )  # (n, K, P...)
        lm = ind.model.log_marginal(rows.reshape(n * k, *rows.shape[2:]))
        log_joint += np.nan_to_num(lm.reshape(n, k), nan=-np.inf)
    out = normalise_log(log_joint, axis=1)
    # a draw under which no scenario can explain the evidence (every likelihood underflows at
    # extreme parameters) says nothing: left out
    return out[np.all(np.isfinite(out), axis=1)]
