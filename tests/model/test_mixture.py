"""The truth-mixture reliability model against closed forms, brute force and its promises."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from builders import binary, categorical, continuous, count, item, question, random_model
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import forecasting as fc
from forecasting.model.data import ModelData

LETTERS = "ABCDEF"
DIGITS = "123456"


def mixture_question(q: fc.Question, **extra) -> fc.Question:
    return fc.Question.model_validate(q.to_dict() | {"reliability_model": "mixture"} | extra)


@st.composite
def mixture_model(draw):
    """A random question under the mixture model, with origins, codes, relays and events."""
    q, ev = draw(random_model())
    origins = ["MEI", "ministry", "eyewitness"]
    letter = {o: draw(st.sampled_from(LETTERS)) for o in origins}
    outlets = ["Enab Baladi", "Levant24", "Reuters"]
    relays = {o: draw(st.floats(0.3, 1.0)) for o in outlets}
    q = mixture_question(q, relays=relays)
    rows, n_event = [], 0
    for it in ev.items:
        row = it.to_dict()
        origin = draw(st.sampled_from(origins))
        row["origin"] = origin
        row["reliability"] = letter[origin] + draw(st.sampled_from(DIGITS))
        if draw(st.booleans()):
            row["via"] = draw(st.lists(st.sampled_from(outlets), min_size=1, max_size=2))
        rows.append(row)
    # reports of one event by other origins (discrete kinds), possibly disagreeing
    for row in list(rows):
        if q.indicators[row["indicator"]].kind == "continuous" or not draw(st.booleans()):
            continue
        event = f"event-{n_event}"
        n_event += 1
        row["event"] = event
        other = dict(row, id=row["id"] + "-other", event=event)
        other["origin"] = draw(st.sampled_from([o for o in origins if o != row["origin"]]))
        other["reliability"] = letter[other["origin"]] + draw(st.sampled_from(DIGITS))
        if draw(st.booleans()):  # a different value
            kind = q.indicators[row["indicator"]].kind
            if kind == "binary":
                other["value"] = not row["value"]
            elif kind == "count":
                other["value"] = row["value"] + 1
            else:
                cats = q.indicators[row["indicator"]].categories
                other["value"] = cats[(cats.index(row["value"]) + 1) % len(cats)]
            if other["reliability"] == "A1" and row["reliability"] == "A1":
                other["reliability"] = "A2"  # two certain reports cannot disagree
        rows.append(other)
    return q, fc.Evidence.from_items(rows, q)


def marginals(q, ev) -> np.ndarray:
    return ModelData.build(q, ev).log_marginals()


# --- closed forms ------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(random_model())
def test_reliability_one_everywhere_reproduces_the_closed_form(model):
    q, ev = model
    confirmed = [it.to_dict() | {"reliability": 1.0} for it in ev.items]
    tempered = marginals(q, fc.Evidence.from_items(confirmed, q))
    mq = mixture_question(q)
    mixture = marginals(mq, fc.Evidence.from_items(confirmed, mq))
    np.testing.assert_allclose(mixture, tempered, rtol=0, atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(random_model())
def test_reliability_zero_is_no_evidence(model):
    q, ev = model
    mq = mixture_question(q)
    rows = [it.to_dict() | {"reliability": 0.0} for it in ev.items]
    lm = marginals(mq, fc.Evidence.from_items(rows, mq))
    np.testing.assert_allclose(lm - lm[:, :1], 0.0, atol=1e-10)
    f = fc.forecast(mq, fc.Evidence.from_items(rows, mq), draws=200)
    np.testing.assert_allclose(f.probabilities.values, mq.prior, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(mixture_model(), st.floats(0.0, 1.0), st.integers(0, 6))
def test_one_more_report_is_a_mixture_of_predictive_and_noise(model, rho, value):
    """Exactly: ``m_k(E + y) / m_k(E) = rho p(y | E, k) + (1 - rho) g(y)`` for a new origin."""
    q, ev = model
    data = ModelData.build(q, ev)
    for ind in data.indicators:
        outcomes = np.array([float(value % 2 if ind.kind.name != "count" else value)])
        if ind.kind.name == "categorical":
            outcomes = np.array([float(value % len(ind.spec.categories))])
        if ind.kind.name == "continuous":
            outcomes = np.array([value - 3.0])
        model_ = ind.model
        with_it = model_.with_outcomes(outcomes, rho, 1.0)[0] - model_.log_marginal()
        pred = model_.predictive(outcomes, 1.0)[0]
        log_g = model_.log_noise(outcomes, np.ones(1))[0]
        expected = np.logaddexp(np.log(rho) + pred if rho > 0 else -np.inf, np.log1p(-rho) + log_g)
        np.testing.assert_allclose(with_it, expected, rtol=0, atol=1e-9)


# --- brute force: the generative story, state by state -----------------------------------------


def brute_likelihood(theta: np.ndarray, reports: list[dict], f, values: list) -> np.ndarray:
    """``L(theta)`` by summing over every origin's and report's genuineness and true values."""
    origins = sorted({r["origin"] for r in reports})
    events = sorted({r["event"] for r in reports})
    total = 0.0
    for g_o in itertools.product((0, 1), repeat=len(origins)):
        w_o = math.prod(
            (r_o if s else 1 - r_o)
            for s, r_o in zip(
                g_o,
                [next(r["rho_o"] for r in reports if r["origin"] == o) for o in origins],
                strict=True,
            )
        )
        for g_r in itertools.product((0, 1), repeat=len(reports)):
            w = w_o * math.prod(
                (r["rho"] if s else 1 - r["rho"]) for s, r in zip(g_r, reports, strict=True)
            )
            if w == 0:
                continue
            p = np.ones_like(theta)
            for e in events:
                members = [
                    (r, s and g_o[origins.index(r["origin"])])
                    for r, s in zip(reports, g_r, strict=True)
                    if r["event"] == e
                ]
                # sum over the event's true value y
                p_e = np.zeros_like(theta)
                expo = members[0][0].get("exposure", 1.0)
                for y in values:
                    term = np.asarray(f(y, theta * expo), dtype=float)
                    for r, genuine in members:
                        term *= (r["value"] == y) if genuine else r["g"]
                    p_e += term
                p *= p_e
            total += w * p
    return total


def composite(func, a: float, b: float, panels: int = 400, points: int = 20) -> float:
    """``int_a^b func`` by composite Gauss-Legendre (``func`` takes an array)."""
    x, w = np.polynomial.legendre.leggauss(points)
    edges = np.linspace(a, b, panels + 1)
    half = np.diff(edges)[:, None] / 2
    nodes = (edges[:-1, None] + edges[1:, None]) / 2 + half * x[None, :]
    return float(np.sum(func(nodes.ravel()) * (half * w[None, :]).ravel()))


def test_brute_force_agrees_on_origins_events_and_disagreement():
    """Binary and count indicators; shared origins; an event two origins report differently."""
    q = mixture_question(
        question(
            ("a", "b"),
            prior=(0.6, 0.4),
            indicators={
                "fact": binary({"a": (4.0, 2.0), "b": (1.5, 3.0)}),
                "ops": count({"a": (3.0, 1.0), "b": (1.0, 1.0)}),
            },
        ),
        relays={"Enab Baladi": 0.7, "Levant24": 0.6},
    )
    rows = [
        item("f1", "fact", True) | {"origin": "MEI", "reliability": "B2", "event": "e1"},
        item("f2", "fact", False) | {"origin": "ministry", "reliability": "C3", "event": "e1"},
        item("f3", "fact", True) | {"origin": "MEI", "reliability": "B3"},
        item("f4", "fact", True)
        | {"origin": "eyewitness", "reliability": "D2", "via": ["Levant24"]},
        # two relays of one origin's report: one report
        item("f5", "fact", False)
        | {"origin": "eyewitness", "reliability": "D2", "event": "e2", "via": ["Enab Baladi"]},
        item("f6", "fact", False)
        | {"origin": "eyewitness", "reliability": "D2", "event": "e2", "via": ["Levant24"]},
        item("o1", "ops", 3, exposure=1.0) | {"origin": "MEI", "reliability": "B2", "event": "e3"},
        item("o2", "ops", 2, exposure=1.0)
        | {"origin": "ministry", "reliability": "C2", "event": "e3"},
        item("o3", "ops", 0, exposure=2.0) | {"origin": "ministry", "reliability": "C4"},
    ]
    ev = fc.Evidence.from_items(rows, q)
    data = ModelData.build(q, ev)
    for ind in data.indicators:
        model = ind.model
        rep = model.reports()
        reports = [
            {
                "value": rep.value[r],
                "origin": int(rep.origin[r]),
                "event": int(rep.event[r]),
                "rho": rep.genuine[r],
                "rho_o": rep.origin_rho[rep.origin[r]],
                "g": math.exp(rep.log_noise[r]),
            }
            for r in range(rep.n_reports)
        ]
        if ind.id == "fact":
            assert rep.n_reports == 5  # f5 and f6 are one report
            merged = reports[-1]
            assert merged["rho"] == pytest.approx(0.8 * (1 - 0.3 * 0.4))

            def f(y, p):
                return p if y == 1.0 else 1 - p

            values = [0.0, 1.0]
            for k in range(2):
                a, b = ind.prior[k]

                def integrand(p, a=a, b=b, reports=reports, values=values):
                    return stats.beta.pdf(p, a, b) * brute_likelihood(p, reports, f, values)

                expect = math.log(composite(integrand, 0.0, 1.0))
                assert model.log_marginal()[k] == pytest.approx(expect, abs=1e-8)
        else:
            for r, report in enumerate(reports):
                report["exposure"] = rep.exposure[r]

            def f_count(y, lam):
                return stats.poisson.pmf(y, lam)

            for k in range(2):
                a, b = ind.prior[k]

                def integrand(lam, a=a, b=b, reports=reports):
                    lik = brute_likelihood(lam, reports, f_count, list(np.arange(0.0, 80.0)))
                    return stats.gamma.pdf(lam, a, scale=1 / b) * lik

                expect = math.log(composite(integrand, 0.0, 60.0, panels=600))
                assert model.log_marginal()[k] == pytest.approx(expect, abs=1e-8)


def test_categorical_integral_is_exact_against_monte_carlo():
    q = mixture_question(
        question(
            ("a", "b"),
            indicators={
                "tone": categorical(("calm", "tense", "hostile"), {"a": (4, 2, 1), "b": (1, 2, 3)})
            },
        )
    )
    rows = [
        item("t1", "tone", "calm") | {"origin": "MEI", "reliability": "B2", "event": "e"},
        item("t2", "tone", "tense") | {"origin": "ministry", "reliability": "C3", "event": "e"},
        item("t3", "tone", "hostile") | {"origin": "MEI", "reliability": "B4"},
        item("t4", "tone", "calm") | {"origin": "eyewitness", "reliability": "E5"},
    ]
    ev = fc.Evidence.from_items(rows, q)
    (ind,) = ModelData.build(q, ev).indicators
    rng = np.random.default_rng(1)
    for k in range(2):
        theta = rng.dirichlet(ind.prior[k], size=400_000)
        lik = np.exp(ind.model.log_lik(theta[:, None, :])[:, 0])
        mean, se = lik.mean(), lik.std() / math.sqrt(len(lik))
        assert abs(math.exp(ind.model.log_marginal()[k]) - mean) < 5 * se


# --- what the model promises -------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(mixture_model())
def test_no_report_moves_a_bayes_factor_beyond_its_reliability(model):
    """Leaving a report out changes any scenario's odds by at most what its genuineness allows.

    Adding report ``r`` multiplies ``L`` by a factor between ``(1 - rho_r) g`` and
    ``max(rho_r f_max + (1 - rho_r) g, g)``; ``f_max = 1`` for counts, yes/no and categories.
    """
    q, ev = model
    data = ModelData.build(q, ev)
    for ind in data.indicators:
        if ind.kind.name == "continuous" or not len(ind.item_ids):
            continue
        rep = ind.model.reports()
        loo = ind.model.loo()
        full = ind.model.log_marginal()
        for i, item_id in enumerate(ind.item_ids):
            r = rep.item_report[i]
            if ind.item_events[i] is not None or np.sum(rep.item_report == r) > 1:
                continue  # a report of a shared event or with relayed copies: not one factor
            rho, g = rep.genuine[r], math.exp(rep.log_noise[r])
            if rho >= 1:
                continue
            bound = math.log(max(rho + (1 - rho) * g, g) / ((1 - rho) * g))
            log_bf = (full - loo[i])[:, None] - (full - loo[i])[None, :]
            assert np.max(log_bf) <= bound + 1e-9, item_id


def test_relays_of_one_report_equal_one_report_with_combined_relays():
    base = question(("a", "b"), indicators={"fact": binary({"a": (5, 2), "b": (2, 5)})})
    relays = {"A": 0.5, "B": 0.6, "C": 0.7}
    q = mixture_question(base, relays=relays | {"ABC": 1 - 0.5 * 0.4 * 0.3})
    copies = [
        item(f"c{n}", "fact", True)
        | {"origin": "MEI", "reliability": "B2", "event": "e", "via": [outlet]}
        for n, outlet in enumerate("ABC")
    ]
    one = [item("one", "fact", True) | {"origin": "MEI", "reliability": "B2", "via": ["ABC"]}]
    a = marginals(q, fc.Evidence.from_items(copies, q))
    b = marginals(q, fc.Evidence.from_items(one, q))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    # under the tempered model the three copies counted three times
    t = marginals(base, fc.Evidence.from_items(copies, base))
    t1 = marginals(base, fc.Evidence.from_items(copies[:1], base))
    assert np.ptp(t) > 2.5 * np.ptp(t1)


def test_two_independent_origins_move_the_answer_more_than_one():
    q = mixture_question(
        question(("a", "b"), indicators={"fact": binary({"a": (6, 2), "b": (2, 6)})})
    )
    one = [item("x", "fact", True) | {"origin": "MEI", "reliability": "B2", "event": "e"}]
    two = one + [item("y", "fact", True) | {"origin": "Reuters", "reliability": "B2", "event": "e"}]
    p1 = fc.forecast(q, fc.Evidence.from_items(one, q), draws=200).probabilities.values[0]
    p2 = fc.forecast(q, fc.Evidence.from_items(two, q), draws=200).probabilities.values[0]
    assert 0.5 < p1 < p2
    # corroboration of one fact is bounded by the fact itself (both reports certainly genuine)
    sure = [dict(r, reliability=1.0) for r in two]
    p_sure = fc.forecast(q, fc.Evidence.from_items(sure, q), draws=200).probabilities.values[0]
    assert p2 < p_sure
    assert p_sure == pytest.approx(
        fc.forecast(q, fc.Evidence.from_items(sure[:1], q), draws=200).probabilities.values[0]
    )


@settings(max_examples=20, deadline=None)
@given(mixture_model(), st.randoms(use_true_random=False))
def test_item_order_and_file_split_do_not_matter(model, rnd):
    q, ev = model
    items = list(ev.items)
    rnd.shuffle(items)
    shuffled = replace(ev, items=tuple(items))
    np.testing.assert_allclose(marginals(q, shuffled), marginals(q, ev), rtol=0, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(mixture_model())
def test_item_shares_add_up_to_the_likelihood(model):
    q, ev = model
    data = ModelData.build(q, ev)
    rng = np.random.default_rng(0)
    for ind in data.indicators:
        theta = ind.kind.draw(ind.prior, rng, 7)
        np.testing.assert_allclose(
            ind.model.item_log_lik(theta).sum(axis=-1), ind.model.log_lik(theta), atol=1e-9
        )


@settings(max_examples=15, deadline=None)
@given(mixture_model())
def test_posterior_draws_follow_the_posterior(model):
    """The drawn scenario's parameter has the posterior mean ``E[theta L] / E[L]``."""
    q, ev = model
    data = ModelData.build(q, ev)
    rng = np.random.default_rng(3)
    for ind in data.indicators:
        if not len(ind.item_ids):
            continue
        n = 20_000
        theta = ind.model.draw(np.zeros(n, dtype=int), rng)[:, 0]
        prior = ind.kind.draw(ind.prior, rng, 200_000)[:, 0]
        w = np.exp(
            ind.model.log_lik(prior[:, None] if prior.ndim == 1 else prior[:, None, :])[:, 0]
        )
        expect = np.sum(w[:, None] * prior.reshape(len(prior), -1), axis=0) / w.sum()
        got = theta.reshape(n, -1).mean(axis=0)
        spread = theta.reshape(n, -1).std(axis=0) + 1e-9
        assert np.all(np.abs(got - expect) < 6 * spread / math.sqrt(n) + 0.02 * spread), ind.id


