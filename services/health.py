"""Is this replica able to serve, and is the outbox being sent? The checks of /healthz.

Three checks, each named in the answer (docs/operations.md "Health"):

- ``database``: a trivial query (``SELECT 1``) through the app's own engine;
- ``outbox``: how long the longest-waiting due, unsent message has been due
  (``services.outbox.oldest_due_since``), against ``HEALTH_OUTBOX_MAX_LAG_SECONDS``;
- ``worker``: the age of the last heartbeat of any outbox worker
  (``services.outbox.write_heartbeat``), against ``HEALTH_WORKER_MAX_SILENCE_SECONDS``.

``database`` concerns this replica; ``outbox`` and ``worker`` concern the whole site (every
replica answers the same). ``scope="replica"`` runs the database check only: what a load
balancer should ask, so that a stopped mail worker does not take every replica out.
Nothing here names a complaint, a user or a recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from config import get_settings
from db.engine import read_session
from services import outbox

SCOPES = ("site", "replica")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failing(self) -> list[str]:
        return [check.name for check in self.checks if not check.ok]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "fail",
            "failing": self.failing,
            "checks": {c.name: {"ok": c.ok, "detail": c.detail, **c.values} for c in self.checks},
        }


def _seconds(later: datetime, earlier: datetime) -> float:
    return round(max((later - earlier).total_seconds(), 0.0), 1)


def check(*, scope: str = "site", now: datetime | None = None, url: str | None = None) -> Report:
    """Run the checks of ``scope``; never raises (a failure is a failing check)."""
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r}: use one of {SCOPES}")
    settings = get_settings()
    now = now or datetime.now(UTC)
    try:
        with read_session(url) as session:
            session.execute(text("SELECT 1"))
            checks = [Check("database", True, "reachable")]
            if scope == "site":
                checks += [_outbox(session, now, settings), _worker(session, now, settings)]
    except Exception as exc:  # any driver error: the database is what failed
        return Report([Check("database", False, f"unreachable ({exc.__class__.__name__})")])
    return Report(checks)


def _outbox(session, now: datetime, settings) -> Check:
    limit = settings.health_outbox_max_lag_seconds
    since = outbox.oldest_due_since(session, now=now)
    lag = 0.0 if since is None else _seconds(now, since)
    values = {"oldest_due_seconds": lag, "max_seconds": limit}
    if lag > limit:
        return Check("outbox", False, f"a due message has waited {lag:.0f} s", values)
    return Check("outbox", True, "no message waits too long", values)


def _worker(session, now: datetime, settings) -> Check:
    limit = settings.health_worker_max_silence_seconds
    beat = outbox.last_heartbeat(session)
    if beat is None:
        return Check("worker", False, "no outbox worker has ever run", {"max_seconds": limit})
    age = _seconds(now, beat.at)
    values = {"heartbeat_age_seconds": age, "max_seconds": limit, "mode": beat.mode}
    if age > limit:
        return Check("worker", False, f"last heartbeat {age:.0f} s ago", values)
    return Check("worker", True, "heartbeat is recent", values)
