"""Source reliability: Admiralty (NATO) codes and the weight ``w`` they give an evidence item.

An item of reliability ``w`` contributes ``w * log f(y | theta)``: ``w = 0`` is no evidence,
``w = 1`` a confirmed observation. An Admiralty code pairs the reliability of the *source*
(A-F) with the credibility of the *information* (1-6). By default the weight is the product of
the two columns below, so ``A1 = 1``, ``B2 = 0.64``, ``C3 = 0.36``; "cannot be judged" (F, 6) is
neutral, 0.5. A question may override any letter, digit or whole code with ``reliability_codes:``.

====== ======================== ====== ======================== ======
source                          weight information              weight
====== ======================== ====== ======================== ======
A      completely reliable      1.0    1 confirmed              1.0
B      usually reliable         0.8    2 probably true          0.8
C      fairly reliable          0.6    3 possibly true          0.6
D      not usually reliable     0.4    4 doubtful               0.4
E      unreliable               0.2    5 improbable             0.2
F      cannot be judged         0.5    6 cannot be judged       0.5
====== ======================== ====== ======================== ======
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..core.errors import escape_invisible

DEFAULT_SOURCE: dict[str, float] = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
DEFAULT_INFORMATION: dict[str, float] = {
    "1": 1.0,
    "2": 0.8,
    "3": 0.6,
    "4": 0.4,
    "5": 0.2,
    "6": 0.5,
}
SOURCE_MEANING = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
INFORMATION_MEANING = {
    "1": "confirmed by other sources",
    "2": "probably true",
    "3": "possibly true",
    "4": "doubtful",
    "5": "improbable",
    "6": "truth cannot be judged",
}
CODE = re.compile(r"^[A-F][1-6]$")


def check_code_table(key: object) -> str | None:
    """Return a message if ``key`` cannot be a key of ``reliability_codes``, else ``None``."""
    if _is_key(key):
        return None
    hint = ""
    if isinstance(key, str) and _is_key(key.strip().upper()):
        hint = f" (did you mean '{key.strip().upper()}'?)"
    return (
        f"'{key}' is not an Admiralty key{hint}: use a source letter A-F, an information digit "
        "1-6, or a whole code such as 'B2'"
    )


def _is_key(key: object) -> bool:
    return isinstance(key, str) and bool(
        key in DEFAULT_SOURCE or key in DEFAULT_INFORMATION or CODE.fullmatch(key)
    )


def code_weight(code: str, overrides: Mapping[str, float] | None = None) -> float:
    """Weight of an Admiralty code such as ``"B2"``.

    Raises
    ------
    ValueError
        If ``code`` is not a letter A-F followed by a digit 1-6.
    """
    given, code = code, code.strip().upper()
    if not CODE.fullmatch(code):
        raise ValueError(
            f"'{escape_invisible(given.strip()[:20])}' is not an Admiralty code: a source "
            "letter A-F then an information digit 1-6, e.g. 'B2'; or give a number between 0 "
            "and 1"
        )
    overrides = overrides or {}
    if code in overrides:
        return float(overrides[code])
    source = overrides.get(code[0], DEFAULT_SOURCE[code[0]])
    information = overrides.get(code[1], DEFAULT_INFORMATION[code[1]])
    return float(source) * float(information)


def code_parts(code: str, overrides: Mapping[str, float] | None = None) -> tuple[float, float]:
    """A code as ``(origin reliability, credibility)``: the letter's and the digit's values.

    Their product is :func:`code_weight`; where a whole code is overridden, the letter keeps
    its value and the credibility is what makes the product the override.
    """
    weight = code_weight(code, overrides)
    code = code.strip().upper()
    overrides = overrides or {}
    letter = float(overrides.get(code[0], DEFAULT_SOURCE[code[0]]))
    if code not in overrides:
        return letter, float(overrides.get(code[1], DEFAULT_INFORMATION[code[1]]))
    if letter <= 0:
        return 0.0, 1.0
    return letter, min(weight / letter, 1.0)


def describe(code: str) -> str:
    """Plain words for a code: ``"B2: usually reliable source, probably true"``."""
    code = code.strip().upper()
    return f"{code}: {SOURCE_MEANING[code[0]]} source, {INFORMATION_MEANING[code[1]]}"
