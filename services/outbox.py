"""The transactional outbox: everything that leaves the office goes through here.

A message is written by ``enqueue(session, ...)`` in the caller's transaction, the same
one that appends the event causing it: if that transaction rolls back, there is no
message; if it commits, the message will be sent. Nothing is sent before commit.

The sender (``process_due``, ``send_now``, or the loop ``run``) works in three short
transactions per message and holds no database lock while it talks to the mail server:

1. **claim**: due messages (``pending`` whose ``next_attempt_at`` has come, or
   ``sending`` whose lease ran out) are selected ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so several sender processes never claim the same message; on SQLite the
   claim is one short ``BEGIN IMMEDIATE`` transaction. The claim sets ``sending``, adds
   one to ``attempts`` (the claim's fencing token) and a lease longer than the SMTP
   timeout. A message that is no longer wanted (its kind says so, e.g. the complaint
   was delivered by hand meanwhile) is ``cancelled`` instead.
2. **send** the stored bytes over SMTP, after the claim committed.
3. **record** the attempt (``outbox_attempts``) and the outcome: ``sent`` (and the
   kind's follow-up in the same transaction, e.g. SOP step 11 recorded), ``pending``
   again with exponential backoff after a transient failure (connection error, 4xx),
   ``failed`` after a permanent refusal (5xx) or the last allowed attempt.

A sender that dies between 2 and 3 leaves the message ``sending``; once the lease has
run out another claim takes it, records the lost attempt, and sends the *same bytes*,
hence the same Message-ID: a crash resends at most once more, and the recipient's mail
system can recognise the copy.

``python -m services.outbox`` runs the sender as its own process (deployments,
``OUTBOX_WORKER=external``); on the embedded default the app starts one sender thread
per process (``start_embedded_worker``). Either way the worker also runs the scheduler
(``services.scheduler``): every minute it evaluates the staff reminders, escalations and
morning digests (``services.notifications``), whose e-mails come back here as outbox rows.
"""

from __future__ import annotations

import argparse
import email
import importlib
import logging
import os
import re
import signal
import smtplib
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from config import WORKER_HEARTBEAT_SECONDS, get_settings
from db.engine import read_session, write_session
from db.models import OutboxAttempt, OutboxMessage, Setting
from layanan.calendar import OFFICE_TZ
from layanan.errors import WorkflowError

log = logging.getLogger("layanan.outbox")

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"
STATUSES = (PENDING, SENDING, SENT, FAILED, CANCELLED)
OPEN_STATUSES = (PENDING, SENDING)
MAX_BACKOFF = timedelta(hours=6)

# Modules that register kinds with follow-ups; imported on first use, so that this
# module does not import them (they import it to enqueue).
KIND_MODULES = ("services.delivery", "services.notifications", "services.complainant_messages")


