"""What-if: the forecast again with items added or dropped, origins dropped, a judgement moved.

A what-if is a list of edits (:class:`WhatIf`, immutable: each edit returns a new one) applied to
the question's ledger; :func:`recompute` runs the exact engine on the edited ledger, through the
library's own :func:`forecasting.forecast`, or with a moved judgement through
:func:`forecasting.analyses.sweep` of the edited ledger. So the numbers are the library's, not a
copy of its arithmetic.

Only the probabilities are asked for: ``confidence=False`` (the confidence, about 1 s, is not
computed), and :data:`WHATIF_DRAWS` joint draws instead of the engine's 4,000. The exact
engine's probabilities are its closed form, whatever the draws (the draws only feed the
intervals and the posterior group, which a what-if does not show); the tests hold them equal
to ``forecasting.forecast`` with its defaults. Measured on the bundled question (12 items, two
cores): in a quiet moment 50 ms to drop an item (125 ms with 4,000 draws); with the machine
loaded (load average 6-7) 130-230 ms per edit, about half of the plain forecast's time, and a
moved judgement 55-80 ms (``benchmarks/dashboard.py`` prints the figures).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..analyses.judgements import sweep
from ..api import forecast
from ..core.dims import SCENARIO
from ..inputs.evidence import Evidence
from ..inputs.question import Question
from ..kinds import get_kind
from ..results.forecast import Forecast

#: Joint draws per what-if forecast: enough for the engine's own checks of its draws, which
#: the probabilities shown do not depend on (see the module's docstring).
WHATIF_DRAWS = 400
#: The origin of a hypothetical item when none is given.
HYPOTHETICAL = "hypothetical"


@dataclass(frozen=True)
class Move:
    """One judgement set to another value (an id of :func:`.judgement_sensitivity`)."""

    judgement: str
    value: float
    label: str = ""


@dataclass(frozen=True)
class WhatIf:
    """Edits of the ledger and one moved judgement; empty: the forecast as it is."""

    added: tuple[dict[str, Any], ...] = ()
    dropped: tuple[str, ...] = ()
    dropped_origins: tuple[str, ...] = ()
    move: Move | None = None

    @property
    def empty(self) -> bool:
        """Whether nothing is edited."""
        return not (self.added or self.dropped or self.dropped_origins or self.move)

    def add(self, item: dict[str, Any]) -> WhatIf:
        """With one hypothetical item more (the ledger's keys; checked when recomputed)."""
        return replace(self, added=(*self.added, dict(item)))

    def drop(self, item_id: str) -> WhatIf:
        """Without the item ``item_id`` (an added one is taken back)."""
        added = tuple(a for a in self.added if a.get("id") != item_id)
        if len(added) < len(self.added):
            return replace(self, added=added)
        return replace(self, dropped=tuple(dict.fromkeys((*self.dropped, item_id))))

    def drop_origin(self, origin: str) -> WhatIf:
        """Without every item of ``origin``."""
        return replace(self, dropped_origins=tuple(dict.fromkeys((*self.dropped_origins, origin))))

    def moved(self, move: Move | None) -> WhatIf:
        """With ``move`` as the moved judgement (``None``: none)."""
        return replace(self, move=move)

    def describe(self) -> list[str]:
        """Each edit in words, in the order they apply."""
        out = [f"added {a.get('id')}: {a.get('indicator')} = {a.get('value')}" for a in self.added]
        out += [f"dropped item {i}" for i in self.dropped]
        out += [f"dropped origin {o}" for o in self.dropped_origins]
        if self.move is not None:
            out.append(f"moved {self.move.label or self.move.judgement} to {self.move.value:.4g}")
        return out


def edited_evidence(question: Question, evidence: Evidence, whatif: WhatIf) -> Evidence:
    """The ledger with the what-if's items added and dropped.

    Raises
    ------
    InputError
        When an added item does not validate (as a ledger item would not) or a dropped item
        or origin is not in the ledger.
    """
    if whatif.added:
        evidence = evidence.add(list(whatif.added), question, source="what-if")
    if whatif.dropped or whatif.dropped_origins:
        evidence = evidence.drop(whatif.dropped, origin=whatif.dropped_origins)
    return evidence


@dataclass(frozen=True)
class Outcome:
    """A what-if's probabilities (scenario order of the forecast) and how long they took."""

    scenarios: tuple[str, ...]
    probabilities: np.ndarray
    seconds: float
    #: The what-if's forecast (``None`` when a judgement is moved: the sweep gives the numbers).
    forecast: Forecast | None
    edits: tuple[str, ...] = field(default=())


def recompute(
    question: Question, evidence: Evidence, whatif: WhatIf, *, as_of: dt.date | None
) -> Outcome:
    """The exact engine's probabilities under the what-if (see the module's docstring)."""
    start = time.perf_counter()
    edited = edited_evidence(question, evidence, whatif)
    f = None
    if whatif.move is None:
        f = forecast(question, edited, as_of=as_of, draws=WHATIF_DRAWS, confidence=False)
        scenarios, probs = tuple(f.scenarios), f.probabilities.values.astype(float)
    else:  # the sweep's own closed form from the edited ledger (no forecast needed)
        moved = sweep(
            question, whatif.move.judgement, [whatif.move.value], evidence=edited, as_of=as_of
        )
        scenarios = tuple(str(s) for s in moved[SCENARIO].values)
        probs = moved.values[0].astype(float)
    return Outcome(scenarios, probs, time.perf_counter() - start, f, tuple(whatif.describe()))


def hypothetical_item(
    question: Question,
    *,
    indicator: str,
    value: str,
    date: dt.date,
    days: float,
    reliability: str,
    origin: str,
    n: int,
) -> dict[str, Any]:
    """A ledger item from the what-if form's fields (typed as a ledger file would be read).

    ``value`` is read as YAML would read it (``true``, ``3``, ``2.5``, else the text);
    ``days`` is the window of a count (the days up to ``date``), for kinds that take one.
    """
    text = value.strip()
    parsed = text.lower() == "true" if text.lower() in ("true", "false") else _number_or_text(text)
    item: dict[str, Any] = {
        "id": f"what-if-{n}",
        "indicator": indicator,
        "value": parsed,
        "date": date.isoformat(),
        "source": f"what-if ({origin or HYPOTHETICAL})",
        "origin": origin or HYPOTHETICAL,
        "reliability": _number_or_text(reliability.strip()) if reliability.strip() else 1.0,
    }
    spec = question.indicators.get(indicator)
    if spec is not None and "window" in get_kind(spec.kind).item_keys:
        start = date - dt.timedelta(days=max(1, round(days)))
        item["window"] = [start.isoformat(), date.isoformat()]
    return item


def _number_or_text(text: str) -> Any:
    """``3`` -> 3, ``0.8`` -> 0.8, anything else as it is."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text
