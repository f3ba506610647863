"""Question plus evidence, as the arrays both engines compute with.

This is the single translation from validated data to numbers: prior parameters per scenario,
tempered sufficient statistics per indicator, and the item table. Engines and analyses take a
:class:`ModelData` and never read the question or the ledger themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .evidence import Evidence
from .families import Family, family
from .spec import CategoricalIndicator, CountIndicator, Question


@dataclass(frozen=True)
class IndicatorData:
    """One indicator: its family, prior parameters and its items' data."""

    id: str
    kind: str
    family: Family
    prior: np.ndarray  # (K, 2) or (K, C)
    categories: tuple[str, ...] | None
    item_ids: tuple[str, ...]
    values: np.ndarray  # (n,) float: count, 1/0, or category index
    weights: np.ndarray  # (n,)
    exposures: np.ndarray  # (n,); 1 for non-count items

    @property
    def stats(self) -> np.ndarray:
        """Tempered sufficient statistics of all its items."""
        return self.family.stats(
            self.values, self.weights, self.exposures, len(self.categories or ())
        )

    @property
    def constant(self) -> float:
        """Parameter-free part of the tempered log-likelihood (same for every scenario)."""
        return self.family.constant(self.values, self.weights, self.exposures)

    def log_marginal(self) -> np.ndarray:
        """Log marginal likelihood of its items per scenario, shape ``(K,)``."""
        return self.family.log_marginal(self.prior, self.stats) + self.constant

    def with_items(self, mask: np.ndarray) -> IndicatorData:
        """The same indicator with only the items where ``mask`` is true."""
        return IndicatorData(
            self.id,
            self.kind,
            self.family,
            self.prior,
            self.categories,
            tuple(i for i, m in zip(self.item_ids, mask, strict=True) if m),
            self.values[mask],
            self.weights[mask],
            self.exposures[mask],
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

    @classmethod
    def build(cls, question: Question, evidence: Evidence) -> ModelData:
        """Translate a validated question and (already as-of filtered) evidence."""
        scenarios = question.scenario_ids
        by_indicator: dict[str, list] = {k: [] for k in question.indicators}
        for it in evidence.items:
            by_indicator[it.indicator].append(it)
        indicators = []
        for name, spec in question.indicators.items():
            items = by_indicator[name]
            cats = tuple(spec.categories) if isinstance(spec, CategoricalIndicator) else None
            if isinstance(spec, CategoricalIndicator):
                index = {c: i for i, c in enumerate(spec.categories)}
                values = np.array([index[it.value] for it in items], dtype=float)
            else:
                values = np.array([float(it.value) for it in items], dtype=float)
            exposures = np.array(
                [it.exposure if isinstance(spec, CountIndicator) else 1.0 for it in items],
                dtype=float,
            )
            indicators.append(
                IndicatorData(
                    id=name,
                    kind=spec.kind,
                    family=family(spec.kind),
                    prior=spec.prior_params(scenarios),
                    categories=cats,
                    item_ids=tuple(it.id for it in items),
                    values=values,
                    weights=np.array([it.weight for it in items], dtype=float),
                    exposures=exposures,
                )
            )
        return cls(
            question_id=question.id,
            scenarios=tuple(scenarios),
            labels=tuple(question.labels[s] for s in scenarios),
            prior=question.prior,
            concentration=question.concentration,
            indicators=tuple(indicators),
            item_ids=tuple(it.id for it in evidence.items),
            item_indicator=tuple(it.indicator for it in evidence.items),
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

    def without_items(self, ids: set[str]) -> ModelData:
        """The same model with the items ``ids`` removed."""
        indicators = tuple(
            ind.with_items(np.array([i not in ids for i in ind.item_ids], dtype=bool))
            for ind in self.indicators
        )
        keep = [k for k, i in enumerate(self.item_ids) if i not in ids]
        return ModelData(
            self.question_id,
            self.scenarios,
            self.labels,
            self.prior,
            self.concentration,
            indicators,
            tuple(self.item_ids[k] for k in keep),
            tuple(self.item_indicator[k] for k in keep),
        )
