"""Rerun an archived forecast from what its file records, and say whether it reproduces.

A forecast file holds its inputs (the question and the evidence used), their SHA-256 hashes, the
as-of date, the engine, its settings and the seed. :func:`verify` says whether the file's
content matches its checksum (``matches``; ``missing`` for a file written before files carried
one; ``mismatch``: changed or damaged since it was written, which does not reproduce, but is
still recomputed and compared, to say what differs), checks that every piece of metadata is
well formed (a file is untrusted input: a malformed one "does not reproduce", with the
reason, never a traceback), checks the hashes against the embedded inputs, reruns the
forecast with the same engine, settings and seed, and compares **everything the file shows a
reader**: every variable and attribute of every group of the tree (``forecast``,
``confidence``, ``posterior``, ``log_likelihood``, ``log_likelihood_scenario``,
``sample_stats``, ``constant_data``), the diagnostics and the provenance's settings. Nothing
derived is trusted from the file: the checksum is no signature (whoever edits the file can
recompute it), the recomputation is what catches a forgery.

Two things cannot be recomputed from the file alone, and are checked against the files on disk
when they are there: the list of items left out (the file holds only their ids and reasons) and
whether the question and ledger files still hold the same inputs. Those files are found where
the provenance recorded them (relative to the working directory, or else to the project the
archived file sits in, ``<project>/forecasts/<id>/<date>.nc``); the ledger read is the one
recorded (its folder), not the default one. The update's flags (``flags``) are not rechecked:
they record what that update said.

Numbers agreeing to within :data:`TOLERANCE` (floating-point noise, e.g. from another version
of a numerical library) count as reproduced; the largest difference is reported.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.dims import SCENARIO
from ..core.errors import InputError
from ..core.paths import display_path
from ..inputs.evidence import Evidence
from ..model import methods
from ..results.assemble import versions
from ..results.files import Checksum, read_tree_checked
from ..results.forecast import Forecast

#: Largest absolute difference of a published number that still counts as reproduced.
TOLERANCE = 1e-9


@dataclass
class Verification:
    """The outcome of :func:`verify`."""

    path: str
    reproduces: bool
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rerun: Forecast | None = None
    checksum: Checksum = field(default_factory=lambda: Checksum("missing"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary; ``checksum``: ``state`` (matches, missing, mismatch), ``detail``."""
        return {
            "file": self.path,
            "reproduces": self.reproduces,
            "differences": self.differences,
            "notes": self.notes,
            "checksum": {"state": self.checksum.state, "detail": self.checksum.detail},
        }


def verify(path: str | Path, *, progress: bool | None = None) -> Verification:
    """Rerun the forecast saved in ``path`` and compare (see the module docstring)."""
    path = Path(path)
    tree, checksum = read_tree_checked(path)  # a mismatch is said, and the file still rerun
    original = Forecast(tree)
    differences: list[str] = []
    notes: list[str] = []
    if checksum.state == "mismatch":
        differences.append(checksum.describe())
    else:
        notes.append(checksum.describe())
    problems = metadata_problems(original)
    if problems:
        differences += [f"the file's metadata is malformed: {p}" for p in problems]
        return Verification(str(path), False, differences, notes, checksum=checksum)
    prov = original.provenance
    question, evidence = original.question_spec(), original.evidence()
    if question.sha256() != prov.get("question_sha256"):
        differences.append("the embedded question does not match its recorded SHA-256")
    if evidence.sha256() != prov.get("evidence_sha256"):
        differences.append("the embedded evidence does not match its recorded SHA-256")
    settings = prov.get("settings", {})
    requested = settings.get("requested", settings)
    engine = prov["engine"]
    try:
        # the rerun gets the items used, not the file's list of exclusions (checked below)
        used = Evidence(evidence.question_id, evidence.items, evidence.files)
        with methods.using(prov.get("methods")):  # the file's own methods (or those of before)
            rerun = _rerun(original, question, used, engine, settings, requested, progress)
            # (within them: what the rerun computes when asked, its confidence and draws too)
            largest = [0.0]
            differences += _compare(original.to_dict(), rerun.to_dict(), largest)
            differences += _compare_trees(original, rerun, largest)
    except InputError as exc:  # the file's recorded settings are untrusted input too
        differences += [
            f"its recorded settings cannot be rerun: {p.field}: {p.message}" for p in exc.problems
        ]
        return Verification(str(path), False, differences, notes, None, checksum)
    if largest[0] > 0 and not differences:
        notes.append(f"numbers agree to within {largest[0]:.2g} (tolerance {TOLERANCE:g})")

    then, now = prov.get("versions", {}), versions(engine)
    changed = [f"{k} {then[k]} -> {now.get(k)}" for k in then if then[k] != now.get(k)]
    if changed:
        notes.append(
            "package versions differ from the ones that made the file: " + ", ".join(changed)
        )
    on_disk, disk_differences = _on_disk(path, original)
    notes += on_disk
    differences += disk_differences
    return Verification(str(path), not differences, differences, notes, rerun, checksum)


