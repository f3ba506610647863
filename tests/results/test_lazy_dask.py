"""A forecast made without importing Dask, and Dask arrays still Dask arrays once it is used."""

from __future__ import annotations

import json
import subprocess
import sys

from builders import BUNDLED_QUESTION

SCRIPT = """
import json, sys
from forecasting.cli import main
code = main(["run", sys.argv[1], "--as-of", "2025-10-27", "--json"])
before = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))
import dask.array as da
import xarray as xr
from xarray.namedarray.pycompat import array_type
from xarray.namedarray.utils import is_duck_dask_array
arr = xr.DataArray(da.ones((4, 3), chunks=2), dims=("a", "b"))
print(json.dumps({
    "code": code,
    "before": before,
    "chunks": [list(c) for c in arr.chunks],
    "dask_type": [t.__name__ for t in array_type("dask")],
    "is_dask": bool(is_duck_dask_array(arr.data)),
    "lazy_sum": type((arr * 2).sum("a").data).__module__.split(".")[0],
    "value": float((arr * 2).sum().compute()),
}))
"""


def test_forecast_run_imports_no_dask_and_dask_arrays_stay_lazy():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(BUNDLED_QUESTION)],
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["code"] == 0
    assert got["before"] == []  # 0.16 s of every forecast (forecasting/core/lazy_dask.py)
    assert got["chunks"] == [[2, 2], [2, 1]]
    assert got["dask_type"] == ["Array"]
    assert got["is_dask"]
    assert got["lazy_sum"] == "dask"
    assert got["value"] == 24.0
