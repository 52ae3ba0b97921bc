"""Operations (issue 15): /healthz, /metrics and the structured logs.

The routes are served for real by ``streamlit run app.py`` (one server per backend, on
a free port, sharing the test database); the other cases call the route handlers or
the services directly.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from starlette.requests import Request
from streamlit.testing.v1 import AppTest

import config
from db.engine import read_session, write_session
from db.models import Complaint
from layanan import sop
from services import health, logs, metrics, outbox, workflow
from tests import factories
from tests.e2e.conftest import ROOT, running_app
from ui import ops_routes
from ui.session import USER_KEY

# --- helpers -------------------------------------------------------------------------


def run(coroutine):
    """``asyncio.run`` in a thread of its own (Playwright's sync API may own this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def request(path: str, *, headers: dict[str, str] | None = None, query: str = "") -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    return Request(scope)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a Prometheus exposition: (name, sorted labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


def queue_sizes_in_db() -> dict[int, int]:
    with read_session() as session:
        return dict(
            session.execute(
                select(Complaint.current_step, func.count())
                .where(Complaint.current_step.is_not(None))
                .group_by(Complaint.current_step)
            ).all()
        )


def an_email(complaint_id: int | None = None, *, due: datetime) -> int:
    message = EmailMessage()
    message["Message-ID"] = outbox.new_message_id()
    message["To"] = "warga@example.id"
    message["Subject"] = "Uji"
    message.set_content("uji")
    with write_session() as session:
        row = outbox.enqueue(
            session,
            kind="email",
            recipient="warga@example.id",
            message=message,
            complaint_id=complaint_id,
            now=due,
        )
        return row.id


def beat_now() -> None:
    """What a running worker does each loop: one round of the real sender loop."""
    outbox.run(threading.Event(), drain=True)


@pytest.fixture
def settings_env(monkeypatch):
    """Set environment variables for config.get_settings, undone after the test."""

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        config.get_settings.cache_clear()

    yield set_env
    monkeypatch.undo()
    config.get_settings.cache_clear()


# --- over real HTTP: streamlit run app.py ---------------------------------------------


@pytest.fixture(scope="module")
def server(db_url, tmp_path_factory):
    """``streamlit run app.py`` on the test database (OUTBOX_WORKER=external from
    tests/conftest.py: no sender of its own, so the test decides what the heartbeat says).
    """
    with running_app(db_url, tmp_path_factory.mktemp("ops-log") / "streamlit.log") as base:
        yield base


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.headers["content-type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"], error.read().decode()


# One server, on SQLite only: starting one costs seconds, and what it adds to the handler
# tests below (which run on both backends) is the HTTP path itself, that ``streamlit run
# app.py`` mounts the routes.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_server_answers_healthz_and_metrics_from_the_database(server, staff):
    base = server
    factories.new_complaint(staff)  # front desk: waits at the hand-over step
    factories.new_complaint(staff)
    factories.new_complaint(staff, channel=sop.Channel.ONLINE)  # waits to be received
    beat_now()

    status, kind, body = get(f"{base}{ops_routes.HEALTH_PATH}")
    assert (status, kind) == (200, "application/json")
    answer = json.loads(body)
    assert answer["status"] == "ok" and answer["failing"] == []
    assert set(answer["checks"]) == {"database", "outbox", "worker"}

    status, kind, body = get(f"{base}{ops_routes.METRICS_PATH}")
    assert status == 200 and kind.startswith("text/plain")
    got = samples(body)
    expected = queue_sizes_in_db()
    assert sorted(expected.values()) == [1, 2]
    for step in sop.table().steps:
        key = ("layanan_queue_size", (("step", str(step.number)),))
        assert got[key] == expected.get(step.number, 0)
    assert got[("layanan_database_up", ())] == 1
    assert {"layanan_actions_performed", "layanan_page_run_seconds"} <= families(body)

    # A message due for longer than HEALTH_OUTBOX_MAX_LAG_SECONDS, no sender taking it.
    limit = config.get_settings().health_outbox_max_lag_seconds
    an_email(due=datetime.now(UTC) - timedelta(seconds=limit + 60))
    status, _, body = get(f"{base}{ops_routes.HEALTH_PATH}")
    answer = json.loads(body)
    assert status == 503
    assert answer["failing"] == ["outbox"]
    assert answer["checks"]["outbox"]["oldest_due_seconds"] > limit
    got = samples(get(f"{base}{ops_routes.METRICS_PATH}")[2])
    assert got[("layanan_outbox_messages", (("status", "pending"),))] == 1
    assert got[("layanan_outbox_oldest_due_seconds", ())] > limit


# --- health, through the route handler ------------------------------------------------


def test_health_fails_naming_the_worker_when_its_heartbeat_is_old_or_missing(db):
    report = health.check()
    assert report.failing == ["worker"]  # no worker has ever run on this database

    beat_now()
    assert health.check().ok
    silence = config.get_settings().health_worker_max_silence_seconds
    later = datetime.now(UTC) + timedelta(seconds=silence + 5)
    assert health.check(now=later).failing == ["worker"]
    # The load balancer's question leaves the site-wide worker out.
    assert health.check(scope="replica", now=later).ok


def test_a_message_waiting_out_its_backoff_is_not_late(db):
    beat_now()
    an_email(due=datetime.now(UTC) + timedelta(hours=1))  # a retry planned for later
    assert health.check().ok


def test_health_is_503_naming_the_database_when_it_is_unreachable(settings_env):
    # Nothing listens on port 1: the connection is refused at once.
    settings_env(DATABASE_URL="postgresql+psycopg://nobody:x@127.0.0.1:1/none")
    response = run(ops_routes.healthz(request(ops_routes.HEALTH_PATH)))
    body = json.loads(response.body)
    assert response.status_code == 503
    assert body["failing"] == ["database"]
    assert "checks" in body and body["checks"]["database"]["ok"] is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HEALTH_OUTBOX_MAX_LAG_SECONDS", "5", "OUTBOX_POLL_SECONDS"),
        ("HEALTH_WORKER_MAX_SILENCE_SECONDS", "40", "heartbeat interval"),
        ("HEALTH_TIMEOUT_SECONDS", "nol", "whole number"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
    ],
)
def test_a_wrong_operations_setting_stops_the_app(settings_env, name, value, message):
    with pytest.raises(config.ConfigError, match=message):
        settings_env(**{name: value})
        config.get_settings()


