"""Every exact sensitivity analysis against brute-force recomputation on random questions.

A "refit" here is a fresh closed-form forecast of a modified question or ledger; the analyses
must give the same numbers from their vectorised shortcuts.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import pytest
import xarray as xr
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, evidence, random_model
from hypothesis import given, settings

import forecasting as fc
from forecasting import analyses as sn
from forecasting.analyses.base import TIE
from forecasting.analyses.judgements import find_judgement
from forecasting.core.stats import entropy
from forecasting.engines import exact
from forecasting.kinds.binary import MIN_BETA_CONCENTRATION
from forecasting.model.data import ModelData

RTOL = 1e-9


def refit(q, ev):
    return exact.exact_posterior(ModelData.build(q, ev)).probability


def assert_is_refit_without(row, q, ev, drop, rtol=1e-7):
    """``row``'s probability without the items ``drop`` is the exact posterior refit without."""
    np.testing.assert_allclose(
        row["probability_without"].values, refit(q, ev.without(drop)), rtol=rtol, atol=1e-12
    )


def log_evidence(q, ev):
    return exact.exact_posterior(ModelData.build(q, ev)).log_evidence


def with_item(ev, q, **changes):
    """The ledger with one item's fields changed (by id)."""
    rows = []
    for it in ev.items:
        row = it.to_dict()
        row["date"] = it.date
        row.pop("window", None)
        if it.exposure is not None:
            row["exposure"] = it.exposure
        row["reliability"] = it.weight
        if it.id == changes.get("id"):
            row.update({k: v for k, v in changes.items() if k != "id"})
        rows.append(row)
    return fc.Evidence.from_items(rows, q)


def modified_question(q, fn):
    body = q.to_dict()
    fn(body)
    return fc.Question.model_validate(body)


# --- evidence influence ----------------------------------------------------------------------


@settings(max_examples=30)
@given(random_model())
def test_leave_one_out_matches_refits(model):
    q, ev = model
    infl = sn.evidence_influence(q, ev, as_of="2025-06-01")
    full = refit(q, ev)
    np.testing.assert_allclose(infl["probability"].values, full, rtol=RTOL)
    for it in ev.items:
        without = refit(q, ev.without([it.id]))
        row = infl.sel(item=it.id)
        np.testing.assert_allclose(
            row["probability_without"].values, without, rtol=1e-7, atol=1e-12
        )
        np.testing.assert_allclose(row["shift"].values, full - without, atol=1e-9)
        logit = np.log(full) - np.log1p(-full) - (np.log(without) - np.log1p(-without))
        np.testing.assert_allclose(row["log_bayes_factor"].values, logit, rtol=1e-6, atol=1e-8)


@settings(max_examples=20)
@given(random_model())
def test_indicator_and_origin_influence_match_refits(model):
    q, ev = model
    by_ind = sn.indicator_influence(q, ev, as_of="2025-06-01")
    for name in q.indicators:
        drop = [it.id for it in ev.items if it.indicator == name]
        assert_is_refit_without(by_ind.sel(indicator=name), q, ev, drop)
    if ev.items:
        # origins that cut across sources (two outlets relaying one origin, one outlet two)
        items = tuple(
            replace(it, origin=f"origin {n % 2}", via=(it.source,)) for n, it in enumerate(ev.items)
        )
        ev = replace(ev, items=items)
        by_origin = sn.origin_influence(q, ev, as_of="2025-06-01")
        assert list(by_origin["origin"].values) == sorted({it.origin for it in items})
        for origin in {it.origin for it in ev.items}:
            drop = [it.id for it in ev.items if it.origin == origin]
            assert_is_refit_without(by_origin.sel(origin=origin), q, ev, drop)


