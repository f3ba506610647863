"""One of several states: ``y ~ Categorical(theta_k)``, ``theta_k ~ Dirichlet``.

Each scenario gives either probabilities per category (``alpha = concentration * p``) or
``{alpha: {category: value}}``. Tempered statistics: ``sum w [y = c]`` per category ``c``.

The closed-form marginal sums over the categories reported only (the others' terms are exactly
0): the judgement sweeps of a 1,000-category indicator reported in 6 categories (the wide
benchmark's ``sensitivity``) went from 88 s to 14 s of CPU, one thread, the same tipping points.

The categories no item names enter every likelihood only through their total concentration
(Dirichlet aggregation), so they are one judgement (:meth:`Categorical.judged_groups`): the
probability of any of them, moved with their proportions kept, and one group of the range of
reasonable opinion's redraw. The truth mixture's exact polynomial has an axis per named
category only (:mod:`forecasting.model.likelihood`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field
from scipy import special

from ..core.constants import PRIOR_SUM_TOL
from ..core.dims import category_dim
from ..core.errors import did_you_mean, one_of
from ..core.schema import (
    EXTREME,
    PARAM_MAX,
    PARAM_MIN,
    PositiveFloat,
    Text,
    is_number,
    short_value,
    typename,
)
from ..core.stats import dirichlet_logpdf, logsumexp
from .base import (
    QUANTILES,
    IndicatorSpec,
    ItemValue,
    Kind,
    LikelihoodJudgement,
    Report,
    finite_outcomes,
    in_band,
    tail_from_table,
    temper,
)


class CategoricalIndicator(IndicatorSpec):
    """One of several states: ``y ~ Categorical(theta_k)``, ``theta_k ~ Dirichlet``.

    Each scenario gives either probabilities per category (``alpha = concentration * p``) or
    ``{alpha: {category: value}}``.
    """

    kind: Literal["categorical"]
    categories: list[Text] = Field(min_length=2)
    concentration: PositiveFloat | None = None
    probabilities: dict[str, dict[str, Any]]
    noise: dict[str, Any] | None = None

    def named_params(self, scenarios: list[str]) -> np.ndarray:
        """Dirichlet ``alpha`` per scenario, shape ``(K, C)``."""
        conc = self.concentration if self.concentration is not None else len(self.categories)
        rows = []
        for s in scenarios:
            rows.append(self._alpha(self.probabilities[s], conc))
        return np.array(rows, dtype=float)

    def diffuse(self, rows: np.ndarray) -> np.ndarray:
        """The catch-all's parameters (see :meth:`IndicatorSpec.diffuse`)."""
        return np.ones(rows.shape[1])  # uniform over the simplex

    def _alpha(self, entry: dict[str, Any], conc: float) -> list[float]:
        if set(entry) == {"alpha"}:
            return [float(entry["alpha"][c]) for c in self.categories]
        return [conc * float(entry[c]) for c in self.categories]

    def noise_params(self) -> np.ndarray | None:
        """Dirichlet ``alpha`` of the stated noise distribution, ``(1, C)``, if any."""
        if self.noise is None:
            return None
        conc = self.concentration if self.concentration is not None else len(self.categories)
        return np.array([self._alpha(self.noise, conc)], dtype=float)


