"""The disagreement map: which judgements the analysts differ on, and how much each one moves.

Each analyst's overlay (:mod:`forecasting.inputs.overlays`) changes some judgements of the
shared question; each changed leaf of the overlay is one **judgement**: a scenario's prior
(``prior of 'accession'``), one likelihood entry (``sanctions_conditionality | accession``),
an indicator's trend under one scenario, its noise, sd, concentration or half-life, a relay, a
reliability code, the prior concentration, the half-life, the dynamics' period or one
transition row.

For each analyst ``i`` the move of their forecast from the shared question's,
``p_i - p_shared``, is split exactly over the judgements ``U_i`` the analyst changed by their
Shapley values: the value of a coalition ``S`` of ``U_i`` is the exact engine's posterior under
the shared question with the overrides in ``S`` applied (the analyst's forecast when ``S`` is
all of ``U_i``, the shared one when it is empty). Scenario priors must sum to 1, so a coalition
holding only some of an analyst's prior changes renormalises the named scenarios' priors (the
posterior depends on the priors' ratios only); the catch-all's prior is its own judgement.
With at most :data:`MAX_EXACT` judgements every coalition is computed (``2**n`` exact
posteriors) and the parts sum to the total to rounding; with more, :data:`PERMUTATIONS` random
orders are drawn, each order's parts summing to the total exactly, and the Monte Carlo standard
error of each part is stated.

The pooled answer's move is split too. For the linear pool it is ``sum_i w_i (p_i -
p_shared)``, so analyst ``i``'s judgement ``j`` moves the pool by ``w_i phi_ij``, exactly. The
log and gmo pools are not linear in the analysts' probabilities: there the pool's move (from
the pool of ``n`` copies of the shared forecast, which is the shared forecast unless
extremized) is split by a Shapley value over every (analyst, judgement) pair at once, a
coalition's value being the pool of each analyst's coalition value (cheap once the analysts'
coalitions are computed): exact up to :data:`POOLED_MAX_EXACT` pairs, else sampled.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.pooling import pool as pooled_by
from ..engines.exact import exact_posterior
from ..inputs.evidence import Evidence
from ..inputs.overlays import Overlay, apply_overrides, load_overlays
from ..inputs.question import Question
from ..inputs.resolve import resolve_inputs
from ..kinds import get_kind
from ..model.data import ModelData
from ..results.analysts import AnalystForecasts
from .shapley import Value, cached, shapley_values

#: Most judgements of one analyst for which every coalition is computed (1,024 posteriors).
MAX_EXACT = 10
#: Random orders drawn for an analyst with more judgements than :data:`MAX_EXACT`.
PERMUTATIONS = 200
#: Most (analyst, judgement) pairs for which a log or gmo pool's Shapley value is exact.
POOLED_MAX_EXACT = 16
#: Random orders for a log or gmo pool's Shapley value beyond :data:`POOLED_MAX_EXACT` pairs.
POOLED_PERMUTATIONS = 2000

Path_ = tuple[Hashable, ...]


@dataclass(frozen=True)
class Judgement:
    """One changed leaf of an overlay: its path in the question, its label, its value."""

    path: Path_
    label: str
    value: Any

    @property
    def key(self) -> str:
        """The path as text (``scenarios.accession.prior``): the ``judgement`` coordinate."""
        return ".".join(str(p) for p in self.path)


# --- the judgements of an overlay -------------------------------------------------------------


def judgements(question: Question, overrides: Mapping[str, Any]) -> list[Judgement]:
    """The judgements ``overrides`` (a validated overlay's) changes, in the overlay's order."""
    out: list[Judgement] = []

    def add(path: Path_, label: str, value: Any) -> None:
        out.append(Judgement(path, label, value))

    for key, value in overrides.items():
        if key == "scenarios":
            for sid, entry in value.items():
                for field, v in entry.items():
                    add((key, sid, field), f"{field} of '{sid}'", v)
        elif key == "catch_all":
            for field, v in value.items():
                add((key, field), f"{field} of the catch-all", v)
        elif key == "relays":
            for name, v in value.items():
                add((key, name), f"relay of '{name}'", v)
        elif key == "reliability_codes":
            for name, v in value.items():
                add((key, name), f"reliability code '{name}'", v)
        elif key == "dynamics":
            for field, v in value.items():
                if field == "transitions":
                    for sid, row in v.items():
                        add((key, field, sid), f"dynamics: transitions from '{sid}'", row)
                else:
                    add((key, field), f"dynamics: {field}", v)
        elif key == "indicators":
            for name, entry in value.items():
                likelihood = get_kind(question.indicators[name].kind).likelihood_field
                for field, v in entry.items():
                    if field == likelihood:
                        for sid, e in v.items():
                            add((key, name, field, sid), f"{name} | {sid}", e)
                    elif field == "trend":
                        for sid, e in v.items():
                            add((key, name, field, sid), f"trend of {name} | {sid}", e)
                    else:
                        add((key, name, field), f"{field} of {name}", v)
        else:  # prior_concentration, half_life_days
            add((key,), str(key), value)
    return out


def coalition_question(
    question: Question, changed: Sequence[Judgement], subset: Sequence[int]
) -> Question:
    """The shared ``question`` with the judgements ``changed[j]``, ``j`` in ``subset``, applied.

    Named scenarios' priors given for only some scenarios are renormalised (see the module).
    """
    overrides: dict[str, Any] = {}
    priors = dict(zip(question.named_scenarios, _named_prior(question), strict=True))
    prior_changed = False
    for j in subset:
        path = changed[j].path
        if path[0] == "scenarios" and path[-1] == "prior":
            priors[str(path[1])] = float(changed[j].value)
            prior_changed = True
            continue
        node = overrides
        for p in path[:-1]:
            node = node.setdefault(p, {})
        node[path[-1]] = changed[j].value
    if prior_changed:
        total = sum(priors.values())
        scenarios = overrides.setdefault("scenarios", {})
        for sid, p in priors.items():
            scenarios.setdefault(sid, {})["prior"] = p / total
    return apply_overrides(question, overrides) if overrides else question


def _named_prior(question: Question) -> list[float]:
    given = [s.prior for s in question.scenarios.values()]
    if all(p is None for p in given):
        return [1.0 / len(given)] * len(given)
    return [float(p) for p in given]


# --- the map ----------------------------------------------------------------------------------


def disagreement_map(
    question: Question | str | Path,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    analysts: str | Sequence[str | Path] = "all",
    pool: str | None = None,
    extremize: float | None = None,
    weights: Mapping[str, float] | Sequence[float] | str | None = None,
    seed: int = 0,
    forecasts: AnalystForecasts | None = None,
) -> xr.Dataset:
    """Which judgements the analysts differ on, and how much each moves them and the pool.

    The arguments are those of :func:`forecasting.api.forecast_analysts`. Returns a Dataset
    with dims ``judgement`` (every judgement some analyst changed, as ``scenarios.accession.
    prior``; coordinate ``judgement_label``, readable text), ``analyst`` and ``scenario``:

    - ``contribution`` (judgement, analyst, scenario): the judgement's Shapley part of the
      analyst's move from the shared forecast (0 where the analyst did not change it);
      ``contribution_mcse``: its Monte Carlo standard error (0 when exact);
    - ``changed`` (judgement, analyst): whether the analyst changed it;
    - ``total`` (analyst, scenario): the analyst's probability minus the shared one;
    - ``pooled_contribution`` (judgement, analyst, scenario) and its ``pooled_contribution_mcse``:
      the part of the pool's move due to that analyst's judgement; ``pooled_total`` (scenario):
      the pool minus ``baseline`` (scenario), the pool of the shared forecast alone;
    - ``probability`` (analyst, scenario), ``shared``, ``pooled`` (scenario);

    attributes ``methods`` (JSON: analyst to ``exact`` or ``sampled``), ``pooled_method``,
    ``pool``, ``extremize``, ``leader`` (the pool's leading scenario) and ``permutations``.

    ``forecasts``: the analysts' forecasts already made by ``forecast_analysts`` with these
    arguments (their pool, weights and probabilities are then taken from it, not computed
    again).
    """
    question, used, as_of = resolve_inputs(question, evidence, as_of)
    from ..api import forecast_analysts  # the pool's method, weights and checks, in one place

    result = forecasts or forecast_analysts(
        question,
        used,
        as_of=as_of,
        analysts=analysts,
        pool=pool,
        extremize=extremize,
        weights=weights,
        confidence=False,
    )
    overlays = load_overlays(question, analysts)
    shared = np.asarray(result.probabilities["shared"].values, dtype=float)
    scenarios = result.scenarios
    per: list[tuple[Overlay, list[Judgement], Value]] = []
    for o in overlays:
        changed = judgements(question, o.overrides)
        per.append((o, changed, cached(_coalition_value(question, used, o, changed, shared))))
    return _assemble(
        per,
        result.probabilities,
        result.method,
        result.extremize,
        scenarios,
        [result.labels[s] for s in scenarios],
        seed,
    )


def _coalition_value(
    question: Question, used: Evidence, overlay: Overlay, changed: list[Judgement], shared
) -> Value:
    """A coalition's exact posterior.

    The question is parsed and its data built once per coalition of the non-prior judgements; a
    coalition with prior changes too takes that data with its priors (and the priors each
    indicator's noise distribution averages over) set.
    """
    full = (1 << len(changed)) - 1
    prior_bits = sum(1 << j for j, c in enumerate(changed) if _is_prior(c))
    built: dict[int, ModelData] = {}

    def value(mask: int) -> np.ndarray:
        if mask == 0:
            return shared
        if mask == full:  # the analyst's own question, exactly as forecast_analysts reads it
            return exact_posterior(ModelData.build(overlay.question, used)).probability
        rest = mask & ~prior_bits
        if rest not in built:
            subset = [j for j in range(len(changed)) if rest >> j & 1]
            built[rest] = ModelData.build(coalition_question(question, changed, subset), used)
        data = built[rest]
        if mask != rest:
            p = prior_vector(question, changed, [j for j in range(len(changed)) if mask >> j & 1])
            data = replace(
                data,
                prior=p,
                indicators=tuple(replace(i, scenario_prior=p) for i in data.indicators),
            )
        return exact_posterior(data).probability

    return value


def _is_prior(judgement: Judgement) -> bool:
    return judgement.path[0] in ("scenarios", "catch_all") and judgement.path[-1] == "prior"


def prior_vector(question: Question, changed: Sequence[Judgement], subset: Sequence[int]):
    """The scenario priors of :func:`coalition_question` (as ``Question.prior`` makes them)."""
    named = dict(zip(question.named_scenarios, _named_prior(question), strict=True))
    catch = None if question.catch_all is None else question.catch_all.prior
    for j in subset:
        path = changed[j].path
        if path[0] == "scenarios" and path[-1] == "prior":
            named[str(path[1])] = float(changed[j].value)
        elif path[0] == "catch_all" and path[-1] == "prior":
            catch = float(changed[j].value)
    p = np.array(list(named.values()), dtype=float)
    p = p / p.sum()
    return p if catch is None else np.append(p * (1.0 - catch), catch)


def _assemble(
    per: list[tuple[Overlay, list[Judgement], Value]],
    forecasts: xr.Dataset,
    method: str,
    extremize: float,
    scenarios: list[str],
    scenario_labels: list[str],
    seed: int,
) -> xr.Dataset:
    names = [o.analyst for o, _, _ in per]
    keys: dict[str, str] = {}
    for _, changed, _ in per:
        for j in changed:
            keys.setdefault(j.key, j.label)
    index = {k: n for n, k in enumerate(keys)}
    shape = (len(keys), len(names), len(scenarios))
    phi, se = np.zeros(shape), np.zeros(shape)
    changed_mask = np.zeros(shape[:2], dtype=bool)
    methods: dict[str, str] = {}
    for a, (o, changed, value) in enumerate(per):
        part, err, how = shapley_values(
            value, len(changed), max_exact=MAX_EXACT, permutations=PERMUTATIONS, seed=seed + a
        )
        methods[o.analyst] = how
        for j, judgement in enumerate(changed):
            row = index[judgement.key]
            phi[row, a], se[row, a], changed_mask[row, a] = part[j], err[j], True
    probability = np.asarray(forecasts["probability"].values, dtype=float)
    shared = np.asarray(forecasts["shared"].values, dtype=float)
    w = np.asarray(forecasts["weight"].values, dtype=float)
    pooled = np.asarray(forecasts["pooled"].values, dtype=float)
    baseline = pooled_by(np.tile(shared, (len(names), 1)), method, w, extremize)
    if method == "linear":
        pooled_phi, pooled_se = phi * w[None, :, None], se * w[None, :, None]
        pooled_method = "exact" if all(m == "exact" for m in methods.values()) else "sampled"
    else:
        pooled_phi, pooled_se, pooled_method = _pooled_shapley(
            per, index, shape, method, w, extremize, seed
        )
    ds = xr.Dataset(
        {
            "contribution": (("judgement", "analyst", "scenario"), phi),
            "contribution_mcse": (("judgement", "analyst", "scenario"), se),
            "changed": (("judgement", "analyst"), changed_mask),
            "total": (("analyst", "scenario"), probability - shared[None, :]),
            "pooled_contribution": (("judgement", "analyst", "scenario"), pooled_phi),
            "pooled_contribution_mcse": (("judgement", "analyst", "scenario"), pooled_se),
            "pooled_total": (("scenario",), pooled - baseline),
            "baseline": (("scenario",), baseline),
            "probability": (("analyst", "scenario"), probability),
            "shared": (("scenario",), shared),
            "pooled": (("scenario",), pooled),
        },
        coords={
            "judgement": np.array(list(keys), dtype=str),
            "judgement_label": ("judgement", np.array(list(keys.values()), dtype=str)),
            "analyst": np.array(names, dtype=str),
            "scenario": np.array(scenarios, dtype=str),
            "scenario_label": ("scenario", np.array(scenario_labels, dtype=str)),
        },
        attrs={
            "methods": json.dumps(methods),
            "pooled_method": pooled_method,
            "pool": method,
            "extremize": float(extremize),
            "leader": scenarios[int(np.argmax(pooled))],
            "permutations": PERMUTATIONS,
        },
    )
    ds["contribution"].attrs["description"] = (
        "Shapley part of the analyst's move from the shared forecast due to the judgement"
    )
    ds["pooled_contribution"].attrs["description"] = (
        "part of the pool's move (from the pool of the shared forecast) due to the analyst's "
        "judgement"
    )
    return ds


def _pooled_shapley(
    per: list[tuple[Overlay, list[Judgement], Value]],
    index: dict[str, int],
    shape: tuple[int, int, int],
    method: str,
    w: np.ndarray,
    extremize: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Shapley values of every (analyst, judgement) pair for a log or gmo pool's move."""
    players = [(a, j) for a, (_, changed, _) in enumerate(per) for j in range(len(changed))]
    offsets = np.cumsum([0] + [len(changed) for _, changed, _ in per])

    def value(mask: int) -> np.ndarray:
        rows = [
            per[a][2]((mask >> int(offsets[a])) & ((1 << len(per[a][1])) - 1))
            for a in range(len(per))
        ]
        return pooled_by(np.array(rows), method, w, extremize)

    part, err, how = shapley_values(
        cached(value),
        len(players),
        max_exact=POOLED_MAX_EXACT,
        permutations=POOLED_PERMUTATIONS,
        seed=seed + len(per),
    )
    phi, se = np.zeros(shape), np.zeros(shape)
    for p, (a, j) in enumerate(players):
        row = index[per[a][1][j].key]
        phi[row, a], se[row, a] = part[p], err[p]
    return phi, se, how


def top_judgements(ds: xr.Dataset, scenario: str | None = None, n: int = 8) -> list[int]:
    """Indices of the ``n`` judgements moving ``scenario`` (default: the leader) most.

    Ranked by the largest absolute contribution to any analyst's move, then to the pool's.
    """
    k = list(ds["scenario"].values).index(scenario or ds.attrs["leader"])
    each = np.abs(ds["contribution"].values[:, :, k]).max(axis=1, initial=0.0)
    pooled = np.abs(ds["pooled_contribution"].values[:, :, k].sum(axis=1))
    order = sorted(range(len(each)), key=lambda j: (-each[j], -pooled[j], j))
    return order[:n]


def to_dict(ds: xr.Dataset) -> dict[str, Any]:
    """The map as JSON-ready data (the ``disagreement`` field of ``forecast run --json``)."""
    scenarios = [str(s) for s in ds["scenario"].values]
    analysts = [str(a) for a in ds["analyst"].values]

    def row(values: np.ndarray) -> dict[str, float]:
        return {s: float(v) for s, v in zip(scenarios, values, strict=True)}

    items = []
    for j, key in enumerate(ds["judgement"].values):
        items.append(
            {
                "judgement": str(key),
                "label": str(ds["judgement_label"].values[j]),
                "analysts": {
                    a: {
                        "contribution": row(ds["contribution"].values[j, i]),
                        "mcse": row(ds["contribution_mcse"].values[j, i]),
                    }
                    for i, a in enumerate(analysts)
                    if ds["changed"].values[j, i]
                },
                "pooled": row(ds["pooled_contribution"].values[j].sum(axis=0)),
            }
        )
    return {
        "leader": ds.attrs["leader"],
        "methods": json.loads(ds.attrs["methods"]),
        "pooled_method": ds.attrs["pooled_method"],
        "judgements": items,
        "total": {a: row(ds["total"].values[i]) for i, a in enumerate(analysts)},
        "pooled_total": row(ds["pooled_total"].values),
        "baseline": row(ds["baseline"].values),
    }
