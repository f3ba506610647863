"""Responsiveness under dynamics: the next horizon's evidence, weighed over the regime paths.

The static measure (:mod:`.responsiveness`) draws each future from the posterior predictive
and updates the forecast exactly given each scenario's posterior atoms. With dynamics
(:mod:`forecasting.model.dynamics`) the horizon's reports are emitted by the regime ``S_f`` of
the period holding the horizon's end (as a count window's report is), which follows the
transition matrix from the regime of the last period with evidence; a scenario's parameter
has learnt only from the reports its regime emitted on the path. So the futures and their
weighing run over *combinations* ``c = (path, k)``: the path (from its posterior) and the
horizon's regime ``k`` (by ``A ** gap`` from the path's last regime), whose weight is
``p(path | E) (A ** gap)[last, k]``. Under ``c``, each indicator's horizon reports are drawn
and weighed with the atoms of scenario ``k``'s posterior given its share of the reports on
the path (the prior where it has none; under the truth mixture, a mixture over the states of
the origins the path splits between regimes, each with its posterior weight). The forecast
after a future is then exact given the paths and the atoms::

    P(S_T = j | E, E_new)  ∝  sum_c  w_c  p(E_new | c)  (A ** p_f)[k_c, j]

(``p_f`` the horizon's period, counted back from the resolution date). Its mean over futures
is today's ``P(S_T | E)``. The paths are the engine's, the best of them up to all but
:data:`PATH_MASS` of the posterior (at most :data:`MAX_PATHS`); the mass left out is stated
(``paths_left_out``).
With every ``stay: 1`` the combinations are the static scenarios and the measure is the
static one, draw for draw (``tests/confidence/test_dynamic_confidence.py``).

Complexity bought for speed: where the subsets' shared grid serves (the truth mixture, a
scalar parameter), every row's atoms are its nodes (:meth:`~forecasting.model.subsets.
SubsetMarginals.posterior_atoms`), so a future report is weighed once for all rows; each
row its own model's atoms made 294 rows of 400-1,600 atoms on a 21-week ledger in 14-day
periods, and the measure took about 18 s; on the grid 0.8 s. On the bundled question with dynamics
(one period of evidence, 15 combinations, rows: each scenario's posterior and prior) 6,400
futures take 0.47 s against the static measure's 0.30 s (in process).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.constants import CONFIDENCE_MCSE, RESPONSIVENESS_FUTURES, RESPONSIVENESS_MAX_FUTURES
from ..core.stats import log_matmul_exp, logsumexp
from ..model.data import IndicatorData, ModelData
from ..model.dynamics import DynamicPosterior, trended
from ..model.future import draw_reports, shared_grid
from ..model.subsets import SubsetMarginals
from .paths import PathSet
from .precision import sample_until
from .responsiveness import ATOMS, Responsiveness, Stream, prune, weigh

#: The paths weighed are the most probable ones holding all but this much of the posterior.
PATH_MASS = 1e-9
#: ... and at most this many.
MAX_PATHS = 400


@dataclass(frozen=True)
class Rows:
    """One indicator's atom sets (rows) and how the combinations mix them."""

    theta: np.ndarray  # (R, G[, C]) atoms, padded with weightless copies
    log_w: np.ndarray  # (R, G)
    log_mix: np.ndarray  # (C, R): log p(row | combination)
    only: np.ndarray | None  # (C,) the one row of each combination, where each has one


def measure_unfolding(
    data: ModelData,
    post: DynamicPosterior,
    plan: tuple[Stream, ...],
    horizon_days: float,
    *,
    seed: int,
    futures: int = RESPONSIVENESS_FUTURES,
    max_futures: int = RESPONSIVENESS_MAX_FUTURES,
    target_mcse: float = CONFIDENCE_MCSE,
) -> Responsiveness:
    """:func:`~.responsiveness.measure_responsiveness` of ``P(S_T)`` under dynamics."""
    rng = np.random.default_rng(seed)
    # each indicator's atoms given all its reports, drawn as the static measure draws them
    full = {ind.id: prune(*ind.model.atoms(rng, ATOMS)) for ind in data.indicators}
    world = Futures(data, post, horizon_days, full, np.random.default_rng([seed, 1]))
    probability = post.probability
    memo: dict[str, dict] = {}
    samples, bounds, mcse = sample_until(
        lambda m: world.simulate(plan, m, rng, memo), futures, max_futures, target_mcse
    )
    leader = int(np.argmax(probability))
    return Responsiveness(
        horizon_days=float(horizon_days),
        lower=bounds[:, 0],
        upper=bounds[:, 1],
        mcse=mcse,
        expected_move=np.mean(np.abs(samples - probability[None, :]), axis=0),
        p_leader_change=float(np.mean(np.argmax(samples, axis=1) != leader)),
        futures=len(samples),
        streams=plan,
        samples=samples,
        paths_left_out=world.left_out,
    )


