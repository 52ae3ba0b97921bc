"""Fast bulk seeder: N complaints with their step events, for benchmarks.

    python -m benchmarks.bulk_seed --count 100000                # into DATABASE_URL
    python -m benchmarks.bulk_seed --count 1000 --url sqlite:////tmp/bench.db \\
        --now 2026-11-27T06:00:00+00:00

or, from Python, ``bulk_seed(url=..., count=..., now=...)``.

Playing 100,000 complaints through ``services.workflow`` takes hours, so this module
writes with SQLAlchemy Core ``insert`` in batches instead. It follows the same rules as
the workflow, so every figure computed from the data is what real use would give:

- every complaint walks the SOP table (``layanan.sop.ACTIONS``): front desk (steps 1-2
  in one save, or an online submission waiting at step 2), hand-over, the split at
  step 4 into the oral path (step 5, sometimes converted to written) and the written
  path (6-12, with drafts returned at step 9 for another round at step 8);
- each event's ``working_minutes`` is the working time between the step's entry and
  the action on the office calendar (``services.calendar_settings.load_calendar``:
  office hours, national and local holidays), ``standard_minutes`` is the step's
  standard; ``step_due_at`` is ``layanan.clocks.step_due_at`` of the current step;
- the history is cut at ``now``: complaints whose next action would come after ``now``
  wait at that step (open, some overdue), the others are closed; ``version`` is one
  plus the number of events, as the workflow leaves it;
- assignments (``complaint_units``), dispositions, ticket counters and, for about a
  third of answered complaints, a satisfaction rating are written too;
- each complaint's events are hash-chained with ``db.audit.chain`` (Core inserts skip
  the ORM hook), so ``python -m scripts.verify_audit`` passes on a seeded database.

Complaints whose first action would come after ``now`` (arrivals in the last minutes)
are not written, as the workflow records a complaint only with its first event: the
count written can be a few below ``count``.

Not written: documents (scanned letters, supporting files). Seeded complaints are for
reading (queues, dashboard, search); moving them on through the workflow would ask for
the missing files. Data is random but reproducible (``seed``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, func, insert, select, update
from sqlalchemy.engine import Connection

from db import aggregates, audit
from db.engine import get_engine, write_session
from db.models import (
    Complaint,
    ComplaintUnit,
    Counter,
    Disposition,
    Rating,
    StepEvent,
    Unit,
    User,
    UserRole,
)
from layanan import sop
from layanan.calendar import WorkingCalendar
from layanan.sop import Channel, Role
from layanan.text import ticket_number
from services import seed as demo
from services.calendar_settings import load_calendar
from services.pins import PIN_HASHER

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# How complaints arrive (weights).
CHANNEL_WEIGHTS: dict[Channel, int] = {
    Channel.DATANG_LANGSUNG: 24,
    Channel.TELEPON: 10,
    Channel.SURAT: 14,
    Channel.KOTAK_PENGADUAN: 4,
    Channel.EMAIL: 14,
    Channel.WHATSAPP: 18,
    Channel.ONLINE: 16,
}
# Share of actions at each step that take longer than the step's standard.
BREACH_SHARE: dict[int, float] = {
    1: 0.04,
    2: 0.08,
    3: 0.10,
    4: 0.14,
    5: 0.20,
    6: 0.12,
    7: 0.30,
    8: 0.28,
    9: 0.26,
    10: 0.22,
    11: 0.16,
    12: 0.24,
}
STALL_SHARE = 0.006  # an action that waits 5-40 working days (the overdue backlog)
ORAL_SHARE = 0.45  # of walk-ins and phone calls, settled orally at step 5
CONVERT_SHARE = 0.12  # oral complaints that become written ones
RATING_SHARE = 0.35
RATING_WEIGHTS = (5, 8, 17, 40, 30)  # scores 1..5
DISPOSITION_UNITS = ("SEK", "BKOP", "BPK", "BUKM", "UPT")
# Units differ: some draft slower and get their drafts returned more often.
UNIT_SLOWNESS = {"SEK": 0.9, "BKOP": 1.0, "BPK": 1.3, "BUKM": 1.1, "UPT": 1.6}
UNIT_RETURN_SHARE = {"SEK": 0.12, "BKOP": 0.18, "BPK": 0.30, "BUKM": 0.2, "UPT": 0.35}


class _Timeline:
    """Working minutes as a line: instant (epoch minute) <-> cumulative working minute.

    ``w_of(b) - w_of(a)`` equals ``WorkingCalendar.working_minutes(a, b)`` for whole
    minutes, and ``at(w_of(t) + m)`` equals ``add_working_minutes(t, m)`` for ``m > 0``
    (a deadline that falls at closing time stays on that day).
    """

    def __init__(self, calendar: WorkingCalendar, start: datetime, end: datetime) -> None:
        self.opens: list[int] = []
        self.lengths: list[int] = []
        self.cum_start: list[int] = []
        self.cum_end: list[int] = []
        total = 0
        day = start.astimezone(calendar.tz).date()
        last = end.astimezone(calendar.tz).date()
        while day <= last:
            hours = calendar.hours_on(day)
            if hours is not None:
                length = (hours[1] - hours[0]) // timedelta(minutes=1)
                self.opens.append(_minute(hours[0]))
                self.lengths.append(length)
                self.cum_start.append(total)
                total += length
                self.cum_end.append(total)
            day += timedelta(days=1)
        self.total = total

    def at(self, w: int) -> int:
        """The instant (epoch minute) at which working minute ``w`` is reached."""
        i = bisect_left(self.cum_end, w)
        if i >= len(self.opens):
            raise ValueError("working minute beyond the seeded calendar")
        return self.opens[i] + (w - self.cum_start[i])

    def w_of(self, minute: int) -> int:
        """Working minutes from the start of the line up to an instant."""
        i = bisect_right(self.opens, minute) - 1
        if i < 0:
            return 0
        return self.cum_start[i] + min(minute - self.opens[i], self.lengths[i])


def _minute(instant: datetime) -> int:
    return int(instant.timestamp()) // 60


def _instant(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


@dataclass
class _People:
    """Who performs each role's actions, and unit staff per unit id."""

    by_role: dict[Role, tuple[int, str]]
    by_unit: dict[int, tuple[int, str]]
    unit_codes: dict[int, str]
    disposition_units: list[int]


