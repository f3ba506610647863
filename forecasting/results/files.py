"""A forecast's NetCDF file: written atomically, read back with checks.

One file holds the whole DataTree (every group, lossless zlib compression of the floats) and
the root's JSON attributes; :data:`FORMAT_VERSION` says which layout it has.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.atomic import naming
from ..core.dims import CI_BOUND
from ..core.errors import ForecastingError

#: The layout of the files this version writes (readers refuse newer ones).
#: 2: analytic confidence (the ``confidence`` group) in place of the ``interval``, which
#: stays, renamed to what it is, as ``forecast/interval_if_parameters_known``.
#: 3: ``log_likelihood`` is ArviZ's pointwise log-likelihood (chain, draw, item); the values
#: per scenario moved to ``log_likelihood_scenario``.
FORMAT_VERSION = 3


#: ArviZ's group: each item's pointwise log-likelihood ``(chain, draw, item)``, the scenario
#: summed out (what ``az.loo`` and ``psense`` read).
LOG_LIKELIHOOD = "log_likelihood"
#: Each item's log-likelihood share under each scenario ``(chain, draw, scenario, item)``.
#: Files written before it existed hold it as ``log_likelihood`` (kept as written: they verify
#: as they are; :meth:`.Forecast.log_likelihood_by_scenario` finds it in either place).
LOG_LIKELIHOOD_SCENARIO = "log_likelihood_scenario"
POINTWISE_DOC = (
    "log p(y_i | the other items, pi, theta), the scenario summed out by its posterior given "
    "pi and theta: ArviZ's pointwise log-likelihood (az.loo gives the exact leave-one-out "
    "predictive although the items share the scenario)"
)
BY_SCENARIO_DOC = (
    "each item's share of log p(evidence | scenario, pi, theta) (tempered: its own w log f; "
    "mixture: log p(its report | the reports before it of its origin and events)); the shares "
    "add up to the log-likelihood of each scenario"
)


class NewerFormatError(ForecastingError):
    """A forecast file of a newer version of the package (a good file this one cannot read)."""


def write_tree(tree: xr.DataTree, path: str | Path) -> Path:
    """Write a forecast's tree to one NetCDF file (atomically: temporary file, then rename).

    A failed write leaves no file behind (nor replaces one there) and is raised as an
    :class:`OSError` naming ``path``; ``ENOSPC`` for a full disk, even where netCDF says only
    "NetCDF: HDF error".
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tree.to_netcdf(tmp, engine="netcdf4", encoding=_compression(tree))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise naming(exc, path) from exc
    except RuntimeError as exc:  # netCDF's "NetCDF: HDF error", whatever the cause
        raise _failed_write(exc, path, tree) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _failed_write(exc: RuntimeError, path: Path, tree: xr.DataTree) -> OSError:
    """NetCDF says only "HDF error": a full disk when the tree no longer fits there."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        free = None
    if free is not None and free < tree.nbytes:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return OSError(errno.EIO, f"netCDF could not write the file ({exc})", str(path))


def read_tree(path: str | Path, *, groups: Sequence[str] | None = None) -> xr.DataTree:
    """Read a tree written by :func:`write_tree`, checking that it is a forecast.

    ``groups`` reads only those groups (and the root's attributes), e.g. ``("forecast",)`` for
    a history, which needs no draws (0.04 s a file instead of 0.06 s).
    """
    path = Path(path)
    try:
        if groups is None:
            with xr.open_datatree(path, engine="netcdf4") as tree:
                tree = tree.load()
        else:
            found = xr.open_groups(path, engine="netcdf4")
            try:
                wanted = {"/": found["/"].load()}
                wanted |= {g: found[f"/{g}"].load() for g in groups if f"/{g}" in found}
            finally:
                for ds in found.values():
                    ds.close()
            tree = xr.DataTree.from_dict(wanted)
    except (OSError, ValueError, RuntimeError) as exc:
        # netCDF reports a damaged file as OSError or RuntimeError ("NetCDF: HDF error")
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ForecastingError(f"{path}: not a readable forecast file ({detail})") from None
    attrs = tree.attrs
    if "provenance" not in attrs or "forecast" not in tree.children:
        raise ForecastingError(
            f"{path}: a NetCDF file, but not a forecast saved by this "
            "package (no provenance or forecast group)"
        )
    fmt = attrs.get("format_version", 0)  # a malformed one is for `verify` to report
    if isinstance(fmt, int | np.integer) and fmt > FORMAT_VERSION:
        raise NewerFormatError(
            f"{path}: written by a newer version of the package (file "
            f"format {fmt}, this version reads up to {FORMAT_VERSION})"
        )
    for node in ("forecast", "confidence"):
        if node in tree.children and CI_BOUND in tree[node].coords:
            bounds = [str(v) for v in tree[node][CI_BOUND].values]
            tree[node] = tree[node].to_dataset().assign_coords({CI_BOUND: bounds})
    return tree


def _compression(tree: xr.DataTree) -> dict[str, dict[str, dict[str, Any]]]:
    """Lossless zlib compression (byte-shuffled) of every floating-point variable."""
    out = {}
    for node in tree.subtree:
        ds = node.dataset
        enc = {
            name: {"zlib": True, "complevel": 4, "shuffle": True}
            for name in ds.data_vars
            if ds[name].dtype.kind == "f"
        }
        if enc:
            out[node.path] = enc
    return out
