"""Bayesian scenario forecasting.

Turn an analyst's judgements (how likely each observation is under each scenario) and a ledger
of dated, sourced evidence into posterior scenario probabilities with credible intervals.

>>> import forecasting as fc
>>> q = fc.load_question("models/syria_coalition.yaml")
>>> f = fc.forecast(q, as_of="2025-10-27")       # doctest: +SKIP
>>> f.summary()                                   # doctest: +SKIP

``import forecasting`` does not import PyMC; only the MCMC engine does.
"""

from .api import build_pymc_model, forecast, set_evidence
from .errors import ForecastingError, ForecastingWarning, InputError, Problem
from .evidence import Evidence, EvidenceItem, load_evidence
from .result import Forecast, package_version
from .spec import Question, load_question

__version__ = package_version()

_LAZY = {"update": "update", "history": "update", "backfill": "update"}


def __getattr__(name: str):
    """``update``, ``history`` and ``backfill`` load their module (archive, report) on use."""
    if name in _LAZY:
        from importlib import import_module

        module = import_module(f".{_LAZY[name]}", __name__)
        # importing forecasting.update binds the module to the name ``update``: rebind the
        # functions over it
        globals().update({n: getattr(module, n) for n, m in _LAZY.items() if m == _LAZY[name]})
        return globals()[name]
    raise AttributeError(f"module 'forecasting' has no attribute '{name}'")


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
