"""The tempered reliability model: an item of reliability ``w`` contributes ``w * log f``.

The interface every engine and analysis uses is described in :mod:`.likelihood`; here it is
answered with the kind's conjugate statistics (all closed form).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from .future import shared_grid

if TYPE_CHECKING:
    from .data import IndicatorData


class Tempered:
    """The first release's model: ``w * log f(y | theta)`` per item, conjugate statistics."""

    def __init__(self, ind: IndicatorData):
        self.ind = ind
        self.kind = ind.kind

    @cached_property
    def stats(self) -> np.ndarray:
        """The kind's tempered statistics of all items."""
        return self.kind.stats(self.ind)

    @cached_property
    def item_stats(self) -> np.ndarray:
        """Each item's tempered statistics, ``(n, P)``."""
        return self.kind.item_stats(self.ind)

    @property
    def constant(self) -> float:
        """The part of the log-likelihood that no scenario changes (not in the marginals)."""
        return self.kind.constant(self.ind)

    def _without(self, drop: np.ndarray) -> np.ndarray:
        # what is left after the subtraction, with its rounding (relative to the operands, so
        # also for statistics of any scale: a measured quantity's precision is 1e-14 at an sd
        # of 1e7) set to 0
        st = self.stats[None, :] - drop
        scale = np.maximum(np.abs(self.stats)[None, :], np.abs(drop))
        return np.where(np.abs(st) <= 1e-12 * scale, 0.0, st)

    #: Terms one log marginal sums (closed form: one).
    integration_size = 1
    log_marginal_size = 1
    #: No noise distribution: a likelihood's or a prior's judgement moves nothing else.
    moves_noise = False

    def log_marginal(self, prior: np.ndarray | None = None) -> np.ndarray:
        """Log marginal likelihood per row of ``prior`` (default: the scenarios'), no constant."""
        return self.kind.log_marginal(self.ind.prior if prior is None else prior, self.stats)

    def with_scenario(self, k: int, params: np.ndarray) -> np.ndarray:
        """Log marginals ``(m, K)`` with scenario ``k``'s parameters each row of ``params``."""
        out = np.tile(self.log_marginal(), (len(params), 1))
        out[:, k] = self.log_marginal(params)
        return out

    def loo(self) -> np.ndarray:
        """Log marginals without each item in turn, ``(n, K)``."""
        return self.kind.log_marginal(self.ind.prior, self._without(self.item_stats))

    def without(self, drop: np.ndarray) -> np.ndarray:
        """Log marginals without the items where ``drop`` is true, ``(K,)``."""
        removed = self.item_stats[drop].sum(axis=0) if len(drop) else 0.0
        return self.kind.log_marginal(self.ind.prior, self._without(removed)[0])

    def with_outcomes(self, outcomes: np.ndarray, weight: float, exposure: float) -> np.ndarray:
        """Log marginals with one more item of each value in ``outcomes``, ``(m, K)``."""
        st = self.stats[None, :] + self.kind.outcome_stats(self.ind, outcomes, weight, exposure)
        return self.kind.log_marginal(self.ind.prior, st)

    def predictive(self, outcomes: np.ndarray, exposure: float) -> np.ndarray:
        """``log p(y | E, S = k)`` of one more confirmed observation, ``(m, K)``."""
        return (
            self.with_outcomes(outcomes, 1.0, exposure)
            - self.log_marginal()[None, :]
            + self.kind.outcome_log_constant(self.ind, outcomes, exposure)[:, None]
        )

    def with_values(self, i: int, values: np.ndarray) -> np.ndarray:
        """Log marginals with item ``i``'s value replaced by each of ``values``, ``(m, K)``."""
        ind = self.ind
        new = self.kind.outcome_stats(ind, values, ind.weights[i], ind.exposures[i])
        st = self.kind.clip_stats(self.stats[None, :] - self.item_stats[i][None, :] + new)
        return self.kind.log_marginal(ind.prior, st)

    def with_weight(self, i: int, weights: np.ndarray) -> np.ndarray:
        """Log marginals with item ``i``'s reliability set to each of ``weights``, ``(m, K)``."""
        ind = self.ind
        if ind.weights[i] > 0:
            unit = self.item_stats[i] / ind.weights[i]
        else:
            w = np.zeros_like(ind.weights)
            w[i] = 1.0
            unit = self.kind.item_stats(replace(ind, weights=w))[i]
        st = self.stats[None, :] + (weights - ind.weights[i])[:, None] * unit[None, :]
        return self.kind.log_marginal(ind.prior, self.kind.clip_stats(st))

    def log_lik(self, theta: np.ndarray) -> np.ndarray:
        """Log-likelihood (no constant) at parameter values ``theta`` ``(..., K[, C])``."""
        return self.kind.kernel(theta, self.stats)

    def item_log_lik(self, theta: np.ndarray) -> np.ndarray:
        """Each item's log-likelihood at ``theta``, ``(..., K, n)``."""
        return self.kind.item_loglik(theta, self.ind)

    def item_loo_log_lik(self, theta: np.ndarray) -> np.ndarray:
        """``log L(theta) - log L_{-i}(theta)`` for each item: its own log-likelihood."""
        return self.item_log_lik(theta)

    def tail(
        self, value: Any, exposure: float | None, weights: np.ndarray, genuine: float = 1.0
    ) -> tuple[np.ndarray, float]:
        """Predictive tail probability of one more observation, per scenario and mixed.

        (Of a confirmed one: the tempered model's predictive has no place for reliability.)
        """
        return self.kind.tail(self.ind, value, exposure, weights)

    def atoms(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Each scenario's posterior of the parameter as weighted atoms (:mod:`.future`).

        A scalar parameter: nodes shared by every scenario (:func:`~.future.shared_grid`);
        categorical probabilities: ``size`` draws of equal weight.
        """
        ind = self.ind
        params = self.kind.posterior(ind.prior, self.stats) if len(ind.item_ids) else ind.prior
        if self.kind.integration == "quadrature":
            centre, scale = self.kind.u_location(params)
            if np.all(np.isfinite(centre)) and np.all(np.isfinite(scale) & (scale > 0)):
                return shared_grid(ind, params)
        theta = np.moveaxis(self.kind.draw(params, rng, size), 0, 1)
        return theta, np.full(theta.shape[:2], -np.log(size))

    def draw(self, scenario: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Parameters per draw: the drawn scenario's from its posterior, the others' priors."""
        ind = self.ind
        theta = self.kind.draw(ind.prior, rng, len(scenario))
        if len(ind.item_ids):
            posterior = self.kind.posterior(ind.prior, self.stats)[scenario]
            theta[np.arange(len(scenario)), scenario] = self.kind.draw(posterior, rng, 1)[0]
        return theta
