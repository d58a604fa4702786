PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install test demo docs figures

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

install: $(VENV)/bin/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"

test: install
	$(PY) -m pytest -q -n auto --durations=20 skattn tests

demo: install
	$(PY) -m skattn demo

docs: install
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

# The figures of docs/examples.md: every example in full (minutes), written into docs/figures/.
# A plain run of an example writes into the current folder instead.
figures: install
	$(PY) examples/digits_grid_search.py --out docs/figures
	$(PY) examples/time_series_padding.py --out docs/figures
	$(PY) examples/uncertainty_regression.py --out docs/figures
	$(PY) examples/scaling.py --out docs/figures
	$(PY) examples/imdb_sentiment.py --demo --out docs/figures
	$(PY) examples/finite_width_convergence.py --out docs/figures
	$(PY) examples/finite_training.py --out docs/figures
	$(PY) examples/sqrt_softmax_monte_carlo.py --out docs/figures
	$(PY) examples/long_series_pooling.py --out docs/figures
	$(PY) examples/marginal_likelihood_surface.py --out docs/figures
