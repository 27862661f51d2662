# The two commands the README promises: `make demo` and `make test`.
# Both bootstrap first (idempotent: a second run takes a few seconds).
PYTHON ?= python3
VENV := .venv
# Test files run in parallel: browsers and daemons spend most of their time waiting, so three
# workers keep two cores busy. Each file stays on one worker (its module fixtures are shared).
TEST_WORKERS ?= 3
BIN := $(VENV)/bin

.PHONY: bootstrap demo test lint bench constraints clean mutation

bootstrap:
	@$(PYTHON) tools/bootstrap.py

demo: bootstrap
	$(BIN)/kioskguard demo

test: bootstrap
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: bootstrap
	$(BIN)/ruff check agent tests tools bench
	$(BIN)/ruff format --check agent tests tools bench
	$(BIN)/mypy
	$(BIN)/python tools/lint_js.py

# Remove each reader rule and logout-loop step in turn, run its fast tests, show one fails; the
# report (every mutant, its killer or why it survives) goes to docs/mutation.md. Two workers:
# the reader's mutants in one pytest process on one browser, the loop's a process each; the run
# time is in the report. MUTATION_ARGS="--only loop: --keep-others" etc.
mutation: bootstrap
	$(BIN)/python tools/mutate_rules.py --report docs/mutation.md $(MUTATION_ARGS)

bench: bootstrap
	$(BIN)/python -m bench

# constraints.txt: the exact versions every install uses (bootstrap, docs, Dockerfile, Ansible).
# uv resolves once for every platform and Python >= 3.11 (--universal): Windows-only packages
# (colorama, tzdata) get markers instead of going missing, which pip-compile cannot do.
# Run after changing a dependency in pyproject.toml; review and commit the diff.
constraints: bootstrap
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --all-extras \
		--custom-compile-command "make constraints" --quiet -o constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
