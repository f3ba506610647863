"""Questions and evidence given as objects or paths, resolved once for every entry point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import InputError, Problem
from ..core.schema import as_date
from . import question as questions
from .evidence import (
    Evidence,
    default_evidence_path,
    ledger_shape_problems,
    load_evidence,
)
from .question import QUESTION_ID, Question, QuestionError


def load_inputs(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None,
    *,
    extra: Sequence[str | Path] = (),
) -> tuple[Question, Evidence]:
    """The question and its evidence, with the ``extra`` ledger files' items added.

    They are checked together: every problem of every file is reported at once. A question
    whose parts have their schema but disagree (priors summing to 1.05, a likelihood missing
    for a scenario) still has its evidence checked against it, and the ``extra`` (what-if)
    files theirs against the ledger (:meth:`.Evidence.add`): one :class:`InputError` holds
    the problems of all of them.
    """
    problems: list[Problem] = []
    if isinstance(question, Question):
        q: Question | None = question
    else:
        try:
            q = questions.load_question(question)  # (looked up here: tests replace it)
        except QuestionError as exc:
            problems.extend(exc.problems)
            q = exc.partial
            if q is None:  # what the ledger shows without its question, reported with it
                problems += _ledger_alone(exc, evidence)
    if q is None:
        raise InputError(problems)
    ev: Evidence | None = None
    if isinstance(evidence, Evidence):
        ev = evidence
    else:
        try:
            ev = load_evidence(evidence, q)
        except InputError as exc:
            problems.extend(exc.problems)
    for path in extra:
        path = Path(path)
        if not path.exists():
            problems.append(Problem(str(path), None, "--with", "no such file or directory"))
            continue
        try:
            found = load_evidence(path, q, taken=ev)
            if ev is not None:
                ev = ev.add(found, q, source=str(path))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    assert ev is not None
    return q, ev


def resolve_inputs(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None,
    as_of: dt.date | str | None,
) -> tuple[Question, Evidence, dt.date]:
    """The question, the evidence known on the as-of date, and that date (default today).

    ``question`` is a :class:`Question` or a question file; ``evidence`` an :class:`Evidence`,
    a ledger path, or ``None`` for the question's default folder. Evidence of another question
    is refused.
    """
    question, evidence = load_inputs(question, evidence)
    if evidence.question_id != question.id:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "evidence",
                    f"the evidence is for question '{evidence.question_id}', not '{question.id}'",
                )
            ]
        )
    as_of = dt.date.today() if as_of is None else as_date(as_of, "as_of")
    return question, evidence.as_of(as_of), as_of


def _ledger_alone(exc: QuestionError, evidence: Evidence | str | Path | None) -> list[Problem]:
    """The ledger's problems found without the question (which does not validate)."""
    if isinstance(evidence, Evidence):
        return []
    if evidence is not None:
        return ledger_shape_problems(Path(evidence))
    if exc.question_id is None or not QUESTION_ID.fullmatch(exc.question_id):
        return []
    stand_in = Question.model_construct(id=exc.question_id)
    stand_in._source = exc.source
    return ledger_shape_problems(default_evidence_path(stand_in))
