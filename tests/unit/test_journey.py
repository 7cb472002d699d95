"""The journey state machine, path by path, with no display, device or network."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from devkit.people import BY_KEY
from kiosk import journey as j
from kiosk import messages
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper
from kiosk.document import Document, DocumentKind, Field
from kiosk.events import (
    Action,
    CardDetected,
    CardFault,
    CardRead,
    CardReadFailed,
    CardRemoved,
    DeviceChanged,
    Failed,
    GuideLoaded,
    Operation,
    PlatformHealth,
    Printed,
    PrintProgress,
    RatingStored,
    Submitted,
    Tap,
    Tick,
    Verified,
)
from kiosk.models import (
    CaseKind,
    CaseResult,
    Guide,
    Item,
    Material,
    MaterialSource,
    Subject,
    Ticket,
)
from kiosk.ratings import RatingLevel

TODAY = dt.date(2026, 11, 27)
WALL = dt.datetime(2026, 11, 27, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def item(code="I1", *, prints=True, available=True, reason="", kind=CaseKind.INSTANT) -> Item:
    return Item(
        item_code=code,
        name=f"事项{code}",
        department="市人力资源和社会保障局",
        category="社会保障",
        subject=Subject.PERSON,
        case_kind=kind,
        promised_days=5 if kind is CaseKind.PROMISED else None,
        visits=0,
        prints=prints,
        available=available,
        unavailable_reason=reason,
    )


def guide(it: Item, pledge: str = "") -> Guide:
    return Guide(
        item=it,
        conditions="本人",
        process="刷证-确认-打印",
        fee="不收费",
        legal_basis="",
        phone="12345",
        materials=(Material("居民身份证", MaterialSource.LICENCE, True),),
        pledge_text=pledge,
    )


TICKET = Ticket("t-1", "rater-1", WALL + dt.timedelta(minutes=15), Subject.PERSON)


def case(it: Item) -> CaseResult:
    doc = Document(
        kind=DocumentKind.CERTIFICATE,
        title="参保缴费证明",
        holder="张伟",
        fields=(Field("参保状态", "正常参保"),),
        body="兹证明。",
        department=it.department,
        issued_on=TODAY,
        verification_code="SXV123",
        qr_content="https://yzt.shanxi.demo/v/SXV123",
    )
    return CaseResult("C-1", it.item_code, it.case_kind, doc)


class Driver:
    """Feeds events with a controllable clock and keeps the effects (and the log of what it
    fed, for the replay test)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.journey = j.Journey(j.JourneySettings("SX-TY-0001", "140100", 60, 20))
        self.log: list[tuple[object, j.Now]] = []
        self.trace: list[tuple] = []
        self.effects: list = self.journey.start(self.moment())

    def moment(self) -> j.Now:
        """The wall clock moves with the monotonic one; every moment has fresh id bits."""
        return j.Now(self.now, WALL + dt.timedelta(seconds=self.now - 1000.0), len(self.log) + 1)

    def __call__(self, event) -> list:
        now = self.moment()
        self.log.append((copy.deepcopy(event), now))  # as fed: the journey wipes cards later
        out = self.journey.dispatch(event, now)
        self.effects.extend(out)
        self.trace.append(trace(self.journey, out))
        return out

    def tap(self, action: Action, arg: str = "") -> list:
        return self(Tap(action, arg))

    def wait(self, seconds: float) -> list:
        self.now += seconds
        return self(Tick())

    @property
    def state(self) -> j.State:
        return self.journey.state


def trace(journey: j.Journey, effects: list) -> tuple:
    """What one event did: the state, its deadline, the turn, and the effects asked for."""
    return (journey.state, journey.deadline, journey.epoch, [repr(e) for e in effects])


def card(key="zhang_wei"):
    return BY_KEY[key].card()


def to_items(d: Driver, items: tuple[Item, ...] | None = None) -> None:
    items = items or (item("I1"), item("I2", prints=False))
    d(CardDetected())
    assert d.state is j.State.IDENTIFYING
    c = card()
    (effect,) = d(CardRead(c))
    assert isinstance(effect, j.VerifyIdentity) and effect.card is c
    assert d.state is j.State.VERIFYING
    d(Verified(TICKET, tuple(items)))
    assert d.state is j.State.ITEMS


def to_preview(d: Driver) -> None:
    """A session with item I1 done and its certificate on screen, not yet printed."""
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I1")
    d(GuideLoaded(guide(item("I1"))))
    d.tap(Action.CONFIRM)
    d(Submitted(case(item("I1"))))
    assert d.state is j.State.PREVIEW


