# The two commands: `make run` and `make test`. Both install whatever is missing first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install system run test test-unit lint schema bench clean

install: system $(STAMP)

system:
	@bash scripts/install-system.sh
	@bash scripts/install-vcsim.sh
	@bash scripts/install-helm.sh
	@bash scripts/fetch-assets.sh

$(STAMP): pyproject.toml scripts/install-app.sh
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@# The install every path runs (the image too): the project, then the dashboard.
	@bash scripts/install-app.sh $(VENV) "-e .[dev]" -q
	@touch $(STAMP)

run: install
	@$(VENV)/bin/inventory dev up

test: install
	@$(PY) -m pytest $(PYTEST_ARGS)

# The fast tier: no server, no network.
test-unit: $(STAMP)
	@$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

# docs/schema.graphql, from the GraphQL schema the API builds (tests/test_graphql_schema.py).
schema: $(STAMP)
	@PY=$(PY) bash scripts/graphql-schema.sh

bench: install
	@$(PY) bench/ingest.py

clean:
	rm -rf .inventory
