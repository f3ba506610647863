"""A question with dynamics in the weekly outputs: "now" beside "at resolution" everywhere.

Two weekly updates (a week apart) of a small question whose regime moves between "holds" and
"collapse": the report (Markdown and HTML), ``summary.json``, the history and its trajectory
plot show both probabilities; a static question's report shows neither.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import yaml
from builders import count, item, question

import forecasting as fc
from forecasting.cli import main
from forecasting.presentation.plots import plot_history
from forecasting.presentation.report.formats.markdown import escape
from forecasting.presentation.text import estimative, pct
from forecasting.results.forecast import Forecast

T = dt.date(2025, 12, 31)
DATES = ("2025-09-01", "2025-09-08")
EXIT_OK = 0


def _dyn(stay=0.9, period=28.0):
    return {
        "period_days": period,
        "transitions": {
            "holds": {"stay": stay, "leaves_to": {"collapse": 1}},
            "collapse": {"stay": 0.95, "leaves_to": {"holds": 1}},
        },
    }


def _q(dynamics=None):
    # the tempered model: the sensitivity analyses of an update stay quick under dynamics
    return question(
        scenarios=("holds", "collapse"),
        indicators={"clashes": count({"holds": (2, 2), "collapse": (16, 2)}, per_days=7)},
        resolves=T,
        **({} if dynamics is None else {"dynamics": dynamics}),
    )


def _weeks(values, start=dt.date(2025, 8, 4)):
    rows = []
    for w, v in enumerate(values):
        end = start + dt.timedelta(weeks=w + 1)
        row = item(f"w{w}", "clashes", v, date=end, window=(end - dt.timedelta(7), end))
        row["date"] = end.isoformat()
        row["window"] = [d.isoformat() for d in row["window"]]
        rows.append(row)
    return rows


def _project(root: Path, dynamics) -> Path:
    """A project folder with the question and its ledger; the question file's path."""
    path = root / "models" / "test-q.yaml"
    path.parent.mkdir(parents=True)
    body = _q(dynamics).to_dict() | {"resolves": T.isoformat()}
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    ledger = root / "evidence" / "test-q"
    ledger.mkdir(parents=True)
    (ledger / "weeks.yaml").write_text(yaml.safe_dump(_weeks([1, 0, 1, 2, 5])))
    return path


