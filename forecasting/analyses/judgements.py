"""Judgement sensitivity: how much each elicited quantity moves the forecast.

The judgements are every indicator x scenario likelihood (its centre moved between the 5% and
95% quantiles of the elicited distribution, spread kept; each kind says how, see
:meth:`~forecasting.kinds.base.Kind.judgements`), each scenario prior (odds halved and doubled),
the prior concentration (halved and doubled) and each item's reliability (odds halved and
doubled; a weight of 1 is moved down to 0.5 only). Under the truth-mixture model also each
origin's reliability (the probability that it is right, shared by all its reports; odds halved
and doubled) and each stated noise distribution (its centre, as a likelihood's). What each
judgement is travels as typed (``judgement_kind``, ``judgement_target``, ``judgement_scenario``,
``judgement_category``, ``judgement_quantity``, ``judgement_unit``...), never as text to parse.

Why this module is long: it holds the list of judgements and every way of setting one (one
judgement's sweep, static or dynamic; many judgements' settings batched, which must equal the
one-by-one sweep; the concentration's intervals). Split, the batched sweep would sit apart
from the sweep it reproduces and from the judgements whose kinds it dispatches on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.constants import INTERVAL_PROB
from ..core.dims import CI_BOUND, SCENARIO
from ..core.errors import InputError, Problem, did_you_mean
from ..core.stats import eti, normalise_log
from ..engines import exact
from ..engines.common import scenario_log_weights
from ..inputs.evidence import Evidence
from ..kinds.base import QUANTILES, LikelihoodJudgement
from ..results.forecast import Forecast
from .base import Base, base_of

JUDGEMENT = "judgement"
SETTING = "setting"
VALUE = "value"


@dataclass(frozen=True)
class Judgement:
    """One elicited quantity, in the units the analyst thinks in.

    ``kind`` is ``likelihood``, ``prior``, ``concentration`` or ``reliability``; ``target`` the
    indicator, scenario or item it belongs to; ``quantity`` what the value is (``probability``,
    ``rate``, ``mean``, ``weight``, ``concentration``). ``low``/``high`` is the range the
    sensitivity analysis moves it over, ``lower_limit``/``upper_limit`` the range searched for
    tipping points, ``scale`` how that range is searched (``log`` or ``linear``).
    """

    id: str
    kind: str
    target: str
    scenario: str
    category: str
    indicator_kind: str
    quantity: str
    unit: str
    unit_short: str
    scale: str
    base: float
    low: float
    high: float
    lower_limit: float
    upper_limit: float
    label: str
    likelihood: LikelihoodJudgement | None = None


def all_judgements(base: Base) -> list[Judgement]:
    """Every elicited quantity of the model with its base value and sensitivity range."""
    data = base.data
    out: list[Judgement] = []
    for ind in data.indicators:
        for k, s in enumerate(data.scenarios):
            for lk in ind.kind.judgements(ind, k, s):
                jid = f"likelihood:{ind.id}:{s}" + (f":{lk.category}" if lk.category else "")
                out.append(_elicited(jid, "likelihood", ind, s, lk, lk.label))
    for k, s in enumerate(data.scenarios):
        p = data.prior[k]
        out.append(
            Judgement(
                f"prior:{s}",
                "prior",
                s,
                s,
                "",
                "",
                "probability",
                "prior probability",
                "",
                "linear",
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
            "",
            "concentration",
            "prior concentration",
            "",
            "linear",
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
            low, high = _odds_range(float(w))
            out.append(
                Judgement(
                    f"reliability:{item}",
                    "reliability",
                    item,
                    "",
                    "",
                    "",
                    "weight",
                    "reliability weight",
                    "",
                    "linear",
                    float(w),
                    low,
                    high,
                    0.0,
                    1.0,
                    f"reliability | {item}",
                )
            )
    out += _mixture_judgements(base)
    out += _transition_judgements(base)
    return out


def _elicited(
    jid: str, kind: str, ind, scenario: str, lk: LikelihoodJudgement, label: str
) -> Judgement:
    """A judgement of an elicited distribution's centre (a likelihood's, or the noise's)."""
    return Judgement(
        jid,
        kind,
        ind.id,
        scenario,
        lk.category,
        ind.kind.name,
        lk.quantity,
        lk.unit,
        lk.unit_short,
        lk.scale,
        lk.base,
        lk.low,
        lk.high,
        lk.lower_limit,
        lk.upper_limit,
        label,
        lk,
    )


