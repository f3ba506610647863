"""The exact engine against closed-form answers, brute-force integration and invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import binary, categorical, count, evidence, item, question, random_model
from hypothesis import HealthCheck, given, settings
from scipy import integrate

import forecasting as fc
from forecasting.engines import exact
from forecasting.model.data import ModelData

SCEN4 = ("s1", "s2", "s3", "s4")


def exact_probability(q, ev):
    return exact.exact_posterior(ModelData.build(q, ev)).probability


# --- closed-form vectors ---------------------------------------------------------------------


def test_issue_test_vector():
    """The vector pinned in the core-engine issue."""
    q = question(
        SCEN4,
        concentration=8,
        indicators={
            "ops": count({"s1": (8, 1), "s2": (4, 1), "s3": (1, 1), "s4": (0.5, 1)}),
            "fact": binary({"s1": (8, 2), "s2": (4, 4), "s3": (2, 6), "s4": (2, 6)}),
        },
    )
    ev = evidence(q, [item("i1", "ops", 5, exposure=1), item("i2", "fact", True)])
    f = fc.forecast(q, ev, as_of="2025-06-01")
    np.testing.assert_allclose(
        f.probabilities.values, [0.563332, 0.398315, 0.028451, 0.009902], atol=5e-7
    )


def test_negative_binomial_by_hand():
    """Count 0 over exposure 2: marginal (b / (b + t))**a = 1/9 vs 1/3, so 1/4 vs 3/4."""
    q = question(indicators={"ops": count({"a": (2, 1), "b": (1, 1)})})
    ev = evidence(q, [item("i", "ops", 0, exposure=2)])
    np.testing.assert_allclose(exact_probability(q, ev), [0.25, 0.75], rtol=1e-12)


def test_window_exposure_uses_per_days():
    """A 60-day window at per_days 30 is exposure 2: the same answer as above."""
    import datetime as dt

    q = question(indicators={"ops": count({"a": (2, 1), "b": (1, 1)}, per_days=30)})
    day = dt.date(2025, 3, 2)  # the report, at the end of its window
    ev = evidence(q, [item("i", "ops", 0, date=day, window=(dt.date(2025, 1, 1), day))])
    assert ev.items[0].exposure == pytest.approx(2.0)
    np.testing.assert_allclose(exact_probability(q, ev), [0.25, 0.75], rtol=1e-12)


def test_tempered_beta_bernoulli_by_hand():
    """w = 0.5 on 'true': B(1.5, 1)/B(1, 1) = 2/3 vs B(1.5, 3)/B(1, 3) = 16/35, so 70/118."""
    q = question(indicators={"fact": binary({"a": (1, 1), "b": (1, 3)})})
    ev = evidence(q, [item("i", "fact", True, weight=0.5)])
    np.testing.assert_allclose(exact_probability(q, ev), [70 / 118, 48 / 118], rtol=1e-12)


def test_dirichlet_categorical_by_hand():
    """One observation of category x: alpha_x / sum(alpha) = 3/4 vs 1/4, prior 0.2 / 0.8."""
    q = question(
        prior=(0.2, 0.8), indicators={"state": categorical(("x", "y"), {"a": (3, 1), "b": (1, 3)})}
    )
    ev = evidence(q, [item("i", "state", "x")])
    p = np.array([0.2 * 0.75, 0.8 * 0.25])
    np.testing.assert_allclose(exact_probability(q, ev), p / p.sum(), rtol=1e-12)


def test_no_evidence_gives_the_prior():
    q = question(
        ("a", "b", "c"),
        prior=(0.5, 0.3, 0.2),
        indicators={"fact": binary({s: (2, 2) for s in "abc"})},
    )
    f = fc.forecast(q, evidence(q, []), as_of="2025-06-01")
    np.testing.assert_allclose(f.probabilities.values, [0.5, 0.3, 0.2], rtol=1e-12)


# --- brute-force numerical integration on random questions ------------------------------------


def brute_log_marginal(q, ev, scenario):
    """log prod_j integral prior(theta) prod_i f(y_i | theta)^w_i, item by item, by quadrature.

    The densities are written out with ``math`` (independently of the library's code, and fast
    enough for adaptive quadrature in two dimensions).
    """
    total = 0.0
    k = q.scenario_ids.index(scenario)
    for name, spec in q.indicators.items():
        its = [it for it in ev.items if it.indicator == name]
        if spec.kind == "count":
            a, b = spec.rate[scenario].params
            c = a * math.log(b) - math.lgamma(a)
            obs = [(it.weight, it.value, it.exposure, math.lgamma(it.value + 1)) for it in its]

            def f(lam, c=c, a=a, b=b, obs=obs):
                log = c + (a - 1) * math.log(lam) - b * lam
                for w, y, t, lgy in obs:  # w * log Poisson(y | lam t)
                    log += w * (y * math.log(lam * t) - lam * t - lgy)
                return math.exp(log)

            val = integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-11, limit=200)[0]
        elif spec.kind == "binary":
            a, b = spec.probability[scenario].params
            c = -(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
            ones = sum(it.weight for it in its if it.value)
            zeros = sum(it.weight for it in its if not it.value)

            def f(p, c=c, a=a, b=b, ones=ones, zeros=zeros):
                return math.exp(c + (a - 1 + ones) * math.log(p) + (b - 1 + zeros) * math.log1p(-p))

            val = integrate.quad(f, 0, 1, epsabs=0, epsrel=1e-11, limit=200)[0]
        elif spec.kind == "continuous":
            m, s = spec.mean[scenario].params
            sd = spec.sd
            obs = [(it.weight, it.value) for it in its]
            c = -0.5 * math.log(2 * math.pi) - math.log(s)
            c_obs = -0.5 * math.log(2 * math.pi) - math.log(sd)

            def f(mu, c=c, c_obs=c_obs, m=m, s=s, sd=sd, obs=obs):
                log = c - 0.5 * ((mu - m) / s) ** 2
                for w, y in obs:  # w * log Normal(y | mu, sd)
                    log += w * (c_obs - 0.5 * ((y - mu) / sd) ** 2)
                return math.exp(log)

            val = integrate.quad(f, -np.inf, np.inf, epsabs=0, epsrel=1e-11, limit=200)[0]
        else:
            alpha = spec.prior_params(q.scenario_ids)[k]
            cats = spec.categories
            counts = [sum(it.weight for it in its if it.value == cat) for cat in cats]
            c = math.lgamma(float(alpha.sum())) - sum(math.lgamma(float(x)) for x in alpha)
            power = [float(x) - 1 + n for x, n in zip(alpha, counts, strict=True)]
            if len(cats) == 2:

                def f(t, c=c, power=power):
                    return math.exp(c + power[0] * math.log(t) + power[1] * math.log1p(-t))

                val = integrate.quad(f, 0, 1, epsabs=0, epsrel=1e-11, limit=200)[0]
            else:

                def f(t2, t1, c=c, power=power):
                    t3 = max(1 - t1 - t2, 1e-300)
                    return math.exp(
                        c
                        + power[0] * math.log(t1)
                        + power[1] * math.log(t2)
                        + power[2] * math.log(t3)
                    )

                val = integrate.dblquad(f, 0, 1, 0, lambda t1: 1 - t1, epsabs=0, epsrel=1e-8)[0]
        total += math.log(val)
    return total


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_model())
def test_exact_matches_brute_force_integration(model):
    q, ev = model
    log_post = np.array(
        [
            math.log(p) + brute_log_marginal(q, ev, s)
            for s, p in zip(q.scenario_ids, q.prior, strict=False)
        ]
    )
    brute = np.exp(log_post - log_post.max())
    brute /= brute.sum()
    np.testing.assert_allclose(exact_probability(q, ev), brute, rtol=1e-6, atol=1e-9)


# --- invariances ------------------------------------------------------------------------------


@pytest.fixture
def mixed():
    q = question(
        ("a", "b", "c"),
        prior=(0.5, 0.3, 0.2),
        concentration=6,
        indicators={
            "ops": count({"a": (6, 2), "b": (3, 2), "c": (1, 2)}),
            "fact": binary({"a": (6, 2), "b": (3, 3), "c": (2, 5)}),
            "state": categorical(("x", "y", "z"), {"a": (4, 2, 1), "b": (2, 3, 2), "c": (1, 2, 4)}),
        },
    )
    items = [
        item("o1", "ops", 4, exposure=1.5, weight=0.8),
        item("o2", "ops", 1, exposure=1.0, weight=0.6),
        item("f1", "fact", True, weight=0.64),
        item("f2", "fact", False, weight=0.36),
        item("s1", "state", "x", weight=0.8),
        item("s2", "state", "z", weight=0.5),
    ]
    return q, items


def test_zero_weight_item_changes_nothing(mixed):
    q, items = mixed
    base = exact_probability(q, evidence(q, items))
    extra = items + [
        item("zero", "fact", False, weight=0.0),
        item("zero2", "ops", 50, exposure=0.1, weight=0.0),
    ]
    np.testing.assert_allclose(exact_probability(q, evidence(q, extra)), base, rtol=1e-13)


def test_two_half_weight_items_equal_one_full(mixed):
    q, items = mixed
    one = items + [item("x", "state", "y", weight=1.0), item("c", "ops", 3, exposure=2.0)]
    two = items + [
        item("x1", "state", "y", weight=0.5),
        item("x2", "state", "y", weight=0.5),
        item("c1", "ops", 3, exposure=2.0, weight=0.5),
        item("c2", "ops", 3, exposure=2.0, weight=0.5),
    ]
    np.testing.assert_allclose(
        exact_probability(q, evidence(q, two)), exact_probability(q, evidence(q, one)), rtol=1e-12
    )


def test_items_share_the_indicator_parameter(mixed):
    """Two identical items are not twice one item's evidence squared: theta is shared."""
    q, _ = mixed
    one = exact_probability(q, evidence(q, [item("f", "fact", True)]))
    two = exact_probability(q, evidence(q, [item("f", "fact", True), item("g", "fact", True)]))
    # independent fresh parameters would multiply the Bayes factor by itself
    independent = np.array(q.prior) * (one / np.array(q.prior)) ** 2
    independent /= independent.sum()
    assert not np.allclose(two, independent, rtol=1e-3)
    # the shared-parameter answer: Beta-Bernoulli with two successes
    a = q.indicators["fact"].prior_params(q.scenario_ids)
    m = a[:, 0] * (a[:, 0] + 1) / ((a.sum(1)) * (a.sum(1) + 1))
    expected = np.array(q.prior) * m
    np.testing.assert_allclose(two, expected / expected.sum(), rtol=1e-12)