class Futures:
    """The combinations of path and horizon regime, and each indicator's atom rows."""

    def __init__(
        self,
        data: ModelData,
        post: DynamicPosterior,
        horizon_days: float,
        full: dict[str, tuple[np.ndarray, np.ndarray]],
        rng: np.random.Generator,
    ):
        """``full``: each indicator's atoms given all its reports; ``rng``: other atoms'."""
        tl = data.timeline
        assert tl is not None
        self.indicators = data.indicators
        self.period = tl.period(tl.as_of + float(horizon_days))
        if post.periods:
            with np.errstate(divide="ignore"):
                log_p = post.path_log_lik + post.path_log_prior
                log_p = log_p + np.log(data.prior)[post.paths[:, 0]]
            order = np.argsort(-log_p, kind="stable")
            p = np.exp(log_p[order] - logsumexp(log_p, axis=0))
            n = min(MAX_PATHS, int(np.searchsorted(np.cumsum(p), 1.0 - PATH_MASS)) + 1)
            chosen = np.sort(order[:n])  # the engine's order (the static one when stay: 1)
            self.left_out = float(max(0.0, 1.0 - p[:n].sum()))
            w = np.exp(log_p[chosen] - logsumexp(log_p[chosen], axis=0))
            gap = max(post.periods[-1] - self.period, 0)
            reach = tl.power(gap)[post.paths[chosen, -1]]  # (P, K)
            paths = PathSet(data, post, chosen)
        else:
            self.left_out = 0.0
            w = np.ones(1)
            reach = (data.prior @ tl.power(max(tl.now - self.period, 0)))[None, :]
            paths = None
        weight = w[:, None] * reach
        self.path, self.regime = np.nonzero(weight > 0)
        with np.errstate(divide="ignore"):
            self.log_weight = np.log(weight[self.path, self.regime])
        self.to_t = tl.power(self.period)[self.regime]  # (C, K)
        self.rows = [
            _rows(ind, paths, self.path, self.regime, self.period, full[ind.id], rng)
            for ind in data.indicators
        ]

    def simulate(self, plan, n: int, rng: np.random.Generator, memo: dict) -> np.ndarray:
        """``n`` futures: ``P(S_T | E, E_new)`` after each, ``(n, K)``."""
        p = np.exp(self.log_weight - logsumexp(self.log_weight, axis=0))
        combo = rng.choice(len(p), size=n, p=p / p.sum())
        log_new = np.zeros((n, len(p)))
        for stream, rows, ind in zip(plan, self.rows, self.indicators, strict=True):
            m = (
                np.ones(n, dtype=int)
                if stream.exposure is not None
                else rng.poisson(stream.per_horizon, size=n)
            )
            if not m.any():
                continue
            if rows.only is not None:
                row = rows.only[combo]
            else:  # the state of the origins the path splits: from its posterior
                mix = np.exp(rows.log_mix[combo])
                cum = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
                row = np.minimum((cum < rng.random((n, 1))).sum(axis=1), cum.shape[1] - 1)
            w = np.exp(rows.log_w)
            pick = np.empty(n, dtype=int)
            for r in np.unique(row):
                at = np.flatnonzero(row == r)
                pick[at] = rng.choice(w.shape[1], size=len(at), p=w[r] / w[r].sum())
            owner = np.repeat(np.arange(n), m)
            exposure = 1.0 if stream.exposure is None else stream.exposure
            values = draw_reports(
                ind, rows.theta[row[owner], pick[owner]], exposure, stream.reliability, rng
            )
            lm = weigh(
                ind,
                values,
                owner,
                n,
                exposure,
                stream.reliability,
                rows.theta,
                rows.log_w,
                memo.setdefault(ind.id, {}),
            )  # (n, R)
            if rows.only is not None:
                log_new += lm[:, rows.only]
            else:
                log_new += log_matmul_exp(lm, rows.log_mix)
        joint = self.log_weight[None, :] + log_new  # (n, C)
        top = np.max(joint, axis=1, keepdims=True)
        out = np.exp(joint - top) @ self.to_t
        return out / out.sum(axis=1, keepdims=True)


