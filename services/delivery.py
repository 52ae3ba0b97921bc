"""Step 11: the signed reply reaches the complainant by e-mail, WhatsApp or in person.

All three go through ``services.workflow.perform``; this module registers the two hooks
of step 11 and the outbox kind ``reply_email``.

E-mail goes through the outbox (``services.outbox``), so that no mail is ever sent
without its record and the step is recorded only once the mail server accepted it:

1. The officer's click performs ``send_email`` (a self-loop at step 11). Its hook
   ``queue_email`` builds the message (signed letter attached, Message-ID fixed now)
   and, once the event row exists, writes the outbox message in the same transaction.
2. After commit, ``send_email`` below asks the sender to try that message at once, so
   the officer reads "terkirim" or the server's refusal as before.
3. When the server accepts, the sender performs ``deliver`` (11 -> 12, method e-mail)
   in the transaction that marks the message sent, on behalf of the officer who queued
   it; the hook ``deliver`` attaches the sent bytes (.eml) as ``delivery_evidence``. A
   refusal leaves step 11 open and the page shows why; a message whose complaint left
   step 11 meanwhile (delivered by hand) is cancelled, not sent.

WhatsApp has no sending API here: the officer opens a click-to-chat link
(``https://wa.me/62...``) with a prefilled message, attaches the downloaded letter in
WhatsApp, and confirms the send; the confirmation is the evidence. In person, the name
of whoever received the letter is recorded, with an optional scan of the signed receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import read_session
from db.models import Complaint, OutboxMessage, StepEvent
from layanan import sop, validate
from layanan.calendar import office_today
from layanan.errors import InvalidInput, MissingItem, NotAllowed, NotFound, WorkflowError
from layanan.text import kalimat, tanggal, tanggal_jam
from services import authz, document_files, letter_settings, outbox, reply_letter, workflow
from services.workflow import NewDocument, Transition

EMAIL_KIND = "reply_email"
# What the delivery panel passes as "evidence" when the officer wrote no note: the hook
# builds the evidence itself and does not repeat this.
PANEL_NOTE = "Dicatat melalui panel penyampaian."


class DeliveryFailed(WorkflowError):
    """E-mail cannot be queued now (an earlier send to this complaint is still running)."""


# --- WhatsApp ---------------------------------------------------------------------------


def normalize_phone(raw: str | None) -> str:
    """The WhatsApp number as +62... (``layanan.validate.phone_number``, mobile only)."""
    number = validate.phone_number(raw, label="Nomor WhatsApp", mobile=True)
    if number is None:
        raise InvalidInput("Nomor WhatsApp pengadu belum diisi.")
    return number


@dataclass(frozen=True)
class WhatsAppLink:
    phone: str  # +62...
    message: str
    url: str  # https://wa.me/62...?text=...


def _complaint_at_delivery(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("Pengaduan tidak ditemukan.")
    if complaint.signed_at is None or not complaint.letter_number:
        raise MissingItem(
            "Surat jawaban belum ditandatangani; belum ada yang dapat disampaikan.",
            missing=("signed_letter",),
        )
    return complaint


def _greeting(complaint: Complaint) -> str:
    if complaint.anonymous or not complaint.complainant_name:
        return "Yth. Bapak/Ibu Pengadu"
    return f"Yth. Bapak/Ibu {complaint.complainant_name}"


def _office_name(session: Session) -> str:
    name = letter_settings.load(session).nama_dinas
    return " ".join(w.capitalize() if len(w) > 3 else w.lower() for w in name.split()).replace(
        "Dan ", "dan "
    )


def whatsapp_link(*, complaint_id: int, user_id: int, phone: str | None = None) -> WhatsAppLink:
    """The click-to-chat link with a prefilled message for the complainant's number."""
    with read_session() as session:
        authz.require(session, user_id=user_id, capability="deliver")
        complaint = _complaint_at_delivery(session, complaint_id)
        # The officer attaches the signed PDF: not offered before it exists.
        reply_letter.signed_reply_or_wait(session, complaint_id=complaint.id)
        number = normalize_phone(phone if phone is not None else complaint.complainant_phone)
        message = (
            f"{_greeting(complaint)},\n\n"
            f"Bersama ini kami sampaikan surat jawaban atas pengaduan Anda nomor "
            f"{complaint.ticket} (surat nomor {complaint.letter_number}). Surat terlampir "
            "pada pesan ini.\n\n"
            f"Status pengaduan dapat dilacak di {document_files.tracking_url(complaint.ticket)}\n\n"
            f"Hormat kami,\n{_office_name(session)}"
        )
        url = f"https://wa.me/{number.lstrip('+')}?text={quote(message, safe='')}"
        return WhatsAppLink(number, message, url)