def to_printing(d: Driver) -> j.PrintDocument:
    to_preview(d)
    (p,) = d.tap(Action.PRINT)
    return p


def test_whole_journey_of_a_certificate():
    d = Driver()
    assert d.state is j.State.ATTRACT
    assert isinstance(d.effects[0], j.LoadCatalogue)
    to_items(d)
    s = d.journey.session
    assert s.display_name == "张*" and s.display_number == "140105********0210"
    assert s.card is None, "the card's contents are dropped once the platform has verified it"

    (load,) = d.tap(Action.SELECT_ITEM, "I1")
    assert isinstance(load, j.LoadGuide) and load.ticket is TICKET
    assert d.state is j.State.ITEM_DETAIL and not d.journey.can_confirm
    d(GuideLoaded(guide(item("I1"))))
    assert d.journey.can_confirm

    (submit,) = d.tap(Action.CONFIRM)
    assert isinstance(submit, j.SubmitCase) and submit.request_id
    assert d.state is j.State.SUBMITTING
    assert d(Submitted(case(item("I1")))) == [], "nothing goes on paper before the preview"
    assert d.state is j.State.PREVIEW
    (printing,) = d.tap(Action.PRINT)
    assert isinstance(printing, j.PrintDocument)
    assert d.state is j.State.PRINTING
    d(PrintProgress(printing.job.job_id, 0.5))
    assert s.print_progress == 0.5
    d(Printed(printing.job.job_id))
    assert d.state is j.State.TAKE_DOCUMENTS
    d(CardRemoved())
    assert d.state is j.State.RATING

    assert s.rating_level is None, "no level is chosen in advance"
    d.tap(Action.RATE, RatingLevel.VERY_SATISFIED.value)
    (store,) = d.tap(Action.SUBMIT_RATING)
    rating = store.rating
    assert rating.level is RatingLevel.VERY_SATISFIED
    assert rating.rater_ref == "rater-1" and rating.case_no == "C-1"
    assert rating.rated_at == WALL and rating.channel == 5
    assert "140105" not in str(rating.to_json())
    d(RatingStored(rating.rating_id))
    assert d.state is j.State.GOODBYE
    assert s.ticket is None and s.display_name == "", "goodbye says the data is gone: it is"
    ended = d.wait(7)
    assert d.state is j.State.ATTRACT
    assert d.journey.session is None
    assert any(isinstance(e, j.SessionEnded) and e.reason == "done" for e in ended)
    assert s.display_name == "" and s.ticket is None and s.items == ()


def test_bad_rating_needs_a_reason():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I2")
    d(GuideLoaded(guide(item("I2", prints=False))))
    d.tap(Action.CONFIRM)
    d(DeviceChanged(DeviceStatus(DeviceKind.PRINTER, DeviceState.OFFLINE)))
    d(Submitted(case(item("I2", prints=False))))
    assert d.state is j.State.PREVIEW, "no printer: the result is shown, 打印 held"
    assert d.tap(Action.PRINT) == [] and d.state is j.State.PREVIEW
    d.tap(Action.NO_PRINT)
    assert d.state is j.State.TAKE_DOCUMENTS and d.journey.session.job_id == ""
    d.tap(Action.DOCUMENTS_TAKEN)
    d.tap(Action.RATE, RatingLevel.DISSATISFIED.value)
    assert d.tap(Action.SUBMIT_RATING) == []
    assert not d.journey.can_submit_rating
    for not_a_complaint in ("G01", "junk", ""):  # praise never explains a complaint
        d.tap(Action.REASON, not_a_complaint)
        assert not d.journey.can_submit_rating
    d.tap(Action.REASON, "R01")
    (store,) = d.tap(Action.SUBMIT_RATING)
    assert store.rating.reasons == ("R01",)
    assert store.rating.level.satisfaction_code() == 2


def test_changing_level_clears_reasons_and_skip_is_allowed():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I2")
    d(GuideLoaded(guide(item("I2", prints=False))))
    d.tap(Action.CONFIRM)
    d(Submitted(case(item("I2", prints=False))))
    (p,) = d.tap(Action.PRINT)
    d(Printed(p.job.job_id))
    d.tap(Action.DOCUMENTS_TAKEN)
    d.tap(Action.RATE, "very_dissatisfied")
    d.tap(Action.REASON, "R02")
    d.tap(Action.RATE, "satisfied")
    assert d.journey.session.rating_reasons == set()
    assert d.tap(Action.SKIP_RATING) == []
    assert d.state is j.State.GOODBYE


