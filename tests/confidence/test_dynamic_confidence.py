"""Analytic confidence under dynamics: of the dynamic model, about the probability at resolution.

* With every ``stay: 1`` the regimes never move: each measure is the static one, draw for draw.
* Leaving an origin out is the dynamic forecast of the ledger without it.
* The responsiveness's futures (paths, the next period's regime, each scenario's share of the
  reports) against brute force: on a count of one window, every outcome's probability and the
  forecast after it by the engine on the extended ledger.
* The bundled question with dynamics gets a level; the range narrows as evidence accumulates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_FILE, BUNDLED_QUESTION, binary, count, item, question

import forecasting as fc
from forecasting.confidence import assess
from forecasting.confidence.opinion import STAY_ODDS_BAND, redraw_stays
from forecasting.confidence.responsiveness import streams
from forecasting.confidence.unfolding import measure_unfolding
from forecasting.inputs.resolve import resolve_inputs
from forecasting.model import dynamics
from forecasting.model.data import ModelData

T = dt.date(2025, 12, 31)
START = dt.date(2025, 8, 4)
STILL = {"holds": {"stay": 1}, "collapse": {"stay": 1}}
MOVING = {
    "holds": {"stay": 0.9, "leaves_to": {"collapse": 1}},
    "collapse": {"stay": 0.85, "leaves_to": {"holds": 1}},
}


def _q(transitions=None, period=28.0, resolves=T):
    return question(
        scenarios=("holds", "collapse"),
        indicators={
            "clashes": count({"holds": (2, 2), "collapse": (16, 2)}, per_days=7),
            "talks": binary({"holds": (8, 2), "collapse": (3, 7)}) | {"arrivals_per_30_days": 2},
        },
        reliability_model="mixture",
        resolves=resolves,
        **(
            {}
            if transitions is None
            else {"dynamics": {"period_days": period, "transitions": transitions}}
        ),
    )


def _rows(values=(3, 5, 2, 4, 6, 3)):
    """Weekly counts from two origins in turn (one of them also on talks), over two periods."""
    rows = []
    for w, v in enumerate(values):
        end = START + dt.timedelta(weeks=w + 1)
        row = item(f"w{w}", "clashes", v, date=end, window=(end - dt.timedelta(7), end))
        row["reliability"] = "B2" if w % 2 else 0.7
        row["origin"] = "monitor" if w % 2 else "ngo"
        rows.append(row)
    talks = item("t1", "talks", True, weight=0.8, date=START + dt.timedelta(weeks=5))
    talks["origin"] = "envoy"
    rows.append(talks)
    talks = item("t2", "talks", False, weight=0.6, date=START + dt.timedelta(weeks=2))
    talks["origin"] = "monitor"
    rows.append(talks)
    return rows


AS_OF = START + dt.timedelta(weeks=6)


def _assess(q, rows, as_of=AS_OF, seed=3):
    question_, used, as_of = resolve_inputs(q, fc.Evidence.from_items(rows, q), as_of)
    return assess(ModelData.build(question_, used), used, as_of, question_.horizon, seed=seed)


def _same(a, b, atol=1e-9):
    for name in ("probability", "responsiveness", "expected_move", "opinion", "origin_range"):
        np.testing.assert_allclose(a.ds[name].values, b.ds[name].values, atol=atol, err_msg=name)
    np.testing.assert_allclose(
        a.ds["without_origin"].values, b.ds["without_origin"].values, 0, atol
    )
    for attr in ("futures", "opinion_draws", "p_leader_change", "opinion_p_leader_change"):
        assert a.ds.attrs[attr] == pytest.approx(b.ds.attrs[attr], abs=atol), attr
    assert (a.level, a.reasons) == (b.level, b.reasons)


def test_regimes_that_never_move_give_the_static_confidence():
    """Two origins across two 28-day periods, and a binary indicator: every component."""
    rows = _rows((1, 0, 2, 1, 3, 2))
    static, still = _assess(_q(), rows), _assess(_q(STILL), rows)
    assert still.ds.attrs["futures"] >= 100 and still.ds.attrs["opinion_draws"] >= 1000
    assert len(still.ds["left_out"]) == 3
    _same(still, static)


@pytest.fixture(scope="module")
def bundled():
    q = fc.load_question(BUNDLED_QUESTION)
    return q, resolve_inputs(q, BUNDLED_EVIDENCE, "2025-10-27")[1]


def _with(q, transitions):
    """The bundled question with these transitions; ``None``: as shipped, with its own."""
    if transitions is None:
        return fc.load_question(BUNDLED_FILE)
    dyn = {"period_days": 30, "transitions": transitions}
    return fc.Question.model_validate(q.to_dict() | {"dynamics": dyn, "resolves": "2026-06-30"})


def test_the_bundled_question_with_stays_of_one_is_its_static_confidence(bundled):
    """Four scenarios, a categorical indicator: each measure (fewer futures and draws than
    :func:`assess` takes, to be quick), draw for draw."""
    from forecasting.confidence.opinion import opinion_range
    from forecasting.confidence.origins import evidence_reliability
    from forecasting.confidence.responsiveness import measure_responsiveness
    from forecasting.engines.exact import exact_posterior

    q, used = bundled
    as_of = dt.date(2025, 10, 27)
    static = ModelData.build(q, used)
    still = ModelData.build(_with(q, {s: {"stay": 1} for s in q.scenario_ids}), used)
    closed, post = exact_posterior(static), dynamics.posterior(still)
    p = closed.probability
    np.testing.assert_allclose(post.probability, p, atol=1e-12)
    plan = streams(static, used, as_of, 30.0)
    assert plan == streams(still, used, as_of, 30.0)
    a = measure_responsiveness(static, p, plan, 30.0, seed=5, futures=800, max_futures=800)
    b = measure_unfolding(still, post, plan, 30.0, seed=5, futures=800, max_futures=800)
    np.testing.assert_allclose(b.samples, a.samples, atol=1e-9)
    a = opinion_range(static, p, seed=6, draws=300, max_draws=300)
    b = opinion_range(still, post.probability, seed=6, draws=300, max_draws=300, dynamic=post)
    np.testing.assert_allclose(b.samples, a.samples, atol=1e-9)
    with np.errstate(divide="ignore"):
        log_joint = np.log(static.prior) + closed.log_marginal
    a = evidence_reliability(static, used, p, log_joint)
    b = evidence_reliability(
        still, used, p, None, lambda ids: dynamics.posterior(still.without_items(ids)).probability
    )
    assert a.left_out == b.left_out and len(a.left_out) == 6
    np.testing.assert_allclose(b.without, a.without, atol=1e-9)


def test_leaving_an_origin_out_is_the_dynamic_forecast_without_it():
    q, rows = _q(MOVING), _rows()
    conf = _assess(q, rows)
    assert set(conf.ds["left_out"].values) == {"monitor", "ngo", "envoy"}
    for origin in ("monitor", "ngo", "envoy"):
        kept = [r for r in rows if r["origin"] != origin]
        f = fc.forecast(q, fc.Evidence.from_items(kept, q), as_of=AS_OF, confidence=False)
        np.testing.assert_allclose(
            conf.ds["without_origin"].sel(left_out=origin).values,
            f.probabilities.values,
            atol=1e-12,
        )
    full = fc.forecast(q, fc.Evidence.from_items(rows, q), as_of=AS_OF, confidence=False)
    np.testing.assert_allclose(conf.ds["probability"].values, full.probabilities.values, atol=1e-12)


def test_the_stays_are_redrawn_within_their_band_and_a_stay_of_one_is_held():
    matrix = np.array([[0.9, 0.1, 0.0], [0.3, 0.6, 0.1], [0.0, 0.0, 1.0]])
    m = redraw_stays(matrix, np.random.default_rng(0), 4000)
    np.testing.assert_allclose(m.sum(axis=2), 1.0, atol=1e-12)
    assert np.all(m[:, 2, 2] == 1.0) and np.all(m[:, 0, 2] == 0.0)
    for k, stay in ((0, 0.9), (1, 0.6)):
        factor = (m[:, k, k] / (1 - m[:, k, k])) / (stay / (1 - stay))
        assert factor.min() >= 1 / STAY_ODDS_BAND - 1e-12 and factor.max() <= STAY_ODDS_BAND + 1e-12
        assert 0.05 < np.mean(factor < 0.75) < 0.25  # spread over the band, not at its ends
    # leaving probabilities keep their proportions (row 1: to 0 three times as often as to 2)
    np.testing.assert_allclose(m[:, 1, 0], 3 * m[:, 1, 2], rtol=1e-12)
    assert redraw_stays(np.eye(3), np.random.default_rng(0), 10) is None


def test_redrawn_stays_widen_the_range_of_opinion(monkeypatch):
    """The same likelihood draws, with and without the stays redrawn: the probability at
    resolution spreads further with them."""
    from forecasting.confidence import opinion

    q, rows = _q(MOVING), _rows()
    question_, used, _ = resolve_inputs(q, fc.Evidence.from_items(rows, q), AS_OF)
    data = ModelData.build(question_, used)
    post = dynamics.posterior(data)

    def spread():
        out = opinion.opinion_range(
            data, post.probability, seed=4, dynamic=post, draws=400, max_draws=400
        )
        assert np.all(out.lower <= post.probability) and np.all(post.probability <= out.upper)
        return out.samples.std(axis=0)

    moved = spread()
    monkeypatch.setattr(opinion, "redraw_stays", lambda *args: None)
    held = spread()
    assert np.all(moved > 1.1 * held), (moved, held)


def _one_window_case(trend=None):
    """One count, one unreliable origin in three 21-day periods (its state is split between
    regimes on some paths), and the horizon's window two periods before resolution."""
    clashes = count({"holds": (2, 2), "collapse": (16, 2)}, per_days=7)
    q = question(
        scenarios=("holds", "collapse"),
        indicators={"clashes": clashes | ({} if trend is None else {"trend": trend})},
        reliability_model="mixture",
        resolves=dt.date(2025, 11, 3),
        dynamics={"period_days": 21, "transitions": MOVING},
    )
    rows = []
    for w, v in enumerate([1, 0, 2, 1, 6, 9, 8]):
        end = START + dt.timedelta(weeks=w + 1)
        row = item(f"w{w}", "clashes", v, date=end, window=(end - dt.timedelta(7), end))
        row["reliability"] = "B2"  # the origin 0.8 (its state is split), each report 0.8
        row["origin"] = "monitor"
        rows.append(row)
    return q, rows, START + dt.timedelta(weeks=7)