# --- e-mail -----------------------------------------------------------------------------


def email_step() -> int:
    """The step at which the reply is sent by e-mail (the ``send_email`` action's step)."""
    return sop.action("send_email").at


def clean_recipient(raw: str | None) -> str:
    """The recipient address, checked by the same rule as every e-mail field."""
    label = sop.FIELDS["recipient_email"].label
    recipient = validate.text(raw, label=label, max_length=validate.MAX_EMAIL) or ""
    if not recipient:
        raise MissingItem(
            f"{label} belum diisi: pengadu tidak mencantumkan alamat pos-el. Isi alamat "
            "pos-el tujuan atau pilih cara lain.",
            missing=(label,),
        )
    return validate.email_address(recipient, label=label)


def _email_message(
    session: Session, complaint: Complaint, recipient: str, *, now: datetime
) -> EmailMessage:
    settings = get_settings()
    # The signed PDF, never the .docx: until it is converted (seconds after signing)
    # this refuses with signed_letter.NOT_READY and nothing is queued.
    letter = reply_letter.signed_reply_or_wait(session, complaint_id=complaint.id)
    office = _office_name(session)
    msg = EmailMessage()
    msg["From"] = settings.smtp_sender
    msg["To"] = recipient
    msg["Subject"] = f"Surat Jawaban Pengaduan {complaint.ticket} - {office}"
    msg["Date"] = formatdate(now.timestamp(), localtime=False)
    msg["Message-ID"] = outbox.new_message_id()  # fixed now: every resend carries it
    msg.set_content(
        f"{_greeting(complaint)},\n\n"
        f"Bersama ini kami sampaikan surat jawaban atas pengaduan Anda nomor "
        f"{complaint.ticket}, surat nomor {complaint.letter_number} tanggal "
        f"{tanggal(complaint.signed_at)}, terlampir dalam pos-el ini.\n\n"
        f"Status pengaduan dapat dilacak di {document_files.tracking_url(complaint.ticket)} dengan "
        "nomor tiket dan PIN pada tanda terima Anda.\n\n"
        f"Hormat kami,\n{office}\n"
    )
    maintype, _, subtype = letter.mime.partition("/")
    msg.add_attachment(letter.data, maintype=maintype, subtype=subtype, filename=letter.filename)
    return msg


def _open_messages(session: Session, complaint_id: int) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.complaint_id == complaint_id,
                OutboxMessage.kind == EMAIL_KIND,
                OutboxMessage.status.in_(outbox.OPEN_STATUSES),
            )
            .with_for_update()
        )
    )


@workflow.hook("queue_email")
def queue_email_hook(ctx: workflow.HookContext) -> None:
    """``send_email`` at step 11: build the message; enqueue it with the event."""
    session, complaint = ctx.session, ctx.complaint
    _require_signed(complaint)
    recipient = clean_recipient(ctx.data.get("recipient_email") or complaint.complainant_email)
    for earlier in _open_messages(session, complaint.id):
        if earlier.status == outbox.SENDING:
            raise DeliveryFailed(
                f"Pos-el ke {earlier.recipient} sedang dikirim. Tunggu sebentar, lalu muat "
                "ulang halaman."
            )
        # A pending retry to an older address gives way to this send.
        earlier.status = outbox.CANCELLED
        earlier.last_error = f"Digantikan oleh pengiriman ke {recipient} ({tanggal_jam(ctx.now)})."
    msg = _email_message(session, complaint, recipient, now=ctx.now)
    ctx.data["recipient_email"] = recipient
    ctx.data["message_id"] = msg["Message-ID"]

    def _enqueue(event: StepEvent) -> None:
        outbox.enqueue(
            session,
            kind=EMAIL_KIND,
            recipient=recipient,
            message=msg,
            complaint_id=complaint.id,
            event_id=event.id,
            requested_by_id=ctx.actor.user_id,
            now=ctx.now,
        )

    ctx.after_event.append(_enqueue)


