"""Yes/no facts: ``y ~ Bernoulli(p_k)``, ``p_k ~ Beta``.

Tempered statistics: ``sum w y`` and ``sum w (1 - y)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import special

from ..core.schema import short_value
from .base import (
    QUANTILES,
    IndicatorSpec,
    ItemValue,
    Kind,
    LikelihoodJudgement,
    Report,
    finite_outcomes,
    tail_from_table,
    temper,
)
from .priors import BetaPrior

#: Smallest ``alpha + beta`` a Beta may take when its sd cannot stay unchanged.
MIN_BETA_CONCENTRATION = 1.0


#: Text a CSV cell may give a binary value in: what YAML reads as a boolean (case aside).
_TRUTH = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


class BinaryIndicator(IndicatorSpec):
    """Yes/no observations: ``y ~ Bernoulli(p_k)``, ``p_k ~ Beta``."""

    kind: Literal["binary"]
    probability: dict[str, BetaPrior]
    noise: BetaPrior | None = None

    def named_params(self, scenarios: list[str]) -> np.ndarray:
        """Beta ``(alpha, beta)`` per scenario, shape ``(K, 2)``."""
        return np.array([self.probability[s].params for s in scenarios], dtype=float)

    def diffuse(self, rows: np.ndarray) -> np.ndarray:
        """The catch-all's parameters (see :meth:`IndicatorSpec.diffuse`)."""
        return np.array([1.0, 1.0])  # uniform: any probability


