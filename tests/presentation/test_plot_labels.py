r"""Texts that plots draw from user data pass through one escaping function (issue 15).

Validation refuses control characters in a question's labels, but a Question built or edited in
Python and an archived forecast file (untrusted) can hold them: an ESC was drawn raw (matplotlib
warned "Glyph 27 missing"), a U+202E could reorder the text around it. Every public plotting
function now escapes every text of its figures (:func:`~forecasting.presentation.plots.style.
escape_figure_texts`), and the layout measures them as drawn.
"""

from __future__ import annotations

import warnings

import matplotlib
import pytest
from builders import binary, continuous, count, evidence, item, question

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import forecasting as fc  # noqa: E402
from forecasting import analyses as sn  # noqa: E402
from forecasting.pipeline.archive import history_dataset  # noqa: E402
from forecasting.presentation import plots  # noqa: E402
from forecasting.presentation.plots.layout import text_width, wrap_to  # noqa: E402
from forecasting.presentation.plots.registry import FIGURES, results_of  # noqa: E402

LABEL = "Esc\x1b[2J then \u202eRTL"
SHOWN = "Esc\\x1b[2J then \\u202eRTL"
RAW = ("\x1b", "\u202e")


def _forecast(label: str | None) -> fc.Forecast:
    q = question(
        ("a", "b"),
        indicators={
            "yn": binary({"a": (5, 2), "b": (2, 5)}),
            "ops": count({"a": (4, 2), "b": (1, 1)}),
            "level": continuous({"a": (0.0, 1.0), "b": (1.0, 1.0)}),
        },
    )
    if label is not None:  # past validation, as Python code or a file edited by hand could
        q.scenarios["a"].label = label
        q.title = f"Title {label}"
    ev = evidence(
        q,
        [item("i1", "yn", True), item("i2", "ops", 3, exposure=1.0), item("i3", "level", 0.4)],
    )
    return fc.forecast(q, ev, as_of="2025-02-01")


@pytest.fixture(scope="module")
def hostile():
    return _forecast(LABEL)


@pytest.fixture(scope="module")
def tree():
    """Sensitivity analyses (of the same forecast with a clean label: they revalidate it)."""
    return sn.sensitivity(_forecast(None))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _drawn_texts(fig) -> list[str]:
    """Every text of a drawn figure, as drawn (tick labels are made at draw time)."""
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text)]


def _draw_strictly(draw, *args, **kwargs):
    """Draw with every warning an error ("Glyph 27 missing from font(s)" is a UserWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, _ = draw(*args, **kwargs)
        return fig, _drawn_texts(fig)


def test_the_label_really_holds_the_characters(hostile):
    assert hostile.labels["a"] == LABEL


@pytest.mark.parametrize("name", [f.name for f in FIGURES])
def test_every_figure_draws_the_label_escaped_without_a_missing_glyph(hostile, tree, name):
    results = results_of(hostile, tree, history_dataset([hostile]))
    spec = next(f for f in FIGURES if f.name == name)
    arguments = spec.arguments(results)
    assert arguments is not None
    args, kwargs = arguments
    _, texts = _draw_strictly(spec.draw, *args, **kwargs)
    assert not [t for t in texts if any(c in t for c in RAW)]
    if name != "value_of_information":  # it names no scenario
        assert any("\\x1b[2J" in t and "\\u202e" in t for t in texts), texts


def test_next_observation_and_the_posterior_show_the_escaped_form(hostile, tree):
    _, texts = _draw_strictly(
        plots.plot_next_observation,
        tree["next_observation"].to_dataset(),
        "level",
        labels=hostile.labels,
    )
    assert any(SHOWN in t.replace("\n", " ") for t in texts), texts
    _, texts = _draw_strictly(plots.plot_posterior, hostile)
    assert SHOWN in texts  # the tick label, whole
    assert any(f"Title {SHOWN}" in t for t in texts)


def test_an_archived_file_is_drawn_escaped(hostile, tmp_path):
    path = hostile.save(tmp_path / "f.nc")
    loaded = fc.Forecast.load(path)
    assert loaded.labels["a"] == LABEL  # the file holds it raw
    _, texts = _draw_strictly(plots.plot_confidence, loaded)
    assert any(SHOWN in t.replace("\n", " ") for t in texts)
    assert not [t for t in texts if any(c in t for c in RAW)]


def test_save_all_writes_every_figure_without_a_missing_glyph(hostile, tree, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        written = plots.save_all(hostile, tree, tmp_path, history=history_dataset([hostile]))
    assert len(written) == len(FIGURES)


def test_a_figure_handed_to_save_figure_is_escaped_too(tmp_path):
    fig, ax = plt.subplots()
    ax.set_title(LABEL)
    ax.set_yticks([0, 1], ["ok", LABEL])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.save_figure(fig, tmp_path / "mine.png")
    assert ax.get_title() == SHOWN
    assert SHOWN in _drawn_texts(fig)


def test_the_layout_measures_a_text_as_it_is_drawn():
    assert text_width(LABEL, 10) == text_width(SHOWN, 10)
    assert wrap_to(LABEL, 1000, 10) == SHOWN
    assert wrap_to("two\nlines", 1000, 10) == "two\nlines"  # its own line breaks are kept
