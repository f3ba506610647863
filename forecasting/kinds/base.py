"""The protocol every indicator kind follows, and what kinds share.

A kind (count, binary, categorical, continuous, ...) is one class, in one module of this
package, that holds everything about observations of that kind:

========================  ==================================================================
part                      methods
========================  ==================================================================
question file             :attr:`Kind.spec` (the pydantic schema of the indicator),
                          :attr:`~Kind.likelihood_field`, :meth:`~Kind.check_question`,
                          :meth:`~Kind.extra_dims`, :meth:`~Kind.describe`,
                          :meth:`~Kind.describe_suffix`, :meth:`~Kind.describe_text`,
                          :meth:`~Kind.likelihood_text`, :meth:`~Kind.redefined`
ledger items              :meth:`~Kind.parse_item` (value checks), :meth:`~Kind.encode`,
                          :meth:`~Kind.value_from_text`,
                          :meth:`~Kind.value_text`, :meth:`~Kind.item_text`
tempered statistics       :meth:`~Kind.stats`, :meth:`~Kind.item_stats`,
                          :meth:`~Kind.outcome_stats`, :meth:`~Kind.constant`,
                          :meth:`~Kind.clip_stats`
closed form               :meth:`~Kind.log_marginal`, :meth:`~Kind.posterior`
draws and densities       :meth:`~Kind.draw`, :meth:`~Kind.kernel`, :meth:`~Kind.item_loglik`,
                          :meth:`~Kind.prior_mean`, :meth:`~Kind.log_prior_density`
PyMC                      :meth:`~Kind.pymc_stats`, :meth:`~Kind.pymc_prior`,
                          :meth:`~Kind.pt_kernel`
truth-mixture integrals   :attr:`~Kind.integration`; by quadrature :meth:`~Kind.theta_from_u`,
                          :meth:`~Kind.u_location`, :meth:`~Kind.log_prior_u`; by
                          polynomial :meth:`~Kind.polynomial_log_marginal`,
                          :meth:`~Kind.polynomial_draw`
the next observation      :meth:`~Kind.outcomes`, :meth:`~Kind.outcome_log_constant`,
                          :meth:`~Kind.alternatives`, :meth:`~Kind.tail`,
                          :meth:`~Kind.outcome_text`, :meth:`~Kind.observation_phrase`
judgements                :meth:`~Kind.judgements`, :meth:`~Kind.move_centre`
examples                  :meth:`~Kind.example`, :meth:`~Kind.example_values` (for templates
                          and for the tests every kind must pass)
========================  ==================================================================

Array conventions: prior and posterior parameters have shape ``(K, P)`` (``K`` scenarios; ``P``
parameters per scenario, e.g. 2, or ``C`` categories for the Dirichlet); parameter draws have
shape ``(N, K)`` or ``(N, K, C)``; statistics have shape ``(P,)`` or a batch ``(..., P)``. An
item of reliability ``w`` contributes ``w * log f(y | theta)`` (the tempered model), so the
statistics are reliability-weighted sums.

The rest of the package never asks which kind an indicator is: it calls these methods.

Why this module is long: it is the protocol itself, one documented method per thing a kind
must do (the table above), with the defaults kinds share; split, a kind's author would read
the contract in several places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from ..core.constants import CATCH_ALL
from ..core.schema import HalfLife, NonNegativeFloat, Spec, Text

#: Quantiles of an elicited distribution between which a judgement's centre is moved.
QUANTILES = (0.05, 0.95)

#: ``bad(path, message)``: report one problem at a path inside the current file or item.
Report = Callable[[tuple, str], None]


class IndicatorData(Protocol):
    """What a kind reads of one indicator of a model (``forecasting.model.data.IndicatorData``).

    The items' arrays are as the kind encoded them (:meth:`Kind.encode`); ``stats`` and
    ``constant`` are the kind's own :meth:`Kind.stats` and :meth:`Kind.constant` of them.
    """

    id: str
    spec: Any
    prior: np.ndarray
    item_ids: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    exposures: np.ndarray

    @property
    def stats(self) -> np.ndarray: ...

    @property
    def constant(self) -> float: ...


class IndicatorSpec(Spec):
    """Fields every indicator has; each kind's schema adds its own."""

    kind: str
    description: Text
    label: str | None = None
    #: Reports expected per 30 days (the responsiveness measure's arrival rate; default: the
    #: rate observed in the ledger). Not for kinds observed over windows (counts).
    arrivals_per_30_days: NonNegativeFloat | None = None
    #: Days after which a report's bearing on the current state has halved (default: the
    #: question's ``half_life_days``; none: reports do not age). :mod:`forecasting.model.ageing`.
    half_life_days: HalfLife | None = None

    def prior_params(self, scenarios: list[str]) -> np.ndarray:
        """Prior parameters of the per-scenario parameter, shape ``(K, P)``.

        The catch-all scenario (``none_of_these``), if among ``scenarios``, gets the kind's
        deliberately diffuse parameters (:meth:`Kind.diffuse`) around the named scenarios'.
        """
        named = [s for s in scenarios if s != CATCH_ALL]
        rows = self.named_params(named)
        if len(named) == len(scenarios):
            return rows
        diffuse = self.diffuse(rows)
        at = list(scenarios).index(CATCH_ALL)
        return np.insert(rows, at, diffuse, axis=0)

    def named_params(self, scenarios: list[str]) -> np.ndarray:
        """Prior parameters of the named scenarios ``scenarios``, shape ``(K, P)``."""
        raise NotImplementedError

    def diffuse(self, rows: np.ndarray) -> np.ndarray:
        """Parameters ``(P,)`` of the catch-all scenario: what "none of these" expects.

        Deliberately diffuse around the named scenarios' (``rows``, ``(K, P)``), so that its
        probability rises when the evidence fits none of them.
        """
        raise NotImplementedError

    def noise_params(self) -> np.ndarray | None:
        """Parameters ``(1, P)`` of the stated noise distribution (``noise:``), if any.

        Under the truth-mixture model a false report's value is drawn from the predictive
        distribution of these parameters; without them, from the scenarios' predictives
        averaged by their prior probabilities.
        """
        noise = getattr(self, "noise", None)
        if noise is None:
            return None
        return np.array([noise.params], dtype=float)


