"""How a forecast with dynamics reads: "now" beside "at resolution", and its note apart.

With ``dynamics:`` in the question a forecast's probabilities are ``P(S_T = k | E)`` on the
resolution date and :attr:`~forecasting.results.forecast.Forecast.now` is ``P(S_now = k | E)``,
the regime of the as-of date's period. The report, the weekly summary and the trajectory say
both, in the words of this module; a static forecast reads as it always has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..results.forecast import Forecast

#: How the warning about dynamics began in forecasts archived before the confidence measures
#: modelled dynamics ("the confidence measures are left out"): a note, not a failure of the
#: sampler, and no reason to flag. New forecasts carry no such warning; old files still do.
DYNAMICS_NOTE = "dynamics:"


def resolves(forecast: Forecast) -> str | None:
    """The resolution date (``YYYY-MM-DD``) of a forecast with dynamics; ``None`` if static."""
    if forecast.now is None:
        return None
    return str(forecast.question.get("resolves"))


def at_resolution(date: str | None) -> str:
    """``at resolution (2025-12-31)``: the column and legend name of the probability."""
    return f"at resolution ({date})" if date else "at resolution"


def meaning(forecast: Forecast) -> str:
    """One sentence: what "now" and "at resolution" mean, with the forecast's dates."""
    return (
        "Now: the probability that each scenario holds in the period of the as-of date "
        f"({forecast.as_of.isoformat()}); at resolution: that it holds on the resolution date "
        f"({resolves(forecast)}), the regime moving between scenarios from period to period "
        "by the question's transitions (dynamics)."
    )


def is_note(warning: str) -> bool:
    """Whether a forecast's warning is the note about dynamics (not the sampler's)."""
    return str(warning).startswith(DYNAMICS_NOTE)


def sampler_warnings(warnings: Sequence[str]) -> list[str]:
    """The warnings that say the sampler's diagnostics failed (all but the dynamics note)."""
    return [w for w in warnings if not is_note(w)]


def notes(warnings: Sequence[str]) -> list[str]:
    """The dynamics note among a forecast's warnings (empty for a static forecast)."""
    return [w for w in warnings if is_note(w)]
