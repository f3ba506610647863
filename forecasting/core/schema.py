"""Building blocks of the file schemas (pydantic): strict numbers, text, dates, bounds.

Numbers are strict everywhere: YAML reads ``yes``/``no``/``on``/``off`` as true/false, and
those must never pass as 1 or 0. The bounds of what a question or a ledger may say (lengths of
text, sizes of numbers) are all here, and listed in the README ("Files").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from .errors import InputError, Problem, escape_invisible

# --- bounds of the inputs ---------------------------------------------------------------------
#: Longest id: of a question, scenario, indicator, ledger item or event.
MAX_ID_CHARS: int = 64
#: Longest one-line text: titles, labels, units, categories, sources, origins, outlets, codes
#: and every name used as a key.
MAX_NAME_CHARS: int = 200
#: Longest free text: the question, descriptions and notes.
MAX_TEXT_CHARS: int = 5_000
#: Longest URL.
MAX_URL_CHARS: int = 2_000
#: Largest count of events in one ledger item.
MAX_COUNT: int = 1_000_000_000
#: Range, in days, of a count indicator's ``per_days`` and of a count item's exposure (its
#: window, or ``exposure * per_days``): a millionth of a day (under 0.1 s) to 2,700 years.
MIN_DAYS, MAX_DAYS = 1e-6, 1e6
#: Largest magnitude of any number in a question, and of any item's value: beyond it doubles
#: no longer hold every whole number, and squares and exponentials overflow.
MAX_MAGNITUDE: float = 1e15

#: Finest spread of a measured (continuous) indicator, as a share of its scale (the largest
#: ``|mean|`` or sd among its scenarios' levels and its noise, and its measurement ``sd``):
#: every sd it states (``sd``, each level's, the noise's) is at least this share of the scale,
#: and an item's value at most ``1 / MIN_SD_SHARE`` measurement sds in magnitude. The closed
#: forms hold terms of size ``(value / sd) ** 2`` that cancel to the answer (at this bound
#: within 1e-7 of a probability), and the quadrature needs spikes wider than about 1e-7 of its
#: grid: finer, a forecast came out silently wrong (0.5 for each scenario, or 0 for one).
MIN_SD_SHARE: float = 1e-5
#: Smallest sd at all of a measured indicator (its inverse square stays a finite double).
MIN_SD: float = 1e-15

#: Range of every shape-like parameter (Gamma shape, Beta alpha and beta, Dirichlet alpha).
#: Beyond it a distribution is in effect a point mass or a spike at the edge, and the engines
#: lose precision.
PARAM_MIN, PARAM_MAX = 1e-15, 1e6
#: The message for a parameter outside ``[PARAM_MIN, PARAM_MAX]``.
EXTREME = (
    f"must lie between {PARAM_MIN:g} and {PARAM_MAX:g}: beyond that the distribution is in "
    "effect a single point, so state less extreme certainty"
)


def _full_match(pattern: re.Pattern[str]):
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise PydanticCustomError(
                "string_pattern_mismatch",
                "String should match pattern '{pattern}'",
                {"pattern": pattern.pattern},
            )
        return value

    return check


def id_text(pattern: re.Pattern[str]) -> Any:
    r"""Text that ``pattern`` matches in full, at most :data:`MAX_ID_CHARS` long.

    In full: ``re.match`` with ``$`` would accept ``'yn\n'`` (``$`` matches before a final line
    break), which later breaks NetCDF names or is silently not a code. Every id of the package
    is checked this way (or with ``fullmatch`` directly), never with ``match`` or ``pattern=``.
    """
    return Annotated[
        str, Field(min_length=1, max_length=MAX_ID_CHARS), AfterValidator(_full_match(pattern))
    ]


FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=True)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
#: A half-life in days (:mod:`forecasting.model.ageing`): more than 0, at most :data:`MAX_DAYS`.
HalfLife = Annotated[float, Field(gt=0, le=MAX_DAYS, allow_inf_nan=False, strict=True)]
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


def as_date(value: Any, field: str) -> dt.date:
    """A date given to the Python API: a ``date``, a ``datetime`` (its day) or ISO text.

    Raises
    ------
    InputError
        Naming ``field``, for anything else (a number, a numpy or pandas date, malformed text).
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
        shown = escape_invisible(value[:40])
        raise InputError([Problem(None, None, field, f"'{shown}' is not a date; use YYYY-MM-DD")])
    raise InputError(
        [
            Problem(
                None,
                None,
                field,
                f"must be a date (datetime.date or 'YYYY-MM-DD'), got {type(value).__name__}",
            )
        ]
    )


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


def number_text(value: Any) -> str:
    """A number for a message, however large (``repr`` refuses ints of over 4,300 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        digits = int(value.bit_length() * 0.30103) + 1
        return f"a number of about {digits:,} digits"
    return repr(value)


def _plain(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return _Shown(number_text(value))
    if isinstance(value, str) and len(value) > 200:
        return value[:200]  # shown up to 60 characters: never copy a long text whole
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _Shown(str):
    """Text shown as it is (``repr`` without quotes)."""

    def __repr__(self) -> str:
        return str(self)
