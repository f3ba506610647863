"""The one result object, :class:`Forecast`, and its NetCDF file.

A forecast is an ``xarray.DataTree`` with these groups (both engines, same names and dims):

``forecast``
    ``probability``, ``mcse``, ``prior`` (scenario) and ``interval`` (scenario, ci_bound).
``posterior``
    ``pi`` (chain, draw, scenario); one variable per indicator, named by its id: the
    per-scenario parameter (chain, draw, scenario[, <id>_category]); ``scenario_probability``
    (chain, draw, scenario), the conditional ``P(S = k | E, pi, theta)``.
``log_likelihood``
    ``evidence`` (chain, draw, scenario, item): each item's tempered log-likelihood
    ``w * log f(y | theta_k)`` under every scenario.
``sample_stats``
    ``diverging`` (chain, draw); the MCMC engine adds NUTS's own statistics.
``constant_data``
    The evidence items used: indicator, value, weight, exposure, date (item).

The root's attributes hold JSON: ``provenance`` (hashes, as-of, engine, settings, seed,
versions), ``question`` and ``evidence`` (the inputs, so the file is self-contained),
``diagnostics`` and ``excluded``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ._version import package_version
from .constants import INTERVAL_KIND, INTERVAL_PROB, LOG_LIKELIHOOD_MAX_VALUES
from .dims import CHAIN, CI_BOUND, DRAW, ITEM, SCENARIO, category_dim
from .engines.common import EngineResult, item_log_likelihood
from .errors import ForecastingError
from .evidence import Evidence, Exclusion
from .model_data import ModelData
from .spec import Question
from .stats import eti

FORMAT_VERSION = 1


def _versions(engine: str) -> dict[str, str]:
    names = ["numpy", "scipy", "xarray", "pydantic", "PyYAML"]
    if engine == "mcmc":
        names += ["pymc", "pytensor", "arviz-stats", "numba"]
    out = {"python": sys.version.split()[0]}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "absent"
    return out


class Forecast:
    """Posterior scenario probabilities with credible intervals, and how they were made.

    Use :func:`forecasting.forecast` to make one and :meth:`load` to read a saved one.
    ``tree`` holds everything (see the module docstring); the properties are views of it.
    """

    def __init__(self, tree: xr.DataTree):
        self._tree = tree

    # --- views ------------------------------------------------------------------------------
    @property
    def tree(self) -> xr.DataTree:
        """The full result as an ``xarray.DataTree``."""
        return self._tree

    def _json_attr(self, name: str) -> Any:
        return json.loads(self._tree.attrs[name])

    @property
    def provenance(self) -> dict[str, Any]:
        """Hashes of the inputs, as-of date, engine, settings, seed and package versions."""
        return self._json_attr("provenance")

    @property
    def diagnostics(self) -> dict[str, Any]:
        """Engine diagnostics, with ``warnings``: problems in words (empty when all is well)."""
        return self._json_attr("diagnostics")

    @property
    def warnings(self) -> list[str]:
        """Problems that anyone reading the forecast must see."""
        return list(self.diagnostics.get("warnings", []))

    @property
    def question(self) -> dict[str, Any]:
        """The question as it was when forecast (plain data)."""
        return self._json_attr("question")

    def question_spec(self) -> Question:
        """The question as a validated :class:`~forecasting.Question`."""
        return Question.model_validate(self.question)

    def evidence(self) -> Evidence:
        """The evidence used, as a validated :class:`~forecasting.Evidence`."""
        question = self.question_spec()
        rows = self.evidence_items
        excluded = tuple(Exclusion(x["id"], x["reason"]) for x in self.excluded)
        if not rows:
            return Evidence(question.id, (), excluded=excluded)
        ev = Evidence.from_items(rows, question)
        return Evidence(
            question.id, ev.items, tuple(self.provenance.get("evidence_files", [])), excluded
        )

    @property
    def evidence_items(self) -> list[dict[str, Any]]:
        """The evidence items used (plain data, ledger order)."""
        return self._json_attr("evidence")

    @property
    def excluded(self) -> list[dict[str, str]]:
        """Items left out, each ``{"id", "reason"}``."""
        return self._json_attr("excluded")

    @property
    def question_id(self) -> str:
        """Id of the question."""
        return self.provenance["question_id"]

    @property
    def title(self) -> str:
        """Title of the question."""
        return self.question["title"]

    @property
    def as_of(self) -> dt.date:
        """The as-of date: evidence dated after it was left out."""
        return dt.date.fromisoformat(self.provenance["as_of"])

    @property
    def engine(self) -> str:
        """The engine that produced the forecast: ``exact`` or ``mcmc``."""
        return self.provenance["engine"]

    @property
    def scenarios(self) -> list[str]:
        """Scenario ids in declared order."""
        return [str(s) for s in self._tree["forecast"][SCENARIO].values]

    @property
    def labels(self) -> dict[str, str]:
        """Scenario id to label."""
        return {k: v["label"] for k, v in self.question["scenarios"].items()}

    @property
    def probabilities(self) -> xr.DataArray:
        """Posterior probability of each scenario (dims: scenario)."""
        return self._tree["forecast"]["probability"]

    @property
    def interval(self) -> xr.DataArray:
        """Credible interval of each scenario's probability (dims: scenario, ci_bound)."""
        return self._tree["forecast"]["interval"]

    @property
    def mcse(self) -> xr.DataArray:
        """Monte Carlo standard error of each probability (0 for the exact engine)."""
        return self._tree["forecast"]["mcse"]

    @property
    def prior(self) -> xr.DataArray:
        """Prior probability of each scenario."""
        return self._tree["forecast"]["prior"]

    @property
    def leading(self) -> str:
        """Id of the most probable scenario."""
        return self.scenarios[int(np.argmax(self.probabilities.values))]

    def summary(self):
        """A table (pandas DataFrame) of scenarios: label, prior, probability, mcse, interval."""
        import pandas as pd

        lo, hi = self.interval.sel({CI_BOUND: "lower"}), self.interval.sel({CI_BOUND: "upper"})
        labels = self.labels
        return pd.DataFrame(
            {
                "label": [labels[s] for s in self.scenarios],
                "prior": self.prior.values,
                "probability": self.probabilities.values,
                "mcse": self.mcse.values,
                "lower": lo.values,
                "upper": hi.values,
            },
            index=pd.Index(self.scenarios, name=SCENARIO),
        )

    def headline(self, previous: Forecast | None = None) -> str:
        """One sentence: the leading scenario, its probability, ICD 203 term and interval.

        With ``previous``, the change since that forecast (``"up 7 points since ..."``).
        """
        from .language import change_words, estimative

        k = self.leading
        p = float(self.probabilities.sel({SCENARIO: k}))
        lo, hi = (float(x) for x in self.interval.sel({SCENARIO: k}).values)
        pct = int(round(INTERVAL_PROB * 100))
        text = (
            f"{self.labels[k]}: {_pct(p)} ({estimative(p)}; {pct}% interval "
            f"{_pct(lo, sign=False)}\u2013{_pct(hi)})"
        )
        if previous is not None and k in previous.scenarios:
            before = float(previous.probabilities.sel({SCENARIO: k}))
            return f"{text}, {change_words(p - before)} since {previous.as_of.isoformat()}"
        return f"{text} as of {self.as_of.isoformat()}"

    def to_dict(self) -> dict[str, Any]:
        """The forecast as the JSON object printed by ``forecast run --json``."""
        labels = self.labels
        scen = []
        for k, s in enumerate(self.scenarios):
            lo, hi = self.interval.values[k]
            scen.append(
                {
                    "id": s,
                    "label": labels[s],
                    "prior": _num(self.prior.values[k]),
                    "probability": _num(self.probabilities.values[k]),
                    "mcse": _num(self.mcse.values[k]),
                    "interval": {"lower": _num(lo), "upper": _num(hi)},
                }
            )
        return {
            "question": self.question_id,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "interval_prob": INTERVAL_PROB,
            "scenarios": scen,
            "evidence": {
                "used": [it["id"] for it in self.evidence_items],
                "excluded": self.excluded,
            },
            "diagnostics": self.diagnostics,
            "provenance": self.provenance,
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), **kwargs)

    def __repr__(self) -> str:
        rows = "\n".join(
            f"  {s:<14} {_pct(p):>6}  [{_pct(lo, sign=False)}, {_pct(hi)}]"
            for s, p, (lo, hi) in zip(
                self.scenarios, self.probabilities.values, self.interval.values, strict=True
            )
        )
        return (
            f"<Forecast {self.question_id} as of {self.as_of} ({self.engine}, "
            f"{len(self.evidence_items)} items)>\n{rows}"
        )

    # --- files ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the forecast to one NetCDF file (atomically: temporary file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self._tree.to_netcdf(tmp, engine="netcdf4", encoding=_compression(self._tree))
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Forecast:
        """Read a forecast written by :meth:`save`, checking that it is one."""
        path = Path(path)
        try:
            with xr.open_datatree(path, engine="netcdf4") as tree:
                tree = tree.load()
        except (OSError, ValueError) as exc:
            raise ForecastingError(f"{path}: not a readable forecast file ({exc})") from None
        attrs = tree.attrs
        if "provenance" not in attrs or "forecast" not in tree.children:
            raise ForecastingError(
                f"{path}: a NetCDF file, but not a forecast saved by this "
                "package (no provenance or forecast group)"
            )
        fmt = int(attrs.get("format_version", 0))
        if fmt > FORMAT_VERSION:
            raise ForecastingError(
                f"{path}: written by a newer version of the package (file "
                f"format {fmt}, this version reads up to {FORMAT_VERSION})"
            )
        for name in ("interval",):
            var = tree["forecast"][name]
            if CI_BOUND in var.dims:
                tree["forecast"][name] = var.assign_coords(
                    {CI_BOUND: [str(v) for v in var[CI_BOUND].values]}
                )
        return cls(tree)


