"""Scores of a resolved question's archived forecasts: Brier, log, skill, time-averaged.

For every archived forecast made before the outcome became known (the latest revision of each
as-of date):

* the multi-category Brier score ``sum_k (p_k - o_k)^2`` (0 perfect, 2 certain and wrong;
  uniform over K scenarios scores ``1 - 1/K``), via :func:`scores.probability.brier_score`;
* the log score ``-ln p_outcome`` in nats (0 perfect; infinite when the outcome was given
  probability 0);
* the same two scores of the question's prior and of the uniform forecast, and the skill
  ``1 - S / S_reference`` against each (positive: better than the reference).

The question's score over its open life weights each forecast by how long it stood: from its
as-of date to the next forecast's, the last one until the resolution date (as Metaculus's
baseline scores weight predictions by the time they stood).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import xarray as xr

from ..core.dims import AS_OF, SCENARIO


def brier(probabilities: np.ndarray, outcome: int) -> np.ndarray:
    """Multi-category Brier score of each row of ``probabilities`` ``(n, K)``."""
    from scores.probability import brier_score

    p = np.atleast_2d(probabilities)
    o = np.zeros_like(p)
    o[:, outcome] = 1.0
    fcst = xr.DataArray(p, dims=("forecast", SCENARIO))
    obs = xr.DataArray(o, dims=("forecast", SCENARIO))
    # the mean over scenarios of the binary Brier scores, times their number: the sum
    return brier_score(fcst, obs, preserve_dims=["forecast"]).values * p.shape[1]


def log_score(probabilities: np.ndarray, outcome: int) -> np.ndarray:
    """``-ln p_outcome`` of each row of ``probabilities`` ``(n, K)``, in nats."""
    p = np.atleast_2d(probabilities)[:, outcome]
    with np.errstate(divide="ignore"):
        return -np.log(p)


def stood_days(as_of: list[dt.date], resolved: dt.date) -> np.ndarray:
    """How many days each forecast stood: until the next one, the last until ``resolved``."""
    ends = [*as_of[1:], resolved]
    return np.array([(b - a).days for a, b in zip(as_of, ends, strict=True)], dtype=float)


def score_question(history: xr.Dataset, outcome: str, resolved: dt.date) -> xr.Dataset:
    """Scores of every forecast in ``history`` made before ``resolved``, and over its life.

    ``history`` is :meth:`Archive.history <forecasting.pipeline.archive.Archive.history>`'s
    Dataset. A scenario a forecast did not have counts as probability 0. Returns a Dataset
    over ``as_of``: ``probability`` (with ``scenario``), ``brier``, ``log``, ``brier_prior``,
    ``log_prior``, ``stood_days``; attributes ``brier``, ``log``, their prior and uniform
    references and ``brier_skill_prior`` ... (time-averaged), ``outcome``, ``resolved``,
    ``n_forecasts``.
    """
    dates = [d.astype("datetime64[D]").astype(dt.date) for d in history[AS_OF].values]
    keep = [n for n, d in enumerate(dates) if d < resolved]
    scenarios = [str(s) for s in history[SCENARIO].values]
    k = scenarios.index(outcome)
    p = np.nan_to_num(history["probability"].values[keep], nan=0.0)
    prior = np.nan_to_num(history["prior"].values[keep], nan=0.0)
    uniform = np.full_like(p, 1.0 / len(scenarios))
    kept = [dates[n] for n in keep]
    days = stood_days(kept, resolved)
    weights = days / days.sum() if len(days) and days.sum() > 0 else days
    out = xr.Dataset(
        {
            "probability": ((AS_OF, SCENARIO), p),
            "brier": ((AS_OF,), brier(p, k) if len(p) else np.zeros(0)),
            "log": ((AS_OF,), log_score(p, k) if len(p) else np.zeros(0)),
            "brier_prior": ((AS_OF,), brier(prior, k) if len(p) else np.zeros(0)),
            "log_prior": ((AS_OF,), log_score(prior, k) if len(p) else np.zeros(0)),
            "stood_days": ((AS_OF,), days),
        },
        coords={AS_OF: history[AS_OF].values[keep], SCENARIO: scenarios},
        attrs={"outcome": outcome, "resolved": resolved.isoformat(), "n_forecasts": len(keep)},
    )
    if not keep:
        return out
    for name, values in (
        ("brier", out["brier"].values),
        ("log", out["log"].values),
        ("brier_prior", out["brier_prior"].values),
        ("log_prior", out["log_prior"].values),
        ("brier_uniform", brier(uniform, k)),
        ("log_uniform", log_score(uniform, k)),
    ):
        with np.errstate(invalid="ignore"):
            out.attrs[name] = float(np.sum(weights * values))
    for rule in ("brier", "log"):
        for ref in ("prior", "uniform"):
            out.attrs[f"{rule}_skill_{ref}"] = skill(out.attrs[rule], out.attrs[f"{rule}_{ref}"])
    out["time_weight"] = ((AS_OF,), weights)
    out["time_averaged"] = ((SCENARIO,), weights @ p)
    return out


def skill(score: float, reference: float) -> float:
    """``1 - score / reference`` (NaN where the reference is 0 or either is infinite)."""
    if reference == 0 or not np.isfinite(reference) or not np.isfinite(score):
        return float("nan")
    return 1.0 - score / reference
