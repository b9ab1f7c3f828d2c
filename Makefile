# One command for the demo, one for the tests; both set up .venv on first use.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CATALOGUES := natteravn/translations
# English is the source language; these are the translated ones.
LOCALES := nb nn
# The marker functions used in the code: see natteravn/translations/README.md.
KEYWORDS := -k _l -k N_ -k lazy_gettext -k lazy_pgettext:1c,2

# `make demo PORT=5001` serves the demo on another port.
PORT := 5000

.PHONY: demo test lint translations

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/natteravn demo --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check natteravn tests bench migrations
	$(VENV)/bin/ruff format --check natteravn tests bench migrations
	$(VENV)/bin/mypy

# Extract every marked string, merge it into each language's catalogue (starting one if missing)
# and compile the .mo files the app reads. Both .po and .mo files are committed.
translations: $(STAMP)
	mkdir -p $(CATALOGUES)
	$(VENV)/bin/pybabel --quiet extract -F babel.cfg $(KEYWORDS) --add-comments=Translators: \
		--project=Natteravn --copyright-holder="the Natteravn authors" --sort-by-file -o $(CATALOGUES)/messages.pot .
	for locale in $(LOCALES); do \
		if [ -f $(CATALOGUES)/$$locale/LC_MESSAGES/messages.po ]; then \
			$(VENV)/bin/pybabel --quiet update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) -l $$locale \
				--no-fuzzy-matching || exit 1; \
		else \
			$(VENV)/bin/pybabel --quiet init -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) -l $$locale || exit 1; \
		fi; \
	done
	$(VENV)/bin/pybabel compile --statistics -d $(CATALOGUES)
	# WTForms' own messages in the languages WTForms has no catalogue for (nynorsk).
	$(VENV)/bin/pybabel compile --statistics -d $(CATALOGUES) -D wtforms
