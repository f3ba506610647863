"""The PyMC model of a question with dynamics: ``theta`` continuous, the regimes summed out.

The regime ``S_t`` of each period with evidence (:mod:`.dynamics`: periods counted back from
the resolution date, oldest first here) moves by powers of the transition matrix ``A``; ``pi``
is the first such period's regime mix, and each scenario's parameters ``theta_k`` are shared by
every period in regime ``k``. Given ``(pi, theta)`` the regimes are a hidden Markov chain, and
the forward algorithm sums them out exactly::

    e[t, k]  = log p(the reports of period t | S_t = k, theta)       # the emission matrix
    a[0]     = log pi + e[0]
    a[t]     = log(exp(a[t-1]) @ A^(gap t)) + e[t]                   # stabilised by max(a[t-1])
    Potential("evidence", logsumexp_k a[last])
    scenario_probability = softmax(a[last]) @ A^(periods from last to T)    # P(S_T | E, pi, theta)
    probability_now      = softmax(a[last]) @ A^(periods from last to now)  # P(S_now | E, ...)

Their posterior means are the exact engine's ``P(S_T = k | E)`` and ``P(S_now = k | E)``. The
periods are few and fixed when the model is built, so the recursion is a plain loop (no scan).

Under the tempered model ``e[t]`` is the kind's kernel of period ``t``'s statistics (they add
up to the static model's). Under the truth mixture, an origin whose reports all fall in one
period, or that is certainly genuine or false, contributes to its periods' rows as in the
static model (:func:`~.pymc_model.mixture_loglik`). An origin in doubt (``0 < rho < 1``)
whose reports span *several* periods couples them through its one state (genuine or not), so
the likelihood no longer factorises over periods. Such an origin's state (or, for origins
linked by shared events, their states) is kept as a discrete variable that is summed over by
*enumeration jointly with the forward pass*: the forward pass runs once per combination of
these states (batched along a leading axis), each with that combination's emissions and log
prior weight, and the combinations are added up at the end with ``logsumexp``. This is exact
(the exact engine sums the same states per regime path) and, with every ``stay: 1``, the log
density is the static model's (tested). Its cost doubles with each such origin, so at most
:data:`MAX_SPLIT_STATES` combinations are built; beyond that the model is refused with a
located error (longer periods put an origin's reports in fewer of them).

A count indicator's per-scenario trend scales each report's exposure by
``exp(-beta_k * period)`` under regime ``k`` (:func:`.dynamics.trended`), the noise of false
reports untouched.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import InputError, Problem
from . import mixture as mx
from .dynamics import item_periods, trended

if TYPE_CHECKING:
    from .data import IndicatorData, ModelData

#: The most combinations of split origins' states the forward pass is run for (``2^10``: ten
#: origins in doubt whose reports span periods, as many as the exact engine sums per path).
MAX_SPLIT_STATES = 1024
#: The floor of a forward step's probabilities (a regime no path can reach has ``log 0``;
#: the floor keeps its gradient finite and moves nothing else).
_TINY = 1e-300


class TensorAlgebra:
    """:mod:`.mixture`'s algebra in PyTensor: ``f(r)`` is report ``r``'s ``log f`` per scenario."""

    def __init__(self, logf):
        import pytensor.tensor as pt

        self.pt = pt
        self.logf = logf  # (K, R)

    def const(self, logc: float):
        """A constant ``exp(logc)``."""
        return self.pt.zeros_like(self.logf[:, 0]) + logc

    def f(self, r: int):
        """Report ``r``'s ``f(v_r | theta)``."""
        return self.logf[:, r]

    def scale(self, x, logc: float):
        """``x * exp(logc)``."""
        return x + logc

    def add(self, terms: list):
        """The sum of ``terms``."""
        return self.pt.logsumexp(self.pt.stack(terms), axis=0)

    def mul(self, x, y):
        """The product ``x * y``."""
        return x + y