# --- kinds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What a kind of message does around its sending.

    ``cancel_reason(session, message)`` runs in the claim transaction: a reason (in
    Indonesian) cancels the message instead of sending it. ``on_sent(session, message,
    now)`` runs in the transaction that records the accepted send. ``transport(raw,
    recipient)`` sends the stored bytes (default: SMTP, ``send``); it never raises.
    """

    name: str
    cancel_reason: Callable[[Session, OutboxMessage], str | None] | None = None
    on_sent: Callable[[Session, OutboxMessage, datetime], None] | None = None
    transport: Callable[[bytes, str], Outcome] | None = None


_kinds: dict[str, Kind] = {"email": Kind("email")}  # a plain e-mail, no follow-up
_kinds_loaded = False


def register_kind(
    name: str,
    *,
    cancel_reason: Callable[[Session, OutboxMessage], str | None] | None = None,
    on_sent: Callable[[Session, OutboxMessage, datetime], None] | None = None,
    transport: Callable[[bytes, str], Outcome] | None = None,
) -> Kind:
    kind = Kind(name, cancel_reason, on_sent, transport)
    _kinds[name] = kind
    return kind


def get_kind(name: str) -> Kind:
    global _kinds_loaded
    if not _kinds_loaded:
        for module in KIND_MODULES:
            importlib.import_module(module)
        _kinds_loaded = True
    try:
        return _kinds[name]
    except KeyError:
        raise ValueError(f"outbox kind {name!r} is not registered") from None


# --- enqueue ----------------------------------------------------------------------------


def new_message_id() -> str:
    """A fresh RFC 5322 Message-ID in the sender address's domain."""
    domain = parseaddr(get_settings().smtp_sender)[1].rpartition("@")[2]
    return make_msgid(domain=domain or None)


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    message: EmailMessage | bytes,
    complaint_id: int | None = None,
    event_id: int | None = None,
    requested_by_id: int | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Write one message to send, in the caller's transaction (nothing is sent here).

    The message must carry its Message-ID already: it is fixed now, so that every
    (re)send of this row is recognisably the same message.
    """
    get_kind(kind)  # refuse an unknown kind at enqueue, not at send
    now = now or datetime.now(UTC)
    if isinstance(message, EmailMessage):  # stored as it goes on the wire (CRLF lines)
        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    else:
        raw = _crlf(bytes(message))
    message_id = email.message_from_bytes(raw)["Message-ID"]
    if not message_id:
        raise ValueError("an outbox message needs its Message-ID header before enqueue")
    row = OutboxMessage(
        kind=kind,
        complaint_id=complaint_id,
        event_id=event_id,
        requested_by_id=requested_by_id,
        recipient=recipient,
        message_id=str(message_id).strip(),
        message=raw,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _crlf(raw: bytes) -> bytes:
    """SMTP lines end in CRLF; smtplib sends bytes as given."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", raw)


# --- claim ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A message this sender may send now; ``attempt`` fences its record."""

    id: int
    kind: str
    recipient: str
    message_id: str
    raw: bytes
    attempt: int
    lease_until: datetime


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.lease_until <= now),
    )


LOST_ATTEMPT = (
    "Pengiriman sebelumnya terhenti sebelum hasilnya tercatat (pengirim berhenti); "
    "pesan dikirim ulang dengan Message-ID yang sama."
)


