"""Safe YAML reading that remembers where every value came from.

Only plain data is accepted: mappings, sequences, strings, numbers, booleans, null and dates.
Tags that would construct objects are refused, alias expansion is bounded ("billion laughs"),
files must be UTF-8 and below a size limit. Every value's line is kept so that validation
errors can name ``file:line``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import InputError, Problem
from ..core.schema import number_text
from .text_rules import character_problems

#: Largest file accepted (bytes).
MAX_FILE_BYTES: int = 128 * 1024 * 1024
#: Largest number of values a document may expand to through aliases, as a multiple of the
#: number of values written in it (and never below ``MIN_EXPANSION_BUDGET``).
MAX_ALIAS_EXPANSION: int = 10
MIN_EXPANSION_BUDGET: int = 100_000
#: Deepest nesting accepted.
MAX_DEPTH: int = 64

_RECURSIVE = "an alias refers to a value that contains it (a recursive structure)"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("null", "bool", "int", "float", "str", "timestamp")}
_MAP_TAG = _TAG + "map"
_SEQ_TAG = _TAG + "seq"
#: Scalars whose text is kept: YAML reads ``yes``, ``no``, ``on``, ``off`` as true/false.
_TEXT_KEPT = {_TAG + "bool"}
#: Numbers such as ``1e-3`` or ``2.5e3``: floats in YAML 1.2, but text to PyYAML (YAML 1.1 wants
#: a dot and a signed exponent). Unquoted, they are read as numbers.
_EXPONENT_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)[eE][-+]?[0-9]+")
#: Numbers as written in plain decimal. YAML 1.1 also reads ``010`` as 8 (octal), ``0x1F`` as
#: 31, ``0b11`` as 3, ``1:30`` as 90 (base 60) and ``1_000`` as 1000: refused unquoted.
_PLAIN_NUMBER = {
    _TAG + "int": re.compile(r"[-+]?(?:0|[1-9][0-9]*)"),
    _TAG + "float": re.compile(
        r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    ),
}

Path_ = tuple[Hashable, ...]


class LineMap:
    """Lines (1-based) of the values of one YAML document, keyed by their path."""

    def __init__(
        self,
        source: str | None,
        lines: dict[Path_, int] | None = None,
        texts: dict[Path_, str] | None = None,
    ):
        self.source = source
        self._lines: dict[Path_, int] = lines if lines is not None else {}
        self._texts: dict[Path_, str] = texts if texts is not None else {}

    def line(self, path: Path_) -> int | None:
        """Line of the value at ``path``, or of its closest enclosing value."""
        path = tuple(path)
        while True:
            if path in self._lines:
                return self._lines[path]
            if not path:
                return None
            path = path[:-1]

    def text(self, path: Path_) -> str | None:
        """The text as written of the true/false value at ``path`` (e.g. ``yes``), if known."""
        return self._texts.get(tuple(path))

    def problem(self, path: Path_, message: str) -> Problem:
        """Make a :class:`Problem` located at ``path``."""
        return Problem(self.source, self.line(path), format_path(path), message)


def format_path(path: Path_) -> str:
    """Format a path as a field name: ``indicators.joint_operations.rate.accession``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def read_text(path: Path) -> str:
    """Read a file as UTF-8 text, or raise :class:`InputError` saying why not.

    Only regular files are read: a device such as ``/dev/zero`` has no size to check and never
    ends, and a FIFO would block. The file is opened without waiting (a FIFO opens at once) and
    its kind checked on what was opened, not on the name (which may have changed meanwhile);
    never more than :data:`MAX_FILE_BYTES` are read, whatever the file system says its size is.
    """
    name = str(path)

    def refuse(message: str) -> InputError:
        return InputError([Problem(name, None, "", message)])

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise refuse(f"cannot read the file: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise refuse("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise refuse(
                "not a regular file (a device, pipe or socket); give a file or a folder "
                "of ledger files"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise refuse(
                f"file is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}. "
                "Split the ledger into several files."
            )
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):  # in pieces: read(limit) would allocate the limit
            total += len(chunk)
            if total > MAX_FILE_BYTES:  # it grew, or its size was not what it said
                raise refuse(f"file is over the limit of {MAX_FILE_BYTES:,} bytes")
            chunks.append(chunk)
    except OSError as exc:
        raise refuse(f"cannot read the file: {exc.strerror}") from None
    finally:
        os.close(fd)
    return decode(b"".join(chunks), name)


def decode(data: bytes, source: str | None) -> str:
    """Decode UTF-8 (with or without a byte-order mark), naming the line of a bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            [
                Problem(
                    source,
                    line,
                    "",
                    f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start}); save it as UTF-8",
                )
            ]
        ) from None
    problems = character_problems(text, source)
    if problems:
        raise InputError(problems)
    return text


def parse(text: str, source: str | None) -> tuple[Any, LineMap]:
    """Parse one YAML document into plain Python data and its :class:`LineMap`."""
    problems = character_problems(text, source)  # done by decode for files; text may be given
    if problems:
        raise InputError(problems)
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        line, message = _syntax_message(exc, text)
        raise InputError([Problem(source, line, "", message)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(source, None, "", f"malformed YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        return None, LineMap(source)
    return _Builder(source).build(node)


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """Line and message of a YAML syntax error.

    The line is where the parser stopped, except for an unclosed quote or bracket, where it is
    the line that opened it (the parser only notices at the next line or the end of the file).
    """
    problem, context = exc.problem_mark, exc.context_mark
    what = exc.problem or "invalid syntax"
    unclosed = bool(exc.context) and exc.context.startswith(
        ("while scanning a quoted scalar", "while parsing a flow")
    )
    mark = context if unclosed and context is not None else (problem or context)
    line = mark.line + 1 if mark is not None else None
    if unclosed and context is not None:
        what += f" ({exc.context} that starts here; is a closing quote or bracket missing?)"
    elif exc.context and context is not None and line != context.line + 1:
        what += f" ({exc.context} that starts on line {context.line + 1})"
    elif exc.context:
        what = f"{exc.context}: {what}"
    if problem is not None:
        lines = text.splitlines()
        if problem.line < len(lines) and "\t" in lines[problem.line][: problem.column + 1]:
            what += "; YAML cannot be indented with tabs, use spaces"
    return line, f"malformed YAML: {what}"


def load(path: Path) -> tuple[Any, LineMap]:
    """Read and parse one YAML file."""
    return parse(read_text(path), str(path))


class _Builder:
    def __init__(self, source: str | None):
        self.source = source
        self.lines: dict[Path_, int] = {}
        self.texts: dict[Path_, str] = {}
        self.problems: list[Problem] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, root: yaml.Node) -> tuple[Any, LineMap]:
        distinct, expanded = self._count(root)
        budget = max(MIN_EXPANSION_BUDGET, MAX_ALIAS_EXPANSION * distinct)
        if expanded > budget:
            raise InputError(
                [
                    Problem(
                        self.source,
                        root.start_mark.line + 1,
                        "",
                        f"aliases expand {distinct:,} written values to {expanded:,}; "
                        f"at most {budget:,} are allowed (is this a 'billion laughs' file?)",
                    )
                ]
            )
        value = self._value(root, (), 0)
        if self.problems:
            raise InputError(self.problems)
        return value, LineMap(self.source, self.lines, self.texts)

    def _count(self, root: yaml.Node) -> tuple[int, int]:
        """Number of distinct nodes, and the number after alias expansion (memoised)."""
        sizes: dict[int, int] = {}
        in_progress: set[int] = set()
        stack: list[tuple[yaml.Node, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            key = id(node)
            if expanded:
                in_progress.discard(key)
                sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
                continue
            if key in sizes:
                continue
            if key in in_progress:
                raise InputError(
                    [
                        Problem(
                            self.source,
                            node.start_mark.line + 1,
                            "",
                            _RECURSIVE,
                        )
                    ]
                )
            in_progress.add(key)
            stack.append((node, True))
            for child in _children(node):
                if id(child) in in_progress:
                    raise InputError(
                        [
                            Problem(
                                self.source,
                                child.start_mark.line + 1,
                                "",
                                _RECURSIVE,
                            )
                        ]
                    )
                if id(child) not in sizes:
                    stack.append((child, False))
        return len(sizes), sizes[id(root)]

    def _fail(self, node: yaml.Node, path: Path_, message: str) -> None:
        self.problems.append(
            Problem(self.source, node.start_mark.line + 1, format_path(path), message)
        )

    def _value(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            self._fail(node, path, f"nesting deeper than {MAX_DEPTH} levels")
            return None
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                self._fail(node, path, _tag_message(node.tag))
                return None
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _TAG + "merge":
                    self._fail(
                        key_node, path, "merge keys ('<<') are not supported; write the keys out"
                    )
                    continue
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                    self._fail(key_node, path, "mapping keys must be plain names")
                    continue
                key = key_node.value
                if key in out:
                    self._fail(key_node, path + (key,), f"key '{key}' appears twice")
                    continue
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                out[key] = self._value(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                self._fail(node, path, _tag_message(node.tag))
                return None
            return [self._value(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            self._fail(node, path, _tag_message(node.tag))
            return None
        try:
            value = _construct_scalar(self._constructor, node)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            kind = node.tag.removeprefix(_TAG)
            written = _excerpt(node.value)
            if "integer string conversion" in str(exc):
                self._fail(
                    node,
                    path,
                    f"{written} is a number of {len(node.value):,} digits; numbers in these "
                    "files are plain decimals of at most 15 digits or so",
                )
            elif kind == "timestamp":
                self._fail(node, path, f"{written} is not a valid date ({exc}); use YYYY-MM-DD")
            else:
                self._fail(node, path, f"{written} is not a valid {kind}: {exc}")
            return None
        plain = _PLAIN_NUMBER.get(node.tag)
        if plain is not None and not node.style and not plain.fullmatch(node.value):
            self._fail(
                node,
                path,
                f"{_excerpt(node.value)} is a YAML 1.1 number form (octal, hexadecimal, binary, "
                f"base 60 or with '_') that would be read as {number_text(value)}: "
                f"{_decimal_hint(node.value, value)}, or quote it if it is text",
            )
            return None
        if node.tag in _TEXT_KEPT:
            self.texts[path] = node.value
        return value


def _construct_scalar(constructor: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> Any:
    """The Python value of a scalar node (both parsing paths use this one function)."""
    value = constructor.construct_object(node, deep=True)
    if not node.style and isinstance(value, str) and _EXPONENT_FLOAT.fullmatch(value):
        value = float(value.replace("_", ""))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return value


def _excerpt(text: str, limit: int = 60) -> str:
    """Text as written, quoted, cut to ``limit`` characters."""
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 3]}...'"


def _decimal_hint(written: str, value: Any) -> str:
    """What to write instead: ``write 10`` for ``010``, ``write 31`` for ``0x1F``."""
    plain = written.replace("_", "")
    if _PLAIN_NUMBER[_TAG + "float"].fullmatch(plain) and len(plain) <= 30:
        # leading zeros (010) or digits grouped with '_': the decimal the writer most likely meant
        sign = plain[0] if plain[0] in "+-" else ""
        digits = plain.lstrip("+-").lstrip("0") or "0"
        if digits.startswith("."):
            digits = "0" + digits
        return f"write the plain decimal {sign}{digits}"
    if isinstance(value, int | float) and abs(value) < 1e15:
        return f"write it as a plain decimal number ({value:g} if that is what is meant)"
    return "write it as a plain decimal number (e.g. 10, 1.5, 2e-3)"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _tag_message(tag: str) -> str:
    if tag.startswith(_TAG):
        tag = "!!" + tag.removeprefix(_TAG)
    return (
        f"YAML tag '{tag}' is not allowed: files hold plain data only "
        "(mappings, lists, text, numbers, true/false, dates)"
    )
