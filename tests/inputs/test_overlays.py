"""Analysts' judgement overlays: merging, located errors, per-analyst forecasts and the pool."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from builders import BUNDLED_QUESTION, SMALL_QUESTION, small_project

import forecasting as fc
from forecasting.cli import EXIT_INPUT, EXIT_OK, main
from forecasting.engines.exact import exact_posterior
from forecasting.inputs.overlays import load_overlays
from forecasting.inputs.resolve import resolve_inputs
from forecasting.model.data import ModelData

AS_OF = "2025-10-27"
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<field>\S+): (?P<message>.+)$")
PRIORS = "scenarios:\n  holds: {prior: 0.4}\n  frays: {prior: 0.4}\n"


@pytest.fixture
def project(tmp_path) -> Path:
    return small_project(tmp_path)


def write(question: Path, name: str, body: str, suffix: str = ".yaml") -> Path:
    folder = question.parent / question.stem / "analysts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}{suffix}"
    path.write_text(f"analyst: {name}\n{body}")
    return path


def exact(question: Path, ledger: Path) -> np.ndarray:
    """The exact engine's posterior of a question file on a ledger, as of :data:`AS_OF`."""
    q, used, _ = resolve_inputs(question, ledger, AS_OF)
    return exact_posterior(ModelData.build(q, used)).probability


def test_an_overlay_moves_the_forecast_exactly_as_editing_the_question(project, tmp_path):
    write(project, "dove", PRIORS)
    result = fc.forecast_analysts(project, as_of=AS_OF)
    # the same change made in the question file itself
    edited = tmp_path / "edited" / "models" / "watch.yaml"
    edited.parent.mkdir(parents=True)
    edited.write_text(
        SMALL_QUESTION.replace("prior: 0.5}", "prior: 0.4}").replace("prior: 0.3}", "prior: 0.4}")
    )
    want = exact(edited, project.parent.parent / "evidence" / "watch")
    got = result.probabilities.probability.sel(analyst="dove").values
    assert np.max(np.abs(got - want)) < 1e-12
    assert not np.allclose(got, result.probabilities.shared.values)  # it did move


def test_likelihood_noise_and_relay_overrides_apply(project):
    path = write(
        project,
        "hawk",
        "rationale: Clashes run hotter under every scenario.\n"
        "indicators:\n"
        "  clashes:\n"
        "    rate:\n"
        "      holds: {mean: 2.0, sd: 1.0}\n"  # replaces {shape: 2, rate: 2} whole
        "    noise: {mean: 3, sd: 2}\n"
        "relays:\n"
        "  Reuters: 0.8\n"
        "prior_concentration: 6\n",
    )
    (overlay,) = load_overlays(fc.load_question(project))
    q = overlay.question
    assert q.indicators["clashes"].rate["holds"].model_dump(exclude_none=True) == {
        "mean": 2.0,
        "sd": 1.0,
    }
    assert q.indicators["clashes"].noise is not None
    assert q.relays == {"Reuters": 0.8}
    assert q.prior_concentration == 6
    assert q.indicators["talks"] == fc.load_question(project).indicators["talks"]
    assert overlay.rationale == "Clashes run hotter under every scenario."
    assert overlay.file == str(path)


def test_identical_analysts_pool_to_each(project):
    for name in ("ann", "bob"):
        write(project, name, PRIORS)
    for method in ("linear", "log", "gmo"):
        r = fc.forecast_analysts(project, as_of=AS_OF, pool=method)
        each = r.probabilities.probability.values
        assert np.array_equal(each[0], each[1])
        assert np.max(np.abs(r.pooled.values - each[0])) < 1e-14
        assert np.all(r.spread.values == 0)


