# splitdash: `make demo` runs the demo device on the MicroPython unix port,
# `make test` runs the whole suite. Both set everything up on a fresh clone.
PORT ?= 8000
HEAP ?= 256K
VENV := .venv
PY := $(VENV)/bin/python
BOARD := build/board
# The unix port's own modules (asyncio) are frozen in ".frozen".
MICROPYPATH := .frozen:lib

.PHONY: setup build demo test bench clean

setup:
	@tools/setup.sh

build: setup
	@$(PY) tools/build.py

demo: build
	@echo "splitdash demo: open http://localhost:$(PORT)/ (Ctrl-C stops it)"
	@cd $(BOARD) && MICROPYPATH=$(MICROPYPATH) ../../$(VENV)/bin/micropython -X heapsize=$(HEAP) main.py $(PORT)

test:
	@tools/setup.sh --with-browser
	@$(PY) tools/build.py --quiet
	@$(PY) -m pytest -q tests

clean:
	rm -rf build
