# Quick start: `make reproduce` (main job) and `make test` (whole test suite).
# Both create .venv and install the package with every extra and the dev tools.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= results

.PHONY: venv test reproduce lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# the CPU build of torch lies on this machine's disk; pin it first so nothing pulls a CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[all,dev]'
	# byte-compile the sources once: with PYTHONDONTWRITEBYTECODE set (as on this machine)
	# Python would otherwise recompile flexsa's modules on every start of the CLI
	$(PY) -m compileall -q src
	# SCALE-Sim itself, for the compatibility tests: it imports only tqdm (its declared
	# numba/llvmlite/Cython requirements are unused), so install it without them
	$(PY) -m pip install -q --no-deps scalesim==3.0.0 tqdm
	touch $@

venv: $(VENV)/.installed

test: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 --dist loadfile

reproduce: $(VENV)/.installed
	$(VENV)/bin/flexsa reproduce flexsa --out $(OUT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench docs tools
	$(VENV)/bin/mypy
	$(PY) tools/census.py
	$(PY) tools/layers.py

bench: $(VENV)/.installed
	for f in bench/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
