r"""What the text of a file, and every value read from it, may hold.

Two checks, the same for every format (YAML, JSON Lines, CSV) and for data given in Python:

* :func:`character_problems`, on a file's text before any reader sees it: characters that a
  reader takes for a line break but an editor, ``grep`` or ``wc -l`` does not (U+2028, U+2029,
  U+0085, a lone carriage return, the vertical tab and form feed...), and every other control
  character but the tab. ``note: confirmed<U+2028>  reliability: 0`` is one line on screen; to
  YAML it is a second field. Refused, each with its line and column, so that what the analyst
  sees is what every reader reads.
* :func:`value_problems`, on the parsed data: control characters and hidden line breaks in any
  text (free text may keep line breaks and tabs), invisible characters (zero-width, direction
  marks, other spaces than the plain one) in ids, names and keys, where ``'a'`` and
  ``'a\u200b'`` would differ unseen; the length of every text and key, and the magnitude of
  every number (:mod:`forecasting.core.schema` holds the bounds).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING, Any

from ..core.errors import Problem, describe_char, invisible
from ..core.schema import (
    MAX_ID_CHARS,
    MAX_MAGNITUDE,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
    is_number,
    number_text,
)

if TYPE_CHECKING:
    from .safe_yaml import LineMap

#: Most problems reported for the characters of one file (the rest are counted).
MAX_REPORTED: int = 20

#: Characters a file may not hold: every control character but tab, line feed and a carriage
#: return that ends a line (CRLF), and the Unicode line and paragraph separators.
_BAD_RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]|\r(?!\n)")
#: Characters that some reader of the package takes for a line break (YAML: U+0085, U+2028,
#: U+2029 and a lone CR; Python's ``splitlines``, used for JSON Lines, also VT, FF, FS, GS, RS).
_HIDDEN_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\r")

#: Fields of free text: line breaks and tabs allowed, at most MAX_TEXT_CHARS.
FREE_TEXT = frozenset({"description", "question", "note"})
#: Fields shown as they are, on one line (invisible characters such as a zero-width non-joiner
#: may be part of the writing); every other text is a name, compared as written.
DISPLAY_TEXT = frozenset({"title", "label", "unit", "url"})
#: Fields holding ids, and the mappings whose keys are ids.
ID_FIELDS = frozenset({"id", "event"})
ID_KEYS = frozenset({"scenarios", "indicators"})
#: Fields (and mappings of keys) checked in full elsewhere, against a closed list: Admiralty
#: codes, whose own message says what is allowed (and where a code's surrounding spaces are
#: dropped, as its case is ignored).
CLOSED_LISTS = frozenset({"reliability", "reliability_codes"})


def character_problems(text: str, source: str | None) -> list[Problem]:
    """Characters of a file's text that no file may hold (see the module's docstring)."""
    found = list(_first(_BAD_RAW.finditer(text), MAX_REPORTED + 1))
    if not found:
        return []
    problems = []
    for match in found[:MAX_REPORTED]:
        at = match.start()
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        problems.append(Problem(source, line, "", f"column {column}: {_raw_message(text[at])}"))
    if len(found) > MAX_REPORTED:
        rest = sum(1 for _ in _BAD_RAW.finditer(text)) - MAX_REPORTED
        problems.append(
            Problem(source, problems[-1].line, "", f"and {rest:,} more such characters")
        )
    return problems


def _first(matches: Iterator[re.Match[str]], n: int) -> Iterator[re.Match[str]]:
    for k, m in enumerate(matches):
        if k >= n:
            return
        yield m


def _raw_message(ch: str) -> str:
    if ch == "\x00":
        return "file contains a NUL character; is it binary?"
    if ch == "\r":
        return (
            "a hidden line break (\\r CARRIAGE RETURN, not followed by a line feed: old Mac "
            "line endings): readers would start a new line here that editors, grep and line "
            "numbers may not show; save the file with LF or CRLF line endings"
        )
    if ch in _HIDDEN_BREAKS:
        return (
            f"a hidden line break ({describe_char(ch)}): a reader would start a new line "
            "here, but editors, grep and line numbers show none, so what is read would not be "
            "what is seen; delete it or write a plain line break"
        )
    return (
        f"a control character ({describe_char(ch)}) that editors do not show; delete it "
        "(files hold text: tab, line breaks and printable characters)"
    )


Path_ = tuple[Hashable, ...]


def value_problems(
    data: Any, lines: LineMap, prefix: Path_ = (), *, numbers: bool = True
) -> list[Problem]:
    """Problems of the text (and, if ``numbers``, the numbers) of parsed data.

    ``data`` is a question or one ledger item; ``prefix`` its path within its file (an item's
    index in a ledger). An item's numbers are bounded by what they mean, once its indicator's
    kind has read them (:mod:`.item_bounds`).
    """
    problems: list[Problem] = []
    stack: list[tuple[Any, Path_]] = [(data, tuple(prefix))]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and not (path and path[-1] in CLOSED_LISTS):
                    kind = "id" if len(path) == 1 and path[0] in ID_KEYS else "key"
                    message = None if key in _PLAIN_KEYS else text_problem(key, kind)
                    if message:
                        problems.append(lines.problem(path + (key,), message))
                        continue
                # most leaves pass every rule: skip the walk for them (100,000 items: 5 s -> 2 s)
                if (
                    type(value) is str
                    and len(value) <= _SHORTEST
                    and value.isascii()
                    and value.isprintable()
                ) or (not numbers and (value is None or type(value) in _SCALARS)):
                    continue
                stack.append((value, path + (key,)))
        elif isinstance(node, list | tuple):
            stack.extend((v, path + (i,)) for i, v in enumerate(node))
        elif isinstance(node, str):
            kind = _text_kind(path)
            message = text_problem(node, kind) if kind else None
            if message:
                problems.append(lines.problem(path, message))
        elif numbers and is_number(node) and _too_large(node):
            problems.append(lines.problem(path, number_problem(node)))
    return problems


_SCALARS = (int, float, bool)


#: Keys that every rule of :func:`text_problem` accepts (short, printable ASCII): the fields.
_PLAIN_KEYS = frozenset(
    "id indicator value date source reliability origin via event exposure window occurred "
    "note url".split()
)


def _text_kind(path: Path_) -> str | None:
    name = next((p for p in reversed(path) if isinstance(p, str)), None)
    if name in CLOSED_LISTS:
        return None
    if name in FREE_TEXT:
        return "free"
    if name in DISPLAY_TEXT:
        return "url" if name == "url" else "display"
    if name in ID_FIELDS:
        return "id"
    if name == "value":
        return "value"
    return "name"


_LIMITS = {
    "free": (MAX_TEXT_CHARS, "free text (question, description, note)"),
    "display": (MAX_NAME_CHARS, "a title, label or unit"),
    "url": (MAX_URL_CHARS, "a URL"),
    "id": (MAX_ID_CHARS, "an id"),
    "key": (MAX_NAME_CHARS, "a name"),
    "name": (MAX_NAME_CHARS, "a name, source or code"),
    # an item's value: a category, or a number as CSV writes it (bounded by what it means)
    "value": (MAX_TEXT_CHARS, "a value"),
}


_SHORTEST = min(limit for limit, _ in _LIMITS.values())


def text_problem(text: str, kind: str) -> str | None:
    """Why ``text`` cannot be a value of this kind of field (``None`` if it can).

    ``kind`` is ``"free"`` (line breaks and tabs allowed), ``"display"`` or ``"url"`` (one line,
    shown as written), or ``"id"``, ``"key"``, ``"name"`` or ``"value"`` (one line, compared as
    written, so no invisible characters).
    """
    limit, what = _LIMITS[kind]
    if len(text) > limit:
        hint = "; put longer text in a 'note' or 'description'" if kind != "free" else ""
        return f"is {len(text):,} characters long; {what} may have at most {limit:,}{hint}"
    if text.isascii() and text.isprintable():
        return None
    for at, ch in enumerate(text):
        if not invisible(ch):
            continue
        where = f"at character {at + 1}"
        if ch in _HIDDEN_BREAKS or ch in "\u2028\u2029":
            return (
                f"holds a hidden line break ({describe_char(ch)}) {where}, which editors and "
                "grep do not show; delete it"
            )
        if ch in "\n\t":
            if kind == "free":
                continue
            fold = " (in YAML, '>-' folds lines without a final line break)"
            return (
                f"holds a {'line break' if ch == chr(10) else 'tab'} ({describe_char(ch)}) "
                f"{where}; {what} is one line{fold if kind == 'display' else ''}"
            )
        if _control(ch):
            return f"holds a control character ({describe_char(ch)}) {where}; delete it"
        if kind in ("id", "key", "name", "value") and unicodedata.category(ch) in ("Cf", "Zs"):
            return (
                f"holds an invisible character ({describe_char(ch)}) {where}: names are "
                "compared as written, so this one would differ unseen from the same name "
                "without it; delete it (or write a plain space)"
            )
    return None


def _control(ch: str) -> bool:
    r"""A control character or a surrogate (half of a JSON ``\ud83d\ude00`` pair, alone).

    What no text may hold, wherever it is shown.
    """
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF


def _too_large(value: float | int) -> bool:
    if isinstance(value, int):  # exact: math.isfinite of a 400-digit int overflows
        return abs(value) > MAX_MAGNITUDE
    return math.isfinite(value) and abs(value) > MAX_MAGNITUDE


def number_problem(value: float | int) -> str:
    """The message for a number beyond :data:`MAX_MAGNITUDE`."""
    shown = number_text(value) if isinstance(value, int) else f"{value:.4g}"
    return (
        f"{shown} is too large: numbers in these files are at most {MAX_MAGNITUDE:.0e} in "
        "magnitude (choose a larger unit)"
    )
