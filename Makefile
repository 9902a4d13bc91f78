# GradCast: `make run` serves the dashboard, `make test` runs the whole suite. Both set up .venv on first use.
#
# torch is installed first, on its own, so that the package's `torch>=2.3` range is already satisfied and pip
# pulls nothing more. Elsewhere pick your own build, e.g. the CPU wheel index:
#   make run TORCH_INDEX=https://download.pytorch.org/whl/cpu TORCH_SPEC=torch

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

BIN := $(VENV)/bin
TORCH_INDEX_ARG := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),)

.PHONY: run test bench lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files make a second call skip the install when nothing changed.
$(VENV)/.stamp-torch: | $(BIN)/python
	$(BIN)/python -m pip install $(TORCH_INDEX_ARG) "$(TORCH_SPEC)"
	@touch $@

$(VENV)/.stamp-run: pyproject.toml $(VENV)/.stamp-torch
	$(BIN)/python -m pip install -e '.[server]'
	@touch $@

$(VENV)/.stamp-test: pyproject.toml $(VENV)/.stamp-torch
	$(BIN)/python -m pip install -e '.[test]'
	@touch $@ $(VENV)/.stamp-run

run: $(VENV)/.stamp-run
	$(BIN)/gradcast serve --host $(HOST) --port $(PORT)

test: $(VENV)/.stamp-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.stamp-test
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check app gradcast tests bench examples
	$(BIN)/ruff format --check app gradcast tests bench examples
	$(BIN)/mypy
	$(BIN)/biome lint --error-on-warnings .
	$(BIN)/biome format .

format: $(VENV)/.stamp-test
	$(BIN)/ruff format app gradcast tests bench examples
	$(BIN)/ruff check --fix app gradcast tests bench examples
	$(BIN)/biome format --write .

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
