# Two commands from a fresh clone: `make run` and `make test`. Each sets up .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PORT ?= 5000
FLASK := ADDIN_AUTH_MODE=dev $(VENV)/bin/flask --app addin_server

.PHONY: run test lint bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

# Re-install when the project's requirements change.
$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	@$(FLASK) seed-demo
	@echo ""
	@echo "MAP add-in is running in dev mode (answers only this machine):"
	@echo "  health:        http://127.0.0.1:$(PORT)/healthz"
	@echo "  demo plan:     http://127.0.0.1:$(PORT)/api/plans"
	@echo "  compose pane:  http://127.0.0.1:$(PORT)/taskpane/compose"
	@echo "  read pane:     http://127.0.0.1:$(PORT)/taskpane/read"
	@echo ""
	@$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