def test_expired_card_gets_its_own_message_and_no_session():
    d = Driver()
    d(CardDetected())
    c = card("sun_qiang")
    assert d(CardRead(c)) == []
    assert d.state is j.State.ERROR
    assert d.journey.error.title == messages.CARD_PROBLEMS["expired"].title
    assert d.journey.session is None
    assert c.number == "" and c.name == "", "the refused card is wiped at once"


def test_not_yet_valid_card():
    d = Driver()
    c = card()
    c.valid_from = TODAY + dt.timedelta(days=3)
    d(CardRead(c))
    assert d.journey.error.title == "证件尚未生效"


@pytest.mark.parametrize(
    ("key", "change", "problem"),
    [
        ("zhang_wei", {"birth_date": dt.date(1985, 3, 13)}, "bad_birth_date"),
        ("zhang_wei", {"birth_date": TODAY + dt.timedelta(days=1)}, "bad_birth_date"),
        ("zhang_wei", {"number": "140105198503120211"}, "bad_number"),
        # a permit whose number is a mainland one (check digit fine, region not 81/82/83)
        ("chan_kaming", {"number": "140105199005120036"}, "bad_number"),
    ],
)
def test_a_card_that_contradicts_itself_starts_no_session(key, change, problem):
    d = Driver()
    c = card(key)
    for name, value in change.items():
        setattr(c, name, value)
    assert d(CardRead(c)) == []
    assert d.state is j.State.ERROR and d.journey.session is None
    assert d.journey.error.title == messages.CARD_PROBLEMS[problem].title


def test_card_read_failure_shows_the_fault_then_a_new_card_works():
    d = Driver()
    d(CardDetected())
    d(CardReadFailed(CardFault.READ_FAILED, "sw3=41"))
    assert d.state is j.State.ERROR
    assert d.journey.error.text == messages.CARD_FAULTS[CardFault.READ_FAILED].text
    d(CardDetected())
    assert d.state is j.State.IDENTIFYING
    d(CardRead(card()))
    assert d.state is j.State.VERIFYING


def test_reading_that_never_finishes_times_out():
    d = Driver()
    d(CardDetected())
    d.wait(16)
    assert d.state is j.State.ERROR
    assert d.journey.error.title == messages.CARD_FAULTS[CardFault.TIMEOUT].title


def test_inactivity_warns_20_seconds_before_and_more_time_extends():
    d = Driver()
    to_items(d)
    d.wait(39)
    assert not d.journey.warning(d.now)
    d.wait(2)
    assert d.journey.warning(d.now)
    assert d.journey.remaining(d.now) == pytest.approx(19)
    d.tap(Action.MORE_TIME)
    assert not d.journey.warning(d.now)
    assert d.journey.remaining(d.now) == pytest.approx(60)
    d.wait(59)
    assert d.state is j.State.ITEMS
    ended = d.wait(2)
    assert d.state is j.State.ATTRACT
    assert d.journey.session is None
    assert d.journey.notice == messages.SESSION_TIMEOUT.text
    assert [e.reason for e in ended if isinstance(e, j.SessionEnded)] == ["timeout"]


def test_elder_mode_doubles_the_time():
    d = Driver()
    d.tap(Action.ELDER_MODE)
    assert d.journey.elder_mode
    to_items(d)
    d.wait(100)
    assert d.state is j.State.ITEMS
    d.wait(21)
    assert d.state is j.State.ATTRACT
    assert not d.journey.elder_mode, "the next citizen starts in the normal mode"


def test_card_removed_while_choosing_ends_the_session():
    d = Driver()
    to_items(d)
    session = d.journey.session
    effects = d(CardRemoved())
    assert d.state is j.State.ATTRACT
    assert session.ticket is None and session.display_name == ""
    assert any(isinstance(e, j.SessionEnded) and e.reason == "card_removed" for e in effects)


def test_card_removed_while_printing_does_not_strand_the_paper():
    d = Driver()
    p = to_printing(d)
    d(CardRemoved())
    assert d.state is j.State.PRINTING
    assert d.tap(Action.EXIT) == [], "leaving while printing is not offered"
    d(Printed(p.job.job_id))
    assert d.state is j.State.TAKE_DOCUMENTS


def test_exit_from_anywhere_in_a_session_wipes_it():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I1")
    d.tap(Action.EXIT)
    assert d.state is j.State.ATTRACT and d.journey.session is None


def test_submit_failure_retry_reuses_the_request_id():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I1")
    d(GuideLoaded(guide(item("I1"))))
    (first,) = d.tap(Action.CONFIRM)
    d(Failed(Operation.SUBMIT, "暂时无法连接", "timeout"))
    assert d.state is j.State.ERROR and d.journey.error.retry is not None
    (again,) = d.tap(Action.RETRY)
    assert isinstance(again, j.SubmitCase)
    assert again.request_id == first.request_id, "the platform dedupes by it: never two cases"
    assert d.state is j.State.SUBMITTING


