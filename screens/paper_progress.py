"""A slip or a certificate on its way to the paper: what it is, a message, the progress. One
layout (PaperProgressLayout in widgets.kv, which each screen's own .kv places) for the
一次性告知, the 办件凭条 and a reprint; each screen says only what its own run holds."""

from __future__ import annotations

from kivy.properties import NumericProperty, StringProperty

from screens.base import KioskScreen


class PaperProgressScreen(KioskScreen):
    state_name = ""  # the journey state it shows: its .kv and its name in the screen manager
    fraction = NumericProperty(0)
    message = StringProperty("")
    what = StringProperty("")

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        cls.kv_file = f"{cls.state_name}.kv"