def _display_path(path: str | None) -> str | None:
    """A path relative to the working directory when it lies below it (portable provenance)."""
    if path is None:
        return None
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _compression(tree: xr.DataTree) -> dict[str, dict[str, dict[str, Any]]]:
    """Lossless zlib compression (byte-shuffled) of every floating-point variable."""
    out = {}
    for node in tree.subtree:
        ds = node.dataset
        enc = {
            name: {"zlib": True, "complevel": 4, "shuffle": True}
            for name in ds.data_vars
            if ds[name].dtype.kind == "f"
        }
        if enc:
            out[node.path] = enc
    return out


def _pct(p: float, *, sign: bool = True) -> str:
    if not math.isfinite(p):
        return "n/a"
    text = f"{100 * p:.0f}" if 0.01 <= p <= 0.99 or p in (0.0, 1.0) else f"{100 * p:.1f}"
    if text in ("0", "0.0") and p > 0:
        text = "<0.1"
    if text in ("100", "100.0") and p < 1:
        text = ">99.9"
    return text + ("%" if sign else "")


def _num(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


# --- assembling a forecast from an engine's output ------------------------------------------


def make_forecast(
    data: ModelData,
    result: EngineResult,
    *,
    question: Question,
    evidence: Evidence,
    as_of: dt.date,
    seed: int,
    engine_requested: str,
) -> Forecast:
    """Assemble the :class:`Forecast` of one engine run (both engines go through here)."""
    k = data.n_scenarios
    scen_coord = {SCENARIO: list(data.scenarios)}
    probability = np.asarray(result.probability, dtype=float)
    rb = result.posterior["scenario_probability"]
    interval = eti(rb, INTERVAL_PROB, axis=(0, 1))
    forecast_ds = xr.Dataset(
        {
            "probability": ((SCENARIO,), probability),
            "mcse": ((SCENARIO,), np.asarray(result.mcse, dtype=float)),
            "prior": ((SCENARIO,), data.prior),
            "interval": ((SCENARIO, CI_BOUND), interval),
        },
        coords={
            **scen_coord,
            CI_BOUND: ["lower", "upper"],
            "label": ((SCENARIO,), list(data.labels)),
        },
        attrs={"interval_prob": INTERVAL_PROB, "interval_kind": INTERVAL_KIND},
    )
    if result.log_marginal is not None:
        forecast_ds["log_marginal"] = ((SCENARIO,), np.asarray(result.log_marginal))
        forecast_ds["log_marginal"].attrs["description"] = "log p(evidence | scenario)"

    chains, draws = rb.shape[:2]
    sample_coords = {CHAIN: np.arange(chains), DRAW: np.arange(draws)}
    posterior = {
        "pi": ((CHAIN, DRAW, SCENARIO), result.posterior["pi"]),
        "scenario_probability": ((CHAIN, DRAW, SCENARIO), rb),
    }
    post_coords: dict[str, Any] = {**sample_coords, **scen_coord}
    for ind in data.indicators:
        dims: tuple[str, ...] = (CHAIN, DRAW, SCENARIO)
        if ind.kind == "categorical":
            cdim = category_dim(ind.id)
            dims += (cdim,)
            post_coords[cdim] = list(ind.categories or ())
        posterior[ind.id] = (dims, result.posterior[ind.id])
    posterior_ds = xr.Dataset(posterior, coords=post_coords)
    for ind in data.indicators:
        posterior_ds[ind.id].attrs.update(kind=ind.kind, parameter=ind.family.parameter)

    groups: dict[str, xr.Dataset] = {"forecast": forecast_ds, "posterior": posterior_ds}
    diagnostics = dict(result.diagnostics)
    warnings_ = [f"MCMC diagnostics failed: {p}" for p in diagnostics.get("problems", [])]
    n_values = chains * draws * k * len(data.item_ids)
    if n_values <= LOG_LIKELIHOOD_MAX_VALUES:
        thetas = {ind.id: result.posterior[ind.id] for ind in data.indicators}
        ll = item_log_likelihood(data, thetas)
        groups["log_likelihood"] = xr.Dataset(
            {"evidence": ((CHAIN, DRAW, SCENARIO, ITEM), ll)},
            coords={**sample_coords, **scen_coord, ITEM: list(data.item_ids)},
        )
    else:
        diagnostics["log_likelihood"] = (
            f"omitted: {n_values:,} values exceed the limit of {LOG_LIKELIHOOD_MAX_VALUES:,}"
        )
    groups["sample_stats"] = xr.Dataset(
        {
            name: ((CHAIN, DRAW), np.asarray(v))
            for name, v in result.sample_stats.items()
            if np.ndim(v) == 2
        },
        coords=sample_coords,
    )
    groups["constant_data"] = _item_table(evidence)
    diagnostics["warnings"] = warnings_

    provenance = {
        "question_id": question.id,
        "question_sha256": question.sha256(),
        "evidence_sha256": evidence.sha256(),
        "question_file": _display_path(question.source),
        "evidence_files": [_display_path(f) for f in evidence.files],
        "as_of": as_of.isoformat(),
        "engine": result.engine,
        "engine_requested": engine_requested,
        "seed": seed,
        "settings": result.settings,
        "package_version": package_version(),
        "versions": _versions(result.engine),
    }
    tree = xr.DataTree.from_dict(groups)
    tree.attrs = {
        "format_version": FORMAT_VERSION,
        "provenance": json.dumps(provenance, default=str),
        "question": json.dumps(question.to_dict(), default=str),
        "evidence": json.dumps(evidence.item_dicts, default=str),
        "excluded": json.dumps([{"id": x.id, "reason": x.reason} for x in evidence.excluded]),
        "diagnostics": json.dumps(_jsonable(diagnostics)),
    }
    return Forecast(tree)


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
