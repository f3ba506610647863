"""Worlds to test the engine in: synthetic questions, weekly evidence, outcomes and scores.

Before many real questions resolve, the only way to show what the probabilities and the
confidence mean is to forecast questions whose truth is known. A *world* draws questions of
one template (three scenarios, ``calm``, ``tense`` and ``war``; a weekly count of operations,
yes/no reports of a fact, categorical reports of a tone), a true scenario and parameters, and
four weeks of reports from many origins, each genuine with probability
:data:`RELIABILITY`, otherwise noise. The engine forecasts each week from the reports dated
by then; the question resolves a week after the last forecast; the forecasts are scored
(:mod:`.scores`) and, across questions, their calibration measured (:mod:`.calibration`).

Worlds (:data:`WORLDS`):

* ``prior``: drawn from the model's own prior: the model is right.
* ``echo``: every yes/no and tone report reaches the analyst through three outlets.
* ``fabrication``: 30% of origins fabricate: their reports come from a wrong scenario,
  graded as reliable as everyone's.
* ``regime_switch``: halfway through, the truth switches to another scenario (which is the
  outcome); the model assumes the scenario does not change.
* ``outside``: the truth is none of the three scenarios (operations at four times war's rate).

Features the analyst or the model can switch (:class:`Features`): ``echo_handling`` (the
copies logged as one origin's report with its relays, or as independent origins),
``reliability_model`` (``mixture`` or ``tempered``), ``catch_all`` (a "none of these"
scenario). Dynamics (scenarios that change) are not built yet (issue 14).

:func:`run` computes in memory with the exact engine, the same functions the weekly pipeline
calls; ``pipeline=True`` instead writes each question and ledger to a folder and runs
``backfill``, ``resolve`` and ``score`` as an analyst would (slower; a test checks both give
the same scores).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.constants import CATCH_ALL
from ..engines.exact import exact_posterior
from ..inputs.evidence import Evidence
from ..inputs.question import Question
from ..model.data import ModelData
from .calibration import reliability
from .scores import brier, log_score

SCENARIOS = ("calm", "tense", "war")
PRIOR = np.array([0.5, 0.3, 0.2])
#: Operations per 30 days: Gamma(shape, rate) per scenario (means 1, 3, 6).
OPS = {"calm": (4.0, 4.0), "tense": (9.0, 3.0), "war": (12.0, 2.0)}
#: The fact: Beta(alpha, beta) per scenario.
FACT = {"calm": (2.0, 8.0), "tense": (5.0, 5.0), "war": (8.0, 2.0)}
CATEGORIES = ("warm", "cool", "cold")
TONE = {"calm": (4.0, 2.0, 1.0), "tense": (2.0, 3.0, 2.0), "war": (1.0, 2.0, 4.0)}
#: The truth of the ``outside`` world: operations at 24 a month, a coin-flip fact, any tone.
OUTSIDE = {"ops": (48.0, 2.0), "fact": (1.0, 1.0), "tone": (1.0, 1.0, 1.0)}
#: Yes/no and tone reports per week (Poisson).
PER_WEEK = {"fact": 1.5, "tone": 1.0}
#: The probability that a report is genuine (every report's; the numeric reliability logged).
RELIABILITY = 0.8
#: Forecasts per question (one a week); the question resolves a week after the last.
WEEKS = 4
#: Outlets that relay each report in the ``echo`` world.
ECHOES = 3
#: Share of origins that fabricate in the ``fabrication`` world.
FABRICATORS = 0.3
#: Days ahead the responsiveness range looks (the forecast two weeks later falls in it or not).
HORIZON = 14
START = dt.date(2025, 1, 6)
WORLDS = ("prior", "echo", "fabrication", "regime_switch", "outside")


@dataclass(frozen=True)
class Features:
    """What the analyst logs and the model assumes."""

    echo_handling: bool = True
    reliability_model: str = "mixture"
    catch_all: bool = False
    #: Weekly periods whose regime may move (stay 0.9; leaving by the prior's shares).
    dynamics: bool = False

    def label(self) -> str:
        """Short text for tables: ``mixture, relays logged, no catch-all``."""
        parts = [
            self.reliability_model,
            "relays logged" if self.echo_handling else "relays as origins",
            "catch-all" if self.catch_all else "no catch-all",
        ]
        if self.dynamics:
            parts.append("dynamics")
        return ", ".join(parts)


def template(features: Features = Features()) -> Question:
    """The question every world draws from, as the model states it."""
    body: dict[str, Any] = {
        "id": "simulated",
        "title": "A simulated question",
        "reliability_model": features.reliability_model,
        "scenarios": {
            s: {"label": s.capitalize(), "prior": float(p)}
            for s, p in zip(SCENARIOS, PRIOR, strict=True)
        },
        "indicators": {
            "ops": {
                "kind": "count",
                "description": "operations",
                "per_days": 30.0,
                "rate": {s: {"shape": a, "rate": b} for s, (a, b) in OPS.items()},
            },
            "fact": {
                "kind": "binary",
                "description": "a fact",
                "arrivals_per_30_days": PER_WEEK["fact"] * 30 / 7,
                "probability": {s: {"alpha": a, "beta": b} for s, (a, b) in FACT.items()},
            },
            "tone": {
                "kind": "categorical",
                "description": "the tone",
                "arrivals_per_30_days": PER_WEEK["tone"] * 30 / 7,
                "categories": list(CATEGORIES),
                "probabilities": {
                    s: {"alpha": dict(zip(CATEGORIES, a, strict=True))} for s, a in TONE.items()
                },
            },
        },
    }
    if features.catch_all:
        body["catch_all"] = {"prior": 0.05}
    if features.dynamics:
        body["resolves"] = resolution_date().isoformat()
        rows = {}
        for s in SCENARIOS:
            others = {o: float(p) for o, p in zip(SCENARIOS, PRIOR, strict=True) if o != s}
            total = sum(others.values())
            rows[s] = {"stay": 0.9, "leaves_to": {o: p / total for o, p in others.items()}}
        body["dynamics"] = {"period_days": 7.0, "transitions": rows}
    return Question.model_validate(body)


# --- drawing a world -------------------------------------------------------------------------


def _theta(name: str, params: Any, rng: np.random.Generator) -> Any:
    if name == "ops":
        return rng.gamma(params[0], 1.0 / params[1])
    if name == "fact":
        return rng.beta(*params)
    return rng.dirichlet(params)


def _params(name: str, scenario: str) -> Any:
    if scenario == "outside":
        return OUTSIDE[name]
    return {"ops": OPS, "fact": FACT, "tone": TONE}[name][scenario]


def _value(name: str, theta: Any, exposure: float, rng: np.random.Generator) -> Any:
    if name == "ops":
        return int(rng.poisson(theta * exposure))
    if name == "fact":
        return bool(rng.random() < theta)
    return CATEGORIES[int(rng.choice(len(CATEGORIES), p=theta))]


def _report(name: str, theta: Any, exposure: float, rng: np.random.Generator) -> Any:
    """Genuine with probability :data:`RELIABILITY`, else noise (the prior predictive)."""
    if rng.random() < RELIABILITY:
        return _value(name, theta, exposure, rng)
    k = int(rng.choice(len(SCENARIOS), p=PRIOR))
    return _value(name, _theta(name, _params(name, SCENARIOS[k]), rng), exposure, rng)


@dataclass
class Drawn:
    """One question of a world: its outcome and its reports with their true provenance."""

    outcome: str  # a scenario, or "outside"
    reports: list[dict[str, Any]] = field(default_factory=list)


def draw(world: str, rng: np.random.Generator) -> Drawn:
    """A question of ``world``: the truth and :data:`WEEKS` weeks of reports."""
    if world not in WORLDS:
        raise ValueError(f"unknown world {world!r}; one of {', '.join(WORLDS)}")
    first = SCENARIOS[int(rng.choice(len(SCENARIOS), p=PRIOR))]
    truth = [first] * WEEKS
    if world == "outside":
        truth = ["outside"] * WEEKS
    elif world == "regime_switch":
        others = [s for s in SCENARIOS if s != first]
        p = np.array([PRIOR[SCENARIOS.index(s)] for s in others])
        second = others[int(rng.choice(len(others), p=p / p.sum()))]
        truth = [first] * (WEEKS // 2) + [second] * (WEEKS - WEEKS // 2)
    thetas: dict[tuple[str, str], Any] = {}

    def theta(name: str, scenario: str) -> Any:
        if (name, scenario) not in thetas:
            thetas[name, scenario] = _theta(name, _params(name, scenario), rng)
        return thetas[name, scenario]

    out = Drawn(truth[-1])
    n_origin = 0
    for week in range(WEEKS):
        begin = START + dt.timedelta(days=7 * week)
        end = begin + dt.timedelta(days=6)
        now = truth[week]
        out.reports.append(
            {
                "indicator": "ops",
                "value": _report("ops", theta("ops", now), 7 / 30, rng),
                "window": [begin, end],
                "date": end,
                "origin": f"monitor-{week}",
            }
        )
        for name in ("fact", "tone"):
            for _ in range(int(rng.poisson(PER_WEEK[name]))):
                n_origin += 1
                fabricates = world == "fabrication" and rng.random() < FABRICATORS
                source = ("war" if now != "war" else "calm") if fabricates else now
                out.reports.append(
                    {
                        "indicator": name,
                        "value": _report(name, theta(name, source), 1.0, rng),
                        "date": begin + dt.timedelta(days=int(rng.integers(0, 7))),
                        "origin": f"origin-{n_origin}",
                        "echoes": ECHOES if world == "echo" else 1,
                    }
                )
    return out


def ledger(drawn: Drawn, features: Features) -> list[dict[str, Any]]:
    """The ledger an analyst logs from the reports (relays as relays, or as origins)."""
    items = []
    for n, r in enumerate(drawn.reports):
        base = {
            "indicator": r["indicator"],
            "value": r["value"],
            "date": r["date"],
            "reliability": RELIABILITY,
        }
        if "window" in r:
            base["window"] = r["window"]
        copies = r.get("echoes", 1)
        for c in range(copies):
            item = dict(base, id=f"r{n}-{c}")
            if copies == 1:
                item["source"] = r["origin"]
            elif features.echo_handling:  # one origin's report, relayed by each outlet
                item |= {
                    "source": f"outlet-{c}",
                    "origin": r["origin"],
                    "via": [f"outlet-{c}"],
                    "event": f"e{n}",
                }
            else:  # each outlet taken for an origin of its own
                item["source"] = f"outlet-{c}-of-{r['origin']}"
            items.append(item)
    return items


# --- forecasting and scoring -----------------------------------------------------------------


def forecast_dates() -> list[dt.date]:
    """The as-of date of each week's forecast (the last day of the week)."""
    return [START + dt.timedelta(days=7 * w + 6) for w in range(WEEKS)]