def _r(x: Any) -> str:
    """A value as the differences show it: numpy scalars as the numbers they are."""
    return repr(x.item() if isinstance(x, np.generic) else x)


def metadata_problems(forecast: Forecast) -> list[str]:
    """What is malformed in a forecast file's metadata (empty when every piece is sound)."""
    import datetime as dt

    out: list[str] = []
    attrs = forecast.tree.attrs

    def parsed(name: str, kind: type) -> Any:
        try:
            value = json.loads(attrs[name])
        except KeyError:
            out.append(f"the {name!r} attribute is missing")
            return None
        except (TypeError, ValueError) as exc:
            out.append(f"{name!r} is not valid JSON ({exc})")
            return None
        if not isinstance(value, kind):
            out.append(f"{name!r} is not a {kind.__name__}")
            return None
        return value

    fmt = attrs.get("format_version")
    if isinstance(fmt, bool) or not isinstance(fmt, int | np.integer) or not 1 <= fmt <= 99:
        out.append(f"format_version {fmt!r} is not a format number")
    prov = parsed("provenance", dict)
    parsed("diagnostics", dict)
    excluded = parsed("excluded", list)
    if excluded is not None and not all(
        isinstance(x, dict) and isinstance(x.get("id"), str) and isinstance(x.get("reason"), str)
        for x in excluded
    ):
        out.append("'excluded' must list {id, reason} entries")
    if prov is not None:
        try:
            dt.date.fromisoformat(prov.get("as_of"))
        except (TypeError, ValueError):
            out.append(f"provenance as_of {prov.get('as_of')!r} is not a date (YYYY-MM-DD)")
        if prov.get("engine") not in ("exact", "mcmc"):
            out.append(f"provenance engine {prov.get('engine')!r} is not 'exact' or 'mcmc'")
        seed = prov.get("seed")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            out.append(f"provenance seed {seed!r} is not a whole number from 0 to 2**63 - 1")
        if not isinstance(prov.get("settings", {}), dict):
            out.append("provenance settings is not a mapping")
        out += methods.problems(prov.get("methods"))
        if not isinstance(prov.get("question_id"), str):
            out.append("provenance question_id is missing")
    if out:
        return out
    try:
        question = forecast.question_spec()
        forecast.evidence()
    except InputError as exc:
        return [
            f"the embedded inputs do not validate: {p.field}: {p.message}" for p in exc.problems
        ]
    except (TypeError, ValueError, KeyError) as exc:
        return [f"the embedded inputs do not validate: {str(exc).splitlines()[0]}"]
    if question.id != prov["question_id"]:
        out.append(
            f"the embedded question is {question.id!r}, the provenance says {prov['question_id']!r}"
        )
    return out


def _rerun(original, question, evidence, engine, settings, requested, progress) -> Forecast:
    """The forecast again, with the engine, settings, seed and horizon the file records."""
    from ..api import forecast

    return forecast(
        question,
        evidence,
        as_of=original.as_of,
        engine=engine,
        seed=original.provenance["seed"],
        draws=requested.get("draws"),
        chains=requested.get("chains") if engine == "mcmc" else None,
        tune=requested.get("tune") if engine == "mcmc" else None,
        progress=progress,
        # forecasts made before the sampler was recorded were made by PyMC's own NUTS
        sampler=settings.get("sampler", "pymc-nuts") if engine == "mcmc" else None,
        horizon_days=original.confidence.horizon_days if original.confidence else None,
    )


