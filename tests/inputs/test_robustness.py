"""Hostile and accidental inputs from the red-team report (issue 15): each class refused with a
located problem (``file:line: field: message``) and exit code 2, never misread, crashed on or
silently dropped.

One section per class: full matches of ids; YAML 1.1 number forms; hidden line breaks;
invisible and control characters; bounds of lengths and numbers; backfill dates; windows
after their item's date; what a ledger folder reads; an evidence folder of another id. The
property-based tests at the end feed each class at random.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, ROOT, binary, categorical, count, item
from builders import question as build_question
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forecasting as fc
from forecasting import ForecastingWarning, InputError, Problem
from forecasting.cli import EXIT_INPUT, main
from forecasting.core.schema import MAX_COUNT, MAX_ID_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS

PACKAGE = ROOT / "forecasting"


def body(**extra) -> dict:
    """A small valid question (count, binary, categorical), as plain data."""
    q = build_question(
        ("a", "b"),
        indicators={
            "ops": count({"a": (4, 2), "b": (1, 1)}, per_days=30),
            "yn": binary({"a": (5, 2), "b": (2, 5)}),
            "tone": categorical(["calm", "hostile"], {"a": [2, 1], "b": [1, 2]}),
        },
    ).to_dict()
    q.update(extra)
    return q


@pytest.fixture
def q():
    return fc.Question.model_validate(body())


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def problems_of(call) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as info:
        call()
    return info.value.problems


def ledger_problems(tmp_path: Path, q, name: str, text: str) -> tuple[Problem, ...]:
    path = write(tmp_path / name, text)
    return problems_of(lambda: fc.load_evidence(path, q))


def question_problems(tmp_path: Path, text: str) -> tuple[Problem, ...]:
    path = write(tmp_path / "q.yaml", text)
    return problems_of(lambda: fc.load_question(path))


YAML_ITEM = "- id: o1\n  indicator: yn\n  value: true\n  date: 2025-01-01\n  source: s\n"


def yaml_item(**fields) -> str:
    """One YAML item of ``yn`` with ``fields`` written as given (text, not values)."""
    base = {"id": "o1", "indicator": "yn", "value": "true", "date": "2025-01-01", "source": "s"}
    base.update(fields)
    return "- " + "\n  ".join(f"{k}: {v}" for k, v in base.items()) + "\n"


# --- 1. ids and codes are matched in full -------------------------------------------------------


def _dollar_patterns(tree: ast.AST) -> set[str]:
    """Names bound to ``re.compile("...$")`` in a module."""
    out = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) == "re.compile"
            and node.value.args
            and isinstance(node.value.args[0], ast.Constant)
            and str(node.value.args[0].value).endswith("$")
        ):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return out


def test_no_pattern_in_the_package_relies_on_a_dollar_anchor():
    """``re.match`` or ``search`` with ``$`` accepts 'yn\\n' (``$`` matches before a final line
    break), and pydantic's ``pattern=`` searches: patterns that must cover a whole text are
    matched with ``fullmatch`` (or :func:`forecasting.core.schema.id_text`)."""
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        anchored = _dollar_patterns(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("match", "search"):
                owner = ast.unparse(func.value)
                literal = (
                    owner == "re"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and str(node.args[0].value).endswith("$")
                )
                if literal or owner in anchored:
                    wrong.append(f"{where}: {ast.unparse(node)}")
            if any(k.arg == "pattern" for k in node.keywords):
                wrong.append(f"{where}: pattern=")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("category", lambda b: b["indicators"]["tone"].update(categories=["calm", "hostile\n"])),
        ("relay", lambda b: b.update(relays={"Enab Baladi\n": 0.9})),
        ("label", lambda b: b["scenarios"]["a"].update(label="A\n")),
        ("title", lambda b: b.update(title="Title\n")),
        ("kind", lambda b: b["indicators"]["ops"].update(kind="count\n")),
    ],
)
def test_a_trailing_line_break_is_refused_in_every_one_line_text_of_a_question(
    tmp_path, where, change
):
    data = body()
    change(data)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    problems = question_problems(tmp_path, text)
    assert any("line break (\\n" in p.message for p in problems), problems
    assert all("\n" not in p.message and "\n" not in p.field for p in problems)


@pytest.mark.parametrize("field", ["id", "event", "source", "origin", "indicator"])
def test_a_trailing_line_break_is_refused_in_every_one_line_field_of_an_item(q, field):
    row = item("x1", "yn", True) | {field: (item("x1", "yn", True).get(field) or "e1") + "\n"}
    (problem,) = problems_of(lambda: fc.Evidence.from_items([row], q))
    assert problem.field == f"[0].{field}" and "line break (\\n LINE FEED)" in problem.message


def test_a_trailing_line_break_in_a_relayed_outlet_is_refused(q):
    row = item("x1", "yn", True) | {"via": ["Enab Baladi\n"]}
    (problem,) = problems_of(lambda: fc.Evidence.from_items([row], q))
    assert problem.field == "[0].via[0]"


# --- 2. YAML 1.1 number forms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "advice"),
    [("010", "write the plain decimal 10"), ("1_000", "write the plain decimal 1000")],
)
def test_the_message_says_what_to_write(tmp_path, q, written, advice):
    (problem,) = ledger_problems(tmp_path, q, "e.yaml", YAML_ITEM.replace("true", written))
    assert problem.line == 3 and advice in problem.message and "quote it" in problem.message


@pytest.mark.parametrize("written", ["0x" + "F" * 5000, "0b" + "1" * 20000, "9" * 5000])
def test_a_huge_number_form_is_a_located_error_not_a_crash(tmp_path, q, written):
    """``repr`` of an int over 4,300 digits raises ValueError: the message must not need it."""
    (problem,) = ledger_problems(tmp_path, q, "e.yaml", YAML_ITEM.replace("true", written))
    assert problem.line == 3 and problem.field == "[0].value"
    assert len(problem.message) < 400


@pytest.mark.parametrize(
    ("cell", "column"), [("1_000", "value"), ("nan", "value"), ("1_0", "exposure")]
)
def test_csv_cells_are_plain_decimals_too(tmp_path, q, cell, column):
    """Python's ``int`` and ``float`` read ``1_000`` and ``nan``: a CSV cell is refused as YAML
    refuses the same number form."""
    cells = {"value": "3", "exposure": "1"} | {column: cell}
    text = (
        "id,indicator,value,exposure,date,source\n"
        f"o1,ops,{cells['value']},{cells['exposure']},2025-01-01,s\n"
    )
    problems = ledger_problems(tmp_path, q, "e.csv", text)
    assert [(p.line, p.field) for p in problems] == [(2, f"[0].{column}")], problems


# --- 3. hidden line breaks ---------------------------------------------------------------------

HIDDEN = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\r"]


def _same_note_in(fmt: str, note: str) -> str:
    if fmt == "e.yaml":
        return yaml_item(note=note)
    if fmt == "e.jsonl":
        row = {"id": "o1", "indicator": "yn", "value": True, "date": "2025-01-01", "source": "s"}
        return json.dumps(row | {"note": "NOTE"}).replace("NOTE", note) + "\n"
    return f"id,indicator,value,date,source,note\no1,yn,true,2025-01-01,s,{note}\n"


@pytest.mark.parametrize("ch", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_a_hidden_line_break_is_refused_alike_in_every_reader(tmp_path, q, ch):
    """``note: confirmed<U+2028>  reliability: 0`` is one line to an editor; YAML read it as a
    second field, JSON Lines as two broken lines, CSV as text: now each is the same error, at the
    line an editor shows."""
    note = f"confirmed by two sources{ch}  reliability: 0"
    found = {}
    for fmt in ("e.yaml", "e.jsonl", "e.csv"):
        (problem,) = ledger_problems(tmp_path, q, fmt, _same_note_in(fmt, note))
        assert problem.field == "" and "hidden line break" in problem.message
        found[fmt] = problem.line
    assert found == {"e.yaml": 6, "e.jsonl": 1, "e.csv": 2}


@pytest.mark.parametrize("ch", ["\u2028", "\u2029", "\x85"])
def test_a_hidden_line_break_in_a_question_file_is_refused(tmp_path, ch):
    text = yaml.safe_dump(body(), sort_keys=False).replace("title: Test question", f"title: T{ch}x")
    (problem,) = question_problems(tmp_path, text)
    assert problem.line == 2 and "hidden line break" in problem.message


@pytest.mark.parametrize("escape", ["\\L", "\\P", "\\N", "\\u2028"])
def test_a_hidden_line_break_written_as_an_escape_is_refused_in_free_text(tmp_path, q, escape):
    (problem,) = ledger_problems(tmp_path, q, "e.yaml", yaml_item(note=f'"a{escape}b"'))
    assert problem.field == "[0].note" and "hidden line break" in problem.message


def test_crlf_line_endings_are_fine(tmp_path, q):
    path = write(tmp_path / "e.yaml", YAML_ITEM.replace("\n", "\r\n"))
    assert fc.load_evidence(path, q).ids == ["o1"]


# --- 4. invisible and control characters ----------------------------------------------------------


@pytest.mark.parametrize("ch", ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u202e"])
@pytest.mark.parametrize("field", ["id", "source", "origin", "event", "value"])
def test_invisible_characters_are_refused_in_ids_and_names(q, ch, field):
    row = item("x1", "tone", "calm") | {"event": "e1", "origin": "o"}
    row[field] = row[field][:1] + ch + row[field][1:]
    (problem,) = problems_of(lambda: fc.Evidence.from_items([row], q))
    escaped = ch.encode("unicode_escape").decode()
    assert problem.field == f"[0].{field}" and f"({escaped} " in problem.message
    assert ch not in str(problem)


def test_a_zero_width_scenario_id_is_named_escaped(tmp_path):
    """The report's "'a' is not a scenario (did you mean 'a?'?)": the character is shown."""
    text = yaml.safe_dump(body(), sort_keys=False).replace("  a:\n", "  a\u200b:\n", 1)
    problems = question_problems(tmp_path, text)
    first = problems[0]
    assert first.field == "scenarios.a\\u200b" and "ZERO WIDTH SPACE" in first.message
    assert not any("\u200b" in str(p) for p in problems)
    assert any("did you mean 'a\\u200b'" in p.message for p in problems)


