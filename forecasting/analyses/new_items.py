"""The week's new items and the models of the evidence before each, built once.

The surprise check's joint test (:mod:`.surprise_check`) and the prequential scores
(:mod:`.prequential`) both walk the new items in date order and need the model of the
evidence before each: :class:`NewItems` builds each of those models once and keeps it, with
its integrals (the exact posterior of each, the quadrature grids), for both. On the weekly
update of a 300-scenario question with 10 new items this shares 11 builds and their
integrals between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..inputs.evidence import Evidence, EvidenceItem
from ..inputs.question import Question
from ..model.data import ModelData
from ..results.forecast import Forecast


@dataclass
class NewItems:
    """The items of a forecast not in the previous one (``fresh``) and those that were."""

    question: Question
    before: list[EvidenceItem]
    fresh: list[EvidenceItem]  # ledger order
    _models: dict[int, ModelData] = field(default_factory=dict, repr=False)

    @property
    def in_order(self) -> list[EvidenceItem]:
        """The new items in date order (ties by id): the order they are tested and scored in."""
        return sorted(self.fresh, key=lambda x: (x.date, x.id))

    def known(self, n: int) -> list[EvidenceItem]:
        """The items before the ``n``-th new one (date order): the old and ``n`` new ones."""
        return [*self.before, *self.in_order[:n]]

    def model(self, n: int) -> ModelData:
        """The model of :meth:`known` ``(n)`` (built at the first call, then kept)."""
        if n not in self._models:
            q = self.question
            self._models[n] = ModelData.build(q, Evidence(q.id, tuple(self.known(n))))
        return self._models[n]


def new_items(previous: Forecast | None, current: Forecast) -> NewItems:
    """The items of ``current`` not in ``previous`` (all of them if there is no previous)."""
    question = current.question_spec()
    ev = current.evidence()
    old_ids = set() if previous is None else {it["id"] for it in previous.evidence_items}
    return NewItems(
        question,
        [it for it in ev.items if it.id in old_ids],
        [it for it in ev.items if it.id not in old_ids],
    )
