"""What every indicator kind must satisfy, checked on each kind the registry finds.

A new kind (one module in ``forecasting/kinds/``) is tested here without a line of change: its
statistics, closed form, draws, densities, PyMC graph, outcomes, judgements and text must agree
with each other and with Monte Carlo integration over its own prior.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import special

import forecasting as fc
from forecasting.kinds import get_kind, kind_names, kinds
from forecasting.model.data import ModelData

SCENARIOS = ["a", "b", "c"]
KINDS = list(kind_names())


def example_model(name: str, seed: int = 0, n_items: int = 4) -> ModelData:
    """A question with one indicator of the kind and a few items of random values and weights."""
    kind = get_kind(name)
    rng = np.random.default_rng(seed)
    q = fc.Question.model_validate(
        {
            "id": "kind-test",
            "title": "Kind test",
            "scenarios": {s: {"label": s} for s in SCENARIOS},
            "indicators": {"ind": kind.example(SCENARIOS)},
            # the kind's conjugate statistics of ``w * log f`` (the truth mixture: tests/model)
            "reliability_model": "tempered",
        }
    )
    values = kind.example_values()
    items = [
        {
            "id": f"i{n}",
            "indicator": "ind",
            "value": values[int(rng.integers(len(values)))],
            "date": dt.date(2025, 1, 1 + n),
            "source": "s",
            "reliability": float(rng.choice([1.0, 0.6, 0.25])),
            **kind.example_item(),
        }
        for n in range(n_items)
    ]
    return ModelData.build(q, fc.Evidence.from_items(items, q))


def test_the_registry_finds_every_kind_in_display_order():
    assert KINDS[:4] == ["count", "binary", "categorical", "continuous"]
    for name, kind in kinds().items():
        assert kind.name == name
        assert kind.spec.model_fields["kind"].annotation.__args__ == (name,)


def test_an_unknown_kind_names_the_known_ones():
    with pytest.raises(KeyError, match="kinds: count, binary, categorical, continuous"):
        get_kind("counts")


@pytest.mark.parametrize("name", KINDS)
def test_item_statistics_add_up(name):
    ind = example_model(name).indicators[0]
    np.testing.assert_allclose(ind.kind.item_stats(ind).sum(axis=0), ind.stats, rtol=1e-12)
    # one observation's statistics are those of an item with that value and weight
    for i in range(len(ind.item_ids)):
        one = ind.kind.outcome_stats(ind, ind.values[i : i + 1], ind.weights[i], ind.exposures[i])
        np.testing.assert_allclose(one[0], ind.kind.item_stats(ind)[i], rtol=1e-12)


@pytest.mark.parametrize("name", KINDS)
def test_kernel_plus_constant_is_the_sum_of_item_log_likelihoods(name):
    ind = example_model(name).indicators[0]
    theta = ind.kind.draw(ind.prior, np.random.default_rng(1), 50)
    by_item = ind.kind.item_loglik(theta, ind).sum(axis=-1)
    whole = ind.kind.kernel(theta, ind.stats) + ind.constant
    np.testing.assert_allclose(whole, by_item, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", KINDS)
def test_marginal_likelihood_agrees_with_monte_carlo_over_the_prior(name):
    ind = example_model(name, n_items=3).indicators[0]
    n = 400_000
    theta = ind.kind.draw(ind.prior, np.random.default_rng(2), n)
    loglik = ind.kind.item_loglik(theta, ind).sum(axis=-1)  # (n, K)
    top = loglik.max(axis=0)
    ratio = np.exp(loglik - top)
    estimate = top + np.log(ratio.mean(axis=0))
    se = ratio.std(axis=0) / np.sqrt(n) / ratio.mean(axis=0)  # of the log, delta method
    exact = ind.kind.log_marginal(ind.prior, ind.stats) + ind.constant
    assert np.all(np.abs(exact - estimate) <= 5 * se + 1e-12), (exact, estimate, se)


@pytest.mark.parametrize("name", KINDS)
def test_posterior_is_prior_times_likelihood_over_marginal(name):
    """log p(theta | E) - log p(theta) = kernel(theta) - log m(E): exact, for every theta."""
    ind = example_model(name).indicators[0]
    kind = ind.kind
    post = kind.posterior(ind.prior, ind.stats)
    theta = kind.draw(post, np.random.default_rng(3), 20)
    lhs = kind.log_prior_density(theta, post) - kind.log_prior_density(theta, ind.prior)
    rhs = (kind.kernel(theta, ind.stats) - kind.log_marginal(ind.prior, ind.stats)).sum(axis=-1)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", KINDS)
def test_draws_have_the_prior_mean(name):
    ind = example_model(name).indicators[0]
    n = 200_000
    theta = ind.kind.draw(ind.prior, np.random.default_rng(4), n)
    mean, se = theta.mean(axis=0), theta.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(mean - ind.kind.prior_mean(ind.prior)) <= 5 * se)


@pytest.mark.parametrize("name", KINDS)
def test_pymc_graph_computes_the_same_densities(name):
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    from forecasting.core.dims import SCENARIO

    data = example_model(name)
    ind = data.indicators[0]
    coords = {SCENARIO: SCENARIOS, **ind.kind.coords(ind)}
    dims = (SCENARIO, *ind.kind.coords(ind))
    with pm.Model(coords=coords) as model:
        rv = ind.kind.pymc_prior(ind, dims)
        stats = [pt.as_tensor(v) for v, _ in ind.kind.pymc_stats(ind).values()]
        kernel = ind.kind.pt_kernel(rv, stats)
    theta = ind.kind.draw(ind.prior, np.random.default_rng(5), 3)
    value = rv.type()
    f_logp = pytensor.function(
        [value], pt.sum(pm.logp(rv, value)), mode="FAST_COMPILE", on_unused_input="ignore"
    )
    f_kernel = pytensor.function([rv], kernel, mode="FAST_COMPILE", on_unused_input="ignore")
    assert model[ind.id] is rv
    for t in theta:
        assert float(f_logp(t)) == pytest.approx(
            float(ind.kind.log_prior_density(t[None], ind.prior)[0]), rel=1e-9, abs=1e-9
        )
        np.testing.assert_allclose(
            f_kernel(t), ind.kind.kernel(t[None], ind.stats)[0], rtol=1e-9, atol=1e-9
        )


@pytest.mark.parametrize("name", KINDS)
def test_outcomes_are_a_predictive_distribution(name):
    data = example_model(name)
    ind = data.indicators[0]
    probability = np.array([0.5, 0.3, 0.2])
    outcomes, pred = ind.kind.outcomes(ind, probability, 1.0, lambda o: np.full(len(o), 1.0))
    assert len(outcomes) == len(pred) >= 2
    assert pred.sum() == pytest.approx(1.0, abs=1e-9) and np.all(pred >= 0)
    for o in outcomes[:5]:
        assert isinstance(ind.kind.outcome_text(ind, o), str)


@pytest.mark.parametrize("name", KINDS)
def test_tail_probabilities(name):
    """In [0, 1]; the most probable observation has tail 1 under every scenario."""
    ind = example_model(name).indicators[0]
    weights = np.array([0.2, 0.5, 0.3])
    for value in ind.kind.example_values():
        per, mixed = ind.kind.tail(ind, value, ind.kind.example_item().get("exposure"), weights)
        assert per.shape == (3,) and np.all((per >= 0) & (per <= 1)) and 0 <= mixed <= 1
    if ind.kind.name == "continuous":
        post = ind.kind.posterior(ind.prior, ind.stats)
        per, _ = ind.kind.tail(ind, float(post[0, 0]), None, weights)
        assert per[0] == pytest.approx(1.0)


@pytest.mark.parametrize("name", KINDS)
def test_moving_a_judgement_moves_its_centre_and_nothing_at_its_base(name):
    ind = example_model(name).indicators[0]
    kind = ind.kind
    for k, s in enumerate(SCENARIOS):
        for jd in kind.judgements(ind, k, s):
            assert jd.low < jd.base < jd.high
            assert jd.lower_limit <= jd.low and jd.high <= jd.upper_limit
            values = np.linspace(jd.low, jd.high, 5)
            params = kind.move_centre(ind, k, jd, values)
            centre = kind.prior_mean(params)
            if centre.ndim > 1:  # one category's probability
                centre = centre[:, list(ind.spec.categories).index(jd.category)]
            np.testing.assert_allclose(centre, values, rtol=1e-9)
            at_base = kind.move_centre(ind, k, jd, np.array([jd.base]))
            np.testing.assert_allclose(
                kind.log_marginal(at_base, ind.stats),
                kind.log_marginal(ind.prior[k : k + 1], ind.stats),
                rtol=1e-9,
            )


@pytest.mark.parametrize("name", KINDS)
def test_values_read_back_from_their_text(name):
    """A value written by the kind (a table, a CSV cell) reads back as the same value."""
    kind = get_kind(name)
    spec = kind.spec.model_validate(kind.example(SCENARIOS))
    for value in kind.example_values():
        again = kind.value_from_text(kind.value_text(value))
        assert again == value
        bad: list[tuple] = []
        parsed = kind.parse_item({"value": again, **kind.example_item()}, spec, _collect(bad), None)
        assert parsed is not None and parsed.value == value and not bad


@pytest.mark.parametrize("name", KINDS)
def test_a_value_of_the_wrong_type_is_reported_on_the_value(name):
    kind = get_kind(name)
    spec = kind.spec.model_validate(kind.example(SCENARIOS))
    bad: list[tuple] = []
    assert (
        kind.parse_item({"value": {"a": 1}, **kind.example_item()}, spec, _collect(bad), None)
        is None
    )
    assert bad and bad[0][0] == ("value",) and "got" in bad[0][1]


@pytest.mark.parametrize("name", KINDS)
def test_text_of_likelihoods(name):
    kind = get_kind(name)
    spec = kind.spec.model_validate(kind.example(SCENARIOS))
    described = kind.describe(spec, SCENARIOS)
    assert set(described["likelihoods"]) == set(SCENARIOS)
    for entry in described["likelihoods"].values():
        assert kind.describe_text(entry)
    assert isinstance(kind.describe_suffix(described), str)
    row = spec.prior_params(SCENARIOS)[0]
    assert kind.likelihood_text(spec, row)
    assert not kind.redefined(spec, spec)


def test_exact_marginals_use_special_functions_only_where_needed():
    """The count kind's marginal is the negative binomial (a closed-form check of one kind)."""
    ind = example_model("count").indicators[0]
    a, b = ind.prior[:, 0], ind.prior[:, 1]
    s1, s2 = ind.stats
    expected = (
        a * np.log(b) - special.gammaln(a) + special.gammaln(a + s1) - (a + s1) * np.log(b + s2)
    )
    np.testing.assert_allclose(ind.kind.log_marginal(ind.prior, ind.stats), expected)


def _collect(out: list[tuple]):
    def bad(path: tuple, message: str) -> None:
        out.append((path, message))

    return bad