@pytest.mark.parametrize("escape", ["\\x07", "\\e", "\\0", "\\x9b", "\\t", "\\n"])
@pytest.mark.parametrize("where", ["title", "label"])
def test_control_characters_are_refused_in_labels_and_titles(tmp_path, escape, where):
    text = yaml.safe_dump(body(), sort_keys=False)
    old = "title: Test question" if where == "title" else "label: Scenario a"
    text = text.replace(old, f'{old.split(":")[0]}: "x{escape}y"')
    (problem,) = question_problems(tmp_path, text)
    assert problem.line == (2 if where == "title" else 5)
    assert "control character" in problem.message or "is one line" in problem.message


@pytest.mark.parametrize("escape", ["\\u0007", "\\u001b", "\\u009b", "\\ud800", "\\u2029"])
def test_control_characters_are_refused_in_notes(tmp_path, q, escape):
    """Free text may keep line breaks and tabs, nothing else invisible (a lone surrogate, which
    JSON allows, could not even be written back as UTF-8)."""
    row = {"id": "o1", "indicator": "yn", "value": True, "date": "2025-01-01", "source": "s"}
    text = json.dumps(row | {"note": "aNOTEb"}).replace("NOTE", escape) + "\n"
    (problem,) = ledger_problems(tmp_path, q, "e.jsonl", text)
    assert problem.field == "[0].note"
    assert "control character" in problem.message or "hidden line break" in problem.message


