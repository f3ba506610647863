"""The forecast archive: one NetCDF file per question and as-of date, never lost or overwritten.

Layout: ``<root>/<question id>/<as-of>.nc``; a second, different forecast for the same date is
kept beside the first as ``<as-of>.r2.nc``, ``.r3.nc``... (a revision), never written over it.

* Writes are atomic: the file is written under a temporary name in the same directory, flushed
  to disk, then renamed; a crash or kill mid-write leaves the archive as it was. A failed write
  (a full disk) is raised as an :class:`OSError` naming the file.
* Concurrent writers on one question are serialised by an exclusive lock on
  ``<root>/<question id>/.lock`` (re-entrant within a thread: an update holds it throughout).
* Writing a forecast whose inputs are identical to an archived one for the same date (question
  and evidence hashes, engine, seed and settings) is a no-op that says so.
* A file that cannot be used (damaged, empty, its content not matching its checksum: every
  read checks it, :mod:`forecasting.results.files`; named for a date that does not exist, a
  forecast of another question or of another date) is skipped and named
  (:meth:`Archive.check`); an update moves it into ``<root>/<question id>/quarantine/`` with
  a note of why. Nothing is ever deleted. A file written by a newer version of the package is
  skipped but left in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from ..core.atomic import fsync_dir, naming, write_text_atomic
from ..core.dims import AS_OF, CI_BOUND, SCENARIO
from ..core.errors import ForecastingError
from ..core.paths import display_path
from ..presentation.dynamics import resolves, sampler_warnings
from ..results.files import NewerFormatError
from ..results.forecast import Forecast

#: What an archive file's name looks like (the date is checked apart: 2025-02-30 is not one).
_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.r(\d+))?\.nc$")
#: The groups a history reads (and the check of a file reads).
_HISTORY_GROUPS = ("forecast", "confidence")
#: Where an update moves the files it cannot use.
QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Entry:
    """One archived forecast file."""

    path: Path
    as_of: dt.date
    revision: int  # 1 for the first forecast of a date

    def load(self, *, groups: tuple[str, ...] | None = None) -> Forecast:
        """Read the forecast (only ``groups`` of its tree, when given)."""
        return Forecast.load(self.path, groups=groups)


@dataclass(frozen=True)
class Unreadable:
    """A file of the archive that was skipped, and why; ``moved_to`` once quarantined."""

    path: Path
    reason: str
    moved_to: Path | None = None
    newer: bool = False  # a file of a newer version of the package: never moved

    def describe(self) -> str:
        """One line: the file, why, and where it went."""
        where = f"; moved to {display_path(self.moved_to)}" if self.moved_to else ""
        if self.newer:
            where = "; left in place"
        return f"{display_path(self.path)}: {self.reason}{where}"

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready: ``path``, ``reason``, ``moved_to``."""
        moved = str(self.moved_to) if self.moved_to else None
        return {"path": str(self.path), "reason": self.reason, "moved_to": moved}


@dataclass(frozen=True)
class WriteResult:
    """What :meth:`Archive.write` did: ``written``, ``unchanged`` or ``revision``."""

    status: str
    entry: Entry
    message: str


@dataclass(frozen=True)
class Day:
    """The archived forecasts of one question and date, read (:meth:`Archive.day`).

    ``existing``: each file's entry, its provenance (None if unreadable) and its path as shown;
    ``next``: the entry a different forecast would be written to. Plain data: a write can be
    planned from it in another process (:meth:`plan`), without the files.
    """

    existing: tuple[tuple[Entry, dict | None, str], ...]
    next: Entry
    next_shown: str

    def plan(self, forecast: Forecast) -> WriteResult:
        """What writing ``forecast`` would do: ``unchanged``, ``written`` or ``revision``."""
        for entry, old, shown in self.existing:
            if old is not None and same_inputs(old, forecast.provenance):
                return WriteResult(
                    "unchanged",
                    entry,
                    f"{shown} already holds this forecast (identical inputs); nothing written",
                )
        if self.next.revision == 1:
            return WriteResult("written", self.next, f"wrote {self.next_shown}")
        return WriteResult(
            "revision",
            self.next,
            f"{self.existing[-1][2]} holds a forecast for {forecast.as_of} from different "
            f"inputs; kept it and wrote revision {self.next.revision} to {self.next_shown}",
        )


