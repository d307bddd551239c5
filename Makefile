# Two entry points: `make run` (set up, build the demo commune once, start the app) and
# `make test` (set up, run the whole suite). Both work on a fresh Debian with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB ?= demo/commune-demo.sqlite
DEMO_INSPECTIONS ?= 100000

.PHONY: run test setup bench clean installer installer-test

setup: $(STAMP)

$(STAMP): pyproject.toml installer/system-deps.sh
	bash installer/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo ">> Installing the Python packages into $(VENV) (a minute or two)..."
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --progress-bar on -e '.[test]'
	@echo ">> Packages installed."
	touch $(STAMP)

$(DEMO_DB): | $(STAMP)
	mkdir -p $(dir $(DEMO_DB))
	@echo ">> Building the demo commune ($(DEMO_INSPECTIONS) inspections, about a minute per 100,000)..."
	$(BIN)/commune-police demo --db $(DEMO_DB) --inspections $(DEMO_INSPECTIONS)

run: $(STAMP) $(DEMO_DB)
	$(BIN)/commune-police --db $(DEMO_DB)

# Lint, types and the architecture test first (seconds), then the whole suite.
test: $(STAMP)
	bash installer/postgres.sh
	$(BIN)/ruff check desktop maps reports tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n auto --dist loadfile   # one worker per core, a test file per worker

bench: $(STAMP)
	cd bench && ../$(BIN)/python run_all.py

clean:
	rm -rf $(VENV) demo build *.egg-info

# Packages (issue 14): the PyInstaller bundle dist/commune-police/ and the Debian package
# dist/commune-police_<version>_amd64.deb; `installer-test` installs the package into a clean
# Debian root (debootstrap, made once and cached under build/installer/) and runs it there.
installer: $(STAMP)
	bash installer/build.sh

installer-test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/installer
