"""Track record: how questions resolved, and how good their archived forecasts were.

:mod:`.resolution` (the resolution record beside a question, ``forecast resolve``),
:mod:`.scores` (Brier, log, skill, time-averaged over a question's open life),
:mod:`.calibration` (the CORP reliability diagram and score decomposition across questions).
:func:`score` puts them together (``forecast score``); the prequential scores of items
(:mod:`forecasting.analyses.prequential`) come with it, week by week.

>>> import forecasting as fc
>>> card = fc.score(["models/syria_coalition.yaml"])   # doctest: +SKIP
>>> card.to_dict()["questions"][0]["brier"]             # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..analyses.prequential import by_origin, empty, prequential, records
from ..core.dims import AS_OF
from ..core.errors import ForecastingError, InputError, Problem
from ..core.paths import display_path, project_root
from ..inputs.question import Question, load_question
from ..pipeline.archive import Archive
from .calibration import reliability
from .resolution import Resolution, load_resolution, record, resolution_path
from .scores import score_question

__all__ = ["Scorecard", "load_resolution", "resolution_path", "resolve", "score"]


@dataclass
class QuestionScore:
    """One question: its resolution, its forecasts' scores and its items' prequential scores."""

    question: Question
    resolution: Resolution | None
    scores: xr.Dataset | None  # None: unresolved or annulled
    items: xr.Dataset  # prequential scores of every archived week's new items
    week_of_item: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # archive files that could not be used
    #: Each week's ``ln p(new | E)`` (its items' scores, with those scored together).
    week_totals: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``resolved``, ``annulled``, ``open`` or ``no forecasts``."""
        if self.resolution is None:
            return "open"
        if self.resolution.annulled is not None:
            return "annulled"
        return (
            "resolved"
            if self.scores is not None and self.scores.attrs["n_forecasts"]
            else ("no forecasts")
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: status, outcome, time-averaged scores and skills, forecasts, items."""
        out: dict[str, Any] = {
            "question": self.question.id,
            "title": self.question.title,
            "status": self.status,
            "resolution": None if self.resolution is None else self.resolution.to_dict(),
            "skipped": self.skipped,
        }
        if self.status == "resolved":
            assert self.scores is not None
            keys = (
                "brier",
                "log",
                "brier_prior",
                "log_prior",
                "brier_uniform",
                "log_uniform",
                "brier_skill_prior",
                "brier_skill_uniform",
                "log_skill_prior",
                "log_skill_uniform",
            )
            out |= {k: _number(self.scores.attrs[k]) for k in keys}
            out["forecasts"] = [
                {
                    "as_of": str(np.datetime_as_string(d, unit="D")),
                    "stood_days": int(self.scores["stood_days"].values[n]),
                    "probability_of_outcome": float(
                        self.scores["probability"].sel(scenario=self.resolution.outcome)[n]
                    ),
                    "brier": _number(self.scores["brier"].values[n]),
                    "log": _number(self.scores["log"].values[n]),
                }
                for n, d in enumerate(self.scores[AS_OF].values)
            ]
        items = self.items
        out["items"] = [
            {"week": week} | row
            for week, row in zip(self.week_of_item, records(self.items), strict=True)
        ]
        out["origins"] = by_origin(items)
        out["weeks"] = [{"as_of": w, "log_predictive": v} for w, v in self.week_totals.items()]
        return out


@dataclass
class Scorecard:
    """Scores of several questions and, across the resolved ones, their calibration."""

    questions: list[QuestionScore]
    calibration: xr.Dataset | None  # None with no resolved question

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every question's scores, and the calibration across them."""
        resolved = [q for q in self.questions if q.status == "resolved"]
        out: dict[str, Any] = {
            "questions": [q.to_dict() for q in self.questions],
            "n_resolved": len(resolved),
        }
        if resolved:
            out["mean_brier"] = float(np.mean([q.scores.attrs["brier"] for q in resolved]))
            out["mean_log"] = _number(np.mean([q.scores.attrs["log"] for q in resolved]))
        if self.calibration is not None:
            c = self.calibration
            out["calibration"] = {k: _number(v) for k, v in c.attrs.items()} | {
                "points": [
                    {
                        "forecast": float(c["forecast"].values[n]),
                        "recalibrated": float(c["recalibrated"].values[n]),
                        "band": [
                            float(c["band_lower"].values[n]),
                            float(c["band_upper"].values[n]),
                        ],
                        "n": int(c["n"].values[n]),
                    }
                    for n in range(c.sizes["point"])
                ]
            }
        return out


def resolve(
    question_file: str | Path,
    *,
    outcome: str | None = None,
    annulled: str | None = None,
    date: dt.date | str,
    source: str | None = None,
    note: str | None = None,
    amend: str | None = None,
    archive: str | Path | None = None,
) -> Resolution:
    """Record how the question in ``question_file`` resolved (``forecast resolve``).

    Give ``outcome`` (the scenario that came true) or ``annulled`` (why it cannot resolve)
    and ``date`` (when the outcome became known: after the first archived forecast, not in
    the future). A question already resolved is changed only with ``amend`` (the reason); the
    earlier records are kept. The record goes to ``<question>.resolution.yaml`` beside the
    question file; nothing archived or reported is touched.

    Raises
    ------
    InputError
        Every problem, located; nothing is written.
    """
    q = load_question(question_file)
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise InputError(
                [Problem("resolve", None, "date", f"{date!r} is not a date (YYYY-MM-DD)")]
            ) from None
    root = archive if archive is not None else project_root(question_file) / "forecasts"
    entries = Archive(root).entries(q.id)
    return record(
        question_file,
        q,
        outcome=outcome,
        annulled=annulled,
        date=date,
        first_forecast=entries[0].as_of if entries else None,
        source=source,
        note=note,
        amend=amend,
    )


def score(
    questions: list[str | Path],
    *,
    archive: str | Path | None = None,
    seed: int = 0,
) -> Scorecard:
    """Score the archived forecasts of ``questions`` (question files).

    Resolved questions (``forecast resolve``) get their forecasts' Brier and log scores, skill
    against the prior and uniform, and time-averaged scores; every question gets its items'
    prequential scores week by week; the resolved ones together get the reliability diagram
    and the Brier decomposition (:func:`.calibration.reliability`, band seeded by ``seed``) of
    each question's last forecast before its resolution. Not of the time-averaged forecast:
    an average of forecasts that are each calibrated is not itself calibrated (in 500 worlds
    of the model's own, :mod:`.simulate`, each week's forecasts put 90-100% of the diagram
    inside its consistency band, their average 57%).
    ``archive`` defaults to ``forecasts/`` beside each question's ``models/``.
    """
    out = []
    for path in questions:
        q = load_question(path)
        res = load_resolution(path, q)
        arch = Archive(archive if archive is not None else project_root(path) / "forecasts")
        contents = arch.check(q.id)  # unreadable or foreign files are skipped and named
        latest = {e.as_of: e for e in contents.entries}
        if res is not None and res.outcome is not None and latest and res.date <= min(latest):
            raise InputError(
                [
                    Problem(
                        display_path(res.path),
                        None,
                        "date",
                        f"{res.date} is not after the question's first archived forecast "
                        f"({min(latest)})",
                    )
                ]
            )
        history = contents.history()
        skipped = [u.describe() for u in contents.unreadable]
        scores = None
        if res is not None and res.outcome is not None and history.sizes.get(AS_OF, 0):
            if res.outcome not in [str(s) for s in history["scenario"].values]:
                raise InputError(
                    [
                        Problem(
                            display_path(res.path),
                            None,
                            "outcome",
                            f"{res.outcome!r} is a scenario of none of the archived forecasts",
                        )
                    ]
                )
            scores = score_question(history, res.outcome, res.date)
        items, weeks, damaged = _weekly_items([latest[d] for d in sorted(latest)], res)
        totals = _week_totals(items, weeks)
        out.append(QuestionScore(q, res, scores, items, weeks, skipped + damaged, totals))
    return Scorecard(out, _calibration(out, seed))


def _weekly_items(entries: list, res: Resolution | None) -> tuple[xr.Dataset, list[str], list[str]]:
    """Prequential scores of each archived forecast's new items (before the resolution).

    Also the files whose draws or inputs turn out unreadable on a full read (named, skipped).
    """
    parts, weeks, damaged = [], [], []
    previous = None
    for e in entries:
        if res is not None and e.as_of >= res.date:
            break
        try:
            current = e.load()
        except ForecastingError as exc:
            damaged.append(f"{display_path(e.path)}: {exc}".splitlines()[0])
            continue
        s = prequential(previous, current)
        parts.append(s)
        weeks += [e.as_of.isoformat()] * s.sizes["item"]
        previous = current
    if not parts:
        return empty(), [], damaged
    totals = [float(p.attrs["left_total"]) for p in parts for _ in range(p.sizes["item"])]
    both = xr.concat(parts, dim="item")
    both["left_total"] = ("item", np.array(totals))  # each week's, on each of its items
    return both, weeks, damaged


def _week_totals(items: xr.Dataset, weeks: list[str]) -> dict[str, float]:
    """Each week's ``ln p(new | E)``: its scored items, and those left out of the walk."""
    out: dict[str, float] = {}
    left = items["left_total"].values if "left_total" in items else np.zeros(len(weeks))
    for week, value, block in zip(weeks, items["log_predictive"].values, left, strict=True):
        if week not in out:
            out[week] = float(block)
        if not np.isnan(value):
            out[week] += float(value)
    return out


def _calibration(questions: list[QuestionScore], seed: int) -> xr.Dataset | None:
    resolved = [q for q in questions if q.status == "resolved"]
    if not resolved:
        return None
    width = max(q.scores.sizes["scenario"] for q in resolved)
    p = np.full((len(resolved), width), np.nan)
    o = np.zeros(len(resolved), dtype=int)
    for n, q in enumerate(resolved):
        last = q.scores["probability"].values[-1]
        p[n, : len(last)] = last
        o[n] = [str(s) for s in q.scores["scenario"].values].index(q.resolution.outcome)
    return reliability(p, o, seed=seed)


def _number(x: float) -> float | None:
    """A JSON number; ``None`` for infinite or undefined (e.g. a log score of 0 probability)."""
    x = float(x)
    return x if np.isfinite(x) else None
