"""Scripted journeys for the autopilot: the headless demo and the ui tests.

Each script is what a person would do at the kiosk, plus the demo panel's actions (placing a
card, making the platform slow so a progress screen can be photographed), with checks of what
the printer and the platform received.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import time
from collections.abc import Callable, Generator

from devkit.autopilot import Pilot, Wait
from devkit.complaint_script import complaints
from devkit.people import BY_KEY
from devkit.seed import BY_CODE
from kiosk.events import Action
from kiosk.journey import State

SOCIAL_INSURANCE = "1401002001100100"  # 个人社保参保缴费证明打印 (即办件)
PENSION = "1401002001100300"  # 养老金领取（待遇）证明打印
MARRIAGE = "1401000701801900"  # 婚姻登记记录证明 (承诺件, 告知承诺)


def _identify(p: Pilot, key: str, *, slow: bool, shots: bool) -> Generator[Wait, None, None]:
    """Put a citizen's card on the reader and wait for the item list."""
    if slow:  # long enough on each progress screen for a photograph
        p.stack.sam.reply_delay = 0.6
        p.stack.platform.set_faults(latency_ms=900)
    p.say(f"place the card of {key} ({BY_KEY[key].note}) on the reader")
    p.stack.place_card(key)
    if slow:
        yield p.screen(State.IDENTIFYING)
        if shots:
            yield p.shot("identifying", of=State.IDENTIFYING)
        yield p.screen(State.VERIFYING)
        p.stack.sam.reply_delay = 0.0
        if shots:
            yield p.shot("verifying", of=State.VERIFYING)
    yield p.screen(State.ITEMS, timeout=30)
    p.stack.platform.set_faults()
    s = p.journey.session
    p.check(s is not None and s.ticket is not None, "no session after identification")
    doable = [i for i in s.items if not p.journey.item_blocked_reason(i)]
    p.say(
        f"items shown for {s.display_name}: {len(doable)} to do here, {len(s.items) - len(doable)} elsewhere"
    )
    p.record.setdefault("items_seen", {})[key] = len(doable)
    if shots:
        yield p.shot("items")


def _handle(
    p: Pilot, item_code: str, *, shots: bool, slow: bool = False
) -> Generator[Wait, None, None]:
    """Choose an item, confirm it, and wait until its paper is printed."""
    name = BY_CODE[item_code].name
    printed_before = len(p.stack.printer.jobs)
    p.say(f"choose {name}")
    yield p.tap(f"items.row:{item_code}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the guide", lambda: p.journey.session.guide is not None)
    if shots:
        yield p.shot("item_detail")
    if p.journey.session.guide.pledge_text:
        p.say("confirm the 告知承诺")
        yield p.tap("detail.pledge")
    if slow:
        p.stack.platform.set_faults(latency_ms=900)
        p.stack.printer.answer_delay = 0.3
    p.say("confirm")
    yield p.tap("detail.confirm")
    if slow:
        yield p.screen(State.SUBMITTING)
        if shots:
            yield p.shot("submitting", of=State.SUBMITTING)
    yield p.screen(State.PREVIEW, timeout=30)
    p.stack.platform.set_faults()
    if shots:
        yield p.shot("preview")
    p.say("check the preview and print")
    yield p.tap("preview.print")
    if slow:
        yield p.screen(State.PRINTING)
        if shots:
            yield p.until("some progress", lambda: p.journey.session.print_progress > 0.2)
            yield p.shot("printing", of=State.PRINTING)
    yield p.screen(State.TAKE_DOCUMENTS, timeout=40)
    p.stack.printer.answer_delay = 0.0
    case = p.journey.session.case
    jobs = p.stack.printer.wait_for_jobs(printed_before + 1, timeout=10)
    job = jobs[-1]
    doc = case.document
    # a long title wraps at double size: compare it across the line break
    on_paper = job.text.replace("\n", "")
    p.check(doc.title in on_paper, f"the printer did not receive the title {doc.title!r}")
    p.check(doc.verification_code in job.text, "the printer did not receive the verification code")
    p.check(doc.qr_content in job.qr_payloads, "the printer did not receive the QR content")
    p.say(f"printed {doc.kind.value} {doc.title!r}, case {case.case_no}, {len(job.raw)} bytes")
    p.record.setdefault("printed", []).append(
        {
            "case_no": case.case_no,
            "title": doc.title,
            "kind": doc.kind.value,
            "verification_code": doc.verification_code,
            "text": job.text,
            "png": str(job.png_path) if job.png_path else "",
        }
    )
    if shots:
        yield p.shot("take_documents")


def _to_preview(p: Pilot, key: str, item_code: str) -> Generator[Wait, None, None]:
    """A citizen's card, an item, 确认办理: the certificate on screen, not yet printed."""
    yield from _identify(p, key, slow=False, shots=False)
    yield p.tap(f"items.row:{item_code}")
    yield p.until("the guide", lambda: p.journey.session and p.journey.session.guide is not None)
    yield p.tap("detail.confirm")
    yield p.screen(State.PREVIEW, timeout=20)


def _rate(
    p: Pilot,
    level: str,
    reasons: tuple[str, ...] = (),
    *,
    shots: bool,
    dimensions: tuple[str, ...] = (),
    home: bool = False,
    collect: bool = True,
) -> Generator[Wait, None, None]:
    """Card off, rate, and back to the attract screen: ``home`` taps 回到首页 on the goodbye
    screen instead of waiting for it to end by itself; ``collect`` runs a garbage collection
    before a level is chosen (the soak leaves that to the collector's own timing)."""
    p.say("take the card off the reader")
    p.stack.remove_card()
    yield p.screen(State.RATING)
    if collect:  # one comes sooner or later: a widget the screen holds only weakly (Kivy's
        gc.collect()  # ids) must not be gone when a level is chosen
    p.check(p.journey.session.rating_level is None, "a rating level was chosen in advance")
    if shots:
        yield p.shot("rating")
    p.say(f"rate: {level} {' '.join(reasons)}")
    yield p.tap(f"rating.level:{level}")
    if p.journey.session.rating_level.is_bad:
        p.check(not p.journey.can_submit_rating, "a bad rating went through without a reason")
    for code in reasons:
        yield p.tap(f"rating.reason:{code}")
    p.check(p.journey.can_submit_rating, "the rating cannot be submitted")
    for dimension in dimensions:  # "efficiency:very_satisfied"
        yield p.tap(f"rating.dimension:{dimension}")
    if shots and reasons:
        yield p.shot("rating_reason")
    yield p.tap("rating.submit")
    yield p.screen(State.GOODBYE)
    p.record.setdefault("rated", []).append(level)
    if shots:
        yield p.shot("goodbye", of=State.GOODBYE)
    if home:
        yield p.tap("goodbye.home")
    yield p.screen(State.ATTRACT, timeout=15)


def _platform_has_ratings(p: Pilot, n: int) -> Generator[Wait, None, None]:
    p.say(f"wait until the platform has stored {n} rating(s)")
    p.app.runtime.sync.poke()
    yield p.until(
        f"{n} ratings at the platform", lambda: len(p.stack.platform.ratings()) >= n, timeout=30
    )
    p.record["platform_ratings"] = [
        {
            k: r.get(k)
            for k in (
                "rating_id",
                "case_no",
                "level",
                "satisfaction",
                "reasons",
                "rater_ref",
                "dimensions",
            )
        }
        for r in p.stack.platform.ratings()
    ]


def demo(p: Pilot) -> Generator[Wait, None, None]:
    """`make run` without a display: every screen once, and one certificate printed."""
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    p.say("the attract screen")
    yield p.shot("attract")

    p.say("browse the published list without a card")
    yield p.tap("attract.browse")
    yield p.screen(State.CATALOGUE)
    yield p.shot("catalogue")
    yield p.tap(f"catalogue.row:{SOCIAL_INSURANCE}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the public guide", lambda: p.journey.browse_guide is not None)
    yield p.shot("catalogue_guide")
    yield p.tap("bottom.back")
    yield p.screen(State.CATALOGUE)
    yield p.tap("bottom.back")
    yield p.screen(State.ATTRACT)

    yield from _identify(p, "zhang_wei", slow=True, shots=True)
    p.say("wait without touching: the countdown and 需要更多时间 appear")
    items_screen = p.app.screens[State.ITEMS]
    yield p.until("the countdown", lambda: items_screen.countdown > 0, timeout=40)
    p.check(items_screen.countdown <= 20, "the warning came too early")
    yield p.shot("items_countdown")
    yield p.tap("top.more_time")
    yield p.until("the countdown gone", lambda: items_screen.countdown == 0, timeout=5)
    p.check(p.journey.state is State.ITEMS, "more time did not keep the session")
    yield from _handle(p, SOCIAL_INSURANCE, shots=True, slow=True)
    printed = p.record["printed"][-1]
    if printed["png"]:
        target = p.out / "certificate.png"
        shutil.copyfile(printed["png"], target)
        p.say(f"the printed certificate is in {target}")
    yield from _rate(p, "dissatisfied", ("R01",), shots=True)
    yield from _platform_has_ratings(p, 1)

    p.say("elder mode (长辈模式) on the attract screen")
    yield p.tap("attract.elder")
    yield p.frames(2)
    yield p.shot("attract_elder")
    yield p.tap("attract.elder")

    p.say("an expired card")
    p.stack.place_card("sun_qiang")
    yield p.screen(State.ERROR)
    yield p.shot("error_expired")
    p.stack.remove_card()
    yield p.tap("error.back")
    yield p.screen(State.ATTRACT)

    p.say("the card reader is unplugged")
    p.stack.sam.unplug()
    yield p.screen(State.OUT_OF_SERVICE)
    yield p.shot("out_of_service")


def two_citizens(p: Pilot) -> Generator[Wait, None, None]:
    """The ui test: two different citizens, a certificate and a receipt, both rated."""
    yield p.screen(State.ATTRACT)
    yield p.shot("attract")
    yield from _identify(p, "zhang_wei", slow=False, shots=True)
    yield from _handle(p, SOCIAL_INSURANCE, shots=True)
    yield from _rate(
        p,
        "very_satisfied",
        shots=True,
        dimensions=("efficiency:very_satisfied", "attitude:satisfied"),
    )

    yield from _identify(p, "zheng_li", slow=False, shots=True)
    yield from _handle(p, MARRIAGE, shots=True)
    yield from _rate(p, "very_dissatisfied", ("R02", "R04"), shots=True)
    yield from _platform_has_ratings(p, 2)
    p.record["finished_at"] = time.time()