def _require_signed(complaint: Complaint) -> None:
    if complaint.signed_at is None or not complaint.letter_number:
        raise MissingItem(
            "Surat jawaban belum ditandatangani; belum ada yang dapat disampaikan.",
            missing=("signed_letter",),
        )


def _officer_note(text: str | None) -> str:
    text = (text or "").strip()
    return "" if not text or text == PANEL_NOTE else f" Catatan petugas: {text}"


@workflow.hook("deliver")
def deliver_hook(ctx: workflow.HookContext) -> None:
    """``deliver`` (11 -> 12): build the evidence of the method used.

    By e-mail only the outbox sender records it, passing the accepted message; by
    WhatsApp the officer's confirmation, in person the receiver's name.
    """
    complaint, data, given_input = ctx.complaint, ctx.data, ctx.hook_input
    _require_signed(complaint)
    method = sop.DeliveryMethod(data["delivery_method"])
    given = data.get("evidence")
    if method is sop.DeliveryMethod.EMAIL:
        row = _accepted_message(ctx.session, complaint, given_input.get("outbox_message_id"))
        data["evidence"] = (
            f"Dikirim melalui pos-el ke {row.recipient} pada {tanggal_jam(row.sent_at)}, "
            f"Message-ID {row.message_id}, surat terlampir {complaint.letter_number}."
            + _officer_note(given)
        )
        data["recipient_email"] = row.recipient
        data["message_id"] = row.message_id
        data["outbox_message_id"] = row.id
        ctx.documents.append(
            NewDocument(
                "delivery_evidence",
                f"bukti-email-{complaint.ticket}.eml",
                "message/rfc822",
                row.message,
            )
        )
        return
    ctx.documents[:] = [_as_evidence(d) for d in ctx.documents]
    if method is sop.DeliveryMethod.WHATSAPP:
        # The file the officer attached came from whatsapp_link's panel, offered only
        # once the signed PDF exists; the confirmation records a send already made.
        number = normalize_phone(given_input.get("phone") or complaint.complainant_phone)
        if given_input.get("confirmed") is not True:
            raise MissingItem(
                "Konfirmasi dulu bahwa pesan WhatsApp berisi surat jawaban sudah terkirim.",
                missing=("confirmed",),
            )
        data["phone"] = number
        data["evidence"] = (
            f"Dikirim melalui WhatsApp ke {number} oleh {ctx.actor.name}; pengiriman "
            f"dikonfirmasi petugas pada {tanggal_jam(ctx.now)}." + _officer_note(given)
        )
        return
    receiver = (
        validate.text(given_input.get("received_by"), label="Nama penerima surat", max_length=200)
        or ""
    )
    if not receiver and not _officer_note(given):
        raise MissingItem(
            "Nama penerima belum diisi: isi nama orang yang menerima surat jawaban secara "
            "langsung.",
            missing=("received_by",),
        )
    if receiver:
        data["received_by"] = receiver
    handed = f"Diserahkan langsung kepada {receiver or 'pemohon'} oleh {ctx.actor.name}"
    # kalimat: the officer's name may end in a title's period ("..., S.Sos.").
    data["evidence"] = (
        f"{handed}, tanda terima dilampirkan." if ctx.documents else kalimat(handed)
    ) + _officer_note(given)


def _accepted_message(session: Session, complaint: Complaint, pk) -> OutboxMessage:
    row = session.get(OutboxMessage, pk) if isinstance(pk, int) else None
    if (
        row is None
        or row.kind != EMAIL_KIND
        or row.complaint_id != complaint.id
        or row.status != outbox.SENT
    ):
        raise NotAllowed(
            "Penyampaian melalui pos-el dicatat otomatis setelah server pos-el menerima "
            "pesannya. Gunakan tombol \u201cKirim pos-el dengan surat terlampir\u201d."
        )
    return row


def _as_evidence(doc: NewDocument) -> NewDocument:
    if doc.kind == "delivery_evidence":
        return doc
    return NewDocument("delivery_evidence", doc.filename, doc.content_type, doc.data)


# --- the outbox kind: what the sender does around a reply e-mail ------------------------