def _compare(a: dict[str, Any], b: dict[str, Any], largest: list[float]) -> list[str]:
    out = []
    for key in ("question", "as_of", "engine"):
        if a.get(key) != b.get(key):
            out.append(f"{key}: {_r(a.get(key))} then, {_r(b.get(key))} now")
    for sa, sb in zip(a["scenarios"], b["scenarios"], strict=False):
        for key in ("probability", "mcse"):
            if not _same(sa[key], sb[key], largest):
                out.append(f"{sa['id']} {key}: {_r(sa[key])} then, {_r(sb[key])} now")
        # a file made before confidence existed has no range; the rerun's is new, not a change
        if sa.get("responsiveness") is not None:
            for key, x in sa["responsiveness"].items():
                y = (sb.get("responsiveness") or {}).get(key)
                if not _same(x, y, largest):
                    out.append(f"{sa['id']} responsiveness {key}: {_r(x)} then, {_r(y)} now")
    if a.get("confidence") is not None:
        out += _compare_nested("confidence", a["confidence"], b.get("confidence"), largest)
    if [s["id"] for s in a["scenarios"]] != [s["id"] for s in b["scenarios"]]:
        out.append("the scenarios differ")
    if a["evidence"]["used"] != b["evidence"]["used"]:
        out.append("the evidence used differs")
    da = {k: v for k, v in a["diagnostics"].items()}
    db = {k: v for k, v in b["diagnostics"].items()}
    for key in sorted(set(da) | set(db)):
        if not _same(da.get(key), db.get(key), largest):
            out.append(f"diagnostics {key}: {_r(da.get(key))} then, {_r(db.get(key))} now")
    return out


def _compare_nested(where: str, x: Any, y: Any, largest: list[float]) -> list[str]:
    """Differences between two JSON values, named by their path (numbers within tolerance)."""
    if isinstance(x, dict) and isinstance(y, dict):
        out = []
        for key in sorted(set(x) | set(y)):
            out += _compare_nested(f"{where} {key}", x.get(key), y.get(key), largest)
        return out
    return [] if _same(x, y, largest) else [f"{where}: {_r(x)} then, {_r(y)} now"]


#: Groups of the tree compared variable by variable, attribute by attribute.
GROUPS = (
    "forecast",
    "confidence",
    "posterior",
    "log_likelihood",
    "log_likelihood_scenario",
    "sample_stats",
    "constant_data",
)


def _compare_trees(original: Forecast, rerun: Forecast, largest: list[float]) -> list[str]:
    """Every variable, coordinate and attribute of every group, and the diagnostics."""
    out = []
    a, b = original.tree, rerun.tree
    for group in GROUPS:
        if group not in a.children:
            continue  # a group the file predates (format 1: no confidence)
        other = group
        if group == "log_likelihood" and SCENARIO in a[group].dims:
            other = "log_likelihood_scenario"  # where a file of the earlier layout held it
        if other not in b.children:
            out.append(f"{group}: in the file, not in the rerun")
            continue
        da, db = a[group].to_dataset(), b[other].to_dataset()
        for name in sorted(set(da.variables) | set(db.variables)):
            # format 1 called the range of P(S | E, pi, theta) "interval"
            other = "interval_if_parameters_known" if name == "interval" else name
            if name not in da.variables or other not in db.variables:
                if not (name == "interval_if_parameters_known" and "interval" in da.variables):
                    out.append(f"{group}/{name}: in only one of the file and the rerun")
                continue
            x, y = da[name].values, db[other].values
            if x.shape != y.shape:
                out.append(f"{group}/{name}: shape {x.shape} then, {y.shape} now")
            elif not _same(x.tolist(), y.tolist(), largest):
                out.append(f"{group}/{name}: the values differ")
        for key in sorted(set(da.attrs) | set(db.attrs)):
            if not _same(_plain(da.attrs.get(key)), _plain(db.attrs.get(key)), largest):
                out.append(
                    f"{group} attribute {key}: {_r(da.attrs.get(key))} then, "
                    f"{_r(db.attrs.get(key))} now"
                )
    pa, pb = original.provenance, rerun.provenance
    for key in (
        "question_id",
        "as_of",
        "engine",
        "seed",
        "settings",
        "reliability_model",
        "methods",
    ):
        if key in pa and pa.get(key) != pb.get(key):  # (older files lack the model: tempered)
            out.append(f"provenance {key}: {_r(pa.get(key))} then, {_r(pb.get(key))} now")
    return out