def test_origin_influence_with_dynamics_is_the_forecast_at_resolution_without_the_origin():
    """With dynamics the forecast is at the resolution date; so is the one without an origin
    (not the posterior of today, which would read the dynamics' drift as the origin's weight).
    An origin of one item moves it exactly as that item does."""
    from builders import BUNDLED_FILE

    q = fc.load_question(BUNDLED_FILE)
    ev = fc.load_evidence(BUNDLED_EVIDENCE, q).as_of(dt.date(2025, 10, 27))
    assert q.dynamics is not None
    by_origin = sn.origin_influence(q, ev, as_of="2025-10-27")
    by_item = sn.evidence_influence(q, ev, as_of="2025-10-27")
    for origin in by_origin["origin"].values:
        drop = [it.id for it in ev.items if it.origin == origin]
        assert_is_refit_without(by_origin.sel(origin=origin), q, ev, drop, rtol=1e-9)
        if len(drop) == 1:
            np.testing.assert_allclose(
                by_origin.sel(origin=origin)["shift"].values,
                by_item.sel(item=drop[0])["shift"].values,
                atol=1e-12,
            )


def test_an_item_improbable_under_every_scenario_is_not_diagnostic():
    """ACH counts such an item as highly diagnostic; its Bayes factors are all 1 here."""
    from builders import binary, item, question

    q = question(
        ("a", "b", "c"),
        indicators={
            "fact": binary({s: (1, 20) for s in "abc"}),
            "other": binary({"a": (8, 2), "b": (2, 8), "c": (5, 5)}),
        },
    )
    ev = evidence(q, [item("odd", "fact", True), item("real", "other", True)])
    infl = sn.evidence_influence(q, ev, as_of="2025-06-01")
    assert infl["diagnosticity"].sel(item="odd") < 1e-12
    assert infl["diagnosticity"].sel(item="real") > 0.5


# --- judgement sensitivity -------------------------------------------------------------------


def _set_mean(q, jd, value):
    """The question with judgement ``jd`` set to ``value``, written as a user would."""

    def edit(body):
        if jd.kind == "prior":
            k = q.scenario_ids.index(jd.scenario)
            p = np.array(q.prior)
            p = p * (1 - value) / (1 - p[k])
            p[k] = value
            for s, pk in zip(q.scenario_ids, p, strict=True):
                body["scenarios"][s]["prior"] = float(pk)
            return
        if jd.kind != "likelihood":
            raise AssertionError(jd)
        ind = q.indicators[jd.target]
        k = q.scenario_ids.index(jd.scenario)
        if ind.kind == "count":
            a, b = ind.prior_params(q.scenario_ids)[k]
            body["indicators"][jd.target]["rate"][jd.scenario] = {
                "mean": value,
                "sd": math.sqrt(a) / b,
            }
        elif ind.kind == "continuous":
            _, s = ind.prior_params(q.scenario_ids)[k]
            body["indicators"][jd.target]["mean"][jd.scenario] = {"mean": value, "sd": s}
        elif ind.kind == "binary":
            a, b = ind.prior_params(q.scenario_ids)[k]
            sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
            if sd**2 >= value * (1 - value) / (1 + MIN_BETA_CONCENTRATION):
                nu = max(value * (1 - value) / sd**2 - 1, min(MIN_BETA_CONCENTRATION, a + b))
                entry = {"alpha": value * nu, "beta": (1 - value) * nu}
            else:
                entry = {"mean": value, "sd": sd}
            body["indicators"][jd.target]["probability"][jd.scenario] = entry
        else:
            alpha = ind.prior_params(q.scenario_ids)[k]
            total = alpha.sum()
            if jd.likelihood.members:  # the categories no item names, as one: their total
                mine = [ind.categories.index(m) for m in jd.likelihood.members]
                old = alpha[mine].sum() / total
                new = alpha * (1 - value) / (1 - old)
                new[mine] = alpha[mine] * value / old
            else:
                c = ind.categories.index(jd.category)
                new = alpha * (1 - value) / (1 - alpha[c] / total)
                new[c] = value * total
            body["indicators"][jd.target]["probabilities"][jd.scenario] = {
                "alpha": dict(zip(ind.categories, new.tolist(), strict=True))
            }

    return modified_question(q, edit)


