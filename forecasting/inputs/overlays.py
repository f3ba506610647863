"""Analysts' judgement overlays: one YAML file per analyst that changes judgements of a question.

Layout: beside the question file ``models/<stem>.yaml``, the folder
``models/<stem>/analysts/`` holds one file per analyst, ``<name>.yaml``::

    analyst: leverage            # must be the file's name
    question: syria-coalition    # optional: the question's id, checked
    rationale: >-
      Reads the sanctions linkage as leverage for accession.
    scenarios:                   # the question's own structure, only what changes
      accession: {prior: 0.35}
      informal: {prior: 0.30}
    indicators:
      sanctions_conditionality:
        probabilities:
          accession: {relief_tied_to_accession: 0.7, relief_unconditional: 0.2,
                      relief_off_table: 0.1}

The overrides are deep-merged onto the question's mapping and the result is validated as a
question (:func:`~.question.parse_question`), so a bad value gets the same message as in a
question file, located in the overlay. What an overlay may change are judgements: scenario
priors (and the catch-all's), any likelihood entry of any indicator (one scenario's entry is
replaced whole, in any of its forms), an indicator's ``noise``, ``sd``, ``concentration``,
``trend`` and ``half_life_days``, and the question's ``prior_concentration``,
``half_life_days``, ``reliability_codes``, ``relays`` and ``dynamics`` (a transition row is
replaced whole). Anything else (ids, labels, the scenario set, kinds, categories, windows,
``resolves``, the reliability model) is refused, and so is a scenario, indicator or field the
question does not have: each a located problem, with "did you mean" where a name is close.
The evidence ledger is shared: an overlay has no evidence of its own.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InputError, Problem, did_you_mean, one_of
from ..core.schema import typename
from ..kinds import get_kind
from . import safe_yaml
from .question import Question, parse_question
from .safe_yaml import LineMap, format_path

#: The folder, beside a question's ``models/<stem>.yaml``, of its analysts' overlays.
ANALYSTS_FOLDER = "analysts"
#: File endings of overlay files.
SUFFIXES = (".yaml", ".yml")
#: An analyst's name (and file name): lowercase letters, digits, single '_' or '-'.
ANALYST_NAME = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*")
#: The overlay's own keys (not overrides).
META = ("analyst", "question", "rationale")
#: Question-level judgements an overlay may change.
TOP = (
    "scenarios",
    "catch_all",
    "indicators",
    "prior_concentration",
    "half_life_days",
    "reliability_codes",
    "relays",
    "dynamics",
)
#: An indicator's judgements besides its likelihood entries (where its kind has them).
INDICATOR_JUDGEMENTS = ("noise", "sd", "concentration", "trend", "half_life_days")

Path_ = tuple[Hashable, ...]


@dataclass(frozen=True)
class Overlay:
    """One analyst's judgements: the shared question with the analyst's overrides merged in."""

    analyst: str
    rationale: str | None
    file: str | None
    overrides: dict[str, Any]
    question: Question


def analysts_folder(question_file: str | Path) -> Path:
    """``models/<stem>/analysts/`` for the question file ``models/<stem>.yaml``."""
    path = Path(question_file)
    return path.parent / path.stem / ANALYSTS_FOLDER


def load_overlays(
    question: Question, analysts: str | Iterable[str | Path] = "all"
) -> list[Overlay]:
    """The overlays of ``question``'s analysts: ``"all"``, a list of names, or of files.

    Names are looked up in :func:`analysts_folder` of the question's file; files (paths, or
    text ending in ``.yaml``/``.yml``) are read as they are.

    Raises
    ------
    InputError
        With every problem of every overlay, each naming file, line and field.
    """
    wanted = [analysts] if isinstance(analysts, Path) else analysts
    if isinstance(wanted, str):
        wanted = [wanted] if wanted != "all" else None
    else:
        wanted = list(wanted)
        if not wanted:
            raise InputError([Problem(None, None, "analysts", "no analysts given")])
    files: list[Path] = []
    names = [w for w in wanted or [] if not _is_file(w)]
    if wanted is None or names:
        available = find_overlay_files(question)
        for name in names:
            if name not in available:
                valid = list(available)
                raise InputError(
                    [
                        Problem(
                            None,
                            None,
                            "analysts",
                            f"no analyst '{name}' for question '{question.id}'"
                            f"{did_you_mean(name, valid)}; the analysts are {one_of(valid)}",
                        )
                    ]
                )
        files = list(available.values()) if wanted is None else []
    for w in wanted or []:
        files.append(Path(w) if _is_file(w) else available[str(w)])
    problems: list[Problem] = []
    out: list[Overlay] = []
    seen: dict[str, str | None] = {}
    for path in dict.fromkeys(files):  # each file once
        try:
            overlay = load_overlay(path, question)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if overlay.analyst in seen:
            problems.append(
                Problem(
                    overlay.file,
                    None,
                    "analyst",
                    f"two overlays for analyst '{overlay.analyst}' (the other is "
                    f"{seen[overlay.analyst]}); one file per analyst",
                )
            )
            continue
        seen[overlay.analyst] = overlay.file
        out.append(overlay)
    if problems:
        raise InputError(problems)
    return out


def find_overlay_files(question: Question) -> dict[str, Path]:
    """Analyst name -> overlay file, in the question's analysts folder (sorted by name).

    Raises :class:`InputError` when the question has no file or no analysts folder, when two
    files name one analyst (``a.yaml`` and ``a.yml``), and when the question's ``models/``
    folder holds an analysts folder for a question file that does not exist.
    """
    if question.source is None:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "analysts",
                    "the question was built in Python, so it has no analysts folder; give the "
                    "overlay files themselves",
                )
            ]
        )
    folder = analysts_folder(question.source)
    problems = orphan_problems(Path(question.source).parent)
    if not folder.is_dir():
        problems.append(
            Problem(
                str(folder),
                None,
                "analysts",
                f"no analysts folder for question '{question.id}': put one file per analyst, "
                f"<name>.yaml, in {folder}/ (README 'Several analysts')",
            )
        )
        raise InputError(problems)
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix not in SUFFIXES:
            continue
        if path.stem in found:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "analyst",
                    f"two overlays for analyst '{path.stem}' (the other is {found[path.stem]}); "
                    "one file per analyst",
                )
            )
            continue
        found[path.stem] = path
    if not found and not problems:
        problems.append(
            Problem(str(folder), None, "analysts", "no analyst files (<name>.yaml) in the folder")
        )
    if problems:
        raise InputError(problems)
    return found


def orphan_problems(models: Path) -> list[Problem]:
    """Analysts folders ``models/<stem>/analysts/`` with no question ``models/<stem>.yaml``."""
    if not models.is_dir():
        return []
    stems = sorted(p.stem for p in models.iterdir() if p.is_file() and p.suffix in SUFFIXES)
    return [
        Problem(
            str(d / ANALYSTS_FOLDER),
            None,
            "",
            f"analyst overlays for question file '{d.name}.yaml', which does not exist in "
            f"{models}{did_you_mean(d.name, stems)}; rename the folder after its question "
            "file, or remove it",
        )
        for d in sorted(models.iterdir())
        if d.is_dir() and (d / ANALYSTS_FOLDER).is_dir() and d.name not in stems
    ]


def load_overlay(path: str | Path, question: Question) -> Overlay:
    """Read one overlay file and apply it to ``question`` (see the module's documentation)."""
    path = Path(path)
    raw, lines = safe_yaml.load(path)
    return parse_overlay(raw, lines, question, stem=path.stem)


def parse_overlay(
    raw: Any, lines: LineMap, question: Question, *, stem: str | None = None
) -> Overlay:
    """Validate already-parsed overlay data and apply it to ``question``."""
    if not isinstance(raw, dict) or not raw:
        got = "empty" if not raw else f"a {typename(raw)}"
        raise InputError(
            [
                lines.problem(
                    (),
                    f"an overlay must be a mapping with at least 'analyst: <name>', got {got}",
                )
            ]
        )
    problems: list[Problem] = []
    name = _meta(raw, lines, question, stem, problems)
    overrides = {k: v for k, v in raw.items() if k not in META}
    merged, replaced = _merge(question, overrides, lines, problems)
    located = OverlayLines(question.lines, lines, replaced)
    try:  # the overrides that could be merged are validated too: every problem at once
        merged_question = parse_question(merged, located)
    except InputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    rationale = raw.get("rationale")
    return Overlay(name, rationale, lines.source, overrides, merged_question)


def apply_overrides(question: Question, overrides: Mapping[str, Any]) -> Question:
    """``question`` with ``overrides`` (an overlay's mapping, without its own keys) applied."""
    return parse_overlay({"analyst": "analyst", **overrides}, LineMap(None), question).question


class OverlayLines(LineMap):
    """Lines of a merged question: what the overlay changed is located in the overlay.

    A problem at a path the overlay changed (or that encloses one of its changes, such as the
    scenario priors' sum) is reported at the overlay's line; any other (a value the overlay
    leaves as it was, which fails only with the overlay's changes) in the overlay's file with
    the question file's line quoted in the message.
    """

    def __init__(self, question: LineMap, overlay: LineMap, replaced: set[Path_]):
        super().__init__(question.source)
        self.question_lines = question
        self.overlay_lines = overlay
        self.replaced = replaced

    def changed(self, path: Path_) -> bool:
        """Whether the overlay changed the value at ``path``, one inside it or one enclosing it."""
        path = tuple(path)
        return any(path[: len(r)] == r or r[: len(path)] == path for r in self.replaced)

    def line(self, path: Path_) -> int | None:
        """Line of the value at ``path``, in the overlay if it changed it."""
        lines = self.overlay_lines if self.changed(path) else self.question_lines
        return lines.line(path)

    def text(self, path: Path_) -> str | None:
        """The true/false text as written at ``path``, in the overlay if it changed it."""
        lines = self.overlay_lines if self.changed(path) else self.question_lines
        return lines.text(path)

    def problem(self, path: Path_, message: str) -> Problem:
        """A :class:`Problem` at ``path``, in the overlay's file."""
        if self.changed(path):
            return self.overlay_lines.problem(path, message)
        where = self.question_lines.source or "the question"
        line = self.question_lines.line(path)
        at = f"{where}:{line}" if line is not None else where
        return Problem(
            self.overlay_lines.source,
            None,
            format_path(path),
            f"{message} (at {at}, which fails with this overlay's changes)",
        )


# --- the overlay's own keys -------------------------------------------------------------------


def _meta(
    raw: dict, lines: LineMap, question: Question, stem: str | None, problems: list[Problem]
) -> str:
    name = raw.get("analyst")
    if name is None:
        problems.append(lines.problem((), "missing 'analyst: <name>' (the file's name)"))
        name = stem or "analyst"
    elif not isinstance(name, str) or not ANALYST_NAME.fullmatch(name):
        problems.append(
            lines.problem(
                ("analyst",),
                f"analyst name {name!r} must be lowercase letters, digits and single '_' or "
                "'-', starting with a letter (e.g. 'sdf_first')",
            )
        )
        name = stem or "analyst"
    elif stem is not None and name != stem:
        problems.append(
            lines.problem(
                ("analyst",),
                f"analyst '{name}' is in the file '{stem}'; name the file after the analyst "
                f"('{name}.yaml')",
            )
        )
    qid = raw.get("question")
    if qid is not None and qid != question.id:
        problems.append(
            lines.problem(
                ("question",),
                f"this overlay is for question {qid!r}, not '{question.id}'"
                f"{did_you_mean(qid, [question.id])}",
            )
        )
    rationale = raw.get("rationale")
    if rationale is not None and (not isinstance(rationale, str) or not rationale.strip()):
        problems.append(lines.problem(("rationale",), "rationale must be text"))
    return name


# --- the merge --------------------------------------------------------------------------------


def _merge(
    question: Question, overrides: dict, lines: LineMap, problems: list[Problem]
) -> tuple[dict, set[Path_]]:
    """The question's mapping with ``overrides`` merged in, and the paths replaced."""
    merged = question.model_dump(mode="python", exclude_none=True)
    replaced: set[Path_] = set()
    fields = [f for f in Question.model_fields if f not in TOP]

    def bad(path: Path_, message: str) -> None:
        problems.append(lines.problem(path, message))

    def put(path: Path_, value: Any) -> None:
        node = merged
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
        replaced.add(path)

    for key, value in overrides.items():
        path = (key,)
        if key in TOP:
            _top(question, key, value, path, put, bad)
        elif key in fields:
            bad(path, f"'{key}' is not a judgement; {_JUDGEMENTS_ONLY}")
        else:
            bad(
                path,
                f"'{key}' is not a field of a question or an overlay"
                f"{did_you_mean(key, [*META, *TOP])}",
            )
    return merged, replaced


_JUDGEMENTS_ONLY = (
    "an overlay changes only judgements (scenario priors, likelihoods, noise, reliability "
    "codes, relays, prior_concentration, half_life_days, dynamics)"
)


def _mapping(value: Any, path: Path_, what: str, bad) -> bool:
    if isinstance(value, dict):
        return True
    bad(path, f"must be a mapping of {what}, got {typename(value)}")
    return False


def _keys(value: dict, path: Path_, valid: Sequence[str], noun: str, bad) -> list[tuple[str, Any]]:
    """The entries of ``value`` whose key is one of ``valid``; the others reported."""
    out = []
    for key, v in value.items():
        if key in valid:
            out.append((key, v))
        else:
            bad(
                path + (key,),
                f"'{key}' is not a {noun} of this question{did_you_mean(key, valid)}; "
                f"its {noun}s are {one_of(list(valid))}",
            )
    return out


def _top(question: Question, key: str, value: Any, path: Path_, put, bad) -> None:
    if key in ("prior_concentration", "half_life_days"):
        put(path, value)
    elif key in ("reliability_codes", "relays"):
        if _mapping(value, path, "names to numbers", bad):
            for name, v in value.items():
                put(path + (name,), v)
    elif key == "scenarios":
        if _mapping(value, path, "scenario ids to {prior: ...}", bad):
            for sid, entry in _keys(value, path, question.named_scenarios, "scenario", bad):
                _fields(entry, path + (sid,), ("prior",), ("label", "description"), put, bad)
    elif key == "catch_all":
        if question.catch_all is None:
            bad(path, "the question has no catch-all scenario; an overlay cannot add scenarios")
        elif _mapping(value, path, "{prior: ...}", bad):
            _fields(value, path, ("prior",), ("label",), put, bad)
    elif key == "dynamics":
        if _mapping(value, path, "period_days and transitions", bad):
            fields = ["period_days", "transitions"]
            for field, v in _keys(value, path, fields, "dynamics field", bad):
                if field == "period_days":
                    put(path + (field,), v)
                elif _mapping(v, path + (field,), "scenario ids to rows", bad):
                    rows = _keys(v, path + (field,), question.scenario_ids, "scenario", bad)
                    for sid, row in rows:
                        put(path + (field, sid), row)
    else:  # indicators
        if _mapping(value, path, "indicator ids to their judgements", bad):
            for name, entry in _keys(value, path, list(question.indicators), "indicator", bad):
                _indicator(question, name, entry, path + (name,), put, bad)


def _fields(
    value: Any, path: Path_, allowed: Sequence[str], fixed: Sequence[str], put, bad
) -> None:
    """Leaf fields ``allowed`` of a mapping; ``fixed`` ones are not judgements."""
    if not _mapping(value, path, one_of(list(allowed)), bad):
        return
    for field, v in value.items():
        if field in allowed:
            put(path + (field,), v)
        elif field in fixed:
            bad(path + (field,), f"'{field}' is not a judgement; {_JUDGEMENTS_ONLY}")
        else:
            bad(
                path + (field,),
                f"'{field}' is not a field here{did_you_mean(field, allowed)}; an overlay may "
                f"change {one_of(list(allowed))}",
            )


def _indicator(question: Question, name: str, value: Any, path: Path_, put, bad) -> None:
    spec = question.indicators[name]
    kind = get_kind(spec.kind)
    known = type(spec).model_fields
    field = kind.likelihood_field
    allowed = [field, *(f for f in INDICATOR_JUDGEMENTS if f in known)]
    if not _mapping(value, path, one_of(allowed), bad):
        return
    scenarios = question.named_scenarios
    for key, v in value.items():
        here = path + (key,)
        if key == field:
            if _mapping(v, here, "scenario ids to likelihood entries", bad):
                for sid, entry in _keys(v, here, scenarios, "scenario", bad):
                    put(here + (sid,), entry)  # one scenario's entry is replaced whole
        elif key == "trend" and key in allowed:
            if _mapping(v, here, "scenario ids to trends", bad):
                for sid, entry in _keys(v, here, scenarios, "scenario", bad):
                    put(here + (sid,), entry)
        elif key in allowed:
            put(here, v)
        elif key in known:
            bad(here, f"'{key}' is not a judgement; {_JUDGEMENTS_ONLY}")
        else:
            bad(
                here,
                f"'{key}' is not a field of {spec.kind} indicator '{name}'"
                f"{did_you_mean(key, allowed)}; an overlay may change {one_of(allowed)}",
            )


def _is_file(value: str | Path) -> bool:
    return isinstance(value, Path) or str(value).endswith(SUFFIXES) or "/" in str(value)
