# Two commands set everything up on a fresh machine with Python 3.11 and make:
#   make figures   create .venv if missing, install, regenerate every figure
#   make test      create .venv if missing, install with test extras, run the suite
#   make docs      build the documentation site into docs/_build/html (warnings are errors)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: figures test lint docs bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.stamp-figures: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[figures]"
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

figures: $(VENV)/.stamp-figures
	$(PY) figures/make_all.py

test: $(VENV)/.stamp-dev
	$(PY) -m ruff check follicle models fitting tests figures benchmarks docs
	$(PY) -m ruff format --check follicle models fitting tests figures benchmarks docs
	$(PY) -m pytest -n 2 -q

lint: $(VENV)/.stamp-dev
	$(PY) -m ruff check follicle models fitting tests figures benchmarks docs
	$(PY) -m ruff format --check follicle models fitting tests figures benchmarks docs

# The site, into docs/_build/html; warnings are errors.
docs: $(VENV)/.stamp-dev
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

bench: $(VENV)/.stamp-dev
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/sweep.py --json benchmarks/results.json

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
