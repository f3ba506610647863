"""What a forecast rests on: evidence influence and judgement sensitivity, kept apart.

Two different questions, named differently everywhere:

* **Evidence influence** (:func:`evidence_influence`): how much does each *item of evidence*
  move the forecast? For every item, the posterior without it (leave-one-out), the shift per
  scenario, and its log Bayes factor for each scenario against the rest (its *diagnosticity*).
  An item equally likely under every scenario has Bayes factors near 1 and is not diagnostic,
  however surprising it is. Also per indicator and per source (all of a source's items dropped).
* **Judgement sensitivity** (:func:`judgement_sensitivity`): how much does each *elicited
  quantity* move the forecast? Each indicator x scenario likelihood (its mean moved between the
  5% and 95% quantiles of the elicited distribution, spread unchanged; a categorical likelihood
  is moved one category at a time, keeping its concentration), each scenario prior (odds
  halved and doubled), the prior concentration (halved and doubled) and each item's reliability
  (odds halved and doubled; a weight of 1 is moved down to 0.5 only).

Built on these: :func:`tipping_points` (how far each judgement or item must move before the
leading scenario changes), :func:`next_observation` (which single new observation of each
indicator would change the leader) and :func:`value_of_information` (expected entropy reduction
and probability of a change of leader from one more observation). All are exact and vectorised
over settings: a sweep is one call (:func:`sweep`).

For models without a closed form (e.g. a PyMC model extended by research code), the influence of
each item comes from Pareto-smoothed importance reweighting of one MCMC posterior
(:func:`influence_psis`), with the Pareto k reported and items with k > 0.7 refitted; and the
power-scaling sensitivity of ArviZ (:func:`power_scaling`) is reported beside the exact analyses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from scipy import special

from .dims import CI_BOUND, INDICATOR, ITEM, SCENARIO
from .evidence import Evidence
from .model_data import IndicatorData, ModelData
from .spec import Question
from .stats import entropy, normalise_log

JUDGEMENT = "judgement"
SETTING = "setting"
SOURCE = "source"
OUTCOME = "outcome"
VALUE = "value"

#: Quantiles of an elicited distribution between which its mean is moved.
QUANTILES = (0.05, 0.95)
#: Smallest ``alpha + beta`` a Beta may take when its sd cannot stay unchanged.
MIN_BETA_CONCENTRATION = 1.0
#: Pareto k above which importance reweighting is not trusted and the item is refitted.
PARETO_K_MAX = 0.7
#: Grid size of the coarse search for tipping points (refined by root finding).
TIPPING_GRID = 512


# --- the base: a model and its closed-form posterior -----------------------------------------


@dataclass(frozen=True)
class Base:
    """A model with its closed-form pieces, shared by every analysis."""

    data: ModelData
    question: Question | None = None
    evidence: Evidence | None = None

    @cached_property
    def log_marginals(self) -> np.ndarray:
        """Per-indicator log marginal likelihoods without constants, ``(J, K)``."""
        if not self.data.indicators:
            return np.zeros((0, self.data.n_scenarios))
        return np.stack([i.family.log_marginal(i.prior, i.stats) for i in self.data.indicators])

    @cached_property
    def log_prior(self) -> np.ndarray:
        """Log prior scenario probabilities."""
        with np.errstate(divide="ignore"):
            return np.log(self.data.prior)

    @cached_property
    def log_joint(self) -> np.ndarray:
        """``log prior_k + sum_j log m_kj`` (unnormalised log posterior)."""
        return self.log_prior + self.log_marginals.sum(axis=0)

    @cached_property
    def probability(self) -> np.ndarray:
        """``P(S = k | E)``."""
        return normalise_log(self.log_joint)

    @property
    def leader(self) -> int:
        """Index of the most probable scenario."""
        return int(np.argmax(self.probability))

    @property
    def scenarios(self) -> list[str]:
        """Scenario ids."""
        return list(self.data.scenarios)

    def indicator(self, name: str) -> tuple[int, IndicatorData]:
        """Position and data of an indicator."""
        for j, ind in enumerate(self.data.indicators):
            if ind.id == name:
                return j, ind
        raise KeyError(f"no indicator '{name}'")

    def item(self, item_id: str) -> tuple[int, IndicatorData, int]:
        """Indicator position, indicator data and position within it, of an item."""
        for j, ind in enumerate(self.data.indicators):
            if item_id in ind.item_ids:
                return j, ind, ind.item_ids.index(item_id)
        raise KeyError(f"no evidence item '{item_id}'")


def base_of(
    source: Any, evidence: Evidence | str | Path | None = None, as_of: dt.date | str | None = None
) -> Base:
    """A :class:`Base` from a Forecast, a :class:`Base`, or a question (+ evidence, as-of)."""
    from .api import _inputs
    from .result import Forecast

    if isinstance(source, Base):
        return source
    if isinstance(source, Forecast):
        question, ev = source.question_spec(), source.evidence()
        return Base(ModelData.build(question, ev), question, ev)
    question, used, _ = _inputs(source, evidence, as_of)
    return Base(ModelData.build(question, used), question, used)


def item_stats(ind: IndicatorData) -> np.ndarray:
    """Each item's own tempered statistics, ``(n, P)``; they sum to ``ind.stats``."""
    w, y = ind.weights, ind.values
    if ind.kind == "count":
        return np.stack([w * y, w * ind.exposures], axis=-1)
    if ind.kind == "binary":
        return np.stack([w * y, w * (1.0 - y)], axis=-1)
    onehot = np.zeros((len(y), len(ind.categories or ())))
    onehot[np.arange(len(y)), y.astype(int)] = 1.0
    return onehot * w[:, None]


