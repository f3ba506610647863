"""Plots that read at a glance (issue 17).

Each figure saves whole with a plain ``fig.savefig(path)``, speaks in scenario labels, and
draws its numbers where they can be read: tipping points in each judgement's own unit, the
tornado's values clear of its bars and line, one shared scale across the tornado grid, the
trajectory as small multiples, the value of information in probability terms.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import xarray as xr
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, binary, count, evidence, item, question

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import forecasting as fc  # noqa: E402
from forecasting import analyses as sn  # noqa: E402
from forecasting.pipeline.archive import history_dataset  # noqa: E402
from forecasting.presentation import plots  # noqa: E402
from forecasting.presentation.plots.registry import FIGURES, figure, results_of  # noqa: E402
from forecasting.presentation.tables import format_sensitivity  # noqa: E402
from forecasting.presentation.text import judgement_value, leader_moves  # noqa: E402

AS_OF = "2025-10-27"


@pytest.fixture(scope="module")
def forecast():
    return fc.forecast(BUNDLED_QUESTION, as_of=AS_OF)


@pytest.fixture(scope="module")
def tree(forecast):
    return sn.sensitivity(forecast)


@pytest.fixture(scope="module")
def two_dates(forecast):
    return history_dataset([fc.forecast(BUNDLED_QUESTION, as_of="2025-10-13"), forecast])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def drawn_texts(fig) -> list[Text]:
    """The texts a saved figure shows: visible, not empty, on visible axes, ticks in view."""
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = min(lo, hi), max(lo, hi)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    hidden.update({id(tick.label1), id(tick.label2)})
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible()
        and t.get_text().strip()
        and id(t) not in hidden
        and (t.axes is None or t.axes.get_visible())
    ]


def outside(fig, path) -> list[tuple[str, list[int]]]:
    """Texts whose window extent leaves the figure once saved with a plain ``savefig``."""
    fig.savefig(path)  # no bbox_inches, no dpi: what a user of the API would write
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    out = []
    for t in drawn_texts(fig):
        e = t.get_window_extent(renderer)
        if e.x0 < box.x0 - 0.5 or e.y0 < box.y0 - 0.5 or e.x1 > box.x1 + 0.5 or e.y1 > box.y1 + 0.5:
            out.append((t.get_text()[:40], [round(v) for v in e.extents]))
    return out


def all_text(fig) -> str:
    fig.canvas.draw()
    return " ".join(t.get_text().replace("\n", " ") for t in fig.findobj(Text))


# --- saves whole, speaks in labels ------------------------------------------------------------


@pytest.mark.parametrize("name", [f.name for f in FIGURES])
def test_every_figure_saves_whole_with_a_plain_savefig(forecast, tree, two_dates, name, tmp_path):
    spec = figure(name)
    arguments = spec.arguments(results_of(forecast, tree, two_dates))
    assert arguments is not None
    args, kwargs = arguments
    fig, _ = spec.draw(*args, **kwargs)
    assert outside(fig, tmp_path / f"{name}.png") == []


def test_tornado_through_the_api_saves_whole_and_speaks_in_labels(forecast, tree, tmp_path):
    fig, ax = plots.plot_tornado(tree["judgement_sensitivity"], scenario="collapse")
    assert outside(fig, tmp_path / "tornado.png") == []
    assert forecast.labels["collapse"] in fig.get_suptitle().replace("\n", " ")
    assert forecast.labels["collapse"] in ax.get_xlabel()
    # a Dataset carrying labels as the posterior's do (a ``label`` coordinate)
    js = tree["judgement_sensitivity"].to_dataset()
    labelled = js.assign_coords(
        label=("scenario", [forecast.labels[s] for s in forecast.scenarios])
    )
    fig, _ = plots.plot_tornado(labelled, scenario="collapse")
    assert "Coordination collapses" in fig.get_suptitle()


def test_plots_of_tree_nodes_name_scenarios_by_label(forecast, tree):
    fig, axes = plots.plot_tornado_grid(tree["judgement_sensitivity"])
    titles = [a.get_title(loc="left").replace("\n", " ") for a in axes.reshape(-1)]
    assert set(forecast.labels.values()) <= set(titles)
    fig, _ = plots.plot_tipping_points(tree["tipping_points"])
    assert forecast.labels["informal"] in all_text(fig)
    fig, _ = plots.plot_value_of_information(tree["value_of_information"])
    assert forecast.labels[forecast.leading] in all_text(fig)
    fig, _ = plots.plot_evidence_influence(tree["evidence_influence"])
    assert forecast.labels["informal"] in all_text(fig)


# --- tipping points ------------------------------------------------------------------------------


def test_tipping_points_speak_in_each_judgements_own_unit(forecast, tree):
    tp = tree["tipping_points"].to_dataset()
    long_label = "Syria formally joins the US-led coalition against the Islamic State by March"
    fig, ax = plots.plot_tipping_points(
        tp, top=6, labels={**forecast.labels, "accession": long_label}
    )
    text = all_text(fig)
    assert "high \u2212 low" not in text and "flip value" not in text  # no normalised unit
    assert len(ax.get_xticks()) == 0  # each row has its own scale, so no shared axis
    assert long_label in text  # the caption no longer cuts the leader's label
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert len(rows) == 6
    # the columns right of the rows: as elicited, tips at, then leads
    by_row: dict[float, list[str]] = {}
    for column in ("as elicited", "tips at", "then leads"):
        for t in ax.texts:
            if t.get_gid() == f"tipping-{column}":
                by_row.setdefault(float(t.xy[1]), []).append(t.get_text().replace("\n", " "))
    base = tp["base_value"].values
    dist = np.fmin(
        np.abs(tp["flip_below"].values - base), np.abs(tp["flip_above"].values - base)
    ) / np.abs(tp["high_value"].values - tp["low_value"].values)
    order = np.argsort(np.where(np.isfinite(dist), dist, np.inf), kind="stable")[:6]
    for yi, j in enumerate(order):
        q = str(tp["judgement_quantity"].values[j])
        unit = str(tp["judgement_unit_short"].values[j])
        as_elicited, tips_at, leads = by_row[float(yi)]
        assert as_elicited == judgement_value(float(base[j]), q, unit)
        flips = [v for v in (tp["flip_below"].values[j], tp["flip_above"].values[j]) if v == v]
        assert tips_at == " or ".join(judgement_value(float(v), q, unit) for v in flips)
        assert leads.startswith("Coordination continues")
    # the elicited value is marked (a black tick) on every row
    ticks = [ln for ln in ax.get_lines() if ln.get_marker() == "|"]
    assert len(ticks) == 6


# --- tornado -------------------------------------------------------------------------------------


def value_boxes(fig, ax):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return [(t, t.get_window_extent(r)) for t in ax.texts if t.get_gid() == "tornado-value"]


@pytest.mark.parametrize("scenario", ["accession", "informal", "collapse", "unilateral"])
def test_tornado_values_touch_no_bar_and_not_the_line(tree, scenario):
    js = tree["judgement_sensitivity"].to_dataset()
    fig, ax = plots.plot_tornado(js, scenario=scenario, top=500)
    boxes = value_boxes(fig, ax)
    assert boxes
    r = fig.canvas.get_renderer()
    bars = [
        p.get_window_extent(r)
        for c in ax.containers
        if isinstance(c, BarContainer)
        for p in c.patches
        if abs(p.get_width()) > 0
    ]
    line = next(ln for ln in ax.get_lines() if ln.get_xdata()[0] == ln.get_xdata()[1])
    x_line = ax.transData.transform((line.get_xdata()[0], 0))[0]
    for text, box in boxes:
        assert not any(box.overlaps(b.expanded(1.0, 1.0)) for b in bars if b.width > 0.5), text
        assert not box.x0 - 1 <= x_line <= box.x1 + 1, text.get_text()


def test_a_judgement_that_moves_nothing_says_so_once(tree):
    js = tree["judgement_sensitivity"].to_dataset()
    fig, ax = plots.plot_tornado(js, top=500)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    texts = [t for t in ax.texts if t.get_gid() == "tornado-value"]
    still = [t for t in texts if t.get_text() == "no effect"]
    assert still  # the prior concentration and reliabilities of unused origins move nothing
    assert not [
        t for t in texts if t.get_text().startswith("w=") and t.xy[1] in {s.xy[1] for s in still}
    ]
    assert len(texts) == 2 * len(rows) - len(still)


# --- tornado grid --------------------------------------------------------------------------------


def visible(axes):
    return [a for a in np.asarray(axes).reshape(-1) if a.get_visible()]


def test_tornado_grid_panels_share_one_scale(forecast, tree):
    fig, axes = plots.plot_tornado_grid(tree["judgement_sensitivity"])
    panels = visible(axes)
    assert len(panels) == len(forecast.scenarios)
    assert len({a.get_xlim() for a in panels}) == 1
    assert "share one probability scale" in all_text(fig)


def nearly_impossible(js: xr.Dataset, scenario: str) -> xr.Dataset:
    """The sensitivity with ``scenario`` at 0% under every judgement."""
    js = js.copy(deep=True)
    js["probability"].loc[{"scenario": scenario}] = 1e-6
    js["swing"].loc[{"scenario": scenario}] = 0.0
    return js


def test_tornado_grid_has_no_empty_panel_for_a_scenario_at_zero(forecast, tree):
    js = nearly_impossible(tree["judgement_sensitivity"].to_dataset(), "unilateral")
    fig, axes = plots.plot_tornado_grid(js, labels=forecast.labels)
    titles = [a.get_title(loc="left").replace("\n", " ") for a in visible(axes)]
    assert forecast.labels["unilateral"] not in titles and len(titles) == 3
    assert f"No panel for {forecast.labels['unilateral']}" in all_text(fig)
    for a in visible(axes):
        assert [c for c in a.containers if isinstance(c, BarContainer)]
    # axes given by the caller: the panel says why it is empty
    fig, given = plt.subplots(2, 2)
    plots.plot_tornado_grid(js, axes=given)
    last = given.reshape(-1)[3]
    assert "No judgement moves it" in " ".join(t.get_text() for t in last.texts)


def wide(js: xr.Dataset, k: int) -> xr.Dataset:
    """The sensitivity of a question of ``k`` scenarios (copies of the four, renamed)."""
    parts = []
    for c in range(k // 4 + 1):
        part = js.assign_coords(scenario=[f"{s}{c}" for s in js["scenario"].values])
        parts.append(part[["probability", "swing"]] / (k // 4 + 1))
    out = xr.concat(parts, "scenario").isel(scenario=slice(0, k))
    return out.assign_coords(js.drop_dims("scenario").coords).assign_attrs(
        js.attrs, leader="accession0"
    )


def test_a_wide_question_gets_at_most_eight_tornado_panels(tree):
    js = wide(tree["judgement_sensitivity"].to_dataset(), 14)
    fig, axes = plots.plot_tornado_grid(js)
    assert len(visible(axes)) == 8
    assert "at most 8 panels" in all_text(fig)


# --- trajectory ----------------------------------------------------------------------------------


def synthetic_history(n: int, k: int = 4, seed: int = 0) -> xr.Dataset:
    p = np.random.default_rng(seed).dirichlet(np.full(k, 3.0), size=n)
    resp = np.stack([np.clip(p - 0.15, 0, 1), np.clip(p + 0.2, 0, 1)], axis=-1)
    dims = ("as_of", "scenario")
    ds = xr.Dataset({"probability": (dims, p), "responsiveness": ((*dims, "ci_bound"), resp)})
    ds["confidence"] = ("as_of", ["low"] * n)
    ds["flagged"] = ("as_of", np.zeros(n, bool))
    scenarios = [f"s{i}" for i in range(k)]
    return ds.assign_coords(
        as_of=np.datetime64("2025-06-02", "ns") + np.arange(n) * np.timedelta64(7, "D"),
        scenario=scenarios,
        ci_bound=["lower", "upper"],
        label=("scenario", [f"Scenario {s}" for s in scenarios]),
    ).assign_attrs(title="Synthetic question")


@pytest.mark.parametrize("n", [1, 2, 8])
def test_trajectory_is_one_panel_per_scenario(n, tmp_path):
    hist = synthetic_history(n)
    fig, axes = plots.plot_trajectory(hist)
    assert np.asarray(axes).shape == (2, 2)
    panels = visible(axes)
    assert len(panels) == 4
    assert len({a.get_xlim() for a in panels}) == 1 and {a.get_ylim() for a in panels} == {(0, 1)}
    boxes = [a.get_position() for a in panels]
    for i, b in enumerate(boxes):  # side by side, never on top of one another
        assert not any(b.overlaps(c) for c in boxes[i + 1 :])
    colours = plots.scenario_colors(list(hist["scenario"].values))
    for a, s in zip(panels, hist["scenario"].values, strict=True):
        own = [ln for ln in a.get_lines() if same_color(ln.get_color(), colours[str(s)])]
        assert len(own) == 1 and len(own[0].get_xdata()) == n  # its own line, highlighted
        np.testing.assert_allclose(own[0].get_ydata(), hist["probability"].sel(scenario=s))
        assert len([ln for ln in a.get_lines() if ln is not own[0]]) == 3  # the others, grey
        assert a.get_title(loc="left").startswith(f"Scenario {s}")
        (whisker,) = [c for c in a.collections if isinstance(c, LineCollection)]
        assert whisker.get_segments()[0][0][0] < a.get_xlim()[1]
    fig.canvas.draw()  # dates under the bottom panels only
    dated = [any(t.get_visible() and t.get_text() for t in a.get_xticklabels()) for a in panels]
    assert dated == [False, False, True, True]
    assert outside(fig, tmp_path / "t.png") == []


def test_a_wide_trajectory_sums_the_least_probable_in_one_panel():
    hist = synthetic_history(5, k=12)
    fig, axes = plots.plot_trajectory(hist)
    panels = visible(axes)
    assert len(panels) == 8
    assert panels[-1].get_title(loc="left").startswith("The other 5 scenarios")
    totals = sum(
        next(ln for ln in a.get_lines() if ln.get_linewidth() == 2.0).get_ydata() for a in panels
    )
    np.testing.assert_allclose(totals, 1.0)


def test_the_registry_draws_the_small_multiples(forecast, tree, two_dates):
    spec = figure("trajectory")
    args, kwargs = spec.arguments(results_of(forecast, tree, two_dates))
    fig, axes = spec.draw(*args, **kwargs)
    assert len(visible(axes)) == len(forecast.scenarios)


# --- value of information ------------------------------------------------------------------------


def expected_moves(forecast, tree) -> dict[str, float]:
    """The expected absolute move of the leader per indicator, by brute force.

    Over every possible next observation (the report's table leaves out those below 1e-4).
    """
    nxt = fc.analyses.next_observation(forecast, min_probability=0.0)
    leader = tree.attrs["leader"]
    out = {}
    for ind in np.unique(nxt["outcome_indicator"].values):
        rows = nxt.where(nxt["outcome_indicator"] == ind, drop=True)
        p = rows["predictive_probability"].values / rows["predictive_probability"].values.sum()
        post = rows["probability"].sel(scenario=leader).values
        now = float(np.sum(p * post))
        out[str(ind)] = float(np.sum(p * np.abs(post - now)))
    return out


def test_value_of_information_in_probability_terms(forecast, tree):
    truth = expected_moves(forecast, tree)
    voi = tree["value_of_information"].to_dataset()
    got = leader_moves(voi, tree["next_observation"].to_dataset())
    for ind, move in zip(voi["indicator"].values, got, strict=True):
        assert move == pytest.approx(truth[str(ind)])
    fig, ax = plots.plot_value_of_information(tree["value_of_information"])
    widths = [p.get_width() for c in ax.containers for p in c.patches]
    assert widths == pytest.approx(sorted(truth.values(), reverse=True))
    assert "percentage points" in ax.get_xlabel() and "nats" not in ax.get_xlabel()
    assert all("points" in t.get_text() and "leader changes" in t.get_text() for t in ax.texts)
    # the analysis' own expected move: the same bars from the Dataset alone
    _, ax = plots.plot_value_of_information(voi)
    assert [p.get_width() for c in ax.containers for p in c.patches] == pytest.approx(widths)
    # a Dataset without it (made before it existed): the nats, as before
    _, ax = plots.plot_value_of_information(voi.drop_vars("expected_leader_move"))
    assert "nats" in ax.get_xlabel()


def test_the_cli_table_gives_the_value_of_information_in_points(forecast, tree):
    text = format_sensitivity(forecast, tree)
    assert "expected move" in text and "P(leader changes)" in text
    top = max(expected_moves(forecast, tree).items(), key=lambda kv: kv[1])
    watch = text.split("WHAT TO WATCH NEXT")[1]
    row = next(line for line in watch.splitlines() if line.strip().startswith(top[0] + " "))
    assert f"+-{100 * top[1]:.1f} pts" in row


def test_the_report_gives_the_value_of_information_in_points(tmp_path):
    fc.update(
        BUNDLED_QUESTION,
        BUNDLED_EVIDENCE,
        as_of=AS_OF,
        archive=tmp_path / "archive",
        reports=tmp_path / "reports",
    )
    (md,) = (tmp_path / "reports").rglob("report.md")
    text = md.read_text()
    assert "expected move of the leader (points)" in text
    assert "chance the leader changes" in text


def test_the_figures_outside_the_registry_save_whole_too(tree, tmp_path):
    nxt = tree["next_observation"].to_dataset()
    for name, (fig, _) in {
        "next": plots.plot_next_observation(nxt, "joint_operations"),
        "history": plots.plot_history(synthetic_history(8)),
    }.items():
        assert outside(fig, tmp_path / f"{name}.png") == [], name


@pytest.fixture(scope="module")
def wide_question():
    """A forecast of 14 scenarios with long labels, its analyses and its history."""
    ids = tuple(f"s{i:02d}" for i in range(14))
    rng = np.random.default_rng(1)
    q = question(
        ids,
        indicators={
            "yn": binary({s: (float(rng.uniform(1, 6)), float(rng.uniform(1, 6))) for s in ids}),
            "ops": count({s: (float(rng.uniform(1, 6)), 1.0) for s in ids}),
        },
    )
    for s in ids:
        q.scenarios[s].label = f"A long scenario label number {s} that goes on and on"
    ev = evidence(q, [item("i1", "yn", True), item("i2", "ops", 3, exposure=1.0)])
    f = fc.forecast(q, ev, as_of="2025-02-01")
    return results_of(f, sn.sensitivity(f), history_dataset([f]))


@pytest.mark.parametrize("name", [f.name for f in FIGURES])
def test_a_wide_question_is_drawn_whole(wide_question, name, tmp_path):
    arguments = figure(name).arguments(wide_question)
    assert arguments is not None
    args, kwargs = arguments
    fig, _ = figure(name).draw(*args, **kwargs)
    assert outside(fig, tmp_path / f"{name}.png") == []