def _plain(x: Any) -> Any:
    """A NetCDF attribute as plain Python (arrays as lists, numpy scalars as numbers)."""
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _on_disk(path: Path, original: Forecast) -> tuple[list[str], list[str]]:
    """Notes on the question and ledger files where the provenance recorded them.

    And a difference if the items left out are not those the ledger on disk leaves out. The
    file holds only the items used, so the list of those left out can be checked against the
    ledger on disk only: where that is not possible a note says the list was not checked.
    """
    notes, differences = _on_disk_checked(path, original)
    if differences or not notes:
        return notes, differences
    n = len(original.excluded)
    left_out = f"{n} item{'s' if n != 1 else ''}" if n else "none"
    return [*notes, f"the items it says were left out ({left_out}) are not checked"], []


def _on_disk_checked(path: Path, original: Forecast) -> tuple[list[str], list[str]]:
    """:func:`_on_disk` without its note on the unchecked exclusions."""
    from ..inputs.evidence import load_evidence
    from ..inputs.question import load_question

    prov = original.provenance
    recorded = prov.get("question_file")
    if not recorded:
        return ["the forecast records no question file"], []
    qfile = _find(path, recorded)
    if qfile is None:
        return [f"{recorded} is not on disk here; verified from the inputs in the file"], []
    files = [_find(path, f) for f in prov.get("evidence_files", [])]
    try:
        q_now = load_question(qfile)
        if q_now.sha256() != prov.get("question_sha256"):
            return [f"{qfile} has changed since this forecast was made"], []
        folders = {f.parent for f in files if f is not None}
        if None in files or len(folders) > 1:
            return ["the ledger files it was made from are not all on disk here"], []
        ev_now = load_evidence(folders.pop() if folders else None, q_now).as_of(original.as_of)
    except Exception as exc:  # the files are informational here; the forecast is verified
        return [f"could not read the current files: {exc}".splitlines()[0]], []
    if ev_now.sha256() != prov.get("evidence_sha256"):
        return [
            f"the evidence ledger on disk ({display_path(_folder(files))}) has changed "
            f"since (items as of {original.as_of} differ)"
        ], []
    left_out = sorted((x.id, x.reason) for x in ev_now.excluded)
    if left_out != sorted((x["id"], x["reason"]) for x in original.excluded):
        return [], ["the items left out differ from those the ledger on disk leaves out"]
    return [], []


def _folder(files: list[Path | None]) -> Path | None:
    """The folder of the recorded ledger files."""
    found = [f for f in files if f is not None]
    return found[0].parent if found else None


def _find(forecast_file: Path, recorded: str) -> Path | None:
    """A recorded path, relative to the working directory or else to the file's project."""
    p = Path(recorded)
    if p.is_file():
        return p
    folder = forecast_file.resolve().parent  # <project>/forecasts/<id>/
    project = folder.parent.parent
    if not p.is_absolute() and folder.parent.name == "forecasts" and (project / p).is_file():
        return project / p
    return None


def _same(x: Any, y: Any, largest: list[float]) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        if x == y or (math.isnan(x) and math.isnan(y)):
            return True
        diff = abs(x - y)
        largest[0] = max(largest[0], diff)
        return diff <= TOLERANCE
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(u, v, largest) for u, v in zip(x, y, strict=True))
    if isinstance(x, dict) and isinstance(y, dict):  # e.g. the dynamics' diagnostics
        return x.keys() == y.keys() and all(_same(x[k], y[k], largest) for k in x)
    return x == y
