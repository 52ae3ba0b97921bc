"""Throttling of the public pages, stored in the database so it holds across replicas.

Each counted request is a ``RateLimitHit`` row (bucket, client, instant). A policy is a
sliding window: at most ``max_hits`` hits per ``window``; optionally, from the
``slow_after``-th hit on, the client must also wait ``base_delay`` after its last hit,
doubling with every further hit up to ``max_delay`` (the tracking page: failures are
slowed, then refused). Clients are stored as a hash, never as a plain IP address.

Two replicas checking the same client at the same instant may both let one request
through: the limits are approximate by one or two requests, which is enough to stop
guessing and spam and needs no lock on a public page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from config import get_settings
from db.engine import read_session, write_session
from db.models import RateLimitHit
from layanan.errors import NotAllowed

TRACK_BUCKET = "track-fail"
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


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} detik"
    minutes = -(-seconds // 60)
    return f"{minutes} menit"


def _recent(policy: Policy, client: str, now: datetime) -> list[datetime]:
    with read_session() as session:
        return list(
            session.scalars(
                select(RateLimitHit.at)
                .where(
                    RateLimitHit.bucket == policy.bucket,
                    RateLimitHit.client == client_id(client),
                    RateLimitHit.at > now - policy.window,
                    RateLimitHit.at <= now,
                )
                .order_by(RateLimitHit.at)
            )
        )


def retry_after(*, policy: Policy, client: str, now: datetime | None = None) -> int:
    """Seconds this client must wait before the next request (0: it may go now)."""
    now = now or datetime.now(UTC)
    hits = _recent(policy, client, now)
    count = len(hits)
    until = now
    if count >= policy.max_hits:
        # The request is allowed again once enough hits have left the window.
        until = hits[count - policy.max_hits] + policy.window
    elif policy.slow_after is not None and count >= policy.slow_after:
        delay = min(policy.base_delay * 2 ** (count - policy.slow_after), policy.max_delay)
        until = hits[-1] + delay
    seconds = (until - now).total_seconds()
    return max(0, int(-(-seconds // 1)))


def check(*, policy: Policy, client: str, now: datetime | None = None) -> None:
    """Refuse (``Throttled``) if this client must wait; otherwise return quietly."""
    wait = retry_after(policy=policy, client=client, now=now)
    if wait > 0:
        raise Throttled(f"{policy.refusal} Coba lagi dalam {_wait_text(wait)}.", wait)


def hit(*, policy: Policy, client: str, now: datetime | None = None) -> None:
    """Count one request of this client, and forget hits that left the window."""
    now = now or datetime.now(UTC)
    with write_session() as session:
        session.add(RateLimitHit(bucket=policy.bucket, client=client_id(client), at=now))
        session.execute(
            delete(RateLimitHit).where(
                RateLimitHit.bucket == policy.bucket,
                RateLimitHit.at <= now - policy.window,
            )
        )