@dataclass
class _Batch:
    complaints: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    dispositions: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.complaints)


@dataclass
class _Ids:
    complaint: int
    event: int
    disposition: int


def _ensure_people(session) -> _People:
    """Demo users (one per role) plus one staff member for every disposition unit."""
    users = demo.ensure_demo_users(session)
    units = {u.code: u for u in session.scalars(select(Unit))}
    staff_by_unit: dict[int, User] = {}
    for user in users.values():
        if Role.UNIT.value in user.roles and user.unit_id is not None:
            staff_by_unit.setdefault(user.unit_id, user)
    password_hash = users["admin"].password_hash
    for code in DISPOSITION_UNITS:
        unit = units[code]
        if unit.id in staff_by_unit:
            continue
        username = f"staf_{code.lower()}"
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                full_name=f"Staf {unit.name}",
                unit_id=unit.id,
                password_hash=password_hash,
                active=True,
            )
            user.role_rows = [UserRole(role=Role.UNIT.value)]
            session.add(user)
            session.flush()
        staff_by_unit[unit.id] = user
    by_role = {
        Role.PETUGAS: users["petugas"],
        Role.SUBBAG_UMUM: users["subbag"],
        Role.KEPALA_DINAS: users["kepala"],
        Role.SEKRETARIS: users["sekretaris"],
        Role.ARSIPARIS: users["arsiparis"],
    }
    return _People(
        by_role={role: (u.id, u.full_name) for role, u in by_role.items()},
        by_unit={uid: (u.id, u.full_name) for uid, u in staff_by_unit.items()},
        unit_codes={u.id: code for code, u in units.items()},
        disposition_units=[units[code].id for code in DISPOSITION_UNITS],
    )


WORKING_DAY = WorkingCalendar().day_minutes  # working minutes of a default office day


