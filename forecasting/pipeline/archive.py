"""The forecast archive: one NetCDF file per question and as-of date, never lost or overwritten.

Layout: ``<root>/<question id>/<as-of>.nc``; a second, different forecast for the same date is
kept beside the first as ``<as-of>.r2.nc``, ``.r3.nc``... (a revision), never written over it.

* Writes are atomic: the file is written under a temporary name in the same directory, flushed
  to disk, then renamed; a crash or kill mid-write leaves the archive as it was.
* Concurrent writers on one question are serialised by an exclusive lock on
  ``<root>/<question id>/.lock``.
* Writing a forecast whose inputs are identical to an archived one for the same date (question
  and evidence hashes, engine, seed and settings) is a no-op that says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ..core.atomic import fsync_dir
from ..core.dims import AS_OF, CI_BOUND, SCENARIO
from ..core.errors import ForecastingError
from ..core.paths import display_path
from ..results.forecast import Forecast

_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.r(\d+))?\.nc$")


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
class WriteResult:
    """What :meth:`Archive.write` did: ``written``, ``unchanged`` or ``revision``."""

    status: str
    entry: Entry
    message: str


def same_inputs(a: dict, b: dict) -> bool:
    """Whether two provenance records describe the same computation."""
    keys = ("question_sha256", "evidence_sha256", "as_of", "engine", "seed", "settings")
    return all(a.get(k) == b.get(k) for k in keys)


class Archive:
    """The archive under ``root`` (default ``forecasts/``)."""

    def __init__(self, root: str | Path = "forecasts"):
        self.root = Path(root)

    def folder(self, question_id: str) -> Path:
        """Directory of one question's forecasts."""
        return self.root / question_id

    @contextlib.contextmanager
    def lock(self, question_id: str) -> Iterator[None]:
        """Exclusive lock on one question's archive (blocks until free)."""
        folder = self.folder(question_id)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def entries(self, question_id: str) -> list[Entry]:
        """Archived forecasts of a question, by as-of date then revision."""
        folder = self.folder(question_id)
        if not folder.is_dir():
            return []
        out = []
        for p in folder.iterdir():
            m = _NAME.fullmatch(p.name)
            if m and p.is_file():
                out.append(Entry(p, dt.date.fromisoformat(m.group(1)), int(m.group(2) or 1)))
        return sorted(out, key=lambda e: (e.as_of, e.revision))

    def latest(self, question_id: str, *, before: dt.date | None = None) -> Entry | None:
        """The newest forecast (latest revision), optionally strictly before a date."""
        items = [e for e in self.entries(question_id) if before is None or e.as_of < before]
        return items[-1] if items else None

    def for_date(self, question_id: str, as_of: dt.date) -> list[Entry]:
        """All revisions archived for one as-of date."""
        return [e for e in self.entries(question_id) if e.as_of == as_of]

    def write(self, forecast: Forecast) -> WriteResult:
        """Archive a forecast (atomic, locked; never overwrites; a no-op when unchanged)."""
        qid = forecast.question_id
        with self.lock(qid):
            # temporary files can only be left by a writer that died (writers hold the lock)
            for stale in self.folder(qid).glob(".*.tmp"):
                stale.unlink(missing_ok=True)
            existing = self.for_date(qid, forecast.as_of)
            for entry in existing:
                try:
                    old = entry.load(groups=("forecast",)).provenance
                except ForecastingError:
                    continue
                if same_inputs(old, forecast.provenance):
                    return WriteResult(
                        "unchanged",
                        entry,
                        f"{display_path(str(entry.path))} already holds this "
                        "forecast (identical inputs); nothing written",
                    )
            revision = max((e.revision for e in existing), default=0) + 1
            name = forecast.as_of.isoformat() + (f".r{revision}" if revision > 1 else "") + ".nc"
            path = self.folder(qid) / name
            forecast.save(path)
            fsync_dir(path.parent)
            entry = Entry(path, forecast.as_of, revision)
            if revision == 1:
                return WriteResult("written", entry, f"wrote {display_path(str(path))}")
            return WriteResult(
                "revision",
                entry,
                f"{display_path(str(existing[-1].path))} holds a forecast for "
                f"{forecast.as_of} from different inputs; kept it and wrote "
                f"revision {revision} to {display_path(str(path))}",
            )

    def history(self, question_id: str) -> xr.Dataset:
        """The archived forecasts over time (latest revision per date).

        Dims ``(as_of, scenario)`` for ``probability``, ``prior`` and ``mcse``;
        ``(as_of, scenario, ci_bound)`` for ``responsiveness`` (NaN for forecasts made before
        it existed); per date ``confidence`` (the level, ``""`` where none), ``n_origins``,
        ``engine``, ``revision``, ``n_items`` and ``path``.
        """
        latest: dict[dt.date, Entry] = {}
        for e in self.entries(question_id):
            latest[e.as_of] = e
        forecasts = [e.load(groups=("forecast", "confidence")) for e in latest.values()]
        return history_dataset(forecasts, [latest[d] for d in latest])


def history_dataset(forecasts: list[Forecast], entries: list[Entry] | None = None) -> xr.Dataset:
    """Stack forecasts of one question (in as-of order) into a Dataset with an ``as_of`` dim."""
    if not forecasts:
        return xr.Dataset(coords={AS_OF: np.array([], dtype="datetime64[ns]")})
    forecasts = sorted(forecasts, key=lambda f: f.as_of)
    scenarios = forecasts[-1].scenarios
    labels = forecasts[-1].labels

    def aligned(f: Forecast, name: str) -> np.ndarray:
        da = f.tree["forecast"][name]
        out = np.full((len(scenarios), *da.shape[1:]), np.nan)
        for k, s in enumerate(scenarios):
            if s in f.scenarios:
                out[k] = da.sel({SCENARIO: s}).values
        return out

    def responsive(f: Forecast) -> np.ndarray:
        conf = f.confidence
        out = np.full((len(scenarios), 2), np.nan)
        if conf is not None:
            for k, s in enumerate(scenarios):
                if s in f.scenarios:
                    out[k] = conf.range("responsiveness", s)
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
            "flagged": ((AS_OF,), [bool(f.warnings or f.flags) for f in forecasts]),
            "flags": ((AS_OF,), ["; ".join(f.warnings + f.flags) for f in forecasts]),
        },
        coords={
            AS_OF: dates,
            SCENARIO: scenarios,
            CI_BOUND: ["lower", "upper"],
            "label": (SCENARIO, [labels[s] for s in scenarios]),
        },
        attrs={"question": forecasts[-1].question_id, "title": forecasts[-1].title},
    )
    if entries is not None:
        ds["revision"] = ((AS_OF,), [e.revision for e in entries])
        ds["path"] = ((AS_OF,), [str(e.path) for e in entries])
    return ds
