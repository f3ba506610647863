"""Scenarios that unfold: the exact dynamic engine against brute force, its limits and inputs."""

from __future__ import annotations

import datetime as dt
import json
import warnings

import numpy as np
import pytest
import yaml
from builders import count, item, question
from scipy import stats

import forecasting as fc
from forecasting.cli import main
from forecasting.core.errors import ForecastingWarning, InputError
from forecasting.model.data import ModelData
from forecasting.pipeline.verify import verify

T = dt.date(2025, 12, 31)
EXIT_INPUT = 2


def _dyn(stay=0.9, period=28.0, **rows):
    transitions = rows or {
        "holds": {"stay": stay, "leaves_to": {"collapse": 1}},
        "collapse": {"stay": 0.95, "leaves_to": {"holds": 1}},
    }
    return {"period_days": period, "transitions": transitions}


def _q(model="mixture", dynamics=None, **extra):
    return question(
        scenarios=("holds", "collapse"),
        indicators={"clashes": count({"holds": (2, 2), "collapse": (16, 2)}, per_days=7)},
        reliability_model=model,
        resolves=T,
        **({} if dynamics is None else {"dynamics": dynamics}),
        **extra,
    )


def _weeks(values, start=dt.date(2025, 8, 4), origin=None, weight=1.0):
    rows = []
    for w, v in enumerate(values):
        end = start + dt.timedelta(weeks=w + 1)
        row = item(f"w{w}", "clashes", v, date=end, window=(end - dt.timedelta(7), end))
        row["reliability"] = weight
        if origin is not None:
            row["origin"] = origin
        rows.append(row)
    return rows


def _forecast(q, rows, as_of):
    return fc.forecast(q, fc.Evidence.from_items(rows, q), as_of=as_of, confidence=False)


@pytest.mark.parametrize("model", ["mixture", "tempered"])
def test_regimes_that_never_move_give_the_static_posterior(model):
    rows = _weeks([1, 0, 2, 1, 7, 9], origin="monitor", weight=0.8)
    still = _dyn(holds={"stay": 1}, collapse={"stay": 1})
    a = _forecast(_q(model, still), rows, dt.date(2025, 9, 15))
    b = _forecast(_q(model), rows, dt.date(2025, 9, 15))
    np.testing.assert_allclose(a.probabilities.values, b.probabilities.values, atol=1e-12)
    np.testing.assert_allclose(a.now.values, b.probabilities.values, atol=1e-12)


def _brute_force(q, rows, as_of, nodes=500):
    """Forward filter on a dense grid of (rate_holds, rate_collapse), summed over the origin's
    state: independent of the engine's path enumeration and quadrature."""
    data = ModelData.build(q, fc.Evidence.from_items(rows, q).as_of(as_of))
    tl = data.timeline
    (ind,) = data.indicators
    periods = np.array([tl.period(d) for d in ind.ref_days])
    order = sorted(set(periods.tolist()), reverse=True)
    prior = ind.prior  # Gamma (shape, rate) per scenario
    u = np.linspace(-9, 4, nodes)  # log rate
    du = u[1] - u[0]
    lam = np.exp(u)
    dens = [stats.gamma.pdf(lam, prior[s, 0], scale=1 / prior[s, 1]) * lam * du for s in range(2)]
    trend = np.zeros(2) if ind.trend is None else ind.trend
    tempered = ind.reliability_model == "tempered"
    log_g = None if tempered else ind.model.item_noise  # not scenario-dependent
    a = ind.item_credibility * ind.item_relay
    rho = 1.0 if tempered else float(ind.item_origin_weights[0])
    total = np.zeros(2)
    for z in (1,) if tempered else (1, 0):
        em = []  # per scenario: emission of each period at the nodes (T_e, nodes)
        for s in range(2):
            exposure = ind.exposures * np.exp(-trend[s] * periods)  # rate * exp(beta t), t = -p
            logf = stats.poisson.logpmf(ind.values[None, :], lam[:, None] * exposure[None, :])
            # per item and node: its likelihood given the origin's state
            if tempered:
                per = ind.weights * logf
            elif z:
                per = np.logaddexp(np.log(a) + logf, np.log1p(-a) + log_g)
            else:
                per = np.broadcast_to(log_g, logf.shape)
            em.append(np.stack([per[:, periods == p].sum(axis=1) for p in order]))

        def emit(t, em=em):  # (2, nodes, nodes): i the holds rate's node, j the collapse's
            return np.stack(
                [
                    np.exp(em[0][t])[:, None] * np.ones((1, nodes)),
                    np.exp(em[1][t])[None, :] * np.ones((nodes, 1)),
                ]
            )

        alpha = data.prior[:, None, None] * emit(0)
        for t in range(1, len(order)):
            step = tl.power(order[t - 1] - order[t])
            alpha = np.einsum("sij,sr->rij", alpha, step) * emit(t)
        at_t = np.einsum("sij,sr->rij", alpha, tl.power(order[-1]))
        w = rho if z else 1 - rho
        total += w * np.einsum("rij,i,j->r", at_t, dens[0], dens[1])
    return total / total.sum()