def _rows(
    ind: IndicatorData,
    paths: PathSet | None,
    path: np.ndarray,
    regime: np.ndarray,
    period: int,
    full: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
) -> Rows:
    """The atom rows of one indicator and each combination's mix of them."""
    entry = None if paths is None else paths.entry(ind.id)
    assert paths is not None or entry is None
    sources: dict[bytes, tuple] = {}  # row key -> (scenario, share or None)
    mix: list[dict[bytes, float]] = []
    for i, s in zip(path, regime, strict=True):
        if entry is None:
            key = b"prior" + bytes([s])
            sources.setdefault(key, (int(s), None))
            mix.append({key: 0.0})
            continue
        terms, log_p = paths.terms_of(entry, int(i))
        out: dict[bytes, float] = {}
        for term, lp in zip(terms, log_p, strict=True):
            share = next((x for x in term.shares if x.scenario == s), None)
            key = b"prior" + bytes([s]) if share is None else share.key
            sources.setdefault(key, (int(s), share))
            out[key] = float(np.logaddexp(out.get(key, -np.inf), lp))
        mix.append(out)
    keys = list(sources)
    theta, log_w = _atoms(ind, [sources[key] for key in keys], paths, entry, full, period, rng)
    at = {key: r for r, key in enumerate(keys)}
    log_mix = np.full((len(mix), len(keys)), -np.inf)
    for c, out in enumerate(mix):
        for key, lp in out.items():
            log_mix[c, at[key]] = lp
    one = np.isfinite(log_mix).sum(axis=1) == 1
    only = np.argmax(np.isfinite(log_mix), axis=1) if one.all() else None
    return Rows(theta, log_w, log_mix, only)


def _atoms(ind, sources, paths, entry, full, period, rng) -> tuple[np.ndarray, np.ndarray]:
    """The atoms of each row ``(scenario, share or None)``: ``(R, G[, C])`` and ``(R, G)``.

    Only shares of all the indicator's reports: the static measure's atoms (``full``). Else,
    where the subsets' shared grid serves (the truth mixture, a scalar parameter), every row on
    its nodes (:meth:`~forecasting.model.subsets.SubsetMarginals.posterior_atoms`; with a
    trend, one grid per scenario, as each scenario sees the counts): a future report is weighed
    at the nodes once for all rows. Otherwise each row's own model's atoms. Rows of different
    lengths are padded with weightless copies.
    """
    n = len(ind.values)
    trend = np.zeros(len(ind.prior)) if ind.trend is None else np.asarray(ind.trend, float)

    def whole(share) -> bool:
        return share is not None and share.rho is None and share.mask.all()

    if not np.any(trend) and all(whole(share) for _, share in sources):
        rows = [s for s, _ in sources]
        return full[0][rows], full[1][rows]
    made: list = [None] * len(sources)  # (theta, log w) per row
    if n and entry is not None and SubsetMarginals(ind).shares_grid:
        base = np.asarray(ind.item_origin_weights, dtype=float)
        groups = (
            [list(range(len(sources)))]
            if not np.any(trend)
            else [[r for r, (s, _) in enumerate(sources) if s == k] for k in range(len(trend))]
        )
        for rows in groups:
            if not rows:
                continue
            k = sources[rows[0]][0]
            view = trended(ind, k, entry.periods)
            got = [sources[r][1] for r in rows]
            masks = np.array([np.zeros(n, bool) if x is None else x.mask for x in got])
            rho = np.array([base if x is None or x.rho is None else x.rho for x in got])
            scen = np.array([sources[r][0] for r in rows])
            nodes, log_w = SubsetMarginals(view).posterior_atoms(masks, scen, rho)
            theta, log_w = prune(np.broadcast_to(nodes, log_w.shape), log_w)
            for i, r in enumerate(rows):
                made[r] = (theta[i], log_w[i])
    else:
        for r, (s, share) in enumerate(sources):
            if not np.any(trend) and whole(share):
                made[r] = (full[0][s], full[1][s])
                continue
            if share is None:  # no report of its own: the prior
                t, lw = prune(*_prior_atoms(ind, rng))
            else:
                t, lw = prune(*paths.view(entry, share).model.atoms(rng, ATOMS))
            made[r] = (t[s], lw[s])
    if np.any(trend):  # a count's rate as the horizon's period sees it
        made = [
            (t * np.exp(-trend[s] * period), lw)
            for (t, lw), (s, _) in zip(made, sources, strict=True)
        ]
    g = max(len(lw) for _, lw in made)
    theta = np.stack([np.concatenate([t, np.repeat(t[:1], g - len(t), axis=0)]) for t, _ in made])
    log_w = np.stack([np.concatenate([lw, np.full(g - len(lw), -np.inf)]) for _, lw in made])
    return theta, log_w


def _prior_atoms(ind: IndicatorData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The scenarios' priors as atoms: a grid of :data:`ATOMS` nodes, else as many draws.

    A scalar parameter gets nodes, not random draws: a regime that has no reports on a path
    then weighs the horizon's reports to about 1e-8 (draws of the prior were off by 5e-4).
    """
    kind = ind.kind
    if kind.integration == "quadrature":
        centre, scale = kind.u_location(ind.prior)
        if np.all(np.isfinite(centre)) and np.all(np.isfinite(scale) & (scale > 0)):
            return shared_grid(ind, ind.prior, ATOMS)
    theta = np.moveaxis(kind.draw(ind.prior, rng, ATOMS), 0, 1)
    return theta, np.full(theta.shape[:2], -np.log(ATOMS))
