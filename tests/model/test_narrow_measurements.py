"""One more observation far narrower than the evidence's grid: its predictive, integrated exactly.

A precise measurement (sd far below the level's) or a count over a long window has an
``f(y | theta)`` the existing reports' quadrature grid cannot resolve; the predictive of one
more genuine observation is checked against the generative story in closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import binary, continuous, count, item, question
from scipy import integrate, special, stats

import forecasting as fc
from forecasting.model.data import ModelData

LEVELS = {"a": (0.0, 1.0), "b": (0.5, 1.0)}
EARLIER, RELIABILITY = 0.3, 0.6


def mixture_question(indicator) -> fc.Question:
    q = question(("a", "b"), indicators={"x": indicator})
    return fc.Question.model_validate(q.to_dict() | {"reliability_model": "mixture"})


def one_report(indicator, value, exposure=None):
    q = mixture_question(indicator)
    rows = [item("r1", "x", value, weight=RELIABILITY, exposure=exposure)]
    (ind,) = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
    assert ind.model.reports().genuine == pytest.approx([RELIABILITY])
    return ind


def level_predictive(ind, y: np.ndarray, sigma: float) -> np.ndarray:
    """``p(y | E, k)`` for ``L(mu) = a N(y1; mu, sigma) + (1 - a) g(y1)``, ``(m, K)``."""
    a = RELIABILITY
    c = (1 - a) * math.exp(ind.model.log_noise(np.array([EARLIER]), np.ones(1))[0])
    out = []
    for m, s in ind.prior:
        joint = stats.norm.pdf(EARLIER, m, math.hypot(s, sigma))
        post_m = (m * sigma**2 + EARLIER * s**2) / (s**2 + sigma**2)
        post_s = s * sigma / math.hypot(s, sigma)
        genuine = a * joint * stats.norm.pdf(y, post_m, math.hypot(post_s, sigma))
        false = c * stats.norm.pdf(y, m, math.hypot(s, sigma))
        out.append((genuine + false) / (a * joint + c))
    return np.stack(out, axis=1)


def level_by_quadrature(ind, y: float, sigma: float) -> np.ndarray:
    """The same integrals by adaptive quadrature over the level, ``(K,)``."""
    a = RELIABILITY
    c = (1 - a) * math.exp(ind.model.log_noise(np.array([EARLIER]), np.ones(1))[0])

    def lik(mu):
        return a * stats.norm.pdf(EARLIER, mu, sigma) + c

    out = []
    for m, s in ind.prior:
        lo, hi = m - 40 * s, m + 40 * s
        points = sorted({EARLIER, y})

        def quad(f, lo=lo, hi=hi, points=points):
            return integrate.quad(f, lo, hi, points=points, limit=500, epsabs=0, epsrel=1e-12)[0]

        num = quad(
            lambda mu, m=m, s=s: stats.norm.pdf(mu, m, s) * lik(mu) * stats.norm.pdf(y, mu, sigma)
        )
        den = quad(lambda mu, m=m, s=s: stats.norm.pdf(mu, m, s) * lik(mu))
        out.append(num / den)
    return np.array(out)


@pytest.mark.parametrize("ratio", [1.0, 0.1, 0.01, 1e-3, 1e-5])
def test_a_precise_measurement_has_the_exact_predictive(ratio):
    ind = one_report(continuous(LEVELS, sd=ratio), EARLIER)
    y = np.array(
        [EARLIER, EARLIER + ratio, EARLIER - 2.5 * ratio, 1.0, -0.7, 2.2, 0.3 + 30 * ratio]
    )
    want = level_predictive(ind, y, ratio)
    got = np.exp(ind.model.predictive(y, 1.0))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
    if ratio >= 0.1:  # the closed form itself, against adaptive quadrature
        for j in (0, 3):
            np.testing.assert_allclose(level_by_quadrature(ind, y[j], ratio), want[j], rtol=1e-8)


@pytest.mark.parametrize("ratio", [1.0, 0.01, 1e-5])  # the predictive test covers 0.1, 1e-3
@pytest.mark.parametrize("value", [-0.4, EARLIER + 0.5e-5])
def test_a_precise_measurement_has_the_exact_tail(ratio, value):
    ind = one_report(continuous(LEVELS, sd=ratio), EARLIER)
    weights = np.array([0.3, 0.7])
    per, mixed = ind.model.tail(value, None, weights, 1.0)
    support, obs, log_measure = ind.kind.tail_support(ind, value, 1.0)
    dens = level_predictive(ind, support, ratio)
    want, want_mixed = ind.kind.tails(dens, log_measure, obs, weights)
    np.testing.assert_allclose(per, want, rtol=0, atol=1e-6)
    assert mixed == pytest.approx(want_mixed, abs=1e-6)


def test_without_evidence_a_precise_measurement_is_no_surprise():
    """The review's case: sd a hundredth (and a thousandth) of the level's, nothing reported."""
    weights = np.array([0.5, 0.5])
    for ratio in (0.01, 1e-3):
        q = mixture_question(continuous({"a": (0.0, 1.0), "b": (2.0, 1.0)}, sd=ratio))
        (ind,) = ModelData.build(q, fc.Evidence.from_items([], q)).indicators
        per, _ = ind.model.tail(1.0, None, weights, 1.0)
        # the prior predictive's two-sided tail at one sd (within a cell of the tail's grid)
        np.testing.assert_allclose(per, 2 * special.ndtr(-1 / math.hypot(1, ratio)), atol=5e-4)


RATES = {"a": (20.0, 10.0), "b": (30.0, 10.0)}  # 2 and 3 a day
WINDOW = 1000.0


def count_predictive(ind, y: np.ndarray, y1: float, t: float) -> np.ndarray:
    """``p(y | E, k)`` for ``L(lam) = a Pois(y1; lam t) + (1 - a) g(y1)``, ``(m, K)``."""
    a = RELIABILITY
    log_c = math.log1p(-a) + ind.model.log_noise(np.array([y1]), np.array([t]))[0]

    def log_m(alpha, beta, total, exposure):  # log int Gamma(lam) exp(-lam exposure) lam^total
        return (
            alpha * math.log(beta)
            - special.gammaln(alpha)
            + special.gammaln(alpha + total)
            - (alpha + total) * np.log(beta + exposure)
        )

    out = []
    for alpha, beta in ind.prior:
        log_pois1 = y1 * math.log(t) - special.gammaln(y1 + 1)
        log_pois = y * math.log(t) - special.gammaln(y + 1)
        one = log_m(alpha, beta, y1, t) + log_pois1
        two = log_m(alpha, beta, y1 + y, 2 * t) + log_pois1 + log_pois
        alone = log_m(alpha, beta, y, t) + log_pois
        num = np.logaddexp(math.log(a) + two, log_c + alone)
        den = np.logaddexp(math.log(a) + one, log_c)
        out.append(np.exp(num - den))
    return np.stack(out, axis=1)


@pytest.mark.parametrize("y1", [2900.0])
def test_a_count_over_a_long_window_has_the_exact_predictive(y1):
    ind = one_report(count(RATES), y1, exposure=WINDOW)
    y = np.array([1900.0, 2000.0, 2100.0, 2500.0, 2950.0, 3100.0])
    want = count_predictive(ind, y, y1, WINDOW)
    got = np.exp(ind.model.predictive(y, WINDOW))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
    weights = np.array([0.5, 0.5])
    for value in (2000, 2600, 3100):
        per, mixed = ind.model.tail(value, WINDOW, weights, 1.0)
        support, obs, log_measure = ind.kind.tail_support(ind, float(value), WINDOW)
        dens = count_predictive(ind, support, y1, WINDOW)
        want_per, want_mixed = ind.kind.tails(dens, log_measure, obs, weights)
        np.testing.assert_allclose(per, want_per, rtol=0, atol=1e-6)
        assert mixed == pytest.approx(want_mixed, abs=1e-6)


# --- an item's value swapped (``with_values``, ``report_tail``): the surprise check's path ---
RATIOS = [1.0, 0.1, 0.01, 1e-3, 1e-5]


def reports(indicator, rows):
    q = mixture_question(indicator)
    data = ModelData.build(q, fc.Evidence.from_items(rows, q))
    (ind,) = data.indicators
    return ind, data.prior


def normal_pdf(y, ind, k):
    """The prior predictive of one genuine measurement under scenario ``k``."""
    m, s = ind.prior[k]
    return stats.norm.pdf(y, m, math.hypot(s, ind.spec.sd))


def noise_pdf(y, ind, prior):
    """``g``: the prior predictive averaged over the scenarios by their prior (no ``noise:``)."""
    return sum(prior[k] * normal_pdf(y, ind, k) for k in range(len(ind.prior)))


def swapped_values(ratio):
    """Values near the other report's (at its own scale and beyond) and far from it."""
    return np.array(
        [EARLIER + ratio, EARLIER - 2.5 * ratio, EARLIER + 30 * ratio, 1.0, -0.7, 2.2, 0.31]
    )