def _notice(p: Pilot, item_code: str, name: str, *, shots: bool) -> Generator[Wait, None, None]:
    """From the list: an item for a window, its guide, 打印办事指南和排队号, the slip taken."""
    printed_before = len(p.stack.printer.jobs)
    p.say(f"choose {BY_CODE[item_code].name} (to be done at a window)")
    yield p.tap(f"items.row:{item_code}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the guide", lambda: p.journey.session.guide is not None)
    guide = p.journey.session.guide
    p.check(guide.window is not None, "the guide names no window")
    if shots:
        yield p.shot(f"{name}_detail")
    # a slow queue: long enough on the progress screen for a photograph
    p.stack.platform.set_faults(latency_ms=900, path="/v1/queue/")
    p.say("打印办事指南和排队号")
    yield p.tap("detail.notice")
    yield p.screen(State.NOTICE_PRINTING)
    if shots:
        yield p.shot(f"{name}_printing", of=State.NOTICE_PRINTING)
    yield p.screen(State.NOTICE_TAKEN, timeout=40)
    p.stack.platform.set_faults()
    run = p.journey.session.notice
    job = p.stack.printer.wait_for_jobs(printed_before + 1, timeout=10)[-1]
    text = "".join(job.text.split())
    p.check("一次性告知单" in text, "the printer did not receive the slip's title")
    p.check("".join(guide.window.name.split()) in text, "the window is not on the slip")
    p.check(guide.guide_url in job.qr_payloads, "the printer did not receive the guide's QR")
    number = run.queue.number if run.queue is not None else ""
    p.check(not number or number in text, "the queue number is not on the slip")
    p.say(f"slip printed: window {guide.window.window}, number {number or '-'}")
    p.record.setdefault("notices", []).append(
        {
            "item_code": item_code,
            "window": guide.window.window,
            "window_name": guide.window.name,
            "guide_url": guide.guide_url,
            "queue_outcome": run.queue_outcome.value,
            "number": number,
            "text": job.text,
            "png": str(job.png_path) if job.png_path else "",
        }
    )
    if shots:
        yield p.shot(f"{name}_taken")
    yield p.tap("notice.back")
    yield p.screen(State.ITEMS)


