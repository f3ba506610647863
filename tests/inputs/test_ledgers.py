"""Ledgers in YAML, JSON Lines and CSV: the same items, the same validation, errors by line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, binary, categorical, continuous, count
from builders import question as make_question

import forecasting as fc


@pytest.fixture(scope="module")
def bundled():
    q = fc.load_question(BUNDLED_QUESTION)
    return q, fc.load_evidence(BUNDLED_EVIDENCE, q)


def _jsonl(rows) -> str:
    return "".join(json.dumps(r, default=str) + "\n" for r in rows)


def _csv(rows) -> str:
    fields = list(dict.fromkeys(k for r in rows for k in r))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        cells = dict(r)
        if "window" in cells:
            cells["window"] = "/".join(str(d) for d in cells["window"])
        if "via" in cells:
            cells["via"] = "; ".join(cells["via"])
        if isinstance(cells.get("value"), bool):
            cells["value"] = "true" if cells["value"] else "false"
        writer.writerow(cells)
    return out.getvalue()


@pytest.mark.parametrize(("suffix", "write"), [(".jsonl", _jsonl), (".csv", _csv)])
def test_the_bundled_ledger_reads_the_same_in_every_format(bundled, tmp_path, suffix, write):
    q, ev = bundled
    path = tmp_path / f"ledger{suffix}"
    path.write_text(write(ev.item_dicts), encoding="utf-8")
    again = fc.load_evidence(path, q)
    assert again.sha256() == ev.sha256()
    assert [it.to_dict() for it in again.items] == [it.to_dict() for it in ev.items]
    assert [it.weight for it in again.items] == [it.weight for it in ev.items]
    a = fc.forecast(q, ev, as_of="2025-10-27")
    b = fc.forecast(q, again, as_of="2025-10-27")
    np.testing.assert_array_equal(a.probabilities.values, b.probabilities.values)


def test_a_folder_may_mix_formats(bundled, tmp_path):
    q, ev = bundled
    rows = ev.item_dicts
    folder = tmp_path / "syria-coalition"
    folder.mkdir()
    (folder / "a.yaml").write_text(fc.Evidence(q.id, ev.items[:4]).to_yaml())
    (folder / "b.jsonl").write_text(_jsonl(rows[4:9]))
    (folder / "c.csv").write_text(_csv(rows[9:]))
    mixed = fc.load_evidence(folder, q)
    assert mixed.sha256() == ev.sha256()
    assert [f.rsplit("/", 1)[-1] for f in mixed.files] == ["a.yaml", "b.jsonl", "c.csv"]


def _question():
    return make_question(
        ("a", "b"),
        indicators={
            "ops": count({"a": (2, 1), "b": (1, 1)}, per_days=30),
            "fact": binary({"a": (2, 1), "b": (1, 2)}),
            "tone": categorical(("calm", "tense"), {"a": (2, 1), "b": (1, 2)}),
            "level": continuous({"a": (1.0, 1.0), "b": (3.0, 1.0)}),
        },
    )


def test_jsonl_problems_are_located_by_line(tmp_path):
    q = _question()
    path = tmp_path / "x.jsonl"
    good = {"id": "g", "indicator": "fact", "value": True, "date": "2025-01-01", "source": "s"}
    path.write_text(
        json.dumps(good)
        + "\n\n"
        + json.dumps(dict(good, id="h", value=3))
        + "\n"
        + json.dumps(dict(good, id="i", indicator="opps"))
        + "\n"
    )
    with pytest.raises(fc.InputError) as err:
        fc.load_evidence(path, q)
    text = "\n".join(str(p) for p in err.value.problems)
    assert f"{path}:3: [1].value: a binary indicator's value must be true or false, got 3" in text
    assert f"{path}:4: [2].indicator: 'opps' is not an indicator" in text
    assert "did you mean 'ops'" in text


def test_malformed_jsonl_lines_are_named(tmp_path):
    q = _question()
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a"}\n{"id": \n[1, 2]\n{"value": NaN}\n')
    with pytest.raises(fc.InputError) as err:
        fc.load_evidence(path, q)
    problems = {p.line: p.message for p in err.value.problems}
    assert problems[2].startswith("malformed JSON")
    assert "must be one item object" in problems[3] and "got list" in problems[3]
    assert "NaN is not a number JSON allows" in problems[4]


def test_csv_cells_are_read_by_each_kind(tmp_path):
    q = _question()
    path = tmp_path / "x.csv"
    path.write_text(
        "id,indicator,value,window,exposure,date,source,reliability,note\n"
        'o,ops,4,2025-01-01/2025-03-02,,2025-03-02,"MEI, via Enab Baladi",B2,'
        '"a note, with commas"\n'
        "f,fact,TRUE,,,2025-01-02,s,0.5,\n"
        "t,tone,tense,,,2025-01-03,s,,\n"
        "l,level,-2.5,,,2025-01-04,s,1,\n"
    )
    ev = fc.load_evidence(path, q)
    by_id = {it.id: it for it in ev.items}
    assert by_id["o"].value == 4 and by_id["o"].exposure == pytest.approx(2.0)
    assert by_id["o"].window == (dt.date(2025, 1, 1), dt.date(2025, 3, 2))
    assert by_id["o"].source == "MEI, via Enab Baladi" and by_id["o"].weight == pytest.approx(0.64)
    assert by_id["o"].note == "a note, with commas"
    assert by_id["f"].value is True and by_id["f"].weight == 0.5
    assert by_id["t"].value == "tense" and by_id["t"].weight == 1.0
    assert by_id["l"].value == -2.5
    assert [it.line for it in ev.items] == [2, 3, 4, 5]


def test_csv_problems_are_located_by_line(tmp_path):
    q = _question()
    path = tmp_path / "x.csv"
    path.write_text(
        "id,indicator,value,exposure,date,source\n"
        "a,ops,2.5,1,2025-01-01,s\n"
        "b,fact,maybe,,2025-01-01,s\n"
        "c,tone,calm,1,2025-01-01,s\n"
        "d,level,high,,2025-01-01,s\n"
    )
    with pytest.raises(fc.InputError) as err:
        fc.load_evidence(path, q)
    text = "\n".join(str(p) for p in err.value.problems)
    assert f"{path}:2: [0].value: a count must be a whole number >= 0, got 2.5" in text
    assert f"{path}:3: [1].value: a binary indicator's value must be true or false" in text
    assert f"{path}:4: [2].exposure: 'exposure' applies only to count indicators" in text
    assert f"{path}:5: [3].value: a continuous indicator's value must be a finite number" in text


def test_csv_rows_longer_than_the_header_are_refused(tmp_path):
    q = _question()
    path = tmp_path / "x.csv"
    path.write_text("id,indicator,value,date,source\na,fact,true,2025-01-01,s,extra\n")
    with pytest.raises(fc.InputError, match=r"x\.csv:2: .*6 cells but the header names 5"):
        fc.load_evidence(path, q)
    path.write_text("id,id,value\n")
    with pytest.raises(fc.InputError, match=r"x\.csv:1: .*names id more than once"):
        fc.load_evidence(path, q)


def test_empty_files_add_nothing(tmp_path):
    q = _question()
    (tmp_path / "test-q").mkdir()
    for name in ("a.jsonl", "b.csv"):
        (tmp_path / "test-q" / name).write_text("")
    with pytest.warns(fc.ForecastingWarning, match="is empty"):
        ev = fc.load_evidence(tmp_path / "test-q", q)
    assert len(ev) == 0


# --- origins, relays and events --------------------------------------------------------------

_RELAYED = [
    {
        "id": "mei-1",
        "indicator": "fact",
        "value": True,
        "date": "2025-01-02",
        "source": "Enab Baladi",
        "origin": "Middle East Institute",
        "via": ["Enab Baladi"],
        "event": "mei-report",
        "reliability": "B2",
    },
    {
        "id": "mei-2",
        "indicator": "fact",
        "value": True,
        "date": "2025-01-03",
        "source": "Levant24",
        "origin": "Middle East Institute",
        "via": ["Levant24", "Syria TV"],
        "event": "mei-report",
        "reliability": "B3",
    },
    {
        "id": "own",
        "indicator": "ops",
        "value": 1,
        "exposure": 1,
        "date": "2025-01-04",
        "source": "Reuters",
    },
]


def _yaml(rows) -> str:
    import yaml

    return yaml.safe_dump(rows, sort_keys=False)


@pytest.mark.parametrize(
    ("suffix", "write"), [(".yaml", _yaml), (".jsonl", _jsonl), (".csv", _csv)]
)
def test_origin_via_and_event_read_the_same_in_every_format(tmp_path, suffix, write):
    q = _question()
    path = tmp_path / f"ledger{suffix}"
    path.write_text(write(_RELAYED), encoding="utf-8")
    ev = fc.load_evidence(path, q)
    a, b, own = ev.items
    assert (a.origin, a.via, a.event) == ("Middle East Institute", ("Enab Baladi",), "mei-report")
    assert (b.origin, b.via, b.event) == (
        "Middle East Institute",
        ("Levant24", "Syria TV"),
        "mei-report",
    )
    # by default the source is the origin, nothing relayed it, and an item is its own event
    assert (own.origin, own.via, own.event) == ("Reuters", (), None)
    assert ev.item_dicts[0]["via"] == ["Enab Baladi"] and "origin" not in ev.item_dicts[2]
    # written back, read again: the same items
    again = tmp_path / "again.yaml"
    ev.to_yaml(again)
    assert fc.load_evidence(again, q).item_dicts == ev.item_dicts


def test_items_without_origins_keep_their_hash():
    """Ledgers written before origins existed hash (and so verify) as before: a forecast
    archived then (tempered model, no ``origin``/``via``/``event``) keeps its evidence hash."""
    from forecasting.results.forecast import Forecast

    old = Forecast.load(
        Path(__file__).parent.parent / "pipeline/data/made-before-origins-2025-10-20.nc"
    )
    ev = old.evidence()
    assert all("origin" not in r and "via" not in r and "event" not in r for r in ev.item_dicts)
    assert all(it.origin == it.source for it in ev.items)
    assert ev.sha256() == old.provenance["evidence_sha256"]


@pytest.mark.parametrize("suffix", [".yaml", ".jsonl", ".csv"])
def test_bad_origins_relays_and_events_are_located(tmp_path, suffix):
    q = _question()
    rows = [
        dict(_RELAYED[0], via="Enab Baladi"),  # not a list (in CSV: one outlet, which is fine)
        dict(_RELAYED[1], event="mei report"),  # a space in the id
        dict(_RELAYED[2], event="mei-report", origin=""),  # another indicator; empty origin
        dict(_RELAYED[0], id="mei-3", event="ops-event", indicator="ops", value=2, exposure=1),
        dict(_RELAYED[0], id="mei-4", event="ops-event"),
    ]
    path = tmp_path / f"x{suffix}"
    if suffix == ".csv":
        text = _csv(rows)
    else:
        text = (_yaml if suffix == ".yaml" else _jsonl)(rows)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(fc.InputError) as err:
        fc.load_evidence(path, q)
    found = {(p.line, p.field): p.message for p in err.value.problems}
    text_lines = text.splitlines()

    def line(i: int, key: str | None = None) -> int:
        """Line of item ``i`` (of its field ``key`` in YAML, where fields have their own)."""
        if suffix == ".jsonl":
            return i + 1
        if suffix == ".csv":
            return i + 2
        starts = [n for n, t in enumerate(text_lines, 1) if t.startswith("- ")]
        if key is None:
            return starts[i]
        return next(
            n
            for n in range(starts[i], len(text_lines) + 1)
            if text_lines[n - 1].lstrip("- ").startswith(f"{key}:")
        )

    if suffix != ".csv":
        assert "must be a list" in found[(line(0, "via"), "[0].via")]
        assert found[(line(2, "origin"), "[2].origin")] == "must not be empty (item 'own')"
    assert "'mei report' is not a valid event id" in found[(line(1, "event"), "[1].event")]
    lines = {3: line(3), 4: line(4)}
    spans = found[(lines[4], "event")]
    assert "event 'ops-event' is reported here on indicator 'fact'" in spans
    assert f"but on 'ops' at {path}:{lines[3]}" in spans


def test_a_csv_binary_value_reads_as_yaml_reads_it(tmp_path):
    """`value: yes` in a YAML ledger is true; so is `yes` in a CSV cell (and no, on, off)."""
    q = _question()
    rows = [("a", "yes"), ("b", "No"), ("c", "ON"), ("d", "off"), ("e", "true")]
    csv = tmp_path / "x.csv"
    csv.write_text(
        "id,indicator,value,date,source\n"
        + "".join(f"{i},fact,{v},2025-01-01,s\n" for i, v in rows)
    )
    yml = tmp_path / "x.yaml"
    yml.write_text(
        "".join(
            f"- {{id: {i}, indicator: fact, value: {v}, date: 2025-01-01, source: s}}\n"
            for i, v in rows
        )
    )
    want = [True, False, True, False, True]
    assert [it.value for it in fc.load_evidence(csv, q).items] == want
    assert [it.value for it in fc.load_evidence(yml, q).items] == want
