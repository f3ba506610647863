"""The truth mixture of a categorical indicator on the nodes of :mod:`.cubature`.

:class:`CubatureMixture` is :class:`~.likelihood.Mixture` with its integral over the categories'
probabilities a cubature (:func:`.cubature.build`) instead of the exact polynomial, where that
polynomial would be too large (:func:`model_for` chooses). Every variant an analysis asks for
(another value, reliability, origin, noise or prior; an item left out) is ``log L`` changed at
the nodes and integrated again, never an array of every report at every node (2,000 reports at
100,000 nodes would be 1.6 GB); a variant of fewer than half the reports gets a cubature of its
own.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..core.constants import MAX_CUBATURE_CATEGORIES
from ..core.errors import InputError
from ..core.stats import logsumexp
from . import likelihood, methods
from . import mixture as mx
from .cubature import (
    Cubature,
    build,
    log_prior,
    log_theta_of,
    theta_of,
    z_of,
)
from .likelihood import Mixture

#: Where the search for modes starts at most: all reports, and the origins with the most.
MAX_STARTS = 25
#: The origins left out (and made wholly reliable) as the cubature's variants
#: (:meth:`CubatureMixture._family_at`): those of at least this share of the reports, at most
#: this many.
VARIANT_SHARE = 0.05
MAX_VARIANTS = 12
#: Numbers (points times reports) evaluated at once.
_CHUNK = 4_000_000


class CubatureMixture(Mixture):
    """:class:`~.likelihood.Mixture` integrated by :func:`build`'s cubature (categories).

    Used (:func:`model_for`) where the exact polynomial would be too large and the indicator
    has at most :data:`~forecasting.core.constants.MAX_CUBATURE_CATEGORIES` categories.
    """

    @property
    def _polynomial(self) -> bool:
        return False

    # --- log L at any theta, never an array of every report at every point -----------------
    def _fast_blocks_at(self, rep: mx.Reports, log_theta: np.ndarray) -> tuple | None:
        """Each fast origin's genuine sum and block ``(m, O_fast)`` at ``log theta`` ``(m, C)``."""
        if not len(rep.fast_order):
            return None
        value = np.asarray(rep.value, dtype=int)
        s1, s0 = mx.fast_sums(rep, lambda r: log_theta[:, value[r]])
        return s1, mx.blocks(rep, s1, s0)

    def _log_l_theta(
        self, rep: mx.Reports, theta: np.ndarray | None, log_theta: np.ndarray | None = None
    ) -> np.ndarray:
        """``log L`` of the reports ``rep`` at category probabilities ``theta`` ``(..., C)``.

        (``log_theta``: their logarithms, where at hand; ``theta`` may then be ``None``.)
        """
        if log_theta is None:
            with np.errstate(divide="ignore"):
                log_theta = np.log(theta)
        shape = log_theta.shape[:-1]
        log_theta = log_theta.reshape(-1, log_theta.shape[-1])
        if not rep.n_reports:
            return np.zeros(shape)
        step = max(1, _CHUNK // _width(rep))
        out = np.empty(len(log_theta))
        for start in range(0, len(log_theta), step):
            part = slice(start, start + step)
            parts = None if len(rep.components) else self._fast_blocks_at(rep, log_theta[part])
            blocks = None if parts is None else parts[1]
            if blocks is not None and np.all(np.isfinite(blocks) | np.isneginf(blocks)):
                out[part] = blocks.sum(axis=-1)
            else:
                out[part] = mx.log_likelihood(rep, self._logf(rep, np.exp(log_theta[part])))
        return out.reshape(shape)

    def _family_at(self, rep: mx.Reports, z: np.ndarray) -> np.ndarray:
        """``log L`` at ``z`` ``(m, d)``, and its variants: ``(m, 1 + 2 V)``.

        For each large origin, ``log L`` without it and with it wholly reliable.

        (The variants whose integrals :func:`build` must also get right: an origin of many
        reports left out, or made reliable, may move the likelihood's peak.)
        """
        log_theta = log_theta_of(z)
        sizes = np.diff(np.append(rep.fast_starts, len(rep.fast_order)))
        big = np.flatnonzero(sizes >= VARIANT_SHARE * rep.n_reports)
        big = big[np.argsort(-sizes[big], kind="stable")][:MAX_VARIANTS]
        if not len(big):
            return self._log_l_theta(rep, None, log_theta)[:, None]
        out = np.empty((len(z), 1 + 2 * len(big)))
        step = max(1, _CHUNK // _width(rep))
        for start in range(0, len(z), step):
            part = slice(start, start + step)
            s1, blocks = self._fast_blocks_at(rep, log_theta[part])
            if len(rep.components) or not np.all(np.isfinite(blocks) | np.isneginf(blocks)):
                log_l = self._log_l_theta(rep, None, log_theta[part])
            else:  # (as _log_l_theta, from the blocks at hand)
                log_l = blocks.sum(axis=-1)
            out[part, 0] = log_l
            s1, blocks = s1[:, big], blocks[:, big]
            with np.errstate(invalid="ignore"):
                rest = log_l[:, None] - blocks
                rest = np.where(np.isfinite(blocks), rest, -np.inf)
            out[part, 1 : 1 + len(big)] = rest
            out[part, 1 + len(big) :] = rest + s1
        return out

    def log_l_at(self, rep: mx.Reports, u: np.ndarray) -> np.ndarray:
        """``log L`` of the reports ``rep`` at the cubature's coordinates ``u`` ``(Q, d)``."""
        if "cubature" in self.__dict__ and u is self.cubature.z:  # the nodes: logs at hand
            return self._log_l_theta(rep, None, self.cubature.log_theta)
        log_theta = log_theta_of(u)
        return self._log_l_theta(rep, None, log_theta)

    def log_lik(self, theta: np.ndarray) -> np.ndarray:
        """``log L(theta)`` at category probabilities ``(..., K, C)``, exactly: ``(..., K)``."""
        return self._log_l_theta(self.reports(), theta)

    # --- the cubature in place of the quadrature grid --------------------------------------
    def _cubature_of(self, rep: mx.Reports, prior: np.ndarray) -> Cubature:
        """A cubature (:func:`build`) for the reports ``rep`` under the priors ``prior``."""
        c = prior.shape[1]
        counts = np.zeros((1 + len(rep.origin_names), c))
        np.add.at(counts, (0, np.asarray(rep.value, dtype=int)), 1.0)
        np.add.at(counts, (1 + rep.origin, np.asarray(rep.value, dtype=int)), 1.0)
        # all reports, and the origins with the most (each alone may be the only genuine one)
        counts = counts[np.argsort(-counts.sum(axis=1), kind="stable")[:MAX_STARTS]]
        counts = counts[counts.sum(axis=1) > 0]
        starts = z_of((counts + 0.5) / (counts + 0.5).sum(axis=1, keepdims=True))
        starts = np.unique(np.round(starts, 12), axis=0)
        return build(lambda z: self._family_at(rep, z), c - 1, prior, starts, self.ind.id)

    @cached_property
    def cubature(self) -> Cubature:
        """The nodes, weights, ``log L`` and sub-boxes (:func:`build`)."""
        return self._cubature_of(self.reports(), self.ind.prior)

    def _marginals(self, rep: mx.Reports, prior: np.ndarray | None = None) -> np.ndarray:
        """Log marginals of a set of reports ``(S,)``.

        On the nodes, or on a cubature of its own if it has fewer than half the reports (its
        likelihood may be much wider).
        """
        if not rep.n_reports or 2 * rep.n_reports >= self.reports().n_reports:
            return super()._marginals(rep, prior)
        return self._own(rep, prior)

    def _own(self, rep: mx.Reports, prior: np.ndarray | None = None) -> np.ndarray:
        """Log marginals of the reports ``rep`` on a cubature of their own, ``(S,)``.

        (On the forecast's nodes where that cubature does not converge: a variant an analysis
        tries is not worth failing the analysis for.)
        """
        try:
            own = self._cubature_of(rep, self.ind.prior if prior is None else prior)
        except InputError:
            return super()._marginals(rep, prior)
        prior = self.ind.prior if prior is None else prior
        return logsumexp(own.log_w[None, :] + log_prior(own.z, prior) + own.log_l[None, :], axis=1)

    @cached_property
    def grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
        """The cubature's nodes ``(Q, d)``, log weights and ``log L`` (ends unused)."""
        cub = self.cubature
        return cub.z, cub.log_w, cub.log_l, 0.0, 1.0

    def _prior_density(self, prior: np.ndarray) -> np.ndarray:
        """Log weight times prior density at the nodes ``(S, Q)`` (no tails: a closed cube)."""
        return self.cubature.log_w[None, :] + log_prior(self.cubature.z, prior)

    def _with_tails(self, log_l_nodes: np.ndarray) -> np.ndarray:
        return log_l_nodes

    def _many_priors(self, prior: np.ndarray) -> np.ndarray:
        return self._integrate(self.grid[2][None, :], prior)[0]

    @cached_property
    def _exact_terms(self):
        return None

    @cached_property
    def _noise_terms(self):
        return None

    @cached_property
    def _node_logf(self) -> np.ndarray:
        raise NotImplementedError("the cubature never holds every report at every node")

    def _component_of(self, i: int) -> tuple[int, int] | None:
        return None

    def _outcome_logf(self, outcomes: np.ndarray, exposure: float) -> np.ndarray:
        """``log f(y | theta)`` of each outcome at the nodes, ``(m, Q)``."""
        return self.cubature.log_theta[:, np.asarray(outcomes, dtype=int)].T

    # --- one origin's block at the nodes (its reports' terms by distinct report) -------------
    @cached_property
    def _blocks(self) -> tuple:
        """At the nodes: a fast report's term, origin sums ``(Q, O)``, blocks.

        (The term as a function of the report's position: never every report at every node.)
        """
        rep, log_theta = self.reports(), self.cubature.log_theta
        s1, s0 = mx.fast_sums(rep, lambda r: log_theta[:, np.asarray(rep.value[r], dtype=int)])

        def term(p: int) -> np.ndarray:
            r = rep.fast_order[p]
            with np.errstate(divide="ignore"):
                return np.logaddexp(
                    mx.safe_log(rep.genuine[r]) + log_theta[:, int(rep.value[r])],
                    mx.safe_log1m(rep.genuine[r]) + rep.log_noise[r],
                )

        return term, s1, s0, mx.blocks(rep, s1, s0)

    def _noise_log_l(self, rep: mx.Reports, g: np.ndarray) -> np.ndarray:
        """``log L`` at the nodes ``(m, Q)`` with each item's ``log g`` a row of ``g``."""
        z = self.cubature.z
        return np.array([self.log_l_at(self._build(self.ind, row), z) for row in g])

    # --- variants that the quadrature grid refines on panels of their own ------------------
    def with_outcomes(self, outcomes: np.ndarray, weight: float, exposure: float) -> np.ndarray:
        """Log marginals with one more report of each outcome, ``(m, K)`` (its own origin)."""
        outcomes = np.asarray(outcomes, dtype=float)
        log_g = self.log_noise(outcomes, np.full(len(outcomes), exposure))
        logf = self._outcome_logf(outcomes, exposure)
        with np.errstate(divide="ignore", invalid="ignore"):
            one = np.logaddexp(np.log(weight) + logf, np.log1p(-weight) + log_g[:, None])
        return self._integrate(self.grid[2][None, :] + one)

    def with_values(self, i: int, values: np.ndarray) -> np.ndarray:
        """Log marginals with item ``i``'s value replaced by each of ``values``, ``(m, K)``."""
        ind = self.ind
        values = np.asarray(values, dtype=float)
        log_g = self.log_noise(values, np.full(len(values), ind.exposures[i]))
        p = self._alone(i)
        if p is not None:
            a = np.full(len(values), self.reports().genuine[self.reports().item_report[i]])
            term = self._report_term(values, ind.exposures[i], a, log_g)
            out = self._grid_marginals(self._swap(i, p, term, log_g))
            if out is not None:
                return out
        rows = [self._value_refit(i, v, lg) for v, lg in zip(values, log_g, strict=True)]
        return np.array(rows).reshape(len(values), len(ind.prior))

    def with_origin(self, origin: str, values: np.ndarray) -> np.ndarray:
        """Log marginals with ``origin``'s reliability set to each of ``values``, ``(m, K)``.

        Its block is ``rho A + (1 - rho) B`` (``A``: its reports given it is right, ``B``: all
        of them false, a constant), so each marginal mixes two: with it wholly reliable (on the
        nodes) and without its reports (:meth:`without`: its own cubature if the rest are
        fewer than half). Origins linked by events: computed anew for each value.
        """
        ind, rep = self.ind, self.reports()
        values = np.asarray(values, dtype=float)
        mine = np.array([o == origin for o in ind.item_origins], dtype=bool)
        if not mine.any():
            return np.tile(self.log_marginal(), (len(values), 1))
        o = rep.origin_names.index(origin)
        where = np.flatnonzero(rep.fast_origins == o)
        if len(where):
            _, s1, s0, block = self._blocks
            g = int(where[0])
            reliable = self._grid_marginals(self.grid[2][None, :] - block[None, :, g] + s1[:, g])
            rest = self.without(mine) if (~mine).any() else np.zeros(len(ind.prior))
            if reliable is not None:
                with np.errstate(divide="ignore"):
                    return np.logaddexp(
                        np.log(values)[:, None] + reliable,
                        np.log1p(-values)[:, None] + s0[g] + rest[None, :],
                    )
        return self._origin_refits(mine, values)

    # --- the posterior as draws ------------------------------------------------------------
    def _posterior_draws(self, k: int, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws of scenario ``k``'s probabilities ``(size, C)``.

        A node by its posterior weight, then uniform in its part of its cell.
        """
        cub = self.cubature
        logp = self._density[k] + cub.log_l
        p = np.exp(logp - logp.max())
        pick = rng.choice(len(p), size=size, p=p / p.sum())
        z = cub.lo[pick] + (cub.hi[pick] - cub.lo[pick]) * rng.random((size, cub.z.shape[1]))
        return theta_of(z)

    def atoms(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Each scenario's posterior as ``size`` draws of equal weight (as the polynomial's)."""
        ind = self.ind
        k = len(ind.prior)
        if not len(ind.values):
            return super().atoms(rng, size)
        theta = np.stack([self._posterior_draws(s, rng, size) for s in range(k)])
        return theta, np.full((k, size), -np.log(size))


def _width(rep: mx.Reports) -> int:
    """Numbers per point :meth:`CubatureMixture._log_l_theta` holds at once."""
    if not len(rep.components) and rep.fast_distinct is not None:
        return len(rep.fast_distinct) + 2 * len(rep.fast_starts)
    return rep.n_reports + len(rep.fast_starts)


def by_cubature(terms: float, categories: int) -> bool:
    """Whether an exact polynomial of ``terms`` terms in ``categories`` is a cubature instead.

    Beyond the methods' ``cubature_from`` terms (:mod:`.methods`), or the polynomial's limit,
    for an indicator of at most :data:`~forecasting.core.constants.MAX_CUBATURE_CATEGORIES`
    categories (with more, the polynomial, refused beyond its limit).
    """
    limit = min(likelihood.MAX_POLYNOMIAL_TERMS, methods.cubature_from())
    return categories <= MAX_CUBATURE_CATEGORIES and terms > limit


def model_for(ind) -> Mixture:
    """The truth mixture for indicator data ``ind``: the cubature where it is needed.

    Where :func:`by_cubature` says so of its exact polynomial.
    """
    model = Mixture(ind)
    if (
        model.kind.integration != "polynomial"
        or not len(ind.values)
        or not by_cubature(model.polynomial_terms(), ind.prior.shape[1])
    ):
        return model
    out = CubatureMixture(ind)
    out.__dict__["_reports"] = model.reports()
    return out
