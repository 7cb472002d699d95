"""好差评: five levels, none chosen in advance; a reason is required for the two bad ones."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.journey import Journey
from kiosk.ratings import BAD_REASONS, GOOD_REASONS, LEVELS_SHOWN
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
        for level in LEVELS_SHOWN:
            self.ids.levels.add_widget(
                KButton(
                    kid=f"rating.level:{level.value}",
                    kind="choice",
                    text=f"{STARS[level.stars]}{between}{level.label}",
                    action="rate",
                    arg=level.value,
                )
            )
        for code, label in {**BAD_REASONS, **GOOD_REASONS}.items():
            self.ids.reasons.add_widget(
                KButton(
                    kid=f"rating.reason:{code}",
                    kind="choice",
                    text=label,
                    action="reason",
                    arg=code,
                )
            )

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        level = s.rating_level if s else None
        chosen_reasons = s.rating_reasons if s else set()
        self.item_name = s.selected.name if s and s.selected else ""
        self.chosen = level.value if level else ""
        self.bad = bool(level and level.is_bad)
        self.saving = bool(s and s.rating_saving)
        self.can_submit = journey.can_submit_rating and not self.saving
        for button in self.ids.levels.children:
            button.selected = button.arg == self.chosen
        shown = BAD_REASONS if self.bad else GOOD_REASONS
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
            self.reasons_title = "请选择不满意的原因（至少一项，必选）"
        else:
            self.reasons_title = "您满意的方面（可选）"