def test_print_failure_offers_a_reprint_of_the_same_job_only_when_asked():
    d = Driver()
    p = to_printing(d)
    assert d(Failed(Operation.PRINT, "打印机缺纸")) == [], "nothing is reprinted on its own"
    assert d.state is j.State.ERROR
    assert "C-1" in d.journey.error.text
    assert d.journey.error.retry_label == "重新打印"
    d.wait(5)
    (again,) = d.tap(Action.RETRY)
    assert again.job.job_id == p.job.job_id
    assert d.state is j.State.PRINTING


def test_verify_failure_is_retryable_while_the_card_is_known():
    d = Driver()
    d(CardDetected())
    d(CardRead(card()))
    d(Failed(Operation.VERIFY, "暂时无法连接政务服务平台", "timeout", retryable=True))
    assert d.state is j.State.ERROR
    (again,) = d.tap(Action.RETRY)
    assert isinstance(again, j.VerifyIdentity)
    d(Failed(Operation.VERIFY, "身份信息不一致", "card_mismatch", retryable=False))
    assert d.journey.error.retry is None
    d.tap(Action.BACK)
    assert d.state is j.State.ATTRACT and d.journey.session is None


def test_guide_failure_and_back_to_the_list():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I1")
    d(Failed(Operation.GUIDE, "办事指南暂时无法获取"))
    assert d.state is j.State.ERROR
    d.tap(Action.BACK)
    assert d.state is j.State.ITEMS, "the session is still good"


def test_blocked_items_say_why_and_only_open_for_their_guide():
    d = Driver()
    blocked = item("I3", available=False, reason="您暂无住房公积金缴存记录")
    to_items(d, (item("I1"), blocked))
    assert d.journey.item_blocked_reason(blocked) == "本机暂不能为您办理此事项，请咨询窗口"
    # an item for a window opens on its guide (for the 一次性告知 slip: test_notice.py) ...
    assert d.tap(Action.SELECT_ITEM, "I3") == [j.LoadGuide("I3", TICKET)]
    d(GuideLoaded(guide(blocked)))
    assert not d.journey.can_confirm and d.tap(Action.CONFIRM) == []
    d.tap(Action.BACK)
    assert d.state is j.State.ITEMS
    d(DeviceChanged(DeviceStatus(DeviceKind.PRINTER, DeviceState.ONLINE, paper=Paper.OUT)))
    assert d.journey.item_blocked_reason(item("I1")) == "打印机暂停服务，请到窗口办理"
    # ... one blocked only by the printer does not open
    assert d.tap(Action.SELECT_ITEM, "I1") == [] and d.state is j.State.ITEMS
    assert d.journey.item_blocked_reason(item("I2", prints=False)) == ""
    d(DeviceChanged(DeviceStatus(DeviceKind.PRINTER, DeviceState.ONLINE, paper=Paper.LOW)))
    assert d.journey.item_blocked_reason(item("I1")) == "", "low paper still prints"


def test_pledge_must_be_confirmed():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I1")
    d(GuideLoaded(guide(item("I1"), pledge="本人承诺所填信息真实。")))
    assert not d.journey.can_confirm
    assert d.tap(Action.CONFIRM) == []
    d.tap(Action.PLEDGE)
    (submit,) = d.tap(Action.CONFIRM)
    assert submit.pledge_confirmed


def test_browsing_the_public_list_without_a_card():
    from kiosk.models import Catalogue

    d = Driver()
    d.tap(Action.BROWSE)
    assert d.state is j.State.CATALOGUE
    assert isinstance(d.effects[-1], j.LoadCatalogue)
    from kiosk.events import CatalogueLoaded

    d(CatalogueLoaded(Catalogue((item("I1"),), "v1"), 0.0))
    (load,) = d.tap(Action.SELECT_ITEM, "I1")
    assert load.ticket is None
    assert d.state is j.State.ITEM_DETAIL and d.journey.session is None
    d(GuideLoaded(guide(item("I1"))))
    assert d.journey.browse_guide is not None
    assert not d.journey.can_confirm, "no confirming without identification"
    d.tap(Action.BACK)
    assert d.state is j.State.CATALOGUE
    d(CardDetected())
    assert d.state is j.State.IDENTIFYING, "placing a card while browsing starts a session"