def _mixture_judgements(base: Base) -> list[Judgement]:
    """Origins' reliabilities and stated noise distributions (truth-mixture model only)."""
    out: list[Judgement] = []
    origins: dict[str, float] = {}
    for ind in base.data.indicators:
        if ind.reliability_model != "mixture":
            continue
        for o, rho in zip(ind.item_origins, ind.item_origin_weights, strict=True):
            origins.setdefault(o, float(rho))
        noise = ind.spec.noise_params()
        if noise is not None:
            for lk in ind.kind.judgements(replace(ind, prior=noise), 0, "noise"):
                jid = f"noise:{ind.id}" + (f":{lk.category}" if lk.category else "")
                out.append(_elicited(jid, "noise", ind, "", lk, f"noise | {ind.id}"))
    for o, rho in origins.items():
        low, high = _odds_range(rho)
        out.append(
            Judgement(
                f"origin:{o}",
                "origin",
                o,
                "",
                "",
                "",
                "probability",
                "origin reliability",
                "",
                "linear",
                rho,
                low,
                high,
                0.0,
                1.0,
                f"origin reliability | {o}",
            )
        )
    return out


def _odds_range(w: float) -> tuple[float, float]:
    """A reliability's range: odds halved and doubled (a certain one moved down to 0.5 only)."""
    if w >= 1.0:
        return 0.5, 1.0
    return _odds_scale(w, 0.5), _odds_scale(w, 2.0)


def _odds_scale(p: float, factor: float) -> float:
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    o = p / (1 - p) * factor
    return o / (1 + o)


def find_judgement(base: Base, judgement_id: str) -> Judgement:
    """The judgement with this id (``KeyError`` with the nearest id otherwise)."""
    every = all_judgements(base)
    for jd in every:
        if jd.id == judgement_id:
            return jd
    ids = [jd.id for jd in every]
    raise KeyError(f"no judgement '{judgement_id}'{did_you_mean(judgement_id, ids)}")


def sweep_log_joint(base: Base, jd: Judgement, values: np.ndarray) -> np.ndarray:
    """Unnormalised log posterior ``(n, K)`` with judgement ``jd`` set to each of ``values``."""
    values = np.asarray(values, dtype=float)
    if base.dynamic:
        return _dynamic_sweep(base, jd, values)
    n = len(values)
    data = base.data
    lj = np.tile(base.log_joint, (n, 1))
    if jd.kind == "likelihood":
        j, ind = base.indicator(jd.target)
        k = data.scenarios.index(jd.scenario)
        params = ind.kind.move_centre(ind, k, jd.likelihood, values)
        # every scenario's marginal, not only k's: a default noise moves with k's parameters
        lj = base.with_indicator(j, ind.model.with_scenario(k, params))
    elif jd.kind == "prior":
        lj = _prior_sweep(base, _priors(data.prior, data.scenarios.index(jd.scenario), values))
    elif jd.kind == "reliability":
        j, ind, i = base.item(jd.target)
        lj = base.with_indicator(j, ind.model.with_weight(i, values))
    elif jd.kind == "origin":
        for j, ind in enumerate(data.indicators):
            mine = np.array([o == jd.target for o in ind.item_origins], dtype=bool)
            if not mine.any():
                continue
            lj = lj - base.log_marginals[j][None, :] + ind.model.with_origin(jd.target, values)
    elif jd.kind == "noise":
        j, ind = base.indicator(jd.target)
        noise = replace(ind, prior=ind.spec.noise_params())
        params = ind.kind.move_centre(noise, 0, jd.likelihood, values)
        lj = lj - base.log_marginals[j][None, :] + ind.model.with_noises(params)
    # concentration: the point probability does not depend on it (the interval does)
    return lj


