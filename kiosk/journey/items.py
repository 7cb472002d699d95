"""The citizen's items and their guides, and the published list for anyone (no card needed).

CATALOGUE ─an item→ ITEM_DETAIL (its public guide; from the kiosk's kept copy offline)
ITEMS ─an item this citizen can do here→ ITEM_DETAIL ─确认办理→ SUBMITTING (submit_print)
ITEM_DETAIL ─‹ 返回→ ITEMS (or CATALOGUE when browsing);  CATALOGUE ─‹ 返回→ ATTRACT
ITEMS ─‹ 返回→ "结束办理？" ─结束办理→ ATTRACT (the first screen of the session: asked once)
ITEMS ─an item to be done at a window→ ITEM_DETAIL ─打印办事指南和排队号→ NOTICE_PRINTING
      (notice_slip)
a guide that cannot be fetched → ERROR (retry)

An item this citizen cannot do here says only "本机暂不能为您办理此事项，请咨询窗口": the
platform's reason may state a personal status, so it shows behind 详情 (a deliberate tap, on
that row or guide only), hidden again on leaving the screen or after REVEAL_SECONDS. A guide
whose item prints holds 确认办理 while the printer cannot print, and releases it when it can.
"""

from __future__ import annotations

from kiosk.events import Action, Failed, GuideLoaded, Operation, Tap
from kiosk.i18n import _
from kiosk.journey import case_lookup, notice_slip, submit_print
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effects, ErrorInfo, LoadGuide
from kiosk.journey.phase import LEAVE, Leave, Phase
from kiosk.journey.states import State

phase = Phase("items and guides")


def can_confirm(j: JourneyCore) -> bool:
    """The guide is read and, where the item asks for a 告知承诺, it is confirmed."""
    s = j.session
    if s is None or s.guide is None or s.selected is None or s.ticket is None:
        return False
    if not s.selected.available:  # to be done at a window: 一次性告知 instead (notice_slip)
        return False
    if s.selected.prints and not j.printer_usable:  # held until the printer is back
        return False
    return not s.guide.pledge_text or s.pledge_confirmed


@phase.back(State.CATALOGUE)
def back_from_catalogue(j: JourneyCore) -> State:
    return j.idle_state()


@phase.back(State.ITEMS)
def back_from_items(j: JourneyCore) -> Leave:
    return LEAVE  # the first screen of the session: one step back is leaving it


@phase.back(State.ITEM_DETAIL)
def back_from_detail(j: JourneyCore) -> State:
    if j.session is not None:
        return State.ITEMS
    j.browse_item = j.browse_guide = None  # browsing the public list
    return State.CATALOGUE


@phase.tap(State.CATALOGUE)
def tap_catalogue(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    if tap.action is Action.SELECT_ITEM and j.catalogue is not None:
        item = next((i for i in j.catalogue.items if i.item_code == tap.arg), None)
        if item is not None:
            j.browse_item, j.browse_guide = item, None
            j.enter(State.ITEM_DETAIL)
            effects.append(LoadGuide(item.item_code, None))


@phase.tap(State.ITEMS)
def tap_items(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    s = j.session
    if s is None:
        return
    if tap.action is Action.CASES and case_lookup.can_open(j):
        case_lookup.open_list(j, effects)  # 办件查询
        return
    if tap.action is Action.REVEAL_REASON:
        item = next((i for i in s.items if i.item_code == tap.arg), None)
        if item is not None:
            j.reveal(item)
    elif tap.action is Action.SELECT_ITEM:
        item = next((i for i in s.items if i.item_code == tap.arg), None)
        # an item this citizen cannot do here opens too: its guide, and the 一次性告知 slip
        if item is None or (item.available and j.item_blocked_reason(item)):
            return
        s.choose(item, request_id=j.now.id("request"))
        j.enter(State.ITEM_DETAIL)
        if s.guide is None:
            effects.append(LoadGuide(item.item_code, s.ticket))


@phase.tap(State.ITEM_DETAIL)
def tap_detail(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    s = j.session
    if s is None:  # browsing the public list: only ‹ 返回 (the phase's back table)
        return
    if tap.action is Action.PLEDGE:
        s.pledge_confirmed = not s.pledge_confirmed
    elif tap.action is Action.CONFIRM and can_confirm(j):
        submit_print.submit(j, effects)
    elif tap.action is Action.NOTICE and notice_slip.can_print(j):
        notice_slip.start(j, effects)
    elif tap.action is Action.REVEAL_REASON and s.selected is not None:
        j.reveal(s.selected)


def hide_reason(j: JourneyCore) -> None:
    """A reason opened with 详情 is hidden again once its time is up (the next citizen may be
    standing there)."""
    if j.revealed is not None and j.mono >= j.revealed[1]:
        j.revealed = None
        j.version += 1


@phase.on(GuideLoaded)
def guide_loaded(j: JourneyCore, event: GuideLoaded, effects: Effects) -> None:
    if j.state is not State.ITEM_DETAIL:
        return
    code = event.guide.item.item_code
    s = j.session
    if s is not None and s.selected is not None:
        if s.selected.item_code == code:
            s.guide = event.guide
    elif j.browse_item is not None and j.browse_item.item_code == code:
        j.browse_guide = event.guide
        j.browse_guide_saved_at = event.saved_at


@phase.failed(Operation.GUIDE)
def guide_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is not State.ITEM_DETAIL:
        return
    s = j.session
    item = s.selected if s is not None else j.browse_item
    retry = LoadGuide(item.item_code, s.ticket if s else None) if item else None
    j.fail(ErrorInfo(_("办事指南暂时无法显示"), event.message, retry, State.ITEM_DETAIL))
