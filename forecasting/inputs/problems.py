"""Pydantic's validation errors as located, readable problems (``file:line: field: message``).

Used by every schema of the package (questions, ledgers): the location is cleaned of pydantic's
union and key markers, a misspelt field is reported once (as unknown, with "did you mean"), and
each message says what was received and what is allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..core.errors import Problem, did_you_mean, one_of
from ..core.schema import short_value, typename
from ..kinds import kind_names
from .safe_yaml import LineMap


def pydantic_problems(
    exc: ValidationError,
    lines: LineMap,
    model: type[BaseModel],
    raw: Any,
    *,
    prefix: tuple = (),
) -> list[Problem]:
    """Convert a pydantic ``ValidationError`` into located, readable :class:`Problem` s.

    ``prefix`` is prepended to every location when ``raw`` is a part of a larger document.
    """
    return [error_problem(err, lines, model, raw, prefix=prefix) for err in relevant_errors(exc)]


def relevant_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """The errors of ``exc`` worth reporting (see :func:`drop_misspelt_missing`)."""
    return drop_misspelt_missing(exc.errors(include_url=False))


def drop_misspelt_missing(errors: list[Any]) -> list[Any]:
    """Leave out "required field missing" where the field is present but misspelt.

    ``lable: X`` is reported once, as an unknown field with "did you mean 'label'?", rather than
    also as a missing ``label``.
    """
    unknown: dict[tuple, list] = {}
    for err in errors:
        if err["type"] == "extra_forbidden" and err["loc"]:
            unknown.setdefault(tuple(err["loc"][:-1]), []).append(err["loc"][-1])
    out = []
    for err in errors:
        if err["type"] == "missing" and err["loc"]:
            name = err["loc"][-1]
            if any(did_you_mean(u, [name]) for u in unknown.get(tuple(err["loc"][:-1]), [])):
                continue
        out.append(err)
    return out


def error_problem(
    err: Mapping[str, Any],
    lines: LineMap,
    model: type[BaseModel],
    raw: Any,
    *,
    prefix: tuple = (),
) -> Problem:
    """Convert one pydantic error (as from ``ValidationError.errors()``) into a Problem."""
    loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
    loc = _clean_loc(loc, raw)
    path = tuple(prefix) + loc
    return lines.problem(path, _message(err, loc, model, raw, lines.text(path)))


def _clean_loc(loc: tuple, raw: Any) -> tuple:
    """Drop pydantic's union-member and dict-key markers from a location."""
    out: list = []
    node = raw
    for part in loc:
        if (
            isinstance(part, str)
            and part in kind_names()
            and isinstance(node, dict)
            and node.get("kind") == part
        ):
            continue  # discriminated-union tag
        if isinstance(part, str) and part == "[key]":
            continue
        out.append(part)
        node = (
            node.get(part)
            if isinstance(node, dict)
            else (
                node[part]
                if isinstance(node, list) and isinstance(part, int) and part < len(node)
                else None
            )
        )
    return tuple(out)


def _fields_at(model: type[BaseModel], loc: tuple, raw: Any) -> list[str] | None:
    """Valid field names of the model found at ``loc`` (for 'did you mean')."""
    current: Any = model
    node = raw
    i = 0
    while i < len(loc):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(loc[i])
        if info is None:
            return None
        annotation = info.annotation
        node = node.get(loc[i]) if isinstance(node, dict) else None
        i += 1
        if get_origin(annotation) is dict:
            if i >= len(loc):
                return None
            node = node.get(loc[i]) if isinstance(node, dict) else None
            i += 1
            annotation = get_args(annotation)[1]
        current = _resolve_model(annotation, node)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _resolve_model(annotation: Any, node: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    members = [m for m in get_args(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    if len(members) == 1:
        return members[0]
    kind = node.get("kind") if isinstance(node, dict) else None
    for m in members:
        tag = m.model_fields.get("kind")
        if tag is not None and get_args(tag.annotation) and get_args(tag.annotation)[0] == kind:
            return m
    return None


_NOUNS = {"scenarios": "scenario", "indicators": "indicator", "categories": "category"}


def _message(
    err: dict, loc: tuple, model: type[BaseModel], raw: Any, written: str | None = None
) -> str:
    kind = err["type"]
    value = err.get("input")
    shown = repr(written) if written is not None else short_value(value)
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        fields = _fields_at(model, loc[:-1], raw) or []
        allowed = f"; allowed here: {', '.join(fields)}" if fields else ""
        return f"unknown field '{name}'{did_you_mean(name, fields)}{allowed}"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_not_found":
        return f"required field 'kind' is missing: give one of {one_of(kind_names())}"
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag")
        names = kind_names()
        return f"kind '{tag}' is not known{did_you_mean(tag, names)}; use {one_of(names)}"
    if kind == "value_error":
        return str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
    if kind == "string_pattern_mismatch" and loc[-1:] in (("id",), ("event",)):
        if hasattr(model, "ID_HELP"):
            what = model.ID_HELP
            if loc[-1] == "event":
                what = what.replace("item id", "event id")
            return f"{value!r} is not a valid {what}"
    if kind == "list_type":
        return (
            "must be a list ([A, B] in YAML and JSON Lines, or in YAML one '- ' line each; "
            f"A;B in a CSV cell), got {shown}"
        )
    if kind == "string_type":
        quote = " (put it in quotes)" if isinstance(value, int | float) else ""
        return f"must be text, got {shown}{quote}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        fields = _fields_at(model, loc, raw)
        what = f" (fields: {', '.join(fields)})" if fields else ""
        return f"must be a mapping{what}, got {typename(value)}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing"):
        return f"must be a number, got {shown}"
    if kind == "date_from_datetime_inexact" or (
        kind.startswith("date_") and isinstance(value, dt.datetime)
    ):
        return f"'{value}' has a time of day; give the date only, as YYYY-MM-DD"
    if kind.startswith(("date_", "datetime_")):
        return f"{shown} is not a date; write it as YYYY-MM-DD (e.g. 2025-10-27)"
    if kind == "too_short" and isinstance(value, dict | list):
        least = err.get("ctx", {}).get("min_length")
        name = loc[-1] if loc else None
        noun = _NOUNS.get(name, "entry") if least == 1 else name if name in _NOUNS else "entries"
        owner = "an indicator" if name == "categories" else "a question"
        return f"{owner} needs at least {least} {noun}; got {len(value)}"
    msg = err["msg"]
    return f"{msg[0].lower()}{msg[1:]}; got {shown}"
