"""The level's judgement rules read several analysts' actual spread when there are two or more."""

from __future__ import annotations

import pytest
from builders import BUNDLED_QUESTION

import forecasting as fc
from forecasting.confidence import level as rules

AS_OF = "2025-10-27"
#: Measures that make confidence high when the analysts are left out.
HIGH = dict(
    origins=4,
    largest_origin="Reuters",
    largest_share=0.3,
    leader_changes_without=(),
    p_flip_opinion=0.02,
    p_flip_horizon=0.02,
    horizon_days=30.0,
)


def measures(**analysts) -> rules.Measures:
    return rules.Measures(**HIGH, **analysts)


def test_without_analysts_the_rules_are_as_they_were():
    lvl, reasons, verdicts = rules.level(measures())
    assert lvl == "high" and not verdicts["judgements_disagree"] and verdicts["judgements_agree"]
    assert "analysts" not in " ".join(r.reason for r in reasons)


def test_analysts_on_different_leaders_make_it_low():
    m = measures(analysts=("a", "b", "c"), analyst_leaders=("x", "y", "x"), analyst_spread=0.05)
    lvl, reasons, verdicts = rules.level(m)
    assert lvl == "low" and verdicts["judgements_disagree"] and not verdicts["judgements_agree"]
    assert reasons[0].reason == "the 3 analysts disagree on the leading scenario (a, c: x; b: y)"


@pytest.mark.parametrize(
    ("spread", "want"),
    [
        (rules.ANALYSTS_LOW_SPREAD, "low"),
        (rules.ANALYSTS_LOW_SPREAD - 1e-9, "moderate"),
        (rules.ANALYSTS_HIGH_SPREAD, "moderate"),
        (rules.ANALYSTS_HIGH_SPREAD - 1e-9, "high"),
    ],
)
def test_the_spread_of_the_leader_at_each_boundary(spread, want):
    m = measures(analysts=("a", "b"), analyst_leaders=("x", "x"), analyst_spread=spread)
    lvl, reasons, _ = rules.level(m)
    assert lvl == want
    if want != "high":
        assert f"the 2 analysts' probabilities of the leader span {100 * spread:.0f} points" in (
            " ".join(r.reason for r in reasons)
        )


def test_one_analyst_is_not_a_spread():
    m = measures(analysts=("a",), analyst_leaders=("y",), analyst_spread=0.0)
    assert rules.level(m)[0] == "high"


def test_the_bundled_analysts_spread_reaches_the_confidence():
    # the static copy of the bundled question: the subject is the analysts' spread, not dynamics
    r = fc.forecast_analysts(BUNDLED_QUESTION, as_of=AS_OF)
    c = r.confidence
    assert c is not None and c.level == "low"
    assert r.leaders == {
        "leverage": "accession",
        "sdf_impasse": "informal",
        "trust_gap": "accession",
    }
    assert r.leader == "accession" and r.leader_spread > rules.ANALYSTS_LOW_SPREAD
    assert c.reasons[0].startswith("the 3 analysts disagree on the leading scenario")
    assert c.to_dict()["analysts"]["leaders"] == ["accession", "informal", "accession"]
    # the shared question's own confidence has no analysts and reads as before
    f = fc.forecast(BUNDLED_QUESTION, as_of=AS_OF)
    assert "analysts" not in f.confidence.to_dict() and "analysts" not in f.confidence.ds.attrs
    assert f.confidence.rules["judgements_disagree"] is False
    assert c.ds["opinion"].equals(f.confidence.ds["opinion"])
    assert (
        fc.forecast_analysts(
            BUNDLED_QUESTION, as_of=AS_OF, analysts=["trust_gap"], confidence=False
        ).confidence
        is None
    )
