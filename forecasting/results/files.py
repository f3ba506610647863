"""A forecast's NetCDF file: written atomically, read back with checks.

One file holds the whole DataTree (every group, lossless zlib compression of the floats that
it shrinks) and the root's JSON attributes; :data:`FORMAT_VERSION` says which layout it has.

Every file written carries a checksum of its content (:data:`CHECKSUM_ATTR`): a SHA-256 per
group over a canonical serialisation of the tree (see :func:`content_checksums`), not over the
file's bytes, which NetCDF/HDF5 does not make canonical. Every read checks the groups it reads
and refuses a file whose content does not match ("changed or damaged after it was written"):
a flipped bit in a number reads back without any error from netCDF, and would otherwise be
shown as a forecast. Files written before checksums existed (no attribute) still read. It is
not a signature: whoever edits a file can recompute it; ``forecast verify``'s recomputation is
what catches that.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import os
import shutil
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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
#: The checksum (below) did not change the format: it is one more root attribute, which a
#: reader of format 3 without checksums ignores (it reads such files as before), and files of
#: format 2 and 3 without it still read here. A change of the canonical serialisation must get a
#: new :data:`CHECKSUM_ALGORITHM` *and* a new format, so that an older reader says "written by
#: a newer version" rather than "damaged".
FORMAT_VERSION = 3

#: Root attribute: JSON ``{group path: SHA-256 hex digest}`` of the file's content, one digest
#: per group (``"/"``: the root's attributes), so that a read of some groups checks those.
CHECKSUM_ATTR = "content_sha256"
#: Root attribute: the name of the canonical serialisation hashed (:func:`content_checksums`).
ALGORITHM_ATTR = "checksum_algorithm"
#: The one this version writes and checks.
CHECKSUM_ALGORITHM = "sha256-canonical-tree-1"
#: When files began to carry checksums (the package's version did not change with it).
SINCE = "December 2026, package 0.1.0, format 3"
#: Why a file whose checksum does not match is not read.
DAMAGED = (
    "its content does not match its checksum: the file was changed or damaged after it was written"
)


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


#: What netCDF and xarray raise on a damaged file (single-bit flips: see tests/results).
_DAMAGE = (OSError, ValueError, RuntimeError, AttributeError, KeyError, IndexError, TypeError)


class NewerFormatError(ForecastingError):
    """A forecast file of a newer version of the package (a good file this one cannot read)."""


class ChecksumError(ForecastingError):
    """A forecast file whose content does not match its checksum (changed or damaged)."""


@dataclass(frozen=True)
class Checksum:
    """What a read found of a file's checksum: ``matches``, ``missing`` or ``mismatch``."""

    state: Literal["matches", "missing", "mismatch"]
    detail: str = ""  # for a mismatch: what does not match

    def describe(self) -> str:
        """One phrase for a reader, starting ``checksum:``."""
        if self.state == "matches":
            return "checksum: matches (the content is as it was written)"
        if self.state == "missing":
            return (
                f"checksum: none (the file was written before forecast files carried one, {SINCE})"
            )
        return f"checksum: {DAMAGED} ({self.detail})"


def write_tree(tree: xr.DataTree, path: str | Path) -> Path:
    """Write a forecast's tree to one NetCDF file (atomically: temporary file, then rename).

    The file carries the checksum of its content (any checksum in ``tree`` is replaced; ``tree``
    is not changed). A failed write leaves no file behind (nor replaces one there) and is
    raised as an :class:`OSError` naming ``path``; ``ENOSPC`` for a full disk, even where
    netCDF says only "NetCDF: HDF error".
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    out = tree.copy(deep=False)
    out.attrs = {k: v for k, v in tree.attrs.items() if k not in (CHECKSUM_ATTR, ALGORITHM_ATTR)}
    out.attrs[CHECKSUM_ATTR] = json.dumps(content_checksums(out), sort_keys=True)
    out.attrs[ALGORITHM_ATTR] = CHECKSUM_ALGORITHM
    try:
        out.to_netcdf(tmp, engine="netcdf4", encoding=_compression(out))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise naming(exc, path) from exc
    except RuntimeError as exc:  # netCDF's "NetCDF: HDF error", whatever the cause
        raise _failed_write(exc, path, out) from exc
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
    a history, which needs no draws (0.04 s a file instead of 0.06 s). The checksum of what is
    read is checked (a mismatch raises :class:`ChecksumError`) and left out of the tree.
    """
    tree, checksum = read_tree_checked(path, groups=groups)
    if checksum.state == "mismatch":
        raise ChecksumError(f"{path}: {DAMAGED} ({checksum.detail})")
    return tree


