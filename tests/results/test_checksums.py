"""The checksum of a forecast file's content: every read checks it, so a damaged or edited file
is never shown as sound; it is no signature, and `verify`'s recomputation catches a forger."""

from __future__ import annotations

import gc
import json
import random
import shutil

import netCDF4
import numpy as np
import pytest
from builders import ROOT, binary, count, evidence, item, question

import forecasting as fc
from forecasting.cli import main
from forecasting.pipeline.archive import Archive
from forecasting.results.files import (
    ALGORITHM_ATTR,
    CHECKSUM_ATTR,
    ChecksumError,
    NewerFormatError,
    read_tree,
    read_tree_checked,
)

#: Single-bit flips tried: one in each of as many equal slices of the file's bytes outside long
#: runs of zeros (its superblock, object headers, attributes, B-trees and heaps, compressed
#: and plain data), and some in those runs (mostly space HDF5 reserved but did not use: about
#: half the file). A whole read costs about 45 ms on a quiet machine. Once, 2,000 flips (1,800
#: and 200): 1,548 unreadable, 116 caught by the checksum, 336 harmless, none read silently.
FLIPS = (170, 30)
DAMAGED = "its content does not match its checksum: the file was changed or damaged"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A small forecast of the exact engine, saved once: (forecast, path, the file's bytes)."""
    q = question(
        ("a", "b"),
        prior=(0.6, 0.4),
        indicators={
            "ops": count({"a": (6, 2), "b": (3, 2)}),
            "fact": binary({"a": (6, 2), "b": (3, 3)}),
        },
    )
    items = [item("o1", "ops", 4, exposure=1.5, weight=0.8), item("f1", "fact", True, weight=0.6)]
    f = fc.forecast(q, evidence(q, items), as_of="2025-06-01", draws=100)
    path = f.save(tmp_path_factory.mktemp("checksums") / "2025-06-01.nc")
    return f, path, path.read_bytes()


@pytest.fixture
def copy(written, tmp_path):
    """A fresh copy of the written file, in an archive folder of its question."""
    folder = tmp_path / "forecasts" / "test-q"
    folder.mkdir(parents=True)
    return shutil.copy(written[1], folder / "2025-06-01.nc")


def edit_in_place(path, change) -> None:
    """Change a file with netCDF itself, as an editor would (the checksum is not recomputed)."""
    with netCDF4.Dataset(path, "r+") as ds:
        change(ds)


def same_content(a, b) -> bool:
    if set(a.children) != set(b.children) or a.attrs != b.attrs:
        return False
    return all(a[g].to_dataset().identical(b[g].to_dataset()) for g in a.children)


def test_the_same_forecast_written_twice_gives_the_same_bytes(written, tmp_path):
    f, path, data = written
    assert f.save(tmp_path / "again.nc").read_bytes() == data
    tree, checksum = read_tree_checked(path)
    assert checksum.state == "matches"
    # the checksum is the file's, not the forecast's: neither in memory nor read back
    assert CHECKSUM_ATTR not in f.tree.attrs and CHECKSUM_ATTR not in tree.attrs
    assert same_content(tree, f.tree)
    with netCDF4.Dataset(path) as ds:  # closed now, not by the garbage collector (see below)
        recorded = json.loads(ds.getncattr(CHECKSUM_ATTR))
    assert set(recorded) == {"/"} | {f"/{g}" for g in f.tree.children}


def test_no_single_bit_flip_reads_silently(written, tmp_path):
    """Every flip is refused with the file's name, caught by the checksum, or harmless (the
    content read is exactly what was written: the bit was in unused space)."""
    _, _, data = written
    reference = read_tree(written[1])
    rng = random.Random(15)
    found = {"unreadable": 0, "checksum": 0, "harmless": 0}
    silent = []
    gc.freeze()  # each failed read collects garbage: only what this loop makes, not the session's
    try:
        _flip_each(data, rng, reference, tmp_path, found, silent)
    finally:
        gc.unfreeze()
    assert silent == [], f"read without error, content changed: bytes {silent} ({found})"
    assert found["checksum"] > 0 and found["unreadable"] > 0, found


def _flip_each(data, rng, reference, tmp_path, found, silent) -> None:
    for pos in flip_positions(data, rng):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rng.randrange(8)
        path = tmp_path / f"{pos}.nc"  # a new file (the archive never writes one in place)
        path.write_bytes(flipped)
        try:
            tree = read_tree(path)
        except ChecksumError as exc:
            assert str(exc).startswith(f"{path}: {DAMAGED}"), exc
            found["checksum"] += 1
        except fc.ForecastingError as exc:
            assert str(exc).startswith(f"{path}: "), exc
            found["unreadable"] += 1
            if found["unreadable"] <= 5:
                assert not left_open(), f"{path} is still open after a failed read"
        else:
            if same_content(tree, reference):
                found["harmless"] += 1
            else:
                silent.append(pos)


def flip_positions(data: bytes, rng: random.Random) -> list[int]:
    """Where to flip a bit: spread evenly over the bytes outside and inside runs of zeros."""
    zeros = np.frombuffer(data, np.uint8) == 0
    in_run = np.zeros(len(data), bool)
    edges = np.flatnonzero(np.diff(np.r_[0, zeros.astype(np.int8), 0]))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start >= 64:
            in_run[start:end] = True
    out = []
    for where, n in zip((np.flatnonzero(~in_run), np.flatnonzero(in_run)), FLIPS, strict=True):
        step = len(where) / n
        out += [int(where[int(k * step + rng.random() * step)]) for k in range(n)]
    return out


def left_open() -> list[netCDF4.Dataset]:
    """NetCDF files still open: xarray left a damaged one open, closed by the garbage
    collector at any later time, perhaps inside another netCDF call (a segmentation fault)."""
    return [x for x in gc.get_objects() if type(x) is netCDF4.Dataset and x.isopen()]


def test_an_edited_number_is_caught_by_every_read(written, copy):
    edit_in_place(copy, lambda ds: ds["forecast"]["probability"].__setitem__(0, 0.9))
    for groups in (None, ("forecast",), ("forecast", "confidence")):
        with pytest.raises(ChecksumError, match=f"{DAMAGED} after it was written \\(in /forecast"):
            read_tree(copy, groups=groups)
    # the archive names it, and an update's check moves it into quarantine/
    archive = Archive(copy.parent.parent)
    (bad,) = archive.check("test-q").unreadable
    assert bad.reason.startswith(DAMAGED) and bad.moved_to is None
    hist = archive.history("test-q")
    assert hist.attrs["unreadable"] == [str(copy)] and hist.sizes["as_of"] == 0
    before = copy.read_bytes()
    (moved,) = archive.check("test-q", quarantine=True).unreadable
    assert moved.moved_to.read_bytes() == before and not copy.exists()
    assert DAMAGED in moved.moved_to.with_name(moved.moved_to.name + ".txt").read_text()


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda ds: ds.delncattr(ALGORITHM_ATTR), "the attribute 'checksum_algorithm' is missing"),
        (lambda ds: ds.setncattr(ALGORITHM_ATTR, "md5"), "unknown checksum algorithm 'md5'"),
        (lambda ds: ds.setncattr(CHECKSUM_ATTR, "{}"), "in /, /confidence"),
        (lambda ds: ds.setncattr("format_version", 99), "in /)"),  # damage, not a newer file
        (lambda ds: ds.setncattr("note", "added"), "in /)"),
        (lambda ds: ds["posterior"].renameVariable("pi", "pj"), "in /posterior"),
    ],
)
def test_what_a_checksum_mismatch_says(copy, change, detail):
    edit_in_place(copy, change)
    with pytest.raises(ChecksumError) as caught:
        read_tree(copy)
    assert detail in str(caught.value)


