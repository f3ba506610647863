"""The question's ``pooling:``: how the analysts' forecasts of it are pooled by default.

::

    pooling:
      method: gmo        # linear (the default), log or gmo (:mod:`forecasting.core.pooling`)
      extremize: 1.5     # optional, default 1 (no extremizing); not with the linear pool

Only ``forecast run --analysts`` and :func:`forecasting.api.forecast_analysts` read it; the
forecast of the shared question is the same with or without it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..core.pooling import DEFAULT_POOL, MAX_EXTREMIZE
from ..core.schema import Spec

#: An extremizing factor ``d``: more than 0, at most :data:`MAX_EXTREMIZE`.
Extremize = Annotated[float, Field(gt=0, le=MAX_EXTREMIZE, allow_inf_nan=False, strict=True)]


class PoolingSpec(Spec):
    """``pooling:`` of a question (see the module's documentation)."""

    method: Literal["linear", "log", "gmo"] = DEFAULT_POOL
    extremize: Extremize = 1.0

    @model_validator(mode="after")
    def _linear_is_not_extremized(self) -> PoolingSpec:
        if self.method == "linear" and self.extremize != 1.0:
            raise ValueError(
                "the linear pool takes no extremizing factor; use method 'log' or 'gmo' "
                "with extremize, or leave extremize out"
            )
        return self
