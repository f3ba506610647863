"""Counts of events over a window: ``y ~ Poisson(rate_k * exposure)``, ``rate_k ~ Gamma``.

The rate counts events per ``per_days`` days; an item's exposure is its window's length in
those units (or given directly). Tempered statistics: ``sum w y`` and ``sum w t``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field
from scipy import special

from ..core.schema import PositiveFloat, is_number, short_value
from .base import (
    QUANTILES,
    IndicatorData,
    IndicatorSpec,
    ItemValue,
    Kind,
    LikelihoodJudgement,
    Report,
    tail_from_table,
    temper,
)
from .priors import GammaPrior


class CountIndicator(IndicatorSpec):
    """Counts of events: ``y ~ Poisson(rate_k * exposure)``, ``rate_k ~ Gamma``."""

    kind: Literal["count"]
    per_days: PositiveFloat = 1.0
    rate: dict[str, GammaPrior]
    noise: GammaPrior | None = None
    #: With dynamics: each scenario's rate is multiplied by ``exp(beta * t)``, ``t`` in
    #: periods from the resolution date (negative before it): the stated rate is the rate at
    #: resolution (:mod:`forecasting.model.dynamics`). Scenarios not given: 0.
    trend: dict[str, Annotated[float, Field(ge=-5, le=5, allow_inf_nan=False)]] | None = None

    def named_params(self, scenarios: list[str]) -> np.ndarray:
        """Gamma ``(shape, rate)`` per scenario, shape ``(K, 2)``."""
        return np.array([self.rate[s].params for s in scenarios], dtype=float)

    def diffuse(self, rows: np.ndarray) -> np.ndarray:
        """The catch-all's parameters (see :meth:`IndicatorSpec.diffuse`)."""
        # Gamma(0.5, .): mean the named scenarios' average, coefficient of variation 1.4
        mean = float(np.mean(rows[:, 0] / rows[:, 1]))
        return np.array([0.5, 0.5 / mean])


