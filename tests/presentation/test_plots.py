"""The plots: what each one draws, consistent scenario colours, signatures, save_all."""

from __future__ import annotations

import inspect
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from builders import BUNDLED_QUESTION

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import same_color, to_hex  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import forecasting as fc  # noqa: E402
from forecasting import analyses as sn  # noqa: E402
from forecasting.presentation import plots  # noqa: E402

AS_OF = "2025-10-27"


@pytest.fixture(scope="module")
def forecast():
    return fc.forecast(BUNDLED_QUESTION, as_of=AS_OF)


@pytest.fixture(scope="module")
def tree(forecast):
    return sn.sensitivity(forecast)


@pytest.fixture(scope="module")
def groups(tree):
    return {name: tree[name].to_dataset() for name in tree.children}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def bars(ax):
    """The bar patches of an axes (no legend or background patches)."""
    return [
        p
        for c in ax.containers
        if isinstance(c, BarContainer)
        for p in c.patches
        if isinstance(p, Rectangle)
    ]


def colour(artist):
    return to_hex(artist.get_facecolor(), keep_alpha=False)


# --- colours ---------------------------------------------------------------------------------


def test_scenario_colors_by_position_and_distinct():
    cols = plots.scenario_colors(["a", "b", "c", "d"])
    assert list(cols) == ["a", "b", "c", "d"]
    assert len(set(cols.values())) == 4
    assert plots.scenario_colors(["x", "y", "z", "w"])["x"] == cols["a"]  # by position
    many = plots.scenario_colors([f"s{i}" for i in range(12)])
    assert len(set(many.values())) == 12


def test_scenario_colour_is_the_same_in_posterior_tornado_and_sweep(forecast, groups):
    cols = plots.scenario_colors(forecast.scenarios)
    _, ax = plots.plot_posterior(forecast)
    for patch, s in zip(bars(ax), forecast.scenarios, strict=True):
        assert same_color(colour(patch), cols[s])
    js = groups["judgement_sensitivity"]
    for s in forecast.scenarios:
        _, ax = plots.plot_tornado(js, scenario=s, top=3)
        assert all(same_color(colour(p), cols[s]) for p in bars(ax))
    curve = sn.sweep(forecast, "prior:collapse", np.linspace(0.05, 0.5, 11))
    _, ax = plots.plot_sweep(curve)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    for s in forecast.scenarios:
        assert same_color(lines[s].get_color(), cols[s])


# --- each plot -------------------------------------------------------------------------------


def test_posterior_one_bar_per_scenario_first_at_top(forecast):
    fig, ax = plots.plot_posterior(forecast)
    k = len(forecast.scenarios)
    assert len(bars(ax)) == k
    widths = [p.get_width() for p in bars(ax)]
    np.testing.assert_allclose(widths, forecast.probabilities.values)
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert labels == [forecast.labels[s] for s in forecast.scenarios]
    bottom, top = ax.get_ylim()
    assert bottom > top  # first scenario at the top
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "55%" in texts and "%" in ax.get_xticklabels()[-1].get_text()


@pytest.mark.parametrize("top", [None, 20, 5])
def test_evidence_influence_rows_sorted_by_diagnosticity(groups, top):
    ei = groups["evidence_influence"]
    fig, ax = plots.plot_evidence_influence(ei, top=top)
    n = min(top or ei.sizes["item"], ei.sizes["item"])
    image = ax.get_images()[0]
    assert image.get_array().shape == (n, ei.sizes["scenario"])
    lo, hi = image.get_clim()
    assert lo == pytest.approx(-hi)
    order = ei["item"].values[np.argsort(-ei["diagnosticity"].values, kind="stable")][:n]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert [r.split("  [")[0] for r in rows] == list(order)
    assert "_" not in rows[0].split("[")[1]  # indicator ids made readable
    assert len(fig.axes) == 2  # the heatmap and its colorbar
    assert "evidence influence" in fig.get_suptitle().lower()


def test_evidence_influence_without_items(groups):
    ei = groups["evidence_influence"].isel(item=[])
    fig, ax = plots.plot_evidence_influence(ei)
    assert "No evidence" in " ".join(t.get_text() for t in ax.texts)


@pytest.mark.parametrize("top", [15, 4, 500])
def test_tornado_bar_count_and_default_scenario(groups, top):
    js = groups["judgement_sensitivity"]
    fig, ax = plots.plot_tornado(js, top=top)
    n = min(top, js.sizes["judgement"])
    assert len(ax.get_yticks()) == n
    assert len(bars(ax)) == 2 * n  # low and high half of each bar
    assert js.attrs["leader"] in ax.get_xlabel() or "judgement sensitivity" in (
        fig.get_suptitle().lower()
    )
    swing = np.abs(js["swing"].sel(scenario=js.attrs["leader"]).values)
    spans = [abs(lo.get_width() - hi.get_width()) for lo, hi in zip(*ax.containers, strict=True)]
    np.testing.assert_allclose(sorted(spans, reverse=True), np.sort(swing)[::-1][:n])


