# Two commands on a fresh Debian machine (as root, or a user with sudo):
#   make run    install what is missing, then start the kiosk in demo mode
#   make test   install what is missing, then run every test
# Both are idempotent: a second run installs nothing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Debian packages: Python and a compiler for pyscard (swig, libpcsclite-dev), the PC/SC daemon,
# libusb for USB printers (pyusb), a CJK font, a virtual X server for running without a display,
# GL for Kivy, a QR decoder for the tests.
APT_PACKAGES := python3 python3-venv python3-dev gcc make swig libpcsclite-dev pcscd \
	libusb-1.0-0 fonts-noto-cjk xvfb xauth libgl1 libegl1 libmtdev1 zxing-cpp-tools \
	vsmartcard-vpcd

.PHONY: run test deps venv lint format bench soak clean

run: deps $(STAMP)
	$(VENV)/bin/kiosk run --demo

test: deps $(STAMP)
	$(PY) -m pytest -q

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing </dev/null; \
	fi

venv: deps $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m screens.fonts >/dev/null
	@touch $(STAMP)

lint: deps $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: deps $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# every benchmark; the figures, each with its target and whether it was met, land in
# bench/results.json (one run, this machine)
bench: deps $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/results.py --clear
	$(PY) bench/journey.py
	$(PY) bench/idcard.py
	$(PY) bench/qr.py
	$(PY) bench/print.py
	$(PY) bench/outbox.py
	$(PY) bench/results.py

# thousands of journeys through the real app under Xvfb, its memory, files and threads watched
# (devkit/soak.py; SOAK_JOURNEYS=... for another count); not part of `make test`
soak: deps $(STAMP)
	$(PY) -m devkit.soak $(if $(SOAK_JOURNEYS),--journeys $(SOAK_JOURNEYS))

clean:
	rm -rf $(VENV) out tests/artifacts .pytest_cache .ruff_cache
