"""Shared test helpers: small questions built in Python, and the bundled question's paths."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from forecasting import Evidence, Question  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_QUESTION = ROOT / "models" / "syria_coalition.yaml"
BUNDLED_EVIDENCE = ROOT / "evidence" / "syria-coalition"
DAY = dt.date(2025, 1, 1)

# keep PyTensor's compile cache inside the user's normal cache, but never write elsewhere
os.environ.setdefault("PYTENSOR_FLAGS", "")


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


def item(id, indicator, value, *, weight=1.0, exposure=None, date=DAY, window=None):
    """An evidence item mapping."""
    out = {
        "id": id,
        "indicator": indicator,
        "value": value,
        "date": date,
        "source": "test",
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


@pytest.fixture
def bundled_paths():
    return BUNDLED_QUESTION, BUNDLED_EVIDENCE


from hypothesis import settings as _hsettings  # noqa: E402

# Property tests explore a fixed sequence of examples, so a CI run is reproducible.
_hsettings.register_profile("default", derandomize=True, deadline=None, print_blob=True)
_hsettings.load_profile("default")
