"""The MCMC engine with dynamics: the forward algorithm against the exact engine.

One dynamic structure is sampled (module fixture); the rest compares log densities at fixed
points (compiled, never sampled) or checks refusals before anything compiles.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from builders import binary, count, item, question

import forecasting as fc
from forecasting.core.constants import AGREEMENT_FLOOR, AGREEMENT_MCSE, ESS_MIN, RHAT_MAX
from forecasting.core.errors import InputError
from forecasting.model.pymc_dynamics import MAX_SPLIT_STATES

pytestmark = pytest.mark.mcmc

T = dt.date(2025, 12, 31)
AS_OF = dt.date(2025, 10, 6)  # 28-day periods: the evidence in periods 5, 4 and 3, now is 3
MOVING = {
    "holds": {"stay": 0.85, "leaves_to": {"collapse": 1}},
    "collapse": {"stay": 0.9, "leaves_to": {"holds": 1}},
}
STILL = {"holds": {"stay": 1}, "collapse": {"stay": 1}}
#: Log densities evaluated at a few points only: PyTensor's Python linker (no C to compile:
#: with a cold compile cache the C of these graphs took 40-60 s, in Python they take 1 s).
FAST = "FAST_COMPILE"


def _python_only():
    import pytensor

    return pytensor.config.change_flags(cxx="")


def _question(transitions=None, trend=None, model="mixture"):
    clashes = count({"holds": (2, 2), "collapse": (16, 2)}, per_days=7)
    if trend is not None:
        clashes["trend"] = trend
    extra = {}
    if transitions is not None:
        extra["dynamics"] = {"period_days": 28.0, "transitions": transitions}
    return question(
        scenarios=("holds", "collapse"),
        prior=(0.6, 0.4),
        indicators={
            "clashes": clashes,
            "talks": binary({"holds": (6, 2), "collapse": (2, 6)}),
        },
        reliability_model=model,
        resolves=T,
        **extra,
    )


def _ledger(q):
    """A monitor in doubt (C2) reporting weekly clashes over three periods (a split origin),
    a certain one (A2) in two; an agency (B1) on talks in period 5 and, with a wire (C2), on
    one event in period 3 (a split component of two linked origins); a paper (C3) alone in
    period 3."""
    rows = []
    start = dt.date(2025, 8, 4)
    for w, v in enumerate([1, 0, 2, 7, 9, 8]):
        end = start + dt.timedelta(weeks=w + 1)
        row = item(f"w{w}", "clashes", v, date=end, window=(end - dt.timedelta(7), end))
        rows.append(row | {"reliability": "C2", "origin": "monitor"})
    for w, v in ((0, 1), (4, 6)):  # a certain origin (A2) in periods 5 and 4
        end = start + dt.timedelta(weeks=w + 1)
        row = item(f"u{w}", "clashes", v, date=end, window=(end - dt.timedelta(7), end))
        rows.append(row | {"reliability": "A2", "source": "un"})
    rows += [
        item("t1", "talks", True, date=dt.date(2025, 8, 10)) | {"reliability": "B1"},
        item("t2", "talks", False, date=dt.date(2025, 9, 20)) | {"reliability": "C3"},
        item("t3", "talks", False, date=dt.date(2025, 9, 25)) | {"reliability": "B1"},
        item("t4", "talks", False, date=dt.date(2025, 9, 25)) | {"reliability": "C2"},
    ]
    for row, source, event in (
        (rows[8], "agency", None),
        (rows[9], "paper", None),
        (rows[10], "agency", "summit"),
        (rows[11], "wire", "summit"),
    ):
        row["source"] = source
        if event is not None:
            row["event"] = event
    return fc.Evidence.from_items(rows, q)


@pytest.fixture(scope="module")
def sampled():
    """The moving question (a trend on collapse too) by both engines; MCMC timed."""
    import time

    q = _question(MOVING, trend={"collapse": 0.2})
    ev = _ledger(q)
    exact = fc.forecast(q, ev, as_of=AS_OF, confidence=False)
    start = time.perf_counter()
    mcmc = fc.forecast(
        q, ev, as_of=AS_OF, engine="mcmc", draws=600, tune=600, seed=3, confidence=False
    )
    return exact, mcmc, time.perf_counter() - start


def _agree(mcmc_value, mcse, exact_value):
    """Distances in MCSE, and whether each is within the engine's bounds (4 MCSE, or 0.001)."""
    diff = np.abs(mcmc_value - exact_value)
    z = diff / mcse
    return z, (z <= AGREEMENT_MCSE) | (diff <= AGREEMENT_FLOOR)


