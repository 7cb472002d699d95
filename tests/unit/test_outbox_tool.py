"""`kiosk outbox status` and `kiosk outbox retry` on real outbox files."""

from __future__ import annotations

import argparse
import json
import time

import pytest

from cli import outbox as outbox_tool
from offline.outbox import Kind, Outbox

CONFIG = """
[kiosk]
device_id = "SX-TY-0009"
region_code = "140100"
data_dir = "state"
[platform]
url = "https://platform.example"
device_key = "00112233445566778899aabbccddeeff"
[devices]
card_reader = "sam+serial:///dev/ttyUSB0"
printer = "escpos+tcp://10.0.0.5"
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = outbox_tool.main(["outbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "outbox.db"
    now = time.time()
    with Outbox(path, max_events=2) as box:
        for i in range(3):
            box.enqueue(Kind.RATING, f"r{i}", {"rater_ref": "R-private-ref"}, now=now - 3600 - i)
        for i in range(4):
            box.enqueue(Kind.EVENT, f"e{i}", {"event": "paper_out"}, now=now - 60 + i)
        box.retry_later(["r0", "r1"], "unreachable: PUT /v1/ratings: ConnectionError", 30)
        box.dead_letter({"r2": "refused by the platform: reason_required"})
    return path


def test_status_of_a_missing_outbox_is_zeros_and_creates_nothing(tmp_path, capsys):
    code, out, err = run(capsys, "status", "--db", str(tmp_path / "data" / "outbox.db"), "--json")
    assert code == 0 and err == ""
    report = json.loads(out)
    assert report["exists"] is False
    assert report["pending"] == {"rating": 0, "event": 0, "complaint": 0}
    assert report["dead_total"] == 0 and report["dead_letters"] == []
    assert report["dropped_events"] == 0
    code, out, _ = run(capsys, "status", "--db", str(tmp_path / "data" / "outbox.db"))
    assert code == 0 and "nothing has been queued" in out and "waiting: 0 ratings" in out
    assert list(tmp_path.iterdir()) == [], "no junk"


def test_status_as_json(filled, capsys):
    code, out, _ = run(capsys, "status", "--db", str(filled), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["exists"] is True
    assert report["pending"] == {"rating": 2, "event": 2, "complaint": 0}
    assert 3600 <= report["oldest_pending_age_s"]["rating"] < 3700
    assert 0 <= report["oldest_pending_age_s"]["event"] < 120
    assert report["retrying"] == {"unreachable: PUT /v1/ratings: ConnectionError": 2}
    assert report["dead_total"] == 1
    (dead,) = report["dead_letters"]
    assert dead["id"] == "r2" and dead["reason"] == "refused by the platform: reason_required"
    assert dead["kind"] == "rating" and dead["attempts"] == 1
    assert report["dropped_events"] == 2
    assert "R-private-ref" not in out, "never a payload"


def test_status_for_people(filled, capsys):
    code, out, _ = run(capsys, "status", "--db", str(filled))
    assert code == 0
    assert "waiting: 2 ratings (oldest 1 h 0 min), 2 device events (oldest" in out
    assert "unreachable: PUT /v1/ratings: ConnectionError" in out
    assert "dead letters): 1" in out and "reason_required (1 attempt)" in out
    assert "kiosk outbox retry" in out
    assert "device events dropped over the limit: 2" in out
    assert "R-private-ref" not in out


def test_retry_all_and_by_id(filled, capsys):
    with Outbox(filled) as box:
        box.enqueue(Kind.RATING, "r9", {}, now=1)
        box.dead_letter({"r9": "refused by the platform: bad_level"})
    code, out, _ = run(capsys, "retry", "--db", str(filled), "--id", "r9", "--json")
    assert code == 0 and json.loads(out) == {"path": str(filled), "moved": 1, "not_found": []}
    code, out, _ = run(capsys, "retry", "--db", str(filled), "--id", "nope")
    assert code == 1 and "not a dead letter here: nope" in out
    code, out, _ = run(capsys, "retry", "--db", str(filled))
    assert code == 0 and "1 dead letter back in the outbox" in out
    with Outbox(filled) as box:
        assert box.counts().dead == 0
        assert box.counts().pending == {"rating": 4, "event": 2}
    code, out, _ = run(capsys, "retry", "--db", str(filled))
    assert code == 0 and "no dead letters moved" in out


def test_retry_on_a_missing_outbox_moves_nothing_and_creates_nothing(tmp_path, capsys):
    code, out, _ = run(capsys, "retry", "--db", str(tmp_path / "outbox.db"), "--json")
    assert code == 0 and json.loads(out)["moved"] == 0
    assert list(tmp_path.iterdir()) == []


def test_the_configured_data_dir(tmp_path, capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text(CONFIG)
    code, out, _ = run(capsys, "status", "--config", str(config), "--json")
    assert code == 0 and json.loads(out)["path"] == str(tmp_path / "state" / "outbox.db")
    assert not (tmp_path / "state").exists()
    with Outbox(tmp_path / "state" / "outbox.db") as box:
        box.enqueue(Kind.RATING, "r1", {})
    code, out, _ = run(capsys, "status", "--config", str(config), "--json")
    assert json.loads(out)["pending"]["rating"] == 1


def test_the_demo_outbox(tmp_path, capsys):
    code, out, _ = run(capsys, "status", "--demo", "--out", str(tmp_path), "--json")
    assert code == 0
    assert json.loads(out)["path"] == str(tmp_path / "demo" / "data" / "outbox.db")
    args = argparse.Namespace(db=None, demo=True, out=None)
    assert outbox_tool.outbox_path(args) == outbox_tool.REPO / "out/demo/data/outbox.db"


def test_a_bad_configuration_is_one_line(tmp_path, capsys):
    code, out, err = run(capsys, "status", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and out == ""
    assert err.startswith("kiosk outbox: no configuration at") and err.count("\n") == 1


def test_a_damaged_outbox_is_one_line(tmp_path, capsys):
    path = tmp_path / "outbox.db"
    path.write_bytes(b"not sqlite at all " * 100)
    code, out, err = run(capsys, "status", "--db", str(path))
    assert code == 2 and out == ""
    assert "not an outbox database" in err and "Traceback" not in err


def test_the_options_exclude_each_other(tmp_path, capsys):
    with pytest.raises(SystemExit):
        outbox_tool.main(["outbox", "status", "--demo", "--db", str(tmp_path / "x.db")])
    capsys.readouterr()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "5 s"), (125, "2 min"), (3 * 3600 + 720, "3 h 12 min"), (3 * 86400 + 7200, "3 days 2 h")],
)
def test_durations(seconds, text):
    assert outbox_tool.duration(seconds) == text
