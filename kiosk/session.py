"""One citizen's session: everything personal the kiosk holds, in memory, in one place.

The card itself is kept only until the platform has verified it; after that the session holds
the platform's ticket and masked display values. ``wipe()`` is the single exit for all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.cases import CaseLookup
from kiosk.devices import PrintJob
from kiosk.i18n import SOURCE
from kiosk.identity import IdentityCard
from kiosk.masking import mask_name, mask_number
from kiosk.models import CaseResult, Guide, Item, Ticket
from kiosk.notice import NoticeRun
from kiosk.ratings import RatingLevel


@dataclass(eq=False)
class Session:
    started_at: float
    card: IdentityCard | None = None
    reader: str = ""  # the reader the card came from: only its removal ends the session
    # the reader of a card this session used (its own, or an enterprise representative's), or
    # None: at the end the citizen is told to take it while it lies there (not personal)
    card_from: str | None = None
    uscc: str = ""  # an enterprise session: the unified social credit code scanned
    representative_confirmed: bool = False
    display_name: str = ""  # masked: 张*三
    display_name_en: str = ""  # masked, a foreign permanent resident's English name: S**** ***N
    display_number: str = ""  # masked: 140105********1234
    ticket: Ticket | None = None
    items: tuple[Item, ...] = ()
    selected: Item | None = None
    guide: Guide | None = None
    pledge_confirmed: bool = False
    request_id: str = ""
    case: CaseResult | None = None
    job_id: str = ""
    print_declined: bool = False  # the citizen tapped 不打印 on the preview
    print_progress: float = 0.0
    rating_level: RatingLevel | None = None
    rating_reasons: set[str] = field(default_factory=set)
    rating_dimensions: dict[str, RatingLevel] = field(default_factory=dict)
    rating_saving: bool = False
    notice: NoticeRun | None = None  # the 一次性告知 slip of the item on screen, once asked for
    slip: PrintJob | None = None  # the 办件凭条 of a case whose paper was declined
    slip_progress: float = 0.0
    slip_printed: bool = False
    cases: CaseLookup | None = None  # 办件查询, once opened (and a reprint under way)

    @classmethod
    def from_card(cls, card: IdentityCard, now: float, reader: str = "") -> Session:
        return cls(
            started_at=now,
            card=card,
            reader=reader,
            card_from=reader,
            display_name=mask_name(card.name or card.name_en),
            display_name_en=mask_name(card.name_en),
            display_number=mask_number(card.number),
        )

    def name_for(self, language: str) -> str:
        """The masked name to greet with: the card's English name on an English screen."""
        return (self.display_name_en if language != SOURCE else "") or self.display_name

    def forget_card(self) -> None:
        """The platform has the identity now; the kiosk no longer needs the card's contents."""
        if self.card is not None:
            self.card.wipe()
            self.card = None

    def choose(self, item: Item, request_id: str) -> None:
        """``request_id`` is for a new choice (one per item chosen: a retry reuses it)."""
        if self.selected is None or self.selected.item_code != item.item_code:
            self.selected = item
            self.guide = None
            self.pledge_confirmed = False
            self.request_id = request_id
            self.notice = None

    def wipe(self) -> None:
        self.forget_card()
        self.display_name = self.display_name_en = self.display_number = ""
        self.ticket = None
        self.uscc = ""
        self.items = ()
        self.selected = None
        self.guide = None
        self.case = None
        self.request_id = self.job_id = ""
        self.print_declined = False
        self.notice = None
        self.slip = None
        self.slip_printed = False
        self.cases = None
        self.rating_level = None
        self.rating_reasons.clear()
        self.rating_dimensions.clear()

    def __repr__(self) -> str:
        return (
            f"Session({self.display_name or '-'}, case={self.case.case_no if self.case else '-'})"
        )