@dataclass
class Contents:
    """One question's archive as :meth:`Archive.check` found it."""

    question_id: str
    entries: list[Entry]  # the usable forecasts, by as-of date then revision
    unreadable: list[Unreadable]
    forecasts: dict[Path, Forecast] = field(repr=False)  # their history groups

    def latest(self, *, before: dt.date | None = None) -> Entry | None:
        """The newest usable forecast (latest revision), optionally strictly before a date."""
        items = [e for e in self.entries if before is None or e.as_of < before]
        return items[-1] if items else None

    def history(self, also: tuple[Entry, Forecast] | None = None) -> xr.Dataset:
        """The history: :func:`history_dataset` of the latest revision of each date.

        ``also`` adds a forecast about to be archived (in its date's place). The skipped files
        are in the attributes ``unreadable`` (paths) and ``unreadable_reason``.
        """
        latest = {e.as_of: (e, self.forecasts[e.path]) for e in self.entries}
        if also is not None:
            latest[also[0].as_of] = also
        rows = [latest[d] for d in sorted(latest)]
        ds = history_dataset([f for _, f in rows], [e for e, _ in rows])
        ds.attrs["unreadable"] = [str(u.path) for u in self.unreadable]
        ds.attrs["unreadable_reason"] = [u.reason for u in self.unreadable]
        return ds


def same_inputs(a: dict, b: dict) -> bool:
    """Whether two provenance records describe the same computation."""
    keys = ("question_sha256", "evidence_sha256", "as_of", "engine", "seed", "settings")
    return all(a.get(k) == b.get(k) for k in keys)


