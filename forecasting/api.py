"""The library's front door: :func:`forecast`, and the PyMC model for research code.

Here the flow is put together: inputs (question and evidence) -> model (arrays) -> an engine ->
the :class:`~forecasting.results.forecast.Forecast`.
"""

from __future__ import annotations

import datetime as dt
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .confidence import assess
from .core.constants import (
    DEFAULT_SEED,
    EXACT_DRAWS,
    MCMC_CHAINS,
    MCMC_DRAWS,
    MCMC_SAMPLER,
    MCMC_SAMPLERS,
    MCMC_TUNE,
)
from .core.cooke import NO_RECORDS, CookeWeights, cooke_weights
from .core.errors import ForecastingWarning, InputError, Problem, did_you_mean, one_of
from .engines import exact
from .inputs.evidence import Evidence
from .inputs.question import Question
from .inputs.resolve import resolve_inputs
from .model.data import ModelData
from .results.analysts import AnalystForecasts
from .results.assemble import make_forecast
from .results.forecast import Forecast

if TYPE_CHECKING:
    import pymc as pm

#: The largest settings a forecast accepts (a file's recorded settings are untrusted input too).
LIMITS = {"draws": 1_000_000, "chains": 64, "tune": 1_000_000}

Engine = Literal["auto", "exact", "mcmc"]
ENGINES = ("auto", "exact", "mcmc")