def test_tornado_labels_judgement_values_in_their_unit(groups):
    js = groups["judgement_sensitivity"]
    _, ax = plots.plot_tornado(js, scenario="informal", top=3, labels={"informal": "Informal"})
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 6  # low and high value of each judgement
    assert any(t.endswith("%") for t in texts)
    with pytest.raises(KeyError):
        plots.plot_tornado(js, scenario="nope")


def test_tornado_grid_one_panel_per_scenario(forecast, groups):
    js = groups["judgement_sensitivity"]
    fig, axes = plots.plot_tornado_grid(js, labels=forecast.labels, top=6)
    flat = np.asarray(axes).reshape(-1)
    visible = [a for a in flat if a.get_visible()]
    assert len(visible) == len(forecast.scenarios)
    for a, s in zip(visible, forecast.scenarios, strict=True):
        assert len(a.get_yticks()) == 6
        assert a.get_title(loc="left").replace("\n", " ") == forecast.labels[s]


def test_tipping_points_rows_and_colours(forecast, groups):
    tp = groups["tipping_points"]
    flips = np.isfinite(tp["flip_below"].values) | np.isfinite(tp["flip_above"].values)
    fig, ax = plots.plot_tipping_points(tp, top=10)
    assert len(ax.get_yticks()) == min(10, int(flips.sum()))
    cols = plots.scenario_colors(forecast.scenarios)
    dots = [c for c in ax.collections if len(c.get_offsets())]
    assert dots and all(same_color(d.get_facecolor()[0], cols["informal"]) for d in dots)


def test_tipping_points_note_when_nothing_flips(groups):
    tp = groups["tipping_points"].copy(deep=True)
    tp["flip_below"][:] = np.nan
    tp["flip_above"][:] = np.nan
    fig, ax = plots.plot_tipping_points(tp)
    assert "No judgement" in " ".join(t.get_text() for t in ax.texts)


def test_value_of_information_sorted(groups):
    voi = groups["value_of_information"]
    _, ax = plots.plot_value_of_information(voi)
    widths = [p.get_width() for p in bars(ax)]
    assert len(widths) == voi.sizes["indicator"]
    assert widths == sorted(widths, reverse=True)
    assert all("leader changes" in t.get_text() for t in ax.texts)


def test_sweep_lines_base_and_labels(forecast):
    curve = sn.sweep(forecast, "likelihood:joint_operations:accession", np.linspace(0.5, 4, 21))
    fig, ax = plots.plot_sweep(curve, labels=forecast.labels)
    lines = ax.get_lines()
    assert len(lines) == len(forecast.scenarios) + 1  # one per scenario, then the base value
    assert lines[-1].get_xdata()[0] == pytest.approx(curve.attrs["base"])
    assert ax.get_xlabel() == curve.attrs["unit"]
    assert "joint operations" in fig.get_suptitle()


def test_next_observation_stacks_outcomes(forecast, groups):
    nxt = groups["next_observation"]
    which = nxt["outcome_indicator"].values == "us_rhetoric"
    _, ax = plots.plot_next_observation(nxt, "us_rhetoric")
    k = len(forecast.scenarios)
    assert len(bars(ax)) == k * int(which.sum()) + int(nxt["flips"].values[which].sum())
    assert "%" in ax.get_xticklabels()[0].get_text()  # predictive probability shown
    with pytest.raises(KeyError):
        plots.plot_next_observation(nxt, "nope")


def test_rare_outcomes_that_flip_the_leader_are_one_bar_per_run(forecast, groups):
    """Counts of 50 to 63 operations, each below 0.1%, all handing the lead to one scenario,
    are one bar labelled with where the run starts and its total chance."""
    nxt = groups["next_observation"]
    which = nxt["outcome_indicator"].values == "joint_operations"
    codes = nxt["outcome_code"].values[which]
    rare = which & nxt["flips"].values & (nxt["predictive_probability"].values < 1e-3)
    assert rare.sum() > 1  # the analysis keeps every outcome that would flip it
    _, ax = plots.plot_next_observation(nxt, "joint_operations")
    labels = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    first_rare = int(nxt["outcome_code"].values[rare].min())
    assert labels[-1] == f"≥{first_rare}"
    assert len(labels) == int(which.sum()) - int(rare.sum()) + 1
    # the bar shows the forecast after its likeliest outcome
    best = np.flatnonzero(rare)[np.argmax(nxt["predictive_probability"].values[rare])]
    k = len(forecast.scenarios)
    heights = [p.get_height() for p in bars(ax)[: k * len(labels)]]
    top = np.array(heights).reshape(k, len(labels))[:, -1]
    np.testing.assert_allclose(top, nxt["probability"].values[best], atol=1e-12)
    assert codes.max() > first_rare


# --- drawing into given axes -----------------------------------------------------------------


