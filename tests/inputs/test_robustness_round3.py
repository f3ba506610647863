"""Leftovers of the red-team report (issue 15), round 3: each refused with a located problem and
exit code 2, never a silently wrong forecast or a traceback.

1. A measured (continuous) indicator's spread finer than double precision can hold: an ``sd``
   of 1e-8 to 1e-15 gave 0.5 for each scenario, 1e-300 a ``ZeroDivisionError``; a level's sd of
   1e-14 gave one scenario 0. Every sd of the indicator is now at least ``MIN_SD_SHARE`` of its
   scale (and ``MIN_SD``), every value at most ``1 / MIN_SD_SHARE`` sds; at the bound the
   forecast is the exact-observation limit, under both reliability models.
2. ``forecast run --save`` on a full disk: exit 2 naming the file, nothing left behind.
3. Leaving items out of a measured indicator under the tempered model treated what was left of
   a precision below 1e-12 as rounding: at an item sd of 1e7 every leave-one-out marginal was
   wrong by 30-50 nats (what an update's attribution and surprise check read).
"""

from __future__ import annotations

import errno
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from builders import BUNDLED_QUESTION, continuous, item
from builders import question as build_question
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import forecasting as fc
from forecasting import InputError
from forecasting.cli import EXIT_INPUT, EXIT_OK, main
from forecasting.core.schema import MIN_SD, MIN_SD_SHARE
from forecasting.model.data import ModelData

