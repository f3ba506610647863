"""The weekly update in two steps: compute (anywhere) and publish (where the archive is).

:func:`compute` takes plain data, the :class:`Shipment` (the question, the evidence, the
archive's previous forecast and history, what it holds for the date), and returns everything
the update writes (:class:`Computed`: the flagged forecast, the analyses, the summary, the
report's blocks and its figures as PNG bytes). It writes nothing but a temporary folder for
the figures, so it can run in another process or on another machine (:mod:`.many`).
:func:`publish` then stages the report, archives the forecast and puts the report in place,
under the archive's lock. :func:`gather` reads the shipment from the archive. The serial
update (:func:`.weekly.update`) and the update of many questions on Dask run the same steps,
so they write the same bytes.

For Dask, :func:`gather` with ``raw`` ships the previous forecast as its file's bytes, which
the worker reads (:func:`unpack`); a file's bytes also cost next to nothing to pickle. Reading
it whole was more than half of the client's time a question: in process, on the questions of
``benchmarks/many_questions.py`` (each with one earlier forecast archived), 2026-12-01, load
average 4-8, medians of 7 repeats: 260-370 ms before, 110-150 ms after (what is left: checking
the archive, which reads each file's history, 80-120 ms; the report and the archive file
written, 20-30 ms, mostly waiting for the disk). Should the worker find the file damaged, it
raises :class:`ReadOnClient` and the client reads the archive again (moving the file into
quarantine) and computes there, as the serial update does.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..analyses.attribution import Attribution, attribute
from ..analyses.disagreement import disagreement_map
from ..analyses.disagreement import to_dict as disagreement_dict
from ..analyses.new_items import new_items
from ..analyses.overview import sensitivity
from ..analyses.prequential import by_origin, prequential, records
from ..analyses.surprise_check import catch_all_flag, surprise
from ..api import forecast, forecast_analysts
from ..core.atomic import naming, staged_folder
from ..core.constants import CATCH_ALL, CATCH_ALL_THRESHOLD
from ..core.errors import ForecastingError
from ..inputs.evidence import Evidence
from ..inputs.question import Question
from ..presentation import report as rpt
from ..presentation.dynamics import resolves, sampler_warnings
from ..presentation.records import plain
from ..presentation.report.analysts import analyst_blocks
from ..presentation.report.blocks import Block, Figure
from ..presentation.text import estimative, headline, next_observation_sentences, pct
from ..results.analysts import AnalystForecasts
from ..results.forecast import Forecast
from .archive import Archive, Contents, Day, Unreadable, WriteResult, encode

#: Where the report's figures go, relative to its folder.
FIGURE_FOLDER = "figures"
#: The figure of the analysts' disagreement map (``--analysts``), beside the registry's.
DISAGREEMENT = "disagreement"


@dataclass
class Shipment:
    """What an update computes from: its inputs and what the archive holds (plain data).

    ``options``: the keyword arguments of :func:`forecasting.forecast` (engine, seed, draws,
    chains, sampler, horizon_days). ``report``: the report's folder, only to name it in an error.
    ``fingerprint``: the archive's files when it was read (:meth:`.Archive.fingerprint`).
    """

    question: Question
    evidence: Evidence
    as_of: dt.date
    options: dict[str, Any]
    report: Path
    previous: Forecast | None = None
    contents: Contents | None = None
    day: Day | None = None
    skipped_text: str = ""
    fingerprint: tuple = ()
    encode: bool = True  # the archive file's bytes too (not for a dry run)
    #: several analysts' forecasts and their pool for the report (``forecast update
    #: --analysts``): the keyword arguments of :func:`forecasting.forecast_analysts`
    #: (``analysts``, ``pool``, ``extremize``, ``weights``, ``records``); ``None``: none
    analysts: dict[str, Any] | None = None
    #: the previous forecast's file, unread (``gather(raw=True)``; ``previous`` is then None
    #: until :func:`unpack` reads it: the file is ``contents.latest(before=as_of)``)
    previous_file: bytes | None = None


class ReadOnClient(Exception):
    """A worker could not read the previous forecast's file: the client reads the archive.

    Under the lock, as the serial update does (the file goes into quarantine and the one
    before it is tried), and computes the update there.
    """


@dataclass
class Computed:
    """Everything an update writes and shows; ``figures``: name to PNG bytes."""

    forecast: Forecast  # flagged with ``reasons`` (what the archive keeps)
    previous: Forecast | None
    attribution: Attribution | None
    surprise: xr.Dataset
    sensitivity: xr.DataTree
    planned: WriteResult
    summary: dict[str, Any]
    blocks: list[Block]
    figures: dict[str, bytes]
    encoded: bytes | None = None  # the archive file, when it is to be written
    reasons: list[str] = field(default_factory=list)
    skipped: list[Unreadable] = field(default_factory=list)


def gather(
    store: Archive, question: Question, evidence: Evidence, as_of: dt.date, **kw: Any
) -> Shipment:
    """Read what the archive holds for an update (hold the lock; read-only with ``dry_run``).

    ``kw``: ``options``, ``report``, ``dry_run`` (then nothing is moved into quarantine),
    ``analysts`` (:attr:`Shipment.analysts`) and ``raw``: the previous forecast's file unread,
    for another process to read (:func:`unpack`; the history is read here all the same, as
    checking the archive reads it).
    """
    keep = not kw.get("dry_run", False)
    contents = store.check(question.id, quarantine=keep)
    previous, data = None, None
    if not kw.get("raw", False):
        previous = store.previous(contents, as_of, quarantine=keep)
    elif (entry := contents.latest(before=as_of)) is not None:
        try:
            data = entry.path.read_bytes()
        except OSError:  # gone or unreadable: read here, as the serial update does
            previous = store.previous(contents, as_of, quarantine=keep)
    skipped = "".join(f"; skipped {u.describe()}" for u in contents.unreadable)
    return Shipment(
        question,
        evidence,
        as_of,
        kw["options"],
        kw["report"],
        previous,
        contents,
        store.day(question.id, as_of),
        skipped,
        store.fingerprint(question.id),
        keep,
        kw.get("analysts"),
        data,
    )


def unpack(ship: Shipment) -> Shipment:
    """The shipment with its previous forecast read from the file's bytes it carries.

    Read as :meth:`.Archive.previous` reads it (whole, checked); a file that cannot be read
    raises :class:`ReadOnClient`. A shipment without the bytes is returned as it is.
    """
    if ship.previous_file is None:
        return ship
    entry = ship.contents.latest(before=ship.as_of) if ship.contents is not None else None
    if entry is None:
        raise ReadOnClient("the shipment holds a previous forecast's file but not its entry")
    with tempfile.TemporaryDirectory(prefix="forecast-previous-") as tmp:
        path = Path(tmp) / entry.path.name
        path.write_bytes(ship.previous_file)
        try:
            previous = Forecast.load(path)
        except ForecastingError as exc:
            raise ReadOnClient(f"{entry.path}: {exc}") from exc
    return replace(ship, previous=previous, previous_file=None)


def forecast_step(ship: Shipment, *, progress: bool | None = False) -> tuple[Forecast, Any]:
    """The forecast and its sensitivity analyses (what does not depend on the archive)."""
    current = forecast(
        ship.question, ship.evidence, as_of=ship.as_of, progress=progress, **ship.options
    )
    return current, sensitivity(current)


def analysts_step(ship: Shipment) -> tuple[AnalystForecasts, xr.Dataset]:
    """Each analyst's forecast, their pool and the disagreement map (exact engine)."""
    spec = dict(ship.analysts or {})
    result = forecast_analysts(ship.question, ship.evidence, as_of=ship.as_of, **spec)
    spec.pop("records", None)
    dmap = disagreement_map(
        ship.question, ship.evidence, as_of=ship.as_of, forecasts=result, **spec
    )
    return result, dmap


