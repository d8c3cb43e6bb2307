# The README's two commands: `make run` and `make test`. Both set up .venv on a fresh machine first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt
APT_PACKAGES := libgl1 libegl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
	libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libfontconfig1 libdbus-1-3 poppler-utils xvfb xauth

.PHONY: run test setup apt report package bench lint clean docs

$(BIN)/genai-sim: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e '.[dev,cluster,docs]' torch
	touch $(BIN)/genai-sim

setup: apt $(BIN)/genai-sim

# Qt needs a few system libraries; install them when we can (root, apt present) and they are missing.
apt:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	fi

run: setup
	$(BIN)/genai-sim assets/templates/rag-pipeline.genai.json

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -p no:cacheprovider
	$(MAKE) --no-print-directory docs

# The documentation site (Sphinx + MyST): reference pages are generated from the code at build time; any warning
# fails the build. Open build/docs/index.html, or Help > Documentation in the designer.
docs: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m sphinx -W --keep-going -q -b html docs build/docs
	@echo "documentation: build/docs/index.html"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

report: setup
	$(BIN)/genai-sim report assets/templates/rag-pipeline.genai.json -o build/report/rag-pipeline.html

bench: setup
	$(BIN)/python benchmarks/engine_speed.py

package: setup docs
	bash packaging/build.sh

clean:
	rm -rf build dist $(VENV)
