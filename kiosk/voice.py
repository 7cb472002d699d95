"""What the kiosk says aloud at each step, and where the sound of it is.

Each citizen screen has one spoken prompt, a text of the catalogue (kiosk.i18n), so the voice
says what the screen says, in the screen's language. The sound files are made when the kiosk
is built (`make voice`: espeak-ng reads each prompt in Mandarin and in English, see
cli/voice.py) into ``assets/voice/<language>/<state>.wav``; a hall's own recording of a prompt,
``<state>.ogg``, or a ``.wav`` put in place of the build's, is played instead and never
overwritten (the build lists what it made, with each file's SHA-256, in ``generated.json``). A prompt without a file is
shown and not spoken. Screens that only wait for a machine say nothing new after their first
words, and the technician's screens are silent.
"""

from __future__ import annotations

import json
from pathlib import Path

from kiosk import assets
from kiosk.i18n import N_
from kiosk.journey.states import State

MANIFEST = "generated.json"  # what a build made in a language's folder (name -> text)
EXTENSIONS = (".ogg", ".wav")  # a recording (either) before a build's .wav

PROMPTS: dict[State, str] = {
    State.OUT_OF_SERVICE: N_("本机暂停服务，请到人工窗口办理。"),
    State.ATTRACT: N_("请将身份证放在感应区，放好后保持不动。"),
    State.CATALOGUE: N_("这是可以在本机办理的事项，放置身份证即可办理。"),
    State.IDENTIFYING: N_("正在读取身份证，请不要移开。"),
    State.VERIFYING: N_("正在核验身份，请稍候。"),
    State.ITEMS: N_("请选择要办理的事项。"),
    State.ITEM_DETAIL: N_("请确认办理事项和所需材料。"),
    State.SUBMITTING: N_("正在为您办理，请稍候。"),
    State.PREVIEW: N_("请核对证明内容，确认后打印。"),
    State.PRINTING: N_("正在打印，请稍候。"),
    State.TAKE_DOCUMENTS: N_("请取走您的身份证和打印的材料。"),
    State.NOTICE_PRINTING: N_("正在打印办事指南，请稍候。"),
    State.NOTICE_TAKEN: N_("请取走办事指南，到窗口办理。"),
    State.SLIP_PRINTING: N_("正在打印办件凭条，请稍候。"),
    State.RATING: N_("请对本次服务进行评价。"),
    State.GOODBYE: N_("感谢您的使用，再见。"),
    State.ERROR: N_("操作未能完成，请看屏幕上的提示，或呼叫工作人员。"),
    State.PHONE: N_("请用手机扫描屏幕上的二维码。"),
    State.ENTERPRISE: N_("请将营业执照上的二维码对准扫码区。"),
    State.REPRESENTATIVE: N_("请经办人将身份证放在感应区。"),
    State.VERIFY_SCAN: N_("请将证明上的二维码对准扫码区。"),
    State.CHECKING: N_("正在核验证明，请稍候。"),
    State.VERIFY_RESULT: N_("核验结果已显示在屏幕上。"),
    State.CASES: N_("这是您的办件和办理进度，可打印的证明可以再次打印。"),
    State.REPRINTING: N_("正在打印，请稍候。"),
    State.COMPLAINT: N_("请选择投诉或建议的类别和内容，可以留下回访电话。"),
    State.COMPLAINT_SENT: N_("感谢您的意见，我们会认真处理。"),
}
# spoken only when asked (再听一遍): nobody may be in front of an idle kiosk
SPOKEN_ON_ENTRY = frozenset(PROMPTS) - {State.ATTRACT, State.OUT_OF_SERVICE}


def prompt(state: State) -> str | None:
    """The prompt's text (a catalogue entry, untranslated) for a screen, or None."""
    return PROMPTS.get(state)


def sound_file(state: State, language: str, root: Path | None = None) -> Path | None:
    """The file to play for ``state`` in ``language``: a recording first, then the build's."""
    if state not in PROMPTS:
        return None
    folder = (root / language) if root is not None else assets.voice(language)
    for ext in EXTENSIONS:
        path = folder / f"{state.value}{ext}"
        if path.is_file():
            return path
    return None


def generated(folder: Path) -> dict[str, dict[str, str]]:
    """What a build made in ``folder``: file name -> {"text", "sha256"}; {} when nothing."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(name): {"text": str(entry.get("text", "")), "sha256": str(entry.get("sha256", ""))}
        for name, entry in data.items()
        if isinstance(entry, dict)
    }