def test_item_order_and_file_split_do_not_matter(mixed, tmp_path):
    import yaml

    q, items = mixed
    base = exact_probability(q, evidence(q, items))
    rev = exact_probability(q, evidence(q, items[::-1]))
    np.testing.assert_allclose(rev, base, rtol=1e-13)
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    for k, chunk in enumerate([items[:2], items[2:5], items[5:]]):
        rows = [dict(r, date=r["date"].isoformat()) for r in chunk]
        (ledger / f"part{k}.yaml").write_text(yaml.safe_dump(rows))
    loaded = fc.load_evidence(ledger, q)
    np.testing.assert_allclose(exact_probability(q, loaded), base, rtol=1e-13)
    assert loaded.sha256() == evidence(q, items).sha256()


def test_relabelling_scenarios_permutes_the_answer(mixed):
    q, items = mixed
    base = exact_probability(q, evidence(q, items))
    body = q.to_dict()
    order = ["c", "a", "b"]
    body["scenarios"] = {s: body["scenarios"][s] for s in order}
    q2 = fc.Question.model_validate(body)
    np.testing.assert_allclose(
        exact_probability(q2, evidence(q2, items)), base[[2, 0, 1]], rtol=1e-13
    )


def test_probabilities_sum_to_one(mixed):
    q, items = mixed
    f = fc.forecast(q, evidence(q, items), as_of="2025-06-01")
    assert abs(f.probabilities.values.sum() - 1.0) < 1e-12