def test_pool_weights_and_question_default(project):
    write(project, "ann", PRIORS)
    write(project, "bob", "")  # agrees with the shared question
    r = fc.forecast_analysts(project, as_of=AS_OF, weights={"ann": 3, "bob": 1})
    p = r.probabilities.probability.values
    assert np.allclose(r.pooled.values, 0.75 * p[0] + 0.25 * p[1], atol=1e-15)
    assert np.allclose(p[1], r.probabilities.shared.values, atol=1e-15)
    # a question's pooling: is the default
    project.write_text(SMALL_QUESTION + "pooling: {method: gmo, extremize: 1.5}\n")
    r = fc.forecast_analysts(project, as_of=AS_OF)
    assert (r.method, r.extremize) == ("gmo", 1.5)
    d = r.to_dict()
    assert d["pool"] == {"method": "gmo", "extremize": 1.5}
    assert [a["name"] for a in d["analysts"]] == ["ann", "bob"]
    with pytest.raises(fc.InputError, match="no weight for 'bob'"):
        fc.forecast_analysts(project, as_of=AS_OF, weights={"ann": 1})
    with pytest.raises(fc.InputError, match="did you mean 'ann'"):
        fc.forecast_analysts(project, as_of=AS_OF, weights={"anne": 1, "bob": 1})


#: (overlay body after ``analyst: <name>``, line, field, what the message says)
BAD = [
    ("scenarios:\n  hold: {prior: 0.5}\n", 3, "scenarios.hold", "did you mean 'holds'"),
    ("indicators:\n  clash:\n    rate: {}\n", 3, "indicators.clash", "did you mean 'clashes'"),
    (
        "indicators:\n  clashes:\n    rates:\n      holds: {shape: 2, rate: 1}\n",
        4,
        "indicators.clashes.rates",
        "did you mean 'rate'",
    ),
    (
        "indicators:\n  clashes:\n    rate:\n      hold: {shape: 2, rate: 1}\n",
        5,
        "indicators.clashes.rate.hold",
        "did you mean 'holds'",
    ),
    ("title: Something else\n", 2, "title", "not a judgement"),
    ("resolves: 2027-01-01\n", 2, "resolves", "not a judgement"),
    ("indicators:\n  clashes:\n    per_days: 7\n", 4, "indicators.clashes.per_days", "judgement"),
    ("indicators:\n  talks:\n    kind: count\n", 4, "indicators.talks.kind", "not a judgement"),
    ("scenarios:\n  holds: {label: Peace}\n", 3, "scenarios.holds.label", "not a judgement"),
    ("scenario:\n  holds: {prior: 0.4}\n", 2, "scenario", "did you mean 'scenarios'"),
    ("catch_all: {prior: 0.1}\n", 2, "catch_all", "cannot add scenarios"),
    # bad values get the question's own messages, located in the overlay
    (
        "indicators:\n  clashes:\n    rate:\n      holds: {shape: -1, rate: 2}\n",
        5,
        "indicators.clashes.rate.holds.shape",
        "",
    ),
    ("scenarios:\n  holds: {prior: 0.6}\n", 2, "scenarios", "sum to 1.1"),
    ("prior_concentration: -3\n", 2, "prior_concentration", ""),
    ("relays:\n  Reuters: 1.5\n", 3, "relays.Reuters", ""),
    ("question: wach\n", 2, "question", "did you mean 'watch'"),
    ("rationale: 12\n", 2, "rationale", "must be text"),
]


@pytest.mark.parametrize(("body", "line", "field", "says"), BAD, ids=[b[2] for b in BAD])
def test_bad_overlays_are_located(project, capsys, body, line, field, says):
    path = write(project, "ann", body)
    with pytest.raises(fc.InputError) as exc:
        load_overlays(fc.load_question(project))
    found = [p for p in exc.value.problems if p.field == field]
    assert found, exc.value
    assert (found[0].file, found[0].line) == (str(path), line)
    assert says in found[0].message
    code = main(["run", str(project), "--as-of", AS_OF, "--analysts", "all"])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and not out and "Traceback" not in err
    located = [m for m in map(PROBLEM_LINE.match, err.splitlines()) if m]
    assert (str(path), str(line), field) in {(m["file"], m["line"], m["field"]) for m in located}


