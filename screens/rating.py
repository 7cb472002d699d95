"""好差评: five levels, none chosen in advance; a reason is required for the two bad ones."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk import i18n
from kiosk.i18n import _
from kiosk.journey import Journey
from kiosk.ratings import BAD_REASONS, DIMENSIONS, GOOD_REASONS, LEVELS_SHOWN, reasons_for
from screens.base import KioskScreen

STARS = {5: "★★★★★", 4: "★★★★☆", 3: "★★★☆☆", 2: "★★☆☆☆", 1: "★☆☆☆☆"}


class RatingScreen(KioskScreen):
    kv_file = "rating.kv"
    item_name = StringProperty("")
    chosen = StringProperty("")  # level name, '' = none (never a default)
    reasons_title = StringProperty("")
    can_submit = BooleanProperty(False)
    saving = BooleanProperty(False)
    bad = BooleanProperty(False)

    def on_kv_post(self, _base) -> None:
        # buttons for levels and reasons are made once; render only flips their state
        from screens.widgets import KButton

        between = "\n" if self.theme.landscape else "   "  # five across: stars above the words
        # made here, not in kv: each button's words again when the language changes (render)
        self._words: list[tuple] = []
        for level in LEVELS_SHOWN:
            button = KButton(kid=f"rating.level:{level.value}", kind="choice", action="rate")
            button.arg = level.value
            self.ids.levels.add_widget(button)
            self._words.append((button, lambda lv=level: f"{STARS[lv.stars]}{between}{lv.label}"))
        from kivy.uix.boxlayout import BoxLayout

        from screens.widgets import KLabel

        self._rows: list[tuple] = []
        for name, title in DIMENSIONS.items():
            row = BoxLayout(size_hint_y=None, spacing=self.theme.gap * 0.4)
            row.bind(minimum_height=row.setter("height"))
            label = KLabel(role="small", size_hint_x=1.1, valign="middle")
            row.add_widget(label)
            self._words.append((label, lambda t=title: _(t)))
            buttons = BoxLayout(size_hint=(5, None), spacing=self.theme.gap * 0.4)
            buttons.bind(minimum_height=buttons.setter("height"))
            for level in LEVELS_SHOWN:
                button = KButton(
                    kid=f"rating.dimension:{name}:{level.value}",
                    kind="choice",
                    action="dimension",
                    arg=f"{name}:{level.value}",
                    compact=True,
                )
                buttons.add_widget(button)
                self._words.append((button, lambda lv=level: lv.label))
            row.add_widget(buttons)
            self._rows.append((row, label, buttons))
            self.ids.dimensions.add_widget(row)
        self._dimensions = self.ids.dimensions.__self__  # a strong reference (see below)
        for code, label in {**BAD_REASONS, **GOOD_REASONS}.items():
            button = KButton(kid=f"rating.reason:{code}", kind="choice", action="reason", arg=code)
            self.ids.reasons.add_widget(button)
            self._words.append((button, lambda t=label: _(t)))
        self._words_in = ""
        self._say_words()

    def _say_words(self) -> None:
        """The buttons' words in the language on screen (once per change of language)."""
        if self._words_in == i18n.language():
            return
        for widget, words in self._words:
            widget.text = words()
        self._words_in = i18n.language()
        # English words are longer: the sub-score's name above its five buttons, so that
        # "Dissatisfied" is not cut in two; Chinese keeps them beside it
        beside = i18n.language() == i18n.SOURCE
        for row, label, buttons in self._rows:
            row.orientation = "horizontal" if beside else "vertical"
            label.size_hint_x = 1.1 if beside else 1
            buttons.size_hint_x = 5 if beside else 1  # shares of the row, or all of it

    def _show_dimensions(self, shown: bool) -> None:
        """Hidden means out of the tree: invisible buttons must not catch touches.

        ``ids`` hold weak references: out of the tree, the box lives only by the strong one
        kept here (else the next garbage collection takes it, and the next citizen's render
        fails half-way: no reasons to choose, a bad rating that can never be sent).
        """
        box = self._dimensions
        if shown and box.parent is None:
            self._dimensions_parent.add_widget(box, index=self._dimensions_index)
        elif not shown and box.parent is not None:
            self._dimensions_parent = box.parent
            self._dimensions_index = box.parent.children.index(box)
            box.parent.remove_widget(box)

    def render(self, journey: Journey) -> None:
        super().render(journey)
        self._say_words()
        s = journey.session
        level = s.rating_level if s else None
        chosen_reasons = s.rating_reasons if s else set()
        self.item_name = s.selected.shown_name(journey.language) if s and s.selected else ""
        self.chosen = level.value if level else ""
        self.bad = bool(level and level.is_bad)
        self.saving = bool(s and s.rating_saving)
        self.can_submit = journey.can_submit_rating and not self.saving
        for button in self.ids.levels.children:
            button.selected = button.arg == self.chosen
        dims = s.rating_dimensions if s else {}
        self._show_dimensions(level is not None)
        for row in self.ids.dimensions.children:
            for button in row.children:
                if getattr(button, "arg", ""):
                    name, _sep, value = button.arg.partition(":")
                    chosen = dims.get(name)
                    button.selected = chosen is not None and chosen.value == value
        shown = reasons_for(level) if level is not None else {}
        for button in self.ids.reasons.children:
            visible = level is not None and button.arg in shown
            button.opacity = 1 if visible else 0
            button.disabled = not visible
            button.size_hint_y = None
            button.height = self.theme.button if visible else 0
            button.selected = button.arg in chosen_reasons
        if level is None:
            self.reasons_title = ""
        elif self.bad:
            self.reasons_title = _("请选择不满意的原因（至少一项，必选）")
        else:
            self.reasons_title = _("您满意的方面（可选）")