def test_notes_keep_line_breaks_and_tabs(tmp_path, q):
    path = write(tmp_path / "e.yaml", yaml_item(note='"line one\\n\\tline two"'))
    assert fc.load_evidence(path, q).items[0].note == "line one\n\tline two"


@pytest.mark.parametrize("ch", ["\x07", "\x1b", "\x7f", "\x9b"])
def test_a_raw_control_character_in_a_file_is_located(tmp_path, q, ch):
    """YAML said 'position 69' without a line; CSV read it as text."""
    for fmt in ("e.yaml", "e.csv"):
        text = yaml_item(source=f"s{ch}") if fmt == "e.yaml" else _same_note_in(fmt, f"x{ch}")
        (problem,) = ledger_problems(tmp_path, q, fmt, text)
        assert problem.line == (5 if fmt == "e.yaml" else 2) and "control character" in (
            problem.message
        )


def test_every_message_shows_invisible_characters_escaped():
    p = Problem("f\u200b.yaml", 3, "a\nb", "'x\u2028' is bad\x1b[2J")
    assert str(p) == "f\\u200b.yaml:3: a\\nb: 'x\\u2028' is bad\\x1b[2J"


# --- 5. bounds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["e.yaml", "e.jsonl", "e.csv"])
def test_a_401_digit_count_is_refused_in_every_format(tmp_path, q, fmt):
    value = "9" * 401
    text = {
        "e.yaml": f"- id: o1\n  indicator: ops\n  value: {value}\n  exposure: 1\n"
        "  date: 2025-01-01\n  source: s\n",
        "e.jsonl": '{"id": "o1", "indicator": "ops", "value": ' + value + ', "exposure": 1, '
        '"date": "2025-01-01", "source": "s"}\n',
        "e.csv": f"id,indicator,value,exposure,date,source\no1,ops,{value},1,2025-01-01,s\n",
    }[fmt]
    (problem,) = ledger_problems(tmp_path, q, fmt, text)
    assert problem.field == "[0].value" and f"{MAX_COUNT:,} events" in problem.message


