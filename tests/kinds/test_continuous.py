"""The continuous kind: closed form by hand, validation, and a question mixing all four kinds."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
import yaml
from builders import continuous, evidence, item, question
from scipy import stats

import forecasting as fc
from forecasting.cli import main
from forecasting.kinds import kinds

AS_OF = "2025-06-01"


def test_one_measurement_by_hand():
    """One confirmed item y: the marginal is Normal(y | m_k, sqrt(s_k**2 + sd**2))."""
    q = question(indicators={"level": continuous({"a": (10.0, 2.0), "b": (4.0, 1.0)}, sd=1.5)})
    ev = evidence(q, [item("i", "level", 7.0)])
    f = fc.forecast(q, ev, as_of=AS_OF)
    like = [
        stats.norm.pdf(7.0, 10.0, math.hypot(2.0, 1.5)),
        stats.norm.pdf(7.0, 4.0, math.hypot(1.0, 1.5)),
    ]
    np.testing.assert_allclose(f.probabilities.values, np.array(like) / sum(like), rtol=1e-12)


def test_half_weight_is_the_square_root_of_the_likelihood():
    """w = 0.5: the item counts as a measurement with sd * sqrt(2), up to a constant."""
    q = question(indicators={"level": continuous({"a": (10.0, 2.0), "b": (4.0, 1.0)}, sd=1.5)})
    half = fc.forecast(q, evidence(q, [item("i", "level", 7.0, weight=0.5)]), as_of=AS_OF)
    q2 = question(
        indicators={"level": continuous({"a": (10.0, 2.0), "b": (4.0, 1.0)}, sd=1.5 * 2**0.5)}
    )
    wide = fc.forecast(q2, evidence(q2, [item("i", "level", 7.0)]), as_of=AS_OF)
    np.testing.assert_allclose(half.probabilities.values, wide.probabilities.values, rtol=1e-12)


def test_the_posterior_of_the_level_is_the_conjugate_one():
    q = question(indicators={"level": continuous({"a": (0.0, 2.0), "b": (5.0, 1.0)}, sd=1.0)})
    ev = evidence(q, [item("i1", "level", 1.0), item("i2", "level", 2.0, weight=0.5)])
    f = fc.forecast(q, ev, as_of=AS_OF, draws=20_000, seed=3)
    draws = f.tree["posterior"]["level"].values[0]  # (draw, scenario)
    chose_a = np.argmax(f.tree["posterior"]["scenario_probability"].values[0], axis=1) >= 0
    assert chose_a.all()
    # scenario a's level given the evidence: precision 1/4 + 1.5, mean (0/4 + 1 + 0.5 * 2) / .
    precision = 1 / 4 + 1.0 + 0.5
    mean = (0 / 4 + 1.0 + 0.5 * 2.0) / precision
    from forecasting.analyses import base_of

    ind = base_of(f).data.indicators[0]
    post = ind.kind.posterior(ind.prior, ind.stats)
    assert post[0, 0] == pytest.approx(mean, rel=1e-12)
    assert post[0, 1] == pytest.approx(precision**-0.5, rel=1e-12)
    assert draws.shape[1] == 2


def test_interval_elicitation_is_the_centred_normal():
    q = question(
        indicators={
            "level": {
                "kind": "continuous",
                "description": "d",
                "sd": 1.0,
                "mean": {"a": {"lower": 80, "upper": 120, "mass": 0.9}, "b": {"mean": 50, "sd": 5}},
            }
        }
    )
    m, s = q.indicators["level"].mean["a"].params
    assert m == pytest.approx(100.0)
    assert stats.norm.cdf(120, m, s) - stats.norm.cdf(80, m, s) == pytest.approx(0.9, abs=1e-12)


@pytest.mark.parametrize(
    ("indicator", "match"),
    [
        ({"mean": {"a": {"mean": 1, "sd": 1}, "b": {"mean": 1, "sd": 1}}}, r"sd: required field"),
        (
            {"sd": 0, "mean": {"a": {"mean": 1, "sd": 1}, "b": {"mean": 1, "sd": 1}}},
            r"sd: input should be greater than 0",
        ),
        (
            {"sd": 1, "mean": {"a": {"mean": 1, "sd": 1}, "b": {"lower": 3, "upper": 2}}},
            r"mean\.b: .*lower \(3\.0\) must be less than upper",
        ),
        ({"sd": 1, "mean": {"a": {"mean": 1, "sd": 1}}}, r"no likelihood for scenario 'b'"),
    ],
)
def test_bad_continuous_indicators_are_located(tmp_path, indicator, match):
    body = {
        "id": "q",
        "title": "t",
        "scenarios": {"a": {"label": "A"}, "b": {"label": "B"}},
        "indicators": {"level": {"kind": "continuous", "description": "d", **indicator}},
    }
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(body))
    with pytest.raises(fc.InputError, match=match) as err:
        fc.load_question(path)
    assert all(p.line is not None for p in err.value.problems)


def test_bad_continuous_items_are_located(tmp_path):
    q = question(indicators={"level": continuous({"a": (1.0, 1.0), "b": (2.0, 1.0)})})
    ledger = tmp_path / "ledger.yaml"
    ledger.write_text(
        "- id: a\n  indicator: level\n  value: high\n  date: 2025-01-01\n  source: s\n"
        "- id: b\n  indicator: level\n  value: 3.5\n  exposure: 2\n  date: 2025-01-01\n"
        "  source: s\n"
        "- id: c\n  indicator: level\n  value: .nan\n  date: 2025-01-01\n  source: s\n"
    )
    with pytest.raises(fc.InputError) as err:
        fc.load_evidence(ledger, q)
    text = [str(p) for p in err.value.problems]
    assert any(
        ":3: [0].value: a continuous indicator's value must be a finite number" in t for t in text
    )
    assert any(
        ":9: [1].exposure: 'exposure' applies only to count indicators; 'level' is continuous" in t
        for t in text
    ), text
    assert any(":14: [2].value:" in t for t in text), text


# --- a question with every kind ---------------------------------------------------------------


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory):
    """A project whose question has one indicator of every kind, and a ledger for each."""
    root = tmp_path_factory.mktemp("every-kind")
    scenarios = ["holds", "frays", "collapses"]
    body = {
        "id": "every-kind",
        "title": "A question with every indicator kind",
        "scenarios": {s: {"label": s.capitalize()} for s in scenarios},
        "indicators": {f"{name}_ind": k.example(scenarios) for name, k in kinds().items()},
    }
    (root / "models").mkdir()
    (root / "models" / "every_kind.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    rows = []
    for name, k in kinds().items():
        for n, value in enumerate(k.example_values()):
            rows.append(
                {
                    "id": f"{name}-{n}",
                    "indicator": f"{name}_ind",
                    "value": value,
                    "date": dt.date(2025, 3, 1 + n),
                    "source": f"source {n % 2}",
                    "reliability": "B2" if n % 2 else 1.0,
                    **k.example_item(),
                }
            )
    (root / "evidence" / "every-kind").mkdir(parents=True)
    (root / "evidence" / "every-kind" / "ledger.yaml").write_text(yaml.safe_dump(rows))
    return root


def test_every_kind_validates_runs_and_explains_itself(every_kind, capsys):
    q = every_kind / "models" / "every_kind.yaml"
    assert main(["validate", str(q), "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert [ind["kind"] for ind in described["indicators"]] == list(kinds())
    assert main(["run", str(q), "--as-of", "2025-04-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert sum(s["probability"] for s in out["scenarios"]) == pytest.approx(1.0)
    assert len(out["evidence"]["used"]) == sum(len(k.example_values()) for k in kinds().values())
    plots = every_kind / "plots"
    assert main(["sensitivity", str(q), "--as-of", "2025-04-01", "--plots", str(plots)]) == 0
    text = capsys.readouterr().out
    assert "continuous_ind" in text and "JUDGEMENT SENSITIVITY" in text
    assert {p.name for p in plots.iterdir()} >= {"posterior.png", "tornado.png", "sweep.png"}


def test_every_kind_goes_through_the_weekly_update(every_kind, capsys):
    q = every_kind / "models" / "every_kind.yaml"
    assert main(["update", str(q), "--as-of", "2025-03-02", "--json"]) in (0, 3)
    capsys.readouterr()
    code = main(["update", str(q), "--as-of", "2025-04-01", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code in (0, 3)
    kinds_of_changes = {p["kind"] for p in summary["attribution"]["parts"]}
    assert "new" in kinds_of_changes
    assert {row["indicator"] for row in summary["watch_next"]} == {
        f"{name}_ind" for name in kinds()
    }
    report = (every_kind / "reports" / "every-kind" / "2025-04-01" / "report.md").read_text()
    assert "continuous-2" in report  # a continuous item is new evidence
    archived = sorted((every_kind / "forecasts" / "every-kind").glob("*.nc"))
    assert [p.name for p in archived] == ["2025-03-02.nc", "2025-04-01.nc"]
    assert main(["verify", str(archived[-1])]) == 0


def test_every_kind_through_the_python_api(every_kind):
    q = fc.load_question(every_kind / "models" / "every_kind.yaml")
    f = fc.forecast(q, as_of="2025-04-01")
    tree = fc.analyses.sensitivity(f)
    js = tree["judgement_sensitivity"].to_dataset()
    kinds_judged = set(js.judgement_indicator_kind.values) - {""}
    assert kinds_judged == set(kinds())
    nxt = tree["next_observation"].to_dataset()
    assert set(nxt.outcome_indicator.values) == {f"{name}_ind" for name in kinds()}
    fig, _ = fc.plots.plot_tornado(js, labels=f.labels)
    assert fig.axes
