"""Issue 12 part 6 on the real app under Xvfb: each step of a visit speaks its prompt as its
screen opens, 再听一遍 says it again, the idle screen is silent until asked. Playback is
observed at the sound layer (screens/voice.py: what was played, and the SDL sound's own
state), with SDL's dummy audio driver in place of a loudspeaker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.ui.test_app_ui import ARTIFACTS, ROOT, run_script, subsequence

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_every_step_of_a_visit_is_spoken(landscape):
    built = subprocess.run(
        [sys.executable, "-c", "import main, sys; sys.exit(main.cli())", "voice", "build"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    out = ARTIFACTS / ("ui-voice" + ("-landscape" if landscape else ""))
    report = run_script("voice", out, *(["--landscape"] if landscape else []))
    record = report["record"]
    assert record["attract_silent"], "an idle kiosk says nothing by itself"
    assert record["repeat_on_attract"] == [["attract", "zh_CN"]]
    assert record["playing_after_repeat"]
    spoken = [state for state, _lang in record["played"]]
    visit = ["items", "items", "item_detail", "preview", "take_documents", "rating", "goodbye"]
    assert subsequence(["attract", "verifying", *visit], spoken), spoken
    assert all(lang == "zh_CN" for _state, lang in record["played"])