def compute(ship: Shipment) -> Computed:
    """The update's results from a shipment (:func:`unpack`, then :func:`analyse`)."""
    ship = unpack(ship)
    return analyse(ship, *forecast_step(ship))


def compute_summary(ship: Shipment) -> Computed:
    """:func:`compute`, without what only a whole result shows (the same files are written).

    Without the previous forecast, the attribution, the surprise check and the sensitivity.
    What a worker returns when the client keeps each question's summary only
    (``update_many(keep="summary")``): about half the bytes shipped back, unpickled by the
    client, which shares the machine with the workers.
    """
    done = compute(ship)
    return replace(done, previous=None, attribution=None, surprise=None, sensitivity=None)


def analyse(ship: Shipment, current: Forecast, tree: xr.DataTree) -> Computed:
    """Compare with the previous forecast, flag, plan the write, build the report's blocks."""
    from ..presentation.plots import draw_figures, plot_disagreement, results_of, save_figure

    previous = ship.previous
    attribution = attribute(previous, current) if previous is not None else None
    week = new_items(previous, current)  # the models before each new item, built once
    sur = surprise(previous, current, week=week)
    pre = prequential(previous, current, week=week)
    flags = evidence_flags(current, sur)
    archived = current.flag(flags)  # the archive (and history) keep the flags
    planned = ship.day.plan(archived)
    also = None if planned.status == "unchanged" else (planned.entry, archived)
    history = ship.contents.history(also)
    skipped = list(ship.contents.unreadable)
    # (files archived before the confidence modelled dynamics carry a note that it was left
    # out: not a sampler's failure, so no flag)
    reasons = [f"MCMC diagnostics: {w}" for w in sampler_warnings(current.warnings)] + flags
    summary = _summary(current, previous, attribution, sur, tree, planned, reasons)
    summary["archive"]["skipped"] = [u.to_dict() for u in skipped]
    summary["prequential"] = {
        "total": pre.attrs["total"],
        "items": records(pre),
        "origins": by_origin(pre),
    }
    panel = None if ship.analysts is None else analysts_step(ship)
    if panel is not None:
        summary["analysts"] = panel[0].to_dict()
        summary["disagreement"] = disagreement_dict(panel[1])
    images: dict[str, bytes] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="forecast-figures-") as tmp:
            drawn = draw_figures(
                results_of(current, tree, history), Path(tmp) / FIGURE_FOLDER, only=rpt.FIGURES
            )
            if panel is not None:
                drawn[DISAGREEMENT] = save_figure(
                    plot_disagreement(panel[1])[0],
                    Path(tmp) / FIGURE_FOLDER / f"{DISAGREEMENT}.png",
                )
            images = {name: path.read_bytes() for name, path in drawn.items()}
    except OSError as exc:  # e.g. a full disk: name the report's folder, as its figures go there
        raise naming(exc, ship.report) from exc
    blocks = rpt.build(
        current,
        previous=previous,
        attribution=attribution,
        surprise=sur,
        sensitivity=tree,
        figures={name: Path(FIGURE_FOLDER) / f"{name}.png" for name in images},
        archive_message=planned.message + ship.skipped_text,
        prequential=pre,
        archived_as=f"{ship.question.id}/{planned.entry.path.name}",
        analysts=()
        if panel is None
        else analyst_blocks(*panel, Path(FIGURE_FOLDER) / f"{DISAGREEMENT}.png"),
    )
    # the file's bytes made here: encoding and compressing is most of a write's cost
    write = ship.encode and planned.status != "unchanged"
    encoded = encode(archived, planned.entry.path) if write else None
    return Computed(
        archived,
        previous,
        attribution,
        sur,
        tree,
        planned,
        summary,
        blocks,
        images,
        encoded,
        reasons,
        skipped,
    )