@pytest.mark.parametrize("ratio", RATIOS)
def test_a_precise_value_swapped_among_genuine_reports_is_conjugate(ratio):
    """Every reliability 1: ``m(y1, y) = N(y1; m, S) N(y; post, S')`` (Normal-Normal)."""
    rows = [item("r1", "x", EARLIER), item("r2", "x", -0.4)]
    ind, _ = reports(continuous(LEVELS, sd=ratio), rows)
    assert ind.model.reports().genuine == pytest.approx([1.0, 1.0])
    y = swapped_values(ratio)
    want = level_predictive_genuine(ind, y, ratio)  # (m, K): p(y | y1)
    first = np.log([normal_pdf(EARLIER, ind, k) for k in range(2)])
    got = ind.model.with_values(1, y) - first[None, :]
    np.testing.assert_allclose(np.exp(got), want, rtol=1e-6, atol=0)
    weights = np.array([0.3, 0.7])
    per, mixed = ind.model.report_tail(1, weights)
    others = ind.with_items(np.array([True, False]))
    support, obs, log_measure = ind.kind.tail_support(others, -0.4, 1.0)
    want_per, want_mixed = ind.kind.tails(
        level_predictive_genuine(ind, support, ratio), log_measure, obs, weights
    )
    np.testing.assert_allclose(per, want_per, rtol=0, atol=1e-6)
    assert mixed == pytest.approx(want_mixed, abs=1e-6)


