# Two commands on a fresh Debian machine (as root, or a user with sudo):
#   make run    install what is missing, then start the kiosk in demo mode
#   make test   install what is missing, then run every test
# Both are idempotent: a second run installs nothing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYBABEL := $(VENV)/bin/pybabel
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Debian packages: Python and a compiler for pyscard (swig, libpcsclite-dev), the PC/SC daemon,
# libusb for USB printers (pyusb), a CJK font, a virtual X server for running without a display,
# GL for Kivy, a QR decoder for the tests, strace for the privacy audit's record of every file the
# kiosk writes.
APT_PACKAGES := python3 python3-venv python3-dev gcc make swig libpcsclite-dev pcscd \
	libusb-1.0-0 fonts-noto-cjk xvfb xauth libgl1 libegl1 libmtdev1 zxing-cpp-tools \
	vsmartcard-vpcd strace

.PHONY: run test deps venv lint format bench soak fuzz fuzz-merge clean i18n

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
	$(PYBABEL) -q compile -D kiosk -d assets/locale --use-fuzzy 2>/dev/null || true
	@touch $(STAMP)

# the text catalogue: every marked text into assets/locale/kiosk.pot, each language's .po
# brought up to date (a translator's file), then compiled for the kiosk
i18n: deps $(STAMP)
	$(PYBABEL) -q extract -F babel.cfg -k N_ -k _ --no-location --sort-output --omit-header \
		--project yizheng-kiosk --copyright-holder "the yizheng-kiosk authors" -o assets/locale/kiosk.pot .
	$(PYBABEL) -q update -D kiosk -i assets/locale/kiosk.pot -d assets/locale -l en --no-fuzzy-matching --ignore-pot-creation-date
	$(PYBABEL) -q compile -D kiosk -d assets/locale --use-fuzzy

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
	$(PY) bench/signing.py
	$(PY) bench/print.py
	$(PY) bench/outbox.py
	$(PY) bench/results.py

# thousands of journeys through the real app under Xvfb, its memory, files and threads watched
# (devkit/soak.py; SOAK_JOURNEYS=... for another count); not part of `make test`
soak: deps $(STAMP)
	$(PY) -m devkit.soak $(if $(SOAK_JOURNEYS),--journeys $(SOAK_JOURNEYS))

# Coverage-guided fuzzing of every parser of outside bytes (docs/fuzzing.md): one JSON line per
# target, libFuzzer's output in out/fuzz/<target>.log; fails on any finding.
fuzz: deps $(STAMP)
	$(PY) -m pip install -q -e '.[fuzz]'
	$(PY) -m fuzz

# Fold what the last `make fuzz` found into tests/data/corpus/, minimised.
fuzz-merge: deps $(STAMP)
	$(PY) -m pip install -q -e '.[fuzz]'
	$(PY) -m fuzz --merge

clean:
	rm -rf $(VENV) out tests/artifacts .pytest_cache .ruff_cache