def test_the_largest_count_is_accepted_and_forecast(q):
    ev = fc.Evidence.from_items([item("x", "ops", MAX_COUNT, exposure=1)], q)
    f = fc.forecast(q, ev, as_of="2025-02-01")
    assert abs(float(f.probabilities.sum()) - 1) < 1e-12


@pytest.mark.parametrize("per_days", ["1.0e-320", "1.0e-7", "2.0e+6"])
def test_per_days_is_bounded(tmp_path, per_days):
    text = yaml.safe_dump(body(), sort_keys=False).replace(
        "per_days: 30.0", f"per_days: {per_days}"
    )
    (problem,) = question_problems(tmp_path, text)
    assert problem.field == "indicators.ops.per_days" and "between 1e-06 and 1e+06" in (
        problem.message
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("exposure", 1e-320), ("exposure", 1e300), ("window", ["0001-01-01", "9999-01-01"])],
)
def test_exposure_is_bounded_in_days(q, key, value):
    row = item("x", "ops", 3, date="9999-12-31") | {key: value}
    (problem,) = problems_of(lambda: fc.Evidence.from_items([row], q))
    assert problem.field == f"[0].{key}" and "days" in problem.message


def test_numbers_beyond_1e15_are_refused_in_a_question(tmp_path):
    text = yaml.safe_dump(body(), sort_keys=False).replace("shape: 4.0", "shape: 1.0e+300")
    problems = question_problems(tmp_path, text)
    assert any("1e+300 is too large" in p.message for p in problems), problems


@pytest.mark.parametrize(
    ("where", "limit"),
    [("label", MAX_NAME_CHARS), ("title", MAX_NAME_CHARS), ("question", MAX_TEXT_CHARS)],
)
def test_long_text_in_a_question_is_refused_quickly(tmp_path, where, limit):
    """A 100,000-character label ran 64 s into a MemoryError, after archiving."""
    data = body(question="Which?")
    text = "x" * (limit + 1) if where != "label" else "x" * 100_000
    if where == "label":
        data["scenarios"]["a"]["label"] = text
    else:
        data[where] = text
    started = time.perf_counter()
    (problem,) = question_problems(tmp_path, yaml.safe_dump(data, sort_keys=False))
    assert time.perf_counter() - started < 5
    assert f"at most {limit:,}" in problem.message and len(str(problem)) < 400
    data_ok = body(question="Which?")
    data_ok[where if where != "label" else "title"] = "x" * limit
    assert fc.Question.model_validate(data_ok)


@pytest.mark.parametrize(
    ("field", "limit"), [("id", MAX_ID_CHARS), ("source", MAX_NAME_CHARS), ("note", 5_000)]
)
def test_long_text_in_an_item_is_refused(q, field, limit):
    row = item("x1", "yn", True)
    row[field] = "x" * (limit + 1)
    (problem,) = problems_of(lambda: fc.Evidence.from_items([row], q))
    assert problem.field == f"[0].{field}" and f"{limit:,}" in problem.message
    row[field] = "x" * limit
    assert fc.Evidence.from_items([row], q)


