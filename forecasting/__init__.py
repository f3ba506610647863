"""Bayesian scenario forecasting.

Turn an analyst's judgements (how likely each observation is under each scenario) and a ledger
of dated, sourced evidence into posterior scenario probabilities.

>>> import forecasting as fc
>>> q = fc.load_question("models/syria_coalition.yaml")
>>> f = fc.forecast(q, as_of="2025-10-27")       # doctest: +SKIP
>>> f.summary()                                   # doctest: +SKIP

The package follows the flow of the data: :mod:`.inputs` (question and evidence files) ->
:mod:`.kinds` (what each indicator kind means) -> :mod:`.model` (arrays, and the PyMC model) ->
:mod:`.engines` (exact, MCMC) -> :mod:`.results` (the :class:`Forecast`) -> :mod:`.analyses`
-> :mod:`.presentation` (text, tables, plots, report) -> :mod:`.pipeline` (archive, weekly
update, verify) -> :mod:`.scoring` (resolutions, scores, calibration) -> :mod:`.cli`;
:mod:`.core` holds what all of them share.

The names below load their module on first use, so ``import forecasting`` (and the ``forecast``
command before it knows what to do) imports neither numpy nor xarray; PyMC loads only with the
MCMC engine or :func:`build_pymc_model`, matplotlib only with :mod:`plots`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - what the lazy names below resolve to
    from . import analyses, kinds
    from .analyses import attribute, sensitivity, surprise
    from .api import build_pymc_model, forecast, forecast_analysts, set_evidence
    from .core.errors import (
        ForecastingError,
        ForecastingWarning,
        InputError,
        LikelyCopyWarning,
        Problem,
    )
    from .inputs.evidence import Evidence, EvidenceItem, load_evidence
    from .inputs.overlays import load_overlays
    from .inputs.question import Question, load_question
    from .pipeline.verify import verify
    from .pipeline.weekly import backfill, history, update
    from .presentation import plots, report, tables, text
    from .presentation.tables import describe
    from .results.forecast import Forecast
    from .scoring import load_resolution, resolve, score, simulate

#: Public name -> (module, attribute); attribute ``None`` means the module itself.
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "build_pymc_model": ("api", "build_pymc_model"),
    "forecast": ("api", "forecast"),
    "forecast_analysts": ("api", "forecast_analysts"),
    "load_overlays": ("inputs.overlays", "load_overlays"),
    "set_evidence": ("api", "set_evidence"),
    "ForecastingError": ("core.errors", "ForecastingError"),
    "ForecastingWarning": ("core.errors", "ForecastingWarning"),
    "LikelyCopyWarning": ("core.errors", "LikelyCopyWarning"),
    "InputError": ("core.errors", "InputError"),
    "Problem": ("core.errors", "Problem"),
    "Evidence": ("inputs.evidence", "Evidence"),
    "EvidenceItem": ("inputs.evidence", "EvidenceItem"),
    "load_evidence": ("inputs.evidence", "load_evidence"),
    "Question": ("inputs.question", "Question"),
    "load_question": ("inputs.question", "load_question"),
    "Forecast": ("results.forecast", "Forecast"),
    "package_version": ("_version", "package_version"),
    "update": ("pipeline.weekly", "update"),
    "history": ("pipeline.weekly", "history"),
    "backfill": ("pipeline.weekly", "backfill"),
    "verify": ("pipeline.verify", "verify"),
    "score": ("scoring", "score"),
    "simulate": ("scoring.simulate", None),
    "resolve": ("scoring", "resolve"),
    "load_resolution": ("scoring", "load_resolution"),
    "sensitivity": ("analyses", "sensitivity"),
    "attribute": ("analyses", "attribute"),
    "surprise": ("analyses", "surprise"),
    "describe": ("presentation.tables", "describe"),
    "analyses": ("analyses", None),
    "kinds": ("kinds", None),
    "plots": ("presentation.plots", None),
    "report": ("presentation.report", None),
    "tables": ("presentation.tables", None),
    "text": ("presentation.text", None),
}


def __getattr__(name: str):
    """Load the module behind a public name on first use (PEP 562)."""
    if name == "__version__":
        from ._version import package_version

        globals()["__version__"] = version = package_version()
        return version
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'forecasting' has no attribute '{name}'")
    from importlib import import_module

    module_name, attribute = target
    module = import_module(f".{module_name}", __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Evidence",
    "EvidenceItem",
    "Forecast",
    "ForecastingError",
    "ForecastingWarning",
    "InputError",
    "LikelyCopyWarning",
    "Problem",
    "Question",
    "analyses",
    "attribute",
    "backfill",
    "build_pymc_model",
    "describe",
    "forecast",
    "forecast_analysts",
    "history",
    "kinds",
    "load_evidence",
    "load_overlays",
    "load_question",
    "load_resolution",
    "plots",
    "report",
    "resolve",
    "score",
    "sensitivity",
    "simulate",
    "set_evidence",
    "surprise",
    "tables",
    "text",
    "update",
    "verify",
    "__version__",
]