# --- the draws behind the interval ------------------------------------------------------------


def test_draws_are_from_the_joint_posterior(mixed):
    """Mean of the conditional equals the exact value; E[pi | E] = (c prior + P) / (c + 1)."""
    q, items = mixed
    f = fc.forecast(q, evidence(q, items), as_of="2025-06-01", draws=40_000, seed=3)
    rb = f.tree["posterior"]["scenario_probability"].values.reshape(-1, 3)
    se = rb.std(0) / math.sqrt(len(rb))
    assert np.all(np.abs(rb.mean(0) - f.probabilities.values) < 4 * se)
    pi = f.tree["posterior"]["pi"].values.reshape(-1, 3)
    expected_pi = (q.concentration * q.prior + f.probabilities.values) / (q.concentration + 1)
    se_pi = pi.std(0) / math.sqrt(len(pi))
    assert np.all(np.abs(pi.mean(0) - expected_pi) < 4 * se_pi)
    lo, hi = f.interval_if_parameters_known.values.T
    assert np.all(lo <= f.probabilities.values) and np.all(f.probabilities.values <= hi)


def test_same_seed_same_forecast(mixed):
    q, items = mixed
    ev = evidence(q, items)
    a = fc.forecast(q, ev, as_of="2025-06-01", seed=11)
    b = fc.forecast(q, ev, as_of="2025-06-01", seed=11)
    c = fc.forecast(q, ev, as_of="2025-06-01", seed=12)
    assert a.to_json() == b.to_json()
    assert a.to_json() != c.to_json()
    np.testing.assert_array_equal(a.probabilities.values, c.probabilities.values)