def claim(
    *,
    limit: int = 1,
    only: int | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> list[Claim]:
    """Claim up to ``limit`` due messages (or just message ``only``) in one short transaction.

    A read looks first, so an idle sender does not take SQLite's write lock every poll.
    """
    now = now or datetime.now(UTC)
    with read_session(url) as session:
        query = select(OutboxMessage.id).where(_due(now))
        if only is not None:
            query = query.where(OutboxMessage.id == only)
        if session.scalar(query.limit(1)) is None:
            return []
    with write_session(url) as session:
        return claim_in(session, limit=limit, only=only, now=now)


def claim_in(
    session: Session, *, limit: int = 1, only: int | None = None, now: datetime | None = None
) -> list[Claim]:
    """``claim`` inside the caller's transaction."""
    now = now or datetime.now(UTC)
    lease = timedelta(seconds=get_settings().outbox_lease_seconds)
    claims: list[Claim] = []
    query = select(OutboxMessage).where(_due(now))
    if only is not None:
        query = query.where(OutboxMessage.id == only)
    rows = session.scalars(
        query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        if row.status == SENDING:  # the lease ran out: that sender stopped mid-send
            session.add(OutboxAttempt(message_id=row.id, at=now, ok=False, error=LOST_ATTEMPT))
            log.warning("message %s: lease expired, sending again", row.message_id)
        reason = _cancel_reason(session, row)
        if reason:
            row.status = CANCELLED
            row.lease_until = None
            row.last_error = reason
            log.info("message %s cancelled: %s", row.message_id, reason)
            continue
        row.status = SENDING
        row.attempts += 1
        row.lease_until = now + lease
        claims.append(
            Claim(
                row.id,
                row.kind,
                row.recipient,
                row.message_id,
                row.message,
                row.attempts,
                row.lease_until,
            )
        )
    return claims


def _cancel_reason(session: Session, row: OutboxMessage) -> str | None:
    check = get_kind(row.kind).cancel_reason
    return check(session, row) if check else None


# --- send -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the mail server said. ``detail`` is Indonesian, with the server's reply."""

    ok: bool
    permanent: bool = False
    detail: str = ""


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}".strip()


def smtp_send(raw: bytes, recipient: str) -> Outcome:
    """Send ``raw`` to ``recipient`` through the configured SMTP server; never raises."""
    settings = get_settings()
    if not settings.smtp_host:
        return Outcome(
            False,
            True,
            "Pengiriman pos-el belum dikonfigurasi (SMTP_HOST kosong di secrets.toml). "
            "Hubungi administrator, atau sampaikan surat dengan cara lain.",
        )
    sender = parseaddr(settings.smtp_sender)[1] or settings.smtp_sender
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.sendmail(sender, [recipient], raw)
    except smtplib.SMTPRecipientsRefused as exc:
        replies = list(exc.recipients.values())
        detail = "; ".join(_reply(code, text) for code, text in replies)
        return Outcome(
            False,
            all(code >= 500 for code, _ in replies),
            f"Server pos-el menolak alamat {recipient} ({detail}).",
        )
    except smtplib.SMTPAuthenticationError as exc:
        return Outcome(
            False,
            exc.smtp_code >= 500,
            "Server pos-el menolak nama pengguna/kata sandi SMTP "
            f"({_reply(exc.smtp_code, exc.smtp_error)}); hubungi administrator.",
        )
    except smtplib.SMTPResponseException as exc:
        return Outcome(
            False,
            exc.smtp_code >= 500,
            f"Server pos-el menolak pesan ({_reply(exc.smtp_code, exc.smtp_error)}).",
        )
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(
            False,
            False,
            f"Server pos-el tidak dapat dihubungi ({exc.__class__.__name__}: {exc}).",
        )
    return Outcome(True)


# The send step; a module attribute so that a fault-injection test can wrap it.
send = smtp_send


# --- record -----------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: base, 2x, 4x, ..."""
    base = get_settings().outbox_backoff_seconds
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _clock(moment: datetime) -> str:
    return moment.astimezone(OFFICE_TZ).strftime("pukul %H.%M WITA")


def record(
    claimed: Claim, outcome: Outcome, *, now: datetime | None = None, url: str | None = None
) -> str:
    """Record one attempt and its outcome; returns the message's new status."""
    with write_session(url) as session:
        return record_in(session, claimed, outcome, now=now)


def record_in(
    session: Session, claimed: Claim, outcome: Outcome, *, now: datetime | None = None
) -> str:
    """``record`` inside the caller's transaction."""
    now = now or datetime.now(UTC)
    settings = get_settings()
    row = session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.id == claimed.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    attempt = OutboxAttempt(
        message_id=row.id, at=now, ok=outcome.ok, error=None if outcome.ok else outcome.detail
    )
    session.add(attempt)
    if row.status != SENDING or row.attempts != claimed.attempt:
        # Our lease ran out and another claim took over: that one records the outcome.
        log.warning("message %s: late result of an expired claim", row.message_id)
        return row.status
    row.lease_until = None
    if outcome.ok:
        row.status = SENT
        row.sent_at = now
        row.last_error = None
        follow_up = get_kind(row.kind).on_sent
        if follow_up is not None:
            try:
                with session.begin_nested():
                    follow_up(session, row, now)
            except WorkflowError as err:
                row.last_error = f"Terkirim, tetapi tidak dapat dicatat: {err.message}"
                log.warning("message %s sent; follow-up refused: %s", row.id, err.message)
    elif outcome.permanent:
        row.status = FAILED
        row.last_error = outcome.detail
    elif row.attempts >= settings.outbox_max_attempts:
        row.status = FAILED
        row.last_error = f"{outcome.detail} Sudah dicoba {row.attempts} kali; tidak dicoba lagi."
    else:
        row.status = PENDING
        row.next_attempt_at = now + backoff(row.attempts)
        row.last_error = (
            f"{outcome.detail} Akan dicoba lagi {_clock(row.next_attempt_at)} "
            f"(percobaan {row.attempts + 1} dari {settings.outbox_max_attempts})."
        )
    log.info("message %s: %s", row.message_id, row.status)
    return row.status


# --- the sender -------------------------------------------------------------------------


def deliver_claim(claimed: Claim, *, now: datetime | None = None, url: str | None = None) -> str:
    transport = get_kind(claimed.kind).transport or send
    outcome = transport(claimed.raw, claimed.recipient)
    return record(claimed, outcome, now=now, url=url)


def process_due(
    *,
    limit: int | None = None,
    now: datetime | None = None,
    url: str | None = None,
    between: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Send due messages one by one until none is due (or ``limit``); counts by status.

    ``between`` runs before each claim (the sender loop's heartbeat, so that a long
    batch does not read as a silent worker).
    """
    counts: dict[str, int] = {}
    done = 0
    while limit is None or done < limit:
        if between is not None:
            between()
        claims = claim(limit=1, now=now, url=url)
        if not claims:
            break
        status = deliver_claim(claims[0], now=now, url=url)
        counts[status] = counts.get(status, 0) + 1
        done += 1
    return counts


@dataclass(frozen=True)
class MessageState:
    """A message as the page shows it."""

    id: int
    kind: str
    complaint_id: int | None
    recipient: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


def _state(row: OutboxMessage) -> MessageState:
    return MessageState(
        row.id,
        row.kind,
        row.complaint_id,
        row.recipient,
        row.message_id,
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        row.sent_at,
        row.created_at,
    )


def message_state(message_pk: int, *, url: str | None = None) -> MessageState:
    with read_session(url) as session:
        row = session.get(OutboxMessage, message_pk)
        if row is None:
            raise ValueError(f"no outbox message {message_pk}")
        return _state(row)


def messages_of(complaint_id: int, *, url: str | None = None) -> list[MessageState]:
    """The complaint's outbox messages, newest first."""
    with read_session(url) as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.complaint_id == complaint_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        ).all()
        return [_state(row) for row in rows]


def attempts_of(message_pk: int, *, url: str | None = None) -> list[OutboxAttempt]:
    with read_session(url) as session:
        rows = session.scalars(
            select(OutboxAttempt)
            .where(OutboxAttempt.message_id == message_pk)
            .order_by(OutboxAttempt.id)  # the order they were recorded in
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def send_now(message_pk: int, *, url: str | None = None) -> MessageState:
    """Try message ``message_pk`` at once (the officer waits for the answer).

    If another sender holds it, wait (up to its lease) for that sender's outcome.
    """
    claims = claim(only=message_pk, url=url)
    if claims:
        deliver_claim(claims[0], url=url)
        return message_state(message_pk, url=url)
    deadline = time.monotonic() + get_settings().outbox_lease_seconds
    state = message_state(message_pk, url=url)
    while state.status == SENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        state = message_state(message_pk, url=url)
    return state


# --- heartbeat --------------------------------------------------------------------------

HEARTBEAT_KEY = "outbox_worker_heartbeat"


@dataclass(frozen=True)
class Heartbeat:
    """The last beat of any outbox worker (one row, whichever worker wrote it last)."""

    at: datetime
    host: str
    pid: int
    mode: str


def write_heartbeat(*, now: datetime | None = None, url: str | None = None) -> None:
    """Record that a worker of this process is alive (an upsert of one settings row).

    An upsert, not read-then-insert: two replicas beating for the first time at once
    must not collide on the key.
    """
    now = now or datetime.now(UTC)
    value = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "mode": get_settings().outbox_worker,
    }
    with write_session(url) as session:
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert(Setting).values(key=HEARTBEAT_KEY, value=value, updated_at=now)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[Setting.key], set_={"value": value, "updated_at": now}
            )
        )


