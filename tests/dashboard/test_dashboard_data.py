"""The dashboard's data, without a browser: every number against the library's own."""

from __future__ import annotations

import datetime as dt

import numpy as np
import panel as pn
import pytest

import forecasting as fc
from forecasting.analyses.judgements import sweep
from forecasting.cli import main
from forecasting.core.errors import InputError
from forecasting.dashboard import app
from forecasting.dashboard.data import (
    QuestionView,
    analyst_table,
    change_table,
    disagreement_table,
    judgement_choices,
    ledger_table,
    probability_table,
    question_files,
    shown,
    watch_table,
)
from forecasting.dashboard.views import overview_html
from forecasting.dashboard.whatif import (
    WHATIF_DRAWS,
    Move,
    WhatIf,
    edited_evidence,
    hypothetical_item,
    recompute,
)


@pytest.fixture(scope="module")
def view(project, as_of):
    return QuestionView(project, as_of)


def test_every_question_file_of_the_models_directory(project, tmp_path):
    (project.parent / "watch.resolution.yaml").write_text("outcome: holds\n")
    try:
        assert question_files(project.parent) == [project]
    finally:
        (project.parent / "watch.resolution.yaml").unlink()
    with pytest.raises(InputError, match="does not exist; give the models/ directory"):
        question_files(tmp_path / "nowhere")
    with pytest.raises(InputError, match="holds no question file"):
        question_files(tmp_path)


