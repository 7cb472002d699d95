"""The social-security card reader: any PC/SC reader, through pcscd and pyscard.

pyscard's ReaderMonitor and CardMonitor watch readers and cards on their own threads; their
observers only put a note on this reader's queue. One worker thread per reader takes the notes
in order and does everything else: it lists the readers, reads the card, and posts every event,
so the journey always hears CardDetected → CardRead/CardReadFailed → CardRemoved in that order,
even when the card leaves in the middle of a read.

The reader binds to the first reader whose name contains ``reader_filter`` (case-insensitive,
"" = any); cards in other readers are ignored, so a reader with a SAM slot must be named
precisely. Every event carries ``reader=name``: the kiosk ends a session only when its own
card leaves.

pcscd going away must not kill anything, and in pyscard 2.3 it does: CardMonitor's thread ends
on SCARD_E_NO_SERVICE (and cannot start without the service), and ReaderMonitor's thread ends
on the exception readers() raises then. So the ReaderMonitor here lists readers through a
function that cannot raise, and the worker looks at the service every ``retry_interval`` seconds
and builds a new CardMonitor when the old one's thread has died. Both monitors are process-wide
singletons (pyscard's shared-state design): this module creates them once and shares them among
its readers; nothing else in the process should construct them.

Card contents never reach a log: IdentityCard's repr is masked and errors name fields, not values.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from dataclasses import dataclass

from smartcard.CardMonitoring import CardMonitor, CardMonitoringThread, CardObserver
from smartcard.Exceptions import NoCardException, SmartcardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.pcsc.PCSCReader import PCSCReader
from smartcard.ReaderMonitoring import ReaderMonitor, ReaderObserver
from smartcard.scard import (
    SCARD_E_NO_SERVICE,
    SCARD_E_READER_UNAVAILABLE,
    SCARD_E_SERVICE_STOPPED,
    SCARD_E_UNKNOWN_READER,
    SCARD_F_COMM_ERROR,
    SCARD_S_SUCCESS,
    SCARD_SCOPE_USER,
    SCardCancel,
    SCardEstablishContext,
    SCardListReaders,
    SCardReleaseContext,
)

from drivers.socialcard import (
    NotSocialCardError,
    SecurityStatusError,
    SocialCardError,
    read_social_card,
)
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Media, Post
from kiosk.events import (
    CardDetected,
    CardFault,
    CardRead,
    CardReadFailed,
    CardRemoved,
    DeviceChanged,
)
from kiosk.identity import IdentityCard

log = logging.getLogger("drivers.pcsc")

PCSC_ERRORS: tuple[type[BaseException], ...] = (SmartcardException, BaseSCardException)
SERVICE_GONE = frozenset(
    {
        SCARD_E_NO_SERVICE,
        SCARD_E_SERVICE_STOPPED,
        SCARD_F_COMM_ERROR,
        SCARD_E_UNKNOWN_READER,
        SCARD_E_READER_UNAVAILABLE,
    }
)


def fault_for(error: BaseException) -> CardFault:
    """The citizen-facing category of a failed read."""
    if isinstance(error, NotSocialCardError):
        return CardFault.UNKNOWN_CARD
    if isinstance(error, SecurityStatusError):
        return CardFault.AUTH_FAILED
    if isinstance(error, NoCardException):
        return CardFault.NO_CARD  # gone before we could connect
    if getattr(error, "hresult", None) in SERVICE_GONE:
        return CardFault.DEVICE_GONE
    return CardFault.READ_FAILED


def list_readers() -> tuple[bool, list[str]]:
    """(service up, reader names); never raises, whatever pcscd is doing."""
    try:
        result, context = SCardEstablishContext(SCARD_SCOPE_USER)
    except Exception:
        return False, []
    if result != SCARD_S_SUCCESS:
        return False, []
    try:
        result, names = SCardListReaders(context, [])
    except Exception:
        return True, []
    finally:
        SCardReleaseContext(context)
    if result == SCARD_S_SUCCESS:
        return True, list(names)
    return result not in (SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED), []


def _monitor_reader_names() -> list[str]:
    """ReaderMonitor's poll: pyscard's own readers() raises without pcscd, ending its thread."""
    return list_readers()[1]


# ---- the pyscard monitors, shared by every PcscReader in the process -------------------------


@dataclass(frozen=True, slots=True)
class _ReadersChanged:
    pass


@dataclass(frozen=True, slots=True)
class _CardsChanged:
    added: tuple[str, ...]  # reader names
    removed: tuple[str, ...]


class _ReaderNote(ReaderObserver):
    def __init__(self, notes: queue.Queue) -> None:
        self.notes = notes

    def update(self, observable, handlers) -> None:
        self.notes.put(_ReadersChanged())


class _CardNote(CardObserver):
    def __init__(self, notes: queue.Queue) -> None:
        self.notes = notes

    def update(self, observable, handlers) -> None:
        added, removed = handlers
        self.notes.put(
            _CardsChanged(
                tuple(str(c.reader) for c in added), tuple(str(c.reader) for c in removed)
            )
        )


class _Monitors:
    """pyscard's ReaderMonitor and CardMonitor, kept alive across pcscd restarts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reader_monitor: ReaderMonitor | None = None
        self._card_observers: list[_CardNote] = []

    def attach(self, readers: _ReaderNote, cards: _CardNote) -> None:
        with self._lock:
            if self._reader_monitor is None:
                # startOnDemand=False: a thread that is never stopped, so deleteObserver cannot
                # deadlock joining it (it would, holding the lock the thread waits for).
                self._reader_monitor = ReaderMonitor(
                    startOnDemand=False, readerProc=_monitor_reader_names
                )
            self._reader_monitor.addObserver(readers)
            self._card_observers.append(cards)
            if self._card_thread_alive():
                CardMonitor().addObserver(cards)

    def detach(self, readers: _ReaderNote, cards: _CardNote) -> None:
        with self._lock:
            if self._reader_monitor is not None and readers in self._reader_monitor.obs:
                self._reader_monitor.deleteObserver(readers)
            if cards in self._card_observers:
                self._card_observers.remove(cards)
            if CardMonitor.instance is not None and cards in CardMonitor.instance.obs:
                CardMonitor.instance.deleteObserver(cards)
            if not self._card_observers:
                self._stop_card_monitor()

    def ensure_card_monitor(self) -> None:
        """Build a CardMonitor if its thread is gone; call only while pcscd answers."""
        with self._lock:
            if not self._card_observers or self._card_thread_alive():
                return
            self._stop_card_monitor()
            monitor = CardMonitor()
            log.info("PC/SC card monitor (re)started")
            for observer in self._card_observers:
                monitor.addObserver(observer)  # reports the cards present now as added

    @staticmethod
    def _card_thread_alive() -> bool:
        thread = CardMonitoringThread.instance
        return CardMonitor.instance is not None and thread is not None and thread.is_alive()

    @staticmethod
    def _stop_card_monitor() -> None:
        # pyscard offers no way to restart a CardMonitor: drop both singletons so the next
        # CardMonitor() builds a new thread. A live thread is woken from its 60-s wait first.
        thread = CardMonitoringThread.instance
        if thread is not None and thread.is_alive():
            thread.stop()
            deadline = time.monotonic() + 2.0
            while thread.is_alive() and time.monotonic() < deadline:
                # A cancel only ends a wait in progress: repeat until the thread is in one.
                request = _card_request(thread)
                if getattr(request, "hcontext", None) is not None:
                    try:
                        SCardCancel(request.hcontext)
                    except Exception as exc:
                        log.debug("cancelling the card monitor's wait: %s", type(exc).__name__)
                thread.join(timeout=0.05)
        request = _card_request(thread)
        if request is not None and not thread.is_alive():
            # Release its context now: pyscard would try in __del__ and complain, at some random
            # later moment, about a context that died with the old pcscd.
            try:
                request.release()
            except Exception:
                request.hcontext = None
        CardMonitoringThread.instance = None
        CardMonitor.instance = None


