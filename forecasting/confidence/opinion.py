"""Range of reasonable opinion: how far the answer moves if the judgements were another's.

Friedman and Zeckhauser's third dimension of analytic confidence. Every elicited likelihood (each
indicator under each scenario) has a stated 5%-95% band. For each of many draws, every one of
those judgements' centres is redrawn at once and independently: from its own elicited
distribution, within its band, spread kept (:meth:`~forecasting.kinds.base.Kind.redraw_centres`;
a categorical scenario's whole probability vector at once, every category the evidence names
within its band, the others as one).
The exact ``P(S = k | E)`` under each draw is computed (vectorised over draws); its 5%-95% range
is the range of reasonable opinion. The scenarios' priors, the reliabilities and the noise
distributions are held: they have no stated band (the sensitivity analysis moves them).

With dynamics (:mod:`forecasting.model.dynamics`) the range is of ``P(S_T = k | E)``, the
probability at resolution: each draw re-weighs the engine's regime paths exactly
(:class:`~.paths.PathSet`) under the redrawn likelihoods and, since the transition matrix is
elicited too, under redrawn stay probabilities: each scenario's stay probability strictly
between 0 and 1 has its odds multiplied by a factor drawn from a log-normal truncated to its
5%-95% band, halved to doubled (the band the judgement sensitivity moves it over), the
leaving probabilities scaled to keep their proportions. A stay of 0 or 1 is held: it says
what a regime can do at all (a regime that, once reached, stays), not how likely it is;
with every ``stay: 1`` the range is the static one, draw for draw. The stays are redrawn
from a generator of their own, so the likelihoods' draws are the static measure's.
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
from ..model.dynamics import DynamicPosterior
from .paths import PathSet
from .precision import sample_until

#: The 5%-95% band of a redrawn stay probability's odds: halved to doubled.
STAY_ODDS_BAND = 2.0


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
    dynamic: DynamicPosterior | None = None,
) -> OpinionRange:
    """Redraw every judgement within its band; add draws until each bound's MC error is small.

    ``dynamic``: the question's dynamic posterior (the range is then of ``P(S_T)``).
    """
    rng = np.random.default_rng(seed)
    paths = None
    if dynamic is not None and dynamic.periods:
        paths = PathSet(data, dynamic)
        stays = np.random.default_rng([seed, 2])

        def _one(m: int) -> np.ndarray:
            return _draw_dynamic(data, paths, rng, stays, m)

    elif dynamic is not None:  # no evidence: only the stays move it
        stays = np.random.default_rng([seed, 2])

        def _one(m: int) -> np.ndarray:
            return _no_evidence(data, stays, m)

    else:

        def _one(m: int) -> np.ndarray:
            return _draw(data, rng, m)

    # each draw is an exact posterior: on a large ledger under the truth mixture (thousands of
    # quadrature nodes per scenario) the draws are fewer, and the Monte Carlo error says so;
    # below OPINION_MIN_DRAWS the range is not computed (NaN), and the level cannot be high
    affordable = int(OPINION_BUDGET // (_cost(data) if paths is None else paths.cost()))
    if affordable < OPINION_MIN_DRAWS:
        k = data.n_scenarios
        nan = np.full(k, np.nan)
        return OpinionRange(nan, nan, np.full((k, 2), np.nan), np.nan, 0, np.zeros((0, k)))
    draws = min(draws, affordable)
    max_draws = min(max_draws, 4 * affordable)
    first = _one(draws)
    if not len(first):  # no draw could explain the evidence: the judgements as given stand
        first, max_draws = probability[None, :], 1
    pending = [first]

    def draw(m: int) -> np.ndarray:
        return pending.pop() if pending else _one(m)

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
    """Terms one draw sums over: per indicator with evidence, scenarios x its log marginal's.

    (Closed-form terms, quadrature nodes or polynomial terms: ``log_marginal_size``.)
    """
    total = 1.0
    for ind in data.indicators:
        if len(ind.item_ids):
            total += data.n_scenarios * ind.model.log_marginal_size
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


def _redrawn_priors(data: ModelData, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Each indicator with evidence: its priors with every centre redrawn, ``(n, K, P...)``."""
    return {
        ind.id: np.stack(
            [
                ind.kind.redraw_centres(ind, s, name, rng, n)
                for s, name in enumerate(data.scenarios)
            ],
            axis=1,
        )
        for ind in data.indicators
        if len(ind.item_ids)
    }


def redraw_stays(matrix: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray | None:
    """``n`` transition matrices ``(n, K, K)`` with the stay probabilities redrawn.

    Each stay strictly between 0 and 1: its odds times a factor, log-normal with its 5%-95%
    band at :data:`STAY_ODDS_BAND` either way, truncated to that band; the row's leaving
    probabilities keep their proportions. ``None`` where no stay can move.
    """
    stay = np.diag(matrix)
    free = np.flatnonzero((stay > 0.0) & (stay < 1.0))
    if not len(free):
        return None
    reach = np.log(STAY_ODDS_BAND)
    z = rng.normal(0.0, reach / 1.6448536269514722, size=(n, len(free)))
    while np.any(np.abs(z) > reach):  # truncated to the band
        out = np.abs(z) > reach
        z[out] = rng.normal(0.0, reach / 1.6448536269514722, size=int(out.sum()))
    odds = stay[free] / (1.0 - stay[free]) * np.exp(z)
    v = odds / (1.0 + odds)  # (n, F)
    out = np.repeat(matrix[None, :, :], n, axis=0)
    for j, k in enumerate(free):
        leave = matrix[k].copy()
        leave[k] = 0.0
        out[:, k, :] = leave[None, :] * ((1.0 - v[:, j]) / leave.sum())[:, None]
        out[:, k, k] = v[:, j]
    return out


def _draw_dynamic(
    data: ModelData,
    paths: PathSet,
    rng: np.random.Generator,
    stays: np.random.Generator,
    n: int,
) -> np.ndarray:
    """``n`` draws of ``P(S_T | E)`` under redrawn judgements and stays, ``(n, K)``."""
    priors = _redrawn_priors(data, rng, n)
    matrices = redraw_stays(data.timeline.matrix, stays, n)
    with np.errstate(invalid="ignore"):
        log_w = paths.log_prior()[None, :] + paths.log_moves(matrices) + paths.log_lik(priors)
    ok = np.any(np.isfinite(log_w), axis=1)
    if matrices is not None:
        matrices = matrices[ok]
    out = paths.at_resolution(log_w[ok], matrices)
    return out[np.all(np.isfinite(out), axis=1)]


def _no_evidence(data: ModelData, stays: np.random.Generator, n: int) -> np.ndarray:
    """``P(S_T)`` without evidence under redrawn stays: the prior moved to the resolution date."""
    tl = data.timeline
    matrices = redraw_stays(tl.matrix, stays, n)
    if matrices is None:
        return np.tile(data.prior @ tl.power(tl.now), (n, 1))
    return np.einsum("k,nkj->nj", data.prior, np.linalg.matrix_power(matrices, tl.now))
