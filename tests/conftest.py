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
# One BLAS thread in each worker and in every process a test starts (kernels, the CLI, Dask):
# the two workers already keep both cores busy, and OpenBLAS's second thread spun on the other
# worker's core. Set before the workers start; a subset of the suite on two workers (update,
# every kind, attribution, calibration) took 0.91x the wall time so (paired runs, 3 pairs).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Property tests explore a fixed sequence of examples, so a CI run is reproducible.
settings.register_profile("default", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("default")


@pytest.fixture
def bundled_paths():
    return BUNDLED_QUESTION, BUNDLED_EVIDENCE


#: The files that take longest, longest first (seconds of one worker, warm compile cache, quiet
#: machine, 2026-12-02): with two workers and a file kept on one worker (``--dist loadfile``,
#: with ``--no-loadscope-reorder`` so that xdist keeps this order instead of its own by number of
#: tests), a long file collected last would leave the other worker idle for its whole length.
SLOW_FIRST = (
    "tests/test_notebooks.py",  # 150 s, six kernels
    "tests/pipeline/test_update.py",  # 95 s
    "tests/engines/test_mcmc.py",  # 90 s (170 s with an empty compile cache)
    "tests/pipeline/test_many.py",  # 70 s, on LocalClusters
    "tests/confidence/test_dynamic_responsiveness_worlds.py",  # 60 s of simulated worlds
    "tests/pipeline/test_archive_faults.py",  # 45 s
    "tests/confidence/test_responsiveness_calibration.py",  # 40 s in one test
    "tests/model/test_narrow_measurements.py",
    "tests/presentation/test_plots_at_a_glance.py",
    "tests/kinds/test_continuous.py",
    "tests/test_cli.py",
    "tests/pipeline/test_update_analysts.py",
    "tests/analyses/test_attribution.py",
    "tests/analyses/test_sensitivity.py",
    "tests/scoring/test_simulate.py",
    "tests/model/test_dynamics.py",
    "tests/pipeline/test_verify.py",
    "tests/dashboard/test_browser.py",  # a server and headless Chromium
    "tests/model/test_mixture.py",
    "tests/presentation/test_standalone.py",
    "tests/presentation/test_plots.py",
    "tests/scoring/test_resolve_and_score.py",
    "tests/confidence/test_responsiveness_worlds.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(SLOW_FIRST)}

    def order(item) -> int:
        path = item.nodeid.split("::")[0]
        return rank.get(path, len(SLOW_FIRST))

    items.sort(key=order)  # stable: the rest keep their order