def _iso_date(value: Any) -> Any:
    """``"2025-10-27"`` as a date; anything else unchanged."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


class Count(Kind):
    """Poisson counts with exposure; Gamma(shape, rate) rate per unit exposure."""

    name: ClassVar[str] = "count"
    spec: ClassVar[type[IndicatorSpec]] = CountIndicator
    likelihood_field: ClassVar[str] = "rate"
    parameter: ClassVar[str] = "rate"
    model: ClassVar[str] = "y ~ Poisson(rate_k * exposure); rate_k ~ Gamma"
    ordered: ClassVar[bool] = True
    item_keys: ClassVar[tuple[str, ...]] = ("window", "exposure")

    # --- the question file -------------------------------------------------------------------
    def check_question(self, name, raw, scenarios, bad, lines):
        if raw.get("arrivals_per_30_days") is not None:
            bad(
                ("indicators", name, "arrivals_per_30_days"),
                "a count indicator's next horizon is one window of counts, not a number of "
                "reports: remove 'arrivals_per_30_days' (it is for binary, categorical and "
                "continuous indicators)",
            )

    def describe(self, spec: CountIndicator, scenarios: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"per_days": spec.per_days, "likelihoods": {}}
        for s in scenarios:
            g = spec.rate[s]
            shape, rate = g.params
            out["likelihoods"][s] = {
                "form": g.form,
                "distribution": "Gamma",
                "shape": shape,
                "rate": rate,
                "mean": shape / rate,
                "sd": shape**0.5 / rate,
            }
        return out

    def describe_suffix(self, entry: Mapping[str, Any]) -> str:
        return f", per {entry['per_days']:g} days"

    def describe_text(self, entry: Mapping[str, Any]) -> str:
        return (
            f"Gamma(shape={entry['shape']:.3g}, rate={entry['rate']:.3g})  "
            f"mean {entry['mean']:.3g}, sd {entry['sd']:.3g}  [{entry['form']}]"
        )

    def likelihood_text(self, spec: IndicatorSpec, row: np.ndarray) -> str:
        a, b = row
        return f"Gamma(mean {a / b:.3g}, sd {math.sqrt(a) / b:.3g})"

    def entry(self, spec, row):
        return {"shape": float(row[0]), "rate": float(row[1])}

    # --- ledger items --------------------------------------------------------------------------
    def parse_item(
        self, row: Mapping[str, Any], spec: CountIndicator, bad: Report, written: str | None
    ) -> ItemValue | None:
        value = _check_count(row.get("value"), bad)
        exposure, window = _check_exposure(row, spec, bad)
        if value is None or exposure is None:
            return None
        return ItemValue(value, exposure, window)

    def value_from_text(self, text: str) -> Any:
        return _number_from_text(text)

    def item_text(self, spec: CountIndicator, value: Any, exposure: float | None, window) -> str:
        text = str(value)
        if window is not None:
            days = f"{(window[1] - window[0]).days}"
        elif exposure is not None:
            days = f"{exposure * spec.per_days:.3g}"
        else:
            return text
        return f"{text} over {days} day" + ("" if days == "1" else "s")  # never "1 days"

    # --- tempered statistics -----------------------------------------------------------------
    def stats(self, ind: IndicatorData) -> np.ndarray:
        return np.array(
            [np.dot(ind.weights, ind.values), np.dot(ind.weights, ind.exposures)], dtype=float
        )

    def item_stats(self, ind: IndicatorData) -> np.ndarray:
        w = ind.weights
        return np.stack([w * ind.values, w * ind.exposures], axis=-1)

    def outcome_stats(self, ind, outcomes, weight, exposure):
        outcomes = np.asarray(outcomes, dtype=float)
        return np.stack([weight * outcomes, np.full_like(outcomes, weight * exposure)], axis=-1)

    def constant(self, ind: IndicatorData) -> float:
        y = np.asarray(ind.values, dtype=float)
        return float(
            np.sum(ind.weights * (special.xlogy(y, ind.exposures) - special.gammaln(y + 1)))
        )

    # --- closed form -------------------------------------------------------------------------
    def log_marginal(self, prior, stats):
        a, b = prior[:, 0], prior[:, 1]
        s1, s2 = stats[..., 0, None], stats[..., 1, None]
        return (
            a * np.log(b) - special.gammaln(a) + special.gammaln(a + s1) - (a + s1) * np.log(b + s2)
        )

    def posterior(self, prior, stats):
        return np.stack([prior[:, 0] + stats[0], prior[:, 1] + stats[1]], axis=-1)

    # --- draws and densities -----------------------------------------------------------------
    def draw(self, params, rng, n):
        return rng.gamma(params[:, 0], 1.0 / params[:, 1], size=(n, params.shape[0]))

    def simulate(self, ind, theta, exposure, rng):
        return rng.poisson(np.asarray(theta, dtype=float) * exposure).astype(float)

    def horizon_exposure(self, spec, days):
        return days / spec.per_days

    def kernel(self, theta, stats):
        return special.xlogy(stats[0], theta) - stats[1] * theta

    def item_loglik(self, theta, ind):
        lam = theta[..., :, None] * ind.exposures  # (..., K, n)
        y = np.asarray(ind.values, dtype=float)
        return temper(ind.weights, special.xlogy(y, lam) - lam - special.gammaln(y + 1))

    def prior_mean(self, prior):
        return prior[:, 0] / prior[:, 1]

    def log_prior_density(self, theta, prior):
        a, b = prior[:, 0], prior[:, 1]
        return np.sum(
            a * np.log(b) - special.gammaln(a) + special.xlogy(a - 1, theta) - b * theta, axis=-1
        )

    # --- PyMC --------------------------------------------------------------------------------
    def pymc_prior(self, ind, dims):
        import pymc as pm

        from ..core.dims import SCENARIO

        return pm.Gamma(
            ind.id,
            alpha=pm.Data(f"{ind.id}__shape", ind.prior[:, 0], dims=SCENARIO),
            beta=pm.Data(f"{ind.id}__rate", ind.prior[:, 1], dims=SCENARIO),
            dims=dims,
        )

    def pt_kernel(self, theta, stats):
        import pytensor.tensor as pt

        return stats[0] * pt.log(theta) - stats[1] * theta

    def pt_report_loglik(self, ind, theta, values, exposures):
        import pytensor.tensor as pt

        lam = theta[:, None] * exposures[None, :]
        return values[None, :] * pt.log(lam) - lam - special.gammaln(values + 1)[None, :]

    # --- truth-mixture integrals: u = log rate ------------------------------------------------
    def theta_from_u(self, u):
        return np.exp(u)

    def u_from_theta(self, theta):
        with np.errstate(divide="ignore"):
            return np.log(theta)

    def u_location(self, params):
        a, b = params[:, 0], params[:, 1]
        return special.digamma(a) - np.log(b), np.sqrt(special.polygamma(1, a))

    def log_prior_u(self, u, params):
        # a u - b e^u as one matrix product (as the binary kind's, see there)
        features = np.stack([u, -np.exp(u)], axis=-2)
        a, b = params[:, 0], params[:, 1]
        out = np.matmul(params[:, :2], features)
        out += (a * np.log(b) - special.gammaln(a))[:, None]  # in place: one (S, Q) array
        return out

    u_bounds: ClassVar[tuple[float, float]] = (-60.0, 40.0)

    def log_prior_tails(self, params, lo, hi):
        a, b = params[:, 0], params[:, 1]
        with np.errstate(divide="ignore"):
            return np.stack(
                [
                    np.log(special.gammainc(a, b * np.exp(lo))),
                    np.log(special.gammaincc(a, b * np.exp(hi))),
                ],
                axis=-1,
            )

    # --- the next observation ----------------------------------------------------------------
    def outcomes(
        self,
        ind: IndicatorData,
        probability: np.ndarray,
        exposure: float,
        predictive: Callable[[np.ndarray], np.ndarray],
        tail: float = 1e-9,
        max_count: int = 10_000,
    ) -> tuple[np.ndarray, np.ndarray]:
        outcomes = np.arange(0, 64, dtype=float)
        while True:
            pred = predictive(outcomes)
            if pred.sum() >= 1 - tail or len(outcomes) >= max_count:
                break
            outcomes = np.arange(0, min(2 * len(outcomes), max_count), dtype=float)
        return outcomes, pred / pred.sum()

    def outcome_log_constant(self, ind, outcomes, exposure):
        return special.xlogy(outcomes, exposure) - special.gammaln(outcomes + 1)

    def alternatives(self, ind, value, max_count):
        alts = np.arange(0, max(max_count, int(value) + 1) + 1, dtype=float)
        return alts[alts != value]

    def tail(self, ind, value, exposure, weights):
        post = self.posterior(ind.prior, ind.stats)
        t = float(exposure or 1.0)
        a, b = post[:, 0], post[:, 1]
        hi = int(max(10 * (value + 1), np.max(a / b * t + 20 * np.sqrt(a) / b * t + 20)))
        y = np.arange(0, min(hi, 200_000) + 1)
        # negative binomial: Gamma(a, b)-Poisson(t) predictive
        logp = (
            special.gammaln(a[None, :] + y[:, None])
            - special.gammaln(a)[None, :]
            - special.gammaln(y + 1)[:, None]
            + a[None, :] * np.log(b / (b + t))[None, :]
            + y[:, None] * np.log(t / (b + t))[None, :]
        )
        return tail_from_table(logp, int(value), weights)

    def tail_support(self, ind, value, exposure):
        post = self.posterior(ind.prior, ind.stats)
        a, b = post[:, 0], post[:, 1]
        t = float(exposure or 1.0)
        mean = float(np.max(np.concatenate([a / b, ind.prior[:, 0] / ind.prior[:, 1]])))
        hi = int(max(10 * (value + 1), mean * t + 20 * math.sqrt(mean * t + 1) + 20))
        y = np.arange(0, min(hi, 200_000) + 1, dtype=float)
        return y, int(value), np.zeros(len(y))

    def outcome_text(self, ind, value):
        return str(int(value))

    def observation_phrase(self, name, spec, values, all_values):
        per = spec.get("per_days", 1)
        counts = sorted(int(v) for v in values)
        top = max(int(v) for v in all_values)
        # "a count of at most 1 for joint operations", never "at most 1 joint operations":
        # the name is the indicator's (a plural noun phrase or not), so no number precedes it
        days = f"{per:g} day" + ("" if per == 1 else "s")
        return f"a count of {count_range(counts, top)} for {name} in the next {days}"

    # --- examples ------------------------------------------------------------------------------
    def example(self, scenarios):
        rates = [(3.0, 1.0), (1.5, 0.8), (0.6, 0.5), (0.3, 0.3)]
        return {
            "kind": "count",
            "description": "Joint operations",
            "per_days": 30,
            "rate": {
                s: {"mean": rates[k % 4][0] * (1 + k // 4), "sd": rates[k % 4][1]}
                for k, s in enumerate(scenarios)
            },
        }

    def example_values(self):
        return [0, 1, 2, 5]

    def example_item(self):
        return {"exposure": 1.5}

    # --- judgements ----------------------------------------------------------------------------
    def judgements(self, ind, k, scenario):
        a, b = ind.prior[k]
        per = ind.spec.per_days
        unit = f"mean rate per {per:g} day{'s' if per != 1 else ''}"
        lo, hi = special.gammaincinv(a, np.array(QUANTILES)) / b
        mean, sd = a / b, np.sqrt(a) / b
        return [
            LikelihoodJudgement(
                category="",
                quantity="rate",
                unit=unit,
                unit_short=f"/{per:g}d",
                base=mean,
                low=lo,
                high=hi,
                lower_limit=mean * 1e-3,
                upper_limit=mean + 20 * sd,
                scale="log",
                label=f"{ind.id} | {scenario}",
            )
        ]

    def move_centre(self, ind, k, judgement, values):
        a, b = ind.prior[k]
        sd = np.sqrt(a) / b
        return np.stack([(values / sd) ** 2, values / sd**2], axis=-1)


def _number_from_text(text: str) -> Any:
    """``"5"`` -> 5, ``"2.5"`` -> 2.5; anything else stays text (and is reported as such)."""
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return text


def count_range(values: list[int], top: int) -> str:
    """Counts in words, run by run of consecutive counts.

    ``[0, 1]`` -> "at most 1"; ``[7, ..., top]`` -> "at least 7" (``top``: the largest count
    weighed, beyond which the chance is negligible); ``[0, 46, ..., 63]`` -> "0 or at least
    46"; a run of three or more -> "3 to 5".
    """
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    parts: list[str] = []
    for run in runs:
        if len(run) > 1 and run[0] == 0:
            parts.append(f"at most {run[-1]}")
        elif len(run) > 1 and run[-1] == top:
            parts.append(f"at least {run[0]}")
        elif len(run) > 2:
            parts.append(f"{run[0]} to {run[-1]}")
        else:
            parts += [str(v) for v in run]
    return ", ".join(parts[:-1]) + f" or {parts[-1]}" if len(parts) > 1 else parts[0]


def _check_count(value: Any, bad: Report) -> int | None:
    if not is_number(value):
        bad(("value",), f"a count must be a whole number >= 0, got {short_value(value)}")
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        bad(("value",), f"a count must be a whole number >= 0, got {value!r} (fractional)")
        return None
    if value < 0:
        bad(("value",), f"a count must be a whole number >= 0, got {value!r} (negative)")
        return None
    return int(value)


def _check_exposure(
    row: Mapping[str, Any], indicator: CountIndicator, bad: Report
) -> tuple[float | None, tuple[dt.date, dt.date] | None]:
    """Exposure (in units of ``per_days``) and window of a count item, or report why not."""
    has_window, has_exposure = "window" in row, "exposure" in row
    if has_window and has_exposure:
        bad(("window",), "give either 'window' or 'exposure', not both")
        return None, None
    if not has_window and not has_exposure:
        bad(
            (),
            "a count item needs 'window: [start, end]' or 'exposure' (in units of "
            f"per_days = {indicator.per_days:g} days)",
        )
        return None, None
    if has_exposure:
        exposure = row["exposure"]
        if is_number(exposure) and math.isfinite(exposure) and exposure > 0:
            return float(exposure), None
        bad(
            ("exposure",),
            f"must be a number > 0 (in units of per_days = {indicator.per_days:g} days), "
            f"got {short_value(exposure)}",
        )
        return None, None
    window = row["window"]
    if isinstance(window, list | tuple):  # a quoted '2025-07-27' is text to YAML: read it too
        window = [_iso_date(d) for d in window]
    if not (
        isinstance(window, list | tuple)
        and len(window) == 2
        and all(isinstance(d, dt.date) for d in window)
    ):
        bad(
            ("window",),
            "must be [start date, end date], e.g. [2025-07-27, 2025-10-27]; got "
            f"{short_value(window)}",
        )
        return None, None
    for k, d in enumerate(window):
        if isinstance(d, dt.datetime) and d.time() != dt.time():
            bad(("window", k), f"'{d}' has a time of day; give the date only, as YYYY-MM-DD")
            return None, None
    start, end = (d.date() if isinstance(d, dt.datetime) else d for d in window)
    days = (end - start).days
    if days < 0:
        bad(("window",), f"window ends ({end}) before it starts ({start}); swap the dates")
        return None, None
    if days == 0:
        bad(
            ("window",),
            f"window [{start}, {end}] has zero length; the end is exclusive, so a "
            "one-day window is [day, next day]",
        )
        return None, None
    return days / indicator.per_days, (start, end)


KIND = Count()
