"""Where the pure journey meets threads, devices and the network.

The runtime owns the journey and carries out its effects on worker threads. Results come back as
events through ``post``, which hands them to ``call_soon``: on the kiosk that is the Kivy clock,
so the journey is only ever touched from the UI thread; in tests it is a plain queue.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from kiosk import device_events, tally
from kiosk import journey as j
from kiosk.case_desk import CaseDesk
from kiosk.complaint_desk import ComplaintDesk
from kiosk.config import Config
from kiosk.devices import (
    CardReader,
    DeviceStatus,
    Printer,
)
from kiosk.events import (
    Action,
    CatalogueLoaded,
    CertificateChecked,
    DeviceChanged,
    Failed,
    GuideLoaded,
    HandlerFailed,
    IdentitySessionExpired,
    IdentitySessionStarted,
    Operation,
    PlatformHealth,
    RatingStored,
    RepresentativeConfirmed,
    Submitted,
    Tap,
    Verified,
)
from kiosk.heartbeat import Heartbeat, device_name, device_summary
from kiosk.i18n import _
from kiosk.models import Catalogue, SessionStatus
from kiosk.notice_desk import NoticeDesk
from kiosk.platform import ErrorKind, PlatformClient, PlatformError
from kiosk.print_desk import PrintDesk
from kiosk.storage import CatalogueStore, Kind, MakeDelivery, OutboxError, OutboxStore
from kiosk.technician_desk import TechnicianDesk

log = logging.getLogger("kiosk.runtime")

Listener = Callable[[j.Journey], None]
Reply = Callable[[object], None]  # hands an effect's answer back to the journey

PHONE_EXPIRY_GRACE = 2.0  # s past the code's end before the kiosk renews it without the platform


class Runtime:
    def __init__(
        self,
        config: Config,
        *,
        platform: PlatformClient,
        printer: Printer,
        card_reader: CardReader,
        outbox: OutboxStore,
        delivery: MakeDelivery,
        scanner: CardReader | None = None,
        call_soon: Callable[[Callable[[], None]], None],
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        record: Callable[[object, j.Now], None] | None = None,
        heartbeat_interval: float = 15.0,
        printer_poll_interval: float = 5.0,
        journey: j.Journey | None = None,
        catalogue_cache: CatalogueStore | None = None,
    ) -> None:
        self.config = config
        self.platform = platform
        self.printer = printer
        self.card_reader = card_reader
        self.scanner = scanner  # its status; scans too when serial (a wedge types into the UI)
        self.outbox = outbox
        self.catalogue_cache = catalogue_cache
        self.call_soon = call_soon
        self.clock = clock  # deadlines: never jumps with the wall clock
        self.wall_clock = wall_clock  # dates on records, and the platform's signatures
        self.record = record  # sees every (event, moment) the journey is given: a replay log
        self.heartbeat_interval = heartbeat_interval
        self.printer_poll_interval = printer_poll_interval
        self.journey = journey or j.Journey(j.JourneySettings.from_config(config))
        self.sync = delivery(self._set_reachable)  # the outbox's background delivery
        self.listeners: list[Listener] = []
        self.tally = tally.Tally()  # what it has done: the heartbeat and the metrics read it
        self._closers: list[Callable[[], None]] = []  # e.g. the metrics endpoint
        self.metrics: object | None = None  # kiosk.metrics.Metrics, when configured (wiring.py)
        self._beat_now = threading.Event()  # a device changed: the heartbeat goes at once
        self._work = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kiosk-platform")
        self._print = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-print")
        self._local = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-outbox")
        self._stop = threading.Event()
        self._catalogue_etag: str | None = None
        self._catalogue_shown: Catalogue | None = None
        self._reachable: bool | None = None
        self._health_lock = threading.Lock()
        self.started_at = wall_clock()
        self._heartbeat = Heartbeat(
            platform=platform,
            outbox=outbox,
            tally=self.tally,
            # a copy: the UI thread changes the table (dict() of a dict is one step)
            devices=lambda: dict(self.journey.devices).values(),
            answered=self._heartbeat_answered,
            wall_clock=wall_clock,
            started_at=self.started_at,
            post=self.post,  # hall staff acknowledged a call: StaffCallAcknowledged
        )
        self._threads: list[threading.Thread] = []
        self._guides_thread: threading.Thread | None = None
        self._phone_watch: threading.Event | None = None  # set: stop watching the shown QR
        self.handler_failures = 0  # exceptions behind the screen since start (a bug each)
        self.desk = TechnicianDesk(self)  # what the technician's mode asks for
        self.notices = NoticeDesk(self)  # what the 一次性告知 asks for
        self.cases = CaseDesk(self)  # what 办件查询 asks for
        self.prints = PrintDesk(self)  # print jobs, once each, and the printer's watcher
        self.complaints = ComplaintDesk(self)  # 投诉与建议, sealed into the outbox

    # ---- life ---------------------------------------------------------------------------------

    def now(self) -> j.Now:
        """The moment for the next event: the journey reads no clock of its own."""
        return j.Now.read(self.clock(), self.wall_clock())

    def close_with(self, close: Callable[[], None]) -> None:
        """Something that lives as long as the runtime (the metrics endpoint): closed by stop."""
        self._closers.append(close)

    def start(self) -> None:
        self._apply(self.journey.start(self.now()))
        self.card_reader.start(self.post)
        if self.scanner is not None:
            self.scanner.start(self.post)
        self.sync.start()
        for name, target in (("heartbeat", self._heartbeat_loop), ("printer", self.prints.watch)):
            t = threading.Thread(target=target, name=f"kiosk-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._stop_phone_watch()
        self.card_reader.stop()
        if self.scanner is not None:
            self.scanner.stop()
        self.sync.stop()
        self._work.shutdown(wait=False, cancel_futures=True)
        self._print.shutdown(wait=False, cancel_futures=True)
        self._local.shutdown(wait=True)  # a rating being written is finished, not dropped
        self._beat_now.set()
        for t in self._threads:
            t.join(timeout=2)
        for close in self._closers:
            close()
        self.printer.close()
        self.platform.close()
        self.outbox.close()
        if self.catalogue_cache is not None:
            self.catalogue_cache.close()

    # ---- events in ----------------------------------------------------------------------------

    def post(self, event: object) -> None:
        """Thread-safe: deliver an event to the journey on the UI thread."""
        self.call_soon(lambda: self.dispatch(event))

    def dispatch(self, event: object) -> None:
        """UI thread only."""
        version = self.journey.version
        had_session = self.journey.session is not None
        device_before = None
        if isinstance(event, DeviceChanged):
            device_before = self.journey.devices.get((event.status.kind, event.status.source))
        now = self.now()
        if self.record is not None:
            self.record(event, now)
        self._apply(self.journey.dispatch(event, now))
        if not had_session and self.journey.session is not None:
            self.tally.count(tally.JOURNEYS_STARTED)
        if isinstance(event, DeviceChanged) and device_before != event.status:
            self._device_changed(event.status)
        if self.journey.version != version:
            for listener in list(self.listeners):
                listener(self.journey)

    def tap(self, action: Action, arg: str = "") -> None:
        self.dispatch(Tap(action, arg))

    def handler_failed(self) -> None:
        """UI thread: code behind the screen raised (counted for the heartbeat); the turn ends."""
        self.handler_failures += 1
        self.tally.count(tally.HANDLER_FAILURES)
        self.dispatch(HandlerFailed())

    # ---- effects out --------------------------------------------------------------------------

    def _apply(self, effects: list[j.Effect]) -> None:
        for effect in effects:
            log.debug("effect %s", type(effect).__name__)
            reply = self._reply_in_turn()
            match effect:
                case j.VerifyIdentity(card=card):
                    self._submit(self._verify_with, reply, self.platform.verify_identity, card)
                case j.VerifyToken(token=token):
                    self._submit(self._verify_with, reply, self.platform.verify_token, token)
                case j.VerifyEnterprise(uscc=uscc):
                    self._submit(self._verify_with, reply, self.platform.verify_enterprise, uscc)
                case j.ConfirmRepresentative(ticket=ticket, card=card):
                    self._submit(self._confirm_representative, reply, ticket, card)
                case j.StartIdentitySession():
                    self._stop_phone_watch()
                    self._phone_watch = threading.Event()
                    self._submit_long(self._watch_identity_session, reply, self._phone_watch)
                case j.StopIdentitySession():
                    self._stop_phone_watch()
                case j.CheckCertificate(code=code):
                    self._submit(self._check_certificate, reply, code)
                case j.LoadGuide(item_code=code, ticket=ticket):
                    self._submit(self._guide, reply, code, ticket)
                case j.SubmitCase():
                    self._submit(self._submit_case, reply, effect)
                case j.PrintDocument(job=job):
                    self.prints.print_once(reply, job)
                case j.TakeQueueNumber() | j.PrintNotice():
                    self.notices.apply(effect, reply)
                case j.LoadCases() | j.ReprintCase() | j.PrintReprint():
                    self.cases.apply(effect, reply)
                case j.StoreRating(rating=rating):  # local disk: never behind a slow network
                    self._submit(self._store_rating, reply, rating, pool=self._local)
                case j.StoreComplaint(complaint=complaint):  # sealed on disk, then delivered
                    self._submit(self.complaints.store, reply, complaint, pool=self._local)
                case j.LoadCatalogue():
                    self._submit(self._catalogue)  # the public list belongs to no one's turn
                case j.CallStaff() | j.StaffCallAnswered():  # at once: someone is waiting
                    name, data = device_events.staff_call(effect)
                    self._submit(self._event, name, data, beat=True, pool=self._local)
                case j.SessionEnded(reason=reason):
                    log.info("session ended: %s", reason)
                    self.tally.count(tally.JOURNEYS_ENDED, reason)
                case j.ServiceChanged():
                    self._service_changed(effect)
                case _ if isinstance(effect, j.TECHNICIAN_EFFECTS):
                    self.desk.apply(effect, reply)
                case _:
                    log.error("unknown effect %r", effect)

    def _reply_in_turn(self) -> Reply:
        """A way back for one effect's answer that only reaches the turn that asked for it.

        A platform reply can outlive its citizen: A's card is verified slowly, A walks away,
        B puts a card down, and A's ticket arrives. The journey's epoch tells them apart.
        """
        epoch = self.journey.epoch

        def deliver(event: object) -> None:
            if self.journey.epoch != epoch:
                log.info("dropped a late %s from an earlier turn", type(event).__name__)
                return
            self.dispatch(event)

        return lambda event: self.call_soon(lambda: deliver(event))

    def _submit(self, fn, *args, pool: ThreadPoolExecutor | None = None, **kwargs) -> None:
        with contextlib.suppress(RuntimeError):  # shutting down
            (pool or self._work).submit(self._guarded, fn, *args, **kwargs)

    def _guarded(self, fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:
            log.exception("worker %s failed", getattr(fn, "__name__", fn))

    def _platform_failed(
        self, reply: Reply, op: Operation, exc: PlatformError, retryable: bool | None = None
    ) -> None:
        log.warning("%s failed: %s %s", op, exc.kind, exc.detail)
        self.tally.count(tally.ERRORS, op.value)
        if exc.kind in (ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT):
            self._set_reachable(False, exc.detail)
        retryable = exc.retryable if retryable is None else retryable
        reply(Failed(op, exc.message, exc.detail, retryable))

    def _verify_with(self, reply: Reply, verify, credential) -> None:
        """Any credential (card, app token, USCC) → ticket → this subject's items."""
        try:
            ticket = verify(credential)
            items = self.platform.available_items(ticket)
        except PlatformError as exc:
            self._platform_failed(reply, Operation.VERIFY, exc)
            return
        self._set_reachable(True)
        reply(Verified(ticket, items))
        self.prints.refresh()

    def _confirm_representative(self, reply: Reply, ticket, card) -> None:
        try:
            self.platform.confirm_representative(ticket, card)
        except PlatformError as exc:
            self._platform_failed(reply, Operation.REPRESENTATIVE, exc)
            return
        reply(RepresentativeConfirmed())

    def _check_certificate(self, reply: Reply, code: str) -> None:
        try:
            result = self.platform.verify_certificate(code)
        except PlatformError as exc:
            self._platform_failed(reply, Operation.CHECK, exc)
            return
        reply(CertificateChecked(result))

    def _submit_long(self, fn, *args) -> None:
        """A job that waits for a person (the shown QR): its own thread, not a platform worker."""
        t = threading.Thread(target=self._guarded, args=(fn, *args), daemon=True)
        t.name = "kiosk-phone-qr"
        t.start()

    def _stop_phone_watch(self) -> None:
        if self._phone_watch is not None:
            self._phone_watch.set()
            self._phone_watch = None

    def _watch_identity_session(self, reply: Reply, cancel: threading.Event) -> None:
        """Open the shown-QR session and poll it, backing off, until the app confirms it, it
        expires (the journey asks for a fresh one) or the citizen leaves the screen.

        The code's lifetime is also kept on the kiosk's own clock: a platform that stops
        answering polls (or forgot the session in a restart) must not leave a dead code shown.
        """
        try:
            session = self.platform.start_identity_session()
        except PlatformError as exc:
            if not cancel.is_set():
                self._platform_failed(reply, Operation.PHONE, exc)
            return
        if cancel.is_set():
            return
        now = dt.datetime.fromtimestamp(self.wall_clock(), dt.UTC)
        lifetime = (session.expires_at - now).total_seconds()
        expires = self.clock() + min(max(lifetime, 10.0), 600.0) + PHONE_EXPIRY_GRACE
        reply(IdentitySessionStarted(session))
        wait = max(0.3, session.poll_after_ms / 1000)
        while not cancel.wait(wait):
            if self.clock() >= expires:
                reply(IdentitySessionExpired(session.session_id))
                return
            try:
                poll = self.platform.poll_identity_session(session.session_id)
            except PlatformError as exc:
                log.info("identity session poll failed: %s", exc.kind)
                wait = min(5.0, wait * 2)
                continue
            if cancel.is_set():
                return  # the citizen left this screen while the poll was on its way
            if poll.status is SessionStatus.CONFIRMED and poll.ticket is not None:
                self._verify_with(reply, lambda ticket: ticket, poll.ticket)
                return
            if poll.status in (SessionStatus.EXPIRED, SessionStatus.CONSUMED):
                reply(IdentitySessionExpired(session.session_id))
                return
            wait = min(3.0, wait * 1.25)  # pending: look less often as time goes on

    def _guide(self, reply: Reply, code: str, ticket) -> None:
        cache = self.catalogue_cache
        try:
            guide = self.platform.guide(code, ticket)
        except PlatformError as exc:
            # browsing the published list offline: the guide kept from an earlier visit
            kept = cache.cached_guide(code) if cache and ticket is None and exc.retryable else None
            if kept is None:
                self._platform_failed(reply, Operation.GUIDE, exc)
                return
            if exc.kind in (ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT):
                self._set_reachable(False, exc.detail)
            reply(GuideLoaded(kept.guide, saved_at=kept.fetched_at))
            return
        if cache is not None:
            cache.save_guide(code, guide)  # its public form only
        reply(GuideLoaded(guide))

    def _submit_case(self, reply: Reply, effect: j.SubmitCase) -> None:
        try:
            result = self.platform.submit(
                effect.ticket, effect.item_code, effect.request_id, effect.pledge_confirmed
            )
        except PlatformError as exc:
            # an answer that does not parse may come from a case the platform made (a gateway
            # garbled it): 重试 asks again with the same request id and gets that case, never a
            # second one, so it is offered, as for a time-out
            garbled = exc.kind is ErrorKind.INVALID_REPLY
            self._platform_failed(reply, Operation.SUBMIT, exc, exc.retryable or garbled)
            return
        reply(Submitted(result))

    def _store_rating(self, reply: Reply, rating) -> None:
        try:
            self.outbox.enqueue(Kind.RATING, rating.rating_id, rating.to_json())
        except OutboxError as exc:
            log.error("rating not stored: %s", exc)
            self.tally.count(tally.ERRORS, Operation.RATING.value)
            reply(Failed(Operation.RATING, _("评价暂未保存成功。"), str(exc), retryable=False))
            return
        reply(RatingStored(rating.rating_id))
        self.sync.poke()

    def _event(self, name: str, data: dict, *, beat: bool = False) -> None:
        """A device event into the outbox: it rides on the next heartbeat that is accepted, so
        what happened while the platform was away reaches it, in order, once it is back.
        ``beat``: and that heartbeat goes now, not at the next interval."""
        record = {"event": name, "device_id": self.config.device_id, "at": self.wall_clock()}
        record |= data
        try:
            self.outbox.enqueue(Kind.EVENT, str(uuid.uuid4()), record)
        except OutboxError as exc:
            log.error("device event not stored: %s", exc)
        if beat:
            self._beat_now.set()

    def _device_changed(self, status: DeviceStatus) -> None:
        """UI thread: a device's change is a device event (no disk here) and a heartbeat now."""
        data = {"device": device_name(status), **device_summary(status)}
        if status.detail:
            data["detail"] = status.detail[:200]
        self._submit(self._event, "device_status", data, beat=True, pool=self._local)

    def _catalogue(self) -> None:
        cache = self.catalogue_cache
        if self._catalogue_shown is None and cache is not None:
            cached = cache.load()  # shown at once, with its age; then asked whether current
            if cached is not None:
                self._catalogue_shown = cached.catalogue
                self._catalogue_etag = cached.etag or None
                self.post(CatalogueLoaded(cached.catalogue, cached.fetched_at))
        try:
            catalogue = self.platform.catalogue(self._catalogue_etag)
        except PlatformError as exc:
            self._platform_failed(self.post, Operation.CATALOGUE, exc)
            return
        now = self.wall_clock()
        if catalogue is None:  # 304 Not Modified: the list shown is current as of now
            if cache is not None:
                cache.touch(now)
            if self._catalogue_shown is not None:
                self.post(CatalogueLoaded(self._catalogue_shown, now))
                self._keep_guides(self._catalogue_shown, refresh=False)
            return
        self._catalogue_etag = catalogue.etag or None
        self._catalogue_shown = catalogue
        if cache is not None:
            cache.save(catalogue, catalogue.etag, now)
        self.post(CatalogueLoaded(catalogue, now))
        self._keep_guides(catalogue, refresh=True)

    def _keep_guides(self, catalogue: Catalogue, *, refresh: bool) -> None:
        """Keep every published item's public guide on the kiosk, so the whole list can be read
        during an outage, not only the guides someone happened to open. A new list version
        refreshes them all; otherwise only the missing ones are fetched. Its own thread, one
        call at a time: citizens' calls never wait behind it."""
        cache = self.catalogue_cache
        if cache is None or (self._guides_thread and self._guides_thread.is_alive()):
            return
        kept = set() if refresh else cache.guide_codes()
        codes = [i.item_code for i in catalogue.items if i.item_code not in kept]
        if not codes:
            return

        def fetch() -> None:
            for code in codes:
                if self._stop.is_set():
                    return
                try:
                    cache.save_guide(code, self.platform.guide(code, None))
                except PlatformError as exc:
                    log.info("guides kept for offline: stopped at %s (%s)", code, exc.kind)
                    return  # the next list check tries again
            log.info("guides kept for offline: %d fetched", len(codes))

        self._guides_thread = threading.Thread(target=self._guarded, args=(fetch,), daemon=True)
        self._guides_thread.name = "kiosk-guides"
        self._guides_thread.start()

    # ---- watching the platform and the printer ------------------------------------------------

    def _set_reachable(self, reachable: bool, detail: str = "") -> None:
        # three threads report health: the check and the post go together, so the journey's
        # last word is always the newest one
        with self._health_lock:
            if reachable != self._reachable:
                self._reachable = reachable
                self.post(PlatformHealth(reachable, detail))

    def _heartbeat_loop(self) -> None:
        self._heartbeat.run(
            self._stop,
            self._beat_now,
            interval=lambda: self.heartbeat_interval,  # a test may change it on a running kiosk
            staff_waiting=lambda: self.journey.staff_call_waiting,  # one attribute's read
        )

    def _heartbeat_answered(self, reachable: bool, detail: str) -> None:
        was_unreachable = self._reachable is False
        self._set_reachable(reachable, detail)
        if reachable and was_unreachable:
            self.sync.poke(force=True)  # what waits in backoff goes now

    def _service_changed(self, change: j.ServiceChanged) -> None:
        """Out of service or back: the technician's reason in the log and a device event."""
        name, data = device_events.service_event(change)
        why = f": {change.device} {change.state} ({change.detail})" if data else ""
        log.warning("kiosk %s%s", name.replace("_", " "), why)
        self._submit(self._event, name, data, pool=self._local)
