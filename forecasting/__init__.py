"""Bayesian scenario forecasting.

Turn an analyst's judgements (how likely each observation is under each scenario) and a ledger
of dated, sourced evidence into posterior scenario probabilities with credible intervals.

>>> import forecasting as fc
>>> q = fc.load_question("models/syria_coalition.yaml")
>>> f = fc.forecast(q, as_of="2025-10-27")       # doctest: +SKIP
>>> f.summary()                                   # doctest: +SKIP

The names below load their module on first use, so ``import forecasting`` (and the ``forecast``
command before it knows what to do) imports neither numpy nor xarray; PyMC loads only with the
MCMC engine.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - what the lazy names below resolve to
    from .api import build_pymc_model, forecast, set_evidence
    from .errors import ForecastingError, ForecastingWarning, InputError, Problem
    from .evidence import Evidence, EvidenceItem, load_evidence
    from .result import Forecast
    from .spec import Question, load_question
    from .update import backfill, history, update

#: Public name to the module that defines it.
_EXPORTS = {
    "build_pymc_model": "api",
    "forecast": "api",
    "set_evidence": "api",
    "ForecastingError": "errors",
    "ForecastingWarning": "errors",
    "InputError": "errors",
    "Problem": "errors",
    "Evidence": "evidence",
    "EvidenceItem": "evidence",
    "load_evidence": "evidence",
    "Forecast": "result",
    "package_version": "_version",
    "Question": "spec",
    "load_question": "spec",
    "update": "update",
    "history": "update",
    "backfill": "update",
}


def __getattr__(name: str):
    """Load the module behind a public name on first use (PEP 562)."""
    if name == "__version__":
        from ._version import package_version

        globals()["__version__"] = version = package_version()
        return version
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'forecasting' has no attribute '{name}'")
    from importlib import import_module

    module = import_module(f".{module_name}", __name__)
    # bind every name of that module at once
    globals().update({n: getattr(module, n) for n, m in _EXPORTS.items() if m == module_name})
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """The package's module type, so that ``forecasting.update`` stays the function.

    Importing the submodule ``forecasting.update`` (``from forecasting.update import ...``)
    binds it to the package's name ``update``, which would hide the function of that name.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, ModuleType) and _EXPORTS.get(name) == name and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Evidence",
    "EvidenceItem",
    "Forecast",
    "ForecastingError",
    "ForecastingWarning",
    "InputError",
    "Problem",
    "Question",
    "backfill",
    "build_pymc_model",
    "forecast",
    "history",
    "load_evidence",
    "load_question",
    "set_evidence",
    "update",
    "__version__",
]
