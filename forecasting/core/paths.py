"""Where a question's files live, and how paths are shown.

A project is a folder holding ``models/`` (questions), ``evidence/<id>/`` (ledgers),
``forecasts/`` (the archive) and ``reports/``. A question file outside a ``models/`` folder
makes its own folder the project root.
"""

from __future__ import annotations

from pathlib import Path


def project_root(question_file: str | Path | None) -> Path:
    """The folder holding ``models/`` (where ``evidence/``, ``forecasts/`` and ``reports/`` go).

    The working directory for a question built in Python (no file).
    """
    if question_file is None:
        return Path.cwd()
    q = Path(question_file).resolve()
    return q.parent.parent if q.parent.name == "models" else q.parent


def display_path(path: str | Path | None) -> str | None:
    """A path relative to the working directory when it lies below it (portable provenance)."""
    if path is None:
        return None
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