#: Settings of many judgements computed in one call, at most (a piece of the rows).
_MANY_ROWS = 2_000


def sweep_many(base: Base, sweeps: list[tuple[Judgement, np.ndarray]]) -> list[np.ndarray]:
    """:func:`sweep_log_joint` of each ``(judgement, values)``, the costly ones batched.

    A likelihood's or a prior's judgement whose setting moves a default noise costs a
    likelihood per setting; the settings of every such judgement of one indicator (or of
    every scenario's prior) are computed in one call, a piece of at most :data:`_MANY_ROWS`
    rows at a time, instead of a call per judgement (the 300-scenario question's coarse
    tipping searches: 4,500 judgements of 25 settings). The same numbers, to rounding.
    """
    out: list[np.ndarray | None] = [None] * len(sweeps)
    groups: dict[Any, list[int]] = {}
    for n, (jd, _) in enumerate(sweeps):
        if base.dynamic or not costly_settings(base, jd) or jd.kind not in ("likelihood", "prior"):
            out[n] = sweep_log_joint(base, jd, sweeps[n][1])
        else:
            groups.setdefault(jd.target if jd.kind == "likelihood" else None, []).append(n)
    data = base.data
    for target, members in groups.items():
        values = [np.asarray(sweeps[n][1], dtype=float) for n in members]
        sizes = np.cumsum([0] + [len(v) for v in values])
        ks = np.concatenate(
            [
                np.full(len(v), data.scenarios.index(sweeps[n][0].scenario))
                for n, v in zip(members, values, strict=True)
            ]
        )
        if target is not None:  # likelihood judgements of one indicator
            j, ind = base.indicator(target)
            params = np.concatenate(
                [
                    ind.kind.move_centre(ind, k, sweeps[n][0].likelihood, v)
                    for n, v, k in zip(members, values, ks[sizes[:-1]], strict=True)
                ]
            )
            lj = np.concatenate(
                [
                    base.with_indicator(j, ind.model.with_scenario(ks[r], params[r]))
                    for r in _pieces(len(ks))
                ]
            )
        else:  # the scenarios' priors
            p = np.concatenate(
                [_priors(data.prior, k, v) for v, k in zip(values, ks[sizes[:-1]], strict=True)]
            )
            lj = np.concatenate([_prior_sweep(base, p[r]) for r in _pieces(len(p))])
        for n, a, b in zip(members, sizes[:-1], sizes[1:], strict=True):
            out[n] = lj[a:b]
    return out  # type: ignore[return-value]


def _pieces(n: int) -> list[slice]:
    return [slice(a, a + _MANY_ROWS) for a in range(0, n, _MANY_ROWS)]


def _prior_sweep(base: Base, p: np.ndarray) -> np.ndarray:
    """Unnormalised log posteriors with the scenarios' priors each row of ``p``."""
    data = base.data
    lm = np.tile(base.log_marginals.sum(axis=0), (len(p), 1))
    for j, ind in enumerate(data.indicators):
        if ind.model.moves_noise:  # a default noise weighs the predictives by these priors
            lm += ind.model.with_scenario_weights(p) - base.log_marginals[j]
    with np.errstate(divide="ignore"):
        return np.log(p) + lm


def costly_settings(base: Base, jd: Judgement) -> bool:
    """Whether each setting of ``jd`` costs :func:`sweep_log_joint` a likelihood of its own.

    With dynamics (a dynamic posterior each); and where a default noise moves with the
    judgement (a new ``log L`` at every node, or a new polynomial). Otherwise the settings
    change only the priors the likelihood is integrated against.
    """
    if base.dynamic:
        return True
    if jd.kind == "likelihood":
        inds = [base.indicator(jd.target)[1]]
    elif jd.kind == "prior":
        inds = list(base.data.indicators)
    else:
        return False
    return any(i.model.moves_noise for i in inds)


