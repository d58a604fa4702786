PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install test test-oldest demo docs figures

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

install: $(VENV)/bin/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"

test: install
	$(PY) -m pytest -q -n auto --durations=20 skattn tests

# The suite against the oldest versions pyproject.toml allows, in a venv of their own
# (the tests of the docs, the examples and Dask need the extras and are left out).
OLDEST := .venv-oldest
OLDEST_PINS := "jax==0.8.0" "jaxlib==0.8.0" "numpy==2.0.0" "scipy==1.13.0" \
	"scikit-learn==1.6.0" "joblib==1.3.0" "tqdm==4.60.0" "pytest>=7" "pytest-xdist>=3.5"
test-oldest:
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet $(OLDEST_PINS)
	$(OLDEST)/bin/python -m pip install --quiet --no-deps -e .
	$(OLDEST)/bin/python -m pytest -q -n auto skattn tests --ignore=tests/test_docs.py \
		--ignore=tests/test_examples.py --ignore=tests/test_distributed.py

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
