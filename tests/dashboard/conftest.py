"""A small project with an archive and an analyst overlay, shared by the dashboard's tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from builders import small_project

from forecasting.pipeline.weekly import backfill

#: The dashboard's forecasts are as of this date (the small ledger's items run to 2025-10-25).
AS_OF = dt.date(2025, 10, 26)
OVERLAY = """\
analyst: hawk
rationale: Expects the truce to fray.
scenarios:
  holds: {prior: 0.3}
  frays: {prior: 0.5}
"""


def make_project(root: Path) -> Path:
    """The small project, two archived weeks and one analyst overlay; the question's path."""
    path = small_project(root)
    backfill(path, start="2025-10-12", end="2025-10-19", every_days=7, progress=False)
    folder = root / "models" / "watch" / "analysts"
    folder.mkdir(parents=True)
    (folder / "hawk.yaml").write_text(OVERLAY)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The question file of a fresh small project (one per test module)."""
    return make_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def as_of() -> dt.date:
    """The date of the dashboard's forecasts."""
    return AS_OF
