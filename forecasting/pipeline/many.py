"""Many questions at once: the weekly update and the backfill, in parallel on Dask.

The client (this process) reads every question, ledger and the archive's earlier forecasts and
ships them as data (:class:`.steps.Shipment`; the previous forecast as its file's bytes, read
by the worker: :func:`.steps.unpack`); the workers compute (:func:`.steps.compute`,
or one forecast per backfill date) and return plain data; the client alone writes the archive
and the reports, under each question's lock, as the serial update does. No shared file system
is needed, and the files written are the serial update's, byte for byte. Should a question's
archive change while its update was computed elsewhere (another writer), the update is
computed again on the client under the lock.

By default the work runs on an embedded ``dask.distributed.LocalCluster`` of processes, one
thread each (the numerical libraries are not thread-safe, PyTensor's compiler among them:
pymc issue 7819); ``scheduler`` (or Dask's own ``DASK_SCHEDULER_ADDRESS``) connects to a
running cluster instead. Each worker compiles into its own PyTensor folder
(:class:`CompileFolder`), so a model structure is compiled once per worker and kept there.

A worker that dies mid-task has its tasks run again elsewhere (Dask's scheduler does that); a
question's result is written once, when it arrives, so nothing is lost or written twice. One
question's bad input or failure is that question's row; the others go on.

What it buys (``benchmarks/many_questions.py``, small questions, this 2-core machine, quiet,
2026-12-02): 1.64x the serial update's speed on two workers with 200 questions (the best
possible is 2x; 1.50x before the workers went without Dask's ``MALLOC_TRIM_THRESHOLD_``), 1.73x
with 60 once the workers sent back only what the summary needs, and 1.87x with 200 so
(531.6 s serial, 284.6 s on the cluster, evening of 2026-12-02); the same bytes written; 4.5-11
ms of scheduling per task. See the README's "Many questions" for the figures and
a projection to 1,000 questions. Beyond a few tens of workers the client's time a question is
the limit: 0.12-0.21 s (about 0.1 s of it on the CPU).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from ..core.errors import ForecastingError, InputError, Problem
from ..core.schema import as_date
from ..inputs.question import load_question
from .archive import Archive
from .steps import ReadOnClient, Shipment, compute, compute_summary, gather
from .weekly import UpdateResult, backfill_dates, finish, prepare

#: Exit codes of one question, least severe first: ok, flagged, bad input, failed. The run's
#: exit code is its most severe question's (a failure outranks bad input, which outranks a
#: flag: a flagged question was at least forecast).
SEVERITY = (0, 3, 2, 1)
STATUS = {0: "ok", 3: "flagged", 2: "bad input", 1: "failed"}


@dataclass
class Row:
    """One question's outcome: its exit code, one line to show, and what it produced."""

    question: str  # the file as given
    id: str | None
    code: int
    message: str
    details: list[str] = field(default_factory=list)
    #: an UpdateResult (its summary only with keep="summary"), a backfill's [(date, WriteResult)]
    result: Any = None

    @property
    def status(self) -> str:
        """``ok``, ``flagged``, ``bad input`` or ``failed``."""
        return STATUS[self.code]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: question, id, status, exit_code, message, details."""
        return {
            "question": self.question,
            "id": self.id,
            "status": self.status,
            "exit_code": self.code,
            "message": self.message,
            "details": self.details,
        }


def exit_code(rows: Sequence[Row]) -> int:
    """The most severe question's exit code (:data:`SEVERITY`); 0 when there are none."""
    return max((r.code for r in rows), key=SEVERITY.index, default=0)


def ordered(rows: Sequence[Row]) -> list[Row]:
    """Rows for the closing table: failed first, then bad input, flagged, ok (else as given)."""
    return sorted(rows, key=lambda r: -SEVERITY.index(r.code))


def question_files(paths: Sequence[str | Path]) -> list[Path]:
    """The question files named, a folder standing for its ``*.yaml`` and ``*.yml`` files.

    A folder's resolution records (``<name>.resolution.yaml``) are not questions; a folder
    without question files is an :class:`InputError`.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = [
                f
                for f in sorted(p.iterdir())
                if f.is_file()
                and f.suffix.lower() in (".yaml", ".yml")
                and not f.stem.lower().endswith(".resolution")
            ]
            if not found:
                why = "holds no question files (<name>.yaml); give models/ or question files"
                raise InputError([Problem(str(p), None, "QUESTION", why)])
            out.extend(found)
        else:
            out.append(p)
    return out


def _failure(path: Path, qid: str | None, exc: BaseException) -> Row:
    """A question's error as its row: bad input (2) or a failure (1, with the traceback)."""
    if isinstance(exc, InputError):
        lines = [str(p) for p in exc.problems]
        n = len(lines)
        return Row(str(path), qid, 2, f"{n} problem{'s' if n != 1 else ''} in the input", lines)
    if isinstance(exc, ForecastingError):
        return Row(str(path), qid, 2, str(exc).splitlines()[0], [str(exc)])
    if isinstance(exc, OSError) and exc.filename is not None:
        return Row(str(path), qid, 2, f"cannot write {exc.filename}: {exc.strerror or exc}")
    text = "".join(traceback.format_exception(exc)).rstrip("\n")
    return Row(str(path), qid, 1, f"{type(exc).__name__}: {exc}".splitlines()[0], [text])


