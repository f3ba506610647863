"""Tipping points: how far a judgement, or an item's value, must move before another leads.

For each judgement the nearest value below and above its base value (in its own units, within
its allowed range) at which the leading scenario changes: found on a grid (logarithmic where
the judgement's scale says so), then refined on finer and finer vectorised grids. Where each
setting costs a likelihood of its own (dynamics; a likelihood's or a prior's judgement where the
default noise moves with it) the grid is coarse and refined by bisection: on the 300-scenario
question of ``benchmarks/wide.py`` the fine grid's 772 settings of each such judgement took
0.25 s, about 13 times the coarse search's. The searches of all judgements run side by side,
each round's settings of every judgement computed together (:func:`~.judgements.sweep_many`):
there, 20,000 calls of one judgement's settings became 394 (tipping points 5.7 s -> 3.8 s in
process, the flips within 1e-13).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.dims import ITEM
from ..inputs.evidence import Evidence
from .base import TIE, Base, base_of
from .influence import item_coords
from .judgements import (
    JUDGEMENT,
    Judgement,
    all_judgements,
    costly_settings,
    judgement_coords,
    sweep_many,
)

#: Grid size of the coarse search for tipping points (refined by root finding).
TIPPING_GRID = 512
#: With dynamics each setting is a dynamic posterior: a coarse search, refined by bisection.
DYNAMIC_GRID, DYNAMIC_BISECTIONS = 24, 16
#: Bisections of the coarse search without dynamics (a cell of the coarse grid / 2**30).
BISECTIONS = 30


def _grid(jd: Judgement, size: int = TIPPING_GRID) -> np.ndarray:
    lo, hi = jd.lower_limit, jd.upper_limit
    if jd.scale == "log":
        g = np.geomspace(lo, hi, size)
    else:
        g = np.linspace(lo, hi, size)
    return np.unique(np.concatenate([g, [jd.base]]))


def _first_grid(base: Base, jd: Judgement) -> np.ndarray:
    """The grid a judgement's search starts on (coarse where each setting is costly)."""
    return _grid(jd, DYNAMIC_GRID if costly_settings(base, jd) else TIPPING_GRID)


#: A search: yields the values it needs evaluated, is sent their log joints ``(n, K)``, and
#: returns the nearest flips (below, its leader, above, its leader).
Search = Generator[np.ndarray, np.ndarray, tuple[float, str, float, str]]


def _tip(base: Base, jd: Judgement) -> Search:
    """Nearest flipping values below and above the base value, and who then leads.

    A generator (:data:`Search`), so that the searches of every judgement run side by side,
    each round's settings computed in one call (:func:`_run_searches`).
    """
    if jd.kind == "concentration":
        return np.nan, "", np.nan, ""
    coarse = costly_settings(base, jd)
    grid = _first_grid(base, jd)
    lj = yield grid
    raw = _raw_margin(lj, base.leader)  # negative exactly where :func:`margin` is
    b = int(np.searchsorted(grid, jd.base))
    results: list[Any] = []
    for direction in (-1, 1):
        idx = range(b - 1, -1, -1) if direction < 0 else range(b + 1, len(grid))
        prev = b
        found = None
        for i in idx:
            if raw[i] < 0:
                found = (prev, i)
                break
            prev = i
        if found is None:
            results += [np.nan, ""]
            continue
        x0, x1 = grid[found[0]], grid[found[1]]
        if coarse:
            halvings = DYNAMIC_BISECTIONS if base.dynamic else BISECTIONS
            x0, x1 = yield from _bracket(base, x0, x1, raw[found[0]], raw[found[1]], halvings)
        for _ in range(0 if coarse else 4):  # finer and finer grids (64**4 ~ 1.7e7)
            fine = np.linspace(x0, x1, 65)
            ok = _raw_margin((yield fine), base.leader) >= 0
            first_bad = int(np.argmin(ok)) if not ok.all() else len(fine) - 1
            x0, x1 = fine[max(first_bad - 1, 0)], fine[first_bad]
        new = int(np.argmax((yield np.array([x1]))[0]))
        results += [float(x1), base.scenarios[new]]
    return results[0], results[1], results[2], results[3]


def _run_searches(base: Base, jds: list[Judgement]) -> list[tuple[float, str, float, str]]:
    """Every judgement's :func:`_tip`, side by side: each round one :func:`sweep_many`.

    (The 300-scenario question's 4,500 judgements asked for 20,000 settings one call each.)
    """
    out: list[Any] = [None] * len(jds)
    running: dict[int, tuple[Search, np.ndarray]] = {}
    for n, jd in enumerate(jds):
        search = _tip(base, jd)
        try:
            running[n] = (search, next(search))
        except StopIteration as stop:
            out[n] = stop.value
    while running:
        order = list(running)
        swept = sweep_many(base, [(jds[n], running[n][1]) for n in order])
        for n, lj in zip(order, swept, strict=True):
            search = running[n][0]
            try:
                running[n] = (search, search.send(lj))
            except StopIteration as stop:
                out[n] = stop.value
                del running[n]
    return out


