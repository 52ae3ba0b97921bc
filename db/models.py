"""SQLAlchemy 2.x models. Every instant is stored as UTC (``UtcDateTime``).

The complaint row holds the current state; ``StepEvent`` rows are the append-only
history from which timelines, timings and charts are derived. Only
``services.workflow`` writes ``Complaint.current_step`` and ``StepEvent``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy import event as orm_event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db import audit

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: use aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite drops the offset; we only ever store UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# What people may type into a Text column: ``info["max_length"]`` (no schema change; read
# by ``layanan.validate.column_limit`` like a String's length, the one place limits live).
LONG_TEXT = 20_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Unit(Base):
    """A working unit: Sekretariat, a Bidang, UPT Pelatihan Koperasi UKM, Sub Bagian Umum."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(30))
    rank: Mapped[str | None] = mapped_column(String(100))  # pangkat/golongan
    position: Mapped[str | None] = mapped_column(String(200))  # jabatan
    email: Mapped[str | None] = mapped_column(String(200))
    oidc_subject: Mapped[str | None] = mapped_column(String(200), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)


class UserRole(Base):
    """A person may hold several roles (e.g. Sub Bagian Umum and arsiparis)."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)


# The complaint columns a text search looks in (db.queries, migration 0008).
TEXT_SEARCH_COLUMNS = ("ticket", "complainant_name", "subject", "body")
# Tables in the database that are not ORM models: SQLite's FTS5 index of the complaints
# (migration 0008) and its shadow tables. tests/test_migrations.py leaves exactly these
# out when it compares the schema with the models.
NOT_MODELLED = frozenset(
    ["complaints_fts", *(f"complaints_fts_{s}" for s in ("data", "idx", "docsize", "config"))]
)


def in_schema_comparison(dialect: str):
    """An Alembic ``include_object`` for comparing a ``dialect`` database with the models.

    It leaves out exactly the ``NOT_MODELLED`` tables, and the indexes the models build
    on another dialect only (``Index.ddl_if``, e.g. the PostgreSQL trigram indexes);
    everything else is compared.
    """

    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and name in NOT_MODELLED:
            return False
        ddl_if = getattr(obj, "_ddl_if", None) if type_ == "index" else None
        return ddl_if is None or ddl_if.dialect in (None, dialect)

    return include


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_step_due", "current_step", "step_due_at"),
        Index("ix_complaints_received", "received_at"),
        # Dashboard (db.stats, migration 0004): complaints closed / approved in a period.
        Index("ix_complaints_closed", "closed_at"),
        Index("ix_complaints_approved", "approved_at"),
        Index("ix_complaints_open_received", "current_step", "received_at"),
        # The overdue list (dashboard, migration 0014): open complaints most overdue
        # first, read in index order and stopped at the page, not sorted from all.
        Index(
            "ix_complaints_open_due",
            "step_due_at",
            "id",
            postgresql_where=text("current_step IS NOT NULL"),
            sqlite_where=text("current_step IS NOT NULL"),
        ),
        # Text search (db.queries, migration 0008): ILIKE '%text%' served by trigram
        # indexes on PostgreSQL; SQLite uses the FTS5 table complaints_fts instead.
        *(
            Index(
                f"ix_complaints_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in TEXT_SEARCH_COLUMNS
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(20), unique=True)
    tracking_pin_hash: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(30))
    complainant_name: Mapped[str | None] = mapped_column(String(200))
    complainant_phone: Mapped[str | None] = mapped_column(String(40))
    complainant_email: Mapped[str | None] = mapped_column(String(200))
    complainant_address: Mapped[str | None] = mapped_column(Text, info={"max_length": 2000})
    # Kota/kabupaten of the address: the reply letter's "di ..." line (migration 0013).
    complainant_city: Mapped[str | None] = mapped_column(String(100))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)  # rahasia
    supervisory: Mapped[bool] = mapped_column(Boolean, default=False)  # berkadar pengawasan
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, info={"max_length": LONG_TEXT})
    category: Mapped[str] = mapped_column(String(100))
    form: Mapped[str | None] = mapped_column(String(10))  # lisan / tertulis, set at step 4
    guest_book_entry: Mapped[str | None] = mapped_column(String(100))
    # The incoming letter's own number and date (paper channels, captured at intake):
    # the disposition sheet and the register print them (migration 0013).
    incoming_letter_number: Mapped[str | None] = mapped_column(String(100))
    incoming_letter_date: Mapped[date | None] = mapped_column(Date)

    # Current state, written only by services.workflow.
    current_step: Mapped[int | None] = mapped_column(Integer)  # None = closed
    step_entered_at: Mapped[datetime]
    step_due_at: Mapped[datetime | None]  # stored so queues sort in SQL
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    arrived_at: Mapped[datetime]
    received_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    # Facts gathered along the written path (SOP steps 6-12).
    agenda_number: Mapped[str | None] = mapped_column(String(60))
    sifat: Mapped[str | None] = mapped_column(String(20))
    reply_body: Mapped[str | None] = mapped_column(Text, info={"max_length": LONG_TEXT})
    draft_rounds: Mapped[int] = mapped_column(Integer, default=0)
    approved_at: Mapped[datetime | None]  # paraf of the Head, step 9
    signed_at: Mapped[datetime | None]  # step 10
    letter_number: Mapped[str | None] = mapped_column(String(100), unique=True)
    delivered_at: Mapped[datetime | None]  # step 11
    delivery_method: Mapped[str | None] = mapped_column(String(20))
    archive_code: Mapped[str | None] = mapped_column(String(60))
    archive_location: Mapped[str | None] = mapped_column(String(200))
    oral_outcome: Mapped[str | None] = mapped_column(Text, info={"max_length": LONG_TEXT})
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    units: Mapped[list[Unit]] = relationship(secondary="complaint_units", lazy="selectin")
    __mapper_args__: ClassVar = {"version_id_col": version}


class ComplaintUnit(Base):
    """Units a complaint is assigned to (step 4 oral path, step 7 disposition)."""

    __tablename__ = "complaint_units"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)


class StepEvent(Base):
    """Append-only: one row per action. Never updated or deleted.

    Database triggers refuse UPDATE and DELETE; ``prev_hash`` and ``hash`` chain the
    complaint's events (``db.audit``, docs/audit.md) and are filled on every ORM insert.
    """

    __tablename__ = "step_events"
    __table_args__ = (
        UniqueConstraint("complaint_id", "seq", name="uq_step_events_complaint_seq"),
        Index("ix_step_events_step_at", "step", "at"),
        # Dashboard (db.stats, migration 0004): covering indexes for the aggregates.
        Index(
            "ix_step_events_stats_at",
            "at",
            "action",
            "step",
            "standard_minutes",
            "working_minutes",
            "role",
            "actor_id",
        ),
        Index("ix_step_events_complaint_step", "complaint_id", "step", "at", "working_minutes"),
        Index("ix_step_events_action_at", "action", "at", "complaint_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    to_step: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime]
    step_entered_at: Mapped[datetime]
    working_minutes: Mapped[int] = mapped_column(Integer)
    standard_minutes: Mapped[int] = mapped_column(Integer)
    # The action's note; also the limit of the long texts kept only in ``payload``.
    note: Mapped[str | None] = mapped_column(Text, info={"max_length": LONG_TEXT})
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Hash chain (migration 0005): sha256 hex of prev_hash + canonical JSON of the row.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# Every ORM insert of a StepEvent is chained to the complaint's previous event.
orm_event.listen(StepEvent, "before_insert", audit.fill_hash)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    step: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignedLetter(Base):
    """The signed reply letter's verification record and its PDF (migration 0012).

    Written by the signing hook with the .docx (``Document`` kind reply_letter_signed);
    the PDF is converted from that .docx after commit (``services.signed_letter``) and
    stored here once, with its SHA-256, which the public page /verifikasi shows.
    """

    __tablename__ = "signed_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # the verification code
    letter_number: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime]
    hal: Mapped[str] = mapped_column(String(300))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_title: Mapped[str] = mapped_column(String(300))
    signer_nip: Mapped[str] = mapped_column(String(30))
    docx_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_ready_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempted_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Disposition(Base):
    """The Head's disposition (step 7): to which units, with which instruction."""

    __tablename__ = "dispositions"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    instruction: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    unit_ids: Mapped[list[int]] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LocalHoliday(Base):
    """Local change to the national calendar: an extra day off, or a holiday removed."""

    __tablename__ = "local_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_holiday: Mapped[bool] = mapped_column(Boolean)  # True: added; False: removed


