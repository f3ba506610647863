"""The plots: what each one draws, consistent scenario colours, signatures, save_all."""

from __future__ import annotations

import inspect
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
import xarray as xr
from builders import BUNDLED_QUESTION

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection, PolyCollection  # noqa: E402
from matplotlib.colors import same_color, to_hex  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import forecasting as fc  # noqa: E402
from forecasting import analyses as sn  # noqa: E402
from forecasting.confidence.level import HIGH_SHARE, LOW_SHARE  # noqa: E402
from forecasting.pipeline.archive import history_dataset  # noqa: E402
from forecasting.presentation import plots  # noqa: E402
from forecasting.presentation.plots.confidence import confidence_data  # noqa: E402
from forecasting.presentation.plots.posterior import forecast_data  # noqa: E402
from forecasting.presentation.text import pct  # noqa: E402

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


@pytest.fixture(scope="module")
def old_forecast(forecast):
    """The forecast as a file made before the analytic confidence existed would read."""
    tree = forecast.tree.copy()
    del tree["confidence"]
    return fc.Forecast(tree)


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


def segments(collection):
    """(x0, x1, y0, y1) of each segment of a LineCollection."""
    return [(s[0][0], s[-1][0], s[0][1], s[-1][1]) for s in collection.get_segments()]


def figure_text(fig):
    """Every text of a figure (titles, captions, annotations, legend), joined."""
    from matplotlib.text import Text

    return " ".join(t.get_text().replace("\n", " ") for t in fig.findobj(Text))


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


