"""The alert rules and the scrape configuration, judged by Prometheus's own promtool: the files
are valid, and deploy/alerts.test.yml's synthetic series make each alert fire when it should
and not before. (That each rule names a metric the kiosk serves is checked against the live
endpoint in tests/integration/test_metrics.py.)

promtool is in Debian's `prometheus` package (96 MB installed: not in the Makefile's list).
Without it these tests skip; `apt-get download prometheus && dpkg -x prometheus_*.deb root`
gives root/usr/bin/promtool, and PROMTOOL=that/path runs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool")

pytestmark = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is missing (Debian package prometheus; or PROMTOOL=path/to/promtool)",
)


def promtool(*args: str, cwd: Path = DEPLOY) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_scrape_configuration_and_its_rules_are_valid():
    done = promtool("check", "config", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 4 rules found" in done.stdout


def test_each_alert_fires_when_it_should_and_not_before():
    done = promtool("test", "rules", "alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("for: 2m\n", "for: 0s\n"),  # paper out paged at once, a refill in progress included
        ("kiosk_outbox_oldest_age_seconds > 3600", "kiosk_outbox_oldest_age_seconds > 36000"),
        ('up{job="kiosk"} == 0', 'up{job="kiosks"} == 0'),
    ],
)
def test_the_rule_tests_see_a_wrong_rule(tmp_path, good, bad):
    text = (DEPLOY / "alerts.yml").read_text()
    assert good in text
    (tmp_path / "alerts.yml").write_text(text.replace(good, bad, 1))
    shutil.copy(DEPLOY / "alerts.test.yml", tmp_path)
    done = promtool("test", "rules", "alerts.test.yml", cwd=tmp_path)
    assert done.returncode != 0, done.stdout
