"""Every dimension name used by the library, defined once.

Outputs keep the order ``(chain, draw, ...)``; every PyMC variable passes ``dims=``.
"""

from __future__ import annotations

CHAIN = "chain"
DRAW = "draw"
SCENARIO = "scenario"
INDICATOR = "indicator"
ITEM = "item"
CATEGORY = "category"
AS_OF = "as_of"
#: Lower and upper end of a credible interval (the name ArviZ uses).
CI_BOUND = "ci_bound"

SAMPLE_DIMS: tuple[str, str] = (CHAIN, DRAW)


def category_dim(indicator: str) -> str:
    """Name of the category dimension of one categorical indicator.

    Indicators have different category sets, so each gets its own dimension,
    e.g. ``us_rhetoric_category``.
    """
    return f"{indicator}_{CATEGORY}"
