"""Questions and evidence given as objects or paths, resolved once for every entry point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..core.errors import InputError, Problem
from .evidence import Evidence, load_evidence
from .question import Question, load_question


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
    if not isinstance(question, Question):
        question = load_question(question)
    if not isinstance(evidence, Evidence):
        evidence = load_evidence(evidence, question)
    elif evidence.question_id != question.id:
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
    if as_of is None:
        as_of = dt.date.today()
    elif isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise InputError(
                [Problem(None, None, "as_of", f"'{as_of}' is not a date; use YYYY-MM-DD")]
            ) from None
    elif isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    return question, evidence.as_of(as_of), as_of