@settings(max_examples=20)
@given(random_model())
def test_judgement_swings_match_refits(model):
    _swings_match_refits(model)


@settings(max_examples=20)
@given(random_model(reliability_model="mixture"))
def test_judgement_swings_match_refits_under_the_truth_mixture(model):
    """With the default noise (the scenarios' prior predictive, weighted by their priors) a
    likelihood's or a prior's judgement moves the noise too, as a refit of the edited question
    does."""
    _swings_match_refits(model)


def _swings_match_refits(model):
    q, ev = model
    sens = sn.judgement_sensitivity(q, ev, as_of="2025-06-01")
    base = sn.base_of(q, ev, as_of="2025-06-01")
    for jd in sn.all_judgements(base):
        got = sens.sel(judgement=jd.id)["probability"].values
        for s, value in enumerate((jd.low, jd.high)):
            if jd.kind == "concentration":
                expected = refit(q, ev)  # the point does not depend on it
            elif jd.kind == "reliability":
                expected = refit(q, with_item(ev, q, id=jd.target, reliability=value))
            elif jd.kind == "origin":
                # a numeric reliability grades no origin (its letter is 1): regraded in test_mixture
                continue
            else:
                q2 = _set_mean(q, jd, value)
                expected = refit(q2, evidence(q2, [dict(r, date=r["date"]) for r in _rows(ev)]))
            np.testing.assert_allclose(
                got[s], expected, rtol=1e-6, atol=1e-10, err_msg=f"{jd.id} at {value}"
            )


def _rows(ev):
    rows = []
    for it in ev.items:
        row = it.to_dict()
        row["date"] = it.date
        row["reliability"] = it.weight
        rows.append(row)
    return rows


def test_judgement_ranges_are_the_elicited_quantiles():
    from scipy import stats

    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    sens = sn.judgement_sensitivity(f)
    row = sens.sel(judgement="likelihood:joint_operations:accession")
    q = fc.load_question(BUNDLED_QUESTION)
    a, b = q.indicators["joint_operations"].rate["accession"].params
    np.testing.assert_allclose(
        [row.low_value, row.high_value], stats.gamma.ppf([0.05, 0.95], a, scale=1 / b)
    )
    prior = sens.sel(judgement="prior:accession")
    odds = 0.25 / 0.75
    np.testing.assert_allclose(
        [prior.low_value, prior.high_value], [odds / 2 / (1 + odds / 2), 2 * odds / (1 + 2 * odds)]
    )
    assert float(sens.sel(judgement="concentration")["leader_swing"]) == 0.0


def test_sweep_of_ten_thousand_settings_is_one_call(monkeypatch):
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    base = sn.base_of(f)
    assert base.probability.shape == (4,)  # the closed form, computed before the sweep
    _, ind = base.indicator("joint_operations")
    # the truth mixture with the default noise: the quadrature of each setting's likelihood
    # (the noise moves with accession's rate) against each setting's prior, all at once
    model_class = type(ind.model)
    original = model_class._noise_log_l
    calls = []

    def counted(self, rep, g):
        calls.append(np.shape(g))
        return original(self, rep, g)

    monkeypatch.setattr(model_class, "_noise_log_l", counted)
    monkeypatch.setattr(model_class, "_build", lambda *a: pytest.fail("a refit per setting"))
    values = np.linspace(0.05, 6.0, 10_000)
    curve = sn.sweep(base, "likelihood:joint_operations:accession", values)
    # vectorised over the settings (in pieces of bounded memory), no refit of any one
    assert sum(c[0] for c in calls) == 10_000 and {c[1] for c in calls} == {len(ind.values)}
    assert len(calls) <= 4
    assert curve.shape == (10_000, 4)
    np.testing.assert_allclose(curve.sum("scenario"), 1.0, atol=1e-12)
    # at the base value the sweep reproduces the forecast
    monkeypatch.undo()
    base_value = float(curve.attrs["base"])
    at = sn.sweep(f, "likelihood:joint_operations:accession", [base_value])
    np.testing.assert_allclose(at.values[0], f.probabilities.values, rtol=1e-9)
    # and elsewhere, a refit of the edited question: the moved noise enters every scenario's
    # likelihood, here also through the al-Dumayr operation's two linked origins
    assert ind.model.default_noise and ind.model.reports().components
    q = fc.load_question(BUNDLED_QUESTION)
    for jid in ("likelihood:joint_operations:accession", "prior:collapse"):
        jd = find_judgement(base, jid)
        q2 = _set_mean(q, jd, jd.high)
        want = fc.forecast(q2, BUNDLED_EVIDENCE, as_of="2025-10-27").probabilities.values
        got = sn.sweep(base, jid, [jd.high]).values[0]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=jid)


