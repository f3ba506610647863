"""Array-level statistics (numpy only), wrapped by the engines and analyses."""

from __future__ import annotations

import numpy as np
from scipy import special

from .constants import INTERVAL_PROB


def normalise_log(log_weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities from unnormalised log weights along ``axis``, in log space.

    Entries of ``-inf`` get probability exactly 0; the result sums to 1 (within 1e-12) wherever
    at least one entry is finite. Rows with no finite entry come back as NaN.
    """
    log_weights = np.asarray(log_weights, dtype=float)
    top = np.max(log_weights, axis=axis, keepdims=True)
    finite_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        w = np.exp(log_weights - finite_top)
        total = np.sum(w, axis=axis, keepdims=True)
        p = w / total
    p = np.where(np.isfinite(top), p, np.nan)
    # one more pass makes the sum exact to rounding
    with np.errstate(invalid="ignore"):
        return p / np.sum(p, axis=axis, keepdims=True)


def eti(samples: np.ndarray, prob: float = INTERVAL_PROB, axis=(0, 1)) -> np.ndarray:
    """Equal-tailed interval: the ``(1-prob)/2`` and ``(1+prob)/2`` quantiles over ``axis``.

    Returns an array with a trailing dimension of length 2 (lower, upper).
    """
    lo = (1.0 - prob) / 2.0
    q = np.quantile(samples, [lo, 1.0 - lo], axis=axis)
    return np.moveaxis(q, 0, -1)


def entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy (nats) of probability vectors along ``axis``."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=axis)


def dirichlet_logpdf(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Log density of ``Dirichlet(alpha)`` at ``x`` (last axis: the components)."""
    with np.errstate(divide="ignore"):
        return (
            special.gammaln(alpha.sum(-1))
            - special.gammaln(alpha).sum(-1)
            + np.sum(special.xlogy(alpha - 1, x), axis=-1)
        )


#: Terms up to which :func:`logsumexp` adds pairwise: numpy reduces a short axis slowly (on
#: ``(1000, 600, 3)`` over the last: 21 ms pairwise, 46 ms by the maximum's shift).
_PAIRWISE = 8


def logsumexp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log sum exp`` along ``axis``; ``-inf`` where every term is ``-inf``.

    A plain version of SciPy's (a fifth of its time on the small arrays the mixture model
    sums many times over).
    """
    x = np.asarray(x, dtype=float)
    if 1 <= x.shape[axis] <= _PAIRWISE:
        parts = np.moveaxis(x, axis, 0)
        out = np.array(parts[0])
        for part in parts[1:]:
            np.logaddexp(out, part, out=out)
        return out[()] if out.ndim == 0 else out
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(x - top), axis=axis)) + np.squeeze(top, axis=axis)


#: How far below its row's largest term :func:`log_add_rows` lets the row's constant fall
#: before it adds the row by :func:`numpy.logaddexp` (an element could underflow otherwise).
_ROW_SPAN = 600.0


def log_add_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``np.logaddexp(x, y)`` where ``y`` is one number per row (its shape ``(R, 1, ...)``).

    Shifted by each row's largest term and added as exponentials, in place: one ``exp`` and
    one ``log`` per element instead of logaddexp's three functions (a measured value's 16,000
    reports at 906 atoms: 0.24 s -> 0.09 s), the same to rounding. A row whose constant lies
    more than :data:`_ROW_SPAN` nats below its largest term (where an element's two terms could
    both underflow) is added by :func:`numpy.logaddexp`.
    """
    x = np.asarray(x, dtype=float)
    y = np.broadcast_to(np.asarray(y, dtype=float), (x.shape[0],) + (1,) * (x.ndim - 1))
    if not x.size:
        return np.logaddexp(x, y)
    top = np.max(x.reshape(len(x), -1), axis=1).reshape(y.shape)
    shift = np.maximum(top, y)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    out = x - shift
    np.exp(out, out=out)
    out += np.exp(y - shift)
    with np.errstate(divide="ignore"):
        np.log(out, out=out)
    out += shift
    far = np.flatnonzero(
        ~(y.reshape(-1) >= top.reshape(-1) - _ROW_SPAN) & np.isfinite(top.reshape(-1))
    )
    if len(far):
        out[far] = np.logaddexp(x[far], y[far])
    return out


#: Below this, a sum computed by :func:`log_matmul_exp`'s product may have lost digits to
#: underflow; such entries are summed again term by term.
_UNDERFLOW = 1e-250
#: Terms of such sums computed at once (32 MB).
_PIECE_TERMS = 4_000_000