def _duration(rng: random.Random, step_number: int, slowness: float = 1.0) -> int:
    """Working minutes an action takes: mostly within the standard, sometimes far past."""
    standard = sop.step(step_number).minutes
    roll = rng.random()
    if roll < STALL_SHARE:
        return int(rng.uniform(5, 40) * WORKING_DAY)
    if roll < STALL_SHARE + BREACH_SHARE[step_number] * slowness:
        if rng.random() < 0.3:
            return int(rng.uniform(1, 6) * WORKING_DAY)  # waited one to six working days
        return standard + 1 + int(rng.expovariate(1 / (standard * 2)))
    return max(1, int(standard * rng.betavariate(2, 2.5)))


class _Player:
    """Plays one complaint along the SOP table on the timeline, up to ``now``."""

    def __init__(
        self,
        rng: random.Random,
        timeline: _Timeline,
        people: _People,
        now_minute: int,
        pin_hash: str,
    ) -> None:
        self.rng = rng
        self.tl = timeline
        self.people = people
        self.now = now_minute
        self.pin_hash = pin_hash

    def play(
        self, *, complaint_id: int, ticket: str, start_w: int, ids: _Ids, batch: _Batch
    ) -> bool:
        """Add the complaint to ``batch``; False (nothing added) if it arrives too late."""
        rng, tl = self.rng, self.tl
        category, subject, body = rng.choice(demo.SUBJECTS)
        fill = {"org": rng.choice(demo.ORGS), "place": rng.choice(demo.PLACES)}
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        online = channel is Channel.ONLINE
        anonymous = rng.random() < 0.08
        name = rng.choice(demo.NAMES)
        events: list[dict[str, Any]] = []
        row: dict[str, Any] = {
            "id": complaint_id,
            "ticket": ticket,
            "tracking_pin_hash": self.pin_hash,
            "channel": channel.value,
            "complainant_name": None if anonymous else name,
            "complainant_phone": f"08{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}",
            "complainant_email": None if anonymous else f"{name.split()[0].lower()}@example.id",
            "complainant_address": f"Jl. {rng.choice(demo.ORGS)} No. {rng.randint(1, 200)}, "
            f"{fill['place']}",
            "anonymous": anonymous,
            "confidential": rng.random() < 0.05,
            "supervisory": category == "Pembinaan dan pengawasan koperasi" and rng.random() < 0.5,
            "subject": subject.format(**fill),
            "body": body.format(**fill),
            "category": category,
            "form": None,
            "guest_book_entry": None,
            "current_step": sop.FIRST_STEP,
            "step_entered_at": None,
            "step_due_at": None,
            "version": 1,
            "last_actor_id": None,
            "arrived_at": None,
            "received_at": None,
            "closed_at": None,
            "agenda_number": None,
            "sifat": None,
            "reply_body": None,
            "draft_rounds": 0,
            "approved_at": None,
            "signed_at": None,
            "letter_number": None,
            "delivered_at": None,
            "delivery_method": None,
            "archive_code": None,
            "archive_location": None,
            "oral_outcome": None,
            "created_at": None,
        }
        assigned: list[int] = []
        # The clock: when the current step was entered (epoch minute and working minute).
        entered = tl.at(start_w)
        if online:  # submitted at any hour, often the evening before; waits at step 2
            entered -= rng.randint(0, 14 * 60)
        state = {"entered": entered, "entered_w": tl.w_of(entered), "step": 1, "open": True}
        row["arrived_at"] = _instant(entered)

        def act(
            key: str,
            minutes: int,
            payload: dict[str, Any] | None = None,
            note: str | None = None,
            actor: tuple[int | None, str] | None = None,
        ) -> bool:
            """Append the event if it happens before now; False (and stop) otherwise."""
            action = sop.action(key)
            at_w = state["entered_w"] + minutes
            at = max(tl.at(at_w), state["entered"]) if minutes else state["entered"]
            if at > self.now:
                return False
            role = sop.action_role(action)
            if actor is None:
                actor = self.people.by_role[role] if role is not Role.UNIT else (None, "")
            events.append(
                {
                    "id": None,
                    "complaint_id": complaint_id,
                    "seq": len(events) + 1,
                    "step": action.at,
                    "action": key,
                    "to_step": action.to,
                    "actor_id": actor[0],
                    "actor_name": actor[1],
                    "role": role.value,
                    "at": _instant(at),
                    "step_entered_at": _instant(state["entered"]),
                    "working_minutes": tl.w_of(at) - state["entered_w"],
                    "standard_minutes": sop.step(action.at).minutes,
                    "note": note,
                    "payload": {**(payload or {}), "documents": []},
                }
            )
            row["last_actor_id"] = actor[0]
            state.update(entered=at, entered_w=tl.w_of(at), step=action.to)
            if action.to is None:
                state["open"] = False
                row["closed_at"] = _instant(at)
            return True

        def unit_actor() -> tuple[int, str]:
            return self.people.by_unit[assigned[0]]

        self._path(act, unit_actor, row, channel, assigned, batch, ids, state)
        if not events:
            # Step 1 would come after now: the office has not recorded this complaint yet
            # (the workflow creates a complaint together with its first event).
            return False
        # Current state, as the workflow leaves it.
        row["received_at"] = row["received_at"] or _instant(state["entered"])
        row["created_at"] = row["received_at"]
        row["current_step"] = state["step"] if state["open"] else None
        row["step_entered_at"] = _instant(state["entered"])
        if state["open"]:
            standard = sop.step(state["step"]).minutes
            row["step_due_at"] = _instant(tl.at(state["entered_w"] + standard))
        row["version"] = 1 + len(events)
        for event in events:
            event["id"] = ids.event
            ids.event += 1
        audit.chain(events)  # the hash chain the ORM hook fills for the workflow
        batch.complaints.append(row)
        batch.events.extend(events)
        batch.units.extend({"complaint_id": complaint_id, "unit_id": u} for u in assigned)
        if row["delivered_at"] or row["oral_outcome"]:
            done = row["delivered_at"] or row["closed_at"]
            if rng.random() < RATING_SHARE:
                rated = _minute(done) + rng.randint(5, 60 * 24 * 5)
                if rated <= self.now:
                    batch.ratings.append(
                        {
                            "complaint_id": complaint_id,
                            "score": rng.choices(range(1, 6), weights=RATING_WEIGHTS)[0],
                            "comment": None,
                            "at": _instant(rated),
                        }
                    )
        return True

    def _path(
        self, act: Callable[..., bool], unit_actor, row, channel, assigned, batch, ids, state
    ) -> bool:
        """The SOP path of one complaint; returns False where it stops before now."""
        rng = self.rng
        online = channel is Channel.ONLINE
        if online:
            if not act("submit_online", 0, actor=(None, "Pemohon")):
                return False
            row["received_at"] = _instant(state["entered"])
            if not act("receive", _duration(rng, 2)):
                return False
        else:
            if not act("meet", rng.randint(1, 20)):
                return False
            if not act("receive", rng.randint(3, 25)):
                return False
            row["received_at"] = _instant(state["entered"])
        guest_book = f"BT-{row['received_at']:%Y%m%d}-{rng.randint(1, 99):02d}"
        if not act("hand_over", _duration(rng, 3), {"guest_book_entry": guest_book}):
            return False
        row["guest_book_entry"] = guest_book
        oral = channel in (Channel.DATANG_LANGSUNG, Channel.TELEPON) and rng.random() < ORAL_SHARE
        if oral:
            unit = rng.choice(self.people.disposition_units)
            if not act("classify_oral", _duration(rng, 4), {"unit": unit}):
                return False
            row["form"] = sop.Form.LISAN.value
            assigned[:] = [unit]
            slowness = UNIT_SLOWNESS[self.people.unit_codes[unit]]
            if rng.random() >= CONVERT_SHARE:
                outcome = "Pemohon menerima penjelasan dari unit terkait."
                if not act(
                    "resolve_oral",
                    _duration(rng, 5, slowness),
                    {"outcome": outcome},
                    None,
                    unit_actor(),
                ):
                    return False
                row["oral_outcome"] = outcome
                return True
            reason = "Perlu jawaban tertulis."
            if not act(
                "convert_to_written",
                _duration(rng, 5, slowness),
                {"reason": reason},
                None,
                unit_actor(),
            ):
                return False
            row["form"] = sop.Form.TERTULIS.value
        else:
            if not act("classify_written", _duration(rng, 4)):
                return False
            row["form"] = sop.Form.TERTULIS.value
        agenda = f"{row['id']}/TNDE/{row['received_at']:%m/%Y}"
        sifat = rng.choice(sop.SIFAT_SURAT)
        if not act("register", _duration(rng, 6), {"agenda_number": agenda, "sifat": sifat}):
            return False
        row["agenda_number"], row["sifat"] = agenda, sifat
        units = [rng.choice(self.people.disposition_units)]
        if rng.random() < 0.15:
            other = rng.choice(self.people.disposition_units)
            if other != units[0]:
                units.append(other)
        units.sort()
        instruction = rng.choice(sop.DISPOSITION_INSTRUCTIONS)
        if not act("dispose", _duration(rng, 7), {"units": units, "instruction": instruction}):
            return False
        assigned[:] = units
        batch.dispositions.append(
            {
                "id": ids.disposition,
                "complaint_id": row["id"],
                "instruction": instruction,
                "note": None,
                "due_date": None,
                "unit_ids": units,
                "created_by_id": self.people.by_role[Role.KEPALA_DINAS][0],
                "created_at": _instant(state["entered"]),
            }
        )
        ids.disposition += 1
        code = self.people.unit_codes[assigned[0]]
        reply = "Dengan hormat, pengaduan Saudara telah kami tindak lanjuti."
        while True:
            if not act(
                "submit_draft",
                _duration(rng, 8, UNIT_SLOWNESS[code]),
                {"reply_body": reply},
                None,
                unit_actor(),
            ):
                return False
            row["reply_body"] = reply
            row["draft_rounds"] += 1
            row["approved_at"] = None
            if row["draft_rounds"] < 5 and rng.random() < UNIT_RETURN_SHARE[code]:
                reason = "Lengkapi dasar hukum dan data pendukung."
                if not act("return_draft", _duration(rng, 9), {"reason": reason}, reason):
                    return False
                continue
            if not act("approve", _duration(rng, 9), {"paraf": True}):
                return False
            row["approved_at"] = _instant(state["entered"])
            break
        if not act("sign", _duration(rng, 10)):
            return False
        row["signed_at"] = _instant(state["entered"])
        # As in services.seed: no e-mail deliveries, which are recorded only with the
        # message a mail server accepted (services.outbox), and bulk data sends none.
        method = rng.choice(
            [m for m in sop.DeliveryMethod if m is not sop.DeliveryMethod.EMAIL]
        ).value
        delivered_minutes = _duration(rng, 11)
        delivered_on = (
            _instant(self.tl.at(state["entered_w"] + delivered_minutes)).date().isoformat()
        )
        payload = {"delivery_method": method, "delivered_on": delivered_on, "evidence": "Terkirim"}
        if not act("deliver", delivered_minutes, payload):
            return False
        row["delivered_at"], row["delivery_method"] = _instant(state["entered"]), method
        archive = {"archive_code": f"065/{row['id']:06d}", "archive_location": "Lemari arsip 1"}
        if not act("archive", _duration(rng, 12), archive):
            return False
        row["archive_code"] = archive["archive_code"]
        row["archive_location"] = archive["archive_location"]
        return True