def test_the_keys_that_skip_the_text_rules_are_item_fields_the_rules_accept():
    # value_problems skips its walk for these keys and for short printable ASCII values: a
    # shortcut that must never skip a problem
    from forecasting.inputs.items import _ItemSpec
    from forecasting.inputs.text_rules import _PLAIN_KEYS, _SHORTEST, text_problem

    assert _PLAIN_KEYS <= set(_ItemSpec.model_fields)
    assert all(text_problem(k, "key") is None for k in _PLAIN_KEYS)
    assert _SHORTEST == MAX_ID_CHARS
    for kind in ("free", "display", "url", "id", "key", "name", "value"):
        assert text_problem("x" * _SHORTEST, kind) is None


# --- 6. backfill dates ----------------------------------------------------------------------------


def test_backfill_dates_reach_the_last_day_of_the_calendar():
    from forecasting.pipeline.weekly import backfill_dates

    last = dt.date(9999, 12, 31)
    assert backfill_dates(dt.date(9999, 12, 20), last, 7) == [
        dt.date(9999, 12, 20),
        dt.date(9999, 12, 27),
        last,
    ]
    assert backfill_dates(dt.date(9999, 12, 20), last, 3660) == [dt.date(9999, 12, 20), last]
    assert backfill_dates(last, last, 1) == [last]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--every", "1000000000d"], "every"),
        (["--every", "99999999999999w"], "every"),
        (["--every", "1_000d"], None),
        (["--to", "2025-09-01"], "from"),
        (["--to", "99999-01-01"], None),
    ],
)
def test_backfill_arguments_out_of_range_exit_2_before_anything_is_written(
    tmp_path, capsys, args, field
):
    archive = tmp_path / "archive"
    code = main(
        ["backfill", str(BUNDLED_QUESTION), "--from", "2025-10-01", "--archive", str(archive)]
        + args
    )
    _, err = capsys.readouterr()
    assert code == EXIT_INPUT and "Traceback" not in err
    if field is not None:
        assert f"<input>: {field}: " in err
    assert not archive.exists()


# --- 7. windows after their item's date ----------------------------------------------------------


@pytest.mark.parametrize("window", ["[2030-01-01, 2030-02-01]", "[2025-01-01, 2025-02-02]"])
def test_a_window_ending_after_its_item_is_refused(tmp_path, q, window):
    """A window in the future counted as days without events: it moved the posterior to
    0.9999997 on the red team's question."""
    text = (
        f"- id: o1\n  indicator: ops\n  value: 3\n  window: {window}\n  date: 2025-02-01\n"
        "  source: s\n"
    )
    (problem,) = ledger_problems(tmp_path, q, "e.yaml", text)
    assert (problem.line, problem.field) == (4, "[0].window")
    assert "ends after the item's date (2025-02-01)" in problem.message


def test_a_window_ending_on_its_item_date_is_fine(tmp_path, q):
    text = (
        "- id: o1\n  indicator: ops\n  value: 3\n  window: [2025-01-01, 2025-02-01]\n"
        "  date: 2025-02-01\n  source: s\n"
    )
    path = write(tmp_path / "e.yaml", text)
    assert fc.load_evidence(path, q).items[0].window == (dt.date(2025, 1, 1), dt.date(2025, 2, 1))


def test_the_bundled_ledger_still_loads_and_keeps_its_hash():
    question = fc.load_question(BUNDLED_QUESTION)
    ev = fc.load_evidence(BUNDLED_EVIDENCE, question)
    assert len(ev) == 12


# --- 8 and 9. what a ledger folder reads -----------------------------------------------------


def test_a_ledger_folder_reads_ledger_suffixes_in_any_case_and_names_what_it_skips(tmp_path, q):
    folder = tmp_path / "evidence" / q.id
    write(folder / "UPPER.YAML", YAML_ITEM)
    write(folder / "b.Csv", "id,indicator,value,date,source\no2,yn,false,2025-01-02,s\n")
    write(folder / ".hidden.yaml", YAML_ITEM.replace("o1", "o3"))  # editor files: silent
    write(folder / "sub" / "c.yaml", YAML_ITEM.replace("o1", "o4"))
    write(folder / "notes.txt", "not a ledger\n")
    with pytest.warns(ForecastingWarning) as caught:
        ev = fc.load_evidence(folder, q)
    assert ev.ids == ["o2", "o1"] or ev.ids == ["o1", "o2"]
    (message,) = [str(w.message) for w in caught]
    assert "sub/ (a folder" in message and "notes.txt (not a ledger file" in message
    assert "hidden" not in message


