"""Shapley values of named changes to a model's state (for :mod:`.attribution`).

A :class:`State` holds what the posterior depends on (log prior, each indicator's prior
parameters, definition and items, the reliability model); a :class:`Change` edits a state;
:func:`shapley` splits the effect of a group of changes on the posterior probabilities into
each change's Shapley value, exactly or from random orders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.stats import normalise_log
from ..model import dynamics
from ..model.data import IndicatorData, ModelData
from ..model.dynamics import Timeline

#: Largest number of changes in a group for which Shapley values are computed exactly.
MAX_EXACT = 12
#: Random orders drawn when a group is larger than :data:`MAX_EXACT`.
PERMUTATIONS = 2000


# --- state: everything the closed form needs, as arrays --------------------------------------


@dataclass
class State:
    """Prior, per-indicator prior parameters and items; value = posterior probabilities.

    ``items`` holds each indicator's evidence items (each one item's
    :class:`~forecasting.model.data.IndicatorData`, by id), ``specs`` the indicator
    definitions they are read by, ``reliability`` the question's reliability model.
    ``marginals`` remembers each indicator's log marginal likelihood by its parameters and
    items, shared by the copies of a state: the 2**n subsets of an exact Shapley value change
    one indicator at a time, so most of their marginals are ones already computed.
    """

    log_prior: np.ndarray
    params: dict[str, np.ndarray]
    specs: dict[str, IndicatorData]
    items: dict[str, dict[str, IndicatorData]]
    reliability: str
    marginals: dict[tuple, np.ndarray] = field(default_factory=dict)
    #: With dynamics, the periods and transition matrix (:mod:`~forecasting.model.dynamics`).
    timeline: Timeline | None = None

    def copy(self) -> State:
        """A copy to edit (the memo of marginals is shared)."""
        return State(
            self.log_prior.copy(),
            {k: v.copy() for k, v in self.params.items()},
            dict(self.specs),
            {k: dict(v) for k, v in self.items.items()},
            self.reliability,
            self.marginals,
            self.timeline,
        )

    def _log_marginal(self, name: str) -> np.ndarray:
        p, rows = self.params[name], self.items[name]
        ids = sorted(rows)
        key = (
            name,
            self.specs[name].kind.name,
            self.reliability,
            p.shape,
            p.tobytes(),
            tuple((i, row_key(rows[i])) for i in ids),
        )
        found = self.marginals.get(key)
        if found is None:
            ind = combine(self.specs[name], [rows[i] for i in ids], p, self.reliability)
            found = self.marginals[key] = ind.model.log_marginal()
        return found

    def probability(self) -> np.ndarray:
        """The posterior scenario probabilities of this state (with dynamics: at resolution)."""
        if self.timeline is not None:
            return self._dynamic()
        lj = self.log_prior.copy()
        for name in self.params:
            lj = lj + self._log_marginal(name)
        return normalise_log(lj)

    def _dynamic(self) -> np.ndarray:
        indicators = tuple(
            combine(
                self.specs[name],
                [rows[i] for i in sorted(rows)],
                self.params[name],
                self.reliability,
            )
            for name, rows in self.items.items()
        )
        k = len(self.log_prior)
        data = ModelData(
            question_id="",
            scenarios=tuple(str(i) for i in range(k)),
            labels=tuple(str(i) for i in range(k)),
            prior=np.exp(self.log_prior),
            concentration=1.0,
            indicators=indicators,
            item_ids=(),
            item_indicator=(),
            timeline=self.timeline,
        )
        return dynamics.posterior(data, memo=self.marginals).probability


def row_key(row: IndicatorData) -> tuple:
    """What identifies one item's data (its value, exposure and reliability levels)."""
    return (
        float(row.values[0]),
        float(row.weights[0]),
        float(row.exposures[0]),
        row.item_origins[0],
        float(row.item_origin_weights[0]),
        float(row.item_credibility[0]),
        float(row.item_relay[0]),
        row.item_events[0],
        float(row.item_ageing[0]),
        None if row.ref_days is None else float(row.ref_days[0]),
    )


def combine(
    spec: IndicatorData, rows: list[IndicatorData], params: np.ndarray, reliability: str
) -> IndicatorData:
    """The indicator ``spec`` with prior ``params`` and the items ``rows``."""

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(r, name) for r in rows]) if rows else np.zeros(0)

    return replace(
        spec,
        prior=params,
        item_ids=tuple(i for r in rows for i in r.item_ids),
        values=cat("values"),
        weights=cat("weights"),
        exposures=cat("exposures"),
        reliability_model=reliability,
        origins=tuple(o for r in rows for o in r.item_origins),
        origin_weights=np.concatenate([r.item_origin_weights for r in rows]) if rows else None,
        credibility=np.concatenate([r.item_credibility for r in rows]) if rows else None,
        relay=np.concatenate([r.item_relay for r in rows]) if rows else None,
        events=tuple(e for r in rows for e in r.item_events),
        ageing=np.concatenate([r.item_ageing for r in rows]) if rows else None,
        ref_days=np.concatenate([_ref_days(r) for r in rows]) if rows else None,
    )


