"""The static copy of the bundled question that most tests use cannot drift from the real one."""

from __future__ import annotations

import numpy as np
from builders import BUNDLED_EVIDENCE, BUNDLED_FILE, BUNDLED_QUESTION, static_bundled_text

import forecasting as fc
from forecasting.core.paths import project_root


def test_the_static_copy_is_the_bundled_question_without_its_dynamics():
    assert BUNDLED_QUESTION.read_text(encoding="utf-8") == static_bundled_text()
    real = fc.load_question(BUNDLED_FILE).to_dict()
    static = fc.load_question(BUNDLED_QUESTION).to_dict()
    assert real.pop("dynamics")["period_days"] == 30
    assert "dynamics" not in static
    assert static == real  # the same id, scenarios, likelihoods, relays: only the dynamics differ


def test_the_static_copy_finds_the_bundled_evidence_and_analysts():
    root = project_root(BUNDLED_QUESTION)
    assert (root / "evidence" / "syria-coalition").resolve() == BUNDLED_EVIDENCE.resolve()
    q = fc.load_question(BUNDLED_QUESTION)
    assert fc.load_evidence(None, q).ids == fc.load_evidence(BUNDLED_EVIDENCE, q).ids
    analysts = fc.forecast_analysts(BUNDLED_QUESTION, as_of="2025-10-27", confidence=False)
    assert set(analysts.analysts) == {"leverage", "sdf_impasse", "trust_gap"}


def test_with_every_stay_one_the_bundled_question_is_its_static_copy():
    """The cross-check of the bundled question's dynamic numbers: its dynamics with no moves."""
    body = fc.load_question(BUNDLED_FILE).to_dict()
    for row in body["dynamics"]["transitions"].values():
        row["stay"] = 1.0
    frozen = fc.forecast(fc.Question.model_validate(body), BUNDLED_EVIDENCE, as_of="2025-10-27")
    static = fc.forecast(BUNDLED_QUESTION, as_of="2025-10-27", confidence=False)
    np.testing.assert_allclose(frozen.probabilities.values, static.probabilities.values, atol=1e-12)
    np.testing.assert_allclose(frozen.now.values, static.probabilities.values, atol=1e-12)