@pytest.mark.parametrize("kind", ["dangling", "loop", "fifo", "device"])
def test_a_ledger_name_that_cannot_be_read_is_an_error(tmp_path, q, kind):
    folder = tmp_path / "evidence" / q.id
    write(folder / "a.yaml", YAML_ITEM)
    bad = folder / "b.yaml"
    if kind == "dangling":
        bad.symlink_to(folder / "nowhere.yaml")
    elif kind == "loop":
        bad.symlink_to(bad)
    elif kind == "fifo":
        os.mkfifo(bad)
    else:
        bad.symlink_to("/dev/zero")
    (problem,) = problems_of(lambda: fc.load_evidence(folder, q))
    assert problem.file == str(bad) and "cannot be read" in problem.message


def test_a_dangling_link_without_a_ledger_suffix_is_named(tmp_path, q):
    folder = tmp_path / "evidence" / q.id
    write(folder / "a.yaml", YAML_ITEM)
    (folder / "old").symlink_to(folder / "nowhere")
    with pytest.warns(ForecastingWarning, match=r"old \(a dangling symbolic link"):
        assert fc.load_evidence(folder, q).ids == ["o1"]


def test_a_fifo_given_as_the_ledger_does_not_block(tmp_path, q):
    fifo = tmp_path / "e.yaml"
    os.mkfifo(fifo)
    (problem,) = problems_of(lambda: fc.load_evidence(fifo, q))
    assert "not a regular file" in problem.message


# --- 10. an evidence folder of another id -----------------------------------------------------


def _project(tmp_path: Path, question_id: str) -> Path:
    text = BUNDLED_QUESTION.read_text(encoding="utf-8").replace(
        "id: syria-coalition", f"id: {question_id}", 1
    )
    path = write(tmp_path / "models" / "q.yaml", text)
    shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / BUNDLED_EVIDENCE.name)
    return path


def test_a_question_whose_folder_has_another_id_is_an_error_not_a_prior_forecast(tmp_path):
    path = _project(tmp_path, "syria-coalitoin")
    question = fc.load_question(path)
    (problem,) = problems_of(lambda: fc.load_evidence(None, question))
    assert "no evidence folder for question 'syria-coalitoin'" in problem.message
    assert "did you mean 'syria-coalition'" in problem.message


def test_update_of_a_question_whose_folder_has_another_id_writes_nothing(tmp_path, capsys):
    path = _project(tmp_path, "syria-coalitoin")
    code = main(["update", str(path), "--as-of", "2025-10-27"])
    _, err = capsys.readouterr()
    assert code == EXIT_INPUT and "Traceback" not in err
    assert not (tmp_path / "forecasts").exists() and not (tmp_path / "reports").exists()


def test_an_explicit_or_created_empty_folder_still_forecasts_on_the_priors(tmp_path):
    path = _project(tmp_path, "new-question")
    question = fc.load_question(path)
    (tmp_path / "evidence" / "new-question").mkdir()
    with pytest.warns(ForecastingWarning, match="no evidence yet"):
        assert len(fc.load_evidence(None, question)) == 0
    with pytest.warns(ForecastingWarning, match="no evidence yet"):
        assert len(fc.load_evidence(tmp_path / "evidence" / "new-question", question)) == 0


def test_a_new_project_without_an_evidence_folder_warns(tmp_path):
    path = write(tmp_path / "models" / "q.yaml", BUNDLED_QUESTION.read_text(encoding="utf-8"))
    with pytest.warns(ForecastingWarning, match="no evidence directory"):
        assert len(fc.load_evidence(None, fc.load_question(path))) == 0


# --- property-based: each class at random -------------------------------------------------------

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def yaml_1_1_numbers(draw):
    """A number written in a YAML 1.1 form that is not a plain decimal."""
    n = draw(st.integers(0, 10**6))
    form = draw(st.sampled_from(["octal", "hex", "binary", "base60", "underscore", "base60f"]))
    if form == "octal":
        return "0" + draw(st.text("01234567", min_size=1, max_size=8))
    if form == "hex":
        return f"0x{n:X}"
    if form == "binary":
        return f"0b{n:b}"
    if form == "base60":  # 0:30 is text to YAML 1.1 (and refused as a count), not a number
        return f"{n + 1}:{draw(st.integers(0, 59)):02d}"
    if form == "base60f":
        return f"{n}:{draw(st.integers(0, 59)):02d}.{draw(st.integers(0, 99))}"
    digits = str(n + 1000)
    cut = draw(st.integers(1, len(digits) - 1))
    return digits[:cut] + "_" + digits[cut:]


