"""The weekly update, the history and the backfill: the scheduled job's entry points.

``update`` forecasts as of a date, runs the sensitivity analyses, archives the forecast,
compares it with the latest earlier one (attribution and surprise check) and writes the report.
``backfill`` replays the ledger over past dates into the archive. ``history`` reads the archive.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..analyses.attribution import Attribution, attribute
from ..analyses.new_items import new_items
from ..analyses.overview import sensitivity
from ..analyses.prequential import by_origin, prequential, records
from ..analyses.surprise_check import catch_all_flag, surprise
from ..api import forecast
from ..core.atomic import naming, staged_folder
from ..core.constants import CATCH_ALL, CATCH_ALL_THRESHOLD
from ..core.errors import InputError, Problem
from ..core.paths import project_root
from ..core.schema import short_value
from ..inputs.evidence import Evidence
from ..inputs.question import Question, load_question
from ..inputs.resolve import resolve_inputs
from ..presentation import report as rpt
from ..presentation.dynamics import resolves, sampler_warnings
from ..presentation.text import estimative, headline, next_observation_sentences
from ..results.forecast import Forecast
from .archive import Archive, Unreadable, WriteResult


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
    skipped: list[Unreadable] = field(default_factory=list)  # archive files it could not use
    # what writing the report did: written, unchanged (same content) or a revision (kept the
    # earlier one in revisions/r<n>/); see forecasting.presentation.report.revisions
    report_message: str = ""

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

    ``archive`` defaults to ``forecasts/`` beside the question's ``models/`` folder and
    ``reports`` to ``reports/``. The report goes to ``reports/<id>/<as-of>/``.

    Everything is read and checked before anything is written: the inputs, then (holding the
    archive's lock to the end) every archived forecast; files it cannot use are moved into
    the archive's ``quarantine/`` and named in ``skipped``, the output and the report. The
    report is written whole into a temporary folder, the forecast archived, and only then
    the report folder put in place: a failure, such as a full disk, leaves the archive and
    the reports as they were. A report already published for the date is never silently
    rewritten: the same content writes nothing; other content is a revision, the earlier
    report kept in ``revisions/r<n>/`` and named by the new one (``report_message``).
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
    with store.lock(question.id):
        contents = store.check(question.id, quarantine=True)
        previous = store.previous(contents, current.as_of)
        attribution = attribute(previous, current) if previous is not None else None
        week = new_items(previous, current)  # the models before each new item, built once
        sur = surprise(previous, current, week=week)
        pre = prequential(previous, current, week=week)
        flags = evidence_flags(current, sur)
        archived = current.flag(flags)  # the archive (and history) keep the flags
        planned = store.plan(archived)
        also = None if planned.status == "unchanged" else (planned.entry, archived)
        history = contents.history(also)
        skipped = contents.unreadable
        archive_message = planned.message + "".join(f"; skipped {u.describe()}" for u in skipped)
        # the note that dynamics leave the confidence out is in the report, not a flag
        reasons = [f"MCMC diagnostics: {w}" for w in sampler_warnings(current.warnings)] + flags
        summary = _summary(current, previous, attribution, sur, tree, planned, reasons)
        summary["archive"]["skipped"] = [u.to_dict() for u in skipped]
        summary["prequential"] = {
            "total": pre.attrs["total"],
            "items": records(pre),
            "origins": by_origin(pre),
        }
        staging = None
        try:
            with staged_folder(directory) as staging:
                results = results_of(current, tree, history)
                figures = draw_figures(results, staging / "figures", only=rpt.FIGURES)
                blocks = rpt.build(
                    current,
                    previous=previous,
                    attribution=attribution,
                    surprise=sur,
                    sensitivity=tree,
                    figures=figures,
                    archive_message=archive_message,
                    prequential=pre,
                    archived_as=f"{question.id}/{planned.entry.path.name}",
                )
                # a published report is kept: same content, nothing written; else a revision
                report_plan = rpt.plan(directory, blocks, staging)
                summary["report_status"] = report_plan.to_dict()
                if report_plan.status == "unchanged":
                    written = store.write(archived)
                    raise rpt.Unchanged  # the staging folder goes; the published one stays
                rpt.keep_earlier(report_plan, staging)
                blocks = rpt.announce(blocks, report_plan)
                paths = rpt.write(staging, blocks, summary, current.title, final=directory)
                written = store.write(archived)
        except rpt.Unchanged:
            paths = rpt.paths(directory)
        except OSError as exc:  # e.g. a full disk: name the report's file, not its staging
            named = _report_error(exc, staging, directory)
            if named is None:
                raise
            raise named from exc
    summary["report"] = {k: str(v) for k, v in paths.items()}
    return UpdateResult(
        current,
        previous,
        written,
        attribution,
        sur,
        tree,
        paths,
        summary,
        reasons,
        skipped,
        report_message=report_plan.message,
    )


def _report_error(exc: OSError, staging: Path | None, directory: Path) -> OSError | None:
    """The error naming the report's file (or folder) it failed on; None if it does."""
    if exc.filename is None:
        return naming(exc, directory)
    name = Path(exc.filename)
    if staging is not None and name.is_relative_to(staging):
        return naming(exc, directory / name.relative_to(staging))
    return None


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
    if current.now is not None:  # dynamics: each scenario's "now" is beside its probability
        out["resolves"] = resolves(current)
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
    """The archived forecasts of a question over time (dims ``as_of, scenario``).

    Only reads: files it cannot use are skipped and listed in the attributes ``unreadable``
    (paths) and ``unreadable_reason`` (see :meth:`.Archive.check`); an update quarantines them.
    """
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
    start = _as_date(start, "start")
    if end is not None:  # the arguments are checked before any file is read
        end = backfill_dates(start, _as_date(end, "end"), every_days)[-1]
    else:
        backfill_dates(start, start, every_days)
    question, ev, _ = resolve_inputs(question, evidence, None)
    if end is None:
        end = max((it.date for it in ev.items), default=dt.date.today())
    dates = backfill_dates(start, end, every_days)
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


#: Longest step of a backfill, in days (ten years).
MAX_EVERY_DAYS = 3660


def backfill_dates(start: dt.date, end: dt.date, every_days: int) -> list[dt.date]:
    """``start``, every ``every_days`` days after it up to ``end``, and ``end``.

    Never steps past ``end``, so the last date of the calendar (9999-12-31) is a valid end;
    ``every_days`` is a whole number of days between 1 and :data:`MAX_EVERY_DAYS`, and the
    start is not after the end (:class:`InputError` otherwise, naming the argument).
    """
    if isinstance(every_days, bool) or not isinstance(every_days, int):
        raise InputError(
            [Problem(None, None, "every", f"must be a whole number of days, got {every_days!r}")]
        )
    if not 1 <= every_days <= MAX_EVERY_DAYS:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "every",
                    f"must be between 1 and {MAX_EVERY_DAYS:,} days, got {every_days:,}",
                )
            ]
        )
    if start > end:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "from",
                    f"the first date ({start.isoformat()}) is after the last "
                    f"({end.isoformat()}); give --from before --to",
                )
            ]
        )
    dates, d = [start], start
    while (end - d).days >= every_days:  # d + every_days <= end: the sum always exists
        d += dt.timedelta(days=every_days)
        dates.append(d)
    if dates[-1] != end:
        dates.append(end)
    return dates


def _as_date(value: dt.date | str, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(
            [Problem(None, None, name, f"{short_value(value)} is not a date; use YYYY-MM-DD")]
        ) from None