def test_reader_failure_puts_the_kiosk_out_of_service_and_back():
    d = Driver()
    d(DeviceChanged(DeviceStatus(DeviceKind.CARD_READER, DeviceState.NO_DEVICE)))
    assert d.state is j.State.OUT_OF_SERVICE
    d(DeviceChanged(DeviceStatus(DeviceKind.CARD_READER, DeviceState.ONLINE)))
    assert d.state is j.State.ATTRACT


def test_platform_unreachable_is_said_plainly():
    d = Driver()
    d(PlatformHealth(False))
    assert d.journey.banners and "人工窗口" in d.journey.banners[0]
    c = card()
    d(CardRead(c))
    assert d.state is j.State.ERROR
    assert d.journey.session is None and c.number == ""


def test_a_second_card_during_a_session_changes_nothing():
    d = Driver()
    to_items(d)
    other = card("li_ming")
    d(CardRead(other))
    assert d.journey.session.display_name == "张*"
    assert other.number == ""


def test_call_staff_records_an_event_and_says_so():
    d = Driver()
    to_items(d)
    (effect,) = d.tap(Action.CALL_STAFF)
    assert effect == j.CallStaff("items", d.journey.staff_call.call_id)
    assert d.journey.staff_call.screen == "items"


def test_tick_without_change_does_not_bump_the_version():
    d = Driver()
    v = d.journey.version
    d.wait(1)
    assert d.journey.version == v


def test_session_repr_is_masked():
    d = Driver()
    d(CardRead(card()))
    text = repr(d.journey.session) + repr(d.effects[-1])
    assert "张伟" not in text and "140105198503120210" not in text


def test_only_the_sessions_own_reader_ends_it():
    d = Driver()
    d(CardDetected(reader="sam"))
    d(CardRead(card(), reader="sam"))
    d(Verified(TICKET, (item("I1"),)))
    assert d.state is j.State.ITEMS
    d(CardRemoved(reader="pcsc"))
    assert d.state is j.State.ITEMS, "a card leaving the other reader is not this citizen's"
    d(CardDetected(reader="pcsc"))
    assert d.state is j.State.ITEMS
    d(CardRemoved(reader="sam"))
    assert d.state is j.State.ATTRACT


def test_every_card_type_starts_a_session():
    from devkit.people import BY_KEY as people

    for key in ("chan_kaming", "john_smith", "anna_ivanova"):
        d = Driver()
        c = people[key].card()
        d(CardRead(c, reader="sam"))
        assert d.state is j.State.VERIFYING, key
        assert d.journey.session.display_name == c.masked_name
    d = Driver()
    social = people["wang_guilan"].social_card()
    d(CardRead(social, reader="pcsc"))
    assert d.state is j.State.VERIFYING
    assert d.journey.session.reader == "pcsc"


def test_a_social_card_with_a_wrong_number_is_refused():
    from devkit.people import BY_KEY as people

    d = Driver()
    social = people["wang_guilan"].social_card()
    social.number = social.number[:-1] + ("0" if social.number[-1] != "0" else "1")
    d(CardRead(social, reader="pcsc"))
    assert d.state is j.State.ERROR
    assert d.journey.error.title == messages.CARD_PROBLEMS["bad_number"].title


# ---- QR codes: phone identity, enterprises, certificate verification (issue 4) ------------

GSXT = "http://www.gsxt.gov.cn/index.html?uniscid=91140100MA0K8Q1X3C"
CERT = "https://yzt.shanxi.demo/v/ABCDEFGH23456789"


def enterprise_ticket(required: bool) -> Ticket:
    return Ticket("t-e", "rater-e", WALL, Subject.ENTERPRISE, representative_required=required)


def test_an_app_code_identifies_without_a_card():
    from kiosk.qr import QrScanned

    d = Driver()
    (effect,) = d(QrScanned("SXT1.abcdefghijklmnop"))
    assert isinstance(effect, j.VerifyToken) and effect.token == "SXT1.abcdefghijklmnop"
    assert "abcdefgh" not in repr(effect), "the token never shows in a repr"
    assert d.state is j.State.VERIFYING
    d(Verified(TICKET, (item("I1"),)))
    assert d.state is j.State.ITEMS
    d(CardRemoved(reader="sam"))
    assert d.state is j.State.ITEMS, "no card, so no card removal ends this session"


def test_a_used_app_code_is_refused_and_nothing_is_kept():
    from kiosk.qr import QrScanned

    d = Driver()
    d(QrScanned("SXT1.abcdefghijklmnop"))
    ended = d(Failed(Operation.VERIFY, "此身份码已使用过", "token_used", retryable=False))
    assert d.state is j.State.ERROR and d.journey.error.retry is None
    assert d.journey.session is None
    assert any(isinstance(e, j.SessionEnded) for e in ended)