def test_plots_draw_into_given_axes(forecast, groups):
    curve = sn.sweep(forecast, "prior:informal", np.linspace(0.1, 0.7, 7))
    calls = [
        lambda ax: plots.plot_posterior(forecast, ax=ax),
        lambda ax: plots.plot_evidence_influence(groups["evidence_influence"], ax=ax),
        lambda ax: plots.plot_tornado(groups["judgement_sensitivity"], ax=ax),
        lambda ax: plots.plot_tipping_points(groups["tipping_points"], ax=ax),
        lambda ax: plots.plot_value_of_information(groups["value_of_information"], ax=ax),
        lambda ax: plots.plot_sweep(curve, ax=ax),
        lambda ax: plots.plot_next_observation(groups["next_observation"], "sdf_agreement", ax=ax),
    ]
    for call in calls:
        fig, ax = plt.subplots()
        n_figs = len(plt.get_fignums())
        got_fig, got_ax = call(ax)
        assert got_fig is fig and got_ax is ax
        assert ax.has_data() or ax.get_images()
        assert ax.get_title(loc="left")  # the title goes over the caller's axes
        assert len(plt.get_fignums()) == n_figs
    fig, axes = plt.subplots(2, 3)
    got_fig, got_axes = plots.plot_tornado_grid(groups["judgement_sensitivity"], axes=axes)
    assert got_fig is fig
    assert [a.get_visible() for a in got_axes.reshape(-1)] == [True] * 4 + [False] * 2


# --- the public API --------------------------------------------------------------------------

#: Required positional parameters after the data (the only exception to keyword-only).
EXTRA_POSITIONAL = {"plot_next_observation": ["indicator"]}


def public_plot_functions():
    return [
        (name, fn)
        for name, fn in inspect.getmembers(plots, inspect.isfunction)
        if name.startswith("plot_") and fn.__module__.startswith(plots.__name__)
    ]


def test_public_plot_signatures():
    found = public_plot_functions()
    assert {name for name, _ in found} >= {
        "plot_posterior",
        "plot_evidence_influence",
        "plot_tornado",
        "plot_tornado_grid",
        "plot_tipping_points",
        "plot_value_of_information",
        "plot_sweep",
        "plot_next_observation",
    }
    for name, fn in found:
        params = list(inspect.signature(fn).parameters.values())
        kinds = [p.kind for p in params]
        assert inspect.Parameter.VAR_KEYWORD not in kinds, f"{name} takes **kwargs"
        assert inspect.Parameter.VAR_POSITIONAL not in kinds, f"{name} takes *args"
        positional = [p for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        extra = EXTRA_POSITIONAL.get(name, [])
        assert len(positional) == 1 + len(extra), f"{name}: options must be keyword-only"
        assert positional[0].default is inspect.Parameter.empty, f"{name}: data first"
        assert [p.name for p in positional[1:]] == extra
        keyword = {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
        assert keyword & {"ax", "axes"}, f"{name} cannot draw into given axes"
        assert fn.__doc__ and "Returns" in fn.__doc__


def test_save_all_writes_pngs_and_closes_figures(forecast, tree, tmp_path):
    before = plt.get_fignums()
    paths = plots.save_all(forecast, tree, tmp_path / "figs")
    assert set(paths) >= {
        "posterior",
        "evidence_influence",
        "tornado",
        "tornado_grid",
        "tipping_points",
        "value_of_information",
        "sweep",
    }
    for name, path in paths.items():
        assert path.name == f"{name}.png"
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert plt.get_fignums() == before


def test_import_forecasting_does_not_import_matplotlib():
    code = "import sys, forecasting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- text from files is plain text ----------------------------------------------------------


def test_dollar_signs_in_labels_and_origins_are_drawn_as_written(tmp_path):
    """'Tariffs rise by $5% to $10%' would be mathematics to matplotlib (a parse error, or
    dollars gone and italics): every figure draws text from files as written, and the user's
    own mathtext setting is left as it was."""
    body = fc.load_question(BUNDLED_QUESTION).to_dict()
    body["scenarios"]["accession"]["label"] = "Tariffs rise by $5% to $10%"
    body["scenarios"]["informal"]["label"] = "Prices between $5 and $10"
    q = fc.Question.model_validate(body)
    rows = fc.load_evidence(None, q).item_dicts
    rows = [
        dict(r, origin="$MEI$") if r.get("origin") == "Middle East Institute" else r for r in rows
    ]
    f = fc.forecast(q, fc.Evidence.from_items(rows, q), as_of="2025-10-27", draws=200)
    written = plots.save_all(f, sn.sensitivity(f), tmp_path)  # every figure, drawn and saved
    assert written and all(p.stat().st_size > 0 for p in written.values())
    assert matplotlib.rcParams["text.parse_math"]  # restored
    fig, ax = plots.plot_posterior(f)
    labels = [t for t in ax.get_yticklabels() if "$" in t.get_text()]
    assert {t.get_text().replace("\n", " ") for t in labels} >= {
        "Tariffs rise by $5% to $10%",
        "Prices between $5 and $10",
    }
    assert not any(t.get_parse_math() for t in labels)
    fig.canvas.draw()  # would raise a mathtext ParseException
