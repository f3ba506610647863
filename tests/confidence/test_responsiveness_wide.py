"""The responsiveness's fast weighing of futures equals the sums it stands for (issue 15).

Many scenarios with atoms of their own (categorical probabilities), many categories, and sets
of reports remembered between batches of futures: each is checked against the direct sum
``log sum_g w_kg prod_r L(y_r | theta_kg)`` over every future, report by report.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from builders import categorical, item, question

import forecasting as fc
from forecasting.confidence.responsiveness import weigh
from forecasting.core.stats import log_power_sums, logsumexp
from forecasting.model.data import ModelData
from forecasting.model.future import report_log_lik


def _direct(ind, values, owner, n, exposure, reliability, theta, log_w):
    """The weights of the futures, report by report (no grouping, memo or shortcut)."""
    out = np.zeros((n, len(log_w)))
    for f in range(n):
        mine = values[owner == f]
        terms = log_w.copy()
        for v in mine:
            terms = terms + report_log_lik(ind, np.array([v]), exposure, reliability, theta)[0]
        out[f] = logsumexp(terms, axis=1)
    return out


def _categorical_model(n_categories: int, n_scenarios: int = 5, model: str = "mixture"):
    scen = tuple(f"s{k}" for k in range(n_scenarios))
    cats = [f"c{c}" for c in range(n_categories)]
    rng = np.random.default_rng(1)
    alphas = {s: list(rng.uniform(0.3, 3.0, n_categories)) for s in scen}
    q = question(scen, indicators={"where": categorical(cats, alphas)}, reliability_model=model)
    rows = [
        item(f"i{r}", "where", cats[r % 3], weight=0.8, date=dt.date(2025, 10, 1)) for r in range(4)
    ]
    data = ModelData.build(q, fc.Evidence.from_items(rows, q))
    return data.indicators[0]


def _futures(rng, n, n_values, per_future):
    m = rng.poisson(per_future, size=n)
    owner = np.repeat(np.arange(n), m)
    values = rng.integers(0, n_values, size=len(owner)).astype(float)
    return values, owner


@pytest.mark.parametrize(
    ("n_categories", "model"), [(4, "mixture"), (4, "tempered"), (40, "mixture"), (600, "tempered")]
)
def test_weighing_futures_equals_the_direct_sums(n_categories, model):
    """Few values (powers), more values (pieces of scenarios), more than 512 (sparse sums)."""
    ind = _categorical_model(n_categories, model=model)
    rng = np.random.default_rng(2)
    theta, log_w = ind.model.atoms(rng, 64)
    per_future = 3.0 if n_categories < 600 else 2.0
    n = 200 if n_categories < 600 else 400  # 400 futures of 600 categories: > 512 values
    values, owner = _futures(rng, n, n_categories, per_future)
    out = weigh(ind, values, owner, n, 1.0, 0.7, theta, log_w)
    ref = _direct(ind, values, owner, n, 1.0, 0.7, theta, log_w)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)


def test_remembered_sets_of_reports_weigh_as_new_ones():
    """A memo shared by two batches of futures gives what each batch alone gives."""
    ind = _categorical_model(4)
    rng = np.random.default_rng(3)
    theta, log_w = ind.model.atoms(rng, 64)
    memo: dict = {}
    for n in (50, 120):
        values, owner = _futures(rng, n, 4, 2.5)
        with_memo = weigh(ind, values, owner, n, 1.0, 0.8, theta, log_w, memo)
        alone = weigh(ind, values, owner, n, 1.0, 0.8, theta, log_w)
        np.testing.assert_allclose(with_memo, alone, rtol=0, atol=1e-12)
        ref = _direct(ind, values, owner, n, 1.0, 0.8, theta, log_w)
        np.testing.assert_allclose(with_memo, ref, rtol=0, atol=1e-12)
    assert memo  # the second batch found sets of the first


def test_log_power_sums_is_logsumexp_of_the_sums_also_where_they_underflow():
    rng = np.random.default_rng(4)
    counts = rng.poisson(1.5, size=(30, 3)).astype(float)
    counts[0] = 0.0  # a future of no reports: log sum_g w_kg
    counts[1] = (40.0, 0.0, 40.0)  # the two values' mass in disjoint atoms: underflows
    a = np.log(rng.uniform(1e-3, 1.0, size=(3, 7, 50)))
    a[0, :, :25] = -30.0
    a[2, :, 25:] = -30.0
    a[1, 2] = -np.inf  # a value no atom of scenario 2 can produce
    log_w = np.log(rng.dirichlet(np.ones(50), size=7))
    log_w[4, :10] = -np.inf  # atoms a scenario does not need
    held = counts[:, :, None, None] > 0  # a value not held is no factor (not 0 * -inf)
    with np.errstate(invalid="ignore"):
        sums = np.where(held, counts[:, :, None, None] * a[None], 0.0).sum(axis=1)
    ref = logsumexp(log_w[None] + sums, axis=2)
    out = log_power_sums(counts, a, log_w)
    assert np.array_equal(np.isfinite(out), np.isfinite(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(out[fin], ref[fin], rtol=1e-13, atol=1e-12)
    with pytest.raises(ValueError, match="whole numbers"):
        log_power_sums(counts + 0.5, a, log_w)


def test_log_matmul_exp_sums_many_underflowing_entries_a_piece_at_a_time(monkeypatch):
    """The term-by-term sums of entries that underflow, in pieces, are the same sums."""
    from forecasting.core import stats

    rng = np.random.default_rng(5)
    a = rng.normal(size=(300, 40)) * 30
    b = rng.normal(size=(20, 40)) * 30
    a[:, :20], b[:, 20:] = -900.0, -900.0  # every sum far below its rows' maxima
    whole = stats.log_matmul_exp(a, b)
    monkeypatch.setattr(stats, "_PIECE_TERMS", 100)  # pieces of 2 entries
    np.testing.assert_array_equal(stats.log_matmul_exp(a, b), whole)
    ref = logsumexp(a[:, None, :] + b[None, :, :], axis=2)
    np.testing.assert_allclose(whole, ref, rtol=1e-13, atol=1e-12)


def test_log_add_rows_is_logaddexp_also_where_terms_underflow_or_vanish():
    """Each row shifted by its largest term: the same as logaddexp, to rounding, everywhere."""
    from forecasting.core.stats import log_add_rows

    rng = np.random.default_rng(3)
    for _ in range(300):
        shape = (int(rng.integers(1, 12)), *rng.integers(1, 5, size=rng.integers(0, 3)))
        x = rng.normal(0, rng.choice([1.0, 300.0, 3000.0]), shape)
        x[rng.random(shape) < 0.1] = -np.inf
        y = rng.normal(0, rng.choice([1.0, 300.0, 3000.0]), (shape[0],) + (1,) * (len(shape) - 1))
        y[rng.random(y.shape) < 0.1] = -np.inf
        if rng.random() < 0.2:
            x[0] = -np.inf  # a row of nothing but its constant
        with np.errstate(divide="ignore", invalid="ignore"):
            got, want = log_add_rows(x, y), np.logaddexp(x, y)
        finite = np.isfinite(want)
        assert np.array_equal(np.isfinite(got), finite)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-13, atol=1e-13)
    # a row whose constant is far below its largest term, and an element far below both
    x = np.array([[0.0, -2000.0]])
    assert log_add_rows(x, np.array([[-1000.0]]))[0, 1] == pytest.approx(-1000.0)
