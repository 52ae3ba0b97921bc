"""The complainant's side of the SOP: track with ticket + PIN, submit online, rate.

The complainant (Pemohon) has no account: the ticket number and the PIN printed on the
receipt are the credential. Everything returned here is public by construction:
``PublicStatus`` holds only what the complainant may see (no notes, no staff names, no
other complaints; for a *rahasia* complaint nothing beyond the progress line).

A wrong ticket and a wrong PIN get the same message, after the same work: an unknown
ticket is checked against a dummy argon2 hash, so the answer takes as long either way.
The PIN is checked by ``services.pins.check_pin`` only, which counts the attempt per
client and per ticket *before* argon2 runs (docs/portal.md "Throttling").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Complaint, Rating, StepEvent
from layanan import sop, validate
from layanan.errors import InvalidInput, NotAllowed, NotFound
from services import complainant_messages, ratelimit, workflow
from services.deadlines import deadlines_in
from services.pins import DUMMY_HASH, check_pin, normalize_ticket
from services.reply_letter import signed_reply
from services.uploads import check_upload
from services.workflow import Created, IntakeData

# One answer for an unknown ticket and a wrong PIN, so neither can be told apart.
WRONG_CREDENTIALS = "Nomor tiket atau PIN tidak cocok. Periksa kembali tanda terima pengaduan Anda."
HONEYPOT_REFUSAL = (
    "Pengaduan tidak dapat dikirim: formulir terisi secara tidak wajar. "
    "Muat ulang halaman dan isi kembali, atau hubungi kantor kami."
)
_DUMMY_HASH = DUMMY_HASH  # verified against for unknown tickets (services.pins)

MAX_ATTACHMENTS = 5
# The portal form's labels (pages/ajukan.py), by ``IntakeData`` attribute, for refusals.
FORM_LABELS: dict[str, str] = {
    **workflow.INTAKE_LABELS,
    "complainant_name": "Nama lengkap",
    "anonymous": "Kirim tanpa identitas (anonim)",
    "confidential": "Rahasiakan pengaduan saya",
}
MAX_COMMENT = validate.column_limit(Rating.comment)

DONE, CURRENT, WAITING = "selesai", "sedang berjalan", "menunggu"


@dataclass(frozen=True)
class ProgressStep:
    """One step of the progress line, in plain Indonesian."""

    number: int
    label: str
    state: str  # DONE | CURRENT | WAITING
    at: datetime | None  # done: when; current: since when; waiting: None


@dataclass(frozen=True)
class PublicStatus:
    """What the holder of the ticket and PIN may see; nothing else is ever loaded."""

    ticket: str
    received_at: datetime
    channel: str  # label, e.g. "Online (portal)"
    confidential: bool
    subject: str | None  # None for a rahasia complaint
    category: str | None  # None for a rahasia complaint
    steps: tuple[ProgressStep, ...]
    current: str  # plain label of where the complaint is now
    closed: bool
    expected_completion: datetime  # regulatory completion clock (14 / 60 working days)
    completed_at: datetime | None
    delivered_at: datetime | None
    letter_available: bool
    can_rate: bool
    rating: int | None
    messages_stopped: bool = False  # the complainant opted out of messages (opt_out)
    # Channels that carry messages about this complaint now (none when the office has
    # not switched any on or the complainant left no contact for them).
    message_channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class LetterFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Submitted:
    """The result of an online submission; the PIN exists only here, never stored."""

    ticket: str
    pin: str
    complaint_id: int
    received_at: datetime


# --- authentication -------------------------------------------------------------------


def _authenticate(session: Session, *, ticket: str, pin: str, client: str) -> Complaint:
    """The complaint for this ticket and PIN, or the one refusal (``Throttled`` when a
    budget is spent; the attempt is counted before the PIN is evaluated)."""
    complaint = session.scalar(
        select(Complaint).where(Complaint.ticket == normalize_ticket(ticket))
    )
    complaint_id = complaint.id if complaint is not None else None
    pin_hash = complaint.tracking_pin_hash if complaint is not None else None
    # Hand the connection back while the attempt is reserved and argon2 runs: holding
    # it would let many parallel guesses drain the pool (the caller's next query takes
    # a fresh one; the complaint is reloaded then).
    session.rollback()
    ok = check_pin(
        ticket=ticket, complaint_id=complaint_id, pin_hash=pin_hash, pin=pin, client=client
    )
    if not ok:
        raise NotFound(WRONG_CREDENTIALS)
    return complaint


# --- tracking -------------------------------------------------------------------------


def _is_confidential(complaint: Complaint) -> bool:
    # One notion of confidentiality: the flag that masking reads (layanan.sop.SIFAT_SURAT).
    return bool(complaint.confidential)


def _path(complaint: Complaint, visited: Sequence[int]) -> tuple[int, ...]:
    """The complaint's progress line: its form's path through the SOP table, along the
    steps it visited (an oral complaint turned written shows the oral steps too)."""
    form = sop.Form(complaint.form) if complaint.form else None
    return sop.table().path(form, visited)


def _letter_exists(session: Session, complaint: Complaint) -> bool:
    return signed_reply(session, complaint_id=complaint.id) is not None


def _status(session: Session, complaint: Complaint) -> PublicStatus:
    events = session.execute(
        select(StepEvent.step, StepEvent.at)
        .where(
            StepEvent.complaint_id == complaint.id,
            StepEvent.to_step.is_distinct_from(StepEvent.step),
        )
        .order_by(StepEvent.seq)
    ).all()
    done_at: dict[int, datetime] = {}
    for step_number, at in events:
        done_at[step_number] = at  # the last completion of each step wins
    visited = [step_number for step_number, _ in events] + [complaint.current_step]
    path = _path(complaint, visited)
    current = complaint.current_step
    position = path.index(current) if current in path else len(path)
    steps = []
    for index, number in enumerate(path):
        label = sop.step(number).public_label
        if index < position:
            steps.append(ProgressStep(number, label, DONE, done_at.get(number)))
        elif index == position:
            steps.append(ProgressStep(number, label, CURRENT, complaint.step_entered_at))
        else:
            steps.append(ProgressStep(number, label, WAITING, None))

    completion = next(
        c for c in deadlines_in(session, complaint).regulatory if c.key == "penyelesaian"
    )
    confidential = _is_confidential(complaint)
    rating = session.get(Rating, complaint.id)
    delivered = complaint.delivered_at is not None
    return PublicStatus(
        ticket=complaint.ticket,
        received_at=complaint.received_at,
        channel=sop.CHANNEL_LABELS[sop.Channel(complaint.channel)],
        confidential=confidential,
        subject=None if confidential else complaint.subject,
        category=None if confidential else complaint.category,
        steps=tuple(steps),
        current=("Pengaduan selesai" if current is None else sop.step(current).public_label),
        closed=current is None,
        expected_completion=completion.due_at,
        completed_at=completion.done_at,
        delivered_at=complaint.delivered_at,
        letter_available=delivered and not confidential and _letter_exists(session, complaint),
        can_rate=delivered and rating is None,
        rating=rating.score if rating else None,
        messages_stopped=complainant_messages.opted_out(session, complaint.id),
        message_channels=complainant_messages.channels_reaching(session, complaint),
    )


def track(*, ticket: str, pin: str, client: str) -> PublicStatus:
    """The public status of a complaint, given its ticket and PIN (one refusal otherwise)."""
    with read_session() as session:
        complaint = _authenticate(session, ticket=ticket, pin=pin, client=client)
        return _status(session, complaint)


def reply_letter(*, ticket: str, pin: str, client: str) -> LetterFile:
    """The frozen signed reply letter, once delivered (never for a rahasia complaint)."""
    with read_session() as session:
        complaint = _authenticate(session, ticket=ticket, pin=pin, client=client)
        if complaint.delivered_at is None:
            raise NotAllowed("Surat jawaban dapat diunduh setelah disampaikan kepada Anda.")
        if _is_confidential(complaint):
            raise NotAllowed(
                "Surat jawaban pengaduan rahasia tidak tersedia di portal; surat "
                "disampaikan langsung kepada Anda."
            )
        letter = signed_reply(session, complaint_id=complaint.id)
        if letter is None:
            raise NotFound("Surat jawaban belum tersedia. Hubungi Petugas Pelayanan.")
        return LetterFile(letter.filename, letter.mime, letter.data)


# --- messages -------------------------------------------------------------------------


def stop_messages(*, ticket: str, pin: str, client: str) -> None:
    """The complainant wants no more e-mail or WhatsApp messages about this complaint:
    nothing more is written, and messages not yet sent are cancelled when claimed."""
    with read_session() as session:
        complaint_id = _authenticate(session, ticket=ticket, pin=pin, client=client).id
    with write_session() as session:
        complainant_messages.opt_out_in(session, complaint_id)


# --- satisfaction ---------------------------------------------------------------------


def rate(*, ticket: str, pin: str, client: str, score: int, comment: str | None = None) -> None:
    """Record the complainant's rating (1-5), once, after the reply was delivered."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput("Pilih nilai antara 1 dan 5.")
    comment = validate.text(comment, label="Komentar", max_length=MAX_COMMENT)
    with read_session() as session:
        complaint = _authenticate(session, ticket=ticket, pin=pin, client=client)
        complaint_id = complaint.id
        if complaint.delivered_at is None:
            raise NotAllowed(
                "Penilaian dapat diberikan setelah surat jawaban disampaikan kepada Anda."
            )
    try:
        with write_session() as session:
            # The primary key (one rating per complaint) settles two submissions at once.
            session.add(Rating(complaint_id=complaint_id, score=score, comment=comment))
            session.flush()
    except IntegrityError:
        raise NotAllowed("Anda sudah memberikan penilaian untuk pengaduan ini.") from None