def level_predictive_genuine(ind, y, sigma):
    """``p(y | y1 = EARLIER, k)`` of a genuine measurement after a genuine one, ``(m, K)``."""
    out = []
    for m, s in ind.prior:
        post_m = (m * sigma**2 + EARLIER * s**2) / (s**2 + sigma**2)
        post_s = s * sigma / math.hypot(s, sigma)
        out.append(stats.norm.pdf(y, post_m, math.hypot(post_s, sigma)))
    return np.stack(out, axis=1)


@pytest.mark.parametrize("ratio", RATIOS)
def test_one_precise_report_swapped_is_a_mixture_of_two_closed_forms(ratio):
    """One report of reliability rho: ``m(y) = rho N(y; m, S) + (1 - rho) g(y)``."""
    ind, prior = reports(continuous(LEVELS, sd=ratio), [item("r1", "x", EARLIER, weight=0.6)])
    y = np.concatenate([swapped_values(ratio), [EARLIER]])
    g = noise_pdf(y, ind, prior)
    np.testing.assert_allclose(np.exp(ind.model.log_noise(y, np.ones(len(y)))), g, rtol=1e-8)
    want = np.stack([0.6 * normal_pdf(y, ind, k) + 0.4 * g for k in range(2)], axis=1)
    np.testing.assert_allclose(np.exp(ind.model.with_values(0, y)), want, rtol=1e-6, atol=0)
    weights = np.array([0.3, 0.7])
    per, mixed = ind.model.report_tail(0, weights)
    others = ind.with_items(np.array([False]))
    support, obs, log_measure = ind.kind.tail_support(others, EARLIER, 1.0)
    g = noise_pdf(support, ind, prior)
    dens = np.stack([0.6 * normal_pdf(support, ind, k) + 0.4 * g for k in range(2)], axis=1)
    want_per, want_mixed = ind.kind.tails(dens, log_measure, obs, weights)
    np.testing.assert_allclose(per, want_per, rtol=0, atol=1e-6)
    assert mixed == pytest.approx(want_mixed, abs=1e-6)


