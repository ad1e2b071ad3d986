# NNOTT Lab. `make` (or `make help`) lists the targets.
# Every target creates .venv and installs what it needs the first time it runs.

.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check

A ?=
IMPL ?= starter
V ?=
T ?=
FORMAT ?= table
SUBMISSION ?=
FORCE ?=

STAMP_TEST := $(VENV)/.installed-test
STAMP_INSTRUCTOR := $(VENV)/.installed-instructor

.PHONY: help setup test list grade starter handouts check clean

help: ## list the targets
	@echo "NNOTT Lab"
	@echo
	@echo "Students:"
	@echo "  make test A=03              run assignment 03's tests on your starter/ and print the score table"
	@echo "  make test A=03 T=03.2 V=1   one task only, with pytest's full output"
	@echo "  make list                   the assignments, tasks and points"
	@echo
	@echo "Instructors:"
	@echo "  make check                  prove the course is sound (reference full marks, stubs zero, in sync)"
	@echo "  make starter                regenerate starter/ from reference/ (FORCE=1 overwrites uncommitted edits)"
	@echo "  make handouts               regenerate the task tables in the handouts from the manifests"
	@echo "  make grade A=03 SUBMISSION=path [FORMAT=table|json]   grade a submission, sandboxed"
	@echo "  make test A=03 IMPL=reference                         run the tests on the reference"
	@echo
	@echo "  make setup                  create .venv and install the test dependencies"
	@echo "  make clean                  remove .venv and caches (never touches starter/)"

$(STAMP_TEST): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Setting up $(VENV) (first run only; about a minute)..."
	@$(PIP) -r <($(PYTHON) grader/deps.py test)
	@touch $@

$(STAMP_INSTRUCTOR): $(STAMP_TEST)
	@echo "Installing the instructor tools into $(VENV) (first run only)..."
	@$(PIP) -r <($(PYTHON) grader/deps.py test instructor)
	@touch $@

setup: $(STAMP_TEST) ## create .venv with the test dependencies

test: $(STAMP_TEST) ## make test A=NN [IMPL=starter|reference|PATH] [T=NN.K] [V=1]
	@$(PY) -m grader test "$(A)" --impl "$(IMPL)" $(if $(V),-v) $(if $(T),--task "$(T)") $(if $(filter-out table,$(FORMAT)),--format $(FORMAT))

list: $(STAMP_TEST)
	@$(PY) -m grader list

grade: $(STAMP_TEST) ## make grade A=NN SUBMISSION=PATH [FORMAT=table|json]
	@$(PY) -m grader grade "$(A)" "$(SUBMISSION)" --format "$(FORMAT)"

starter: $(STAMP_TEST) ## regenerate starter/ from reference/
	@$(PY) -m grader starter $(if $(FORCE),--force)

handouts: $(STAMP_TEST) ## regenerate the task table in every handout from its manifest
	@$(PY) -m grader handouts

check: $(STAMP_INSTRUCTOR) ## everything an instructor needs to trust the course
	@$(PY) -m grader check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .grader build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
