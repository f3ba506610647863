"""Test helpers: small questions built in Python, random models, the bundled question's paths."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import strategies as st

from forecasting import Evidence, Question

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_QUESTION = ROOT / "models" / "syria_coalition.yaml"
BUNDLED_EVIDENCE = ROOT / "evidence" / "syria-coalition"
DAY = dt.date(2025, 1, 1)


def question(scenarios=("a", "b"), indicators=None, prior=None, concentration=None, **extra):
    """A question built in Python; ``indicators`` maps id -> indicator mapping."""
    scen = {}
    for k, s in enumerate(scenarios):
        scen[s] = {"label": f"Scenario {s}"}
        if prior is not None:
            scen[s]["prior"] = prior[k]
    body = {
        "id": "test-q",
        "title": "Test question",
        "scenarios": scen,
        "indicators": indicators or {},
    }
    if concentration is not None:
        body["prior_concentration"] = concentration
    # the tempered model unless a test says otherwise: these questions test the engines' and
    # analyses' arithmetic against closed forms of ``w * log f`` (the truth mixture has its own
    # tests, which set ``reliability_model: mixture``)
    body["reliability_model"] = "tempered"
    body.update(extra)
    return Question.model_validate(body)


def count(rates, per_days=1.0):
    """A count indicator with Gamma(shape, rate) per scenario: ``rates = {s: (shape, rate)}``."""
    return {
        "kind": "count",
        "description": "events",
        "per_days": per_days,
        "rate": {s: {"shape": a, "rate": b} for s, (a, b) in rates.items()},
    }


def binary(params):
    """A binary indicator with Beta(alpha, beta) per scenario."""
    return {
        "kind": "binary",
        "description": "a fact",
        "probability": {s: {"alpha": a, "beta": b} for s, (a, b) in params.items()},
    }


def categorical(categories, alphas):
    """A categorical indicator with Dirichlet alphas per scenario (lists in category order)."""
    return {
        "kind": "categorical",
        "description": "a state",
        "categories": list(categories),
        "probabilities": {
            s: {"alpha": dict(zip(categories, a, strict=True))} for s, a in alphas.items()
        },
    }


def continuous(params, sd=1.0, unit=None):
    """A continuous indicator with Normal(mean, sd) levels per scenario; ``sd`` of one item."""
    out = {
        "kind": "continuous",
        "description": "a measured quantity",
        "sd": sd,
        "mean": {s: {"mean": m, "sd": v} for s, (m, v) in params.items()},
    }
    if unit is not None:
        out["unit"] = unit
    return out


def item(id, indicator, value, *, weight=1.0, exposure=None, date=DAY, window=None, source="test"):
    """An evidence item mapping."""
    out = {
        "id": id,
        "indicator": indicator,
        "value": value,
        "date": date,
        "source": source,
        "reliability": weight,
    }
    if exposure is not None:
        out["exposure"] = exposure
    if window is not None:
        out["window"] = list(window)
    return out


def evidence(q, items):
    """Validated evidence for question ``q``."""
    return Evidence.from_items(items, q)


@st.composite
def random_model(draw, sources=("s-a", "s-b", "s-c")):
    """A random small question (2-3 scenarios, 1-3 indicators) and its evidence."""
    k = draw(st.integers(2, 3))
    scen = tuple(f"s{i}" for i in range(k))
    kinds = draw(
        st.lists(
            st.sampled_from(["count", "binary", "categorical", "continuous"]),
            min_size=1,
            max_size=3,
        )
    )
    pos = st.floats(0.6, 8.0)
    weight = st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0.0, 1.0)
    indicators, items = {}, []
    for j, kind in enumerate(kinds):
        name = f"ind{j}"
        n = draw(st.integers(0, 3))
        if kind == "count":
            indicators[name] = count({s: (draw(pos), draw(st.floats(0.3, 4.0))) for s in scen})
            for i in range(n):
                items.append(
                    item(
                        f"{name}-{i}",
                        name,
                        draw(st.integers(0, 7)),
                        exposure=draw(st.floats(0.2, 3.0)),
                        weight=draw(weight),
                        source=draw(st.sampled_from(sources)),
                    )
                )
        elif kind == "binary":
            indicators[name] = binary({s: (draw(pos), draw(pos)) for s in scen})
            for i in range(n):
                items.append(
                    item(
                        f"{name}-{i}",
                        name,
                        draw(st.booleans()),
                        weight=draw(weight),
                        source=draw(st.sampled_from(sources)),
                    )
                )
        elif kind == "continuous":
            sd = draw(st.floats(0.3, 3.0))
            indicators[name] = continuous(
                {s: (draw(st.floats(-4.0, 4.0)), draw(st.floats(0.3, 3.0))) for s in scen}, sd
            )
            for i in range(n):
                items.append(
                    item(
                        f"{name}-{i}",
                        name,
                        draw(st.floats(-6.0, 6.0)),
                        weight=draw(weight),
                        source=draw(st.sampled_from(sources)),
                    )
                )
        else:
            cats = ("x", "y", "z")[: draw(st.integers(2, 3))]
            indicators[name] = categorical(
                cats, {s: [draw(st.floats(0.6, 5.0)) for _ in cats] for s in scen}
            )
            for i in range(n):
                items.append(
                    item(
                        f"{name}-{i}",
                        name,
                        draw(st.sampled_from(cats)),
                        weight=draw(weight),
                        source=draw(st.sampled_from(sources)),
                    )
                )
    raw_prior = [draw(st.floats(0.05, 1.0)) for _ in scen]
    prior = [p / sum(raw_prior) for p in raw_prior]
    prior[-1] = 1.0 - sum(prior[:-1])
    q = question(scen, prior=prior, indicators=indicators)
    return q, evidence(q, items)
