"""How a question resolved: the resolution record kept beside the question file.

``models/<name>.yaml`` resolves in ``models/<name>.resolution.yaml``, a list of records written
by ``forecast resolve``, oldest first; the last one is in force. A record either names the
scenario that came true (``outcome``) or annuls the question (``annulled``: the reason, e.g.
"the question's premise failed"); each carries the date the outcome became known (``date``),
optionally ``source`` and ``note``, and when it was written (``recorded``). A record that
changes an earlier one says why (``amends``): the earlier records stay, so the history of
amendments is kept. Neither the archive nor any report is rewritten.

The file is input like any other: read with the same YAML reader, every problem located by
file, line and field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError, model_validator

from ..core.atomic import write_text_atomic
from ..core.errors import InputError, Problem, did_you_mean, one_of
from ..core.schema import Date, Spec, Text
from ..inputs import safe_yaml
from ..inputs.problems import pydantic_problems
from ..inputs.question import Question

#: The file name's ending: ``<question file stem>`` + this.
SUFFIX = ".resolution.yaml"
#: Longest text of a source, note or reason (a record is a line of a log, not a document).
MAX_TEXT = 2000


class Record(Spec):
    """One resolution record (see the module's docstring)."""

    outcome: Text | None = None
    annulled: Text | None = None
    date: Date
    source: Text | None = None
    note: Text | None = None
    amends: Text | None = None
    recorded: dt.datetime

    @model_validator(mode="after")
    def _one_of_outcome_or_annulled(self) -> Record:
        if (self.outcome is None) == (self.annulled is None):
            raise ValueError(
                "give either outcome (the scenario that came true) or annulled (the reason "
                "the question cannot resolve), not both and not neither"
            )
        for name in ("outcome", "annulled", "source", "note", "amends"):
            text = getattr(self, name)
            if text is not None and len(text) > MAX_TEXT:
                raise ValueError(f"{name} is {len(text)} characters long; at most {MAX_TEXT}")
        return self


class ResolutionFile(Spec):
    """The whole file: the question's id and its records, oldest first."""

    question: Text
    records: list[Record]


@dataclass(frozen=True)
class Resolution:
    """A question's resolution in force, and the records that led to it."""

    question_id: str
    records: tuple[Record, ...]
    path: Path

    @property
    def current(self) -> Record:
        """The record in force (the last one)."""
        return self.records[-1]

    @property
    def outcome(self) -> str | None:
        """The scenario that came true (``None`` if annulled)."""
        return self.current.outcome

    @property
    def annulled(self) -> str | None:
        """Why the question was annulled, if it was."""
        return self.current.annulled

    @property
    def date(self) -> dt.date:
        """When the outcome became known."""
        return self.current.date

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the record in force and every earlier one."""
        return {
            "question": self.question_id,
            "outcome": self.outcome,
            "annulled": self.annulled,
            "date": self.date.isoformat(),
            "source": self.current.source,
            "note": self.current.note,
            "amendments": len(self.records) - 1,
            "file": str(self.path),
        }


def resolution_path(question_file: str | Path) -> Path:
    """Where a question file's resolution record lives (beside it)."""
    q = Path(question_file)
    return q.with_name(q.name.removesuffix(".yaml").removesuffix(".yml") + SUFFIX)


def load_resolution(
    question_file: str | Path, question: Question | None = None
) -> Resolution | None:
    """The resolution of the question in ``question_file``; ``None`` if it has none yet.

    With ``question``, each outcome is checked against its scenarios.

    Raises
    ------
    InputError
        A malformed file, every problem located by line and field.
    """
    path = resolution_path(question_file)
    if not path.exists():
        return None
    raw, lines = safe_yaml.load(path)
    if raw is None:
        raise InputError([Problem(str(path), 1, "", "the resolution file is empty")])
    if not isinstance(raw, dict):
        raise InputError([lines.problem((), "a resolution file must be a mapping of keys")])
    try:
        spec = ResolutionFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, lines, ResolutionFile, raw)) from None
    problems = []
    if not spec.records:
        problems.append(lines.problem(("records",), "there are no records; remove the file"))
    if question is not None:
        if spec.question != question.id:
            problems.append(
                lines.problem(
                    ("question",),
                    f"the file resolves {spec.question!r}, but the question beside it is "
                    f"{question.id!r}",
                )
            )
        names = _outcomes(question)
        for n, r in enumerate(spec.records):
            if r.outcome is not None and r.outcome not in names:
                problems.append(
                    lines.problem(("records", n, "outcome"), _not_a_scenario(r.outcome, names))
                )
    for n, r in enumerate(spec.records[1:], start=1):
        if r.amends is None:
            problems.append(
                lines.problem(
                    ("records", n, "amends"),
                    "a record after the first changes the resolution and must say why (amends)",
                )
            )
    if problems:
        raise InputError(problems)
    return Resolution(spec.question, tuple(spec.records), path)


