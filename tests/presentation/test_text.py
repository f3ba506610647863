"""How numbers read: one formatter for every output."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecasting.presentation import text


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (0.52, "52%"),
        (0.01, "1%"),
        (0.995, "99.5%"),
        (0.005, "0.5%"),
        (0.0004, "<0.1%"),
        (0.99996, ">99.9%"),
        (0.0, "0%"),
        (1.0, "100%"),
        (math.nan, "n/a"),
    ],
)
def test_percentages(p, shown):
    assert text.pct(p) == shown
    assert text.pct(p, sign=False) == shown.removesuffix("%")


def test_whole_percentages_on_request():
    assert text.pct(0.004, digits=0) == "<1%" and text.pct(0.996, digits=0) == ">99%"


@pytest.mark.parametrize(
    ("p", "term"),
    [
        (0.04, "almost no chance"),
        (0.05, "very unlikely"),
        (0.2, "unlikely"),
        (0.45, "roughly even chance"),
        (0.55, "roughly even chance"),
        (0.56, "likely"),
        (0.95, "almost certain"),
        (1.0, "almost certain"),
    ],
)
def test_estimative_terms_follow_icd_203(p, term):
    assert text.estimative(p) == term


def test_points_and_changes():
    assert text.points(0.051) == "+5.1" and text.points(-0.0432) == "-4.3"
    assert text.pp(-0.0432) == "\u22124.3" and text.pp(0.0001) == "0"
    assert text.change_words(0.11) == "up 11 points"
    assert text.change_words(-0.01) == "down 1 point"
    assert text.change_words(0.004) == "unchanged"
    assert text.plural(1, "item") == "1 item" and text.plural(3, "item") == "3 items"


def test_judgement_values_in_their_own_units():
    assert text.judgement_value(0.25, "probability") == "25%"
    assert text.judgement_value(1.234, "rate", "/30d") == "1.23/30d"
    assert text.judgement_value(0.5, "weight") == "w=0.50"
    assert text.judgement_value(8.0, "concentration") == "8"
    assert text.judgement_value(math.inf, "mean") == "n/a"


def test_judgement_names_from_typed_coordinates():
    assert text.judgement_name("likelihood", "joint_operations", "accession", "", "rate") == (
        "joint operations rate | accession"
    )
    assert text.judgement_name(
        "likelihood", "us_rhetoric", "informal", "hostile", "probability"
    ) == ("P(us rhetoric = hostile | informal)")
    assert text.judgement_name("likelihood", "sdf", "collapse", "", "probability") == (
        "P(sdf | collapse)"
    )
    assert (
        text.judgement_name("likelihood", "oil", "collapse", "", "mean") == "oil level | collapse"
    )
    assert text.judgement_name("prior", "collapse", "collapse") == "prior P(collapse)"
    assert text.judgement_name("concentration", "", "") == "prior concentration"
    long_id = "mei-2025-10-27-a-very-long-item-identifier-that-goes-on"
    name = text.judgement_name("reliability", long_id, "")
    assert name.startswith("reliability of mei-") and len(name) <= len("reliability of ") + 38


def test_one_displayed_number_gets_one_estimative_term():
    """0.546 and 0.552 both show as 55%: one term for both (the band's edge is decided on the
    number the reader sees, not on digits nobody sees)."""
    for shown in range(0, 101):
        ps = np.linspace(shown - 0.499, shown + 0.499, 41) / 100
        ps = ps[(ps >= 0.01) & (ps <= 0.99)]
        ps = [p for p in ps if text.pct(p) == f"{shown}%"]
        assert len({text.estimative(p) for p in ps}) <= 1, shown
    assert text.estimative(0.546) == text.estimative(0.552) == "roughly even chance"
    assert text.estimative(0.556) == "likely"


def test_counts_in_words_run_by_run():
    from forecasting.kinds.count import count_range

    assert count_range([0, *range(46, 64)], 63) == "0 or at least 46"
    assert count_range([0, 1], 63) == "at most 1"
    assert count_range(list(range(7, 64)), 63) == "at least 7"
    assert count_range([0, 2, 3, 4, 9], 63) == "0, 2 to 4 or 9"
    assert count_range([2, 3], 63) == "2 or 3"
    assert count_range([5], 63) == "5"


def test_what_to_watch_leaves_out_observations_too_improbable_to_watch():
    """The bundled question: 52 or more joint operations in a month would make collapse lead,
    with a chance below 0.1%; not a sentence to an analyst, though the analysis keeps it."""
    import datetime as dt

    from builders import BUNDLED_EVIDENCE, BUNDLED_FILE

    import forecasting as fc
    from forecasting import analyses

    q = fc.load_question(BUNDLED_FILE)
    ev = fc.load_evidence(BUNDLED_EVIDENCE, q).as_of(dt.date(2025, 10, 27))
    nxt = analyses.next_observation(q, ev, as_of="2025-10-27")
    rare = [
        n
        for n in range(nxt.sizes["outcome"])
        if nxt.flips.values[n] and nxt.predictive_probability.values[n] < 1e-4
    ]
    assert rare  # kept by the analysis
    labels = {k: v["label"] for k, v in q.to_dict()["scenarios"].items()}
    said = text.next_observation_sentences(q.to_dict(), labels, nxt)
    assert said and all("<0.1%" not in s for s in said)
    assert any("A count of 0 or at least 46 for agreements reported" in s for s in said)
