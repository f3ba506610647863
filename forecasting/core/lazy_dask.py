"""Xarray without importing Dask until something else has.

Every xarray Variable asks whether its data is a Dask array: ``array_type("dask")``, whose first
call imports ``dask.array`` whenever Dask is installed (it is: many questions run on it), and
``is_dask_collection``, which imports ``dask.base`` and looks Dask up on the path each call.
Importing ``dask.array`` after xarray takes 0.16 s (with bytecode), and the lookups add more:
``forecast run`` of the bundled question took 1.25 s whole process before this module and
0.97 s with it (medians of 9 interleaved pairs, 2-core VM, 2026-12-03; the bare
``import xarray, scipy.special, pydantic, yaml`` 0.49 s). The answer is known without Dask: no
object is a Dask array, or any Dask collection, before Dask has been imported.

:func:`install` (run on import) gives xarray both answers lazily: while ``dask`` (for arrays,
``dask.array``) is not in ``sys.modules`` the answer is "no" and nothing is imported; from then
on xarray's own code answers, as without this module. Nothing changes for code that uses Dask:
its arrays exist only once it is imported. Should a later xarray move these names,
:func:`install` does nothing and the cost comes back; ``tests/results/test_lazy_dask.py``
checks that ``forecast run`` imports no Dask and that Dask arrays are still seen as such.
"""

from __future__ import annotations

import sys
from typing import Any


def install() -> None:
    """Let xarray ask about Dask without importing it (see the module's docstring)."""
    try:
        from xarray.namedarray import pycompat, utils
    except ImportError:  # pragma: no cover - another xarray
        return
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    duck = getattr(pycompat, "DuckArrayModule", None)
    original = getattr(utils, "is_dask_collection", None)
    if not isinstance(cache, dict) or duck is None or original is None:
        return  # pragma: no cover - another xarray
    if getattr(original, "_lazy", False):
        return

    class LazyDask(duck):
        """xarray's record of the ``dask`` module, made only once ``dask.array`` is imported."""

        def __init__(self) -> None:  # no import here: that is the point
            pass

        def _real(self) -> Any:
            real = duck("dask")
            cache["dask"] = real
            return real

        @property
        def type(self) -> tuple[type, ...]:
            if "dask.array" not in sys.modules:
                return ()  # no Dask array exists before its class does
            return self._real().type

        @property
        def module(self) -> Any:
            return self._real().module

        @property
        def version(self) -> Any:
            return self._real().version

        @property
        def available(self) -> bool:
            return self._real().available

    def is_dask_collection(x: object) -> bool:
        return "dask" in sys.modules and original(x)

    is_dask_collection._lazy = True  # type: ignore[attr-defined]
    cache.setdefault("dask", LazyDask())
    utils.is_dask_collection = is_dask_collection


install()