class _Emissions:
    """The emission matrix under construction, ``(T, K)``, and the split units' states."""

    def __init__(self, n_periods: int, k: int):
        import pytensor.tensor as pt

        self.pt = pt
        self.n, self.k = n_periods, k
        self.rows: list[list[Any]] = [[] for _ in range(n_periods)]  # (K,) terms per period
        self.whole: list[Any] = []  # (T, K) terms
        self.constant = 0.0
        #: per split unit, its states: [(log weight, (T, K) term or None)]
        self.units: list[list[tuple[float, Any]]] = []
        self.names: list[str] = []

    def add(self, t: int, term) -> None:
        """Add a ``(K,)`` term to period ``t``'s row."""
        self.rows[t].append(term)

    def by_period(self, terms, periods: np.ndarray):
        """``(T, K)`` from terms ``(K, n)`` of the given periods ``(n,)`` (summed by period)."""
        to = np.zeros((len(periods), self.n))
        to[np.arange(len(periods)), periods] = 1.0
        return self.pt.dot(terms, to).T

    def matrix(self, terms_by_period: list[list[Any]]):
        """``(T, K)`` from ``(K,)`` terms per period (zeros where none)."""
        pt = self.pt
        zero = pt.zeros((self.k,))
        return pt.stack([pt.add(zero, *terms) if terms else zero for terms in terms_by_period])

    def combined(self):
        """Emissions ``(Z, T, K)`` and log weights ``(Z,)`` over the split states' combinations."""
        pt = self.pt
        out = pt.add(self.matrix(self.rows), *self.whole)[None]
        sizes = [len(states) for states in self.units]
        every = list(itertools.product(*(range(n) for n in sizes)))
        combos = np.array(every, dtype=int).reshape(len(every), len(sizes))
        log_w = np.full(len(combos), float(self.constant))
        for u, states in enumerate(self.units):
            log_w = log_w + np.array([w for w, _ in states])[combos[:, u]]
            zero = pt.zeros((self.n, self.k))
            stack = pt.stack([zero if term is None else term for _, term in states])
            out = out + stack[combos[:, u]]  # (S_u, T, K) -> each combination's
        return out, log_w


