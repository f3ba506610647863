"""Measured quantities: ``y ~ Normal(mu_k, sd)``, ``mu_k ~ Normal(m_k, s_k)``.

An exchange rate, daily oil output, a price: each scenario has its own mean level ``mu_k``,
elicited as ``{mean, sd}`` or ``{lower, upper, mass}`` (the maximum-entropy Normal with that
mass, centred on the interval). ``sd`` is stated once per indicator: how far one observation
scatters around the scenario's level (measurement error plus ordinary variation). With it
known the model is conjugate (Normal-Normal), so the exact engine stays closed form.

Tempered statistics, precision-weighted so that no other quantity is needed:
``a = sum w / sd**2`` and ``b = sum w y / sd**2``. Given them, the tempered log-likelihood
is ``b mu - a mu**2 / 2`` plus a constant, and with ``mu ~ Normal(m, s)``::

    log m(a, b) = -log(1 + a s**2) / 2 + (b**2 s**2 + 2 b m - a m**2) / (2 (1 + a s**2))
    posterior:   mu | E ~ Normal((m + b s**2) / (1 + a s**2), s / sqrt(1 + a s**2))

The next observation has a continuous predictive distribution; for the value of information
and the next-observation table it is represented by :data:`OUTCOMES` points at the midpoints
of equal-probability bins of the predictive mixture (the value of information is then
slightly underestimated: by at most 6.7e-4 nats, about 2% of it, on the random questions of
the tests, which check it against quadrature).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import special

from ..core.schema import (
    MAX_MAGNITUDE,
    MIN_SD,
    MIN_SD_SHARE,
    PositiveFloat,
    is_number,
    short_value,
)
from .base import (
    QUANTILES,
    IndicatorSpec,
    ItemValue,
    Kind,
    LikelihoodJudgement,
    Report,
    temper,
)
from .priors import NormalPrior

#: Points that stand for the continuous predictive distribution of one more observation.
OUTCOMES = 40
#: Grid points of the numerical tail probability under the predictive mixture: at most
#: ``TAIL_GRID``, at least ``TAIL_MIN``, otherwise :data:`TAIL_PER_SD` per measurement sd.
TAIL_GRID = 20_001
TAIL_MIN = 1_001
#: Every predictive of one more measurement is a mixture of Normals at least ``sd`` wide (the
#: measurement's own; the noise's and the parameter's uncertainty only widen it), so a grid of
#: ``sd / 64`` resolves each; the level set's ends are placed inside their cells by linear
#: interpolation (:meth:`Continuous.tails`). Against closed forms (tests/model/
#: test_narrow_measurements.py) the tails are within 9.4e-5 (near a predictive's peak; 3e-7 at
#: a tail of 1%) where the 20,001-point grid summed point by point was within 3.5e-4, on a
#: tenth of the points for the wide benchmark's range of 32 sd: the 300-scenario question's
#: ``report_tail`` of its continuous items 13.7 s -> 1.6 s (in process).
TAIL_PER_SD = 64
_LOG_2PI = math.log(2 * math.pi)


class ContinuousIndicator(IndicatorSpec):
    """A measured quantity: ``y ~ Normal(mu_k, sd)``, ``mu_k ~ Normal``."""

    kind: Literal["continuous"]
    unit: str | None = None
    sd: PositiveFloat
    mean: dict[str, NormalPrior]
    noise: NormalPrior | None = None

    def named_params(self, scenarios: list[str]) -> np.ndarray:
        """Normal ``(mean, sd)`` of each scenario's level, shape ``(K, 2)``."""
        return np.array([self.mean[s].params for s in scenarios], dtype=float)

    def diffuse(self, rows: np.ndarray) -> np.ndarray:
        """The catch-all's parameters (see :meth:`IndicatorSpec.diffuse`)."""
        # centred on the named levels, three times as wide as they and their spreads reach
        centre = float(np.mean(rows[:, 0]))
        reach = max(float(np.ptp(rows[:, 0])), float(np.max(rows[:, 1])), float(self.sd))
        return np.array([centre, 3.0 * reach])


