"""The one result object, :class:`Forecast`: a view of its DataTree.

A forecast is an ``xarray.DataTree`` with these groups (both engines, same names and dims):

``forecast``
    ``probability``, ``mcse``, ``prior`` (scenario); ``interval_if_parameters_known``
    (scenario, ci_bound): the 5%-95% range of ``P(S = k | E, pi, theta)``, the answer if the
    scenario mix and the likelihoods' parameters were known exactly. Not a statement of
    confidence (it widens as evidence accumulates); kept so that files verify. Files of format
    1 call it ``interval``.
``confidence``
    The analytic confidence (:mod:`forecasting.confidence`): ``responsiveness``,
    ``opinion`` and ``origin_range`` (scenario, ci_bound) with their Monte Carlo errors,
    ``expected_move``, the origins' shares, the forecast without each origin, and the level
    with its reasons in the attributes. Absent from files made before format 2.
``posterior``
    ``pi`` (chain, draw, scenario); one variable per indicator, named by its id: the
    per-scenario parameter (chain, draw, scenario[, <id>_category]); ``scenario_probability``
    (chain, draw, scenario), the conditional ``P(S = k | E, pi, theta)``.
``log_likelihood``
    ``evidence`` (chain, draw, item): each item's pointwise log-likelihood as ArviZ reads it,
    ``log p(y_i | the other items, pi, theta)`` with the scenario summed out (``az.loo``,
    ``psense``). Absent with dynamics, and from files made before it existed.
``log_likelihood_scenario``
    ``evidence`` (chain, draw, scenario, item): each item's log-likelihood share under every
    scenario (the shares add up to ``log L``). Older files hold it as ``log_likelihood``
    (read as written; :meth:`Forecast.log_likelihood_by_scenario` finds it in either).
``sample_stats``
    ``diverging`` (chain, draw); the MCMC engine adds NUTS's own statistics.
``constant_data``
    The evidence items used: indicator, value, weight, exposure, date (item).

The root's attributes hold JSON: ``provenance`` (hashes, as-of, engine, settings, seed,
the numerical methods of :mod:`..model.methods`, versions), ``question`` and ``evidence``
(the inputs, so the file is self-contained), ``diagnostics`` and ``excluded``. :mod:`.files`
writes and reads it; :mod:`.assemble` makes it from an engine's output.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..confidence import Confidence
from ..core import lazy_dask  # noqa: F401  (xarray asks about Dask without importing it)
from ..core.constants import CATCH_ALL, CATCH_ALL_LABEL, CONFIDENCE_RANGE
from ..core.dims import CI_BOUND, SCENARIO
from ..inputs.evidence import Evidence, Exclusion
from ..inputs.question import Question
from .files import LOG_LIKELIHOOD, LOG_LIKELIHOOD_SCENARIO, read_tree, write_tree

#: The old "interval", named for what it is (see the module docstring).
PARAMETERS_INTERVAL = "interval_if_parameters_known"
PARAMETERS_INTERVAL_DOC = (
    "5%-95% range of P(S = k | E, pi, theta) over the posterior: the answer if the scenario "
    "mix and the likelihoods' parameters were known exactly. Not a statement of confidence: "
    "it widens as evidence accumulates (see the confidence group)"
)


class Forecast:
    """Posterior scenario probabilities, and how they were made.

    Use :func:`forecasting.forecast` to make one and :meth:`load` to read a saved one.
    ``tree`` holds everything (see the module docstring); the properties are views of it.
    """

    def __init__(
        self,
        tree: xr.DataTree,
        complete: Callable[[], xr.DataTree] | None = None,
        confidence: Callable[[], Confidence] | None = None,
        diagnostics: Callable[[], dict[str, Any]] | None = None,
    ):
        self._tree = tree
        # computes the whole tree (the confidence with it) when first asked for: a forecast
        # read only for its probabilities never spends the confidence's time (about 85% of a
        # bundled forecast's); ``confidence`` computes the confidence alone, for a forecast
        # read only for its table (the whole tree adds the items' log-likelihoods);
        # ``diagnostics`` the whole diagnostics (the exact engine's draws, made when first
        # asked for: ``tree`` until then holds no posterior draws)
        self._complete = complete
        self._confidence = confidence
        self._diagnostics = diagnostics
        self._inputs: tuple[Question, Evidence] | None = None
        self._labels: tuple[str, dict[str, str]] | None = None

    def _whole(self) -> xr.DataTree:
        if self._complete is not None:
            self._tree, self._complete = self._complete(), None
            # in the tree now (and a forecast pickles without them)
            self._confidence = self._diagnostics = None
        return self._tree

    # --- views ------------------------------------------------------------------------------
    @property
    def tree(self) -> xr.DataTree:
        """The full result as an ``xarray.DataTree``."""
        return self._whole()

    def _json_attr(self, name: str) -> Any:
        return json.loads(self._tree.attrs[name])

    @property
    def provenance(self) -> dict[str, Any]:
        """Hashes of the inputs, as-of date, engine, settings, seed and package versions."""
        return self._json_attr("provenance")

    @property
    def diagnostics(self) -> dict[str, Any]:
        """Engine diagnostics, with ``warnings``: problems in words (empty when all is well)."""
        if self._complete is not None and self._diagnostics is not None:
            return self._diagnostics()
        return self._json_attr("diagnostics")

    @property
    def warnings(self) -> list[str]:
        """Problems that anyone reading the forecast must see."""
        # known before the draws: read without them
        return list(self._json_attr("diagnostics").get("warnings", []))

    @property
    def flags(self) -> list[str]:
        """Why the weekly update flagged this forecast (as recorded when it was archived)."""
        return list(json.loads(self.tree.attrs.get("flags", "[]")))

    def flag(self, reasons: list[str]) -> Forecast:
        """Record the reasons an update flags this forecast (kept in its file)."""
        self.tree.attrs["flags"] = json.dumps(list(reasons))
        return self

    @property
    def question(self) -> dict[str, Any]:
        """The question as it was when forecast (plain data)."""
        return self._json_attr("question")

    def question_spec(self) -> Question:
        """The question as a validated :class:`~forecasting.Question` (validated once)."""
        return self._validated()[0]

    def evidence(self) -> Evidence:
        """The evidence used, as a validated :class:`~forecasting.Evidence` (validated once)."""
        return self._validated()[1]

    def _validated(self) -> tuple[Question, Evidence]:
        if self._inputs is None:
            # with the model this forecast used (one made before models could be chosen:
            # tempered)
            question = Question.model_validate(self.question).made_with(
                self.provenance.get("reliability_model", "tempered")
            )
            rows = self.evidence_items
            excluded = tuple(Exclusion(x["id"], x["reason"]) for x in self.excluded)
            if not rows:
                evidence = Evidence(question.id, (), excluded=excluded, as_of_date=self.as_of)
            else:
                ev = Evidence.from_items(rows, question)
                files = tuple(self.provenance.get("evidence_files", []))
                evidence = Evidence(question.id, ev.items, files, excluded, self.as_of)
            self._inputs = (question, evidence)
        return self._inputs

    @property
    def evidence_items(self) -> list[dict[str, Any]]:
        """The evidence items used (plain data, ledger order)."""
        return self._json_attr("evidence")

    @property
    def origins(self) -> list[str]:
        """The distinct origins of the evidence used (who first reported each item), sorted."""
        return sorted({it.get("origin", it["source"]) for it in self.evidence_items})

    @property
    def log_likelihood_by_scenario(self) -> xr.DataArray | None:
        """Each item's log-likelihood share under each scenario (chain, draw, scenario, item).

        From ``log_likelihood_scenario``, or from ``log_likelihood`` in a file of the earlier
        layout (which held it there); ``None`` where the file has neither (too many values).
        """
        tree = self.tree
        if LOG_LIKELIHOOD_SCENARIO in tree.children:
            return tree[LOG_LIKELIHOOD_SCENARIO]["evidence"]
        if LOG_LIKELIHOOD in tree.children and SCENARIO in tree[LOG_LIKELIHOOD].dims:
            return tree[LOG_LIKELIHOOD]["evidence"]
        return None

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
        # read from the question's JSON once per text of it: reports and tables ask per row
        # (a 300-scenario question's update parsed its 0.13 MB question per row: 3.7 s)
        raw = self._tree.attrs["question"]
        if self._labels is None or self._labels[0] is not raw:
            question = json.loads(raw)
            out = {k: v["label"] for k, v in question["scenarios"].items()}
            catch_all = question.get("catch_all")
            if catch_all is not None:
                out[CATCH_ALL] = catch_all.get("label", CATCH_ALL_LABEL)
            self._labels = (raw, out)
        return dict(self._labels[1])

    @property
    def probabilities(self) -> xr.DataArray:
        """Posterior probability of each scenario (dims: scenario)."""
        return self._tree["forecast"]["probability"]

    @property
    def now(self) -> xr.DataArray | None:
        """With dynamics, ``P(S_now = k | E)`` (:attr:`probabilities` is then at resolution)."""
        ds = self._tree["forecast"]
        return ds["probability_now"] if "probability_now" in ds else None

    @property
    def confidence(self) -> Confidence | None:
        """The analytic confidence (``None`` for a file made before format 2)."""
        if self._complete is not None and self._confidence is not None:
            return self._confidence()
        if "confidence" not in self._whole().children:
            return None
        return Confidence(self._tree["confidence"].to_dataset())

    @property
    def interval_if_parameters_known(self) -> xr.DataArray:
        """5%-95% range of ``P(S = k | E, pi, theta)`` (see the module docstring).

        The answer if the parameters were known exactly; not a statement of confidence.
        """
        ds = self._whole()["forecast"]
        return ds[PARAMETERS_INTERVAL] if PARAMETERS_INTERVAL in ds else ds["interval"]

    def scenario_draws(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The posterior draws of ``pi`` and of ``P(S = k | E, pi, theta)``, ``(n, K)`` each.

        Chains stacked, scenarios in declared order; ``None`` for a forecast with dynamics or
        a file without them.
        """
        if self.now is not None or "posterior" not in self._whole().children:
            return None
        post = self._tree["posterior"]
        if "pi" not in post or "scenario_probability" not in post:
            return None
        k = len(self.scenarios)
        pi = post["pi"].transpose(..., SCENARIO).values.reshape(-1, k)
        rb = post["scenario_probability"].transpose(..., SCENARIO).values.reshape(-1, k)
        return pi, rb

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
        """A table (pandas DataFrame) of scenarios: label, prior, probability, mcse, range.

        With dynamics also ``now``, ``P(S_now = k | E)`` (``probability`` is at resolution).

        The range (``responsive_lower``, ``responsive_upper``) is where the probability could be
        after the next horizon of typical evidence (5%-95%).
        """
        import pandas as pd

        labels = self.labels
        columns = {"label": [labels[s] for s in self.scenarios], "prior": self.prior.values}
        if self.now is not None:  # with dynamics: the probability is at resolution
            columns["now"] = self.now.values
        columns["probability"] = self.probabilities.values
        columns["mcse"] = self.mcse.values
        conf = self.confidence
        if conf is not None:
            r = conf.ds["responsiveness"]
            columns["responsive_lower"] = r.sel({CI_BOUND: "lower"}).values
            columns["responsive_upper"] = r.sel({CI_BOUND: "upper"}).values
        return pd.DataFrame(columns, index=pd.Index(self.scenarios, name=SCENARIO))

    def to_dict(self) -> dict[str, Any]:
        """The forecast as the JSON object printed by ``forecast run --json``."""
        labels = self.labels
        conf = self.confidence
        scen = []
        for k, s in enumerate(self.scenarios):
            row = {
                "id": s,
                "label": labels[s],
                "prior": _num(self.prior.values[k]),
                "probability": _num(self.probabilities.values[k]),
                "mcse": _num(self.mcse.values[k]),
                "responsiveness": None,
            }
            if self.now is not None:
                row["now"] = _num(self.now.values[k])
            if conf is not None:
                lo, hi = conf.ds["responsiveness"].values[k]
                row["responsiveness"] = {
                    "lower": _num(lo),
                    "upper": _num(hi),
                    "horizon_days": conf.horizon_days,
                    "mcse": _num(np.max(conf.ds["responsiveness_mcse"].values[k])),
                }
            scen.append(row)
        return {
            "question": self.question_id,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "range_prob": CONFIDENCE_RANGE,
            "scenarios": scen,
            "confidence": None if conf is None else conf.to_dict(),
            "evidence": {
                "used": [it["id"] for it in self.evidence_items],
                "n_items": len(self.evidence_items),
                "n_origins": len(self.origins),
                "origins": self.origins,
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
            f"  {s:<14} {p:.4f}"
            for s, p in zip(self.scenarios, self.probabilities.values, strict=True)
        )
        return (
            f"<Forecast {self.question_id} as of {self.as_of} ({self.engine}, "
            f"{len(self.evidence_items)} items)>\n{rows}"
        )

    # --- files ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the forecast to one NetCDF file (atomically: temporary file, then rename)."""
        return write_tree(self._whole(), path)

    @classmethod
    def load(cls, path: str | Path, *, groups: Sequence[str] | None = None) -> Forecast:
        """Read a forecast written by :meth:`save`, checking that it is one.

        ``groups`` reads only those groups of the tree (``("forecast",)`` is enough for the
        probabilities, the inputs and the provenance); all of them by default.
        """
        return cls(read_tree(path, groups=groups))


def _num(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
