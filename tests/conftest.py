"""Test session settings and shared fixtures (helpers to build questions are in builders.py)."""

from __future__ import annotations

import os

import matplotlib
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION
from hypothesis import settings

matplotlib.use("Agg")

# keep PyTensor's compile cache inside the user's normal cache, but never write elsewhere
os.environ.setdefault("PYTENSOR_FLAGS", "")

# Property tests explore a fixed sequence of examples, so a CI run is reproducible.
settings.register_profile("default", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("default")


@pytest.fixture
def bundled_paths():
    return BUNDLED_QUESTION, BUNDLED_EVIDENCE
