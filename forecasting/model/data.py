"""Question plus evidence, as the arrays both engines compute with.

This is the single translation from validated data to numbers: prior parameters per scenario,
tempered sufficient statistics per indicator, and the item table. Engines and analyses take a
:class:`ModelData` and never read the question or the ledger themselves; everything that
depends on an indicator's kind is asked of its :class:`~forecasting.kinds.Kind`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from ..inputs.evidence import Evidence
from ..inputs.question import Question
from ..kinds import IndicatorSpec, Kind, get_kind
from . import ageing
from .dynamics import Timeline


@dataclass(frozen=True)
class IndicatorData:
    """One indicator: its kind, its specification, prior parameters and its items' data."""

    id: str
    kind: Kind
    spec: IndicatorSpec
    prior: np.ndarray  # (K, P)
    item_ids: tuple[str, ...]
    values: np.ndarray  # (n,) float, as the kind encodes them
    weights: np.ndarray  # (n,)
    exposures: np.ndarray  # (n,); 1 where the kind has no exposure
    #: ``tempered`` or ``mixture`` (:mod:`.likelihood`)
    reliability_model: str = "tempered"
    #: Who first reported each item (default: each item its own origin).
    origins: tuple[str, ...] = ()
    #: Each item's origin's reliability, its credibility and its relays' faithfulness (the
    #: truth-mixture model's genuineness levels); ``None``: 1, the weight, 1.
    origin_weights: np.ndarray | None = None
    credibility: np.ndarray | None = None
    relay: np.ndarray | None = None
    #: Each item's event id (``None``: its own event); default: every item its own event.
    events: tuple[str | None, ...] = ()
    #: The scenarios' prior probabilities (the noise distribution averages over them).
    scenario_prior: np.ndarray | None = field(default=None, repr=False)
    #: Parameters ``(1, P)`` of the noise distribution, in place of the question's (for
    #: sensitivity analyses); ``None``: as the question says.
    noise: np.ndarray | None = field(default=None, repr=False)
    #: Each item's ageing factor (:mod:`.ageing`; already in ``weights`` and ``credibility``);
    #: ``None``: 1.
    ageing: np.ndarray | None = None
    #: Each item's reference date (what it reports) as a proleptic ordinal; ``None``: unknown.
    ref_days: np.ndarray | None = None
    #: With dynamics, each scenario's trend ``beta`` per period (counts; ``None``: none).
    trend: np.ndarray | None = None
    #: The exposures a false report's noise is of, where a scenario's trend has scaled
    #: ``exposures`` (the noise says nothing about the scenario); ``None``: ``exposures``.
    noise_exposures: np.ndarray | None = None

    @property
    def stats(self) -> np.ndarray:
        """Tempered sufficient statistics of all its items."""
        return self.kind.stats(self)

    @property
    def constant(self) -> float:
        """Parameter-free part of the log-likelihood (same for every scenario)."""
        return self.model.constant

    @cached_property
    def views(self) -> dict[tuple, IndicatorData]:
        """Subsets of its reports made by :func:`.dynamics.share_view`, kept with it."""
        return {}

    @cached_property
    def model(self):
        """How the items enter the model (:class:`~.tempered.Tempered` or ``Mixture``)."""
        from .cubature_mixture import model_for
        from .tempered import Tempered

        return model_for(self) if self.reliability_model == "mixture" else Tempered(self)

    def log_marginal(self) -> np.ndarray:
        """Log marginal likelihood of its items per scenario, shape ``(K,)``."""
        return self.model.log_marginal() + self.constant

    @property
    def item_origins(self) -> tuple[str, ...]:
        """Each item's origin (its own id where none were given)."""
        return self.origins or tuple(f"item:{i}" for i in self.item_ids)

    @property
    def item_origin_weights(self) -> np.ndarray:
        """Each item's origin's reliability (1 where none were given)."""
        return np.ones(len(self.values)) if self.origin_weights is None else self.origin_weights

    @property
    def item_credibility(self) -> np.ndarray:
        """Each item's credibility (its weight where none was given)."""
        return self.weights if self.credibility is None else self.credibility

    @property
    def item_relay(self) -> np.ndarray:
        """Each item's relay chain's faithfulness (1 where none was given)."""
        return np.ones(len(self.values)) if self.relay is None else self.relay

    @property
    def item_ageing(self) -> np.ndarray:
        """Each item's ageing factor (1 where it does not age)."""
        return np.ones(len(self.values)) if self.ageing is None else self.ageing

    @property
    def item_events(self) -> tuple[str | None, ...]:
        """Each item's event id (``None``: its own event)."""
        return self.events or (None,) * len(self.values)

    def plus_report(
        self, value: float, weight: float, exposure: float, day: float
    ) -> IndicatorData:
        """The indicator with one more report (encoded ``value``) from a new origin.

        Of reliability ``weight``, over ``exposure``, about what happened on ordinal ``day``.
        """
        n = len(self.values)

        def more(a, x):
            return np.append(np.ones(n) if a is None else a, x)

        return replace(
            self,
            item_ids=(*self.item_ids, "next report"),
            values=np.append(self.values, value),
            weights=np.append(self.weights, weight),
            exposures=np.append(self.exposures, exposure),
            origins=(*self.item_origins, "next report's origin"),
            origin_weights=more(self.origin_weights, 1.0),
            credibility=np.append(self.item_credibility, weight),
            relay=more(self.relay, 1.0),
            events=(*self.item_events, None),
            ageing=more(self.ageing, 1.0),
            ref_days=more(self.ref_days, day),
            noise_exposures=None
            if self.noise_exposures is None
            else np.append(self.noise_exposures, exposure),
        )

    def with_items(self, mask: np.ndarray) -> IndicatorData:
        """The same indicator with only the items where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)

        def pick(seq):
            return tuple(x for x, m in zip(seq, mask, strict=True) if m) if seq else seq

        def pick_array(a):
            return None if a is None else a[mask]

        return replace(
            self,
            item_ids=pick(self.item_ids),
            values=self.values[mask],
            weights=self.weights[mask],
            exposures=self.exposures[mask],
            origins=pick(self.origins),
            origin_weights=pick_array(self.origin_weights),
            credibility=pick_array(self.credibility),
            relay=pick_array(self.relay),
            events=pick(self.events),
            ageing=pick_array(self.ageing),
            ref_days=pick_array(self.ref_days),
            noise_exposures=pick_array(self.noise_exposures),
        )


@dataclass(frozen=True)
class ModelData:
    """Everything the engines need, as arrays in scenario order."""

    question_id: str
    scenarios: tuple[str, ...]
    labels: tuple[str, ...]
    prior: np.ndarray  # (K,)
    concentration: float
    indicators: tuple[IndicatorData, ...]
    item_ids: tuple[str, ...]  # ledger order
    item_indicator: tuple[str, ...]
    #: The periods and transition matrix of a question with dynamics (:mod:`.dynamics`).
    timeline: Timeline | None = None

    @classmethod
    def build(cls, question: Question, evidence: Evidence) -> ModelData:
        """Translate a validated question and (already as-of filtered) evidence."""
        scenarios = question.scenario_ids
        labels = question.labels  # once: a property builds the mapping at every call
        relays = question.relays or {}
        as_of = evidence.known_on
        by_indicator: dict[str, list] = {k: [] for k in question.indicators}
        for it in evidence.items:
            by_indicator[it.indicator].append(it)
        indicators = []
        for name, spec in question.indicators.items():
            items = by_indicator[name]
            kind = get_kind(spec.kind)
            reference = [it.reference_date for it in items]
            aged = ageing.factors(reference, as_of, ageing.half_life(question, name))
            indicators.append(
                IndicatorData(
                    id=name,
                    kind=kind,
                    spec=spec,
                    prior=spec.prior_params(scenarios),
                    item_ids=tuple(it.id for it in items),
                    values=np.array([kind.encode(spec, it.value) for it in items], dtype=float),
                    weights=np.array([it.weight for it in items], dtype=float) * aged,
                    exposures=np.array(
                        [1.0 if it.exposure is None else it.exposure for it in items], dtype=float
                    ),
                    reliability_model=question.reliability,
                    origins=tuple(it.origin for it in items),
                    origin_weights=np.array([it.origin_weight for it in items], dtype=float),
                    credibility=np.array([it.credibility for it in items], dtype=float) * aged,
                    relay=np.array([relay(it.via, relays) for it in items], dtype=float),
                    events=tuple(it.event for it in items),
                    scenario_prior=question.prior,
                    ageing=aged,
                    ref_days=np.array([d.toordinal() for d in reference], dtype=float),
                    trend=_trend(spec, scenarios),
                )
            )
        return cls(
            question_id=question.id,
            scenarios=tuple(scenarios),
            labels=tuple(labels[s] for s in scenarios),
            prior=question.prior,
            concentration=question.concentration,
            indicators=tuple(indicators),
            item_ids=tuple(it.id for it in evidence.items),
            item_indicator=tuple(it.indicator for it in evidence.items),
            timeline=_timeline(question, as_of),
        )

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios ``K``."""
        return len(self.scenarios)

    def log_marginals(self) -> np.ndarray:
        """Per-indicator log marginal likelihoods, shape ``(J, K)``."""
        if not self.indicators:
            return np.zeros((0, self.n_scenarios))
        return np.stack([ind.log_marginal() for ind in self.indicators])

    def indicator(self, name: str) -> tuple[int, IndicatorData]:
        """Position and data of an indicator."""
        for j, ind in enumerate(self.indicators):
            if ind.id == name:
                return j, ind
        raise KeyError(f"no indicator '{name}'")

    def without_items(self, ids: set[str]) -> ModelData:
        """The same model with the items ``ids`` removed."""
        indicators = tuple(
            ind.with_items(np.array([i not in ids for i in ind.item_ids], dtype=bool))
            for ind in self.indicators
        )
        keep = [k for k, i in enumerate(self.item_ids) if i not in ids]
        return replace(
            self,
            indicators=indicators,
            item_ids=tuple(self.item_ids[k] for k in keep),
            item_indicator=tuple(self.item_indicator[k] for k in keep),
        )


def _trend(spec, scenarios) -> np.ndarray | None:
    trend = getattr(spec, "trend", None)
    if not trend:
        return None
    return np.array([float(trend.get(s, 0.0)) for s in scenarios])


def _timeline(question: Question, as_of) -> Timeline | None:
    dyn = question.dynamics
    if dyn is None or question.resolves is None:
        return None
    when = as_of if as_of is not None else question.resolves
    return Timeline(
        dyn.matrix(question.scenario_ids),
        float(dyn.period_days),
        question.resolves.toordinal(),
        when.toordinal(),
    )


def relay(via: tuple[str, ...], relays: dict[str, float]) -> float:
    """The probability that a relay chain passed a report on faithfully (1 where not given)."""
    out = 1.0
    for outlet in via:
        out *= relays.get(outlet, 1.0)
    return out