class Binary(Kind):
    """Bernoulli observations; Beta(alpha, beta) probability of ``true``."""

    name: ClassVar[str] = "binary"
    spec: ClassVar[type[IndicatorSpec]] = BinaryIndicator
    likelihood_field: ClassVar[str] = "probability"
    parameter: ClassVar[str] = "probability"
    model: ClassVar[str] = "y ~ Bernoulli(p_k); p_k ~ Beta"

    # --- the question file -------------------------------------------------------------------
    def describe(self, spec: BinaryIndicator, scenarios: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"likelihoods": {}}
        for s in scenarios:
            b = spec.probability[s]
            a, bb = b.params
            m = a / (a + bb)
            out["likelihoods"][s] = {
                "form": b.form,
                "distribution": "Beta",
                "alpha": a,
                "beta": bb,
                "mean": m,
                "sd": (m * (1 - m) / (a + bb + 1)) ** 0.5,
            }
        return out

    def describe_text(self, entry: Mapping[str, Any]) -> str:
        return (
            f"Beta({entry['alpha']:.3g}, {entry['beta']:.3g})  mean {entry['mean']:.3g}, "
            f"sd {entry['sd']:.3g}  [{entry['form']}]"
        )

    def likelihood_text(self, spec: IndicatorSpec, row: np.ndarray) -> str:
        a, b = row
        m = a / (a + b)
        return f"Beta(mean {m:.3g}, sd {math.sqrt(m * (1 - m) / (a + b + 1)):.3g})"

    def entry(self, spec, row):
        return {"alpha": float(row[0]), "beta": float(row[1])}

    # --- ledger items --------------------------------------------------------------------------
    def parse_item(self, row, spec, bad: Report, written):
        value = row.get("value")
        if not isinstance(value, bool):
            bad(
                ("value",),
                f"a binary indicator's value must be true or false, got {short_value(value)}",
            )
            return None
        return ItemValue(value)

    def value_from_text(self, text: str) -> Any:
        # the words YAML reads as true and false (a YAML ledger's `value: yes` is true): a CSV
        # cell means the same in every format
        return _TRUTH.get(text.strip().lower(), text)

    def value_text(self, value: Any) -> str:
        return "true" if value else "false"

    # --- tempered statistics -----------------------------------------------------------------
    def stats(self, ind):
        y = np.asarray(ind.values, dtype=float)
        return np.array([np.dot(ind.weights, y), np.dot(ind.weights, 1.0 - y)], dtype=float)

    def item_stats(self, ind):
        w, y = ind.weights, ind.values
        return np.stack([w * y, w * (1.0 - y)], axis=-1)

    def outcome_stats(self, ind, outcomes, weight, exposure):
        outcomes = np.asarray(outcomes, dtype=float)
        return np.stack([weight * outcomes, weight * (1.0 - outcomes)], axis=-1)

    # --- closed form -------------------------------------------------------------------------
    def log_marginal(self, prior, stats):
        a, b = prior[:, 0], prior[:, 1]
        s1, s0 = stats[..., 0, None], stats[..., 1, None]
        return special.betaln(a + s1, b + s0) - special.betaln(a, b)

    def posterior(self, prior, stats):
        return np.stack([prior[:, 0] + stats[0], prior[:, 1] + stats[1]], axis=-1)

    # --- draws and densities -----------------------------------------------------------------
    def draw(self, params, rng, n):
        k = params.shape[0]
        x = rng.gamma(params[:, 0], size=(n, k))
        y = rng.gamma(params[:, 1], size=(n, k))
        with np.errstate(invalid="ignore"):
            p = x / (x + y)
        # both gammas underflow only for tiny shapes: fall back to the mean
        bad = ~np.isfinite(p)
        if bad.any():
            mean = params[:, 0] / params.sum(axis=1)
            p = np.where(bad, mean, p)
        return p

    def simulate(self, ind, theta, exposure, rng):
        return (rng.random(len(theta)) < theta).astype(float)

    def kernel(self, theta, stats):
        return special.xlogy(stats[0], theta) + special.xlog1py(stats[1], -theta)

    def item_loglik(self, theta, ind):
        y = np.asarray(ind.values, dtype=float)
        p = theta[..., :, None]
        return temper(ind.weights, special.xlogy(y, p) + special.xlog1py(1.0 - y, -p))

    def prior_mean(self, prior):
        return prior[:, 0] / prior.sum(axis=1)

    def log_prior_density(self, theta, prior):
        a, b = prior[:, 0], prior[:, 1]
        return np.sum(
            special.xlogy(a - 1, theta) + special.xlog1py(b - 1, -theta) - special.betaln(a, b),
            axis=-1,
        )

    # --- PyMC --------------------------------------------------------------------------------
    def pymc_prior(self, ind, dims):
        import pymc as pm

        from ..core.dims import SCENARIO

        return pm.Beta(
            ind.id,
            alpha=pm.Data(f"{ind.id}__alpha", ind.prior[:, 0], dims=SCENARIO),
            beta=pm.Data(f"{ind.id}__beta", ind.prior[:, 1], dims=SCENARIO),
            dims=dims,
        )

    def pt_kernel(self, theta, stats):
        import pytensor.tensor as pt

        return stats[0] * pt.log(theta) + stats[1] * pt.log1p(-theta)

    def pt_report_loglik(self, ind, theta, values, exposures):
        import pytensor.tensor as pt

        y = np.asarray(values, dtype=float)[None, :]
        return y * pt.log(theta)[:, None] + (1 - y) * pt.log1p(-theta)[:, None]

    # --- truth-mixture integrals: u = logit p ------------------------------------------------
    def theta_from_u(self, u):
        return special.expit(u)

    def u_from_theta(self, theta):
        with np.errstate(divide="ignore"):
            return special.logit(theta)

    def u_location(self, params):
        a, b = params[:, 0], params[:, 1]
        scale = np.sqrt(special.polygamma(1, a) + special.polygamma(1, b))
        return special.digamma(a) - special.digamma(b), scale

    def log_prior_u(self, u, params):
        # a log p + b log q as one matrix product: the opinion range's 1,000 redrawn priors
        # a scenario at 600 nodes in one pass (with the sum in _many_priors, 8.0 -> 3.9 ms)
        log_pq = np.stack([-np.logaddexp(0.0, -u), -np.logaddexp(0.0, u)], axis=-2)
        a, b = params[:, 0], params[:, 1]
        out = np.matmul(params[:, :2], log_pq)
        out -= special.betaln(a, b)[:, None]  # in place: one (S, Q) array
        return out

    u_bounds: ClassVar[tuple[float, float]] = (-36.0, 36.0)  # 1 - expit(37) rounds to 0

    def log_prior_tails(self, params, lo, hi):
        a, b = params[:, 0], params[:, 1]
        with np.errstate(divide="ignore"):
            return np.stack(
                [
                    np.log(special.betainc(a, b, special.expit(lo))),
                    np.log(special.betainc(b, a, special.expit(-hi))),
                ],
                axis=-1,
            )

    # --- the next observation ----------------------------------------------------------------
    def outcomes(self, ind, probability, exposure, predictive):
        return finite_outcomes(np.array([0.0, 1.0]), predictive)

    def alternatives(self, ind, value, max_count):
        return np.array([1.0 - value])

    def tail(self, ind, value, exposure, weights):
        post = self.posterior(ind.prior, ind.stats)
        p = post[:, 0] / post.sum(axis=1)
        logp = np.log(np.stack([1 - p, p]))
        return tail_from_table(logp, int(bool(value)), weights)

    def tail_support(self, ind, value, exposure):
        return np.array([0.0, 1.0]), int(bool(value)), np.zeros(2)

    def outcome_text(self, ind, value):
        return "true" if value else "false"

    # --- examples ------------------------------------------------------------------------------
    def example(self, scenarios):
        means = [0.8, 0.5, 0.2, 0.35]
        return {
            "kind": "binary",
            "description": "Sanctions relief is tied to accession",
            "probability": {s: {"mean": means[k % 4], "sd": 0.1} for k, s in enumerate(scenarios)},
        }

    def example_values(self):
        return [True, False]

    # --- judgements ----------------------------------------------------------------------------
    def judgements(self, ind, k, scenario):
        a, b = ind.prior[k]
        lo, hi = special.betaincinv(a, b, np.array(QUANTILES))
        return [
            LikelihoodJudgement(
                category="",
                quantity="probability",
                unit="P(true)",
                unit_short="",
                base=a / (a + b),
                low=lo,
                high=hi,
                lower_limit=1e-4,
                upper_limit=1 - 1e-4,
                scale="linear",
                label=f"{ind.id} | {scenario}",
            )
        ]

    def move_centre(self, ind, k, judgement, values):
        a, b = ind.prior[k]
        var = a * b / ((a + b) ** 2 * (a + b + 1))
        nu = np.maximum(values * (1 - values) / var - 1, min(MIN_BETA_CONCENTRATION, a + b))
        return np.stack([values * nu, (1 - values) * nu], axis=-1)


KIND = Binary()
