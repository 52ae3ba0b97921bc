"""The transactional outbox: enqueue in the caller's transaction, claim, send, retry, record.

Every test talks to a real SMTP server (aiosmtpd on 127.0.0.1) and runs on SQLite and
PostgreSQL. The process tests run ``python -m services.outbox`` as real subprocesses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

import config
from config import ROOT, ConfigError
from db.engine import read_session, write_session
from db.models import OutboxAttempt, OutboxMessage
from services import outbox
from tests.conftest import point_smtp_to
from tests.mailserver import free_port


def plain_message(recipient: str = "siti@example.id", n: int = 0) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Layanan Pengaduan <pengaduan@diskop.example.go.id>"
    msg["To"] = recipient
    msg["Subject"] = f"Pemberitahuan {n}"
    msg["Message-ID"] = outbox.new_message_id()
    msg.set_content(f"Pesan nomor {n}.")
    return msg


def queue(recipient: str = "siti@example.id", n: int = 0) -> int:
    with write_session() as session:
        return outbox.enqueue(
            session, kind="email", recipient=recipient, message=plain_message(recipient, n)
        ).id


def attempts(message_pk: int) -> list[OutboxAttempt]:
    return outbox.attempts_of(message_pk)


def test_an_accepted_message_is_sent_once_with_its_message_id_and_the_attempt_recorded(
    db, smtp_server
):
    inbox = smtp_server()
    pk = queue()
    before = outbox.message_state(pk)
    assert before.status == "pending" and before.attempts == 0
    assert inbox.messages == []  # nothing leaves at enqueue
    assert outbox.process_due() == {"sent": 1}
    state = outbox.message_state(pk)
    assert state.status == "sent" and state.attempts == 1 and state.sent_at is not None
    [(sender, recipients, _raw)] = inbox.messages
    assert sender == "pengaduan@diskop.example.go.id" and recipients == ["siti@example.id"]
    assert inbox.message_ids() == [before.message_id]
    assert before.message_id.endswith("@diskop.example.go.id>")
    [attempt] = attempts(pk)
    assert attempt.ok and attempt.error is None
    assert outbox.process_due() == {}  # a sent message is never claimed again
    assert len(inbox.messages) == 1


def test_a_permanent_refusal_fails_the_message_with_the_servers_reply(db, smtp_server):
    inbox = smtp_server(refuse="550 5.1.1 Mailbox unavailable")
    pk = queue()
    assert outbox.process_due() == {"failed": 1}
    state = outbox.message_state(pk)
    assert state.status == "failed"
    assert "Server pos-el menolak alamat siti@example.id" in state.last_error
    assert "550 5.1.1 Mailbox unavailable" in state.last_error
    [attempt] = attempts(pk)
    assert not attempt.ok and "550" in attempt.error
    assert inbox.messages == []
    assert outbox.process_due() == {}  # failed is final


def test_a_server_that_is_down_gets_retries_with_exponential_backoff(db, smtp_server, monkeypatch):
    port = free_port()
    point_smtp_to(monkeypatch, port)  # nobody listens there yet
    pk = queue()
    t0 = datetime.now(UTC) + timedelta(seconds=1)
    assert outbox.process_due(now=t0) == {"pending": 1}
    first = outbox.message_state(pk)
    assert first.status == "pending" and first.attempts == 1
    assert first.next_attempt_at == t0 + timedelta(seconds=60)  # OUTBOX_BACKOFF_SECONDS
    assert "Server pos-el tidak dapat dihubungi" in first.last_error
    assert "Akan dicoba lagi pukul" in first.last_error and "WITA" in first.last_error
    assert outbox.process_due(now=t0 + timedelta(seconds=59)) == {}  # not due yet
    t1 = t0 + timedelta(seconds=60)
    assert outbox.process_due(now=t1) == {"pending": 1}
    assert outbox.message_state(pk).next_attempt_at == t1 + timedelta(seconds=120)  # doubled

    inbox = smtp_server(port=port)  # the server is back
    assert outbox.process_due(now=t1 + timedelta(seconds=120)) == {"sent": 1}
    state = outbox.message_state(pk)
    assert state.status == "sent" and state.attempts == 3 and state.last_error is None
    assert [a.ok for a in attempts(pk)] == [False, False, True]
    assert inbox.message_ids() == [state.message_id]


def test_a_temporary_refusal_is_retried_and_the_last_attempt_fails_it(db, smtp_server, monkeypatch):
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "2")
    inbox = smtp_server(refuse="451 4.3.0 Mailbox busy, try later")
    pk = queue()
    t0 = datetime.now(UTC) + timedelta(seconds=1)
    assert outbox.process_due(now=t0) == {"pending": 1}
    assert "451 4.3.0" in outbox.message_state(pk).last_error
    assert outbox.process_due(now=t0 + timedelta(minutes=5)) == {"failed": 1}
    state = outbox.message_state(pk)
    assert state.status == "failed" and "Sudah dicoba 2 kali" in state.last_error
    assert len(attempts(pk)) == 2 and inbox.messages == []


def test_without_smtp_host_the_message_fails_with_the_reason(db, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "")
    config.get_settings.cache_clear()
    pk = queue()
    assert outbox.process_due() == {"failed": 1}
    assert "SMTP_HOST" in outbox.message_state(pk).last_error


def test_a_rolled_back_transaction_leaves_no_message(db, smtp_server):
    inbox = smtp_server()
    with pytest.raises(RuntimeError), write_session() as session:
        outbox.enqueue(session, kind="email", recipient="a@example.id", message=plain_message())
        raise RuntimeError("the caller's transaction fails after enqueue")
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert outbox.process_due() == {}
    assert inbox.messages == []


def test_enqueue_refuses_a_message_without_message_id_or_an_unknown_kind(db):
    msg = plain_message()
    del msg["Message-ID"]
    with pytest.raises(ValueError, match="Message-ID"), write_session() as session:
        outbox.enqueue(session, kind="email", recipient="a@example.id", message=msg)
    with pytest.raises(ValueError, match="not registered"), write_session() as session:
        outbox.enqueue(session, kind="merpati", recipient="a@example.id", message=plain_message())


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(db, smtp_server):
    smtp_server()
    pk = queue()
    now = datetime.now(UTC) + timedelta(seconds=1)
    [claimed] = outbox.claim(now=now)
    assert claimed.id == pk and claimed.attempt == 1
    lease = config.get_settings().outbox_lease_seconds
    assert claimed.lease_until == now + timedelta(seconds=lease)
    assert outbox.claim(now=now + timedelta(seconds=lease - 1)) == []
    [again] = outbox.claim(now=now + timedelta(seconds=lease))
    assert again.attempt == 2 and again.message_id == claimed.message_id
    # The first claim's late result is recorded as an attempt but does not decide.
    assert outbox.record(claimed, outbox.Outcome(True)) == "sending"
    assert outbox.deliver_claim(again) == "sent"
    oks = [a.ok for a in attempts(pk)]
    assert oks == [False, True, True]  # lost (lease expired), late success, the decider
    assert attempts(pk)[0].error == outbox.LOST_ATTEMPT


# --- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OUTBOX_WORKER": "thread"}, "OUTBOX_WORKER='thread'"),
        ({"OUTBOX_MAX_ATTEMPTS": "0"}, "OUTBOX_MAX_ATTEMPTS=0"),
        ({"OUTBOX_POLL_SECONDS": "sering"}, "OUTBOX_POLL_SECONDS"),
        ({"OUTBOX_LEASE_SECONDS": "20", "SMTP_TIMEOUT_SECONDS": "20"}, "OUTBOX_LEASE_SECONDS=20"),
    ],
)
def test_bad_outbox_settings_fail_loudly(monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config.get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match=message):
            config.get_settings()
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()


def test_the_outbox_worker_defaults_to_embedded(monkeypatch, tmp_path):
    monkeypatch.delenv("OUTBOX_WORKER")
    monkeypatch.setenv("LAYANAN_SECRETS_FILE", str(tmp_path / "none.toml"))
    config.get_settings.cache_clear()
    try:
        assert config.get_settings().outbox_worker == "embedded"
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()


def test_the_embedded_worker_starts_once_per_process_and_sends(db, smtp_server, monkeypatch):
    inbox = smtp_server()
    monkeypatch.setenv("OUTBOX_WORKER", "embedded")
    monkeypatch.setenv("OUTBOX_POLL_SECONDS", "1")
    config.get_settings.cache_clear()
    try:
        assert outbox.start_embedded_worker() is True
        first = outbox._worker
        assert outbox.start_embedded_worker() is True
        assert outbox._worker is first and first.is_alive()
        assert [t.name for t in threading.enumerate()].count("outbox-sender") == 1
        pk = queue()
        deadline = time.monotonic() + 15
        while outbox.message_state(pk).status != "sent" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert outbox.message_state(pk).status == "sent"
        assert len(inbox.messages) == 1
    finally:
        outbox.stop_embedded_worker()
    monkeypatch.setenv("OUTBOX_WORKER", "external")
    config.get_settings.cache_clear()
    assert outbox.start_embedded_worker() is False
    assert outbox._worker is None


def test_the_app_starts_one_embedded_sender_per_process_not_per_run(db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("OUTBOX_WORKER", "embedded")
    config.get_settings.cache_clear()
    try:
        for _ in range(3):  # three runs (page views, reruns) of app.py in this process
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
            assert not at.exception
        names = [t.name for t in threading.enumerate()]
        assert names.count("outbox-sender") == 1
    finally:
        outbox.stop_embedded_worker()
        monkeypatch.setenv("OUTBOX_WORKER", "external")
        config.get_settings.cache_clear()


# --- sender processes ------------------------------------------------------------------

# A sender that dies (os._exit, no cleanup, no commit) right after the SMTP server
# accepted a message, before the record of that acceptance commits.
CRASHING_SENDER = """
import os, sys
from services import outbox

