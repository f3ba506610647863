"""The library's few exception and warning classes.

Every input problem is a :class:`Problem` with file, line, field and a message that says what
was received, what is allowed and, where possible, what was probably meant. All problems of one
input are collected and raised together as one :class:`InputError`.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Longest message or field name shown; a longer one keeps its start and its end (what is
#: allowed), so that a 100,000-character value quoted in a message cannot flood the terminal.
MAX_MESSAGE_CHARS: int = 1_000


class ForecastingWarning(UserWarning):
    """Something the analyst should know about that does not stop the forecast."""


class LikelyCopyWarning(ForecastingWarning):
    """Ledger items that look like one report, or one observation, counted twice.

    A guess from the items alone (:func:`~forecasting.inputs.cross_checks.likely_copies`):
    each may be a report of its own, so it is said, never refused.
    """


class ForecastingError(Exception):
    """Base class of the library's errors."""


@dataclass(frozen=True)
class Problem:
    """One problem with an input, located as precisely as the input allows."""

    file: str | None
    line: int | None
    field: str
    message: str

    def __post_init__(self) -> None:
        # what an editor does not show (a zero-width space, a control character, a hidden
        # line break) is shown escaped, in every message, whoever wrote it
        for name in ("file", "field", "message"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, _shorten(escape_invisible(value)))

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


def invisible(ch: str) -> bool:
    """Whether a character shows nothing (or not itself) in an editor or a terminal.

    Control characters (line breaks and tabs included), the line and paragraph separators,
    format characters (zero-width spaces and joiners, direction marks, the byte-order mark),
    spaces other than the plain space, surrogates, private-use and unassigned code points.
    """
    if " " < ch < "\x7f":
        return False
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp") or (category == "Zs" and ch != " ")


def escape_invisible(text: str) -> str:
    r"""``text`` with every :func:`invisible` character written as an escape (``\u200b``)."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(escape_char(ch) if invisible(ch) else ch for ch in text)


def escape_char(ch: str) -> str:
    r"""One character as Python writes it in a string literal: ``\n``, ``\x85``, ``\u2028``."""
    return ch.encode("unicode_escape", "backslashreplace").decode("ascii")


#: Names of the control characters (Unicode gives them none).
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\x0b": "VERTICAL TAB",
    "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x1c": "FILE SEPARATOR",
    "\x1d": "GROUP SEPARATOR",
    "\x1e": "RECORD SEPARATOR",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}


def describe_char(ch: str) -> str:
    r"""A character for a message: its escape and its name, ``\u200b ZERO WIDTH SPACE``."""
    name = _CONTROL_NAMES.get(ch) or unicodedata.name(ch, "")
    return f"{escape_char(ch)} {name}" if name else escape_char(ch)


def _shorten(text: str) -> str:
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    head, tail = MAX_MESSAGE_CHARS * 2 // 3, MAX_MESSAGE_CHARS // 4
    left = len(text) - head - tail
    return f"{text[:head]} [... {left:,} characters left out ...] {text[-tail:]}"


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
