"""Checking the audit trail: walk every complaint's hash chain, record the result.

``verify`` streams the events in (complaint_id, seq) order in keyset batches (never all
rows at once) inside one consistent snapshot (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite), and for each event checks that

- its ``seq`` continues the complaint's 1, 2, 3, ... without a gap (a deleted event);
- its ``prev_hash`` is the previous event's ``hash`` (``GENESIS`` for the first);
- its ``hash`` is what ``db.audit.event_hash`` computes from its content now;

and for each complaint that its current step is where its last event led (a deleted
last event), and that it has events at all. The first problem found is reported.
``check_and_record`` stores the result in the ``settings`` row ``audit_check`` for the
admin page; ``scripts/verify_audit.py`` is the operator's command. docs/audit.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, exists, select, tuple_

from db import audit
from db.engine import get_engine, write_session
from db.models import Complaint, Setting, StepEvent
from layanan.text import angka, tanggal_jam

AUDIT_CHECK_KEY = "audit_check"
BATCH = 5_000


@dataclass(frozen=True)
class Broken:
    """The first broken event (or, with ``seq`` None, a complaint without events)."""

    ticket: str
    seq: int | None
    event_id: int | None
    problem: str  # Indonesian, shown as it is

    def describe(self) -> str:
        where = f"pengaduan {self.ticket}"
        if self.seq is not None:
            where += f", peristiwa ke-{self.seq} (id {self.event_id})"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class CheckResult:
    at: datetime
    ok: bool
    events: int  # events checked (up to the broken one)
    broken: Broken | None = None

    def summary(self) -> str:
        """One Indonesian sentence for the admin page."""
        head = f"Pemeriksaan jejak audit terakhir: {tanggal_jam(self.at)} \u2014 "
        if self.ok:
            return head + f"utuh, {angka(self.events)} peristiwa diperiksa."
        intact = f"{angka(self.events)} peristiwa sebelumnya utuh"
        return head + f"RUSAK pada {self.broken.describe()} ({intact})."

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(UTC).isoformat(),
            "ok": self.ok,
            "events": self.events,
            "broken": asdict(self.broken) if self.broken else None,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> CheckResult:
        broken = value.get("broken")
        return cls(
            at=datetime.fromisoformat(value["at"]),
            ok=bool(value["ok"]),
            events=int(value["events"]),
            broken=Broken(**broken) if broken else None,
        )


_STEP_TEXT = "selesai (ditutup)"


def _step(step: int | None) -> str:
    return _STEP_TEXT if step is None else f"langkah {step}"


def _walk(conn: Connection, batch: int) -> tuple[int, Broken | None]:
    e, c = StepEvent, Complaint
    columns = [getattr(e, name) for name in audit.CONTENT_COLUMNS]
    query = (
        select(e.id, e.prev_hash, e.hash, *columns, c.ticket, c.current_step)
        .join(c, c.id == e.complaint_id)
        .order_by(e.complaint_id, e.seq)
        .limit(batch)
    )
    checked = 0
    last_key: tuple[int, int] | None = None
    current: Any = None  # the previous row, of the complaint being walked

    def tail(row: Any) -> Broken | None:
        if row.current_step != row.to_step:
            return Broken(
                row.ticket,
                row.seq,
                row.id,
                f"peristiwa terakhir menuju {_step(row.to_step)}, tetapi pengaduan berada "
                f"di {_step(row.current_step)}: ada peristiwa yang hilang atau data "
                "pengaduan diubah",
            )
        return None

    while True:
        page = query if last_key is None else query.where(tuple_(e.complaint_id, e.seq) > last_key)
        rows = conn.execute(page).all()
        if not rows:
            break
        for row in rows:
            first = current is None or current.complaint_id != row.complaint_id
            if first and current is not None and (broken := tail(current)):
                return checked, broken
            want_seq = 1 if first else current.seq + 1
            want_prev = audit.GENESIS if first else current.hash
            if row.seq != want_seq:
                return checked, Broken(
                    row.ticket,
                    row.seq,
                    row.id,
                    f"nomor urut melompat (seharusnya {want_seq}): ada peristiwa yang dihapus",
                )
            if row.prev_hash != want_prev:
                return checked, Broken(
                    row.ticket,
                    row.seq,
                    row.id,
                    "prev_hash tidak sama dengan hash peristiwa sebelumnya: rantai diputus "
                    "atau peristiwa sebelumnya ditulis ulang",
                )
            if audit.event_hash(row.prev_hash, row._mapping) != row.hash:
                return checked, Broken(
                    row.ticket,
                    row.seq,
                    row.id,
                    "isi peristiwa tidak cocok dengan hash-nya: baris ini diubah",
                )
            checked += 1
            current = row
        last_key = (rows[-1].complaint_id, rows[-1].seq)
    if current is not None and (broken := tail(current)):
        return checked, broken
    orphan = conn.scalar(
        select(c.ticket).where(~exists().where(e.complaint_id == c.id)).order_by(c.id).limit(1)
    )
    if orphan is not None:
        return checked, Broken(orphan, None, None, "pengaduan tanpa peristiwa: riwayatnya dihapus")
    return checked, None


def verify(
    url: str | None = None, *, batch: int = BATCH, now: datetime | None = None
) -> CheckResult:
    """Walk every chain at ``url`` (default: DATABASE_URL); nothing is written."""
    engine = get_engine(url)
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        checked, broken = _walk(conn, batch)
    return CheckResult(
        at=now or datetime.now(UTC), ok=broken is None, events=checked, broken=broken
    )


def record(result: CheckResult, url: str | None = None) -> None:
    """Keep ``result`` as the last check (settings row ``audit_check``)."""
    with write_session(url) as session:
        row = session.get(Setting, AUDIT_CHECK_KEY)
        if row is None:
            session.add(Setting(key=AUDIT_CHECK_KEY, value=result.to_json(), updated_at=result.at))
        else:
            row.value = result.to_json()


def check_and_record(url: str | None = None, *, now: datetime | None = None) -> CheckResult:
    """Verify every chain and record the result; what the command and the admin run."""
    result = verify(url, now=now)
    record(result, url)
    return result


def last_check(session) -> CheckResult | None:
    """The last recorded check, or None if the trail was never checked."""
    row = session.get(Setting, AUDIT_CHECK_KEY)
    return None if row is None else CheckResult.from_json(row.value)
