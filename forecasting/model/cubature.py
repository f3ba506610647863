"""The truth mixture's integral over a few categories' probabilities, by adaptive cubature.

The categorical kind's exact integral is a polynomial (:mod:`.likelihood`); hundreds of
unreliable reports per category make it too large (about ``n^(C-1)`` terms: the scale
benchmark's 2,000 reports of four categories, 1.3e9). Where an indicator has at most
:data:`~forecasting.core.constants.MAX_CUBATURE_CATEGORIES` categories, the integral is then a
cubature instead:

* Coordinates: stick-breaking, ``theta_1 = x_1``, ``theta_j = x_j prod_{i<j} (1 - x_i)``,
  ``theta_C = prod_i (1 - x_i)``, on the logit scale ``z = logit(x)`` (``d = C - 1`` of
  them). A Dirichlet is there a product of independent ``Beta(alpha_j, sum_{c>j} alpha_c)``,
  with no singular edge where ``alpha < 1`` (in ``x`` such a prior made the cells multiply
  and the error stall). The box (:func:`_box`) leaves out at most :data:`TAIL` of any
  prior's mass per side and coordinate.
* Cells: tensor-product Gauss-Legendre rules, :data:`FINE` points per coordinate checked
  against :data:`COARSE`; a cell is halved in every coordinate while the two differ by more
  than :data:`TOLERANCE` of any integral's total: each scenario's ``prior L^t`` for
  ``t`` in :data:`POWERS`, and the variants the caller asks for (``L`` without a large
  origin, or with it wholly reliable).
* Where to look: the modes of ``log L`` (Newton from all the reports and from each origin's
  alone), of each scenario's posterior and of each variant are the *seeds*; a cell holding
  one is halved until no wider than :data:`SEED_WIDTH` of that mode's Laplace scales.

Measured against the exact polynomial where both can be computed (``tests/model/
test_cubature.py``: 2 to 4 categories, 48 to 200 reports, one to six origins, agreeing or
not, shared events): log marginals within 5e-8 (the tests' bound 1e-6, as the issue asks).

:class:`~.cubature_mixture.CubatureMixture` is the truth mixture on these nodes.
"""

from __future__ import annotations

from itertools import product

import numpy as np
from scipy import special

from ..core.errors import InputError, Problem
from ..core.stats import logsumexp
from .likelihood import TOO_LARGE_ADVICE

#: Gauss-Legendre points per coordinate of a cell, and of the coarser rule it is checked with.
FINE, COARSE = 6, 4
#: A cell is halved while its two rules differ by more than this share of a scenario's total.
TOLERANCE = 1e-6
#: ... the total of ``prior_k L^t`` for each power ``t`` here: the cells serve, besides ``L``,
#: the variants the analyses integrate on the same nodes (an origin left out, another noise or
#: reliability: likelihoods flatter than ``L``, down to the prior alone). A variant of fewer
#: than half the reports gets a cubature of its own.
POWERS = (1.0, 0.5)
#: A cell holding a seed is halved until no wider than this many of the mode's scales.
SEED_WIDTH = 2.0
#: Rounds of halving at most, and the most cells at once.
MAX_ROUNDS = 40
MAX_CELLS = 60_000
#: Nodes where ``log L^t`` (the smallest power) times the rule's weight is more than this many
#: nats below its top are dropped once the cubature is built (less than ``e^-60`` of the top
#: term each).
NEGLIGIBLE = 60.0
#: Each prior's mass left out beyond the box, per side and coordinate.
TAIL = 1e-15
#: The box holds all but :data:`TAIL` of priors this many times less concentrated than the
#: scenarios' (the range of reasonable opinion redraws them).
BOX_WIDENING = 4.0
#: The box reaches at least this many scales beyond every mode (scales, in ``z``, taken as at
#: most :data:`MAX_SCALE`: a mode flatter than that is left to the prior's reach).
SEED_REACH = 40.0
MAX_SCALE = 2.0
#: Modes kept as seeds: those within this many nats of the highest.
SEED_NATS = 40.0