def resolution_date() -> dt.date:
    """A week after the last forecast."""
    return forecast_dates()[-1] + dt.timedelta(days=7)


@dataclass
class Simulation:
    """Per question: each week's probabilities, the outcome, scores and coverage."""

    world: str
    features: Features
    probabilities: np.ndarray  # (questions, weeks, scenarios)
    outcomes: list[str]
    scenarios: list[str]
    inside: np.ndarray  # (questions,) the forecast HORIZON later inside the range (scenario 0)
    seconds: float = 0.0

    @property
    def time_averaged(self) -> np.ndarray:
        """Each question's forecasts averaged over the weeks they stood (equal: one each)."""
        return self.probabilities.mean(axis=1)

    def scores(self) -> tuple[np.ndarray, np.ndarray]:
        """Each question's time-averaged Brier and log score.

        Against the zero vector and infinite when the truth is outside the scenarios and there
        is no catch-all.
        """
        b, lg = [], []
        for p, o in zip(self.probabilities, self.outcomes, strict=True):
            k = self._index(o)
            if k is None:
                b.append(float(np.mean(np.sum(p**2, axis=1))))
                lg.append(np.inf)
            else:
                b.append(float(np.mean(brier(p, k))))
                lg.append(float(np.mean(log_score(p, k))))
        return np.array(b), np.array(lg)

    def _index(self, outcome: str) -> int | None:
        if outcome == "outside":
            outcome = CATCH_ALL
        return self.scenarios.index(outcome) if outcome in self.scenarios else None

    def calibration(self, seed: int = 0) -> xr.Dataset | None:
        """The reliability diagram of each question's last forecast.

        ``None`` if the truth is never one of the scenarios; :func:`forecasting.scoring.score`
        says why the last forecast.
        """
        idx = [self._index(o) for o in self.outcomes]
        keep = [n for n, k in enumerate(idx) if k is not None]
        if not keep:
            return None
        last = self.probabilities[:, -1]
        return reliability(last[keep], np.array([idx[n] for n in keep]), seed=seed)

    def summary(self, seed: int = 0) -> dict[str, Any]:
        """Mean Brier and log score, calibration terms, the range's coverage."""
        b, lg = self.scores()
        cal = self.calibration(seed)
        out = {
            "world": self.world,
            "features": self.features.label(),
            "questions": len(self.outcomes),
            "brier": float(b.mean()),
            "brier_se": float(b.std(ddof=1) / np.sqrt(len(b))),
            "log": float(lg.mean()),
            # not measured (nan) under dynamics: no confidence there yet
            "coverage": float(np.nanmean(self.inside))
            if np.isfinite(self.inside).any()
            else float("nan"),
            "seconds": self.seconds,
        }
        if cal is not None:
            out |= {
                k: float(cal.attrs[k])
                for k in ("miscalibration", "discrimination", "uncertainty", "share_inside_band")
            }
        return out