def test_bad_mixture_ledgers_are_located(tmp_path):
    q = mixture_question(
        question(
            ("a", "b"),
            indicators={
                "fact": binary({"a": (5, 2), "b": (2, 5)}),
                "level": {
                    "kind": "continuous",
                    "description": "d",
                    "sd": 1.0,
                    "mean": {"a": {"mean": 0, "sd": 1}, "b": {"mean": 1, "sd": 1}},
                },
            },
        )
    )
    path = tmp_path / "x.yaml"
    path.write_text(
        "- {id: a, indicator: fact, value: true, date: 2025-01-01, source: s, origin: MEI,"
        " reliability: B2}\n"
        "- {id: b, indicator: fact, value: true, date: 2025-01-01, source: s, origin: MEI,"
        " reliability: C2}\n"
        "- {id: c, indicator: level, value: 1.5, date: 2025-01-01, source: s, origin: X,"
        " event: m}\n"
        "- {id: d, indicator: level, value: 1.5, date: 2025-01-01, source: s, origin: Y,"
        " event: m}\n"
        "- {id: e, indicator: fact, value: true, date: 2025-01-01, source: s, origin: Z,"
        " event: f}\n"
        "- {id: f, indicator: fact, value: false, date: 2025-01-01, source: t, origin: Z,"
        " event: f}\n"
    )
    with pytest.raises(fc.InputError) as err:
        fc.load_evidence(path, q)
    found = {(p.line, p.field): p.message for p in err.value.problems}
    assert "origin 'MEI' is graded C here but B at" in found[(2, "reliability")]
    assert "several origins' measurements of one event" in found[(4, "event")]
    assert "'Z' reports event 'f' as False here but as True" in found[(6, "value")]