def test_unknown_judgement_suggests_a_name():
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    with pytest.raises(KeyError, match="did you mean 'prior:accession'"):
        sn.sweep(f, "prior:accesion", [0.3])


# --- tipping points --------------------------------------------------------------------------


@settings(max_examples=15)
@given(random_model())
def test_tipping_points_flip_the_leader(model):
    _tips_flip_the_leader(model)


@settings(max_examples=10)
@given(random_model(reliability_model="mixture"))
def test_tipping_points_flip_the_leader_under_the_truth_mixture(model):
    """Where the default noise moves with a judgement: the coarse search with bisection."""
    _tips_flip_the_leader(model)


def _tips_flip_the_leader(model):
    q, ev = model
    tips = sn.tipping_points(q, ev, as_of="2025-06-01")
    base = sn.base_of(q, ev, as_of="2025-06-01")
    for jd in sn.all_judgements(base):
        row = tips.sel(judgement=jd.id)
        for side in ("below", "above"):
            flip = float(row[f"flip_{side}"])
            if math.isnan(flip):
                continue
            # just inside the flip, on the base's side of it (a flip found next to the base, as
            # when the base is a tie, has no room for a fixed step)
            step = min(1e-5 * max(1.0, abs(jd.base)), abs(flip - jd.base) / 2)
            inside = flip + (step if side == "below" else -step)
            # a tie (within TIE, in log terms) is no change of leader: equal priors and no
            # evidence tie every scenario, and rounding then picks any of them
            before = np.log(sn.sweep(base, jd.id, [inside]).values[0])
            after = sn.sweep(base, jd.id, [flip]).values[0]
            assert before[base.leader] >= before.max() - TIE, jd.id
            assert np.log(after.max()) - np.log(after[base.leader]) > TIE, jd.id
            assert q.scenario_ids[int(np.argmax(after))] == str(row[f"leader_{side}"].item())


def test_bundled_tipping_points_and_refit():
    """A flip found by the search is a real flip when the question is edited and refitted."""
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    q = fc.load_question(BUNDLED_QUESTION)
    ev = fc.load_evidence(None, q).as_of(f.as_of)
    tips = sn.tipping_points(f)
    row = tips.sel(judgement="likelihood:joint_operations:accession")
    flip = float(row.flip_below)
    assert 0 < flip < float(row.base_value)
    jd = next(j for j in sn.all_judgements(sn.base_of(f)) if j.id == row.judgement)
    after = refit(_set_mean(q, jd, flip * 0.999), ev)
    assert q.scenario_ids[int(np.argmax(after))] == str(row.leader_below.item())
    assert np.argmax(refit(_set_mean(q, jd, flip * 1.001), ev)) == 0


