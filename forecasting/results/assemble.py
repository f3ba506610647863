"""Assembling a :class:`~forecasting.results.forecast.Forecast` from an engine's output."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np
import xarray as xr

from .._version import package_version
from ..confidence import Confidence
from ..core.constants import INTERVAL_KIND, INTERVAL_PROB, LOG_LIKELIHOOD_MAX_VALUES
from ..core.dims import CHAIN, CI_BOUND, DRAW, ITEM, SCENARIO
from ..core.paths import display_path
from ..core.stats import eti
from ..engines.common import EngineResult, item_log_likelihood
from ..inputs.evidence import Evidence
from ..inputs.question import Question
from ..model import methods
from ..model.data import ModelData
from .files import (
    BY_SCENARIO_DOC,
    FORMAT_VERSION,
    LOG_LIKELIHOOD,
    LOG_LIKELIHOOD_SCENARIO,
    POINTWISE_DOC,
)
from .forecast import PARAMETERS_INTERVAL, PARAMETERS_INTERVAL_DOC, Forecast


def versions(engine: str) -> dict[str, str]:
    """Versions of Python and of the libraries an engine's numbers depend on (a new dict)."""
    return dict(_installed(engine))


#: Distribution name -> the module that carries its version.
_MODULES = {
    "numpy": "numpy",
    "scipy": "scipy",
    "xarray": "xarray",
    "pydantic": "pydantic",
    "PyYAML": "yaml",
    "pymc": "pymc",
    "pytensor": "pytensor",
    "arviz-stats": "arviz_stats",
    "numba": "numba",
}


@functools.cache
def _installed(engine: str) -> tuple[tuple[str, str], ...]:
    """Looked up once per process: about a quarter of a dashboard what-if's recompute.

    A module already imported says its own version (the same string as its installed
    metadata, which is read and parsed otherwise: 5 ms of `forecast run`).
    """
    names = ["numpy", "scipy", "xarray", "pydantic", "PyYAML"]
    if engine == "mcmc":
        names += ["pymc", "pytensor", "arviz-stats", "numba"]
    out = {"python": sys.version.split()[0]}
    for n in names:
        version = getattr(sys.modules.get(_MODULES[n]), "__version__", None)
        if isinstance(version, str):
            out[n] = version
            continue
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "absent"
    return tuple(out.items())


