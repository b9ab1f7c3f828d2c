# One command for the demo, one for the tests; both set up .venv on first use.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint translations

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/natteravn demo

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check natteravn tests bench migrations

translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k N_ -o natteravn/translations/messages.pot .
	$(VENV)/bin/pybabel update -i natteravn/translations/messages.pot -d natteravn/translations --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d natteravn/translations
