"""The weekly update, the history and the backfill: the scheduled job's entry points.

``update`` forecasts as of a date, runs the sensitivity analyses, archives the forecast,
compares it with the latest earlier one (attribution and surprise check) and writes the report.
``backfill`` replays the ledger over past dates into the archive. ``history`` reads the archive.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..analyses.attribution import Attribution, attribute
from ..analyses.overview import sensitivity
from ..analyses.prequential import by_origin, prequential
from ..analyses.surprise_check import catch_all_flag, surprise
from ..api import forecast
from ..core.atomic import write_text_atomic
from ..core.constants import CATCH_ALL, CATCH_ALL_THRESHOLD
from ..core.paths import project_root
from ..inputs.evidence import Evidence
from ..inputs.question import Question, load_question
from ..inputs.resolve import resolve_inputs
from ..presentation import report as rpt
from ..presentation.text import estimative, headline, next_observation_sentences
from ..results.forecast import Forecast
from .archive import Archive, WriteResult


@dataclass
class UpdateResult:
    """Everything an update produced."""

    forecast: Forecast
    previous: Forecast | None
    archived: WriteResult
    attribution: Attribution | None
    surprise: xr.Dataset
    sensitivity: xr.DataTree
    report: dict[str, Path]
    summary: dict[str, Any]
    reasons: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        """Whether the forecast was produced but needs attention (exit code 3)."""
        return bool(self.reasons)


def update(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    archive: str | Path | None = None,
    reports: str | Path | None = None,
    engine: str = "auto",
    seed: int | None = None,
    draws: int | None = None,
    chains: int | None = None,
    progress: bool | None = None,
    sampler: str | None = None,
    horizon_days: float | None = None,
) -> UpdateResult:
    """Forecast, analyse, archive, compare with the previous forecast, and report.

    ``archive`` defaults to ``forecasts/`` and ``reports`` to ``reports/`` beside the
    question's ``models/`` folder. The report goes to ``reports/<id>/<as-of>/``.
    """
    from ..presentation.plots import draw_figures, results_of

    if not isinstance(question, Question):
        question = load_question(question)
    root = project_root(question.source)
    store = Archive(archive if archive is not None else root / "forecasts")
    out_root = Path(reports) if reports is not None else root / "reports"
    current = forecast(
        question,
        evidence,
        as_of=as_of,
        engine=engine,
        seed=seed,
        draws=draws,
        chains=chains,
        progress=progress,
        sampler=sampler,
        horizon_days=horizon_days,
    )
    tree = sensitivity(current)
    directory = out_root / question.id / current.as_of.isoformat()
    figure_dir = directory / "figures"
    figure_dir.mkdir(parents=True, exist_ok=True)
    prev_entry = store.latest(question.id, before=current.as_of)
    previous = prev_entry.load() if prev_entry is not None else None
    attribution = attribute(previous, current) if previous is not None else None
    sur = surprise(previous, current)
    pre = prequential(previous, current)
    flags = evidence_flags(current, sur)
    written = store.write(current.flag(flags))  # the archive (and history) keep the flags
    history = store.history(question.id)
    figures = draw_figures(results_of(current, tree, history), figure_dir, only=rpt.FIGURES)

    reasons = [f"MCMC diagnostics: {w}" for w in current.warnings] + flags
    blocks = rpt.build(
        current,
        previous=previous,
        attribution=attribution,
        surprise=sur,
        sensitivity=tree,
        figures=figures,
        archive_message=written.message,
        prequential=pre,
    )
    summary = _summary(current, previous, attribution, sur, tree, written, reasons)
    summary["prequential"] = {
        "total": pre.attrs["total"],
        "items": [
            {"id": str(i), "origin": str(o), "log_predictive": float(v), "proper": bool(p)}
            for i, o, v, p in zip(
                pre["item"].values,
                pre["origin"].values,
                pre["log_predictive"].values,
                pre["proper"].values,
                strict=True,
            )
        ],
        "origins": by_origin(pre),
    }
    paths = rpt.write(directory, blocks, summary, current.title)
    summary["report"] = {k: str(v) for k, v in paths.items()}
    write_text_atomic(paths["summary"], json.dumps(summary, indent=2, default=str) + "\n")
    return UpdateResult(current, previous, written, attribution, sur, tree, paths, summary, reasons)


def evidence_flags(current: Forecast, sur: xr.Dataset) -> list[str]:
    """Why the evidence says the scenario set may be incomplete (empty if it does not).

    The catch-all scenario's probability at or above :data:`CATCH_ALL_THRESHOLD`, and new
    items improbable under every scenario (named).
    """
    out = []
    p = catch_all_flag(current)
    if p is not None:
        out.append(
            f"'{current.labels[CATCH_ALL]}' is at {100 * p:.0f}% (flagged from "
            f"{100 * CATCH_ALL_THRESHOLD:.0f}%): the evidence fits none of the named "
            "scenarios well; the scenario set may be incomplete"
        )
    improbable = zip(sur["item"].values, sur["improbable"].values, strict=True)
    items = [str(i) for i, bad in improbable if bad]
    if items:
        out.append(
            "new evidence improbable under every scenario (tail below "
            f"{sur.attrs['threshold']:g}): " + ", ".join(items)
        )
    if sur.attrs.get("joint_improbable"):
        out.append(
            f"the {sur.attrs['n_new']} new items together improbable under every scenario "
            f"(joint tail below {sur.attrs['threshold']:g}): "
            + ", ".join(str(i) for i in sur["item"].values)
        )
    return out


def _summary(
    current: Forecast,
    previous: Forecast | None,
    attribution: Attribution | None,
    sur: xr.Dataset,
    tree: xr.DataTree,
    written: WriteResult,
    reasons: list[str],
) -> dict[str, Any]:
    out = current.to_dict()
    out["headline"] = headline(current, previous)
    for s in out["scenarios"]:
        s["estimative"] = estimative(s["probability"])
        if previous is not None and s["id"] in previous.scenarios:
            s["change"] = s["probability"] - float(previous.probabilities.sel(scenario=s["id"]))
    out["previous_as_of"] = previous.as_of.isoformat() if previous is not None else None
    out["archive"] = {
        "status": written.status,
        "path": str(written.entry.path),
        "message": written.message,
    }
    out["attribution"] = attribution.to_dict() if attribution is not None else None
    out["surprise"] = {
        "threshold": sur.attrs["threshold"],
        "flagged": bool(sur.attrs["flagged"]),
        "joint_tail": dict(
            zip(current.scenarios, map(float, sur["joint_tail"].values), strict=True)
        ),
        "joint_improbable": bool(sur.attrs["joint_improbable"]),
        "items": [
            {
                "id": str(i),
                "tail_forecast": float(t),
                "tail_by_scenario": dict(zip(current.scenarios, map(float, row), strict=True)),
                "improbable": bool(bad),
            }
            for i, t, row, bad in zip(
                sur["item"].values,
                sur["tail_forecast"].values,
                sur["tail_probability"].values,
                sur["improbable"].values,
                strict=True,
            )
        ],
    }
    voi = tree["value_of_information"].to_dataset()
    order = np.argsort(-voi["entropy_reduction"].values)
    out["watch_next"] = [
        {
            "indicator": str(voi.indicator.values[n]),
            "entropy_reduction": float(voi["entropy_reduction"].values[n]),
            "p_leader_change": float(voi["p_leader_change"].values[n]),
        }
        for n in order
    ]
    out["next_observations"] = next_observation_sentences(
        current.question, current.labels, tree["next_observation"].to_dataset()
    )
    js = tree["judgement_sensitivity"].to_dataset()
    top = np.argsort(-js["leader_swing"].values)[:5]
    out["top_judgements"] = [
        {"id": str(js.judgement.values[n]), "swing": float(js["leader_swing"].values[n])}
        for n in top
    ]
    infl = tree["evidence_influence"].to_dataset()
    top = np.argsort(-infl["diagnosticity"].values)[:5]
    out["top_evidence"] = [
        {"id": str(infl.item.values[n]), "diagnosticity": float(infl["diagnosticity"].values[n])}
        for n in top
    ]
    out["flagged"] = bool(reasons)
    out["flag_reasons"] = reasons
    return out


def history(question: Question | str | Path, *, archive: str | Path | None = None) -> xr.Dataset:
    """The archived forecasts of a question over time (dims ``as_of, scenario``)."""
    if not isinstance(question, Question):
        question = load_question(question)
    store = Archive(archive if archive is not None else project_root(question.source) / "forecasts")
    return store.history(question.id)


def backfill(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None = None,
    *,
    start: dt.date | str,
    end: dt.date | str | None = None,
    every_days: int = 7,
    archive: str | Path | None = None,
    engine: str = "auto",
    seed: int | None = None,
    draws: int | None = None,
    progress: bool | None = None,
    sampler: str | None = None,
    horizon_days: float | None = None,
) -> list[tuple[dt.date, WriteResult]]:
    """Replay the ledger: archive the forecast as it would have been seen at each date.

    Dates run from ``start`` to ``end`` (default: the latest evidence date, or today) every
    ``every_days`` days; items dated after each as-of are excluded.
    """
    question, ev, _ = resolve_inputs(question, evidence, None)
    start = dt.date.fromisoformat(start) if isinstance(start, str) else start
    if end is None:
        end = max((it.date for it in ev.items), default=dt.date.today())
    elif isinstance(end, str):
        end = dt.date.fromisoformat(end)
    if every_days < 1:
        raise ValueError("every_days must be at least 1")
    dates = []
    d = start
    while d <= end:
        dates.append(d)
        d += dt.timedelta(days=every_days)
    if dates and dates[-1] != end and end >= start:
        dates.append(end)
    store = Archive(archive if archive is not None else project_root(question.source) / "forecasts")
    show = True if progress is None else progress
    tty = sys.stderr.isatty()
    out = []
    for n, d in enumerate(dates, 1):
        f = forecast(
            question,
            ev,
            as_of=d,
            engine=engine,
            seed=seed,
            draws=draws,
            progress=False,
            sampler=sampler,
            horizon_days=horizon_days,
        )
        out.append((d, store.write(f)))
        if show and tty:
            bar = "#" * int(30 * n / len(dates))
            print(
                f"\rbackfill [{bar:<30}] {n}/{len(dates)} {d.isoformat()}",
                end="",
                file=sys.stderr,
                flush=True,
            )
        elif show:
            print(f"backfill {n}/{len(dates)} {d.isoformat()}", file=sys.stderr, flush=True)
    if show and tty and dates:
        print(file=sys.stderr)
    return out