def _next_ids(conn: Connection) -> _Ids:
    return _Ids(
        complaint=(conn.scalar(select(func.max(Complaint.id))) or 0) + 1,
        event=(conn.scalar(select(func.max(StepEvent.id))) or 0) + 1,
        disposition=(conn.scalar(select(func.max(Disposition.id))) or 0) + 1,
    )


def _copy(conn: Connection, model, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows by ``COPY ... FROM STDIN`` in the connection's transaction.

    psycopg runs an executemany of Core inserts as one statement per row (pipelined);
    COPY halves the seeding time at 1,000,000. Values are what the column types would
    bind: JSON columns as ``json.dumps`` text (SQLAlchemy's default serializer), aware
    datetimes as they are (``UtcDateTime`` only normalises them to UTC, which a
    timestamptz does anyway).
    """
    table = model.__table__
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c]) if c in json_columns and row[c] is not None else row[c]
                    for c in columns
                ]
            )


def _flush(conn: Connection, batch: _Batch) -> None:
    write = _copy if conn.dialect.name == "postgresql" else _insert
    for model, rows in (
        (Complaint, batch.complaints),
        (ComplaintUnit, batch.units),
        (Disposition, batch.dispositions),
        (StepEvent, batch.events),
        (Rating, batch.ratings),
    ):
        if rows:
            write(conn, model, rows)


def _insert(conn: Connection, model, rows: list[dict[str, Any]]) -> None:
    conn.execute(insert(model), rows)


def _set_counters(conn: Connection, tickets: dict[int, int]) -> None:
    for year, value in tickets.items():
        name = f"ticket-{year}"
        done = conn.execute(update(Counter).where(Counter.name == name).values(value=value))
        if done.rowcount == 0:
            conn.execute(insert(Counter).values(name=name, value=value))


def _analyze(url: str | None) -> None:
    """PostgreSQL: refresh the planner's statistics after a bulk load, as autovacuum
    would shortly do on its own (plans made on an empty table's stats are poor)."""
    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def _fix_sequences(conn: Connection) -> None:
    """PostgreSQL: explicit ids were inserted, move the id sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("complaints", "step_events", "dispositions"):
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def bulk_seed(
    *,
    url: str | None = None,
    count: int = 100_000,
    now: datetime | None = None,
    days: int = 365,
    seed: int = 2026,
    batch_size: int = 5_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Insert ``count`` complaints received over the ``days`` before ``now``, with events.

    Returns counts of what was written (complaints, events, open, ratings).
    """
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    rng = random.Random(seed)
    with write_session(url) as session:
        people = _ensure_people(session)
        calendar = load_calendar(session)
        counters = {
            c.name: c.value
            for c in session.scalars(select(Counter).where(Counter.name.like("ticket-%")))
        }
    pin_hash = PIN_HASHER.hash("123456")  # the one documented demo PIN
    start = now - timedelta(days=days)
    timeline = _Timeline(calendar, start - timedelta(days=7), now + timedelta(days=400))
    now_minute = _minute(now)
    first_w, now_w = timeline.w_of(_minute(start)), timeline.w_of(now_minute)
    # Arrival working minutes, oldest first, so ticket numbers follow arrival order.
    starts = sorted(first_w + int(rng.random() * (now_w - first_w)) for _ in range(count))
    player = _Player(rng, timeline, people, now_minute, pin_hash)
    engine = get_engine(url, for_writing=True)
    totals = {"complaints": 0, "events": 0, "open": 0, "ratings": 0}
    with engine.connect() as conn:
        ids = _next_ids(conn)
        conn.rollback()
        batch = _Batch()
        for n, start_w in enumerate(starts, start=1):
            year = _instant(timeline.at(start_w)).year
            key = f"ticket-{year}"
            counters[key] = counters.get(key, 0) + 1
            if player.play(
                complaint_id=ids.complaint,
                ticket=ticket_number(year, counters[key]),
                start_w=start_w,
                ids=ids,
                batch=batch,
            ):
                ids.complaint += 1
            else:  # arrives in the last minutes before now: not recorded yet
                counters[key] -= 1
            if len(batch) >= batch_size or n == count:
                with conn.begin():
                    _flush(conn, batch)
                totals["complaints"] += len(batch.complaints)
                totals["events"] += len(batch.events)
                totals["open"] += sum(1 for c in batch.complaints if c["current_step"])
                totals["ratings"] += len(batch.ratings)
                batch = _Batch()
                if progress:
                    progress(n, count)
        with conn.begin():
            _set_counters(
                conn,
                {int(k.split("-")[1]): v for k, v in counters.items() if k.startswith("ticket-")},
            )
            _fix_sequences(conn)
        # Core inserts skip the flush hooks that keep the dashboard aggregates.
        with conn.begin():
            aggregates.rebuild(conn)
    _analyze(url)
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL)")
    parser.add_argument("--now", default=None, help="ISO instant with offset (default: now)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else None
    began = time.perf_counter()

    def report(done: int, total: int) -> None:
        print(f"  {done:>8,} / {total:,} complaints", file=sys.stderr, flush=True)

    totals = bulk_seed(
        url=args.url, count=args.count, now=now, days=args.days, seed=args.seed, progress=report
    )
    elapsed = time.perf_counter() - began
    print(
        f"Seeded {totals['complaints']:,} complaints ({totals['open']:,} open), "
        f"{totals['events']:,} step events, {totals['ratings']:,} ratings in {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
