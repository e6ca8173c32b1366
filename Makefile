# Two commands: `make run` (service with demo data on SQLite) and `make test` (whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
BIND   ?= 127.0.0.1:8000
export TRACEABILITY_HOME ?= $(CURDIR)/instance

.PHONY: fonts run test lint typecheck pytest clean-instance install install-test bench translations

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(BIN)/.installed-test: pyproject.toml $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/.installed

## fonts: labels need a CJK font; install one from Debian's archive when we can (root + apt)
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || ls /usr/share/fonts/truetype/wqy /usr/share/fonts/opentype/noto >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -q fonts-wqy-microhei >/dev/null || true; \
	    else echo 'No CJK font: labels will not render. Install one: sudo apt-get install fonts-noto-cjk'; fi; }
install-test: $(BIN)/.installed-test

## make run: set up the venv, migrate the SQLite database, load demo data when empty, serve on $(BIND)
run: install fonts
	$(BIN)/traceability init
	$(BIN)/traceability demo
	$(BIN)/traceability serve --bind $(BIND)

## make test: lint, type check and the whole test suite (SQLite, and PostgreSQL when reachable)
test: install-test lint typecheck pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

pytest: install-test
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

## make bench: benchmarks as ratios to same-run baselines; writes docs/performance.md
bench: install-test
	$(BIN)/python -m bench $(BENCH_ARGS)

## make translations: extract the Chinese msgids, merge them into the English catalogue, compile the .mo (commit all three)
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k lazy_gettext -k _l -k N_ --no-location --sort-output \
	  --project traceability -o traceability/translations/messages.pot .
	$(BIN)/pybabel update -i traceability/translations/messages.pot -d traceability/translations -l en --no-fuzzy-matching -w 100
	$(BIN)/pybabel compile -d traceability/translations

clean-instance:
	rm -rf instance
