# csirt: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CSIRT_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
APT_PACKAGES := nmap chromium chromium-driver shellcheck libpango-1.0-0 libpangoft2-1.0-0 poppler-utils

.PHONY: run test test-sqlite test-postgres install translations system-packages lint bench wheel clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d csirt/translations 2>&1 | tail -n 2

## make run: upgrade the SQLite database, make sure `admin` exists, serve with the scheduler.
run: install
	$(BIN)/csirt db upgrade
	$(BIN)/csirt ensure-admin
	@if [ "$${CSIRT_DEMO:-0}" = "1" ]; then $(BIN)/csirt demo load; fi
	$(BIN)/csirt serve

## make test: everything the suite needs, then the whole suite on SQLite and on PostgreSQL.
test: install system-packages lint test-sqlite test-postgres

test-sqlite: install
	CSIRT_TEST_DATABASE_URL= $(BIN)/pytest -n 2

test-postgres: install
	$(BIN)/pytest -n 2

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = "0" ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check csirt tests

## make wheel: dist/csirt-*.whl with the compiled translations, templates and migrations inside.
wheel: install
	$(BIN)/pip wheel --quiet --no-deps -w dist .

## make bench: the incident list (bench/incident_list.py), then the JSON API beside a bare one-INSERT
## endpoint on PostgreSQL (bench/api.py; wrk, a Debian package, is installed if missing), then the
## compliance dashboard at national scale beside its raw SQL (bench/compliance.py, PostgreSQL), then
## alert routing and intake (bench/alerts.py: routing in process, single and batch POST beside a bare
## INSERT, 16 clients posting one alert at once; PostgreSQL, wrk), then a serious alert's page: POST →
## e-mail and webhook received (bench/notify.py: gunicorn + `csirt scheduler`, local receivers), then the
## firewall scans of 1,000 and 10,000 loopback servers beside a plain nmap (bench/scan.py, PostgreSQL), then
## the manager dashboard at 100,000 incidents and 1,000,000 alerts and check results beside its raw SQL
## (bench/dashboard.py, PostgreSQL).
bench: install
	@$(MAKE) --no-print-directory system-packages APT_PACKAGES=wrk
	$(BIN)/python bench/incident_list.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/compliance.py
	$(BIN)/python bench/alerts.py
	$(BIN)/python bench/notify.py
	CSIRT_BENCH_DATABASE_URL=$(CSIRT_TEST_DATABASE_URL) $(BIN)/python bench/scan.py
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) build *.egg-info
