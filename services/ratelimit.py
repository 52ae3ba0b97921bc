"""Throttling of the public pages, stored in the database so it holds across replicas.

Each counted request is a ``RateLimitHit`` row (bucket, client, instant). A policy is a
sliding window: at most ``max_hits`` hits per ``window``; optionally, from the
``slow_after``-th hit on, the client must also wait ``base_delay`` after its last hit,
doubling with every further hit up to ``max_delay`` (the tracking page: failures are
slowed, then refused). A policy with ``then_every`` does not refuse a full window: it
lets one more hit through every ``then_every`` after the last one (the per-ticket slow
path). Clients are stored as a hash, never as a plain IP address.

Two ways to count:

- ``reserve`` (PIN guesses): one transaction checks every budget of the attempt and, if
  all allow it, stores its hits *before* the guess is evaluated; ``refund`` takes them
  back (a right PIN). The keys are locked for that transaction (PostgreSQL: a
  transaction-level advisory lock per key, taken in a fixed order; SQLite: the write
  lock of ``BEGIN IMMEDIATE``), so any number of parallel requests, on any number of
  replicas, can never spend more than the budget.
- ``check`` then ``hit`` (submissions): two steps; parallel requests may both pass the
  check, so that limit is approximate by the number of requests in flight.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import read_session, write_session
from db.models import RateLimitHit
from layanan.errors import NotAllowed

TRACK_BUCKET = "track-fail"
TICKET_BUCKET = "track-ticket"
SUBMIT_BUCKET = "submit"
MAX_DELAY = timedelta(seconds=60)
UNKNOWN_CLIENT = "tanpa-alamat"


class Throttled(NotAllowed):
    """Too many requests from one client; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Policy:
    bucket: str
    max_hits: int
    window: timedelta
    refusal: str  # Indonesian, followed by "Coba lagi dalam ..."
    slow_after: int | None = None
    base_delay: timedelta = timedelta(0)
    max_delay: timedelta = MAX_DELAY
    then_every: timedelta | None = None  # a full window still lets one hit per this


def track_policy() -> Policy:
    """Failed tracking attempts (wrong ticket or PIN), from the settings."""
    s = get_settings()
    return Policy(
        bucket=TRACK_BUCKET,
        max_hits=s.track_max_failures,
        window=timedelta(minutes=s.track_window_minutes),
        refusal="Terlalu banyak percobaan yang gagal dari perangkat Anda.",
        slow_after=s.track_slow_after,
        base_delay=timedelta(seconds=s.track_delay_seconds),
    )


def ticket_policy() -> Policy:
    """Failed guesses at one ticket, whoever makes them, from the settings.

    The budget does not depend on the client key, so many addresses gain nothing on one
    ticket. Once it is spent the ticket is not locked: one guess is still evaluated
    every ``TRACK_TICKET_SLOW_SECONDS`` (for all clients together), so the owner with
    the right PIN gets in after waiting while a guesser gets a few guesses an hour.
    """
    s = get_settings()
    slow = timedelta(seconds=s.track_ticket_slow_seconds)
    return Policy(
        bucket=TICKET_BUCKET,
        max_hits=s.track_ticket_max_failures,
        window=timedelta(minutes=s.track_ticket_window_minutes),
        refusal=(
            "Terlalu banyak percobaan PIN yang gagal untuk nomor tiket ini. Demi keamanan, "
            f"PIN tiket ini hanya dapat dicoba sekali setiap {wait_text(slow)}."
        ),
        then_every=slow,
    )


def submit_policy() -> Policy:
    """Online submissions (and honeypot hits) per client per hour, from the settings."""
    return Policy(
        bucket=SUBMIT_BUCKET,
        max_hits=get_settings().submit_max_per_hour,
        window=timedelta(hours=1),
        refusal="Terlalu banyak pengaduan dikirim dari perangkat Anda dalam satu jam.",
    )


def client_id(raw: str | None) -> str:
    """The stored form of a client key: a hash, so no IP address is kept in clear."""
    key = (raw or "").strip() or UNKNOWN_CLIENT
    return hashlib.sha256(key.encode()).hexdigest()[:64]