def test_the_kiosk_shown_qr_is_renewed_and_stopped():
    import datetime as _dt

    from kiosk.events import IdentitySessionExpired, IdentitySessionStarted
    from kiosk.models import IdentitySession

    d = Driver()
    (start,) = d.tap(Action.PHONE)
    assert isinstance(start, j.StartIdentitySession) and d.state is j.State.PHONE
    session = IdentitySession(
        "s1", "https://x/bind?s=s1&n=n", WALL + _dt.timedelta(minutes=2), 1000
    )
    d(IdentitySessionStarted(session))
    assert d.journey.phone_session is session
    (renew,) = d(IdentitySessionExpired("s1"))
    assert isinstance(renew, j.StartIdentitySession), "an expired code is replaced by a fresh one"
    d(IdentitySessionStarted(IdentitySession("s2", "q", WALL, 1000)))
    stop = d.tap(Action.BACK)
    assert any(isinstance(e, j.StopIdentitySession) for e in stop)
    assert d.state is j.State.ATTRACT and d.journey.phone_session is None


def test_confirming_in_the_app_opens_the_session():
    d = Driver()
    d.tap(Action.PHONE)
    d(Verified(TICKET, (item("I1"),)))
    assert d.state is j.State.ITEMS and d.journey.session.ticket is TICKET
    assert any(isinstance(e, j.StopIdentitySession) for e in d.effects)


def test_an_enterprise_with_a_representative():
    from kiosk.events import RepresentativeConfirmed
    from kiosk.qr import QrScanned

    d = Driver()
    d.tap(Action.ENTERPRISE)
    assert d.state is j.State.ENTERPRISE
    (verify,) = d(QrScanned(GSXT))
    assert verify == j.VerifyEnterprise("91140100MA0K8Q1X3C")
    d(Verified(enterprise_ticket(True), (item("E1"),)))
    assert d.state is j.State.REPRESENTATIVE
    c = card("zhang_wei")
    (confirm,) = d(CardRead(c, reader="sam"))
    assert isinstance(confirm, j.ConfirmRepresentative) and confirm.card is c
    d(RepresentativeConfirmed())
    assert d.state is j.State.ITEMS
    assert c.number == "", "the representative's card is wiped once confirmed"
    d(CardRemoved(reader="sam"))
    assert d.state is j.State.ITEMS, "the enterprise session goes on when the card is taken"


def test_a_wrong_representative_is_told_and_can_try_again():
    from kiosk.qr import QrScanned

    d = Driver()
    d(QrScanned(GSXT))
    d(Verified(enterprise_ticket(True), (item("E1"),)))
    d(CardRead(card("li_ming"), reader="sam"))
    d(
        Failed(
            Operation.REPRESENTATIVE,
            "您不是该企业的法定代表人",
            "not_representative",
            retryable=False,
        )
    )
    assert d.state is j.State.ERROR
    d.tap(Action.RETRY)
    assert d.state is j.State.REPRESENTATIVE


def test_an_enterprise_without_representative_goes_to_its_items():
    from kiosk.qr import QrScanned

    d = Driver()
    d(QrScanned("91140105MA0L2R7A05"))
    d(Verified(enterprise_ticket(False), (item("E1"),)))
    assert d.state is j.State.ITEMS


def test_a_failed_check_digit_warns_and_lets_the_platform_decide():
    from kiosk.qr import QrScanned

    d = Driver()
    (verify,) = d(QrScanned("91350100M0001TGQXM"))
    assert verify == j.VerifyEnterprise("91350100M0001TGQXM")
    assert "校验" in d.journey.notice


def test_certificate_verification_needs_no_identification():
    from kiosk.events import CertificateChecked
    from kiosk.models import VerifyResult, VerifyStatus
    from kiosk.qr import QrScanned

    d = Driver()
    d.tap(Action.VERIFY)
    assert d.state is j.State.VERIFY_SCAN
    (check,) = d(QrScanned(CERT))
    assert check == j.CheckCertificate("ABCDEFGH23456789")
    assert d.state is j.State.CHECKING and d.journey.session is None
    result = VerifyResult(VerifyStatus.REVOKED, "参保证明", "张*")
    d(CertificateChecked(result))
    assert d.state is j.State.VERIFY_RESULT and d.journey.verify_result is result
    d.wait(61)
    assert d.state is j.State.ATTRACT
    assert d.journey.verify_result is None and d.journey.checking_code is None, "nothing kept"