@settings(max_examples=15)
@given(random_model())
def test_item_tipping_points_match_refits(model):
    q, ev = model
    tips = sn.item_tipping_points(q, ev, as_of="2025-06-01", max_count=60)
    leader = int(np.argmax(refit(q, ev)))
    base = sn.base_of(q, ev, as_of="2025-06-01")
    for it in ev.items:
        value = str(tips.sel(item=it.id)["flip_value"].values)
        if not value:
            assert np.isnan(float(tips.sel(item=it.id)["flip_code"]))
            continue
        code = float(tips.sel(item=it.id)["flip_code"])
        spec = q.indicators[it.indicator]
        new = {
            "count": int,
            "binary": lambda v: v == "true",
            "categorical": str,
            "continuous": lambda v, code=code: code,
        }[it.kind](value)
        after = refit(q, with_item(ev, q, id=it.id, value=new))
        assert int(np.argmax(after)) != leader
        if it.kind == "count":  # nothing nearer flips it
            for y in range(min(it.value, new) + 1, max(it.value, new)):
                mid = refit(q, with_item(ev, q, id=it.id, value=y))
                assert int(np.argmax(mid)) == leader
        if it.kind == "continuous":  # the next value of the search grid, nearer, does not
            _, ind = base.indicator(it.indicator)
            grid = np.sort(ind.kind.alternatives(ind, float(it.value), 0))
            between = grid[(grid - it.value) * (code - it.value) > 0]
            nearer = between[np.abs(between - it.value) < abs(code - it.value)]
            if len(nearer):
                y = nearer[np.argmax(np.abs(nearer - it.value))]
                mid = refit(q, with_item(ev, q, id=it.id, value=float(y)))
                assert int(np.argmax(mid)) == leader
            assert spec.kind == "continuous"


# --- the next observation and its value ------------------------------------------------------


@settings(max_examples=15)
@given(random_model())
def test_next_observation_and_value_of_information(model):
    q, ev = model
    nxt = sn.next_observation(q, ev, as_of="2025-06-01", min_probability=0.0)
    voi = sn.value_of_information(q, ev, as_of="2025-06-01")
    full = refit(q, ev)
    logz = log_evidence(q, ev)
    rows = _rows(ev)

    def with_next(name, spec, y):
        new = {
            "id": "next",
            "indicator": name,
            "value": y,
            "date": rows[0]["date"] if rows else dt.date(2025, 1, 1),
            "source": "n",
            "reliability": 1.0,
        }
        if spec.kind == "count":
            new["exposure"] = 1.0
        return evidence(q, rows + [new])

    for name, spec in q.indicators.items():
        sel = nxt.where(nxt.outcome_indicator == name, drop=True)
        pred = sel["predictive_probability"].values
        expected_gain = 0.0
        total = 0.0
        for n, code in enumerate(sel.outcome_code.values):
            y = {
                "count": int,
                "binary": bool,
                "categorical": lambda c, spec=spec: spec.categories[int(c)],
                "continuous": float,
            }[spec.kind](code)
            ev2 = with_next(name, spec, y)
            post = refit(q, ev2)
            np.testing.assert_allclose(sel["probability"].values[n], post, rtol=1e-7, atol=1e-12)
            if spec.kind != "continuous":
                # predictive probability from the ratio of the two evidences
                np.testing.assert_allclose(
                    pred[n], math.exp(log_evidence(q, ev2) - logz), rtol=1e-7, atol=1e-14
                )
            expected_gain += pred[n] * entropy(post)
            total += pred[n]
        assert total == pytest.approx(1.0, abs=1e-6)
        gain = float(entropy(full)) - expected_gain
        assert float(voi.sel(indicator=name)["entropy_reduction"]) == pytest.approx(
            gain, rel=1e-6, abs=1e-9
        )
        assert float(voi.sel(indicator=name)["entropy_reduction"]) >= -1e-12
        if spec.kind == "continuous":
            _check_continuous_outcomes(q, name, spec, sel, voi, full, logz, with_next)