class Setting(Base):
    """Settings the admin edits in the app (office hours, letter settings, clocks)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Counter(Base):
    """Sequences that must never repeat: ticket numbers, letter numbers per year."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class AuthSession(Base):
    """Server-side login session; the browser holds only a random token's hash key."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean)
    client: Mapped[str | None] = mapped_column(String(100))


class RateLimitHit(Base):
    """Failed or counted requests per client, for throttling public pages."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_bucket_client_at", "bucket", "client", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40))
    client: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ConfidentialView(Base):
    """Every view of a *rahasia* complaint by staff is logged (append-only: triggers)."""

    __tablename__ = "confidential_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    identity_shown: Mapped[bool] = mapped_column(Boolean)


class Rating(Base):
    """The complainant's satisfaction rating, once per complaint, after delivery."""

    __tablename__ = "ratings"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, info={"max_length": 2000})
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LetterTemplate(Base):
    """An admin-uploaded replacement of a template in ``letter_templates/``."""

    __tablename__ = "letter_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OutboxMessage(Base):
    """A message that leaves the office, written in the transaction of the event causing it.

    ``services.outbox`` sends it after commit: pending -> sending (claimed, with a lease)
    -> sent, or back to pending with a later ``next_attempt_at`` after a transient
    failure, or failed (permanent refusal, or attempts exhausted), or cancelled (no
    longer wanted when claimed). ``message`` holds the exact bytes sent, so a resend
    after a crash carries the same ``message_id`` (the RFC 5322 Message-ID).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_complaint", "complaint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # reply_email | email
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    event_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("step_events.id")
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recipient: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    message: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxAttempt(Base):
    """One try at sending an outbox message: success, or the error / SMTP reply."""

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("outbox_messages.id"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)


# --- dashboard aggregates (db.aggregates, migration 0009) ------------------------------
# Per office-local day ('YYYY-MM-DD') (and mostly channel and category): what the dashboard would
# otherwise re-aggregate from every event of the period. Maintained in the same flush
# as the rows they summarise (db.aggregates); ``python -m scripts.rebuild_aggregates``
# recomputes them. Rows whose count fell to 0 may remain: they add nothing.


class AggStepDay(Base):
    """Timed step events done per day: histogram of working minutes per step.

    No channel / category here: with them the rows are as many as the events; a step
    histogram filtered by channel or category is recomputed from the events.
    Besides the day rows ('YYYY-MM-DD'), month rows ('YYYY-MM') hold each month's
    sums, so that a long period reads months and only its partial months' days."""

    __tablename__ = "agg_step_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Working minutes as ``db.stats.minute_bin`` counts them (exact up to 600).
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AggOnTimeDay(Base):
    """Timed step events done per day, and of them on time (exact minutes)."""

    __tablename__ = "agg_on_time_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The staff member for unit work (role ``unit``), else 0.
    unit_actor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)


