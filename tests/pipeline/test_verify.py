"""`verify` trusts nothing derived from the file: every group is recomputed and compared, the
metadata is validated, and the files on disk are found where the provenance recorded them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, ROOT, categorical, item, question

import forecasting as fc
from forecasting.cli import main
from forecasting.model import methods

#: The bundled archive's forecast of 2025-10-20 as made before the bundled question had dynamics
#: and before forecast files carried checksums, kept beside the static copy of the question it
#: was made from (its project): every group a static forecast has, to tamper with.
ARCHIVED = BUNDLED_QUESTION.parent.parent / "forecasts" / "syria-coalition" / "2025-10-20.nc"
#: The bundled archive as shipped, made with the question's dynamics.
BUNDLED_ARCHIVED = ROOT / "forecasts" / "syria-coalition" / "2025-10-20.nc"
CHECKSUM_MATCHES = "checksum: matches (the content is as it was written)"


@pytest.fixture(autouse=True)
def _in_the_static_project(monkeypatch):
    """Run where ``models/syria_coalition.yaml`` is the question ``ARCHIVED`` was made from, as
    the repository's own was then: a tampered copy is checked against the files on disk too."""
    monkeypatch.chdir(BUNDLED_QUESTION.parent.parent)


def tampered(tmp_path, edit) -> str:
    """A copy of an archived forecast with ``edit(tree)`` applied."""
    tree = fc.Forecast.load(ARCHIVED).tree.copy()
    edit(tree)
    return str(fc.Forecast(tree).save(tmp_path / "tampered.nc"))


def _scale(group: str, name: str, factor: float = 1.1):
    def edit(tree):
        ds = tree[group].to_dataset()
        ds[name] = ds[name] * factor
        tree[group] = ds

    return edit


def _attr(name: str, value):
    def edit(tree):
        tree.attrs[name] = value

    return edit


def _json_attr(name: str, change):
    def edit(tree):
        data = json.loads(tree.attrs[name])
        change(data)
        tree.attrs[name] = json.dumps(data)

    return edit


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (_scale("forecast", "prior"), "forecast/prior"),
        (_scale("forecast", "log_marginal"), "forecast/log_marginal"),
        (_scale("posterior", "pi", 0.9), "posterior/pi"),
        (_scale("constant_data", "item_weight", 0.5), "constant_data/item_weight"),
        (_scale("log_likelihood", "evidence"), "log_likelihood/evidence"),
        (_scale("confidence", "origin_share", 0.5), "confidence/origin_share"),
        (
            _json_attr("excluded", lambda x: x.append({"id": "fake", "reason": "after as-of"})),
            "items left out differ",
        ),
    ],
)
def test_every_edit_of_what_a_reader_sees_is_caught(tmp_path, capsys, edit, needle):
    path = tampered(tmp_path, edit)
    assert main(["verify", path]) == 3
    out = capsys.readouterr().out
    assert "DOES NOT reproduce" in out and needle in out, out


def test_a_forged_confidence_level_is_caught(tmp_path):
    def edit(tree):
        ds = tree["confidence"].to_dataset()
        ds.attrs["level"] = "high"
        tree["confidence"] = ds

    result = fc.verify(tampered(tmp_path, edit))
    assert not result.reproduces
    assert any("level" in d for d in result.differences), result.differences


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (_attr("provenance", '{"question_id": "syria-coal'), "'provenance' is not valid JSON"),
        (_json_attr("provenance", lambda p: p.update(as_of="2025-13-45")), "is not a date"),
        (_json_attr("provenance", lambda p: p.update(seed=-1)), "seed -1"),
        (_json_attr("provenance", lambda p: p.update(engine="magic")), "engine 'magic'"),
        (_attr("format_version", "x"), "format_version 'x'"),
        (
            _json_attr("question", lambda q: q["scenarios"]["accession"].update(prior=-0.05)),
            "embedded inputs do not validate",
        ),
        (_json_attr("question", lambda q: q.update(id="../../etc")), "do not validate"),
    ],
)
def test_malformed_metadata_does_not_reproduce_with_a_reason(tmp_path, capsys, edit, needle):
    path = tampered(tmp_path, edit)
    assert main(["verify", path]) == 3
    out = capsys.readouterr().out
    assert "malformed" in out and needle in out, out