def test_one_base_shares_the_next_observations_only_at_the_same_reliability():
    """``sensitivity`` asks both analyses of one base: they share the posteriors after each
    outcome, but a next observation of another reliability is worked out anew."""
    from forecasting.analyses.base import base_of

    q = fc.load_question(BUNDLED_QUESTION)
    ev = fc.load_evidence(BUNDLED_EVIDENCE, q)
    f = fc.forecast(q, ev, as_of="2025-10-27")
    shared = base_of(f, None, None)
    unreliable = sn.next_observation(shared, weight=0.3)
    voi = sn.value_of_information(shared)
    xr.testing.assert_identical(voi, sn.value_of_information(base_of(f, None, None)))
    xr.testing.assert_identical(unreliable, sn.next_observation(base_of(f, None, None), weight=0.3))
    confirmed = sn.next_observation(shared)  # weight 1: the posteriors voi used
    assert unreliable.sizes != confirmed.sizes or not np.allclose(
        unreliable["probability"], confirmed["probability"]
    )


def _check_continuous_outcomes(q, name, spec, sel, voi, full, logz, with_next):
    """Equal-mass points of the predictive mixture; the value of information by quadrature."""
    from scipy import integrate

    def density(y):
        return math.exp(log_evidence(q, with_next(name, spec, float(y))) - logz)

    codes = sel.outcome_code.values
    n = len(codes)
    lo = codes[0] - 20 * spec.sd - 40
    for k in (0, n // 2, n - 1):  # the points are the mixture's quantiles at (k + 1/2) / n
        below = integrate.quad(density, lo, codes[k], epsabs=1e-10, limit=200)[0]
        assert below == pytest.approx((k + 0.5) / n, abs=1e-6)
    # the expected posterior entropy, integrated over the predictive density
    hi = codes[-1] + 20 * spec.sd + 40
    expected = integrate.quad(
        lambda y: density(y) * float(entropy(refit(q, with_next(name, spec, float(y))))),
        lo,
        hi,
        epsabs=1e-9,
        limit=400,
    )[0]
    exact_gain = float(entropy(full)) - expected
    got = float(voi.sel(indicator=name)["entropy_reduction"])
    assert got == pytest.approx(exact_gain, abs=CONTINUOUS_VOI_TOLERANCE)


#: Largest error allowed of the value of information of a continuous indicator, whose next
#: observation is represented by 40 equal-mass points (measured: at most 6.7e-4 nats, about 2%
#: of the value, on 12 random questions; the rule slightly underestimates it).
CONTINUOUS_VOI_TOLERANCE = 2e-3


def test_bundled_sensitivity_tree():
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27")
    tree = sn.sensitivity(f)
    for group in (
        "evidence_influence",
        "indicator_influence",
        "origin_influence",
        "judgement_sensitivity",
        "concentration_intervals",
        "tipping_points",
        "item_tipping_points",
        "next_observation",
        "value_of_information",
    ):
        assert group in tree.children, group
    assert tree.attrs["leader"] == f.leading
    infl = tree["evidence_influence"]
    assert set(infl["item"].values) == {it["id"] for it in f.evidence_items}
    nxt = tree["next_observation"].to_dataset()
    ops = nxt.where(nxt.outcome_indicator == "joint_operations", drop=True)
    assert "0" in set(ops.outcome_value.values)


def test_importance_reweighting_of_exact_draws_matches_exact_leave_one_out():
    """The reweighting path (used for models without a closed form) on i.i.d. draws."""
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", draws=20_000, seed=2)
    psis = sn.influence_psis(f, refit=False)
    exact_loo = sn.evidence_influence(f)
    assert np.all(psis["pareto_k"].values < sn.PARETO_K_MAX)
    np.testing.assert_allclose(
        psis["probability_without"].values, exact_loo["probability_without"].values, atol=0.01
    )


def test_refits_under_the_mixture_build_the_model_for_each_item(monkeypatch):
    """A refit leaves its own item out: under the mixture a new model per item (the reports
    are part of the graph), never the first refit's model again."""
    from forecasting.engines import mcmc
    from forecasting.model import pymc_model

    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-20", draws=400, seed=2)
    built, runs = [], []

    def build(data):
        built.append(tuple(data.item_ids))
        return object()

    def run(data, *, model, **kwargs):
        runs.append((tuple(data.item_ids), model))
        return type("R", (), {"probability": np.full(4, 0.25)})()

    monkeypatch.setattr(pymc_model, "build_model", build)
    monkeypatch.setattr(mcmc, "run", run)
    psis = sn.influence_psis(f, k_max=-np.inf)  # every item refitted
    items = list(f.tree["constant_data"]["item"].values)
    assert list(psis["method"].values) == ["refit"] * len(items)
    assert [set(b) for b in built] == [set(items) - {i} for i in items]
    assert len({id(m) for _, m in runs}) == len(items)


def test_concentration_moves_intervals_not_probabilities():
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=9)
    ci = sn.concentration_intervals(f, draws=4000, seed=9)
    # the base setting is the forecast's own interval (same draws)
    np.testing.assert_allclose(
        ci.sel(setting="base").values, f.interval_if_parameters_known.values, rtol=1e-12
    )
    q = fc.load_question(BUNDLED_QUESTION)
    body = q.to_dict()
    body["prior_concentration"] = 2 * q.concentration
    q2 = fc.Question.model_validate(body)
    ev = fc.load_evidence(None, q)
    f2 = fc.forecast(q2, ev, as_of="2025-10-27", seed=9)
    # the other settings share the forecast's draws of the scenario and the parameters (their
    # law does not depend on the concentration) and redraw pi: a refit's interval within
    # Monte Carlo error (each bound's sd over seeds 0.006 at 4,000 draws, so a difference of
    # two has sd 0.0085: 4 of those)
    np.testing.assert_allclose(
        ci.sel(setting="high").values, f2.interval_if_parameters_known.values, atol=0.035
    )
    assert np.abs(ci.sel(setting="low").values - ci.sel(setting="base").values).max() > 0.01
    np.testing.assert_allclose(f2.probabilities.values, f.probabilities.values, rtol=1e-12)


