"""The Prometheus metrics of /metrics (prometheus_client; docs/operations.md "Metrics").

Two kinds, kept apart on purpose:

- **Read from the database at each scrape** (``DatabaseCollector``): numbers that every
  replica must report alike, whichever one is scraped: complaints waiting at each SOP
  step, the outbox backlog per status, how long the oldest due message has been due,
  the age of the worker heartbeat. A replica counting these in memory would know only
  its own share.
- **Counted by this process**: actions performed through ``services.workflow`` (after
  their transaction committed) and the duration of each Streamlit script run (a page
  view or a rerun after a click). Sum them over replicas in Prometheus
  (``sum by (step) (rate(layanan_actions_performed_total[5m]))``).

Every metric has its own registry (``REGISTRY``), not prometheus_client's global one,
so that importing this module twice (Streamlit reruns) or in tests never duplicates a
series. Labels are bounded: SOP step numbers and action keys from ``layanan.sop``, page
paths from app.py, outbox statuses; never a ticket, a user or free text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from db.engine import read_session
from db.models import Complaint, OutboxMessage
from layanan import sop
from services import outbox

log = logging.getLogger("layanan.metrics")

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # process_cpu_seconds_total, resident memory, ...

ACTIONS = Counter(
    "layanan_actions_performed",
    "SOP actions performed by this process (committed), by step and action.",
    ("step", "action"),
    registry=REGISTRY,
)
# A page view after a click is the server part of "click to settled": 0.36 s p50 on
# one idle server at 100,000 complaints; buckets reach well past the 13.6 s p95 of 20
# sessions on one core (issue 15).
PAGE_RUN = Histogram(
    "layanan_page_run_seconds",
    "Duration of one Streamlit script run (page view or rerun), by page path.",
    ("page",),
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60),
    registry=REGISTRY,
)


def count_action(*, step: int, action: str) -> None:
    ACTIONS.labels(step=str(step), action=action).inc()


def observe_page_run(*, page: str, seconds: float) -> None:
    PAGE_RUN.labels(page=page or "-").observe(seconds)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time (identical on every replica)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url

    def describe(self):  # no database query when the collector is registered
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "layanan_database_up", "1 if the database answered this scrape's queries, else 0."
        )
        try:
            families = self._read(datetime.now(UTC))
        except Exception as exc:  # the scrape still answers, saying what is missing
            log.warning("metrics: database unreachable (%s)", exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self, now: datetime) -> list[GaugeMetricFamily]:
        with read_session(self.url) as session:
            queued = dict(
                session.execute(
                    select(Complaint.current_step, func.count())
                    .where(Complaint.current_step.is_not(None))
                    .group_by(Complaint.current_step)
                ).all()
            )
            statuses = dict(
                session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.status.in_((*outbox.OPEN_STATUSES, outbox.FAILED)))
                    .group_by(OutboxMessage.status)
                ).all()
            )
            due_since = outbox.oldest_due_since(session, now=now)
            beat = outbox.last_heartbeat(session)
        queue = GaugeMetricFamily(
            "layanan_queue_size",
            "Open complaints waiting at each SOP step (the step's queue), all replicas.",
            labels=("step",),
        )
        for step in sop.table().steps:
            queue.add_metric([str(step.number)], queued.get(step.number, 0))
        backlog = GaugeMetricFamily(
            "layanan_outbox_messages",
            "Outbox messages not sent: pending and sending (backlog) and failed.",
            labels=("status",),
        )
        for status in (*outbox.OPEN_STATUSES, outbox.FAILED):
            backlog.add_metric([status], statuses.get(status, 0))
        oldest = GaugeMetricFamily(
            "layanan_outbox_oldest_due_seconds",
            "How long the longest-waiting due, unsent outbox message has been due (0: none).",
        )
        oldest.add_metric([], 0 if due_since is None else (now - due_since).total_seconds())
        families = [queue, backlog, oldest]
        if beat is not None:
            heartbeat = GaugeMetricFamily(
                "layanan_worker_heartbeat_age_seconds",
                "Seconds since an outbox worker last wrote its heartbeat (absent: never).",
            )
            heartbeat.add_metric([], max((now - beat.at).total_seconds(), 0.0))
            families.append(heartbeat)
        return families


REGISTRY.register(DatabaseCollector())


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The scrape body and its content type, in the format the scraper accepts."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(REGISTRY), content_type