def test_a_deleted_diagnostics_attribute_is_named(tmp_path, capsys):
    path = tampered(tmp_path, lambda tree: tree.attrs.pop("diagnostics"))
    assert main(["verify", path]) == 3
    assert "'diagnostics' attribute is missing" in capsys.readouterr().out


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models").mkdir()
    shutil.copy(BUNDLED_QUESTION, tmp_path / "models")
    shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / "syria-coalition")
    return tmp_path


def test_the_ledger_recorded_is_the_one_checked_from_any_directory(project, monkeypatch):
    """A forecast made from another ledger folder (a subset) is checked against that folder,
    also when verify runs elsewhere; an edit there is noticed."""
    subset = project / "alt"
    subset.mkdir()
    first = sorted(BUNDLED_EVIDENCE.glob("*.yaml"))[0]
    shutil.copy(first, subset)
    monkeypatch.chdir(project)
    f = fc.forecast("models/syria_coalition.yaml", "alt", as_of="2025-10-27")
    archived = project / "forecasts" / "syria-coalition"
    archived.mkdir(parents=True)
    path = f.save(archived / "2025-10-27.nc")
    result = fc.verify(path)
    assert result.reproduces and result.notes == [CHECKSUM_MATCHES], result.notes
    monkeypatch.chdir(project.parent)  # elsewhere: found through the file's project
    result = fc.verify(path)
    assert result.reproduces and not any("not on disk" in n for n in result.notes), result.notes
    text = (subset / first.name).read_text()
    (subset / first.name).write_text(text.replace("reliability: B2", "reliability: A1", 1))
    result = fc.verify(path)
    assert any("ledger on disk" in n and "alt" in n for n in result.notes), result.notes


def test_the_bundled_archive_reproduces_from_another_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = fc.verify(BUNDLED_ARCHIVED)
    assert result.reproduces and result.notes[0] == CHECKSUM_MATCHES, result.notes
    assert not any("not on disk" in n or "has changed" in n for n in result.notes), result.notes
    assert "probability_now" in result.rerun.tree["forecast"]  # made with the dynamics
    assert np.isfinite(result.rerun.probabilities.values).all()


