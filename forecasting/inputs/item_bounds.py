"""Bounds of a ledger item's value and window, whatever its kind and format.

Checked after the indicator's kind has read the item (:mod:`forecasting.kinds`), so that the
same bounds hold for YAML, JSON Lines and CSV ledgers and for items given in Python. The
bounds themselves are in :mod:`forecasting.core.schema`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ..core.schema import (
    MAX_COUNT,
    MAX_DAYS,
    MAX_MAGNITUDE,
    MIN_DAYS,
    MIN_SD_SHARE,
    is_number,
    number_text,
)
from ..kinds.base import ItemValue
from .text_rules import number_problem


def bound_problems(
    parsed: ItemValue, date: dt.date, indicator: Any, *, by_date: bool = True
) -> list[tuple[tuple, str]]:
    """``(field path, message)`` for each bound the item's value or window breaks.

    A value observed over a window or an exposure (a count) is at most :data:`MAX_COUNT`; any
    other number at most :data:`MAX_MAGNITUDE` in magnitude, and a measured one (an indicator
    with a measurement ``sd``) at most ``1 / MIN_SD_SHARE`` sds. The exposure, in days, lies in
    ``[MIN_DAYS, MAX_DAYS]``. If ``by_date``, a window ends on the item's date at the latest:
    a report cannot count what had not happened when it was made (the end is exclusive, so a
    window that covers the day before the report ends on the report's date); a window in the
    future would otherwise count as days without events.
    """
    out: list[tuple[tuple, str]] = []
    value = parsed.value
    counted = parsed.exposure is not None
    if counted and isinstance(value, int) and value > MAX_COUNT:
        shown = f"{value:,}" if value.bit_length() <= 64 else number_text(value)
        out.append(
            (
                ("value",),
                f"the count ({shown}) is more than one item may hold ({MAX_COUNT:,} events): "
                "split it over several items, or count in larger units",
            )
        )
    elif is_number(value) and not isinstance(value, int) and math.isfinite(value):
        if abs(value) > MAX_MAGNITUDE:
            out.append((("value",), number_problem(value)))
    elif is_number(value) and abs(value) > MAX_MAGNITUDE:
        out.append((("value",), number_problem(value)))
    # its fields, not getattr: a pydantic model's missing attribute costs 7 us (100,000 items)
    fields = getattr(indicator, "__dict__", {})
    sd = fields.get("sd")
    if (
        not out
        and not counted
        and is_number(value)
        and is_number(sd)
        and sd > 0
        and abs(value) * MIN_SD_SHARE > sd
    ):
        out.append((("value",), _too_many_sds(float(value), float(sd))))
    if counted:
        days = parsed.exposure * float(fields.get("per_days", 1.0))
        field = ("window",) if parsed.window is not None else ("exposure",)
        if not MIN_DAYS <= days <= MAX_DAYS:
            out.append(
                (
                    field,
                    f"covers {days:.4g} days; a count covers between {MIN_DAYS:g} and "
                    f"{MAX_DAYS:g} days (exposure is in units of per_days)",
                )
            )
    if by_date and parsed.window is not None and parsed.window[1] > date:
        start, end = parsed.window
        out.append(
            (
                ("window",),
                f"the window [{start}, {end}] ends after the item's date ({date}): a report "
                "can only count what had happened when it was made. The end is exclusive: a "
                f"window up to the day before the report ends on its date, [{start}, {date}]"
                if start < date
                else f"the window [{start}, {end}] ends after the item's date ({date}): a "
                "report can only count what had happened when it was made (is the window or "
                "the date wrong?)",
            )
        )
    return out


def _too_many_sds(value: float, sd: float) -> str:
    """The message for a measured value beyond ``1 / MIN_SD_SHARE`` sds of its indicator."""
    return (
        f"{value:.6g} is {abs(value) / sd:.3g} times its indicator's sd ({sd:g}) in magnitude; a "
        f"measured value is at most {1 / MIN_SD_SHARE:,.0f} sds (beyond that double-precision "
        "arithmetic cannot tell its scatter apart and the forecast would be wrong): is the value "
        "or its unit wrong, or the indicator's sd too small?"
    )
