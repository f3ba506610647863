"""The weekly update, the history and the backfill: the scheduled job's entry points.

``update`` forecasts as of a date, runs the sensitivity analyses, archives the forecast,
compares it with the latest earlier one (attribution and surprise check) and writes the report.
``backfill`` replays the ledger over past dates into the archive. ``history`` reads the archive.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from ..analyses.attribution import Attribution
from ..api import forecast
from ..core.errors import InputError, Problem
from ..core.paths import project_root
from ..core.schema import as_date
from ..inputs.evidence import Evidence, load_evidence
from ..inputs.overlays import load_overlays
from ..inputs.question import Question, load_question
from ..inputs.resolve import resolve_inputs
from ..results.forecast import Forecast
from .archive import Archive, Unreadable, WriteResult
from .steps import (
    Computed,
    Shipment,
    analyse,
    evidence_flags,
    forecast_step,
    gather,
    publish,
)

__all__ = ["UpdateResult", "backfill", "evidence_flags", "history", "update"]


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
    dry_run: bool = False,
    analysts: str | Sequence[str | Path] | None = None,
    pool: str | None = None,
    extremize: float | None = None,
    weights: Mapping[str, float] | Sequence[float] | str | None = None,
    records: Mapping[str, Sequence[Any]] | None = None,
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

    ``dry_run`` computes and returns everything but writes nothing: no archive file, no lock
    file, no report, nothing moved into quarantine (``report`` is then empty).

    ``analysts`` (``"all"`` or names; with ``pool``, ``extremize``, ``weights`` and
    ``records`` as in :func:`forecasting.forecast_analysts`): the report gains a section on
    the analysts' forecasts, their pool and the disagreement map, and the summary their
    ``analysts`` and ``disagreement``. The archive keeps the shared question's forecast.
    """
    options = dict(
        engine=engine,
        seed=seed,
        draws=draws,
        chains=chains,
        sampler=sampler,
        horizon_days=horizon_days,
    )
    spec = analyst_options(analysts, pool, extremize, weights, records)
    ship, store, directory = prepare(question, evidence, as_of, archive, reports, options)
    if spec is not None:  # an unknown analyst or a bad overlay is refused before any computing
        load_overlays(ship.question, spec["analysts"])
    current, tree = forecast_step(ship, progress=progress)
    with contextlib.nullcontext() if dry_run else store.lock(ship.question.id):
        ship = gather(
            store,
            ship.question,
            ship.evidence,
            ship.as_of,
            options=options,
            report=directory,
            dry_run=dry_run,
            analysts=spec,
        )
        done = analyse(ship, current, tree)
        return finish(done, store, directory, dry_run=dry_run)


def analyst_options(
    analysts: str | Sequence[str | Path] | None,
    pool: str | None = None,
    extremize: float | None = None,
    weights: Mapping[str, float] | Sequence[float] | str | None = None,
    records: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any] | None:
    """The shipment's ``analysts`` (:attr:`.steps.Shipment.analysts`); ``None`` without any."""
    if analysts is None:
        if pool is not None or extremize is not None or weights is not None:
            raise InputError(
                [
                    Problem(
                        None, None, "pool", "pool, extremize and weights pool analysts: name them"
                    )
                ]
            )
        return None
    return dict(analysts=analysts, pool=pool, extremize=extremize, weights=weights, records=records)


def prepare(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None,
    as_of: dt.date | str | None,
    archive: str | Path | None,
    reports: str | Path | None,
    options: dict[str, Any],
) -> tuple[Shipment, Archive, Path]:
    """The inputs read and validated, the archive and the report's folder (nothing read yet).

    The shipment holds the inputs only; :func:`.steps.gather` adds what the archive holds.
    """
    if not isinstance(question, Question):
        question = load_question(question)
    if not isinstance(evidence, Evidence):  # the whole ledger, as forecast() reads it
        evidence = load_evidence(evidence, question)
    question, _, day = resolve_inputs(question, evidence, as_of)  # checked, nothing more read
    root = project_root(question.source)
    store = Archive(archive if archive is not None else root / "forecasts")
    out_root = Path(reports) if reports is not None else root / "reports"
    directory = out_root / question.id / day.isoformat()
    return Shipment(question, evidence, day, options, directory), store, directory


def finish(done: Computed, store: Archive, directory: Path, *, dry_run: bool) -> UpdateResult:
    """Publish what an update computed (:func:`.steps.publish`) unless a dry run, as a result."""
    if dry_run:
        written, paths, message = done.planned, {}, "dry run: nothing written"
        done.summary["report_status"] = {"status": "dry-run", "message": message}
        done.summary["report"] = None
    else:
        written, paths, message = publish(done, store, directory)
    return UpdateResult(
        done.forecast,
        done.previous,
        written,
        done.attribution,
        done.surprise,
        done.sensitivity,
        paths,
        done.summary,
        done.reasons,
        done.skipped,
        report_message=message,
    )


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
    start = as_date(start, "start")
    if end is not None:  # the arguments are checked before any file is read
        end = backfill_dates(start, as_date(end, "end"), every_days)[-1]
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