def record(
    question_file: str | Path,
    question: Question,
    *,
    outcome: str | None = None,
    annulled: str | None = None,
    date: dt.date,
    first_forecast: dt.date | None,
    source: str | None = None,
    note: str | None = None,
    amend: str | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Resolution:
    """Append a resolution record (see :func:`forecasting.scoring.resolve`); returns it in force.

    ``first_forecast`` is the as-of date of the question's first archived forecast (``None``:
    none archived); a resolution must come after it. A question already resolved is resolved
    again only with ``amend`` (the reason); the earlier records are kept.

    Raises
    ------
    InputError
        An outcome that is not a scenario, a date before the first forecast or in the future,
        a second resolution without ``amend``, a malformed resolution file. Nothing is written.
    """
    where = "resolve"
    previous = load_resolution(question_file, question)
    problems = []
    names = _outcomes(question)
    if (outcome is None) == (annulled is None):
        problems.append(Problem(where, None, "--outcome", "give --outcome or --annulled"))
    if outcome is not None and outcome not in names:
        problems.append(Problem(where, None, "--outcome", _not_a_scenario(outcome, names)))
    today = today or dt.date.today()
    if date > today:
        problems.append(
            Problem(where, None, "--date", f"{date} is in the future (today is {today})")
        )
    if first_forecast is not None and date <= first_forecast:
        problems.append(
            Problem(
                where,
                None,
                "--date",
                f"{date} is not after the question's first archived forecast "
                f"({first_forecast}); a forecast must stand before the outcome is known",
            )
        )
    if previous is not None and amend is None:
        was = previous.outcome or f"annulled ({previous.annulled})"
        problems.append(
            Problem(
                str(previous.path),
                None,
                "records",
                f"the question already resolved on {previous.date}: {was}; to change it, "
                "give --amend with the reason (the earlier record is kept)",
            )
        )
    if previous is None and amend is not None:
        problems.append(
            Problem(where, None, "--amend", "there is no resolution to amend; leave --amend out")
        )
    if problems:
        raise InputError(problems)
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        record = Record(
            outcome=outcome,
            annulled=annulled,
            date=date,
            source=source,
            note=note,
            amends=amend,
            recorded=now,
        )
    except ValidationError as exc:
        raise InputError(
            [Problem(where, None, _flag(e["loc"]), e["msg"]) for e in exc.errors()]
        ) from None
    records = (*(previous.records if previous else ()), record)
    path = resolution_path(question_file)
    write_text_atomic(path, _dump(question.id, records))
    return Resolution(question.id, records, path)


def _outcomes(question: Question) -> list[str]:
    return question.scenario_ids


def _not_a_scenario(name: str, names: list[str]) -> str:
    return f"{name!r} is not a scenario of the question; {one_of(names)}{did_you_mean(name, names)}"


def _flag(loc: tuple) -> str:
    return "--" + str(loc[0]).replace("_", "-") if loc else "--outcome"


def _dump(question_id: str, records: tuple[Record, ...]) -> str:
    head = (
        f"# How question {question_id} resolved, written by `forecast resolve`.\n"
        "# The last record is in force; earlier ones are kept as the history of amendments.\n"
    )
    body = {
        "question": question_id,
        "records": [r.model_dump(mode="json", exclude_none=True) for r in records],
    }
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