def _raw_margin(lj: np.ndarray, leader: int) -> np.ndarray:
    """:func:`margin` before ties are counted as leading: non-negative exactly where it is."""
    return lj[..., leader] - np.delete(lj, leader, axis=-1).max(axis=-1) + TIE


def _bracket(
    base: Base, good: float, bad: float, m_good: float, m_bad: float, halvings: int
) -> Generator[np.ndarray, np.ndarray, tuple[float, float]]:
    """Narrow ``[good, bad]`` to a width of ``|bad - good| / 2**halvings``, as bisection would.

    The leader leads at ``good`` and not at ``bad``. Regula falsi with the Illinois
    modification on the margin (smooth in the judgement's value away from a change of
    runner-up), each step aimed a quarter of the final width past the estimated root and kept
    at least half of it inside the bracket, so that a root near an end closes it; a bisection
    whenever three steps have not halved the bracket. On the 300-scenario question of
    ``benchmarks/wide.py`` (300 prior judgements, each setting a new likelihood of every
    indicator) it takes about 9 settings a flip where bisection took 30. Each setting is
    yielded (the search's caller computes it).
    """
    tol = abs(bad - good) / 2.0**halvings
    last, widths = 0, [abs(bad - good)]
    while abs(bad - good) > tol:
        width = abs(bad - good)
        x = (good + bad) / 2
        halved = len(widths) < 4 or width <= widths[-4] / 2
        if halved and np.isfinite(m_good) and np.isfinite(m_bad) and m_good > m_bad:
            # a quarter of the final width past the estimated root: the leader changes at the
            # returned end by more than rounding, not by exactly TIE
            x = bad - m_bad * (bad - good) / (m_bad - m_good) + np.sign(bad - good) * tol / 4
        lo, hi = min(good, bad), max(good, bad)
        x = min(max(x, lo + tol / 2), hi - tol / 2)
        mx = float(_raw_margin((yield np.array([x])), base.leader)[0])
        if mx >= 0:
            good, m_good = x, mx
            if last > 0:
                m_bad /= 2
            last = 1
        else:
            bad, m_bad = x, mx
            if last < 0:
                m_good /= 2
            last = -1
        widths.append(abs(bad - good))
    return good, bad


