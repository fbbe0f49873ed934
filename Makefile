# Each target bootstraps .venv itself, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: run test bench lint format clean screenshots stream cluster cluster-stop

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/vitalsdash run $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A second "monitor": the simulator as an HL7 device, for `make run ARGS="--mllp-port 2575"`.
SCENARIO ?= hypertensive-responder
MLLP ?= mllp://127.0.0.1:2575
stream: $(STAMP)
	$(BIN)/vitalsim stream $(SCENARIO) --to $(MLLP) $(STREAM_ARGS)

# The scaled-out set-up on this computer: Redis and PostgreSQL under var/cluster/, the
# runtime and 4 web workers in the background (README, "Scaling out").
PORT ?= 8050
cluster: $(STAMP)
	$(BIN)/python scripts/cluster.py start --port $(PORT)

cluster-stop:
	$(PYTHON) scripts/cluster.py stop

# README screenshots of every page, taken in Debian's Chromium (Playwright).
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
