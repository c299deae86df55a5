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

.PHONY: help book test lab outputs student grade serve benchmark clean

help:
	@echo "make book       build the book into _build/html"
	@echo "make test       run every test"
	@echo "make lab        open the notebooks in JupyterLab"
	@echo "make outputs    re-execute every notebook in place (after changing code)"
	@echo "make student    student versions of every chapter (nbgrader) in _build/student"
	@echo "make grade SUBMISSIONS=dir   autograde dir/<student>/<notebook>.ipynb"
	@echo "make serve      preview _build/html on http://127.0.0.1:8000"
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
	$(BIN)/python -m distlab.notebooks $(if $(NB),$(NB),$(NOTEBOOKS))

student: $(STAMP)
	$(BIN)/python -m distlab.teaching student

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=folder/of/<student>/<notebook>.ipynb"; exit 2)
	$(BIN)/python -m distlab.teaching grade "$(SUBMISSIONS)"

PORT ?= 8000
serve:
	@test -d _build/html || (echo "no site yet: run make book first"; exit 2)
	@echo "serving _build/html on http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

benchmark: $(STAMP)
	$(BIN)/python benchmarks/sim_kernel.py

clean:
	rm -rf _build
