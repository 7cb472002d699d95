"""Issue 12 on the real app under Xvfb: a guide in 长辈模式 keeps the Chinese line breaking
rules on screen, as Kivy finally laid the lines out (screens/breaking.py)."""

from __future__ import annotations

import re

import pytest

from tests.ui.test_app_ui import ARTIFACTS, run_script

pytestmark = pytest.mark.ui


def test_the_guide_in_elder_mode_breaks_lines_by_the_rules():
    out = ARTIFACTS / "ui-linebreak"
    report = run_script("linebreak", out)
    labels = report["record"]["guide_lines"]
    assert labels, "no label wrapped: the check saw nothing"
    lines = [line for label in labels for line in label]
    for label in labels:
        assert not [x for x in label[1:] if x[:1] in "。，、；：！？）」》”…"], label
        assert not [x for x in label if x.rstrip()[-1:] in "（「《“"], label
    assert not [x for x in lines if re.fullmatch(r"\d+\.", x.strip())], "a step's number alone"
    shown = "\n".join(lines)
    for whole in ("12333", "1. 在", "3. 平台", "4. 现场"):
        assert whole in shown, (whole, lines)