class Continuous(Kind):
    """Normal observations with known spread; Normal(m, s) level per scenario."""

    name: ClassVar[str] = "continuous"
    spec: ClassVar[type[IndicatorSpec]] = ContinuousIndicator
    likelihood_field: ClassVar[str] = "mean"
    parameter: ClassVar[str] = "mean"
    model: ClassVar[str] = "y ~ Normal(mu_k, sd); mu_k ~ Normal"
    ordered: ClassVar[bool] = True

    # --- the question file -------------------------------------------------------------------
    def check_question(self, name, raw, scenarios, bad, lines):
        """Every sd of the indicator is at least :data:`MIN_SD_SHARE` of its scale.

        The scale is the largest ``|mean|`` or sd among its levels and noise, and its ``sd``
        (:data:`~forecasting.core.schema.MIN_SD_SHARE` says why); :data:`MIN_SD` at least.
        """
        entries = raw.get(self.likelihood_field)
        stated = [(("mean", s), e) for s, e in entries.items()] if isinstance(entries, dict) else []
        if raw.get("noise") is not None:
            stated.append((("noise",), raw["noise"]))
        levels = [(where, p) for where, e in stated if (p := _normal_params(e)) is not None]
        sd = raw.get("sd")
        sd = float(sd) if is_number(sd) and 0 < sd <= MAX_MAGNITUDE else None
        scale = max([max(abs(m), s) for _, (m, s) in levels] + [sd or 0.0])
        least = max(MIN_SD, MIN_SD_SHARE * scale)
        found = [(("sd",), sd, "sd")] if sd is not None else []
        for where, (_, s) in levels:
            found.append((where, s, "the noise's sd" if where == ("noise",) else "the level's sd"))
        for where, value, what in found:
            if value < least:
                bad(("indicators", name, *where), _too_fine(what, value, least, scale))

    def describe(self, spec: ContinuousIndicator, scenarios: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"sd": spec.sd, "unit": spec.unit, "likelihoods": {}}
        for s in scenarios:
            prior = spec.mean[s]
            m, sd = prior.params
            out["likelihoods"][s] = {
                "form": prior.form,
                "distribution": "Normal",
                "mean": m,
                "sd": sd,
            }
        return out

    def describe_suffix(self, entry: Mapping[str, Any]) -> str:
        unit = f" {entry['unit']}" if entry.get("unit") else ""
        return f", observations scatter with sd {entry['sd']:g}{unit}"

    def describe_text(self, entry: Mapping[str, Any]) -> str:
        return (
            f"Normal(mean={entry['mean']:.3g}, sd={entry['sd']:.3g}) for the level  "
            f"[{entry['form']}]"
        )

    def likelihood_text(self, spec: IndicatorSpec, row: np.ndarray) -> str:
        return f"Normal(mean {row[0]:.3g}, sd {row[1]:.3g})"

    def redefined(self, old, new):
        return old.kind != new.kind or old.sd != new.sd

    def entry(self, spec, row):
        return {"mean": float(row[0]), "sd": float(row[1])}

    # --- ledger items --------------------------------------------------------------------------
    def parse_item(self, row, spec, bad: Report, written):
        value = row.get("value")
        if not is_number(value) or not math.isfinite(value):
            bad(
                ("value",),
                f"a continuous indicator's value must be a finite number, got {short_value(value)}",
            )
            return None
        return ItemValue(value)

    def value_from_text(self, text: str) -> Any:
        try:
            return float(text)
        except ValueError:
            return text

    def value_text(self, value: Any) -> str:
        return f"{value:g}"

    # --- tempered statistics -----------------------------------------------------------------
    def stats(self, ind):
        precision = 1.0 / (ind.spec.sd * ind.spec.sd)
        return np.array(
            [np.sum(ind.weights) * precision, np.dot(ind.weights, ind.values) * precision],
            dtype=float,
        )

    def item_stats(self, ind):
        precision = 1.0 / (ind.spec.sd * ind.spec.sd)
        w = ind.weights
        return np.stack([w * precision, w * ind.values * precision], axis=-1)

    def outcome_stats(self, ind, outcomes, weight, exposure):
        precision = 1.0 / (ind.spec.sd * ind.spec.sd)
        outcomes = np.asarray(outcomes, dtype=float)
        return np.stack(
            [np.full_like(outcomes, weight * precision), weight * outcomes * precision], axis=-1
        )

    def constant(self, ind):
        sd = ind.spec.sd
        y = np.asarray(ind.values, dtype=float)
        return float(np.sum(ind.weights * self._log_density_constant(y, sd)))

    def clip_stats(self, stats):
        # the precision-weighted sum of values may be negative; only the weight sum is >= 0
        out = np.array(stats, dtype=float, copy=True)
        out[..., 0] = np.maximum(out[..., 0], 0.0)
        return out

    @staticmethod
    def _log_density_constant(y: np.ndarray, sd: float) -> np.ndarray:
        return -0.5 * (_LOG_2PI + 2.0 * math.log(sd)) - 0.5 * (y / sd) ** 2

    # --- closed form -------------------------------------------------------------------------
    def log_marginal(self, prior, stats):
        m, s = prior[:, 0], prior[:, 1]
        a, b = stats[..., 0, None], stats[..., 1, None]
        s2 = s * s
        return -0.5 * np.log1p(a * s2) + 0.5 * (b * b * s2 + 2 * b * m - a * m * m) / (1 + a * s2)

    def posterior(self, prior, stats):
        m, s = prior[:, 0], prior[:, 1]
        a, b = stats[0], stats[1]
        s2 = s * s
        return np.stack([(m + b * s2) / (1 + a * s2), s / np.sqrt(1 + a * s2)], axis=-1)

    # --- draws and densities -----------------------------------------------------------------
    def draw(self, params, rng, n):
        return rng.normal(params[:, 0], params[:, 1], size=(n, params.shape[0]))

    def simulate(self, ind, theta, exposure, rng):
        return rng.normal(np.asarray(theta, dtype=float), ind.spec.sd)

    def kernel(self, theta, stats):
        return stats[1] * theta - 0.5 * stats[0] * theta * theta

    def item_loglik(self, theta, ind):
        sd = ind.spec.sd
        mu = theta[..., :, None]
        y = np.asarray(ind.values, dtype=float)
        z = (y - mu) / sd
        return temper(ind.weights, -0.5 * (_LOG_2PI + 2.0 * math.log(sd)) - 0.5 * z * z)

    def prior_mean(self, prior):
        return prior[:, 0]

    def log_prior_density(self, theta, prior):
        m, s = prior[:, 0], prior[:, 1]
        z = (theta - m) / s
        return np.sum(-0.5 * _LOG_2PI - np.log(s) - 0.5 * z * z, axis=-1)

    # --- PyMC --------------------------------------------------------------------------------
    def pymc_prior(self, ind, dims):
        import pymc as pm

        from ..core.dims import SCENARIO

        return pm.Normal(
            ind.id,
            mu=pm.Data(f"{ind.id}__mean", ind.prior[:, 0], dims=SCENARIO),
            sigma=pm.Data(f"{ind.id}__sd", ind.prior[:, 1], dims=SCENARIO),
            dims=dims,
        )

    def pt_kernel(self, theta, stats):
        return stats[1] * theta - 0.5 * stats[0] * theta * theta

    def pt_report_loglik(self, ind, theta, values, exposures):
        sd = float(ind.spec.sd)
        z = (np.asarray(values, dtype=float)[None, :] - theta[:, None]) / sd
        return -0.5 * (_LOG_2PI + 2.0 * math.log(sd)) - 0.5 * z * z

    # --- truth-mixture integrals: u = the level itself ----------------------------------------
    shared_events: ClassVar[bool] = False
    measured: ClassVar[bool] = True

    def theta_from_u(self, u):
        return np.asarray(u, dtype=float)

    def u_from_theta(self, theta):
        return np.asarray(theta, dtype=float)

    def u_location(self, params):
        return params[:, 0].astype(float), params[:, 1].astype(float)

    def log_prior_u(self, u, params):
        m, s = params[:, 0, None], params[:, 1, None]
        z = (u - m) / s
        return -0.5 * _LOG_2PI - np.log(s) - 0.5 * z * z

    def log_prior_tails(self, params, lo, hi):
        m, s = params[:, 0], params[:, 1]
        return np.stack([special.log_ndtr((lo - m) / s), special.log_ndtr((m - hi) / s)], axis=-1)

    # --- the next observation ----------------------------------------------------------------
    def _predictive(self, ind) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sd of one more confirmed observation under each scenario."""
        post = self.posterior(ind.prior, ind.stats)
        return post[:, 0], np.sqrt(ind.spec.sd**2 + post[:, 1] ** 2)

    def outcomes(self, ind, probability, exposure, predictive):
        mean, sd = self._predictive(ind)
        levels = (np.arange(OUTCOMES) + 0.5) / OUTCOMES
        return _mixture_quantiles(levels, mean, sd, probability), np.full(OUTCOMES, 1 / OUTCOMES)

    def outcome_log_constant(self, ind, outcomes, exposure):
        return self._log_density_constant(np.asarray(outcomes, dtype=float), ind.spec.sd)

    def log_predictive(self, ind, params, outcomes, exposure):
        # directly: the conjugate form's kernel and constant cancel to y^2 / sd^2 (at an sd
        # 1e-5 of the level's, g lost 6e-6 of itself)
        m, s = params[:, 0], params[:, 1]
        scale = np.sqrt(s * s + ind.spec.sd**2)
        z = (np.asarray(outcomes, dtype=float)[:, None] - m) / scale
        return -0.5 * _LOG_2PI - np.log(scale) - 0.5 * z * z

    def alternatives(self, ind, value, max_count):
        mean, sd = self._predictive(ind)
        lo = min(float(np.min(mean - 8 * sd)), value - 8 * float(np.max(sd)))
        hi = max(float(np.max(mean + 8 * sd)), value + 8 * float(np.max(sd)))
        grid = np.linspace(lo, hi, 4001)
        return grid[grid != value]

    def tail(self, ind, value, exposure, weights):
        # each scenario's tail in closed form; the mixture's by the cell rule of :meth:`tails`
        # on a grid of a 64th of the narrowest predictive sd (as the truth mixture's tails)
        mean, sd = self._predictive(ind)
        per = 2.0 * special.ndtr(-np.abs(value - mean) / sd)
        lo = min(float(np.min(mean - 12 * sd)), value)
        hi = max(float(np.max(mean + 12 * sd)), value)
        size = int(np.clip(np.ceil((hi - lo) / np.min(sd) * TAIL_PER_SD) + 1, TAIL_MIN, TAIL_GRID))
        grid = np.linspace(lo, hi, size)
        dens = np.exp(-0.5 * ((grid[:, None] - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        at = np.exp(-0.5 * ((value - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)) @ weights
        whole = _cell_tail((dens @ weights)[:, None], np.atleast_1d(at), (hi - lo) / (size - 1))
        return np.minimum(per, 1.0), min(float(whole[0]), 1.0)

    def tail_support(self, ind, value, exposure):
        mean, sd = self._predictive(ind)
        means = np.concatenate([mean, ind.prior[:, 0]])
        sds = np.concatenate([sd, np.sqrt(ind.prior[:, 1] ** 2 + ind.spec.sd**2)])
        lo = min(float(np.min(means - 12 * sds)), value)
        hi = max(float(np.max(means + 12 * sds)), value)
        size = int(np.clip(np.ceil((hi - lo) / ind.spec.sd * TAIL_PER_SD) + 1, TAIL_MIN, TAIL_GRID))
        grid = np.linspace(lo, hi, size)
        width = np.full(size, (hi - lo) / (size - 1))
        width[[0, -1]] /= 2  # trapezoid
        with np.errstate(divide="ignore"):
            log_measure = np.append(np.log(width), -np.inf)
        return np.append(grid, value), size, log_measure

    def tails(self, dens, log_measure, obs, weights):
        """The tails on :meth:`tail_support`'s grid, cell by cell.

        Each cell between two grid points adds the integral of the density's linear
        interpolant over the part of it where that is at most the observed value's density:
        all of a cell inside the level set (the trapezoid rule), none outside, and where the
        level is crossed, up to the crossing.
        """
        width = float(np.exp(log_measure[1]))
        grid = dens[:obs]
        per = _cell_tail(grid, dens[obs], width)
        mixed = grid @ weights
        whole = _cell_tail(mixed[:, None], np.atleast_1d(dens[obs] @ weights), width)
        return np.minimum(per, 1.0), min(float(whole[0]), 1.0)

    def outcome_text(self, ind, value):
        return f"{value:.4g}"

    def observation_phrase(self, name, spec, values, all_values):
        unit = f" {spec['unit']}" if spec.get("unit") else ""
        chosen = sorted(float(v) for v in values)
        every = sorted(float(v) for v in all_values)
        if chosen[0] == every[0] and len(chosen) < len(every):
            return f"{name} of at most about {chosen[-1]:.3g}{unit}"
        if chosen[-1] == every[-1]:
            return f"{name} of at least about {chosen[0]:.3g}{unit}"
        return f"{name} between about {chosen[0]:.3g} and {chosen[-1]:.3g}{unit}"

    # --- examples ------------------------------------------------------------------------------
    def example(self, scenarios):
        levels = [(95.0, 8.0), (80.0, 10.0), (60.0, 12.0), (70.0, 15.0)]
        return {
            "kind": "continuous",
            "description": "Oil output, thousand barrels a day",
            "unit": "kb/d",
            "sd": 6.0,
            "mean": {
                s: {"mean": levels[k % 4][0], "sd": levels[k % 4][1]}
                for k, s in enumerate(scenarios)
            },
        }

    def example_values(self):
        return [62.5, 81.0, 97.25]

    # --- judgements ----------------------------------------------------------------------------
    def judgements(self, ind, k, scenario):
        m, s = ind.prior[k]
        lo, hi = m + s * special.ndtri(np.array(QUANTILES))
        unit = f"mean level ({ind.spec.unit})" if ind.spec.unit else "mean level"
        return [
            LikelihoodJudgement(
                category="",
                quantity="mean",
                unit=unit,
                unit_short="",
                base=m,
                low=lo,
                high=hi,
                lower_limit=m - 20 * s,
                upper_limit=m + 20 * s,
                scale="linear",
                label=f"{ind.id} | {scenario}",
            )
        ]

    def move_centre(self, ind, k, judgement, values):
        s = ind.prior[k, 1]
        return np.stack([values, np.full_like(values, s)], axis=-1)


def _normal_params(entry: Any) -> tuple[float, float] | None:
    """``(mean, sd)`` of a level or noise mapping as written; ``None`` if it is not valid."""
    if not isinstance(entry, Mapping):
        return None  # the schema says what is wrong with it
    try:
        m, s = NormalPrior.model_validate(dict(entry)).params
    except (ValueError, ArithmeticError):  # pydantic's ValidationError is a ValueError
        return None
    # beyond MAX_MAGNITUDE a number is refused as too large, with no second message here
    return (m, s) if max(abs(m), s) <= MAX_MAGNITUDE else None


def _too_fine(what: str, value: float, least: float, scale: float) -> str:
    """The message for an sd below ``least`` (:meth:`Continuous.check_question`)."""
    why = (
        f"{MIN_SD_SHARE:g} of its scale, {scale:.4g}: its largest level |mean| or sd, or its sd"
        if least > MIN_SD
        else "the smallest sd at all"
    )
    return (
        f"{what} is {value:.3g}; a continuous indicator's sds must be at least {least:.3g} here "
        f"({why}): finer, double precision cannot hold the spread and the forecast would be "
        f"silently wrong. State {least:.3g} or more (far below the levels' sds a measurement "
        "already counts as exact), or use other units"
    )


def _mixture_quantiles(
    levels: np.ndarray, mean: np.ndarray, sd: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Quantiles of a mixture of Normals at ``levels`` (bisection, to 1e-12 of the range)."""
    lo = np.full(len(levels), float(np.min(mean - 40 * sd)))
    hi = np.full(len(levels), float(np.max(mean + 40 * sd)))
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        cdf = special.ndtr((mid[:, None] - mean) / sd) @ weights
        below = cdf < levels
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
        if np.max(hi - lo) <= 1e-12 * max(1.0, float(np.max(np.abs(hi)))):
            break
    return 0.5 * (lo + hi)


KIND = Continuous()


def _cell_tail(dens: np.ndarray, level: np.ndarray, width: float) -> np.ndarray:
    """``int p(y) [p(y) <= level] dy`` per column of ``dens`` ``(V, K)`` on a uniform grid.

    The density is taken as linear within each cell; ties within ``1e-12`` count as inside.
    """
    level = np.asarray(level, dtype=float) * (1 + 1e-12)
    a, b = dens[:-1], dens[1:]
    in_a, in_b = a <= level, b <= level
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        up = np.clip((level - a) / (b - a), 0.0, 1.0)  # where a is inside and b is not
        down = np.clip((level - b) / (a - b), 0.0, 1.0)  # where b is inside and a is not
    cell = np.where(
        in_a & in_b,
        a + b,
        np.where(in_a, up * (a + level), np.where(in_b, down * (b + level), 0.0)),
    )
    return 0.5 * width * cell.sum(axis=0)