def run(
    world: str,
    questions: int,
    *,
    features: Features = Features(),
    seed: int = 0,
    coverage: bool = True,
    pipeline: bool = False,
    futures: int = 200,
) -> Simulation:
    """Draw ``questions`` questions of ``world``, forecast each week, resolve, score.

    ``coverage``: also measure the responsiveness range at the middle week (the first
    scenario's 5%-95% range over :data:`HORIZON` days, ``futures`` simulated futures) and
    whether the forecast two weeks later fell inside it. ``pipeline``: go through files and
    the weekly pipeline instead of memory (see the module docstring).
    """
    import time

    start = time.perf_counter()
    q = template(features)
    rng = np.random.default_rng(seed)
    dates = forecast_dates()
    probs, outcomes, inside = [], [], []
    for n in range(questions):
        drawn = draw(world, rng)
        items = ledger(drawn, features)
        if pipeline:
            weekly = _through_the_pipeline(q, items, drawn.outcome, features)
        else:
            weekly = [
                exact_posterior(_data(q, [it for it in items if it["date"] <= d])).probability
                for d in dates
            ]
        probs.append(weekly)
        outcomes.append(drawn.outcome)
        measured = coverage and not features.dynamics  # no confidence under dynamics yet
        inside.append(
            _inside(q, items, weekly, seed * 1_000_003 + n, futures) if measured else np.nan
        )
    return Simulation(
        world,
        features,
        np.array(probs),
        outcomes,
        list(q.scenario_ids),
        np.array(inside, dtype=float),
        time.perf_counter() - start,
    )