class Categorical(Kind):
    """Categorical observations; Dirichlet(alpha) category probabilities."""

    name: ClassVar[str] = "categorical"
    spec: ClassVar[type[IndicatorSpec]] = CategoricalIndicator
    likelihood_field: ClassVar[str] = "probabilities"
    parameter: ClassVar[str] = "probabilities"
    model: ClassVar[str] = "y ~ Categorical(theta_k); theta_k ~ Dirichlet"

    # --- the question file -------------------------------------------------------------------
    def check_question(self, name, raw, scenarios, bad, lines):
        base = ("indicators", name)
        entries = raw.get(self.likelihood_field)
        categories = raw.get("categories")
        if not (isinstance(categories, list) and all(isinstance(c, str) for c in categories)):
            if isinstance(categories, list):
                for i, c in enumerate(categories):
                    if not isinstance(c, str):
                        written = lines.text(base + ("categories", i))
                        shown = f"'{written}' (read as {c!r})" if written else repr(c)
                        bad(
                            base + ("categories", i),
                            f"category {shown} must be text; YAML reads "
                            "yes/no/on/off/true/false and numbers as other types, so quote it",
                        )
            return
        dup = sorted({c for c in categories if categories.count(c) > 1})
        if dup:
            bad(base + ("categories",), f"categories must be unique; repeated: {one_of(dup)}")
            categories = list(dict.fromkeys(categories))
        checked = [((self.likelihood_field, sid), e) for sid, e in entries.items()]
        if raw.get("noise") is not None:
            checked.append((("noise",), raw["noise"]))
        for where, entry in checked:
            path = base + where
            if not isinstance(entry, dict):
                bad(
                    path,
                    f"must be a mapping of category probabilities or {{alpha: ...}}, "
                    f"got {typename(entry)}",
                )
                continue
            if set(entry) == {"alpha"}:
                alpha = entry["alpha"]
                if not isinstance(alpha, dict):
                    bad(
                        path + ("alpha",),
                        f"must map each category to a positive number, got {typename(alpha)}",
                    )
                    continue
                _check_category_values(alpha, categories, path + ("alpha",), bad, scale=None)
            else:
                conc = raw.get("concentration")
                scale = float(conc) if is_number(conc) and conc > 0 else float(len(categories))
                _check_category_values(entry, categories, path, bad, scale=scale)

    def extra_dims(self, name, raw):
        return (category_dim(name),)

    def coords(self, ind):
        return {category_dim(ind.id): list(ind.spec.categories)}

    def describe(self, spec: CategoricalIndicator, scenarios: list[str]) -> dict[str, Any]:
        alpha = spec.prior_params(scenarios)
        out: dict[str, Any] = {"likelihoods": {}, "categories": list(spec.categories)}
        for k, s in enumerate(scenarios):
            out["likelihoods"][s] = {
                "distribution": "Dirichlet",
                "alpha": dict(zip(spec.categories, alpha[k].tolist(), strict=True)),
                "mean": dict(
                    zip(spec.categories, (alpha[k] / alpha[k].sum()).tolist(), strict=True)
                ),
            }
        return out

    def describe_text(self, entry: Mapping[str, Any]) -> str:
        return "Dirichlet(" + ", ".join(f"{c}={a:.3g}" for c, a in entry["alpha"].items()) + ")"

    def likelihood_text(self, spec: CategoricalIndicator, row: np.ndarray) -> str:
        return (
            "Dirichlet("
            + ", ".join(f"{c}={x:.3g}" for c, x in zip(spec.categories, row, strict=True))
            + ")"
        )

    def redefined(self, old, new):
        return old.kind != new.kind or list(old.categories) != list(new.categories)

    def entry(self, spec, row):
        return {"alpha": {c: float(v) for c, v in zip(spec.categories, row, strict=True)}}

    # --- ledger items --------------------------------------------------------------------------
    def parse_item(self, row, spec: CategoricalIndicator, bad: Report, written):
        cats = spec.categories
        value = row.get("value")
        name = row.get("indicator")
        if isinstance(value, bool) and written is not None:
            bad(
                ("value",),
                f"must be one of the categories {one_of(cats)}, got {written} unquoted, "
                f"which YAML reads as {str(value).lower()}: quote it, value: '{written}'",
            )
            return None
        if not isinstance(value, str):
            bad(
                ("value",),
                f"must be one of the categories {one_of(cats)}, got {short_value(value)}"
                + (
                    " (quote it: YAML reads yes/no/on/off as true/false)"
                    if isinstance(value, bool)
                    else ""
                ),
            )
            return None
        if value not in cats:
            bad(
                ("value",),
                f"'{value}' is not a category of '{name}'"
                f"{did_you_mean(value, cats)}; categories are {one_of(cats)}",
            )
            return None
        return ItemValue(value)

    def encode(self, spec: CategoricalIndicator, value: Any) -> float:
        return float(spec.categories.index(value))

    # --- tempered statistics -----------------------------------------------------------------
    def stats(self, ind):
        idx = np.asarray(ind.values, dtype=int)
        return np.bincount(idx, weights=ind.weights, minlength=len(ind.spec.categories)).astype(
            float
        )

    def item_stats(self, ind):
        y, w = ind.values, ind.weights
        onehot = np.zeros((len(y), len(ind.spec.categories)))
        onehot[np.arange(len(y)), y.astype(int)] = 1.0
        return onehot * w[:, None]

    def outcome_stats(self, ind, outcomes, weight, exposure):
        outcomes = np.asarray(outcomes, dtype=float)
        onehot = np.zeros((len(outcomes), len(ind.spec.categories)))
        onehot[np.arange(len(outcomes)), outcomes.astype(int)] = weight
        return onehot

    # --- closed form -------------------------------------------------------------------------
    def log_marginal(self, prior, stats):
        a0 = prior.sum(axis=1)
        n = stats.sum(axis=-1)[..., None]
        # a category never reported adds gammaln(a) - gammaln(a) = 0: summed over the reported
        # ones only (the figure at the module's top)
        seen = np.flatnonzero(np.any(stats != 0, axis=tuple(range(stats.ndim - 1))))
        prior, stats = prior[:, seen], stats[..., seen]
        return (
            special.gammaln(a0)
            - special.gammaln(a0 + n)
            + np.sum(special.gammaln(prior + stats[..., None, :]) - special.gammaln(prior), axis=-1)
        )

    def posterior(self, prior, stats):
        return prior + stats[None, :]

    # --- draws and densities -----------------------------------------------------------------
    def draw(self, params, rng, n):
        g = rng.gamma(params, size=(n, *params.shape))
        total = g.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            theta = g / total
        bad = ~np.isfinite(theta).all(axis=-1)
        if bad.any():
            mean = params / params.sum(axis=-1, keepdims=True)
            theta = np.where(bad[..., None], np.broadcast_to(mean, theta.shape), theta)
        return theta

    def simulate(self, ind, theta, exposure, rng):
        cdf = np.cumsum(theta, axis=-1)
        picked = np.sum(rng.random(len(theta))[:, None] * cdf[:, -1:] >= cdf, axis=-1)
        return np.minimum(picked, theta.shape[-1] - 1).astype(float)

    def kernel(self, theta, stats):
        return np.sum(special.xlogy(stats, theta), axis=-1)

    def item_loglik(self, theta, ind):
        idx = np.asarray(ind.values, dtype=int)
        picked = theta[..., idx]  # (..., K, n)
        return temper(ind.weights, special.xlogy(1.0, picked))

    def prior_mean(self, prior):
        return prior / prior.sum(axis=1, keepdims=True)

    def log_prior_density(self, theta, prior):
        return dirichlet_logpdf(theta, prior).sum(-1)

    # --- PyMC --------------------------------------------------------------------------------
    def pymc_stats(self, ind):
        return {"stats": (self.stats(ind), (category_dim(ind.id),))}

    def pymc_prior(self, ind, dims):
        import pymc as pm

        return pm.Dirichlet(ind.id, a=pm.Data(f"{ind.id}__alpha", ind.prior, dims=dims), dims=dims)

    def pt_kernel(self, theta, stats):
        import pytensor.tensor as pt

        return pt.sum(stats[0] * pt.log(theta), axis=-1)

    def pt_report_loglik(self, ind, theta, values, exposures):
        import pytensor.tensor as pt

        return pt.log(theta)[:, np.asarray(values, dtype=int)]

    # --- truth-mixture integrals: exact, L is a polynomial in theta ------------------------
    integration: ClassVar[str] = "polynomial"

    @staticmethod
    def _moments(params: np.ndarray, powers: np.ndarray, axes=None) -> np.ndarray:
        """``log E[prod_c theta_c^n_c]`` under Dirichlet rows ``params`` for powers ``(m, A)``.

        ``axes``: the categories the powers' columns stand for (default: all, in order). The
        other categories' powers are 0, so only their total concentration enters, through
        ``alpha_0`` (Dirichlet aggregation: the categories no report names are one).

        The powers are small integers shared by many terms, so each ``log Gamma(alpha + n) /
        Gamma(alpha)`` is looked up in a table over ``n = 0..max`` (a polynomial of about
        450,000 terms and 16 scenarios: 1.8 s -> 0.7 s in process), the table's entries sums of
        ``log(alpha + i)`` (:func:`_log_rising`: a difference of two log-gammas of a
        concentration of 1e7 loses 8 digits).
        """
        a0 = params.sum(axis=1)
        cols = params if axes is None else params[:, np.asarray(axes, dtype=int)]
        powers = np.asarray(powers, dtype=int)
        total = powers.sum(axis=1)
        out = -_log_rising(a0, int(total.max(initial=0)) + 1)[:, total]
        for c, power in enumerate(np.ascontiguousarray(powers.T)):
            out = out + _log_rising(cols[:, c], int(power.max(initial=0)) + 1)[:, power]
        return out

    def polynomial_log_moments(self, params, powers, axes=None):
        return self._moments(params, powers, axes)

    def polynomial_log_marginal(self, params, log_coef, axes=None, term_by_term=False):
        powers = np.argwhere(np.isfinite(log_coef))
        coef = log_coef[np.isfinite(log_coef)]
        if not len(coef):  # the zero polynomial
            return np.full(len(params), -np.inf)
        if not term_by_term and np.ndim(log_coef) and len(coef) >= _CONTRACTED_TERMS:
            out = _contracted(np.asarray(params, dtype=float), log_coef, axes)
            low = np.flatnonzero(~np.isfinite(out))
            if not len(low):
                return out
            # rows whose scaled sum underflowed: term by term, in logs
            out[low] = self.polynomial_log_marginal(params[low], log_coef, axes, term_by_term=True)
            return out
        out = np.empty(len(params))
        step = max(1, 20_000_000 // max(1, len(coef)))
        for start in range(0, len(params), step):
            rows = params[start : start + step]
            out[start : start + step] = logsumexp(
                coef[None, :] + self._moments(rows, powers, axes), axis=1
            )
        return out

    def polynomial_draw(self, params, log_coef, rng, n, axes=None):
        powers = np.argwhere(np.isfinite(log_coef))
        logw = log_coef[np.isfinite(log_coef)] + self._moments(params[None, :], powers, axes)[0]
        w = np.exp(logw - logw.max())
        pick = rng.choice(len(w), size=n, p=w / w.sum())
        if axes is not None:  # the powers back on their categories (0 on the others)
            full = np.zeros((len(powers), len(params)), dtype=powers.dtype)
            full[:, np.asarray(axes, dtype=int)] = powers
            powers = full
        return self.draw(params[None, :] + powers[pick], rng, 1)[0]

    # --- the next observation ----------------------------------------------------------------
    def outcomes(self, ind, probability, exposure, predictive):
        return finite_outcomes(np.arange(len(ind.spec.categories), dtype=float), predictive)

    def alternatives(self, ind, value, max_count):
        return np.array([c for c in range(len(ind.spec.categories)) if c != value], dtype=float)

    def tail(self, ind, value, exposure, weights):
        post = self.posterior(ind.prior, ind.stats)
        theta = post / post.sum(axis=1, keepdims=True)
        return tail_from_table(np.log(theta.T), list(ind.spec.categories).index(value), weights)

    def tail_support(self, ind, value, exposure):
        c = len(ind.spec.categories)
        return np.arange(c, dtype=float), int(value), np.zeros(c)

    def outcome_text(self, ind, value):
        return ind.spec.categories[int(value)]

    # --- examples ------------------------------------------------------------------------------
    def example(self, scenarios):
        rows = [(0.6, 0.3, 0.1), (0.3, 0.5, 0.2), (0.1, 0.3, 0.6), (0.2, 0.5, 0.3)]
        cats = ["supportive", "mixed", "hostile"]
        return {
            "kind": "categorical",
            "description": "Tone of US officials' statements",
            "categories": cats,
            "concentration": 8,
            "probabilities": {
                s: dict(zip(cats, rows[k % 4], strict=True)) for k, s in enumerate(scenarios)
            },
        }

    def example_values(self):
        return ["supportive", "mixed", "hostile"]

    # --- judgements ----------------------------------------------------------------------------
    @staticmethod
    def judged_groups(ind) -> list[np.ndarray]:
        """The categories judged together: each one the items name, and the others as one.

        (The others as one where there are two or more; with no item, each on its own.) The
        likelihood depends on the categories no report names only through their total
        concentration (Dirichlet aggregation), so their judgements are one: the probability of
        any of them. A 1,000-category indicator named in 6 has 7, not 1,000 (each a tipping
        point search: hours for 4,000).
        """
        c = len(ind.spec.categories)
        named = np.isin(np.arange(c), np.asarray(ind.values, dtype=int))
        if not named.any() or (~named).sum() < 2:
            return [np.array([k]) for k in range(c)]
        return [*(np.array([k]) for k in np.flatnonzero(named)), np.flatnonzero(~named)]

    def judgements(self, ind, k, scenario):
        alpha = ind.prior[k]
        total = alpha.sum()
        cats = list(ind.spec.categories)
        out = []
        for group in self.judged_groups(ind):
            a = alpha[group].sum()
            lo, hi = special.betaincinv(a, total - a, np.array(QUANTILES))
            name = cats[group[0]] if len(group) == 1 else f"the {len(group)} others"
            out.append(
                LikelihoodJudgement(
                    category=name,
                    quantity="probability",
                    unit=f"P({name})",
                    unit_short="",
                    base=a / total,
                    low=lo,
                    high=hi,
                    lower_limit=1e-4,
                    upper_limit=1 - 1e-4,
                    scale="linear",
                    label=f"{ind.id}={name} | {scenario}",
                    members=tuple(cats[g] for g in group) if len(group) > 1 else (),
                )
            )
        return out

    def redraw_centres(self, ind, k, scenario, rng, n):
        # the whole vector at once: a draw of the elicited Dirichlet whose every judged group
        # (:meth:`judged_groups`: each named category, the others as one) lies within its own
        # band, with the total concentration kept and the others keeping their proportions. A
        # 1,000-category vector never had every category in band at once: its draws all fell
        # back to the elicited centre, after 100 rounds of rejection.
        alpha = ind.prior[k]
        total = alpha.sum()
        groups = self.judged_groups(ind)
        bands = self.judgements(ind, k, scenario)
        low = np.array([j.low for j in bands])
        high = np.array([j.high for j in bands])
        of = np.empty(len(alpha), dtype=int)
        for g, members in enumerate(groups):
            of[members] = g
        group_alpha = np.array([alpha[members].sum() for members in groups])
        theta = in_band(
            lambda m: self.draw(group_alpha[None, :], rng, m)[:, 0, :],
            lambda t: np.all((t >= low) & (t <= high), axis=-1),
            n,
            group_alpha / total,
        )
        # back on the categories: each of a group its share of the group's total
        share = alpha / group_alpha[of]
        return theta[:, of] * share[None, :] * total

    def move_centre(self, ind, k, judgement, values):
        alpha = ind.prior[k]
        cats = list(ind.spec.categories)
        mine = [cats.index(m) for m in judgement.members or (judgement.category,)]
        total, old = alpha.sum(), alpha[mine].sum() / alpha.sum()
        scale = (1 - values) / (1 - old)
        params = alpha[None, :] * scale[:, None]
        if len(mine) == 1:
            params[:, mine[0]] = values * total
        else:  # a group: its total moved, its members keeping their proportions
            params[:, mine] = alpha[None, mine] * (values / old)[:, None]
        return params


def _check_category_values(
    values: Mapping, categories: list[str], path: tuple, bad: Report, *, scale: float | None
) -> None:
    """Check one scenario's category probabilities (times ``scale``) or, without it, alphas."""
    probabilities = scale is not None
    for c in values:
        if c not in categories:
            hint = " ('alpha' must be the only key when given)" if c == "alpha" else ""
            bad(
                path + (c,),
                f"'{c}' is not a category of this indicator"
                f"{did_you_mean(c, categories)}{hint}; categories are {one_of(categories)}",
            )
    missing = [c for c in categories if c not in values]
    if missing:
        bad(path, f"no value for categor{'ies' if len(missing) > 1 else 'y'} {one_of(missing)}")
    ok = True
    for c, v in values.items():
        if not is_number(v) or not math.isfinite(float(v)):
            bad(path + (c,), f"must be a number, got {v!r}")
            ok = False
        elif float(v) <= 0:
            what = "probability" if probabilities else "Dirichlet alpha"
            bad(
                path + (c,),
                f"{what} {v!r} must be > 0 (a Dirichlet needs positive parameters; "
                "use a small value such as 0.01 for 'almost never')",
            )
            ok = False
        elif probabilities and float(v) > 1:
            bad(path + (c,), f"probability {v!r} must be at most 1")
            ok = False
        elif not PARAM_MIN <= float(v) * (scale or 1.0) <= PARAM_MAX:
            alpha = float(v) * (scale or 1.0)
            bad(path + (c,), f"gives Dirichlet alpha {alpha:.4g}; Dirichlet alphas {EXTREME}")
            ok = False
    if probabilities and ok and not missing:
        total = sum(float(values[c]) for c in categories)
        if abs(total - 1.0) > PRIOR_SUM_TOL:
            bad(path, f"category probabilities sum to {total:.6g}; they must sum to 1")


KIND = Categorical()


#: Terms from which :meth:`Categorical.polynomial_log_marginal` contracts the polynomial one
#: category at a time (:func:`_contracted`) instead of summing its terms' moments.
_CONTRACTED_TERMS = 512
#: Numbers a piece of rows of the contraction holds at once (32 MB).
_CONTRACTED_PIECE = 4_000_000


def _log_rising(a: np.ndarray, n: int) -> np.ndarray:
    """``log Gamma(a + k) / Gamma(a)`` for ``k = 0..n-1``, ``(len(a), n)``.

    As sums of ``log(a + i)``: no cancellation between two log-gammas of a large ``a``.
    """
    out = np.zeros((len(a), n))
    if n > 1:
        np.cumsum(np.log(a[:, None] + np.arange(n - 1)[None, :]), axis=1, out=out[:, 1:])
    return out


def _contracted(params: np.ndarray, log_coef: np.ndarray, axes=None) -> np.ndarray:
    """``log sum_n c_n E[theta^n]`` under Dirichlet rows ``params``, one axis at a time.

    ``E[theta^n] = Gamma(a0) / Gamma(a0 + N) prod_c Gamma(alpha_c + n_c) / Gamma(alpha_c)``
    with ``N = sum_c n_c``: each category's factor is contracted into the dense coefficients in
    turn, keeping the partial total degree, and the Dirichlet's normaliser is applied per total
    degree at the end (in exponentials, each factor scaled by its row's largest). The figure it
    buys: 117,649 terms (7^6) at 1,000 rows, 5.3 s -> 0.45 s, agreeing with the term-by-term sum
    to 5e-14 (relative). A row whose scaled sum underflows is ``-inf`` here (the caller sums it
    term by term).
    """
    a0 = params.sum(axis=1)
    cols = params if axes is None else params[:, np.asarray(axes, dtype=int)]
    finite = np.isfinite(log_coef)
    shift = float(np.max(log_coef[finite]))
    coef = np.where(finite, np.exp(np.where(finite, log_coef, 0.0) - shift), 0.0)
    dims = log_coef.shape
    degree = np.arange(sum(d - 1 for d in dims) + 1)  # the total degrees
    out = np.empty(len(params))
    step = max(1, _CONTRACTED_PIECE // max(1, coef.size))
    for start in range(0, len(params), step):
        rows = slice(start, min(len(params), start + step))
        s = rows.stop - rows.start
        q = np.broadcast_to(coef, (s, 1, *dims))  # (rows, partial degree, axes left...)
        offset = np.zeros(s)
        for j, d in enumerate(dims):
            g = _log_rising(cols[rows, j], d)  # log Gamma(alpha + n) / Gamma(alpha)
            top = g.max(axis=1)
            offset += top
            factor = np.exp(g - top[:, None])  # (s, d), at most 1
            width, rest = q.shape[1], q.shape[3:]
            new = np.zeros((s, width + d - 1, *rest))
            for n in range(d):
                new[:, n : n + width] += q[:, :, n] * factor[:, n].reshape(s, 1, *([1] * len(rest)))
            q = new
        h = -_log_rising(a0[rows], len(degree))  # (s, N + 1)
        top = h.max(axis=1)
        total = np.einsum("sn,sn->s", q, np.exp(h - top[:, None]))
        with np.errstate(divide="ignore"):
            body = np.log(total) + top + offset + shift
        out[rows] = np.where(total >= 1e-250, body, -np.inf)
    return out
