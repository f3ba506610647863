"""Output formats of the report: one module per format, found by :func:`all_formats`.

Every module of this package that defines ``FORMAT`` (a :class:`Format`) is a format; adding
one is adding a module. A format renders each kind of block with its own function, keyed by
the block's class.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..blocks import Block


@dataclass(frozen=True)
class Context:
    """What a renderer may need besides the blocks."""

    title: str
    directory: Path


@dataclass(frozen=True)
class Format:
    """One output format: its name, file suffix and a renderer per block class."""

    name: str
    suffix: str
    renderers: dict[type, Callable[[Any, Context], str]]
    begin: Callable[[Context], str] = lambda ctx: ""
    end: Callable[[Context], str] = lambda ctx: ""
    joiner: str = "\n"

    def render(self, blocks: Sequence[Block], context: Context) -> str:
        """The whole document."""
        parts = [self.renderers[type(block)](block, context) for block in blocks]
        head, tail = self.begin(context), self.end(context)
        return head + self.joiner.join(parts) + tail


@cache
def all_formats() -> dict[str, Format]:
    """Every format, by name (``markdown``, ``html``, ``json``...)."""
    found: dict[str, Format] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        fmt = getattr(module, "FORMAT", None)
        if isinstance(fmt, Format):
            found[fmt.name] = fmt
    return dict(sorted(found.items()))
