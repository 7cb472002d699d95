"""A device's address edited on the kiosk's own screen: a keyboard of the characters addresses
are made of (no input method: a kiosk has neither a physical keyboard nor a desktop), the
addresses found on this machine to pick from, and 保存并应用.

The text, the check and the outcome are the journey's (kiosk.journey.technician); the keys are
built once, and only their letters change with ⇧ (the one thing this screen keeps itself).
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n import _
from kiosk.journey import Journey
from screens.base import KioskScreen
from screens.technician import KINDS
from screens.widgets import KButton

# the characters of every scheme's addresses (kiosk.addresses): paths, hosts, ports, options
ROWS = ("1234567890", "qwertyuiop", "asdfghjkl:", "zxcvbnm/._", "-?=&+@%~ ")
SHIFT = "shift"  # the ⇧ key's action: handled here, not by the journey


class TechAddressScreen(KioskScreen):
    kv_file = "tech_address.kv"
    language_switch = BooleanProperty(False)  # the technician's screens stay Chinese
    device = StringProperty("")
    original = StringProperty("")
    text = StringProperty("")
    message = StringProperty("")
    applying = BooleanProperty(False)
    upper = BooleanProperty(False)
    has_candidates = BooleanProperty(False)

    def on_kv_post(self, _base) -> None:
        keys = self.ids.keyboard
        for row in ROWS:
            for ch in row:
                key = KButton(action="tech_key", arg=ch, text=ch if ch != " " else "␣")
                key.kid = "tech.key:space" if ch == " " else f"tech.key:{ch}"
                keys.add_widget(key)
        shift = KButton(action=SHIFT, text="⇧", kind="choice")
        shift.kid = "tech.key:shift"
        self.bind(upper=lambda *_a: setattr(shift, "selected", self.upper))
        keys.add_widget(shift)
        self.bind(upper=self._letters)
        self._candidates: tuple[str, ...] = ()

    def _letters(self, *_args) -> None:
        for key in self.ids.keyboard.children:
            if key.action == "tech_key" and key.arg.isalpha():
                ch = key.arg.upper() if self.upper else key.arg.lower()
                key.arg = key.text = ch

    def tap(self, action: str, arg: str = "") -> None:
        if action == SHIFT:
            self.upper = not self.upper
            return
        super().tap(action, arg)

    def render(self, journey: Journey) -> None:
        super().render(journey)
        visit = journey.technician
        edit = visit.edit if visit is not None else None
        if edit is None:
            return
        n = sum(1 for k, _a in (visit.info.addresses if visit.info else ()) if k == edit.kind)
        self.device = _(KINDS[edit.kind]) + (f" {edit.index + 1}" if n > 1 else "")
        self.original = edit.original
        self.text = edit.text
        self.message = _(edit.message) if edit.message else ""
        self.applying = edit.applying
        self.has_candidates = bool(edit.candidates)
        if edit.candidates != self._candidates:  # rebuilt only when the list changes
            self._candidates = edit.candidates
            box = self.ids.candidates
            box.clear_widgets()
            for i, address in enumerate(edit.candidates):
                button = KButton(text=address, action="tech_candidate", arg=address, compact=True)
                button.kid = f"tech.candidate:{i}"
                box.add_widget(button)
