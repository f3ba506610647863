"""Monte Carlo ranges with a stated error: draw until every bound is precise enough.

Both simulated measures (the responsiveness's futures, the opinion range's redrawn judgements)
report the 5%-95% range of independent draws and the Monte Carlo standard error of each bound,
and add draws until that error is at most a target (or a cap is reached).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.constants import CONFIDENCE_RANGE


def sample_until(
    draw: Callable[[int], np.ndarray], first: int, most: int, target: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws ``(n, K)`` from ``draw(m)``, their 5%-95% bounds ``(K, 2)`` and errors ``(K, 2)``.

    Starts with ``first`` draws and adds more until every bound's error is at most ``target``,
    ``most`` draws are in, or a batch brings none (``draw`` may return fewer than asked).
    """
    batches = [draw(first)]
    while True:
        samples = np.concatenate(batches)
        bounds, mcse = quantiles_with_mcse(samples, CONFIDENCE_RANGE)
        n = len(samples)
        if np.max(mcse) <= target or n >= most or not len(batches[-1]):
            return samples, bounds, mcse
        batches.append(draw(_more(n, float(np.max(mcse)), target, most)))


def _more(n: int, mcse: float, target: float, most: int) -> int:
    """Draws to add next.

    The error falls as ``1/sqrt(n)``: aim at 1.2x the count that meets ``target``, adding at
    least a quarter of ``n`` and at most three times ``n`` (the error of a few hundred draws is
    itself rough), and never past ``most``.
    """
    wanted = int(np.ceil(1.2 * n * (mcse / target) ** 2)) - n
    return int(np.clip(wanted, max(1, n // 4), max(1, min(3 * n, most - n))))


def quantiles_with_mcse(samples: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``(1 - prob)/2`` and ``(1 + prob)/2`` quantiles per column, and their MC errors.

    ``samples`` are independent draws ``(n, K)``. The standard error of a quantile is half the
    distance between the order statistics one binomial standard deviation either side of it.
    Returns ``(K, 2)`` and ``(K, 2)``.
    """
    n = len(samples)
    ordered = np.sort(samples, axis=0)
    lo = (1.0 - prob) / 2.0
    bounds, errors = [], []
    for q in (lo, 1.0 - lo):
        bounds.append(np.quantile(samples, q, axis=0))
        sd = np.sqrt(n * q * (1 - q))
        a = int(np.clip(np.floor(n * q - sd), 0, n - 1))
        b = int(np.clip(np.ceil(n * q + sd), 0, n - 1))
        errors.append((ordered[b] - ordered[a]) / 2.0)
    return np.stack(bounds, axis=1), np.stack(errors, axis=1)