def _priors(prior: np.ndarray, k: int, values: np.ndarray) -> np.ndarray:
    """Scenario priors ``(n, K)`` with ``k``'s set to each of ``values``, the rest in proportion."""
    p = np.tile(prior, (len(values), 1))
    p *= ((1.0 - values) / (1.0 - prior[k]))[:, None]
    p[:, k] = values
    return p


def _dynamic_sweep(base: Base, jd: Judgement, values: np.ndarray) -> np.ndarray:
    """:func:`sweep_log_joint` with dynamics: each setting's dynamic posterior (exact)."""
    data = base.data
    n = len(values)
    if jd.kind == "concentration":
        return np.tile(base.log_joint, (n, 1))
    if jd.kind == "transition":
        k = data.scenarios.index(jd.scenario)
        out = []
        for v in values:
            matrix = data.timeline.matrix.copy()
            leave = matrix[k].copy()
            leave[k] = 0.0
            rest = leave.sum()
            matrix[k] = leave * ((1.0 - v) / rest) if rest > 0 else leave
            if rest <= 0:  # it never left: where it goes is unstated, so spread evenly
                matrix[k] = (1.0 - v) / (len(leave) - 1)
            matrix[k, k] = v
            timeline = replace(data.timeline, matrix=matrix)
            out.append(base.dynamic_log_joint(replace(data, timeline=timeline)))
        return np.array(out)
    if jd.kind == "prior":
        k = data.scenarios.index(jd.scenario)
        out = []
        for p in _priors(data.prior, k, values):
            # the default noises weigh the scenarios' predictives by these priors: they move too
            inds = tuple(replace(i, scenario_prior=p) for i in data.indicators)
            out.append(base.dynamic_log_joint(replace(data, prior=p, indicators=inds)))
        return np.array(out)
    if jd.kind == "origin":
        out = []
        for v in values:
            inds = tuple(
                replace(
                    ind,
                    origin_weights=np.where(
                        np.array([o == jd.target for o in ind.item_origins], dtype=bool),
                        v,
                        ind.item_origin_weights,
                    ),
                )
                for ind in data.indicators
            )
            out.append(base.dynamic_log_joint(replace(data, indicators=inds)))
        return np.array(out)
    if jd.kind == "reliability":
        j, ind, i = base.item(jd.target)
        variants = []
        for v in values:
            weights, cred = ind.weights.copy(), ind.item_credibility.copy()
            weights[i] = v
            origin = ind.item_origin_weights[i]
            cred[i] = min(1.0, v / origin) if origin > 0 else 0.0
            variants.append(replace(ind, weights=weights, credibility=cred))
        return base.with_indicator_data(j, variants)
    j, ind = base.indicator(jd.target)
    if jd.kind == "likelihood":
        k = data.scenarios.index(jd.scenario)
        params = ind.kind.move_centre(ind, k, jd.likelihood, values)
        variants = []
        for row in params:
            prior = ind.prior.copy()
            prior[k] = row
            variants.append(replace(ind, prior=prior))
        return base.with_indicator_data(j, variants)
    # noise
    noise = replace(ind, prior=ind.spec.noise_params())
    params = ind.kind.move_centre(noise, 0, jd.likelihood, values)
    return base.with_indicator_data(j, [replace(ind, noise=row[None, :]) for row in params])