@pytest.mark.parametrize("trend", [None, {"collapse": 0.3}])
def test_the_futures_are_the_engines_forecasts_of_the_extended_ledger_with_their_probabilities(
    trend,
):
    """Brute force: every count of the horizon's window (0..139), its probability
    ``p(E + y) / p(E)`` and ``P(S_T | E + y)`` by the engine on the ledger with that report
    (from a new origin, reliability as the measure's); the futures must be these outcomes (to
    1e-8: the atoms' integral against the engine's) at these frequencies."""
    q, rows, as_of = _one_window_case(trend)
    ev = fc.Evidence.from_items(rows, q)
    data = ModelData.build(q, ev)
    post = dynamics.posterior(data)
    assert len(post.periods) == 3 and post.dropped == 0.0
    plan = streams(data, ev, as_of, 30.0)
    (stream,) = plan
    res = measure_unfolding(data, post, plan, 30.0, seed=11, futures=4000, max_futures=4000)
    end = as_of + dt.timedelta(days=30)
    support = np.arange(140)
    exact, weight = [], []
    for y in support:
        extra = item("next", "clashes", int(y), date=end, window=(as_of, end))
        extra["reliability"] = stream.reliability
        extra["origin"] = "future"
        more = dynamics.posterior(ModelData.build(q, fc.Evidence.from_items([*rows, extra], q)))
        exact.append(more.probability)
        weight.append(np.exp(more.log_evidence - post.log_evidence))
    exact, weight = np.array(exact), np.array(weight)
    # (the window's exposure is the horizon's: 30 / 7 weeks; its log evidence includes the
    # new report's probability, so the weights are the predictive)
    assert abs(weight.sum() - 1.0) < 1e-6
    np.testing.assert_allclose(weight @ exact, post.probability, atol=1e-9)  # martingale
    gap = np.abs(res.samples[:, None, 0] - exact[None, :, 0])
    nearest = np.argmin(gap, axis=1)
    assert gap[np.arange(len(nearest)), nearest].max() < 1e-8  # measured: 1e-10
    freq = np.bincount(nearest, minlength=len(support)) / len(nearest)
    sd = np.sqrt(weight * (1 - weight) / len(nearest))
    assert np.all(np.abs(freq - weight) < 5 * sd + 1e-3)
    # and so the measures: the mean, the chance the leader changes, the expected move
    leader = int(np.argmax(post.probability))
    flip = weight @ (np.argmax(exact, axis=1) != leader)
    move = weight @ np.abs(exact - post.probability)
    n = len(res.samples)
    assert abs(res.p_leader_change - flip) < 4 * np.sqrt(flip * (1 - flip) / n) + 1e-3
    assert np.all(np.abs(res.expected_move - move) < 0.01)
    np.testing.assert_allclose(res.samples.mean(axis=0), post.probability, atol=0.01)


