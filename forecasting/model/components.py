"""Origins linked by shared events, evaluated at the quadrature nodes for many variants at once.

A *component* (origins linked by reports of one event, :mod:`.mixture`) has a likelihood that
sums over its origins' states. The analyses ask for it again and again with one thing changed:
a report's value (item tipping points try every count from 0 to 1,000), its credibility, an
origin's reliability, a report left out. Here those variants are one more array axis instead
of one Python evaluation each. On the bundled question (the al-Dumayr operation reported by two
origins) it takes ``analyses.sensitivity`` from 18 s to 4.2 s in process (under cProfile).

The arithmetic is :func:`.mixture.component`'s (the reference, which the tests compare with):
per event ``Z + sum_u f(u) (A_u - Z)`` over its reported values ``u``, per origin state the
product over events, and the sum over states weighted by the origins' reliabilities.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..core.stats import logsumexp
from . import mixture as mx


def event_batch(logf: np.ndarray, a: np.ndarray, v: np.ndarray, g: np.ndarray) -> np.ndarray:
    """One event's log-likelihood per variant and node, ``(M, Q)``.

    ``logf`` ``(M, Q, n)``: each report's ``log f``; ``a``, ``v``, ``g`` ``(M, n)``: its
    genuineness (0 where its origin is false), value and ``log g``.
    """
    n = a.shape[-1]
    false = mx.safe_log1m(a) + g
    with np.errstate(invalid="ignore"):
        either = np.logaddexp(mx.safe_log(a), false)
    log_z = np.sum(false, axis=-1)  # (M,)
    same = v[:, :, None] == v[:, None, :]  # (M, n, n)
    log_a = np.sum(np.where(same, either[:, None, :], false[:, None, :]), axis=-1)  # (M, n)
    first = ~np.any(same & np.tri(n, n, -1, dtype=bool)[None], axis=-1)  # first report of u
    with np.errstate(invalid="ignore"):
        x = np.minimum(log_z[:, None] - log_a, 0.0)
        gap = np.where(np.isfinite(log_z)[:, None], log_a + mx.log1mexp(x), log_a)
    gap = np.where(first & np.isfinite(log_a) & ~np.isnan(gap), gap, -np.inf)
    terms = np.concatenate(
        [np.broadcast_to(log_z[:, None, None], (*logf.shape[:2], 1)), gap[:, None, :] + logf],
        axis=-1,
    )
    return logsumexp(terms, axis=-1)


def component_batch(
    origin: np.ndarray,
    events: tuple[np.ndarray, ...],
    logf: np.ndarray,
    a: np.ndarray,
    v: np.ndarray,
    g: np.ndarray,
    rho: np.ndarray,
    varied: np.ndarray | None = None,
) -> np.ndarray:
    """A component's log-likelihood per variant and node, ``(M, Q)``.

    Arrays over the component's own reports (``n``): ``origin`` (its origins numbered
    ``0..m-1``), ``logf`` ``(M, Q, n)``, ``a``, ``v``, ``g`` ``(M, n)``; ``events`` index them;
    ``rho`` ``(M, m)`` is the origins' reliabilities. ``varied`` marks the reports whose arrays
    differ between variants (default: all); the other events are evaluated once.
    """
    varied = np.ones(a.shape[-1], dtype=bool) if varied is None else varied
    log_rho, log_rho1m = mx.safe_log(rho), mx.safe_log1m(rho)
    totals = []
    seen: dict[tuple, np.ndarray] = {}
    for state in itertools.product((1, 0), repeat=rho.shape[-1]):
        on = np.array(state, dtype=bool)
        weight = np.sum(np.where(on[None, :], log_rho, log_rho1m), axis=-1)  # (M,)
        total = np.broadcast_to(weight[:, None], logf.shape[:2])
        for k, ev in enumerate(events):
            key = (k, tuple(on[origin[ev]]))
            if key not in seen:  # an event depends on its own origins' states only
                rows = slice(None) if varied[ev].any() else slice(0, 1)
                genuine = a[rows, ev] * on[origin[ev]][None, :]
                seen[key] = event_batch(logf[rows][:, :, ev], genuine, v[rows, ev], g[rows, ev])
            total = total + seen[key]
        totals.append(total)
    return logsumexp(np.stack(totals), axis=0)


class Components:
    """An indicator's components at the quadrature nodes: their base values and variants."""

    def __init__(self, rep: mx.Reports, logf: np.ndarray):
        """``logf`` ``(Q, R)``: every report's ``log f`` at the nodes."""
        self.rep = rep
        self.parts = []
        for origins, events in rep.components:
            reports = np.concatenate(events)
            local = {int(r): k for k, r in enumerate(reports)}
            origin = np.searchsorted(origins, rep.origin[reports])  # origins sorted ascending
            evs = tuple(np.array([local[int(r)] for r in ev]) for ev in events)
            self.parts.append((reports, origins, origin, evs))
        self.logf = logf
        self.base = [self.variant(c, 1)[0] for c in range(len(self.parts))]

    def of_report(self, r: int) -> tuple[int, int] | None:
        """The component holding report ``r`` and its place there, or ``None``."""
        for c, (reports, *_) in enumerate(self.parts):
            where = np.flatnonzero(reports == r)
            if len(where):
                return c, int(where[0])
        return None

    def of_origin(self, o: int) -> tuple[int, int] | None:
        """The component holding origin ``o`` and its place there, or ``None``."""
        for c, (_, origins, _, _) in enumerate(self.parts):
            where = np.flatnonzero(origins == o)
            if len(where):
                return c, int(where[0])
        return None

    def place(self, c: int, r: int) -> int | None:
        """Report ``r``'s place in component ``c``, or ``None`` if it is not there."""
        where = np.flatnonzero(self.parts[c][0] == r)
        return int(where[0]) if len(where) else None

    def at(self, c: int, every: np.ndarray, place: int | None, **changes: np.ndarray) -> np.ndarray:
        """Component ``c`` at each row's own nodes, ``(b, n)``.

        ``every`` ``(b, n, R)``: every report's ``log f`` at the row's nodes; ``changes``:
        ``logf`` ``(b, n)``, ``v``, ``g`` ``(b,)`` of the report at ``place``, one per row.
        """
        reports, origins, origin, evs = self.parts[c]
        rep, b = self.rep, len(every)
        arrays = {
            "logf": every[..., reports],
            "a": np.repeat(rep.genuine[reports][None, :], b, axis=0),
            "v": np.repeat(rep.value[reports][None, :], b, axis=0),
            "g": np.repeat(rep.log_noise[reports][None, :], b, axis=0),
        }
        for name, values in changes.items():
            arrays[name][..., place] = values
        rho = np.repeat(rep.origin_rho[origins][None, :], b, axis=0)
        return component_batch(
            origin, evs, arrays["logf"], arrays["a"], arrays["v"], arrays["g"], rho
        )

    def variant(self, c: int, m: int, **changes: tuple[int, np.ndarray]) -> np.ndarray:
        """Component ``c`` with ``m`` variants, ``(m, Q)``.

        ``changes``: ``logf``, ``a``, ``v``, ``g`` (a report's place and its new values,
        ``(m, Q)`` for ``logf``, ``(m,)`` otherwise) or ``rho`` (an origin's place and values).
        """
        reports, origins, origin, evs = self.parts[c]
        rep = self.rep
        arrays = {
            "logf": np.repeat(self.logf[None, :, reports], m, axis=0),
            "a": np.repeat(rep.genuine[reports][None, :], m, axis=0),
            "v": np.repeat(rep.value[reports][None, :], m, axis=0),
            "g": np.repeat(rep.log_noise[reports][None, :], m, axis=0),
            "rho": np.repeat(rep.origin_rho[origins][None, :], m, axis=0),
        }
        varied = np.zeros(len(reports), dtype=bool)
        for name, (place, values) in changes.items():
            arrays[name][..., place] = values
            varied[place] |= name != "rho"
        return component_batch(
            origin,
            evs,
            arrays["logf"],
            arrays["a"],
            arrays["v"],
            arrays["g"],
            arrays["rho"],
            varied,
        )

    def with_noises(self, c: int, g: np.ndarray) -> np.ndarray:
        """Component ``c`` with every report's ``log g`` a row of ``g`` ``(m, R)``: ``(m, Q)``."""
        reports, origins, origin, evs = self.parts[c]
        m, rep = len(g), self.rep

        def rows(x: np.ndarray) -> np.ndarray:
            return np.broadcast_to(x, (m, *x.shape))

        return component_batch(
            origin,
            evs,
            rows(self.logf[:, reports]),
            rows(rep.genuine[reports]),
            rows(rep.value[reports]),
            g[:, reports],
            rows(rep.origin_rho[origins]),
        )

    def swap(self, log_l: np.ndarray, c: int, new: np.ndarray) -> np.ndarray:
        """``log L`` at the nodes ``(Q,)`` with component ``c`` replaced by ``new`` ``(m, Q)``."""
        with np.errstate(invalid="ignore"):
            return log_l[None, :] - self.base[c][None, :] + new
