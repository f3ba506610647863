"""Why the confidence changed between two forecasts, in words.

"confidence moderate, was low: a second independent origin (Reuters)". The level comes from
stated rules (:mod:`forecasting.confidence.level`); the sentence names each rule whose verdict
changed, with the measure then and now.
"""

from __future__ import annotations

from ..confidence.level import horizon_words
from ..results.forecast import Forecast

_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def confidence_change(previous: Forecast, current: Forecast) -> str | None:
    """One sentence on the confidence since ``previous`` (``None`` if ``current`` has none)."""
    a, b = previous.confidence, current.confidence
    if b is None:
        return None
    if a is None:
        return (
            f"confidence {b.level} (the earlier forecast was made before confidence was assessed)"
        )
    head = (
        f"confidence {b.level}, was {a.level}"
        if a.level != b.level
        else f"confidence still {b.level}"
    )
    ra, rb = a.rules, b.rules
    causes = []
    na, nb = len(a.origins), len(b.origins)
    new = [o for o in b.origins if o not in a.origins]
    if nb == na + 1 and nb in _ORDINALS and new:
        causes.append(f"a {_ORDINALS[nb]} independent origin ({new[0]})")
    elif nb != na:
        causes.append(
            f"{nb} independent origins, was {na}"
            + (f" (new: {', '.join(new[:3])}{_others(len(new) - 3)})" if new else "")
        )
    if _changed(ra, rb, "one_origin_dominates", "many_origins") and a.largest and b.largest:
        causes.append(
            f"the largest origin ({b.largest[0]}) carries {b.largest[1]:.0%} of the weight "
            f"(was {a.largest[0]}, {a.largest[1]:.0%})"
        )
    if _changed(ra, rb, "rests_on_one_origin"):
        causes.append(
            "the leader now rests on one origin"
            if rb.get("rests_on_one_origin")
            else "the leader no longer rests on any one origin"
        )
    if _changed(ra, rb, "judgements_disagree", "judgements_agree"):
        pa = float(a.ds.attrs["opinion_p_leader_change"])
        pb = float(b.ds.attrs["opinion_p_leader_change"])
        causes.append(
            f"reasonable judgements put another scenario ahead in {pb:.0%} of cases (was {pa:.0%})"
        )
    if _changed(ra, rb, "unsettled", "settled"):
        causes.append(
            f"{horizon_words(b.horizon_days)} of typical evidence would change the leader with "
            f"probability {b.p_leader_change:.0%} (was {a.p_leader_change:.0%})"
        )
    return head + (": " + "; ".join(causes) if causes else "")


def _changed(a: dict[str, bool], b: dict[str, bool], *names: str) -> bool:
    return any(bool(a.get(n)) != bool(b.get(n)) for n in names)


def _others(n: int) -> str:
    """The names a list leaves out (", and 3 others"; nothing when none is)."""
    return "" if n <= 0 else f", and {n} other{'s' if n != 1 else ''}"
