"""Worlds drawn from the dynamic model itself, for the tests of what the responsiveness means.

The question (:func:`world_question`): three scenarios, a monthly count and yes/no reports of
a fact, the truth mixture, 30-day periods counted back from the resolution date ``T`` and an
elicited transition matrix (:data:`TRANSITIONS`). A world:

* each scenario's parameters from their priors, once (a regime's parameters are shared by
  every period in that regime);
* the regime of the oldest period of evidence from the prior, then each later period's by the
  transition matrix (:data:`WORLD_STAYS` replaces the stays, for worlds that break it);
* per period of the history (:data:`HISTORY`, the as-of date the last day of the last), the
  count's report of the period's window and a Poisson number of yes/no reports at the rate
  the question states, each from its period's regime, each genuine with probability ``R``,
  otherwise drawn from the noise distribution (the scenarios' prior predictives averaged by
  the prior);
* then the next horizon (30 days: exactly the next period, :data:`HORIZON_PERIOD`) from the
  same world continuing by the transition matrix: its regime, one window of the count and a
  Poisson number of yes/no reports (``arrivals``).

Given the ledger, the probability at resolution after the horizon (the exact dynamic
posterior of the extended ledger) is then one draw from the distribution the measure
simulates (:mod:`forecasting.confidence.unfolding`). Written independently of it and of
:mod:`forecasting.model.future` (plain numpy draws), so the two can disagree.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from builders import binary, count, item, question

import forecasting as fc
from forecasting.confidence.responsiveness import streams
from forecasting.confidence.unfolding import measure_unfolding
from forecasting.model import dynamics
from forecasting.model.data import ModelData

SCENARIOS = ("calm", "tense", "war")
PRIOR = np.array([0.5, 0.3, 0.2])
RATES = {"calm": (4.0, 4.0), "tense": (9.0, 3.0), "war": (12.0, 2.0)}  # per 30 days: 1, 3, 6
FACTS = {"calm": (2.0, 8.0), "tense": (5.0, 5.0), "war": (8.0, 2.0)}
INDICATORS = ("ops", "fact")
#: Yes/no reports per 30 days that the question states (the count: one window a period).
ARRIVALS = {"fact": 3.0}
#: The elicited transitions: stays 0.9, 0.8, 0.9.
TRANSITIONS = {
    "calm": {"stay": 0.9, "leaves_to": {"tense": 0.8, "war": 0.2}},
    "tense": {"stay": 0.8, "leaves_to": {"calm": 0.5, "war": 0.5}},
    "war": {"stay": 0.9, "leaves_to": {"tense": 0.7, "calm": 0.3}},
}
#: The probability that a report is genuine: every report's, so also the ledger's median.
R = 0.8
PERIOD = 30
HORIZON = 30.0
T = dt.date(2026, 6, 30)
#: The periods of the history, oldest first (period 0 ends on ``T``), and the horizon's.
HISTORY = (5, 4, 3)
HORIZON_PERIOD = 2
AS_OF = T - dt.timedelta(days=PERIOD * HISTORY[-1])  # the last day of period 3
#: Probabilities closer than this are one atom of the distribution.
TIE = 1e-9


def world_question() -> fc.Question:
    """Three scenarios, a monthly count and a yes/no fact, 30-day periods."""
    return question(
        SCENARIOS,
        prior=tuple(PRIOR),
        indicators={
            "ops": count(RATES, per_days=30.0),
            "fact": binary(FACTS) | {"arrivals_per_30_days": ARRIVALS["fact"]},
        },
        reliability_model="mixture",
        resolves=T,
        dynamics={"period_days": PERIOD, "transitions": TRANSITIONS},
    )


def matrix(stays: tuple[float, ...] | None = None) -> np.ndarray:
    """The transition matrix: the elicited one, or with the stays replaced (leaving shares kept)."""
    out = np.zeros((len(SCENARIOS), len(SCENARIOS)))
    for i, s in enumerate(SCENARIOS):
        stay = TRANSITIONS[s]["stay"] if stays is None else stays[i]
        out[i, i] = stay
        for o, share in TRANSITIONS[s]["leaves_to"].items():
            out[i, SCENARIOS.index(o)] = (1.0 - stay) * share
    return out


def draw_theta(name: str, k: int, rng: np.random.Generator):
    """A parameter of indicator ``name`` from its prior under scenario ``k``."""
    s = SCENARIOS[k]
    if name == "ops":
        shape, rate = RATES[s]
        return rng.gamma(shape, 1.0 / rate)
    return rng.beta(*FACTS[s])


def _value(name: str, theta, rng: np.random.Generator):
    if name == "ops":
        return int(rng.poisson(theta))  # one 30-day window
    return bool(rng.random() < theta)


def draw_report(name: str, theta, rng: np.random.Generator):
    """A genuine observation with probability ``R``, else one drawn from the noise."""
    if rng.random() < R:
        return _value(name, theta, rng)
    noise = draw_theta(name, int(rng.choice(len(PRIOR), p=PRIOR)), rng)
    return _value(name, noise, rng)


def _reports(period: int, theta: dict, rng, arrivals: dict[str, float], tag: str) -> list[dict]:
    """One period's reports: the count's window (dated its last day) and yes/no reports."""
    last = T - dt.timedelta(days=PERIOD * period)
    out = []
    row = item(f"ops-{tag}", "ops", draw_report("ops", theta["ops"], rng), weight=R, date=last)
    out.append(row | {"exposure": 1.0})
    for i in range(int(rng.poisson(arrivals["fact"] * PERIOD / 30.0))):
        day = last - dt.timedelta(days=int(rng.integers(0, PERIOD)))
        value = draw_report("fact", theta["fact"], rng)
        out.append(item(f"fact-{tag}-{i}", "fact", value, weight=R, date=day))
    return out


def draw_world(rng: np.random.Generator, arrivals: dict[str, float], moves: np.ndarray):
    """The regimes (history and horizon), the ledger and the horizon's reports.

    The history's yes/no reports arrive at the stated rate (:data:`ARRIVALS`), the horizon's
    at ``arrivals``; ``moves``: the world's transition matrix, history and horizon alike.
    """
    thetas = [{name: draw_theta(name, k, rng) for name in INDICATORS} for k in range(len(PRIOR))]
    regime = int(rng.choice(len(PRIOR), p=PRIOR))
    path, history = [], []
    for t, period in enumerate(HISTORY):
        if t:
            regime = int(rng.choice(len(PRIOR), p=moves[regime]))
        path.append(regime)
        history += _reports(period, thetas[regime], rng, ARRIVALS, str(period))
    for _ in range(HISTORY[-1] - HORIZON_PERIOD):
        regime = int(rng.choice(len(PRIOR), p=moves[regime]))
    horizon = _reports(HORIZON_PERIOD, thetas[regime], rng, arrivals, "next")
    return (*path, regime), history, horizon


def pit(samples: np.ndarray, x: float, u: float) -> float:
    """Randomised PIT ``F(x-) + u (F(x) - F(x-))`` of ``x`` under the samples' distribution."""
    below = np.mean(samples < x - TIE)
    at_most = np.mean(samples <= x + TIE)
    return float(below + u * (at_most - below))


