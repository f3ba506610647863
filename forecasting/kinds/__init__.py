"""Indicator kinds as plug-ins: one module per kind, found by the registry.

Every module of this package that defines ``KIND`` (an instance of a
:class:`~forecasting.kinds.base.Kind` subclass) is a kind; the question schema, both engines,
every analysis and the presentation ask the registry, never ``if kind == ...``. Adding a kind
is adding one module (see :mod:`forecasting.kinds.continuous` for an example).

>>> from forecasting.kinds import kind_names, get_kind
>>> kind_names()
('count', 'binary', 'categorical', 'continuous')
>>> get_kind("count").model
'y ~ Poisson(rate_k * exposure); rate_k ~ Gamma'
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Annotated, Any

from pydantic import Field

from .base import IndicatorSpec, Kind

__all__ = ["IndicatorSpec", "Kind", "get_kind", "indicator_type", "kind_names", "kinds"]

#: Modules of this package that are not kinds.
_NOT_KINDS = frozenset({"base", "priors", "elicitation"})
#: Display order of the kinds that ship with the package (others follow by name).
_ORDER = ("count", "binary", "categorical", "continuous")


@cache
def kinds() -> dict[str, Kind]:
    """Every kind, by name, in display order."""
    found: dict[str, Kind] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_KINDS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, Kind):
            found[kind.name] = kind
    rank = {name: n for n, name in enumerate(_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def kind_names() -> tuple[str, ...]:
    """Names of every kind, as written in question files."""
    return tuple(kinds())


def get_kind(name: str) -> Kind:
    """The kind called ``name`` (``KeyError`` naming the known kinds otherwise)."""
    try:
        return kinds()[name]
    except KeyError:
        raise KeyError(f"no indicator kind '{name}' (kinds: {', '.join(kinds())})") from None


@cache
def indicator_type() -> Any:
    """The question schema's type of one indicator: the kinds' schemas, told apart by ``kind``."""
    specs = tuple(k.spec for k in kinds().values())
    union = specs[0] if len(specs) == 1 else _union(specs)
    return Annotated[union, Field(discriminator="kind")]


def _union(specs: tuple[type[IndicatorSpec], ...]) -> Any:
    from functools import reduce
    from operator import or_

    return reduce(or_, specs)
