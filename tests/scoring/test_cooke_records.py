"""Cooke weights from the resolved questions beside a question (`--weights cooke`)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_FILE, BUNDLED_QUESTION, ROOT

import forecasting as fc
from forecasting.cli import main
from forecasting.core.cooke import NO_RECORDS
from forecasting.core.errors import InputError
from forecasting.scoring.cooke import resolved_records

ANALYSTS = ["leverage", "sdf_impasse", "trust_gap"]


@pytest.fixture
def project(tmp_path):
    """The bundled question as shipped (the one its archive was made with), and a copy of it
    ('syria-past', with two of the three overlays)."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(BUNDLED_FILE, models)
    shutil.copytree(ROOT / "models" / "syria_coalition", models / "syria_coalition")
    text = BUNDLED_FILE.read_text(encoding="utf-8")
    (models / "syria_past.yaml").write_text(
        text.replace("id: syria-coalition", "id: syria-past"), encoding="utf-8"
    )
    (models / "syria_past" / "analysts").mkdir(parents=True)
    for name in ANALYSTS[:2]:  # trust_gap has no overlay for the past question
        overlay = (models / "syria_coalition" / "analysts" / f"{name}.yaml").read_text("utf-8")
        (models / "syria_past" / "analysts" / f"{name}.yaml").write_text(
            overlay.replace("question: syria-coalition", "question: syria-past"), "utf-8"
        )
    for qid in ("syria-coalition", "syria-past"):
        shutil.copytree(BUNDLED_EVIDENCE, tmp_path / "evidence" / qid)
        shutil.copytree(ROOT / "forecasts" / "syria-coalition", tmp_path / "forecasts" / qid)
    return tmp_path


def test_no_resolved_question_is_a_located_refusal(project, capsys):
    q = str(project / "models" / "syria_coalition.yaml")
    assert resolved_records(q, ANALYSTS) == {a: [] for a in ANALYSTS}
    with pytest.raises(InputError, match=NO_RECORDS):
        fc.forecast_analysts(q, as_of="2025-10-27", weights="cooke", confidence=False)
    assert main(["run", q, "--as-of", "2025-10-27", "--analysts", "all", "--weights", "cooke"]) == 2
    assert "weights: no resolved questions to weigh the analysts by" in capsys.readouterr().err


def test_records_are_the_analysts_forecasts_before_the_resolution(project, capsys):
    q = str(project / "models" / "syria_coalition.yaml")
    past = str(project / "models" / "syria_past.yaml")
    fc.resolve(past, outcome="informal", date="2025-10-25")
    records = resolved_records(q, ANALYSTS)
    # one record per analyst: the last archived forecast before 2025-10-25 is of 2025-10-20
    assert all(len(records[a]) == 1 for a in ANALYSTS)
    then = fc.forecast_analysts(past, as_of="2025-10-20", analysts=ANALYSTS[:2], confidence=False)
    for i, a in enumerate(ANALYSTS[:2]):
        probabilities, outcome = records[a][0]
        assert outcome == "informal"
        np.testing.assert_allclose(
            list(probabilities.values()), then.probabilities.probability.values[i], rtol=1e-12
        )
    shared = records["trust_gap"][0][0]  # no overlay for the past question: the shared one
    np.testing.assert_allclose(list(shared.values()), then.probabilities.shared.values)
    every = resolved_records(q, ANALYSTS, every_forecast=True)
    assert all(len(every[a]) == 3 for a in ANALYSTS)

    r = fc.forecast_analysts(
        q, as_of="2025-10-27", weights="cooke", records=records, confidence=False
    )
    perf = r.performance
    assert r.weighting == "cooke" and perf["method"] == "cooke"
    w = np.array([a["combined"] for a in perf["analysts"]])
    w = w * (np.array([a["calibration"] for a in perf["analysts"]]) >= perf["alpha"])
    np.testing.assert_allclose(r.probabilities.weight.values, w / w.sum(), rtol=1e-12)
    assert r.to_dict()["weighting"] == "cooke"

    assert (
        main(
            ["run", q, "--as-of", "2025-10-27", "--analysts", "all", "--weights", "cooke", "--json"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["weighting"] == "cooke"
    np.testing.assert_allclose(
        [a["weight"] for a in out["analysts"]], r.probabilities.weight.values, rtol=1e-12
    )


def test_records_and_cutoff_go_with_cooke_weights():
    with pytest.raises(InputError, match="go with weights='cooke'"):
        fc.forecast_analysts(
            BUNDLED_QUESTION, as_of="2025-10-27", records={"leverage": []}, confidence=False
        )
    with pytest.raises(InputError, match="'levrage' is not one of the analysts"):
        fc.forecast_analysts(
            BUNDLED_QUESTION,
            as_of="2025-10-27",
            weights="cooke",
            records={"levrage": [((0.5, 0.5, 0, 0), 0)]},
            confidence=False,
        )