class AggClosedDay(Base):
    """Complaints closed per day: histogram of their end-to-end working minutes.

    No channel / category (with them the rows were about as many as the complaints): a
    filtered end-to-end view is recomputed from the events. Month rows too (see
    ``AggStepDay``)."""

    __tablename__ = "agg_closed_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    form: Mapped[str] = mapped_column(String(10), primary_key=True)  # '' if undecided
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AggReceivedDay(Base):
    """Complaints received per day, by their form now."""

    __tablename__ = "agg_received_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    form: Mapped[str] = mapped_column(String(10), primary_key=True)  # '' if undecided
    count: Mapped[int] = mapped_column(Integer)


class AggRatingDay(Base):
    """Satisfaction ratings given per day, per score."""

    __tablename__ = "agg_rating_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AggClockDay(Base):
    """Complaints received per day and, per SP4N-LAPOR! clock, of them done on time
    ('met') or after the deadline ('late'). Rows with clock '' and state 'received'
    count the day's complaints: the ones not done yet are the difference, running or
    late by the deadline of their day when read. Met and late are judged with the
    office calendar at write time: a calendar or standards change rebuilds this table
    (``db.aggregates.rebuild_clocks``)."""

    __tablename__ = "agg_clock_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    supervisory: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 / 1
    clock: Mapped[str] = mapped_column(String(20), primary_key=True)
    state: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AggUnitDay(Base):
    """Per day and assigned unit (0: none yet): complaints received ('received', by
    received day), drafts submitted and returned (the event's action, by its day) and
    complaints whose draft was approved ('approved', by approval day, with their draft
    rounds). No channel / category: a filtered view recomputes from the base tables."""

    __tablename__ = "agg_unit_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    rounds: Mapped[int] = mapped_column(Integer)