def wait_text(wait: int | timedelta) -> str:
    """A wait in Indonesian: "45 detik", "7 menit" (minutes rounded up)."""
    seconds = int(wait.total_seconds()) if isinstance(wait, timedelta) else wait
    if seconds < 60:
        return f"{seconds} detik"
    minutes = -(-seconds // 60)
    return f"{minutes} menit"


def _recent(
    session: Session, policy: Policy, client: str, now: datetime, *, later: bool = False
) -> list[datetime]:
    query = select(RateLimitHit.at).where(
        RateLimitHit.bucket == policy.bucket,
        RateLimitHit.client == client_id(client),
        RateLimitHit.at > now - policy.window,
    )
    if not later:
        query = query.where(RateLimitHit.at <= now)
    return list(session.scalars(query.order_by(RateLimitHit.at)))


def _wait(
    session: Session, policy: Policy, client: str, now: datetime, *, later: bool = False
) -> int:
    hits = _recent(session, policy, client, now, later=later)
    count = len(hits)
    until = now
    if count >= policy.max_hits and policy.then_every is not None:
        until = hits[-1] + policy.then_every  # the slow path: one hit per then_every
    elif count >= policy.max_hits:
        # The request is allowed again once enough hits have left the window.
        until = hits[count - policy.max_hits] + policy.window
    elif policy.slow_after is not None and count >= policy.slow_after:
        delay = min(policy.base_delay * 2 ** (count - policy.slow_after), policy.max_delay)
        until = hits[-1] + delay
    seconds = (until - now).total_seconds()
    return max(0, int(-(-seconds // 1)))


def retry_after(*, policy: Policy, client: str, now: datetime | None = None) -> int:
    """Seconds this client must wait before the next request (0: it may go now)."""
    now = now or datetime.now(UTC)
    with read_session() as session:
        return _wait(session, policy, client, now)


def check(*, policy: Policy, client: str, now: datetime | None = None) -> None:
    """Refuse (``Throttled``) if this client must wait; otherwise return quietly."""
    wait = retry_after(policy=policy, client=client, now=now)
    if wait > 0:
        raise Throttled(f"{policy.refusal} Coba lagi dalam {wait_text(wait)}.", wait)


def hit(*, policy: Policy, client: str, now: datetime | None = None) -> None:
    """Count one request of this client, and forget hits that left the window."""
    now = now or datetime.now(UTC)
    with write_session() as session:
        _store(session, policy, client, now)


def _store(session: Session, policy: Policy, client: str, now: datetime) -> RateLimitHit:
    row = RateLimitHit(bucket=policy.bucket, client=client_id(client), at=now)
    session.add(row)
    session.execute(
        delete(RateLimitHit).where(
            RateLimitHit.bucket == policy.bucket,
            RateLimitHit.at <= now - policy.window,
        )
    )
    return row


@dataclass(frozen=True)
class Reservation:
    """The hits stored by ``reserve`` (ids of ``rate_limit_hits`` rows)."""

    hit_ids: tuple[int, ...]


def _lock(session: Session, claims: Sequence[tuple[Policy, str]]) -> None:
    """Hold every key of the attempt until the transaction ends (see the module doc)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE (db.engine) already holds the write lock
    keys = sorted(
        {
            int.from_bytes(
                hashlib.sha256(f"{p.bucket}\0{client_id(c)}".encode()).digest()[:8],
                "big",
                signed=True,
            )
            for p, c in claims
        }
    )
    for key in keys:  # one order for everyone: two attempts never wait on each other
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def reserve(*, claims: Sequence[tuple[Policy, str]], now: datetime | None = None) -> Reservation:
    """Count one attempt under every (policy, key) of ``claims``, or refuse it whole.

    Atomic: the keys are locked, every budget is checked and the hits are stored in one
    transaction, so parallel attempts are counted one after the other. A refusal
    (``Throttled``, the longest wait of all budgets) stores nothing.
    """
    with write_session() as session:
        _lock(session, claims)
        # The time is read once the keys are held, and hits stamped later than it (by a
        # replica whose clock runs ahead) count too: every attempt sees all before it.
        now = now or datetime.now(UTC)
        waits = [(_wait(session, policy, key, now, later=True), policy) for policy, key in claims]
        wait, policy = max(waits, key=lambda pair: pair[0])
        if wait > 0:
            raise Throttled(f"{policy.refusal} Coba lagi dalam {wait_text(wait)}.", wait)
        rows = [_store(session, policy, key, now) for policy, key in claims]
        session.flush()
        return Reservation(tuple(row.id for row in rows))


def refund(reservation: Reservation) -> None:
    """Take back the hits of a reservation (the attempt turned out not to count)."""
    if not reservation.hit_ids:
        return
    with write_session() as session:
        session.execute(delete(RateLimitHit).where(RateLimitHit.id.in_(reservation.hit_ids)))
