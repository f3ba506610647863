"""The forecast file: a round trip keeps every group and attribute; other files are refused."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from builders import binary, categorical, continuous, count, evidence, item, question

import forecasting as fc


@pytest.fixture
def forecast():
    q = question(
        ("a", "b", "c"),
        prior=(0.5, 0.3, 0.2),
        indicators={
            "ops": count({"a": (6, 2), "b": (3, 2), "c": (1, 2)}),
            "fact": binary({"a": (6, 2), "b": (3, 3), "c": (2, 5)}),
            "state": categorical(("x", "y"), {"a": (4, 2), "b": (2, 3), "c": (1, 2)}),
            "level": continuous({"a": (1.0, 1.0), "b": (0.0, 1.0), "c": (-1.0, 2.0)}),
        },
    )
    items = [
        item("o1", "ops", 4, exposure=1.5, weight=0.8),
        item("f1", "fact", True, weight=0.64),
        item("s1", "state", "x", weight=0.8),
        item("l1", "level", 0.4, weight=0.9),
    ]
    return fc.forecast(q, evidence(q, items), as_of="2025-06-01", draws=500)


def test_save_and_load_round_trip(forecast, tmp_path):
    g = fc.Forecast.load(forecast.save(tmp_path / "f.nc"))
    assert g.to_json() == forecast.to_json()
    for group in forecast.tree.children:
        xr.testing.assert_identical(g.tree[group].to_dataset(), forecast.tree[group].to_dataset())
    assert g.tree.attrs == forecast.tree.attrs


def test_reading_only_the_forecast_and_confidence_groups(forecast, tmp_path):
    path = forecast.save(tmp_path / "f.nc")
    light = fc.Forecast.load(path, groups=("forecast", "confidence"))
    assert set(light.tree.children) == {"forecast", "confidence"}
    assert light.to_json() == forecast.to_json()
    bare = fc.Forecast.load(path, groups=("forecast",))
    assert bare.confidence is None and bare.to_dict()["confidence"] is None
    np.testing.assert_array_equal(light.probabilities.values, forecast.probabilities.values)
    assert light.evidence().sha256() == forecast.evidence().sha256()


def test_loading_something_else_says_what_is_wrong(tmp_path):
    path = tmp_path / "other.nc"
    xr.Dataset({"x": ("i", [1.0, 2.0])}).to_netcdf(path)
    with pytest.raises(fc.ForecastingError, match="not a forecast saved by this package"):
        fc.Forecast.load(path)
    with pytest.raises(fc.ForecastingError, match="not a forecast saved by this package"):
        fc.Forecast.load(path, groups=("forecast",))
    (tmp_path / "junk.nc").write_text("hello")
    with pytest.raises(fc.ForecastingError, match="not a readable forecast file"):
        fc.Forecast.load(tmp_path / "junk.nc")


def test_origins_are_kept_and_counted(forecast, tmp_path):
    """Relayed items keep who first reported them; a forecast counts the independent origins."""
    q = forecast.question_spec()
    items = [
        item("o1", "ops", 4, exposure=1.5, source="Enab Baladi"),
        item("f1", "fact", True, source="Levant24"),
        item("s1", "state", "x", source="Reuters"),
    ]
    items[0] |= {"origin": "MEI", "via": ["Enab Baladi"], "event": "mei-report-ops"}
    items[1] |= {"origin": "MEI", "via": ["Levant24", "Syria TV"]}
    f = fc.forecast(q, evidence(q, items), as_of="2025-06-01", draws=200)
    assert f.origins == ["MEI", "Reuters"]
    assert f.to_dict()["evidence"] | {"used": None} == {
        "used": None,
        "n_items": 3,
        "n_origins": 2,
        "origins": ["MEI", "Reuters"],
        "excluded": [],
    }
    f.save(tmp_path / "f.nc")
    back = fc.Forecast.load(tmp_path / "f.nc")
    assert [(it.origin, it.via, it.event) for it in back.evidence().items] == [
        ("MEI", ("Enab Baladi",), "mei-report-ops"),
        ("MEI", ("Levant24", "Syria TV"), None),
        ("Reuters", (), None),
    ]
    from forecasting.presentation.tables import format_table

    assert "3 items from 2 independent origins" in format_table(back)


def test_recorded_versions_are_the_installed_ones():
    """Versions read from imported modules are the installed metadata's, for every engine."""
    from importlib import metadata

    import pymc  # noqa: F401  (imported, so its module's own version is the one read)

    from forecasting.results.assemble import versions

    for engine in ("exact", "mcmc"):
        for name, got in versions(engine).items():
            if name == "python":
                continue
            try:
                want = metadata.version(name)
            except metadata.PackageNotFoundError:
                want = "absent"
            assert got == want, name
