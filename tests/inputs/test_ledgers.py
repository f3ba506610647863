"""Ledgers in YAML, JSON Lines and CSV: the same items, the same validation, errors by line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

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