def _data(q: Question, items: list[dict[str, Any]]) -> ModelData:
    return ModelData.build(q, Evidence.from_items(items, q))


def _inside(q: Question, items: list, weekly: list, seed: int, futures: int) -> float:
    """Whether the forecast :data:`HORIZON` days after the middle week fell in its range."""
    from ..confidence.responsiveness import measure_responsiveness, streams

    dates = forecast_dates()
    mid = WEEKS // 2 - 1
    later = mid + HORIZON // 7
    ev = Evidence.from_items([it for it in items if it["date"] <= dates[mid]], q)
    data = ModelData.build(q, ev)
    plan = streams(data, ev, dates[mid], float(HORIZON))
    res = measure_responsiveness(
        data, weekly[mid], plan, float(HORIZON), seed=seed, futures=futures, max_futures=futures
    )
    after = weekly[later][0]
    return float(res.lower[0] - 1e-9 <= after <= res.upper[0] + 1e-9)


def _through_the_pipeline(q: Question, items: list, outcome: str, features: Features) -> list:
    """Backfill the weeks into an archive, resolve and score, from files in a folder."""
    import yaml

    from ..pipeline.weekly import backfill, history
    from . import resolve, score

    dates = forecast_dates()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "models").mkdir()
        question_file = root / "models" / "simulated.yaml"
        question_file.write_text(yaml.safe_dump(q.to_dict(), sort_keys=False))
        (root / "evidence" / "simulated").mkdir(parents=True)
        (root / "evidence" / "simulated" / "ledger.yaml").write_text(
            yaml.safe_dump(items, sort_keys=False)
        )
        backfill(question_file, start=dates[0], end=dates[-1], progress=False)
        name = CATCH_ALL if outcome == "outside" and features.catch_all else outcome
        if name not in q.scenario_ids:  # no scenario came true: nothing to resolve it to
            return list(np.nan_to_num(history(question_file)["probability"].values, nan=0.0))
        resolve(question_file, outcome=name, date=resolution_date())
        (scored,) = score([question_file]).questions
        assert scored.scores is not None and scored.scores.attrs["n_forecasts"] == WEEKS
        return list(scored.scores["probability"].values)
