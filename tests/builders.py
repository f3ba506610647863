"""Test helpers: small questions built in Python, random models, the bundled question's paths."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import strategies as st

from forecasting import Evidence, Question

ROOT = Path(__file__).resolve().parent.parent
#: The bundled question as shipped (with its ``dynamics:``): for the tests whose subject is the
#: bundled product itself (``make forecast``, its archive, the README's numbers).
BUNDLED_FILE = ROOT / "models" / "syria_coalition.yaml"
#: The bundled question without its ``dynamics:`` block (a committed copy that
#: ``tests/inputs/test_bundled_static.py`` checks is exactly that), in a project folder whose
#: ``evidence/`` and ``models/syria_coalition/`` (the analysts' overlays) link to the real ones:
#: the tests of everything but the dynamics keep testing the static model they were written for.
BUNDLED_STATIC = ROOT / "tests" / "inputs" / "data" / "bundled_static"
BUNDLED_QUESTION = BUNDLED_STATIC / "models" / "syria_coalition.yaml"
BUNDLED_EVIDENCE = ROOT / "evidence" / "syria-coalition"
STATIC_HEADER = (
    "# A test copy of models/syria_coalition.yaml without its `dynamics:` block, for the tests\n"
    "# whose subject is not the dynamics (tests/inputs/test_bundled_static.py checks it).\n"
)
DAY = dt.date(2025, 1, 1)


def without_dynamics(text: str) -> str:
    """A question file's text without its top-level ``dynamics:`` block and the comment above it.

    The block runs to the next top-level line (blank lines inside and after it go with it).
    """
    lines = text.splitlines(keepends=True)
    start = lines.index("dynamics:\n")
    end = start + 1
    while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
        end += 1
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    return "".join(lines[:start] + lines[end:])


def static_bundled_text() -> str:
    """What the committed static copy of the bundled question must hold."""
    return STATIC_HEADER + without_dynamics(BUNDLED_FILE.read_text(encoding="utf-8"))


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
def random_model(draw, sources=("s-a", "s-b", "s-c"), reliability_model="tempered"):
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
    q = question(scen, prior=prior, indicators=indicators, reliability_model=reliability_model)
    return q, evidence(q, items)


#: A small question for tests of the pipeline whose subject is not the model (an update takes
#: about a third of the bundled question's): three scenarios, a count and a yes/no fact.
SMALL_QUESTION = """\
id: watch
title: Does the truce hold?
resolves: 2026-03-31
scenarios:
  holds: {label: The truce holds, prior: 0.5}
  frays: {label: It frays, prior: 0.3}
  collapses: {label: It collapses, prior: 0.2}
indicators:
  clashes:
    kind: count
    description: Clashes reported
    per_days: 30
    rate:
      holds: {shape: 2, rate: 2}
      frays: {shape: 6, rate: 2}
      collapses: {shape: 20, rate: 2}
  talks:
    kind: binary
    description: Talks are scheduled
    probability:
      holds: {alpha: 8, beta: 2}
      frays: {alpha: 4, beta: 4}
      collapses: {alpha: 1, beta: 6}
"""
SMALL_LEDGER = """\
- {id: c1, indicator: clashes, value: 2, window: [2025-09-10, 2025-10-10], date: 2025-10-10,
   source: UN monitors, reliability: B2}
- {id: t1, indicator: talks, value: true, date: 2025-10-12, source: Reuters, reliability: B2}
- {id: c2, indicator: clashes, value: 3, window: [2025-10-10, 2025-10-17], date: 2025-10-17,
   source: UN monitors, reliability: B2}
- {id: t2, indicator: talks, value: false, date: 2025-10-19, source: Local radio,
   reliability: C3}
- {id: c3, indicator: clashes, value: 4, window: [2025-10-17, 2025-10-24], date: 2025-10-24,
   source: UN monitors, reliability: B2}
- {id: t3, indicator: talks, value: true, date: 2025-10-25, source: AFP, reliability: B2}
"""


def small_project(root: Path) -> Path:
    """:data:`SMALL_QUESTION` and its ledger in a project folder; the question's path."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    path = root / "models" / "watch.yaml"
    path.write_text(SMALL_QUESTION)
    ev = root / "evidence" / "watch"
    ev.mkdir(parents=True, exist_ok=True)
    (ev / "ledger.yaml").write_text(SMALL_LEDGER)
    return path
