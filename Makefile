# Two commands on a fresh Debian machine (as root, or a user with sudo):
#   make run    install what is missing, then start the kiosk in demo mode
#   make test   install what is missing, then run every test
# Both are idempotent: a second run installs nothing.
# And on a kiosk, as root: make install (the app in /opt/kiosk, the unit, the udev rules, an
# example configuration; see the target).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYBABEL := $(VENV)/bin/pybabel
MO := $(patsubst %.po,%.mo,$(wildcard assets/locale/*/LC_MESSAGES/kiosk.po))
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Debian packages: Python and a compiler for pyscard (swig, libpcsclite-dev), the PC/SC daemon,
# libusb for USB printers (pyusb), a CJK font, a virtual X server for running without a display,
# GL for Kivy, a QR decoder for the tests, strace for the privacy audit's record of every file the
# kiosk writes, systemd (on a container too) for systemd-analyze, which checks the unit,
# espeak-ng for the spoken prompts (made at build time, kiosk voice build).
APT_PACKAGES := python3 python3-venv python3-dev gcc make swig libpcsclite-dev pcscd \
	libusb-1.0-0 fonts-noto-cjk xvfb xauth libgl1 libegl1 libmtdev1 zxing-cpp-tools \
	vsmartcard-vpcd strace systemd espeak-ng
# what a production kiosk needs of them (make install): no X server of its own, no test tools
KIOSK_PACKAGES := python3 python3-venv python3-dev gcc make swig libpcsclite-dev pcscd \
	libusb-1.0-0 fonts-noto-cjk libgl1 libegl1 libmtdev1 espeak-ng

.PHONY: run test deps apt-install venv voice lint format bench soak fuzz fuzz-merge clean i18n \
	install install-deps

run: deps $(STAMP) $(MO) voice
	$(VENV)/bin/kiosk run --demo

test: deps $(STAMP) $(MO) voice
	$(PY) -m pytest -q -n 2 -m "not pcsc"
	$(PY) -m pytest -q -m pcsc

# each language's compiled catalogue, again whenever its translations change
$(MO): %.mo: %.po $(STAMP)
	$(PYBABEL) -q compile -D kiosk -i $< -o $@

deps:
	@$(MAKE) -s apt-install PACKAGES="$(APT_PACKAGES)"

# the Debian packages of PACKAGES that are missing, installed (nothing when none is)
apt-install:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing </dev/null; \
	fi

venv: deps $(STAMP)

# the spoken prompts, made from the catalogue by espeak-ng (quick when nothing changed)
voice: deps $(STAMP) $(MO)
	@$(VENV)/bin/kiosk voice build

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
	$(PY) bench/linebreak.py
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

# A production kiosk, as root on a fresh Debian: the Debian packages, the kiosk user (in the
# groups that own the screen, the touch input and serial ports), the app in $(PREFIX) with its
# own virtualenv, compiled (the unit's ProtectSystem=strict keeps it read-only), the systemd
# unit, the udev rules, and /etc/kiosk/kiosk.toml from the example only when there is none.
# DESTDIR=/some/root stages all of it there instead and touches nothing of this machine: no
# packages, no user, no reload (tests/unit/test_install.py).
PREFIX ?= /opt/kiosk
DESTDIR ?=
KIOSK_GROUPS := dialout video input render lp
# what is installed: the tracked files (a checkout), or every file (a release tarball), without
# tests, fuzzing, benchmarks, the venv and outputs
INSTALL_SOURCES := { git ls-files 2>/dev/null || find . -type f -printf '%P\n'; } \
	| grep -v -E '^(tests|fuzz|bench|out|\.venv|\.git)/'
APP := $(DESTDIR)$(PREFIX)

install-deps:
	@$(MAKE) -s apt-install PACKAGES="$(KIOSK_PACKAGES)"

install: $(if $(DESTDIR),,install-deps)
	@test -n "$(DESTDIR)" || test "$$(id -u)" = 0 || { echo "make install: run as root (or with DESTDIR=)"; exit 1; }
	$(if $(DESTDIR),@echo "make install: staged in $(DESTDIR): no user created",\
	getent group kiosk >/dev/null || groupadd --system kiosk; \
	id -u kiosk >/dev/null 2>&1 || useradd --system --gid kiosk --no-create-home \
		--home-dir /var/lib/kiosk --shell /usr/sbin/nologin --comment "self-service kiosk" kiosk; \
	for g in $(KIOSK_GROUPS); do getent group $$g >/dev/null && usermod -aG $$g kiosk; done; true)
	install -d -m 0755 $(APP)
	$(INSTALL_SOURCES) | tar -c -T - | tar -x --no-same-owner -C $(APP)
	test -x $(APP)/.venv/bin/python || $(PYTHON) -m venv $(APP)/.venv
	$(APP)/.venv/bin/python -m pip install -q -e '$(APP)[i18n]'
	cd $(APP) && .venv/bin/python -m screens.fonts >/dev/null
	$(APP)/.venv/bin/pybabel -q compile -D kiosk -d $(APP)/assets/locale --use-fuzzy
	$(APP)/.venv/bin/kiosk voice build >/dev/null
	$(APP)/.venv/bin/python -m compileall -q $(APP) -x '/\.venv/' >/dev/null
	install -D -m 0644 deploy/kiosk.service $(DESTDIR)/etc/systemd/system/kiosk.service
	install -D -m 0644 deploy/70-kiosk-devices.rules $(DESTDIR)/etc/udev/rules.d/70-kiosk-devices.rules
	install -d -m 0750 $(DESTDIR)/etc/kiosk
	test -e $(DESTDIR)/etc/kiosk/kiosk.toml || install -m 0640 deploy/kiosk.example.toml $(DESTDIR)/etc/kiosk/kiosk.toml
	$(if $(DESTDIR),,chgrp kiosk /etc/kiosk /etc/kiosk/kiosk.toml)
	$(if $(DESTDIR),,systemctl daemon-reload 2>/dev/null || true)
	$(if $(DESTDIR),,udevadm control --reload 2>/dev/null && udevadm trigger --action=add 2>/dev/null || true)
	@echo "make install: done. Next: edit /etc/kiosk/kiosk.toml, write the"
	@echo "  device key to /etc/kiosk/device.key (chown kiosk, chmod 600), the devices' VID/PID in"
	@echo "  /etc/udev/rules.d/70-kiosk-devices.rules, then: systemctl enable --now kiosk"

clean:
	rm -rf $(VENV) out tests/artifacts .pytest_cache .ruff_cache
