"""The pieces a report is made of; every output format renders the same list of blocks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    """A heading: level 1 for the report's title, 2 for its sections."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """Running text; ``**bold**`` and ```code``` are marked up."""

    text: str


@dataclass(frozen=True)
class Warning:
    """Something the reader must see before trusting the numbers."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A list of short sentences."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table: a header row and rows of cells (text)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    """A figure file (PNG) with its caption."""

    path: str
    caption: str


Block = Heading | Paragraph | Warning | Bullets | Table | Figure