def tipping_points(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """How far each judgement must move before the leading scenario changes.

    For each judgement: the nearest value below and above its base value (in its own units,
    within its allowed range) at which another scenario takes the lead, and which one; NaN
    and ``""`` where no value in the allowed range flips it. ``distance`` is the smaller move.
    """
    base = base_of(source, evidence, as_of)
    jds = all_judgements(base)
    rows = _run_searches(base, jds)
    below = np.array([r[0] for r in rows], dtype=float)
    above = np.array([r[2] for r in rows], dtype=float)
    base_values = np.array([jd.base for jd in jds])
    dist = np.fmin(np.abs(below - base_values), np.abs(above - base_values))
    return xr.Dataset(
        {
            "flip_below": ((JUDGEMENT,), below),
            "leader_below": ((JUDGEMENT,), [r[1] for r in rows]),
            "flip_above": ((JUDGEMENT,), above),
            "leader_above": ((JUDGEMENT,), [r[3] for r in rows]),
            "distance": ((JUDGEMENT,), dist),
        },
        coords={JUDGEMENT: [jd.id for jd in jds], **judgement_coords(jds)},
        attrs={"kind": "tipping points", "leader": base.scenarios[base.leader]},
    )


#: With dynamics, how many of an item's other values are tried (unordered kinds: the first).
DYNAMIC_ALTERNATIVES = 24


def _dynamic_alternatives(ordered: bool, alts: np.ndarray, y: float) -> np.ndarray:
    """Other values to try under dynamics.

    For ordered values, geometrically spaced distances on each side (1, 2, 3, 4, 6, 8, ...):
    the nearest flip is then known to within that spacing.
    """
    if not ordered:
        return alts[:DYNAMIC_ALTERNATIVES]
    steps = np.unique(np.round(np.geomspace(1, max(np.max(np.abs(alts - y)), 1), 12)))
    wanted = np.concatenate([y - steps, y + steps])
    near = np.unique([alts[np.argmin(np.abs(alts - w))] for w in wanted])
    return near[near != y]


def item_tipping_points(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    max_count: int = 1000,
) -> xr.Dataset:
    """For each item, the nearest different value that would change the leading scenario.

    Each kind says which other values an item could have had
    (:meth:`~forecasting.kinds.base.Kind.alternatives`: counts up and down to 0 and to
    ``max_count``, the other yes/no value, every other category...); where values have an order
    the nearest flipping one is taken. ``flip_value`` is the value in words (``""`` where no
    value flips it), ``flip_code`` the number the model computes with (NaN where none).
    """
    base = base_of(source, evidence, as_of)
    data = base.data
    order = {item: n for n, item in enumerate(data.item_ids)}
    n_items = len(data.item_ids)
    flip_value = [""] * n_items
    flip_code = np.full(n_items, np.nan)
    flip_leader = [""] * n_items
    for j, ind in enumerate(data.indicators):
        for i, item in enumerate(ind.item_ids):
            y = ind.values[i]
            alts = ind.kind.alternatives(ind, y, max_count)
            if not len(alts):
                continue
            if base.dynamic:  # each value a dynamic posterior: a few, nearest first
                alts = _dynamic_alternatives(ind.kind.ordered, alts, y)
                changed = []
                for v in alts:
                    values = ind.values.copy()
                    values[i] = v
                    changed.append(replace(ind, values=values))
                lj = base.with_indicator_data(j, changed)
            else:
                alts, lj = _nearest_flips(base, j, ind, i, alts, y)
            flips = np.argmax(lj, axis=1) != base.leader
            if flips.any():
                cand = np.flatnonzero(flips)
                best = cand[np.argmin(np.abs(alts[cand] - y))] if ind.kind.ordered else cand[0]
                flip_value[order[item]] = ind.kind.outcome_text(ind, alts[best])
                flip_code[order[item]] = alts[best]
                flip_leader[order[item]] = base.scenarios[int(np.argmax(lj[best]))]
    return xr.Dataset(
        {
            "flip_value": ((ITEM,), flip_value),
            "flip_code": ((ITEM,), flip_code),
            "leader_after": ((ITEM,), flip_leader),
        },
        coords={ITEM: list(data.item_ids), **item_coords(base)},
        attrs={"kind": "item tipping points", "leader": base.scenarios[base.leader]},
    )


#: The nearest other values of an ordered item tried first; each later batch twice as many.
FIRST_BATCH = 32


def _nearest_flips(
    base: Base, j: int, ind: Any, i: int, alts: np.ndarray, y: float
) -> tuple[np.ndarray, np.ndarray]:
    """The values tried and their log joints ``(m, K)``, nearest first, until one flips.

    For ordered values the nearest flip is in the first batch (by distance) that holds any
    flip: most items flip within a few steps, so most of the 1,001 counts or 4,001 measured
    values need not be integrated (the 300-scenario question's item tipping points, 6.6 s in
    process with every value). Equal distances: the lower value first, as the whole sweep
    chose. Unordered values: all at once.
    """
    if not ind.kind.ordered:
        return alts, base.with_indicator(j, ind.model.with_values(i, alts))
    alts = alts[np.lexsort((alts, np.abs(alts - y)))]
    start, size = 0, FIRST_BATCH
    while True:
        batch = alts[start : start + size]
        lj = base.with_indicator(j, ind.model.with_values(i, batch))
        start += size
        if start >= len(alts) or np.any(np.argmax(lj, axis=1) != base.leader):
            return batch, lj
        size *= 2


def sweep_range(js: xr.Dataset, tp: xr.Dataset | None, jid: str, n: int = 161) -> np.ndarray:
    """Values over which to sweep a judgement: its range, widened to show any flip.

    ``js`` and ``tp`` are the outputs of :func:`~forecasting.analyses.judgement_sensitivity`
    and :func:`tipping_points`; the values stay within the judgement's allowed range.
    """
    one = js.sel({JUDGEMENT: jid})
    base = float(one["base_value"])
    low, high = float(one["low_value"]), float(one["high_value"])
    width = max(high - low, 1e-9)
    lo, hi = low - 0.5 * width, high + 0.5 * width
    if tp is not None and jid in [str(j) for j in tp[JUDGEMENT].values]:
        row = tp.sel({JUDGEMENT: jid})
        for name in ("flip_below", "flip_above"):
            v = float(row[name])
            if np.isfinite(v):
                lo, hi = min(lo, v - 0.15 * width), max(hi, v + 0.15 * width)
    lo = max(lo, float(one["lower_limit"]))
    hi = min(hi, float(one["upper_limit"]))
    return np.unique(np.concatenate([np.linspace(lo, hi, n), [base]]))
