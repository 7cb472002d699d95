"""A device's address written by the technician screen (kiosk.config_edit): checked as the
kiosk checks its file at start, one key written with every other byte kept and the previous file
beside it, the running configuration's devices replaced and nothing else."""

from __future__ import annotations

import dataclasses
import difflib
import logging

import pytest

from kiosk import config, logs
from kiosk.config_edit import ConfigEditError, change_address
from kiosk.devices import DeviceKind
from tests.unit.test_config_tool import example  # noqa: F401 (a fixture)

OLD = "sam+serial:///dev/kiosk-idcard?baud=115200"
NEW = "sam+serial:///dev/ttyUSB3?baud=115200"


def test_the_address_is_written_alone_and_the_old_file_kept(example):  # noqa: F811
    before = example.read_text()
    running = config.load(example)
    changed = change_address(running, DeviceKind.CARD_READER, 0, NEW)
    after = example.read_text()
    diff = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert diff == [f'-card_reader = "{OLD}"', f'+card_reader = "{NEW}"'], diff
    assert changed.backup.read_text() == before
    assert changed.config.devices.card_readers == (NEW,)
    assert dataclasses.replace(changed.config, devices=running.devices) == running
    assert not changed.more_in_file
    assert config.load(example).devices.card_readers == (NEW,), "what the next start reads"


def test_one_reader_of_a_list_and_the_printer(example):  # noqa: F811
    text = example.read_text().replace(
        f'card_reader = "{OLD}"', f'card_reader = ["{OLD}", "pcsc://?reader=ACS"]'
    )
    example.write_text(text)
    running = config.load(example)
    changed = change_address(running, DeviceKind.CARD_READER, 1, "pcsc://?reader=Other")
    assert changed.config.devices.card_readers == (OLD, "pcsc://?reader=Other")
    changed = change_address(changed.config, DeviceKind.PRINTER, 0, "escpos+tcp://10.1.2.3:9100")
    assert changed.config.devices.printer == "escpos+tcp://10.1.2.3:9100"
    with pytest.raises(ConfigEditError, match="no reader 3"):
        change_address(running, DeviceKind.CARD_READER, 2, NEW)


@pytest.mark.parametrize(
    ("kind", "address", "says"),
    [
        (DeviceKind.CARD_READER, "sam+serial:///dev/ttyUSB3?baud=fast", "baud"),
        (DeviceKind.CARD_READER, "sam+spy:///dev/ttyUSB3?file=/tmp/x", "byte log"),
        (DeviceKind.PRINTER, "sam+serial:///dev/ttyUSB3", "printer"),
    ],
)
def test_what_the_kiosk_would_refuse_at_start_is_refused_and_nothing_written(
    example,  # noqa: F811
    kind,
    address,
    says,
):
    before = example.read_bytes()
    with pytest.raises(ConfigEditError, match=says):
        change_address(config.load(example), kind, 0, address)
    assert example.read_bytes() == before
    assert not example.with_name(example.name + ".bak").exists()


def test_a_configuration_not_read_from_a_file_cannot_be_written(example):  # noqa: F811
    running = dataclasses.replace(config.load(example), file=None, source="demo")
    with pytest.raises(ConfigEditError, match="not read from a file"):
        change_address(running, DeviceKind.CARD_READER, 0, NEW)


def test_other_changes_made_by_hand_are_reported_not_applied(example):  # noqa: F811
    running = config.load(example)
    example.write_text(example.read_text().replace("warning_seconds = 20", "warning_seconds = 25"))
    changed = change_address(running, DeviceKind.CARD_READER, 0, NEW)
    assert changed.more_in_file
    assert changed.config.session == running.session, "the rest waits for the next start"


def test_recent_log_lines_are_scrubbed_one_line_each():
    logs.setup(None)
    logging.getLogger("kiosk.test").warning("card 11010519491231002X read\nsecond line")
    last = logs.recent(1)[0]
    assert "11010519491231002X" not in last and "second line" not in last
    assert "kiosk.test" in last
