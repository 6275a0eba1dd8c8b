# OneScreen (一屏): the two everyday commands are `make run` and `make test`.
#
# The virtualenv lives in .venv; stamp files inside it record which requirements file was last
# installed, so pip runs only when requirements*.txt changed and a second `make run` starts at once.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8501
# The address the dashboard listens on: this machine only unless asked (BIND=0.0.0.0 for screens on the LAN).
BIND ?= 127.0.0.1
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
BOOT_PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The same default as onescreen/settings.py: $ONESCREEN_DB, or warehouse.duckdb in $ONESCREEN_DATA_DIR or data/.
# A missing warehouse means the demo only in a fresh clone (neither is set). A deployment (either is set) starts
# with an empty warehouse of its own (etl init); a folder someone named that does not exist is refused by both.
WAREHOUSE := $(or $(ONESCREEN_DB),$(or $(ONESCREEN_DATA_DIR),data)/warehouse.duckdb)
DEPLOYMENT := $(ONESCREEN_DB)$(ONESCREEN_DATA_DIR)
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
NGINX := /usr/sbin/nginx

.PHONY: help run demo replicas test parity bench loadtest loadtest-server bench-replicas clean venv dev-venv warehouse system-deps nginx-dep

help:
	@echo "make run [PORT=8501] [BIND=127.0.0.1]  start the dashboard; a missing warehouse is built first: the demo in a fresh clone,"
	@echo "                      an empty one when ONESCREEN_DATA_DIR or ONESCREEN_DB is set (BIND=0.0.0.0: reachable from the LAN)"
	@echo "make demo             build the demo district (python -m etl demo) into the warehouse in use"
	@echo "make replicas [N=cores] [PORT=8500] [BIND=127.0.0.1]  N dashboard processes behind nginx (deploy/replicas.py)"
	@echo "make test             install test dependencies (and chromium, nginx via apt if root), run all tests"
	@echo "make parity           the same named queries on DuckDB and on ClickHouse (chdb), compared"
	@echo "make bench            run the benchmarks (bench/run_all.py)"
	@echo "make loadtest         run the concurrent-session load test (bench/loadtest.py)"
	@echo "make loadtest-server  the same sessions without a browser: the server's share (bench/loadtest_server.py)"
	@echo "make bench-replicas   30 browser sessions across 3 replicas behind nginx (bench/bench_replicas.py)"
	@echo "make clean            remove caches and test artifacts (keeps .venv and data/)"

$(PY):
	@test -n "$(BOOT_PYTHON)" || { echo "错误：找不到 python3.11 或 python3，请先安装 Python 3.11。"; exit 1; }
	$(BOOT_PYTHON) -m venv $(VENV)

$(VENV)/.requirements.stamp: requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	@touch $@

$(VENV)/.requirements-dev.stamp: requirements-dev.txt requirements.txt | $(PY)
	$(PIP) install -q -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.requirements.stamp

dev-venv: $(VENV)/.requirements-dev.stamp

# A shell test rather than a file target: an existing warehouse is never rebuilt because some
# source file is newer than it; it holds loaded data. Its marts are refreshed only when the code
# or config/rules.toml changed since they were built (a read-only check otherwise).
# A deployment (ONESCREEN_DATA_DIR or ONESCREEN_DB set) never gets the demo's 26万 invented tickets by itself.
warehouse: venv
	@if [ -e "$(WAREHOUSE)" ]; then \
	  $(PY) -m etl refresh --if-stale --quiet; \
	elif [ -n "$(DEPLOYMENT)" ]; then \
	  $(PY) -m etl init --quiet; \
	else \
	  echo "正在生成演示数据：$(WAREHOUSE)"; \
	  $(PY) -m etl demo --quiet; \
	fi

# The demo district, asked for by name: into the warehouse in use (a deployment's own folder too; try it in another).
demo: venv
	$(PY) -m etl demo

run: venv warehouse
	$(PY) -m onescreen.serve app.py --server.port $(PORT) --server.address $(BIND)

# N replicas of the dashboard behind nginx (issue 10): nginx on PORT (8500 unless PORT is given),
# the replicas on PORT+10 onwards, all reading $(WAREHOUSE); Ctrl-C stops them all. Config, logs and
# the shared cookie secret go to run/replicas/ (of $ONESCREEN_DATA_DIR when set). BIND=0.0.0.0 lets screens on the LAN reach nginx.
# All options: .venv/bin/python -m deploy.replicas --help
# One replica per core: Python runs one core per process (measured: 2 replicas beat 3 on 2 cores).
N ?= $(shell nproc 2>/dev/null || echo 2)
REPLICAS_PORT := $(if $(filter file,$(origin PORT)),8500,$(PORT))
replicas: venv warehouse nginx-dep
	$(PY) -m deploy.replicas --replicas $(N) --port $(REPLICAS_PORT) --host $(BIND)

# Just nginx, for `make replicas` on a server that needs no browser.
nginx-dep:
	@if [ ! -x $(NGINX) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing nginx with apt-get"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nginx >/dev/null; \
	  else \
	    echo "错误：找不到 $(NGINX)，且不是 root：请先 apt-get install nginx。"; exit 1; \
	  fi; \
	fi

# Debian's chromium and CJK fonts for the real-browser tests, and nginx for the replicas (and their
# test). Installed only when missing and only as root; otherwise the browser tests skip and say why.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -e $(CJK_FONT) ] || [ ! -x $(NGINX) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing chromium, fonts-noto-cjk and nginx with apt-get"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-noto-cjk nginx >/dev/null; \
	  else \
	    echo "Note: chromium, fonts-noto-cjk or nginx is missing and this is not root: apt-get install chromium fonts-noto-cjk nginx (browser tests skip without chromium, the replicas test without nginx)."; \
	  fi; \
	fi

# Two workers (pytest-xdist), each taking whole test files: a file's browser tests share one streamlit
# server and one chromium. Measured 5 min 41 s for the suite, against 11 min 52 s in one process.
# TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2
test: dev-venv system-deps
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# Every named query on DuckDB and on ClickHouse (chdb) over one Parquet snapshot, compared. Also part
# of `make test` (the same test files).
parity: dev-venv
	$(PY) -m pytest -q tests/test_parity.py tests/test_engine.py tests/test_engine_marts.py

bench: dev-venv
	@if [ -f bench/run_all.py ]; then $(PY) bench/run_all.py; \
	else echo "bench/run_all.py does not exist yet: nothing to run."; fi

# 3 rounds of 30 concurrent browser sessions, then a 60-minute big-screen soak (about 70 minutes).
# Shorter: make loadtest LOADTEST_ARGS="--soak-minutes 10"; all options: .venv/bin/python bench/loadtest.py --help
loadtest: dev-venv system-deps warehouse
	$(PY) bench/loadtest.py $(LOADTEST_ARGS)

# 3 rounds of 30 concurrent sessions speaking Streamlit's websocket protocol (no browser): what the pages
# cost the server, apart from the drawing chromium does (a minute or two). Options: bench/loadtest_server.py --help
loadtest-server: dev-venv warehouse
	$(PY) bench/loadtest_server.py $(LOADTEST_SERVER_ARGS)

# 30 concurrent browser sessions through nginx across 3 replicas (p95 first render, errors, where each
# landed), then the same round against one replica directly. Options: .venv/bin/python bench/bench_replicas.py --help
bench-replicas: dev-venv system-deps warehouse
	$(PY) bench/bench_replicas.py $(BENCH_REPLICAS_ARGS)

clean:
	rm -rf test-artifacts .pytest_cache bench/out
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