# --- the cluster ------------------------------------------------------------------------------


class CompileFolder(WorkerPlugin):
    """A Dask worker plugin: the worker's own PyTensor compile folder, ``<root>/<worker>``.

    Set in ``PYTENSOR_FLAGS`` before the worker imports PyTensor (which reads it once), so
    workers never share a folder (PyTensor's compiler is not safe to share: pymc issue 7819).
    A worker restarted under the same name gets its folder back, compiled models and all.
    """

    name = "forecasting-compile-folder"

    def __init__(self, root: str | Path):
        self.root = str(root)

    def setup(self, worker: Any) -> None:
        """Point PyTensor at this worker's folder (before anything imports it)."""
        folder = Path(self.root) / re.sub(r"[^A-Za-z0-9_.-]+", "_", str(worker.name))
        folder.mkdir(parents=True, exist_ok=True)
        flags = [f for f in os.environ.get("PYTENSOR_FLAGS", "").split(",") if f]
        flags = [f for f in flags if not f.startswith("compiledir=")]
        os.environ["PYTENSOR_FLAGS"] = ",".join([*flags, f"compiledir={folder}"])
        if "pytensor" in sys.modules:  # too late to move it: say so rather than share
            logging.getLogger(__name__).warning(
                "PyTensor was imported before the worker plugin ran; it compiles in %s",
                sys.modules["pytensor"].config.compiledir,
            )