def _ref_days(row: IndicatorData) -> np.ndarray:
    return np.full(len(row.values), np.nan) if row.ref_days is None else row.ref_days


def state_of(data: ModelData) -> State:
    """The state of a model."""
    with np.errstate(divide="ignore"):
        log_prior = np.log(data.prior)
    return State(
        log_prior,
        {i.id: i.prior.copy() for i in data.indicators},
        {i.id: bare(i) for i in data.indicators},
        {i.id: item_rows(i) for i in data.indicators},
        data.indicators[0].reliability_model if data.indicators else "tempered",
        timeline=data.timeline,
    )


def bare(ind: IndicatorData) -> IndicatorData:
    """The indicator without its items."""
    return ind.with_items(np.zeros(len(ind.item_ids), dtype=bool))


def item_rows(ind: IndicatorData) -> dict[str, IndicatorData]:
    """Each item of an indicator as a one-item indicator, by id."""
    n = len(ind.item_ids)
    return {i: ind.with_items(np.arange(n) == k) for k, i in enumerate(ind.item_ids)}


@dataclass(frozen=True)
class Change:
    """One named change; ``apply`` edits a state in place (changes of a group commute)."""

    kind: str
    id: str
    label: str
    apply: Callable[[State], None]
    date: str = ""


# --- Shapley values ---------------------------------------------------------------------------

#: A coalition's value: the players in it as the bits of a mask.
Value = Callable[[int], np.ndarray]


def shapley_values(
    value: Value, n: int, *, max_exact: int, permutations: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """Shapley value of each of ``n`` players; ``value(mask)`` is a coalition's vector.

    Returns the values ``(n, K)``, their Monte Carlo standard errors (0 when exact) and the
    method, ``exact`` (every coalition) or ``sampled`` (``permutations`` random orders).
    """
    empty = np.asarray(value(0), dtype=float)
    if n == 0:
        return np.zeros((0, len(empty))), np.zeros((0, len(empty))), "exact"
    if n <= max_exact:
        masks = np.arange(1 << n)
        values = np.array([empty, *(value(int(m)) for m in masks[1:])], dtype=float)
        size = np.array([bin(int(m)).count("1") for m in masks])
        fact = [math.factorial(s) for s in range(n + 1)]
        weight = np.array([fact[s] * fact[n - s - 1] / fact[n] if s < n else 0.0 for s in size])
        phi = np.zeros((n, values.shape[1]))
        for i in range(n):
            without = masks[(masks >> i) & 1 == 0]
            phi[i] = weight[without] @ (values[without | (1 << i)] - values[without])
        return phi, np.zeros_like(phi), "exact"
    rng = np.random.default_rng(seed)
    samples = np.zeros((permutations, n, len(empty)))
    for m in range(permutations):
        mask, previous = 0, empty
        for i in rng.permutation(n):
            mask |= 1 << int(i)
            current = np.asarray(value(mask), dtype=float)
            samples[m, i] = current - previous
            previous = current
    return samples.mean(0), samples.std(0, ddof=1) / math.sqrt(permutations), "sampled"


def cached(value: Value) -> Value:
    """``value`` remembering each mask's result."""
    memo: dict[int, np.ndarray] = {}

    def get(mask: int) -> np.ndarray:
        if mask not in memo:
            memo[mask] = value(mask)
        return memo[mask]

    return get


def shapley(
    start: State, changes: Sequence[Change], *, seed: int = 0, permutations: int = PERMUTATIONS
) -> tuple[np.ndarray, np.ndarray, str]:
    """Shapley value of each change (rows) for every scenario (columns).

    Also returns the standard errors (zero when exact) and the method used (``exact`` or
    ``sampled``).
    """
    n = len(changes)
    k = len(start.log_prior)
    if n == 0:
        return np.zeros((0, k)), np.zeros((0, k)), "exact"

    def value(subset: Sequence[int]) -> np.ndarray:
        s = start.copy()
        for i in sorted(subset):
            changes[i].apply(s)
        return s.probability()

    if n <= MAX_EXACT:
        return shapley_values(
            lambda mask: value([i for i in range(n) if mask >> i & 1]),
            n,
            max_exact=MAX_EXACT,
            permutations=permutations,
        )
    rng = np.random.default_rng(seed)
    samples = np.zeros((permutations, n, k))
    for m in range(permutations):
        order = rng.permutation(n)
        s = start.copy()
        prev = s.probability()
        for i in order:
            changes[i].apply(s)
            cur = s.probability()
            samples[m, i] = cur - prev
            prev = cur
    return samples.mean(0), samples.std(0, ddof=1) / math.sqrt(permutations), "sampled"
