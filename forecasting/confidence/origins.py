"""Reliability of the evidence: how many independent origins, how much rests on one of them.

Friedman and Zeckhauser's second dimension of analytic confidence, from the ledger's ``origin``
fields (an item without one is its source's): the number of independent origins, each origin's
share of the evidence's weight (each of its reports counts by the probability that it is
genuine, ``origin reliability x credibility x relays``; relayed copies of one report count
once), the mix of grades, and, exactly, the forecast with each origin left out in turn (every
item it reported removed; the origins carrying the most weight, as many as a budget of work
allows: all of them on ledgers of the bundled question's size), with whether the leading
scenario changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.stats import normalise_log
from ..inputs.evidence import Evidence
from ..model.data import ModelData

#: Origins left out one at a time, at most (those carrying the most weight first) ...
MAX_LEFT_OUT = 60
#: ... and within a budget of work (reports x integration nodes or polynomial terms refitted,
#: summed over the origins left out; at least the largest origin always): on 1,000 unreliable
#: reports in 16 scenarios with three categorical indicators, leaving out each of 37 origins
#: rebuilt exact polynomials for 100 s.
WORK_BUDGET = 5e7


#: Log probabilities closer than this are a tie: an origin whose absence leaves the leader tied
#: costs it its lead as surely as one that puts another scenario ahead (whichever of the tied
#: scenarios comes first).
TIE = 1e-9


@dataclass(frozen=True)
class Origin:
    """One independent origin of the evidence."""

    name: str
    items: int
    reports: int
    weight: float  # sum over its reports of the probability that each is genuine
    share: float  # of all origins' weight
    grades: tuple[str, ...]


@dataclass(frozen=True)
class EvidenceReliability:
    """The origins of the evidence, and the forecast with each of them left out."""

    items: int
    origins: tuple[Origin, ...]  # largest share first
    grades: dict[str, int]  # items per grade (Admiralty code, or "numeric")
    left_out: tuple[str, ...]  # the origins left out one at a time (largest first)
    without: np.ndarray  # (len(left_out), K): P(S = k | E without that origin)
    lower: np.ndarray  # (K,) the smallest of today's and every left-out probability
    upper: np.ndarray  # (K,)
    leader_changes: tuple[str, ...]  # origins whose absence costs the leader its lead
    #: those of them whose absence leaves it tied (within :data:`TIE`) rather than behind
    leader_ties: tuple[str, ...] = ()

    @property
    def largest(self) -> Origin | None:
        """The origin carrying the most weight."""
        return self.origins[0] if self.origins else None


def evidence_reliability(
    data: ModelData,
    evidence: Evidence,
    probability: np.ndarray,
    log_joint: np.ndarray | None,
    without: Callable[[set[str]], np.ndarray] | None = None,
) -> EvidenceReliability:
    """Origins, their shares and grades, and the exact leave-one-origin-out forecasts.

    ``log_joint`` is today's unnormalised log posterior (``log prior + sum of log marginals``);
    or ``without`` gives the forecast without a set of items (with dynamics: the dynamic
    posterior of the ledger without them).
    """
    by_origin: dict[str, list] = {}
    for it in evidence.items:
        by_origin.setdefault(it.origin or it.source, []).append(it)
    relays = {}
    for ind in data.indicators:
        for i, o, w, c, r, e in zip(
            ind.item_ids,
            ind.item_origins,
            ind.item_origin_weights,
            ind.item_credibility,
            ind.item_relay,
            ind.item_events,
            strict=True,
        ):
            key = (ind.id, o, e if e is not None else i)
            relays[key] = max(relays.get(key, 0.0), float(w * c * r))
    weight: Counter[str] = Counter()
    reports: Counter[str] = Counter()
    for (_, o, _), g in relays.items():
        weight[o] += g
        reports[o] += 1
    total = sum(weight.values())
    origins = sorted(
        (
            Origin(
                name,
                len(items),
                reports[name],
                weight[name],
                weight[name] / total if total > 0 else 1.0 / len(by_origin),
                tuple(_grade(it) for it in items),
            )
            for name, items in by_origin.items()
        ),
        key=lambda o: (-o.share, o.name),
    )
    grades = Counter(_grade(it) for it in evidence.items)
    left_out = _affordable([o.name for o in origins[:MAX_LEFT_OUT]], data)
    if without is None:
        rows = [_without_origin(data, log_joint, o) for o in left_out]
    else:
        rows = [without(origin_items(data, o)) for o in left_out]
    without_p = np.array(rows, dtype=float).reshape(len(left_out), data.n_scenarios)
    both = np.vstack([probability[None, :], without_p])
    leader = int(np.argmax(probability))
    margins = [_margin(p, leader) for p in without_p]
    changes = tuple(o for o, m in zip(left_out, margins, strict=True) if m <= TIE)
    ties = tuple(o for o, m in zip(left_out, margins, strict=True) if abs(m) <= TIE)
    return EvidenceReliability(
        items=len(evidence.items),
        origins=tuple(origins),
        grades=dict(sorted(grades.items())),
        left_out=left_out,
        without=without_p,
        lower=both.min(axis=0),
        upper=both.max(axis=0),
        leader_changes=changes,
        leader_ties=ties,
    )


def _margin(p: np.ndarray, leader: int) -> float:
    """How far the leader's log probability is above the best other scenario's."""
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    rest = np.delete(logp, leader)
    if not len(rest):
        return np.inf
    return float(logp[leader] - rest.max())


def _affordable(names: list[str], data: ModelData) -> tuple[str, ...]:
    """The largest origins whose refits fit :data:`WORK_BUDGET` (the largest, always)."""
    out: list[str] = []
    spent = 0.0
    for name in names:
        cost = sum(
            len(ind.values) * ind.model.integration_size
            for ind in data.indicators
            if name in ind.item_origins
        )
        if out and spent + cost > WORK_BUDGET:
            break
        out.append(name)
        spent += cost
    return tuple(out)


def _without_origin(data: ModelData, log_joint: np.ndarray, origin: str) -> np.ndarray:
    out = np.array(log_joint, dtype=float)
    for ind in data.indicators:
        drop = np.array([o == origin for o in ind.item_origins], dtype=bool)
        if drop.any():
            out += ind.model.without(drop) - ind.model.log_marginal()
    return normalise_log(out)


def origin_items(data: ModelData, origin: str) -> set[str]:
    """The ids of the items an origin reported (on every indicator)."""
    return {
        i
        for ind in data.indicators
        for i, o in zip(ind.item_ids, ind.item_origins, strict=True)
        if o == origin
    }


def _grade(item) -> str:
    return item.reliability if isinstance(item.reliability, str) else "numeric"