def default_compile_root() -> Path:
    """Where workers' compile folders go: ``$XDG_CACHE_HOME/forecasting/pytensor-workers``."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "forecasting" / "pytensor-workers"


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    workers: int | None = None,
    compile_root: str | Path | None = None,
) -> Iterator[Any]:
    """A Dask client, each of its workers with its own compile folder (:class:`CompileFolder`).

    To ``scheduler`` (else Dask's ``DASK_SCHEDULER_ADDRESS``), or else to an embedded
    ``LocalCluster`` of ``workers`` processes (default: one per core), one thread each.
    """
    import dask
    from distributed import Client, LocalCluster

    address = scheduler or dask.config.get("scheduler-address", None)
    plugin = CompileFolder(compile_root or default_compile_root())
    with contextlib.ExitStack() as stack:
        if address:
            client = stack.enter_context(Client(address))
        else:
            # Dask's nannies start their workers with MALLOC_TRIM_THRESHOLD_=65536, which (as
            # any setting of it does) turns off glibc's adaptive mmap threshold: every array
            # over 128 KiB is then mapped and zeroed afresh. The weekly update's arrays are
            # mostly that size; two plain processes updating questions side by side took 3.0 and
            # 3.3 s a question, with that variable 3.8 s each. Our workers live for one command,
            # so the memory it would hand back early does not matter.
            trim = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
            stack.enter_context(dask.config.set({trim: None}))
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))
        client.register_plugin(plugin)
        yield client


def _slots(client: Any) -> int:
    """How many tasks to keep in flight: twice the cluster's threads (at least 4)."""
    threads = sum(client.nthreads().values())
    return max(4, 2 * threads)


def _run(
    client: Any,
    jobs: Iterator[tuple[Any, Callable, tuple]],
    done: Callable[[Any, Any, BaseException | None], None],
) -> None:
    """Run ``fn(*args)`` of each ``(tag, fn, args)`` (on ``client``, else here), a few at once.

    ``done(tag, result, error)`` is called here as each finishes, in the order they finish.
    """
    if client is None:
        for tag, fn, args in jobs:
            try:
                result = fn(*args)
            except Exception as exc:
                done(tag, None, exc)
            else:
                done(tag, result, None)
        return
    from distributed import as_completed

    tags: dict[str, Any] = {}
    # each result is fetched as its task ends, while this process writes the ones before it
    pending = as_completed(with_results=True, raise_errors=False)

    def submit() -> bool:
        job = next(jobs, None)
        if job is None:
            return False
        tag, fn, args = job
        future = client.submit(_serialised, fn, *args, pure=False)
        tags[future.key] = tag
        pending.add(future)
        return True

    for _ in range(_slots(client)):
        if not submit():
            break
    for future, result in pending:
        tag = tags.pop(future.key)
        error = None
        if future.status != "finished":
            result = None
            try:
                future.result()
            except Exception as exc:  # the task's error, or Dask's (a worker killed too often)
                error = exc
        else:
            import cloudpickle

            result = cloudpickle.loads(result)
        future.release()
        done(tag, result, error)
        submit()


def _serialised(fn: Callable, *args: Any) -> bytes:
    """``fn(*args)`` on a worker, its result serialised there.

    A result that cannot be sent back is then the task's own error, reported for its question:
    Dask's ``as_completed`` waits forever for a result it fails to serialise (a forecast that
    held a function hung a backfill so).
    """
    import cloudpickle

    return cloudpickle.dumps(fn(*args))


class _Progress:
    """A progress bar over questions on stderr (one line each when it is not a terminal)."""

    def __init__(self, what: str, total: int, show: bool):
        self.what, self.total, self.n, self.show = what, total, 0, show
        self.tty = sys.stderr.isatty()

    def step(self, label: str) -> None:
        self.n += 1
        if not self.show:
            return
        if self.tty:
            bar = "#" * int(30 * self.n / max(self.total, 1))
            text = f"\r{self.what} [{bar:<30}] {self.n}/{self.total} {label}"
            print(f"{text[:100]:<100}", end="", file=sys.stderr, flush=True)
        else:
            print(f"{self.what} {self.n}/{self.total} {label}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.show and self.tty and self.total:
            print(file=sys.stderr)


# --- the weekly update ------------------------------------------------------------------------


def update_many(
    questions: Sequence[str | Path],
    *,
    as_of: dt.date | str | None = None,
    archive: str | Path | None = None,
    reports: str | Path | None = None,
    client: Any = None,
    dry_run: bool = False,
    progress: bool = False,
    analysts: dict[str, Any] | None = None,
    keep: str = "all",
    **options: Any,
) -> list[Row]:
    """The weekly update of every question (files, or folders of them), one row each.

    ``client``: a Dask client to compute on (:func:`dask_client`); ``None`` computes here, one
    question after another. ``options``: engine, seed, draws, chains, sampler, horizon_days
    (as :func:`.weekly.update`). ``analysts``: each question's analysts and their pool in its
    report (:func:`.weekly.analyst_options`). Rows are in the order of ``questions``.
    ``keep``: what each row's ``result`` holds, the whole :class:`.weekly.UpdateResult`
    (``"all"``) or only its ``summary`` (``"summary"``, as the CLI asks: a whole result holds
    this week's and the previous forecast, about 4 MB a small question, 880 MB kept at 200).
    """
    if keep not in ("all", "summary"):
        raise ValueError(f"keep must be 'all' or 'summary', got {keep!r}")
    files = question_files(questions)
    rows: dict[int, Row] = {}
    bar = _Progress("update", len(files), progress)
    places: dict[int, tuple[Archive, Path, Shipment]] = {}
    settings = {k: options.get(k) for k in ("engine", "seed", "draws", "chains", "sampler")}
    settings["engine"] = settings["engine"] or "auto"
    settings["horizon_days"] = options.get("horizon_days")
    seen: dict[str, Path] = {}
    remote = client is not None
    # a worker sends back what the client keeps (a summary: not the previous forecast)
    work = compute_summary if remote and keep == "summary" else compute

    def jobs() -> Iterator[tuple[int, Callable, tuple]]:
        for n, path in enumerate(files):
            qid = None
            try:
                ship, store, directory = prepare(path, None, as_of, archive, reports, settings)
                qid = ship.question.id
                if qid in seen:
                    raise ForecastingError(f"the question id '{qid}' is also {seen[qid]}'s")
                seen[qid] = path
                with contextlib.nullcontext() if dry_run else store.lock(qid):
                    # on a cluster the worker reads the previous forecast's file (unpack)
                    ship = _gather(store, ship, directory, dry_run, analysts, raw=remote)
            except Exception as exc:
                rows[n] = _failure(path, qid, exc)
                bar.step(qid or path.name)
                continue
            places[n] = (store, directory, ship)
            yield n, work, (ship,)

    def done(n: int, computed: Any, error: BaseException | None) -> None:
        store, directory, ship = places.pop(n)
        qid = ship.question.id
        try:
            again = isinstance(error, ReadOnClient)  # a damaged previous forecast: read here
            if error is not None and not again:
                raise error
            with contextlib.nullcontext() if dry_run else store.lock(qid):
                if again or (not dry_run and store.fingerprint(qid) != ship.fingerprint):
                    # the archive changed meanwhile (or the worker could not read its
                    # previous forecast): compute again, here, under the lock
                    computed = compute(_gather(store, ship, directory, dry_run, ship.analysts))
                result = finish(computed, store, directory, dry_run=dry_run)
            rows[n] = _updated(files[n], qid, result, keep)
        except Exception as exc:
            rows[n] = _failure(files[n], qid, exc)
        bar.step(qid)

    try:
        _run(client, jobs(), done)
    finally:
        bar.close()
    return [rows[n] for n in range(len(files))]


def _gather(
    store: Archive,
    ship: Shipment,
    directory: Path,
    dry_run: bool,
    analysts: dict[str, Any] | None = None,
    *,
    raw: bool = False,
) -> Shipment:
    return gather(
        store,
        ship.question,
        ship.evidence,
        ship.as_of,
        options=ship.options,
        report=directory,
        dry_run=dry_run,
        analysts=analysts,
        raw=raw,
    )


def _updated(path: Path, qid: str, res: UpdateResult, keep: str = "all") -> Row:
    code = 3 if res.flagged else 0
    details = [f"archive: {res.archived.message}"]
    details += [f"flagged: {r}" for r in res.reasons]
    details += [f"skipped: {u.describe()}" for u in res.skipped]
    kept = res if keep == "all" else res.summary
    return Row(str(path), qid, code, res.summary["headline"], details, kept)


# --- the backfill -----------------------------------------------------------------------------


def _forecast_at(question: Any, evidence: Any, day: dt.date, options: dict[str, Any]) -> Any:
    """One backfill date's forecast, whole (its confidence computed here, not on the client)."""
    from ..api import forecast

    f = forecast(question, evidence, as_of=day, progress=False, **options)
    f.tree  # noqa: B018 (computes the lazy parts here)
    return f


def backfill_many(
    questions: Sequence[str | Path],
    *,
    start: dt.date | str,
    end: dt.date | str | None = None,
    every_days: int = 7,
    archive: str | Path | None = None,
    client: Any = None,
    progress: bool = False,
    **options: Any,
) -> list[Row]:
    """:func:`.weekly.backfill` of every question, each date of each question one task.

    The forecasts are archived here, as they arrive; a question's row lists its dates.
    """
    from ..inputs.resolve import resolve_inputs

    files = question_files(questions)
    rows: dict[int, Row] = {}
    results: dict[int, list] = {}
    left: dict[int, int] = {}
    stores: dict[int, tuple[Archive, str]] = {}
    bar = _Progress("backfill", len(files), progress)
    options = {k: v for k, v in options.items() if k != "chains"}
    options["engine"] = options.get("engine") or "auto"
    start = as_date(start, "start")
    if end is not None:  # the arguments are checked before any file is read
        end = backfill_dates(start, as_date(end, "end"), every_days)[-1]
    else:
        backfill_dates(start, start, every_days)

    def jobs() -> Iterator[tuple[tuple[int, dt.date], Callable, tuple]]:
        for n, path in enumerate(files):
            qid = None
            try:
                question = load_question(path)
                qid = question.id
                question, ev, _ = resolve_inputs(question, None, None)
                last = end or max((it.date for it in ev.items), default=dt.date.today())
                dates = backfill_dates(start, last, every_days)
                root = archive if archive is not None else _project_root(question) / "forecasts"
            except Exception as exc:
                rows[n] = _failure(path, qid, exc)
                bar.step(qid or path.name)
                continue
            stores[n], results[n], left[n] = (Archive(root), qid), [], len(dates)
            for day in dates:
                yield (n, day), _forecast_at, (question, ev, day, options)

    def done(tag: tuple[int, dt.date], f: Any, error: BaseException | None) -> None:
        n, day = tag
        left[n] -= 1
        if n not in rows:
            store, qid = stores[n]
            try:
                if error is not None:
                    raise error
                results[n].append((day, store.write(f)))
            except Exception as exc:
                rows[n] = _failure(files[n], qid, exc)
        if left[n] == 0:
            store, qid = stores[n]
            if n not in rows:
                got = sorted(results[n], key=lambda r: r[0])
                written = sum(r.status != "unchanged" for _, r in got)
                message = f"{len(got)} dates, {written} written"
                details = [f"{d.isoformat()}  {r.status:<9}  {r.entry.path}" for d, r in got]
                rows[n] = Row(str(files[n]), qid, 0, message, details, got)
            bar.step(qid)

    try:
        _run(client, jobs(), done)
    finally:
        bar.close()
    return [rows[n] for n in range(len(files))]


def _project_root(question: Any) -> Path:
    from ..core.paths import project_root

    return project_root(question.source)
