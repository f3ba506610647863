"""The confidence beside the probability: its rules, its exact parts, its outputs, old files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, binary, count, evidence, item, question

import forecasting as fc
from forecasting.analyses.base import base_of
from forecasting.analyses.confidence_change import confidence_change
from forecasting.cli import main
from forecasting.confidence import level as rules
from forecasting.confidence.opinion import opinion_range
from forecasting.confidence.origins import evidence_reliability
from forecasting.engines.exact import exact_posterior
from forecasting.pipeline.archive import history_dataset

OLD = Path(__file__).parent.parent / "pipeline" / "data" / "made-before-origins-2025-10-20.nc"
AS_OF = "2025-10-27"


def measures(**changes) -> rules.Measures:
    base = dict(
        origins=5,
        largest_origin="A",
        largest_share=0.3,
        leader_changes_without=(),
        p_flip_opinion=0.05,
        p_flip_horizon=0.05,
        horizon_days=30.0,
    )
    return rules.Measures(**(base | changes))


@pytest.mark.parametrize(
    ("changes", "expected", "rule"),
    [
        ({}, "high", None),
        ({"origins": 1, "largest_share": 1.0}, "low", "few_origins"),
        ({"origins": 0, "largest_share": 0.0, "largest_origin": None}, "low", "few_origins"),
        ({"largest_share": 0.75}, "low", "one_origin_dominates"),
        ({"leader_changes_without": ("A",)}, "low", "rests_on_one_origin"),
        ({"p_flip_opinion": 0.3}, "low", "judgements_disagree"),
        ({"p_flip_horizon": 0.3}, "low", "unsettled"),
        ({"largest_share": 0.51}, "moderate", "many_origins"),
        ({"origins": 2, "largest_share": 0.5}, "moderate", "many_origins"),
        ({"p_flip_opinion": 0.1}, "moderate", "judgements_agree"),
        ({"p_flip_horizon": 0.29}, "moderate", "settled"),
    ],
)
def test_the_level_follows_the_stated_rules(changes, expected, rule):
    lvl, decided, verdicts = rules.level(measures(**changes))
    assert lvl == expected
    assert decided, "a level always comes with its reasons"
    if rule is not None:
        assert rule in [r.name for r in decided]
    if expected == "high":
        assert all(verdicts[r.name] for r in rules.high_rules(measures(**changes)))


def test_the_bundled_question_is_low_for_stated_reasons():
    f = fc.forecast(BUNDLED_QUESTION, as_of=AS_OF)
    conf = f.confidence
    assert conf.level == "low"
    assert conf.reason_rules == ["unsettled"]
    assert len(conf.origins) == 6 and conf.largest[0] == "Middle East Institute"
    assert conf.largest[1] == pytest.approx(0.5634, abs=1e-4)
    lo, hi = conf.range("origin_range", "accession")
    assert 0.40 < lo < 0.55 < hi < 0.65
    # the figures the README quotes for the bundled question (the default seed: deterministic)
    pct = fc.text.pct
    assert [pct(x) for x in conf.range("responsiveness", "accession")] == ["25%", "81%"]
    assert [pct(x) for x in conf.range("opinion", "accession")] == ["34%", "75%"]
    assert [pct(x) for x in conf.range("origin_range", "accession")] == ["45%", "60%"]
    assert pct(conf.p_leader_change) == "32%"
    # the probability's sentence and the confidence's are two sentences
    head = fc.text.headline(f)
    first, second = head.split(". Confidence ", 1)
    assert "interval" not in head and "%" in first and "low: 12 items from 6" in second


def test_leaving_out_an_origin_is_an_exact_refit():
    b = base_of(BUNDLED_QUESTION, BUNDLED_EVIDENCE, AS_OF)
    rel = evidence_reliability(b.data, b.evidence, b.probability, b.log_joint)
    for name, row in zip(rel.left_out, rel.without, strict=True):
        ids = {it.id for it in b.evidence.items if it.origin == name}
        refit = exact_posterior(b.data.without_items(ids)).probability
        np.testing.assert_allclose(row, refit, rtol=0, atol=1e-12)
    assert rel.lower.min() >= 0 and np.all(rel.lower <= b.probability + 1e-15)
    assert np.all(rel.upper >= b.probability - 1e-15)
    shares = [o.share for o in rel.origins]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1.0)


def test_relayed_copies_count_once_in_an_origins_weight():
    # the same report relayed by two outlets (one origin, one event) weighs as one report
    def rows(copies):
        out = [
            item(f"a{n}", "fact", True, source=f"outlet {n}", weight=0.8) | {"origin": "O"}
            for n in range(copies)
        ]
        for r in out:
            r["event"] = "e1"
        return out + [item("b", "fact", True, source="P", weight=0.8)]

    q = question(
        ("a", "b"), {"fact": binary({"a": (4, 1), "b": (1, 4)})}, reliability_model="mixture"
    )
    shares = []
    for copies in (1, 3):
        b = base_of(q, evidence(q, rows(copies)), "2025-06-01")
        rel = evidence_reliability(b.data, b.evidence, b.probability, b.log_joint)
        shares.append({o.name: o.share for o in rel.origins})
    assert shares[0] == pytest.approx(shares[1]) and shares[0]["O"] == pytest.approx(0.5)


def test_sharper_judgements_narrow_the_range_of_reasonable_opinion():
    def q(sd):
        return question(
            ("a", "b"),
            {"ops": count({"a": ((2 / sd) ** 2, 2 / sd**2), "b": ((1 / sd) ** 2, 1 / sd**2)})},
        )

    widths = []
    for sd in (0.8, 0.2):
        qq = q(sd)
        ev = evidence(qq, [item(f"i{n}", "ops", 2, exposure=1.0) for n in range(4)])
        b = base_of(qq, ev, "2025-06-01")
        op = opinion_range(b.data, b.probability, seed=3)
        widths.append(op.upper[0] - op.lower[0])
        assert np.all(op.mcse <= 0.01 + 1e-12) or op.draws >= 4000
    assert widths[1] < 0.6 * widths[0]


def test_a_longer_horizon_moves_the_answer_further():
    short = fc.forecast(BUNDLED_QUESTION, as_of=AS_OF, horizon_days=7).confidence
    long = fc.forecast(BUNDLED_QUESTION, as_of=AS_OF, horizon_days=120).confidence
    w = [np.diff(c.range("responsiveness", "accession"))[0] for c in (short, long)]
    assert w[0] < w[1]
    assert short.horizon_days == 7 and long.horizon_days == 120


def test_a_second_independent_origin_is_named_when_confidence_changes():
    q = question(
        ("a", "b"), {"fact": binary({"a": (8, 2), "b": (2, 8)})}, reliability_model="mixture"
    )
    one = [item("x", "fact", True, source="Reuters")]
    two = one + [item("y", "fact", True, source="AP")]
    f1 = fc.forecast(q, evidence(q, one), as_of="2025-06-01")
    f2 = fc.forecast(q, evidence(q, two), as_of="2025-06-01")
    assert f1.confidence.level == "low" and "few_origins" in f1.confidence.reason_rules
    text = confidence_change(f1, f2)
    assert "a second independent origin (AP)" in text
    assert text.startswith(f"confidence {f2.confidence.level}")
    assert fc.analyses.attribute(f1, f2).confidence == text


def test_a_forecast_made_before_confidence_loads_shows_in_history_and_verifies(capsys):
    old = fc.Forecast.load(OLD)
    assert int(old.tree.attrs.get("format_version", 0)) < 2
    assert old.confidence is None
    d = old.to_dict()
    assert d["confidence"] is None and all(s["responsiveness"] is None for s in d["scenarios"])
    assert "Confidence" not in fc.text.headline(old)
    assert old.interval_if_parameters_known.shape == (4, 2)
    new = fc.forecast(BUNDLED_QUESTION, as_of=AS_OF)
    hist = history_dataset([old, new])
    assert list(hist.confidence.values) == ["", "low"]
    assert np.isnan(hist.responsiveness.values[0]).all()
    assert np.isfinite(hist.responsiveness.values[1]).all()
    assert main(["verify", str(OLD)]) == 0
    assert "reproduces" in capsys.readouterr().out


def test_a_new_forecast_records_its_format_and_verifies_its_confidence(tmp_path, capsys):
    f = fc.forecast(BUNDLED_QUESTION, as_of=AS_OF, seed=9, horizon_days=45)
    assert f.tree.attrs["format_version"] == 3
    path = f.save(tmp_path / "f.nc")
    assert main(["verify", str(path)]) == 0  # reruns with the file's 45-day horizon
    capsys.readouterr()
    tree = f.tree.copy(deep=True)
    tree["confidence"]["responsiveness"].values[0, 1] += 0.01
    tampered = fc.Forecast(tree).save(tmp_path / "t.nc")
    assert main(["verify", str(tampered), "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert any("responsiveness" in d for d in out["differences"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--horizon", "0"], "--horizon"),
        (["--horizon", "ten"], "--horizon"),
    ],
)
def test_a_bad_horizon_is_a_clear_error(args, message, capsys):
    assert main(["run", str(BUNDLED_QUESTION), "--as-of", AS_OF, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_confidence_settings_in_a_question_name_the_field(tmp_path, capsys):
    text = BUNDLED_QUESTION.read_text()
    bad = text.replace("prior_concentration: 8", "prior_concentration: 8\nhorizon_days: -3")
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "q.yaml"
    path.write_text(bad)
    assert main(["validate", str(path), "--evidence", str(BUNDLED_EVIDENCE)]) == 2
    err = capsys.readouterr().err
    assert "horizon_days" in err and "q.yaml:" in err and "Traceback" not in err
    bad = text.replace(
        "  joint_operations:\n    kind: count\n",
        "  joint_operations:\n    kind: count\n    arrivals_per_30_days: 2\n",
    )
    path.write_text(bad)
    assert main(["validate", str(path), "--evidence", str(BUNDLED_EVIDENCE)]) == 2
    err = capsys.readouterr().err
    assert "arrivals_per_30_days" in err and "one window" in err


def test_an_opinion_range_too_costly_to_compute_is_said_not_guessed(monkeypatch):
    from forecasting.confidence import opinion, origins

    monkeypatch.setattr(opinion, "OPINION_BUDGET", 1.0)
    monkeypatch.setattr(origins, "WORK_BUDGET", 1.0)
    f = fc.forecast(BUNDLED_QUESTION, as_of=AS_OF)
    d = f.to_dict()
    assert d["confidence"]["opinion"] is None
    json.dumps(d, allow_nan=False)  # no NaN reaches the JSON
    conf = f.confidence
    assert conf.level != "high" and conf.rules["judgements_agree"] is False
    assert list(conf.ds["left_out"].values) == ["Middle East Institute"]  # the largest, always
    from forecasting.presentation.tables import format_table

    table = format_table(f)
    assert "n/a" in table and "n/a - n/a" not in table  # one "n/a" for a range not computed


@pytest.mark.parametrize("first", ["a", "b"])
def test_an_origin_whose_absence_leaves_a_tie_costs_the_leader_its_lead_in_either_order(first):
    """Two scenarios at even priors, one report: without its origin they are tied. That counts
    as the leader resting on the origin whichever scenario is declared first (np.argmax would
    have decided by the order), and the reason says a tie, not that another would lead."""
    scenarios = (first, "b" if first == "a" else "a")
    q = question(scenarios, indicators={"fact": binary({"a": (5, 2), "b": (2, 5)})})
    q = fc.Question.model_validate(q.to_dict() | {"reliability_model": "mixture"})
    ev = evidence(q, [item("x", "fact", True) | {"origin": "Agency O", "reliability": "D4"}])
    conf = fc.forecast(q, ev, draws=100).confidence
    assert json.loads(conf.ds.attrs["leader_changes_without"]) == ["Agency O"]
    assert "without Agency O the leader would be tied with another scenario" in conf.reasons
    assert not any("another scenario would lead" in r for r in conf.reasons)


def test_many_scenarios_with_few_reports_get_their_range_of_opinion():
    """150 scenarios, four indicators of three reports each: each redrawn prior's marginal is
    8 closed-form terms per scenario, not a quadrature grid of hundreds of nodes. Costed by the
    grid, the range was left out ("n/a": fewer than OPINION_MIN_DRAWS affordable); costed by
    what it sums, it is drawn in full."""
    from forecasting.core.constants import OPINION_BUDGET, OPINION_DRAWS, OPINION_MIN_DRAWS
    from forecasting.model.data import ModelData

    scen = tuple(f"s{k:03d}" for k in range(150))
    indicators = {
        f"fact{j}": binary({s: (1 + (k + j) % 7, 1 + (3 * k + j) % 5) for k, s in enumerate(scen)})
        for j in range(4)
    }
    q = question(scen, indicators=indicators)
    q = fc.Question.model_validate(q.to_dict() | {"reliability_model": "mixture"})
    rows = [
        item(f"x{j}{r}", f"fact{j}", r != 1) | {"origin": f"O{r}", "reliability": "B2"}
        for j in range(4)
        for r in range(3)
    ]
    ev = evidence(q, rows)
    data = ModelData.build(q, ev)
    by_grid = 1 + len(scen) * sum(ind.model.integration_size for ind in data.indicators)
    assert OPINION_BUDGET // by_grid < OPINION_MIN_DRAWS
    assert all(ind.model.log_marginal_size == 8 for ind in data.indicators)
    conf = fc.forecast(q, ev, draws=100).confidence
    assert int(conf.ds.attrs["opinion_draws"]) >= OPINION_DRAWS
    lo, hi = conf.range("opinion", conf.ds.attrs.get("leader", scen[0]))
    assert 0 <= lo <= hi <= 1
