"""Opinion pools: one probability vector over the scenarios from several analysts' vectors.

Each analyst ``i`` gives probabilities ``p_i`` over the ``K`` scenarios (a row of ``P``,
``(N, K)``); the weights ``w_i >= 0`` sum to 1 (equal by default). The pools:

- **linear** (the weighted mean of probabilities): ``p_k = sum_i w_i p_ik``.
- **log** (the logarithmic pool, the normalised weighted geometric mean), with an optional
  extremizing factor ``d``: ``p_k ∝ exp(d * sum_i w_i log p_ik)``. With ``d = 1`` this is
  the logarithmic pool of Genest and Zidek (1986); with ``d != 1`` it is the multinomial-logit
  form of Satopää et al.'s extremized logit aggregator (every log-ratio ``log(p_k / p_ref)`` of
  the pool is ``d`` times the weighted mean of the analysts').
- **gmo** (the geometric mean of odds, extremized by ``d``), each scenario read as a yes/no
  event: its odds ``o_ik = p_ik / (1 - p_ik)``, their weighted geometric mean raised to ``d``,
  ``o_k = (prod_i o_ik^w_i)^d``, back to a probability ``q_k = o_k / (1 + o_k)``, and the
  ``q_k`` renormalised to sum to 1. For one event this is the geometric mean of odds that
  Sevilla (2021, "When pooling forecasts, use the geometric mean of odds") recommends and the
  Forecasting Research Institute's ``aggutils`` computes (``geoMeanOfOddsCalc``; its
  ``neymanAggCalc`` is the same on the log-odds scale with a fixed ``d``), and Satopää et al.
  (2014, "Combining multiple probability predictions using a simple logit model", Int. J.
  Forecasting 30:344-356) extremized logit model ``logit p = d * mean_i logit p_i``.
  With two scenarios the ``q_k`` already sum to 1 and ``gmo`` equals ``log`` (for any ``d``);
  with more they need the renormalisation (Allard et al. 2012 show the pools part ways beyond
  two outcomes), and ``gmo`` is not ``log``.

``d = 1`` is no extremizing; ``d > 1`` pushes the pool away from the uniform, ``d < 1``
toward it. ``1 - p_ik`` is computed as the sum of the other scenarios' probabilities (exact
where ``p_ik`` is close to 1), and probabilities are floored at :data:`FLOOR` in the logs, so
that an analyst's 0 is a (very strong) veto under ``log`` and ``gmo`` rather than a NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The pools, by name.
POOLS: tuple[str, ...] = ("linear", "log", "gmo")
#: The pool used where neither the call nor the question says.
DEFAULT_POOL: str = "linear"
#: Largest extremizing factor accepted (``d = 10`` already turns 60% into 98% for two events).
MAX_EXTREMIZE: float = 10.0
#: Smallest probability used in a logarithm.
FLOOR: float = 1e-300


def normalise_weights(weights: Sequence[float] | np.ndarray | None, n: int) -> np.ndarray:
    """Weights ``(n,)`` summing to 1: equal where ``None``; else non-negative, not all 0."""
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be {n} non-negative finite numbers, not all 0")
    return w / w.sum()


def linear_pool(p: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The weighted mean of the rows of ``p`` (``(N, K)``)."""
    p = _rows(p)
    w = normalise_weights(weights, len(p))
    out = w @ p
    return out / out.sum()


def log_pool(
    p: np.ndarray, weights: np.ndarray | None = None, extremize: float = 1.0
) -> np.ndarray:
    """``p_k ∝ exp(d * sum_i w_i log p_ik)``: the normalised weighted geometric mean."""
    p = _rows(p)
    w = normalise_weights(weights, len(p))
    log_g = extremize * (w @ np.log(np.maximum(p, FLOOR)))
    return _softmax(log_g)


def gmo_pool(
    p: np.ndarray, weights: np.ndarray | None = None, extremize: float = 1.0
) -> np.ndarray:
    """The geometric mean of each scenario's odds, extremized by ``d``, renormalised."""
    p = _rows(p)
    w = normalise_weights(weights, len(p))
    rest = p.sum(axis=1, keepdims=True) - p  # 1 - p_ik, exactly where p_ik is near 1
    log_odds = np.log(np.maximum(p, FLOOR)) - np.log(np.maximum(rest, FLOOR))
    z = extremize * (w @ log_odds)
    q = np.exp(-np.logaddexp(0.0, -z))  # expit, without overflow
    return q / q.sum()


def pool(
    p: np.ndarray,
    method: str = DEFAULT_POOL,
    weights: np.ndarray | None = None,
    extremize: float = 1.0,
) -> np.ndarray:
    """The pool ``method`` (one of :data:`POOLS`) of the rows of ``p``."""
    if method == "linear":
        if extremize != 1.0:
            raise ValueError("the linear pool takes no extremizing factor; use 'log' or 'gmo'")
        return linear_pool(p, weights)
    if method == "log":
        return log_pool(p, weights, extremize)
    if method == "gmo":
        return gmo_pool(p, weights, extremize)
    raise ValueError(f"'{method}' is not a pool; use one of {', '.join(POOLS)}")


def _rows(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 2:
        raise ValueError("probabilities must be an (analysts, scenarios) array")
    return p


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum()