def _cancel_reason(session: Session, row: OutboxMessage) -> str | None:
    complaint = session.get(Complaint, row.complaint_id)
    if complaint is None or complaint.current_step != email_step():
        return (
            "Dibatalkan sebelum dikirim: pengaduan sudah tidak menunggu penyampaian surat "
            "jawaban (sudah disampaikan dengan cara lain)."
        )
    return None


def _on_sent(session: Session, row: OutboxMessage, now: datetime) -> None:
    """The server accepted the reply: record step 11 for the officer who queued it."""
    complaint = session.get(Complaint, row.complaint_id)
    cause = session.get(StepEvent, row.event_id) if row.event_id else None
    workflow.perform(
        session=session,
        complaint_id=complaint.id,
        action="deliver",
        expected_version=complaint.version,
        user_id=row.requested_by_id,
        payload={
            "delivery_method": sop.DeliveryMethod.EMAIL.value,
            "delivered_on": office_today(now).isoformat(),
            "evidence": (cause.note if cause and cause.note else PANEL_NOTE),
        },
        hook_input={"outbox_message_id": row.id},  # only the sender passes it
        now=now,
    )


outbox.register_kind(EMAIL_KIND, cancel_reason=_cancel_reason, on_sent=_on_sent)


@dataclass(frozen=True)
class EmailResult:
    """What became of the officer's "Kirim": sent (step recorded), retrying, or refused."""

    transition: Transition  # the send_email event (the complaint stays at step 11)
    message: outbox.MessageState
    delivered: bool  # step 11 recorded (the complaint is at step 12)

    @property
    def text(self) -> str:
        """What the officer reads, in Indonesian."""
        state = self.message
        if self.delivered:
            return (
                f"Pos-el berisi surat jawaban terkirim ke {state.recipient} "
                f"({tanggal_jam(state.sent_at)}); penyampaian {self.transition.ticket} dicatat dan "
                f"pengaduan kini di {sop.step_label(self.transition.to_step)}."
            )
        return message_text(state)


def message_text(state: outbox.MessageState) -> str:
    """The page's line about an e-mail that has not (yet) completed step 11."""
    reason = state.last_error or ""
    if state.status == outbox.FAILED:
        return (
            f"Pos-el ke {state.recipient} gagal dikirim: {reason} Surat belum terkirim dan "
            f"langkah {email_step()} belum dicatat; periksa alamat pos-el pengadu lalu kirim "
            "lagi, atau "
            "sampaikan dengan cara lain."
        )
    if state.status == outbox.PENDING:
        return (
            f"Pos-el ke {state.recipient} belum terkirim: {reason} Langkah {email_step()} dicatat "
            "otomatis setelah server pos-el menerimanya."
        )
    if state.status == outbox.SENDING:
        return f"Pos-el ke {state.recipient} sedang dikirim."
    if state.status == outbox.CANCELLED:
        return f"Pos-el ke {state.recipient} dibatalkan: {reason}"
    return f"Pos-el ke {state.recipient} terkirim ({tanggal_jam(state.sent_at)}). {reason}".strip()


def send_email(
    *,
    complaint_id: int,
    user_id: int,
    expected_version: int,
    recipient: str | None = None,
    note: str | None = None,
) -> EmailResult:
    """The officer's "Kirim e-mail": queue the reply (``send_email``), then try it now."""
    if recipient is None:  # default: the address the complainant gave at intake
        with read_session() as session:
            complaint = session.get(Complaint, complaint_id)
            recipient = complaint.complainant_email if complaint else None
    payload = {"recipient_email": recipient}
    transition = workflow.perform(
        complaint_id=complaint_id,
        action="send_email",
        expected_version=expected_version,
        user_id=user_id,
        payload=payload,
        note=(note or "").strip() or None,
    )
    with read_session() as session:
        pk = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.event_id == transition.event_id)
        )
    state = outbox.send_now(pk)
    with read_session() as session:
        step = session.get(Complaint, complaint_id).current_step
    delivered = state.status == outbox.SENT and step != email_step()
    return EmailResult(transition, state, delivered)


def email_messages(*, complaint_id: int) -> list[outbox.MessageState]:
    """The complaint's reply e-mails, newest first (for the step-11 panel)."""
    return [m for m in outbox.messages_of(complaint_id) if m.kind == EMAIL_KIND]
