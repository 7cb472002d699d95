"""The grouped item list used by the citizen's list and the public catalogue (RecycleView).

Rows are recycled, not rebuilt: changing ``rows`` only replaces data. Items the citizen cannot
do here stay visible with a short reason (docs/ui.md: never hidden silently). That reason is
never the platform's own (it may state a personal status): a row holds it only while its
详情 is open (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.recycleview import RecycleView

from kiosk import i18n
from kiosk.i18n import _
from kiosk.models import Item
from screens.widgets import OneBarBinding, tap


class CategoryHeader(Label):
    pass


class ItemRow(ButtonBehavior, BoxLayout):
    kid = StringProperty("")
    item_code = StringProperty("")
    name = StringProperty("")
    department = StringProperty("")
    tags = StringProperty("")
    reason = StringProperty("")
    detail = StringProperty("")  # the platform's reason: only while 详情 is open on this row
    can_reveal = BooleanProperty(False)
    enabled = BooleanProperty(True)

    def on_release(self) -> None:
        if self.enabled:
            tap(self, "select_item", self.item_code)


class ItemList(OneBarBinding, RecycleView):
    pass


def rows(
    items: Iterable[Item],
    blocked: Callable[[Item], str],
    *,
    header_height: float,
    row_height: float,
    prefix: str,
    can_reveal: Callable[[Item], bool] = lambda _i: False,
    revealed: Callable[[Item], str] = lambda _i: "",
) -> list[dict]:
    """RecycleView data: available items first, grouped by category; then the others, with
    what the screen may say (``blocked``), a 详情 where there is more (``can_reveal``) and that
    more only where it was asked for (``revealed``)."""
    items = list(items)
    doable = [i for i in items if not blocked(i)]
    others = [i for i in items if blocked(i)]
    data: list[dict] = []
    for group, members in _by_category(doable):
        # a category of the contract's vocabulary is in the catalogue (kiosk.models.CATEGORIES)
        data.append({"viewclass": "CategoryHeader", "text": _(group), "height": header_height})
        data.extend(_row(i, "", row_height, prefix) for i in members)
    if others:
        data.append(
            {
                "viewclass": "CategoryHeader",
                "text": _("以下事项暂不能在本机办理"),
                "height": header_height,
            }
        )
        # one this citizen must do at a window opens on its guide and the 一次性告知 slip;
        # one only the printer blocks does not
        for i in others:
            row = _row(i, blocked(i), row_height, prefix, not i.available)
            row["can_reveal"] = can_reveal(i)
            row["detail"] = detail = revealed(i)
            if detail:  # room for the reason in full: never shortened
                row["height"] = row_height * 1.6
            data.append(row)
    return data


def _by_category(items: list[Item]) -> list[tuple[str, list[Item]]]:
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.category, []).append(item)
    return list(groups.items())


def _row(item: Item, reason: str, height: float, prefix: str, opens: bool = False) -> dict:
    return {
        "viewclass": "ItemRow",
        "kid": f"{prefix}.row:{item.item_code}",
        "item_code": item.item_code,
        # English where the platform gave it and the citizen chose English
        "name": item.shown_name(i18n.language()),
        "department": item.shown_department(i18n.language()),
        "tags": "  ·  ".join(item.tags),
        "reason": reason,
        "detail": "",
        "can_reveal": False,
        "enabled": not reason or opens,
        "height": height,
    }
