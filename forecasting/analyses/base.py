"""What every analysis starts from: a model and its closed-form posterior (:class:`Base`).

Analyses take a :class:`~forecasting.results.forecast.Forecast`, a :class:`Base`, or a question
(with evidence and an as-of date) and return xarray objects keyed by the question's and the
ledger's ids. Everything here is exact and vectorised over settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from ..core.stats import normalise_log
from ..inputs.evidence import Evidence
from ..inputs.question import Question
from ..inputs.resolve import resolve_inputs
from ..model.data import IndicatorData, ModelData
from ..results.forecast import Forecast


@dataclass(frozen=True)
class Base:
    """A model with its closed-form pieces, shared by every analysis."""

    data: ModelData
    question: Question | None = None
    evidence: Evidence | None = None
    #: With dynamics: each indicator's path tables by content, shared by the variants; and the
    #: next observations (:mod:`.observation`), which two analyses ask of one base.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def dynamic(self) -> bool:
        """Whether the question has dynamics (the posterior is then at the resolution date)."""
        return self.data.timeline is not None

    def dynamic_log_joint(self, data: ModelData) -> np.ndarray:
        """``log P(S_T = k | E)`` of a variant of the model (dynamics; normalised)."""
        from ..model import dynamics

        with np.errstate(divide="ignore"):
            return np.log(dynamics.posterior(data, memo=self.memo).probability)

    def with_indicator_data(self, j: int, variants: list[IndicatorData]) -> np.ndarray:
        """Log posteriors ``(n, K)`` with indicator ``j`` replaced by each of ``variants``.

        Static: by their log marginals; with dynamics: each variant's dynamic posterior.
        """
        if not self.dynamic:
            if not variants:
                return np.zeros((0, self.data.n_scenarios))
            lm = np.stack([v.model.log_marginal() for v in variants])
            return self.with_indicator(j, lm)
        rows = []
        for v in variants:
            inds = list(self.data.indicators)
            inds[j] = v
            rows.append(self.dynamic_log_joint(replace(self.data, indicators=tuple(inds))))
        return np.array(rows).reshape(len(variants), self.data.n_scenarios)

    @cached_property
    def log_marginals(self) -> np.ndarray:
        """Per-indicator log marginal likelihoods without constants, ``(J, K)``."""
        if not self.data.indicators:
            return np.zeros((0, self.data.n_scenarios))
        return np.stack([i.model.log_marginal() for i in self.data.indicators])

    @cached_property
    def log_prior(self) -> np.ndarray:
        """Log prior scenario probabilities."""
        with np.errstate(divide="ignore"):
            return np.log(self.data.prior)

    @cached_property
    def log_joint(self) -> np.ndarray:
        """``log prior_k + sum_j log m_kj`` (unnormalised log posterior).

        With dynamics: the log posterior at the resolution date.
        """
        if self.dynamic:
            return self.dynamic_log_joint(self.data)
        return self.log_prior + self.log_marginals.sum(axis=0)

    @cached_property
    def probability(self) -> np.ndarray:
        """``P(S = k | E)``."""
        return normalise_log(self.log_joint)

    @property
    def leader(self) -> int:
        """Index of the most probable scenario."""
        return int(np.argmax(self.probability))

    @property
    def scenarios(self) -> list[str]:
        """Scenario ids."""
        return list(self.data.scenarios)

    def indicator(self, name: str) -> tuple[int, IndicatorData]:
        """Position and data of an indicator."""
        return self.data.indicator(name)

    def item(self, item_id: str) -> tuple[int, IndicatorData, int]:
        """Indicator position, indicator data and position within it, of an item."""
        for j, ind in enumerate(self.data.indicators):
            if item_id in ind.item_ids:
                return j, ind, ind.item_ids.index(item_id)
        raise KeyError(f"no evidence item '{item_id}'")

    def with_indicator(self, j: int, log_marginals: np.ndarray) -> np.ndarray:
        """Unnormalised log posteriors ``(n, K)`` with indicator ``j``'s log marginals replaced.

        ``log_marginals`` is a batch ``(n, K)`` from the indicator's model (e.g. with one item
        left out, or one more observation added: :mod:`forecasting.model.likelihood`).
        """
        return self.log_joint[None, :] - self.log_marginals[j][None, :] + log_marginals


def base_of(
    source: Any, evidence: Evidence | str | Path | None = None, as_of: dt.date | str | None = None
) -> Base:
    """A :class:`Base` from a Forecast, a :class:`Base`, or a question (+ evidence, as-of)."""
    if isinstance(source, Base):
        return source
    if isinstance(source, Forecast):
        question, ev = source.question_spec(), source.evidence()
        return Base(ModelData.build(question, ev), question, ev)
    question, used, _ = resolve_inputs(source, evidence, as_of)
    return Base(ModelData.build(question, used), question, used)


def logit(log_joint: np.ndarray) -> np.ndarray:
    """``log P_k - log(1 - P_k)`` from unnormalised log weights, in log space."""
    k = log_joint.shape[-1]
    out = np.empty_like(log_joint)
    for i in range(k):
        rest = np.delete(log_joint, i, axis=-1)
        out[..., i] = log_joint[..., i] - special.logsumexp(rest, axis=-1)
    return out


#: Log weights closer than this are a tie, not a new leader (rounding moves an exact tie,
#: such as equal priors and no evidence, by about 1e-16 either way).
TIE = 1e-9


def margin(lj: np.ndarray, leader: int) -> np.ndarray:
    """Leader's log weight minus the best other scenario's, ties counted as leading.

    Non-negative while it leads; negative once another scenario is ahead by more than
    :data:`TIE`.
    """
    rest = np.delete(lj, leader, axis=-1)
    m = lj[..., leader] - rest.max(axis=-1)
    return np.where(m >= -TIE, np.maximum(m, 0.0), m)
