"""Rerun an archived forecast from what its file records, and say whether it reproduces.

A forecast file holds its inputs (the question and the evidence used), their SHA-256 hashes, the
as-of date, the engine, its settings and the seed. :func:`verify` checks the hashes against the
embedded inputs, reruns the forecast with the same engine, settings and seed, and compares the
published numbers (probabilities, MCSE, the analytic confidence, the range of the probability
given the parameters, the evidence used and excluded, diagnostics).
It also says whether the question and ledger files named in the provenance still hold the same
inputs, and which package versions differ from the ones that made the file.

Numbers agreeing to within :data:`TOLERANCE` (floating-point noise, e.g. from another version
of a numerical library) count as reproduced; the largest difference is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..results.assemble import versions
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "file": self.path,
            "reproduces": self.reproduces,
            "differences": self.differences,
            "notes": self.notes,
        }


def verify(path: str | Path, *, progress: bool | None = None) -> Verification:
    """Rerun the forecast saved in ``path`` and compare (see the module docstring)."""
    from ..inputs.evidence import load_evidence
    from ..inputs.question import load_question

    path = Path(path)
    original = Forecast.load(path)
    prov = original.provenance
    question, evidence = original.question_spec(), original.evidence()
    differences: list[str] = []
    notes: list[str] = []
    if question.sha256() != prov.get("question_sha256"):
        differences.append("the embedded question does not match its recorded SHA-256")
    if evidence.sha256() != prov.get("evidence_sha256"):
        differences.append("the embedded evidence does not match its recorded SHA-256")
    settings = prov.get("settings", {})
    requested = settings.get("requested", settings)
    engine = prov["engine"]
    try:
        rerun = _rerun(original, question, evidence, engine, settings, requested, progress)
    except InputError as exc:  # the file's recorded settings are untrusted input too
        differences += [
            f"its recorded settings cannot be rerun: {p.field}: {p.message}" for p in exc.problems
        ]
        return Verification(str(path), False, differences, notes, None)
    largest = [0.0]
    differences += _compare(original.to_dict(), rerun.to_dict(), largest)
    differences += _compare_parameters_interval(original, rerun, largest)
    if largest[0] > 0 and not differences:
        notes.append(f"numbers agree to within {largest[0]:.2g} (tolerance {TOLERANCE:g})")

    then, now = prov.get("versions", {}), versions(engine)
    changed = [f"{k} {then[k]} -> {now.get(k)}" for k in then if then[k] != now.get(k)]
    if changed:
        notes.append(
            "package versions differ from the ones that made the file: " + ", ".join(changed)
        )
    qfile = prov.get("question_file")
    if qfile and Path(qfile).is_file():
        try:
            q_now = load_question(qfile)
            if q_now.sha256() != prov.get("question_sha256"):
                notes.append(f"{qfile} has changed since this forecast was made")
            else:
                ev_now = load_evidence(None, q_now).as_of(original.as_of)
                if ev_now.sha256() != prov.get("evidence_sha256"):
                    notes.append(
                        "the evidence ledger on disk has changed since (items as of "
                        f"{original.as_of} differ)"
                    )
        except Exception as exc:  # the files are informational here; the forecast is verified
            notes.append(f"could not read the current files: {exc}".splitlines()[0])
    elif qfile:
        notes.append(f"{qfile} is not on disk here; verified from the inputs in the file")
    return Verification(str(path), not differences, differences, notes, rerun)


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
            out.append(f"{key}: {a.get(key)!r} then, {b.get(key)!r} now")
    for sa, sb in zip(a["scenarios"], b["scenarios"], strict=False):
        for key in ("probability", "mcse"):
            if not _same(sa[key], sb[key], largest):
                out.append(f"{sa['id']} {key}: {sa[key]!r} then, {sb[key]!r} now")
        # a file made before confidence existed has no range; the rerun's is new, not a change
        if sa.get("responsiveness") is not None:
            for key, x in sa["responsiveness"].items():
                y = (sb.get("responsiveness") or {}).get(key)
                if not _same(x, y, largest):
                    out.append(f"{sa['id']} responsiveness {key}: {x!r} then, {y!r} now")
    if a.get("confidence") is not None:
        out += _compare_nested("confidence", a["confidence"], b.get("confidence"), largest)
    if [s["id"] for s in a["scenarios"]] != [s["id"] for s in b["scenarios"]]:
        out.append("the scenarios differ")
    if a["evidence"] != b["evidence"]:
        out.append("the evidence used or excluded differs")
    da = {k: v for k, v in a["diagnostics"].items()}
    db = {k: v for k, v in b["diagnostics"].items()}
    for key in sorted(set(da) | set(db)):
        if not _same(da.get(key), db.get(key), largest):
            out.append(f"diagnostics {key}: {da.get(key)!r} then, {db.get(key)!r} now")
    return out


def _compare_nested(where: str, x: Any, y: Any, largest: list[float]) -> list[str]:
    """Differences between two JSON values, named by their path (numbers within tolerance)."""
    if isinstance(x, dict) and isinstance(y, dict):
        out = []
        for key in sorted(set(x) | set(y)):
            out += _compare_nested(f"{where} {key}", x.get(key), y.get(key), largest)
        return out
    return [] if _same(x, y, largest) else [f"{where}: {x!r} then, {y!r} now"]


def _compare_parameters_interval(original: Forecast, rerun: Forecast, largest) -> list[str]:
    """The stored range of ``P(S | E, pi, theta)`` (``interval`` in files of format 1)."""
    then = original.interval_if_parameters_known.values.tolist()
    now = rerun.interval_if_parameters_known.values.tolist()
    if _same(then, now, largest):
        return []
    return [f"interval_if_parameters_known: {then!r} then, {now!r} now"]


def _same(x: Any, y: Any, largest: list[float]) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        if x == y or (math.isnan(x) and math.isnan(y)):
            return True
        diff = abs(x - y)
        largest[0] = max(largest[0], diff)
        return diff <= TOLERANCE
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(u, v, largest) for u, v in zip(x, y, strict=True))
    return x == y