@FUZZ
@given(written=yaml_1_1_numbers(), where=st.sampled_from(["value", "exposure", "concentration"]))
def test_any_yaml_1_1_number_form_is_refused_where_it_is_written(tmp_path_factory, written, where):
    folder = tmp_path_factory.mktemp("n")
    q = fc.Question.model_validate(body())
    if where == "concentration":
        text = yaml.safe_dump(body(), sort_keys=False) + f"prior_concentration: {written}\n"
        problems = problems_of(lambda: fc.load_question(write(folder / "q.yaml", text)))
        line = text.count("\n")
    else:
        fields = {"value": "3", "exposure": "1"} | {where: written}
        text = (
            f"- id: o1\n  indicator: ops\n  value: {fields['value']}\n"
            f"  exposure: {fields['exposure']}\n  date: 2025-01-01\n  source: s\n"
        )
        problems = problems_of(lambda: fc.load_evidence(write(folder / "e.yaml", text), q))
        line = 3 if where == "value" else 4
    (problem,) = problems
    assert problem.line == line and "plain decimal" in problem.message


@FUZZ
@given(
    before=st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=20),
    ch=st.sampled_from(HIDDEN),
    fmt=st.sampled_from(["e.yaml", "e.jsonl", "e.csv"]),
)
def test_any_hidden_line_break_is_one_error_at_the_line_an_editor_shows(
    tmp_path_factory, before, ch, fmt
):
    folder = tmp_path_factory.mktemp("b")
    q = fc.Question.model_validate(body())
    safe = "x" + "".join(c for c in before if c not in "\"',\\:#&*!|>%@`[]{}-?") + "y"
    text = _same_note_in(fmt, safe + ch + "z")
    path = write(folder / fmt, text)
    problems = problems_of(lambda: fc.load_evidence(path, q))
    assert problems[0].line == {"e.yaml": 6, "e.jsonl": 1, "e.csv": 2}[fmt]
    assert all("hidden line break" in p.message for p in problems)


ID_FIELDS = st.sampled_from(["id", "event", "source", "origin", "indicator"])


@FUZZ
@given(
    name=st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True),
    field=ID_FIELDS,
    tail=st.sampled_from(["\n", "\r\n", "\n\n", " \n", "\u2028", "\x85"]),
)
def test_any_id_with_a_trailing_line_break_is_refused(name, field, tail):
    q = fc.Question.model_validate(body())
    row = item("x1", "yn", True) | {field: (name if field != "indicator" else "yn") + tail}
    (problem,) = problems_of(lambda: fc.Evidence.from_items([row], q))
    assert problem.field == f"[0].{field}"
    assert "\n" not in str(problem) and "\u2028" not in str(problem)


CONTROLS = [chr(c) for c in [*range(0, 9), *range(11, 32), *range(127, 160)]]


@FUZZ
@given(
    text=st.text(st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=20),
    ch=st.sampled_from(CONTROLS),
    at=st.integers(0, 20),
    field=st.sampled_from(["title", "label", "description", "question"]),
)
def test_any_control_character_in_any_text_of_a_question_is_refused(
    tmp_path_factory, text, ch, at, field
):
    """Written as a YAML escape (``"\\x07"``), where the file itself holds no control character."""
    data = body(question="Which?")
    value = text[:at] + ch + text[at:]
    if field == "label":
        data["scenarios"]["a"]["label"] = value
        where = "scenarios.a.label"
    elif field == "description":
        data["indicators"]["yn"]["description"] = value
        where = "indicators.yn.description"
    else:
        data[field] = value
        where = field
    dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6)
    path = write(tmp_path_factory.mktemp("c") / "q.yaml", dumped)
    problems = problems_of(lambda: fc.load_question(path))
    # a YAML emitter writes some (U+0085) as they are: then the file itself is refused
    assert any(
        p.field in (where, "")
        and ("control character" in p.message or "hidden line break" in p.message)
        for p in problems
    ), problems
    assert not any(ch in str(p) for p in problems)