@dataclass(frozen=True)
class ItemValue:
    """A ledger item's value as checked by its kind: the value, and for counts the exposure."""

    value: Any
    exposure: float | None = None
    window: tuple[dt.date, dt.date] | None = None


@dataclass(frozen=True)
class LikelihoodJudgement:
    """One elicited quantity of a likelihood: its centre, in the unit the analyst thinks in.

    ``base`` is the value as elicited; ``low`` and ``high`` the range the sensitivity analysis
    moves it over (the 5% and 95% quantiles of the elicited distribution); ``lower_limit`` and
    ``upper_limit`` the range a tipping point is searched in. ``quantity`` says what the value
    is (``probability``, ``rate`` or ``mean``), ``unit`` how it reads in words and
    ``unit_short`` beside a number; ``scale`` is ``log`` where the value is searched on a
    logarithmic grid.
    """

    category: str
    quantity: str
    unit: str
    unit_short: str
    base: float
    low: float
    high: float
    lower_limit: float
    upper_limit: float
    scale: str
    label: str
    #: The categories a judgement of several stands for (their total probability), else empty.
    members: tuple[str, ...] = ()


class Kind:
    """Base class of the indicator kinds; see the module docstring."""

    #: The name used in question files (``kind: count``).
    name: ClassVar[str]
    #: The pydantic schema of an indicator of this kind.
    spec: ClassVar[type[IndicatorSpec]]
    #: The key of the indicator that holds one likelihood per scenario.
    likelihood_field: ClassVar[str]
    #: Name of the per-scenario parameter (the posterior variable's ``parameter`` attribute).
    parameter: ClassVar[str]
    #: The observation model in one line, for documentation and ``validate``.
    model: ClassVar[str]
    #: Whether values have an order (the nearest other value is the one next to it).
    ordered: ClassVar[bool] = False
    #: The item keys this kind reads besides id, indicator, value, date, source, reliability,
    #: note and url.
    item_keys: ClassVar[tuple[str, ...]] = ()

    # --- the question file -------------------------------------------------------------------
    def check_question(
        self, name: str, raw: Mapping[str, Any], scenarios: list[str], bad: Report, lines: Any
    ) -> None:
        """Checks of an indicator mapping beyond its schema (relations between its parts)."""

    def extra_dims(self, name: str, raw: Mapping[str, Any]) -> tuple[str, ...]:
        """Dimensions the indicator's parameter has besides ``scenario`` (names only)."""
        return ()

    def coords(self, ind: IndicatorData) -> dict[str, list[str]]:
        """Coordinates of :meth:`extra_dims` for an indicator of a model."""
        return {}

    def describe(self, spec: IndicatorSpec, scenarios: list[str]) -> dict[str, Any]:
        """What ``forecast validate`` prints of each scenario's likelihood (JSON-ready)."""
        raise NotImplementedError

    def describe_suffix(self, entry: Mapping[str, Any]) -> str:
        """What ``validate`` says of the indicator after its kind (e.g. ``, per 30 days``)."""
        return ""

    def describe_text(self, entry: Mapping[str, Any]) -> str:
        """One scenario's entry of :meth:`describe` as words."""
        raise NotImplementedError

    def likelihood_text(self, spec: IndicatorSpec, row: np.ndarray) -> str:
        """One scenario's prior parameters as words, e.g. ``Gamma(mean 1.2, sd 0.5)``."""
        raise NotImplementedError

    def entry(self, spec: IndicatorSpec, row: np.ndarray) -> dict[str, Any]:
        """One scenario's likelihood entry, as a question file would give it, from parameters."""
        raise NotImplementedError

    def redefined(self, old: IndicatorSpec, new: IndicatorSpec) -> bool:
        """Whether ``new`` observes something else than ``old`` (old items no longer apply)."""
        return old.kind != new.kind

    # --- ledger items --------------------------------------------------------------------------
    def parse_item(
        self, row: Mapping[str, Any], spec: IndicatorSpec, bad: Report, written: str | None
    ) -> ItemValue | None:
        """Check an item's value (and kind-specific keys); ``None`` after reporting a problem.

        ``written`` is the value as the analyst wrote it (for ``yes`` read as true).
        """
        raise NotImplementedError

    def value_from_text(self, text: str) -> Any:
        """A value written as text (a CSV cell) as the value the kind checks (``"5"`` -> 5)."""
        return text

    def encode(self, spec: IndicatorSpec, value: Any) -> float:
        """An item's value as the float the arrays hold (a count, 1/0, a category index)."""
        return float(value)

    def value_text(self, value: Any) -> str:
        """An item's value as written in a ledger or a table."""
        return str(value)

    def item_text(self, spec: IndicatorSpec, value: Any, exposure: float | None, window) -> str:
        """An item's value in words for a change list (a count says over how many days)."""
        return self.value_text(value)

    # --- tempered statistics -----------------------------------------------------------------
    def stats(self, ind: IndicatorData) -> np.ndarray:
        """Tempered sufficient statistics of all of an indicator's items, shape ``(P,)``."""
        raise NotImplementedError

    def item_stats(self, ind: IndicatorData) -> np.ndarray:
        """Each item's own tempered statistics, ``(n, P)``; they sum to :meth:`stats`."""
        raise NotImplementedError

    def outcome_stats(
        self, ind: IndicatorData, outcomes: np.ndarray, weight: float, exposure: float
    ) -> np.ndarray:
        """Tempered statistics of single observations ``outcomes`` (encoded values), ``(n, P)``."""
        raise NotImplementedError

    def constant(self, ind: IndicatorData) -> float:
        """The tempered log-likelihood's part that does not depend on the parameter."""
        return 0.0

    def clip_stats(self, stats: np.ndarray) -> np.ndarray:
        """Statistics after adding and removing items, rounding noise below zero removed."""
        return np.maximum(stats, 0.0)

    # --- closed form -------------------------------------------------------------------------
    def log_marginal(self, prior: np.ndarray, stats: np.ndarray) -> np.ndarray:
        """``log integral prior(theta) prod f(y|theta)^w dtheta`` per scenario.

        ``prior`` is ``(K, P)``; ``stats`` is ``(P,)`` or a batch ``(..., P)``; the result is
        ``(K,)`` or ``(..., K)``. Excludes :meth:`constant`, the same for every scenario.
        """
        raise NotImplementedError

    def posterior(self, prior: np.ndarray, stats: np.ndarray) -> np.ndarray:
        """Conjugate posterior parameters, same shape as ``prior``."""
        raise NotImplementedError

    # --- draws and densities -----------------------------------------------------------------
    def draw(self, params: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws of the parameter for every scenario."""
        raise NotImplementedError

    def simulate(
        self, ind: IndicatorData, theta: np.ndarray, exposure: float, rng: np.random.Generator
    ) -> np.ndarray:
        """One genuine observation per parameter value (``theta`` ``(n,)`` or ``(n, C)``).

        Values as :meth:`encode` gives them (a count, 1/0, a category's index, a measurement);
        ``exposure`` is the observation's window in units of ``per_days`` (counts only).
        """
        raise NotImplementedError

    def horizon_exposure(self, spec: IndicatorSpec, days: float) -> float | None:
        """The exposure of one observation covering ``days``, for kinds observed over windows.

        ``None`` (the default): observations arrive one at a time, as separate reports.
        """
        return None

    def kernel(self, theta: np.ndarray, stats: np.ndarray) -> np.ndarray:
        """Tempered log-likelihood of all items without :meth:`constant`, shape ``(..., K)``."""
        raise NotImplementedError

    def item_loglik(self, theta: np.ndarray, ind: IndicatorData) -> np.ndarray:
        """Each item's tempered log-likelihood ``w log f(y | theta_k)``, shape ``(..., K, n)``."""
        raise NotImplementedError

    def prior_mean(self, prior: np.ndarray) -> np.ndarray:
        """Mean of the parameter under ``prior`` (``(K,)`` or ``(K, C)``)."""
        raise NotImplementedError

    def log_prior_density(self, theta: np.ndarray, prior: np.ndarray) -> np.ndarray:
        """``sum_k log p(theta_k)`` for each draw (leading dims of ``theta`` kept)."""
        raise NotImplementedError

    # --- PyMC --------------------------------------------------------------------------------
    def pymc_stats(self, ind: IndicatorData) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
        """The evidence as ``pm.Data`` contents: name suffix -> (values, dims)."""
        stats = self.stats(ind)
        return {"stat0": (np.asarray(stats[0]), ()), "stat1": (np.asarray(stats[1]), ())}

    def pymc_prior(self, ind: IndicatorData, dims: tuple[str, ...]) -> Any:
        """The indicator's parameter as a PyMC random variable named by its id (in a model)."""
        raise NotImplementedError

    def pt_kernel(self, theta: Any, stats: list[Any]) -> Any:
        """PyTensor version of :meth:`kernel`; ``stats`` are the :meth:`pymc_stats` containers."""
        raise NotImplementedError

    def pt_report_loglik(
        self, ind: IndicatorData, theta: Any, values: np.ndarray, exposures: np.ndarray
    ) -> Any:
        """PyTensor ``log f(y_r | theta_k)`` of single reports, shape ``(K, R)`` (weight 1)."""
        raise NotImplementedError

    # --- truth-mixture integrals (reliability_model: mixture) -------------------------------
    #: How the mixture likelihood is integrated over the parameter: ``quadrature`` (a scalar
    #: parameter, adaptive Gauss-Legendre in the coordinate ``u``) or ``polynomial`` (the
    #: likelihood is a polynomial in the parameter with closed-form prior moments).
    integration: ClassVar[str] = "quadrature"
    #: Whether several origins may report one event (the truth-mixture model needs values
    #: that can be equal: not for measured quantities, whose exact equality means nothing).
    shared_events: ClassVar[bool] = True
    #: Whether a value is a measured quantity, whose predictive is a density (in the
    #: indicator's unit) rather than a probability.
    measured: ClassVar[bool] = False

    def theta_from_u(self, u: np.ndarray) -> np.ndarray:
        """The parameter at the quadrature coordinate ``u`` (``log rate``, ``logit p``, ...)."""
        raise NotImplementedError

    def u_from_theta(self, theta: np.ndarray) -> np.ndarray:
        """The quadrature coordinate of parameter values (inverse of :meth:`theta_from_u`)."""
        raise NotImplementedError

    def u_location(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Centre and scale in ``u`` of the distributions with parameters ``params`` ``(S, P)``."""
        raise NotImplementedError

    def log_prior_u(self, u: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Log density of ``u`` (Jacobian included) under each row of ``params``: ``(S, Q)``."""
        raise NotImplementedError

    #: The range of ``u`` a quadrature grid may span (beyond it the prior's tails are added
    #: with the likelihood taken as constant, see :meth:`log_prior_tails`).
    u_bounds: ClassVar[tuple[float, float]] = (-np.inf, np.inf)

    def log_prior_tails(self, params: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Log prior probability of ``u < lo`` and of ``u > hi`` per row of params: ``(S, 2)``."""
        raise NotImplementedError

    def polynomial_log_marginal(
        self, params: np.ndarray, log_coef: np.ndarray, axes: np.ndarray | None = None
    ) -> np.ndarray:
        """``log E[L(theta)]`` under each row of ``params`` ``(S, P)`` for the polynomial ``L``.

        ``log_coef`` holds ``L``'s log coefficients, one axis per category indexed by power;
        ``axes`` names the categories those axes stand for (default: every category, in
        order). ``L`` does not depend on the others.
        """
        raise NotImplementedError

    def polynomial_log_moments(
        self, params: np.ndarray, powers: np.ndarray, axes: np.ndarray | None = None
    ) -> np.ndarray:
        """``log E[prod_c theta_c^n_c]``, ``(S, T)``, per row of ``params`` ``(S, P)``.

        And per row of ``powers`` ``(T, A)``, its columns the categories ``axes``.
        """
        raise NotImplementedError

    def polynomial_draw(
        self,
        params: np.ndarray,
        log_coef: np.ndarray,
        rng: np.random.Generator,
        n: int,
        axes: np.ndarray | None = None,
    ) -> np.ndarray:
        """``n`` draws from the posterior ``prior(params) * L / E[L]`` (``params`` one row)."""
        raise NotImplementedError

    # --- the next observation ----------------------------------------------------------------
    def outcomes(
        self,
        ind: IndicatorData,
        probability: np.ndarray,
        exposure: float,
        predictive: Callable[[np.ndarray], np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Possible next observations (encoded) and their posterior predictive probabilities.

        ``predictive(outcomes)`` gives the predictive probability of each outcome under the
        scenario mixture ``probability``; kinds with finitely many values enumerate them,
        others choose a support holding all but a negligible part of the mass. The
        probabilities returned sum to 1.
        """
        raise NotImplementedError

    def outcome_log_constant(
        self, ind: IndicatorData, outcomes: np.ndarray, exposure: float
    ) -> np.ndarray:
        """:meth:`constant` of one confirmed observation of each of ``outcomes``."""
        return np.zeros(len(outcomes))

    def log_predictive(
        self, ind: IndicatorData, params: np.ndarray, outcomes: np.ndarray, exposure: float
    ) -> np.ndarray:
        """``log p(y)`` of one confirmed observation of each outcome per row of ``params``.

        The parameter integrated out under each row's prior: ``(m, P)``. A kind may state it
        directly where the conjugate form loses precision (a measurement's kernel and constant
        cancel to ``y^2 / sd^2``).
        """
        stats = self.outcome_stats(ind, outcomes, 1.0, exposure)
        const = self.outcome_log_constant(ind, outcomes, exposure)
        return self.log_marginal(params, stats) + const[:, None]

    def alternatives(self, ind: IndicatorData, value: float, max_count: int) -> np.ndarray:
        """Other values an item could have had (encoded), for item tipping points."""
        raise NotImplementedError

    def tail(
        self, ind: IndicatorData, value: Any, exposure: float | None, weights: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """Predictive tail probability of one confirmed observation, per scenario and mixed.

        The tail is the chance of an observation at most as probable as ``value``, given the
        indicator's items; ``weights`` are the scenario probabilities of the mixture.
        """
        raise NotImplementedError

    def tail_support(
        self, ind: IndicatorData, value: float, exposure: float
    ) -> tuple[np.ndarray, int, np.ndarray]:
        """Outcomes to tabulate a predictive on, for tail probabilities.

        Returns the outcomes (encoded; the observed ``value`` among them), the position of
        ``value``, and each outcome's log measure (0 for counts and categories; the log width
        of its cell for a measured value, ``-inf`` for the observed point added to the grid).
        """
        raise NotImplementedError

    def tails(
        self, dens: np.ndarray, log_measure: np.ndarray, obs: int, weights: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """Tail probabilities from predictive densities on :meth:`tail_support`'s outcomes.

        ``dens`` ``(m, K)``; per scenario and under the mixture ``weights``
        (:func:`tails`; a measured value's grid is integrated cell by cell).
        """
        return tails(dens, np.exp(log_measure), obs, weights)

    def outcome_text(self, ind: IndicatorData, value: float) -> str:
        """An encoded outcome as words (``3``, ``true``, ``hostile``)."""
        raise NotImplementedError

    def observation_phrase(
        self, name: str, spec: Mapping[str, Any], values: list[str], all_values: list[str]
    ) -> str:
        """``values`` (some of ``all_values``, as :meth:`outcome_text` gave them) in words.

        E.g. "at most 1 joint operations in the next 30 days"; ``spec`` is the indicator as
        plain data.
        """
        return f"{name} observed as " + " or ".join(f"'{v}'" for v in values)

    # --- examples ------------------------------------------------------------------------------
    def example(self, scenarios: list[str]) -> dict[str, Any]:
        """An indicator of this kind as a question file has it, with a likelihood per scenario."""
        raise NotImplementedError

    def example_values(self) -> list[Any]:
        """Values items of :meth:`example` may have, as a ledger has them."""
        raise NotImplementedError

    def example_item(self) -> dict[str, Any]:
        """The keys besides ``value`` an item of :meth:`example` needs (e.g. a window)."""
        return {}

    # --- judgements ----------------------------------------------------------------------------
    def judgements(self, ind: IndicatorData, k: int, scenario: str) -> list[LikelihoodJudgement]:
        """The elicited quantities of scenario ``k``'s likelihood."""
        raise NotImplementedError

    def move_centre(
        self, ind: IndicatorData, k: int, judgement: LikelihoodJudgement, values: np.ndarray
    ) -> np.ndarray:
        """Prior parameters ``(n, P)`` with the judgement's centre at each of ``values``.

        The spread is kept as far as the family allows.
        """
        raise NotImplementedError

    def redraw_centres(
        self, ind: IndicatorData, k: int, scenario: str, rng: np.random.Generator, n: int
    ) -> np.ndarray:
        """Prior parameters ``(n, P)`` of scenario ``k`` with its centre redrawn in its band.

        Each draw is the elicited distribution with its centre moved to a value drawn from that
        distribution within its own 5%-95% band (spread kept): what another reasonable analyst
        might have written. The default serves kinds with one judgement per scenario.
        """
        (judgement,) = self.judgements(ind, k, scenario)
        low = max(judgement.low, judgement.lower_limit)
        high = min(judgement.high, judgement.upper_limit)
        values = in_band(
            lambda m: self.draw(ind.prior[k : k + 1], rng, m)[:, 0],
            lambda v: (v >= low) & (v <= high),
            n,
            judgement.base,
        )
        return self.move_centre(ind, k, judgement, values)


def in_band(
    draw: Callable[[int], np.ndarray], inside: Callable, n: int, fallback: np.ndarray
) -> np.ndarray:
    """``n`` draws of ``draw`` for which ``inside`` holds (rejection; the band holds 90%).

    Where no draw lands inside (a band of no width at extreme parameters), ``fallback`` (the
    elicited centre) stands for every draw.
    """
    kept: list[np.ndarray] = []
    have = 0
    for _ in range(100):
        x = draw(int(1.2 * (n - have)) + 16)
        with np.errstate(invalid="ignore"):
            x = x[inside(x)]
        kept.append(x)
        have += len(x)
        if have >= n:
            break
    out = np.concatenate(kept)
    if not len(out):
        out = np.asarray(fallback, dtype=float)[None]
    return np.take(out, np.arange(n) % len(out), axis=0)


def temper(weights: np.ndarray, loglik: np.ndarray) -> np.ndarray:
    """``w * loglik`` with ``0 * -inf = 0``: an item of weight 0 is no evidence at all."""
    if np.all(np.asarray(weights) == 1.0):  # the truth mixture's reports: nothing to temper
        return loglik
    with np.errstate(invalid="ignore"):
        out = weights * loglik
    return np.where(weights == 0, 0.0, out)


def tail_from_table(logp: np.ndarray, obs: int, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Tail probabilities from predictive log-probabilities ``(outcomes, K)`` of the outcomes.

    Per scenario: the total probability of the outcomes at most as probable as ``obs``; mixed:
    the same under the mixture with ``weights``.
    """
    prob = np.exp(logp)
    per = np.array(
        [prob[prob[:, kk] <= prob[obs, kk] * (1 + 1e-12), kk].sum() for kk in range(prob.shape[1])]
    )
    mixture = prob @ weights
    whole = float(mixture[mixture <= mixture[obs] * (1 + 1e-12)].sum())
    return np.minimum(per, 1.0), min(whole, 1.0)


def tails(
    dens: np.ndarray, measure: np.ndarray, obs: int, weights: np.ndarray
) -> tuple[np.ndarray, float]:
    """Tail probabilities of outcome ``obs`` from predictive densities ``dens`` ``(m, K)``.

    The chance of an outcome at most as probable as ``obs``, per scenario and under the mixture
    ``weights``; ``measure`` weighs each outcome (its cell width for a measured value, else 1).
    """
    per = np.array(
        [
            np.sum((dens[:, k] * measure)[dens[:, k] <= dens[obs, k] * (1 + 1e-12)])
            for k in range(dens.shape[1])
        ]
    )
    mixed = dens @ weights
    whole = float(np.sum((mixed * measure)[mixed <= mixed[obs] * (1 + 1e-12)]))
    return np.minimum(per, 1.0), min(whole, 1.0)


def finite_outcomes(
    outcomes: np.ndarray, predictive: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Every value of a finite support with its predictive probability (normalised)."""
    pred = predictive(outcomes)
    return outcomes, pred / pred.sum()