def make_forecast(
    data: ModelData,
    result: EngineResult,
    *,
    question: Question,
    evidence: Evidence,
    as_of: dt.date,
    seed: int,
    engine_requested: str,
    confidence: Confidence | Callable[[], Confidence] | None = None,
) -> Forecast:
    """Assemble the :class:`Forecast` of one engine run (both engines go through here).

    ``confidence`` may be a function that computes it: it is then called the first time the
    forecast is asked for it (its tree, file or JSON), not here.
    """
    k = data.n_scenarios
    scen_coord = {SCENARIO: list(data.scenarios)}
    probability = np.asarray(result.probability, dtype=float)

    def forecast_group(full: EngineResult | None) -> xr.Dataset:
        # ``full``: the result with its draws (the interval is of them); None: without it
        variables: dict[str, Any] = {
            "probability": ((SCENARIO,), probability),
            "mcse": ((SCENARIO,), np.asarray(result.mcse, dtype=float)),
            "prior": ((SCENARIO,), data.prior),
        }
        if full is not None:
            rb = full.posterior["scenario_probability"]
            variables[PARAMETERS_INTERVAL] = (
                (SCENARIO, CI_BOUND),
                eti(rb, INTERVAL_PROB, axis=(0, 1)),
            )
        ds = xr.Dataset(
            variables,
            coords={
                **scen_coord,
                CI_BOUND: ["lower", "upper"],
                "label": ((SCENARIO,), list(data.labels)),
            },
            attrs={"interval_prob": INTERVAL_PROB, "interval_kind": INTERVAL_KIND},
        )
        if full is not None:
            ds[PARAMETERS_INTERVAL].attrs["description"] = PARAMETERS_INTERVAL_DOC
        if result.log_marginal is not None:
            ds["log_marginal"] = ((SCENARIO,), np.asarray(result.log_marginal))
            ds["log_marginal"].attrs["description"] = "log p(evidence | scenario)"
        if result.now is not None:
            ds["probability_now"] = ((SCENARIO,), np.asarray(result.now, dtype=float))
            ds["probability_now"].attrs["description"] = (
                "P(S_now = k | E): the regime of the as-of date's period (probability: at the "
                "resolution date)"
            )
        return ds

    # an engine's warnings are known before its draws (the exact engine's draws are made when
    # first asked for: ``result.drawn``)
    warnings_ = [f"MCMC diagnostics failed: {p}" for p in result.diagnostics.get("problems", [])]

    @functools.cache
    def drawn() -> tuple[EngineResult, dict[str, xr.Dataset], dict[str, Any]]:
        # the draws' groups (posterior, sample_stats) and the whole diagnostics
        full = result if result.drawn is None else result.drawn()
        rb = full.posterior["scenario_probability"]
        chains, draws = rb.shape[:2]
        sample_coords = {CHAIN: np.arange(chains), DRAW: np.arange(draws)}
        posterior = {
            "pi": ((CHAIN, DRAW, SCENARIO), full.posterior["pi"]),
            "scenario_probability": ((CHAIN, DRAW, SCENARIO), rb),
        }
        post_coords: dict[str, Any] = {**sample_coords, **scen_coord}
        for ind in data.indicators:
            extra = ind.kind.coords(ind)
            post_coords.update(extra)
            posterior[ind.id] = ((CHAIN, DRAW, SCENARIO, *extra), full.posterior[ind.id])
        posterior_ds = xr.Dataset(posterior, coords=post_coords)
        posterior_ds["scenario_probability"].attrs["description"] = (
            "P(S = k | E, pi, theta) at each draw: the answer if the scenario mix and the "
            "likelihoods' parameters were known exactly (its mean is the probability); its "
            "spread is not a statement of confidence"
        )
        posterior_ds["pi"].attrs["description"] = (
            "the scenario mix of the prior Dirichlet(c * prior), not the forecast: given the "
            "evidence its mean is (c * prior + probability) / (c + 1); summarise "
            "scenario_probability for the forecast"
        )
        for ind in data.indicators:
            posterior_ds[ind.id].attrs.update(kind=ind.kind.name, parameter=ind.kind.parameter)
        sample_stats = xr.Dataset(
            {
                name: ((CHAIN, DRAW), np.asarray(v))
                for name, v in full.sample_stats.items()
                if np.ndim(v) == 2
            },
            coords=sample_coords,
        )
        diagnostics = dict(full.diagnostics)
        n_values = chains * draws * k * len(data.item_ids)
        if n_values > LOG_LIKELIHOOD_MAX_VALUES:
            diagnostics["log_likelihood"] = (
                f"omitted: {n_values:,} values exceed the limit of {LOG_LIKELIHOOD_MAX_VALUES:,}"
            )
        diagnostics["warnings"] = warnings_
        return full, {"posterior": posterior_ds, "sample_stats": sample_stats}, diagnostics

    def likelihood_groups() -> dict[str, xr.Dataset]:
        # the items' log-likelihoods at the draws: computed when the whole tree is first asked
        # for (a file, the JSON, an analysis), not for the table alone (36 ms of the bundled
        # question's `forecast run`)
        full, groups, diagnostics = drawn()
        out: dict[str, xr.Dataset] = {}
        if "log_likelihood" in diagnostics:  # omitted: too many values (drawn() says so)
            return out
        sample_coords = {c: groups["posterior"][c].values for c in (CHAIN, DRAW)}
        thetas = {ind.id: full.posterior[ind.id] for ind in data.indicators}
        ll = item_log_likelihood(data, thetas)
        item_coord = {ITEM: list(data.item_ids)}
        if full.now is None:  # (with dynamics an item's scenario is its period's regime)
            loo = item_log_likelihood(data, thetas, loo=True)
            pointwise = pointwise_log_likelihood(full.posterior["pi"], ll, loo)
            out[LOG_LIKELIHOOD] = xr.Dataset(
                {"evidence": ((CHAIN, DRAW, ITEM), pointwise)},
                coords={**sample_coords, **item_coord},
            )
            out[LOG_LIKELIHOOD]["evidence"].attrs["description"] = POINTWISE_DOC
        out[LOG_LIKELIHOOD_SCENARIO] = xr.Dataset(
            {"evidence": ((CHAIN, DRAW, SCENARIO, ITEM), ll)},
            coords={**sample_coords, **scen_coord, **item_coord},
        )
        out[LOG_LIKELIHOOD_SCENARIO]["evidence"].attrs["description"] = BY_SCENARIO_DOC
        return out

    constant_data = _item_table(evidence)
    provenance = {
        "question_id": question.id,
        "question_sha256": question.sha256(),
        "reliability_model": question.reliability,
        "evidence_sha256": evidence.sha256(),
        "question_file": display_path(question.source),
        "evidence_files": [display_path(f) for f in evidence.files],
        "as_of": as_of.isoformat(),
        "engine": result.engine,
        "engine_requested": engine_requested,
        "seed": seed,
        "settings": result.settings,
        # the numerical methods used (verify reruns an archived forecast with its own)
        "methods": methods.active(),
        "package_version": package_version(),
        "versions": versions(result.engine),
    }

    def attrs(diagnostics: dict[str, Any]) -> dict[str, str]:
        return {
            "format_version": FORMAT_VERSION,
            "provenance": json.dumps(provenance, default=str),
            "question": json.dumps(question.to_dict(), default=str),
            "evidence": json.dumps(evidence.item_dicts, default=str),
            "excluded": json.dumps([{"id": x.id, "reason": x.reason} for x in evidence.excluded]),
            "diagnostics": json.dumps(_jsonable(diagnostics)),
        }

    def build(conf: Confidence | None) -> xr.DataTree:
        # the groups in their order in files: forecast, posterior, confidence, log-likelihoods,
        # the rest
        full, groups, diagnostics = drawn()
        named = {"forecast": forecast_group(full), "posterior": groups["posterior"]}
        if conf is not None:
            named["confidence"] = conf.ds
        named.update(likelihood_groups())
        named.update(sample_stats=groups["sample_stats"], constant_data=constant_data)
        tree = xr.DataTree.from_dict(named)
        tree.attrs = attrs(diagnostics)
        return tree

    def headline() -> xr.DataTree:
        # what a table asks for: the probabilities, the inputs, the provenance, the warnings
        # (no draws: the exact engine makes them when the whole tree is asked for)
        named = {"forecast": forecast_group(None), "constant_data": constant_data}
        tree = xr.DataTree.from_dict(named)
        tree.attrs = attrs({**result.diagnostics, "warnings": warnings_})
        return tree

    diagnostics_of = (lambda: drawn()[2]) if result.drawn is not None else None
    if callable(confidence):
        once = functools.cache(confidence)  # asked for alone or with the whole tree: once
        return Forecast(
            headline(),
            complete=lambda: build(once()),
            confidence=once,
            diagnostics=diagnostics_of,
        )
    if result.drawn is not None:
        return Forecast(headline(), complete=lambda: build(confidence), diagnostics=diagnostics_of)
    return Forecast(build(confidence))