def test_unknown_codes_and_junk_get_plain_messages():
    from kiosk.qr import QrRejected, QrScanned

    d = Driver()
    assert d(QrScanned("hello kiosk")) == []
    assert d.state is j.State.ERROR and d.journey.error.title == messages.QR_UNKNOWN.title
    d.tap(Action.BACK)
    d(QrScanned("bad\x01bytes"))
    assert d.journey.error.title == "无法读取二维码"
    d.tap(Action.BACK)
    d(QrRejected("二维码内容过长，本机无法识别。", "qr", "too_long"))
    assert d.journey.error.text.startswith("二维码内容过长")


def test_a_code_scanned_during_someone_elses_session_changes_nothing():
    from kiosk.qr import QrScanned

    d = Driver()
    to_items(d)
    assert d(QrScanned(CERT)) == []
    assert d.state is j.State.ITEMS


def test_only_the_required_id_card_reader_takes_the_kiosk_out_of_service():
    d = Driver()
    d.journey.settings = j.JourneySettings("D", "140100", 60, 20, required_reader="sam")
    online = DeviceStatus(DeviceKind.CARD_READER, DeviceState.ONLINE, source="pcsc")
    gone = DeviceStatus(DeviceKind.CARD_READER, DeviceState.NO_DEVICE, source="pcsc")
    d(DeviceChanged(gone))
    assert d.state is j.State.ATTRACT, "the social-security card reader is a convenience"
    d(DeviceChanged(online))
    d(DeviceChanged(DeviceStatus(DeviceKind.CARD_READER, DeviceState.NO_DEVICE, source="sam")))
    assert d.state is j.State.OUT_OF_SERVICE, "without the ID-card reader: out of service"
    d(DeviceChanged(DeviceStatus(DeviceKind.CARD_READER, DeviceState.ONLINE, source="sam")))
    assert d.state is j.State.ATTRACT


def test_dimensions_are_optional_and_travel_by_name():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I2")
    d(GuideLoaded(guide(item("I2", prints=False))))
    d.tap(Action.CONFIRM)
    d(Submitted(case(item("I2", prints=False))))
    (p,) = d.tap(Action.PRINT)
    d(Printed(p.job.job_id))
    d.tap(Action.DOCUMENTS_TAKEN)
    assert d.tap(Action.DIMENSION, "efficiency:satisfied") == []
    assert d.journey.session.rating_dimensions == {}, "no dimension before the overall level"
    d.tap(Action.RATE, "satisfied")
    d.tap(Action.DIMENSION, "efficiency:very_satisfied")
    d.tap(Action.DIMENSION, "attitude:basically_satisfied")
    d.tap(Action.DIMENSION, "attitude:basically_satisfied")  # taken back
    d.tap(Action.DIMENSION, "nonsense:satisfied")
    (store,) = d.tap(Action.SUBMIT_RATING)
    assert store.rating.dimensions == (("efficiency", RatingLevel.VERY_SATISFIED),)
    record = store.rating.to_json()
    assert record["dimensions"] == {"efficiency": {"level": "very_satisfied", "satisfaction": 5}}


def test_the_preview_can_be_declined_and_times_out_without_printing():
    d = Driver()
    to_preview(d)
    assert d.tap(Action.NO_PRINT) == []
    assert d.state is j.State.TAKE_DOCUMENTS and d.journey.session.job_id == ""
    assert d.journey.session.print_declined, "the screen must say the citizen chose this"
    d2 = Driver()
    to_items(d2)
    d2.tap(Action.SELECT_ITEM, "I1")
    d2(GuideLoaded(guide(item("I1"))))
    d2.tap(Action.CONFIRM)
    d2(Submitted(case(item("I1"))))
    effects = d2.wait(61)
    assert d2.state is j.State.ATTRACT
    assert not any(isinstance(e, j.PrintDocument) for e in effects), (
        "an unattended certificate is never printed for nobody to take"
    )


def test_each_turn_has_its_own_epoch():
    """The runtime drops replies to effects issued in another turn; the epoch marks turns."""
    d = Driver()
    idle = d.journey.epoch
    d(CardDetected())
    assert d.journey.epoch == idle, "reading is not yet anyone's turn"
    d(CardRead(card()))
    a = d.journey.epoch
    assert a != idle, "a new session is a new turn"
    d(CardRemoved())
    assert d.state is j.State.ATTRACT and d.journey.epoch not in (idle, a)
    back = d.journey.epoch
    d.tap(Action.PHONE)
    assert d.journey.epoch == back
    d(CardDetected())
    d(CardRead(card("wang_guilan")))
    assert d.journey.epoch != back, "a card on the phone screen starts a turn of its own"


