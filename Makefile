# Two commands for a fresh machine: `make run` and `make test`. `make setup` is what both call.
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup system python frontend messages run test lint check bench production-check clean

setup: system python frontend messages

# System packages: mysqlclient needs libmariadb-dev and pkg-config; captures and browser tests need a
# Chromium (a Playwright-managed one if present, else Debian's), and the OG card a font with Hangul.
# The capture worker prefers Debian's much lighter chromium-headless-shell: added when setup can
# install it (root with apt); elsewhere captures use the Chromium above. Likewise nginx, for the
# production test and `make production-check` (docs/production.md); make run never needs it.
system:
	@missing=""; \
	pkg-config --exists libmariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null || missing="$$missing libmariadb-dev"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	ls $$HOME/.cache/ms-playwright/chromium-*/chrome-linux*/chrome >/dev/null 2>&1 || test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! test -x /usr/bin/chromium-headless-shell; then missing="$$missing chromium-headless-shell"; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! test -x /usr/sbin/nginx; then missing="$$missing nginx"; fi; \
	fc-list :lang=ko 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	for tool in $(EXTRA_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "setup: installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "setup: missing system packages:$$missing"; \
	    echo "setup: on Debian/Ubuntu run: sudo apt-get install$$missing (then make setup again)"; exit 1; \
	  fi; \
	fi

python: $(VENV)/.installed

# The Korean UI: compiled from posts/locale/*/django.po into .mo files, which are never committed.
# Only when a catalog changed: a running server or test run keeps reading the .mo files.
CATALOGS := $(wildcard posts/locale/*/LC_MESSAGES/django.po)
messages: $(CATALOGS:.po=.mo)

%.mo: %.po | python
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var -v 0

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# The scripts the render page loads, built into var/frontend/ (a STATICFILES_DIRS entry) by esbuild,
# pinned in package-lock.json. The tests rebuild them first when a source is newer (the root conftest.py).
BUNDLES := var/frontend/render/harness.js var/frontend/vendor/three/three.min.js \
  var/frontend/vendor/p5/p5-1.min.js var/frontend/vendor/p5/p5-2.min.js var/frontend/editor/editor.js
ESBUILD := node_modules/.bin/esbuild --bundle --format=iife --log-level=warning

frontend: $(BUNDLES)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --include=dev --no-audit --no-fund --loglevel=error
	@touch $@

# The harness's modules as one classic script. Not minified: 270 KB, most of it acorn (the loop
# guard's parser; minifying saved about 10 of the 20 ms it adds to a fresh page's first frame),
# readable in the developer tools, compressed by whitenoise (60 KB); --keep-names keeps the names
# of the functions posts see.
var/frontend/render/harness.js: $(shell find static/render/src -name "*.js") node_modules/.package-lock.json Makefile
	$(ESBUILD) static/render/src/harness.js --keep-names --outfile=$@

# three.js on its own, so a viewer keeps it cached when the harness changes; minified, a third of
# the package's two files, so every viewer downloads less and every three.js capture parses less.
var/frontend/vendor/three/three.min.js: static/render/src/vendor/three.js node_modules/.package-lock.json Makefile
	$(ESBUILD) static/render/src/vendor/three.js --minify --legal-comments=inline --outfile=$@

# p5.js in both major versions people write for (docs/posting.md says which a post gets), each a
# script of its own like three.js. 1.x is the package's own minified build; 2.x is put together
# from its modules without the friendly-error layer, as p5's own p5.min.js is (IS_MINIFIED).
var/frontend/vendor/p5/p5-1.min.js: static/render/src/vendor/p5-1.js node_modules/.package-lock.json Makefile
	$(ESBUILD) static/render/src/vendor/p5-1.js --minify --legal-comments=inline --outfile=$@

var/frontend/vendor/p5/p5-2.min.js: static/render/src/vendor/p5-2.js node_modules/.package-lock.json Makefile
	$(ESBUILD) static/render/src/vendor/p5-2.js --define:IS_MINIFIED=true --minify --legal-comments=inline --outfile=$@

# The upload form's code editor (CodeMirror 6 and its GLSL, JavaScript and XML modes), minified: the
# form works without it, so only people who write a post download it (about 460 KB, 155 KB compressed).
var/frontend/editor/editor.js: $(shell find static/editor/src -name "*.js") node_modules/.package-lock.json Makefile
	$(ESBUILD) static/editor/src/editor.js --minify --legal-comments=inline --outfile=$@

# Links that leave a page (og:image, the API's next/previous) are built from SITE_URL: by default
# the address make run serves (set SITE_URL and DJANGO_ALLOWED_HOSTS to serve other machines).
run: export SITE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@# The capture worker runs beside the web server. Ctrl-C reaches both: the worker finishes its
	@# capture in flight and exits; if the server stops on its own, the worker is stopped too.
	@$(PY) manage.py capture_queue --watch --interval 1 & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	trap 'trap - EXIT; wait $$worker; exit 0' INT; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(VENV)/bin/pytest

lint: python
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: python
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Only the benchmark needs wrk (bench/http_bench.py's load generator), so only it asks setup for it.
bench: EXTRA_TOOLS := wrk
bench: setup
	$(PY) bench/run.py

# docs/production.md run for real: nginx (TLS, static and image files, the upload limit, slow
# clients) in front of gunicorn on loopback, in a temporary directory. Needs Debian's nginx.
production-check: setup
	$(VENV)/bin/pytest posts/tests/test_production.py -v

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .ruff_cache
