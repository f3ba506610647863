"""Likelihood families, in one place, used by both engines.

Each family pairs an observation model with its conjugate prior and works on *tempered
sufficient statistics*: an item of reliability ``w`` contributes ``w * log f(y | theta)``, so
the statistics are reliability-weighted sums and the tempered model stays conjugate.

===============  ======================  =====================  ==========================
family           observation             prior (per scenario)   statistics
===============  ======================  =====================  ==========================
``count``        ``Poisson(rate * t)``   ``Gamma(shape, rate)`` ``sum w y``, ``sum w t``
``binary``       ``Bernoulli(p)``        ``Beta(alpha, beta)``  ``sum w y``, ``sum w (1-y)``
``categorical``  ``Categorical(theta)``  ``Dirichlet(alpha)``   ``sum w [y = c]`` per c
===============  ======================  =====================  ==========================

Array conventions: prior and posterior parameters have shape ``(K, P)`` (``K`` scenarios; ``P``
is 2, or ``C`` categories for the Dirichlet); parameter draws have shape ``(N, K)`` or
``(N, K, C)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import special

_TINY = np.finfo(float).tiny


@dataclass(frozen=True)
class Family:
    """Base class; see the module docstring for conventions."""

    kind: ClassVar[str]
    #: Name of the parameter (the posterior variable's ``parameter`` attribute).
    parameter: ClassVar[str]

    # --- statistics -------------------------------------------------------------------------
    def stats(
        self, values: np.ndarray, weights: np.ndarray, exposures: np.ndarray, n_categories: int = 0
    ) -> np.ndarray:
        """Tempered sufficient statistics of a set of items (shape ``(P,)``)."""
        raise NotImplementedError

    def constant(self, values: np.ndarray, weights: np.ndarray, exposures: np.ndarray) -> float:
        """The tempered log-likelihood's part that does not depend on the parameter."""
        return 0.0

    # --- closed form ------------------------------------------------------------------------
    def log_marginal(self, prior: np.ndarray, stats: np.ndarray) -> np.ndarray:
        """``log integral prior(theta) prod f(y|theta)^w dtheta`` per scenario.

        ``prior`` is ``(K, P)``; ``stats`` is ``(P,)`` or a batch ``(..., P)``; the result is
        ``(K,)`` or ``(..., K)``. Excludes :meth:`constant`, the same for every scenario.
        """
        raise NotImplementedError

    def posterior(self, prior: np.ndarray, stats: np.ndarray) -> np.ndarray:
        """Conjugate posterior parameters, same shape as ``prior``."""
        raise NotImplementedError

    # --- draws and log-likelihoods ----------------------------------------------------------
    def draw(self, params: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws of the parameter for every scenario."""
        raise NotImplementedError

    def kernel(self, theta: np.ndarray, stats: np.ndarray) -> np.ndarray:
        """Tempered log-likelihood of all items without :meth:`constant`, shape ``(..., K)``."""
        raise NotImplementedError

    def item_loglik(
        self, theta: np.ndarray, values: np.ndarray, weights: np.ndarray, exposures: np.ndarray
    ) -> np.ndarray:
        """Each item's tempered log-likelihood ``w log f(y | theta_k)``, shape ``(..., K, n)``."""
        raise NotImplementedError

    def pt_kernel(self, theta: Any, stats: Any) -> Any:
        """PyTensor version of :meth:`kernel` for ``theta`` of shape ``(K,)`` or ``(K, C)``."""
        raise NotImplementedError

    def prior_mean(self, prior: np.ndarray) -> np.ndarray:
        """Mean of the parameter under ``prior`` (``(K,)`` or ``(K, C)``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class CountFamily(Family):
    """Poisson counts with exposure; Gamma(shape, rate) rate per unit exposure."""

    kind: ClassVar[str] = "count"
    parameter: ClassVar[str] = "rate"

    def stats(self, values, weights, exposures, n_categories=0):
        return np.array([np.dot(weights, values), np.dot(weights, exposures)], dtype=float)

    def constant(self, values, weights, exposures):
        y = np.asarray(values, dtype=float)
        return float(np.sum(weights * (special.xlogy(y, exposures) - special.gammaln(y + 1))))

    def log_marginal(self, prior, stats):
        a, b = prior[:, 0], prior[:, 1]
        s1, s2 = stats[..., 0, None], stats[..., 1, None]
        return (
            a * np.log(b) - special.gammaln(a) + special.gammaln(a + s1) - (a + s1) * np.log(b + s2)
        )

    def posterior(self, prior, stats):
        return np.stack([prior[:, 0] + stats[0], prior[:, 1] + stats[1]], axis=-1)

    def draw(self, params, rng, n):
        return rng.gamma(params[:, 0], 1.0 / params[:, 1], size=(n, params.shape[0]))

    def kernel(self, theta, stats):
        return special.xlogy(stats[0], theta) - stats[1] * theta

    def item_loglik(self, theta, values, weights, exposures):
        lam = theta[..., :, None] * exposures  # (..., K, n)
        y = np.asarray(values, dtype=float)
        return _temper(weights, special.xlogy(y, lam) - lam - special.gammaln(y + 1))

    def pt_kernel(self, theta, stats):
        import pytensor.tensor as pt

        return stats[0] * pt.log(theta) - stats[1] * theta

    def prior_mean(self, prior):
        return prior[:, 0] / prior[:, 1]


@dataclass(frozen=True)
class BinaryFamily(Family):
    """Bernoulli observations; Beta(alpha, beta) probability of ``true``."""

    kind: ClassVar[str] = "binary"
    parameter: ClassVar[str] = "probability"

    def stats(self, values, weights, exposures, n_categories=0):
        y = np.asarray(values, dtype=float)
        return np.array([np.dot(weights, y), np.dot(weights, 1.0 - y)], dtype=float)

    def log_marginal(self, prior, stats):
        a, b = prior[:, 0], prior[:, 1]
        s1, s0 = stats[..., 0, None], stats[..., 1, None]
        return special.betaln(a + s1, b + s0) - special.betaln(a, b)

    def posterior(self, prior, stats):
        return np.stack([prior[:, 0] + stats[0], prior[:, 1] + stats[1]], axis=-1)

    def draw(self, params, rng, n):
        k = params.shape[0]
        x = rng.gamma(params[:, 0], size=(n, k))
        y = rng.gamma(params[:, 1], size=(n, k))
        with np.errstate(invalid="ignore"):
            p = x / (x + y)
        # both gammas underflow only for tiny shapes: fall back to the mean
        bad = ~np.isfinite(p)
        if bad.any():
            mean = params[:, 0] / params.sum(axis=1)
            p = np.where(bad, mean, p)
        return p

    def kernel(self, theta, stats):
        return special.xlogy(stats[0], theta) + special.xlog1py(stats[1], -theta)

    def item_loglik(self, theta, values, weights, exposures):
        y = np.asarray(values, dtype=float)
        p = theta[..., :, None]
        return _temper(weights, special.xlogy(y, p) + special.xlog1py(1.0 - y, -p))

    def pt_kernel(self, theta, stats):
        import pytensor.tensor as pt

        return stats[0] * pt.log(theta) + stats[1] * pt.log1p(-theta)

    def prior_mean(self, prior):
        return prior[:, 0] / prior.sum(axis=1)


@dataclass(frozen=True)
class CategoricalFamily(Family):
    """Categorical observations; Dirichlet(alpha) category probabilities."""

    kind: ClassVar[str] = "categorical"
    parameter: ClassVar[str] = "probabilities"

    def stats(self, values, weights, exposures, n_categories=0):
        idx = np.asarray(values, dtype=int)
        return np.bincount(idx, weights=weights, minlength=n_categories).astype(float)

    def log_marginal(self, prior, stats):
        a0 = prior.sum(axis=1)
        n = stats.sum(axis=-1)[..., None]
        return (
            special.gammaln(a0)
            - special.gammaln(a0 + n)
            + np.sum(special.gammaln(prior + stats[..., None, :]) - special.gammaln(prior), axis=-1)
        )

    def posterior(self, prior, stats):
        return prior + stats[None, :]

    def draw(self, params, rng, n):
        g = rng.gamma(params, size=(n, *params.shape))
        total = g.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            theta = g / total
        bad = ~np.isfinite(theta).all(axis=-1)
        if bad.any():
            mean = params / params.sum(axis=-1, keepdims=True)
            theta = np.where(bad[..., None], np.broadcast_to(mean, theta.shape), theta)
        return theta

    def kernel(self, theta, stats):
        return np.sum(special.xlogy(stats, theta), axis=-1)

    def item_loglik(self, theta, values, weights, exposures):
        idx = np.asarray(values, dtype=int)
        picked = theta[..., idx]  # (..., K, n)
        return _temper(weights, special.xlogy(1.0, picked))

    def pt_kernel(self, theta, stats):
        import pytensor.tensor as pt

        return pt.sum(stats * pt.log(theta), axis=-1)

    def prior_mean(self, prior):
        return prior / prior.sum(axis=1, keepdims=True)


def _temper(weights: np.ndarray, loglik: np.ndarray) -> np.ndarray:
    """``w * loglik`` with ``0 * -inf = 0``: an item of weight 0 is no evidence at all."""
    with np.errstate(invalid="ignore"):
        out = weights * loglik
    return np.where(weights == 0, 0.0, out)


FAMILIES: dict[str, Family] = {
    f.kind: f for f in (CountFamily(), BinaryFamily(), CategoricalFamily())
}


def family(kind: str) -> Family:
    """The family of an indicator kind."""
    return FAMILIES[kind]
