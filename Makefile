PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install test

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

install: $(VENV)/bin/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"

test: install
	$(PY) -m pytest -q skattn tests
