"""Estimative language: the ICD 203 words analysts use beside the numbers.

ODNI Intelligence Community Directive 203 pairs probability ranges with terms so that readers
do not have to guess what "likely" means:

=================  ==========================  =========================
probability        term                        alternative
=================  ==========================  =========================
below 5%           almost no chance            remote
5% to 20%          very unlikely               highly improbable
20% to 45%         unlikely                    improbable
45% to 55%         roughly even chance         roughly even odds
55% to 80%         likely                      probable
80% to 95%         very likely                 highly probable
above 95%          almost certain              nearly certain
=================  ==========================  =========================
"""

from __future__ import annotations

#: (upper bound, term, alternative), in increasing order; the last bound is inclusive of 1.
SCALE: tuple[tuple[float, str, str], ...] = (
    (0.05, "almost no chance", "remote"),
    (0.20, "very unlikely", "highly improbable"),
    (0.45, "unlikely", "improbable"),
    (0.55, "roughly even chance", "roughly even odds"),
    (0.80, "likely", "probable"),
    (0.95, "very likely", "highly probable"),
    (1.00, "almost certain", "nearly certain"),
)


def estimative(p: float) -> str:
    """The ICD 203 term for probability ``p`` (e.g. 0.62 -> ``"likely"``)."""
    for upper, term, _ in SCALE:
        if p < upper or (upper == 0.55 and p <= upper) or upper == 1.0:
            return term
    return SCALE[-1][1]


def change_words(delta: float) -> str:
    """``"up 7 points"``, ``"down 3 points"`` or ``"unchanged"`` (percentage points)."""
    points = round(100 * delta)
    if points == 0:
        return "unchanged"
    return f"{'up' if points > 0 else 'down'} {abs(points)} point{'s' if abs(points) != 1 else ''}"
