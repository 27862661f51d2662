# The two commands the README promises: `make demo` and `make test`.
# Both bootstrap first (idempotent: a second run takes a few seconds).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: bootstrap demo test lint bench clean

bootstrap:
	@$(PYTHON) tools/bootstrap.py

demo: bootstrap
	$(BIN)/kioskguard demo

test: bootstrap
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: bootstrap
	$(BIN)/ruff check agent tests tools bench
	$(BIN)/ruff format --check agent tests tools bench
	$(BIN)/mypy

bench: bootstrap
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