def test_a_ledger_split_across_files_reads_as_one_and_reports_every_file(mixed, tmp_path):
    import yaml

    q, items = mixed
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    for k, chunk in enumerate([items[:2], items[2:5], items[5:]]):
        rows = [dict(r, date=r["date"].isoformat()) for r in chunk]
        (ledger / f"part{k}.yaml").write_text(yaml.safe_dump(rows))
    split = fc.load_evidence(ledger, q)
    assert [it.id for it in split.items] == [r["id"] for r in items]
    assert split.sha256() == fc.Evidence.from_items(items, q).sha256()
    (ledger / "part1.yaml").write_text("- id: x\n  indicator: nope\n")
    (ledger / "part2.yaml").write_text("- id: y\n  indicator: fact\n  value: 3\n")
    with pytest.raises(fc.InputError) as err:
        fc.load_evidence(ledger, q)
    files = {p.file.rsplit("/", 1)[-1] for p in err.value.problems}
    assert files == {"part1.yaml", "part2.yaml"}


def test_a_forecast_read_for_its_table_makes_no_draws_and_the_same_ones_when_asked(monkeypatch):
    """The exact engine's draws wait until something asks for them, and are the eager ones."""
    from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION

    from forecasting.api import DEFAULT_SEED
    from forecasting.inputs.resolve import resolve_inputs
    from forecasting.presentation.tables import format_table

    made = []
    real = exact.draw_joint
    monkeypatch.setattr(exact, "draw_joint", lambda *a: made.append(1) or real(*a))
    f = fc.forecast(BUNDLED_QUESTION, BUNDLED_EVIDENCE, as_of="2025-10-27")
    format_table(f)
    assert f.warnings == [] and f.to_dict()["scenarios"][0]["responsiveness"] is not None
    assert made == [1]  # to_dict's diagnostics hold the draws' Rao-Blackwell check
    diagnostics = f.diagnostics
    assert made == [1] and "rao_blackwell_max_z" in diagnostics
    assert "posterior" not in f._tree.children  # the whole tree not built for them

    question, used, _ = resolve_inputs(BUNDLED_QUESTION, BUNDLED_EVIDENCE, "2025-10-27")
    eager = exact.run(ModelData.build(question, used), seed=DEFAULT_SEED)
    tree = f.tree
    assert made == [1, 1]  # the eager run's own
    np.testing.assert_array_equal(
        tree["posterior"]["scenario_probability"].values, eager.posterior["scenario_probability"]
    )
    assert f.diagnostics == {**eager.diagnostics, "warnings": []}
    assert f.interval_if_parameters_known.shape == (4, 2)


@pytest.mark.parametrize("dynamic", [False, True])
def test_the_table_alone_draws_nothing(monkeypatch, dynamic):
    from builders import BUNDLED_EVIDENCE, BUNDLED_FILE, BUNDLED_QUESTION

    from forecasting.model import dynamics
    from forecasting.presentation.tables import format_table

    made = []
    monkeypatch.setattr(exact, "draw_joint", lambda *a: made.append(1))
    monkeypatch.setattr(dynamics, "draws", lambda *a: made.append(1))
    question = BUNDLED_FILE if dynamic else BUNDLED_QUESTION
    f = fc.forecast(question, BUNDLED_EVIDENCE, as_of="2025-10-27")
    assert "Syria formally joins" in format_table(f) and f.warnings == []
    assert made == [] and (f.now is not None) == dynamic
