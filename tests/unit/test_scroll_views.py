"""Scroll views keep one binding of their bar's colour however much they scroll.

Kivy 2.3's ScrollView binds ``bar_color`` again at every scroll update and unbinds it once when
the bar fades; the soak saw those bindings pile up journey after journey. No window is needed:
the scroll view is driven by its properties and the clock.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest

import main

main.kivy_environment(tempfile.mkdtemp(prefix="kivy-unit-"))

from kivy.clock import Clock  # noqa: E402
from kivy.uix.recycleboxlayout import RecycleBoxLayout  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

from screens.item_list import ItemList  # noqa: E402
from screens.widgets import KScrollView  # noqa: E402

SCREENS = Path(__file__).resolve().parents[2] / "screens"


def scrolled(view: ScrollView, times: int) -> int:
    """Bindings of ``bar_color`` after ``times`` scroll updates, one a frame, and the fade."""
    Clock.tick()
    for i in range(times):
        view.scroll_y = i / times
        Clock.tick()
    time.sleep(0.6)  # the bar fades half a second after the last update
    Clock.tick()
    return len(view.get_property_observers("bar_color"))


def test_the_kivy_scroll_view_piles_bindings_up():
    """The fault itself, so that a Kivy that mends it is noticed (and the workaround dropped)."""
    view = ScrollView(size=(100, 100), size_hint=(None, None))
    view.add_widget(Widget(size_hint_y=None, height=1000))
    assert scrolled(view, 10) > 5


def test_a_screen_scroll_view_keeps_one_binding():
    view = KScrollView(size=(100, 100), size_hint=(None, None))
    view.add_widget(Widget(size_hint_y=None, height=1000))
    assert scrolled(view, 10) <= 1
    assert scrolled(view, 10) <= 1


def test_the_item_list_keeps_one_binding():
    view = ItemList(size=(100, 100), size_hint=(None, None))
    view.add_widget(RecycleBoxLayout(size_hint_y=None, height=1000, default_size=(None, 50)))
    view.data = [{"text": str(i)} for i in range(20)]
    assert scrolled(view, 10) <= 1


@pytest.mark.parametrize("kv", sorted(SCREENS.glob("*.kv")), ids=lambda p: p.name)
def test_screens_use_the_mended_scroll_view(kv):
    bare = re.findall(r"^\s*(ScrollView|RecycleView)\s*:", kv.read_text(), re.MULTILINE)
    assert not bare, f"{kv.name}: use KScrollView (or a class with OneBarBinding), not {bare}"