def publish(done: Computed, store: Archive, directory: Path) -> tuple[WriteResult, dict, str]:
    """Stage the report, archive the forecast, put the report in place (hold the lock).

    Returns what the archive did, the report's paths and what writing the report did. A
    failure, such as a full disk, leaves the archive and the reports as they were.
    """
    summary = done.summary
    staging = None
    try:
        with staged_folder(directory) as staging:
            folder = staging / FIGURE_FOLDER
            folder.mkdir()
            for name, data in done.figures.items():
                (folder / f"{name}.png").write_bytes(data)
            blocks = [
                replace(b, path=str(staging / b.path)) if isinstance(b, Figure) else b
                for b in done.blocks
            ]
            # a published report is kept: same content, nothing written; else a revision
            report_plan = rpt.plan(directory, blocks, staging)
            summary["report_status"] = report_plan.to_dict()
            if report_plan.status == "unchanged":
                written = store.write(done.forecast, encoded=done.encoded)
                raise rpt.Unchanged  # the staging folder goes; the published one stays
            rpt.keep_earlier(report_plan, staging)
            blocks = rpt.announce(blocks, report_plan)
            paths = rpt.write(staging, blocks, summary, done.forecast.title, final=directory)
            written = store.write(done.forecast, encoded=done.encoded)
    except rpt.Unchanged:
        paths = rpt.paths(directory)
    except OSError as exc:  # e.g. a full disk: name the report's file, not its staging
        named = _report_error(exc, staging, directory)
        if named is None:
            raise
        raise named from exc
    summary["report"] = {k: str(v) for k, v in paths.items()}
    return written, paths, report_plan.message


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
            f"'{current.labels[CATCH_ALL]}' is at {pct(p)} (flagged from "
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
            f"the {sur.attrs['n_joint']} new items together improbable under every scenario "
            f"(joint tail below {sur.attrs['threshold']:g}): "
            + ", ".join(str(i) for i in sur.attrs["joint_items"])
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
        # the work budget's choice (analyses.new_items): the items tested jointly, and those
        # whose tail alone was not computed (their numbers null below)
        "joint_items": list(sur.attrs["joint_items"]),
        "untested": list(sur.attrs["untested"]),
        "items": [
            {
                "id": str(i),
                "tail_forecast": plain(t),  # null where not computed (the work budget)
                "tail_by_scenario": dict(zip(current.scenarios, map(plain, row), strict=True)),
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
