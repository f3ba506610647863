"""Ageing: a report's bearing on the current state halves every ``half_life_days``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import yaml
from builders import binary, count, item, question

import forecasting as fc
from forecasting.cli import main
from forecasting.core.errors import InputError
from forecasting.model.data import ModelData

D = dt.date(2025, 6, 1)
EXIT_INPUT = 2


def _q(model="mixture", **extra):
    return question(
        indicators={
            "fact": binary({"a": (8, 2), "b": (2, 8)}),
            "ops": count({"a": (2, 1), "b": (8, 1)}, per_days=7),
        },
        reliability_model=model,
        **extra,
    )


def _marginals(q, rows, as_of=D):
    ev = fc.Evidence.from_items(rows, q).as_of(as_of)
    return ModelData.build(q, ev).log_marginals()


@pytest.mark.parametrize("model", ["mixture", "tempered"])
def test_one_half_life_old_equals_a_fresh_report_of_half_the_reliability(model):
    q = _q(model, half_life_days=10.0)
    old = item("f1", "fact", True, weight=0.8, date=D) | {"occurred": D - dt.timedelta(days=10)}
    fresh = item("f1", "fact", True, weight=0.4, date=D)
    np.testing.assert_allclose(_marginals(q, [old]), _marginals(_q(model), [fresh]), atol=1e-13)
    # a count is dated by its window's end, not by when it was reported
    window = (D - dt.timedelta(days=37), D - dt.timedelta(days=20))
    aged = item("o1", "ops", 3, weight=0.9, date=D, window=window)
    same = item("o1", "ops", 3, weight=0.225, date=D, window=window)
    np.testing.assert_allclose(_marginals(q, [aged]), _marginals(_q(model), [same]), atol=1e-13)


def test_without_a_half_life_nothing_ages():
    q = _q()
    rows = [item("f1", "fact", True, weight=0.8, date=D - dt.timedelta(days=300))]
    np.testing.assert_array_equal(_marginals(q, rows), _marginals(q, rows, D - dt.timedelta(300)))
    data = ModelData.build(q, fc.Evidence.from_items(rows, q).as_of(D))
    assert np.all(data.indicators[0].item_ageing == 1.0)


def test_an_indicator_half_life_overrides_the_question_default():
    q = question(
        indicators={
            "fact": binary({"a": (8, 2), "b": (2, 8)}) | {"half_life_days": 5.0},
            "ops": count({"a": (2, 1), "b": (8, 1)}, per_days=7),
        },
        reliability_model="mixture",
        half_life_days=20.0,
    )
    rows = [
        item("f1", "fact", True, weight=0.8, date=D - dt.timedelta(days=10)),
        item("o1", "ops", 3, window=(D - dt.timedelta(30), D - dt.timedelta(20)), date=D),
    ]
    data = ModelData.build(q, fc.Evidence.from_items(rows, q).as_of(D))
    assert data.indicator("fact")[1].item_ageing[0] == pytest.approx(0.25)
    assert data.indicator("ops")[1].item_ageing[0] == pytest.approx(0.5)


def _ceasefire(half_life):
    extra = {} if half_life is None else {"half_life_days": half_life}
    return question(
        scenarios=("holds", "collapse"),
        indicators={"clashes": count({"holds": (2, 2), "collapse": (16, 2)}, per_days=7)},
        reliability_model="mixture",
        **extra,
    )


def _weeks_to_pass(q, threshold=0.8):
    """Weeks of fighting (8 clashes a week) after 16 calm weeks (1 a week) until P(collapse)
    passes ``threshold``."""
    start = dt.date(2025, 1, 6)
    rows = []
    for w in range(16 + 16):
        end = start + dt.timedelta(weeks=w + 1)
        rows.append(
            item(
                f"w{w}",
                "clashes",
                1 if w < 16 else 8,
                date=end,
                window=(end - dt.timedelta(7), end),
            )
        )
        if w >= 16:
            p = fc.forecast(q, fc.Evidence.from_items(rows, q), as_of=end, confidence=False)
            if p.probabilities.sel(scenario="collapse").item() > threshold:
                return w - 15
    return None


def test_half_lives_recover_from_a_stale_pattern_faster():
    """16 calm weeks then fighting: the calm weeks keep a static question on 'holds' longer."""
    static = _weeks_to_pass(_ceasefire(None))
    aged = _weeks_to_pass(_ceasefire(21.0))
    assert aged is not None and static is not None
    assert aged < static
    # the figures the README quotes
    assert (aged, static) == (2, 13)


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [("question", 0, "half_life_days"), ("indicator", -3.0, "half_life_days")],
)
def test_a_half_life_that_is_not_positive_is_a_located_error(tmp_path, capsys, where, value, field):
    q = _q().to_dict()
    if where == "question":
        q["half_life_days"] = value
    else:
        q["indicators"]["fact"]["half_life_days"] = value
    path = tmp_path / "models" / "test-q.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(q))
    with pytest.raises(InputError) as info:
        fc.load_question(path)
    (problem,) = info.value.problems
    assert problem.field.endswith("half_life_days") and problem.line is not None
    (tmp_path / "evidence" / "test-q").mkdir(parents=True)
    code = main(["run", str(path), "--as-of", "2025-06-01"])
    _, err = capsys.readouterr()
    assert code == EXIT_INPUT and "Traceback" not in err
    assert f"{field}" in err and "greater than 0" in err and "test-q.yaml:" in err


def test_occurred_after_the_report_or_on_a_windowed_count_is_refused():
    q = _q()
    late = item("f1", "fact", True, date=D) | {"occurred": D + dt.timedelta(days=1)}
    windowed = item("o1", "ops", 2, date=D, window=(D - dt.timedelta(7), D)) | {"occurred": D}
    with pytest.raises(InputError) as info:
        fc.Evidence.from_items([late, windowed], q)
    messages = [p.message for p in info.value.problems]
    assert any("after the item's date" in m for m in messages)
    assert any("remove 'occurred'" in m for m in messages)


def test_the_weekly_change_names_the_ageing_and_its_parts_add_up():
    q = _q(half_life_days=14.0)
    rows = [
        item("f1", "fact", True, weight=0.9, date=D),
        item("o1", "ops", 6, date=D + dt.timedelta(7), window=(D, D + dt.timedelta(7))),
    ]
    ev = fc.Evidence.from_items(rows, q)
    before = fc.forecast(q, ev, as_of=D, confidence=False)
    after = fc.forecast(q, ev, as_of=D + dt.timedelta(14), confidence=False)
    from forecasting.analyses.attribution import attribute

    out = attribute(before, after)
    kinds = list(out.parts.change_kind.values)
    assert "ageing" in kinds and "new" in kinds
    np.testing.assert_allclose(out.parts.contribution.values.sum(0), out.total, atol=1e-9)
    aged = out.parts.contribution.values[kinds.index("ageing")]
    assert aged[0] < 0  # the old 'yes' pointed to a; its fading moves a down
