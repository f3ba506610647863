"""Building blocks of the file schemas (pydantic): strict numbers, text, dates, bounds.

Numbers are strict everywhere: YAML reads ``yes``/``no``/``on``/``off`` as true/false, and
those must never pass as 1 or 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

#: Range of every shape-like parameter (Gamma shape, Beta alpha and beta, Dirichlet alpha).
#: Beyond it a distribution is in effect a point mass or a spike at the edge, and the engines
#: lose precision.
PARAM_MIN, PARAM_MAX = 1e-15, 1e6
#: The message for a parameter outside ``[PARAM_MIN, PARAM_MAX]``.
EXTREME = (
    f"must lie between {PARAM_MIN:g} and {PARAM_MAX:g}: beyond that the distribution is in "
    "effect a single point, so state less extreme certainty"
)

FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=True)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
UnitFloat = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
OpenUnitFloat = Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False, strict=True)]
Text = Annotated[str, Field(min_length=1)]


def _date_input(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD (e.g. 2025-10-27)")
    return value


#: A calendar date: a YAML date, a ``datetime.date`` or ISO text (never a number).
Date = Annotated[dt.date, BeforeValidator(_date_input)]


class Spec(BaseModel):
    """Base of every file schema: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


def which_form(model: BaseModel, forms: dict[str, tuple[str, ...]]) -> str:
    """Which of several alternative sets of keys a mapping used (``mass`` is optional).

    Raises ``ValueError`` naming every form when the keys given match none of them.
    """
    given = {k for k in type(model).model_fields if getattr(model, k) is not None}
    for name, keys in forms.items():
        required = {k for k in keys if k != "mass"}
        if required <= given <= set(keys):
            return name
    wanted = "; ".join("{" + ", ".join(k for k in keys) + "}" for keys in forms.values())
    got = "{" + ", ".join(sorted(given)) + "}" if given else "nothing"
    raise ValueError(f"give exactly one of the forms {wanted}; got {got}")


def is_number(v: Any) -> bool:
    """A real number as YAML gives it (``int`` or ``float``, never ``bool``)."""
    return isinstance(v, int | float) and not isinstance(v, bool)


def typename(v: Any) -> str:
    """How a value's type reads in a message: ``a mapping``, ``text``, ``true/false``..."""
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "nothing",
    }.get(type(v), type(v).__name__)


def short_value(value: Any) -> str:
    """A received value for a message: dates as YYYY-MM-DD, at most 60 characters."""
    if value is None:
        return "nothing"
    text = repr(_plain(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