def _card_request(thread: object) -> object | None:
    """The PCSCCardRequest (and so the PC/SC context) a CardMonitor thread waits with."""
    return getattr(getattr(thread, "cardrequest", None), "pcsccardrequest", None)


_monitors = _Monitors()


# ---- the reader --------------------------------------------------------------------------


class PcscReader:
    """kiosk.devices.CardReader for social-security cards in a PC/SC reader."""

    def __init__(
        self,
        reader_filter: str = "",
        name: str = "pcsc",
        *,
        retry_interval: float = 2.0,
    ):
        self.reader_filter = reader_filter
        self.name = name
        self.retry_interval = retry_interval  # how often pcscd and the monitors are checked
        self._post_to: Post | None = None
        self._notes: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reader_note = _ReaderNote(self._notes)
        self._card_note = _CardNote(self._notes)
        self._status = DeviceStatus(DeviceKind.CARD_READER, DeviceState.STARTING)
        self._posted: tuple[DeviceState, Media, str] | None = None
        self._bound: str | None = None  # the reader cards are read from
        self._present = False  # a card is in the bound reader as far as the journey knows

    # ---- CardReader -----------------------------------------------------------------------

    def start(self, post: Post) -> None:
        if self.running:
            raise RuntimeError("PC/SC reader already started")
        self._post_to = post
        self._stop = threading.Event()
        self._notes = queue.Queue()
        self._reader_note = _ReaderNote(self._notes)
        self._card_note = _CardNote(self._notes)
        self._posted = None
        self._bound, self._present = None, False
        self._thread = threading.Thread(target=self._run, name=f"pcsc-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the worker and leave the monitors; waits at most a few seconds."""
        self._stop.set()
        self._notes.put(None)
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5.0)
            if thread.is_alive():
                log.warning("PC/SC reader thread did not stop in time")
        _monitors.detach(self._reader_note, self._card_note)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> DeviceStatus:
        return self._status

    def matches(self, reader: str) -> bool:
        return self.reader_filter.casefold() in reader.casefold()

    # ---- the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        attached = False
        next_check = 0.0
        while not self._stop.is_set():
            try:
                if not attached:
                    _monitors.attach(self._reader_note, self._card_note)
                    attached = True
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + self.retry_interval
                    self._refresh()
                try:
                    note = self._notes.get(timeout=max(0.0, next_check - time.monotonic()))
                except queue.Empty:
                    continue
                if note is None:
                    break
                if isinstance(note, _ReadersChanged):
                    self._refresh()
                elif isinstance(note, _CardsChanged):
                    self._cards_changed(note)
            except Exception as exc:  # last line: the thread must not die
                self._log_unexpected(exc)
                self._stop.wait(self.retry_interval)

    def _refresh(self) -> None:
        """Look at pcscd and the readers; bind, report, and revive the card monitor."""
        service, names = list_readers()
        matching = [n for n in names if self.matches(n)]
        bound = self._bound if self._bound in matching else (matching[0] if matching else None)
        if bound != self._bound:
            if self._present:
                self._removed()
            self._bound = bound
            if bound is not None:
                log.info("PC/SC reader %r bound to %r", self.name, bound)
        if bound is not None:
            media = Media.PRESENT if self._present else Media.ABSENT
            self._report(DeviceState.ONLINE, media, bound)
        elif not service:
            self._report(DeviceState.NO_DEVICE, Media.UNKNOWN, "PC/SC service (pcscd) not running")
        else:
            wanted = f"matching {self.reader_filter!r}" if self.reader_filter else "at all"
            self._report(DeviceState.NO_DEVICE, Media.UNKNOWN, f"no PC/SC reader {wanted}")
        if service:
            _monitors.ensure_card_monitor()

    def _cards_changed(self, note: _CardsChanged) -> None:
        if self._bound is None:
            self._refresh()  # the card monitor may be quicker than the reader monitor
        if self._bound is None:
            return
        if self._bound in note.removed and self._present:
            self._removed()
        if self._bound in note.added and not self._present:
            self._inserted()

    def _inserted(self) -> None:
        reader = self._bound
        assert reader is not None
        self._present = True
        self._set_media(Media.PRESENT)
        self._post(CardDetected(reader=self.name))
        try:
            card = self._read(reader)
        except (SocialCardError, *PCSC_ERRORS) as exc:
            fault = fault_for(exc)
            detail = self._detail(exc)
            log.info("social-security card read failed: %s (%s)", fault.value, detail)
            self._post(CardReadFailed(fault, detail, reader=self.name))
            return
        except Exception as exc:  # the journey was told CardDetected: it must hear the outcome
            self._log_unexpected(exc)
            detail = f"driver error {type(exc).__name__}"
            self._post(CardReadFailed(CardFault.READ_FAILED, detail, reader=self.name))
            return
        log.info("social-security card read: %r", card)
        self._post(CardRead(card, reader=self.name))

    def _read(self, reader: str) -> IdentityCard:
        connection = PCSCReader(reader).createConnection()
        try:
            connection.connect()

            def transmit(apdu: bytes) -> bytes:
                data, sw1, sw2 = connection.transmit(list(apdu))
                return bytes(data) + bytes((sw1, sw2))

            return read_social_card(transmit)
        finally:
            try:
                connection.disconnect()
            except Exception as exc:
                log.debug("disconnecting from the card: %s", type(exc).__name__)
            try:
                connection.release()
            except Exception:
                # its context died with pcscd: forget it, or pyscard's __del__ raises later
                inner = getattr(connection, "component", connection)
                inner.hcontext = None

    @staticmethod
    def _detail(exc: BaseException) -> str:
        if isinstance(exc, SocialCardError):
            return str(exc)  # names the command, field and SW; never a value
        # pyscard's messages are fixed text and the PC/SC error's name: no card data
        return f"PC/SC {type(exc).__name__}: {exc}"[:200]

    def _removed(self) -> None:
        self._present = False
        self._set_media(Media.ABSENT)
        self._post(CardRemoved(reader=self.name))

    # ---- reporting --------------------------------------------------------------------------

    def _report(self, state: DeviceState, media: Media, detail: str) -> None:
        """Keep the status; post DeviceChanged when state or detail changed (not mere media)."""
        self._status = DeviceStatus(DeviceKind.CARD_READER, state, media=media, detail=detail)
        if self._posted is None or self._posted[0] is not state or self._posted[2] != detail:
            self._posted = (state, media, detail)
            self._post(DeviceChanged(self._status))

    def _set_media(self, media: Media) -> None:
        s = self._status
        self._status = DeviceStatus(s.kind, s.state, media=media, detail=s.detail)

    def _post(self, event: object) -> None:
        if self._post_to is None:
            return
        try:
            self._post_to(event)
        except Exception as exc:
            log.error("posting %s failed: %s", type(event).__name__, type(exc).__name__)

    @staticmethod
    def _log_unexpected(exc: BaseException) -> None:
        # The exception's message could echo data; the code lines of the traceback cannot.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unexpected %s in the PC/SC reader thread:\n%s", type(exc).__name__, frames)