def outcome_stats(
    ind: IndicatorData, outcomes: np.ndarray, weight: float, exposure: float
) -> np.ndarray:
    """Tempered statistics of single observations ``outcomes`` (values as in ModelData)."""
    outcomes = np.asarray(outcomes, dtype=float)
    if ind.kind == "count":
        return np.stack([weight * outcomes, np.full_like(outcomes, weight * exposure)], axis=-1)
    if ind.kind == "binary":
        return np.stack([weight * outcomes, weight * (1.0 - outcomes)], axis=-1)
    onehot = np.zeros((len(outcomes), len(ind.categories or ())))
    onehot[np.arange(len(outcomes)), outcomes.astype(int)] = weight
    return onehot


def _logit(log_joint: np.ndarray) -> np.ndarray:
    """``log P_k - log(1 - P_k)`` from unnormalised log weights, in log space."""
    k = log_joint.shape[-1]
    out = np.empty_like(log_joint)
    for i in range(k):
        rest = np.delete(log_joint, i, axis=-1)
        out[..., i] = log_joint[..., i] - special.logsumexp(rest, axis=-1)
    return out


# --- evidence influence ----------------------------------------------------------------------


def evidence_influence(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Leave-one-out influence of every evidence item (exact, vectorised).

    Returns a Dataset with dims ``(item, scenario)``: ``probability_without`` (the posterior
    without the item), ``shift`` (with minus without), ``log_bayes_factor`` (the item's
    Bayes factor for each scenario against the rest, given the other items) and, per item,
    ``diagnosticity`` (largest absolute log Bayes factor). Coordinates name each item's
    indicator, source, value and weight. Items are in ledger order; sort by diagnosticity.
    """
    base = base_of(source, evidence, as_of)
    data = base.data
    order = {item: n for n, item in enumerate(data.item_ids)}
    lj = np.tile(base.log_joint, (len(data.item_ids), 1))
    for j, ind in enumerate(data.indicators):
        if not ind.item_ids:
            continue
        lm_loo = ind.family.log_marginal(ind.prior, _without_stats(ind, item_stats(ind)))
        rows = [order[i] for i in ind.item_ids]
        lj[rows] = base.log_joint[None, :] - base.log_marginals[j][None, :] + lm_loo
    return _influence(
        base, ITEM, list(data.item_ids), lj, coords=_item_coords(base), kind="evidence influence"
    )


def _influence(
    base: Base,
    dim: str,
    names: list[str],
    lj: np.ndarray,
    *,
    coords: dict[str, Any] | None = None,
    kind: str,
    n_items: list[int] | None = None,
) -> xr.Dataset:
    """The influence Dataset of leaving out each group of items (``lj``: log joint without)."""
    lj = lj.reshape(len(names), base.data.n_scenarios)
    without = normalise_log(lj)
    log_bf = _logit(base.log_joint)[None, :] - _logit(lj)
    ds = xr.Dataset(
        {
            "probability_without": ((dim, SCENARIO), without),
            "shift": ((dim, SCENARIO), base.probability[None, :] - without),
            "log_bayes_factor": ((dim, SCENARIO), log_bf),
            "diagnosticity": (
                (dim,),
                np.max(np.abs(log_bf), axis=1) if len(names) else np.zeros(0),
            ),
            "probability": ((SCENARIO,), base.probability),
        },
        coords={dim: names, SCENARIO: base.scenarios, **(coords or {})},
        attrs={"kind": kind, "leader": base.scenarios[base.leader]},
    )
    if n_items is not None:
        ds["n_items"] = ((dim,), n_items)
    return ds


def _without_stats(ind: IndicatorData, drop: np.ndarray) -> np.ndarray:
    """Statistics of an indicator without the items in the rows of ``drop`` (n, P)."""
    st = ind.stats[None, :] - drop
    return np.where(np.abs(st) < 1e-12 * (1 + np.abs(ind.stats)), 0.0, st)


def _item_coords(base: Base) -> dict[str, Any]:
    data = base.data
    if base.evidence is not None:
        by_id = {it.id: it for it in base.evidence.items}
        src = [by_id[i].source for i in data.item_ids]
        val = [_value_text(by_id[i].value) for i in data.item_ids]
        date = [by_id[i].date.isoformat() for i in data.item_ids]
    else:
        src = [""] * len(data.item_ids)
        val = [""] * len(data.item_ids)
        date = [""] * len(data.item_ids)
    weight = np.zeros(len(data.item_ids))
    order = {item: n for n, item in enumerate(data.item_ids)}
    for ind in data.indicators:
        for item, w in zip(ind.item_ids, ind.weights, strict=True):
            weight[order[item]] = w
    return {
        "item_indicator": (ITEM, list(data.item_indicator)),
        "item_source": (ITEM, src),
        "item_value": (ITEM, val),
        "item_date": (ITEM, date),
        "item_weight": (ITEM, weight),
    }


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def indicator_influence(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Influence of all items of each indicator together (dims ``indicator, scenario``)."""
    base = base_of(source, evidence, as_of)
    names = [ind.id for ind in base.data.indicators]
    lj = base.log_joint[None, :] - base.log_marginals  # drop indicator j's evidence
    return _influence(
        base,
        INDICATOR,
        names,
        lj,
        kind="evidence influence by indicator",
        n_items=[len(i.item_ids) for i in base.data.indicators],
    )


def source_influence(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Influence of all items of each source together (dims ``source, scenario``)."""
    base = base_of(source, evidence, as_of)
    data = base.data
    if base.evidence is None:
        raise ValueError("source influence needs the evidence items (their sources)")
    by_id = {it.id: it.source for it in base.evidence.items}
    sources = sorted({by_id[i] for i in data.item_ids})
    rows = []
    for s in sources:
        lm = []
        for ind in data.indicators:
            mask = np.array([by_id[i] == s for i in ind.item_ids], dtype=bool)
            drop = item_stats(ind)[mask].sum(axis=0) if ind.item_ids else 0.0
            lm.append(ind.family.log_marginal(ind.prior, _without_stats(ind, drop)[0]))
        rows.append(base.log_prior + np.sum(lm, axis=0))
    counts = [sum(by_id[i] == s for i in data.item_ids) for s in sources]
    return _influence(
        base, SOURCE, sources, np.array(rows), kind="evidence influence by source", n_items=counts
    )


# --- judgements: what they are, their ranges, and vectorised sweeps ---------------------------


@dataclass(frozen=True)
class Judgement:
    """One elicited quantity, in the units the analyst thinks in."""

    id: str
    kind: str  # likelihood | prior | concentration | reliability
    target: str  # indicator id, scenario id, "" or item id
    scenario: str  # the scenario whose likelihood or prior it is ("" otherwise)
    category: str  # for categorical likelihoods
    unit: str
    base: float
    low: float
    high: float
    lower_limit: float
    upper_limit: float
    label: str


def judgements(base: Base) -> list[Judgement]:
    """Every elicited quantity of the model with its base value and sensitivity range."""
    data = base.data
    out: list[Judgement] = []
    q = base.question
    for ind in data.indicators:
        spec = q.indicators[ind.id] if q is not None else None
        for k, s in enumerate(data.scenarios):
            if ind.kind == "count":
                a, b = ind.prior[k]
                per = getattr(spec, "per_days", 1.0)
                unit = f"mean rate per {per:g} day{'s' if per != 1 else ''}"
                lo, hi = special.gammaincinv(a, np.array(QUANTILES)) / b
                mean, sd = a / b, np.sqrt(a) / b
                out.append(
                    Judgement(
                        f"likelihood:{ind.id}:{s}",
                        "likelihood",
                        ind.id,
                        s,
                        "",
                        unit,
                        mean,
                        lo,
                        hi,
                        mean * 1e-3,
                        mean + 20 * sd,
                        f"{ind.id} | {s}",
                    )
                )
            elif ind.kind == "binary":
                a, b = ind.prior[k]
                lo, hi = special.betaincinv(a, b, np.array(QUANTILES))
                out.append(
                    Judgement(
                        f"likelihood:{ind.id}:{s}",
                        "likelihood",
                        ind.id,
                        s,
                        "",
                        "P(true)",
                        a / (a + b),
                        lo,
                        hi,
                        1e-4,
                        1 - 1e-4,
                        f"{ind.id} | {s}",
                    )
                )
            else:
                alpha = ind.prior[k]
                total = alpha.sum()
                for c, cat in enumerate(ind.categories or ()):
                    lo, hi = special.betaincinv(alpha[c], total - alpha[c], np.array(QUANTILES))
                    out.append(
                        Judgement(
                            f"likelihood:{ind.id}:{s}:{cat}",
                            "likelihood",
                            ind.id,
                            s,
                            cat,
                            f"P({cat})",
                            alpha[c] / total,
                            lo,
                            hi,
                            1e-4,
                            1 - 1e-4,
                            f"{ind.id}={cat} | {s}",
                        )
                    )
    for k, s in enumerate(data.scenarios):
        p = data.prior[k]
        out.append(
            Judgement(
                f"prior:{s}",
                "prior",
                s,
                s,
                "",
                "prior probability",
                p,
                _odds_scale(p, 0.5),
                _odds_scale(p, 2.0),
                1e-4,
                1 - 1e-4,
                f"prior | {s}",
            )
        )
    c = data.concentration
    out.append(
        Judgement(
            "concentration",
            "concentration",
            "",
            "",
            "",
            "prior concentration",
            c,
            c / 2,
            2 * c,
            c / 100,
            c * 100,
            "prior concentration",
        )
    )
    for ind in data.indicators:
        for item, w in zip(ind.item_ids, ind.weights, strict=True):
            low = 0.5 if w >= 1.0 else _odds_scale(w, 0.5)
            high = 1.0 if w >= 1.0 else _odds_scale(w, 2.0)
            out.append(
                Judgement(
                    f"reliability:{item}",
                    "reliability",
                    item,
                    "",
                    "",
                    "reliability weight",
                    float(w),
                    low,
                    high,
                    0.0,
                    1.0,
                    f"reliability | {item}",
                )
            )
    return out


def _odds_scale(p: float, factor: float) -> float:
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    o = p / (1 - p) * factor
    return o / (1 + o)


def _find(base: Base, judgement_id: str) -> Judgement:
    for jd in judgements(base):
        if jd.id == judgement_id:
            return jd
    from .errors import did_you_mean

    ids = [jd.id for jd in judgements(base)]
    raise KeyError(f"no judgement '{judgement_id}'{did_you_mean(judgement_id, ids)}")


def _gamma_with_mean(a: float, b: float, means: np.ndarray) -> np.ndarray:
    sd = np.sqrt(a) / b
    return np.stack([(means / sd) ** 2, means / sd**2], axis=-1)


def _beta_with_mean(a: float, b: float, means: np.ndarray) -> np.ndarray:
    var = a * b / ((a + b) ** 2 * (a + b + 1))
    nu = np.maximum(means * (1 - means) / var - 1, min(MIN_BETA_CONCENTRATION, a + b))
    return np.stack([means * nu, (1 - means) * nu], axis=-1)


def sweep_log_joint(base: Base, jd: Judgement, values: np.ndarray) -> np.ndarray:
    """Unnormalised log posterior ``(n, K)`` with judgement ``jd`` set to each of ``values``."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    data = base.data
    lj = np.tile(base.log_joint, (n, 1))
    if jd.kind == "likelihood":
        j, ind = base.indicator(jd.target)
        k = data.scenarios.index(jd.scenario)
        if ind.kind == "count":
            params = _gamma_with_mean(*ind.prior[k], values)
        elif ind.kind == "binary":
            params = _beta_with_mean(*ind.prior[k], values)
        else:
            alpha = ind.prior[k]
            c = (ind.categories or ()).index(jd.category)
            total, old = alpha.sum(), alpha[c] / alpha.sum()
            scale = (1 - values) / (1 - old)
            params = alpha[None, :] * scale[:, None]
            params[:, c] = values * total
        lm_new = ind.family.log_marginal(params, ind.stats)  # settings play the scenario axis
        lj[:, k] = base.log_joint[k] - base.log_marginals[j, k] + lm_new
    elif jd.kind == "prior":
        k = data.scenarios.index(jd.scenario)
        p = np.tile(data.prior, (n, 1))
        rest = 1.0 - data.prior[k]
        p *= ((1.0 - values) / rest)[:, None]
        p[:, k] = values
        with np.errstate(divide="ignore"):
            lj = np.log(p) + base.log_marginals.sum(axis=0)[None, :]
    elif jd.kind == "reliability":
        j, ind, i = base.item(jd.target)
        unit = item_stats(ind)[i] / ind.weights[i] if ind.weights[i] > 0 else _unit_stats(ind, i)
        new_stats = ind.stats[None, :] + (values - ind.weights[i])[:, None] * unit[None, :]
        new_stats = np.maximum(new_stats, 0.0)
        lm_new = ind.family.log_marginal(ind.prior, new_stats)
        lj = base.log_joint[None, :] - base.log_marginals[j][None, :] + lm_new
    # concentration: the point probability does not depend on it (the interval does)
    return lj


def _unit_stats(ind: IndicatorData, i: int) -> np.ndarray:
    w = ind.weights.copy()
    w[:] = 0.0
    w[i] = 1.0
    one = IndicatorData(
        ind.id,
        ind.kind,
        ind.family,
        ind.prior,
        ind.categories,
        ind.item_ids,
        ind.values,
        w,
        ind.exposures,
    )
    return item_stats(one)[i]


def sweep(
    source: Any,
    judgement: str,
    values: Any,
    *,
    evidence: Evidence | str | Path | None = None,
    as_of: dt.date | str | None = None,
) -> xr.DataArray:
    """Scenario probabilities with one judgement set to each of ``values`` (vectorised).

    ``judgement`` is an id from :func:`judgement_sensitivity` (e.g.
    ``"likelihood:joint_operations:accession"`` in units of the mean rate,
    ``"likelihood:us_rhetoric:informal:hostile"``, ``"prior:collapse"``, ``"concentration"``,
    ``"reliability:<item id>"``). Returns dims ``(value, scenario)``.
    """
    base = base_of(source, evidence, as_of)
    jd = _find(base, judgement)
    values = np.atleast_1d(np.asarray(values, dtype=float))
    probs = normalise_log(sweep_log_joint(base, jd, values))
    return xr.DataArray(
        probs,
        dims=(VALUE, SCENARIO),
        coords={VALUE: values, SCENARIO: base.scenarios},
        name="probability",
        attrs={"judgement": jd.id, "unit": jd.unit, "base": jd.base, "label": jd.label},
    )


def judgement_sensitivity(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Swing of every scenario's probability as each judgement moves over its range.

    Dims ``(judgement, setting, scenario)`` for ``probability`` (settings ``low``/``high``)
    and ``(judgement, scenario)`` for ``swing`` (high minus low); coordinates give each
    judgement's kind, target, scenario, category, unit, label and base/low/high values.
    """
    base = base_of(source, evidence, as_of)
    jds = judgements(base)
    probs = np.empty((len(jds), 2, base.data.n_scenarios))
    for n, jd in enumerate(jds):
        probs[n] = normalise_log(sweep_log_joint(base, jd, np.array([jd.low, jd.high])))
    swing = probs[:, 1] - probs[:, 0]
    return xr.Dataset(
        {
            "probability": ((JUDGEMENT, SETTING, SCENARIO), probs),
            "swing": ((JUDGEMENT, SCENARIO), swing),
            "leader_swing": ((JUDGEMENT,), np.abs(swing[:, base.leader])),
        },
        coords={
            JUDGEMENT: [jd.id for jd in jds],
            SETTING: ["low", "high"],
            SCENARIO: base.scenarios,
            **_judgement_coords(jds),
        },
        attrs={
            "kind": "judgement sensitivity",
            "leader": base.scenarios[base.leader],
            "quantiles": list(QUANTILES),
        },
    )


def _judgement_coords(jds: list[Judgement]) -> dict[str, Any]:
    return {
        "judgement_kind": (JUDGEMENT, [j.kind for j in jds]),
        "judgement_target": (JUDGEMENT, [j.target for j in jds]),
        "judgement_scenario": (JUDGEMENT, [j.scenario for j in jds]),
        "judgement_category": (JUDGEMENT, [j.category for j in jds]),
        "judgement_unit": (JUDGEMENT, [j.unit for j in jds]),
        "judgement_label": (JUDGEMENT, [j.label for j in jds]),
        "base_value": (JUDGEMENT, [j.base for j in jds]),
        "low_value": (JUDGEMENT, [j.low for j in jds]),
        "high_value": (JUDGEMENT, [j.high for j in jds]),
    }


def concentration_intervals(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    draws: int = 4000,
    seed: int = 0,
) -> xr.DataArray:
    """Credible intervals with the prior concentration halved, as given, and doubled.

    The concentration does not move the point probabilities, only their intervals.
    Dims ``(setting, scenario, ci_bound)``.
    """
    from dataclasses import replace

    from .constants import INTERVAL_PROB
    from .engines import exact
    from .engines.common import conditional_probability
    from .stats import eti

    base = base_of(source, evidence, as_of)
    out = []
    for factor in (0.5, 1.0, 2.0):
        data = replace(base.data, concentration=base.data.concentration * factor)
        rng = np.random.default_rng(seed)
        _, log_pi, thetas = exact.draw_joint(data, base.probability, draws, rng)
        rb = conditional_probability(data, log_pi, thetas)
        out.append(eti(rb, INTERVAL_PROB, axis=0))
    return xr.DataArray(
        np.array(out),
        dims=(SETTING, SCENARIO, CI_BOUND),
        coords={
            SETTING: ["low", "base", "high"],
            SCENARIO: base.scenarios,
            CI_BOUND: ["lower", "upper"],
            "concentration": (SETTING, [base.data.concentration * f for f in (0.5, 1.0, 2.0)]),
        },
        name="interval",
    )


# --- tipping points ---------------------------------------------------------------------------


def _margin(lj: np.ndarray, leader: int) -> np.ndarray:
    """Leader's log weight minus the best other scenario's (positive while it leads)."""
    rest = np.delete(lj, leader, axis=-1)
    return lj[..., leader] - rest.max(axis=-1)


def _grid(jd: Judgement) -> np.ndarray:
    lo, hi = jd.lower_limit, jd.upper_limit
    if jd.kind == "likelihood" and jd.unit.startswith("mean rate"):
        g = np.geomspace(lo, hi, TIPPING_GRID)
    else:
        g = np.linspace(lo, hi, TIPPING_GRID)
    return np.unique(np.concatenate([g, [jd.base]]))


def _tip(base: Base, jd: Judgement) -> tuple[float, str, float, str]:
    """Nearest flipping values below and above the base value, and who then leads."""
    if jd.kind == "concentration":
        return np.nan, "", np.nan, ""
    grid = _grid(jd)
    lj = sweep_log_joint(base, jd, grid)
    m = _margin(lj, base.leader)
    b = int(np.searchsorted(grid, jd.base))
    results = []
    for direction in (-1, 1):
        idx = range(b - 1, -1, -1) if direction < 0 else range(b + 1, len(grid))
        prev = b
        found = None
        for i in idx:
            if m[i] < 0:
                found = (prev, i)
                break
            prev = i
        if found is None:
            results += [np.nan, ""]
            continue
        x0, x1 = grid[found[0]], grid[found[1]]
        for _ in range(4):  # refine on finer and finer vectorised grids (64**4 ~ 1.7e7)
            fine = np.linspace(x0, x1, 65)
            ok = _margin(sweep_log_joint(base, jd, fine), base.leader) >= 0
            first_bad = int(np.argmin(ok)) if not ok.all() else len(fine) - 1
            x0, x1 = fine[max(first_bad - 1, 0)], fine[first_bad]
        new = int(np.argmax(sweep_log_joint(base, jd, np.array([x1]))[0]))
        results += [float(x1), base.scenarios[new]]
    return results[0], results[1], results[2], results[3]


def tipping_points(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """How far each judgement must move before the leading scenario changes.

    For each judgement: the nearest value below and above its base value (in its own units,
    within its allowed range) at which another scenario takes the lead, and which one; NaN
    and ``""`` where no value in the allowed range flips it. ``distance`` is the smaller move.
    """
    base = base_of(source, evidence, as_of)
    jds = judgements(base)
    rows = [_tip(base, jd) for jd in jds]
    below = np.array([r[0] for r in rows], dtype=float)
    above = np.array([r[2] for r in rows], dtype=float)
    base_values = np.array([jd.base for jd in jds])
    dist = np.fmin(np.abs(below - base_values), np.abs(above - base_values))
    return xr.Dataset(
        {
            "flip_below": ((JUDGEMENT,), below),
            "leader_below": ((JUDGEMENT,), [r[1] for r in rows]),
            "flip_above": ((JUDGEMENT,), above),
            "leader_above": ((JUDGEMENT,), [r[3] for r in rows]),
            "distance": ((JUDGEMENT,), dist),
            "lower_limit": ((JUDGEMENT,), [jd.lower_limit for jd in jds]),
            "upper_limit": ((JUDGEMENT,), [jd.upper_limit for jd in jds]),
        },
        coords={JUDGEMENT: [jd.id for jd in jds], **_judgement_coords(jds)},
        attrs={"kind": "tipping points", "leader": base.scenarios[base.leader]},
    )


def item_tipping_points(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    max_count: int = 1000,
) -> xr.Dataset:
    """For each item, the nearest different value that would change the leading scenario.

    Counts are searched up and down (to 0 and to ``max_count``); binary items try the other
    value; categorical items every other category. ``""`` where no value flips it.
    """
    base = base_of(source, evidence, as_of)
    data = base.data
    order = {item: n for n, item in enumerate(data.item_ids)}
    n_items = len(data.item_ids)
    flip_value = [""] * n_items
    flip_leader = [""] * n_items
    for j, ind in enumerate(data.indicators):
        unit_items = item_stats(ind)
        for i, item in enumerate(ind.item_ids):
            y = ind.values[i]
            if ind.kind == "count":
                alts = np.arange(0, max(max_count, int(y) + 1) + 1, dtype=float)
                alts = alts[alts != y]
            elif ind.kind == "binary":
                alts = np.array([1.0 - y])
            else:
                alts = np.array(
                    [c for c in range(len(ind.categories or ())) if c != y], dtype=float
                )
            if not len(alts):
                continue
            new = outcome_stats(ind, alts, ind.weights[i], ind.exposures[i])
            st = ind.stats[None, :] - unit_items[i][None, :] + new
            st = np.maximum(st, 0.0)
            lj = (
                base.log_joint[None, :]
                - base.log_marginals[j][None, :]
                + ind.family.log_marginal(ind.prior, st)
            )
            flips = np.argmax(lj, axis=1) != base.leader
            if flips.any():
                cand = np.flatnonzero(flips)
                best = cand[np.argmin(np.abs(alts[cand] - y))] if ind.kind == "count" else cand[0]
                flip_value[order[item]] = _outcome_text(ind, alts[best])
                flip_leader[order[item]] = base.scenarios[int(np.argmax(lj[best]))]
    return xr.Dataset(
        {"flip_value": ((ITEM,), flip_value), "leader_after": ((ITEM,), flip_leader)},
        coords={ITEM: list(data.item_ids), **_item_coords(base)},
        attrs={"kind": "item tipping points", "leader": base.scenarios[base.leader]},
    )


def _outcome_text(ind: IndicatorData, value: float) -> str:
    if ind.kind == "count":
        return str(int(value))
    if ind.kind == "binary":
        return "true" if value else "false"
    return (ind.categories or ())[int(value)]


# --- the next observation: what it could show, and what it is worth ---------------------------


def _usual_exposure(base: Base, ind: IndicatorData) -> float:
    """The window of a next count observation: one ``per_days`` period (exposure 1)."""
    return 1.0


def _outcomes(
    base: Base, ind: IndicatorData, exposure: float, tail: float = 1e-9, max_count: int = 10_000
) -> tuple[np.ndarray, np.ndarray]:
    """Possible next observations and their posterior predictive probabilities."""
    if ind.kind == "binary":
        outcomes = np.array([0.0, 1.0])
    elif ind.kind == "categorical":
        outcomes = np.arange(len(ind.categories or ()), dtype=float)
    else:
        outcomes = np.arange(0, 64, dtype=float)
    while True:
        pred = _predictive(base, ind, outcomes, exposure)
        if ind.kind != "count" or pred.sum() >= 1 - tail or len(outcomes) >= max_count:
            break
        outcomes = np.arange(0, min(2 * len(outcomes), max_count), dtype=float)
    return outcomes, pred / pred.sum()


def _predictive(
    base: Base, ind: IndicatorData, outcomes: np.ndarray, exposure: float
) -> np.ndarray:
    """``p(y | E) = sum_k P(k | E) p(y | k, E)`` (untempered, weight 1)."""
    st = ind.stats[None, :] + outcome_stats(ind, outcomes, 1.0, exposure)
    log_pred_k = (
        ind.family.log_marginal(ind.prior, st)
        - ind.family.log_marginal(ind.prior, ind.stats)[None, :]
    )
    if ind.kind == "count":
        log_pred_k = (
            log_pred_k
            + (special.xlogy(outcomes, exposure) - special.gammaln(outcomes + 1))[:, None]
        )
    with np.errstate(divide="ignore"):  # a scenario of probability 0 contributes nothing
        log_p = np.log(base.probability)
    return np.exp(special.logsumexp(log_pred_k + log_p[None, :], axis=1))


def next_observation(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    weight: float = 1.0,
    min_probability: float = 1e-4,
) -> xr.Dataset:
    """What one more observation of each indicator could show and what each would do.

    For each indicator and each possible next observation (for counts: over one ``per_days``
    period), its posterior predictive probability, the scenario probabilities after it (an
    item of reliability ``weight``), and whether the leader changes. Outcomes less probable
    than ``min_probability`` are left out, unless they would change the leader.
    Dims ``(outcome, scenario)``.
    """
    base = base_of(source, evidence, as_of)
    rows_ind, rows_val, rows_p, rows_post, rows_exp = [], [], [], [], []
    for j, ind in enumerate(base.data.indicators):
        exposure = _usual_exposure(base, ind)
        outcomes, pred = _outcomes(base, ind, exposure)
        st = ind.stats[None, :] + outcome_stats(ind, outcomes, weight, exposure)
        lj = (
            base.log_joint[None, :]
            - base.log_marginals[j][None, :]
            + ind.family.log_marginal(ind.prior, st)
        )
        post = normalise_log(lj)
        keep = pred >= min_probability
        keep |= np.argmax(post, axis=1) != base.leader  # always show what would flip it
        for o, p, row in zip(outcomes[keep], pred[keep], post[keep], strict=True):
            rows_ind.append(ind.id)
            rows_val.append(_outcome_text(ind, o))
            rows_p.append(p)
            rows_post.append(row)
            rows_exp.append(exposure)
    post = np.array(rows_post).reshape(-1, base.data.n_scenarios)
    leaders = [base.scenarios[int(k)] for k in np.argmax(post, axis=1)] if len(post) else []
    return xr.Dataset(
        {
            "predictive_probability": ((OUTCOME,), np.array(rows_p, dtype=float)),
            "probability": ((OUTCOME, SCENARIO), post),
            "leader": ((OUTCOME,), leaders),
            "flips": (
                (OUTCOME,),
                np.array([ld != base.scenarios[base.leader] for ld in leaders], dtype=bool),
            ),
        },
        coords={
            OUTCOME: np.arange(len(rows_ind)),
            SCENARIO: base.scenarios,
            "outcome_indicator": (OUTCOME, rows_ind),
            "outcome_value": (OUTCOME, rows_val),
            "outcome_exposure": (OUTCOME, np.array(rows_exp, dtype=float)),
        },
        attrs={"kind": "next observation", "leader": base.scenarios[base.leader], "weight": weight},
    )


def value_of_information(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Expected value of one more (confirmed) observation of each indicator.

    ``entropy_reduction`` is the expected drop in the entropy (nats) of the scenario
    distribution, i.e. the mutual information between the scenario and the next observation
    under the posterior predictive; ``p_leader_change`` the probability that the most likely
    scenario changes. Dims ``(indicator,)``; rank by either to decide what to watch next.
    """
    base = base_of(source, evidence, as_of)
    h0 = float(entropy(base.probability))
    names, gain, change, exposures = [], [], [], []
    for j, ind in enumerate(base.data.indicators):
        exposure = _usual_exposure(base, ind)
        outcomes, pred = _outcomes(base, ind, exposure)
        st = ind.stats[None, :] + outcome_stats(ind, outcomes, 1.0, exposure)
        lj = (
            base.log_joint[None, :]
            - base.log_marginals[j][None, :]
            + ind.family.log_marginal(ind.prior, st)
        )
        post = normalise_log(lj)
        names.append(ind.id)
        gain.append(h0 - float(np.sum(pred * entropy(post, axis=1))))
        change.append(float(np.sum(pred[np.argmax(post, axis=1) != base.leader])))
        exposures.append(exposure)
    return xr.Dataset(
        {
            "entropy_reduction": ((INDICATOR,), np.array(gain)),
            "p_leader_change": ((INDICATOR,), np.array(change)),
            "exposure": ((INDICATOR,), np.array(exposures)),
        },
        coords={INDICATOR: names},
        attrs={
            "kind": "value of information",
            "entropy": h0,
            "leader": base.scenarios[base.leader],
        },
    )


# --- MCMC output: power scaling and importance-reweighted influence --------------------------


def _mcmc_parts(forecast) -> tuple[Base, np.ndarray, np.ndarray]:
    """Base, log pi ``(C, D, K)`` and per-item log-likelihood ``(C, D, K, n)`` of a forecast."""
    base = base_of(forecast)
    tree = forecast.tree
    with np.errstate(divide="ignore"):
        log_pi = np.log(tree["posterior"]["pi"].values)
    ll = tree["log_likelihood"]["evidence"].values
    return base, log_pi, ll


def log_prior_density(forecast) -> np.ndarray:
    """``log p(pi) + sum_j log p(theta_j)`` for every posterior draw, ``(chain, draw)``."""
    base = base_of(forecast)
    post = forecast.tree["posterior"]
    data = base.data
    pi = post["pi"].values
    out = _dirichlet_logpdf(pi, data.concentration * data.prior)
    for ind in data.indicators:
        theta = post[ind.id].values
        if ind.kind == "count":
            a, b = ind.prior[:, 0], ind.prior[:, 1]
            out = out + np.sum(
                a * np.log(b) - special.gammaln(a) + special.xlogy(a - 1, theta) - b * theta,
                axis=-1,
            )
        elif ind.kind == "binary":
            a, b = ind.prior[:, 0], ind.prior[:, 1]
            out = out + np.sum(
                special.xlogy(a - 1, theta) + special.xlog1py(b - 1, -theta) - special.betaln(a, b),
                axis=-1,
            )
        else:
            out = out + _dirichlet_logpdf(theta, ind.prior).sum(-1)
    return out


def _dirichlet_logpdf(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return (
            special.gammaln(alpha.sum(-1))
            - special.gammaln(alpha).sum(-1)
            + np.sum(special.xlogy(alpha - 1, x), axis=-1)
        )


def power_scaling(forecast) -> xr.Dataset:
    """ArviZ power-scaling sensitivity of the scenario probabilities (MCMC output).

    Prior sensitivity above 0.05 says the prior is informative for that quantity; likelihood
    sensitivity below 0.05 says the evidence says little about it. Dims ``(scenario,)`` for
    ``prior`` and ``likelihood``.
    """
    import arviz_stats as azs

    _, log_pi, ll = _mcmc_parts(forecast)
    total = special.logsumexp(log_pi + ll.sum(axis=-1), axis=-1)  # log L(pi, theta)
    post = forecast.tree["posterior"].to_dataset()[["scenario_probability"]]
    sample = {"chain": post["chain"].values, "draw": post["draw"].values}
    tree = xr.DataTree.from_dict(
        {
            "posterior": post,
            "log_likelihood": xr.Dataset({"evidence": (("chain", "draw"), total)}, coords=sample),
            "log_prior": xr.Dataset(
                {"prior": (("chain", "draw"), log_prior_density(forecast))}, coords=sample
            ),
        }
    )
    prior = azs.psense(tree, var_names=["scenario_probability"], group="prior")
    like = azs.psense(tree, var_names=["scenario_probability"], group="likelihood")
    return xr.Dataset(
        {"prior": prior["scenario_probability"], "likelihood": like["scenario_probability"]},
        attrs={
            "kind": "power-scaling sensitivity",
            "note": "prior > 0.05: informative prior; likelihood < 0.05: weak evidence",
        },
    )


def influence_psis(
    forecast, *, refit: bool = True, k_max: float = PARETO_K_MAX, seed: int = 0
) -> xr.Dataset:
    r"""Leave-one-out influence from one MCMC posterior by Pareto-smoothed importance sampling.

    For each item ``i`` the draws are reweighted by ``L_{-i}(pi, theta) / L(pi, theta)`` (the
    likelihood without the item over the full likelihood, the scenario marginalised out), the
    weights are Pareto-smoothed, and the posterior without the item is the weighted mean of
    ``P(S = k | E \\ i, pi, theta)``. ``pareto_k`` is reported; where it exceeds 0.7 the item
    is refitted without it (``refit=True``, MCMC on one compiled model, as
    many draws and chains as the forecast) and ``method`` says so.
    """
    import arviz_stats as azs  # noqa: F401  (registers the .azstats accessor)

    base, log_pi, ll = _mcmc_parts(forecast)
    full = log_pi + ll.sum(axis=-1)  # (C, D, K)
    log_l = special.logsumexp(full, axis=-1)
    n = ll.shape[-1]
    k_hat = np.zeros(n)
    without = np.zeros((n, base.data.n_scenarios))
    method = ["psis"] * n
    chains, draws = log_l.shape
    for i in range(n):
        part = full - ll[..., i]
        log_ratio = special.logsumexp(part, axis=-1) - log_l
        # arviz-stats' psislw takes the log-likelihood of the left-out data and uses its
        # negative as the log importance ratio, so hand it -log_ratio
        da = xr.DataArray(-log_ratio, dims=("chain", "draw"))
        lw, k = da.azstats.psislw(dim=["chain", "draw"])
        w = np.exp(lw.values - special.logsumexp(lw.values))
        cond = normalise_log(part)
        without[i] = np.tensordot(w.reshape(-1), cond.reshape(-1, cond.shape[-1]), axes=1)
        k_hat[i] = float(k)
    if refit:
        bad = np.flatnonzero(k_hat > k_max)
        if len(bad):
            from .engines import mcmc

            model = None
            for i in bad:
                item = base.data.item_ids[i]
                data = base.data.without_items({item})
                if model is None:
                    model = mcmc.build_model(data)
                res = mcmc.run(
                    data,
                    model=model,
                    seed=seed,
                    progress=False,
                    retry=False,
                    draws=draws,
                    chains=chains,
                )
                without[i] = res.probability
                method[i] = "refit"
    full_p = forecast.probabilities.values
    return xr.Dataset(
        {
            "probability_without": ((ITEM, SCENARIO), without),
            "shift": ((ITEM, SCENARIO), full_p[None, :] - without),
            "pareto_k": ((ITEM,), k_hat),
            "method": ((ITEM,), method),
        },
        coords={ITEM: list(base.data.item_ids), SCENARIO: base.scenarios},
        attrs={"kind": "evidence influence (importance reweighting)", "pareto_k_max": k_max},
    )


# --- everything at once ----------------------------------------------------------------------


def sensitivity(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.DataTree:
    """Every exact analysis in one DataTree.

    Groups: ``evidence_influence``, ``indicator_influence``, ``source_influence``,
    ``judgement_sensitivity``, ``concentration_intervals``, ``tipping_points``,
    ``item_tipping_points``, ``next_observation``, ``value_of_information``. When ``source``
    is an MCMC :class:`~forecasting.Forecast`, also ``power_scaling``.
    """
    from .result import Forecast

    base = base_of(source, evidence, as_of)
    groups = {
        "evidence_influence": evidence_influence(base),
        "indicator_influence": indicator_influence(base),
        "judgement_sensitivity": judgement_sensitivity(base),
        "concentration_intervals": concentration_intervals(base).to_dataset(),
        "tipping_points": tipping_points(base),
        "item_tipping_points": item_tipping_points(base),
        "next_observation": next_observation(base),
        "value_of_information": value_of_information(base),
    }
    if base.evidence is not None:
        groups["source_influence"] = source_influence(base)
    if isinstance(source, Forecast) and source.engine == "mcmc":
        groups["power_scaling"] = power_scaling(source)
    tree = xr.DataTree.from_dict(groups)
    tree.attrs = {
        "question": base.data.question_id,
        "leader": base.scenarios[base.leader],
        "scenarios": list(base.scenarios),
        "labels": list(base.data.labels),
    }
    return tree
