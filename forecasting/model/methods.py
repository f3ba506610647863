"""Which numerical method an integral uses, as a forecast file records it.

A method that changes a stored number (beyond :data:`forecasting.pipeline.verify.TOLERANCE`)
is a setting with a version here: every forecast records the methods it used in its
provenance (``methods``), and ``verify`` reruns an archived forecast with the methods it
recorded (a file written before methods were recorded, December 2026, with
:data:`LEGACY`). So a faster method can become the default without any archived forecast
ceasing to reproduce.

* ``cubature_from``: the number of terms of a categorical indicator's exact polynomial (truth
  mixture) from which, for an indicator of at most
  :data:`~forecasting.core.constants.MAX_CUBATURE_CATEGORIES` categories, the adaptive
  cubature integrates it instead (:mod:`.cubature`). The polynomial's cost grows with its
  terms times the reports: 150 unreliable reports of four categories (1.4 million terms) took
  3.3 s an integral, and ``forecast sensitivity`` refits it for every report's reliability
  (over 10 minutes, not finished); the cubature 0.3-0.7 s an integral, and that sensitivity
  103 s. At 300,000 terms the two cost about the same (0.24 s). Until December 2026 the
  polynomial was used up to 4 million terms (where it still is for more categories).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: The methods of new forecasts.
CURRENT: dict[str, float] = {"cubature_from": 100_000}
#: The methods of forecasts whose files record none (written before December 2026).
LEGACY: dict[str, float] = {"cubature_from": 4_000_000}

_ACTIVE: ContextVar[dict[str, float] | None] = ContextVar("forecasting_methods", default=None)


def active() -> dict[str, float]:
    """The methods in force: :data:`CURRENT` unless :func:`using` says otherwise."""
    return dict(_ACTIVE.get() or CURRENT)


def cubature_from() -> float:
    """Polynomial terms from which the cubature integrates a categorical indicator."""
    return float(active()["cubature_from"])


def problems(recorded: Any) -> list[str]:
    """What is wrong with a file's recorded methods (untrusted input); empty if sound."""
    if recorded is None:
        return []
    if not isinstance(recorded, Mapping):
        return ["provenance methods is not a mapping"]
    out = []
    for key, value in recorded.items():
        if key not in CURRENT:
            out.append(f"provenance methods: unknown method {key!r} (known: {sorted(CURRENT)})")
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 1 <= value <= LEGACY[key]
        ):
            out.append(
                f"provenance methods: {key} is {value!r}; it must be a number from 1 to "
                f"{LEGACY[key]:,.0f}"
            )
    return out


@contextmanager
def using(recorded: Mapping[str, float] | None) -> Iterator[None]:
    """Compute with the methods a file recorded.

    ``None``: :data:`LEGACY`, the methods of files that record none; a method it does not name
    is the legacy one.
    """
    methods = dict(LEGACY) | dict(recorded or {})
    token = _ACTIVE.set(methods)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
