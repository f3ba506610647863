"""The ``forecast`` command: output contract, exit codes and error reporting.

Runs ``forecasting.cli.main`` in process (fast), plus one run of the installed console script.
The MCMC engine is not used here (it compiles a PyMC model; see test_mcmc.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION, ROOT

import forecasting as fc
from forecasting.cli import EXIT_INPUT, EXIT_OK, main
from forecasting.kinds.elicitation import fit_gamma_interval

Q = str(BUNDLED_QUESTION)
AS_OF = "2025-10-27"
SCENARIOS = ["accession", "informal", "collapse", "unilateral"]
#: ``file:line: field: message``, as printed for every input problem
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<field>\S+): (?P<message>.+)$")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def problems_in(err: str) -> list[re.Match]:
    return [m for m in map(PROBLEM_LINE.match, err.splitlines()) if m]


def assert_input_error(code: int, out: str, err: str) -> None:
    assert code == EXIT_INPUT
    assert "Traceback" not in err
    assert "internal error" not in err
    assert out == ""


@pytest.fixture
def project(tmp_path):
    """A copy of the bundled question and ledger, laid out as models/ and evidence/<id>/."""
    (tmp_path / "models").mkdir()
    question = tmp_path / "models" / BUNDLED_QUESTION.name
    shutil.copy(BUNDLED_QUESTION, question)
    shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / BUNDLED_EVIDENCE.name)
    return question, tmp_path / "evidence" / BUNDLED_EVIDENCE.name


# --- run -----------------------------------------------------------------------------------------


def test_run_prints_table_and_headline(capsys):
    code, out, err = run(capsys, "run", Q, "--as-of", AS_OF)
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0] == "Syria and the anti-ISIS coalition"
    assert re.match(
        r"as of 2025-10-27 \| exact engine \| evidence: 12 items from 6 independent origins used, "
        r"0 excluded",
        lines[1],
    )
    assert re.search(r"scenario\s+prior\s+posterior\s+after a month\s+opinion range", out)
    assert "interval" not in out
    question = fc.load_question(Q)
    for label in question.labels.values():
        assert label in out
    # the probability's sentence holds no range; the confidence is a sentence of its own
    assert re.search(
        r"^Most likely: .+: \d+(\.\d)?% \([a-z ]+\) as of 2025-10-27\. Confidence "
        r"(low|moderate|high): 12 items from 6 independent origins, .+; a month of typical "
        r"evidence could leave it anywhere between \d+% and \d+%.*\.$",
        out,
        re.M,
    )


def test_run_json_contract(capsys):
    code, out, err = run(capsys, "run", Q, "--as-of", AS_OF, "--json")
    assert code == EXIT_OK, err
    result = json.loads(out)  # exactly one JSON object and nothing else on stdout
    assert isinstance(result, dict)
    assert set(result) == {
        "question",
        "title",
        "as_of",
        "engine",
        "range_prob",
        "scenarios",
        "confidence",
        "evidence",
        "diagnostics",
        "provenance",
    }
    assert result["question"] == "syria-coalition"
    assert result["as_of"] == AS_OF
    assert result["engine"] == "exact"
    assert result["range_prob"] == 0.9
    assert [s["id"] for s in result["scenarios"]] == SCENARIOS
    for s in result["scenarios"]:
        assert set(s) == {"id", "label", "prior", "probability", "mcse", "responsiveness"}
        r = s["responsiveness"]
        assert set(r) == {"lower", "upper", "horizon_days", "mcse"}
        assert 0 <= r["lower"] <= s["probability"] <= r["upper"] <= 1
        assert r["horizon_days"] == 30 and 0 < r["mcse"] <= 0.005
    conf = result["confidence"]
    assert set(conf) == {
        "level",
        "reasons",
        "rules",
        "origins",
        "opinion",
        "responsiveness",
        "range_prob",
    }
    assert conf["level"] in {"low", "moderate", "high"} and conf["reasons"]
    assert conf["origins"]["n_origins"] == 6 and conf["origins"]["n_items"] == 12
    assert set(conf["origins"]["leave_one_origin_out"]) == set(SCENARIOS)
    assert set(conf["opinion"]["range"]) == set(SCENARIOS)
    assert 0 <= conf["responsiveness"]["p_leader_change"] <= 1
    assert sum(s["probability"] for s in result["scenarios"]) == pytest.approx(1.0)
    assert set(result["evidence"]) == {"used", "n_items", "n_origins", "origins", "excluded"}
    assert len(result["evidence"]["used"]) == result["evidence"]["n_items"] == 12
    assert result["evidence"]["n_origins"] == len(result["evidence"]["origins"]) == 6
    assert result["evidence"]["excluded"] == []
    assert isinstance(result["diagnostics"], dict)
    assert isinstance(result["provenance"], dict)


def test_run_as_of_excludes_later_items_with_reason(capsys):
    code, out, err = run(capsys, "run", Q, "--as-of", "2025-10-20", "--json")
    assert code == EXIT_OK, err
    evidence = json.loads(out)["evidence"]
    assert len(evidence["used"]) == 3
    assert len(evidence["excluded"]) == 9
    for entry in evidence["excluded"]:
        assert set(entry) == {"id", "reason"}
        assert entry["reason"] == "dated 2025-10-27, after the as-of date 2025-10-20"
    assert not set(evidence["used"]) & {e["id"] for e in evidence["excluded"]}


def test_run_save_writes_a_forecast_that_loads_back(capsys, tmp_path):
    path = tmp_path / "out" / "forecast.nc"
    code, out, err = run(capsys, "run", Q, "--as-of", AS_OF, "--json", "--save", str(path))
    assert code == EXIT_OK, err
    printed = json.loads(out)
    loaded = fc.Forecast.load(path)
    assert loaded.to_dict() == printed


def test_run_save_to_a_directory_is_an_input_error(capsys, tmp_path):
    code, out, err = run(capsys, "run", Q, "--as-of", AS_OF, "--save", str(tmp_path))
    assert_input_error(code, out, err)
    assert f"{tmp_path}: --save: is a directory" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.filterwarnings("default::forecasting.core.errors.ForecastingWarning")
def test_run_warning_goes_to_stderr(capsys):
    code, out, err = run(capsys, "run", Q, "--as-of", "2026-07-01", "--json")
    assert code == EXIT_OK
    json.loads(out)
    assert re.search(r"^warning: question 'syria-coalition' resolved on 2026-06-30", err, re.M)


# --- validate ------------------------------------------------------------------------------------


def test_validate_prints_fitted_parameters(capsys):
    code, out, err = run(capsys, "validate", Q)
    assert code == EXIT_OK, err
    shape, rate = fit_gamma_interval(1.0, 3.0, 0.9)  # joint_operations under accession
    assert re.search(rf"accession\s+Gamma\(shape={shape:.3g}, rate={rate:.3g}\).*\[interval\]", out)
    assert "Beta(9, 1.5)" in out  # given as {alpha, beta}
    assert (
        "evidence: 12 items from 6 independent origins (11 events) in 3 files, dated 2025-10-19 "
        "to 2025-10-27" in out
    )
    assert out.rstrip().endswith("OK: no problems found")


def test_validate_json(capsys):
    code, out, err = run(capsys, "validate", Q, "--json")
    assert code == EXIT_OK, err
    report = json.loads(out)
    assert [s["id"] for s in report["scenarios"]] == SCENARIOS
    ops = next(i for i in report["indicators"] if i["id"] == "joint_operations")
    shape, rate = fit_gamma_interval(1.0, 3.0, 0.9)
    assert ops["likelihoods"]["accession"]["shape"] == pytest.approx(shape)
    assert ops["likelihoods"]["accession"]["rate"] == pytest.approx(rate)


# --- input errors: exit 2, one `file:line: field: message` per problem, no traceback -------------


@pytest.mark.parametrize("command", ["run", "validate"])
def test_broken_question(capsys, project, command):
    question, _ = project
    text = question.read_text(encoding="utf-8")
    text = text.replace("    label: Syria formally joins", "    lable: Syria formally joins")
    text = text.replace("      informal: {lower: 0.4, upper: 2.0, mass: 0.9}", "      informl: {}")
    question.write_text(text, encoding="utf-8")
    save = question.parent / "out.nc"
    args = [command, str(question)] + (["--save", str(save)] if command == "run" else [])
    code, out, err = run(capsys, *args)
    assert_input_error(code, out, err)
    found = problems_in(err)
    assert {(m["field"], int(m["line"])) for m in found} >= {
        ("scenarios.accession.lable", _line(text, "lable:")),
        ("indicators.joint_operations.rate.informl", _line(text, "informl:")),
    }
    assert all(m["file"] == str(question) for m in found)
    assert any("did you mean 'label'" in m["message"] for m in found)
    assert any("did you mean 'informal'" in m["message"] for m in found)
    assert err.splitlines()[-1].startswith("forecast: ")
    assert "nothing was forecast" in err
    assert not save.exists()


def test_broken_evidence_file(capsys, project):
    question, ledger = project
    bad = ledger / "2025-11-01_new.yaml"
    bad.write_text(
        "- id: new-item\n"
        "  indicator: joint_operation\n"
        "  value: 2\n"
        "  exposure: 1\n"
        "  date: 2025-11-01\n"
        "  source: someone\n"
        "  reliability: G7\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "run", str(question), "--as-of", AS_OF)
    assert_input_error(code, out, err)
    found = {(m["file"], int(m["line"]), m["field"]): m["message"] for m in problems_in(err)}
    assert set(found) == {(str(bad), 2, "[0].indicator"), (str(bad), 7, "[0].reliability")}
    assert "did you mean 'joint_operations'" in found[(str(bad), 2, "[0].indicator")]
    assert "not an Admiralty code" in found[(str(bad), 7, "[0].reliability")]


def test_missing_question_file(capsys, tmp_path):
    missing = tmp_path / "nope.yaml"
    code, out, err = run(capsys, "run", str(missing))
    assert_input_error(code, out, err)
    assert f"{missing}: (file): cannot read the file: No such file or directory" in err


def test_missing_evidence_path(capsys, tmp_path):
    code, out, err = run(capsys, "validate", Q, "--evidence", str(tmp_path / "none"))
    assert_input_error(code, out, err)
    assert "no such file or directory" in err


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            ["--as-of", "2025-13-01"],
            r"argument --as-of: '2025-13-01' is not a date; use YYYY-MM-DD",
        ),
        (["--as-of", "yesterday"], r"argument --as-of: 'yesterday' is not a date"),
        (["--engine", "fast"], r"argument --engine: invalid choice: 'fast'"),
        (["--draws", "0"], r"argument --draws: must be at least 1, got 0"),
        (["--draws", "many"], r"argument --draws: 'many' is not a whole number"),
        (["--seed", "-1"], r"argument --seed: must be between 0 and 2\*\*32 - 1"),
    ],
    ids=["as-of-month", "as-of-word", "engine", "draws-zero", "draws-text", "seed"],
)
def test_bad_arguments(capsys, args, match):
    code, out, err = run(capsys, "run", Q, *args)
    assert_input_error(code, out, err)
    assert re.search(match, err)


def test_no_command(capsys):
    code, out, err = run(capsys)
    assert code == EXIT_INPUT
    assert "Traceback" not in err


# --- the installed console script ----------------------------------------------------------------


def test_console_script_runs():
    script = Path(sys.executable).with_name("forecast")
    proc = subprocess.run(
        [str(script), "run", "models/syria_coalition.yaml", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["question"] == "syria-coalition"
    assert [s["id"] for s in result["scenarios"]] == SCENARIOS


def _line(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if needle in line)


def test_bad_relays_and_events_exit_2_with_located_problems(capsys, project):
    question, ledger = project
    bad = ledger / "2025-11-02_relayed.yaml"
    bad.write_text(
        "- id: relayed-1\n"
        "  indicator: joint_operations\n"
        "  value: 1\n"
        "  exposure: 1\n"
        "  date: 2025-10-01\n"
        "  source: Enab Baladi\n"
        "  via: [Enab Baladi]\n"
        "  event: one-event\n"
        "- id: relayed-2\n"
        "  indicator: us_rhetoric\n"
        "  value: supportive\n"
        "  date: 2025-10-01\n"
        "  source: Enab Baladi\n"
        "  event: one-event\n"
        "- id: relayed-3\n"
        "  indicator: us_rhetoric\n"
        "  value: supportive\n"
        "  date: 2025-10-01\n"
        "  source: Enab Baladi\n"
        "  via: Enab Baladi\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "run", str(question), "--as-of", AS_OF)
    assert_input_error(code, out, err)
    found = {(int(m["line"]), m["field"]): m["message"] for m in problems_in(err)}
    assert "must be a list" in found[(20, "[2].via")]
    assert "reports of one event observe one indicator" in found[(9, "event")]


def test_devices_and_pipes_are_refused_not_read(capsys, tmp_path):
    """/dev/zero has no size to check and never ends; a FIFO blocks whoever opens it: both are
    refused before reading (exit 2, named), as evidence and as a question."""
    import os

    fifo = tmp_path / "ledger.yaml"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        cmd = [sys.executable, "-m", "forecasting.cli", "run", Q, "--evidence", path]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert done.returncode == EXIT_INPUT, done.stderr
        assert path in done.stderr and "not a regular file" in done.stderr
        assert "Traceback" not in done.stderr
    code, _, err = run(capsys, "validate", "/dev/zero")
    assert code == EXIT_INPUT and "not a regular file" in err


# --- control characters from files are shown escaped ---------------------------------------------

#: A label whose escape sequences would clear the screen, with a line break that would forge a
#: line of ours and a right-to-left override; as a forecast file may embed it (the question's
#: own validation refuses it, so the forecasts below are altered after they were made).
HOSTILE = "\x1b[2J\x1b[1;31mPWNED\x1b[0m\nMost likely: nothing \u202eevil"
HOSTILE_SHOWN = "\\x1b[2J\\x1b[1;31mPWNED\\x1b[0m\\nMost likely: nothing \\u202eevil"


#: What no output may hold raw: control characters (but our line breaks), separators, overrides.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def assert_no_control_characters(*texts: str) -> None:
    for text in texts:
        assert not CONTROL.search(text), repr(text)


def hostile_forecast():
    from forecasting.api import forecast

    f = forecast(Q, as_of=AS_OF)
    question = f.question
    question["title"] = "Title \x1b]0;pwned\x07 \x9b2J"
    question["scenarios"]["accession"]["label"] = HOSTILE
    f.tree.attrs["question"] = json.dumps(question)
    diagnostics = f.diagnostics
    diagnostics["warnings"] = ["sampler \x1b[5mblinks\x1b[0m"]
    f.tree.attrs["diagnostics"] = json.dumps(diagnostics)
    return f


def test_run_shows_control_characters_from_files_escaped(capsys, monkeypatch):
    code, plain, _ = run(capsys, "run", Q, "--as-of", AS_OF)
    assert code == EXIT_OK
    hostile = hostile_forecast()
    monkeypatch.setattr("forecasting.api.forecast", lambda *a, **k: hostile)
    code, out, err = run(capsys, "run", Q, "--as-of", AS_OF)
    assert code == EXIT_OK, err
    assert_no_control_characters(out, err)
    lines = out.splitlines()
    assert len(lines) == len(plain.splitlines()) + 1  # the WARNING line; no line forged
    assert lines[0] == "Title \\x1b]0;pwned\\x07 \\x9b2J"
    assert f"  {HOSTILE_SHOWN}  " in out
    assert [line for line in lines if line.startswith("Most likely:")] == [
        next(line for line in lines if line.startswith(f"Most likely: {HOSTILE_SHOWN}: "))
    ]
    assert "WARNING: sampler \\x1b[5mblinks\\x1b[0m" in out
    assert "warning: sampler \\x1b[5mblinks\\x1b[0m" in err
    # JSON escapes them itself, and keeps the label as it is
    code, out, _ = run(capsys, "run", Q, "--as-of", AS_OF, "--json")
    assert code == EXIT_OK and "\x1b" not in out and "\u202e" not in out
    assert json.loads(out)["scenarios"][0]["label"] == HOSTILE


@pytest.mark.filterwarnings("ignore:Glyph 27:UserWarning")  # the figures draw the label as is
def test_update_and_history_show_control_characters_from_files_escaped(
    capsys, project, monkeypatch
):
    from forecasting.results.forecast import Forecast

    question, _ = project
    labels = Forecast.labels.fget
    monkeypatch.setattr(Forecast, "labels", property(lambda f: {k: HOSTILE for k in labels(f)}))
    assert main(["update", str(question), "--as-of", "2025-10-20"]) == EXIT_OK
    capsys.readouterr()
    code, out, err = run(capsys, "update", str(question), "--as-of", AS_OF)
    assert code == EXIT_OK, err
    assert_no_control_characters(out, err)
    assert out.startswith(f"{HOSTILE_SHOWN}: ")
    assert out.count(f"  {HOSTILE_SHOWN}  ") == 4  # a row for each scenario
    assert "Largest changes since 2025-10-20" in out
    assert not any(line.startswith("Most likely: nothing") for line in out.splitlines())
    md = (question.parent.parent / "reports" / "syria-coalition" / AS_OF / "report.md").read_text()
    assert_no_control_characters(md)
    assert "\\\\x1b\\[2J\\\\x1b\\[1;31mPWNED" in md

    loaded = fc.load_question(question)
    monkeypatch.setattr(
        "forecasting.inputs.question.load_question",
        lambda path: loaded.model_copy(update={"title": "History \x1b[2J\u202e"}),
    )
    code, out, err = run(capsys, "history", str(question))
    assert code == EXIT_OK, err
    assert_no_control_characters(out, err)
    assert out.startswith("History \\x1b[2J\\u202e: 2 archived forecasts\n")


def test_validate_shows_control_characters_from_files_escaped(capsys, monkeypatch):
    loaded = fc.load_question(Q)
    monkeypatch.setattr(
        "forecasting.inputs.question.load_question",
        lambda path: loaded.model_copy(update={"title": "Validate \x1b[2J\u202e"}),
    )
    code, out, err = run(capsys, "validate", Q)
    assert code == EXIT_OK, err
    assert_no_control_characters(out, err)
    assert "Validate \\x1b[2J\\u202e" in out.splitlines()[0]


@pytest.mark.parametrize(
    ("raise_", "shown"),
    [
        (
            lambda: fc.InputError(
                [fc.Problem("q.yaml", 3, "scenarios.a.label", f"is '{HOSTILE}'")]
            ),
            f"q.yaml:3: scenarios.a.label: is '{HOSTILE_SHOWN}'",
        ),
        (
            lambda: fc.ForecastingError(f"no scenario '{HOSTILE}'"),
            f"forecast: error: no scenario '{HOSTILE_SHOWN}'",
        ),
        (lambda: OSError(13, "Permission denied", HOSTILE), f"write {HOSTILE_SHOWN}: Permission"),
    ],
)
def test_error_messages_show_quoted_values_escaped(capsys, monkeypatch, raise_, shown):
    def forecast(*args, **kwargs):
        raise raise_()

    monkeypatch.setattr("forecasting.api.forecast", forecast)
    code, out, err = run(capsys, "run", Q)
    assert code == EXIT_INPUT
    assert_no_control_characters(out, err)
    assert shown in err.splitlines()[0]


@pytest.mark.filterwarnings("default::forecasting.core.errors.ForecastingWarning")
def test_warnings_show_quoted_values_escaped(capsys, monkeypatch):
    import warnings

    from forecasting.api import forecast as real
    from forecasting.core.errors import ForecastingWarning

    def forecast(*args, **kwargs):
        warnings.warn(f"label '{HOSTILE}'", ForecastingWarning, stacklevel=1)
        return real(Q, as_of=AS_OF)

    monkeypatch.setattr("forecasting.api.forecast", forecast)
    code, out, err = run(capsys, "run", Q)
    assert code == EXIT_OK
    assert_no_control_characters(out, err)
    assert f"warning: label '{HOSTILE_SHOWN}'" in err.splitlines()


def test_score_shows_control_characters_from_files_escaped(capsys, monkeypatch):
    class Card:
        calibration = None

        def to_dict(self):
            question = {"question": "q\x1b[2J", "status": "open", "resolution": {}, "items": []}
            return {"questions": [question], "calibration": None}

    monkeypatch.setattr("forecasting.scoring.score", lambda *a, **k: Card())
    code, out, err = run(capsys, "score", Q)
    assert code == EXIT_OK, err
    assert out == "q\\x1b[2J: open (not resolved yet)\n"


def test_output_piped_into_a_reader_that_stops_early_ends_quietly():
    """``forecast validate ... | head -1``: no "internal error", no traceback; the status of a
    process stopped by SIGPIPE (141), as Unix tools."""
    script = Path(sys.executable).with_name("forecast")
    question = str(ROOT / "models" / "syria_coalition.yaml")
    for args in (["validate", question], ["run", question, "--as-of", "2025-10-27", "--json"]):
        proc = subprocess.Popen(
            [str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
        )
        proc.stdout.close()  # the reader is gone before the first line
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 141, err
        assert "internal error" not in err and "Traceback" not in err