real_send = outbox.send

def send_then_die(raw, recipient):
    outcome = real_send(raw, recipient)
    if outcome.ok:
        os._exit(17)
    return outcome

outbox.send = send_then_die
sys.exit(outbox.main(["--drain"]))
"""


def sender(*args: str, code: str | None = None) -> subprocess.Popen:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "services.outbox"]
    return subprocess.Popen(
        [*command, *args],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def test_the_sender_process_stops_cleanly_on_sigterm(db, smtp_server):
    smtp_server()
    process = sender()
    deadline = time.monotonic() + 30
    seen = ""
    while "outbox sender started" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    assert "outbox sender started" in seen
    process.send_signal(signal.SIGTERM)
    code, out, err = finish(process, timeout=30)
    assert code == 0, err
    assert "outbox sender stopped" in err and "sent=0" in out


def test_a_sender_killed_after_acceptance_resends_the_same_message_id_once(
    db, smtp_server, monkeypatch
):
    monkeypatch.setenv("SMTP_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("OUTBOX_LEASE_SECONDS", "4")
    inbox = smtp_server()
    pk = queue()
    code, _, err = finish(sender(code=CRASHING_SENDER))
    assert code == 17, err
    assert len(inbox.messages) == 1  # the server accepted it ...
    crashed = outbox.message_state(pk)
    assert crashed.status == "sending" and attempts(pk) == []  # ... and nothing recorded it

    with read_session() as session:
        lease_until = session.get(OutboxMessage, pk).lease_until
    # Nobody takes it while the dead sender's lease holds (asked at an instant inside
    # it: on a loaded machine the crash alone may outlast the 4 s).
    assert outbox.claim(now=lease_until - timedelta(seconds=1)) == []
    time.sleep(max(0.0, (lease_until - datetime.now(UTC)).total_seconds()) + 0.1)
    code, out, err = finish(sender("--drain"))
    assert code == 0, err
    assert "sent=1" in out
    assert inbox.copies() == {crashed.message_id: 2}  # two copies, one Message-ID
    state = outbox.message_state(pk)
    assert state.status == "sent" and state.attempts == 2
    assert [(a.ok, a.error) for a in attempts(pk)] == [(False, outbox.LOST_ATTEMPT), (True, None)]


def test_two_sender_processes_deliver_500_messages_exactly_once(db, smtp_server, backend):
    inbox = smtp_server()
    with write_session() as session:
        queued = [
            outbox.enqueue(
                session,
                kind="email",
                recipient=f"pemohon{n}@example.id",
                message=plain_message(f"pemohon{n}@example.id", n),
            ).message_id
            for n in range(500)
        ]
    started = time.monotonic()
    processes = [sender("--drain"), sender("--drain")]
    results = [finish(p, timeout=120) for p in processes]
    elapsed = time.monotonic() - started
    for code, _, err in results:
        assert code == 0, err
    per_process = [int(out.split("sent=")[1].split()[0]) for _, out, _ in results]
    print(f"{backend}: 500 messages, 2 senders, {elapsed:.1f} s, split {per_process}")
    assert sum(per_process) == 500
    assert all(n > 0 for n in per_process)  # both processes took part
    copies = inbox.copies()
    assert len(inbox.messages) == 500
    assert set(copies) == set(queued) and set(copies.values()) == {1}
    with read_session() as session:
        statuses = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        oks = session.scalar(select(func.count()).select_from(OutboxAttempt))
    assert dict(statuses) == {"sent": 500} and oks == 500
    assert elapsed < 60