def test_mcmc_agrees_with_exact_at_resolution_and_now(sampled):
    exact, mcmc, seconds = sampled
    diag = mcmc.diagnostics
    assert diag["problems"] == [] and not mcmc.provenance["settings"]["retried"]
    assert diag["divergences"] == 0 and diag["rhat_max"] <= RHAT_MAX
    assert diag["ess_bulk_min"] >= ESS_MIN
    at_t, ok_t = _agree(
        mcmc.probabilities.values, mcmc.tree["forecast"]["mcse"].values, exact.probabilities.values
    )
    now, ok_now = _agree(mcmc.now.values, np.array(diag["now_mcse"]), exact.now.values)
    assert ok_t.all() and ok_now.all()
    # the question is one whose answer moves: now and at resolution differ
    assert abs(exact.now.values[1] - exact.probabilities.values[1]) > 0.05
    print(
        f"z at T {at_t.round(2)}, now {now.round(2)}; ESS {diag['ess_bulk_min']:.0f}, "
        f"r_hat {diag['rhat_max']:.4f}, {seconds:.1f} s"
    )


def test_power_scaling_and_psis_are_refused_with_dynamics(sampled):
    """Both assume a likelihood that is a product over items given one scenario."""
    _, mcmc, _ = sampled
    for analysis in (fc.analyses.power_scaling, fc.analyses.influence_psis):
        with pytest.raises(ValueError, match="with dynamics it is not"):
            analysis(mcmc)


def _models(transitions, model="mixture", trend=None):
    from forecasting.model.data import ModelData
    from forecasting.model.pymc_model import build_model

    q = _question(transitions, trend=trend, model=model)
    data = ModelData.build(q, _ledger(q).as_of(AS_OF))
    return data, build_model(data)


def _points(model, n=4):
    """Random points in the sampler's space (two scenarios: the simplex has one coordinate;
    built by hand: ``model.initial_point()`` would compile a function in C)."""
    rng = np.random.default_rng(11)
    size = {v.name: 1 if v.name.endswith("simplex__") else 2 for v in model.value_vars}
    return [{k: rng.normal(0, 1.5, m) for k, m in size.items()} for _ in range(n)]


@pytest.mark.parametrize("model", ["mixture", "tempered"])
def test_with_every_stay_1_the_log_density_is_the_static_models(model):
    """Also with an origin in doubt across periods and two linked origins across periods
    (their states enumerated jointly with the forward pass)."""
    _, dynamic = _models(STILL, model)
    _, static = _models(None, model)
    with _python_only():
        a, b = dynamic.compile_logp(mode=FAST), static.compile_logp(mode=FAST)
    for point in _points(dynamic):
        assert a(point) == pytest.approx(b(point), abs=1e-10)


