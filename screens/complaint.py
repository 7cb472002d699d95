"""投诉与建议: a category, its common phrases, and an optional callback number on a keypad.

Nothing is typed but digits. The number is shown masked as it is typed (138****5678); the
rules (what may be sent, when consent is needed) are the journey's (kiosk.journey.complaint).
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.complaints import PHONE_DIGITS, Category, phrase_text
from kiosk.i18n import _
from kiosk.journey import Journey
from kiosk.masking import mask_mobile
from screens.base import KioskScreen


class ComplaintScreen(KioskScreen):
    kv_file = "complaint.kv"
    phone = StringProperty("")  # masked, never the digits
    problem = StringProperty("")
    has_phone = BooleanProperty(False)
    consent = BooleanProperty(False)
    can_submit = BooleanProperty(False)
    saving = BooleanProperty(False)
    chosen = StringProperty("")  # the category's value, '' = none
    full = BooleanProperty(False)  # 11 digits typed: the digit keys rest

    def on_kv_post(self, _base) -> None:
        from kivy.uix.gridlayout import GridLayout

        from screens.widgets import KButton

        for category in Category:
            self.ids.categories.add_widget(
                KButton(
                    kid=f"complaint.category:{category.value}",
                    kind="choice",
                    text=category.label,
                    action="complaint_category",
                    arg=category.value,
                )
            )
        # one grid of phrases per category, made once; the chosen one is put in the tree and
        # the others are held here (``ids`` are weak references)
        self._phrases: dict[str, GridLayout] = {}
        for category in Category:
            grid = GridLayout(
                cols=2, size_hint_y=None, spacing=self.theme.gap * 0.6, padding=(0, 0)
            )
            grid.bind(minimum_height=grid.setter("height"))
            for code in category.phrases:
                grid.add_widget(
                    KButton(
                        kid=f"complaint.phrase:{code}",
                        kind="choice",
                        text=phrase_text(category, code),
                        action="complaint_phrase",
                        arg=code,
                    )
                )
            self._phrases[category.value] = grid
        self._phrase_box = self.ids.phrases.__self__
        self._shown = ""

    def render(self, journey: Journey) -> None:
        super().render(journey)
        draft = journey.complaint
        category = draft.category.value if draft is not None and draft.category else ""
        chosen = set(draft.phrases) if draft is not None else set()
        digits = draft.phone if draft is not None else ""
        self.chosen = category
        self.phone = mask_mobile(digits)
        self.has_phone = bool(digits)
        self.consent = bool(draft is not None and draft.consent)
        self.saving = bool(draft is not None and draft.saving)
        self.can_submit = bool(draft is not None and draft.ready and not draft.saving)
        self.problem = _(draft.phone_problem) if draft is not None and draft.phone_problem else ""
        self.full = len(digits) >= PHONE_DIGITS
        for button in self.ids.categories.children:
            button.selected = button.arg == category
        if category != self._shown:
            self._phrase_box.clear_widgets()
            if category:
                self._phrase_box.add_widget(self._phrases[category])
            self._shown = category
        if category:
            for button in self._phrases[category].children:
                button.selected = button.arg in chosen