def test_certain_reports_of_one_event_may_not_disagree(tmp_path):
    q = mixture_question(
        question(("a", "b"), indicators={"fact": binary({"a": (5, 2), "b": (2, 5)})})
    )
    rows = [
        item("x", "fact", True) | {"origin": "MEI", "reliability": "A1", "event": "e"},
        item("y", "fact", False) | {"origin": "Reuters", "reliability": 1.0, "event": "e"},
    ]
    with pytest.raises(fc.InputError, match="at most one of them can be right"):
        fc.Evidence.from_items(rows, q)
    rows[1]["reliability"] = 0.9
    fc.Evidence.from_items(rows, q)


def two_facts():
    """A two-scenario question of two yes/no indicators under the truth mixture."""
    fact = binary({"a": (5, 2), "b": (2, 5)})
    return mixture_question(question(("a", "b"), indicators={"fact": fact, "other": fact}))


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_an_origin_graded_by_a_letter_and_by_a_number_is_refused_in_either_order(order):
    """Its reliability would otherwise come from whichever item came last (file order)."""
    q = mixture_question(
        question(("a", "b"), indicators={"fact": binary({"a": (5, 2), "b": (2, 5)})})
    )
    rows = [
        item("x1", "fact", True) | {"origin": "Agency O", "reliability": "B2"},
        item("x2", "fact", True) | {"origin": "Agency O", "reliability": 0.5},
    ]
    with pytest.raises(fc.InputError) as err:
        fc.Evidence.from_items([rows[i] for i in order], q)
    (problem,) = err.value.problems
    assert problem.field == "reliability" and "'Agency O'" in problem.message
    assert "by a number" in problem.message and "letter" in problem.message
    # numbers for all of its reports, or one letter for all: accepted
    fc.Evidence.from_items([rows[0], rows[1] | {"reliability": "B3"}], q)
    fc.Evidence.from_items([rows[0] | {"reliability": 0.9}, rows[1]], q)
    # and a letter on one indicator, a number on another: its reliability is one number per
    # indicator (each indicator's block of its reports), so neither order matters
    two = two_facts()
    apart = [rows[0], rows[1] | {"indicator": "other"}]
    one = fc.forecast(two, fc.Evidence.from_items(apart, two), draws=100)
    other = fc.forecast(two, fc.Evidence.from_items(apart[::-1], two), draws=100)
    np.testing.assert_allclose(one.probabilities.values, other.probabilities.values, rtol=1e-12)


def test_events_linking_more_origins_than_the_mixture_sums_over_are_a_located_error(tmp_path):
    """13 origins reporting one event (or a chain of events linking 13) are refused when the
    ledger is read, never by the engine; 12 are forecast; each indicator links apart."""
    from forecasting.core.constants import MAX_LINKED_ORIGINS

    q = two_facts()

    def one_event(n: int, indicator: str = "fact") -> list[dict]:
        return [
            item(f"{indicator}{i}", indicator, True)
            | {"origin": f"Agency {i}", "reliability": "C3", "event": f"big-{indicator}"}
            for i in range(n)
        ]

    ev = fc.Evidence.from_items(one_event(MAX_LINKED_ORIGINS), q)
    assert fc.forecast(q, ev, draws=100).probabilities.values[0] > 0.5
    # the same origins on two indicators: two components of 12, not one of 12 linked twice
    fc.Evidence.from_items(one_event(12) + one_event(12, "other"), q)
    path = tmp_path / "l.yaml"
    path.write_text(
        "\n".join(
            # a chain: origin j reports events j and j + 1, the next origin j + 1 and j + 2
            f"- {{id: m{i}, indicator: fact, value: true, date: 2025-01-01, source: Agency"
            f" {i // 2}, reliability: C3, event: e{i // 2 + i % 2}}}"
            for i in range(2 * MAX_LINKED_ORIGINS + 2)
        )
        + "\n"
    )
    with pytest.raises(fc.InputError) as err:
        fc.load_evidence(path, q)
    (problem,) = err.value.problems
    assert problem.file.endswith("l.yaml") and problem.field == "event"
    assert f"links at most {MAX_LINKED_ORIGINS}" in problem.message
    assert problem.line == 2 * MAX_LINKED_ORIGINS + 1  # the 13th origin's first report
    with pytest.raises(fc.InputError, match="12 others through shared events"):
        fc.Evidence.from_items(one_event(MAX_LINKED_ORIGINS + 1), q)


def _copy_warnings(rows, q) -> list[str]:
    """The likely-copy warnings reading ``rows`` under ``q`` gives."""
    import warnings

    from forecasting.core.errors import LikelyCopyWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fc.Evidence.from_items(rows, q)
    return [str(w.message) for w in caught if issubclass(w.category, LikelyCopyWarning)]


def test_many_origins_counting_one_window_are_named_up_to_a_limit():
    """20 pairs of origins named per indicator, then one warning counting the windows more
    origins share: the scale benchmark's 1,000 origins made millions of pairs (6 s)."""
    from forecasting.inputs.cross_checks import MAX_WINDOW_PAIRS

    q = mixture_question(
        question(("a", "b"), indicators={"ops": count({"a": (2, 1), "b": (6, 1)})})
    )
    windows = [("2024-11-01", "2024-11-30"), ("2024-12-01", "2024-12-31")]
    rows = [
        item(f"o{k}w{w}", "ops", 1, window=win) | {"origin": f"monitor {k}", "reliability": "C2"}
        for w, win in enumerate(windows)
        for k in range(10)
    ]
    notes = _copy_warnings(rows, q)
    # the first window's pairs until 20 are named (origin 7 brings the 21st), one more for
    # the second window, which monitors 0 and 1 share first
    assert MAX_WINDOW_PAIRS == 20
    assert sum("over the same window as" in n for n in notes) == 21
    (more,) = [n for n in notes if "more window" in n]
    assert more.startswith("item 'o1w1': and 1 more window of 'ops' counted by other origins")


def test_what_looks_like_one_report_counted_twice_is_warned_of_not_refused():
    """A relayed copy logged without an `event`, and two origins' counts of the very same
    window without a shared `event`, count twice: said, with what to do; not said once the
    items carry the event, nor under the tempered model (which ignores events)."""
    q = mixture_question(
        question(
            ("a", "b"),
            indicators={
                "fact": binary({"a": (5, 2), "b": (2, 5)}),
                "ops": count({"a": (2, 1), "b": (6, 1)}),
            },
        )
    )
    window = ("2024-12-01", "2024-12-31")
    rows = [
        item("orig", "fact", True) | {"origin": "MEI", "via": ["Enab Baladi"], "reliability": "B3"},
        item("copy", "fact", True) | {"origin": "MEI", "via": ["Levant24"], "reliability": "B3"},
        item("q", "ops", 3, window=window) | {"origin": "Agency Q", "reliability": "C2"},
        item("r", "ops", 2, window=window) | {"origin": "Agency R", "reliability": "C2"},
    ]

    def said(rows, q=q):
        return _copy_warnings(rows, q)

    notes = said(rows)
    assert len(notes) == 2
    assert "item 'copy' and item 'orig'" in notes[0] and "same `event:`" in notes[0]
    assert "item 'r' counts 'ops' over the same window as item 'q'" in notes[1]
    # weekly counts by two monitors: one warning for the pair, however many weeks they share
    weekly = [
        item(f"{who}{w}", "ops", 1, window=(f"2024-11-{1 + 7 * w:02d}", f"2024-11-{8 + 7 * w:02d}"))
        | {"origin": who, "reliability": "C2"}
        for w in range(3)
        for who in ("q", "r")
    ]
    (note,) = said(weekly)
    assert "(and 2 other windows the two share), 'q' and 'r'" in note
    events = [r | {"event": e} for r, e in zip(rows, ("e", "e", "n", "n"), strict=True)]
    assert said(events) == []
    tempered = fc.Question.model_validate(q.to_dict() | {"reliability_model": "tempered"})
    assert said(rows, tempered) == []