@pytest.mark.parametrize("model_name", ["mixture", "tempered"])
def test_the_forward_pass_is_the_sum_over_every_regime_path(model_name):
    """At fixed (pi, theta): log p(E | pi, theta) and P(S_T | E, pi, theta) against the sum
    over all 2^3 regime paths, each path's likelihood the static one (numpy) with each
    report's log f under its period's regime (and that scenario's trend): under the truth
    mixture the split origins' states are coupled there as the mixture couples them, not
    enumerated; the tempered model's is ``w * log f`` with its constants."""
    import itertools

    from scipy.special import logsumexp

    from forecasting.model import mixture as mx
    from forecasting.model.dynamics import item_periods, trended

    data, model = _models(MOVING, model_name, trend={"collapse": 0.2})
    tl = data.timeline
    outs = [model.potentials[0], model["scenario_probability"], model["probability_now"]]
    names = ["pi", *(ind.id for ind in data.indicators)]
    graphs = model.replace_rvs_by_values([*outs, *(model[n] for n in names)])
    with _python_only():
        f = model.compile_fn(graphs, inputs=model.value_vars, mode=FAST)
    for point in _points(model, 2):
        potential, at_t, now, pi, *thetas = f(point)
        periods = sorted(
            {int(p) for ind in data.indicators for p in item_periods(ind, tl)}, reverse=True
        )
        parts = []  # per indicator: each item's period position; log L given their regimes
        for ind, theta in zip(data.indicators, thetas, strict=True):
            at = item_periods(ind, tl)
            pos = np.searchsorted(-np.array(periods), -at)  # oldest first
            if model_name == "mixture":
                rep = ind.model.reports()
                logf = np.stack([trended(ind, s, at).model.report_logf(theta)[s] for s in range(2)])

                def log_l(reg, rep=rep, logf=logf):
                    return mx.log_likelihood(
                        rep, logf[reg[rep.first_item], np.arange(rep.n_reports)]
                    )
            else:  # w * log f with its constants, each item under its regime's trend
                terms = np.stack(
                    [ind.kind.item_loglik(theta, trended(ind, s, at))[s] for s in range(2)]
                )

                def log_l(reg, terms=terms):
                    return terms[reg, np.arange(len(reg))].sum()

            parts.append((log_l, pos))
        log_joint = {}
        for path in itertools.product(range(2), repeat=len(periods)):
            lp = np.log(pi[path[0]])
            for t in range(1, len(periods)):
                lp += np.log(tl.power(periods[t - 1] - periods[t])[path[t - 1], path[t]])
            for part, pos in parts:
                lp += part(np.array(path)[pos])
            log_joint[path] = lp
        total = logsumexp(list(log_joint.values()))
        last = np.array(
            [logsumexp([v for p, v in log_joint.items() if p[-1] == k]) for k in range(2)]
        )
        filtered = np.exp(last - total)
        assert potential == pytest.approx(total, abs=1e-9)
        np.testing.assert_allclose(at_t, filtered @ tl.power(periods[-1]), atol=1e-12)
        np.testing.assert_allclose(now, filtered @ tl.power(periods[-1] - tl.now), atol=1e-12)


def test_too_many_origins_across_periods_are_refused_before_compiling():
    q = _question(MOVING)
    rows = []
    for o in range(11):  # each in doubt, in periods 5 and 3: 2^11 combinations
        for d in (dt.date(2025, 8, 10), dt.date(2025, 9, 20)):
            row = item(f"t{o}-{d.month}", "talks", True, date=d) | {"reliability": "C2"}
            rows.append(row | {"source": f"outlet-{o}"})
    ev = fc.Evidence.from_items(rows, q)
    with pytest.raises(InputError, match=f"more than {MAX_SPLIT_STATES:,}; use the exact"):
        fc.build_pymc_model(q, ev, as_of=AS_OF)
    with pytest.raises(ValueError, match="extra_loglik"):
        fc.build_pymc_model(q, ev, as_of=AS_OF, extra_loglik=lambda m: 0.0)


def test_without_evidence_pi_is_now_and_moves_to_the_resolution_date():
    """(Also: an indicator whose reports are all in shared events builds.)"""
    q = _question(MOVING)
    event = [
        item(f"e{n}", "talks", True, date=dt.date(2025, 9, 25), source=s)
        | {"reliability": "C2", "event": "summit"}
        for n, s in enumerate(("agency", "wire"))
    ]
    fc.build_pymc_model(q, fc.Evidence.from_items(event, q), as_of=AS_OF)
    model = fc.build_pymc_model(q, fc.Evidence.from_items([], q), as_of=AS_OF)
    graphs = model.replace_rvs_by_values(
        [model["pi"], model["scenario_probability"], model["probability_now"]]
    )
    with _python_only():
        f = model.compile_fn(
            graphs, inputs=model.value_vars, mode=FAST, on_unused_input="ignore"
        )  # (theta: no evidence depends on it)
    pi, at_t, now = f(_points(model, 1)[0])
    a = np.array([[0.85, 0.15], [0.1, 0.9]])
    np.testing.assert_allclose(now, pi, atol=1e-15)
    np.testing.assert_allclose(at_t, pi @ np.linalg.matrix_power(a, 3), atol=1e-15)
