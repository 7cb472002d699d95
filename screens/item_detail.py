"""One item's guide: what it gives, which materials the platform already holds, confirm.

Also shows the public guide while browsing the list without a card (no confirm then).
"""

from __future__ import annotations

import re

from kivy.properties import BooleanProperty, StringProperty
from kivy.utils import escape_markup, get_hex_from_color

from kiosk import messages
from kiosk.i18n import N_, SOURCE, _
from kiosk.journey import Journey, notice_slip
from kiosk.models import Guide, MaterialSource
from screens.base import KioskScreen
from screens.catalogue import saved_when

SOURCE_LABELS = {
    MaterialSource.LICENCE: (N_("已从电子证照库调取，无需提交"), "success"),
    MaterialSource.SHARED: (N_("通过数据共享获取，无需提交"), "success"),
    MaterialSource.PLEDGE: (N_("以告知承诺替代，无需提交"), "primary"),
    MaterialSource.CITIZEN: (N_("需本人提供"), "warning"),
}


def _steps(text: str) -> str:
    """ "1. …；2. …" reads better as one step per line."""
    return re.sub(r"[；;]\s*(?=\d+[.、．])", "；\n", text)  # not words


class ItemDetailScreen(KioskScreen):
    kv_file = "item_detail.kv"
    title = StringProperty("")
    subtitle = StringProperty("")
    materials = StringProperty("")
    guide_text = StringProperty("")
    pledge_text = StringProperty("")
    pledged = BooleanProperty(False)
    loading = BooleanProperty(True)
    browsing = BooleanProperty(False)
    can_confirm = BooleanProperty(False)
    for_window = BooleanProperty(False)  # to be done at a window: 一次性告知 instead of confirm
    can_print_notice = BooleanProperty(False)
    confirm_label = StringProperty(N_("确认办理"))
    # the printer cannot print: why 确认办理 (or the slip's button) is held, and what happens next
    hold = StringProperty("")
    hold_notice = StringProperty("")
    can_reveal = BooleanProperty(False)  # an item for a window whose reason 详情 can show
    reason = StringProperty("")  # that reason, only while 详情 is open

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        self.browsing = s is None
        item = s.selected if s else journey.browse_item
        guide: Guide | None = s.guide if s else journey.browse_guide
        lang = journey.language
        self.title = item.shown_name(lang) if item else ""
        department = item.shown_department(lang) if item else ""
        self.subtitle = f"{department}  ·  {'  ·  '.join(item.tags)}" if item else ""
        self.loading = guide is None
        self.pledged = bool(s and s.pledge_confirmed)
        self.can_confirm = journey.can_confirm
        self.for_window = bool(s and item is not None and not item.available)
        self.can_print_notice = notice_slip.can_print(journey)
        if item is not None:
            self.confirm_label = _("确认办理并打印") if item.prints else _("确认办理")
        # both buttons of a citizen's guide print (the certificate, or the 一次性告知 slip)
        prints = bool(s and item is not None and (item.prints or self.for_window))
        self.hold = journey.printer_hold if prints else ""
        self.hold_notice = journey.printer_hold_notice if prints else ""
        self.can_reveal = bool(s and item is not None and journey.can_reveal(item))
        self.reason = journey.revealed_reason(item) if s and item is not None else ""
        if guide is None:
            self.materials = self.guide_text = self.pledge_text = ""
            return
        self.materials = self._materials(guide, lang)
        if self.for_window:  # never the platform's reason here: it waits behind 详情
            self.notice = self._where(guide)
        parts = [
            (_("办理条件"), guide.conditions),
            (_("办理流程"), guide.process),
            (_("收费标准"), guide.fee),
            (_("咨询电话"), guide.phone),
        ]
        if guide.legal_basis:
            parts.append((_("设定依据"), guide.legal_basis))
        if lang != SOURCE and guide.summary_en:
            # the platform's English summary in place of the Chinese sections (the phone stays)
            parts = [(_("办事指南"), guide.summary_en), (_("咨询电话"), guide.phone)]
        self.guide_text = "\n".join(
            f"[b]{escape_markup(k)}[/b]  {escape_markup(_steps(v))}" for k, v in parts if v
        )
        saved_at = journey.browse_guide_saved_at if s is None else None
        if saved_at is not None:  # the platform is away: this is the copy the kiosk kept
            warn = get_hex_from_color(self.theme.warning)
            kept = _(
                "网络暂时中断，以上是本机保存的指南，更新于 {when}。"
                "内容可能不是最新，请以人工窗口答复为准。"
            ).format(when=saved_when(saved_at))
            self.guide_text += f"\n[color={warn}]{escape_markup(kept)}[/color]"
        self.pledge_text = guide.pledge_text

    def _where(self, guide: Guide) -> str:
        """Not here, and where instead: the window the 一次性告知 slip names."""
        w = guide.window
        where = (
            _("请到{name}（{location}）办理，{hours}。").format(
                name=w.name, location=w.location, hours=w.hours
            )
            if w is not None
            else _("请到人工窗口办理。")
        )
        return f"{_(messages.UNAVAILABLE_HERE)}\n{where}"

    def _materials(self, guide: Guide, lang: str) -> str:
        if not guide.materials:
            return _("本事项无需提交材料。")
        lines = []
        for m in guide.materials:
            label, colour = SOURCE_LABELS[m.source]
            label = _(label)
            hex_colour = get_hex_from_color(getattr(self.theme, colour))
            mark = "✓" if not m.citizen_brings else "●"
            lines.append(
                f"[color={hex_colour}]{mark}[/color] {escape_markup(m.shown_name(lang))}"
                f"  [color={hex_colour}]{label}[/color]"
            )
        return "\n".join(lines)