def pointwise_log_likelihood(pi: np.ndarray, shares: np.ndarray, loo: np.ndarray) -> np.ndarray:
    """``log p(y_i | y_-i, pi, theta)``, the scenario summed out, ``(chain, draw, item)``.

    ``shares`` are the items' log-likelihood shares under each scenario (they add up to
    ``log L``), ``loo`` what leaving each item out takes away (``log L - log L_-i``), both
    ``(chain, draw, K, n)``. With ``w = P(S = k | E, pi, theta)``,
    ``p(y_i | y_-i, pi, theta) = 1 / sum_k w_k exp(-loo_ki)``: the value whose importance
    ratios give the exact leave-one-out predictive ``p(y_i | y_-i)`` (what ArviZ's ``loo``
    estimates), though the items are not independent given the parameters (they share the
    scenario).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_w = np.log(np.asarray(pi))[..., None] + shares.sum(axis=-1, keepdims=True)
        log_w = log_w - np.logaddexp.reduce(log_w, axis=-2, keepdims=True)
        terms = np.where(np.isneginf(log_w), -np.inf, log_w - loo)
        return -np.logaddexp.reduce(terms, axis=-2)


def _item_table(evidence: Evidence) -> xr.Dataset:
    items = evidence.items
    values = [
        ("true" if it.value else "false") if isinstance(it.value, bool) else str(it.value)
        for it in items
    ]
    return xr.Dataset(
        {
            "item_indicator": ((ITEM,), np.array([it.indicator for it in items], dtype=str)),
            "item_value": ((ITEM,), np.array(values, dtype=str)),
            "item_weight": ((ITEM,), np.array([it.weight for it in items], dtype=float)),
            "item_exposure": (
                (ITEM,),
                np.array(
                    [np.nan if it.exposure is None else it.exposure for it in items], dtype=float
                ),
            ),
            "item_date": (
                (ITEM,),
                np.array([it.date.isoformat() for it in items], dtype="datetime64[D]").astype(
                    "datetime64[ns]"
                ),
            ),
        },
        coords={ITEM: np.array([it.id for it in items], dtype=str)},
    )


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