def test_the_file_must_be_named_after_the_analyst(project):
    path = write(project, "ann", "")
    path.write_text("analyst: bob\n")
    with pytest.raises(fc.InputError, match="name the file after the analyst") as exc:
        load_overlays(fc.load_question(project))
    assert (exc.value.problems[0].file, exc.value.problems[0].line) == (str(path), 1)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda q: (write(q, "ann", ""), write(q, "ann", "", ".yml")), "two overlays for 'ann'"),
        (lambda q: write(q.parent / "gone.yaml", "ann", ""), "'gone.yaml', which does not exist"),
        (lambda q: None, "no analysts folder"),
        (lambda q: write(q, "ann", "") and None, "no analyst 'zed'"),
    ],
    ids=["one-name-twice", "orphan-folder", "no-folder", "unknown-analyst"],
)
def test_desk_level_errors_exit_2(project, capsys, make, says):
    make(project)
    names = "zed" if "zed" in says else "all"
    code = main(["run", str(project), "--as-of", AS_OF, "--analysts", names])
    out, err = capsys.readouterr()
    says = says.replace("two overlays for 'ann'", "two overlays for analyst 'ann'")
    assert code == EXIT_INPUT and says in err and "Traceback" not in err


def test_cli_table_and_json(project, capsys):
    write(project, "ann", "rationale: Expects the truce to hold.\n" + PRIORS)
    write(project, "bob", "")
    args = ["run", str(project), "--as-of", AS_OF, "--analysts", "ann,bob", "--pool", "log"]
    assert main(args) == EXIT_OK
    out = capsys.readouterr().out
    assert "2 analysts, log pool, equal weights" in out and "spread" in out
    assert "ann: Expects the truce to hold." in out
    assert main([*args, "--extremize", "2", "--json"]) == EXIT_OK
    d = json.loads(capsys.readouterr().out)
    assert d["pool"] == {"method": "log", "extremize": 2.0}
    assert sum(d["pooled"].values()) == pytest.approx(1.0, abs=1e-12)
    # the linear pool takes no extremizing; --pool needs --analysts
    assert main([*args[:-1], "linear", "--extremize", "2"]) == EXIT_INPUT
    assert main(["run", str(project), "--as-of", AS_OF, "--pool", "gmo"]) == EXIT_INPUT
    capsys.readouterr()


def test_bundled_overlays():
    r = fc.forecast_analysts(BUNDLED_QUESTION, as_of=AS_OF, pool="gmo")
    assert r.analysts == ["leverage", "sdf_impasse", "trust_gap"]
    p = r.probabilities.probability.sel(scenario="accession").values
    assert p[0] > r.probabilities.shared.sel(scenario="accession") > p[1]  # as they argue
    assert all(r.rationales.values())
    # the default run uses the shared question only
    assert fc.load_question(BUNDLED_QUESTION).pooling is None


def test_structural_and_value_problems_are_reported_together(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    question = models / "syria_coalition.yaml"
    question.write_text(BUNDLED_QUESTION.read_text())
    path = write(
        question,
        "x",
        "indicators:\n"
        "  sanctions_conditionality:\n"
        "    probabilities:\n"
        "      accession: {relief_tied: 0.5, relief_unconditional: 0.4, relief_off_table: 0.1}\n"
        "    categories: [a, b]\n"
        "  sdf_agreement:\n"
        "    probability:\n"
        "      accession: {mean: 1.5, sd: 0.1}\n",
    )
    with pytest.raises(fc.InputError) as exc:
        load_overlays(fc.load_question(question))
    where = {(p.file, p.line, p.field) for p in exc.value.problems}
    base = "indicators.sanctions_conditionality"
    assert (str(path), 5, f"{base}.probabilities.accession.relief_tied") in where
    assert (str(path), 6, f"{base}.categories") in where
    assert (str(path), 9, "indicators.sdf_agreement.probability.accession.mean") in where
