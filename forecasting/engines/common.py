"""What both engines share: their result record and the conditional scenario probability."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.stats import normalise_log
from ..model.data import ModelData


@dataclass
class EngineResult:
    """Raw output of an engine, before it becomes a :class:`~forecasting.Forecast`.

    Arrays in ``posterior`` have leading dims ``(chain, draw)``.
    """

    engine: str
    probability: np.ndarray  # (K,) the reported point value
    mcse: np.ndarray  # (K,) Monte Carlo standard error of ``probability`` (0 when exact)
    posterior: dict[str, np.ndarray]
    sample_stats: dict[str, np.ndarray] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    log_marginal: np.ndarray | None = None  # (K,) log p(E | S = k), when known in closed form
    now: np.ndarray | None = None  # (K,) with dynamics: P(S_now = k | E)
    #: The draws made when first asked for: the whole result (``posterior``, ``sample_stats``
    #: and the draws' diagnostics are then empty here; the rest, warnings included, is final).
    drawn: Callable[[], EngineResult] | None = None


def scenario_log_weights(
    data: ModelData, log_pi: np.ndarray, thetas: dict[str, np.ndarray]
) -> np.ndarray:
    """``log pi_k + sum_j log-likelihood of indicator j's evidence under theta_kj``.

    Normalised over the last axis this is ``P(S = k | E, pi, theta)``. Shapes: ``log_pi`` is
    ``(..., K)``; ``thetas[j]`` is ``(..., K)`` or ``(..., K, C)``.
    """
    out = np.array(log_pi, dtype=float, copy=True)
    for ind in data.indicators:
        if len(ind.item_ids):
            out = out + ind.model.log_lik(thetas[ind.id])
    return out


def conditional_probability(
    data: ModelData, log_pi: np.ndarray, thetas: dict[str, np.ndarray]
) -> np.ndarray:
    """``P(S = k | E, pi, theta)`` for every draw (the Rao-Blackwellised quantity)."""
    return normalise_log(scenario_log_weights(data, log_pi, thetas), axis=-1)


def item_log_likelihood(
    data: ModelData, thetas: dict[str, np.ndarray], *, loo: bool = False
) -> np.ndarray:
    """Each item's log-likelihood (share) under every scenario, ``(..., K, n_items)``.

    Items are in ledger order (``data.item_ids``). The shares add up to ``log L``; with
    ``loo`` each is instead what leaving that item out takes away, ``log L - log L_{-i}``
    (the same where an item is its origin's only report).
    """
    order = {item: k for k, item in enumerate(data.item_ids)}
    sample_shape = next(iter(thetas.values())).shape[:2] if thetas else (1, 1)
    out = np.zeros((*sample_shape, data.n_scenarios, len(data.item_ids)))
    for ind in data.indicators:
        if not ind.item_ids:
            continue
        cols = [order[i] for i in ind.item_ids]
        model = ind.model
        out[..., cols] = (model.item_loo_log_lik if loo else model.item_log_lik)(thetas[ind.id])
    return out
