# Every target creates (or reuses) its own virtual environment, so each one works on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test,cat,onnx

.PHONY: venv test quicktest lint cat bench clean

$(VENV)/.installed-$(EXTRAS): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

venv: $(VENV)/.installed-$(EXTRAS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m mypy

test: venv lint
	$(PY) -m pytest -q

quicktest: venv
	$(PY) -m pytest -q -m "not slow"

cat: venv
	$(PY) -m models.cat train

bench:
	$(MAKE) venv EXTRAS=test,cat,bench
	$(PY) -m pip install --quiet "torch==2.13.0" || echo "PyTorch 2.13.0 not installable: its rows are skipped"
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
