"""Worlds drawn from the model itself, for the tests of what the responsiveness range means.

A world: a scenario from the prior, each indicator's parameter from its prior under that
scenario, a ledger of reports from that truth (each report from an origin of its own, genuine
with probability ``R``, else drawn from the noise distribution: the scenarios' prior
predictives averaged by the prior), and then the next horizon's reports from the SAME truth
with the arrival process the measure assumes (the count: one window of the horizon; the
others: a Poisson number at the rate the question states in ``arrivals_per_30_days``), each
genuine with probability ``R``, which is also the median reliability of the ledger.

Given the ledger, the probability after the next horizon (computed exactly by the engine on
the extended ledger) is then one draw from the very distribution the measure simulates: the
posterior predictive of the forecast. Written independently of
:mod:`forecasting.model.future` (plain numpy draws), so the two can disagree.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from builders import binary, categorical, count, item, question

import forecasting as fc
from forecasting.confidence.responsiveness import measure_responsiveness, streams
from forecasting.engines.exact import exact_posterior
from forecasting.model.data import ModelData

SCENARIOS = ("calm", "tense", "war")
PRIOR = np.array([0.5, 0.3, 0.2])
RATES = {"calm": (4.0, 4.0), "tense": (9.0, 3.0), "war": (12.0, 2.0)}  # per 30 days: 1, 3, 6
FACTS = {"calm": (2.0, 8.0), "tense": (5.0, 5.0), "war": (8.0, 2.0)}
TONES = {"calm": [4.0, 2.0, 1.0], "tense": [2.0, 3.0, 2.0], "war": [1.0, 2.0, 4.0]}
CATEGORIES = ("warm", "cool", "cold")
INDICATORS = ("ops", "fact", "tone")
#: Reports per 30 days that the question states (the count has none: one window a horizon).
ARRIVALS = {"fact": 3.0, "tone": 2.0}
#: The probability that a report is genuine: every report's, so also the ledger's median.
R = 0.8
HORIZON = 30.0
DAY = dt.date(2025, 10, 1)
AS_OF = dt.date(2025, 10, 27)
#: Probabilities closer than this are one atom of the distribution (one outcome weighed by the
#: measure's atoms and by the engine's own integral differs by ~1e-15; different outcomes of
#: the categorical indicator, whose atoms are draws, by ~1e-4 or more).
TIE = 1e-9


def world_question() -> fc.Question:
    """Three scenarios; a monthly count, a yes/no fact and a three-way tone."""
    return question(
        SCENARIOS,
        prior=tuple(PRIOR),
        indicators={
            "ops": count(RATES, per_days=30.0),
            "fact": binary(FACTS) | {"arrivals_per_30_days": ARRIVALS["fact"]},
            "tone": categorical(CATEGORIES, TONES) | {"arrivals_per_30_days": ARRIVALS["tone"]},
        },
        reliability_model="mixture",
    )


def draw_theta(name: str, k: int, rng: np.random.Generator):
    """A parameter of indicator ``name`` from its prior under scenario ``k``."""
    s = SCENARIOS[k]
    if name == "ops":
        shape, rate = RATES[s]
        return rng.gamma(shape, 1.0 / rate)
    if name == "fact":
        return rng.beta(*FACTS[s])
    return rng.dirichlet(TONES[s])


def _value(name: str, theta, exposure: float, rng: np.random.Generator):
    if name == "ops":
        return int(rng.poisson(theta * exposure))
    if name == "fact":
        return bool(rng.random() < theta)
    return CATEGORIES[rng.choice(len(CATEGORIES), p=theta)]


def draw_report(name: str, theta, exposure: float, rng: np.random.Generator):
    """A genuine observation with probability ``R``, else one drawn from the noise."""
    if rng.random() < R:
        return _value(name, theta, exposure, rng)
    noise = draw_theta(name, int(rng.choice(len(PRIOR), p=PRIOR)), rng)
    return _value(name, noise, exposure, rng)


def row(name: str, n: str, value, exposure: float) -> dict:
    """A ledger item of reliability ``R`` (its own origin)."""
    out = item(f"{name}-{n}", name, value, weight=R, date=DAY)
    if name == "ops":
        out["exposure"] = exposure
    return out


def draw_world(rng: np.random.Generator, arrivals: dict[str, float]):
    """The truth, a ledger drawn from it, and the next horizon's reports (``arrivals``)."""
    truth = int(rng.choice(len(PRIOR), p=PRIOR))
    history, horizon = [], []
    exposure = HORIZON / 30.0
    for name in INDICATORS:
        theta = draw_theta(name, truth, rng)
        for i in range(int(rng.integers(1, 4))):
            history.append(row(name, str(i), draw_report(name, theta, 1.0, rng), 1.0))
        m = 1 if name == "ops" else int(rng.poisson(arrivals[name] * HORIZON / 30.0))
        for i in range(m):
            value = draw_report(name, theta, exposure, rng)
            horizon.append(row(name, f"next-{i}", value, exposure))
    return truth, history, horizon


def pit(samples: np.ndarray, x: float, u: float) -> float:
    """Randomised PIT ``F(x-) + u (F(x) - F(x-))`` of ``x`` under the samples' distribution."""
    below = np.mean(samples < x - TIE)
    at_most = np.mean(samples <= x + TIE)
    return float(below + u * (at_most - below))


def simulate_worlds(
    n: int, seed: int, *, arrivals: dict[str, float], futures: int
) -> dict[str, np.ndarray]:
    """``n`` worlds: what the measure said today, and where the probability went.

    ``inside`` ``(n, K)``: the probability after the horizon within today's range (closed, up
    to :data:`TIE`); ``pit`` ``(n,)``: the first scenario's randomised PIT; ``move`` and
    ``expected`` ``(n, K)``: the absolute move and the measure's expected move; ``flip`` and
    ``p_flip`` ``(n,)``: whether the leader changed, and the measure's chance that it would.
    """
    q = world_question()
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {k: [] for k in ("inside", "pit", "move", "expected", "flip", "p_flip")}
    for j in range(n):
        _, history, horizon = draw_world(rng, arrivals)
        ev = fc.Evidence.from_items(history, q)
        data = ModelData.build(q, ev)
        p = exact_posterior(data).probability
        plan = streams(data, ev, AS_OF, HORIZON)
        if j == 0:  # the measure assumes what the world does (the question states the rates)
            assert [(s.rate_from, s.per_horizon, s.reliability) for s in plan] == [
                ("window", 1.0, R),
                ("stated", ARRIVALS["fact"], R),
                ("stated", ARRIVALS["tone"], R),
            ]
        res = measure_responsiveness(
            data, p, plan, HORIZON, seed=seed * 100_000 + j, futures=futures, max_futures=futures
        )
        after = exact_posterior(
            ModelData.build(q, fc.Evidence.from_items(history + horizon, q))
        ).probability
        out["inside"].append((res.lower - TIE <= after) & (after <= res.upper + TIE))
        out["pit"].append(pit(res.samples[:, 0], after[0], rng.random()))
        out["move"].append(np.abs(after - p))
        out["expected"].append(res.expected_move)
        out["flip"].append(float(np.argmax(after) != np.argmax(p)))
        out["p_flip"].append(res.p_leader_change)
    return {k: np.array(v) for k, v in out.items()}
