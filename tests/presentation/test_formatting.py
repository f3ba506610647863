"""Formatting of the issue 17 bullets: ranges, signs, plurals, cut lines, close headlines."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

from forecasting.kinds import get_kind
from forecasting.presentation import text
from forecasting.presentation.report import blocks as b
from forecasting.presentation.report.formats import Context, all_formats


@pytest.mark.parametrize(
    ("lo", "hi", "shown"),
    [
        (0.25, 0.81, "25-81%"),
        (0.003, 0.11, "0.3-11%"),
        (0.0004, 0.9999, "<0.1% to >99.9%"),  # was "<0.1->99.9%"
        (0.0001, 0.0004, "<0.1%"),  # was "<0.1-<0.1%"
        (0.0004, 0.05, "<0.1% to 5%"),
        (0.52, 0.52, "52%"),
    ],
)
def test_a_range_never_reads_as_two_bounds_run_together(lo, hi, shown):
    assert text.pct_range(lo, hi) == shown


@pytest.mark.parametrize(
    ("x", "digits", "shown"),
    [(-0.0004, 1, "0.0"), (0.0004, 1, "0.0"), (-0.04, 1, "0.0"), (-0.05001, 1, "-0.1"),
     (5.12, 1, "+5.1"), (-0.004, 2, "0.00"), (-0.3, 2, "-0.30")],
)  # fmt: skip
def test_signed_numbers_never_read_minus_zero(x, digits, shown):
    assert text.signed(x, digits) == shown


def test_points_never_read_minus_zero():
    assert text.points(-0.000004) == "0.0" and text.points(0.051) == "+5.1"


def test_one_point_and_one_item_are_singular():
    assert text.change_words(0.01) == "up 1 point" and text.change_words(-0.02) == "down 2 points"
    assert text.plural(1, "item") == "1 item" and text.plural(0, "item") == "0 items"


def test_a_cut_line_never_ends_inside_a_number():
    label = "lister-x: joint_operations = 1 over 1 day (The Nation (Thailand), w 0.36)"
    for width in range(20, len(label)):
        cut = text.clip_words(label, width)
        assert len(cut) <= width and cut.endswith("\u2026")
        assert not cut.removesuffix("\u2026").endswith(("w 0", "0.3", "(", ","))
        kept = cut.removesuffix("\u2026")
        assert label.startswith(kept) and label[len(kept)] in " ,:;()"
    assert text.clip_words(label, len(label)) == label
    assert text.clip_words("abcdefghij", 5) == "abcd\u2026"  # one long word is cut


def test_a_count_phrase_puts_no_number_before_a_plural_name():
    kind = get_kind("count")
    spec = {"per_days": 30}
    every = [str(n) for n in range(8)]
    phrase = kind.observation_phrase("joint operations", spec, ["0", "1"], every)
    assert phrase == "a count of at most 1 for joint operations in the next 30 days"
    assert "1 joint operations" not in phrase
    one_day = kind.observation_phrase("clashes", {"per_days": 1}, ["6", "7"], every)
    assert one_day == "a count of at least 6 for clashes in the next 1 day"


def test_a_count_item_over_one_day_is_singular():
    kind = get_kind("count")
    spec = SimpleNamespace(per_days=30)
    window = (dt.date(2025, 10, 18), dt.date(2025, 10, 19))
    assert kind.item_text(spec, 1, None, window) == "1 over 1 day"
    assert kind.item_text(spec, 4, None, (dt.date(2025, 7, 27), window[1])) == "4 over 84 days"


def test_the_html_report_captions_a_figure_once(tmp_path):
    """The image carries its title and caption; a <figcaption> said it a second time."""
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    out = all_formats()["html"].render(
        [b.Figure(str(png), "Tipping points")], Context("T", tmp_path)
    )
    assert out.count("Tipping points") == 1 and "<figcaption>" not in out
    assert "alt='Tipping points'" in out


def _forecast(probs: dict[str, float]):
    scenarios = list(probs)
    da = xr.DataArray(
        np.array(list(probs.values())), dims="scenario", coords={"scenario": scenarios}
    )
    return SimpleNamespace(
        scenarios=scenarios,
        probabilities=da,
        labels={s: s.capitalize() for s in scenarios},
        leading=scenarios[int(np.argmax(da.values))],
        now=None,
        question={},
        as_of=dt.date(2025, 10, 27),
        confidence=None,
    )


def test_a_headline_says_when_the_top_two_are_too_close_to_call():
    """'collapse likely 55%, frays unlikely 45%' told the reader more than the numbers say."""
    line = text.headline(_forecast({"collapse": 0.55, "frays": 0.45, "holds": 0.0}))
    assert line.startswith("Collapse: 55% (roughly even chance)")
    assert "too close to call against 'Frays' at 45% (within 10 points)" in line
    tie = text.headline(_forecast({"a": 0.3, "b": 0.4, "c": 0.3}))
    assert "too close to call against 'A' at 30%" in tie


def test_a_headline_with_a_clear_leader_is_as_before():
    """The bundled question (accession 55% against informal 40%) is not close."""
    f = _forecast({"accession": 0.55, "informal": 0.40, "collapse": 0.03, "unilateral": 0.02})
    assert text.headline(f) == "Accession: 55% (roughly even chance) as of 2025-10-27"
    assert text.close_runner_up(f) is None
    assert text.close_runner_up(_forecast({"a": 0.549, "b": 0.446})) == "b"  # shown 55 vs 45
    assert text.close_runner_up(_forecast({"a": 0.556, "b": 0.444})) is None  # shown 56 vs 44
