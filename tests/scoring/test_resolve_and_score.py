"""`forecast resolve` and `forecast score` on a copy of the bundled question and its archive."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_FILE, ROOT, count, item, question

import forecasting as fc
from forecasting.analyses.prequential import by_origin, prequential
from forecasting.cli import main
from forecasting.core.errors import InputError
from forecasting.engines.exact import exact_posterior
from forecasting.model.data import ModelData
from forecasting.scoring import load_resolution


@pytest.fixture
def project(tmp_path):
    """The bundled question as shipped (the one its archive was made with), its ledger and
    archive (2025-10-06, 13, 20) in a fresh folder."""
    (tmp_path / "models").mkdir()
    shutil.copy(BUNDLED_FILE, tmp_path / "models")
    shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / "syria-coalition")
    shutil.copytree(
        ROOT / "forecasts" / "syria-coalition", tmp_path / "forecasts" / "syria-coalition"
    )
    return tmp_path


def q(project):
    return str(project / "models" / "syria_coalition.yaml")


def stored(project) -> dict[str, str]:
    """A hash of every file of the archive and the reports."""
    out = {}
    for folder in ("forecasts", "reports"):
        for p in sorted((project / folder).rglob("*")):
            if p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_resolve_writes_a_record_and_amending_keeps_the_history(project, capsys):
    before = stored(project)
    assert (
        main(
            [
                "resolve",
                q(project),
                "--outcome",
                "informal",
                "--date",
                "2025-12-01",
                "--source",
                "Reuters",
            ]
        )
        == 0
    )
    assert "resolved as 'informal' on 2025-12-01" in capsys.readouterr().out
    res = load_resolution(q(project))
    assert res.outcome == "informal" and res.current.source == "Reuters"
    assert res.path.name == "syria_coalition.resolution.yaml"
    # resolving again needs a reason, and the first record stays
    assert main(["resolve", q(project), "--outcome", "accession", "--date", "2025-12-02"]) == 2
    err = capsys.readouterr().err
    assert "already resolved on 2025-12-01" in err and "--amend" in err
    assert "nothing was written" in err
    assert (
        main(
            [
                "resolve",
                q(project),
                "--outcome",
                "accession",
                "--date",
                "2025-12-02",
                "--amend",
                "the accession was signed the next day",
            ]
        )
        == 0
    )
    res = load_resolution(q(project))
    assert [r.outcome for r in res.records] == ["informal", "accession"]
    assert res.current.amends == "the accession was signed the next day"
    assert stored(project) == before  # the archive and reports are never rewritten


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--outcome", "acession", "--date", "2025-12-01"], "did you mean 'accession'"),
        (["--outcome", "accession", "--date", "2025-10-06"], "not after the question's first"),
        (["--outcome", "accession", "--date", "2999-01-01"], "is in the future"),
        (["--outcome", "accession", "--date", "2025-12-01", "--amend", "x"], "no resolution to"),
        (["--annulled", "x" * 3000, "--date", "2025-12-01"], "at most 2000"),
    ],
)
def test_bad_resolutions_are_refused_with_exit_2_and_nothing_written(project, capsys, args, needle):
    before = stored(project)
    assert main(["resolve", q(project), *args]) == 2
    assert needle in capsys.readouterr().err
    assert not (project / "models" / "syria_coalition.resolution.yaml").exists()
    assert stored(project) == before


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("question: syria-coalition\nrecords: [\n", 3, "malformed YAML"),
        ("question: syria-coalition\nrecords:\n- {outcome: informal}\n", 3, "date"),
        (
            "question: syria-coalition\nrecords:\n- outcome: informal\n  date: 2025-12-01\n"
            "  recorded: 2026-01-01T00:00:00\n  colour: red\n",
            6,
            "colour",
        ),
        (
            "question: syria-coalition\nrecords:\n- outcome: nobody\n  date: 2025-12-01\n"
            "  recorded: 2026-01-01T00:00:00\n",
            3,
            "not a scenario",
        ),
        (
            "question: syria-coalition\nrecords:\n- outcome: informal\n  date: 2025-12-01\n"
            "  recorded: 2026-01-01T00:00:00\n- outcome: collapse\n  date: 2025-12-02\n"
            "  recorded: 2026-01-02T00:00:00\n",
            6,
            "must say why",
        ),
        (
            "question: other-question\nrecords:\n- outcome: informal\n  date: 2025-12-01\n"
            "  recorded: 2026-01-01T00:00:00\n",
            1,
            "the question beside it is 'syria-coalition'",
        ),
    ],
)
def test_a_malformed_resolution_file_is_a_located_error(project, capsys, text, line, needle):
    path = project / "models" / "syria_coalition.resolution.yaml"
    path.write_text(text)
    assert main(["score", q(project)]) == 2
    err = capsys.readouterr().err
    assert f"syria_coalition.resolution.yaml:{line}:" in err and needle in err, err
    assert "nothing was scored" in err


def test_score_of_the_bundled_archive_against_hand_computed_values(project, capsys):
    assert main(["resolve", q(project), "--outcome", "informal", "--date", "2025-11-30"]) == 0
    capsys.readouterr()
    assert main(["score", q(project), "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    (row,) = card["questions"]
    assert row["status"] == "resolved"
    hist = fc.history(q(project), archive=project / "forecasts")
    p = hist["probability"].values  # 2025-10-06, 13, 20
    k = list(hist["scenario"].values).index("informal")
    days = np.array([7, 7, 41])  # the last forecast stood until 2025-11-30
    one_hot = np.eye(p.shape[1])[k]
    brier = ((p - one_hot) ** 2).sum(axis=1)
    assert [f["stood_days"] for f in row["forecasts"]] == days.tolist()
    assert row["brier"] == pytest.approx(np.dot(days, brier) / days.sum(), abs=1e-12)
    assert row["log"] == pytest.approx(np.dot(days, -np.log(p[:, k])) / days.sum(), abs=1e-12)
    prior = hist["prior"].values[0]
    brier_prior = ((prior - one_hot) ** 2).sum()
    assert row["brier_prior"] == pytest.approx(brier_prior)
    assert row["brier_skill_prior"] == pytest.approx(1 - row["brier"] / brier_prior)
    assert row["brier_uniform"] == pytest.approx(0.75)
    # the items of each archived week, scored as they arrived
    assert {i["week"] for i in row["items"]} <= {"2025-10-06", "2025-10-13", "2025-10-20"}
    assert card["calibration"]["n_questions"] == 1
    # the text table says the same
    assert main(["score", q(project)]) == 0
    out = capsys.readouterr().out
    assert f"Brier {row['brier']:.3f}" in out and "resolved 2025-11-30 as 'informal'" in out


def test_an_open_question_is_listed_with_its_items_scores_and_an_annulled_one_not_scored(
    project, capsys
):
    assert main(["score", q(project), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["questions"]
    assert row["status"] == "open" and row["items"] and "brier" not in row
    assert (
        main(["resolve", q(project), "--annulled", "the premise failed", "--date", "2025-11-01"])
        == 0
    )
    assert main(["score", q(project), "--json"]) == 0
    card = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert card["questions"][0]["status"] == "annulled" and "calibration" not in card


def test_weeks_beyond_the_work_budget_keep_their_totals(project, capsys, monkeypatch):
    import forecasting.analyses.new_items as ni

    assert main(["score", q(project), "--json"]) == 0
    full = json.loads(capsys.readouterr().out)["questions"][0]
    monkeypatch.setattr(ni, "WALK_BUDGET", 0.0)  # no item scored one by one
    assert main(["score", q(project), "--json"]) == 0
    none = json.loads(capsys.readouterr().out)["questions"][0]
    assert all(row["log_predictive"] is None for row in none["items"]) and none["origins"] == {}
    for a, b in zip(full["weeks"], none["weeks"], strict=True):
        assert a["as_of"] == b["as_of"]
        assert b["log_predictive"] == pytest.approx(a["log_predictive"], abs=1e-9)
    assert main(["score", q(project)]) == 0
    assert "scored together with the rest of their week" in capsys.readouterr().out


def test_score_plots(project, tmp_path, capsys):
    assert main(["resolve", q(project), "--outcome", "collapse", "--date", "2025-11-30"]) == 0
    assert main(["score", q(project), "--plots", str(tmp_path / "plots")]) == 0
    assert (tmp_path / "plots" / "reliability.png").stat().st_size > 0
    assert (tmp_path / "plots" / "scores.png").stat().st_size > 0


# --- prequential scores ----------------------------------------------------------------------


def test_prequential_scores_are_the_predictive_probabilities_and_add_up():
    """One count under two scenarios: the score is the log of the mixture of negative binomials."""
    from scipy import stats

    qn = question(
        ("a", "b"), prior=(0.6, 0.4), indicators={"ops": count({"a": (6, 2), "b": (2, 2)})}
    )
    old = [item("o1", "ops", 4, exposure=1.0)]
    new = [item("o2", "ops", 1, exposure=2.0), item("o3", "ops", 7, exposure=1.0)]
    before = fc.forecast(qn, fc.Evidence.from_items(old, qn), confidence=False, seed=1)
    after = fc.forecast(qn, fc.Evidence.from_items(old + new, qn), confidence=False, seed=1)
    s = prequential(before, after)
    assert list(s["item"].values) == ["o2", "o3"]
    # by hand: Gamma(shape + y, rate + exposure) posterior, negative binomial predictive
    post = {"a": (6 + 4, 2 + 1), "b": (2 + 4, 2 + 1)}
    w = before.probabilities.values

    def nb(shape, rate, y, exposure):
        return stats.nbinom.pmf(y, shape, rate / (rate + exposure))

    p_o2 = sum(w[i] * nb(*post[s_], 1, 2.0) for i, s_ in enumerate("ab"))
    assert s["log_predictive"].values[0] == pytest.approx(np.log(p_o2), abs=1e-12)
    # the items' scores add up to the week's: ln p(new | old)
    data = ModelData.build(qn, fc.Evidence.from_items(old + new, qn))
    base = ModelData.build(qn, fc.Evidence.from_items(old, qn))
    total = exact_posterior(data).log_evidence - exact_posterior(base).log_evidence
    assert s.attrs["total"] == pytest.approx(total, abs=1e-12)
    assert by_origin(s)["test"]["n_items"] == 2


def test_the_weekly_update_reports_the_new_items_log_scores(project):
    res = fc.update(
        q(project), as_of="2025-10-27", archive=project / "forecasts", reports=project / "reports"
    )
    pre = res.summary["prequential"]
    assert pre["items"] and pre["total"] == pytest.approx(
        sum(i["log_predictive"] for i in pre["items"])
    )
    text = res.report["markdown"].read_text()
    assert "| log score |" in text and "by origin:" in text


def test_score_refuses_a_resolution_edited_to_before_the_first_forecast(project, capsys):
    assert main(["resolve", q(project), "--outcome", "informal", "--date", "2025-12-01"]) == 0
    path = project / "models" / "syria_coalition.resolution.yaml"
    path.write_text(path.read_text().replace("2025-12-01", "2025-09-01"))
    with pytest.raises(InputError, match="not after the question's first archived forecast"):
        fc.score([q(project)])


def test_several_questions_are_scored_together_and_one_without_forecasts_is_said(project, capsys):
    """A second question (the bundled one under another id) with one forecast of its own."""
    text = (project / "models" / "syria_coalition.yaml").read_text()
    (project / "models" / "copy.yaml").write_text(text.replace("id: syria-coalition", "id: copy"))
    shutil.copytree(project / "evidence" / "syria-coalition", project / "evidence" / "copy")
    third = project / "models" / "third.yaml"
    third.write_text(text.replace("id: syria-coalition", "id: third"))
    assert (
        main(
            [
                "backfill",
                str(project / "models" / "copy.yaml"),
                "--from",
                "2025-10-27",
                "--to",
                "2025-10-27",
            ]
        )
        == 0
    )
    assert main(["resolve", q(project), "--outcome", "informal", "--date", "2025-11-30"]) == 0
    assert (
        main(
            [
                "resolve",
                str(project / "models" / "copy.yaml"),
                "--outcome",
                "accession",
                "--date",
                "2025-11-30",
            ]
        )
        == 0
    )
    assert main(["resolve", str(third), "--outcome", "collapse", "--date", "2025-11-30"]) == 0
    capsys.readouterr()
    assert (
        main(["score", q(project), str(project / "models" / "copy.yaml"), str(third), "--json"])
        == 0
    )
    card = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in card["questions"]] == ["resolved", "resolved", "no forecasts"]
    assert card["n_resolved"] == 2 and card["calibration"]["n_questions"] == 2
    assert card["calibration"]["n_pairs"] == 8  # four scenarios each
    copy_row = card["questions"][1]
    assert [f["as_of"] for f in copy_row["forecasts"]] == ["2025-10-27"]
    assert copy_row["forecasts"][0]["stood_days"] == 34


def test_an_unreadable_archive_file_is_skipped_and_named_not_fatal(project, capsys):
    (project / "forecasts" / "syria-coalition" / "2025-10-13.nc").write_bytes(b"\0" * 100)
    assert main(["resolve", q(project), "--outcome", "informal", "--date", "2025-11-30"]) == 0
    capsys.readouterr()
    assert main(["score", q(project), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["questions"]
    assert [f["as_of"] for f in row["forecasts"]] == ["2025-10-06", "2025-10-20"]
    assert row["forecasts"][0]["stood_days"] == 14  # until the next usable forecast
    assert any("2025-10-13.nc" in s for s in row["skipped"])
    assert main(["score", q(project)]) == 0
    assert "skipped (unreadable" in capsys.readouterr().out
