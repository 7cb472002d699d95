"""Logs: JSON lines to the journal under systemd, a rotated file otherwise; masked on every
handler (kiosk/logs.py, kiosk/masking.py; docs/privacy.md)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk import logs
from kiosk.masking import scrub

ROOT = Path(__file__).resolve().parents[2]
ID_NUMBER = "140105198503120210"
TOKEN = "SXT1.k7Qp2rX9vLmN4sT8wYzA6bCdEfGh"


@pytest.fixture
def root_logging():
    """setup() takes over the root logger: give it back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def planted(log: logging.Logger) -> None:
    """What must never reach a log whole, as careless code might write it."""
    log.warning("card %s read for name=张三丰, token=%s", ID_NUMBER, TOKEN)
    log.info("scanned", extra={"device": "qr_scanner", "code": TOKEN, "holder": ID_NUMBER})
    try:
        raise ValueError(f"bad card {ID_NUMBER}")
    except ValueError:
        log.exception("reader failed")


def assert_masked(text: str) -> None:
    assert ID_NUMBER not in text and "张三丰" not in text and TOKEN not in text
    assert TOKEN[5:] not in text and TOKEN[-12:] not in text
    assert "140105********0210" in text and "张*丰" in text


def test_a_rotated_file_of_json_lines_without_systemd(tmp_path, root_logging):
    where = logs.setup(tmp_path / "logs", environ={})
    assert where == str(tmp_path / "logs" / "kiosk.jsonl")
    planted(logging.getLogger("kiosk.test"))
    logging.getLogger().handlers[-1].flush()
    text = (tmp_path / "logs" / "kiosk.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [e["level"] for e in lines] == ["warning", "info", "error"]
    first, fielded, failed = lines
    assert list(first)[:4] == ["time", "level", "logger", "message"]
    assert first["logger"] == "kiosk.test" and first["time"][10] == "T"
    assert (
        first["message"]
        == f"card 140105********0210 read for name=张*丰, token={TOKEN[:4]}…(33 chars)"
    )
    assert fielded["device"] == "qr_scanner" and fielded["holder"] == "140105********0210"
    assert fielded["code"] == "SXT1…(33 chars)"
    assert "ValueError: bad card 140105********0210" in failed["exc"]
    assert_masked(text)


def test_the_file_is_bounded(tmp_path, root_logging, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    logs.setup(tmp_path / "logs", environ={})
    log = logging.getLogger("kiosk.test")
    for i in range(500):
        log.info("line %d of a long day", i)
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["kiosk.jsonl", *(f"kiosk.jsonl.{n}" for n in range(1, logs.BACKUPS + 1))]
    assert all((tmp_path / "logs" / f).stat().st_size <= 2000 for f in files)


JOURNAL_CHILD = textwrap.dedent(
    """
    import logging, os, sys
    from pathlib import Path
    from kiosk import logs
    st = os.fstat(2)
    os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    print(logs.setup(Path(sys.argv[1])), flush=True)
    sys.path.insert(0, sys.argv[2])
    from test_logs import planted
    planted(logging.getLogger("kiosk.test"))
    """
)


def test_json_lines_to_the_journal_under_systemd(tmp_path):
    """systemd hands the service a stderr that is the journal's stream and names it in
    JOURNAL_STREAM (device:inode). Here stderr is a file whose device and inode the child names
    the same way: it writes JSON lines with their syslog priority there, and no file."""
    stderr = tmp_path / "stderr"
    with stderr.open("wb") as err:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                JOURNAL_CHILD,
                str(tmp_path / "logs"),
                str(Path(__file__).parent),
            ],
            stderr=err,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=True,
            timeout=60,
        )
    assert out.stdout.strip() == "journal"
    assert not (tmp_path / "logs").exists(), "the journal keeps them: no file of our own"
    text = stderr.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert [line[:3] for line in lines[:3]] == ["<4>", "<6>", "<3>"]
    entries = [json.loads(line[3:]) for line in lines[:3]]
    assert [e["level"] for e in entries] == ["warning", "info", "error"]
    assert entries[1]["device"] == "qr_scanner"
    assert_masked(text)


def test_a_journal_stream_that_is_not_stderr_is_not_the_journal(tmp_path):
    with (tmp_path / "f").open("w") as f:
        st = os.fstat(f.fileno())
        assert logs.under_journal({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}, f)
        assert not logs.under_journal({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"}, f)
        assert not logs.under_journal({"JOURNAL_STREAM": "x:y"}, f)
        assert not logs.under_journal({}, f)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("holder=李四 printed", "holder=李* printed"),
        ('{"name": "欧阳小明"}', '{"name": "欧**明"}'),
        ("姓名：王五", "姓名：王*"),
        ("ticket: 0123456789abcdef", "ticket: 0123…(16 chars)"),
        ("scan CTID:abcdefghijklmnop done", "scan CTID…(21 chars) done"),
        ("token=SXT1…(33 chars)", "token=SXT1…(33 chars)"),  # masked already: left alone
        ("job 1234 on printer, logger kiosk.runtime", "job 1234 on printer, logger kiosk.runtime"),
    ],
)
def test_the_filter_masks_names_and_tokens_by_their_key_or_prefix(text, masked):
    assert scrub(text) == masked