def add_regimes(data: ModelData, pi, thetas: dict[str, Any]) -> None:
    """Inside a model: the potential ``evidence`` and the regimes' deterministics.

    ``evidence`` is ``log p(E | pi, theta)`` (the regimes summed out); ``scenario_probability``
    is ``P(S_T | E, pi, theta)`` and ``probability_now`` ``P(S_now | E, pi, theta)``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    from ..core.dims import SCENARIO

    tl = data.timeline
    total, log_last, last = dynamic_loglik(data, pt.log(pi), thetas)
    if total is None:  # no evidence: pi is the regime mix now
        total, filtered, last = pt.constant(0.0), pi, tl.now
    else:
        filtered = pt.special.softmax(log_last)
    pm.Potential("evidence", total)
    pm.Deterministic("scenario_probability", pt.dot(filtered, tl.power(last)), dims=SCENARIO)
    now = pt.dot(filtered, tl.power(last - tl.now))
    pm.Deterministic("probability_now", now, dims=SCENARIO)


def dynamic_loglik(data: ModelData, log_pi, thetas: dict[str, Any]):
    """``log p(E | pi, theta)``, ``log p(S_last = k, E | pi, theta)`` ``(K,)`` and ``last``.

    ``S_last`` is the regime of ``last``, the newest period with evidence. Without evidence:
    ``(None, log_pi, None)``.

    Raises
    ------
    InputError
        If the origins whose reports span periods have more than :data:`MAX_SPLIT_STATES`
        combinations of states.
    """
    import pytensor.tensor as pt

    tl = data.timeline
    per_item = {ind.id: item_periods(ind, tl) for ind in data.indicators if len(ind.values)}
    periods = sorted({int(p) for ps in per_item.values() for p in ps}, reverse=True)
    if not periods:
        return None, log_pi, None
    position = {p: i for i, p in enumerate(periods)}
    em = _Emissions(len(periods), data.n_scenarios)
    for ind in data.indicators:
        if ind.id not in per_item:
            continue
        pos = np.array([position[int(p)] for p in per_item[ind.id]], dtype=int)
        if ind.reliability_model == "mixture":
            _mixture(em, ind, thetas[ind.id], per_item[ind.id], pos)
        else:
            _tempered(em, ind, thetas[ind.id], per_item[ind.id], pos)
    n_states = int(np.prod([len(states) for states in em.units]))
    if n_states > MAX_SPLIT_STATES:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "dynamics",
                    f"the MCMC engine sums over the states of origins whose reports fall in "
                    f"several periods: {len(em.units)} such origins or linked groups "
                    f"({', '.join(em.names[:4])}{', ...' if len(em.names) > 4 else ''}) make "
                    f"{n_states:,} combinations, more than {MAX_SPLIT_STATES:,}; use the exact "
                    "engine, or longer periods",
                )
            ]
        )
    emissions, log_w = em.combined()  # (Z, T, K), (Z,)
    alpha = log_pi[None, :] + emissions[:, 0, :]
    for t in range(1, len(periods)):
        step = tl.power(periods[t - 1] - periods[t])
        top = pt.max(alpha, axis=1, keepdims=True)
        moved = pt.dot(pt.exp(alpha - top), step)
        alpha = top + pt.log(pt.maximum(moved, _TINY)) + emissions[:, t, :]
    log_last = pt.logsumexp(alpha + log_w[:, None], axis=0)
    return pt.logsumexp(log_last), log_last, periods[-1]


def _tempered(em: _Emissions, ind: IndicatorData, theta, periods: np.ndarray, pos) -> None:
    """Each period's kernel (with a trend: each scenario's own view, and its constant)."""
    import pytensor.tensor as pt

    k = em.k
    is_trended = ind.trend is not None and bool(np.any(ind.trend != 0))
    views = [trended(ind, s, periods) for s in range(k)] if is_trended else [ind]
    for t in np.unique(pos):
        terms = []
        for s, view in enumerate(views):
            sub = view.with_items(pos == t)
            stats = [
                pt.as_tensor_variable(np.asarray(values, dtype=float))
                for values, _ in ind.kind.pymc_stats(sub).values()
            ]
            kernel = ind.kind.pt_kernel(theta, stats)
            if is_trended:
                terms.append(kernel[s] + ind.kind.constant(sub))
            else:
                terms.append(kernel)
        em.add(int(t), pt.stack(terms) if is_trended else terms[0])


def _report_logf(ind: IndicatorData, theta, periods: np.ndarray, k: int):
    """Each report's ``log f`` under each regime ``(K, R)``, and the reports."""
    import pytensor.tensor as pt

    rep = ind.model.reports()
    if ind.trend is None or not np.any(ind.trend != 0):
        return ind.kind.pt_report_loglik(ind, theta, rep.value, rep.exposure), rep
    rows = []
    for s in range(k):
        own = trended(ind, s, periods).model.reports()  # the same reports, scaled exposures
        rows.append(ind.kind.pt_report_loglik(ind, theta, own.value, own.exposure)[s])
    return pt.stack(rows), rep


def _mixture(em: _Emissions, ind: IndicatorData, theta, periods: np.ndarray, pos) -> None:
    """The truth mixture's terms by period; origins in doubt across periods as split units."""
    logf, rep = _report_logf(ind, theta, periods, em.k)
    at = pos[rep.first_item]  # each report's period (an event's reports share one)
    if len(rep.fast_order):
        _fast(em, ind, rep, logf, at)
    alg = TensorAlgebra(logf)
    for origins, events in rep.components:
        event_at = [int(at[reports[0]]) for reports in events]
        if len(set(event_at)) == 1:
            em.add(event_at[0], mx.component(rep, origins, events, alg))
            continue
        _split_component(em, ind, rep, origins, events, event_at, alg)