MODELS = ["tempered", "mixture"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def question_text(model: str, sd: str = "1.0", a: str = "{mean: 0.0, sd: 1.0}", extra="") -> str:
    """A question with one measured indicator ``level`` (line 11: its ``sd``; 13: level a)."""
    return (
        "id: tq\n"
        "title: Tiny spreads\n"
        "scenarios:\n"
        "  a: {label: A}\n"
        "  b: {label: B}\n"
        f"reliability_model: {model}\n"
        "indicators:\n"
        "  level:\n"
        "    kind: continuous\n"
        "    description: a measured level\n"
        f"    sd: {sd}\n"
        "    mean:\n"
        f"      a: {a}\n"
        "      b: {mean: 1.0, sd: 1.0}\n" + extra
    )


def project(tmp_path: Path, text: str, value: str = "0.2") -> Path:
    """models/q.yaml and one ledger item of ``level`` (its value on line 3)."""
    path = write(tmp_path / "models" / "q.yaml", text)
    write(
        tmp_path / "evidence" / "tq" / "e.yaml",
        f"- id: o1\n  indicator: level\n  value: {value}\n  date: 2025-01-01\n  source: s\n",
    )
    return path


def problems_of(call) -> tuple:
    with pytest.raises(InputError) as info:
        call()
    return info.value.problems


# --- 1. spreads finer than double precision ------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("sd", ["1.0e-8", "1.0e-15", "1.0e-300"])
def test_a_measurement_sd_below_the_bound_is_refused_at_its_line(tmp_path, capsys, model, sd):
    """It gave 0.5 for each scenario (1e-8 to 1e-15) or a ZeroDivisionError (1e-300)."""
    path = project(tmp_path, question_text(model, sd=sd))
    (problem,) = problems_of(lambda: fc.load_question(path))
    assert (problem.file, problem.line, problem.field) == (str(path), 11, "indicators.level.sd")
    assert f"sd is {float(sd):.3g}" in problem.message and "at least 1e-05" in problem.message

    code = main(["run", str(path), "--as-of", "2025-02-01"])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and out == "" and "Traceback" not in err
    assert f"{path}:11: indicators.level.sd: sd is" in err


LEVEL_A = ("indicators.level.mean.a", 13)


@pytest.mark.parametrize(
    ("sd", "a", "extra", "where"),
    [
        ("1.0", "{mean: 0.0, sd: 1.0e-14}", "", LEVEL_A),
        ("1.0", "{lower: 1.0, upper: 1.0000000000001, mass: 0.9}", "", LEVEL_A),
        (
            "1.0",
            "{mean: 0.0, sd: 1.0}",
            "    noise: {mean: 0, sd: 1.0e-9}\n",
            ("indicators.level.noise", 15),
        ),
        # a level far finer than one measurement: the catch-all's level spans 3 sds, so the
        # quadrature grid did too, and a level of 1e-5 in it gave 0.93 / 6e-24 for 0.48 / 0.48
        ("1000.0", "{mean: 0.0, sd: 1.0e-5}", "catch_all: {prior: 0.1}\n", LEVEL_A),
    ],
)
def test_a_level_or_noise_sd_below_the_bound_is_refused(tmp_path, sd, a, extra, where):
    """A level's sd of 1e-14 gave its scenario probability 0 under the truth mixture."""
    path = project(tmp_path, question_text("mixture", sd=sd, a=a, extra=extra))
    problems = problems_of(lambda: fc.load_question(path))
    assert [(p.field, p.line) for p in problems] == [where]
    assert "sd is" in problems[0].message and "at least" in problems[0].message


def test_the_smallest_sd_at_all_holds_whatever_the_scale():
    tiny = continuous({"a": (0.0, 1e-20), "b": (0.0, 1e-20)}, sd=1e-20)
    with pytest.raises(InputError) as info:  # located, as the file loader's (issue 17)
        build_question(indicators={"level": tiny})
    text = str(info.value)
    assert "indicators.level.sd: sd is 1e-20" in text and f"at least {MIN_SD:g}" in text
    assert "indicators.level.mean.a: the level's sd is 1e-20" in text
    # at the smallest sd, with everything else as small, the forecast is the limit
    levels = {"a": (0.0, 1e-11), "b": (1e-11, 1e-11)}
    q = build_question(indicators={"level": continuous(levels, sd=MIN_SD)})
    ev = fc.Evidence.from_items([item("o1", "level", 2e-12)], q)
    f = fc.forecast(q, ev, as_of="2025-02-01", confidence=False)
    limit = _limit([0.0, 1e-11], [1e-11] * 2, 2e-12)
    assert float(f.probabilities[0]) == pytest.approx(limit, abs=1e-6)


@pytest.mark.parametrize("model", MODELS)
def test_python_questions_are_held_to_the_same_bound(model):
    with pytest.raises(InputError, match=r"indicators\.level\.sd: sd is 1e-08"):
        build_question(
            indicators={"level": continuous({"a": (0.0, 1.0), "b": (1.0, 1.0)}, sd=1e-8)},
            reliability_model=model,
        )


def test_a_value_beyond_the_bound_in_sds_is_refused_where_it_is_written(tmp_path, capsys):
    """1e12 with sd 1: under the mixture a half-reliable report gave 0.5 for 0.25 (the noise's
    density lost all precision); the tempered model lost it at 1e4 sds of a level of 1e6."""
    path = project(tmp_path, question_text("mixture", sd="1.0"), value="1.0e+12")
    q = fc.load_question(path)
    (problem,) = problems_of(lambda: fc.load_evidence(tmp_path / "evidence" / "tq", q))
    assert (problem.line, problem.field) == (3, "[0].value")
    assert "1e+12 is 1e+12 times its indicator's sd (1)" in problem.message
    assert "at most 100,000 sds" in problem.message
    code = main(["run", str(path), "--as-of", "2025-02-01"])
    _, err = capsys.readouterr()
    assert code == EXIT_INPUT and "Traceback" not in err and ":3: [0].value: " in err
    # the same in Python, and the largest value allowed is fine
    (problem,) = problems_of(lambda: fc.Evidence.from_items([item("o1", "level", -2e5)], q))
    assert problem.field == "[0].value"
    assert fc.Evidence.from_items([item("o1", "level", 0.999 / MIN_SD_SHARE)], q)


def _limit(means, sds, y) -> float:
    """P(scenario a) when ``y`` is the level itself, observed exactly (equal priors)."""
    log_f = stats.norm(np.asarray(means, float), np.asarray(sds, float)).logpdf(y)
    return float(np.exp(log_f[0] - np.logaddexp(log_f[0], log_f[1])))


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("weight", [1.0, 0.5])
def test_at_the_bound_a_measurement_is_an_exact_observation(model, weight):
    """``sd`` = 1e-5 of the scale: the forecast is the limit ``sd -> 0`` (under the tempered
    model ``f(y)^w`` peaks at the level whatever ``w``; under the mixture a genuine report is
    the level itself, a false one noise)."""
    sd = MIN_SD_SHARE * 1.0
    q = build_question(
        indicators={"level": continuous({"a": (0.0, 1.0), "b": (1.0, 1.0)}, sd=sd)},
        reliability_model=model,
    )
    ev = fc.Evidence.from_items([item("o1", "level", 0.2, weight=weight)], q)
    f = fc.forecast(q, ev, as_of="2025-02-01", confidence=False)
    exact = _limit([0.0, 1.0], [1.0, 1.0], 0.2)
    if model == "mixture" and weight < 1:
        fa, fb = stats.norm([0.0, 1.0], 1.0).pdf(0.2)
        g = (fa + fb) / 2
        pa, pb = weight * fa + (1 - weight) * g, weight * fb + (1 - weight) * g
        exact = pa / (pa + pb)
    assert float(f.probabilities[0]) == pytest.approx(exact, abs=1e-8)


@pytest.mark.parametrize("model", MODELS)
def test_forecast_run_at_the_bound_gives_the_limit(tmp_path, capsys, model):
    path = project(tmp_path, question_text(model, sd="1.0e-5"))
    code = main(["run", str(path), "--as-of", "2025-02-01", "--json"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK and "Traceback" not in err, err
    (a, _) = json.loads(out)["scenarios"]
    assert a["probability"] == pytest.approx(_limit([0.0, 1.0], [1.0, 1.0], 0.2), abs=1e-8)


def _reference(q: fc.Question, ev: fc.Evidence, model: str) -> np.ndarray:
    """The posterior in closed form, in a stable arrangement (centred on the data)."""
    data = ModelData.build(q, ev)
    ind = data.indicators[0]
    m, s = ind.prior[:, 0], ind.prior[:, 1]
    sd, y, w = float(ind.spec.sd), ind.values, ind.weights
    if model == "tempered" or np.all(w == 1):
        a = np.sum(w) / sd**2
        ybar = np.sum(w * y) / np.sum(w)
        lm = -0.5 * np.log1p(a * s * s) - a * (ybar - m) ** 2 / (2 * (1 + a * s * s))
    else:  # one report: genuine with probability w, else noise (the prior predictive, mixed)
        (y0,), (w0,) = y, w
        lf = stats.norm(m, np.sqrt(s * s + sd * sd)).logpdf(y0)
        lg = np.log(np.sum(data.prior * np.exp(lf - lf.max()))) + lf.max()
        lm = np.logaddexp(np.log(w0) + lf, np.log1p(-w0) + lg)
    lp = np.log(data.prior) + lm
    return np.exp(lp - np.logaddexp.reduce(lp))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    exponent=st.floats(-9, 14),
    share=st.floats(math.log10(MIN_SD_SHARE), 0),
    spread=st.lists(st.floats(0.02, 1.0), min_size=2, max_size=2),
    offset=st.floats(-1.0, 1.0),
    where=st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=2),
    weight=st.sampled_from([1.0, 0.5]),
    model=st.sampled_from(MODELS),
    catch_all=st.booleans(),
)
def test_any_spread_within_the_bound_gives_the_closed_form(
    exponent, share, spread, offset, where, weight, model, catch_all
):
    """Levels of any size (1e-9 to 1e14), sds down to the bound, values up to the bound in
    sds: both models agree with the closed form, centred on the data, to 1e-6."""
    scale = 10.0**exponent
    sd = max(10.0**share * scale, MIN_SD)
    levels = {"a": (scale, spread[0] * scale), "b": (offset * scale, spread[1] * scale)}
    extra = {"catch_all": {"prior": 0.1}} if catch_all else {}
    q = build_question(
        indicators={"level": continuous(levels, sd=sd)}, reliability_model=model, **extra
    )
    bound = 0.999 * sd / MIN_SD_SHARE
    values = [float(np.clip(scale * (1 + x), -bound, bound)) for x in where]
    weights = [weight] if len(values) == 1 else [1.0] * len(values)
    items = [
        item(f"o{i}", "level", v, weight=w)
        for i, (v, w) in enumerate(zip(values, weights, strict=True))
    ]
    ev = fc.Evidence.from_items(items, q)
    f = fc.forecast(q, ev, as_of="2025-02-01", confidence=False)
    np.testing.assert_allclose(f.probabilities.values, _reference(q, ev, model), atol=1e-6)


# --- 2. run --save on a full disk ----------------------------------------------------------------


def _half_then_full(self, path, *args, **kwargs):
    Path(path).write_bytes(b"\x89HDF half")
    raise OSError(errno.ENOSPC, "No space left on device")


def _hdf_error(self, path, *args, **kwargs):  # what netCDF really raises on a full disk
    Path(path).write_bytes(b"\x89HDF half")
    raise RuntimeError("NetCDF: HDF error")


@pytest.mark.parametrize("fault", [_half_then_full, _hdf_error], ids=["ENOSPC", "HDF error"])
def test_run_save_on_a_full_disk_exits_2_naming_the_file(tmp_path, capsys, monkeypatch, fault):
    """It was exit 1, "internal error", ``RuntimeError: NetCDF: HDF error`` (and an ENOSPC said
    "1 problem in the input; nothing was forecast")."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    saved = out_dir / "forecast.nc"
    saved.write_bytes(b"last week's forecast")
    monkeypatch.setattr(xr.DataTree, "to_netcdf", fault)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9, 0))
    code = main(["run", str(BUNDLED_QUESTION), "--as-of", "2025-10-27", "--save", str(saved)])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and "Traceback" not in err and "internal error" not in err
    assert f"cannot write {saved}: the disk is full" in err and "nothing was left" in err
    assert "problem in the input" not in err
    assert [p.name for p in out_dir.iterdir()] == ["forecast.nc"]  # no temporary file left
    assert saved.read_bytes() == b"last week's forecast"  # and the old file not replaced


def test_run_save_when_netcdf_fails_with_room_left_is_a_located_error(
    tmp_path, capsys, monkeypatch
):
    saved = tmp_path / "forecast.nc"
    monkeypatch.setattr(xr.DataTree, "to_netcdf", _hdf_error)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**12, 0, 10**12))
    code = main(["run", str(BUNDLED_QUESTION), "--as-of", "2025-10-27", "--save", str(saved)])
    _, err = capsys.readouterr()
    assert code == EXIT_INPUT and "Traceback" not in err
    assert f"{saved}: --save: cannot write the file: netCDF could not write the file" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("scale", [1.0, 1e7, 1e12])
def test_leaving_out_a_measurement_of_any_scale_equals_the_refit(scale):
    q = build_question(
        ("a", "b"),
        indicators={
            "gdp": continuous({"a": (0.0, 3 * scale), "b": (4 * scale, 3 * scale)}, sd=scale)
        },
    )
    rows = [
        item(f"g{i}", "gdp", v * scale, weight=w)
        for i, (v, w) in enumerate([(1.2, 1.0), (3.1, 0.5), (2.0, 0.8)])
    ]
    ind = ModelData.build(q, fc.Evidence.from_items(rows, q)).indicators[0]
    loo = ind.model.loo()
    for i in range(len(rows)):
        kept = fc.Evidence.from_items([r for j, r in enumerate(rows) if j != i], q)
        refit = ModelData.build(q, kept).indicators[0].model.log_marginal()
        np.testing.assert_allclose(loo[i], refit, rtol=1e-9, atol=1e-9)
        drop = np.arange(len(rows)) == i
        np.testing.assert_allclose(ind.model.without(drop), refit, rtol=1e-9, atol=1e-9)