def test_reports_of_one_event_over_two_windows_are_told_in_dates():
    q = mixture_question(
        question(("a", "b"), indicators={"ops": count({"a": (2, 1), "b": (6, 1)})})
    )
    rows = [
        item("q", "ops", 3, window=("2024-12-01", "2024-12-31")) | {"event": "e"},
        item("r", "ops", 3, window=("2024-12-01", "2024-12-30")) | {"event": "e", "source": "R"},
    ]
    with pytest.raises(fc.InputError) as err:
        fc.Evidence.from_items(rows, q)
    (problem,) = err.value.problems
    assert problem.field == "window"
    assert "over [2024-12-01, 2024-12-30] here but over [2024-12-01, 2024-12-31]" in problem.message


def test_bad_mixture_settings_in_the_question_are_located(tmp_path):
    text = tmp_path / "q.yaml"
    body = question(("a", "b"), indicators={"fact": binary({"a": (5, 2), "b": (2, 5)})}).to_yaml()
    body = body.replace("reliability_model: tempered\n", "")
    text.write_text(body + "reliability_model: truth\nrelays:\n  Enab Baladi: 1.5\n")
    with pytest.raises(fc.InputError) as err:
        fc.load_question(text)
    found = {p.field: (p.line, p.message) for p in err.value.problems}
    assert "'tempered' or 'mixture'" in found["reliability_model"][1]
    assert found["relays.Enab Baladi"][0] == body.count("\n") + 3


