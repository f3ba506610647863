"""The question's ``dynamics:``: how the regime moves between scenarios from period to period.

::

    dynamics:
      period_days: 30                 # optional, default 30: the length of one period
      transitions:                    # one row per scenario, either form:
        informal: {stay: 0.9, leaves_to: {accession: 0.5, collapse: 0.3, unilateral: 0.2}}
        accession: {accession: 0.97, informal: 0.03}     # the full row (entries not given: 0)

A row states where the regime of a period goes in the next: ``stay`` is the probability of
staying, ``leaves_to`` splits the rest (it sums to 1); the full form gives every probability
(it sums to 1). The catch-all scenario, if any, stays what it is unless given a row. Every
problem is a located error (:func:`dynamics_problems`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from ..core.constants import CATCH_ALL
from ..core.errors import did_you_mean, one_of
from ..core.schema import Spec, is_number

#: How far a row's probabilities may sum from 1.
ROW_SUM_TOL = 1e-6
#: Shortest and longest period, in days.
MIN_PERIOD_DAYS, MAX_PERIOD_DAYS = 1.0, 3660.0


class DynamicsSpec(Spec):
    """``dynamics:`` of a question (see the module's documentation)."""

    period_days: Annotated[
        float, Field(ge=MIN_PERIOD_DAYS, le=MAX_PERIOD_DAYS, allow_inf_nan=False, strict=True)
    ] = 30.0
    transitions: dict[str, dict[str, Any]]

    def matrix(self, scenarios: list[str]) -> np.ndarray:
        """The transition matrix ``(K, K)``: row ``i`` is where scenario ``i``'s regime goes."""
        k = len(scenarios)
        out = np.eye(k)
        at = {s: i for i, s in enumerate(scenarios)}
        for name, row in self.transitions.items():
            i = at[name]
            out[i] = 0.0
            if "stay" in row:
                stay = float(row["stay"])
                out[i, i] = stay
                for target, w in (row.get("leaves_to") or {}).items():
                    out[i, at[target]] += (1.0 - stay) * float(w)
            else:
                for target, p in row.items():
                    out[i, at[target]] = float(p)
        return out / out.sum(axis=1, keepdims=True)


def _probability(value: Any) -> bool:
    return is_number(value) and math.isfinite(value) and 0.0 <= float(value) <= 1.0


def dynamics_problems(raw: Mapping[str, Any], scenario_ids: list[str], bad) -> None:
    """Report (``bad(path, message)``) every problem of the question's ``dynamics:``."""
    dyn = raw.get("dynamics")
    indicators = raw.get("indicators")
    for name, ind in indicators.items() if isinstance(indicators, Mapping) else ():
        trend = ind.get("trend") if isinstance(ind, Mapping) else None
        if not isinstance(trend, Mapping):
            continue
        if not isinstance(dyn, Mapping):
            bad(
                ("indicators", name, "trend"),
                "a trend is per period: it needs the question's dynamics (dynamics: "
                "{period_days: ..., transitions: ...})",
            )
        for s in trend:
            if s not in scenario_ids:
                bad(
                    ("indicators", name, "trend", s),
                    f"'{s}' is not a scenario{did_you_mean(s, scenario_ids)}",
                )
    if not isinstance(dyn, Mapping):
        return
    if raw.get("resolves") is None:
        bad(
            ("dynamics",),
            "dynamics need the question's resolution date (resolves: YYYY-MM-DD): the forecast "
            "is of the regime on that date",
        )
    rows = dyn.get("transitions")
    if not isinstance(rows, Mapping):
        return
    allowed = list(scenario_ids) + ([CATCH_ALL] if raw.get("catch_all") is not None else [])
    for name, row in rows.items():
        path = ("dynamics", "transitions", name)
        if name not in allowed:
            bad(
                path,
                f"'{name}' is not a scenario{did_you_mean(name, allowed)}; rows are for "
                f"{one_of(allowed)}",
            )
            continue
        if not isinstance(row, Mapping):
            continue
        _row_problems(name, row, allowed, path, bad)
    missing = [s for s in scenario_ids if s not in rows]
    if missing:
        bad(
            ("dynamics", "transitions"),
            f"no row for {one_of(missing)}: every scenario needs one (write "
            "'{stay: 1}' for a scenario that, once reached, stays)",
        )


def _row_problems(name: str, row: Mapping[str, Any], allowed: list[str], path, bad) -> None:
    def target_problem(target: Any, where: tuple) -> bool:
        if target not in allowed:
            bad(
                (*path, *where, target),
                f"'{target}' is not a scenario{did_you_mean(target, allowed)}; the regime can "
                f"only move to {one_of(allowed)}",
            )
            return True
        return False

    if "stay" in row:
        extra = [k for k in row if k not in ("stay", "leaves_to")]
        if extra:
            bad(
                (*path, extra[0]),
                f"a row with 'stay' has only 'stay' and 'leaves_to'; got '{extra[0]}' (or give "
                "the full row without 'stay')",
            )
        stay = row["stay"]
        if not _probability(stay):
            bad((*path, "stay"), f"must be a probability in [0, 1], got {stay!r}")
            return
        leaves = row.get("leaves_to")
        if leaves is None:
            if float(stay) < 1.0:
                bad(
                    path,
                    f"stay is {float(stay):g}: say where the regime goes when it leaves "
                    "(leaves_to: {scenario: share, ...}, shares summing to 1)",
                )
            return
        if not isinstance(leaves, Mapping):
            bad((*path, "leaves_to"), "must map scenarios to shares summing to 1")
            return
        shares = {}
        for target, w in leaves.items():
            if target_problem(target, ("leaves_to",)):
                continue
            if target == name:
                bad((*path, "leaves_to", target), "a regime cannot leave to itself; use stay")
            elif not _probability(w):
                bad((*path, "leaves_to", target), f"must be a share in [0, 1], got {w!r}")
            else:
                shares[target] = float(w)
        total = sum(shares.values())
        if len(shares) == len(leaves) and abs(total - 1.0) > ROW_SUM_TOL:
            bad((*path, "leaves_to"), f"the shares sum to {total:.6g}; they must sum to 1")
        return
    probs = {}
    for target, p in row.items():
        if target_problem(target, ()):
            continue
        if not _probability(p):
            bad((*path, target), f"must be a probability in [0, 1], got {p!r}")
        else:
            probs[target] = float(p)
    total = sum(probs.values())
    if len(probs) == len(row) and abs(total - 1.0) > ROW_SUM_TOL:
        bad(
            path,
            f"the row sums to {total:.6g}; it must sum to 1 (or write {{stay: p, leaves_to: ...}})",
        )