def _fast(em: _Emissions, ind: IndicatorData, rep, logf, at: np.ndarray) -> None:
    """Origins whose reports are alone in their events, as arrays.

    Each origin's genuine terms are summed by (origin, period) in one product, then placed by
    the origin's reliability: certain, in doubt within one period, in doubt across periods.
    """
    import pytensor.tensor as pt

    order = rep.fast_order
    a, g = rep.genuine[order], rep.log_noise[order]
    origin = np.repeat(rep.fast_origins, np.diff([*rep.fast_starts, len(order)]))
    # a report certainly genuine (if its origin is) adds log f, one certainly false log g,
    # the others the mixture (as in the static model)
    sure = np.flatnonzero(a >= 1)
    some = np.flatnonzero((a > 0) & (a < 1))
    terms = pt.zeros((em.k, len(order))) + np.where(a <= 0, g, 0.0)
    if len(sure):
        terms = pt.set_subtensor(terms[:, sure], logf[:, order[sure]])
    if len(some):
        mixed = pt.logaddexp(np.log(a[some]) + logf[:, order[some]], np.log1p(-a[some]) + g[some])
        terms = pt.set_subtensor(terms[:, some], mixed)
    pairs, column = np.unique(np.stack([origin, at[order]], axis=1), axis=0, return_inverse=True)
    column = column.reshape(-1)
    group = np.zeros((len(order), len(pairs)))
    group[np.arange(len(order)), column] = 1.0
    s1 = pt.dot(terms, group)  # (K, columns): an origin's genuine terms in one period
    s0 = {int(o): float(g[origin == o].sum()) for o in rep.fast_origins}
    rho = rep.origin_rho[pairs[:, 0]]
    spans = {int(o): int(np.sum(pairs[:, 0] == o)) for o in rep.fast_origins}
    certain = np.flatnonzero(rho >= 1)
    if len(certain):
        em.whole.append(em.by_period(s1[:, certain], pairs[certain, 1]))
    em.constant += sum(s0[o] for o in s0 if rep.origin_rho[o] <= 0)
    alone = [c for c in range(len(pairs)) if 0 < rho[c] < 1 and spans[int(pairs[c, 0])] == 1]
    if alone:
        s0_alone = np.array([s0[int(pairs[c, 0])] for c in alone])
        blocks = pt.logaddexp(np.log(rho[alone]) + s1[:, alone], np.log1p(-rho[alone]) + s0_alone)
        em.whole.append(em.by_period(blocks, pairs[alone, 1]))
    for o in rep.fast_origins:  # in doubt, across periods: genuine (its terms) or false
        r = float(rep.origin_rho[o])
        if 0 < r < 1 and spans[int(o)] > 1:
            mine = np.flatnonzero(pairs[:, 0] == o)
            genuine = em.by_period(s1[:, mine], pairs[mine, 1])
            em.units.append([(float(np.log(r)), genuine), (float(np.log1p(-r) + s0[int(o)]), None)])
            em.names.append(f"'{rep.origin_names[o]}' on '{ind.id}'")


def _split_component(em, ind, rep, origins, events, event_at, alg) -> None:
    """Origins linked by events in several periods: each state of theirs, its events by period."""
    rho = rep.origin_rho[origins]
    local = {int(o): k for k, o in enumerate(origins)}
    states = []
    for state in itertools.product((1, 0), repeat=len(origins)):
        weight = float(
            sum(mx.safe_log(rho[k]) if s else mx.safe_log1m(rho[k]) for k, s in enumerate(state))
        )
        if np.isneginf(weight):
            continue
        parts: dict[int, Any] = {}
        for reports, t in zip(events, event_at, strict=True):
            on = np.array([state[local[int(rep.origin[r])]] for r in reports], dtype=float)
            term = mx.event_likelihood(rep, reports, rep.genuine[reports] * on, alg)
            parts[t] = term if t not in parts else parts[t] + term
        states.append((weight, parts))
    if len(states) == 1:  # every origin certain: the events factorise over periods
        weight, parts = states[0]
        em.constant += weight
        for t, term in parts.items():
            em.add(t, term)
        return
    em.units.append(
        [
            (w, em.matrix([[parts[t]] if t in parts else [] for t in range(em.n)]))
            for w, parts in states
        ]
    )
    names = "+".join(f"'{rep.origin_names[o]}'" for o in origins)
    em.names.append(f"{names} on '{ind.id}'")
