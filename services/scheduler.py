"""The periodic evaluation of reminders, escalations and digests, inside the outbox worker.

APScheduler (``BackgroundScheduler``) does the timing: one job, every minute, that runs
``services.notifications.evaluate``. Several app processes may each run a scheduler
(embedded worker) or a ``python -m services.outbox`` process may run it; the evaluation
itself makes that safe: on PostgreSQL only the process that gets the advisory lock
evaluates in a given minute (the lock ends with its transaction, so a process that died
mid-evaluation frees it for the next minute's run of another process), and the unique
key of each notification keeps it single whatever happens. On SQLite the evaluation is a
``BEGIN IMMEDIATE`` transaction, so processes evaluate one after the other.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("layanan.scheduler")

JOB_ID = "notifications"
INTERVAL_SECONDS = 60

_lock = threading.Lock()
_scheduler: BackgroundScheduler | None = None


def tick() -> None:
    """One evaluation; an error is logged, never raised into the scheduler thread."""
    from services import notifications

    try:
        result = notifications.evaluate()
    except Exception:  # a database hiccup must not stop the schedule
        log.exception("notification evaluation failed; retrying next minute")
        return
    if not result.ran:
        log.debug("another process evaluates this minute")
    elif result.notifications or result.digests:
        log.info("notifications: %s new, digests: %s new", result.notifications, result.digests)


def start() -> BackgroundScheduler:
    """Start this process's scheduler once (later calls return the running one)."""
    global _scheduler
    with _lock:
        if _scheduler is None or not _scheduler.running:
            scheduler = BackgroundScheduler(
                timezone=UTC,
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            )
            scheduler.add_job(
                tick,
                IntervalTrigger(seconds=INTERVAL_SECONDS, timezone=UTC),
                id=JOB_ID,
                next_run_time=datetime.now(UTC),
                replace_existing=True,
            )
            scheduler.start()
            _scheduler = scheduler
            log.info("scheduler started: notifications every %ss", INTERVAL_SECONDS)
        return _scheduler


def stop() -> None:
    global _scheduler
    with _lock:
        if _scheduler is not None and _scheduler.running:
            _scheduler.shutdown(wait=True)
        _scheduler = None
