"""The shortcuts that make wide questions fast (issue 15) give what the long way gives.

A swapped value's marginal is two integrals (:func:`.spikes.two_part`); an item left out of an
origin with other reports is its block without it (:func:`.mixture.fast_loo`); a categorical
marginal sums over the reported categories only.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from builders import categorical, continuous, count, item, question
from scipy import special

import forecasting as fc
from forecasting.model.data import ModelData


def mixture(q: fc.Question) -> fc.Question:
    return fc.Question.model_validate(q.to_dict() | {"reliability_model": "mixture"})


def wide_level(n_scenarios: int = 40, sd: float = 2.0):
    """Many scenarios' levels, four measurements (two origins, one with two reports)."""
    rng = np.random.default_rng(3)
    levels = {f"s{k}": (float(rng.uniform(-5, 5)), 1.5) for k in range(n_scenarios)}
    q = mixture(question(tuple(levels), indicators={"x": continuous(levels, sd=sd)}))
    rows = [
        item("r0", "x", 2.7, weight=0.6) | {"origin": "o1"},
        item("r1", "x", 0.04, weight=0.9) | {"origin": "o2", "reliability": "B2"},
        item("r2", "x", -0.3, weight=0.6) | {"origin": "o2", "reliability": "B4"},
        item("r3", "x", 3.6, weight=0.8) | {"origin": "o3"},
    ]
    (ind,) = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators
    return ind


@pytest.mark.parametrize("sd", [2.0, 0.05])
def test_a_swapped_value_is_two_integrals(sd):
    """The fast path against the marginal of the ledger with the value changed, refitted."""
    ind = wide_level(sd=sd)
    values = np.array([-30.0, -4.0, 0.5, 2.7, 12.0])
    got = ind.model.with_values(3, values)
    for v, row in zip(values, got, strict=True):
        changed = ind.values.copy()
        changed[3] = v
        want = replace(ind, values=changed).model.log_marginal()
        np.testing.assert_allclose(row, want, rtol=1e-9)


def test_leaving_out_an_item_of_a_many_report_origin_is_its_block_without_it():
    q = mixture(
        question(("a", "b", "c"), indicators={"n": count({"a": (4, 2), "b": (1, 1), "c": (9, 3)})})
    )
    rng = np.random.default_rng(2)
    rows = []
    for n in range(24):
        row = item(f"i{n}", "n", int(rng.poisson(2)), exposure=float(rng.uniform(0.5, 2)))
        row |= {"origin": f"origin {n % 5}", "reliability": f"{'ABCDE'[n % 5]}{1 + n % 4}"}
        if n in (20, 21):  # relayed copies of one report: computed without them
            row |= {"value": 3, "exposure": 1.0, "event": "e", "origin": "origin 0"}
            row |= {"reliability": "A2"}
        rows.append(row)
    ev = fc.Evidence.from_items(rows, q)
    (ind,) = ModelData.build(q, ev).indicators
    theta = ind.kind.draw(ind.prior, np.random.default_rng(1), 50)
    got = ind.model.item_loo_log_lik(theta)
    full = ind.model.log_lik(theta)
    for i in range(len(ind.values)):
        keep = np.arange(len(ind.values)) != i
        without = ind.with_items(keep).model.log_lik(theta)
        np.testing.assert_allclose(got[..., i], full - without, rtol=0, atol=1e-11)


def test_a_categorical_marginal_sums_over_the_reported_categories():
    cats = [f"c{k}" for k in range(200)]
    alphas = {
        s: [float(a) for a in np.random.default_rng(k).uniform(0.05, 3, 200).round(3)]
        for k, s in enumerate(("a", "b"))
    }
    q = question(("a", "b"), indicators={"d": categorical(cats, alphas)})
    ind = ModelData.build(
        q, fc.Evidence.from_items([item(f"i{n}", "d", cats[n % 3 * 50]) for n in range(7)], q)
    ).indicators[0]
    stats = ind.stats
    prior = ind.prior
    want = (
        special.gammaln(prior.sum(1))
        - special.gammaln(prior.sum(1) + stats.sum())
        + np.sum(special.gammaln(prior + stats) - special.gammaln(prior), axis=1)
    )
    np.testing.assert_allclose(ind.kind.log_marginal(prior, stats), want, rtol=1e-13)
    batch = np.stack([stats, 2 * stats, np.zeros_like(stats)])
    got = ind.kind.log_marginal(prior, batch)
    assert got.shape == (3, 2)
    np.testing.assert_allclose(got[2], 0.0, atol=0)
