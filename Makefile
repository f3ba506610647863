# The two commands a new user runs: `make forecast` and `make test`.
# Both create .venv with Python 3.12 and install the package into it first.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# python3.12 from PATH if it runs, else a pyenv-installed 3.12.
PYTHON312 ?= $(shell (python3.12 -c 'import sys' >/dev/null 2>&1 && command -v python3.12) \
	|| ls -1d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1)

.PHONY: forecast test lint lab bench clean

# Bytecode is written on first import (see --no-compile below), also where the environment says
# not to: with PYTHONDONTWRITEBYTECODE=1 every process compiled xarray, pandas, scipy and PyMC
# from source again (the bare `import xarray, scipy.special, pydantic, yaml` 3.1 s instead of
# 0.85 s), in each of the test suite's processes, notebook kernels and Dask workers.
unexport PYTHONDONTWRITEBYTECODE

$(VENV)/.created:
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: install it (e.g. pyenv install 3.12) or run 'make PYTHON312=/path/to/python3.12'" >&2; exit 2; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

# --no-compile: bytecode is written on first import, for the modules that are imported (a
# clean install took 73 s compiling all of them, 32 s without)
$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PY) -m pip install --quiet --no-compile -e .
	$(PY) -m compileall -q forecasting
	touch $@

$(VENV)/.installed-dev: $(VENV)/.created pyproject.toml
	$(PY) -m pip install --quiet --no-compile -e ".[dev]"
	$(PY) -m compileall -q forecasting
	touch $@ $(VENV)/.installed

$(VENV)/.installed-lab: $(VENV)/.created pyproject.toml
	$(PY) -m pip install --quiet --no-compile -e ".[dev,notebooks]"
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

forecast: $(VENV)/.installed
	$(VENV)/bin/forecast update models/syria_coalition.yaml --as-of 2025-10-27

# two workers (this machine has two cores); a test file stays on one worker, so each model
# structure compiles once; files in the order tests/conftest.py gives (longest first, not
# xdist's own by number of tests); the ten slowest tests are listed at the end
test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	MPLBACKEND=Agg $(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=10

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lab: $(VENV)/.installed-lab
	$(VENV)/bin/jupyter lab notebooks/

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
