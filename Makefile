# Distributed Systems, Executable. Two commands do all the set-up on a fresh machine
# with Python 3.10+ and make:
#   make book   build the site into _build/html
#   make test   run every test (library, notebooks under nbval, book checks)
# Each creates .venv and installs what it needs first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pinned versions, so that CI and a learner get the outputs the book shows.
# `make CONSTRAINTS= test` runs against the newest releases instead.
CONSTRAINTS ?= constraints.txt
PIP_C := $(if $(CONSTRAINTS),-c $(CONSTRAINTS),)
NOTEBOOKS := $(shell find chapters book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)

.PHONY: help book test lab outputs benchmark clean

help:
	@echo "make book       build the book into _build/html"
	@echo "make test       run every test"
	@echo "make lab        open the notebooks in JupyterLab"
	@echo "make outputs    re-execute every notebook in place (after changing code)"
	@echo "make benchmark  run the simulator benchmark"
	@echo "make clean      remove _build"

$(STAMP): requirements.txt requirements-dev.txt code/pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 10) else "Python 3.10 or newer is needed; found %d.%d (set PYTHON=...)" % v[:2])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt $(PIP_C)
	@touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

lab: $(STAMP)
	$(BIN)/jupyter lab chapters

outputs: $(STAMP)
	$(BIN)/python -m jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.record_timing=False \
	  --ExecutePreprocessor.store_widget_state=False \
	  --ExecutePreprocessor.kernel_name=python3 $(if $(NB),$(NB),$(NOTEBOOKS))

benchmark: $(STAMP)
	$(BIN)/python benchmarks/sim_kernel.py

clean:
	rm -rf _build
