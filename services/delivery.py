"""Step 11: the signed reply reaches the complainant by e-mail, WhatsApp or in person.

E-mail is sent through SMTP (``SMTP_*`` settings) with the signed letter attached. The
message is sent inside the transaction that records the step, after the workflow has
accepted the action: if sending fails the transaction is rolled back, the officer sees
why, and the complaint stays at step 11. The sent message itself (.eml) is stored as
the step's ``delivery_evidence`` document.

WhatsApp has no sending API here: the officer opens a click-to-chat link
(``https://wa.me/62...``) with a prefilled message, attaches the downloaded letter in
WhatsApp, and confirms the send; the confirmation is the evidence. In person, the name
of whoever received the letter is recorded, with an optional scan of the signed receipt.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import read_session, write_session
from db.models import Complaint
from layanan import sop, validate
from layanan.calendar import office_today
from layanan.errors import InvalidInput, MissingItem, NotFound, WorkflowError
from layanan.text import tanggal, tanggal_jam
from services import authz, letter_settings, letters, workflow
from services.workflow import NewDocument, Transition

SMTP_TIMEOUT_SECONDS = 20


class DeliveryFailed(WorkflowError):
    """Sending failed; nothing was recorded and the complaint stays at step 11."""


# --- WhatsApp ---------------------------------------------------------------------------


def normalize_phone(raw: str | None) -> str:
    """The WhatsApp number as +62... (``layanan.validate.phone_number``, mobile only)."""
    number = validate.phone_number(raw, label="Nomor WhatsApp", mobile=True)
    if number is None:
        raise InvalidInput("Nomor WhatsApp pemohon belum diisi.")
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
        return "Yth. Bapak/Ibu Pemohon"
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
        number = normalize_phone(phone if phone is not None else complaint.complainant_phone)
        message = (
            f"{_greeting(complaint)},\n\n"
            f"Bersama ini kami sampaikan surat jawaban atas pengaduan Anda nomor "
            f"{complaint.ticket} (surat nomor {complaint.letter_number}). Surat terlampir "
            "pada pesan ini.\n\n"
            f"Status pengaduan dapat dilacak di {letters.tracking_url(complaint.ticket)}\n\n"
            f"Hormat kami,\n{_office_name(session)}"
        )
        url = f"https://wa.me/{number.lstrip('+')}?text={quote(message, safe='')}"
        return WhatsAppLink(number, message, url)


# --- e-mail -----------------------------------------------------------------------------


def _email_message(session: Session, complaint: Complaint, recipient: str) -> EmailMessage:
    settings = get_settings()
    letter = letters._signed_document(session, complaint.id)
    if letter is None:
        raise NotFound("Berkas surat jawaban bertanda tangan tidak ditemukan.")
    office = _office_name(session)
    msg = EmailMessage()
    msg["From"] = settings.smtp_sender
    msg["To"] = recipient
    msg["Subject"] = f"Surat Jawaban Pengaduan {complaint.ticket} - {office}"
    msg["Date"] = formatdate(localtime=False)
    sender_address = parseaddr(settings.smtp_sender)[1]  # "Name <a@b>" -> "a@b"
    msg["Message-ID"] = make_msgid(domain=sender_address.rpartition("@")[2] or None)
    msg.set_content(
        f"{_greeting(complaint)},\n\n"
        f"Bersama ini kami sampaikan surat jawaban atas pengaduan Anda nomor "
        f"{complaint.ticket}, surat nomor {complaint.letter_number} tanggal "
        f"{tanggal(complaint.signed_at)}, terlampir dalam e-mail ini.\n\n"
        f"Status pengaduan dapat dilacak di {letters.tracking_url(complaint.ticket)} dengan "
        "nomor tiket dan PIN pada tanda terima Anda.\n\n"
        f"Hormat kami,\n{office}\n"
    )
    maintype, _, subtype = letter.content_type.partition("/")
    msg.add_attachment(letter.data, maintype=maintype, subtype=subtype, filename=letter.filename)
    return msg


def _send(msg: EmailMessage) -> None:
    """Send through SMTP, or raise DeliveryFailed with the reason in Indonesian."""
    settings = get_settings()
    if not settings.smtp_host:
        raise DeliveryFailed(
            "Pengiriman e-mail belum dikonfigurasi (SMTP_HOST kosong di secrets.toml). "
            "Hubungi administrator, atau sampaikan surat dengan cara lain."
        )
    recipient = msg["To"]
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS
        ) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        detail = "; ".join(
            f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values()
        )
        raise DeliveryFailed(
            f"Server e-mail menolak alamat {recipient} ({detail}). Surat belum terkirim dan "
            "langkah 11 belum dicatat; periksa alamat e-mail pemohon."
        ) from None
    except smtplib.SMTPAuthenticationError:
        raise DeliveryFailed(
            "Server e-mail menolak nama pengguna/kata sandi SMTP. Surat belum terkirim; "
            "hubungi administrator."
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(
            f"Surat gagal dikirim melalui e-mail ({exc.__class__.__name__}: {exc}). Surat "
            "belum terkirim dan langkah 11 belum dicatat; coba lagi atau pilih cara lain."
        ) from None


# --- recording the step -----------------------------------------------------------------


def _clean_date(value: date | str | None) -> str:
    if value is None:
        return office_today().isoformat()
    return value.isoformat() if isinstance(value, date) else value


def deliver(
    *,
    complaint_id: int,
    user_id: int,
    expected_version: int,
    method: str,
    delivered_on: date | str | None = None,
    note: str = "",
    email: str | None = None,
    phone: str | None = None,
    confirmed: bool = False,
    received_by: str = "",
    documents: tuple[NewDocument, ...] | list[NewDocument] = (),
    now: datetime | None = None,
) -> Transition:
    """Step 11 by ``method`` (email / whatsapp / langsung); refusals leave the step open."""
    try:
        method = sop.DeliveryMethod(method)
    except ValueError:
        raise InvalidInput(f"Cara penyampaian \u201c{method}\u201d tidak dikenal.") from None
    note = (note or "").strip()
    now = now or datetime.now(UTC)
    with write_session() as session:
        actor = workflow.load_actor(session, user_id)
        complaint = _complaint_at_delivery(session, complaint_id)
        docs = list(documents)
        if method is sop.DeliveryMethod.EMAIL:
            recipient = (email if email is not None else complaint.complainant_email or "").strip()
            if not recipient:
                raise MissingItem(
                    "Pemohon tidak mencantumkan alamat e-mail. Isi alamat e-mail tujuan atau "
                    "pilih cara lain.",
                    missing=("email",),
                )
            validate.email_address(recipient, label="Alamat e-mail pemohon")
            msg = _email_message(session, complaint, recipient)
            evidence = (
                f"Dikirim melalui e-mail ke {recipient} pada {tanggal_jam(now)}, "
                f"Message-ID {msg['Message-ID']}, surat terlampir {complaint.letter_number}."
            )
            docs.append(
                NewDocument(
                    "delivery_evidence",
                    f"bukti-email-{complaint.ticket}.eml",
                    "message/rfc822",
                    msg.as_bytes(),
                )
            )
        elif method is sop.DeliveryMethod.WHATSAPP:
            number = normalize_phone(phone if phone is not None else complaint.complainant_phone)
            if not confirmed:
                raise MissingItem(
                    "Konfirmasi dulu bahwa pesan WhatsApp berisi surat jawaban sudah terkirim.",
                    missing=("confirmed",),
                )
            evidence = (
                f"Dikirim melalui WhatsApp ke {number} oleh {actor.name}; pengiriman "
                f"dikonfirmasi petugas pada {tanggal_jam(now)}."
            )
        else:
            receiver = (received_by or "").strip()
            if not receiver and not note:
                raise MissingItem(
                    "Isi nama orang yang menerima surat jawaban secara langsung.",
                    missing=("received_by",),
                )
            if len(receiver) > 200:
                raise InvalidInput("Nama penerima terlalu panjang (maksimal 200 karakter).")
            evidence = f"Diserahkan langsung kepada {receiver or 'pemohon'} oleh {actor.name}" + (
                ", tanda terima dilampirkan." if docs else "."
            )
        if note:
            evidence += f" Catatan petugas: {note}"
        event = workflow.apply_action(
            session,
            complaint_id=complaint_id,
            action="deliver",
            actor=actor,
            expected_version=expected_version,
            payload={
                "delivery_method": method.value,
                "delivered_on": _clean_date(delivered_on),
                "evidence": evidence,
            },
            documents=[d if d.kind == "delivery_evidence" else _as_evidence(d) for d in docs],
            now=now,
        )
        if method is sop.DeliveryMethod.EMAIL:
            # Last, after the workflow accepted the step: a failure rolls everything back.
            _send(msg)
        return workflow.transition(session, event)


def _as_evidence(doc: NewDocument) -> NewDocument:
    return NewDocument("delivery_evidence", doc.filename, doc.content_type, doc.data)


def deliver_from_payload(
    *,
    complaint_id: int,
    user_id: int,
    expected_version: int,
    payload: dict,
    documents=(),
    note: str | None = None,
) -> Transition:
    """``deliver`` from the generic action form's payload (``services.actions``)."""
    return deliver(
        complaint_id=complaint_id,
        user_id=user_id,
        expected_version=expected_version,
        method=str(payload.get("delivery_method") or ""),
        delivered_on=payload.get("delivered_on"),
        note=" ".join(p for p in (str(payload.get("evidence") or ""), note or "") if p).strip(),
        email=payload.get("email"),
        phone=payload.get("phone"),
        # The generic form's required "evidence" text is the officer's own statement
        # that the WhatsApp message went out; the delivery panel asks with a checkbox.
        confirmed=bool(payload.get("confirmed", True)),
        received_by=str(payload.get("received_by") or ""),
        documents=tuple(documents),
    )


def delivery_record(*, complaint_id: int) -> dict | None:
    """The recorded step-11 evidence of a complaint (method, date, evidence), if any."""
    with read_session() as session:
        from db.models import StepEvent

        event = session.scalars(
            select(StepEvent)
            .where(StepEvent.complaint_id == complaint_id, StepEvent.action == "deliver")
            .order_by(StepEvent.seq.desc())
            .limit(1)
        ).first()
        return dict(event.payload) if event else None