def _update(path: Path, as_of: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return main(["update", str(path), "--as-of", as_of])


@pytest.fixture(scope="module")
def dynamic(tmp_path_factory):
    """The question with dynamics, updated on both dates: (question file, exit codes)."""
    path = _project(tmp_path_factory.mktemp("dynamic"), _dyn())
    return path, [_update(path, d) for d in DATES]


def _forecast(path: Path, as_of: str) -> Forecast:
    return Forecast.load(path.parent.parent / "forecasts" / "test-q" / f"{as_of}.nc")


def _report(path: Path, as_of: str) -> Path:
    return path.parent.parent / "reports" / "test-q" / as_of


def test_updates_with_dynamics_are_not_flagged_and_show_their_confidence(dynamic):
    """The confidence is of the dynamic model (no note says it is left out); nothing flags."""
    path, codes = dynamic
    assert codes == [EXIT_OK, EXIT_OK]
    for as_of in DATES:
        md = (_report(path, as_of) / "report.md").read_text()
        assert "Sampler diagnostics" not in md and "Dynamics: the confidence" not in md
        assert "are the confidence measures" in md and _forecast(path, as_of).confidence
        summary = json.loads((_report(path, as_of) / "summary.json").read_text())
        assert summary["flagged"] is False and summary["flag_reasons"] == []


@pytest.mark.parametrize("as_of", DATES)
def test_the_report_shows_now_and_at_resolution_for_every_scenario(dynamic, as_of):
    path, _ = dynamic
    f = _forecast(path, as_of)
    assert f.now is not None and f.confidence is not None
    shown = [(pct(float(n)), pct(float(p))) for n, p in zip(f.now, f.probabilities, strict=True)]
    assert any(n != p for n, p in shown)  # the two columns say different things here
    md = (_report(path, as_of) / "report.md").read_text()
    page = (_report(path, as_of) / "report.html").read_text()
    header = "at resolution (2025-12-31)"
    assert f"| scenario | estimative term | now | {escape(header)} | after a month |" in md
    assert f"<th>now</th><th>{header}</th><th>after a month</th>" in page
    for k, s in enumerate(f.scenarios):
        cells = (f.labels[s], estimative(float(f.probabilities[k])), *shown[k])
        assert "| " + " | ".join(escape(c) for c in cells) + " | " in md
        assert "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "<td>" in page
    for text in (md, page):  # what each means, in one sentence
        assert "Now: the probability that each scenario holds in the period of the as-of " in text
        assert "at resolution: that it holds on the resolution date (2025-12-31)" in text
    # the headline speaks of the resolution date, and of now
    k = f.scenarios.index(f.leading)
    summary = json.loads((_report(path, as_of) / "summary.json").read_text())
    head = summary["headline"]
    assert head.startswith(f"{f.labels[f.leading]}: {shown[k][1]} (")
    assert " by 2025-12-31" in head and f"; now {shown[k][0]}" in head
    assert ("since 2025-09-01" in head) == (as_of == DATES[1])
    assert f"**{escape(head)}**" in md


def test_the_summary_has_each_scenarios_now(dynamic):
    path, _ = dynamic
    for as_of in DATES:
        f = _forecast(path, as_of)
        summary = json.loads((_report(path, as_of) / "summary.json").read_text())
        assert summary["resolves"] == T.isoformat()
        now = {s["id"]: s["now"] for s in summary["scenarios"]}
        assert now == {s: float(f.now.sel(scenario=s)) for s in f.scenarios}


def test_the_history_has_now(dynamic):
    path, _ = dynamic
    hist = fc.history(path)
    assert hist.attrs["resolves"] == T.isoformat()
    assert not hist["flagged"].values.any()  # the dynamics note flags nothing
    for i, as_of in enumerate(DATES):
        f = _forecast(path, as_of)
        assert list(hist["probability_now"].values[i]) == list(f.now.values)


def test_history_json_has_now(dynamic, capsys):
    path, _ = dynamic
    capsys.readouterr()
    assert main(["history", str(path), "--json"]) == EXIT_OK
    rows = json.loads(capsys.readouterr().out)["history"]
    for row, as_of in zip(rows, DATES, strict=True):
        f = _forecast(path, as_of)
        now = {s["id"]: s["now"] for s in row["scenarios"]}
        assert now == {s: float(f.now.sel(scenario=s)) for s in f.scenarios}


def test_the_trajectory_draws_now_dashed_beside_at_resolution(dynamic):
    path, _ = dynamic
    hist = fc.history(path)
    fig, ax = plot_history(hist)
    try:
        solid = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        k = hist.sizes["scenario"]
        assert len(solid) == k and len(dashed) == k  # one of each per scenario
        for s, line, now in zip(hist["scenario"].values, solid, dashed, strict=True):
            assert now.get_color() == line.get_color()
            assert list(line.get_ydata()) == list(hist["probability"].sel(scenario=s).values)
            assert list(now.get_ydata()) == list(hist["probability_now"].sel(scenario=s).values)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "at resolution (2025-12-31)" in legend and "now (as-of date's period)" in legend
        assert len(legend) == k + 2
    finally:
        plt.close(fig)
    # the report of the second week shows it
    assert "figures/trajectory.png" in (_report(path, DATES[1]) / "report.md").read_text()


def test_a_static_question_shows_no_now(tmp_path):
    path = _project(tmp_path, None)
    assert _update(path, DATES[0]) == EXIT_OK
    md = (_report(path, DATES[0]) / "report.md").read_text()
    page = (_report(path, DATES[0]) / "report.html").read_text()
    assert "| scenario | estimative term | probability |" in md
    assert "| estimative term | now |" not in md and "<th>estimative term</th><th>now" not in page
    for text in (md, page):
        assert "at resolution" not in text and "Now: the probability" not in text
    summary = json.loads((_report(path, DATES[0]) / "summary.json").read_text())
    assert "resolves" not in summary and all("now" not in s for s in summary["scenarios"])
    assert " as of 2025-09-01" in summary["headline"] and " by " not in summary["headline"]
    assert "probability_now" not in fc.history(path)
