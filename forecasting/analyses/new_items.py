"""The week's new items, the models of the evidence before each, and how many of them to walk.

The surprise check (:mod:`.surprise_check`) and the prequential scores (:mod:`.prequential`)
judge each new item given the evidence before it: its tail given the evidence before the week
("alone"), and, walking the new items in date order, its tail and log score given the
evidence before it and the new items before it. :class:`NewItems` builds each of those models
once and keeps it with its integrals; an indicator whose items are the same in two of them is
the same object in both, so its integrals are computed once (on the weekly update of a
300-scenario question with 10 new items this shares 11 builds and their integrals).

**A budget of work.** Each step of the walk builds a model of every item known at that step
and integrates the changed indicator's likelihood again, several times for a tail; the first
update of a question with a large ledger walks all of it. An indicator of 300 unreliable
categorical reports needs a polynomial of millions of terms at its 150th step (seconds per
integral, five integrals per tail): the walk would take hours. So the work is estimated before
anything is computed (:func:`step_work`, in units of about 10 ns on the machine of 2026-12)
and bounded by :data:`WALK_BUDGET` (about half a minute): new items in date order, each
item's tail alone first, then each item's step of the walk, until an indicator's next item
does not fit; that indicator's later items are then left out of the walk (:attr:`Plan.left`)
and their tails alone are not computed. The estimate depends on the items *before* each item,
never on its own value, so which items are tested is decided before their values are seen:
the tested items' sequential tails stay independent and uniform under the model, as Fisher's
combination needs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from ..inputs.evidence import Evidence, EvidenceItem
from ..inputs.question import Question
from ..kinds import get_kind
from ..model.cubature_mixture import by_cubature
from ..model.data import IndicatorData, ModelData
from ..results.forecast import Forecast

#: Work the walk and the tails alone may take together (units of :func:`step_work`): about
#: 30 s on the machine of 2026-12 (measured: a 1.4-million-term polynomial of 150 reports,
#: 2.2e8 units, took 3.3 s; a 300,000-term one of 100 reports, 3e7 units, 0.24 s).
WALK_BUDGET: float = 3e9
#: Work of one cubature (:mod:`forecasting.model.cubature`): 0.3-1.3 s measured.
CUBATURE_WORK: float = 1e8
#: Work per report of one integral on a quadrature grid (about 1,000 nodes).
GRID_WORK: float = 1e3
#: Work per item known of building the model of a step.
BUILD_WORK: float = 1e3


@dataclass(frozen=True)
class Plan:
    """Which new items the walk takes (date order), and which it leaves out."""

    walked: tuple[EvidenceItem, ...]
    left: tuple[EvidenceItem, ...]
    #: Ids of the new items whose tail given the evidence before the week is computed.
    alone: frozenset[str]
    #: The work estimated (:func:`step_work` units) and the budget.
    work: float
    budget: float


@dataclass
class NewItems:
    """The items of a forecast not in the previous one (``fresh``) and those that were."""

    question: Question
    before: list[EvidenceItem]
    fresh: list[EvidenceItem]  # ledger order
    budget: float = WALK_BUDGET
    _models: dict[int, ModelData] = field(default_factory=dict, repr=False)
    _shared: dict[tuple, IndicatorData] = field(default_factory=dict, repr=False)

    @property
    def in_order(self) -> list[EvidenceItem]:
        """The new items in date order (ties by id): the order they are tested and scored in."""
        return sorted(self.fresh, key=lambda x: (x.date, x.id))

    @cached_property
    def plan(self) -> Plan:
        """The new items the walk takes within :attr:`budget` (see the module's docstring)."""
        known = Counter(it.indicator for it in self.before)
        values: dict[str, Counter] = {}
        for it in self.before:
            values.setdefault(it.indicator, Counter())[str(it.value)] += 1
        spent, alone = 0.0, set()
        for it in self.in_order:  # the tails alone: each given the evidence before the week
            cost = tail_work(self.question, it.indicator, known, values)
            if spent + cost <= self.budget:
                spent += cost
                alone.add(it.id)
        walked: list[EvidenceItem] = []
        stopped: set[str] = set()
        for it in self.in_order:
            if it.indicator in stopped:
                continue
            n_known = len(self.before) + len(walked)
            cost = BUILD_WORK * (n_known + 1) + step_work(
                self.question, it.indicator, known, values
            )
            if spent + cost > self.budget:
                stopped.add(it.indicator)
                continue
            spent += cost
            walked.append(it)
            known[it.indicator] += 1
            values.setdefault(it.indicator, Counter())[str(it.value)] += 1
        taken = {it.id for it in walked}
        left = tuple(it for it in self.in_order if it.id not in taken)
        return Plan(tuple(walked), left, frozenset(alone), spent, self.budget)

    def known(self, n: int) -> list[EvidenceItem]:
        """The items before the ``n``-th walked new item: the old ones and ``n`` walked ones."""
        return [*self.before, *self.plan.walked[:n]]

    def model(self, n: int) -> ModelData:
        """The model of :meth:`known` ``(n)`` (built at the first call, then kept)."""
        if n not in self._models:
            self._models[n] = self._build(self.known(n))
        return self._models[n]

    @cached_property
    def model_all(self) -> ModelData:
        """The model of every item, old and new (the walked ones, then those left out)."""
        return self._build([*self.known(len(self.plan.walked)), *self.plan.left])

    def _build(self, items: list[EvidenceItem]) -> ModelData:
        """The model of ``items``, each indicator shared with earlier models where the same."""
        q = self.question
        data = ModelData.build(q, Evidence(q.id, tuple(items)))
        indicators = []
        for ind in data.indicators:
            key = _fingerprint(ind)
            indicators.append(self._shared.setdefault(key, ind))
        return replace(data, indicators=tuple(indicators))


def _fingerprint(ind: IndicatorData) -> tuple:
    """What an indicator's integrals depend on: equal fingerprints, equal numbers."""
    out: list = [ind.id]
    for name, value in vars(ind).items():
        if name in ("kind", "spec", "model", "views") or name.startswith("_"):
            continue
        if isinstance(value, np.ndarray):
            out.append((name, value.dtype.str, value.shape, value.tobytes()))
        else:
            out.append((name, value))
    return tuple(out)


def integral_work(
    question: Question, indicator: str, known: Counter, values: dict[str, Counter]
) -> float:
    """Estimated work of one integral of an indicator's likelihood after one more report.

    From the items known (``known``: their number per indicator; ``values``: per indicator,
    how many name each value), not from the next report's value: the truth mixture's
    categorical polynomial has ``prod_c (n_c + 1)`` terms, built in a pass per report (at most
    twice that with the next report), or a cubature where
    :func:`~forecasting.model.cubature_mixture.by_cubature` says so; other kinds a quadrature
    grid; the tempered model a closed form.
    """
    n = known[indicator] + 1
    spec = question.indicators[indicator]
    if question.reliability != "mixture":
        return float(n)
    if get_kind(spec.kind).integration != "polynomial":
        return GRID_WORK * n
    counts = values.get(indicator, Counter())
    terms = 2.0 * float(np.prod([c + 1.0 for c in counts.values()]))
    if by_cubature(terms, _outcomes(spec)):
        return CUBATURE_WORK
    return min(terms * n, 1e18)


def _outcomes(spec: Any) -> int:
    """The outcomes a polynomial kind's report may have (its categories)."""
    return len(getattr(spec, "categories", ()))


def _tail_integrals(question: Question, indicator: str) -> int:
    """Integrals one tail takes: one per outcome of a category, and the evidence's own.

    (A polynomial kind's tail refits each outcome; a grid's outcomes are one array: about
    three integrals' work.)
    """
    spec = question.indicators[indicator]
    return _outcomes(spec) + 1 if get_kind(spec.kind).integration == "polynomial" else 3


def tail_work(
    question: Question, indicator: str, known: Counter, values: dict[str, Counter]
) -> float:
    """Estimated work of one new item's tail (:func:`integral_work` per integral)."""
    return _tail_integrals(question, indicator) * integral_work(question, indicator, known, values)


def step_work(
    question: Question, indicator: str, known: Counter, values: dict[str, Counter]
) -> float:
    """Estimated work of one step of the walk: the item's tail and the evidence with it."""
    once = integral_work(question, indicator, known, values)
    return (_tail_integrals(question, indicator) + 1) * once


def new_items(
    previous: Forecast | None, current: Forecast, *, budget: float | None = None
) -> NewItems:
    """The items of ``current`` not in ``previous`` (all of them if there is no previous).

    ``budget``: the work the walk may take (default :data:`WALK_BUDGET`).
    """
    question = current.question_spec()
    ev = current.evidence()
    old_ids = set() if previous is None else {it["id"] for it in previous.evidence_items}
    return NewItems(
        question,
        [it for it in ev.items if it.id in old_ids],
        [it for it in ev.items if it.id not in old_ids],
        WALK_BUDGET if budget is None else budget,
    )