@settings(max_examples=25, deadline=None)
@given(mixture_model())
def test_shortcuts_for_one_changed_item_agree_with_refits(model):
    """Leave-one-out, another value, another reliability: as computed anew from the ledger."""
    q, ev = model
    data = ModelData.build(q, ev)
    for ind in data.indicators:
        if not len(ind.item_ids):
            continue
        # other noise distributions, all at once (each scenario's prior as a noise, say)
        each = [ind.model.with_noise(row[None, :]) for row in ind.prior]
        np.testing.assert_allclose(ind.model.with_noises(ind.prior), each, atol=1e-9)
        loo = ind.model.loo()
        for i, item_id in enumerate(ind.item_ids):
            # without the item
            kept = fc.Evidence.from_items([r for r in ev.item_dicts if r["id"] != item_id], q)
            j = [x.id for x in data.indicators].index(ind.id)
            np.testing.assert_allclose(loo[i], marginals(q, kept)[j], atol=1e-9)
            row = next(r for r in ev.item_dicts if r["id"] == item_id)
            if row.get("event") is not None:
                continue  # another value would break the event's agreement rules
            # another value
            alt = ind.kind.alternatives(ind, ind.values[i], 5)[:2]
            got = ind.model.with_values(i, alt)
            for a, g in zip(alt, got, strict=True):
                value = ind.kind.outcome_text(ind, a)
                value = {"true": True, "false": False}.get(value, value)
                if ind.kind.name == "count":
                    value = int(a)
                if ind.kind.name == "continuous":
                    value = float(a)
                changed = [dict(r, value=value) if r["id"] == item_id else r for r in ev.item_dicts]
                np.testing.assert_allclose(
                    g, marginals(q, fc.Evidence.from_items(changed, q))[j], atol=1e-9
                )
            # another reliability (the credibility changes, the origin's letter stays); three
            # values or more are interpolated between two refits (the marginal is affine in it)
            w = np.array([0.0, 0.3, 0.8])
            got = ind.model.with_weight(i, w)
            origin = ind.item_origin_weights[i]
            for wt, g in zip(w, got, strict=True):
                cred = ind.item_credibility.copy()
                cred[i] = min(wt / origin, 1.0) if origin > 0 else 0.0
                refit = replace(ind, credibility=cred)  # a new indicator: reports built anew
                np.testing.assert_allclose(g, refit.model.log_marginal(), atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(mixture_model())
def test_shortcuts_inside_origins_linked_by_events_agree_with_refits(model):
    """Reports of one event by several origins: the variants computed as one array (every
    value, reliability and origin reliability at once) equal the indicator built anew."""
    check_linked_shortcuts(*model)


def test_shortcuts_inside_origins_linked_by_events_on_a_fixed_ledger():
    q = mixture_question(
        question(
            ("a", "b"),
            indicators={
                "fact": binary({"a": (5, 2), "b": (2, 5)}),
                "ops": count({"a": (4, 2), "b": (1, 1)}),
            },
        ),
        relays={"Enab Baladi": 0.9},
    )
    rows = [
        item("o1", "ops", 3, exposure=1.0) | {"origin": "MEI", "reliability": "B2", "event": "e"},
        item("o2", "ops", 2, exposure=1.0)
        | {"origin": "Lister", "reliability": "C3", "event": "e"},
        item("o3", "ops", 5, exposure=2.0) | {"origin": "MEI", "reliability": "B3"},
        item("o4", "ops", 1, exposure=1.0) | {"origin": "moi", "reliability": "A2"},
        item("f1", "fact", True) | {"origin": "MEI", "reliability": "B2", "event": "x"},
        item("f2", "fact", False) | {"origin": "moi", "reliability": "A4", "event": "x"},
        item("f3", "fact", True)
        | {"origin": "Lister", "reliability": "C2", "via": ["Enab Baladi"]},
    ]
    check_linked_shortcuts(q, fc.Evidence.from_items(rows, q))


def check_linked_shortcuts(q, ev):
    data = ModelData.build(q, ev)
    for ind in data.indicators:
        rep = ind.model.reports() if len(ind.item_ids) else None
        if rep is None or not rep.components or ind.kind.integration == "polynomial":
            continue
        loo = ind.model.loo()
        theta = ind.kind.draw(ind.prior, np.random.default_rng(0), 7)
        removed = ind.model.item_loo_log_lik(theta)  # what leaving each item out takes away
        n = len(ind.values)
        for i in range(n):
            rest = ind.with_items(np.arange(n) != i).model.log_lik(theta) if n > 1 else 0.0
            np.testing.assert_allclose(removed[..., i], ind.model.log_lik(theta) - rest, atol=1e-9)
        for i in range(len(ind.item_ids)):
            if np.sum(rep.item_report == rep.item_report[i]) > 1:
                continue  # relayed copies: their values must agree
            np.testing.assert_allclose(
                loo[i], ind.model.without(np.arange(len(ind.values)) == i), atol=1e-9
            )
            alt = ind.kind.alternatives(ind, ind.values[i], 5)[:3]
            for a, got in zip(alt, ind.model.with_values(i, alt), strict=True):
                values = ind.values.copy()
                values[i] = a
                np.testing.assert_allclose(
                    got, replace(ind, values=values).model.log_marginal(), atol=1e-9
                )
            w = np.array([0.0, 0.45, 0.9])
            origin = ind.item_origin_weights[i]
            for wt, got in zip(w, ind.model.with_weight(i, w), strict=True):
                cred = ind.item_credibility.copy()
                cred[i] = min(wt / origin, 1.0) if origin > 0 else 0.0
                want = replace(ind, credibility=cred).model.log_marginal()
                np.testing.assert_allclose(got, want, atol=1e-9)
        for name in rep.origin_names:
            mine = np.array([o == name for o in ind.item_origins])
            values = np.array([0.0, 0.5, 1.0])
            for v, got in zip(values, ind.model.with_origin(name, values), strict=True):
                weights = np.where(mine, v, ind.item_origin_weights)
                want = replace(ind, origin_weights=weights).model.log_marginal()
                np.testing.assert_allclose(got, want, atol=1e-9)


@pytest.mark.parametrize(
    ("indicator", "noise", "value", "expected"),
    [
        (binary({"a": (5, 2), "b": (2, 5)}), {"mean": 0.9, "sd": 0.05}, True, 0.9),
        (binary({"a": (5, 2), "b": (2, 5)}), {"alpha": 9, "beta": 1}, False, 0.1),
        (count({"a": (4, 2), "b": (1, 1)}), {"shape": 2.0, "rate": 1.0}, 0, (1 / 2) ** 2),
        (
            categorical(("calm", "tense"), {"a": (4, 1), "b": (1, 4)}),
            {"calm": 0.2, "tense": 0.8},
            "tense",
            0.8,
        ),
    ],
)
def test_a_stated_noise_distribution_is_what_false_reports_follow(
    indicator, noise, value, expected
):
    """``noise:`` per indicator ("rumours of agreements are usually positive")."""
    q = mixture_question(question(("a", "b"), indicators={"x": indicator | {"noise": noise}}))
    extra = {"exposure": 1.0} if indicator["kind"] == "count" else {}
    rows = [item("r", "x", value, **extra) | {"reliability": 0.0}]
    (ind,) = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
    assert math.exp(ind.model.item_noise[0]) == pytest.approx(expected)
    # a rumour that looks like the noise says little; the same value from a genuine report more
    rows[0]["reliability"] = 0.5
    (ind,) = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
    (empty,) = ModelData.build(q, fc.Evidence.from_items([], q)).indicators
    pred = np.exp(empty.model.predictive(np.array([ind.values[0]]), 1.0)[0])
    np.testing.assert_allclose(
        np.exp(ind.model.log_marginal()), 0.5 * pred + 0.5 * expected, rtol=1e-9
    )


def test_many_reports_interpolate_the_likelihood_at_draws_faithfully():
    """Past a size the likelihood at parameter draws is a spline through the grid's nodes."""
    from forecasting.model import likelihood, mixture

    q = mixture_question(
        question(
            ("a", "b", "c"),
            indicators={
                "ops": count({"a": (4, 2), "b": (1, 1), "c": (9, 3)}, per_days=30),
                "fact": binary({"a": (5, 2), "b": (2, 5), "c": (3, 3)}),
            },
        )
    )
    rng = np.random.default_rng(5)
    rows = []
    for n in range(300):
        origin = f"origin {n % 40}"
        letter = "ABCDE"[n % 40 % 5]
        rows.append(
            item(f"o{n}", "ops", int(rng.poisson(2)), exposure=float(rng.uniform(0.5, 2)))
            | {"origin": origin, "reliability": f"{letter}{1 + n % 5}"}
        )
        rows.append(
            item(f"f{n}", "fact", bool(rng.random() < 0.7))
            | {"origin": origin, "reliability": f"{letter}{1 + n % 4}"}
        )
    ev = fc.Evidence.from_items(rows, q)
    f = fc.forecast(q, ev, seed=3)
    assert f.diagnostics["rao_blackwell_max_z"] < 5
    for ind in ModelData.build(q, ev).indicators:
        scenario = rng.choice(3, size=4000, p=f.probabilities.values)
        theta = ind.model.draw(scenario, rng)
        assert theta.size * ind.model.reports().n_reports > likelihood._EXACT_EVALUATIONS
        rep = ind.model.reports()
        exact = mixture.log_likelihood(rep, ind.model._logf(rep, theta))
        # where the posterior is: the drawn scenarios' parameters
        got = ind.model.log_lik(theta)[np.arange(4000), scenario]
        np.testing.assert_allclose(got, exact[np.arange(4000), scenario], rtol=0, atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(mixture_model(), st.floats(0.0, 1.0))
def test_surprise_tails_use_the_mixture_predictive(model, genuine):
    """For yes/no and categories, against the two tables mixed by hand."""
    q, ev = model
    data = ModelData.build(q, ev)
    k = data.n_scenarios
    weights = np.full(k, 1.0 / k)
    for ind in data.indicators:
        if ind.kind.name not in ("binary", "categorical"):
            continue
        value = True if ind.kind.name == "binary" else ind.spec.categories[0]
        per, mixed = ind.model.tail(value, 1.0, weights, genuine)
        support, obs, _ = ind.kind.tail_support(ind, ind.kind.encode(ind.spec, value), 1.0)
        true = np.exp(ind.model.predictive(support, 1.0))
        noise = np.exp(ind.model.log_noise(support, np.ones(len(support))))[:, None]
        table = genuine * true + (1 - genuine) * noise
        expect = [table[table[:, j] <= table[obs, j] * (1 + 1e-12), j].sum() for j in range(k)]
        np.testing.assert_allclose(per, np.minimum(expect, 1), atol=1e-12)
        mix = table @ weights
        assert mixed == pytest.approx(min(mix[mix <= mix[obs] * (1 + 1e-12)].sum(), 1.0))


def test_a_rumour_is_as_surprising_as_the_noise_says():
    """A confirmed 7 a month trips the alarm; a rumour of it is judged by what rumours say."""
    ops = count({"a": (20, 20), "b": (40, 20)}, per_days=30)
    q = mixture_question(question(("a", "b"), indicators={"ops": ops}))
    broad = mixture_question(
        question(("a", "b"), indicators={"ops": ops | {"noise": {"shape": 0.5, "rate": 0.1}}})
    )
    (ind,) = ModelData.build(q, fc.Evidence.from_items([], q)).indicators
    (loud,) = ModelData.build(broad, fc.Evidence.from_items([], broad)).indicators
    w = np.array([0.5, 0.5])
    sure, _ = ind.model.tail(7, 1.0, w, 1.0)
    assert np.all(sure < 0.01)  # improbable under every scenario: the alarm
    # a rumour (E5) says little about the scenario: its tails are nearly the noise's ...
    rumour, _ = ind.model.tail(7, 1.0, w, 0.04)
    assert np.ptp(rumour) < np.ptp(sure)
    # ... so where rumours are known to exaggerate, it raises no alarm
    rumour, _ = loud.model.tail(7, 1.0, w, 0.04)
    assert np.all(rumour > 0.05)
    # a certain report's tail: the conjugate one (negative binomial; Normal for a level)
    tempered = replace(ind, reliability_model="tempered")
    np.testing.assert_allclose(sure, tempered.model.tail(7, 1.0, w)[0], rtol=1e-9)
    q = mixture_question(
        question(("a", "b"), indicators={"level": continuous({"a": (0, 1), "b": (2, 1)}, 1.5)})
    )
    (ind,) = ModelData.build(q, fc.Evidence.from_items([], q)).indicators
    tempered = replace(ind, reliability_model="tempered")
    for value in (-3.0, 0.5, 4.2):
        got, got_mixed = ind.model.tail(value, None, w, 1.0)
        want, want_mixed = tempered.model.tail(value, None, w)
        # a level's tail from a grid of 20,001 cells: within 5e-4 of the closed form (a cell)
        np.testing.assert_allclose(got, want, atol=5e-4)
        assert got_mixed == pytest.approx(want_mixed, abs=5e-4)


def test_origin_reliability_and_noise_are_judgements_that_refits_confirm():
    from forecasting import analyses as sn

    q = mixture_question(
        question(
            ("a", "b"),
            indicators={
                "fact": binary({"a": (5, 2), "b": (2, 5)}) | {"noise": {"mean": 0.8, "sd": 0.1}},
                "ops": count({"a": (4, 2), "b": (1, 1)}),
                "tone": categorical(("calm", "tense"), {"a": (4, 1), "b": (1, 4)}),
            },
        )
    )
    rows = [
        item("f1", "fact", True) | {"origin": "MEI", "reliability": "B2"},
        item("f2", "fact", True) | {"origin": "MEI", "reliability": "B3"},
        item("o1", "ops", 3, exposure=1.0) | {"origin": "MEI", "reliability": "B2"},
        item("t1", "tone", "calm") | {"origin": "MEI", "reliability": "B2"},
        item("t2", "tone", "tense") | {"origin": "Reuters", "reliability": "C2"},
    ]
    ev = fc.Evidence.from_items(rows, q)
    js = sn.judgement_sensitivity(q, ev)
    ids = [str(i) for i in js["judgement"].values]
    assert "origin:MEI" in ids and "origin:Reuters" in ids and "noise:fact" in ids
    # MEI's reliability (letter B, 0.8) set to 0.3: as if the question graded B at 0.3
    got = sn.sweep(q, "origin:MEI", [0.3], evidence=ev).values[0]
    regraded = fc.Question.model_validate(q.to_dict() | {"reliability_codes": {"B": 0.3}})
    want = fc.forecast(regraded, fc.Evidence.from_items(rows, regraded), draws=100)
    np.testing.assert_allclose(got, want.probabilities.values, atol=1e-9)
    # the noise's mean moved to 0.4 (its spread kept): as if the question said so
    from forecasting.analyses.base import base_of
    from forecasting.analyses.judgements import find_judgement

    got = sn.sweep(q, "noise:fact", [0.4], evidence=ev).values[0]
    body = q.to_dict()
    (ind,) = [i for i in ModelData.build(q, ev).indicators if i.id == "fact"]
    noise_judgement = find_judgement(base_of(q, ev), "noise:fact").likelihood
    moved = ind.kind.move_centre(
        replace(ind, prior=ind.spec.noise_params()), 0, noise_judgement, np.array([0.4])
    )[0]
    body["indicators"]["fact"]["noise"] = {"alpha": float(moved[0]), "beta": float(moved[1])}
    renoised = fc.Question.model_validate(body)
    want = fc.forecast(renoised, fc.Evidence.from_items(rows, renoised), draws=100)
    np.testing.assert_allclose(got, want.probabilities.values, atol=1e-9)


def test_validate_says_which_reliability_model_and_the_noise(tmp_path, capsys):
    from forecasting.cli import main

    q = mixture_question(
        question(
            ("a", "b"),
            indicators={
                "fact": binary({"a": (5, 2), "b": (2, 5)}) | {"noise": {"alpha": 9, "beta": 1}}
            },
        ),
        relays={"Enab Baladi": 0.95},
    )
    (tmp_path / "models").mkdir()
    q.to_yaml(tmp_path / "models" / "q.yaml")
    (tmp_path / "evidence" / "test-q").mkdir(parents=True)
    ledger = fc.Evidence.from_items([item("x", "fact", True) | {"reliability": "B2"}], q)
    ledger.to_yaml(tmp_path / "evidence" / "test-q" / "a.yaml")
    assert main(["validate", str(tmp_path / "models" / "q.yaml")]) == 0
    out = capsys.readouterr().out
    assert "reliability: truth mixture" in out and "relays: Enab Baladi 0.95" in out
    assert "noise            Beta(mean 0.9" in out
    assert main(["validate", str(tmp_path / "models" / "q.yaml"), "--json"]) == 0
    report = __import__("json").loads(capsys.readouterr().out)
    assert report["reliability_model"] == "mixture" and report["relays"] == {"Enab Baladi": 0.95}


def test_the_echo_example_of_the_readme():
    """The bundled damascus-intent report relayed by a second outlet (README table)."""
    from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION

    def accession(model: str, second: str | None) -> float:
        q = fc.load_question(BUNDLED_QUESTION)
        q = fc.Question.model_validate(q.to_dict() | {"reliability_model": model})
        rows = fc.load_evidence(BUNDLED_EVIDENCE, q).item_dicts
        d = next(r for r in rows if r["id"] == "mei-2025-10-27-damascus-intent")
        fields = {"origin": "Middle East Institute", "via": ["Enab Baladi"], "event": "intent"}
        if second == "relayed":
            copy = dict(d, id="copy", source="Levant24", **fields) | {"via": ["Levant24"]}
            rows = [dict(r, **fields) if r is d else r for r in rows] + [copy]
        elif second == "bare":  # a second report, nothing saying whose or of what
            bare = {k: v for k, v in d.items() if k not in ("origin", "via", "event")}
            rows = [*rows, dict(bare, id="copy", source="Levant24")]
        f = fc.forecast(q, fc.Evidence.from_items(rows, q), as_of="2025-10-27", draws=100)
        return float(f.probabilities.sel(scenario="accession"))

    assert accession("tempered", None) == pytest.approx(0.588, abs=5e-4)
    assert accession("tempered", "relayed") == pytest.approx(0.629, abs=5e-4)
    once = accession("mixture", None)
    assert once == pytest.approx(0.547, abs=5e-4)
    # the copy counts once: it only raises the chance that the report reached us intact
    # (1 - 0.05 * 0 with Levant24 not in `relays:`, so taken as faithful, against 0.95)
    assert accession("mixture", "relayed") == pytest.approx(0.549, abs=5e-4)
    assert accession("mixture", "bare") == pytest.approx(0.595, abs=5e-4)


def test_a_categorical_polynomial_too_large_is_a_located_error(monkeypatch):
    """Too large, and too many categories for the cubature that would replace it."""
    from forecasting.model import likelihood

    monkeypatch.setattr(likelihood, "MAX_POLYNOMIAL_TERMS", 10)
    five = ("x", "y", "v", "w", "z")
    q = mixture_question(
        question(
            ("a", "b"),
            indicators={"tone": categorical(five, {"a": (2, 1, 1, 1, 1), "b": (1, 2, 1, 1, 1)})},
        )
    )
    rows = [item(f"t{n}", "tone", "xy"[n % 2]) | {"reliability": 0.8} for n in range(8)]
    for engine in ("exact", "mcmc"):  # the MCMC engine checks against the exact answer
        with pytest.raises(fc.InputError, match="'tone': the exact integral of 8 unreliable") as e:
            fc.forecast(q, fc.Evidence.from_items(rows, q), engine=engine, draws=100)
        assert "--engine mcmc" not in str(e.value)
        assert "at most 4 categories, and this one has 5" in str(e.value)
    # what the message advises: if they are copies of two reports (events), 4 terms, not 25
    one_event = [r | {"event": f"report-{r['value']}"} for r in rows]
    f = fc.forecast(q, fc.Evidence.from_items(one_event, q), draws=100)
    assert np.isclose(f.probabilities.values.sum(), 1.0)


def _wide(n_categories, named, seed=3, reliability=(0.7, 0.7, 0.6, 0.9, 1.0)):
    """A 3-scenario question whose categorical indicator has ``n_categories``; reports name
    the categories ``named`` (two from one origin, one alone, one of reliability 1)."""
    rng = np.random.default_rng(seed)
    cats = [f"d{k}" for k in range(n_categories)]
    alphas = {s: list(rng.uniform(0.3, 3.0, n_categories)) for s in ("a", "b", "c")}
    q = mixture_question(question(("a", "b", "c"), indicators={"where": categorical(cats, alphas)}))
    origins = ["o1", "o1", "o2", "o3", "o4"]
    rows = [
        item(f"t{n}", "where", cats[c]) | {"origin": o, "reliability": r}
        for n, (c, o, r) in enumerate(zip(named, origins, reliability, strict=False))
    ]
    return q, rows, cats, alphas


def test_categories_no_report_names_are_aggregated_exactly(monkeypatch):
    """The truth mixture's categorical integral has an axis only per category a report names
    (Dirichlet aggregation): every quantity equals the polynomial over all categories."""
    from forecasting.model.likelihood import Mixture

    q, rows, cats, _ = _wide(9, [0, 2, 2, 5, 0])
    ev = fc.Evidence.from_items(rows, q)

    def quantities():
        (ind,) = ModelData.build(q, ev).indicators
        m = ind.model
        everything = np.arange(len(cats), dtype=float)
        return {
            "marginal": m.log_marginal(),
            "outcomes": m.with_outcomes(everything, 0.8, 1.0),
            "swap alone": m.with_values(2, everything),  # o2's only report
            "swap shared": m.with_values(0, everything),  # o1 has two
            "origin": m.with_origin("o1", np.array([0.0, 0.3, 1.0])),
            "loo": m.loo(),
            "draws": m.draw(np.array([0, 1, 2] * 50), np.random.default_rng(1)),
        }

    aggregated = quantities()
    # an item whose origin has other reports: each value a refit, or, for the values no other
    # item names, the two parts of one polynomial
    (ind,) = ModelData.build(q, ev).indicators
    values = np.arange(len(cats), dtype=float)
    log_g = ind.model.log_noise(values, np.full(len(values), ind.exposures[0]))
    refits = [ind.model._value_refit(0, v, g) for v, g in zip(values, log_g, strict=True)]
    np.testing.assert_allclose(aggregated["swap shared"], refits, rtol=1e-12)
    # and where the origin is certain, so that no term holds the item's noise
    q1, rows1, _, _ = _wide(9, [0, 2, 2, 5, 0], reliability=(1.0,) * 5)
    (ind,) = ModelData.build(q1, fc.Evidence.from_items(rows1, q1)).indicators
    refits = [ind.model._value_refit(0, v, g) for v, g in zip(values, log_g, strict=True)]
    np.testing.assert_allclose(ind.model.with_values(0, values), refits, rtol=1e-12)
    everything = property(lambda self: np.arange(len(self.ind.spec.categories)))
    monkeypatch.setattr(Mixture, "_axes", everything)
    full = quantities()
    for name, value in aggregated.items():
        np.testing.assert_allclose(value, full[name], rtol=1e-12, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(aggregated["draws"], full["draws"])


def test_a_categorical_noise_moved_reweighs_the_terms_as_a_refit_would(monkeypatch):
    """A judgement's setting moves the default noise, so every setting was a new polynomial
    (4,000 judgements of a 1,000-category indicator: minutes of tipping points). Where every
    report is its own event the noise is a weight per term: equal to the refit."""
    from forecasting.model.likelihood import Mixture

    q, rows, cats, _ = _wide(9, [0, 2, 2, 5, 0])
    (ind,) = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
    rng = np.random.default_rng(5)
    params = rng.uniform(0.2, 4.0, (7, len(cats)))
    weights = rng.dirichlet(np.ones(3), 5)
    assert ind.model._unit_noise_poly is not None  # the path under test is taken
    fast = [ind.model.with_scenario(k, params) for k in range(3)]
    fast.append(ind.model.with_scenario_weights(weights))
    monkeypatch.setattr(Mixture, "_unit_noise_poly", None)  # a refit per row
    (ind,) = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
    refit = [ind.model.with_scenario(k, params) for k in range(3)]
    refit.append(ind.model.with_scenario_weights(weights))
    for a, b in zip(fast, refit, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_wide_categorical_is_its_named_categories_and_one_for_the_rest(tmp_path):
    """1,000 categories under the truth mixture crashed in numpy ("maximum supported dimension
    is 64"), then were refused. The likelihood depends only on the categories reports name, so
    the question must give what the same question with the other 997 merged into one category
    (its concentration their sum) gives: posterior, and predictive of one more report."""
    import yaml

    from forecasting.cli import main

    named = [0, 17, 17, 999, 0]
    q, rows, cats, alphas = _wide(1000, named)
    wide = fc.forecast(q, fc.Evidence.from_items(rows, q), as_of="2025-06-01", draws=100)
    keep = sorted(set(named))
    merged_alphas = {
        s: [a[c] for c in keep] + [sum(a[c] for c in range(1000) if c not in keep)]
        for s, a in alphas.items()
    }
    merged_cats = [cats[c] for c in keep] + ["rest"]
    m = mixture_question(
        question(("a", "b", "c"), indicators={"where": categorical(merged_cats, merged_alphas)})
    )
    small = fc.forecast(m, fc.Evidence.from_items(rows, m), as_of="2025-06-01", draws=100)
    np.testing.assert_allclose(wide.probabilities.values, small.probabilities.values, rtol=1e-10)
    (w,) = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
    (s,) = ModelData.build(m, fc.Evidence.from_items(rows, m)).indicators
    one_wide = w.model.with_outcomes(np.arange(1000.0), 0.8, 1.0)
    one_small = s.model.with_outcomes(np.arange(4.0), 0.8, 1.0)
    np.testing.assert_allclose(one_wide[keep], one_small[:3], rtol=1e-10)
    rest = [c for c in range(1000) if c not in keep]
    np.testing.assert_allclose(
        np.logaddexp.reduce(one_wide[rest], axis=0), one_small[3], rtol=1e-10
    )
    # the range of reasonable opinion: the named categories each within its band, the rest as
    # one within its own (before, every one of 1,000 in band at once: no draw ever was, so
    # every draw fell back to the elicited centre, after 12 s of rejection)
    opinion = wide.confidence.ds["opinion"].values
    assert np.max(opinion[:, 1] - opinion[:, 0]) > 0.05
    np.testing.assert_allclose(opinion, small.confidence.ds["opinion"].values, atol=1e-9)
    # the judgements: each named category, and the 997 others as one, which moves what the
    # merged question's "rest" moves
    from forecasting import analyses

    sens = analyses.judgement_sensitivity(q, fc.Evidence.from_items(rows, q), as_of="2025-06-01")
    merged = analyses.judgement_sensitivity(m, fc.Evidence.from_items(rows, m), as_of="2025-06-01")
    likelihoods = [str(j) for j in sens["judgement"].values if str(j).startswith("likelihood:")]
    assert len(likelihoods) == 3 * 4
    for s_ in ("a", "b", "c"):
        np.testing.assert_allclose(
            sens["probability"].sel(judgement=f"likelihood:where:{s_}:the 997 others").values,
            merged["probability"].sel(judgement=f"likelihood:where:{s_}:rest").values,
            rtol=1e-9,
        )
    # from the command line: a forecast, exit 0
    (tmp_path / "models").mkdir()
    body = q.to_dict()
    path = tmp_path / "models" / "wide.yaml"
    path.write_text(yaml.safe_dump(body))
    ledger = tmp_path / "evidence" / body["id"]
    ledger.mkdir(parents=True)
    (ledger / "l.yaml").write_text(yaml.safe_dump([dict(r, date=str(r["date"])) for r in rows]))
    assert main(["run", str(path), "--as-of", "2025-06-01"]) == 0


def test_reports_naming_too_many_categories_are_a_located_error_not_a_crash(tmp_path, capsys):
    """Reports naming more than 60 categories would need an array axis each (numpy allows 64):
    a located error, exit 2, not numpy's crash. (Below it the number of terms is the bound.)"""
    import yaml

    from forecasting.cli import main

    cats = [f"d{k}" for k in range(200)]
    body = question(
        ("a", "b"),
        indicators={
            "district": categorical(cats, {"a": [1.0] * 200, "b": [2.0] + [1.0] * 199}),
            "ops": count({"a": (2, 1), "b": (4, 1)}),
        },
    ).to_dict()
    body["reliability_model"] = "mixture"
    q = fc.Question.model_validate(body)
    rows = [item(f"t{n}", "district", cats[n]) | {"reliability": 0.8} for n in range(70)]
    with pytest.raises(fc.InputError, match="indicator 'district': .* naming 70 categories"):
        fc.forecast(q, fc.Evidence.from_items(rows, q), draws=100)
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "wide.yaml"
    path.write_text(yaml.safe_dump(body))
    ledger = tmp_path / "evidence" / "test-q"
    ledger.mkdir(parents=True)
    (ledger / "l.yaml").write_text(yaml.safe_dump([dict(r, date=str(r["date"])) for r in rows]))
    assert main(["run", str(path), "--as-of", "2025-06-01"]) == 2
    assert "naming 70 categories" in capsys.readouterr().err


def test_the_selection_effect_table_of_the_readme():
    """The MEI report's agreements logged five ways on the bundled ledger (README table)."""
    from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION

    old = {  # the first release's indicator: one yes/no item per agreement reported in force
        "kind": "binary",
        "description": "An operational agreement is reported in force.",
        "probability": {
            "accession": {"mean": 0.8, "sd": 0.1},
            "informal": {"mean": 0.65, "sd": 0.15},
            "collapse": {"mean": 0.45, "sd": 0.17},
            "unilateral": {"alpha": 2.5, "beta": 7.5},
        },
    }

    def accession(model: str, how: str) -> float:
        body = fc.load_question(BUNDLED_QUESTION).to_dict() | {"reliability_model": model}
        body["indicators"]["operational_agreement"] = old
        q = fc.Question.model_validate(body)
        rows = fc.load_evidence(BUNDLED_EVIDENCE, q).item_dicts
        count = next(r for r in rows if r["indicator"] == "agreements_reported")
        rest = [r for r in rows if r is not count]
        drop = ("window", "value", "indicator", "id")
        items = {
            "none": rest,
            "four": rest
            + [
                {k: v for k, v in count.items() if k not in drop}
                | {"id": f"agreement-{n}", "indicator": "operational_agreement", "value": True}
                for n in range(4)
            ],
            "count": rows,
            "A1": [*rest, dict(count, reliability="A1")],
            "zero": [*rest, dict(count, value=0)],
        }[how]
        f = fc.forecast(q, fc.Evidence.from_items(items, q), as_of="2025-10-27", draws=100)
        return float(f.probabilities.sel(scenario="accession"))

    table = {
        "none": (0.475, 0.482),
        "four": (0.563, 0.566),
        "count": (0.547, 0.588),
        "A1": (0.653, 0.677),
        "zero": (0.392, 0.343),
    }
    for how, (mixture, tempered) in table.items():
        assert accession("mixture", how) == pytest.approx(mixture, abs=5e-4), how
        assert accession("tempered", how) == pytest.approx(tempered, abs=5e-4), how


def test_many_priors_at_once_equal_each_prior_alone():
    """The opinion range's 1,000 redrawn priors a scenario take a shortcut on the grid (the
    nodes where the likelihood matters, one shift for every row): each row must be the
    integral a single prior gets. And a prior with next to no mass where the likelihood is
    (its sum underflows the shared shift) still gets its sum over those nodes, redone in logs,
    not -inf. (The bundled question's few reports take the closed form,
    ``Mixture._exact_terms``: the shortcut is called directly, and the closed form must agree
    with it.)"""
    from builders import BUNDLED_QUESTION

    from forecasting.core.stats import logsumexp

    q = fc.load_question(BUNDLED_QUESTION)
    data = ModelData.build(q, fc.load_evidence(None, q))
    rng = np.random.default_rng(3)
    checked = closed = 0
    for ind in data.indicators:
        if ind.kind.name not in ("count", "binary") or not len(ind.values):
            continue
        rows = np.concatenate(
            [ind.kind.redraw_centres(ind, k, s, rng, 150) for k, s in enumerate(data.scenarios)]
        )
        assert len(rows) > 256  # the shortcut's path
        many = ind.model._many_priors(rows)
        one = np.concatenate(
            [
                ind.model._integrate(
                    ind.model._with_tails(ind.model.grid[2])[None, :], rows[i : i + 1]
                )[0]
                for i in range(len(rows))
            ]
        )
        np.testing.assert_allclose(many, one, rtol=1e-10, atol=0)
        if ind.model._exact_terms is not None:  # (not where reports share an event)
            np.testing.assert_allclose(ind.model.log_marginal(rows), many, rtol=1e-10, atol=0)
            closed += 1
        checked += 1
        # a prior far narrower than the nodes' spacing, centred between two of them: at the
        # nodes its density is below exp(-10^4), under any shared shift
        u, log_w, log_l, lo, hi = ind.model.grid
        keep = log_l >= np.max(log_l) - 60.0
        j = int(0.75 * len(u))
        centre = float(ind.kind.theta_from_u(np.array([(u[j] + u[j + 1]) / 2]))[0])
        if ind.kind.name == "count":
            narrow = np.array([[1e8, 1e8 / centre]])
        else:
            narrow = np.array([[centre * 1e8, (1 - centre) * 1e8]])
        rows = np.concatenate([rows, narrow])
        got = ind.model._many_priors(rows)[-1]
        body = logsumexp(ind.kind.log_prior_u(u[keep], narrow)[0] + log_w[keep] + log_l[keep])
        tails = ind.kind.log_prior_tails(narrow, lo, hi)[0] + log_l[[0, -1]]
        want = logsumexp(np.array([body, *tails]))
        assert np.isfinite(got)
        np.testing.assert_allclose(got, want, rtol=1e-9)  # of numbers of size 1e8 * u
    assert checked >= 4 and closed >= 3


def _noise_moved(ind, rng):
    """Each scenario's parameters moved, and the scenarios' probabilities: every row's marginals."""
    out = []
    for k in range(len(ind.prior)):
        params = ind.prior[k][None, :] * rng.uniform(0.5, 2.0, (4, ind.prior.shape[1]))
        out.append(ind.model.with_scenario(k, params))
    out.append(ind.model.with_scenario_weights(rng.dirichlet(np.ones(len(ind.prior)), 5)))
    return out


@settings(max_examples=25, deadline=None)
@given(mixture_model(), st.integers(0, 2**32 - 1))
def test_a_moved_noise_reweighs_the_terms_over_genuine_reports_as_node_by_node(model, seed):
    """Tipping points move the default noise thousands of times (each scenario's prior and
    parameters); where no reports share an event ``L`` is a sum over which reports are genuine,
    each term's marginals integrated once (:mod:`forecasting.model.noise_terms`): a new noise
    is a new weight per term. It must equal ``log L`` summed at every node again."""
    q, ev = model
    built = [i for i in ModelData.build(q, ev).indicators if len(i.values) and i.model.moves_noise]
    grid = [i for i in built if i.kind.integration != "polynomial"]
    fast = [_noise_moved(i, np.random.default_rng(seed)) for i in grid]
    taken = [i.model._noise_terms is not None for i in grid]
    for i, f in zip(grid, fast, strict=True):
        i.model.__dict__["_noise_terms"] = None  # node by node
        slow = _noise_moved(i, np.random.default_rng(seed))
        for a, b in zip(f, slow, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # the expansion is used exactly where no report shares an event and 2^R is small
    for i, t in zip(grid, taken, strict=True):
        rep = i.model.reports()
        small = 2 ** len(rep.fast_order) <= min(1024, len(i.model.grid[0]) // 2)
        assert t == (not rep.components and small)


def test_the_terms_over_genuine_reports_sum_to_the_likelihood_at_every_node():
    """The expansion's terms at the base noise add up to ``log L`` at each node (two origins,
    one with two reports, one certain report, relays)."""
    from forecasting.core.stats import logsumexp

    ops = count({"a": (4, 1), "b": (2, 1), "c": (6, 2)})
    q = mixture_question(question(("a", "b", "c"), indicators={"ops": ops}))
    rows = [
        item("x1", "ops", 3, exposure=2.0) | {"reliability": "B2", "origin": "MEI"},
        item("x2", "ops", 5, exposure=2.0)
        | {"reliability": "B3", "origin": "MEI", "via": ["Enab Baladi"]},
        item("x3", "ops", 1, exposure=2.0) | {"reliability": "C4", "origin": "ministry"},
        item("x4", "ops", 2, exposure=2.0) | {"reliability": 1.0, "origin": "eyewitness"},
    ]
    (ind,) = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
    terms, moments, _ = ind.model._noise_terms
    assert terms.log_c.shape == (16,)
    rep = ind.model.reports()
    w = terms.weights(rep.log_noise[None, :])[0]
    nodes = logsumexp(w[:, None] + terms.log_l[:, :-2], axis=0)
    np.testing.assert_allclose(nodes, ind.model.grid[2], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(logsumexp(w[None, :] + moments, axis=1), ind.model.log_marginal())


@pytest.mark.parametrize("shape", [(7,) * 6, (30, 30), (2,) * 10, (600,)])
def test_a_large_polynomial_contracted_one_category_at_a_time_equals_its_terms_summed(shape):
    """From 512 terms the categorical integral contracts the coefficients one category at a
    time (``categorical._contracted``): the same sum, rearranged, to 1e-12 (relative) against
    the term-by-term sum of each term's Dirichlet moment, over named categories among many;
    rows whose scaled sum underflows (concentrations of 1e6-1e8) are summed term by term."""
    from forecasting.kinds.categorical import Categorical

    rng = np.random.default_rng(len(shape))
    kind = Categorical()
    log_coef = rng.normal(0, 3, size=shape)
    log_coef[rng.random(shape) < 0.05] = -np.inf
    params = rng.uniform(0.02, 3, size=(120, 40))
    params[:3] = rng.uniform(1e6, 1e8, size=(3, 40))
    axes = np.sort(rng.choice(40, len(shape), replace=False))
    want = kind.polynomial_log_marginal(params, log_coef, axes, term_by_term=True)
    got = kind.polynomial_log_marginal(params, log_coef, axes)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[3:], want[3:], rtol=1e-12, atol=0)
    # at concentrations of 1e6-1e8 the term-by-term sum differences log-gammas of 1e9 (8
    # digits lost); the contraction sums log(alpha + i), as this reference does
    from forecasting.core.stats import logsumexp

    powers = np.argwhere(np.isfinite(log_coef))
    exact = []
    for r in range(3):

        def rising(a, k):
            return np.concatenate([[0.0], np.cumsum(np.log(a + np.arange(k)))])

        top = int(powers.sum(axis=1).max())
        terms = log_coef[np.isfinite(log_coef)] - rising(params[r].sum(), top)[powers.sum(axis=1)]
        for c, axis in enumerate(axes):
            terms = terms + rising(params[r, axis], top)[powers[:, c]]
        exact.append(logsumexp(terms))
    np.testing.assert_allclose(got[:3], exact, rtol=1e-12, atol=0)


@pytest.mark.parametrize("spread", [5.0, 400.0])
def test_polynomials_multiply_in_scaled_exponentials_as_in_logs(spread):
    """``PolynomialAlgebra.mul`` forms a product in exponentials scaled by each factor's largest
    coefficient where the spans allow (else in logs): the same coefficients as a sum of
    ``logaddexp`` term by term, to 1e-12 (zero coefficients stay zero)."""
    from forecasting.model import mixture as mx

    rng = np.random.default_rng(int(spread))
    alg = mx.PolynomialAlgebra(np.arange(4), 4)
    x = rng.normal(-20, spread / 4, size=(5, 4, 3, 6))
    x[rng.random(x.shape) < 0.1] = -np.inf
    y = rng.normal(-3, spread / 4, size=(2, 1, 3, 2))
    y[0, 0, 0, 0] = -np.inf
    got = alg.mul(x, y)
    want = np.full(got.shape, -np.inf)
    for idx in zip(*np.nonzero(np.isfinite(y)), strict=True):
        window = tuple(slice(i, i + n) for i, n in zip(idx, x.shape, strict=True))
        want[window] = np.logaddexp(want[window], x + y[idx])
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-12)