class Archive:
    """The archive under ``root`` (default ``forecasts/``)."""

    def __init__(self, root: str | Path = "forecasts"):
        self.root = Path(root)
        self._held = threading.local()

    def folder(self, question_id: str) -> Path:
        """Directory of one question's forecasts."""
        return self.root / question_id

    @contextlib.contextmanager
    def lock(self, question_id: str) -> Iterator[None]:
        """Exclusive lock on one question's archive (blocks until free; re-entrant)."""
        held = self._held.__dict__.setdefault("counts", {})
        if held.get(question_id):
            held[question_id] += 1
            try:
                yield
            finally:
                held[question_id] -= 1
            return
        folder = self.folder(question_id)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            held[question_id] = 1
            try:
                yield
            finally:
                held[question_id] = 0
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def entries(self, question_id: str) -> list[Entry]:
        """Archived forecasts of a question by name (unread), by as-of date then revision.

        A name whose date does not exist (``2025-02-30.nc``) is left out; :meth:`check` names it.
        """
        return sorted(self._scan(question_id)[0], key=lambda e: (e.as_of, e.revision))

    def _scan(self, question_id: str) -> tuple[list[Entry], list[Unreadable]]:
        folder = self.folder(question_id)
        if not folder.is_dir():
            return [], []
        found, bad = [], []
        for p in sorted(folder.iterdir()):
            m = _NAME.fullmatch(p.name)
            if m is None or not p.is_file():
                continue
            try:
                day = dt.date.fromisoformat(m.group(1))
            except ValueError:
                bad.append(Unreadable(p, f"named for {m.group(1)}, which is not a date"))
                continue
            found.append(Entry(p, day, int(m.group(2) or 1)))
        return found, bad

    def check(self, question_id: str, *, quarantine: bool = False) -> Contents:
        """Read every archived forecast of a question (its history groups) and check it.

        A file that cannot be read, is named for a date that does not exist, or holds a
        forecast of another question or another date is skipped and listed as unreadable; with
        ``quarantine`` (under the lock, which this takes) it is moved into ``quarantine/`` with
        a note ``<name>.txt`` of why. A file of a newer format is skipped and left in place.
        """
        with self.lock(question_id) if quarantine else contextlib.nullcontext():
            found, bad = self._scan(question_id)
            entries, forecasts = [], {}
            for entry in found:
                f, problem = _read(entry, question_id)
                if f is not None:
                    entries.append(entry)
                    forecasts[entry.path] = f
                else:
                    bad.append(problem)
            if quarantine:
                bad = [self._quarantine(question_id, u) for u in bad]
            entries.sort(key=lambda e: (e.as_of, e.revision))
            return Contents(question_id, entries, bad, forecasts)

    def previous(
        self, contents: Contents, before: dt.date, *, quarantine: bool = True
    ) -> Forecast | None:
        """The newest usable forecast before a date, read whole (under the lock).

        One whose other groups turn out damaged is quarantined (without ``quarantine``: only
        listed) and taken out of ``contents``, and the one before it tried.
        """
        qid = contents.question_id
        with self.lock(qid) if quarantine else contextlib.nullcontext():
            while (entry := contents.latest(before=before)) is not None:
                try:
                    return entry.load()
                except ForecastingError as exc:
                    contents.entries.remove(entry)
                    del contents.forecasts[entry.path]
                    item = Unreadable(entry.path, _reason(exc, entry.path))
                    contents.unreadable.append(self._quarantine(qid, item) if quarantine else item)
            return None

    def _quarantine(self, question_id: str, item: Unreadable) -> Unreadable:
        """Move a file into ``quarantine/`` beside a note of why (never over another file)."""
        if item.moved_to is not None or item.newer or not item.path.exists():
            return item
        folder = self.folder(question_id) / QUARANTINE
        folder.mkdir(exist_ok=True)
        stem, n = item.path.name.removesuffix(".nc"), 1
        target = folder / item.path.name
        while target.exists() or target.with_name(target.name + ".txt").exists():
            n += 1
            target = folder / f"{stem}~{n}.nc"
        when = dt.datetime.now().isoformat(timespec="seconds")
        write_text_atomic(
            target.with_name(target.name + ".txt"),
            f"{item.path.name} was moved here from {item.path.parent} on {when} by "
            f"'forecast update', which skipped it:\n{item.reason}\n"
            "The archive does not read this folder; a repaired file may be moved back.\n",
        )
        os.rename(item.path, target)
        fsync_dir(item.path.parent)
        return Unreadable(item.path, item.reason, target)

    def latest(self, question_id: str, *, before: dt.date | None = None) -> Entry | None:
        """The newest forecast (latest revision) by name, optionally strictly before a date."""
        items = [e for e in self.entries(question_id) if before is None or e.as_of < before]
        return items[-1] if items else None

    def for_date(self, question_id: str, as_of: dt.date) -> list[Entry]:
        """All revisions archived for one as-of date."""
        return [e for e in self.entries(question_id) if e.as_of == as_of]

    def plan(self, forecast: Forecast) -> WriteResult:
        """What :meth:`write` would do now (nothing is written; hold the lock for it to hold)."""
        return self.day(forecast.question_id, forecast.as_of).plan(forecast)

    def day(self, question_id: str, as_of: dt.date) -> Day:
        """What the archive holds for one question and date, enough to plan a write elsewhere."""
        existing = []
        for entry in self.for_date(question_id, as_of):
            try:
                old = entry.load(groups=("forecast",)).provenance
            except (ForecastingError, ValueError):
                old = None
            existing.append((entry, old, display_path(str(entry.path))))
        revision = max((e.revision for e, _, _ in existing), default=0) + 1
        name = as_of.isoformat() + (f".r{revision}" if revision > 1 else "") + ".nc"
        path = self.folder(question_id) / name
        return Day(tuple(existing), Entry(path, as_of, revision), display_path(str(path)))

    def fingerprint(self, question_id: str) -> tuple[tuple[str, int, int], ...]:
        """The archive files of a question by name, size and modification time.

        Equal fingerprints (taken under the lock) mean the archive did not change between.
        """
        folder = self.folder(question_id)
        if not folder.is_dir():
            return ()
        out = []
        for p in sorted(folder.iterdir()):
            if _NAME.fullmatch(p.name) and p.is_file():
                st = p.stat()
                out.append((p.name, st.st_size, st.st_mtime_ns))
        return tuple(out)

    def write(self, forecast: Forecast, *, encoded: bytes | None = None) -> WriteResult:
        """Archive a forecast (atomic, locked; never overwrites; a no-op when unchanged).

        ``encoded``: the file's bytes, :func:`encode` of the forecast (made elsewhere).
        """
        qid = forecast.question_id
        with self.lock(qid):
            # temporary files can only be left by a writer that died (writers hold the lock)
            for stale in self.folder(qid).glob(".*.tmp"):
                stale.unlink(missing_ok=True)
            result = self.plan(forecast)
            if result.status == "unchanged":
                return result
            path = result.entry.path
            try:
                if encoded is None:
                    forecast.save(path)
                else:
                    _write_bytes(path, encoded)
            except OSError as exc:
                raise naming(exc, path) from exc
            except RuntimeError as exc:  # netCDF's "NetCDF: HDF error", whatever the cause
                raise _failed_write(exc, path, forecast) from exc
            fsync_dir(path.parent)
            return result

    def history(self, question_id: str) -> xr.Dataset:
        """The archived forecasts over time (latest usable revision per date).

        Dims ``(as_of, scenario)`` for ``probability``, ``prior`` and ``mcse``;
        ``(as_of, scenario, ci_bound)`` for ``responsiveness`` (NaN for forecasts made before
        it existed); with dynamics ``probability_now`` (:func:`history_dataset`); per date
        ``confidence`` (the level, ``""`` where none), ``n_origins``, ``engine``, ``revision``,
        ``n_items`` and ``path``. Files that could not be used are
        skipped (never moved: this only reads), listed in the attributes ``unreadable`` and
        ``unreadable_reason``.
        """
        return self.check(question_id).history()