def forecast(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    engine: Engine = "auto",
    seed: int | None = None,
    draws: int | None = None,
    chains: int | None = None,
    tune: int | None = None,
    progress: bool | None = None,
    sampler: str | None = None,
    horizon_days: float | None = None,
    confidence: bool = True,
) -> Forecast:
    """Posterior scenario probabilities, with the analytic confidence beside them.

    Parameters
    ----------
    question
        A :class:`~forecasting.spec.Question` or the path of a question file.
    evidence
        An :class:`~forecasting.evidence.Evidence`, a ledger path (directory or file), or
        ``None`` for ``evidence/<question id>/`` beside the question's ``models/`` directory.
    as_of
        Items dated after this day are left out (default: today).
    engine
        ``"exact"`` (closed form plus i.i.d. draws), ``"mcmc"`` (NUTS on the PyMC model, also
        checked against the exact answer) or ``"auto"`` (exact whenever the model allows,
        which is every question the package's indicator kinds can express).
    seed
        Random seed; the same inputs and seed give the same forecast. Default: a fixed seed.
    draws, chains, tune
        Draws per chain (exact: total draws, one chain), number of chains and tuning steps
        (MCMC only).
    progress
        Show a progress bar while sampling (default: when stderr is a terminal).
    sampler
        The MCMC engine's NUTS: ``"numpyro-nuts"`` (the default) or ``"pymc-nuts"``.
    horizon_days
        How far ahead the responsiveness measure looks (default: the question's
        ``horizon_days``, else 30). The confidence measures are of the exact posterior,
        whichever engine runs (:mod:`forecasting.confidence`).
    confidence
        ``False`` leaves the confidence out (``Forecast.confidence`` is then ``None``, as for a
        file made before it existed). Otherwise it is computed the first time it is asked for
        (``confidence``, ``tree``, ``save``, ``to_dict``; about 0.7 s on the bundled question),
        so a forecast read only for its probabilities never pays for it.
    """
    if sampler is not None and sampler not in MCMC_SAMPLERS:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "sampler",
                    f"'{sampler}' is not a sampler; use {' or '.join(map(repr, MCMC_SAMPLERS))}",
                )
            ]
        )
    if engine not in ENGINES:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "engine",
                    f"'{engine}' is not an engine; use 'auto', 'exact' or 'mcmc'",
                )
            ]
        )
    if horizon_days is not None and not (
        isinstance(horizon_days, int | float)
        and not isinstance(horizon_days, bool)
        and 0 < horizon_days <= 3660
    ):
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "horizon",
                    f"must be a number of days in (0, 3660], got {horizon_days!r}",
                )
            ]
        )
    for name, value in (("draws", draws), ("chains", chains), ("tune", tune)):
        if value is not None and (
            not isinstance(value, int) or value < (0 if name == "tune" else 1)
        ):
            raise InputError(
                [Problem(None, None, name, f"must be a positive whole number, got {value!r}")]
            )
        if value is not None and value > LIMITS[name]:
            raise InputError(
                [
                    Problem(
                        None,
                        None,
                        name,
                        f"at most {LIMITS[name]:,}, got {value:,} (the draws alone would not "
                        "fit in memory)"
                        if name == "draws"
                        else f"at most {LIMITS[name]:,}, got {value:,}",
                    )
                ]
            )
    if seed is not None and not (
        isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and 0 <= seed < 2**32
    ):
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "seed",
                    f"must be a whole number between 0 and 2**32 - 1, got {seed!r}"[:200],
                )
            ]
        )
    question, used, as_of = resolve_inputs(question, evidence, as_of)
    if question.resolves is not None and as_of > question.resolves:
        warnings.warn(
            f"question '{question.id}' resolved on {question.resolves.isoformat()}; this "
            f"forecast is as of {as_of.isoformat()}, after it",
            ForecastingWarning,
            stacklevel=2,
        )
    seed = DEFAULT_SEED if seed is None else int(seed)
    data = ModelData.build(question, used)
    chosen = "exact" if engine == "auto" else engine
    if chosen == "exact":
        result = exact.run(data, draws=draws or EXACT_DRAWS, seed=seed, lazy=True)
    else:
        from .engines import mcmc

        closed = exact.exact_posterior(data)
        result = mcmc.run(
            data,
            draws=draws or MCMC_DRAWS,
            tune=MCMC_TUNE if tune is None else tune,
            chains=chains or MCMC_CHAINS,
            seed=seed,
            exact_probability=closed.probability,
            exact_now=closed.now,
            progress=progress,
            sampler=sampler or MCMC_SAMPLER,
        )
        result.log_marginal = closed.log_marginal
    horizon = question.horizon if horizon_days is None else float(horizon_days)
    return make_forecast(
        data,
        result,
        question=question,
        evidence=used,
        as_of=as_of,
        seed=seed,
        engine_requested=engine,
        # computed when first asked for (the forecast's tree, file or JSON); with dynamics,
        # of the dynamic model and the probability at resolution
        confidence=(lambda: assess(data, used, as_of, horizon, seed=seed)) if confidence else None,
    )


def build_pymc_model(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    parameters: Mapping[str, Any] | None = None,
    extra_loglik: Callable[[pm.Model], Any] | None = None,
    name: str = "",
) -> pm.Model:
    """The PyMC model of a question and its evidence, for research code to extend and sample.

    Variables: ``pi`` (scenario probabilities, dims ``scenario``), one per indicator named by
    its id (the per-scenario parameter), the potential ``evidence`` (the scenario marginalised
    out) and the deterministic ``scenario_probability``. Under the tempered model the evidence
    enters as ``pm.Data`` (see :func:`set_evidence`); under the truth mixture its reports are
    constants of the graph. With dynamics the regimes of the periods are summed out by the
    forward algorithm, ``scenario_probability`` is at the resolution date and the
    deterministic ``probability_now`` is beside it (:mod:`forecasting.model.pymc_dynamics`).
    See :func:`forecasting.model.pymc_model.build_model` for ``parameters``, ``extra_loglik`` and
    ``name``.
    """
    from .model.pymc_model import build_model

    question, used, _ = resolve_inputs(question, evidence, as_of)
    data = ModelData.build(question, used)
    return build_model(data, parameters=parameters, extra_loglik=extra_loglik, name=name)


