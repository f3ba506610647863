"""The truth-mixture likelihood: reliability as the probability that a report is genuine.

After Schum's cascaded inference. A *report* reached us genuinely with some probability; a
genuine report's value is the event's true value ``y ~ f(y | theta_S)``, a false one's comes
from a noise distribution ``g`` that says nothing about the scenario. Two levels, after the two
axes of an Admiralty code: the origin's reliability ``rho_o`` (the letter) is shared by all
of that origin's reports on an indicator (if the origin is wrong, all its reports are); the
information's credibility ``rho_r`` (the digit) is per report. Given ``theta`` the likelihood of
an indicator's reports factorises over origins:

    prod_o [ rho_o * prod_{r in o} (rho_r f_r + (1 - rho_r) g_r) + (1 - rho_o) * prod_{r in o} g_r ]

*Relays*: copies of one origin's report of one event, relayed by several outlets, are one
report; it reached us genuinely if its content is credible and at least one relay was faithful:
``rho_r = credibility * (1 - prod_i (1 - relay_i))``, where a relay chain's faithfulness is the
product of its outlets' (``relays:`` in the question; 1 where not given).

*Events*: reports of one event (``event:``) share one true value. Given which reports are
genuine, an event's likelihood is ``sum_y f(y) prod_r [a_r 1(v_r = y) + (1 - a_r) g_r]`` with
``a_r`` the report's genuineness, i.e. ``Z + sum_u f(u) (A_u - Z)`` over the reported values ``u``
(``Z`` = every report false, ``A_u`` = the reports of ``u`` true or false, the others false;
``A_u >= Z``, so every term is positive). Origins linked by a shared event form a *component*
whose origin states are summed over (``2^m`` terms; at most :data:`MAX_LINKED_ORIGINS`).

This module holds the structure (:class:`Reports`) and its evaluation in an *algebra*: numbers
(log-likelihood arrays at any ``theta``) or polynomials in ``theta`` (exact Dirichlet integrals
of the categorical kind). The integrals themselves are in :mod:`.likelihood`.

For speed, an item left out of an origin with other reports is that origin's block without it
(:func:`fast_loo`), not the whole likelihood refitted: on 300 reports from 40 origins at 4,000 x
3 parameter draws (every forecast's per-item log-likelihoods), 44.7 s -> 0.9 s of CPU.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.constants import MAX_LINKED_ORIGINS
from ..core.stats import logsumexp

#: The span (nats) of two polynomials' coefficients below which their product is formed in
#: scaled exponentials (:meth:`PolynomialAlgebra.mul`: every product stays above ``e^-600``).
_SPAN = 600.0


@dataclass(frozen=True)
class Reports:
    """An indicator's items as reports (relayed copies merged), events and origins.

    Arrays over reports ``(R,)``: ``value`` (encoded), ``exposure``, ``genuine`` (probability the
    report is genuine if its origin is), ``log_noise`` (``log g`` of its value), ``origin`` and
    ``event`` (indexes), ``first_item`` (its first item's position). ``item_report`` gives each
    item's report. ``origin_rho`` is each origin's reliability. Reports alone in their event,
    from origins with only such reports (the usual case), are evaluated vectorised:
    ``fast_order`` lists them grouped by origin, ``fast_starts`` where each group starts and
    ``fast_origins`` its origin. ``components`` holds the rest: ``(origins, events)`` with each
    event an array of report indexes.
    """

    value: np.ndarray
    exposure: np.ndarray
    genuine: np.ndarray
    log_noise: np.ndarray
    origin: np.ndarray
    event: np.ndarray
    first_item: np.ndarray
    item_report: np.ndarray
    origin_rho: np.ndarray
    origin_names: tuple[str, ...]
    fast_order: np.ndarray
    fast_starts: np.ndarray
    fast_origins: np.ndarray
    components: tuple[tuple[np.ndarray, tuple[np.ndarray, ...]], ...]
    #: Distinct (value, exposure) pairs: a representative report of each, and each report's.
    distinct: np.ndarray | None = None
    report_distinct: np.ndarray | None = None
    #: Distinct fast reports (value, exposure, genuineness, noise): a representative of each,
    #: and how many of each every fast origin has, ``(U, O_fast)``; ``None`` where as many.
    fast_distinct: np.ndarray | None = None
    fast_counts: np.ndarray | None = None

    @property
    def n_reports(self) -> int:
        """Number of reports ``R``."""
        return len(self.value)


def build_reports(
    values: np.ndarray,
    exposures: np.ndarray,
    credibility: np.ndarray,
    relay: np.ndarray,
    origins: Sequence[str],
    origin_rho: np.ndarray,
    events: Sequence[str | None],
    log_noise: np.ndarray,
) -> Reports:
    """Group an indicator's items (arrays over items, ledger order) into :class:`Reports`.

    Raises
    ------
    ValueError
        If shared events link more than :data:`MAX_LINKED_ORIGINS` origins.
    """
    n = len(values)
    keys: dict[tuple, int] = {}
    item_report = np.empty(n, dtype=int)
    members: list[list[int]] = []
    for i in range(n):
        key = ("event", events[i], origins[i]) if events[i] is not None else ("item", i)
        r = keys.setdefault(key, len(members))
        if r == len(members):
            members.append([])
        members[r].append(i)
        item_report[i] = r
    first = np.array([m[0] for m in members], dtype=int)
    credibility, relay = np.asarray(credibility, float), np.asarray(relay, float)
    genuine = credibility[first] * relay[first]  # a report of one item (the usual case)
    for r, m in enumerate(members):
        if len(m) > 1:
            genuine[r] = float(np.max(credibility[m])) * (1.0 - float(np.prod(1.0 - relay[m])))
    origin_names = list(dict.fromkeys(origins[i] for i in first))
    origin_index = {o: k for k, o in enumerate(origin_names)}
    rho = np.ones(len(origin_names))
    for i in first:
        rho[origin_index[origins[i]]] = origin_rho[i]
    report_origin = np.array([origin_index[origins[i]] for i in first], dtype=int)
    event_names: dict[object, int] = {}
    report_event = np.array(
        [
            event_names.setdefault(
                events[i] if events[i] is not None else ("item", i), len(event_names)
            )
            for i in first
        ],
        dtype=int,
    )
    # components: origins linked by events with several reports
    parent = list(range(len(origin_names)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_event: dict[int, list[int]] = {}
    for r, e in enumerate(report_event):
        by_event.setdefault(int(e), []).append(r)
    linked = np.zeros(len(origin_names), dtype=bool)
    for reps in by_event.values():
        if len(reps) > 1:
            roots = [find(int(report_origin[r])) for r in reps]
            linked[[int(report_origin[r]) for r in reps]] = True
            for x in roots[1:]:
                parent[find(x)] = find(roots[0])
    groups: dict[int, list[int]] = {}
    for o in np.flatnonzero(linked):
        groups.setdefault(find(int(o)), []).append(int(o))
    components = []
    for origins_in in groups.values():
        if len(origins_in) > MAX_LINKED_ORIGINS:
            names = ", ".join(origin_names[o] for o in origins_in[:4])
            raise ValueError(
                f"shared events link {len(origins_in)} origins ({names}, ...); at most "
                f"{MAX_LINKED_ORIGINS} can be linked (the likelihood sums over their states)"
            )
        inside = set(origins_in)
        evs = tuple(
            np.array(reps, dtype=int)
            for reps in by_event.values()
            if int(report_origin[reps[0]]) in inside
        )
        components.append((np.array(origins_in, dtype=int), evs))
    fast_reports = np.flatnonzero(~linked[report_origin])
    order = fast_reports[np.argsort(report_origin[fast_reports], kind="stable")]
    if len(order):
        change = np.flatnonzero(np.diff(report_origin[order])) + 1
        starts = np.concatenate([[0], change]).astype(int)
        fast_origins = report_origin[order][starts]
    else:
        starts = np.zeros(0, dtype=int)
        fast_origins = np.zeros(0, dtype=int)
    value = np.asarray(values, dtype=float)[first]
    exposure = np.asarray(exposures, dtype=float)[first]
    noise = np.asarray(log_noise, dtype=float)[first]
    # reports that repeat a value over the same exposure have the same likelihood: compute it
    # once (counts, yes/no and categories repeat; measured values seldom do)
    pairs = np.stack([value, exposure], axis=1) if len(value) else np.zeros((0, 2))
    _, distinct, report_distinct = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    fast_distinct = fast_counts = None
    if len(order):
        keys = np.stack([value, exposure, genuine, noise], axis=1)[order]
        _, rep_idx, which = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        group = np.repeat(np.arange(len(starts)), np.diff([*starts, len(order)]))
        if len(rep_idx) * len(starts) <= 50_000_000 and len(rep_idx) < len(order):
            fast_distinct = order[rep_idx]
            fast_counts = np.zeros((len(rep_idx), len(starts)))
            np.add.at(fast_counts, (which.ravel(), group), 1.0)
    return Reports(
        value=value,
        exposure=exposure,
        genuine=genuine,
        log_noise=noise,
        origin=report_origin,
        event=report_event,
        first_item=first,
        item_report=item_report,
        origin_rho=rho,
        origin_names=tuple(origin_names),
        fast_order=order,
        fast_starts=starts,
        fast_origins=fast_origins,
        components=tuple(components),
        distinct=distinct,
        report_distinct=report_distinct.ravel(),
        fast_distinct=fast_distinct,
        fast_counts=fast_counts,
    )


def safe_log(x: np.ndarray | float) -> np.ndarray:
    """``log x`` with ``log 0 = -inf`` (no warning)."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def safe_log1m(x: np.ndarray | float) -> np.ndarray:
    """``log(1 - x)`` with ``log 0 = -inf`` (no warning)."""
    with np.errstate(divide="ignore"):
        return np.log1p(-np.asarray(x, dtype=float))


def log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x <= 0``, accurately (``-inf`` at ``x = 0``)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -0.6931471805599453, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


# --- numbers: log L(theta) at any theta -------------------------------------------------------


def log_likelihood(rep: Reports, logf: np.ndarray) -> np.ndarray:
    """``log L(theta)`` from each report's ``log f(v_r | theta)`` ``(..., R)``; shape ``(...)``."""
    out = np.zeros(logf.shape[:-1])
    if len(rep.fast_order):
        out = out + _fast_blocks(rep, logf).sum(axis=-1)
    for origins, events in rep.components:
        out = out + component(rep, origins, events, NumberAlgebra(logf))
    return out


def _columns(logf, r: np.ndarray) -> np.ndarray:
    """Reports ``r``'s ``log f``: from the array ``(..., R)``, or a function of ``r``."""
    return logf(r) if callable(logf) else logf[..., r]


def fast_parts(rep: Reports, logf) -> tuple[np.ndarray, np.ndarray]:
    """Each fast report's log-likelihood if its origin is genuine, and its ``log g``.

    ``logf``: every report's ``log f`` ``(..., R)``, or a function giving some reports' (the
    cubature's nodes never hold every report at every node).
    """
    order = rep.fast_order
    a = rep.genuine[order]
    g = rep.log_noise[order]
    with np.errstate(invalid="ignore"):
        genuine = np.logaddexp(safe_log(a) + _columns(logf, order), safe_log1m(a) + g)
    return genuine, g


def fast_sums(rep: Reports, logf) -> tuple[np.ndarray, np.ndarray]:
    """Each fast origin's reports' summed terms: genuine ``(..., O_fast)`` and false.

    Where fast reports repeat (value, exposure, genuineness, noise), each distinct one's term
    is computed once and the origins' sums are a product with their counts (unless a term is
    infinite: ``-inf * 0`` is not 0). ``logf`` as :func:`fast_parts`.
    """
    if rep.fast_distinct is not None:
        r = rep.fast_distinct
        a, g = rep.genuine[r], rep.log_noise[r]
        with np.errstate(invalid="ignore", divide="ignore"):
            genuine = np.logaddexp(safe_log(a) + _columns(logf, r), safe_log1m(a) + g)
        if np.all(np.isfinite(genuine)) and np.all(np.isfinite(g)):
            return genuine @ rep.fast_counts, g @ rep.fast_counts
    genuine, g = fast_parts(rep, logf)
    return np.add.reduceat(genuine, rep.fast_starts, axis=-1), np.add.reduceat(g, rep.fast_starts)


def _fast_blocks(rep: Reports, logf: np.ndarray) -> np.ndarray:
    """Each fast origin's block log-likelihood ``(..., O_fast)`` (:func:`fast_sums`)."""
    return blocks(rep, *fast_sums(rep, logf))


def blocks(rep: Reports, s1: np.ndarray, s0: np.ndarray) -> np.ndarray:
    """Fast origins' blocks from their reports' summed terms: genuine ``s1``, false ``s0``."""
    rho = rep.origin_rho[rep.fast_origins]
    with np.errstate(invalid="ignore"):
        return np.logaddexp(safe_log(rho) + s1, safe_log1m(rho) + s0)


def item_log_likelihood(rep: Reports, logf: np.ndarray, n_items: int) -> np.ndarray:
    """Each item's share of ``log L(theta)``, ``(..., n)``; the shares add up to it.

    By the chain rule: within an origin's block (and a component's events) each report adds
    ``log p(its value | the reports before it, theta)``; relayed copies after the first add 0.
    """
    out = np.zeros((*logf.shape[:-1], n_items))
    if len(rep.fast_order):
        genuine, g = fast_parts(rep, logf)
        group = np.repeat(
            np.arange(len(rep.fast_starts)), np.diff([*rep.fast_starts, len(rep.fast_order)])
        )
        c1 = _group_cumsum(genuine, rep.fast_starts)
        c0 = _group_cumsum(g, rep.fast_starts)
        rho = rep.origin_rho[rep.fast_origins][group]
        with np.errstate(invalid="ignore"):
            block = np.logaddexp(safe_log(rho) + c1, safe_log1m(rho) + c0)
        prev = np.zeros_like(block)
        inner = np.ones(block.shape[-1], dtype=bool)
        inner[rep.fast_starts] = False
        prev[..., inner] = block[..., np.flatnonzero(inner) - 1]
        with np.errstate(invalid="ignore"):
            share = np.where(np.isneginf(block) & np.isneginf(prev), -np.inf, block - prev)
        out[..., rep.first_item[rep.fast_order]] = share
    for origins, events in rep.components:
        before = np.zeros(logf.shape[:-1])
        for e in range(len(events)):
            now = component(rep, origins, events[: e + 1], NumberAlgebra(logf))
            out[..., rep.first_item[events[e][0]]] = now - before
            before = now
    return out


def fast_loo(rep: Reports, logf: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``log L - log L_{-i}`` of the items that are a fast report of their own, into ``out``.

    ``out`` ``(..., n)`` holds the chain-rule shares (:func:`item_log_likelihood`), exact for
    an item alone in its origin; for an item whose origin has other reports, its origin's
    block without it (the other origins' blocks are unchanged) replaces the share. Returns
    which items must be computed without them instead ``(n,)``: in a shared event, relayed
    copies, or where the block is not finite. (Before: every such item refitted, so a ledger
    of 300 reports from 40 origins took 600 refits at 4,000 x 3 parameter draws.)
    """
    n = out.shape[-1]
    refit = np.ones(n, dtype=bool)
    if not len(rep.fast_order):
        return refit
    copies = np.bincount(rep.item_report, minlength=rep.n_reports)
    sizes = np.diff([*rep.fast_starts, len(rep.fast_order)])
    group = np.repeat(np.arange(len(sizes)), sizes)
    items = rep.first_item[rep.fast_order]  # each fast report's item, if it has one only
    single = copies[rep.fast_order] == 1
    refit[items[single & (sizes[group] == 1)]] = False  # alone: the share is exact
    mates = np.flatnonzero(single & (sizes[group] > 1))
    if not len(mates):
        return refit
    genuine, g = fast_parts(rep, logf)
    s1 = np.add.reduceat(genuine, rep.fast_starts, axis=-1)
    s0 = np.add.reduceat(g, rep.fast_starts)
    rho = rep.origin_rho[rep.fast_origins][group[mates]]
    with np.errstate(invalid="ignore"):
        s1_without = s1[..., group[mates]] - genuine[..., mates]
        s0_without = s0[group[mates]] - g[mates]
        without = np.logaddexp(safe_log(rho) + s1_without, safe_log1m(rho) + s0_without)
        loo = blocks(rep, s1, s0)[..., group[mates]] - without
    ok = np.all(np.isfinite(loo) | np.isneginf(loo), axis=tuple(range(loo.ndim - 1)))
    out[..., items[mates[ok]]] = loo[..., ok]
    refit[items[mates[ok]]] = False
    return refit


def _group_cumsum(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cumulative sums along the last axis restarting at each of ``starts``."""
    total = np.cumsum(x, axis=-1)
    offset = np.zeros_like(total)
    if len(starts) > 1:
        before = total[..., starts[1:] - 1]
        lengths = np.diff([*starts, x.shape[-1]])
        shifts = np.concatenate([np.zeros((*x.shape[:-1], 1)), before], axis=-1)
        offset = np.repeat(shifts, lengths, axis=-1)
    return total - offset


# --- the algebra of one component --------------------------------------------------------------


class NumberAlgebra:
    """Log-likelihoods as arrays: ``f(r)`` is report ``r``'s ``log f`` at every theta."""

    def __init__(self, logf: np.ndarray):
        self.logf = logf

    def const(self, logc: float) -> np.ndarray:
        """A constant ``exp(logc)``."""
        return np.full(self.logf.shape[:-1], logc)

    def f(self, r: int) -> np.ndarray:
        """Report ``r``'s ``f(v_r | theta)``."""
        return self.logf[..., r]

    def scale(self, x: np.ndarray, logc: float) -> np.ndarray:
        """``x * exp(logc)``."""
        return x + logc

    def add(self, terms: list[np.ndarray]) -> np.ndarray:
        """The sum of ``terms``."""
        return logsumexp(np.stack(np.broadcast_arrays(*terms)), axis=0)

    def mul(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The product ``x * y``."""
        return x + y


def event_likelihood(rep: Reports, reports: np.ndarray, a: np.ndarray, alg):
    """One event's likelihood given its reports' genuineness ``a``: ``Z + sum_u f(u)(A_u - Z)``."""
    g = rep.log_noise[reports]
    values = rep.value[reports]
    false = safe_log1m(a) + g
    with np.errstate(invalid="ignore"):
        either = np.logaddexp(safe_log(a), safe_log1m(a) + g)
    log_z = float(np.sum(false))
    terms = [alg.const(log_z)]
    for u in np.unique(values):
        same = values == u
        log_a = float(np.sum(either[same]) + np.sum(false[~same]))
        if np.isneginf(log_a):
            continue
        gap = log_a + float(log1mexp(log_z - log_a)) if np.isfinite(log_z) else log_a
        if np.isneginf(gap):
            continue
        terms.append(alg.scale(alg.f(int(reports[np.argmax(same)])), gap))
    return alg.add(terms)


def component(rep: Reports, origins: np.ndarray, events: Sequence[np.ndarray], alg):
    """A component's likelihood: the sum over its origins' states (genuine or not)."""
    rho = rep.origin_rho[origins]
    local = {int(o): k for k, o in enumerate(origins)}
    totals = []
    for state in itertools.product((1, 0), repeat=len(origins)):
        weight = float(
            sum(safe_log(rho[k]) if s else safe_log1m(rho[k]) for k, s in enumerate(state))
        )
        if np.isneginf(weight):
            continue
        total = alg.const(weight)
        for reports in events:
            on = np.array([state[local[int(rep.origin[r])]] for r in reports], dtype=float)
            total = alg.mul(total, event_likelihood(rep, reports, rep.genuine[reports] * on, alg))
        totals.append(total)
    return alg.add(totals)


def whole(rep: Reports, alg):
    """``L(theta)`` in an algebra, every origin as a component (for the polynomial algebra)."""
    total = alg.const(0.0)
    if len(rep.fast_order):
        ends = [*rep.fast_starts[1:], len(rep.fast_order)]
        for o, start, end in zip(rep.fast_origins, rep.fast_starts, ends, strict=True):
            events = tuple(np.array([r]) for r in rep.fast_order[start:end])
            total = alg.mul(total, component(rep, np.array([o]), events, alg))
    for origins, events in rep.components:
        total = alg.mul(total, component(rep, origins, events, alg))
    return total


class PolynomialAlgebra:
    """Likelihoods as polynomials in ``theta`` (categorical kind: ``f(r) = theta_{v_r}``).

    A polynomial is a dense array of log coefficients with one axis per category, indexed by
    the power of that category's probability (``-inf`` for a zero coefficient).
    """

    def __init__(self, values: np.ndarray, n_categories: int):
        self.values = np.asarray(values, dtype=int)
        self.c = n_categories

    def const(self, logc: float) -> np.ndarray:
        """A constant ``exp(logc)``."""
        return np.full((1,) * self.c, float(logc))

    def f(self, r: int) -> np.ndarray:
        """Report ``r``'s ``f(v_r | theta)``."""
        shape = [1] * self.c
        shape[self.values[r]] = 2
        out = np.full(shape, -np.inf)
        out.reshape(-1)[-1] = 0.0
        return out

    def scale(self, x: np.ndarray, logc: float) -> np.ndarray:
        """``x * exp(logc)``."""
        return x + logc

    def add(self, terms: list[np.ndarray]) -> np.ndarray:
        """The sum of ``terms``."""
        shape = tuple(np.max([t.shape for t in terms], axis=0))
        stack = np.full((len(terms), *shape), -np.inf)
        for k, t in enumerate(terms):
            stack[(k, *(slice(0, n) for n in t.shape))] = t
        return logsumexp(stack, axis=0)

    def mul(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The product ``x * y``.

        In exponentials scaled by each factor's largest coefficient where every product of
        two coefficients stays far above underflow (their spans add up to less than
        :data:`_SPAN` nats): multiply-adds, not a ``logaddexp`` per term (the 1,000-category
        question's polynomial refits in ``forecast sensitivity``: 5.4 s of ``mul``); else in logs.
        """
        fx, fy = np.isfinite(x), np.isfinite(y)
        if np.sum(fx) < np.sum(fy):
            x, y, fx, fy = y, x, fy, fx
        shape = tuple(a + b - 1 for a, b in zip(x.shape, y.shape, strict=True))
        if not fx.any() or not fy.any():
            return np.full(shape, -np.inf)
        top_x, top_y = float(np.max(x[fx])), float(np.max(y[fy]))
        span = top_x - float(np.min(x[fx])) + top_y - float(np.min(y[fy]))
        if span < _SPAN:
            ex = np.where(fx, np.exp(np.where(fx, x, top_x) - top_x), 0.0)
            out = np.zeros(shape)
            for idx in zip(*np.nonzero(fy), strict=True):
                window = tuple(slice(i, i + n) for i, n in zip(idx, x.shape, strict=True))
                out[window] += ex * math.exp(y[idx] - top_y)
            with np.errstate(divide="ignore"):
                return np.log(out) + (top_x + top_y)
        out = np.full(shape, -np.inf)
        for idx in zip(*np.nonzero(fy), strict=True):
            window = tuple(slice(i, i + n) for i, n in zip(idx, x.shape, strict=True))
            out[window] = np.logaddexp(out[window], x + y[idx])
        return out