def test_posterior_whiskers_are_the_responsiveness_not_an_interval(forecast):
    """Each whisker spans where the horizon's typical evidence could leave the probability."""
    fig, ax = plots.plot_posterior(forecast)
    (bar,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert bar.get_label() == "where a month of typical evidence could leave it (90%)"
    (lines,) = bar.lines[2]
    got = np.array([(x0, x1) for x0, x1, _, _ in segments(lines)])
    stored = forecast.confidence.ds["responsiveness"].sel(scenario=forecast.scenarios).values
    np.testing.assert_allclose(np.sort(got, axis=1), stored, atol=1e-12)
    # one per bar, in bar order
    assert [y0 for _, _, y0, _ in segments(lines)] == list(range(len(forecast.scenarios)))
    text = figure_text(fig)
    assert "credible" not in text and "interval" not in text
    assert "typical evidence" in text and "prior" in text
    lo, hi = forecast.confidence.range("responsiveness", forecast.leading)
    assert f"[{pct(lo)}" in text and pct(hi) in text


def test_posterior_of_a_file_without_confidence_has_no_whiskers(forecast, old_forecast):
    ds = forecast_data(old_forecast)
    assert "responsiveness" not in ds and "interval" not in ds
    for data in (old_forecast, ds):
        fig, ax = plots.plot_posterior(data)
        assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        np.testing.assert_allclose([p.get_width() for p in bars(ax)], forecast.probabilities.values)
        assert "without the range" in figure_text(fig)
        plt.close(fig)


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


# --- the analytic confidence ----------------------------------------------------------------


def test_confidence_panel_states_the_level_and_draws_the_three_stored_ranges(forecast):
    conf, ds = forecast.confidence, forecast.confidence.ds
    fig, (ranges, _) = plots.plot_confidence(forecast)
    assert f"Confidence {conf.level}" in fig.get_suptitle() and forecast.title in fig.get_suptitle()
    text = figure_text(fig)
    assert f"Why {conf.level}:" in text and all(reason in text for reason in conf.reasons)
    drawn = {c.get_label(): c for c in ranges.collections if isinstance(c, LineCollection)}
    assert set(drawn) >= {"responsiveness", "opinion", "origin_range", "probability"}
    k = len(forecast.scenarios)
    for name in ("responsiveness", "opinion", "origin_range"):
        segs = segments(drawn[name])
        assert len(segs) == k
        np.testing.assert_allclose([(x0, x1) for x0, x1, _, _ in segs], ds[name].values)
    # the three ranges of a scenario sit in its row (first at the top), in a fixed order
    y = {name: [y0 for _, _, y0, _ in segments(drawn[name])] for name in drawn}
    for i in range(k):
        assert y["responsiveness"][i] < y["opinion"][i] < y["origin_range"][i]
        assert i - 0.5 < y["responsiveness"][i] and y["origin_range"][i] < i + 0.5
    probs = [x0 for x0, _, _, _ in segments(drawn["probability"])]
    np.testing.assert_allclose(probs, ds["probability"].values)
    leader = forecast.scenarios.index(forecast.leading)
    assert ranges.get_yticklabels()[leader].get_fontweight() == "bold"


def test_confidence_panel_origins_largest_first_and_the_rest_grouped(forecast):
    ds = confidence_data(forecast)
    shares = ds["origin_share"].values
    assert (n := len(shares)) > 3
    _, (_, origins) = plots.plot_confidence(ds)
    widths = [p.get_width() for p in bars(origins)]
    np.testing.assert_allclose(widths, np.sort(shares)[::-1])
    _, (_, origins) = plots.plot_confidence(ds, top=2)
    widths = [p.get_width() for p in bars(origins)]
    assert len(widths) == 3
    np.testing.assert_allclose(widths[:2], shares[:2])
    assert widths[2] == pytest.approx(shares[2:].sum())
    labels = [t.get_text() for t in origins.get_yticklabels()]
    assert labels[-1] == f"{n - 2} other origins"
    # the share thresholds of the level's rules
    vertical = sorted(ln.get_xdata()[0] for ln in origins.get_lines())
    assert vertical == [HIGH_SHARE, LOW_SHARE]


# --- the trajectory --------------------------------------------------------------------------


def synthetic_history(n=14, k=4, seed=0):
    """A history as :func:`history_dataset` makes it: ``n`` weekly dates, the first three made
    before the confidence existed, the sixth flagged."""
    p = np.random.default_rng(seed).dirichlet(np.full(k, 3.0), size=n)
    resp = np.stack([np.clip(p - 0.15, 0, 1), np.clip(p + 0.2, 0, 1)], axis=-1)
    resp[:3] = np.nan
    levels = [""] * 3 + [("low", "moderate", "high")[i % 3] for i in range(n - 3)]
    dims = ("as_of", "scenario")
    ds = xr.Dataset({"probability": (dims, p), "responsiveness": ((*dims, "ci_bound"), resp)})
    ds["confidence"] = ("as_of", levels)
    ds["flagged"] = ("as_of", np.arange(n) == 5)
    scenarios = [f"s{i}" for i in range(k)]
    return ds.assign_coords(
        as_of=np.datetime64("2025-06-02", "ns") + np.arange(n) * np.timedelta64(7, "D"),
        scenario=scenarios,
        ci_bound=["lower", "upper"],
        label=("scenario", [f"Scenario {s}" for s in scenarios]),
    ).assign_attrs(title="Synthetic question")


def test_trajectory_of_many_dates_has_lines_and_no_bands():
    hist = synthetic_history(14)
    n, k = hist.sizes["as_of"], hist.sizes["scenario"]
    fig, ax = plots.plot_history(hist)
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]  # no fill_between
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert len(lines) == k
    for ln, s in zip(lines, hist["scenario"].values, strict=True):
        assert len(ln.get_xdata()) == n and ln.get_marker() == "o"
        np.testing.assert_allclose(ln.get_ydata(), hist["probability"].sel(scenario=s).values)
    assert "interval" not in figure_text(fig) and "credible" not in figure_text(fig)