# --- metrics ---------------------------------------------------------------------------


def test_metrics_want_the_token_when_one_is_configured(db, settings_env):
    settings_env(METRICS_TOKEN="rahasia-scrape")
    refused = run(ops_routes.metrics_route(request(ops_routes.METRICS_PATH)))
    wrong = run(
        ops_routes.metrics_route(
            request(ops_routes.METRICS_PATH, headers={"Authorization": "Bearer salah"})
        )
    )
    allowed = run(
        ops_routes.metrics_route(
            request(ops_routes.METRICS_PATH, headers={"Authorization": "Bearer rahasia-scrape"})
        )
    )
    assert (refused.status_code, wrong.status_code, allowed.status_code) == (401, 401, 200)
    assert "layanan_queue_size" in families(allowed.body.decode())


def test_the_metrics_route_reports_the_queues_and_backlog_in_the_database(staff):
    for channel in (sop.Channel.DATANG_LANGSUNG, sop.Channel.ONLINE, sop.Channel.ONLINE):
        factories.new_complaint(staff, channel=channel)
    an_email(due=datetime.now(UTC) - timedelta(seconds=30))
    response = run(ops_routes.metrics_route(request(ops_routes.METRICS_PATH)))
    got = samples(response.body.decode())
    expected = queue_sizes_in_db()
    assert sorted(expected.values()) == [1, 2]
    for step in sop.table().steps:
        key = ("layanan_queue_size", (("step", str(step.number)),))
        assert got[key] == expected.get(step.number, 0)
    assert got[("layanan_outbox_messages", (("status", "pending"),))] == 1
    assert got[("layanan_outbox_oldest_due_seconds", ())] >= 30


