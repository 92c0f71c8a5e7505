# Two commands matter: `make demo` and `make test`. Everything else is their parts.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install assets browser fonts nodes lint format pytest test-pg fuzz serve seed-city messages clean

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3-venv is missing; installing it with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed assets

# Browser libraries served from our own static files (ECharts for the dashboards): pinned
# npm tarballs checked against their sha512 integrity; stdlib Python, no Node needed.
assets:
	$(PYTHON) scripts/fetch_assets.py

# Debian's chromium drives the real-browser tests (never a downloaded browser); the CJK
# fonts make screenshots of Chinese pages legible. WenQuanYi Zen Hei is the font the
# quarterly bulletin's PDF embeds (TrueType outlines, which reportlab embeds; Noto CJK's
# are CFF): production needs it too (docs/operations.md).
browser:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "noto sans cjk" && \
	  test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-cjk fonts-wqy-zenhei >/dev/null; }

# Debian's nginx in front of two gunicorns: tests/deploy/test_two_nodes.py on PostgreSQL
# (scripts/two_nodes.py, deploy/nginx.conf).
nodes:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    nginx >/dev/null; }

# The quarterly bulletin's PDF embeds this font (above): the demo publishes one.
fonts:
	@test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    fonts-wqy-zenhei >/dev/null; }

# Random keys for this checkout (SECRET_KEY, FIELD_ENCRYPTION_KEYS, ID_NUMBER_HASH_KEY),
# written once to var/secrets.env, which the settings read for the keys the environment does
# not set; never replaced, since the ID numbers stored with them could not be read with others.
.PHONY: keys
keys: var/secrets.env
var/secrets.env:
	$(PYTHON) scripts/generate_keys.py $@

demo: export STATIC_MANIFEST = 1
# The demo shows admins the text messages sent (短信发件箱), so activation can be followed.
demo: export SMS_DEMO_OUTBOX = 1
demo: install fonts var/secrets.env
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed --scale demo
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	@# The scheduler (what Celery beat does in production) runs beside the web server, so
	@# that activities close and rosters freeze with nobody clicking.
	$(PY) manage.py run_scheduled --loop 60 >var/scheduler.log 2>&1 & sched=$$!; \
	  trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/gunicorn dangjian.wsgi:application --bind $(HOST):$(PORT) --workers 2 \
	  --timeout 300 --access-logfile -

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

pytest: install browser
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint pytest

# The suite again on PostgreSQL (what .ci/run does second).
test-pg: install browser nodes
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/dangjian} \
	  $(VENV)/bin/pytest $(PYTEST_ARGS)

# Schemathesis against the served API (scripts/fuzz.py, docs/api.md "Fuzzing"): as the city
# admin and as a member, every phase, a fixed seed, its own database and port under
# var/fuzz/; fails on any server error. A short run (.ci/run): FUZZ_EXAMPLES=3
# FUZZ_PHASES=examples,fuzzing,stateful (the coverage phase alone sends thousands).
FUZZ_EXAMPLES ?=
FUZZ_PHASES ?=
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_PHASES=$(FUZZ_PHASES) $(PY) scripts/fuzz.py

seed-city: install var/secrets.env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed --scale city

messages: install var/secrets.env
	cd src/dangjian && ../../$(PY) ../../manage.py makemessages -l en --no-obsolete && \
	  ../../$(PY) ../../manage.py compilemessages -l en

clean:
	rm -rf $(VENV) var