def scaled_exp(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``exp(b - max)`` by row and the maxima ``(J, 1)``: ``b``'s side of :func:`log_matmul_exp`.

    Worth keeping where one ``b`` meets many ``a`` (an indicator's prior densities at its nodes
    meet every variant's likelihood: on the 300-scenario question of ``benchmarks/wide.py`` this
    was 1.4 s of a 5.5 s tipping-point search).
    """
    mb = np.max(b, axis=1, keepdims=True)
    mb = np.where(np.isfinite(mb), mb, 0.0)
    return np.exp(b - mb), mb


def log_matmul_exp(
    a: np.ndarray, b: np.ndarray, b_scaled: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """``log sum_g exp(a[i, g] + b[j, g])``, shape ``(I, J)``, by one matrix product.

    Each row is shifted by its maximum, exponentiated, and the two multiplied (BLAS), instead
    of forming the ``(I, J, G)`` array of sums: the responsiveness of a 300-scenario question
    went from 9.0-13.3 s to 2.9-3.2 s (the bundled question's: 0.22 s either way). All terms
    are positive, so the product is accurate to rounding; where a sum falls below ``1e-250``
    (every term tiny next to its rows' maxima, so digits may be lost to underflow) it is summed
    again term by term with :func:`logsumexp`. Rows that are all ``-inf`` give ``-inf``.
    """
    ma = np.max(a, axis=1, keepdims=True)
    ma = np.where(np.isfinite(ma), ma, 0.0)
    eb, mb = scaled_exp(b) if b_scaled is None else b_scaled
    total = np.exp(a - ma) @ eb.T
    with np.errstate(divide="ignore"):
        out = np.log(total) + ma + mb.T
    low = np.argwhere(total < _UNDERFLOW)
    # a piece at a time (about _PIECE_TERMS terms): the surprise check's 20,001 outcomes of a
    # measured value at 300 scenarios left 4.5 million such sums, 30 GiB at once
    step = max(1, _PIECE_TERMS // max(1, a.shape[1]))
    for start in range(0, len(low), step):
        i, j = low[start : start + step, 0], low[start : start + step, 1]
        out[i, j] = logsumexp(a[i] + b[j], axis=1)
    return out


#: Terms :func:`log_power_sums` holds at once (about 2 MB: a piece stays in the cache).
_POWER_PIECE = 262_144


def log_power_sums(counts: np.ndarray, a: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    """``log sum_g exp(log_w[k, g] + sum_u counts[f, u] * a[u, k, g])``, shape ``(F, K)``.

    ``counts`` ``(F, U)`` are whole numbers (how many reports of each value a simulated future
    holds); ``a`` ``(U, K, G)`` each value's log likelihood at the atoms ``G`` of scenario
    ``k``. Without an exponential per term: with ``b = max_g a`` and ``c = max_g log_w``, each
    term is ``exp(log_w - c) * prod_u exp(a_u - b_u)^n``, the powers built by multiplication
    a few scenarios at a time (about :data:`_POWER_PIECE` terms). Every factor is at most 1
    and the largest 1, so a sum is accurate to rounding unless it falls below ``1e-250``;
    such entries are summed again in logs with :func:`logsumexp`. On 64 sets of reports of 4
    values, 300 scenarios of 2,048 atoms: 2.7 s -> 1.2 s in process (forming and
    exponentiating the ``(F, K, G)`` sums whole).
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.astype(np.intp)
    if np.any(n != counts) or np.any(n < 0):
        raise ValueError("counts must be whole numbers >= 0")
    f, u = n.shape
    _, k, g = a.shape
    b = np.max(a, axis=2) if g else np.zeros((u, k))
    b = np.where(np.isfinite(b), b, 0.0)
    c = np.max(log_w, axis=1) if g else np.zeros(k)
    c = np.where(np.isfinite(c), c, 0.0)
    top = int(n.max()) if n.size else 0
    total = np.empty((f, k))
    step = max(1, _POWER_PIECE // max(1, (top + 1) * u * g, f * g))
    for start in range(0, k, step):
        part = slice(start, min(k, start + step))
        base = np.exp(a[:, part, :] - b[:, part, None])  # (U, w, G)
        powers = np.empty((top + 1, *base.shape))
        powers[0] = 1.0
        for p in range(1, top + 1):
            np.multiply(powers[p - 1], base, out=powers[p])
        terms = powers[n[:, 0], 0] if u else np.ones((f, *base.shape[1:]))
        for v in range(1, u):
            terms *= powers[n[:, v], v]
        weight = np.exp(log_w[part] - c[part, None])  # (w, G)
        # (w, F, G) @ (w, G, 1): each scenario's weighted sums, one batched product
        total[:, part] = np.matmul(terms.transpose(1, 0, 2), weight[:, :, None])[..., 0].T
    with np.errstate(divide="ignore"):
        out = np.log(total) + c[None, :] + counts @ b
    low = np.argwhere(total < _UNDERFLOW)
    for i, j in low:
        held = n[i] > 0  # a value the future does not hold is no factor (not 0 * -inf)
        out[i, j] = logsumexp(log_w[j] + counts[i, held] @ a[held, j, :])
    return out
