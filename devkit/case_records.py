"""办件查询 at the reference platform: each case's progress, its reprints, and the demo's past.

The platform's cases table (devkit/platform_server.py) holds what was applied for; this module
adds where each case stands and the reprints of its certificate, in two tables of their own:

- a case made at a kiosk has no progress row: an instant case is finished with a printable
  certificate (可打印) from the moment it is made, a promised one is accepted (受理);
- the demo citizens also have a past (``HISTORY``): cases applied for days ago at a window,
  one in each state, made when the platform starts (once per database);
- a reprint is recorded per (device, request id), so the same request again is the same
  reprint, and a case is reprinted at most once per day (China Standard Time).

Contract: docs/platform-api.yaml (listCitizenCases, reprintCertificate); docs/cases.md.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from devkit import seed
from kiosk.models import CaseKind

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
HALL_DEVICE = "SX-TY-HALL-A08"  # where the demo's past cases were applied for (a window)
MAX_LISTED = 100  # the contract's maxItems

SCHEMA = """
CREATE TABLE IF NOT EXISTS case_progress (
    case_no TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at TEXT NOT NULL, finished_at TEXT);
CREATE TABLE IF NOT EXISTS reprints (
    device_id TEXT NOT NULL, request_id TEXT NOT NULL, case_no TEXT NOT NULL,
    day TEXT NOT NULL, at TEXT NOT NULL, number INTEGER NOT NULL,
    PRIMARY KEY (device_id, request_id));
CREATE INDEX IF NOT EXISTS reprints_by_case ON reprints (case_no, day);
"""

ACCEPTED, IN_PROGRESS, FINISHED, PRINTABLE = "accepted", "in_progress", "finished", "printable"


@dataclass(frozen=True)
class PastCase:
    """A case the demo citizen applied for before: at a window, ``days_ago``; its state now
    and how many days ago it last changed (and was finished, for the finished ones)."""

    item_key: str
    days_ago: int
    state: str
    changed_days_ago: int


HISTORY: dict[str, tuple[PastCase, ...]] = {
    "zhang_wei": (
        PastCase("fund_deposit_proof", 8, PRINTABLE, 8),
        PastCase("fund_withdrawal", 20, FINISHED, 16),
        PastCase("no_crime_proof", 2, IN_PROGRESS, 1),
        PastCase("marriage_record", 1, ACCEPTED, 1),
    ),
    "wang_guilan": (
        PastCase("pension_paid_proof", 30, PRINTABLE, 30),
        PastCase("id_card_renewal", 5, IN_PROGRESS, 3),
    ),
}


class Refused(Exception):
    """The platform says no: an HTTP status and the contract's error code."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def create_tables(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def _at(day: dt.date, hour: int = 10) -> str:
    return dt.datetime.combine(day, dt.time(hour, 15), CHINA_TZ).isoformat(timespec="seconds")