def test_trajectory_ranges_only_at_the_latest_date():
    import matplotlib.dates as mdates

    hist = synthetic_history(14)
    fig, ax = plots.plot_history(hist)
    whiskers = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(whiskers) == hist.sizes["scenario"]  # one per scenario, none per date
    last = mdates.date2num(hist["as_of"].values[-1])
    for c, s in zip(whiskers, hist["scenario"].values, strict=True):
        ((x0, x1, y0, y1),) = [(a, b, c_, d) for a, b, c_, d in segments(c)]
        assert x0 == x1 and x0 > last  # beside the latest date, vertical
        lo, hi = hist["responsiveness"].isel(as_of=-1).sel(scenario=s).values
        assert (y0, y1) == pytest.approx((lo, hi))
    assert ax.get_xlim()[1] > max(segments(c)[0][0] for c in whiskers)
    assert "latest date" in figure_text(fig)
    # the latest forecast made before the confidence existed: no whiskers
    old = hist.copy(deep=True)
    old["responsiveness"][:] = np.nan
    _, ax = plots.plot_history(old)
    assert not [c for c in ax.collections if isinstance(c, LineCollection)]


def test_trajectory_marks_the_confidence_of_each_date_and_flags():
    import matplotlib.dates as mdates

    hist = synthetic_history(14)
    fig, ax = plots.plot_history(hist)
    row = {
        np.datetime64(t.xy[0], "ns"): t.get_text()
        for t in ax.texts
        if t.get_text() in ("L", "M", "H", "\u2013")
    }
    dates = hist["as_of"].values
    assert sorted(row) == sorted(dates)  # one mark per date
    marks = {"low": "L", "moderate": "M", "high": "H", "": "\u2013"}
    assert [row[d] for d in dates] == [marks[v] for v in hist["confidence"].values]
    assert all(t.get_fontsize() <= 8 for t in ax.texts)  # unobtrusive
    assert "confidence" in [t.get_text() for t in ax.texts]
    rings = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(rings) == hist.sizes["scenario"]
    ring_x = {round(float(c.get_offsets()[0][0]), 6) for c in rings}
    assert ring_x == {round(float(mdates.date2num(dates[5])), 6)}
    assert "flagged" in figure_text(fig)
    fig.canvas.draw()  # the row fits inside the figure
    assert all(fig.bbox.contains(*t.get_window_extent().corners()[1]) for t in ax.texts)


def test_trajectory_of_many_dates_marks_where_the_confidence_changes():
    hist = synthetic_history(50)
    hist["confidence"][:] = "moderate"
    hist["confidence"][30:] = "low"
    _, ax = plots.plot_history(hist)
    marks = sorted(t.get_text() for t in ax.texts if t.get_text() in ("L", "M", "H"))
    assert marks == ["L", "M"]  # where it changes, not at each of the 50 dates


def test_trajectory_from_the_archive_history(forecast, old_forecast):
    hist = history_dataset([forecast])
    fig, ax = plots.plot_history(hist)
    (c,) = [c for c in ax.collections if isinstance(c, LineCollection)][:1]
    lo, hi = forecast.confidence.range("responsiveness", forecast.scenarios[0])
    assert segments(c)[0][2:] == pytest.approx((lo, hi))
    assert forecast.confidence.level[0].upper() in [t.get_text() for t in ax.texts]
    # a history of forecasts made before the confidence: lines only, no row, no whiskers
    _, ax = plots.plot_history(history_dataset([old_forecast]))
    assert not [c for c in ax.collections if isinstance(c, LineCollection)]
    assert "confidence" not in [t.get_text() for t in ax.texts]


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
    fig, axes = plt.subplots(1, 2)
    n_figs = len(plt.get_fignums())
    got_fig, got_axes = plots.plot_confidence(forecast, axes=axes)
    assert got_fig is fig and list(got_axes) == list(axes)
    assert forecast.confidence.level in axes[0].get_title(loc="left")
    assert axes[1].get_title(loc="left") and len(plt.get_fignums()) == n_figs
    with pytest.raises(ValueError, match="2 axes"):
        plots.plot_confidence(forecast, axes=axes[:1])


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
        "plot_confidence",
        "plot_history",
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
        "confidence",
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