def _reason(exc: Exception, path: Path) -> str:
    """An error's message without the file name it starts with."""
    text = str(exc)
    return text.removeprefix(f"{path}: ")


def _read(entry: Entry, question_id: str) -> tuple[Forecast | None, Unreadable | None]:
    """The forecast's history groups, or why the file cannot be used."""
    path = entry.path
    try:
        f = entry.load(groups=_HISTORY_GROUPS)
        qid, as_of = f.question_id, f.as_of
        history_dataset([f])  # everything a history reads of it
    except NewerFormatError as exc:
        return None, Unreadable(path, _reason(exc, path), newer=True)
    except (ForecastingError, ValueError, KeyError, TypeError, IndexError) as exc:
        return None, Unreadable(path, _reason(exc, path))
    if qid != question_id:
        why = f"a forecast of another question ({qid!r}), not of {question_id!r}"
        return None, Unreadable(path, why)
    if as_of != entry.as_of:
        why = f"a forecast as of {as_of}, not {entry.as_of} as its name says"
        return None, Unreadable(path, why)
    return f, None


def encode(forecast: Forecast, path: Path) -> bytes:
    """The bytes :meth:`Archive.write` writes for ``forecast`` (errors name ``path``).

    Written into a temporary folder and read back, so that another process (a worker) can do
    the encoding and compression, most of the cost of a write.
    """
    with tempfile.TemporaryDirectory(prefix="forecast-") as tmp:
        try:
            return forecast.save(Path(tmp) / path.name).read_bytes()
        except OSError as exc:
            raise naming(exc, path) from exc
        except RuntimeError as exc:
            raise _failed_write(exc, path, forecast) from exc


