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


#: The files that take longest (seconds on a quiet machine, clean clone), run first: with two
#: workers and a file kept on one worker (``--dist loadfile``), a long file collected last (the
#: notebooks are) would leave the other worker idle for its whole length.
SLOW_FIRST = (
    "tests/model/test_mixture.py",  # about 85 s in one test: it ended the run alone
    "tests/test_notebooks.py",  # about 170 s
    "tests/engines/test_mcmc.py",  # about 150 s
    "tests/pipeline/test_update.py",
    "tests/pipeline/test_many.py",  # about 100 s, on a LocalCluster
    "tests/dashboard/test_browser.py",  # about 60 s, a server and headless Chromium
    "tests/pipeline/test_update_analysts.py",
    "tests/confidence/test_responsiveness_calibration.py",
    "tests/confidence/test_dynamic_responsiveness_worlds.py",  # about 90 s of simulated worlds
    "tests/kinds/test_continuous.py",
    "tests/analyses/test_attribution.py",
    "tests/model/test_narrow_measurements.py",
    "tests/model/test_dynamics.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(SLOW_FIRST)}

    def order(item) -> int:
        path = item.nodeid.split("::")[0]
        return rank.get(path, len(SLOW_FIRST))

    items.sort(key=order)  # stable: the rest keep their order