def add_history(
    db: sqlite3.Connection,
    today: dt.date,
    holder_of: Callable[[str], seed.Holder],
    new_code: Callable[[sqlite3.Connection], str],
    verify_base_url: str,
) -> None:
    """The demo citizens' past cases, once per database (by their request ids)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for key, cases in HISTORY.items():
            subject = db.execute(
                "SELECT id, name FROM subjects WHERE key=? AND kind='person'", (key,)
            ).fetchone()
            if subject is None:
                continue
            for n, past in enumerate(cases):
                request_id = f"history-{key}-{n}"
                if db.execute(
                    "SELECT 1 FROM cases WHERE device_id=? AND request_id=?",
                    (HALL_DEVICE, request_id),
                ).fetchone():
                    continue
                _add_past_case(
                    db, today, subject, past, request_id, holder_of(key), new_code, verify_base_url
                )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _add_past_case(
    db: sqlite3.Connection,
    today: dt.date,
    subject: sqlite3.Row,
    past: PastCase,
    request_id: str,
    holder: seed.Holder,
    new_code: Callable[[sqlite3.Connection], str],
    verify_base_url: str,
) -> None:
    item = seed.BY_ITEM_KEY[past.item_key]
    applied = today - dt.timedelta(days=past.days_ago)
    changed = today - dt.timedelta(days=past.changed_days_ago)
    next_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM cases").fetchone()["n"]
    case_no = f"{seed.REGION_CODE}{applied:%Y%m%d}{next_id:08d}"
    code = new_code(db)
    # what the case issued: its certificate (printable ones) or its acceptance receipt
    issued = changed if past.state == PRINTABLE else applied
    document = seed.issue_document(
        item, holder, issued, case_no=case_no, code=code, verify_base_url=verify_base_url
    ).to_json()
    insert_case(
        db,
        case_id=next_id,
        device_id=HALL_DEVICE,
        request_id=request_id,
        item=item,
        subject=subject,
        created_at=_at(applied, 9),
        issued=issued,
        code=code,
        document=document,
    )
    finished = _at(changed, 15) if past.state in (FINISHED, PRINTABLE) else None
    db.execute(
        "INSERT INTO case_progress VALUES (?,?,?,?)",
        (case_no, past.state, _at(changed, 15), finished),
    )


def _progress(db: sqlite3.Connection, case: sqlite3.Row) -> tuple[str, str, str | None]:
    """(state, updated_at, finished_at) of a case: its progress row, else as made at a kiosk."""
    row = db.execute(
        "SELECT state, updated_at, finished_at FROM case_progress WHERE case_no=?",
        (case["case_no"],),
    ).fetchone()
    if row is not None:
        return row["state"], row["updated_at"], row["finished_at"]
    made = case["created_at"]
    if case["case_kind"] == CaseKind.INSTANT.value:
        return PRINTABLE, made, made
    return ACCEPTED, made, None


def _reprinted_today(db: sqlite3.Connection, case_no: str, today: dt.date) -> bool:
    row = db.execute(
        "SELECT 1 FROM reprints WHERE case_no=? AND day=?", (case_no, today.isoformat())
    ).fetchone()
    return row is not None


def _reprints(db: sqlite3.Connection, case_no: str) -> int:
    return db.execute("SELECT COUNT(*) AS n FROM reprints WHERE case_no=?", (case_no,)).fetchone()[
        "n"
    ]


def list_cases(db: sqlite3.Connection, subject_id: int, today: dt.date) -> list[dict]:
    """The subject's own cases, newest first, as the contract's CaseSummary."""
    rows = db.execute(
        "SELECT * FROM cases WHERE subject_id=? ORDER BY created_at DESC, id DESC LIMIT ?",
        (subject_id, MAX_LISTED),
    ).fetchall()
    out = []
    for case in rows:
        item = seed.BY_CODE[case["item_code"]]
        state, updated, finished = _progress(db, case)
        limited = state == PRINTABLE and _reprinted_today(db, case["case_no"], today)
        promised = case["promised_date"] if state in (ACCEPTED, IN_PROGRESS) else None
        out.append(
            {
                "case_no": case["case_no"],
                "item_code": case["item_code"],
                "item_name": item.name,
                "department": item.department,
                "state": state,
                "applied_at": case["created_at"],
                "updated_at": updated,
                "finished_at": finished,
                "promised_date": promised,
                "reprintable": state == PRINTABLE and not limited,
                "reprint_refusal": "reprint_limit" if limited else "",
                "reprints": _reprints(db, case["case_no"]),
            }
        )
    return out


def reprint(
    db: sqlite3.Connection,
    subject_id: int,
    case_no: str,
    request_id: str,
    device_id: str,
    today: dt.date,
) -> dict:
    """Record one reprint (or find the one this request made) and return the contract's
    Reprint. The caller holds the store's lock: the check and the insert go together."""
    done = db.execute(
        "SELECT * FROM reprints WHERE device_id=? AND request_id=?", (device_id, request_id)
    ).fetchone()
    case = db.execute(
        "SELECT * FROM cases WHERE case_no=? AND subject_id=?", (case_no, subject_id)
    ).fetchone()
    if case is None:
        raise Refused(404, "unknown_case")  # another's case is told apart from none by nobody
    if done is not None:
        if done["case_no"] != case_no:
            raise Refused(409, "request_id_reused")
        return _reprint_json(case, done["number"], done["at"])
    state, _updated, _finished = _progress(db, case)
    document = json.loads(case["document"])
    if state != PRINTABLE or document.get("kind") != "certificate":
        raise Refused(409, "not_printable")
    if _reprinted_today(db, case_no, today):
        raise Refused(409, "reprint_limit")
    number = _reprints(db, case_no) + 1
    at = dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds")
    db.execute(
        "INSERT INTO reprints VALUES (?,?,?,?,?,?)",
        (device_id, request_id, case_no, today.isoformat(), at, number),
    )
    return _reprint_json(case, number, at)


def _reprint_json(case: sqlite3.Row, number: int, at: str) -> dict:
    return {
        "case_no": case["case_no"],
        "reprints": number,
        "reprinted_at": at,
        "document": json.loads(case["document"]),
    }


def reprints_recorded(db: sqlite3.Connection) -> list[dict]:
    """Every reprint recorded, oldest first (for tests and /devkit/reprints)."""
    rows = db.execute("SELECT * FROM reprints ORDER BY at, rowid").fetchall()
    return [dict(r) for r in rows]


def insert_case(
    db: sqlite3.Connection,
    *,
    case_id: int,
    device_id: str,
    request_id: str,
    item,
    subject,
    created_at: str,
    issued: dt.date,
    code: str,
    document: dict,
) -> None:
    """A case and the certificate (or receipt) it issued, as the platform records them: for a
    submission at a kiosk and for the demo citizens' past cases alike."""
    db.execute(
        "INSERT INTO cases (id, case_no, device_id, request_id, item_code, subject_id,"
        " case_kind, created_at, promised_date, document) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            case_id,
            document["case_no"],
            device_id,
            request_id,
            item.item_code,
            subject["id"],
            item.case_kind.value,
            created_at,
            document["promised_date"],
            json.dumps(document, ensure_ascii=False),
        ),
    )
    db.execute(
        "INSERT INTO certificates VALUES (?,?,?,?,?,?,?,?,'valid')",
        (
            code,
            document["case_no"],
            document["kind"],
            document["title"],
            subject["name"],
            item.department,
            issued.isoformat(),
            document["valid_until"],
        ),
    )
