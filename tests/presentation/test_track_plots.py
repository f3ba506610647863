"""The track-record plots: the CORP reliability diagram and each resolved question's scores.

Inputs are built by hand, as a scorecard's calibration Dataset and ``to_dict()`` make them.
"""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest
import xarray as xr

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from forecasting.presentation import plots  # noqa: E402
from forecasting.presentation.plots.registry import FAST_TEXT  # noqa: E402
from forecasting.presentation.plots.track import (  # noqa: E402
    BINS,
    EMPTY_SCORES,
    HISTOGRAM_HEIGHT,
    RECALIBRATED,
)

ATTRS = {
    "mean_score": 0.183,
    "miscalibration": 0.012,
    "discrimination": 0.041,
    "uncertainty": 0.212,
    "base_rate": 0.31,
    "n_questions": 12,
    "n_pairs": 70,
    "share_inside_band": 0.93,
    "band_level": 0.9,
}
DECOMPOSITION = (
    "Brier 0.183 = miscalibration 0.012 \u2212 discrimination 0.041 + uncertainty 0.212; "
    "12 questions, 70 scenario-events; 93% inside the 90% consistency band"
)


@pytest.fixture(autouse=True)
def _saving_settings():
    """Figures drawn with the text settings they are saved with (``save_figure``), then closed.

    (Hinted glyphs are a few percent wider than the advance widths the layout is computed
    from; figures are saved unhinted.)
    """
    with matplotlib.rc_context(FAST_TEXT):
        yield
    plt.close("all")


def calibration(n_points: int, seed: int = 0) -> xr.Dataset:
    """A calibration Dataset of ``n_points`` distinct forecasts: a nondecreasing recalibrated
    curve (piecewise constant, as PAV makes it) and a band around the diagonal."""
    rng = np.random.default_rng(seed)
    if n_points == 1:
        x = np.array([0.3])
    else:
        x = np.sort(rng.choice(np.arange(1, 100_000) / 100_000, size=n_points, replace=False))
    blocks = np.repeat(np.arange(n_points), 3)[:n_points] // 3  # blocks of three points pooled
    levels = np.sort(rng.uniform(0, 1, size=blocks.max() + 1))
    half = 0.05 + 0.1 * (1 - x)
    return xr.Dataset(
        {
            "forecast": ("point", x),
            "recalibrated": ("point", levels[blocks]),
            "band_lower": ("point", np.clip(x - half, 0, 1)),
            "band_upper": ("point", np.clip(x + half, 0, 1)),
            "n": ("point", rng.integers(1, 8, size=n_points)),
        },
        attrs=dict(ATTRS),
    )


def question(
    qid: str, start: str, probabilities: list[float], resolved: str, *, skill=0.25
) -> dict:
    """A resolved question of a scorecard: weekly forecasts from ``start``."""
    day = np.datetime64(start, "D")
    dates = [day + np.timedelta64(7 * k, "D") for k in range(len(probabilities))]
    ends = [*dates[1:], np.datetime64(resolved, "D")]
    return {
        "question": qid,
        "title": f"Title of {qid}",
        "status": "resolved",
        "resolution": {"outcome": "a", "date": resolved},
        "brier": 0.1234,
        "brier_skill_prior": skill,
        "forecasts": [
            {"as_of": str(d), "stood_days": int((e - d).astype(int)), "probability_of_outcome": p}
            for d, e, p in zip(dates, ends, probabilities, strict=True)
        ],
    }


def unresolved() -> list[dict]:
    return [
        {"question": "still_open", "title": "Open", "status": "open"},
        {
            "question": "called_off",
            "title": "Annulled",
            "status": "annulled",
            "resolution": {"date": "2025-04-01", "annulled": "question withdrawn"},
        },
        {"question": "too_late", "title": "No forecasts", "status": "no forecasts"},
    ]


