"""The library's few exception and warning classes.

Every input problem is a :class:`Problem` with file, line, field and a message that says what
was received, what is allowed and, where possible, what was probably meant. All problems of one
input are collected and raised together as one :class:`InputError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class ForecastingWarning(UserWarning):
    """Something the analyst should know about that does not stop the forecast."""


class ForecastingError(Exception):
    """Base class of the library's errors."""


@dataclass(frozen=True)
class Problem:
    """One problem with an input, located as precisely as the input allows."""

    file: str | None
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        field = self.field or "(file)"
        return f"{where}: {field}: {self.message}"

    def to_dict(self) -> dict[str, str | int | None]:
        """Return the problem as a JSON-ready mapping."""
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class InputError(ForecastingError, ValueError):
    """Invalid input: a question file, an evidence file or an argument.

    Parameters
    ----------
    problems
        Every problem found, in file and line order.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(_sorted_unique(problems))
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ModelError(ForecastingError):
    """The requested computation cannot be done for this model (e.g. an engine limitation)."""


def _sorted_unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    out: list[Problem] = []
    for p in problems:
        key = (p.file, p.line, p.field, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    out.sort(key=lambda p: (p.file or "", p.line if p.line is not None else -1))
    return out


def did_you_mean(name: object, valid: Sequence[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest valid name, or ``""``."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    if not close:
        close = [v for v in valid if v.lower() == name.lower()]
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_of(valid: Sequence[str]) -> str:
    """Format the allowed names for a message: ``'a', 'b' or 'c'``."""
    quoted = [f"'{v}'" for v in valid]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]