# --- online submission ----------------------------------------------------------------


def submit(
    *,
    data: IntakeData,
    files: Sequence[tuple[str, bytes]] = (),
    honeypot: str = "",
    client: str,
) -> Submitted:
    """Submit a complaint online (channel "online"); it waits at step 2 for the front desk."""
    policy = ratelimit.submit_policy()
    ratelimit.check(policy=policy, client=client)
    if not isinstance(honeypot, str | None) or (honeypot or "").strip():
        ratelimit.hit(policy=policy, client=client)
        raise InvalidInput(HONEYPOT_REFUSAL)
    if not isinstance(data, IntakeData):
        raise InvalidInput("Formulir pengaduan tidak valid. Muat ulang halaman.")
    if len(files) > MAX_ATTACHMENTS:
        raise InvalidInput(f"Lampiran paling banyak {MAX_ATTACHMENTS} berkas.")
    documents = []
    for item in files:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes)):
            raise InvalidInput("Lampiran tidak valid. Unggah ulang berkasnya.")
        name = validate.text(item[0], label="Nama berkas lampiran", max_length=255) or "berkas"
        documents.append(check_upload(kind="attachment", filename=name, data=item[1]))
    data.channel = sop.Channel.ONLINE
    data.guest_book_entry = None
    data.supervisory = False
    data.arrived_at = data.met_at = None
    # Every field is checked by the intake, named by the portal form's labels.
    created: Created = workflow.intake(
        data=data, user_id=None, documents=documents, labels=FORM_LABELS
    )
    ratelimit.hit(policy=policy, client=client)
    with read_session() as session:
        received_at = session.get(Complaint, created.complaint_id).received_at
    return Submitted(created.ticket, created.pin, created.complaint_id, received_at)