def card(n_questions: int = 3) -> dict:
    rng = np.random.default_rng(1)
    qs = []
    for k in range(n_questions):
        m = int(rng.integers(1, 9))
        start = str(np.datetime64("2025-01-06") + np.timedelta64(int(rng.integers(0, 90)), "D"))
        end = np.datetime64(start) + np.timedelta64(7 * (m - 1) + int(rng.integers(1, 30)), "D")
        qs.append(question(f"q{k}", start, list(rng.uniform(0.05, 0.95, m)), str(end)))
    return {"questions": qs + unresolved()}


def figure_text(fig) -> str:
    return " ".join(t.get_text().replace("\n", " ") for t in fig.findobj(Text))


def bars(ax) -> list[Rectangle]:
    return [p for c in ax.containers for p in c.patches]


def named_lines(ax) -> list:
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def assert_nothing_overlaps(fig, ax) -> None:
    """The figure's texts and legend lie inside it and clear of one another and of the axes.

    Title, caption, axis labels, legend, and tick labels (each axis's among themselves and
    against the rest) must not overlap; the legend must not cover the axes.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox.padded(1)

    def box(artist):
        return artist.get_window_extent(renderer)

    def shown(texts):
        return [t for t in texts if t.get_visible() and t.get_text().strip()]

    xticks = [box(t) for t in shown(ax.get_xticklabels())]
    yticks = [box(t) for t in shown(ax.get_yticklabels())]
    singles = {
        "title": fig._suptitle,
        "caption": fig._supxlabel,
        "xlabel": ax.xaxis.label,
        "ylabel": ax.yaxis.label,
        "legend": ax.get_legend(),
    }
    boxes = {k: box(a) for k, a in singles.items() if a is not None and a.get_visible()}
    boxes = {k: b for k, b in boxes.items() if b.width > 0}
    for name, b in [*boxes.items(), *(("xtick", b) for b in xticks + yticks)]:
        assert inside.contains(b.x0, b.y0) and inside.contains(b.x1, b.y1), f"{name} outside"
    for (a, ba), (b, bb) in itertools.combinations(boxes.items(), 2):
        assert not ba.overlaps(bb), f"{a} overlaps {b}"
    for group in (xticks, yticks):
        for ba, bb in itertools.combinations(group, 2):
            assert not ba.overlaps(bb), "tick labels overlap"
    for name, b in boxes.items():
        for t in xticks + yticks:
            assert not b.overlaps(t), f"{name} overlaps a tick label"
    if "legend" in boxes:
        assert boxes["legend"].x0 >= ax.get_window_extent(renderer).x1  # beside the axes


# --- the reliability diagram -----------------------------------------------------------------


@pytest.mark.parametrize("n_points", [1, 2, 25, 2000])
def test_reliability_draws_the_recalibrated_steps_the_band_and_the_diagonal(n_points):
    cal = calibration(n_points)
    x, lo, hi = (cal[v].values for v in ("forecast", "band_lower", "band_upper"))
    fig, ax = plots.plot_reliability(cal)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == RECALIBRATED]
    assert line.get_drawstyle() == "steps-post"
    np.testing.assert_allclose(line.get_xdata(), x)
    np.testing.assert_allclose(line.get_ydata(), cal["recalibrated"].values)
    (diagonal,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert list(diagonal.get_xdata()) == [0, 1] and list(diagonal.get_ydata()) == [0, 1]
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    if n_points > 1:  # the step area spans the forecasts, between the band's bounds
        vertices = np.concatenate([p.vertices for p in band.get_paths()])
        assert vertices[:, 0].min() == pytest.approx(x[0])
        assert vertices[:, 0].max() == pytest.approx(x[-1])
        assert vertices[:, 1].min() >= lo.min() - 1e-12
        assert vertices[:, 1].max() <= hi.max() + 1e-12
    # the band at each value too when there are few, else at the last one
    (whiskers,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    got = np.array([(s[0][0], s[0][1], s[1][1]) for s in whiskers.get_segments()])
    at = slice(None) if n_points <= 40 else slice(-1, None)
    np.testing.assert_allclose(got, np.column_stack([x[at], lo[at], hi[at]]))
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)
    assert ax.get_xlabel() == "forecast probability"
    assert ax.get_ylabel() == "how often it came true (recalibrated)"
    fig.canvas.draw()
    assert ax.get_xticklabels()[-1].get_text() == "100%"
    assert ax.get_yticklabels()[0].get_text() == "0%"
    assert fig.get_suptitle() == "Are the probabilities calibrated?"
    assert DECOMPOSITION in figure_text(fig)
    assert_nothing_overlaps(fig, ax)


def test_reliability_histogram_weighs_the_forecasts_by_their_events():
    few = calibration(12)
    _, ax = plots.plot_reliability(few)
    heights = np.array([b.get_height() for b in bars(ax)])
    centres = [b.get_x() + b.get_width() / 2 for b in bars(ax)]
    np.testing.assert_allclose(centres, few["forecast"].values)  # one bar per value
    n = few["n"].values
    np.testing.assert_allclose(heights, HISTOGRAM_HEIGHT * n / n.max())
    many = calibration(2000)
    _, ax = plots.plot_reliability(many)
    heights = np.array([b.get_height() for b in bars(ax)])
    assert len(heights) == BINS and heights.max() == pytest.approx(HISTOGRAM_HEIGHT)
    counts, _ = np.histogram(many["forecast"].values, BINS, (0, 1), weights=many["n"].values)
    np.testing.assert_allclose(heights, HISTOGRAM_HEIGHT * counts / counts.max())


def test_reliability_into_given_axes():
    fig, ax = plt.subplots(figsize=(7, 5))
    n_figs = len(plt.get_fignums())
    got_fig, got_ax = plots.plot_reliability(calibration(5), ax=ax, title="Calibrated?")
    assert got_fig is fig and got_ax is ax and len(plt.get_fignums()) == n_figs
    assert ax.get_title(loc="left") == "Calibrated?"
    assert DECOMPOSITION in figure_text(fig).replace("  ", " ")
    fig.canvas.draw()


# --- the scores of each question -------------------------------------------------------------


def test_scores_one_step_line_per_resolved_question_ending_at_its_resolution():
    c = {
        "questions": [
            question("first", "2025-01-06", [0.4, 0.55, 0.7], "2025-02-10"),
            question("second", "2025-02-03", [0.2], "2025-02-20", skill=None),
            *unresolved(),
        ]
    }
    fig, ax = plots.plot_scores(c)
    lines = named_lines(ax)
    assert [ln.get_label().split("\n")[0].split(" ")[0] for ln in lines] == ["first", "second"]
    first, second = lines
    assert first.get_drawstyle() == "steps-post"
    days = np.array(first.get_xdata(), dtype="datetime64[D]")
    expected = np.array(["2025-01-06", "2025-01-13", "2025-01-20", "2025-02-10"], "datetime64[D]")
    np.testing.assert_array_equal(days, expected)  # each forecast, then the resolution
    np.testing.assert_allclose(first.get_ydata(), [0.4, 0.55, 0.7, 0.7])
    days = np.array(second.get_xdata(), dtype="datetime64[D]")
    assert days[-1] == np.datetime64("2025-02-20") and list(second.get_ydata()) == [0.2, 0.2]
    dots = {ln.get_label(): ln for ln in ax.get_lines() if ln.get_label().startswith("_resolution")}
    assert set(dots) == {"_resolution first", "_resolution second"}
    dot = dots["_resolution first"]
    assert np.datetime64(dot.get_xdata()[0], "D") == np.datetime64("2025-02-10")
    assert list(dot.get_ydata()) == [0.7] and dot.get_marker() == "o"
    assert dot.get_color() == first.get_color()
    labels = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert labels == [
        "first (Brier 0.12, skill vs prior +25%)",
        "second (Brier 0.12, skill vs prior n/a)",
    ]
    assert ax.get_ylim() == (0, 1)
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(len(t) == 10 and t[4] == "-" for t in ticks)  # dates
    assert ax.get_yticklabels()[-1].get_text() == "100%"
    assert fig.get_suptitle() == "Track record"
    text = figure_text(fig)
    assert "2 resolved questions shown" in text and "1 question annulled" in text
    assert_nothing_overlaps(fig, ax)


def test_scores_forecasts_out_of_order_are_sorted():
    q = question("q", "2025-01-06", [0.3, 0.6], "2025-02-01")
    q["forecasts"].reverse()
    _, ax = plots.plot_scores({"questions": [q]})
    (line,) = named_lines(ax)
    np.testing.assert_allclose(line.get_ydata(), [0.3, 0.6, 0.6])


@pytest.mark.parametrize("n_questions", [1, 8, 30])
def test_scores_readable_with_one_to_thirty_questions(n_questions):
    fig, ax = plots.plot_scores(card(n_questions))
    assert len(named_lines(ax)) == n_questions
    assert len(ax.get_legend().get_texts()) == n_questions
    styles = {(ln.get_color(), ln.get_linestyle()) for ln in named_lines(ax)}
    assert len(styles) == n_questions  # no two questions drawn alike
    assert_nothing_overlaps(fig, ax)


def test_scores_of_a_card_without_resolved_questions_say_so():
    for c in ({"questions": unresolved()}, {"questions": []}):
        fig, ax = plots.plot_scores(c)
        assert not ax.get_lines()
        assert EMPTY_SCORES in [t.get_text() for t in ax.texts]
        assert fig.get_suptitle() == "Track record"
        fig.canvas.draw()
        plt.close(fig)
    fig, ax = plt.subplots()
    got_fig, got_ax = plots.plot_scores({"questions": unresolved()}, ax=ax)
    assert got_fig is fig and got_ax is ax and ax.get_title(loc="left") == "Track record"
    assert EMPTY_SCORES in [t.get_text() for t in ax.texts]


def test_scores_into_given_axes():
    fig, ax = plt.subplots(figsize=(8, 4))
    n_figs = len(plt.get_fignums())
    got_fig, got_ax = plots.plot_scores(card(2), ax=ax, title="Mine")
    assert got_fig is fig and got_ax is ax and len(plt.get_fignums()) == n_figs
    assert ax.get_title(loc="left") == "Mine" and len(named_lines(ax)) == 2


# --- text from files is plain text ----------------------------------------------------------


def test_dollar_signs_are_drawn_as_written():
    """'$5 and $10' would be mathematics to matplotlib: drawn as written, settings restored."""
    fig, ax = plots.plot_reliability(calibration(3), title="Between $5 and $10")
    assert fig.get_suptitle() == "Between $5 and $10"
    fig.canvas.draw()  # would raise a mathtext ParseException, or drop the dollars
    assert not fig._suptitle.get_parse_math()
    c = {"questions": [question("$5 and $10", "2025-01-06", [0.4, 0.6], "2025-02-01")]}
    fig, ax = plots.plot_scores(c, title="Prices $5 and $10")
    (entry,) = ax.get_legend().get_texts()
    assert entry.get_text().replace("\n", " ").startswith("$5 and $10 (Brier")
    assert not entry.get_parse_math() and not fig._suptitle.get_parse_math()
    fig.canvas.draw()
    assert matplotlib.rcParams["text.parse_math"]  # restored


def test_scores_of_a_single_day_have_whole_day_ticks():
    c = {"questions": [question("same_day", "2025-01-06", [0.4], "2025-01-06")]}
    fig, ax = plots.plot_scores(c)
    (line,) = named_lines(ax)
    assert list(line.get_ydata()) == [0.4, 0.4]
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "2025-01-06" in ticks and len(set(ticks)) == len(ticks)  # no hours
    assert_nothing_overlaps(fig, ax)