def test_serve_refuses_a_bad_models_directory(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "MODELS_DIR: does not exist" in err
    assert "1 problem in the input" in err
    assert main(["serve", str(tmp_path), "--port", "70000"]) == 2
    assert "--port: must be at most 65535, got 70000" in capsys.readouterr().err


def test_summary_is_the_forecast_and_the_change_since_the_archive(view, project, as_of):
    f = fc.forecast(project, as_of=as_of)
    previous = fc.Forecast.load(project.parent.parent / "forecasts" / "watch" / "2025-10-19.nc")
    s = view.summary()
    lead = f.leading
    p, before = (float(x.probabilities.sel(scenario=lead)) for x in (f, previous))
    assert s["leading"] == f.labels[lead]
    assert s["probability"] == shown(p) == f"{100 * p:.1f}%"
    assert s["confidence"] == f.confidence.level
    assert s["last change"] == f"{100 * (p - before):+.1f} pts"
    assert s["since"] == "2025-10-19"
    assert s["archived"] == 2
    assert view.headline.startswith(f"{f.labels[lead]}: ")
    assert "since 2025-10-19" in view.headline and "Confidence" not in view.headline
    table = probability_table(view.forecast)
    np.testing.assert_array_equal(table["value"], f.probabilities.values)
    assert list(table["probability"]) == [shown(x) for x in f.probabilities.values]
    html = overview_html([view])
    assert 'data-question="watch"' in html and shown(p) in html


def test_ledger_table_has_origin_relay_grade_and_date(view):
    df = ledger_table(view.evidence, dt.date(2025, 10, 20))
    assert list(df.columns[:9]) == [
        "id", "date", "indicator", "value", "origin", "relay", "grade", "weight", "used",
    ]  # fmt: skip
    assert list(df["id"]) == ["c1", "t1", "c2", "t2", "c3", "t3"]
    row = df.set_index("id").loc["t2"]
    assert (row["origin"], row["grade"], row["date"], row["value"]) == (
        "Local radio",
        "C3",
        "2025-10-19",
        "False",
    )
    assert list(df["used"]) == [True, True, True, True, False, False]


def test_what_changed_adds_up_to_the_change(view):
    att = view.attribution
    assert att.previous_as_of == "2025-10-19"
    df = change_table(att, view.forecast)
    assert set(df["change"].str.split(":").str[0]) == {"c3", "t3"}  # the two new items
    lead = view.forecast.leading
    parts = sum(float(x) for x in df[lead])
    assert parts == pytest.approx(
        100 * float(att.total[view.forecast.scenarios.index(lead)]), abs=0.11
    )


def test_drivers_and_what_to_watch(view):
    watch = watch_table(view.drivers)
    assert set(watch["indicator"]) == {"clashes", "talks"}
    choices = {c["id"]: c for c in judgement_choices(view.drivers)}
    prior = choices["prior:holds"]
    assert prior["base"] == pytest.approx(0.5)
    assert prior["low"] < 0.5 < prior["high"]


def test_whatif_drop_item_is_the_library_forecast_without_it(view, as_of):
    out = recompute(view.question, view.evidence, WhatIf().drop("t3"), as_of=as_of)
    expected = fc.forecast(view.question, view.evidence.without(["t3"]), as_of=as_of)
    np.testing.assert_allclose(out.probabilities, expected.probabilities.values, rtol=0, atol=1e-12)
    assert not np.allclose(out.probabilities, view.forecast.probabilities.values, atol=1e-3)
    assert out.forecast.diagnostics["draws"] == WHATIF_DRAWS
    assert out.edits == ("dropped item t3",)


def test_whatif_drop_origin_add_item_and_move_a_judgement(view, as_of):
    q, ev = view.question, view.evidence
    out = recompute(q, ev, WhatIf().drop_origin("UN monitors"), as_of=as_of)
    expected = fc.forecast(q, ev.without(["c1", "c2", "c3"]), as_of=as_of)
    np.testing.assert_allclose(out.probabilities, expected.probabilities.values, atol=1e-12)

    item = hypothetical_item(
        q, indicator="clashes", value="9", date=as_of, days=7, reliability="A1", origin="", n=1
    )
    assert item["window"] == ["2025-10-19", "2025-10-26"] and item["value"] == 9
    assert item["origin"] == "hypothetical" and item["reliability"] == "A1"
    out = recompute(q, ev, WhatIf().add(item), as_of=as_of)
    more = fc.Evidence.from_items([*ev.item_dicts, item], q)
    expected = fc.forecast(q, more, as_of=as_of)
    np.testing.assert_allclose(out.probabilities, expected.probabilities.values, atol=1e-12)
    assert out.probabilities[2] > view.forecast.probabilities.values[2]  # nine clashes: collapse

    move = Move("prior:holds", 0.8, "prior | holds")
    out = recompute(q, ev, WhatIf().moved(move), as_of=as_of)
    expected = sweep(view.forecast, "prior:holds", [0.8]).values[0]
    np.testing.assert_allclose(out.probabilities, expected, atol=1e-12)
    assert WhatIf().add(item).drop(item["id"]).empty  # an added item is taken back


def test_whatif_refuses_what_the_ledger_would(view, as_of):
    bad = hypothetical_item(
        view.question, indicator="talks", value="maybe", date=as_of, days=1, reliability="B2",
        origin="x", n=1,
    )  # fmt: skip
    with pytest.raises(InputError, match="value must be true or false, got 'maybe'"):
        edited_evidence(view.question, view.evidence, WhatIf().add(bad))
    with pytest.raises(InputError, match="no item 'nope' in this evidence"):
        edited_evidence(view.question, view.evidence, WhatIf().drop("nope"))
    with pytest.raises(InputError, match="no item of origin 'Nobody' in this evidence"):
        edited_evidence(view.question, view.evidence, WhatIf().drop_origin("Nobody"))


def test_analysts_and_their_disagreement(view, as_of, project):
    assert view.analysts == ["hawk"]
    r = fc.forecast_analysts(project, as_of=as_of, analysts="all")
    df = analyst_table(view.analyst_forecasts, view.forecast.labels)
    assert list(df.columns) == ["scenario", "label", "shared", "hawk", "pool", "spread"]
    probs = r.probabilities
    assert list(df["hawk"]) == [shown(p) for p in probs["probability"].values[0]]
    assert list(df["pool"]) == [shown(p) for p in probs["pooled"].values]
    dis = disagreement_table(view.disagreement)
    assert set(dis["judgement"]) == {"prior of 'holds'", "prior of 'frays'"}


def test_app_is_a_panel_layout(project, as_of):
    layout = app(project.parent, as_of=as_of)
    assert isinstance(layout, pn.Column)
    html = layout[1].object
    assert 'class="fc-overview"' in html and 'data-question="watch"' in html


def test_whatif_controls_recompute_and_reset(view, as_of):
    from forecasting.dashboard.controls import WhatIfPanel

    panel = WhatIfPanel(view)
    layout = panel.panel()
    assert isinstance(layout, pn.Column)
    assert "prior | holds" in panel.judgement.options
    panel.item.value = "t3"
    panel.drop_item.clicks += 1
    expected = fc.forecast(view.question, view.evidence.without(["t3"]), as_of=as_of)
    for s, p in zip(expected.scenarios, expected.probabilities.values, strict=True):
        assert f'data-scenario="{s}" data-column="what-if" data-value="{float(p)!r}"' in (
            panel.result.object
        )
    assert "Edits: dropped item t3" in panel.result.object
    panel.value.value = "maybe"
    panel.indicator.value = "talks"
    panel.add.clicks += 1
    assert "Not applied:" in panel.result.object and "dropped item t3" in panel.result.object
    assert panel.whatif == WhatIf().drop("t3")  # the bad item was not kept
    panel.judgement.value = "prior | holds"
    assert panel.level.value == pytest.approx(0.5) and not panel.level.disabled
    assert panel.whatif.move.judgement == "prior:holds"
    panel.reset.clicks += 1
    assert panel.whatif.empty and "No edits" in panel.result.object


def test_every_question_is_listed_with_its_own_numbers(tmp_path, as_of):
    from builders import SMALL_LEDGER, SMALL_QUESTION, small_project

    first = small_project(tmp_path)
    second = first.parent / "calm.yaml"
    second.write_text(SMALL_QUESTION.replace("id: watch", "id: calm").replace("0.5}", "0.8}", 1)
                      .replace("prior: 0.3}", "prior: 0.1}", 1)
                      .replace("prior: 0.2}", "prior: 0.1}", 1))  # fmt: skip
    (tmp_path / "evidence" / "calm").mkdir()
    (tmp_path / "evidence" / "calm" / "ledger.yaml").write_text(SMALL_LEDGER)
    layout = app(first.parent, as_of=as_of)
    html = layout[1].object
    assert html.index('data-question="calm"') < html.index('data-question="watch"')
    for path in (first, second):
        f = fc.forecast(path, as_of=as_of)
        p = float(f.probabilities.sel(scenario=f.leading))
        row = html[html.index(f'data-question="{f.question_id}"') :].split("</tr>")[0]
        assert f'<td class="fc-headline-p" style="text-align:right">{shown(p)}</td>' in row
        assert "first forecast" in row  # no archive yet
    assert list(layout[2].options.values()) == ["calm", "watch"]


def test_serve_refuses_a_port_in_use(project, as_of, capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("localhost", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", str(project.parent), "--port", str(port), "--as-of", str(as_of)])
    assert code == 2
    assert f"--port: port {port} is in use; give another with --port N" in capsys.readouterr().err


def test_a_previous_forecast_damaged_beyond_its_history_is_passed_over(project, tmp_path, as_of):
    """A file whose draws no longer match its checksum: the history still reads it (it reads
    only the forecast), a whole read refuses it; the dashboard takes the forecast before it
    and moves nothing (an update would quarantine the file)."""
    import shutil

    import netCDF4

    root = tmp_path / "copy"
    shutil.copytree(project.parent.parent, root)
    path = root / "models" / project.name
    damaged = root / "forecasts" / "watch" / "2025-10-19.nc"
    with netCDF4.Dataset(damaged, "r+") as nc:
        pi = nc["posterior"]["pi"]
        pi[0, 0, 0] = 0.5 * float(pi[0, 0, 0])
    before = damaged.read_bytes()
    view = QuestionView(path, as_of)
    assert len(view.history["as_of"]) == 2
    assert view.previous is not None and view.previous.as_of == dt.date(2025, 10, 12)
    assert damaged.read_bytes() == before
    assert not (damaged.parent / "quarantine").exists()
