# The two quick-start commands: `make serve` and `make test`.
VENV := .venv/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-test build serve test lint bench release clean

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

build: setup
	$(VENV)/kg build

serve: build
	$(VENV)/kg serve --host $(HOST) --port $(PORT)

test: setup-test
	$(VENV)/ruff check .
	$(VENV)/python -m pytest -q

lint: setup-test
	$(VENV)/ruff check . && $(VENV)/ruff format --check .

bench: setup-test build
	$(VENV)/python benchmarks/run.py

release: setup-test  # the OWL/XML and functional-syntax files need the OWL API and a JDK
	$(VENV)/kg build
	$(VENV)/kg release

clean:
	rm -rf var dist build .pytest_cache