def read_tree_checked(
    path: str | Path, *, groups: Sequence[str] | None = None
) -> tuple[xr.DataTree, Checksum]:
    """:func:`read_tree`, but a checksum that does not match is returned, not raised.

    For ``forecast verify``, which says so and still recomputes the forecast.
    """
    path = Path(path)
    failed = None
    try:
        if groups is None:
            with xr.open_datatree(path, engine="netcdf4") as tree:
                tree = tree.load()
            found = {node.path: node.to_dataset(inherit=False) for node in tree.subtree}
        else:
            opened = xr.open_groups(path, engine="netcdf4")
            try:
                found = {"/": opened["/"].load()}
                found |= {f"/{g}": opened[f"/{g}"].load() for g in groups if f"/{g}" in opened}
            finally:
                for ds in opened.values():
                    ds.close()
            tree = xr.DataTree.from_dict(found)
    except _DAMAGE as exc:
        # netCDF reports a damaged file as OSError or RuntimeError ("NetCDF: HDF error"), and
        # a damaged attribute as AttributeError ("NetCDF: Can't open HDF5 attribute")
        failed = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if failed is not None:
        # xarray leaves the file open when it fails while opening it (a damaged file), closed
        # whenever the garbage collector next runs: perhaps inside another netCDF call, which
        # crashed the process (a segmentation fault). Closed now, outside any.
        gc.collect()
        raise ForecastingError(f"{path}: not a readable forecast file ({failed})")
    attrs = found["/"].attrs
    if "provenance" not in attrs or "/forecast" not in found:
        raise ForecastingError(
            f"{path}: a NetCDF file, but not a forecast saved by this "
            "package (no provenance or forecast group)"
        )
    checksum = check_content(found, whole=groups is None, groups=groups)
    fmt = attrs.get("format_version", 0)  # a malformed one is for `verify` to report
    # a newer package may hash otherwise (another algorithm): its file is newer, not damaged;
    # but a checksum this version knows is believed over the format (a damaged one is damage)
    known = attrs.get(ALGORITHM_ATTR, CHECKSUM_ALGORITHM) == CHECKSUM_ALGORITHM
    if isinstance(fmt, int | np.integer) and fmt > FORMAT_VERSION:
        if not (known and checksum.state == "mismatch"):
            raise NewerFormatError(
                f"{path}: written by a newer version of the package (file "
                f"format {fmt}, this version reads up to {FORMAT_VERSION})"
            )
    tree.attrs = {k: v for k, v in attrs.items() if k not in (CHECKSUM_ATTR, ALGORITHM_ATTR)}
    for node in ("forecast", "confidence"):
        if node in tree.children and CI_BOUND in tree[node].coords:
            bounds = [str(v) for v in tree[node][CI_BOUND].values]
            tree[node] = tree[node].to_dataset().assign_coords({CI_BOUND: bounds})
    return tree, checksum


def content_checksums(tree: xr.DataTree) -> dict[str, str]:
    """The SHA-256 of each group's content, by path (``"/"``: the root), as files record it.

    The content is a canonical serialisation of every variable (name, whether a coordinate,
    dims, shape, dtype and raw little-endian bytes of the values; strings as UTF-8) and every
    attribute (of the group and of each variable), by name. What a NetCDF round trip does not
    keep is normalised (strings of any width or bytes, dates in ns, a one-element attribute and
    its value, numeric attributes as int64 or float64); the checksum attributes are left out.
    """
    return {node.path: _digest(node.to_dataset(inherit=False)) for node in tree.subtree}


def check_content(
    found: Mapping[str, xr.Dataset], *, whole: bool, groups: Sequence[str] | None = None
) -> Checksum:
    """Check datasets read from a file (by group path, ``"/"`` the root) against its checksum.

    ``whole``: every group of the file was read (the recorded groups must be exactly these);
    otherwise ``groups`` were asked for (each must be read if and only if it was recorded).
    """
    attrs = found["/"].attrs
    recorded, algorithm = attrs.get(CHECKSUM_ATTR), attrs.get(ALGORITHM_ATTR)
    if recorded is None and algorithm is None:
        return Checksum("missing")
    if recorded is None or algorithm is None:
        gone = CHECKSUM_ATTR if recorded is None else ALGORITHM_ATTR
        return Checksum("mismatch", f"the attribute {gone!r} is missing")
    if algorithm != CHECKSUM_ALGORITHM:
        return Checksum("mismatch", f"unknown checksum algorithm {algorithm!r}")
    try:
        digests = json.loads(recorded)
    except (TypeError, ValueError):
        digests = None
    if not isinstance(digests, dict) or not all(
        isinstance(v, str) and len(v) == 64 for v in digests.values()
    ):
        return Checksum("mismatch", f"its {CHECKSUM_ATTR!r} attribute is malformed")
    asked = set(found) if whole else {"/"} | {f"/{g}" for g in groups or ()}
    wrong = sorted(g for g in asked if (g in found) != (g in digests))
    if whole:
        wrong += sorted(set(digests) - set(found))
    try:
        wrong += sorted(g for g in found if g in digests and _digest(found[g]) != digests[g])
    except (TypeError, ValueError) as exc:  # values no NetCDF file of this package holds
        return Checksum("mismatch", f"its content cannot be serialised ({exc})")
    if wrong:
        return Checksum("mismatch", "in " + ", ".join(wrong))
    return Checksum("matches")