@pytest.mark.parametrize(
    ("model", "weight", "trend"),
    [("tempered", 1.0, None), ("mixture", 0.7, None), ("mixture", 0.7, {"collapse": 0.4})],
)
def test_the_exact_engine_agrees_with_a_brute_force_forward_filter(model, weight, trend):
    """Reports from one origin in three periods (the mixture couples them through its state);
    also with a trend in one scenario's rate."""
    q = _q(model, _dyn(period=21.0))
    if trend is not None:
        body = q.to_dict()
        body["indicators"]["clashes"]["trend"] = trend
        q = fc.Question.model_validate(body)
    rows = _weeks([1, 0, 1, 2, 6, 9, 8], origin="monitor", weight=weight)
    as_of = dt.date(2025, 9, 22)
    exact = _forecast(q, rows, as_of).probabilities.values
    brute = _brute_force(q, rows, as_of)
    assert np.max(np.abs(exact - brute)) < 1e-3
    assert np.max(np.abs(exact - brute)) < 1e-5  # measured: the grid's own error


def test_the_interval_draws_average_to_the_probability():
    q = _q(dynamics=_dyn())
    f = _forecast(q, _weeks([1, 0, 1, 8, 9]), dt.date(2025, 9, 8))
    rb = f.tree["posterior"]["scenario_probability"].values[0]
    se = rb.std(axis=0) / np.sqrt(len(rb))
    assert np.all(np.abs(rb.mean(axis=0) - f.probabilities.values) < 4 * se + 1e-12)


def _world(rng, switch_week, weeks=26):
    rates = np.where(np.arange(weeks) < switch_week, 1.0, 8.0)
    return [int(v) for v in rng.poisson(rates)]


def test_a_regime_switch_is_followed_within_two_periods_static_lags():
    """Worlds that switch from 'holds' (1 clash a week) to 'collapse' (8 a week) at week 16:
    with dynamics P(collapse now) passes 0.8 within two 28-day periods of the switch in every
    world; the static model (all weeks one regime) has not, in most of them, after ten."""
    rng = np.random.default_rng(7)
    dynamic, static = _q(dynamics=_dyn()), _q()
    start = dt.date(2025, 4, 7)
    lags_dyn, lags_static = [], []
    for _ in range(12):
        values = _world(rng, 16)
        rows = _weeks(values, start=start)
        lag_d = lag_s = None
        for w in range(16, len(values)):
            as_of = start + dt.timedelta(weeks=w + 1)
            sub = rows[: w + 1]
            if lag_d is None and _forecast(dynamic, sub, as_of).now.values[1] > 0.8:
                lag_d = w - 15
            if lag_s is None and _forecast(static, sub, as_of).probabilities.values[1] > 0.8:
                lag_s = w - 15
        lags_dyn.append(lag_d)
        lags_static.append(lag_s if lag_s is not None else 99)
    assert all(lag is not None and lag <= 8 for lag in lags_dyn)  # 8 weeks: two periods
    assert np.median(lags_static) > 8
    # the figures the README quotes (weeks after the switch): dynamics median 2, at most 5;
    # static: 9 of 12 worlds still below 0.8 after 10 weeks of fighting
    assert (np.median(lags_dyn), max(lags_dyn)) == (2, 5)
    assert sum(lag == 99 for lag in lags_static) == 9


def _write(tmp_path, body: dict) -> str:
    path = tmp_path / "models" / "test-q.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    (tmp_path / "evidence" / "test-q").mkdir(parents=True, exist_ok=True)
    return str(path)


@pytest.mark.parametrize(
    ("dynamics", "field", "says"),
    [
        (
            _dyn(holds={"holds": 0.9, "collapse": 0.2}, collapse={"stay": 1}),
            "dynamics.transitions.holds",
            "sums to 1.1",
        ),
        (_dyn(period=0.0), "dynamics.period_days", "greater than or equal to 1"),
        (
            _dyn(holds={"stay": 0.9, "leaves_to": {"colapse": 1}}, collapse={"stay": 1}),
            "dynamics.transitions.holds.leaves_to.colapse",
            "did you mean 'collapse'",
        ),
        (_dyn(holds={"stay": 1}), "dynamics.transitions", "no row for 'collapse'"),
        (
            _dyn(holds={"stay": 0.8}, collapse={"stay": 1}),
            "dynamics.transitions.holds",
            "say where the regime goes",
        ),
    ],
)
def test_bad_dynamics_are_located_errors_and_exit_2(tmp_path, capsys, dynamics, field, says):
    body = _q().to_dict() | {"dynamics": dynamics, "resolves": T.isoformat()}
    path = _write(tmp_path, body)
    with pytest.raises(InputError) as info:
        fc.load_question(path)
    problem = next(p for p in info.value.problems if p.field == field)
    assert says in problem.message and problem.line is not None
    with warnings.catch_warnings():  # every problem at once: the ledger is read too (where
        warnings.simplefilter("default", ForecastingWarning)  # it can be: said to be empty)
        code = main(["run", path, "--as-of", "2025-09-01"])
    _, err = capsys.readouterr()
    assert code == EXIT_INPUT and "Traceback" not in err and says in err