def last_heartbeat(session: Session) -> Heartbeat | None:
    row = session.get(Setting, HEARTBEAT_KEY)
    if row is None:
        return None
    value = row.value or {}
    return Heartbeat(
        row.updated_at,
        str(value.get("host", "")),
        int(value.get("pid", 0)),
        str(value.get("mode", "")),
    )


class _Beater:
    """Writes the heartbeat at most every ``WORKER_HEARTBEAT_SECONDS``: called each loop
    and before each message, it costs the database one short write per interval."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.last = float("-inf")

    def __call__(self) -> None:
        if time.monotonic() - self.last < WORKER_HEARTBEAT_SECONDS:
            return
        write_heartbeat(url=self.url)
        self.last = time.monotonic()


def oldest_due_since(session: Session, *, now: datetime | None = None) -> datetime | None:
    """Since when the longest-waiting due, unsent message has been due (None: none is).

    A pending message is due from its ``next_attempt_at``, a ``sending`` one from the end
    of its lease; a message waiting out its backoff is not due and not late.
    """
    now = now or datetime.now(UTC)
    pending = session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now
        )
    )
    stuck = session.scalar(
        select(func.min(OutboxMessage.lease_until)).where(
            OutboxMessage.status == SENDING, OutboxMessage.lease_until <= now
        )
    )
    found = [moment for moment in (pending, stuck) if moment is not None]
    return min(found) if found else None


def run(stop: threading.Event, *, drain: bool = False, url: str | None = None) -> dict[str, int]:
    """The sender loop: send what is due, sleep ``OUTBOX_POLL_SECONDS``, until ``stop``.

    Each loop (and each message of a batch) beats the heartbeat that /healthz reads.
    ``drain``: return as soon as nothing is due (used by tests and one-off runs).
    """
    totals: dict[str, int] = {}
    beat = _Beater(url)
    while not stop.is_set():
        try:
            beat()
            counts = process_due(limit=50, url=url, between=beat)
        except Exception:  # a database hiccup must not kill the sender
            log.exception("outbox sender: round failed; retrying after the poll interval")
            counts = {}
        for status, number in counts.items():
            totals[status] = totals.get(status, 0) + number
        if counts:
            continue
        if drain:
            break
        stop.wait(get_settings().outbox_poll_seconds)
    return totals


# --- embedded worker --------------------------------------------------------------------

_worker_lock = threading.Lock()
_worker: threading.Thread | None = None
_worker_stop = threading.Event()


def start_embedded_worker() -> bool:
    """Start this process's sender thread once (``OUTBOX_WORKER=embedded``).

    Called on every run of ``app.py``; only the first call of the process starts the
    thread. Returns whether a sender thread is running in this process.
    """
    global _worker
    if get_settings().outbox_worker != "embedded":
        return False
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker_stop.clear()
            _worker = threading.Thread(
                target=run, args=(_worker_stop,), name="outbox-sender", daemon=True
            )
            _worker.start()
            log.info("embedded outbox sender started")
    from services import scheduler

    scheduler.start()
    return True


def stop_embedded_worker(timeout: float = 10) -> None:
    global _worker
    with _worker_lock:
        if _worker is not None:
            _worker_stop.set()
            _worker.join(timeout)
            _worker = None
    from services import scheduler

    scheduler.stop()


# --- python -m services.outbox ----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.outbox",
        description=(
            "Send the outbox's due messages (e-mail) and evaluate staff reminders every "
            "minute, until stopped (SIGTERM/SIGINT)."
        ),
    )
    parser.add_argument("--drain", action="store_true", help="exit as soon as no message is due")
    parser.add_argument(
        "--evaluate-once",
        action="store_true",
        help="evaluate reminders and digests once (no schedule), then send as usual",
    )
    args = parser.parse_args(argv)
    from services import logs

    logs.configure()  # LOG_FORMAT / LOG_LEVEL, the same lines as the app's
    settings = get_settings()
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        log.info("signal %s: stopping after the current message", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info(
        "outbox sender started (poll %ss, lease %ss, at most %s attempts)",
        settings.outbox_poll_seconds,
        settings.outbox_lease_seconds,
        settings.outbox_max_attempts,
    )
    from services import notifications, scheduler

    if args.evaluate_once:
        result = notifications.evaluate()
        print(
            f"notifications: ran={result.ran} new={result.notifications} digests={result.digests}",
            flush=True,
        )
    elif not args.drain:  # a one-off drain sends what is queued, nothing else
        scheduler.start()
    try:
        totals = run(stop, drain=args.drain)
    finally:
        scheduler.stop()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(totals.items())) or "nothing"
    log.info("outbox sender stopped: %s", summary)
    print(f"outbox: sent={totals.get(SENT, 0)} failed={totals.get(FAILED, 0)}", flush=True)
    return 0


if __name__ == "__main__":
    # Run the imported module's main, so that kinds registered by other modules (which
    # import ``services.outbox``) land in the registry this sender reads.
    from services import outbox

    sys.exit(outbox.main())