def _write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically: temporary file in its folder, flushed to disk, renamed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _failed_write(exc: RuntimeError, path: Path, forecast: Forecast) -> OSError:
    """NetCDF says only "HDF error": a full disk when the forecast no longer fits there."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        free = None
    if free is not None and free < forecast.tree.nbytes:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return OSError(errno.EIO, f"netCDF could not write the file ({exc})", str(path))


def _flags(f: Forecast) -> list[str]:
    """What flags a forecast: its sampler's warnings and the update's reasons.

    Not the note, in files archived before the confidence modelled dynamics, that it was left
    out: that is no reason to flag.
    """
    return sampler_warnings(f.warnings) + f.flags


def history_dataset(forecasts: list[Forecast], entries: list[Entry] | None = None) -> xr.Dataset:
    """Stack forecasts of one question (in as-of order) into a Dataset with an ``as_of`` dim.

    With dynamics also ``probability_now`` (as_of, scenario; NaN for a forecast without) and
    the attribute ``resolves`` (the latest such forecast's resolution date).
    """
    if not forecasts:
        return xr.Dataset(coords={AS_OF: np.array([], dtype="datetime64[ns]")})
    forecasts = sorted(forecasts, key=lambda f: f.as_of)
    scenarios = forecasts[-1].scenarios
    labels = forecasts[-1].labels

    def places(ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``scenarios`` of the ids there, and their positions in ``ids``."""
        where = {s: k for k, s in enumerate(ids)}
        have = [k for k, s in enumerate(scenarios) if s in where]
        return np.array(have, dtype=int), np.array([where[scenarios[k]] for k in have], dtype=int)

    def aligned(f: Forecast, name: str) -> np.ndarray:
        da = f.tree["forecast"][name].transpose(SCENARIO, ...)
        out = np.full((len(scenarios), *da.shape[1:]), np.nan)
        to, of = places([str(s) for s in da[SCENARIO].values])
        out[to] = da.values[of]
        return out

    def responsive(f: Forecast) -> np.ndarray:
        conf = f.confidence
        out = np.full((len(scenarios), 2), np.nan)
        if conf is not None:
            da = conf.ds["responsiveness"].transpose(SCENARIO, CI_BOUND)
            to, of = places([str(s) for s in da[SCENARIO].values])
            out[to] = da.values[of]
        return out

    dates = np.array([np.datetime64(f.as_of, "ns") for f in forecasts])
    ds = xr.Dataset(
        {
            "probability": (
                (AS_OF, SCENARIO),
                np.stack([aligned(f, "probability") for f in forecasts]),
            ),
            "prior": ((AS_OF, SCENARIO), np.stack([aligned(f, "prior") for f in forecasts])),
            "mcse": ((AS_OF, SCENARIO), np.stack([aligned(f, "mcse") for f in forecasts])),
            "responsiveness": (
                (AS_OF, SCENARIO, CI_BOUND),
                np.stack([responsive(f) for f in forecasts]),
            ),
            "confidence": (
                (AS_OF,),
                [f.confidence.level if f.confidence else "" for f in forecasts],
            ),
            "n_origins": ((AS_OF,), [len(f.origins) for f in forecasts]),
            "engine": ((AS_OF,), [f.engine for f in forecasts]),
            "n_items": ((AS_OF,), [len(f.evidence_items) for f in forecasts]),
            "flagged": ((AS_OF,), [bool(_flags(f)) for f in forecasts]),
            "flags": ((AS_OF,), ["; ".join(_flags(f)) for f in forecasts]),
        },
        coords={
            AS_OF: dates,
            SCENARIO: scenarios,
            CI_BOUND: ["lower", "upper"],
            "label": (SCENARIO, [labels[s] for s in scenarios]),
        },
        attrs={"question": forecasts[-1].question_id, "title": forecasts[-1].title},
    )
    if any(f.now is not None for f in forecasts):  # dynamics: P(S_now = k | E) as well
        ds["probability_now"] = (
            (AS_OF, SCENARIO),
            np.stack(
                [
                    aligned(f, "probability_now")
                    if f.now is not None
                    else np.full(len(scenarios), np.nan)
                    for f in forecasts
                ]
            ),
        )
        last = next(f for f in reversed(forecasts) if f.now is not None)
        ds.attrs["resolves"] = str(resolves(last))
    if entries is not None:
        ds["revision"] = ((AS_OF,), [e.revision for e in entries])
        ds["path"] = ((AS_OF,), [str(e.path) for e in entries])
    return ds