def log_gamma_poisson(alpha, beta, y, t):
    """``log p(y)`` of a count over ``t`` days, rate ``Gamma(alpha, beta)`` (negative binomial)."""
    return (
        special.gammaln(alpha + y)
        - special.gammaln(alpha)
        - special.gammaln(y + 1)
        + alpha * np.log(beta / (beta + t))
        + y * np.log(t / (beta + t))
    )


@pytest.mark.parametrize("window", [1.0, 1000.0, 100_000.0])
def test_a_long_count_swapped_in_a_shared_event_has_the_exact_marginal(window):
    """Two origins report one event's count (a component): ``L(lam)`` sums over the true count.

    ``Z + a1 (1 - a2) g(y) f(y1) + a2 (1 - a1) g(y1) f(y)`` for a count ``y`` not ``y1``
    (``Z``: both reports false); the count's ``f`` narrows with its window.
    """
    y1 = round(2.4 * window)
    rows = [
        item("r1", "x", y1, weight=0.6, exposure=window, source="one")
        | {"event": "e", "origin": "one"},
        item("r2", "x", y1 + 1, weight=0.7, exposure=window, source="two")
        | {"event": "e", "origin": "two"},
    ]
    ind, _ = reports(count(RATES), rows)
    assert len(ind.model.reports().components) == 1
    a1, a2 = ind.model.reports().genuine
    sd = math.sqrt(2.4 * window)
    y = np.round(y1 + np.array([-40, -3, -1, 1, 2, 5, 40]) * sd)
    y = np.unique(np.clip(y[y != y1], 0, None))
    model = ind.model
    log_g1 = model.log_noise(np.array([float(y1)]), np.array([window]))[0]
    log_g = model.log_noise(y, np.full(len(y), window))
    want = np.stack(
        [
            np.logaddexp(
                np.logaddexp(
                    math.log((1 - a1) * (1 - a2)) + log_g1 + log_g,
                    math.log(a1 * (1 - a2)) + log_g + log_gamma_poisson(al, be, y1, window),
                ),
                math.log(a2 * (1 - a1)) + log_g1 + log_gamma_poisson(al, be, y, window),
            )
            for al, be in ind.prior
        ],
        axis=1,
    )
    np.testing.assert_allclose(model.with_values(1, y), want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("ratio", [3.0, 1.0, 0.3, 0.01])
@pytest.mark.parametrize("value", [-0.4, 2.9, 4.1])
def test_a_measured_values_tail_is_integrated_cell_by_cell_to_the_closed_form(ratio, value):
    """The tail of a measured value is ``int p(y) [p(y) <= p(obs)] dy`` over a grid of
    ``sd / 64``, each cell's density linear and the level set's ends placed inside their
    cells: against the closed form of a Normal predictive (two-sided, ``2 Phi(-|z|)``) and a
    two-Normal mixture's (its level set's ends found by root finding), within 1e-4 (measured:
    at most 9.4e-5, near the peak; 3.2e-7 at a tail of 1%), where the 20,001-point grid summed
    point by point was off by up to 3.5e-4 on these cases."""

    q = mixture_question(continuous(LEVELS, sd=ratio))
    (ind,) = ModelData.build(q, fc.Evidence.from_items([], q)).indicators
    support, obs, log_measure = ind.kind.tail_support(ind, value, 1.0)
    assert obs < 20_001 or ratio == 0.01  # fewer points than before, except where capped
    mean = np.array([m for m, _ in LEVELS.values()])
    sd = np.hypot([s for _, s in LEVELS.values()], ratio)
    dens = stats.norm.pdf(support[:, None], mean, sd)
    weights = np.array([0.3, 0.7])
    per, mixed = ind.kind.tails(dens, log_measure, obs, weights)
    np.testing.assert_allclose(per, 2 * special.ndtr(-np.abs(value - mean) / sd), atol=1e-4)

    tail = _normal_mixture_tail(mean, sd, weights, value, support[0], support[obs - 1])
    assert mixed == pytest.approx(tail, abs=1e-4)


@pytest.mark.parametrize("ratio", [3.0, 1.0, 0.3, 0.01])
@pytest.mark.parametrize("value", [-0.4, 2.9, 4.1])
def test_the_tempered_models_mixed_tail_takes_the_same_cell_rule(ratio, value):
    """The tempered model's predictive is Normal per scenario (its tail closed form); the
    mixture of the scenarios' is integrated by the truth mixture's cell rule on a grid of a
    64th of the narrowest sd: against the level set's ends found by root finding, within
    1e-4 (the 20,001 points summed point by point were off by up to 3.5e-4 on such cases)."""

    q = mixture_question(continuous(LEVELS, sd=ratio))
    (ind,) = ModelData.build(q, fc.Evidence.from_items([], q)).indicators
    weights = np.array([0.3, 0.7])
    per, mixed = ind.kind.tail(ind, value, None, weights)
    mean = np.array([m for m, _ in LEVELS.values()])
    sd = np.hypot([s for _, s in LEVELS.values()], ratio)
    np.testing.assert_allclose(per, 2 * special.ndtr(-np.abs(value - mean) / sd), rtol=1e-12)

    lo, hi = np.min(mean - 12 * sd), np.max(mean + 12 * sd)
    assert mixed == pytest.approx(_normal_mixture_tail(mean, sd, weights, value, lo, hi), abs=1e-4)


def _normal_mixture_tail(mean, sd, weights, value, lo, hi) -> float:
    """``P(p(Y) <= p(value))`` of a mixture of Normals: the level set's ends found by root
    finding between ``lo`` and ``hi``, the mass between them in closed form."""
    from scipy import optimize

    def pdf(y):
        return stats.norm.pdf(y, mean, sd) @ weights

    level = pdf(value)
    xs = np.linspace(lo, hi, 200_001)
    above = pdf(xs[:, None]) > level
    ends = [
        optimize.brentq(lambda y: pdf(y) - level, xs[j], xs[j + 1])
        for j in np.flatnonzero(np.diff(above.astype(int)))
    ]
    inside = sum(
        (stats.norm.cdf(b, mean, sd) - stats.norm.cdf(a, mean, sd)) @ weights
        for a, b in zip(ends[::2], ends[1::2], strict=True)
    )
    return 1 - inside


@pytest.mark.parametrize(
    ("indicator", "values"),
    [
        (count({"a": (2.0, 1.0), "b": (5.0, 2.0)}, per_days=7.0), [3, 0, 7, 2, 4]),
        (binary({"a": (2.0, 5.0), "b": (4.0, 1.5)}), [True, False, True, True, False]),
        (continuous(LEVELS, sd=0.3), [0.2, -0.4, 1.1, 0.45, 0.3]),
    ],
)
def test_few_reports_integrate_in_closed_form_as_the_grid_does(indicator, values):
    """Few reports (at most 64 subsets genuine): the log marginal is the sum over those subsets
    of the kind's conjugate marginal (``Mixture._exact_terms``), for the scenarios' priors and
    for other rows; it must equal the quadrature grid's integral (1e-10), with reports of one
    origin graded by a letter (they stand or fall together) and credibilities of their own."""
    grades = ["C3", "C2", 0.7, "B4", 0.9]
    sources = ["one", "one", "two", "three", "four"]
    rows = []
    for i, (v, g, s) in enumerate(zip(values, grades, sources, strict=True)):
        row = item(f"r{i}", "x", v, weight=g, source=s)
        if indicator["kind"] == "count":
            row["window"] = ["2024-12-01", "2024-12-15"]
        rows.append(row)
    ind, _ = reports(indicator, rows)
    model = ind.model
    assert model._exact_terms is not None
    assert np.any(model.reports().origin_rho < 1)  # an origin block of two reports
    grid = model._integrate(model._with_tails(model.grid[2])[None, :])[0]
    np.testing.assert_allclose(model.log_marginal(), grid, rtol=0, atol=1e-10)
    other = ind.prior * np.array([1.3, 0.8])[None, :]
    grid = model._integrate(model._with_tails(model.grid[2])[None, :], other)[0]
    np.testing.assert_allclose(model.log_marginal(other), grid, rtol=0, atol=1e-10)