def simulate_worlds(
    n: int,
    seed: int,
    *,
    futures: int,
    arrivals: dict[str, float] = ARRIVALS,
    stays: tuple[float, ...] | None = None,
) -> dict[str, np.ndarray]:
    """``n`` worlds: what the measure said today, and where the probability went.

    ``inside`` ``(n, K)``: the probability at resolution after the horizon within today's
    range (closed, up to :data:`TIE`); ``pit`` ``(n, K)``: randomised PITs; ``move`` and
    ``expected`` ``(n, K)``: the absolute move and the measure's expected move; ``flip`` and
    ``p_flip`` ``(n,)``: whether the leader changed, and the measure's chance that it would;
    ``switched`` ``(n,)``: whether the horizon's regime differs from the last period's.
    ``arrivals`` (the horizon's) and ``stays`` (every period's): what the world does, where it
    differs from what the question states.
    """
    q = world_question()
    moves = matrix(stays)
    rng = np.random.default_rng(seed)
    keys = ("inside", "pit", "move", "expected", "flip", "p_flip", "switched")
    out: dict[str, list] = {k: [] for k in keys}
    for j in range(n):
        path, history, horizon = draw_world(rng, arrivals, moves)
        ev = fc.Evidence.from_items(history, q).as_of(AS_OF)
        data = ModelData.build(q, ev)
        post = dynamics.posterior(data)
        plan = streams(data, ev, AS_OF, HORIZON)
        if j == 0:  # the measure assumes what the model does (the question states the rates)
            assert [(s.rate_from, s.per_horizon, s.reliability) for s in plan] == [
                ("window", 1.0, R),
                ("stated", ARRIVALS["fact"], R),
            ]
            assert post.periods == HISTORY and data.timeline.now == HISTORY[-1]
        res = measure_unfolding(
            data, post, plan, HORIZON, seed=seed * 100_000 + j, futures=futures, max_futures=futures
        )
        more = fc.Evidence.from_items(history + horizon, q)
        after = dynamics.posterior(ModelData.build(q, more)).probability
        p = post.probability
        out["inside"].append((res.lower - TIE <= after) & (after <= res.upper + TIE))
        u = rng.random()
        out["pit"].append([pit(res.samples[:, k], after[k], u) for k in range(len(p))])
        out["move"].append(np.abs(after - p))
        out["expected"].append(res.expected_move)
        out["flip"].append(float(np.argmax(after) != np.argmax(p)))
        out["p_flip"].append(res.p_leader_change)
        out["switched"].append(float(path[-1] != path[-2]))
    return {k: np.array(v) for k, v in out.items()}
