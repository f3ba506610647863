"""How an indicator's evidence enters the model: the reliability models, behind one interface.

Two models of what a report's reliability means (``reliability_model:`` in the question):

* ``tempered`` (:class:`~.tempered.Tempered`): an item of reliability ``w`` contributes
  ``w * log f``; the evidence is the kind's conjugate statistics, integrated in closed form.
  Kept so that every forecast made with it still verifies.
* ``mixture`` (:class:`Mixture`): reliability is the probability that a report is genuine
  (:mod:`.mixture`); relayed copies count once, one origin's reports stand or fall together,
  and no report can move a Bayes factor beyond what its reliability allows. The integral over
  the parameter is exact for the categorical kind (the likelihood is a polynomial) and by
  adaptive Gauss-Legendre quadrature for the others.

Engines and analyses ask an indicator's :attr:`~forecasting.model.data.IndicatorData.model`
for what they need (log marginal likelihoods under other priors, without items, with other
values or one more observation; the log-likelihood at parameter draws; posterior draws) and
never look inside.

Why this module is long: :class:`Mixture` is the whole interface for the truth mixture, and
each variant an analysis asks for (another value, reliability, origin reliability or noise; a
scenario's parameters or prior, which move a default noise; a report left out) has its
shortcut on the quadrature grid or polynomial next to the refit it must equal. Split, each
shortcut would sit apart from the integral it reuses. (The panels a narrow report needs, one
more or an item's value swapped, are in :mod:`.spikes`.)
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.constants import MAX_CUBATURE_CATEGORIES
from ..core.errors import InputError, Problem
from ..core.stats import log_matmul_exp, logsumexp, scaled_exp
from . import mixture as mx
from . import noise_terms, spikes
from .components import Components
from .future import log_noise, log_noise_rows
from .quadrature import adaptive_grid

if TYPE_CHECKING:
    from .data import IndicatorData

#: Above this many prior rows, :meth:`Mixture.log_marginal` integrates over the nodes where the
#: likelihood is not negligible (:data:`_NEGLIGIBLE` nats below its top) only.
_MANY_PRIORS = 256
_NEGLIGIBLE = 60.0
#: Terms (subsets of reports that may be genuine) up to which :meth:`Mixture.log_marginal`
#: sums closed-form conjugate marginals, not the quadrature grid's hundreds of nodes per
#: scenario: the bundled question's opinion range (its 16,000 redrawn priors; one or two
#: reports per indicator), 0.24 -> 0.2 s of `forecast run` in process.
_EXACT_TERMS = 64
#: Report-by-node terms of noise variants computed at once (160 MB).
_PIECE_TERMS = 20_000_000
#: The largest polynomial (terms) the exact categorical integral builds.
MAX_POLYNOMIAL_TERMS = 4_000_000
#: The most categories named by reports it builds one for (the polynomial has an array axis per
#: category a report names, one more for a report to come, and sums stack polynomials on one
#: more: numpy allows 64 axes). The categories no report names are not axes: only their total
#: concentration enters (Dirichlet aggregation), so a 1,000-category indicator whose reports
#: name a few categories is exact and cheap.
MAX_POLYNOMIAL_CATEGORIES = 60
#: What to do about a polynomial too large. (Not ``--engine mcmc``: the MCMC engine checks its
#: answer against the exact one, and the confidence and the analyses are exact, so it is
#: refused the same way.)
TOO_LARGE_ADVICE = (
    "state `reliability_model: tempered` in the question, or give the reports of one event "
    "the same `event:` (they then count once)"
)
#: Above this many report-by-parameter terms, ``log L`` at parameter draws is interpolated.
#: (A spline through the grid: on 15,200 reports in 38 indicators the exact engine's 4,000
#: draws x 12 scenarios took 23 s exactly.)
_EXACT_EVALUATIONS = 2_000_000


class Mixture:
    """Reliability as the probability that a report is genuine (:mod:`.mixture`)."""

    constant = 0.0

    def __init__(self, ind: IndicatorData):
        self.ind = ind
        self.kind = ind.kind

    # --- the reports -----------------------------------------------------------------------
    def log_noise(
        self, values: np.ndarray, exposures: np.ndarray, noise: np.ndarray | None = None
    ) -> np.ndarray:
        """``log g(y)``, the noise distribution of false reports.

        The predictive of the indicator's ``noise:`` if stated; otherwise the scenarios' prior
        predictives averaged by the scenarios' prior probabilities.
        """
        return log_noise(self.ind, values, exposures, noise)

    @cached_property
    def item_noise(self) -> np.ndarray:
        """``log g`` of each item's value."""
        ind = self.ind
        exposures = ind.exposures if ind.noise_exposures is None else ind.noise_exposures
        return self.log_noise(ind.values, exposures) if len(ind.values) else np.zeros(0)

    @cached_property
    def _reports(self) -> mx.Reports:
        return self._build(self.ind, self.item_noise)

    def reports(self) -> mx.Reports:
        """The indicator's reports (:class:`~forecasting.model.mixture.Reports`)."""
        return self._reports

    def _build(self, ind: IndicatorData, noise: np.ndarray) -> mx.Reports:
        return mx.build_reports(
            ind.values,
            ind.exposures,
            ind.item_credibility,
            ind.item_relay,
            ind.item_origins,
            ind.item_origin_weights,
            ind.item_events,
            noise,
        )

    def _logf(self, rep: mx.Reports, theta: np.ndarray) -> np.ndarray:
        """Each report's ``log f(v_r | theta)``: ``(..., K, R)`` for ``theta`` ``(..., K[, C])``."""
        d = rep.distinct
        view = replace(
            self.ind,
            item_ids=tuple(str(r) for r in range(len(d))),
            values=rep.value[d],
            weights=np.ones(len(d)),
            exposures=rep.exposure[d],
        )
        return self.kind.item_loglik(theta, view)[..., rep.report_distinct]

    def report_logf(self, theta: np.ndarray) -> np.ndarray:
        """Each report's ``log f(v_r | theta)``, ``(..., K, R)`` (reports as :meth:`reports`)."""
        return self._logf(self.reports(), theta)

    # --- the integral over the parameter ---------------------------------------------------
    @property
    def _polynomial(self) -> bool:
        return self.kind.integration == "polynomial"

    @cached_property
    def _axes(self) -> np.ndarray:
        """The categories the polynomials have an axis for: those the items name, in order."""
        return np.unique(np.asarray(self.ind.values, dtype=int))

    def _axes_of(self, values: np.ndarray) -> np.ndarray:
        """:attr:`_axes`, and any other category among ``values`` (an item's value swapped)."""
        values = np.asarray(values, dtype=int)
        if np.isin(values, self._axes).all():
            return self._axes
        return np.union1d(self._axes, values)

    def _poly_marginal(self, prior: np.ndarray, rep: mx.Reports) -> np.ndarray:
        """Log marginals per row of ``prior`` of the reports ``rep``, ``(S,)``."""
        axes = self._axes_of(rep.value)
        return self.kind.polynomial_log_marginal(prior, self._poly(rep, axes), axes)

    def _poly(self, rep: mx.Reports, axes: np.ndarray) -> np.ndarray:
        """``L`` of the reports ``rep`` as a polynomial with an axis per category of ``axes``."""
        c = len(axes)
        if c > MAX_POLYNOMIAL_CATEGORIES:
            raise InputError(
                [
                    Problem(
                        None,
                        None,
                        "reliability_model",
                        f"indicator '{self.ind.id}': the truth mixture's exact integral over "
                        f"reports naming {c} categories is not built (at most "
                        f"{MAX_POLYNOMIAL_CATEGORIES}); {TOO_LARGE_ADVICE}",
                    )
                ]
            )
        value = np.searchsorted(axes, np.asarray(rep.value, dtype=int))
        terms = self.polynomial_terms(rep, axes)
        if terms > MAX_POLYNOMIAL_TERMS:
            raise InputError(
                [
                    Problem(
                        None,
                        None,
                        "reliability_model",
                        f"indicator '{self.ind.id}': the exact integral of {rep.n_reports} "
                        f"unreliable categorical reports needs {terms:.3g} terms (at most "
                        f"{MAX_POLYNOMIAL_TERMS:.0e}; a cubature replaces it for an indicator "
                        f"of at most {MAX_CUBATURE_CATEGORIES} categories, and this one has "
                        f"{self.ind.prior.shape[1]}); {TOO_LARGE_ADVICE}",
                    )
                ]
            )
        return mx.whole(rep, mx.PolynomialAlgebra(value, c))

    def polynomial_terms(self, rep: mx.Reports | None = None, axes=None) -> float:
        """Terms of the exact polynomial of the reports ``rep`` (default: all of them).

        (Its degree in each category is the number of events reported in it.)
        """
        rep = self.reports() if rep is None else rep
        axes = self._axes if axes is None else axes
        value = np.searchsorted(axes, np.asarray(rep.value, dtype=int))
        degrees = [len(np.unique(rep.event[value == k])) for k in range(len(axes))]
        return float(np.prod([d + 1.0 for d in degrees]))

    @cached_property
    def _base_poly(self) -> np.ndarray:
        return self._poly(self.reports(), self._axes)

    @cached_property
    def grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
        """Quadrature grid: nodes ``u``, log weights, base ``log L`` at the nodes, ends."""
        return adaptive_grid(self)

    def log_l_at(self, rep: mx.Reports, u: np.ndarray) -> np.ndarray:
        """``log L`` of the reports ``rep`` at coordinates ``u`` of the parameter (the grid's)."""
        theta = self.kind.theta_from_u(u)[:, None]
        return mx.log_likelihood(rep, self._logf(rep, theta)[:, 0, :])

    def _integrate(self, log_l: np.ndarray, prior: np.ndarray | None = None) -> np.ndarray:
        """``log int prior(u) L(u) du`` for rows of ``log_l`` ``(m, Q + 2)`` (tails last)."""
        # one matrix product, not an (m, S, Q) array: the surprise check's 20,001 outcomes of a
        # measured value at 300 scenarios would need 84 GiB
        if prior is None:
            return log_matmul_exp(log_l, self._density, self._density_scaled)  # (m, S)
        return log_matmul_exp(log_l, self._prior_density(prior))

    def _prior_density(self, prior: np.ndarray) -> np.ndarray:
        """Log quadrature weight times prior density at the nodes, and the tails: ``(S, Q + 2)``."""
        u, log_w, _, lo, hi = self.grid
        return np.concatenate(
            [
                log_w[None, :] + self.kind.log_prior_u(u, prior),
                self.kind.log_prior_tails(prior, lo, hi),
            ],
            axis=1,
        )

    @cached_property
    def _density(self) -> np.ndarray:
        return self._prior_density(self.ind.prior)

    @cached_property
    def _density_scaled(self) -> tuple[np.ndarray, np.ndarray]:
        return scaled_exp(self._density)

    def _with_tails(self, log_l_nodes: np.ndarray) -> np.ndarray:
        """``log L`` at the nodes plus its values at the two ends (for the prior's tails)."""
        return np.concatenate([log_l_nodes, log_l_nodes[..., :1], log_l_nodes[..., -1:]], axis=-1)

    def _marginals(self, rep: mx.Reports, prior: np.ndarray | None = None) -> np.ndarray:
        """Log marginals per scenario of a set of reports, ``(K,)`` (priors: the scenarios')."""
        if self._polynomial:
            return self._poly_marginal(self.ind.prior if prior is None else prior, rep)
        u = self.grid[0]
        return self._integrate(self._with_tails(self.log_l_at(rep, u))[None, :], prior)[0]

    # --- the interface ---------------------------------------------------------------------
    @property
    def integration_size(self) -> int:
        """Terms one log marginal sums: quadrature nodes, or the polynomial's terms."""
        if not len(self.ind.values):
            return 1
        if self._polynomial:
            return int(np.isfinite(self._base_poly).sum())
        return len(self.grid[0])

    @property
    def log_marginal_size(self) -> int:
        """Terms :meth:`log_marginal` sums per row of priors.

        The closed-form terms where :meth:`_exact_terms` applies (a few reports), else
        :attr:`integration_size`: what the range of reasonable opinion costs per redrawn
        prior (a 300-scenario question's indicators of five reports: 32 terms, not some 1,000
        quadrature nodes).
        """
        terms = self._exact_terms
        return self.integration_size if terms is None else len(terms[0])

    def log_marginal(self, prior: np.ndarray | None = None) -> np.ndarray:
        """Log marginal likelihood per row of ``prior`` (default: the scenarios')."""
        prior = self.ind.prior if prior is None else prior
        if not len(self.ind.values):
            return np.zeros(len(prior))
        if self._polynomial:
            return self.kind.polynomial_log_marginal(prior, self._base_poly, self._axes)
        if self._exact_terms is not None:
            weight, distinct, which, constant = self._exact_terms
            closed = self.kind.log_marginal(prior, distinct)[which] + constant[:, None]  # (T, S)
            return logsumexp(weight[:, None] + closed, axis=0)
        if len(prior) > _MANY_PRIORS:
            return self._many_priors(prior)
        return self._integrate(self._with_tails(self.grid[2])[None, :], prior)[0]

    @cached_property
    def _exact_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """``L`` as a sum over which reports are genuine, each term integrated in closed form.

        (:mod:`.noise_terms`: ``L = sum_S C_S prod_{i not in S} g_i prod_{i in S} f_i``; each
        subset's ``int prod f p(theta)`` is the kind's conjugate marginal of its reports.)
        Each term's log weight ``(T,)``; the distinct conjugate statistics ``(D, P)`` and
        each term's row among them ``(T,)`` (subsets with the same statistics, k of n reports
        yes, say, have the same marginal: each is integrated once; 32 subsets of five yes/no
        reports have at most 12, and the 300-scenario question's range of opinion took 3.5 s
        -> 2.8 s in process); each term's log constant ``(T,)``. ``None`` for the categorical
        kind, shared events, or more than :data:`_EXACT_TERMS` terms (the quadrature grid is
        then the cheaper).
        """
        if self._polynomial or not len(self.ind.values):
            return None
        rep = self.reports()
        expansion = noise_terms.expand(rep, _EXACT_TERMS)
        if expansion is None:
            return None
        member, log_c = expansion
        items = rep.first_item[rep.fast_order]
        ind = self.ind
        unit = replace(ind, weights=np.ones(len(ind.values)))
        per_item = self.kind.item_stats(unit)[items]  # (F, P)
        constants = np.array(
            [self.kind.constant(unit.with_items(np.arange(len(ind.values)) == i)) for i in items]
        )
        g = rep.log_noise[rep.fast_order]  # as noise_terms weighs its terms
        weight = log_c + np.where(member, 0.0, g[None, :]).sum(axis=1)
        distinct, which = np.unique(member.astype(float) @ per_item, axis=0, return_inverse=True)
        return weight, distinct, which.reshape(-1), member.astype(float) @ constants

    def _many_priors(self, prior: np.ndarray) -> np.ndarray:
        """:meth:`log_marginal` for many priors, over the nodes that matter.

        Only the nodes where ``log L`` is within :data:`_NEGLIGIBLE` nats of its top: the rest
        add less than ``e^-60`` of the top term each, relative to any prior whose mass near the
        likelihood's peak is not itself below ``e^-50``. On 2,000 unreliable reports per
        indicator this keeps a third to a half of the nodes.
        """
        u, log_w, log_l, lo, hi = self.grid
        keep = log_l >= np.max(log_l) - _NEGLIGIBLE
        add = log_w[keep] + log_l[keep]
        # one shift for every row (a prior's log density is far below exp's overflow), not
        # each row's maximum: two passes fewer over (S, Q); rows whose sum falls below
        # 1e-280 (their terms may be subnormal) are summed again with their own maximum
        shift = float(np.max(add))
        z = self.kind.log_prior_u(u[keep], prior)  # (S, Q), summed in place
        z += add - shift
        np.exp(z, out=z)
        total = z.sum(axis=1)
        with np.errstate(divide="ignore"):
            body = np.log(total) + shift
        low = np.flatnonzero(~(total >= 1e-280))
        if len(low):
            body[low] = logsumexp(self.kind.log_prior_u(u[keep], prior[low]) + add, axis=1)
        # and the prior's mass beyond the grid, where L is taken as flat (as :meth:`_integrate`)
        tails = self.kind.log_prior_tails(prior, lo, hi) + log_l[[0, -1]][None, :]
        return np.logaddexp(np.logaddexp(body, tails[:, 0]), tails[:, 1])

    def _variant(self, ind: IndicatorData, noise: np.ndarray) -> np.ndarray:
        if not len(ind.values):
            return np.zeros(len(self.ind.prior))
        return self._marginals(self._build(ind, noise))

    def _kept(self, keep: np.ndarray) -> np.ndarray:
        return self._variant(self.ind.with_items(keep), self.item_noise[keep])

    # --- one item changed, where it is a report of its own (vectorised) --------------------
    def _alone(self, i: int) -> int | None:
        """Position of item ``i``'s report among the fast reports, if it is its only item.

        (For the polynomial kinds also the only report of its origin: its origin's block is
        then one factor of the polynomial.)
        """
        rep = self.reports()
        r = rep.item_report[i]
        if np.sum(rep.item_report == r) > 1:
            return None
        where = np.flatnonzero(rep.fast_order == r)
        if not len(where):
            return None
        if self._polynomial and np.sum(rep.origin == rep.origin[r]) > 1:
            return None
        return int(where[0])

    def _poly_swap(self, i: int, values, a, log_g) -> np.ndarray:
        """Log marginals with item ``i`` (alone in its origin) replaced: ``(m, K)``."""
        rep = self.reports()
        keep = np.arange(len(self.ind.values)) != i
        rest = (
            self._poly(self._build(self.ind.with_items(keep), self.item_noise[keep]), self._axes)
            if keep.any()
            else np.zeros((1,) * len(self._axes))
        )
        rho = rep.origin_rho[rep.origin[rep.item_report[i]]]
        # its block: rho a theta_y + (1 - rho a) g (its origin false, or right and it not)
        return self._poly_times_report(rest, values, np.asarray(a, dtype=float) * rho, log_g)

    def _poly_times_report(self, rest: np.ndarray, values, weight, log_g) -> np.ndarray:
        """Log marginals of ``rest`` times one more report ``w theta_y + (1 - w) g(y)``.

        Linear in ``theta``: the marginal mixes ``E[rest theta_y]`` and ``E[rest]``, so any
        number of values and weights costs one polynomial integral per category ``rest``
        names, one for all the others, and one for ``E[rest]``. (``rest`` does not involve an
        unnamed category ``y``, so ``E[rest theta_y] = alpha_y G`` with ``G`` the same for
        all of them: computed once for one of them, scaled by ``alpha_y`` for the rest.)
        ``(m, K)``.
        """
        axes, prior = self._axes, self.ind.prior
        values = np.asarray(values, dtype=int)
        alg = mx.PolynomialAlgebra(np.arange(len(axes)), len(axes))
        with_y = np.empty((len(self.ind.spec.categories), len(prior)))
        wanted = np.unique(values)
        for y in wanted[np.isin(wanted, axes)]:
            j = int(np.searchsorted(axes, y))
            with_y[y] = self.kind.polynomial_log_marginal(prior, alg.mul(rest, alg.f(j)), axes)
        others = wanted[~np.isin(wanted, axes)]
        if len(others):  # one more axis, for a category no item names
            y0 = int(others[0])
            wider = mx.PolynomialAlgebra(np.arange(len(axes) + 1), len(axes) + 1)
            base = self.kind.polynomial_log_marginal(
                prior, wider.mul(rest[..., None], wider.f(len(axes))), np.append(axes, y0)
            )
            with_y[others] = self._as_unnamed(base, others, y0)
        alone = self.kind.polynomial_log_marginal(prior, rest, axes)  # (K,)
        weight = np.broadcast_to(np.asarray(weight, dtype=float), (len(values),))
        with np.errstate(divide="ignore"):
            return np.logaddexp(
                np.log(weight)[:, None] + with_y[values],
                (np.log1p(-weight) + np.asarray(log_g, dtype=float))[:, None] + alone[None, :],
            )

    @cached_property
    def _node_logf(self) -> np.ndarray:
        """Every report's ``log f`` at the quadrature nodes, ``(Q, R)``."""
        rep = self.reports()
        return self._logf(rep, self.kind.theta_from_u(self.grid[0])[:, None])[:, 0, :]

    @cached_property
    def _components(self) -> Components:
        return Components(self.reports(), self._node_logf)

    def _component_of(self, i: int) -> tuple[int, int] | None:
        """Item ``i``'s component and place there, if it is its report's only item."""
        rep = self.reports()
        r = int(rep.item_report[i])
        if self._polynomial or not len(rep.components) or np.sum(rep.item_report == r) > 1:
            return None
        return self._components.of_report(r)

    def _grid_marginals(self, log_l: np.ndarray | None) -> np.ndarray | None:
        """Log marginals ``(m, K)`` of ``log L`` at the nodes ``(m, Q)``, changed on the grid.

        ``None`` where that cannot be trusted (not finite): the caller refits.
        """
        if log_l is None or not np.all(np.isfinite(log_l) | np.isneginf(log_l)):
            return None
        return self._integrate(self._with_tails(log_l))

    def _trusted(self, log_l: np.ndarray) -> bool | None:
        """``True`` if ``log L`` changed on the grid can be integrated there (else ``None``)."""
        return True if np.all(np.isfinite(log_l) | np.isneginf(log_l)) else None

    def _component_marginals(self, c: int, m: int, **changes) -> np.ndarray | None:
        """Log marginals ``(m, K)`` with component ``c`` changed (``None``: refit instead)."""
        comps = self._components
        return self._grid_marginals(comps.swap(self.grid[2], c, comps.variant(c, m, **changes)))

    def _report_marginals(self, i: int, p: int, values, a, log_g) -> np.ndarray | None:
        """Log marginals ``(m, K)`` with fast report ``p`` (item ``i``) swapped on the grid.

        One row per entry of ``values``, genuineness ``a`` and ``log g``; ``None``: refit.
        """
        term = self._report_term(values, self.ind.exposures[i], a, log_g)
        return self._grid_marginals(self._swap(i, p, term, log_g))

    @cached_property
    def _blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """At the nodes: each fast report's ``log L`` if genuine-origin, origin sums, blocks."""
        rep = self.reports()
        genuine, g = mx.fast_parts(rep, self._node_logf)
        s1 = np.add.reduceat(genuine, rep.fast_starts, axis=-1)
        s0 = np.add.reduceat(g, rep.fast_starts)
        return genuine, s1, s0, mx.blocks(rep, s1, s0)

    def _swap(self, i: int, p: int, log_l_new: np.ndarray | None, log_g_new) -> np.ndarray:
        """``log L`` at the nodes with fast report ``p``'s term replaced (``None``: removed)."""
        return spikes.swapped(self.reports(), self._blocks, self.grid[2], p, log_l_new, log_g_new)

    def _report_term(self, values, exposure, a, log_g, logf=None) -> np.ndarray:
        """``log(a f(y) + (1 - a) g(y))`` at the nodes for each of ``values``: ``(m, Q)``.

        (``logf``: their ``log f`` at the nodes, where already computed.)
        """
        logf = self._outcome_logf(values, exposure) if logf is None else logf
        a = np.asarray(a, dtype=float)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.logaddexp(
                mx.safe_log(a) + logf, mx.safe_log1m(a) + np.asarray(log_g)[:, None]
            )

    def loo(self) -> np.ndarray:
        """Log marginals without each item in turn, ``(n, K)``."""
        n = len(self.ind.values)
        rows = []
        for i in range(n):
            p = self._alone(i)
            log_l = None if p is None or self._polynomial else self._swap(i, p, None, None)
            where = self._component_of(i) if log_l is None else None
            if where is not None:  # a report that is neutral: never genuine, g = 1
                row = self._component_marginals(where[0], 1, a=(where[1], 0.0), g=(where[1], 0.0))
                if row is not None:
                    rows.append(row[0])
                    continue
            row = self._grid_marginals(log_l)
            rows.append(self._kept(np.arange(n) != i) if row is None else row[0])
        return np.array(rows).reshape(n, len(self.ind.prior))

    def with_origin(self, origin: str, values: np.ndarray) -> np.ndarray:
        """Log marginals with ``origin``'s reliability set to each of ``values``, ``(m, K)``.

        On the quadrature grid where the origin is alone in its block (vectorised), else
        computed anew for each value.
        """
        ind = self.ind
        values = np.asarray(values, dtype=float)
        rep = self.reports()
        mine = np.array([o == origin for o in ind.item_origins], dtype=bool)
        if not mine.any():
            return np.tile(self.log_marginal(), (len(values), 1))
        o = rep.origin_names.index(origin)
        where = np.flatnonzero(rep.fast_origins == o)
        if self._polynomial and len(where):
            return self._poly_origin(mine, o, values)
        if not self._polynomial and len(where):
            _, s1, s0, block = self._blocks
            g = int(where[0])
            with np.errstate(divide="ignore", invalid="ignore"):
                new_block = np.logaddexp(
                    mx.safe_log(values)[:, None] + s1[None, :, g],
                    mx.safe_log1m(values)[:, None] + s0[g],
                )
                log_l = self.grid[2][None, :] - block[None, :, g] + new_block
            out = self._grid_marginals(log_l)
            if out is not None:
                return out
        where = None if self._polynomial else self._components.of_origin(o)
        if where is not None:
            out = self._component_marginals(where[0], len(values), rho=(where[1], values))
            if out is not None:
                return out
        return self._origin_refits(mine, values)

    def _origin_refits(self, mine: np.ndarray, values: np.ndarray) -> np.ndarray:
        """:meth:`with_origin` refitted for each value: the items ``mine``' origin set to it."""
        ind = self.ind
        rows = [
            self._variant(
                replace(ind, origin_weights=np.where(mine, v, ind.item_origin_weights)),
                self.item_noise,
            )
            for v in values
        ]
        return np.array(rows).reshape(len(values), len(ind.prior))

    def _poly_origin(self, mine: np.ndarray, o: int, values: np.ndarray) -> np.ndarray:
        """:meth:`with_origin` for a polynomial kind: the rest times the origin's block."""
        ind, rep, axes = self.ind, self.reports(), self._axes
        alg = mx.PolynomialAlgebra(
            np.searchsorted(axes, np.asarray(rep.value, dtype=int)), len(axes)
        )
        keep = ~mine
        rest = (
            self._poly(self._build(ind.with_items(keep), self.item_noise[keep]), axes)
            if keep.any()
            else alg.const(0.0)
        )
        genuine = alg.const(0.0)
        for r in np.flatnonzero(rep.origin == o):
            a, g = rep.genuine[r], rep.log_noise[r]
            with np.errstate(divide="ignore"):
                factor = alg.add([alg.scale(alg.f(int(r)), np.log(a)), alg.const(np.log1p(-a) + g)])
            genuine = alg.mul(genuine, factor)
        false = float(np.sum(rep.log_noise[rep.origin == o]))
        # the block is rho * genuine + (1 - rho) * false: the marginal is linear in rho
        right = self.kind.polynomial_log_marginal(ind.prior, alg.mul(rest, genuine), axes)
        wrong = self.kind.polynomial_log_marginal(ind.prior, rest, axes) + false
        with np.errstate(divide="ignore"):
            return np.logaddexp(
                np.log(values)[:, None] + right[None, :], np.log1p(-values)[:, None] + wrong
            )

    def with_noise(self, params: np.ndarray) -> np.ndarray:
        """Log marginals with the noise distribution's parameters ``params`` (``(1, P)``)."""
        ind = self.ind
        if not len(ind.values):
            return np.zeros(len(ind.prior))
        return self._variant(ind, self.log_noise(ind.values, ind.exposures, params))

    def with_noises(self, params: np.ndarray) -> np.ndarray:
        """Log marginals for each row of noise parameters ``params`` ``(m, P)``: ``(m, K)``."""
        ind, m = self.ind, len(params)
        if not len(ind.values):
            return np.zeros((m, len(ind.prior)))
        g = np.empty((m, len(ind.values)))
        for t in np.unique(ind.exposures):
            at = ind.exposures == t
            g[:, at] = self.kind.log_predictive(ind, params, ind.values[at], float(t)).T
        return self._with_item_noises(g)

    @property
    def default_noise(self) -> bool:
        """Whether false reports come from the scenarios' prior predictive (none is stated)."""
        ind = self.ind
        return ind.noise is None and ind.spec.noise_params() is None

    @property
    def moves_noise(self) -> bool:
        """Whether a likelihood's or a prior's judgement moves the noise of these reports.

        (The default noise does: every setting is then a new ``log L``, or a new polynomial.)
        """
        return self.default_noise and bool(len(self.ind.values))

    def with_scenario(self, k: int | np.ndarray, params: np.ndarray) -> np.ndarray:
        """Log marginals ``(m, K)`` with scenario ``k``'s parameters set to each row of ``params``.

        The default noise moves with them (it mixes the scenarios' prior predictives), so every
        scenario's marginal changes, as in a refit of the edited question; a stated noise stays.
        ``k`` may give a scenario per row (many judgements' settings in one call).
        """
        params = np.asarray(params, dtype=float)
        ind = self.ind
        ks = np.broadcast_to(np.asarray(k, dtype=int), (len(params),))
        fixed = np.ndim(k) == 0 and ind.scenario_prior[k] <= 0  # k's noise share is nil
        if not len(ind.values) or not self.default_noise or fixed:
            out = np.tile(self.log_marginal(), (len(params), 1))
            out[np.arange(len(params)), ks] = self.log_marginal(params)
            return out
        exposures = ind.exposures if ind.noise_exposures is None else ind.noise_exposures
        g = log_noise_rows(
            ind, ind.values, exposures, scenario=ks, params=params, cache=self._noise_rows
        )
        return self._with_item_noises(g, ks, params)

    def with_scenario_weights(self, weights: np.ndarray) -> np.ndarray:
        """Log marginals ``(m, K)`` with the scenarios' probabilities each row of ``weights``.

        Only the default noise depends on them (it weighs the scenarios' prior predictives).
        """
        weights = np.asarray(weights, dtype=float)
        ind = self.ind
        if not len(ind.values) or not self.default_noise:
            return np.tile(self.log_marginal(), (len(weights), 1))
        exposures = ind.exposures if ind.noise_exposures is None else ind.noise_exposures
        g = log_noise_rows(ind, ind.values, exposures, weights=weights, cache=self._noise_rows)
        return self._with_item_noises(g)

    @cached_property
    def _noise_rows(self) -> dict:
        """:func:`~.future.log_noise_rows`'s cache for this indicator's values."""
        return {}

    def _with_item_noises(
        self, g: np.ndarray, k: np.ndarray | None = None, params: np.ndarray | None = None
    ) -> np.ndarray:
        """Log marginals ``(m, K)`` with each item's ``log g`` set to a row of ``g`` ``(m, n)``.

        And scenario ``k[r]``'s parameters to row ``r`` of ``params``, if given. One array over
        the rows on the quadrature grid (the reports' genuine terms are kept, only ``g``
        changes); a refit per row for categories.
        """
        ind, m = self.ind, len(g)
        rep = self.reports()
        out = self._by_noise_terms(g, k, params)
        if out is not None:
            return out
        if not self._polynomial:
            # rows a piece at a time: (rows, Q, reports) terms at once, at most _PIECE_TERMS
            step = max(1, _PIECE_TERMS // max(1, len(self.grid[0]) * rep.n_reports))
            log_l = np.concatenate(
                [self._noise_log_l(rep, g[i : i + step]) for i in range(0, m, step)]
            )
            out = self._grid_marginals(log_l)
            if out is not None:
                if k is not None:  # its own prior per row
                    rows = self._with_tails(log_l) + self._prior_density(params)
                    out[np.arange(m), k] = logsumexp(rows, axis=1)
                return out
        out = self._poly_noises(g, k, params) if self._polynomial else None
        if out is not None:
            return out
        out = np.empty((m, len(ind.prior)))
        for r in range(m):
            prior = None  # the scenarios' (their densities computed once)
            if k is not None:
                prior = ind.prior.copy()
                prior[k[r]] = params[r]
            out[r] = self._marginals(self._build(ind, g[r]), prior)
        return out

    @cached_property
    def _noise_terms(self) -> tuple[noise_terms.NoiseTerms, np.ndarray, Any] | None:
        """``L`` as terms over which reports are genuine, each term's log marginals ``(K, T)``.

        (:mod:`.noise_terms`; ``None`` where not used: categories, shared events, many reports.)
        """
        if self._polynomial or not len(self.ind.values):
            return None
        terms = noise_terms.build(self.reports(), self._node_logf, len(self.grid[0]))
        if terms is None:
            return None
        moments = self._integrate(terms.log_l).T  # (K, T)
        return terms, moments, scaled_exp(moments)

    def _by_noise_terms(self, g: np.ndarray, k: np.ndarray | None, params: np.ndarray | None):
        """:meth:`_with_item_noises` by :mod:`.noise_terms`; ``None`` where not used."""
        if self._noise_terms is None:
            return None
        terms, moments, scaled = self._noise_terms
        w = terms.weights(g[:, self.reports().first_item])  # (m, T)
        out = log_matmul_exp(w, moments, scaled)
        if k is not None:  # its own prior per row
            own = log_matmul_exp(self._prior_density(params), terms.log_l)  # (m, T)
            out[np.arange(len(w)), k] = logsumexp(w + own, axis=1)
        return out if np.all(np.isfinite(out) | np.isneginf(out)) else None

    @cached_property
    def _unit_noise_poly(self) -> tuple[np.ndarray, ...] | None:
        """``L`` with every report's noise 1, as terms; ``None`` where reports share events.

        Log coefficients, powers, each axis's number of reports, each report's axis and
        each axis's first report. Where
        every report is its own event, each term takes from each report either its
        ``theta_v`` or its ``g_v``, so ``L(theta; g) = sum_k C_k theta^k prod_c g_c^(n_c -
        k_c)``: a new noise is a new weight per term, not a new polynomial.
        """
        rep = self.reports()
        if len(rep.components) or not len(self.ind.values):
            return None
        unit = self._build(self.ind, np.zeros(len(self.ind.values)))
        poly = self._poly(unit, self._axes)
        powers = np.argwhere(np.isfinite(poly))
        axis = np.searchsorted(self._axes, np.asarray(rep.value, dtype=int))
        n = np.bincount(axis, minlength=len(self._axes))
        first = np.array([np.flatnonzero(axis == j)[0] for j in range(len(n))])
        return poly[np.isfinite(poly)], powers, n, axis, first

    def _poly_noises(self, g: np.ndarray, k: np.ndarray | None, params: np.ndarray | None):
        """:meth:`_with_item_noises` for categories, without a refit per row.

        See :attr:`_unit_noise_poly`; ``None`` where it does not apply.
        """
        unit = self._unit_noise_poly
        if unit is None:
            return None
        log_c, powers, _, axis, first = unit
        log_g = g[:, self.reports().first_item]  # (m, R): each report's
        per_axis = log_g[:, first]  # (m, A)
        if not np.all(log_g == per_axis[:, axis]):  # a category's reports differ in g
            return None
        ind, axes = self.ind, self._axes
        rest, base, scaled = self._unit_noise_weights
        out = np.empty((len(g), len(ind.prior)))
        step = max(1, _PIECE_TERMS // max(1, len(log_c) * len(ind.prior)))
        for start in range(0, len(g), step):
            rows = slice(start, start + step)
            # sum_c (n_c - k_c) log g_c per term: a g of 0 (-inf) as -1e300, so that a power 0
            # of it is 0 and any other -inf after the exponential
            logs = np.nan_to_num(per_axis[rows], neginf=-1e300)
            coef = log_c[None, :] + logs @ rest  # (rows, T)
            out[rows] = log_matmul_exp(coef, base, scaled)
            if k is not None:  # its own prior per row
                own = self.kind.polynomial_log_moments(params[rows], powers, axes)
                idx = np.arange(len(g))[rows]
                out[idx, k[rows]] = logsumexp(coef + own, axis=-1)
        return out

    @cached_property
    def _unit_noise_weights(self) -> tuple[np.ndarray, np.ndarray, Any]:
        """The powers of ``g`` per axis and term ``(A, T)``; the scenarios' moments ``(K, T)``.

        (And the moments scaled for :func:`~forecasting.core.stats.log_matmul_exp`.)
        """
        _, powers, n, _, _ = self._unit_noise_poly
        rest = np.ascontiguousarray((n[None, :] - powers).T.astype(float))
        moments = self.kind.polynomial_log_moments(self.ind.prior, powers, self._axes)
        return rest, moments, scaled_exp(moments)

    def _noise_log_l(self, rep: mx.Reports, g: np.ndarray) -> np.ndarray:
        """``log L`` at the nodes ``(m, Q)`` with each item's ``log g`` a row of ``g``."""
        g = g[:, rep.first_item]  # (m, R): each report's log g
        out = np.zeros((len(g), len(self.grid[0])))
        for c in range(len(rep.components)):  # origins linked by events
            out += self._components.with_noises(c, g)
        if not len(rep.fast_order):
            return out
        g = g[:, rep.fast_order]  # (m, F)
        a = rep.genuine[rep.fast_order]
        logf = self._node_logf[:, rep.fast_order]  # (Q, F)
        with np.errstate(divide="ignore", invalid="ignore"):
            genuine = np.logaddexp(
                mx.safe_log(a) + logf[None, :, :], (mx.safe_log1m(a) + g)[:, None, :]
            )
            s1 = np.add.reduceat(genuine, rep.fast_starts, axis=-1)  # (m, Q, O)
            s0 = np.add.reduceat(g, rep.fast_starts, axis=-1)  # (m, O)
            rho = rep.origin_rho[rep.fast_origins]
            blocks = np.logaddexp(mx.safe_log(rho) + s1, (mx.safe_log1m(rho) + s0)[:, None, :])
        return out + blocks.sum(axis=-1)

    def without(self, drop: np.ndarray) -> np.ndarray:
        """Log marginals without the items where ``drop`` is true, ``(K,)``."""
        return self._kept(~np.asarray(drop, dtype=bool))

    def with_outcomes(self, outcomes: np.ndarray, weight: float, exposure: float) -> np.ndarray:
        """Log marginals with one more report of each outcome, ``(m, K)``.

        The report is its own origin and event, of reliability ``weight``.
        """
        outcomes = np.asarray(outcomes, dtype=float)
        log_g = self.log_noise(outcomes, np.full(len(outcomes), exposure))
        if self._polynomial:
            return self._poly_times_report(self._base_poly, outcomes, weight, log_g)
        u = self.grid[0]
        logf = self._outcome_logf(outcomes, exposure)  # (m, Q)
        with np.errstate(divide="ignore", invalid="ignore"):
            one = np.logaddexp(np.log(weight) + logf, np.log1p(-weight) + log_g[:, None])
        base = self.grid[2] if len(self.ind.values) else np.zeros(len(u))
        rows = self._with_tails(base[None, :] + one)
        centre, scale = spikes.locate(self.ind, outcomes, exposure)

        def at(idx: np.ndarray, nodes: np.ndarray) -> np.ndarray:
            flat = nodes.reshape(-1)  # (n,) shared by the rows, or (b, n) one row each
            log_l = self.log_l_at(self.reports(), flat) if len(self.ind.values) else 0.0 * flat
            logf = spikes.outcome_logf(self.ind, outcomes[idx], exposure, nodes)
            with np.errstate(divide="ignore", invalid="ignore"):
                one = np.logaddexp(np.log(weight) + logf, np.log1p(-weight) + log_g[idx, None])
            return one + log_l.reshape(nodes.shape)

        return spikes.refine(
            lambda idx: self._integrate(rows[idx]),
            len(outcomes),
            self.ind,
            self.grid,
            centre,
            scale,
            lambda idx: rows[idx, : len(u)],
            at,
            self._density,
        )

    def _outcome_logf(self, outcomes: np.ndarray, exposure: float) -> np.ndarray:
        """``log f(y | theta)`` of each outcome at the grid's nodes, ``(m, Q)``."""
        view = replace(
            self.ind,
            item_ids=tuple(str(k) for k in range(len(outcomes))),
            values=np.asarray(outcomes, dtype=float),
            weights=np.ones(len(outcomes)),
            exposures=np.full(len(outcomes), exposure),
        )
        theta = self.kind.theta_from_u(self.grid[0])[:, None]
        return self.kind.item_loglik(theta, view)[:, 0, :].T

    def predictive(self, outcomes: np.ndarray, exposure: float) -> np.ndarray:
        """``log p(y | E, S = k)`` of one more genuine observation, ``(m, K)``."""
        return self.with_outcomes(outcomes, 1.0, exposure) - self.log_marginal()[None, :]

    def tail(
        self, value: Any, exposure: float | None, weights: np.ndarray, genuine: float = 1.0
    ) -> tuple[np.ndarray, float]:
        """Tail probability of one more report of ``value`` under the mixture predictive.

        The report is genuine with probability ``genuine``: its predictive is
        ``genuine * p(y | E, k) + (1 - genuine) * g(y)``. The tail is the chance of a report at
        most as probable as this one, per scenario and under the mixture ``weights``.
        """
        ind = self.ind
        code = self.kind.encode(ind.spec, value)
        t = float(exposure or 1.0)
        support, obs, log_measure = self.kind.tail_support(ind, code, t)
        true = self.predictive(support, t)  # (m, K)
        noise = self.log_noise(support, np.full(len(support), t))[:, None]
        with np.errstate(divide="ignore"):
            dens = np.exp(np.logaddexp(np.log(genuine) + true, np.log1p(-genuine) + noise))
        return self.kind.tails(dens, log_measure, obs, weights)

    def report_tail(self, i: int, weights: np.ndarray) -> tuple[np.ndarray, float]:
        """Tail probability of item ``i`` given the indicator's other items, as :meth:`tail`.

        The predictive of its value is ``m(others + it with value y) / m(others)``: for a
        report whose origin has other reports here, or whose event others have reported, it
        carries what they said (a second report of an event already seen is no surprise if it
        agrees). A relayed copy of a report already here adds nothing: tail 1.
        """
        ind, rep = self.ind, self.reports()
        r = rep.item_report[i]
        if np.sum(rep.item_report == r) > 1:
            return np.ones(len(ind.prior)), 1.0
        n = len(ind.values)
        others = ind.with_items(np.arange(n) != i)
        base = others.model.log_marginal() if n > 1 else np.zeros(len(ind.prior))
        support, obs, log_measure = self.kind.tail_support(
            others, ind.values[i], float(ind.exposures[i])
        )
        dens = np.exp(self.with_values(i, support) - base[None, :])
        return self.kind.tails(dens, log_measure, obs, weights)

    def with_values(self, i: int, values: np.ndarray) -> np.ndarray:
        """Log marginals with item ``i``'s value replaced by each of ``values``, ``(m, K)``."""
        ind = self.ind
        values = np.asarray(values, dtype=float)
        log_g = self.log_noise(values, np.full(len(values), ind.exposures[i]))
        rep = self.reports()
        r, exposure = int(rep.item_report[i]), float(ind.exposures[i])
        p = self._alone(i)
        if p is not None and self._polynomial:
            return self._poly_swap(i, values, np.full(len(values), rep.genuine[r]), log_g)
        log_l = out = parts = None
        if p is not None:
            logf = self._outcome_logf(values, exposure)
            a = np.full(len(values), rep.genuine[r])
            parts = spikes.swap_parts(rep, self._blocks, self.grid[2], p, rep.genuine[r])
            if parts is not None and not np.any(np.isnan(logf) | np.isposinf(logf)):
                out = True

                def log_l(idx: np.ndarray) -> np.ndarray:
                    term = self._report_term(values[idx], exposure, a[idx], log_g[idx], logf[idx])
                    return self._swap(i, p, term, log_g[idx])

            else:
                parts = None
                whole = self._swap(i, p, self._report_term(values, exposure, a, log_g, logf), log_g)
                out = self._trusted(whole)
                log_l = whole.__getitem__
        where = self._component_of(i) if out is None else None
        if where is not None:
            c, place = where
            comps = self._components
            new = comps.variant(
                c,
                len(values),
                logf=(place, self._outcome_logf(values, exposure)),
                v=(place, values),
                g=(place, log_g),
            )
            whole = comps.swap(self.grid[2], c, new)
            out = self._trusted(whole)
            log_l = whole.__getitem__
        if out is None and self._polynomial:
            return self._poly_values(i, values, log_g)
        if out is None:
            rows = []
            for v, lg in zip(values, log_g, strict=True):
                rows.append(self._value_refit(i, v, lg))
            out = np.array(rows).reshape(len(rows), len(ind.prior))

            def base(idx: np.ndarray) -> np.ndarray:
                return out[idx]

            def at(idx: np.ndarray, nodes: np.ndarray) -> np.ndarray:
                nodes = np.broadcast_to(nodes, (len(idx), nodes.shape[-1]))
                return self._refit_at(i, values[idx], log_g[idx], nodes)

            def on_grid(idx: np.ndarray) -> np.ndarray:
                return at(idx, np.broadcast_to(self.grid[0], (len(idx), len(self.grid[0]))))

        else:
            comps = self._components if rep.components else None

            def at(idx: np.ndarray, nodes: np.ndarray) -> np.ndarray:
                logf = self._logf(rep, self.kind.theta_from_u(nodes))  # ([b,] n, R)
                new = spikes.outcome_logf(ind, values[idx], exposure, nodes)
                return spikes.swapped_log_l(rep, comps, logf, r, new, values[idx], log_g[idx])

            on_grid = log_l

            def base(idx: np.ndarray) -> np.ndarray:
                if parts is None:
                    return self._integrate(self._with_tails(log_l(idx)))
                w1, w0 = (self._with_tails(w) for w in parts)
                f = self._with_tails(logf[idx])
                return spikes.two_part(f, log_g[idx], w1, w0, self._density)

        # a precise measurement's values far from the grid's: integrated on panels of their own
        centre, scale = spikes.locate(ind, values, exposure)
        return spikes.refine(
            base, len(values), ind, self.grid, centre, scale, on_grid, at, self._density
        )

    def _refit_at(self, i: int, values, log_g, nodes: np.ndarray) -> np.ndarray:
        """``log L`` with item ``i``'s value set to each of ``values``, at its row of ``nodes``."""
        ind = self.ind
        out = np.empty(nodes.shape)
        for j, (v, lg) in enumerate(zip(values, log_g, strict=True)):
            changed, noise = ind.values.copy(), self.item_noise.copy()
            changed[i], noise[i] = v, lg
            out[j] = self.log_l_at(self._build(replace(ind, values=changed), noise), nodes[j])
        return out

    def with_weight(self, i: int, weights: np.ndarray) -> np.ndarray:
        """Log marginals with item ``i``'s reliability set to each of ``weights``, ``(m, K)``.

        The reliability is the item's credibility times its origin's; the credibility is set
        to make the product ``weights`` (up to 1).

        A report of this item alone is genuine with probability credibility x relays, and L is
        an expectation over whether it is: affine in the credibility, and so is each
        scenario's marginal. Two evaluations, at 0 and 1, give every value (a report of several
        copies takes their largest credibility: not affine, evaluated value by value).
        """
        ind, rep = self.ind, self.reports()
        origin = ind.item_origin_weights[i]
        cred_new = np.array(
            [min(1.0, w / origin) if origin > 0 else 0.0 for w in np.asarray(weights, float)]
        )
        alone = np.sum(rep.item_report == rep.item_report[i]) == 1
        if not alone or len(cred_new) <= 2:
            return self._with_credibility(i, cred_new)
        ends = self._with_credibility(i, np.array([0.0, 1.0]))
        with np.errstate(divide="ignore"):
            return np.logaddexp(
                np.log1p(-cred_new)[:, None] + ends[0], np.log(cred_new)[:, None] + ends[1]
            )

    def _as_unnamed(self, log_m: np.ndarray, ys: np.ndarray, y0: int) -> np.ndarray:
        """``log E[... theta_y]`` ``(len(ys), K)`` for categories no other report names.

        From ``log_m = log E[... theta_y0]`` ``(K,)``, times ``alpha_y / alpha_y0``.
        """
        prior = self.ind.prior
        return log_m[None, :] + np.log(prior[:, ys].T / prior[:, y0][None, :])

    def _value_refit(self, i: int, value: float, log_g: float) -> np.ndarray:
        """Log marginals with item ``i``'s value (and its noise) replaced, refitted, ``(K,)``."""
        changed, noise = self.ind.values.copy(), self.item_noise.copy()
        changed[i], noise[i] = value, log_g
        return self._variant(replace(self.ind, values=changed), noise)

    def _poly_values(self, i: int, values: np.ndarray, log_g: np.ndarray) -> np.ndarray:
        """:meth:`with_values` for categories, by refits, ``(m, K)``.

        One refit per value another item names, and one for all the values none does. A
        category ``y`` that no other report names enters the polynomial through item ``i``
        only, once: ``L_y = A theta_y + B g_y``, with ``A`` and ``B`` the same for every such
        ``y``. So ``E[L_y] = (alpha_y / alpha_y0) E[A theta_y0] + (g_y / g_y0) E[B g_y0]``:
        the two parts of one polynomial (its terms of power 1 and 0 in ``theta_y0``).
        """
        ind = self.ind
        prior = ind.prior
        values_int = np.asarray(values, dtype=int)
        fresh = ~np.isin(values_int, np.delete(np.asarray(ind.values, dtype=int), i))
        out = np.empty((len(values), len(prior)))
        for j in np.flatnonzero(~fresh):
            out[j] = self._value_refit(i, values[j], log_g[j])
        if not fresh.any():
            return out
        where = np.flatnonzero(fresh)
        j0 = where[np.argmax(log_g[where])]  # a value whose noise is not 0, if any
        y0 = int(values_int[j0])
        changed, noise = ind.values.copy(), self.item_noise.copy()
        changed[i], noise[i] = y0, log_g[j0]
        rep = self._build(replace(ind, values=changed), noise)
        axes = self._axes_of(rep.value)
        poly = self._poly(rep, axes)
        a = int(np.searchsorted(axes, y0))  # of power 0 or 1: no other report names y0
        genuine = np.full_like(poly, -np.inf)
        index = [slice(None)] * poly.ndim
        index[a] = slice(1, 2)
        genuine[tuple(index)] = poly[tuple(index)]
        index[a] = slice(0, 1)
        e1 = self.kind.polynomial_log_marginal(prior, genuine, axes)  # E[A theta_y0]
        e0 = self.kind.polynomial_log_marginal(prior, poly[tuple(index)], axes)  # E[B g_y0]
        ys = values_int[where]
        with np.errstate(divide="ignore", invalid="ignore"):
            part1 = self._as_unnamed(e1, ys, y0)
            moved = log_g[where] - log_g[j0] if np.isfinite(log_g[j0]) else None
            part0 = (
                e0[None, :] + moved[:, None]
                if moved is not None
                else np.full((len(where), len(prior)), -np.inf)
            )
            out[where] = np.logaddexp(part1, part0)
        return out

    def _with_credibility(self, i: int, cred_new: np.ndarray) -> np.ndarray:
        """Log marginals with item ``i``'s credibility set to each of ``cred_new``, ``(m, K)``."""
        ind = self.ind
        p = self._alone(i)
        if p is not None and self._polynomial:
            values = np.full(len(cred_new), ind.values[i])
            log_g = np.full(len(cred_new), self.item_noise[i])
            return self._poly_swap(i, values, cred_new * ind.item_relay[i], log_g)
        if p is not None:
            log_g = np.full(len(cred_new), self.item_noise[i])
            values = np.full(len(cred_new), ind.values[i])
            out = self._report_marginals(i, p, values, cred_new * ind.item_relay[i], log_g)
            if out is not None:
                return out
        where = self._component_of(i)
        if where is not None:
            a = cred_new * ind.item_relay[i]
            out = self._component_marginals(where[0], len(a), a=(where[1], a))
            if out is not None:
                return out
        rows = []
        for c in cred_new:
            cred = ind.item_credibility.copy()
            cred[i] = c
            rows.append(self._variant(replace(ind, credibility=cred), self.item_noise))
        return np.array(rows).reshape(len(rows), len(ind.prior))

    def log_lik(self, theta: np.ndarray) -> np.ndarray:
        """``log L(theta)`` at parameter values ``theta`` ``(..., K[, C])``, shape ``(..., K)``.

        Exact; for many values of a scalar parameter and many reports (more than
        :data:`_EXACT_EVALUATIONS` terms), a cubic spline of ``log L`` through the quadrature
        grid's nodes (``log L`` is flat beyond the grid, as the prior's tails assume).
        """
        rep = self.reports()
        if not rep.n_reports:
            return np.zeros(theta.shape[: (theta.ndim - 1 if self._polynomial else theta.ndim)])
        if self._polynomial or theta.size * rep.n_reports <= _EXACT_EVALUATIONS:
            return mx.log_likelihood(rep, self._logf(rep, theta))
        u_nodes, _, log_l, _, _ = self.grid
        u = np.clip(self.kind.u_from_theta(theta), u_nodes[0], u_nodes[-1])
        return self._spline(u)

    @cached_property
    def _spline(self):
        from scipy.interpolate import CubicSpline

        u_nodes, _, log_l, _, _ = self.grid
        keep = np.concatenate([[True], np.diff(u_nodes) > 0])  # nodes of tiny panels may tie
        return CubicSpline(u_nodes[keep], log_l[keep])

    def item_log_lik(self, theta: np.ndarray) -> np.ndarray:
        """Each item's share of ``log L(theta)`` (chain rule), ``(..., K, n)``."""
        rep = self.reports()
        return mx.item_log_likelihood(rep, self._logf(rep, theta), len(self.ind.values))

    def item_loo_log_lik(self, theta: np.ndarray) -> np.ndarray:
        """``log L(theta) - log L_{-i}(theta)`` for each item ``i``, ``(..., K, n)``.

        What leaving item ``i`` out takes away. Its chain-rule share where it is its origin's
        only report and of no shared event (the share is then exactly that); its origin's block
        with and without it where the origin has other such reports (:func:`.mixture.fast_loo`);
        otherwise computed without it.
        """
        ind, rep = self.ind, self.reports()
        n = len(ind.values)
        logf = self._logf(rep, theta)
        out = mx.item_log_likelihood(rep, logf, n)
        if not n:
            return out
        refit = mx.fast_loo(rep, logf, out)  # the fast reports of one item, vectorised
        full = mx.log_likelihood(rep, logf) if refit.any() else None
        for i in np.flatnonzero(refit):
            keep = np.arange(n) != i
            if not keep.any():
                continue
            kept = self._build(ind.with_items(keep), self.item_noise[keep])
            with np.errstate(invalid="ignore"):
                out[..., i] = full - mx.log_likelihood(kept, self._logf(kept, theta))
        return out

    def atoms(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Each scenario's posterior of the parameter as weighted atoms (:mod:`.future`).

        A scalar parameter: the quadrature grid's nodes, weighted by the posterior (the
        prior's mass beyond the grid, at most ``1e-13`` of it, is left out); categorical
        probabilities: ``size`` draws of equal weight.
        """
        ind = self.ind
        k = len(ind.prior)
        if self._polynomial or not len(ind.values):
            if not len(ind.values):
                theta = np.moveaxis(self.kind.draw(ind.prior, rng, size), 0, 1)
            else:
                theta = np.stack(
                    [
                        self.kind.polynomial_draw(
                            ind.prior[s], self._base_poly, rng, size, self._axes
                        )
                        for s in range(k)
                    ]
                )
            return theta, np.full((k, size), -np.log(size))
        u, log_w, log_l, _, _ = self.grid
        logp = log_w[None, :] + self.kind.log_prior_u(u, ind.prior) + log_l[None, :]
        logp = logp - logsumexp(logp, axis=1)[:, None]
        theta = np.broadcast_to(self.kind.theta_from_u(u), logp.shape)
        return theta, logp

    def draw(self, scenario: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Parameters per draw: the drawn scenario's from its posterior, the others' priors."""
        ind = self.ind
        theta = self.kind.draw(ind.prior, rng, len(scenario))
        if not len(ind.values):
            return theta
        for k in np.unique(scenario):
            rows = np.flatnonzero(scenario == k)
            theta[rows, k] = self._posterior_draws(int(k), rng, len(rows))
        return theta

    def _posterior_draws(self, k: int, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws of scenario ``k``'s parameter from its posterior (it has reports)."""
        ind = self.ind
        if self._polynomial:
            return self.kind.polynomial_draw(ind.prior[k], self._base_poly, rng, n, self._axes)
        u, log_w, log_l, lo, hi = self.grid
        logp = log_w + self.kind.log_prior_u(u, ind.prior[k : k + 1])[0] + log_l
        p = np.exp(logp - logp.max())
        pick = rng.choice(len(u), size=n, p=p / p.sum())
        edges = np.concatenate([[u[0]], (u[1:] + u[:-1]) / 2, [u[-1]]])
        left, right = edges[pick], edges[pick + 1]
        return self.kind.theta_from_u(left + (right - left) * rng.random(n))