def set_evidence(
    model: pm.Model,
    question: Question | str | Path,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> None:
    """Put another ledger (or as-of date) into a model from :func:`build_pymc_model`.

    Under the tempered model the evidence lives in ``pm.Data``, so this neither rebuilds nor
    recompiles the model.

    Raises
    ------
    ValueError
        Under the truth mixture (the default) or with dynamics, whose reports are constants
        of the graph: build the model again with :func:`build_pymc_model`.
    """
    import pymc as pm

    from .model.pymc_model import NOT_SWAPPABLE, evidence_data, evidence_swappable

    question, used, _ = resolve_inputs(question, evidence, as_of)
    data = ModelData.build(question, used)
    if not evidence_swappable(data):
        raise ValueError(NOT_SWAPPABLE)
    pm.set_data(evidence_data(data), model=model)


#: How the analysts may be weighted, by name: equally, or by Cooke's classical model
#: (calibration times information on resolved questions, :mod:`forecasting.core.cooke`).
WEIGHTINGS = ("equal", "cooke")


def forecast_analysts(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    analysts: str | Sequence[str | Path] = "all",
    pool: str | None = None,
    extremize: float | None = None,
    weights: Mapping[str, float] | Sequence[float] | str | None = None,
    confidence: bool = True,
    records: Mapping[str, Sequence[Any]] | None = None,
    cutoff: float | None = None,
) -> AnalystForecasts:
    """Each analyst's forecast of a question (same evidence), and their pool.

    Parameters
    ----------
    question, evidence, as_of
        As for :func:`forecast`.
    analysts
        ``"all"`` (every overlay in ``models/<stem>/analysts/``), a list of analyst names, or
        of overlay files (:mod:`forecasting.inputs.overlays`).
    pool
        ``"linear"``, ``"log"`` or ``"gmo"`` (:mod:`forecasting.core.pooling`); default: the
        question's ``pooling: method``, else linear.
    extremize
        The extremizing factor ``d`` of the log and gmo pools (default: the question's
        ``pooling: extremize`` when its method is the one used, else 1).
    weights
        ``None`` or ``"equal"`` (equal weights), or a weight per analyst (a mapping by name,
        or a sequence in the analysts' order); normalised to sum to 1. ``"cooke"``:
        performance weights by Cooke's classical model (:mod:`forecasting.core.cooke`), from
        ``records``.
    records
        With ``weights="cooke"``: each analyst's records on resolved questions, by name, a
        list of ``(probabilities, outcome)`` (probabilities by scenario id and the id that
        happened, or a sequence and the index); from the resolved questions beside this one:
        :func:`forecasting.scoring.cooke.resolved_records` (``forecast run --weights cooke``).
    cutoff
        With ``weights="cooke"``: the calibration cutoff ``alpha``; default, the one that
        maximises the pool's own calibration times information on the records.

    Each analyst's probability is the exact engine's ``P(S = k | E)`` under the question with
    that analyst's overlay (at the resolution date for a question with dynamics). Which
    judgements their differences come from: :mod:`forecasting.analyses.disagreement`.
    """
    from .core.pooling import MAX_EXTREMIZE, POOLS, normalise_weights
    from .core.pooling import pool as pooled_by
    from .inputs.overlays import load_overlays
    from .results.analysts import make_analyst_forecasts

    question, used, as_of = resolve_inputs(question, evidence, as_of)
    stated = question.pooling
    method = pool or (stated.method if stated is not None else "linear")
    if method not in POOLS:
        raise InputError(
            [Problem(None, None, "pool", f"'{method}' is not a pool; use {' or '.join(POOLS)}")]
        )
    if extremize is None:
        d = stated.extremize if stated is not None and stated.method == method else 1.0
    else:
        d = extremize
    if (
        not isinstance(d, int | float)
        or isinstance(d, bool)
        or not 0 < d <= MAX_EXTREMIZE
        or (method == "linear" and d != 1)
    ):
        message = (
            "the linear pool takes no extremizing factor; use --pool log or gmo"
            if method == "linear" and isinstance(d, int | float) and 0 < d <= MAX_EXTREMIZE
            else f"must be a number more than 0 and at most {MAX_EXTREMIZE:g}, got {d!r}"
        )
        raise InputError([Problem(None, None, "extremize", message)])
    overlays = load_overlays(question, analysts)
    names = [o.analyst for o in overlays]
    performance = None
    if isinstance(weights, str) and weights == "cooke":
        performance = _cooke(records, names, cutoff, method, float(d))
        w = performance.weights
    elif records is not None or cutoff is not None:
        raise InputError(
            [Problem(None, None, "records", "records and cutoff go with weights='cooke'")]
        )
    else:
        w = normalise_weights(_weights(weights, names), len(names))
    equal = weights is None or (isinstance(weights, str) and weights == "equal")
    weighting = "cooke" if performance is not None else "equal" if equal else "given"
    rows = np.array(
        [exact.exact_posterior(ModelData.build(o.question, used)).probability for o in overlays]
    )
    data = ModelData.build(question, used)
    shared = exact.exact_posterior(data).probability
    result = make_analyst_forecasts(
        question_id=question.id,
        title=question.title,
        as_of=as_of,
        labels=question.labels,
        analysts=names,
        probability=rows,
        weights=w,
        pooled=pooled_by(rows, method, w, float(d)),
        shared=shared,
        method=method,
        extremize=float(d),
        rationales={o.analyst: o.rationale for o in overlays},
        files={o.analyst: o.file for o in overlays},
        n_items=len(used),
        weighting=weighting,
        performance=None if performance is None else performance.to_dict(),
    )
    if not confidence:
        return result
    assessed = assess(
        data, used, as_of, question.horizon, seed=DEFAULT_SEED, analysts=result.probabilities
    )
    return replace(result, confidence=assessed)


def _cooke(
    records: Mapping[str, Sequence[Any]] | None,
    names: list[str],
    cutoff: float | None,
    method: str,
    d: float,
) -> CookeWeights:
    """Cooke's weights of ``names`` from their records, or a located problem."""
    unknown = [k for k in records or {} if k not in names]
    if unknown:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "records",
                    f"'{unknown[0]}' is not one of the analysts"
                    f"{did_you_mean(unknown[0], names)}; they are {one_of(names)}",
                )
            ]
        )
    if records is None or not any(len(records.get(n, ())) for n in names):
        raise InputError([Problem(None, None, "weights", NO_RECORDS)])
    try:
        return cooke_weights(
            {n: records.get(n, []) for n in names}, alpha=cutoff, method=method, extremize=d
        )
    except ValueError as exc:
        raise InputError([Problem(None, None, "weights", str(exc))]) from None


def _weights(
    weights: Mapping[str, float] | Sequence[float] | str | None, names: list[str]
) -> list[float] | None:
    """The weights in the analysts' order (``None``: equal), or a located problem."""

    def refuse(message: str) -> InputError:
        return InputError([Problem(None, None, "weights", message)])

    if weights is None or (isinstance(weights, str) and weights == "equal"):
        return None
    if isinstance(weights, str):
        raise refuse(f"'{weights}' is not a weighting; use {' or '.join(WEIGHTINGS)}")
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in names]
        if unknown:
            raise refuse(
                f"'{unknown[0]}' is not one of the analysts{did_you_mean(unknown[0], names)}; "
                f"they are {one_of(names)}"
            )
        missing = [n for n in names if n not in weights]
        if missing:
            raise refuse(f"no weight for {one_of(missing)}: give one for every analyst")
        values = [weights[n] for n in names]
    else:
        values = list(weights)
        if len(values) != len(names):
            raise refuse(f"{len(values)} weights for {len(names)} analysts")
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < float("inf")
        for v in values
    ) or not any(v > 0 for v in values):
        raise refuse("weights must be non-negative numbers, not all 0")
    return values
