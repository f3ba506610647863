"""A new user's first hour (issue 17): the ledger's add/drop, every problem at once, item ids
in locations, consistent paths, located errors from ``Question.model_validate``, templates.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import yaml
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION

import forecasting as fc
from forecasting import InputError
from forecasting.inputs.resolve import load_inputs
from forecasting.inputs.template import write_template

AS_OF = "2025-10-27"
NO_OPS = {
    "id": "no-ops-november",
    "indicator": "joint_operations",
    "value": 0,
    "window": ["2025-10-27", "2025-11-26"],
    "date": "2025-11-26",
    "source": "hypothetical",
}


@pytest.fixture(scope="module")
def bundled():
    q = fc.load_question(BUNDLED_QUESTION)
    return q, fc.load_evidence(BUNDLED_EVIDENCE, q)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models").mkdir()
    question = tmp_path / "models" / BUNDLED_QUESTION.name
    shutil.copy(BUNDLED_QUESTION, question)
    shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / BUNDLED_EVIDENCE.name)
    return question, tmp_path / "evidence" / BUNDLED_EVIDENCE.name


# --- Evidence.add / Evidence.drop ------------------------------------------------------------


def test_add_returns_a_new_evidence_and_leaves_the_ledger(bundled):
    q, ev = bundled
    more = ev.add([NO_OPS], q)
    assert more is not ev and len(ev) == 12 and len(more) == 13
    assert more.ids[-1] == "no-ops-november" and more.ids[:12] == ev.ids
    # the same as the long way round of issue 17
    long = fc.Evidence.from_items([it.to_dict() for it in ev.items] + [NO_OPS], q)
    assert more.sha256() == long.sha256()


def test_add_excludes_items_after_the_as_of_date(bundled):
    q, ev = bundled
    known = ev.as_of(dt.date(2025, 10, 27)).add([NO_OPS], q)
    assert "no-ops-november" not in known.ids
    assert [x.id for x in known.excluded] == ["no-ops-november"]


def test_add_validates_the_items_as_ledger_items_with_located_messages(bundled):
    q, ev = bundled
    bad = dict(NO_OPS, value=-1, indicator="joint_operation")
    with pytest.raises(InputError) as info:
        ev.add([bad, dict(NO_OPS, id=ev.ids[0])], q, source="what-if")
    text = [str(p) for p in info.value.problems]
    assert any(
        t.startswith("what-if: [0].indicator: 'joint_operation' is not an indicator")
        and "did you mean 'joint_operations'" in t
        and t.endswith("(item 'no-ops-november')")
        for t in text
    ), text
    assert any(t.startswith("what-if: [1].id: item id") and "is used twice" in t for t in text), (
        text
    )


def test_drop_by_id_and_by_origin(bundled):
    q, ev = bundled
    first = ev.ids[0]
    fewer = ev.drop(first)
    assert first not in fewer.ids and len(fewer) == 11 and len(ev) == 12
    assert fewer.excluded == ()  # gone, as if never logged
    origin = ev.items[0].origin
    no_origin = ev.drop(origin=origin)
    assert all(it.origin != origin for it in no_origin.items)
    assert len(no_origin) == 12 - sum(it.origin == origin for it in ev.items)


def test_drop_names_unknown_ids_and_origins_with_a_suggestion(bundled):
    q, ev = bundled
    with pytest.raises(InputError) as info:
        ev.drop([ev.ids[0] + "x"], origin="Middle East Institut")
    text = "\n".join(map(str, info.value.problems))
    assert f"no item '{ev.ids[0]}x' in this evidence (did you mean '{ev.ids[0]}'?)" in text
    assert "no item of origin 'Middle East Institut'" in text
    assert "(did you mean 'Middle East Institute'?)" in text


# --- every problem at once -------------------------------------------------------------------


def test_a_question_error_does_not_hide_the_evidence_errors(project):
    question, ledger = project
    text = question.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    prior = raw["scenarios"]["accession"]["prior"]
    question.write_text(
        text.replace(f"prior: {prior}", f"prior: {prior + 0.05:.2f}", 1), encoding="utf-8"
    )
    first = sorted(ledger.glob("*.yaml"))[0]
    items = yaml.safe_load(first.read_text(encoding="utf-8"))
    dup = dict(items[0], value="many")  # invalid AND a duplicate id: both reported at once
    (ledger / "zz.yaml").write_text(
        yaml.safe_dump([dup], default_flow_style=False), encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        load_inputs(question, None)
    fields = {(Path(p.file).name, p.field) for p in info.value.problems}
    assert (question.name, "scenarios") in fields
    assert ("zz.yaml", "[0].id") in fields  # used twice, though the item is invalid too
    assert ("zz.yaml", "[0].value") in fields
    with pytest.raises(InputError) as info2:
        fc.forecast(question, as_of=AS_OF)
    assert len(info2.value.problems) == len(info.value.problems)


def test_a_window_error_names_the_item_id(tmp_path):
    q = fc.load_question(BUNDLED_QUESTION)
    bad = dict(NO_OPS, window=["2025-10-27", "2025-10-27"])
    with pytest.raises(InputError) as info:
        fc.Evidence.from_items([bad], q)
    (p,) = info.value.problems
    assert p.field == "[0].window"
    assert "zero length" in p.message and p.message.endswith("(item 'no-ops-november')")


def test_default_evidence_paths_are_shown_like_the_question_path(project, monkeypatch):
    question, ledger = project
    monkeypatch.chdir(question.parent.parent)
    relative = Path("models") / question.name
    broken = ledger / "zz.yaml"
    broken.write_text("- id: x\n  indicator: nope\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_inputs(relative, None)
    files = {p.file for p in info.value.problems}
    assert files == {os.path.join("evidence", ledger.name, "zz.yaml")}
    with pytest.raises(InputError) as info:
        load_inputs(question.resolve(), None)
    assert {p.file for p in info.value.problems} == {str(broken.resolve())}


# --- Question.model_validate ----------------------------------------------------------------


def test_model_validate_gives_the_loaders_located_messages():
    raw = yaml.safe_load(BUNDLED_QUESTION.read_text(encoding="utf-8"))
    raw["scenarios"]["accession"]["prior"] += 0.05
    raw["scenarios"]["informal"]["lable"] = raw["scenarios"]["informal"].pop("label")
    with pytest.raises(InputError) as info:
        fc.Question.model_validate(raw)
    fields = {p.field: p.message for p in info.value.problems}
    assert "sum to 1.05" in fields["scenarios"]
    assert "unknown field 'lable' (did you mean 'label'?)" in fields["scenarios.informal.lable"]
    assert "validation error" not in str(info.value)  # not pydantic's one raw message
    # a valid one still validates, and a forecast file's question still reads back
    assert fc.Question.model_validate(yaml.safe_load(BUNDLED_QUESTION.read_text())).id


# --- forecast init ---------------------------------------------------------------------------


def test_template_validates_and_forecasts(tmp_path):
    question, ledger = write_template("gaza-ceasefire", tmp_path, today=dt.date(2025, 11, 3))
    assert question == tmp_path / "models" / "gaza_ceasefire.yaml"
    assert ledger.parent == tmp_path / "evidence" / "gaza-ceasefire"
    text = question.read_text(encoding="utf-8")
    assert text.count("#") > 15  # commented
    assert "NOT counted" in ledger.read_text(encoding="utf-8")
    q = fc.load_question(question)
    ev = fc.load_evidence(None, q)
    assert len(ev) == 2
    f = fc.forecast(q, ev, as_of="2025-11-03", confidence=False)
    assert abs(float(f.probabilities.sum()) - 1) < 1e-9


def test_template_never_overwrites_and_checks_the_id(tmp_path):
    write_template("gaza-ceasefire", tmp_path)
    with pytest.raises(InputError, match="exists already"):
        write_template("gaza-ceasefire", tmp_path)
    with pytest.raises(InputError, match="not a valid question id"):
        write_template("Gaza_Ceasefire", tmp_path)


def test_a_question_that_does_not_validate_at_all_still_shows_the_ledgers_problems(project):
    question, ledger = project
    text = question.read_text(encoding="utf-8")
    question.write_text(text.replace("label:", "lable:", 1), encoding="utf-8")
    first = sorted(ledger.glob("*.yaml"))[0]
    items = yaml.safe_load(first.read_text(encoding="utf-8"))
    dup = {k: v for k, v in items[0].items() if k != "source"} | {"sourc": "x"}
    (ledger / "zz.yaml").write_text(yaml.safe_dump([dup]), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_inputs(question, None)
    found = {(Path(p.file).name, p.field.split(".")[-1]) for p in info.value.problems}
    assert (question.name, "lable") in found
    assert ("zz.yaml", "sourc") in found and ("zz.yaml", "id") in found