def _transition_judgements(base: Base) -> list[Judgement]:
    """Each scenario's probability of staying from one period to the next (dynamics only)."""
    tl = base.data.timeline
    if tl is None:
        return []
    out = []
    for k, s in enumerate(base.data.scenarios):
        stay = float(tl.matrix[k, k])
        low, high = _odds_range(stay)
        out.append(
            Judgement(
                f"stay:{s}",
                "transition",
                s,
                s,
                "",
                "",
                "probability",
                "stay probability",
                "",
                "linear",
                stay,
                low,
                high,
                1e-4,
                1.0,
                f"stay | {s}",
            )
        )
    return out


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
    ``"reliability:<item id>"``). Returns dims ``(value, scenario)``; the attributes say what
    the judgement is (as the coordinates of :func:`judgement_sensitivity` do).
    """
    base = base_of(source, evidence, as_of)
    jd = find_judgement(base, judgement)
    values = _settings(jd, values)
    probs = normalise_log(sweep_log_joint(base, jd, values))
    return xr.DataArray(
        probs,
        dims=(VALUE, SCENARIO),
        coords={VALUE: values, SCENARIO: base.scenarios},
        name="probability",
        attrs={
            "judgement": jd.id,
            "unit": jd.unit,
            "base": jd.base,
            "label": jd.label,
            **{f"judgement_{k}": v for k, v in _typed(jd).items()},
        },
    )


def _settings(jd: Judgement, values: Any) -> np.ndarray:
    """:func:`sweep`'s settings as a 1-D array, each a value the judgement can take.

    Raises
    ------
    InputError
        For no settings, settings that are not numbers (or not one list of them), and any
        outside the quantity's own range (a probability in (0, 1), a reliability or a stay in
        [0, 1], a rate or a concentration above 0, a level finite).
    """
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        out = None
    if out is None or out.ndim > 1 or out.size == 0:
        raise InputError(
            [Problem(None, None, "values", "give one number or a list of numbers to set it to")]
        )
    out = np.atleast_1d(out)
    closed = jd.kind in ("origin", "transition", "reliability")
    lo, hi, what = {
        "probability": (0.0, 1.0, "a probability"),
        "weight": (0.0, 1.0, "a reliability"),
        "rate": (0.0, np.inf, "a rate"),
        "concentration": (0.0, np.inf, "a concentration"),
    }.get(jd.quantity, (-np.inf, np.inf, "a number"))
    if closed:
        bad = ~(np.isfinite(out) & (out >= lo) & (out <= hi))
        allowed = f"from {lo:g} to {hi:g}"
    else:
        bad = ~(np.isfinite(out) & (out > lo) & (out < hi))
        allowed = (
            "finite"
            if np.isinf(lo)
            else (f"above {lo:g}" if np.isinf(hi) else f"strictly between {lo:g} and {hi:g}")
        )
    if bad.any():
        shown = ", ".join(f"{v:g}" for v in out[bad][:5])
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "values",
                    f"'{jd.id}' is {what} ({jd.unit}), {allowed}; got {shown}",
                )
            ]
        )
    return out


def judgement_sensitivity(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
) -> xr.Dataset:
    """Swing of every scenario's probability as each judgement moves over its range.

    Dims ``(judgement, setting, scenario)`` for ``probability`` (settings ``low``/``high``)
    and ``(judgement, scenario)`` for ``swing`` (high minus low); coordinates give each
    judgement's kind, target, scenario, category, quantity, unit, scale, label, base/low/high
    values and the limits of its tipping-point search.
    """
    base = base_of(source, evidence, as_of)
    jds = all_judgements(base)
    probs = np.empty((len(jds), 2, base.data.n_scenarios))
    swept = sweep_many(base, [(jd, np.array([jd.low, jd.high])) for jd in jds])
    for n, lj in enumerate(swept):
        probs[n] = normalise_log(lj)
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
            **judgement_coords(jds),
        },
        attrs={
            "kind": "judgement sensitivity",
            "leader": base.scenarios[base.leader],
            "quantiles": list(QUANTILES),
        },
    )


def _typed(jd: Judgement) -> dict[str, Any]:
    return {
        "kind": jd.kind,
        "target": jd.target,
        "scenario": jd.scenario,
        "category": jd.category,
        "indicator_kind": jd.indicator_kind,
        "quantity": jd.quantity,
        "unit": jd.unit,
        "unit_short": jd.unit_short,
        "scale": jd.scale,
        "label": jd.label,
        "lower_limit": jd.lower_limit,
        "upper_limit": jd.upper_limit,
    }


def judgement_coords(jds: list[Judgement]) -> dict[str, Any]:
    """What each judgement is, as coordinates along ``judgement``."""
    return {
        "judgement_kind": (JUDGEMENT, [j.kind for j in jds]),
        "judgement_target": (JUDGEMENT, [j.target for j in jds]),
        "judgement_scenario": (JUDGEMENT, [j.scenario for j in jds]),
        "judgement_category": (JUDGEMENT, [j.category for j in jds]),
        "judgement_indicator_kind": (JUDGEMENT, [j.indicator_kind for j in jds]),
        "judgement_quantity": (JUDGEMENT, [j.quantity for j in jds]),
        "judgement_unit": (JUDGEMENT, [j.unit for j in jds]),
        "judgement_unit_short": (JUDGEMENT, [j.unit_short for j in jds]),
        "judgement_scale": (JUDGEMENT, [j.scale for j in jds]),
        "judgement_label": (JUDGEMENT, [j.label for j in jds]),
        "base_value": (JUDGEMENT, [j.base for j in jds]),
        "low_value": (JUDGEMENT, [j.low for j in jds]),
        "high_value": (JUDGEMENT, [j.high for j in jds]),
        "lower_limit": (JUDGEMENT, [j.lower_limit for j in jds]),
        "upper_limit": (JUDGEMENT, [j.upper_limit for j in jds]),
    }


def concentration_intervals(
    source: Any,
    evidence: Evidence | str | Path | None = None,
    *,
    as_of: dt.date | str | None = None,
    draws: int = 4000,
    seed: int = 0,
    forecast: Forecast | None = None,
) -> xr.DataArray:
    """Credible intervals with the prior concentration halved, as given, and doubled.

    The concentration does not move the point probabilities, only their intervals.
    Dims ``(setting, scenario, ci_bound)``. The draws of the scenario and the parameters are
    shared by the three settings (given the scenario they do not depend on the
    concentration; only ``pi`` is drawn again), and so is their likelihood, the costly part
    (a 300-scenario question: 5.6 s for the three settings, each drawn whole). Given a
    :class:`~forecasting.Forecast` (``source`` or ``forecast``, of the same question and
    evidence; without dynamics), its own draws are used: ``log L`` is
    ``log P(S | E, pi, theta) - log pi`` up to a constant per draw, the scenario is drawn from
    ``P(S | E, pi, theta)``, and the base setting is the forecast's own interval (2.2 s -> 0.2 s
    in process on the 300-scenario question).
    """
    base = base_of(source, evidence, as_of)
    data = base.data
    rng = np.random.default_rng(seed)
    forecast = source if isinstance(source, Forecast) else forecast
    stored = None if forecast is None else forecast.scenario_draws()
    if stored is not None:
        pi, rb = stored
        with np.errstate(divide="ignore", invalid="ignore"):
            as_given = np.log(pi)
            log_l = np.where(rb > 0, np.log(rb) - as_given, -np.inf)
        cum = np.cumsum(rb / rb.sum(axis=1, keepdims=True), axis=1)
        scenario = np.minimum((cum < rng.random((len(rb), 1))).sum(axis=1), len(base.scenarios) - 1)
    else:
        scenario, as_given, thetas = exact.draw_joint(data, base.probability, draws, rng)
        log_l = scenario_log_weights(data, np.zeros_like(as_given), thetas)
    other = np.random.default_rng([seed, 1])
    out = []
    for factor in (0.5, 1.0, 2.0):
        log_pi = as_given
        if factor != 1.0:
            log_pi = exact.draw_log_pi(data.concentration * factor, data.prior, scenario, other)
        out.append(eti(normalise_log(log_l + log_pi, axis=-1), INTERVAL_PROB, axis=0))
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