def test_a_forecast_written_before_checksums_still_reproduces_from_another_directory(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    result = fc.verify(ARCHIVED)
    # written before files carried checksums; package versions may differ from today's
    assert result.reproduces and result.notes[0].startswith("checksum: none (the file was")
    assert result.checksum.state == "missing" and len(result.notes) <= 2, result.notes
    assert not any("not on disk" in n for n in result.notes), result.notes
    assert np.isfinite(result.rerun.probabilities.values).all()


def test_a_list_of_items_left_out_that_cannot_be_checked_is_said_to_be_unchecked(
    project, monkeypatch, tmp_path
):
    """The file holds only the items used: the ones it says were left out can be checked only
    against the ledger on disk. Where that is not possible (the question on disk changed), a
    forged entry is not caught, and verify says the list was not checked."""
    monkeypatch.chdir(project)
    f = fc.forecast("models/syria_coalition.yaml", as_of="2025-10-27")
    made = project / "forecasts" / "syria-coalition"
    made.mkdir(parents=True)
    path = f.save(made / "2025-10-27.nc")
    result = fc.verify(path)
    assert result.reproduces and not any("not checked" in n for n in result.notes), result.notes
    qfile = project / "models" / "syria_coalition.yaml"
    qfile.write_text(qfile.read_text().replace("prior_concentration: 8", "prior_concentration: 9"))
    result = fc.verify(path)
    assert result.reproduces, result.differences
    assert any("has changed" in n for n in result.notes), result.notes
    assert "the items it says were left out (none) are not checked" in result.notes

    def forge(tree):
        tree.attrs["excluded"] = json.dumps([{"id": "fake", "reason": "after as-of"}])

    tree = fc.Forecast.load(path).tree.copy()
    forge(tree)
    forged = fc.Forecast(tree).save(tmp_path / "forged.nc")
    result = fc.verify(forged)
    assert "the items it says were left out (1 item) are not checked" in result.notes


def test_numbers_inside_the_diagnostics_count_within_the_tolerance():
    """The dynamics' diagnostics are a mapping: its numbers within 1e-9 reproduce (a change
    in the last digits of a sum, as from another order of addition, is not a change)."""
    from forecasting.pipeline.verify import TOLERANCE, _same

    then = {"paths": 4, "now": [0.4017775723469574, 0.4357192509220278], "method": "forward"}
    rounding = {**then, "now": [0.40177757234695716, 0.43571925092202796]}
    moved = {**then, "now": [0.4017775723469574 + 10 * TOLERANCE, 0.4357192509220278]}
    largest = [0.0]
    assert _same(then, rounding, largest) and 0 < largest[0] < 1e-15
    assert not _same(then, moved, [0.0])
    assert not _same(then, {**then, "paths": 5}, [0.0])
    assert not _same(then, {k: v for k, v in then.items() if k != "method"}, [0.0])


# --- the numerical methods a file records ----------------------------------------------------


def _many_categorical_reports():
    """Four categories, 150 unreliable reports from 4 origins: a polynomial of about a million
    terms, which today's methods integrate by the cubature and those of before exactly."""
    cats = ["calm", "tense", "clashes", "war"]
    q = question(
        ("deal", "war"),
        indicators={"posture": categorical(cats, {"deal": (4, 2, 1, 0.5), "war": (0.5, 1, 2, 3)})},
        reliability_model="mixture",
    )
    rng = np.random.default_rng(5)
    rows = []
    for i in range(150):
        row = item(f"p{i}", "posture", str(rng.choice(cats, p=[0.3, 0.4, 0.2, 0.1])))
        rows.append(row | {"source": f"outlet {i % 4}", "reliability": "BCDE"[i % 4] + "2"})
    return q, fc.Evidence.from_items(rows, q)


def test_each_file_is_rerun_with_the_methods_it_records(tmp_path):
    q, ev = _many_categorical_reports()
    now = fc.forecast(q, ev, draws=200)
    with methods.using(None):
        before = fc.forecast(q, ev, draws=200)
    assert now.provenance["methods"] == methods.CURRENT
    assert before.provenance["methods"] == methods.LEGACY
    for f, name in ((now, "now.nc"), (before, "before.nc")):
        result = fc.verify(f.save(tmp_path / name))
        assert result.reproduces, result.differences
    # a file written before the methods were recorded is rerun with those of before
    tree = before.tree.copy()
    prov = json.loads(tree.attrs["provenance"])
    del prov["methods"]
    tree.attrs["provenance"] = json.dumps(prov)
    result = fc.verify(fc.Forecast(tree).save(tmp_path / "unrecorded.nc"))
    assert result.reproduces, result.differences
    # ... and would not reproduce with today's: the methods recorded are the ones used
    prov["methods"] = methods.CURRENT
    tree.attrs["provenance"] = json.dumps(prov)
    result = fc.verify(fc.Forecast(tree).save(tmp_path / "misrecorded.nc"))
    assert not result.reproduces


@pytest.mark.parametrize(
    ("recorded", "needle"),
    [
        ("fast", "methods is not a mapping"),
        ({"cubature_from": 0}, "cubature_from is 0"),
        ({"cubature_from": True}, "cubature_from is True"),
        ({"magic": 1}, "unknown method 'magic'"),
    ],
)
def test_malformed_methods_do_not_reproduce_with_a_reason(tmp_path, capsys, recorded, needle):
    path = tampered(tmp_path, _json_attr("provenance", lambda p: p.update(methods=recorded)))
    assert main(["verify", path]) == 3
    out = capsys.readouterr().out
    assert "malformed" in out and needle in out, out