@settings(max_examples=10)
@given(random_model(reliability_model="mixture"))
def test_many_judgements_swept_at_once_equal_each_swept_alone(model):
    """The tipping points' first grids: every likelihood judgement of an indicator (each row its
    own scenario's parameters) and every scenario's prior in one call each."""
    from forecasting.analyses.judgements import sweep_log_joint, sweep_many

    q, ev = model
    base = sn.base_of(q, ev, as_of="2025-06-01")
    sweeps = [
        (jd, np.linspace(jd.lower_limit, jd.upper_limit, 7)[1:-1])
        for jd in sn.all_judgements(base)
        if jd.kind != "concentration"
    ]
    together = sweep_many(base, sweeps)
    for (jd, values), got in zip(sweeps, together, strict=True):
        np.testing.assert_allclose(
            got, sweep_log_joint(base, jd, values), rtol=1e-12, atol=1e-12, err_msg=jd.id
        )


def test_concentration_intervals_from_a_forecasts_own_draws_as_from_fresh_draws():
    """Given the forecast, its draws of pi and P(S | E, pi, theta) are reused (log L is their
    log ratio up to a constant per draw): the base setting is its own interval exactly and the
    others agree with fresh joint draws within Monte Carlo error."""
    f = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", seed=4)
    base = sn.base_of(f)
    stored = sn.concentration_intervals(base, forecast=f, seed=1)
    fresh = sn.concentration_intervals(base, seed=1)
    np.testing.assert_allclose(
        stored.sel(setting="base").values, f.interval_if_parameters_known.values, atol=1e-15
    )
    np.testing.assert_allclose(stored.values, fresh.values, atol=0.035)  # 4 sd of a difference
    assert f.scenario_draws()[0].shape == (4000, 4)
