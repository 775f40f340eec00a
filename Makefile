# splitdash: `make demo` runs the demo device on the MicroPython unix port,
# `make test` runs the whole suite. Both set everything up on a fresh clone.
# Every host command takes an app folder, APP=path (default: the example in
# examples/greenhouse): `make demo APP=~/my-dash` runs yours, `make build APP=...`
# builds it into build/board; `make widget NAME=thermostat APP=...` adds a
# custom kind to it; `make test APP=...` also runs the tests in its tests/.
# `make demo MQTT=host[:port]` also puts the demo's widgets on that MQTT broker.
# A board on USB: `make deploy DEVICE=/dev/ttyACM0` puts the dashboard on it
# (its code in the board's ROMFS partition where it has one; DEPLOY_ARGS=--no-romfs
# keeps it in lib/),
# `make dev DEVICE=...` runs this tree on it without writing its flash.
# `make serve DEVICE_URL="http://<board> [name=http://<board>...]"` (or
# BOARDS=boards.json) runs the hub: every board's page, their history in
# $(HUB_DB), a fleet page; SERVE_ARGS="--host 0.0.0.0 --keep-days 30" and so on.
# `make bench` compares splitdash with its peers (docs/benchmark.md);
# `make bench MICROPYTHON32=<binary>` adds heap figures taken with another
# micropython, such as a 32-bit build with a board's object sizes (several,
# space-separated: a build with splitdash frozen in, say).
# `make soak` runs the demo for 10 minutes under pages and writes.
# `make bench-hub` takes the hub's figures (recording, a 7-day range, a
# board's cost with pages on the hub against pages on the board).
# `make bench-bundle` times the page on a mid-range phone on a board's WiFi.
# `make screenshots` renders the demo in Chromium to docs/screenshots/.
PORT ?= 8000
HUB_DB ?= hub.sqlite
HEAP ?= 256K
VENV := .venv
PY := $(VENV)/bin/python
BOARD := build/board
# The unix port's own modules (asyncio) are frozen in ".frozen".
MICROPYPATH := .frozen:lib
# The board's settings, written to it as config.json (git-ignored; see
# device/config.example.json).
# By default the app folder's config.local.json, else its config.json.
CONFIG ?=
APP ?= examples/greenhouse
APP_CONFIG = $(or $(CONFIG),$(wildcard $(APP)/config.local.json),$(wildcard $(APP)/config.json))

.PHONY: setup build demo test bench soak clean deploy dev serve bench-bundle bench-hub screenshots widget

setup:
	@tools/setup.sh

build: setup
	@$(PY) tools/build.py --app $(APP)

demo: build
	@echo "splitdash demo: open http://localhost:$(PORT)/ (Ctrl-C stops it)"
	@$(if $(APP_CONFIG),cp "$(APP_CONFIG)" $(BOARD)/config.json)
	@cd $(BOARD) && MICROPYPATH=$(MICROPYPATH) ../../$(VENV)/bin/micropython -X heapsize=$(HEAP) main.py $(PORT) $(MQTT)

test:
	@tools/setup.sh --with-browser --with-broker
	@$(PY) tools/build.py
	@$(PY) -m pytest -q tests
	@# Then the app's own tests (make widget writes one per kind), with the
	@# suite's fixtures, against the app built into build/board.
	@if [ -d "$(APP)/tests" ]; then $(PY) tools/build.py --quiet --app $(APP) && \
		PYTHONPATH=tests $(PY) -m pytest -q -p conftest --rootdir "$(APP)" "$(APP)/tests"; fi

deploy: setup
	@$(PY) tools/deploy.py --app $(APP) $(if $(CONFIG),--config $(CONFIG)) $(DEPLOY_ARGS) $(DEVICE)

dev: setup
	@$(PY) tools/deploy.py --dev --app $(APP) $(if $(CONFIG),--config $(CONFIG)) $(DEPLOY_ARGS) $(DEVICE)

widget: setup
	@$(PY) tools/new_widget.py --app $(APP) $(NAME)

serve: build
	@$(PY) tools/serve.py --port $(PORT) --db $(HUB_DB) $(if $(BOARDS),--boards $(BOARDS)) $(DEVICE_URL) $(SERVE_ARGS)

bench:
	@tools/setup.sh --with-browser --with-valgrind --with-broker
	@$(PY) bench/run.py $(foreach b,$(MICROPYTHON32),--micropython $(b)) $(BENCH_ARGS)

soak:
	@tools/setup.sh
	@$(PY) bench/soak.py $(SOAK_ARGS)

bench-bundle:
	@tools/setup.sh --with-browser
	@$(PY) tools/build.py --quiet
	@$(PY) bench/bundle_budget.py
	@$(PY) bench/bundle_budget.py --laptop
	@$(PY) bench/chart_smoothness.py

bench-hub:
	@tools/setup.sh --with-valgrind
	@$(PY) bench/hub_bench.py $(BENCH_ARGS)

screenshots:
	@tools/setup.sh --with-browser
	@$(PY) tools/screenshots.py $(if $(APP),--app $(APP))

clean:
	rm -rf build
