# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-quick lint typecheck bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	bash tests/demo.sh

# The report tests load pages in Debian's headless chromium, driven by the chromedriver of the same build. The
# only thing `make test` installs outside .venv: those two packages, one font family, and what they depend on; no
# recommended extras (they pulled in printing and desktop packages: 131 in all).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@test -x /usr/bin/chromium && test -x /usr/bin/chromedriver || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
		chromium chromium-driver fonts-liberation; }

# Everything: lint, strict types, and the whole suite on every core. (No formatter: the code keeps its aligned style.)
test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q -n auto

# While working: the tests not marked slow (see SLOW in tests/conftest.py), without lint, types or the browser.
test-quick: $(STAMP)
	$(BIN)/pytest -q -n auto -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/readme_table.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