def test_the_bundled_question_with_dynamics_gets_a_level(bundled):
    q, used = bundled
    data = ModelData.build(_with(q, None), used)
    conf = assess(data, used, dt.date(2025, 10, 27), 30.0, seed=0)
    assert conf.level in ("low", "moderate", "high") and conf.reasons
    post = dynamics.posterior(data)
    np.testing.assert_allclose(conf.ds["probability"].values, post.probability, atol=1e-12)
    assert "resolution" in conf.ds["probability"].attrs["description"]
    # the futures average to today's probability at resolution (a martingale)
    resp = measure_unfolding(
        data,
        post,
        streams(data, used, dt.date(2025, 10, 27), 30.0),
        30.0,
        seed=1,
        futures=4000,
        max_futures=4000,
    )
    se = resp.samples.std(axis=0) / np.sqrt(len(resp.samples))
    assert np.all(np.abs(resp.samples.mean(axis=0) - post.probability) < 4 * se + 1e-12)
    out = conf.to_dict()
    assert out["level"] == conf.level and out["opinion"]["draws"] >= 1000


def test_the_range_narrows_as_evidence_from_one_regime_accumulates():
    """Ledgers of yes/no reports drawn from 'collapse' in one period, persistent regimes (stays
    0.97), the question resolving two periods on: the width of the range at resolution at 2, 8
    and 32 reports (20 ledgers) falls at each step. (It falls toward a floor the regimes' own
    moves set: with stays 0.9 and 0.85 and a monthly count that tells the next month's regime
    apart, the range was about 0.65 wide at 2, 6 and 18 reports alike.) Measured: mean widths
    0.54, 0.26, 0.13."""
    stays = {
        "holds": {"stay": 0.97, "leaves_to": {"collapse": 1}},
        "collapse": {"stay": 0.97, "leaves_to": {"holds": 1}},
    }
    q = question(
        scenarios=("holds", "collapse"),
        indicators={
            "talks": binary({"holds": (8, 2), "collapse": (3, 7)}) | {"arrivals_per_30_days": 2}
        },
        reliability_model="mixture",
        resolves=dt.date(2025, 11, 30),
        dynamics={"period_days": 30, "transitions": stays},
    )
    as_of = dt.date(2025, 9, 28)
    rng = np.random.default_rng(2)
    widths = []
    for ledger in range(20):
        p = rng.beta(3, 7)
        rows = []
        for i in range(32):
            row = item(f"r{i}", "talks", bool(rng.random() < p), date=dt.date(2025, 9, 2 + i % 26))
            row["reliability"] = 0.9
            rows.append(row)
        w = []
        for n in (2, 8, 32):
            ev = fc.Evidence.from_items(rows[:n], q)
            data = ModelData.build(q, ev.as_of(as_of))
            post = dynamics.posterior(data)
            plan = streams(data, ev, as_of, 30.0)
            res = measure_unfolding(
                data, post, plan, 30.0, seed=ledger, futures=400, max_futures=400
            )
            w.append((res.upper - res.lower)[1])
        widths.append(w)
    widths = np.array(widths)
    step = widths[:, :-1] - widths[:, 1:]
    assert np.all(step.mean(axis=0) > 3 * step.std(axis=0, ddof=1) / np.sqrt(len(step))), widths
