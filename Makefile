PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install test demo docs

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

install: $(VENV)/bin/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"

test: install
	$(PY) -m pytest -q skattn tests

demo: install
	$(PY) -m skattn demo

docs: install
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict
