"""Analyses as JSON: Datasets turned into records keyed by the question's and the ledger's ids."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def dataset_records(ds) -> dict[str, Any]:
    """A Dataset as JSON: a list of records along its first non-scenario dimension.

    Variables with a ``scenario`` dimension become ``{scenario: value}`` mappings, so the ids
    are those of the question and the evidence.
    """
    dims = [d for d in ds.dims if d not in ("scenario", "ci_bound")]
    attrs = {k: plain(v) for k, v in ds.attrs.items()}
    if not dims:
        return {"attrs": attrs, "values": {n: plain(ds[n].values) for n in ds.data_vars}}
    row_dim = dims[0]
    records = []
    for n in range(ds.sizes[row_dim]):
        row = ds.isel({row_dim: n})
        rec: dict[str, Any] = {row_dim: plain(row[row_dim].values)}
        for name in row.coords:
            if name != row_dim and row[name].dims == ():
                rec[name] = plain(row[name].values)
        for name, var in row.data_vars.items():
            if "scenario" in var.dims and var.ndim == 1:
                rec[name] = {
                    str(s): plain(v)
                    for s, v in zip(row["scenario"].values, var.values, strict=True)
                }
            elif var.ndim == 0:
                rec[name] = plain(var.values)
            else:
                rec[name] = plain(np.asarray(var.values))
        records.append(rec)
    return {"attrs": attrs, row_dim: records}


def plain(v: Any) -> Any:
    """A value as JSON takes it: numpy scalars and arrays as Python ones, NaN as ``None``."""
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return plain(v.item())
        return [plain(x) for x in v.tolist()]
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def bounds(pair: Any) -> dict[str, float] | None:
    """``{"lower", "upper"}`` of a stored range; ``None`` where the forecast has none (NaN)."""
    lo, hi = (float(x) for x in pair)
    return None if math.isnan(lo) or math.isnan(hi) else {"lower": lo, "upper": hi}
