"""The elicited distributions of per-scenario parameters, in the forms an analyst writes them.

Each accepts a few equivalent forms (moments, natural parameters, or an interval with its mass,
fitted to the maximum-entropy member of the family) and exposes ``params`` and ``form``.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import PrivateAttr, model_validator

from ..core.schema import (
    EXTREME,
    PARAM_MAX,
    PARAM_MIN,
    FiniteFloat,
    NonNegativeFloat,
    OpenUnitFloat,
    PositiveFloat,
    Spec,
    UnitFloat,
    which_form,
)
from .elicitation import (
    ElicitationError,
    fit_beta_interval,
    fit_gamma_interval,
    fit_normal_interval,
)


class GammaPrior(Spec):
    """A Gamma distribution for a rate, in one of three forms.

    ``{mean, sd}`` (moment-matched), ``{shape, rate}``, or an interval
    ``{lower, upper, mass}`` fitted to the maximum-entropy Gamma with that mass.
    """

    mean: PositiveFloat | None = None
    sd: PositiveFloat | None = None
    shape: PositiveFloat | None = None
    rate: PositiveFloat | None = None
    lower: NonNegativeFloat | None = None
    upper: PositiveFloat | None = None
    mass: OpenUnitFloat | None = None
    _params: tuple[float, float] = PrivateAttr(default=(math.nan, math.nan))

    @model_validator(mode="after")
    def _fit(self) -> GammaPrior:
        form = which_form(
            self,
            {
                "moments": ("mean", "sd"),
                "shape": ("shape", "rate"),
                "interval": ("lower", "upper", "mass"),
            },
        )
        if form == "moments":
            ratio = self.mean / self.sd  # products, not powers: they overflow to inf, not raise
            shape, rate = ratio * ratio, ratio / self.sd
        elif form == "shape":
            shape, rate = self.shape, self.rate
        else:
            try:
                shape, rate = fit_gamma_interval(self.lower, self.upper, self.mass or 0.9)
            except ElicitationError as exc:
                raise ValueError(str(exc)) from None
        if not (np.isfinite(shape) and np.isfinite(rate) and shape > 0 and rate > 0):
            raise ValueError(
                f"gives Gamma(shape={shape:g}, rate={rate:g}); both must be positive and finite "
                "(is the sd far too small or too large for the mean?)"
            )
        if not PARAM_MIN <= shape <= PARAM_MAX:
            raise ValueError(
                f"gives Gamma(shape={shape:.4g}, rate={rate:.4g}); the shape {EXTREME}"
            )
        self._params = (float(shape), float(rate))
        return self

    @property
    def params(self) -> tuple[float, float]:
        """``(shape, rate)`` of the Gamma."""
        return self._params

    @property
    def form(self) -> str:
        """Which form the analyst used: ``moments``, ``shape`` or ``interval``."""
        if self.mean is not None:
            return "moments"
        return "shape" if self.shape is not None else "interval"


class BetaPrior(Spec):
    """A Beta distribution for a probability, in one of three forms.

    ``{mean, sd}`` (moment-matched; needs ``sd**2 < mean * (1 - mean)``), ``{alpha, beta}``, or an
    interval ``{lower, upper, mass}`` fitted to the maximum-entropy Beta with that mass.
    """

    mean: OpenUnitFloat | None = None
    sd: PositiveFloat | None = None
    alpha: PositiveFloat | None = None
    beta: PositiveFloat | None = None
    lower: UnitFloat | None = None
    upper: UnitFloat | None = None
    mass: OpenUnitFloat | None = None
    _params: tuple[float, float] = PrivateAttr(default=(math.nan, math.nan))

    @model_validator(mode="after")
    def _fit(self) -> BetaPrior:
        form = which_form(
            self,
            {
                "moments": ("mean", "sd"),
                "alpha": ("alpha", "beta"),
                "interval": ("lower", "upper", "mass"),
            },
        )
        if form == "moments":
            m, s = self.mean, self.sd
            limit = math.sqrt(m * (1 - m))
            if s >= limit:
                raise ValueError(
                    f"sd {s:g} is too large for mean {m:g}: a Beta needs "
                    f"sd < sqrt(mean * (1 - mean)) = {limit:.4g}; lower the sd"
                )
            nu = m * (1 - m) / s / s - 1  # not s**2, which can underflow to 0
            a, b = m * nu, (1 - m) * nu
        elif form == "alpha":
            a, b = self.alpha, self.beta
        else:
            try:
                a, b = fit_beta_interval(self.lower, self.upper, self.mass or 0.9)
            except ElicitationError as exc:
                raise ValueError(str(exc)) from None
        if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0):
            raise ValueError(
                f"gives Beta(alpha={a:g}, beta={b:g}); both must be positive and finite "
                "(is the sd far too small for the mean?)"
            )
        if not (PARAM_MIN <= a <= PARAM_MAX and PARAM_MIN <= b <= PARAM_MAX):
            raise ValueError(f"gives Beta(alpha={a:.4g}, beta={b:.4g}); alpha and beta {EXTREME}")
        self._params = (float(a), float(b))
        return self

    @property
    def params(self) -> tuple[float, float]:
        """``(alpha, beta)`` of the Beta."""
        return self._params

    @property
    def form(self) -> str:
        """Which form the analyst used: ``moments``, ``alpha`` or ``interval``."""
        if self.mean is not None:
            return "moments"
        return "alpha" if self.alpha is not None else "interval"


class NormalPrior(Spec):
    """A Normal distribution for a mean, in one of two forms.

    ``{mean, sd}``, or an interval ``{lower, upper, mass}`` fitted to the maximum-entropy
    Normal with that mass (the one centred on the interval).
    """

    mean: FiniteFloat | None = None
    sd: PositiveFloat | None = None
    lower: FiniteFloat | None = None
    upper: FiniteFloat | None = None
    mass: OpenUnitFloat | None = None
    _params: tuple[float, float] = PrivateAttr(default=(math.nan, math.nan))

    @model_validator(mode="after")
    def _fit(self) -> NormalPrior:
        form = which_form(self, {"moments": ("mean", "sd"), "interval": ("lower", "upper", "mass")})
        if form == "moments":
            m, s = self.mean, self.sd
        else:
            try:
                m, s = fit_normal_interval(self.lower, self.upper, self.mass or 0.9)
            except ElicitationError as exc:
                raise ValueError(str(exc)) from None
        if not (math.isfinite(m) and math.isfinite(s) and s > 0):
            raise ValueError(f"gives Normal(mean={m:g}, sd={s:g}); both must be finite, sd > 0")
        self._params = (float(m), float(s))
        return self

    @property
    def params(self) -> tuple[float, float]:
        """``(mean, sd)`` of the Normal."""
        return self._params

    @property
    def form(self) -> str:
        """Which form the analyst used: ``moments`` or ``interval``."""
        return "moments" if self.mean is not None else "interval"