def notice(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 14, part 4: 一次性告知 slips for items to be done at a window, one with a queue
    number, one while the hall's queuing system is down; then the citizen leaves."""
    yield p.screen(State.ATTRACT)
    key = "zhang_wei"
    yield from _identify(p, key, slow=False, shots=False)
    yield p.until("the list drawn", lambda: p.app.sm.current == State.ITEMS.value)
    p.app.screens[State.ITEMS].ids.list.scroll_y = 0  # the items for a window are at the end
    yield p.frames(3)
    yield p.shot("items_for_a_window")
    elsewhere = [i.item_code for i in p.journey.session.items if not i.available]
    p.check(len(elsewhere) >= 2, "the demo citizen has fewer than two items for a window")
    yield from _notice(p, elsewhere[0], "notice", shots=True)
    p.say("the hall's queuing system goes down")
    p.stack.platform.queue_available = False
    yield from _notice(p, elsewhere[1], "notice_no_number", shots=True)
    p.stack.platform.queue_available = True
    p.say("leave")
    yield p.tap("bottom.exit")
    yield p.screen(State.ATTRACT)
    p.record["session_after"] = p.journey.session is None
    p.record["queue_numbers"] = p.stack.platform.queue_numbers()


def case_slip(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 14, part 6: a certificate not printed (不打印), then its 办件凭条 on paper."""
    yield p.screen(State.ATTRACT)
    yield from _to_preview(p, "zhang_wei", SOCIAL_INSURANCE)
    printed_before = len(p.stack.printer.jobs)
    p.say("不打印: the case number on screen is the only record")
    yield p.tap("preview.no_print")
    yield p.screen(State.TAKE_DOCUMENTS)
    yield p.shot("take_documents_declined")
    p.say("打印办件凭条")
    yield p.tap("take.slip")
    yield p.screen(State.SLIP_PRINTING)
    yield p.shot("slip_printing", of=State.SLIP_PRINTING)
    yield p.until("the slip printed", lambda: p.journey.session.slip_printed, timeout=40)
    yield p.screen(State.TAKE_DOCUMENTS)
    s = p.journey.session
    job = p.stack.printer.wait_for_jobs(printed_before + 1, timeout=10)[-1]
    p.check(len(p.stack.printer.jobs) == printed_before + 1, "more than the slip was printed")
    text = "".join(job.text.split())
    p.check(s.case.case_no in text, "the case number is not on the slip")
    p.check(s.case.document.qr_content in job.qr_payloads, "the slip's QR is not the case's")
    p.record["slip"] = {
        "case_no": s.case.case_no,
        "qr_content": s.case.document.qr_content,
        "text": job.text,
        "png": str(job.png_path) if job.png_path else "",
    }
    yield p.shot("take_documents_slip")
    yield p.tap("take.done")
    yield p.screen(State.RATING)
    yield p.tap("rating.skip")
    yield p.screen(State.GOODBYE)
    p.stack.remove_card()
    yield p.screen(State.ATTRACT, timeout=20)


def cases(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 14, part 3: 办件查询 from the item list, the cases in each state with their dates;
    the paper runs out (再次打印 is held back) and comes back; a printable certificate is
    printed once more, the reprint recorded at the platform; back to the list, the items."""
    runtime = p.app.runtime
    runtime.printer_poll_interval = 0.3
    yield p.screen(State.ATTRACT)
    yield from _identify(p, "zhang_wei", slow=False, shots=False)
    yield p.shot("items_with_cases")
    p.say("办件查询")
    p.stack.platform.set_faults(latency_ms=900, path="/v1/citizen/cases")
    yield p.tap("items.cases")
    yield p.screen(State.CASES)
    yield p.shot("cases_loading")
    yield p.until("the cases listed", lambda: not p.journey.session.cases.loading, timeout=20)
    lookup = p.journey.session.cases
    p.record["states"] = sorted({c.state.value for c in lookup.cases})
    p.record["cases_listed"] = [c.case_no for c in lookup.cases]
    printable = [c for c in lookup.cases if c.reprintable]
    p.check(bool(printable), "the demo citizen has no certificate to print again")
    case = printable[0]
    index = lookup.cases.index(case)
    p._reveal(f"cases.reprint:{case.case_no}")  # the row in view, as a person would scroll
    yield p.frames(3)
    yield p.shot("cases")
    p.say("the printer runs out of paper: 再次打印 is held back, the list says why")
    p.stack.printer.set_state(paper="out")
    yield p.until("paper out noticed", lambda: not p.journey.printer_usable, timeout=10)
    yield p.frames(3)
    yield p.shot("cases_paper_out")
    p.check(
        not p.app.screens[State.CASES].ids.list.data[index]["can_reprint"],
        "再次打印 offered with no paper",
    )
    p.stack.printer.set_state(paper="ok")
    yield p.until("the paper back", lambda: p.journey.printer_usable, timeout=10)
    printed_before = len(p.stack.printer.jobs)
    p.say(f"再次打印 {case.case_no}")
    yield p.tap(f"cases.reprint:{case.case_no}")
    yield p.screen(State.REPRINTING)
    yield p.shot("reprinting", of=State.REPRINTING)
    yield p.until("the reprint out", lambda: p.journey.session.cases.printed, timeout=40)
    yield p.screen(State.CASES)
    p.stack.platform.set_faults()
    job = p.stack.printer.wait_for_jobs(printed_before + 1, timeout=10)[-1]
    p.check(len(p.stack.printer.jobs) == printed_before + 1, "more than one paper came out")
    row = p.journey.session.cases.find(case.case_no)
    p.check(row is not None and row.reprints == 1 and not row.reprintable, "the row not updated")
    text = "".join(job.text.split())
    doc = next((r for r in p.stack.platform.reprints() if r["case_no"] == case.case_no), None)
    p.check(doc is not None, "the platform did not record the reprint")
    (qr,) = job.qr_payloads or [""]
    code = qr.rsplit("/", 1)[-1]
    p.check(bool(code) and code in text, "the certificate's code is not on the paper")
    p.record["reprint"] = {
        "case_no": case.case_no,
        "qr_payloads": list(job.qr_payloads),
        "code": code,
        "text": job.text,
        "png": str(job.png_path) if job.png_path else "",
    }
    p.record["reprints"] = p.stack.platform.reprints()
    yield p.frames(3)
    yield p.shot("cases_reprinted")
    p.say("back to the items; in 长辈模式 the list again")
    yield p.tap("bottom.back")
    yield p.screen(State.ITEMS)
    p.app.runtime.tap(Action.ELDER_MODE)
    yield p.until("长辈模式", lambda: p.journey.elder_mode)
    yield p.frames(3)
    yield p.shot("items_elder")
    yield p.tap("items.cases")
    yield p.screen(State.CASES)
    yield p.until("the cases listed", lambda: not p.journey.session.cases.loading, timeout=20)
    yield p.frames(3)
    yield p.shot("cases_elder")
    yield p.tap("bottom.back")
    yield p.screen(State.ITEMS)
    p.say("leave")
    yield p.tap("bottom.exit")
    yield from _back_to_attract(p)


def bench_items(p: Pilot) -> Generator[Wait, None, None]:
    """bench/journey.py: card placed on the reader -> the item list drawn, many times."""
    keys = ("zhang_wei", "wang_guilan", "li_ming", "zhao_min", "zheng_li")
    rounds = int(os.environ.get("KIOSK_BENCH_ROUNDS", "24"))
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    yield p.seconds(0.5)
    samples = []
    for n in range(rounds):
        key = keys[n % len(keys)]
        p.drawn_at.pop("items", None)
        placed = time.perf_counter()
        p.stack.place_card(key)
        yield p.until("the item list on screen", lambda: "items" in p.drawn_at, timeout=10)
        samples.append(round((p.drawn_at["items"] - placed) * 1000, 1))
        yield p.tap("bottom.exit")
        yield p.screen(State.ATTRACT)
        p.stack.remove_card()
        yield p.seconds(0.3)  # the reader notices the card has gone
    p.say(f"{rounds} journeys measured")
    p.record["card_to_items_ms"] = samples


FAULT_TITLES = {
    "no_card": "没有读到证件",
    "select_failed": "证件没有放稳",
    "read_failed": "读取证件失败",
    "bad_checksum": "读取证件失败",
    "truncated": "读取证件失败",
    "silent": "读卡器没有响应",
}


def _back_to_attract(p: Pilot) -> Generator[Wait, None, None]:
    """Card off the reader; leave whatever screen a fault (or its retry) left behind."""
    p.stack.remove_card()
    yield p.seconds(0.5)
    for _ in range(3):
        state = p.journey.state
        if state is State.ATTRACT:
            return
        leave = {State.ERROR: "error.back", State.GOODBYE: "goodbye.home"}
        yield p.tap(leave.get(state, "bottom.exit"))
        yield p.seconds(0.3)
    yield p.screen(State.ATTRACT)


def _faults(p: Pilot) -> Generator[Wait, None, None]:
    """Each fault the SAM emulator can inject ends in its own message on screen."""
    from devkit.sam_emulator import Fault

    seen = {}
    for fault in Fault:
        if fault.value not in FAULT_TITLES:
            continue
        p.say(f"SAM fault: {fault.value}")
        p.stack.sam.inject_fault(fault, times=3)  # outlasts the reader's own retries
        p.stack.place_card("zhang_wei")
        yield p.screen(State.ERROR, timeout=20)
        seen[fault.value] = p.journey.error.title
        p.check(
            p.journey.error.title == FAULT_TITLES[fault.value],
            f"{fault.value}: {p.journey.error.title!r}",
        )
        yield p.shot(f"fault_{fault.value}")
        p.stack.sam.clear_faults()
        yield from _back_to_attract(p)
    p.record["fault_titles"] = seen
    p.say("the reader's USB cable is pulled, then plugged back")
    p.stack.sam.unplug()
    yield p.screen(State.OUT_OF_SERVICE, timeout=20)
    yield p.shot("reader_unplugged")
    p.stack.sam.replug()
    yield p.screen(State.ATTRACT, timeout=20)
    p.say("and the same card reads again")
    p.stack.place_card("zhang_wei")
    yield p.screen(State.ITEMS, timeout=20)
    yield p.tap("bottom.exit")
    yield from _back_to_attract(p)


def cards(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 3: every card type through the kiosk, each fault's message on screen."""
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    for key in ("chan_kaming", "john_smith", "anna_ivanova", "wang_guilan"):
        yield from _identify(p, key, slow=False, shots=True)
        card_type = BY_KEY[key].card_type.value
        p.record.setdefault("card_types", []).append(card_type)
        yield p.tap("bottom.exit")
        yield p.screen(State.ATTRACT)
        p.stack.remove_card()
        yield p.seconds(0.3)
    if p.stack.pcsc is not None:
        p.say("a social-security card in the PC/SC reader (pcscd + vpcd)")
        p.stack.insert_social_card("zhou_xiuying")
        yield p.screen(State.ITEMS, timeout=30)
        p.check(p.journey.session.reader == "pcsc", "the session should belong to the PC/SC reader")
        p.record.setdefault("card_types", []).append("social_security")
        yield p.shot("social_card_items")
        p.say("pulling the social-security card out ends the session")
        p.stack.remove_social_card()
        yield p.screen(State.ATTRACT, timeout=15)
        p.check(p.journey.session is None, "the session outlived its card")
    yield from _faults(p)
    p.say("an expired card gets its own message and no session")
    p.stack.place_card("sun_qiang")
    yield p.screen(State.ERROR)
    p.check(p.journey.error.title == "证件已过有效期", p.journey.error.title)
    yield p.shot("error_expired")
    p.stack.remove_card()
    yield p.tap("error.back")
    yield p.screen(State.ATTRACT)


def qr_codes(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 4: every kind of code end to end through the real scanner and the real app."""
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    yield p.shot("attract")

    p.say("扫码办理: the kiosk shows its QR; the citizen confirms in the app")
    yield p.tap("attract.phone")
    yield p.screen(State.PHONE)
    yield p.until("the kiosk's QR", lambda: p.journey.phone_session is not None)
    yield p.frames(3)
    yield p.shot("phone_qr")
    p.stack.confirm_phone(p.journey.phone_session.session_id, "zhang_wei")
    yield p.screen(State.ITEMS, timeout=20)
    p.record.setdefault("identified_by", []).append("kiosk_qr")
    yield p.shot("phone_items")
    yield p.tap("bottom.exit")
    yield p.screen(State.ATTRACT)

    p.say("an app identity code held to the scanner")
    p.stack.show_app_code("li_ming")
    yield p.screen(State.ITEMS, timeout=20)
    p.record["identified_by"].append("app_code")
    yield p.tap("bottom.exit")
    yield p.screen(State.ATTRACT)

    p.say("企业办事: a business licence, then the representative's own card")
    yield p.tap("attract.enterprise")
    yield p.screen(State.ENTERPRISE)
    yield p.shot("enterprise_scan")
    p.stack.scan_licence("jinshang_tech")
    yield p.screen(State.REPRESENTATIVE, timeout=20)
    yield p.shot("representative")
    p.say("someone else's card is refused")
    p.stack.place_card("li_ming")
    yield p.screen(State.ERROR, timeout=20)
    yield p.shot("representative_refused")
    p.stack.remove_card()
    yield p.seconds(0.3)
    yield p.tap("error.retry")
    yield p.screen(State.REPRESENTATIVE)
    p.stack.place_card("zhang_wei")
    yield p.screen(State.ITEMS, timeout=20)
    yield p.shot("enterprise_items")
    enterprise_item = next(i for i in p.journey.session.items if i.available and i.prints)
    yield from _handle(p, enterprise_item.item_code, shots=True)
    p.stack.remove_card()
    yield p.tap("take.done")
    yield p.screen(State.RATING)
    yield p.tap("rating.skip")
    yield p.screen(State.ATTRACT, timeout=15)

    p.say("证明核验: the certificate just printed, as it is, expired, revoked; a forged code")
    code = p.record["printed"][-1]["verification_code"]
    verdicts = []
    for label, change in (
        ("authentic", None),
        ("expired", lambda: p.stack.platform.expire(code)),
        ("revoked", lambda: p.stack.platform.revoke(code)),
    ):
        if change is not None:
            change()
        yield p.tap("attract.verify")
        yield p.screen(State.VERIFY_SCAN)
        if label == "authentic":
            yield p.shot("verify_scan")
        p.stack.scan_last_certificate()
        yield p.screen(State.VERIFY_RESULT, timeout=20)
        verdicts.append(p.journey.verify_result.status.value)
        yield p.shot(f"verify_{label}")
        yield p.tap("verify.home")
        yield p.screen(State.ATTRACT)
    p.stack.scanner.scan("https://yzt.shanxi.demo/v/2222222222222222")
    yield p.screen(State.VERIFY_RESULT, timeout=20)
    verdicts.append(p.journey.verify_result.status.value)
    yield p.shot("verify_not_found")
    yield p.tap("verify.home")
    yield p.screen(State.ATTRACT)
    p.record["verdicts"] = verdicts

    p.say("a code the kiosk does not know, and junk")
    p.stack.scanner.scan("https://example.com/pay?order=42")
    yield p.screen(State.ERROR)
    p.record["unknown_title"] = p.journey.error.title
    yield p.shot("qr_unknown")
    yield p.tap("error.back")
    yield p.screen(State.ATTRACT)
    p.stack.scanner.scan(b"\x00\x01\xfe\xff junk")
    yield p.screen(State.ERROR)
    p.record["junk_title"] = p.journey.error.title
    yield p.shot("qr_junk")
    yield p.tap("error.back")
    yield p.screen(State.ATTRACT)


def _device_events(p: Pilot, name: str) -> list[dict]:
    return p.stack.device_events(p.app.runtime.outbox, name)


def _staff_alerts(p: Pilot) -> list[str]:
    """Every staff alert the kiosk raised, oldest first."""
    return [e["problem"] for e in _device_events(p, "staff_alert")]


def printer(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 5: each printer condition on screen; a job cut short is reprinted only on request."""
    runtime = p.app.runtime
    runtime.printer_poll_interval = 0.3
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    for label, state in (
        ("paper_out", {"paper": "out"}),
        ("cover_open", {"cover_open": True}),
        ("offline", {"online": False}),
    ):
        p.say(f"printer: {label}")
        alerts_before = len(_staff_alerts(p))
        p.stack.printer.set_state(**state)
        yield p.until(f"{label} noticed", lambda: not p.journey.printer_usable, timeout=10)
        yield p.until(
            f"the staff alerted of {label}",
            lambda n=alerts_before: len(_staff_alerts(p)) > n,
            timeout=10,
        )
        p.record.setdefault("banners", {})[label] = list(p.journey.banners)
        yield p.shot(f"attract_{label}")
        if label == "paper_out":
            p.stack.place_card("zhang_wei")
            yield p.screen(State.ITEMS, timeout=20)
            item = next(i for i in p.journey.session.items if i.item_code == SOCIAL_INSURANCE)
            p.check(
                p.journey.item_blocked_reason(item) == "打印机暂停服务，请到窗口办理",
                "a printing item must be blocked while the paper is out",
            )
            yield p.shot("items_paper_out")
            yield p.tap("bottom.exit")
            yield from _back_to_attract(p)
        p.stack.printer.set_state(paper="ok", cover_open=False, online=True)
        yield p.until("the printer back", lambda: p.journey.printer_usable, timeout=10)
    p.record["staff_alerts"] = _staff_alerts(p)

    p.say("paper near its end: the certificate prints, the staff are told")
    p.stack.printer.set_state(paper="near_end")
    yield p.until("near end noticed", lambda: "paper_low" in _staff_alerts(p), timeout=10)
    yield from _identify(p, "zhang_wei", slow=False, shots=False)
    yield from _handle(p, SOCIAL_INSURANCE, shots=False)
    yield p.tap("take.done")
    yield p.screen(State.RATING)
    yield p.tap("rating.skip")
    yield from _back_to_attract(p)
    p.stack.printer.set_state(paper="ok")

    p.say("the citizen declines the paper: the screen says so, not that the printer failed")
    jobs_before = len(p.stack.printer.jobs)
    yield from _to_preview(p, "zhao_min", SOCIAL_INSURANCE)
    yield p.tap("preview.no_print")
    yield p.screen(State.TAKE_DOCUMENTS)
    take = p.app.screens[State.TAKE_DOCUMENTS]
    p.record["declined"] = {
        "headline": take.headline,
        "details": take.details,
        "jobs": len(p.stack.printer.jobs) - jobs_before,
    }
    yield p.shot("take_documents_declined")
    yield p.tap("take.done")
    yield p.screen(State.RATING)
    yield p.tap("rating.skip")
    yield from _back_to_attract(p)

    p.say("the paper runs out in the middle of a job")
    jobs_before = len(p.stack.printer.jobs)
    yield from _to_preview(p, "zhao_min", SOCIAL_INSURANCE)
    p.stack.printer.run_out_of_paper_after(300)
    yield p.tap("preview.print")
    yield p.screen(State.ERROR, timeout=30)
    p.record["midway_title"] = p.journey.error.title
    p.check(p.journey.error.retry_label == "重新打印", "a reprint must be offered")
    yield p.shot("print_failed_midway")
    yield p.seconds(2.0)
    p.check(len(p.stack.printer.jobs) <= jobs_before + 1, "something was printed again on its own")
    p.say("paper refilled; the citizen asks for the reprint")
    p.stack.printer.set_state(paper="ok")
    yield p.until("paper back", lambda: p.journey.printer_usable, timeout=10)
    yield p.seconds(3.0)
    p.check(len(p.stack.printer.jobs) <= jobs_before + 1, "a refill must never reprint by itself")
    yield p.tap("error.retry")
    yield p.screen(State.TAKE_DOCUMENTS, timeout=30)
    case = p.journey.session.case
    complete = [
        j for j in p.stack.printer.jobs[jobs_before:] if case.document.verification_code in j.text
    ]
    p.record["reprints_complete"] = len(complete)
    p.record["jobs_for_case"] = len(p.stack.printer.jobs) - jobs_before
    yield p.shot("reprinted")
    yield p.tap("take.done")
    yield p.screen(State.RATING)
    yield p.tap("rating.skip")
    yield from _back_to_attract(p)

    p.say("the cover opens between the kiosk's last look and the tap on 打印")
    jobs_before = len(p.stack.printer.jobs)
    yield from _to_preview(p, "zhao_min", SOCIAL_INSURANCE)
    runtime.printer_poll_interval = 3600.0  # the poll looks no more; the driver still does
    yield p.seconds(0.5)
    p.stack.printer.set_state(cover_open=True)
    yield p.tap("preview.print")
    yield p.screen(State.ERROR, timeout=30)
    p.record["refused_at_print"] = p.journey.error.text
    p.record["jobs_after_refusal"] = len(p.stack.printer.jobs) - jobs_before
    yield p.shot("print_refused_cover_open")
    p.stack.printer.set_state()
    runtime.printer_poll_interval = 0.3
    yield p.tap("bottom.exit")
    yield from _back_to_attract(p)


def offline(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 6: the network goes; the list stays readable, ratings wait on disk, it all comes back."""
    from offline.outbox import Kind

    runtime = p.app.runtime
    runtime.heartbeat_interval = 1.0
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    p.say("while online the kiosk keeps every published item's public guide")
    published = {i.item_code for i in p.journey.catalogue.items}
    cache = runtime.catalogue_cache
    yield p.until("all guides kept", lambda: published <= cache.guide_codes(), timeout=30)
    p.record["guides_kept"] = len(cache.guide_codes())

    p.say("a citizen finishes a case; the network goes before the rating is sent")
    yield from _identify(p, "zhang_wei", slow=False, shots=False)
    yield from _handle(p, SOCIAL_INSURANCE, shots=False)
    p.stack.platform.set_faults(mode="refuse")
    yield from _rate(p, "satisfied", shots=False)
    pending = runtime.outbox.counts().pending.get(Kind.RATING.value, 0)
    p.record["pending_while_offline"] = pending
    p.check(pending == 1, f"the rating should wait on disk, {pending} pending")
    yield p.until("the outage noticed", lambda: not p.journey.platform_reachable, timeout=20)
    yield p.shot("attract_offline")

    p.say("a card while offline: said plainly, no session")
    p.stack.place_card("li_ming")
    yield p.screen(State.ERROR, timeout=20)
    p.record["offline_card_title"] = p.journey.error.title
    yield p.shot("offline_card")
    p.stack.remove_card()
    yield from _back_to_attract(p)

    p.say("the published list and a guide nobody opened before still open offline")
    yield p.tap("attract.browse")
    yield p.screen(State.CATALOGUE)
    yield p.shot("catalogue_offline")
    yield p.tap(f"catalogue.row:{PENSION}")
    yield p.until("the cached guide", lambda: p.journey.browse_guide is not None, timeout=20)
    p.record["offline_guide"] = p.journey.browse_guide.item.item_code
    p.record["offline_guide_dated"] = p.journey.browse_guide_saved_at is not None
    yield p.shot("guide_offline")
    yield p.tap("bottom.back")
    yield p.screen(State.CATALOGUE)
    yield p.tap("bottom.back")
    yield p.screen(State.ATTRACT)

    p.say("the network returns: the kiosk recovers and the waiting rating is delivered")
    p.stack.platform.set_faults()
    yield p.until("recovery", lambda: p.journey.platform_reachable, timeout=30)
    yield p.until(
        "the rating at the platform", lambda: len(p.stack.platform.ratings()) == 1, timeout=30
    )
    p.record["delivered_after_outage"] = len(p.stack.platform.ratings())
    yield p.shot("attract_recovered")


def _type(text: str) -> None:
    """Keys into the window as a keyboard-wedge scanner (or a person) sends them."""
    from kivy.core.window import Window

    for ch in text:
        Window.dispatch("on_textinput", ch)
    Window.dispatch("on_key_down", 13, 36, None, [])  # Enter ends a scanner's burst


def wedge(p: Pilot) -> Generator[Wait, None, None]:
    """A keyboard-wedge scanner: a burst of keys is a scan; a person typing is not."""
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    p.say("someone types on a keyboard, slowly: nothing happens")
    from kivy.core.window import Window

    for ch in "hello-kiosk-123":
        Window.dispatch("on_textinput", ch)
        yield p.seconds(0.08)
    Window.dispatch("on_key_down", 13, 36, None, [])
    yield p.seconds(0.5)
    p.check(p.journey.state is State.ATTRACT, "slow typing was taken for a scan")
    p.say("the wedge scanner reads a certificate's QR: a burst of keys and Enter")
    _type("https://yzt.shanxi.demo/v/2222222222222222")
    yield p.screen(State.VERIFY_RESULT, timeout=20)
    p.record["wedge_verdict"] = p.journey.verify_result.status.value
    yield p.shot("wedge_verify")
    yield p.tap("verify.home")
    yield p.screen(State.ATTRACT)


def panel(p: Pilot) -> Generator[Wait, None, None]:
    """The presenter's demo panel, tapped like a presenter would."""
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    p.say("open the demo panel")
    yield p.tap("demo.tab")
    yield p.shot("panel_open")
    p.say("put 王桂兰's card on the reader from the panel")
    yield p.tap("demo.card:wang_guilan")
    yield p.screen(State.ITEMS, timeout=30)
    yield p.shot("panel_items")
    yield p.tap("bottom.exit")
    yield p.screen(State.ATTRACT)
    yield p.tap("demo.remove")
    p.say("the printer runs out of paper")
    yield p.tap("demo.printer:out")
    yield p.until("paper out noticed", lambda: not p.journey.printer_usable, timeout=10)
    yield p.shot("attract_paper_out")
    yield p.tap("demo.printer:ok")
    yield p.until("paper back", lambda: p.journey.printer_usable, timeout=10)
    p.say("the network goes down")
    yield p.tap("demo.platform:down")
    yield p.until("outage noticed", lambda: not p.journey.platform_reachable, timeout=20)
    yield p.shot("attract_platform_down")
    yield p.tap("demo.platform:ok")
    yield p.until("platform back", lambda: p.journey.platform_reachable, timeout=25)
    yield p.shot("attract_recovered")


FREEZE_AFTER = 10.0  # seconds of a healthy kiosk before the freeze


def freeze(p: Pilot) -> Generator[Wait, None, None]:
    """The watchdog test: the kiosk idles, then its UI thread hangs (no frame, no clock)."""
    yield p.screen(State.ATTRACT)
    p.say("idle on the attract screen")
    yield p.seconds(FREEZE_AFTER)
    p.say("the UI thread freezes")
    time.sleep(3600)  # here, on the UI thread: systemd's watchdog pings stop with it


def ratings(p: Pilot) -> Generator[Wait, None, None]:
    """The app kill test: citizens one after another, each rating; ACK at each thank-you."""
    yield p.screen(State.ATTRACT)
    levels = ("very_satisfied", "satisfied", "basically_satisfied")
    for n in range(1000):
        yield from _identify(p, "zhang_wei", slow=False, shots=False)
        yield from _handle(p, SOCIAL_INSURANCE, shots=False)
        p.stack.remove_card()
        yield p.screen(State.RATING)
        yield p.tap(f"rating.level:{levels[n % len(levels)]}")
        case_no = p.journey.session.case.case_no
        p.say(f"RATE {case_no}")
        yield p.tap("rating.submit")
        yield p.screen(State.GOODBYE)
        p.check(not p.journey.notice, f"the rating was not stored: {p.journey.notice}")
        p.say(f"ACK {case_no}")  # 感谢 on screen: the rating is promised
        yield p.tap("goodbye.home")
        yield p.screen(State.ATTRACT)


# ---- the soak: devkit/soak.py runs it and judges what it samples ------------------------------

SOAK_CITIZENS = (  # every valid card kind; ma_yun's list is empty
    *("zhang_wei", "wang_guilan", "li_ming", "zhao_min", "chen_hao", "liu_yan", "zhou_xiuying"),
    *("wu_jun", "zheng_li", "ouyang_xiaoming", "ma_yun", "chan_kaming", "john_smith"),
    "anna_ivanova",
)
SOAK_TIMEOUT_EVERY = 1000  # a session left to time out (30 s, the shortest limit allowed)
SOAK_GOODBYE_WAIT = 0.005  # the goodbye screen left to end by itself (6 s), now and then
CARD_JOURNEYS = ("print_rated", "print_skipped", "no_paper", "exit", "card_removed", "timeout")
SOAK_APP_CODE = 0.3  # of the journeys that leave by 退出: identified by the app's code instead
SOAK_ELDER = 0.1  # of the journeys with a card: 长辈模式 switched on first
SOAK_STAFF = 0.1  # of the journeys that leave: 呼叫工作人员 tapped on the list
SOAK_MIX = (  # (weight, journey)
    (28, "print_rated"),
    (10, "print_skipped"),
    (10, "no_paper"),
    (12, "exit"),
    (10, "card_removed"),
    (10, "browse"),
    (3, "expired_card"),
    (5, "phone"),
    (5, "enterprise"),
    (7, "verify"),
)


def _soak_item(p: Pilot, rng) -> Generator[Wait, None, object]:
    """One item this citizen can do here, its guide open; None when there is none."""
    s = p.journey.session
    doable = [i for i in s.items if not p.journey.item_blocked_reason(i)]
    if not doable:
        return None
    item = rng.choice(doable)
    yield p.tap(f"items.row:{item.item_code}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the guide", lambda: p.journey.session.guide is not None)
    return item


def _soak_case(p: Pilot, rng, key: str, kind: str) -> Generator[Wait, None, None]:
    """Identify, do one item (printed or not), then rate it or skip the rating."""
    yield from _identify(p, key, slow=False, shots=False)
    if kind == "print_rated" or kind == "print_skipped":
        s = p.journey.session
        doable = [i for i in s.items if not p.journey.item_blocked_reason(i)]
        if not doable:
            yield p.tap("bottom.exit")
            return
        p.stack.printer.clear()  # the emulator keeps every job: keep this journey's only
        yield from _handle(p, rng.choice(doable).item_code, shots=False)
        p.record.pop("printed", None)
    else:
        item = yield from _soak_item(p, rng)
        if item is None:
            yield p.tap("bottom.exit")
            return
        p.say(f"{item.name}: confirm, and no paper")
        if p.journey.session.guide.pledge_text:
            yield p.tap("detail.pledge")
        yield p.tap("detail.confirm")
        yield p.screen(State.PREVIEW, timeout=30)
        yield p.tap("preview.no_print")
        yield p.screen(State.TAKE_DOCUMENTS)
    home = rng.random() >= SOAK_GOODBYE_WAIT
    if kind == "print_skipped" or rng.random() < 0.3:
        p.say("documents taken; no rating")
        yield p.tap("take.done")
        yield p.screen(State.RATING)
        yield p.tap("rating.skip")
        yield p.screen(State.GOODBYE)
        if home:
            yield p.tap("goodbye.home")
        yield p.screen(State.ATTRACT, timeout=15)
        return
    from kiosk.ratings import DIMENSIONS, LEVELS_SHOWN, reasons_for

    level = rng.choice(LEVELS_SHOWN)
    codes = sorted(reasons_for(level))
    reasons = tuple(rng.sample(codes, rng.randint(1 if level.is_bad else 0, 2)))
    dims = tuple(f"{d}:{rng.choice(LEVELS_SHOWN).value}" for d in DIMENSIONS if rng.random() < 0.3)
    yield from _rate(
        p, level.value, reasons, shots=False, dimensions=dims, home=home, collect=False
    )
    p.record.pop("rated", None)
    p.record["soak_rated"] = p.record.get("soak_rated", 0) + 1


def _soak_leave(p: Pilot, rng, key: str, kind: str) -> Generator[Wait, None, None]:
    """Identify (by card, or by the app's code held to the scanner), perhaps open a guide,
    and leave by 退出 or by taking the card away."""
    if kind == "exit" and rng.random() < SOAK_APP_CODE:
        p.say(f"the app code of {key} held to the scanner")
        p.stack.show_app_code(key)
        yield p.screen(State.ITEMS, timeout=30)
    else:
        yield from _identify(p, key, slow=False, shots=False)
    if rng.random() < SOAK_STAFF:
        yield p.tap("bottom.staff")
        yield p.until("the staff called", lambda: p.journey.staff_call is not None)
    if rng.random() < 0.6:
        item = yield from _soak_item(p, rng)
        if item is not None and rng.random() < 0.5:
            yield p.tap("bottom.back")
            yield p.screen(State.ITEMS)
    if kind == "exit":
        yield p.tap("bottom.exit")
    else:
        p.stack.remove_card()
    yield p.screen(State.ATTRACT)
    p.check(p.journey.session is None, f"the session outlived {kind}")


def _soak_browse(p: Pilot, rng) -> Generator[Wait, None, None]:
    """The published list without a card: one public guide, then back."""
    yield p.tap("attract.browse")
    yield p.screen(State.CATALOGUE)
    item = rng.choice(p.journey.catalogue.items)
    yield p.tap(f"catalogue.row:{item.item_code}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the public guide", lambda: p.journey.browse_guide is not None)
    yield p.tap("bottom.back")
    yield p.screen(State.CATALOGUE)
    yield p.tap("bottom.back")


def _soak_phone(p: Pilot, key: str) -> Generator[Wait, None, None]:
    """扫码办理: the kiosk shows its QR, the citizen confirms in the app, then leaves."""
    yield p.tap("attract.phone")
    yield p.screen(State.PHONE)
    yield p.until("the kiosk's QR", lambda: p.journey.phone_session is not None)
    p.stack.confirm_phone(p.journey.phone_session.session_id, key)
    yield p.screen(State.ITEMS, timeout=30)
    yield p.tap("bottom.exit")


def _soak_enterprise(p: Pilot, rng) -> Generator[Wait, None, None]:
    """企业办事: a business licence, the representative's own card, the list, then leave."""
    from devkit.people import ENTERPRISES

    enterprise = rng.choice(ENTERPRISES)
    yield p.tap("attract.enterprise")
    yield p.screen(State.ENTERPRISE)
    p.stack.scan_licence(enterprise.key)
    asked = (State.REPRESENTATIVE, State.ITEMS)  # the platform says whether it asks for one
    yield p.until("the representative asked, or the list", lambda: p.journey.state in asked)
    if p.journey.state is State.REPRESENTATIVE:
        yield p.screen(State.REPRESENTATIVE)
        p.stack.place_card(enterprise.representative_key)
    yield p.screen(State.ITEMS, timeout=30)
    yield p.tap("bottom.exit")


def _soak_verify(p: Pilot) -> Generator[Wait, None, None]:
    """证明核验: the last certificate printed held to the scanner (or a code nobody issued)."""
    yield p.tap("attract.verify")
    yield p.screen(State.VERIFY_SCAN)
    if not p.stack.scan_last_certificate():
        p.stack.scanner.scan("https://yzt.shanxi.demo/v/2222222222222222")
    yield p.screen(State.VERIFY_RESULT, timeout=30)
    yield p.tap("verify.home")


def _soak_timeout(p: Pilot, key: str) -> Generator[Wait, None, None]:
    p.say("nobody touches the list: the countdown, then the session ends by itself")
    yield from _identify(p, key, slow=False, shots=False)
    items = p.app.screens[State.ITEMS]
    yield p.until("the countdown", lambda: items.countdown > 0, timeout=40)
    yield p.screen(State.ATTRACT, timeout=40)
    p.check(p.journey.session is None, "the session outlived its time limit")


def soak(p: Pilot) -> Generator[Wait, None, None]:
    """`make soak`: thousands of varied journeys; the process sampled every few journeys."""
    import random

    from devkit.soak import DEFAULT_JOURNEYS, ENV_EVERY, ENV_JOURNEYS, ENV_SEED, Sampler, warmup_of

    journeys = int(os.environ.get(ENV_JOURNEYS, DEFAULT_JOURNEYS))
    every = int(os.environ.get(ENV_EVERY, max(1, journeys // 100)))
    rng = random.Random(int(os.environ.get(ENV_SEED, "1")))
    ports = {p.stack.platform.port: "platform", p.stack.printer_addr[1]: "printer"}
    sampler = Sampler(p.out / "samples.jsonl", journeys, warmup_of(journeys), ports)
    weights, kinds = zip(*SOAK_MIX, strict=True)
    counts: dict[str, int] = {}
    p.record["soak_journeys"] = counts
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    sampler.sample(0, p.app)
    for n in range(1, journeys + 1):
        key = rng.choice(SOAK_CITIZENS)
        kind = "timeout" if n % SOAK_TIMEOUT_EVERY == 0 else rng.choices(kinds, weights)[0]
        p.say(f"journey {n}: {kind} ({key})")
        p.record["soak_journey"] = n
        if kind in CARD_JOURNEYS and rng.random() < SOAK_ELDER:
            yield p.tap("attract.elder")
            yield p.until("长辈模式", lambda: p.app.theme.elder)
        if kind == "timeout":
            yield from _soak_timeout(p, key)
        elif kind in ("exit", "card_removed"):
            yield from _soak_leave(p, rng, key, kind)
        elif kind == "browse":
            yield from _soak_browse(p, rng)
        elif kind == "phone":
            yield from _soak_phone(p, key)
        elif kind == "enterprise":
            yield from _soak_enterprise(p, rng)
        elif kind == "verify":
            yield from _soak_verify(p)
        elif kind == "expired_card":
            p.stack.place_card("sun_qiang")
            yield p.screen(State.ERROR)
            p.stack.remove_card()
            yield p.tap("error.back")
        else:
            yield from _soak_case(p, rng, key, kind)
        p.stack.remove_card()
        p.record.pop("items_seen", None)
        yield p.screen(State.ATTRACT)
        p.check(not p.app.theme.elder, "长辈模式 outlived the session")
        counts[kind] = counts.get(kind, 0) + 1
        if n % every == 0 or n == journeys:
            row = sampler.sample(n, p.app)
            print(
                f"[soak] {n}/{journeys} journeys, {row['seconds'] / 60:.1f} min: "
                f"rss {row['rss_kb'] / 1024:.1f} MB, files {row['kiosk_fds']}/{row['fds']}, "
                f"threads {row['kiosk_threads']}/{row['threads']} (kiosk/all), "
                f"objects {row['objects']}, widgets {row['widgets']}, "
                f"errors {row['errors_logged']}",
                flush=True,
            )
    rated = p.record.get("soak_rated", 0)
    p.say(f"every rating given ({rated}) reaches the platform")
    p.app.runtime.sync.poke()
    yield p.until(
        f"{rated} ratings at the platform",
        lambda: p.stack.platform.state()["ratings"] >= rated,
        timeout=60,
    )
    stored = p.record["platform_ratings"] = p.stack.platform.state()["ratings"]
    p.check(stored == rated, f"{rated} ratings given, {stored} at the platform")


def _texts(widget) -> list[str]:
    """Every text a person can read on a widget and its children."""
    return [w.text for w in widget.walk(restrict=True) if getattr(w, "text", "")]


def availability(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 13: every device required; each one fails in turn (its port closed, as a pulled
    cable or a printer switched off): out of service with the reason, what still works
    offered, the technicians told; then back by itself when the device is."""
    from kiosk.devices import DeviceKind

    p.app.runtime.printer_poll_interval = 0.3
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    yield p.until(
        "every device online",
        lambda: all(any(s.usable for s in p.journey.statuses(k)) for k in DeviceKind),
    )
    stack = p.stack
    devices = {  # how each one fails and comes back
        "card_reader": (stack.sam.unplug, stack.sam.replug),
        "printer": (stack.printer.stop, stack.printer.start),
        "qr_scanner": (stack.scanner.unplug, stack.scanner.replug),
    }
    reasons, offered, texts = {}, {}, {}
    for kind, (fail, recover) in devices.items():
        p.say(f"{kind}: gone")
        fail()
        yield p.screen(State.OUT_OF_SERVICE, timeout=30)
        screen = p.app.screens[State.OUT_OF_SERVICE]
        reasons[kind] = p.journey.out_of_service_reason
        offered[kind] = [a.value for a in p.journey.offered_out_of_service]
        texts[kind] = _texts(screen)
        yield p.shot(f"out_of_service_{kind}")
        if kind == "card_reader":
            p.say("the published list is still there")
            yield p.tap("oos.browse")
            yield p.screen(State.CATALOGUE)
            yield p.tap("bottom.back")
            yield p.screen(State.OUT_OF_SERVICE)
            p.say("and 证明核验")
            yield p.tap("oos.verify")
            yield p.screen(State.VERIFY_SCAN)
            yield p.tap("bottom.back")
            yield p.screen(State.OUT_OF_SERVICE)
        p.say(f"{kind}: back")
        recover()
        yield p.screen(State.ATTRACT, timeout=30)
    yield p.until("the kiosk back, told", lambda: len(_device_events(p, "in_service")) >= 3)
    p.record["reasons"] = reasons
    p.record["offered"] = offered
    p.record["texts"] = texts
    p.record["out_of_service_events"] = [
        {k: e[k] for k in ("device", "state", "detail")}
        for e in _device_events(p, "out_of_service")
    ]
    p.record["in_service_events"] = len(_device_events(p, "in_service"))


def lockdown(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 13: Escape and the window's close request change nothing; code behind a button
    raises (a planted bug whose message holds a name): the error screen, then the attract
    screen by itself, and the kiosk goes on serving."""
    from kivy.config import Config
    from kivy.core.window import Window

    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    p.say("Escape, then a window manager's close request")
    p.record["exit_on_escape"] = Config.getboolean("kivy", "exit_on_escape")
    p.record["escape_swallowed"] = bool(Window.dispatch("on_keyboard", 27, 9, None, []))
    p.record["close_refused"] = bool(Window.dispatch("on_request_close"))
    yield p.seconds(0.5)
    p.check(p.journey.state is State.ATTRACT, "Escape must not leave the attract screen")
    from kiosk.events import Tap

    journey = p.journey
    dispatch = type(journey).dispatch

    def planted_bug(event, now):
        if not isinstance(event, Tap):  # the clock's ticks go on as ever
            return dispatch(journey, event, now)
        del journey.dispatch  # once: the journey's own dispatch from the next event on
        # a name in the message, built here so that no code line of the traceback shows it
        raise ValueError("planted bug for " + "".join(["张", "三", "丰"]))

    journey.dispatch = planted_bug
    p.say("a button whose handler raises")
    yield p.tap_unguarded("attract.browse")
    yield p.screen(State.ERROR)
    p.record["error_title"] = journey.error.title
    p.record["handler_failures"] = p.app.runtime.handler_failures
    yield p.shot("handler_error")
    p.say("nobody touches the screen: back to the attract screen by itself")
    yield p.screen(State.ATTRACT, timeout=60)
    p.say("and the kiosk still serves: the list, then a citizen's card")
    yield p.tap("attract.browse")
    yield p.screen(State.CATALOGUE)
    yield p.tap("bottom.back")
    yield p.screen(State.ATTRACT)
    p.stack.place_card("zhang_wei")
    yield p.screen(State.ITEMS, timeout=20)
    yield p.tap("bottom.exit")
    yield from _back_to_attract(p)
    p.record["handler_failures_at_end"] = p.app.runtime.handler_failures


def _type_pin(p: Pilot, digits: str) -> Generator[Wait, None, None]:
    for d in digits:
        yield p.tap(f"pin.{d}")
    yield p.tap("pin.enter")


def technician(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 13: the technician's hidden entry (a long press in the corner), a wrong PIN, the
    lock after five, the lock still there on coming back, the right PIN once it has run out
    (the kiosk's clock moved on: five minutes in a moment), the devices, the outbox delivered,
    a test page, restart asked and cancelled, and leaving; every step a device event."""
    from devkit.people import DEMO_TECHNICIAN_PIN
    from kiosk.devices import DeviceKind
    from kiosk.pin import LOCK_AFTER

    p.app.runtime.printer_poll_interval = 0.3
    yield p.screen(State.ATTRACT)
    yield p.until(
        "every device online",
        lambda: all(any(s.usable for s in p.journey.statuses(k)) for k in DeviceKind),
    )
    j = p.journey
    p.say("a short press in the corner: nothing")
    yield from p.press("tech.corner", 0.5)
    yield p.seconds(3.5)
    p.check(j.state is State.ATTRACT, "a short press must not open the PIN screen")
    p.say("held for 3.5 s: the PIN screen")
    yield from p.press("tech.corner", 3.5)
    yield p.screen(State.TECH_PIN)
    yield p.shot("tech_pin")
    p.say("a wrong PIN")
    yield from _type_pin(p, "111111")
    yield p.until("the wrong PIN counted", lambda: j.lockout.wrong == 1)
    p.record["wrong_message"] = j.technician.message
    yield p.frames(2)
    p.record["dots_after_wrong"] = p.app.screens[State.TECH_PIN].dots
    for n in range(2, LOCK_AFTER + 1):
        p.say(f"wrong PIN {n}")
        yield from _type_pin(p, "22222" + str(n))
        yield p.until(f"wrong PIN {n} counted", lambda n=n: j.lockout.until or j.lockout.wrong == n)
    p.check(j.lockout.until is not None, "five wrong PINs lock the keypad")
    yield p.frames(3)
    screen = p.app.screens[State.TECH_PIN]
    p.record["locked_text"] = _texts(screen)
    p.record["keypad_after_lock"] = screen.keypad
    yield p.shot("tech_pin_locked")
    p.say("the right PIN while locked: the keys do nothing")
    yield p.until("the keys off", lambda: p.find("pin.1") is None)
    yield p.tap("pin.back")
    yield p.screen(State.ATTRACT)
    p.say("four minutes later (the kiosk's clock): still locked on coming back")
    p.advance_clock(240)
    yield from p.press("tech.corner", 3.5)
    yield p.screen(State.TECH_PIN)
    yield p.frames(3)
    p.record["locked_for_after_4_min"] = p.app.screens[State.TECH_PIN].locked_for
    yield p.tap("pin.back")
    yield p.screen(State.ATTRACT)
    p.say("the lock has run out: the right PIN")
    p.advance_clock(61)
    yield from p.press("tech.corner", 3.5)
    yield p.screen(State.TECH_PIN)
    yield from _type_pin(p, DEMO_TECHNICIAN_PIN)
    yield p.screen(State.TECHNICIAN)
    yield p.until("the outbox read", lambda: j.technician.info is not None)
    yield p.frames(3)
    tech = p.app.screens[State.TECHNICIAN]
    rows = [w for w in tech.ids.devices.children if getattr(w, "kid", "")]
    p.record["device_rows"] = sorted(w.kid for w in rows)
    p.record["device_texts"] = sorted(w.text for w in rows)
    p.record["about"] = tech.about
    p.record["outbox_before"] = tech.outbox
    yield p.shot("technician")
    p.say("deliver the outbox now")
    info = j.technician.info
    yield p.tap("tech.deliver")
    yield p.until("the outbox read again", lambda: j.technician.info is not info)
    p.record["outbox_after"] = tech.outbox
    p.say("the printer's test page")
    printed = len(p.stack.printer.jobs)
    yield p.tap("tech.test_print")
    yield p.until("the test page done", lambda: j.technician.test_print is not None, 30)
    p.record["test_print"] = [j.technician.test_print.ok, j.technician.test_print.detail]
    p.record["test_result_text"] = tech.test_result
    yield p.until("the page at the printer", lambda: len(p.stack.printer.jobs) > printed)
    p.record["test_page_title"] = "打印机测试页" in p.stack.printer.jobs[-1].text
    p.say("the card-read test: the result masked")
    yield p.tap("tech.card_test")
    yield p.until("the test waiting", lambda: bool(j.technician.card_test))
    waiting = j.technician.card_test
    p.stack.place_card("zhang_wei")
    yield p.until("the card read", lambda: j.technician.card_test != waiting)
    yield p.frames(3)
    card = BY_KEY["zhang_wei"].card()
    p.record["card_result"] = tech.card_result
    p.record["card_result_masked"] = (
        card.number not in tech.card_result and card.name not in tech.card_result
    )
    p.record["addresses"] = tech.addresses
    p.stack.remove_card()
    p.say("the scan test: the code's kind, masked")
    yield p.tap("tech.scan_test")
    yield p.until("the scan test waiting", lambda: bool(j.technician.scan_test))
    waiting = j.technician.scan_test
    token = "SXT1.abcdefghijklmnopqrstuvwxyz0123456789"
    p.stack.scanner.scan(token)
    yield p.until("the code scanned", lambda: j.technician.scan_test != waiting)
    yield p.tap("tech.refresh")  # the log lines read again
    yield p.frames(3)
    p.record["scan_result"] = tech.scan_result
    p.record["scan_result_masked"] = token[5:21] not in tech.scan_result
    p.record["log_lines"] = tech.log_lines
    yield p.shot("technician_tests")
    p.say("restart: asked, cancelled; asked, confirmed (the app's exit is recorded, not done)")
    restarts: list[int] = []
    p.app.runtime.desk.restart = lambda: restarts.append(1)
    yield p.tap("tech.restart")
    yield p.tap("tech.restart_no")
    yield p.tap("tech.restart")
    yield p.shot("technician_restart_confirm")
    yield p.tap("tech.restart_yes")
    yield p.until("the restart asked for", lambda: bool(restarts))
    p.say("leave")
    yield p.tap("tech.leave")
    yield p.screen(State.ATTRACT)
    yield p.until(
        "the technician's events",
        lambda: any(e.get("action") == "leave" for e in _device_events(p, "technician")),
    )
    events = _device_events(p, "technician")
    p.record["audit"] = [[e["action"], e["outcome"]] for e in events]
    p.record["audit_keys"] = sorted({k for e in events for k in e})
    p.record["pin_in_events"] = any(DEMO_TECHNICIAN_PIN in json.dumps(e) for e in events)


def tech_address(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 13: the ID-card reader's cable moved to another port while the kiosk runs (a
    second SAM reader on another pseudo-terminal, the first one's port gone): out of service
    with the reason; the technician signs in, types the new address on the screen's keyboard
    (a typo first, named by the registry), saves and applies it; the kiosk is back in service
    with no restart, the file rewritten with the old one kept, and a card reads at the new
    port."""
    from devkit.people import DEMO_TECHNICIAN_PIN
    from devkit.sam_emulator import SamEmulator
    from kiosk.devices import DeviceKind, DeviceState

    yield p.screen(State.ATTRACT)
    j = p.journey
    runtime = p.app.runtime
    yield p.until(
        "every device online",
        lambda: all(any(s.usable for s in j.statuses(k)) for k in DeviceKind),
    )
    started, file = runtime.started_at, runtime.config.file
    before = file.read_text()
    moved = SamEmulator()
    new_path = moved.start()
    p.say(f"the reader's cable moved: {p.stack.sam_path} -> {new_path}")
    p.stack.sam.unplug()
    yield p.screen(State.OUT_OF_SERVICE)
    yield p.shot("out_of_service_reader_moved")
    yield from p.press("tech.corner", 3.5)
    yield p.screen(State.TECH_PIN)
    yield from _type_pin(p, DEMO_TECHNICIAN_PIN)
    yield p.screen(State.TECHNICIAN)
    yield p.until("the technician's info", lambda: j.technician.info is not None)
    yield p.tap("tech.edit:card_reader:0")
    yield p.screen(State.TECH_ADDRESS)
    yield p.frames(3)
    yield p.shot("tech_address")
    p.say("a typo first: the registry names it, nothing is written")
    yield p.tap("tech.key_clear")
    yield from _type_address(p, "sam+serial:///dev/x?baud=fast")
    yield p.tap("tech.address_apply")
    yield p.until("the typo refused", lambda: bool(j.technician.edit.message))
    yield p.frames(3)
    screen = p.app.screens[State.TECH_ADDRESS]
    p.record["refused"] = screen.message
    p.record["file_after_typo_unchanged"] = file.read_text() == before
    yield p.shot("tech_address_refused")
    p.say("the new port, typed key by key")
    address = f"sam+serial://{new_path}?baud=115200"
    yield p.tap("tech.key_clear")
    yield from _type_address(p, address)
    yield p.frames(3)
    p.record["typed"] = screen.text
    yield p.shot("tech_address_typed")
    yield p.tap("tech.address_apply")
    yield p.screen(State.TECHNICIAN, timeout=30)
    yield p.until(
        "the reader online at its new port",
        lambda: (
            j.devices.get((DeviceKind.CARD_READER, "sam")) is not None
            and j.devices[(DeviceKind.CARD_READER, "sam")].state is DeviceState.ONLINE
        ),
        30,
    )
    yield p.until("in service", lambda: j.in_service)
    yield p.until("the addresses read again", lambda: address in str(j.technician.info.addresses))
    yield p.frames(3)
    tech = p.app.screens[State.TECHNICIAN]
    p.record["address_result"] = tech.address_result
    p.record["addresses_shown"] = tech.addresses
    p.record["file_has_new"] = address in file.read_text()
    p.record["backup_is_old"] = file.with_name(file.name + ".bak").read_text() == before
    p.record["same_process"] = runtime.started_at == started and p.app.runtime is runtime
    yield p.shot("technician_address_applied")
    p.say("a card at the new port: the card test reads it")
    yield p.tap("tech.card_test")
    yield p.until("the test waiting", lambda: bool(j.technician.card_test))
    moved.place_card(BY_KEY["zhang_wei"].card())
    yield p.until("the card read", lambda: "*" in j.technician.card_test, 20)
    p.record["card_test"] = j.technician.card_test
    moved.remove_card()
    yield p.tap("tech.leave")
    yield p.screen(State.ATTRACT)
    p.say("and a citizen is served through the new port")
    moved.place_card(BY_KEY["zhang_wei"].card())
    yield p.screen(State.ITEMS, timeout=30)
    yield p.tap("bottom.exit")
    moved.remove_card()
    yield from _back_to_attract(p)
    yield p.until(
        "the technician's events",
        lambda: any(e.get("action") == "apply_address" for e in _device_events(p, "technician")),
    )
    p.record["audit"] = [[e["action"], e["outcome"]] for e in _device_events(p, "technician")]
    moved.stop()


def tech_restart(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 13: 重启应用 for real: the app ends with the code its supervisor restarts it on
    (the test reads the process's exit status; this script never finishes by itself)."""
    from devkit.people import DEMO_TECHNICIAN_PIN

    yield p.screen(State.ATTRACT)
    yield from p.press("tech.corner", 3.5)
    yield p.screen(State.TECH_PIN)
    yield from _type_pin(p, DEMO_TECHNICIAN_PIN)
    yield p.screen(State.TECHNICIAN)
    yield p.tap("tech.restart")
    yield p.tap("tech.restart_yes")
    yield p.seconds(60)  # the app ends meanwhile
    p.check(False, "the app did not end after 重启应用")


def _type_address(p: Pilot, text: str) -> Generator[Wait, None, None]:
    """Key by key on the address screen's keyboard, ⇧ for capitals."""
    screen = p.app.screens[State.TECH_ADDRESS]
    for ch in text:
        if ch.isalpha() and ch.isupper() != screen.upper:
            yield p.tap("tech.key:shift")
        yield p.tap("tech.key:space" if ch == " " else f"tech.key:{ch.lower()}")


def help_seen(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 12 item 4: 呼叫工作人员 stays on screen until staff acknowledge it (from the
    platform, then at the kiosk by holding it), ‹ 返回 goes one step back and asks once before
    leaving the session, and the end of the session says take the card while it lies there."""
    platform = p.stack.platform
    yield p.screen(State.ATTRACT)
    yield from _identify(p, "zhang_wei", slow=False, shots=False)
    items = p.app.screens[State.ITEMS]
    p.say("call staff")
    yield p.tap("bottom.staff")
    yield p.until("the call on screen", lambda: items.staff_call == "called")
    yield p.shot("items_staff_called")
    yield p.until("the call at the platform", lambda: bool(platform.device_events("call_staff")))
    (call,) = platform.device_events("call_staff")
    p.record["call"] = {k: call[k] for k in ("screen", "call_id")}
    p.record["call_shown"] = p.journey.staff_call.call_id
    p.say("hall staff acknowledge it on the platform")
    p.check(platform.acknowledge_call(call["call_id"]), "the platform does not know the call")
    yield p.until("acknowledged on screen", lambda: items.staff_call == "acknowledged")
    p.record["acknowledged_texts"] = _texts(items)
    yield p.shot("items_staff_acknowledged")

    p.say("a second call, acknowledged at the kiosk by holding it")
    yield p.tap("bottom.staff")
    yield p.until("called again", lambda: items.staff_call == "called")
    yield from p.press("top.staff_call", 3.5)
    yield p.until("acknowledged at the kiosk", lambda: items.staff_call == "acknowledged")
    yield p.until(
        "the kiosk's acknowledgement sent",
        lambda: bool(_device_events(p, "staff_call_acknowledged")),
    )
    p.record["kiosk_ack"] = [
        {k: e[k] for k in ("call_id", "by")} for e in _device_events(p, "staff_call_acknowledged")
    ]
    p.record["calls"] = [e["call_id"] for e in _device_events(p, "call_staff")]

    p.say("an item, then ‹ 返回 twice")
    yield p.tap(f"items.row:{SOCIAL_INSURANCE}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.tap("bottom.back")
    yield p.screen(State.ITEMS)
    yield p.tap("bottom.back")
    yield p.until("结束办理？ asked", lambda: items.confirm_leave)
    p.record["asked_in"] = p.journey.state.value
    p.record["session_while_asking"] = p.journey.session is not None
    yield p.shot("items_confirm_leave")
    yield p.tap("bottom.leave_yes")
    yield p.screen(State.ATTRACT)
    attract = p.app.screens[State.ATTRACT]
    yield p.until("take the card", lambda: attract.take_card)
    p.record["attract_texts"] = _texts(attract)
    p.record["staff_call_cleared"] = p.journey.staff_call is None
    yield p.shot("attract_take_card")
    p.say("the card taken")
    p.stack.remove_card()
    yield p.until("the card taken", lambda: not attract.take_card)
    p.record["take_card_after_removal"] = p.journey.take_card


def voice(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 12 part 6: every step of a citizen's visit speaks its prompt as its screen opens
    (observed at the sound layer: the Voice's record and the sound's own state), 再听一遍 says
    it again, and the idle screens say nothing by themselves."""
    v = p.app.voice
    yield p.screen(State.ATTRACT)
    yield p.seconds(0.5)
    p.record["attract_silent"] = not v.played
    yield p.tap("top.repeat")
    yield p.until("the attract prompt on request", lambda: bool(v.played))
    p.record["repeat_on_attract"] = list(v.played)
    yield p.shot("attract_voice_button")
    yield from _identify(p, "zhang_wei", slow=False, shots=False)
    heard = len(v.played)
    yield p.tap("top.repeat")
    yield p.until("再听一遍 on the list", lambda: len(v.played) > heard)
    p.record["playing_after_repeat"] = v._playing is not None and v._playing.state == "play"
    yield p.shot("items_voice_button")
    yield from _handle(p, SOCIAL_INSURANCE, shots=False)
    yield from _rate(p, "satisfied", shots=False)
    p.record["played"] = [[state, lang] for state, lang in v.played]


def _shown_lines(root) -> list[list[str]]:
    """Every visible label's lines as Kivy laid them out (its core label's lines), where it
    has more than one."""
    from screens.breaking import LineBreaking

    out = []
    for w in root.walk(restrict=True):
        lines = getattr(getattr(w, "_label", None), "_cached_lines", None) or []
        if isinstance(w, LineBreaking) and w.opacity > 0 and len(lines) > 1:
            out.append(["".join(word.text for word in line.words) for line in lines])
    return out


def linebreak(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 12: Chinese lines on screen break by the rules. 长辈模式 (larger text) on the
    published list's guide, where the longest paragraphs wrap most."""
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    yield p.tap("attract.elder")
    yield p.frames(2)
    yield p.shot("attract_elder")
    yield p.tap("attract.browse")
    yield p.screen(State.CATALOGUE)
    yield p.tap(f"catalogue.row:{SOCIAL_INSURANCE}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the public guide", lambda: p.journey.browse_guide is not None)
    yield p.frames(3)
    yield p.shot("guide_elder")
    p.record["guide_lines"] = _shown_lines(p.app.sm.current_screen)


def _held(p: Pilot, screen: State, kid: str, reason: str) -> Callable[[], bool]:
    """The screen shows the printer's condition beside its print button, and holds it."""
    shown = p.app.screens[screen]
    return lambda: shown.hold == reason and p.find(kid) is None


def privacy_printer(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 12, parts 8 and 9: an unavailable item's reason only behind 详情, on the list and
    on its guide; the printer's condition held beside the print button on the guide and the
    preview, released when the printer is back. Once in normal size, once in 长辈模式."""
    p.app.runtime.printer_poll_interval = 0.3
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    for mode in ("normal", "elder"):
        if mode == "elder":
            yield p.tap("attract.elder")
            yield p.until("长辈模式", lambda: p.app.theme.elder)
        yield from _privacy_pass(p, mode)
        yield p.tap("bottom.exit")
        yield from _back_to_attract(p)


def _privacy_pass(p: Pilot, mode: str) -> Generator[Wait, None, None]:
    record = p.record.setdefault(mode, {})
    yield from _identify(p, "zhang_wei", slow=False, shots=False)
    items = p.app.screens[State.ITEMS]
    blocked = [i for i in p.journey.session.items if not i.available and i.unavailable_reason]
    p.check(bool(blocked), "the demo citizen has no item refused with a reason")
    reasons = {i.item_code: i.unavailable_reason for i in blocked}
    yield p.until("the list drawn", lambda: p.app.sm.current == State.ITEMS.value)
    data = json.dumps(items.ids.list.data, ensure_ascii=False)
    record["reasons_in_rows"] = [c for c, why in reasons.items() if why in data]
    record["neutral_rows"] = data.count("本机暂不能为您办理此事项，请咨询窗口")
    record["blocked"] = len(blocked)
    items.ids.list.scroll_y = 0  # the items for a window are at the end
    yield p.frames(3)
    yield p.shot(f"items_neutral_{mode}")

    code = blocked[-1].item_code  # the list's last row: on screen at its end
    p.say(f"详情 on {code}")
    yield p.tap(f"items.reveal:{code}")
    yield p.until("the reason on its row", lambda: _row_detail(items, code) == reasons[code])
    data = json.dumps(items.ids.list.data, ensure_ascii=False)
    record["revealed_others"] = [c for c, why in reasons.items() if c != code and why in data]
    yield p.frames(3)
    yield p.shot(f"items_detail_{mode}")
    yield p.tap(f"items.row:{code}")
    yield p.screen(State.ITEM_DETAIL)
    detail = p.app.screens[State.ITEM_DETAIL]
    yield p.until("the guide", lambda: p.journey.session.guide is not None and not detail.loading)
    record["row_hidden_on_leaving"] = p.journey.revealed is None
    record["guide_before"] = detail.notice + detail.reason
    record["guide_reason_before_tap"] = reasons[code] in record["guide_before"]
    yield p.shot(f"guide_for_window_{mode}")
    yield p.tap("detail.reveal")
    yield p.until("the reason on the guide", lambda: detail.reason == reasons[code])
    yield p.shot(f"guide_detail_{mode}")
    yield p.tap("bottom.back")
    yield p.screen(State.ITEMS)
    record["guide_hidden_on_leaving"] = p.journey.revealed is None

    p.say("paper out while the citizen reads the guide of an item that prints")
    yield p.tap(f"items.row:{SOCIAL_INSURANCE}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the guide", lambda: p.journey.can_confirm)
    p.stack.printer.set_state(paper="out")
    yield p.until(
        "确认办理 held", _held(p, State.ITEM_DETAIL, "detail.confirm", "打印纸已用完"), timeout=10
    )
    record["detail_hold"] = [detail.hold, detail.hold_notice]
    yield p.shot(f"detail_paper_out_{mode}")
    p.stack.printer.set_state()
    yield p.until("确认办理 released", lambda: p.find("detail.confirm") is not None, timeout=10)
    record["detail_released"] = detail.hold == "" and detail.hold_notice == ""
    yield p.shot(f"detail_released_{mode}")

    p.say("the cover opens on the preview")
    yield p.tap("detail.confirm")
    yield p.screen(State.PREVIEW, timeout=20)
    preview = p.app.screens[State.PREVIEW]
    jobs = len(p.stack.printer.jobs)
    p.stack.printer.set_state(cover_open=True)
    yield p.until(
        "确认打印 held", _held(p, State.PREVIEW, "preview.print", "打印机盖未关好"), timeout=10
    )
    record["preview_hold"] = [preview.hold, preview.hold_notice]
    yield p.shot(f"preview_cover_open_{mode}")
    p.stack.printer.set_state()
    yield p.until("确认打印 released", lambda: p.find("preview.print") is not None, timeout=10)
    record["preview_released"] = preview.hold == ""
    record["jobs_while_held"] = len(p.stack.printer.jobs) - jobs
    yield p.shot(f"preview_released_{mode}")
    yield p.tap("preview.no_print")
    yield p.screen(State.TAKE_DOCUMENTS)


def _row_detail(items, code: str) -> str:
    row = next((r for r in items.ids.list.data if r.get("item_code") == code), {})
    return row.get("detail", "")


def _visible_texts(widget) -> list[str]:
    """The texts a person can see on a screen: labels and buttons, not those hidden (opacity 0
    or no height) nor anything inside a hidden one."""
    out = []
    if widget.opacity <= 0 or widget.height <= 0 or widget.width <= 0:
        return out
    text = getattr(widget, "text", "")
    if isinstance(text, str) and text.strip():
        out.append(text)
    for child in widget.children:
        out += _visible_texts(child)
    return out


def _english_screen(p: Pilot, name: str) -> Generator[Wait, None, None]:
    """Settle, keep every visible text of the screen for the test's rule, and photograph it."""
    yield p.frames(3)
    p.record.setdefault("english_screens", {})[name] = _visible_texts(p.app.sm.current_screen)
    yield p.shot(f"{name}_en")


def english(p: Pilot) -> Generator[Wait, None, None]:
    """Issue 12 item 7: a foreign permanent resident from the attract screen to goodbye in
    English (the switch on the attract screen, and in the frame back to Chinese and again);
    the certificate printed in Chinese; the next citizen greeted in Chinese; and a second
    foreign card, read on a Chinese screen, offered English by its English name."""
    attract = p.app.screens[State.ATTRACT]
    yield p.screen(State.ATTRACT)
    yield p.until("the published list", lambda: p.journey.catalogue is not None)
    p.say("English on the attract screen, before a card is read")
    yield p.tap("attract.language")
    yield p.until("English", lambda: attract.language == "en")
    yield from _english_screen(p, "attract")
    p.say("the frame's switch back to 中文: every label again in Chinese")
    yield p.tap("frame.language")
    yield p.until("Chinese", lambda: attract.language == "zh_CN")
    yield p.frames(3)
    p.record["attract_back_in_chinese"] = _visible_texts(attract)
    yield p.tap("frame.language")
    yield p.until("English again", lambda: attract.language == "en")

    p.say("a foreign permanent resident's card (john_smith)")
    p.stack.place_card("john_smith")
    yield p.screen(State.ITEMS, timeout=30)
    s = p.journey.session
    p.record["suggested_when_english"] = p.journey.suggest_english
    p.record["chinese_data"] = {
        "citizen_name": s.display_name,
        "items_only_in_chinese": sorted(i.name for i in s.items if not i.name_en),
    }
    yield from _english_screen(p, "items")
    yield p.tap(f"items.row:{SOCIAL_INSURANCE}")
    yield p.screen(State.ITEM_DETAIL)
    yield p.until("the guide", lambda: p.journey.session.guide is not None)
    yield from _english_screen(p, "item_detail")
    printed_before = len(p.stack.printer.jobs)
    yield p.tap("detail.confirm")
    yield p.screen(State.PREVIEW, timeout=30)
    yield from _english_screen(p, "preview")
    yield p.tap("preview.print")
    yield p.screen(State.TAKE_DOCUMENTS, timeout=40)
    job = p.stack.printer.wait_for_jobs(printed_before + 1, timeout=10)[-1]
    doc = p.journey.session.case.document
    p.record["printed"] = {"text": job.text, "title": doc.title, "code": doc.verification_code}
    yield from _english_screen(p, "take_documents")
    p.say("the card taken: rating and goodbye")
    p.stack.remove_card()
    yield p.screen(State.RATING)
    yield from _english_screen(p, "rating")
    yield p.tap("rating.level:satisfied")
    yield from _english_screen(p, "rating_chosen")
    yield p.tap("rating.dimension:efficiency:dissatisfied")  # scrolled to, as a person would
    yield from _english_screen(p, "rating_dimensions")
    yield p.tap("rating.submit")
    yield p.screen(State.GOODBYE)
    yield from _english_screen(p, "goodbye")
    yield p.screen(State.ATTRACT, timeout=15)
    yield p.frames(3)
    p.record["next_citizen_language"] = p.journey.language
    p.record["next_citizen_texts"] = _visible_texts(attract)

    p.say("another foreign card on a Chinese screen: offered English by its English name")
    p.stack.place_card("anna_ivanova")
    yield p.screen(State.ITEMS, timeout=30)
    items = p.app.screens[State.ITEMS]
    yield p.until("the offer", lambda: items.suggest_english)
    yield p.frames(3)
    p.record["offer_texts"] = _visible_texts(items)
    p.record["language_before_the_offer_is_taken"] = p.journey.language
    yield p.shot("items_offer")
    yield p.tap("frame.english_yes")
    yield p.until("English", lambda: items.language == "en" and not items.suggest_english)
    yield from _english_screen(p, "items_after_offer")
    yield p.tap("bottom.exit")
    yield p.screen(State.ATTRACT)
    p.stack.remove_card()


SCRIPTS = {
    "demo": demo,
    "privacy_printer": privacy_printer,
    "english": english,
    "linebreak": linebreak,
    "two_citizens": two_citizens,
    "bench_items": bench_items,
    "panel": panel,
    "cards": cards,
    "qr": qr_codes,
    "printer": printer,
    "offline": offline,
    "wedge": wedge,
    "freeze": freeze,
    "ratings": ratings,
    "soak": soak,
    "availability": availability,
    "lockdown": lockdown,
    "technician": technician,
    "tech_address": tech_address,
    "tech_restart": tech_restart,
    "help_seen": help_seen,
    "voice": voice,
    "notice": notice,
    "case_slip": case_slip,
    "cases": cases,
    "complaints": complaints,
}
