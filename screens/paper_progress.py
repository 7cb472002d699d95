"""A slip or a certificate on its way to the paper: what it is, a message, the progress. One
layout (paper_progress.kv) for the 一次性告知, the 办件凭条 and a reprint; each screen says
only what its own run holds."""

from __future__ import annotations

from kivy.properties import NumericProperty, StringProperty

from screens.base import KioskScreen


class PaperProgressScreen(KioskScreen):
    kv_file = "paper_progress.kv"
    state_name = ""  # the journey state it shows (its name in the screen manager)
    fraction = NumericProperty(0)
    message = StringProperty("")
    what = StringProperty("")

    @classmethod
    def screen_name(cls) -> str:
        return cls.state_name
