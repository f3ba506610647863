"""What the truth mixture's probabilities mean, checked by simulation.

In worlds drawn from the model itself (a scenario, its parameters, each origin reliable or not,
each report genuine or not, false reports from the noise distribution), a forecast of 30% must
come true about 30% of the time. In worlds that break an assumption the ledger can state (one
origin's report echoed by three outlets, logged as three independent origins), the forecasts
are measurably worse than with the echo logged as what it is.
"""

from __future__ import annotations

import numpy as np
from builders import binary, count, item, question

import forecasting as fc
from forecasting.core.stats import normalise_log
from forecasting.model.data import ModelData

SCENARIOS = ("calm", "tense", "war")
PRIOR = np.array([0.5, 0.3, 0.2])
RATES = {"calm": (4.0, 4.0), "tense": (9.0, 3.0), "war": (12.0, 2.0)}  # means 1, 3, 6
FACTS = {"calm": (2.0, 8.0), "tense": (5.0, 5.0), "war": (8.0, 2.0)}
#: origin -> (Admiralty letter, its probability); every origin reports on both indicators
ORIGINS = {"MEI": ("B", 0.8), "Lister": ("C", 0.6), "rumour mill": ("D", 0.4)}
DIGITS = {"2": 0.8, "3": 0.6}


def _question() -> fc.Question:
    return question(
        SCENARIOS,
        prior=tuple(PRIOR),
        indicators={"ops": count(RATES), "fact": binary(FACTS)},
        reliability_model="mixture",
    )


def _draw(kind: str, k: int, rng: np.random.Generator) -> float | bool:
    """One genuine observation under scenario ``k``'s parameter, drawn from its prior."""
    s = SCENARIOS[k]
    if kind == "ops":
        a, b = RATES[s]
        return int(rng.poisson(rng.gamma(a, 1.0 / b)))
    a, b = FACTS[s]
    return bool(rng.random() < rng.beta(a, b))


def _world(rng: np.random.Generator):
    """A scenario and a ledger drawn from the truth mixture's generative model."""
    truth = int(rng.choice(3, p=PRIOR))
    theta = {"ops": None, "fact": None}
    s = SCENARIOS[truth]
    theta["ops"] = rng.gamma(RATES[s][0], 1.0 / RATES[s][1])
    theta["fact"] = rng.beta(*FACTS[s])
    rows = []
    for indicator in ("ops", "fact"):
        for origin, (letter, rho) in ORIGINS.items():
            reliable = rng.random() < rho  # the origin, for all its reports on the indicator
            for n, digit in enumerate(DIGITS):
                genuine = reliable and rng.random() < DIGITS[digit]
                if genuine:  # the true parameter of the true scenario
                    if indicator == "ops":
                        value = int(rng.poisson(theta["ops"]))
                    else:
                        value = bool(rng.random() < theta["fact"])
                else:  # the noise: the prior predictive averaged over the scenarios
                    value = _draw(indicator, int(rng.choice(3, p=PRIOR)), rng)
                row = item(f"{indicator}-{origin}-{n}".replace(" ", "-"), indicator, value)
                row |= {"origin": origin, "reliability": letter + digit}
                if indicator == "ops":
                    row["exposure"] = 1.0
                rows.append(row)
    return truth, rows


def _posterior(q: fc.Question, rows: list[dict]) -> np.ndarray:
    data = ModelData.build(q, fc.Evidence.from_items(rows, q))
    return normalise_log(np.log(data.prior) + data.log_marginals().sum(axis=0))


def test_forecasts_come_true_as_often_as_they_say_in_the_models_own_worlds():
    q = _question()
    rng = np.random.default_rng(20251027)
    truths, probs = [], []
    for _ in range(400):
        truth, rows = _world(rng)
        truths.append(truth)
        probs.append(_posterior(q, rows))
    hit = np.eye(3)[truths]  # (worlds, scenarios)
    p = np.array(probs)
    # unbiased on average, scenario by scenario: E[1(S = k) - P(S = k | E)] = 0
    gap = (hit - p).mean(axis=0)
    se = np.sqrt((p * (1 - p)).mean(axis=0) / len(p))
    assert np.all(np.abs(gap) < 4 * se), (gap, se)
    # and bin by bin: forecasts of about 30% come true about 30% of the time
    flat_p, flat_hit = p.ravel(), hit.ravel()
    bins = np.digitize(flat_p, [0.2, 0.4, 0.6, 0.8])
    checked, table = 0, []
    for b in range(5):
        inside = bins == b
        if inside.sum() < 30:
            continue
        mean_p = flat_p[inside].mean()
        freq = flat_hit[inside].mean()
        se_bin = np.sqrt(np.mean(flat_p[inside] * (1 - flat_p[inside])) / inside.sum())
        assert abs(freq - mean_p) < 4 * se_bin + 0.01, (b, freq, mean_p, se_bin)
        checked += 1
        table.append((round(mean_p, 2), round(freq, 2)))
    assert checked >= 4  # the evidence spreads the forecasts over most of the range
    # the README's figures (these worlds, this seed)
    assert table == [(0.07, 0.06), (0.29, 0.28), (0.5, 0.49), (0.7, 0.74), (0.9, 0.94)]


def test_an_echo_logged_as_independent_origins_makes_worse_forecasts():
    """One origin's report relayed by three outlets: logged with its origin and event, the
    copies count once; logged as three independent origins they count three times, and the
    forecasts' log score is worse (the world breaks the ledger's stated independence)."""
    q = _question()
    rng = np.random.default_rng(7)
    honest, echoed = [], []
    for _ in range(300):
        truth, rows = _world(rng)
        # the rumour mill's first count report reaches us through three outlets
        first = next(r for r in rows if r["id"] == "ops-rumour-mill-0")
        copies = [
            dict(first, id=f"copy-{n}", event="rumour", via=[outlet], source=outlet)
            for n, outlet in enumerate(("Levant24", "Enab Baladi", "SANA"))
        ]
        as_one = [dict(r, event="rumour") if r is first else r for r in rows] + copies
        as_three = rows + [
            {k: v for k, v in c.items() if k not in ("event", "via")}
            | {"origin": c["source"], "reliability": "D3"}
            for c in copies
        ]
        honest.append(np.log(_posterior(q, as_one)[truth]))
        echoed.append(np.log(_posterior(q, as_three)[truth]))
    diff = np.array(honest) - np.array(echoed)
    assert diff.mean() > 3 * diff.std() / np.sqrt(len(diff)), (diff.mean(), diff.std())
    # the README's figures (these worlds, this seed)
    assert (round(np.mean(echoed), 2), round(np.mean(honest), 2)) == (-0.85, -0.72)