def _digest(ds: xr.Dataset) -> str:
    """SHA-256 of one group's canonical serialisation (see :func:`content_checksums`)."""
    h = hashlib.sha256()
    _attrs_into(h, {k: v for k, v in ds.attrs.items() if k not in (CHECKSUM_ATTR, ALGORITHM_ATTR)})
    for name in sorted(ds.variables, key=str):
        var = ds.variables[name]
        tag, data = _values(np.asarray(var.values))
        _field(h, b"coordinate" if name in ds.coords else b"variable")
        for part in (str(name), json.dumps([str(d) for d in var.dims]), json.dumps(var.shape)):
            _field(h, part.encode())
        _field(h, tag)
        _field(h, data)
        _attrs_into(h, var.attrs)
    return h.hexdigest()


def _field(h: Any, data: bytes) -> None:
    """One field of the serialisation, length first (so no two serialisations run together)."""
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)


def _attrs_into(h: Any, attrs: Mapping[Any, Any]) -> None:
    _field(h, str(len(attrs)).encode())
    for key in sorted(attrs, key=str):
        value = attrs[key]
        _field(h, str(key).encode())
        if isinstance(value, str | bytes):
            value = [value]
        arr = np.asarray(value).ravel()  # NetCDF reads a one-element list back as its element
        if arr.dtype.kind in "biu":
            arr = arr.astype("<i8")
        elif arr.dtype.kind == "f":
            arr = arr.astype("<f8")
        tag, data = _values(arr)
        _field(h, tag)
        _field(h, data)


def _values(arr: np.ndarray) -> tuple[bytes, bytes]:
    """An array's dtype tag and its values' bytes, canonically."""
    kind = arr.dtype.kind
    if kind in "USO":
        parts = []
        for x in arr.ravel():
            if isinstance(x, bytes):
                x = x.decode("utf-8", "surrogateescape")
            # a string, or (never written by this package) anything else by its repr
            tag, text = (b"s", x) if isinstance(x, str) else (b"r", repr(x))
            data = tag + text.encode("utf-8", "surrogatepass")
            parts.append(len(data).to_bytes(8, "little") + data)
        return b"str", b"".join(parts)
    if kind in "Mm":
        arr = arr.astype(f"{kind}8[ns]").view("<i8")
        return f"{kind}8[ns]".encode(), np.ascontiguousarray(arr).tobytes()
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return f"{kind}{arr.dtype.itemsize}".encode(), arr.tobytes()


#: A floating-point variable is compressed where a sample of it shrinks below this ratio.
#: Posterior draws hardly compress (zlib on shuffled bytes keeps 83-88% of them) and cost the
#: most to compress: the 300-scenario question of ``benchmarks/wide.py`` wrote its 154 MB of
#: draws in 7.2 s compressed (133 MB) against 0.3 s not; the bundled question's 0.47 s against
#: 0.11 s (2.44 MB against 2.73 MB).
COMPRESS_BELOW = 0.8
#: Bytes of a variable's sample tried, and variables smaller than this are compressed unasked.
_SAMPLE_BYTES = 65_536


def _compression(tree: xr.DataTree) -> dict[str, dict[str, dict[str, Any]]]:
    """Lossless zlib compression (byte-shuffled) of the floating-point variables it shrinks.

    Each variable larger than :data:`_SAMPLE_BYTES` is tried on a sample of its values first
    (:data:`COMPRESS_BELOW`); the encoding is the file's business only: the values read back
    the same either way.
    """
    out = {}
    for node in tree.subtree:
        ds = node.dataset
        enc = {}
        for name in ds.data_vars:
            var = ds[name]
            if var.dtype.kind != "f":
                continue
            if var.nbytes <= _SAMPLE_BYTES or _shrinks(var.values):
                enc[name] = {"zlib": True, "complevel": 4, "shuffle": True}
            else:
                enc[name] = {"zlib": False}
        if enc:
            out[node.path] = enc
    return out


def _shrinks(values: np.ndarray) -> bool:
    """Whether zlib on a sample of ``values``' shuffled bytes keeps less than the ratio."""
    flat = np.ascontiguousarray(values).reshape(-1)
    sample = flat[: max(1, _SAMPLE_BYTES // flat.itemsize)]
    shuffled = sample.view(np.uint8).reshape(-1, flat.itemsize).T.tobytes()
    return len(zlib.compress(shuffled, 1)) < COMPRESS_BELOW * len(shuffled)