def _rule(n: int, d: int) -> tuple[np.ndarray, ...]:
    """Tensor Gauss-Legendre rule on ``[0, 1]^d``: nodes, log weights, each node's sub-box."""
    x, w = np.polynomial.legendre.leggauss(n)
    x, w = (x + 1) / 2, w / 2
    edges = np.concatenate([[0.0], (x[1:] + x[:-1]) / 2, [1.0]])
    idx = np.array(list(product(range(n), repeat=d)), dtype=int).reshape(-1, d)
    return x[idx], np.log(w[idx]).sum(axis=1), edges[idx], edges[idx + 1]


def _log_x(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log x`` and ``log(1 - x)`` at ``z = logit(x)``, exactly where ``x`` rounds to 0 or 1."""
    t = np.log1p(np.exp(-np.abs(z)))  # one exponential for both (a third of logaddexp's time)
    return -(np.maximum(-z, 0.0) + t), -(np.maximum(z, 0.0) + t)


def log_theta_of(z: np.ndarray) -> np.ndarray:
    """Log category probabilities ``(..., d + 1)`` at coordinates ``z`` ``(..., d)``.

    Stick-breaking: ``theta_j = x_j prod_{i<j} (1 - x_i)``, the last ``prod_i (1 - x_i)``,
    with ``x = expit(z)``.
    """
    log_x, log_1mx = _log_x(z)
    before = np.cumsum(log_1mx, axis=-1)
    head = np.concatenate([log_x[..., :1], before[..., :-1] + log_x[..., 1:]], axis=-1)
    return np.concatenate([head, before[..., -1:]], axis=-1)


def theta_of(z: np.ndarray) -> np.ndarray:
    """Category probabilities ``(..., d + 1)`` at coordinates ``z`` (:func:`log_theta_of`)."""
    return np.exp(log_theta_of(z))


def z_of(theta: np.ndarray) -> np.ndarray:
    """The coordinates ``z`` of category probabilities (the inverse of :func:`theta_of`)."""
    left = 1.0 - np.cumsum(theta[..., :-1], axis=-1)
    before = np.concatenate([np.ones((*theta.shape[:-1], 1)), left[..., :-1]], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return special.logit(np.clip(theta[..., :-1] / before, 1e-12, 1 - 1e-12))


def log_prior(z: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Dirichlet rows ``alpha`` ``(S, C)`` as a density over ``z`` ``(Q, d)``: ``(S, Q)``.

    In stick-breaking coordinates a Dirichlet is a product of independent ``Beta(alpha_j,
    sum_{c>j} alpha_c)``; in ``z = logit(x)`` each is ``x^a (1 - x)^b / B(a, b)``.
    """
    alpha = np.asarray(alpha, dtype=float)
    after = np.cumsum(alpha[:, ::-1], axis=1)[:, ::-1][:, 1:]  # sum_{c>j} alpha_c, (S, d)
    a = alpha[:, :-1]
    log_x, log_1mx = _log_x(z)
    return a @ log_x.T + after @ log_1mx.T - special.betaln(a, after).sum(axis=1)[:, None]


class Cubature:
    """The nodes ``z`` ``(Q, d)``, log weights and ``log L`` there, and each node's sub-box.

    Built by :func:`build`; ``lo`` and ``hi`` ``(Q, d)`` bound the part of its cell nearest
    each node (draws are uniform there: the posterior as a fine histogram).
    """

    def __init__(self, z, log_w, log_l, lo, hi):
        # (the sub-boxes only place draws: single precision, 12 numbers a node, not 15;
        # 12 cubatures of 300,000 nodes each kept the scale benchmark above 1 GiB)
        self.z, self.log_w, self.log_l = z, log_w, log_l
        self.lo, self.hi = lo.astype(np.float32), hi.astype(np.float32)
        self.log_theta = log_theta_of(z)


def _too_hard(ind_id: str, what: str) -> InputError:
    return InputError(
        [
            Problem(
                None,
                None,
                "reliability_model",
                f"indicator '{ind_id}': the truth mixture's cubature over the categories' "
                f"probabilities {what}; {TOO_LARGE_ADVICE}",
            )
        ]
    )


def seeds(log_l, starts: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the integrands peak, in ``z``: modes and their Laplace scales ``(M, d)`` each.

    ``log_l`` maps nodes ``(m, d)`` to ``(m, 1 + V)``: ``log L`` and the variants' (the
    family :func:`build` integrates). The modes of ``log L`` from every start, of each
    scenario's posterior and of each variant from the best of them: damped Newton in ``z``
    with finite differences, all at once. Kept: each objective's modes within
    :data:`SEED_NATS` of its highest.
    """
    d = starts.shape[1]
    h = 1e-3
    eye = np.eye(d)
    offsets = [np.zeros(d)]
    offsets += [s * eye[i] for i in range(d) for s in (h, -h)]
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
    offsets += [si * eye[i] + sj * eye[j] for i, j in pairs for si in (h, -h) for sj in (h, -h)]
    offsets = np.array(offsets)  # (P, d)
    steps = 0.5 ** np.arange(8)

    def objective(z: np.ndarray, column: np.ndarray, prior: np.ndarray | None) -> np.ndarray:
        """Start ``s``'s objective at its rows of ``z`` ``(S, ..., d)``: ``(S, ...)``."""
        per = z.reshape(len(z), -1, d)
        values = log_l(per.reshape(-1, d)).reshape(len(z), per.shape[1], -1)
        out = np.take_along_axis(values, column[:, None, None], axis=2)[..., 0]
        if prior is not None:
            out = out + np.stack([log_prior(per[s], prior[s : s + 1])[0] for s in range(len(z))])
        return out.reshape(z.shape[:-1])

    def newton(z, column, prior=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        for _ in range(60):
            f = objective(z[:, None, :] + offsets[None, :, :], column, prior)  # (S, P)
            f0 = f[:, 0]
            grad = (f[:, 1 : 2 * d + 1 : 2] - f[:, 2 : 2 * d + 1 : 2]) / (2 * h)
            hess = np.empty((len(z), d, d))
            for i in range(d):
                hess[:, i, i] = (f[:, 1 + 2 * i] - 2 * f0 + f[:, 2 + 2 * i]) / h**2
            for p, (i, j) in enumerate(pairs):
                q = f[:, 1 + 2 * d + 4 * p : 5 + 2 * d + 4 * p]  # ++, +-, -+, --
                hess[:, i, j] = hess[:, j, i] = (q[:, 0] - q[:, 1] - q[:, 2] + q[:, 3]) / (4 * h**2)
            step = np.empty_like(z)
            for s in range(len(z)):
                try:
                    np.linalg.cholesky(-hess[s])
                    step[s] = -np.linalg.solve(hess[s], grad[s])
                except np.linalg.LinAlgError:  # not concave here: up the gradient
                    step[s] = grad[s] / max(1.0, float(np.max(np.abs(np.diag(hess[s])))))
            size = np.max(np.abs(step), axis=1, keepdims=True)
            step = np.where(size > 2.0, step * 2.0 / np.maximum(size, 1e-300), step)
            trial = z[:, None, :] + steps[None, :, None] * step[:, None, :]  # (S, T, d)
            ft = objective(trial, column, prior)
            best = np.argmax(ft, axis=1)
            gain = ft[np.arange(len(z)), best] - f0
            move = gain > 1e-12
            z = np.where(move[:, None], trial[np.arange(len(z)), best], z)
            if not move.any() or np.max(np.abs(step[move])) < 1e-7:
                break
        return z, objective(z[:, None, :], column, prior)[:, 0], hess

    def kept(z: np.ndarray, f: np.ndarray, hess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        high = f >= np.max(f) - SEED_NATS
        return z[high], hess[high]

    z, f, hess = newton(np.clip(starts, -20.0, 20.0), np.zeros(len(starts), dtype=int))
    top = z[int(np.argmax(f))]
    found = [kept(z, f, hess)]
    k = len(alpha)
    found.append(kept(*newton(np.repeat(top[None], k, axis=0), np.zeros(k, dtype=int), alpha)))
    n_variants = log_l(top[None]).shape[1] - 1
    if n_variants:
        zv, _, hv = newton(np.repeat(top[None], n_variants, axis=0), np.arange(1, n_variants + 1))
        found.append((zv, hv))
    z = np.concatenate([part[0] for part in found])
    hess = np.concatenate([part[1] for part in found])
    scales = np.full_like(z, np.inf)  # where flat: no forced halving
    for s in range(len(z)):
        if np.all(np.diag(hess[s]) < 0):
            with np.errstate(invalid="ignore"):
                try:
                    sd = np.sqrt(np.diag(np.linalg.inv(-hess[s])))
                except np.linalg.LinAlgError:
                    continue
            if np.all(np.isfinite(sd) & (sd > 0)):
                scales[s] = sd
    order = np.lexsort(z.T[::-1])
    z, scales = z[order], scales[order]
    distinct = np.concatenate([[True], np.any(np.abs(np.diff(z, axis=0)) > 1e-9, axis=1)])
    return z[distinct], scales[distinct]


def build(log_l, d: int, alpha: np.ndarray, starts: np.ndarray, ind_id: str) -> Cubature:
    """The adaptive cubature of ``prior_k(x) L(x)`` over the unit cube, for priors ``alpha``.

    ``log_l`` maps nodes ``(m, d)`` to ``(m, 1 + V)``: ``log L`` and ``V`` variants of it
    (the likelihood without one origin) whose integrals, under the scenarios' priors pooled,
    the cells must also get right; ``starts`` ``(s, d)`` are where the search for modes
    begins (:func:`seeds`). A cell is halved while its two rules differ by more than
    :data:`TOLERANCE` of any integral's total (``prior_k L^t`` for each of :data:`POWERS`,
    and the variants), or while wider than :data:`SEED_WIDTH` scales of a mode it holds.

    Raises
    ------
    InputError
        If the cells do not converge within :data:`MAX_CELLS` or :data:`MAX_ROUNDS`.
    """
    fx, flog_w, fsub_lo, fsub_hi = _rule(FINE, d)
    cx, clog_w, _, _ = _rule(COARSE, d)
    seed_z, seed_s = seeds(log_l, starts, alpha)
    lo, hi = _box(alpha, seed_z, seed_s)
    done: list[tuple] = []
    done_total = top = None

    def at(z: np.ndarray) -> np.ndarray:
        """``log L`` and its variants at the nodes of cells ``(n, F, d)``: ``(n, F, 1 + V)``."""
        out = log_l(z.reshape(-1, d))
        return out.reshape(*z.shape[:2], out.shape[-1])

    for attempt in range(MAX_ROUNDS + 1):
        n = len(lo)
        if not n:
            break
        if n > MAX_CELLS:
            raise _too_hard(ind_id, f"did not converge within {MAX_CELLS:,} cells at once")
        width = hi - lo
        vol = np.log(np.prod(width, axis=1))[:, None]
        zf = lo[:, None, :] + width[:, None, :] * fx[None, :, :]  # (n, F, d)
        zc = lo[:, None, :] + width[:, None, :] * cx[None, :, :]
        wf, lf = vol + flog_w[None, :], at(zf)
        fine = _cells(zf, wf, lf, alpha)
        coarse = _cells(zc, vol + clog_w[None, :], at(zc), alpha)
        if done_total is None:
            done_total = np.full(len(fine), -np.inf)
        total = np.logaddexp(done_total, logsumexp(fine, axis=1))
        with np.errstate(invalid="ignore"):
            err = np.abs(np.exp(fine - total[:, None]) - np.exp(coarse - total[:, None]))
        err = np.max(np.nan_to_num(err, nan=0.0), axis=0)  # (n,)
        holds = np.all(
            (seed_z[None, :, :] >= lo[:, None, :]) & (seed_z[None, :, :] <= hi[:, None, :]), axis=2
        )  # (n, M)
        wide = width[:, None, :] > SEED_WIDTH * seed_s[None, :, :]  # (n, M, d)
        forced = np.any(holds[:, :, None] & wide, axis=1)  # (n, d)
        cut = forced | (err > TOLERANCE)[:, None]
        cut &= width > 1e-12
        split = cut.any(axis=1)
        if attempt == MAX_ROUNDS and split.any():
            raise _too_hard(ind_id, f"did not converge within {MAX_ROUNDS} halvings")
        keep = ~split
        if keep.any():
            done_total = np.logaddexp(done_total, logsumexp(fine[:, keep], axis=1))
            # each node's integrands (the flattest power of L, the variants), and their tops
            family = wf[keep][..., None] + np.concatenate(
                [min(POWERS) * lf[keep][..., :1], lf[keep][..., 1:]], axis=-1
            )
            family = np.where(np.isnan(family), -np.inf, family).reshape(-1, family.shape[-1])
            top = family.max(axis=0) if top is None else np.maximum(top, family.max(axis=0))
            # a node whose integrands are all NEGLIGIBLE below their tops so far stays so
            near = np.any(family >= top - NEGLIGIBLE, axis=1)
            sub_lo = lo[keep][:, None, :] + width[keep][:, None, :] * fsub_lo[None]
            sub_hi = lo[keep][:, None, :] + width[keep][:, None, :] * fsub_hi[None]
            parts = (zf[keep], wf[keep], lf[keep][..., 0], sub_lo, sub_hi)
            done.append(tuple(p.reshape(-1, *p.shape[2:])[near] for p in parts))
        lo, hi = _halve(lo[split], hi[split], cut[split])
    return Cubature(*(np.concatenate([part[j] for part in done]) for j in range(5)))


def _box(alpha: np.ndarray, seed_z: np.ndarray, seed_s: np.ndarray):
    """The box in ``z`` where the integrands' mass is, ``(1, d)`` corners.

    Beyond it every prior row (its concentration divided by :data:`BOX_WIDENING`) has less
    than :data:`TAIL` of its mass per side and coordinate; it reaches :data:`SEED_REACH`
    scales around every seed.
    """
    alpha = np.asarray(alpha, dtype=float) / BOX_WIDENING
    after = np.cumsum(alpha[:, ::-1], axis=1)[:, ::-1][:, 1:]
    a = alpha[:, :-1]

    def lower(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``logit`` of each Beta's ``TAIL`` quantile (from ``x^a / (a B)`` where it underflows)."""
        x = special.betaincinv(a, b, TAIL)
        log_x = np.where(
            x > 1e-300, np.log(np.maximum(x, 1e-300)), (np.log(TAIL * a) + special.betaln(a, b)) / a
        )
        return log_x - np.log1p(-np.exp(np.minimum(log_x, -1e-16)))

    lo = np.min(lower(a, after), axis=0)
    hi = -np.min(lower(after, a), axis=0)
    finite = np.all(np.isfinite(seed_s), axis=1)
    if finite.any():
        reach = SEED_REACH * np.minimum(seed_s[finite], MAX_SCALE)
        lo = np.minimum(lo, np.min(seed_z[finite] - reach, axis=0))
        hi = np.maximum(hi, np.max(seed_z[finite] + reach, axis=0))
    return lo[None, :], hi[None, :]


def _cells(z: np.ndarray, log_w: np.ndarray, log_ls: np.ndarray, alpha: np.ndarray):
    """Each cell's integrals ``(R, n)``.

    ``prior_k L^t`` for every power and scenario, then each variant under the scenarios'
    priors pooled. Nodes ``(n, F, d)``, log weights ``(n, F)``, ``log L`` and its variants
    ``(n, F, 1 + V)``.
    """
    n, f, d = z.shape
    k = len(alpha)
    out = np.empty((len(POWERS) * k + log_ls.shape[2] - 1, n))
    step = max(1, 4_000_000 // (k * f))
    for a in range(0, n, step):
        b = min(n, a + step)
        prior = log_prior(z[a:b].reshape(-1, d), alpha).reshape(k, b - a, f) + log_w[a:b][None]
        for i, t in enumerate(POWERS):
            power = t * log_ls[a:b, :, 0] if t else 0.0  # (0 * -inf is not 0)
            out[i * k : (i + 1) * k, a:b] = logsumexp(prior + power, axis=2)
        if log_ls.shape[2] > 1:  # every variant at once, each summed over its nodes
            pooled = logsumexp(prior, axis=0) - np.log(k)  # (b - a, f)
            terms = pooled[:, None, :] + np.swapaxes(log_ls[a:b, :, 1:], 1, 2)
            out[len(POWERS) * k :, a:b] = logsumexp(terms, axis=2).T
    return out


def _halve(lo: np.ndarray, hi: np.ndarray, cut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell halved in the coordinates ``cut`` marks: the children's corners."""
    los, his = [], []
    for pattern in np.unique(cut, axis=0):
        rows = np.all(cut == pattern, axis=1)
        dims = np.flatnonzero(pattern)
        for choice in product((0, 1), repeat=len(dims)):
            a, b = lo[rows].copy(), hi[rows].copy()
            mid = (a[:, dims] + b[:, dims]) / 2
            upper = np.array(choice, dtype=bool)
            a[:, dims] = np.where(upper, mid, a[:, dims])
            b[:, dims] = np.where(upper, b[:, dims], mid)
            los.append(a)
            his.append(b)
    if not los:
        return lo, hi
    return np.concatenate(los), np.concatenate(his)