def test_a_file_without_a_checksum_still_reads(written, copy):
    """Files written before checksums existed (format 2 and 3) read as before."""
    edit_in_place(copy, lambda ds: (ds.delncattr(CHECKSUM_ATTR), ds.delncattr(ALGORITHM_ATTR)))
    tree, checksum = read_tree_checked(copy)
    assert checksum.state == "missing" and "written before" in checksum.describe()
    assert same_content(tree, written[0].tree)
    old = ROOT / "tests" / "pipeline" / "data" / "made-before-origins-2025-10-20.nc"
    assert read_tree_checked(old, groups=("forecast",))[1].state == "missing"


def test_a_newer_file_is_newer_not_damaged(written, tmp_path):
    """A newer package may hash otherwise: its files are left in place, not quarantined."""
    tree = written[0].tree.copy()
    tree.attrs["format_version"] = 4
    path = fc.Forecast(tree).save(tmp_path / "newer.nc")
    edit_in_place(path, lambda ds: ds.setncattr(ALGORITHM_ATTR, "sha3-canonical-tree-2"))
    with pytest.raises(NewerFormatError, match="written by a newer version"):
        read_tree(path)


def test_verify_says_the_checksum_and_still_catches_a_forger(written, copy, tmp_path, capsys):
    f = written[0]
    # an editor who does not recompute the checksum: said, and the rerun says what differs
    edit_in_place(copy, lambda ds: ds["forecast"]["prior"].__setitem__(0, 0.7))
    assert main(["verify", str(copy)]) == 3
    out = capsys.readouterr().out
    assert f"differs: checksum: {DAMAGED}" in out and "forecast/prior" in out, out

    # a forger who recomputes it (saves the edited forecast): sound to read, caught by the rerun
    tree = f.tree.copy(deep=True)
    tree["forecast"]["prior"].values[0] = 0.7
    forged = fc.Forecast(tree).save(tmp_path / "forged.nc")
    assert read_tree_checked(forged)[1].state == "matches"
    assert main(["verify", str(forged), "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["checksum"] == {"state": "matches", "detail": ""} and not out["reproduces"]
    assert any("forecast/prior" in d for d in out["differences"]), out["differences"]
    np.testing.assert_array_equal(fc.Forecast.load(forged).tree["forecast"]["prior"][0], 0.7)


def test_floats_are_compressed_only_where_a_sample_of_them_shrinks(tmp_path):
    """Posterior draws hardly compress (83-88%) and cost the most to compress (7.2 s of a
    300-scenario question's update): written plain. Values that do compress (a mostly
    constant table) and small variables are compressed; either way they read back exactly."""
    import netCDF4
    import numpy as np
    import xarray as xr

    from forecasting.results.files import write_tree

    rng = np.random.default_rng(0)
    draws = rng.gamma(3.0, 1.0, (1, 4000, 40))
    flat = np.zeros((4000, 40))
    flat[::97] = 1.5
    tree = xr.DataTree.from_dict(
        {
            "/posterior": xr.Dataset({"draws": (("chain", "draw", "s"), draws)}),
            "/other": xr.Dataset({"flat": (("x", "y"), flat), "small": (("z",), rng.random(50))}),
        }
    )
    path = tmp_path / "t.nc"
    write_tree(tree, path)
    with netCDF4.Dataset(path) as nc:
        assert not nc["posterior"]["draws"].filters()["zlib"]
        assert nc["other"]["flat"].filters()["zlib"]
        assert nc["other"]["small"].filters()["zlib"]
    back = xr.open_datatree(path).load()
    np.testing.assert_array_equal(back["posterior"]["draws"].values, draws)
    np.testing.assert_array_equal(back["other"]["flat"].values, flat)