def action_count(step: int, action: str) -> float:
    body, _ = metrics.exposition(None)
    key = ("layanan_actions_performed_total", (("action", action), ("step", str(step))))
    return samples(body.decode()).get(key, 0.0)


def test_actions_are_counted_after_their_commit_only(staff):
    created = factories.new_complaint(staff)
    step = factories.state(created.complaint_id).current_step
    act = next(a for a in sop.actions_at(step) if a.moves and not a.secondary)
    before = action_count(step, act.key)
    actor = factories.actor_for(act.key, staff)

    with pytest.raises(RuntimeError), write_session() as session:  # rolled back
        workflow.perform(
            complaint_id=created.complaint_id,
            action=act.key,
            user_id=actor.id,
            expected_version=created.version,
            payload=factories.payload_for(act.key, staff),
            session=session,
        )
        raise RuntimeError("the caller's transaction fails after the action")
    assert action_count(step, act.key) == before

    factories.do(actor, created.complaint_id, act.key, factories.payload_for(act.key, staff))
    assert action_count(step, act.key) == before + 1


# --- logs ------------------------------------------------------------------------------


@pytest.fixture
def log_lines():
    """The JSON lines the ``layanan`` loggers write during the test."""
    stream = io.StringIO()
    handler = logs.configure(stream=stream, fmt="json")
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logs.unconfigure(handler)


def test_an_action_logs_its_user_and_ticket_and_never_the_complainant(staff, log_lines):
    created = factories.new_complaint(
        staff, complainant_name="Siti Aminah", body="Sertifikat saya hilang di kantor dinas."
    )
    step = factories.state(created.complaint_id).current_step
    act = next(a for a in sop.actions_at(step) if a.moves and not a.secondary)
    actor = factories.actor_for(act.key, staff)
    factories.do(actor, created.complaint_id, act.key, factories.payload_for(act.key, staff))

    lines = log_lines()
    actions = [line for line in lines if line.get("event") == "action"]
    # The two intake actions of the front desk, then the hand-over.
    assert [line["action"] for line in actions][-1] == act.key
    last = actions[-1]
    assert last["user"] == actor.username
    assert last["user_id"] == actor.id
    assert last["ticket"] == created.ticket
    assert last["step"] == step and last["logger"] == "layanan.workflow"
    assert all(line["ticket"] == created.ticket for line in actions)
    assert actions[0]["user"] == staff.petugas.username
    raw = json.dumps(lines)
    for secret in ("Siti", "Aminah", "081234567890", "siti@example.id", "Sertifikat saya"):
        assert secret not in raw


def test_a_page_run_is_timed_and_logged_with_its_user_page_and_ticket(staff, log_lines):
    created = factories.new_complaint(staff)
    before = samples(metrics.exposition(None)[0].decode()).get(
        ("layanan_page_run_seconds_count", (("page", "pengaduan"),)), 0.0
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state[USER_KEY] = staff.petugas.id
    at.run()
    at.query_params["tiket"] = created.ticket
    at.switch_page("pages/complaint.py").run()
    assert not at.exception

    runs = [line for line in log_lines() if line.get("event") == "page_run"]
    assert runs, "no page_run line"
    line = runs[-1]
    assert line["page"] == "pengaduan"
    assert line["user"] == staff.petugas.username
    assert line["roles"] == sorted(staff.petugas.roles)
    assert line["ticket"] == created.ticket
    assert line["duration_ms"] > 0
    after = samples(metrics.exposition(None)[0].decode())[
        ("layanan_page_run_seconds_count", (("page", "pengaduan"),))
    ]
    assert after == before + 1
    assert "Siti" not in json.dumps(runs)