class AggDefinition(Base):
    """One row: the version of ``db.aggregates``' definition the Agg* tables were last
    rebuilt under (``db.aggregates.ensure_current`` rebuilds when it is not the code's)."""

    __tablename__ = "agg_definition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)


# The upkeep of the Agg* tables on every flush (after the models it reads are defined).
from db import aggregates as _aggregates  # noqa: E402, F401


class Notification(Base):
    """A staff notification that fired: once per complaint, step round and kind.

    Written by ``services.notifications.evaluate`` (the scheduler in the outbox worker).
    ``step``/``round`` name the SOP step and which entry into it (1 = first time the
    complaint reached the step; a draft returned at step 9 enters step 8 again, round
    2); SP4N-LAPOR! clock warnings are per complaint and use step 0, round 0. The unique
    key is what makes a notification fire exactly once, whatever processes evaluate.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("complaint_id", "step", "round", "kind", name="uq_notifications_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    step: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]  # the instant the threshold was reached
    message: Mapped[str] = mapped_column(Text)  # Indonesian, no complainant identity
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationRecipient(Base):
    """Who a notification went to, whether they read it, and its e-mail (outbox) if any."""

    __tablename__ = "notification_recipients"
    __table_args__ = (Index("ix_notification_recipients_user", "user_id", "read_at"),)

    notification_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("notifications.id"),
        primary_key=True,
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    read_at: Mapped[datetime | None]
    outbox_message_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("outbox_messages.id")
    )


class NotificationDigest(Base):
    """The morning digest of one user on one office day: at most one (unique key)."""

    __tablename__ = "notification_digests"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_notification_digests_user_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    items: Mapped[int] = mapped_column(Integer)
    outbox_message_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("outbox_messages.id")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplainantOptOut(Base):
    """The complainant chose on /lacak to receive no more messages about this complaint."""

    __tablename__ = "complainant_opt_outs"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduledReport(Base):
    """A scheduled report sent for one period (monthly recap "2026-11", weekly breach
    summary "2026-W07"): at most one per kind and period (unique key)."""

    __tablename__ = "scheduled_reports"
    __table_args__ = (UniqueConstraint("kind", "period", name="uq_scheduled_reports_kind_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(20))
    recipients: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