def test_dynamics_need_a_resolution_date(tmp_path):
    body = _q().to_dict() | {"dynamics": _dyn()}
    body.pop("resolves")
    with pytest.raises(InputError) as info:
        fc.load_question(_write(tmp_path, body))
    assert "resolution date" in info.value.problems[0].message


def test_json_shows_now_and_an_archived_dynamic_forecast_verifies(tmp_path, capsys):
    body = _q(dynamics=_dyn()).to_dict() | {"resolves": T.isoformat()}
    path = _write(tmp_path, body)
    rows = _weeks([1, 0, 1, 8, 9, 11])
    for r in rows:
        r["date"] = r["date"].isoformat()
        r["window"] = [d.isoformat() for d in r["window"]]
    (tmp_path / "evidence" / "test-q" / "weeks.yaml").write_text(yaml.safe_dump(rows))
    assert main(["run", path, "--as-of", "2025-09-15", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    now = {s["id"]: s["now"] for s in out["scenarios"]}
    assert now["collapse"] > 0.95 and out["diagnostics"]["dynamics"]["paths"] > 1
    saved = tmp_path / "f.nc"
    assert main(["run", path, "--as-of", "2025-09-15", "--save", str(saved)]) == 0
    check = verify(saved)
    assert check.reproduces, check.differences


def test_the_weekly_change_under_dynamics_adds_up_and_names_an_edit_of_the_transitions():
    from forecasting.analyses.attribution import attribute

    rows = _weeks([1, 0, 1, 2, 8, 9, 11], origin="monitor", weight=0.8)
    q0 = _q(dynamics=_dyn())
    q1 = _q(dynamics=_dyn(stay=0.7))
    before = _forecast(q0, rows[:5], dt.date(2025, 9, 8))
    after = _forecast(q1, rows, dt.date(2025, 9, 22))
    out = attribute(before, after)
    ids = list(out.parts.change_id.values)
    assert "dynamics" in ids and sum(k == "new" for k in out.parts.change_kind.values) == 2
    np.testing.assert_allclose(out.parts.contribution.values.sum(0), out.total, atol=1e-9)
    assert not out.notes


@pytest.mark.parametrize("model", ["mixture", "tempered"])
def test_the_breakdown_is_no_anomaly_under_dynamics_but_flagged_by_the_static_model(model):
    """10 calm weeks, then two weeks of fighting: the static model reads the fighting as
    improbable under every scenario (the calm weeks pinned both rates); with weekly periods
    the fighting is what 'collapse' predicts. (With 28-day periods a period that already
    holds calm weeks must be one regime: the first fighting weeks in it are then surprising
    under both, and flagged, until the period ends.)"""
    from forecasting.analyses.surprise_check import surprise

    rows = _weeks([1, 0, 1, 2, 1, 0, 1, 1, 0, 2, 12, 14], start=dt.date(2025, 5, 19))
    before, after = dt.date(2025, 7, 28), dt.date(2025, 8, 11)
    flags = {}
    weekly = _dyn(stay=0.97, period=7.0)
    for name, q in (("static", _q(model)), ("dynamic", _q(model, weekly))):
        out = surprise(_forecast(q, rows[:10], before), _forecast(q, rows, after))
        flags[name] = out.attrs["flagged"]
        if name == "dynamic":
            assert out.tail_probability.sel(scenario="collapse").min() > 0.05
    assert flags == {"static": True, "dynamic": False}


def test_a_trend_of_zero_changes_nothing_and_a_rising_one_explains_rising_counts():
    rows = _weeks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    as_of = dt.date(2025, 10, 13)

    def with_trend(trend):
        body = _q(dynamics=_dyn()).to_dict()
        if trend is not None:
            body["indicators"]["clashes"]["trend"] = trend
        return _forecast(fc.Question.model_validate(body), rows, as_of)

    flat, zero = with_trend(None), with_trend({"holds": 0.0, "collapse": 0.0})
    np.testing.assert_array_equal(flat.probabilities.values, zero.probabilities.values)
    # the stated rate is the rate at resolution: 'collapse' (8 a week) rising toward it
    # explains counts rising from 1 to 10 better than a flat 8, and falling toward it worse
    evidence = {
        name: with_trend(trend).diagnostics["log_evidence"]
        for name, trend in (("rising", {"collapse": 0.3}), ("falling", {"collapse": -0.3}))
    }
    # measured: log evidence -24.75 rising, -25.32 flat, -30.04 falling
    assert evidence["rising"] > flat.diagnostics["log_evidence"] + 0.5
    assert evidence["falling"] < flat.diagnostics["log_evidence"] - 4.0


def test_a_trend_needs_dynamics_and_known_scenarios(tmp_path):
    body = _q().to_dict()
    body["indicators"]["clashes"]["trend"] = {"colapse": 0.2}
    with pytest.raises(InputError) as info:
        fc.load_question(_write(tmp_path, body))
    messages = {p.field: p.message for p in info.value.problems}
    assert "needs the question's dynamics" in messages["indicators.clashes.trend"]
    assert "did you mean 'collapse'" in messages["indicators.clashes.trend.colapse"]


def test_the_readme_example_the_bundled_question_with_dynamics():
    """The README's example: the bundled question as shipped, with its elicited dynamics.

    Cross-checked without the engine's dynamics: all the October 2025 evidence falls in one
    30-day period, eight periods before the resolution date, so "now" is the static posterior
    (the bundled question without its dynamics) and the forecast at resolution is "now" moved
    eight times by the transition matrix, built here from the file's rows.
    """
    from builders import BUNDLED_FILE, BUNDLED_QUESTION

    q = fc.load_question(BUNDLED_FILE)
    f = fc.forecast(q, as_of="2025-10-27", confidence=False)
    np.testing.assert_allclose(f.now.values, [0.5466, 0.4045, 0.0340, 0.0149], atol=6e-5)
    np.testing.assert_allclose(f.probabilities.values, [0.5522, 0.2603, 0.0874, 0.1002], atol=6e-5)
    static = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", confidence=False)
    np.testing.assert_allclose(f.now.values, static.probabilities.values, atol=1e-12)
    names = list(q.scenario_ids)
    rows = yaml.safe_load(BUNDLED_FILE.read_text())["dynamics"]["transitions"]
    matrix = np.zeros((4, 4))
    for i, name in enumerate(names):
        matrix[i, i] = rows[name]["stay"]
        for to, share in rows[name]["leaves_to"].items():
            matrix[i, names.index(to)] = (1 - rows[name]["stay"]) * share
    assert (dt.date(2026, 6, 30) - dt.date(2025, 10, 27)).days // 30 == 8
    at_resolution = static.probabilities.values @ np.linalg.matrix_power(matrix, 8)
    np.testing.assert_allclose(f.probabilities.values, at_resolution, atol=1e-12)


def test_a_catch_all_no_regime_moves_into_is_never_pruned_away():
    """Twelve quiet weeks, then twelve of clashes: the named regimes switch, the catch-all (no
    transition leads into it) must explain both with one rate, and its one path fell below
    the beam (it read 0%, its log marginal -inf, for ever after). Kept, its log marginal is
    the static question's: the likelihood of staying in it throughout."""
    rows = _weeks([1] * 12 + [9] * 8)
    as_of = dt.date(2025, 12, 22)
    dynamic = _forecast(_q(dynamics=_dyn(), catch_all={"prior": 0.05}), rows, as_of)
    static = _forecast(_q(catch_all={"prior": 0.05}), rows, as_of)
    k = dynamic.scenarios.index("none_of_these")
    got = dynamic.tree["forecast"]["log_marginal"].values[k]
    want = static.tree["forecast"]["log_marginal"].values[k]
    assert np.isfinite(got) and got == pytest.approx(want, abs=1e-9)
    assert 0 < dynamic.now.values[k] < 1e-10


def test_validate_says_what_the_catch_all_stands_for_under_dynamics(tmp_path, capsys):
    closed = _q(dynamics=_dyn(), catch_all={"prior": 0.05})
    path = tmp_path / "models" / "q.yaml"
    path.parent.mkdir()
    path.write_text(closed.to_yaml())
    ledger = tmp_path / "evidence" / closed.id / "l.yaml"
    ledger.parent.mkdir(parents=True)
    ledger.write_text(yaml.safe_dump(_weeks([1]), sort_keys=False))
    assert main(["validate", str(path)]) == 0
    assert "no regime moves into 'none_of_these'" in capsys.readouterr().out
    rows = {
        "holds": {"stay": 0.9, "leaves_to": {"collapse": 0.8, "none_of_these": 0.2}},
        "collapse": {"stay": 0.95, "leaves_to": {"holds": 1}},
    }
    path.write_text(_q(dynamics=_dyn(**rows), catch_all={"prior": 0.05}).to_yaml())
    assert main(["validate", str(path)]) == 0
    assert "regimes move into 'none_of_these' as the transitions say" in capsys.readouterr().out
