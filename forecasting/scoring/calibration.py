"""Are the probabilities calibrated? The CORP reliability diagram and score decomposition.

After Dimitriadis, Gneiting and Jordan (PNAS 2021): every (question, scenario) pair is a
binary event with a forecast probability ``x`` and an outcome ``y`` (1 if that scenario came
true). The recalibrated probability ``x_hat`` is the isotonic (PAV) regression of ``y`` on
``x`` (SciPy's :func:`scipy.optimize.isotonic_regression`), the "Consistent, Optimally binned,
Reproducible" reliability curve: no bins to choose. Under calibration ``x_hat`` stays near the
diagonal; the consistency band is where it falls in 90% of worlds where the forecasts *are*
calibrated (each question's outcome redrawn from its own probabilities, the scenarios staying
mutually exclusive, and the curve refitted).

The mean Brier score of the pairs decomposes exactly as ``S = MCB - DSC + UNC``:
``MCB = S(x) - S(x_hat)`` (miscalibration: what recalibration would gain), ``DSC = S(r) -
S(x_hat)`` (discrimination: what the forecasts know beyond the base rate ``r``) and ``UNC =
S(r)`` (the difficulty of the questions).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.optimize import isotonic_regression

#: Level of the consistency band.
BAND_LEVEL = 0.9
#: Worlds resampled under calibration for the band.
BAND_RESAMPLES = 1000


def pav(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The isotonic regression of ``y`` on ``x``: ``(unique x ascending, x_hat at each)``.

    Ties in ``x`` form one block (their mean outcome, weighted by their number).
    """
    ux, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    mean_y = np.bincount(inverse, weights=y, minlength=len(ux)) / counts
    return ux, isotonic_regression(mean_y, weights=counts.astype(float)).x


def reliability(
    probabilities: np.ndarray,
    outcomes: np.ndarray,
    *,
    level: float = BAND_LEVEL,
    resamples: int = BAND_RESAMPLES,
    seed: int = 0,
) -> xr.Dataset:
    """The CORP reliability diagram of questions' probabilities, and the Brier decomposition.

    Parameters
    ----------
    probabilities
        ``(questions, scenarios)``; NaN where a question has fewer scenarios than the widest.
        Each row sums to 1 over its scenarios.
    outcomes
        ``(questions,)``: the index of the scenario that came true.
    level, resamples, seed
        The consistency band: ``level`` of the recalibrated curves of ``resamples`` worlds
        where each question's outcome is drawn from its own probabilities.

    Returns
    -------
    xarray.Dataset
        Over ``point`` (the distinct forecast probabilities, ascending): ``forecast``,
        ``recalibrated``, ``band_lower``, ``band_upper`` and ``n`` (pairs at that
        probability); attributes ``mean_score`` (the pairs' mean Brier score),
        ``miscalibration``, ``discrimination``, ``uncertainty``, ``base_rate``,
        ``n_questions``, ``n_pairs`` and ``share_inside_band`` (of the pairs, where the
        recalibrated curve lies inside the band).
    """
    p = np.asarray(probabilities, dtype=float)
    o = np.asarray(outcomes, dtype=int)
    if p.ndim != 2 or len(o) != len(p) or len(p) == 0:
        raise ValueError("probabilities must be (questions, scenarios) and outcomes (questions,)")
    valid = np.isfinite(p)
    y_full = np.zeros_like(p)
    y_full[np.arange(len(o)), o] = 1.0
    x, y = p[valid], y_full[valid]
    ux, x_hat = pav(x, y)
    inverse = np.searchsorted(ux, x)
    r = float(y.mean())
    score = float(np.mean((x - y) ** 2))
    score_hat = float(np.mean((x_hat[inverse] - y) ** 2))
    score_ref = float(np.mean((r - y) ** 2))
    lower, upper = _band(p, valid, ux, level, resamples, seed)
    fitted = x_hat[inverse]
    inside = (fitted >= lower[inverse] - 1e-12) & (fitted <= upper[inverse] + 1e-12)
    return xr.Dataset(
        {
            "forecast": ("point", ux),
            "recalibrated": ("point", x_hat),
            "band_lower": ("point", lower),
            "band_upper": ("point", upper),
            "n": ("point", np.bincount(inverse, minlength=len(ux))),
        },
        attrs={
            "mean_score": score,
            "miscalibration": score - score_hat,
            "discrimination": score_ref - score_hat,
            "uncertainty": score_ref,
            "base_rate": r,
            "n_questions": len(p),
            "n_pairs": int(valid.sum()),
            "share_inside_band": float(inside.mean()),
            "band_level": level,
            "band_resamples": resamples,
        },
    )


def _band(
    p: np.ndarray, valid: np.ndarray, ux: np.ndarray, level: float, resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise ``level`` band of the recalibrated curve in worlds calibrated by construction."""
    rng = np.random.default_rng(seed)
    q = np.where(valid, p, 0.0)
    q = q / q.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(q, axis=1)
    x = p[valid]
    inverse = np.searchsorted(ux, x)
    counts = np.bincount(inverse, minlength=len(ux)).astype(float)
    curves = np.empty((resamples, len(ux)))
    rows = np.arange(len(p))
    for b in range(resamples):
        u = rng.random(len(p))[:, None]
        drawn = np.minimum((u > cumulative).sum(axis=1), p.shape[1] - 1)
        y = np.zeros_like(p)
        y[rows, drawn] = 1.0
        mean_y = np.bincount(inverse, weights=y[valid], minlength=len(ux)) / counts
        curves[b] = isotonic_regression(mean_y, weights=counts).x
    tail = (1 - level) / 2
    return np.quantile(curves, tail, axis=0), np.quantile(curves, 1 - tail, axis=0)