# --- the registry ----------------------------------------------------------------------------


def test_registry_captions_no_longer_speak_of_intervals():
    from forecasting.presentation.plots.registry import figure

    assert all("interval" not in f.caption for f in plots.FIGURES)
    names = [f.name for f in plots.FIGURES]
    assert names.index("confidence") == names.index("posterior") + 1
    assert "confidence" in figure("confidence").caption.lower() + figure("trajectory").caption


def test_a_forecast_without_confidence_skips_the_panel(old_forecast, tree, tmp_path):
    results = plots.results_of(old_forecast, tree)
    assert results.confidence is None
    with pytest.raises(ValueError, match="before"):
        plots.plot_confidence(old_forecast)
    written = plots.draw_figures(results, tmp_path, only=["posterior", "confidence"])
    assert list(written) == ["posterior"]


# --- many scenarios --------------------------------------------------------------------------


def test_many_scenarios_the_most_probable_drawn_and_the_caption_says_so(forecast, groups):
    """A 300-scenario question drew a posterior 166 inches tall and a heatmap 227 inches wide
    (11 s to save, unreadable). Beyond a cap: the posterior keeps the most probable bars and
    sums the rest in one; the confidence keeps the most probable rows; the heatmap the columns
    its rows move most. Shown here with caps below the bundled question's 4 scenarios."""
    p = forecast.probabilities.values
    ids = list(forecast.scenarios)
    first, second = sorted(np.argsort(-p, kind="stable")[:2])
    rest = [i for i in range(len(ids)) if i not in (first, second)]
    colors = plots.scenario_colors(ids)
    # the posterior: 2 bars and the others', summed (the prior too), without a whisker
    fig, ax = plots.plot_posterior(forecast, top=3)
    drawn = bars(ax)
    np.testing.assert_allclose(
        [b.get_width() for b in drawn], [p[first], p[second], p[rest].sum()], atol=1e-12
    )
    assert [colour(b) for b in drawn[:2]] == [
        colors[ids[first]].lower(),
        colors[ids[second]].lower(),
    ]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert labels[-1] == "The other 2 scenarios, together"
    (bar,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    (lines,) = bar.lines[2]
    assert sum(len(s) > 0 for s in lines.get_segments()) == 2  # none for the others' bar
    assert "the 2 least probable scenarios are summed" in figure_text(fig)
    # the confidence: the 2 most probable rows, in their own colours
    fig, (ranges, _) = plots.plot_confidence(forecast, max_scenarios=2)
    rows = [t.get_text().replace("\n", " ") for t in ranges.get_yticklabels()]
    assert rows == [forecast.labels[ids[first]], forecast.labels[ids[second]]]
    drawn = {c.get_label(): c for c in ranges.collections if isinstance(c, LineCollection)}
    np.testing.assert_allclose(
        [x0 for x0, _, _, _ in segments(drawn["probability"])], p[[first, second]]
    )
    assert "the 2 most probable of 4 scenarios" in figure_text(fig)
    # the heatmap: the 2 columns its rows move most
    ei = groups["evidence_influence"]
    fig, ax = plots.plot_evidence_influence(ei, max_scenarios=2)
    moved = np.nanmax(np.abs(ei["shift"].transpose("scenario", "item").values), axis=1)
    want = sorted(np.argsort(-moved, kind="stable")[:2])
    assert ax.get_images()[0].get_array().shape == (ei.sizes["item"], 2)
    np.testing.assert_allclose(
        ax.get_images()[0].get_array()[:, 0],
        ei["shift"]
        .transpose("item", "scenario")
        .values[np.argsort(-ei["diagnosticity"].values, kind="stable")[:20], want[0]],
    )
    assert "the 2 of 4 scenarios these items move most" in figure_text(fig)
