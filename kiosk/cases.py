"""办件查询: the citizen's cases as the platform tells them, and a reprint of a certificate.

Read from ``GET /v1/citizen/cases`` and ``PUT /v1/citizen/cases/{case_no}/reprints/{id}``
(docs/platform-api.yaml; described in docs/cases.md). A case number is not personal data;
nothing here holds a name or an ID number, except the reprinted document itself, which is
printed and forgotten with the session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from kiosk.document import Document
from kiosk.i18n import N_
from kiosk.validate import Reader

MAX_CASES = 100  # the contract's maxItems: the list shows what the platform gave


class CaseState(StrEnum):
    ACCEPTED = "accepted"  # 受理
    IN_PROGRESS = "in_progress"  # 办理中
    FINISHED = "finished"  # 办结: nothing for a kiosk to print
    PRINTABLE = "printable"  # 可打印: finished, its certificate printable here


STATE_LABELS: dict[CaseState, str] = {
    CaseState.ACCEPTED: N_("受理"),
    CaseState.IN_PROGRESS: N_("办理中"),
    CaseState.FINISHED: N_("办结"),
    CaseState.PRINTABLE: N_("可打印"),
}


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case_no: str
    item_code: str
    item_name: str
    department: str
    state: CaseState
    applied_at: dt.datetime
    updated_at: dt.datetime
    reprintable: bool
    reprints: int
    finished_at: dt.datetime | None = None
    promised_date: dt.date | None = None
    reprint_refusal: str = ""  # an Error code (reprint_limit) when printable but not now

    @classmethod
    def from_json(cls, r: Reader) -> CaseSummary:
        return cls(
            case_no=r.str("case_no", max_len=50),
            item_code=r.str("item_code", max_len=50),
            item_name=r.str("item_name", max_len=100),
            department=r.str("department", max_len=100),
            state=CaseState(r.choice("state", [s.value for s in CaseState])),
            applied_at=r.datetime("applied_at"),
            updated_at=r.datetime("updated_at"),
            finished_at=r.opt_datetime("finished_at"),
            promised_date=r.opt_date("promised_date"),
            reprintable=r.bool("reprintable"),
            reprint_refusal=r.opt_str("reprint_refusal", max_len=40) or "",
            reprints=r.int("reprints", lo=0, hi=9999),
        )

    def with_reprint(self, reprint: Reprint) -> CaseSummary:
        """The row after a reprint the platform recorded: counted, and not again today."""
        return replace(
            self, reprints=reprint.reprints, reprintable=False, reprint_refusal="reprint_limit"
        )


@dataclass(frozen=True, slots=True)
class Reprint:
    """One reprint recorded at the platform, and the document to print."""

    case_no: str
    reprints: int
    reprinted_at: dt.datetime
    document: Document

    @classmethod
    def from_json(cls, r: Reader) -> Reprint:
        return cls(
            case_no=r.str("case_no", max_len=50),
            reprints=r.int("reprints", lo=1, hi=9999),
            reprinted_at=r.datetime("reprinted_at"),
            document=Document.from_json(r.obj_("document")),
        )


def read_cases(r: Reader) -> tuple[CaseSummary, ...]:
    return tuple(r.list("cases", CaseSummary.from_json, max_len=MAX_CASES))


class ReprintStage(StrEnum):
    RECORDING = "recording"  # the platform records the reprint and sends the document
    PRINTING = "printing"
    PRINTED = "printed"


@dataclass
class ReprintRun:
    """One 再次打印 asked for: its request id (the platform counts it once however often it is
    sent) and its print job (sent once; 重新打印 sends the same job)."""

    case_no: str
    request_id: str
    job_id: str
    stage: ReprintStage = ReprintStage.RECORDING
    document: Document | None = None
    progress: float = 0.0


@dataclass
class CaseLookup:
    """办件查询 in a session: the list as the platform gave it, the reprint under way, and a
    line for the citizen about the last one (printed, or why it was refused)."""

    loading: bool = True
    cases: tuple[CaseSummary, ...] = ()
    reprint: ReprintRun | None = None
    note: str = ""
    printed: bool = False  # the note says a reprint came out (not why one was refused)

    def find(self, case_no: str) -> CaseSummary | None:
        return next((c for c in self.cases if c.case_no == case_no), None)

    def replace(self, case: CaseSummary) -> None:
        self.cases = tuple(case if c.case_no == case.case_no else c for c in self.cases)