def test_a_phone_code_the_platform_cannot_make_says_so_and_retries():
    d = Driver()
    d.tap(Action.PHONE)
    d(Failed(Operation.PHONE, "政务服务平台暂时无法连接。", retryable=True))
    assert d.state is j.State.ERROR and d.journey.error.title == "二维码暂时无法显示"
    (again,) = [e for e in d.tap(Action.RETRY) if isinstance(e, j.StartIdentitySession)]
    assert d.state is j.State.PHONE and again == j.StartIdentitySession()


def test_a_kiosk_that_cannot_start_its_devices_is_out_of_service():
    d = Driver()
    to_items(d)
    d.journey.halt(d.now)
    assert d.state is j.State.OUT_OF_SERVICE and d.journey.session is None


def test_a_slow_print_that_makes_progress_is_not_timed_out():
    d = Driver()
    p = to_printing(d)
    for step in range(1, 6):  # a 9600-baud raster job: well past the 90 s guard in all
        d.now += 40
        d(PrintProgress(p.job.job_id, step / 6))
        d(Tick())
        assert d.state is j.State.PRINTING
    d.wait(91)
    assert d.state is j.State.ERROR, "a printer that stops moving is still given up on"


def test_paper_that_comes_out_after_the_guard_gave_up_is_not_printed_again():
    d = Driver()
    p = to_printing(d)
    d.wait(91)
    assert d.state is j.State.ERROR and d.journey.error.retry_state is j.State.PRINTING
    assert d(Printed(p.job.job_id)) == []
    assert d.state is j.State.TAKE_DOCUMENTS, "the late paper is the certificate: done"


def test_no_list_kept_and_no_platform_is_said_not_spun():
    from kiosk.events import CatalogueLoaded
    from kiosk.models import Catalogue

    d = Driver()
    d.tap(Action.BROWSE)
    d(Failed(Operation.CATALOGUE, "网络暂时中断"))
    assert d.state is j.State.CATALOGUE and d.journey.catalogue_unavailable
    d(CatalogueLoaded(Catalogue(items=(item("I1"),), version="v1"), 1000.0))
    assert not d.journey.catalogue_unavailable
    d(Failed(Operation.CATALOGUE, "网络暂时中断"))
    assert not d.journey.catalogue_unavailable, "the list kept on the kiosk stays on screen"


def test_not_printed_says_why():
    """不打印 is the citizen's choice, not a broken printer (and the reverse)."""
    from kiosk import messages
    from kiosk.document import DocumentKind

    declined = messages.not_printed(DocumentKind.CERTIFICATE, "C1", declined=True)
    broken = messages.not_printed(DocumentKind.CERTIFICATE, "C1", declined=False)
    assert "您选择了不打印" in declined.text and "打印机" not in declined.text
    assert "打印机暂时不能使用" in broken.text
    assert all("C1" in m.text for m in (declined, broken))


def test_a_recorded_journey_replays_to_the_same_states_and_effects():
    """The journey reads no clock and draws no id of its own: fed its log again, a fresh one
    goes through the same states, deadlines and effects, with the same ids and times."""
    d = Driver()
    one = item("I1")
    to_items(d, (one, item("I2", prints=False)))
    d.now += 3
    d.tap(Action.SELECT_ITEM, "I1")
    d(GuideLoaded(guide(one)))
    d.tap(Action.CONFIRM)
    d(Failed(Operation.SUBMIT, "暂时无法连接", "timeout"))
    d.tap(Action.RETRY)
    d(Submitted(case(one)))
    d.tap(Action.PRINT)
    d(Printed(d.journey.session.job_id))
    d(CardRemoved())
    d.tap(Action.RATE, "very_dissatisfied")
    d.tap(Action.REASON, "R02")
    (store,) = d.tap(Action.SUBMIT_RATING)
    d(RatingStored(store.rating.rating_id))
    d.wait(7)
    assert d.state is j.State.ATTRACT, "the journey went all the way round"

    fresh = j.Journey(j.JourneySettings("SX-TY-0001", "140100", 60, 20))
    fresh.start(d.log[0][1])
    replayed = [trace(fresh, fresh.dispatch(copy.deepcopy(e), now)) for e, now in d.log]
    assert replayed == d.trace
    moments = {type(e).__name__ + getattr(e, "action", ""): now for e, now in d.log}
    submit = next(e for e in d.effects if isinstance(e, j.SubmitCase))
    assert submit.request_id == moments["Tapselect_item"].id("request")
    assert store.rating.rated_at == moments["Tapsubmit_rating"].wall
    assert store.rating.rating_id == moments["Tapsubmit_rating"].id("rating")
