"""Messages to the complainant at the moments they care about, by e-mail and WhatsApp.

The SOP table says which action tells what (``Action.tells``, ``sop.COMPLAINANT_MESSAGES``):
received (with the ticket and the tracking link), being handled (disposition made),
reply sent, closed, and a rating request after delivery. ``tell`` is registered with the
workflow (``workflow.teller``) and runs inside the action's transaction, after its event:
it writes one outbox row per channel, so a rolled-back action sends nothing and a
committed one always has its messages; the outbox sends them after commit.

Both channels are off until the admin turns them on (*Administrasi → Pemberitahuan*).

- **E-mail** (outbox kind ``complainant_email``, SMTP) when the complaint has an e-mail
  address and e-mail is on.
- **WhatsApp** (kind ``complainant_whatsapp``, ``services.whatsapp``: an approved template
  with two parameters, the ticket and the tracking link) when the complaint has a mobile
  number and a gateway is configured (``WHATSAPP_TOKEN`` + ``WHATSAPP_PHONE_NUMBER_ID``).
  Without a gateway nothing is sent by WhatsApp and step 11 keeps its click-to-chat link.

No message carries the complaint's content (subject, text), and none carries the PIN.
For anonim and rahasia complaints the salutation names nobody. A complainant who opted
out on ``/lacak`` gets nothing more: nothing is written, and rows written before are
cancelled when claimed. The e-mail texts are the admin's (*Administrasi →
Pemberitahuan*); their placeholders are checked when saved.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import read_session, write_session
from db.models import ComplainantOptOut, Complaint, OutboxMessage, Rating, Setting
from layanan import sop, validate
from layanan.errors import InvalidInput
from services import authz, letter_settings, outbox, whatsapp, workflow
from services.workflow import HookContext

SETTINGS_KEY = "complainant_messages"
EMAIL_KIND = "complainant_email"
WHATSAPP_KIND = "complainant_whatsapp"
PLACEHOLDERS: dict[str, str] = {
    "sapaan": "salam pembuka tanpa identitas bagi pengaduan anonim/rahasia",
    "tiket": "nomor tiket",
    "tautan_lacak": "tautan halaman Lacak Pengaduan",
    "nama_dinas": "nama dinas",
}
MOMENT_LABELS: dict[str, str] = {
    "diterima": "Pengaduan diterima",
    "ditangani": "Pengaduan sedang ditangani",
    "jawaban_dikirim": "Surat jawaban disampaikan",
    "selesai": "Pengaduan selesai",
    "penilaian": "Permintaan penilaian",
}
_FOOTER = (
    "\n\nPantau pengaduan Anda di {tautan_lacak} dengan nomor tiket dan PIN pada tanda "
    "terima. Untuk berhenti menerima pesan ini, pilih \u201cBerhenti menerima pesan\u201d "
    "di halaman tersebut.\n\n{nama_dinas}"
)
DEFAULT_TEXTS: dict[str, tuple[str, str]] = {
    "diterima": (
        "Pengaduan {tiket} telah diterima",
        "{sapaan},\n\nPengaduan Anda telah kami terima dengan nomor tiket {tiket}." + _FOOTER,
    ),
    "ditangani": (
        "Pengaduan {tiket} sedang ditangani",
        "{sapaan},\n\nPengaduan {tiket} telah diteruskan kepada unit yang menanganinya." + _FOOTER,
    ),
    "jawaban_dikirim": (
        "Jawaban pengaduan {tiket} telah disampaikan",
        "{sapaan},\n\nSurat jawaban atas pengaduan {tiket} telah disampaikan kepada Anda."
        + _FOOTER,
    ),
    "selesai": (
        "Pengaduan {tiket} selesai",
        "{sapaan},\n\nPenanganan pengaduan {tiket} telah selesai. Terima kasih." + _FOOTER,
    ),
    "penilaian": (
        "Bagaimana penanganan pengaduan {tiket}?",
        "{sapaan},\n\nMohon beri penilaian atas penanganan pengaduan {tiket} di halaman "
        "Lacak Pengaduan ({tautan_lacak})." + _FOOTER,
    ),
}
DEFAULT_TEMPLATES: dict[str, str] = {
    moment: f"pengaduan_{moment}" for moment in sop.COMPLAINANT_MESSAGES
}
OPTED_OUT = "Pengadu telah berhenti menerima pesan (dipilih di halaman Lacak Pengaduan)."


# --- settings and texts -----------------------------------------------------------------


@dataclass(frozen=True)
class MessageSettings:
    """Off until the admin turns a channel on: the office reviews the texts (and has the
    WhatsApp templates approved) before the first complainant receives one."""

    email: bool = False
    whatsapp: bool = False
    texts: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEFAULT_TEXTS))
    templates: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))


def check_text(text: str, *, label: str) -> str:
    """``text`` if every ``{...}`` in it is a known placeholder, used plainly."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"{label} wajib diisi.")
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidInput(
            f"{label}: kurung kurawal tidak berpasangan; tulis {{{{ dan }}}} untuk kurung "
            f"kurawal biasa. Isian yang tersedia: {known}."
        ) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = name if name and name.isidentifier() else "…"
            raise InvalidInput(
                f"{label}: isian {{{shown}}} tidak dikenal. Isian yang tersedia: {known}."
            )
    return text


def _parse(value: dict) -> MessageSettings:
    texts = dict(DEFAULT_TEXTS)
    for moment, pair in (value.get("texts") or {}).items():
        if moment in texts and isinstance(pair, list | tuple) and len(pair) == 2:
            texts[moment] = (str(pair[0]), str(pair[1]))
    templates = dict(DEFAULT_TEMPLATES)
    for moment, name in (value.get("templates") or {}).items():
        if moment in templates and isinstance(name, str) and name:
            templates[moment] = name
    return MessageSettings(
        email=bool(value.get("email", False)),
        whatsapp=bool(value.get("whatsapp", False)),
        texts=texts,
        templates=templates,
    )


def load_settings(session: Session) -> MessageSettings:
    row = session.get(Setting, SETTINGS_KEY)
    return _parse(row.value) if row else MessageSettings()


def message_settings(*, user_id: int) -> MessageSettings:
    """The settings in force, for the admin form (admin only)."""
    with read_session() as session:
        authz.require(session, user_id=user_id, capability="manage_notifications")
        return load_settings(session)


def save_settings(
    *,
    user_id: int,
    email: bool,
    whatsapp: bool,
    texts: dict[str, tuple[str, str]],
    templates: dict[str, str],
) -> MessageSettings:
    """Store the complainant message settings after checking every text (admin only)."""
    checked: dict[str, list[str]] = {}
    for moment, (subject, body) in texts.items():
        if moment not in MOMENT_LABELS:
            raise InvalidInput("Jenis pesan tidak dikenal.")
        label = MOMENT_LABELS[moment]
        subject = check_text(subject, label=f"{label}: Subjek")
        if "\n" in subject.strip() or "\r" in subject:
            raise InvalidInput(f"{label}: Subjek harus satu baris.")
        checked[moment] = [subject.strip(), check_text(body, label=f"{label}: Isi pesan")]
    names: dict[str, str] = {}
    for moment, name in templates.items():
        if moment not in MOMENT_LABELS:
            raise InvalidInput("Jenis pesan tidak dikenal.")
        name = (name or "").strip()
        if not name or not all(ch.islower() or ch.isdigit() or ch == "_" for ch in name):
            raise InvalidInput(
                f"{MOMENT_LABELS[moment]}: nama templat WhatsApp hanya huruf kecil, angka "
                "dan garis bawah (seperti di WhatsApp Manager)."
            )
        names[moment] = name
    value = {"email": bool(email), "whatsapp": bool(whatsapp), "texts": checked, "templates": names}
    with write_session() as session:
        authz.require(session, user_id=user_id, capability="manage_notifications")
        row = session.get(Setting, SETTINGS_KEY)
        if row is None:
            session.add(Setting(key=SETTINGS_KEY, value=value))
        else:
            row.value = value
        return _parse(value)


# --- telling ----------------------------------------------------------------------------


def opted_out(session: Session, complaint_id: int) -> bool:
    return session.get(ComplainantOptOut, complaint_id) is not None


def _values(session: Session, complaint: Complaint) -> dict[str, str]:
    """The placeholders' values; none names an anonim or rahasia complainant."""
    hidden = complaint.anonymous or complaint.confidential or not complaint.complainant_name
    return {
        "sapaan": "Yth. Bapak/Ibu" if hidden else f"Yth. Bapak/Ibu {complaint.complainant_name}",
        "tiket": complaint.ticket,
        "tautan_lacak": f"{get_settings().public_base_url}/lacak?tiket={complaint.ticket}",
        "nama_dinas": letter_settings.load(session).nama_dinas.title(),
    }


def _mobile(phone: str | None) -> str | None:
    try:
        return validate.phone_number(phone, label="Nomor WhatsApp", mobile=True)
    except InvalidInput:
        return None  # a landline: WhatsApp cannot reach it


def channels_reaching(session: Session, complaint) -> tuple[str, ...]:
    """The channels, as the complainant reads them, by which the messages of ``tell``
    would reach this complaint's complainant now: the switched-on ones with a contact."""
    cfg = load_settings(session)
    channels = []
    if cfg.email and complaint.complainant_email:
        channels.append("pos-el")
    if cfg.whatsapp and get_settings().whatsapp_enabled and _mobile(complaint.complainant_phone):
        channels.append("WhatsApp")
    return tuple(channels)


@workflow.teller
def tell(ctx: HookContext, event) -> None:
    """Write the outbox rows of the action's ``tells`` (in its transaction)."""
    session, complaint = ctx.session, ctx.complaint
    if opted_out(session, complaint.id):
        return
    cfg = load_settings(session)
    values = _values(session, complaint)
    settings = get_settings()
    phone = _mobile(complaint.complainant_phone) if settings.whatsapp_enabled else None
    for moment in ctx.action.tells:
        if moment == "penilaian" and session.get(Rating, complaint.id) is not None:
            continue
        subject, body = cfg.texts[moment]
        if cfg.email and complaint.complainant_email:
            message = EmailMessage()
            message["Subject"] = subject.format(**values)
            message["From"] = settings.smtp_sender
            message["To"] = complaint.complainant_email
            message["Message-ID"] = outbox.new_message_id()
            message.set_content(body.format(**values))
            outbox.enqueue(
                session,
                kind=EMAIL_KIND,
                recipient=complaint.complainant_email,
                message=message,
                complaint_id=complaint.id,
                event_id=event.id,
                now=ctx.now,
            )
        if cfg.whatsapp and phone:
            payload = whatsapp.template_payload(
                phone=phone,
                template=cfg.templates[moment],
                parameters=[values["tiket"], values["tautan_lacak"]],  # never the PIN
            )
            envelope = EmailMessage()  # the outbox keeps bytes with a Message-ID
            envelope["Message-ID"] = outbox.new_message_id()
            envelope["To"] = phone
            envelope.set_content(
                json.dumps(payload).encode(), maintype="application", subtype="json"
            )
            outbox.enqueue(
                session,
                kind=WHATSAPP_KIND,
                recipient=phone,
                message=envelope,
                complaint_id=complaint.id,
                event_id=event.id,
                now=ctx.now,
            )


def _cancel_if_opted_out(session: Session, row: OutboxMessage) -> str | None:
    return OPTED_OUT if row.complaint_id and opted_out(session, row.complaint_id) else None


def _send_whatsapp(raw: bytes, recipient: str) -> outbox.Outcome:
    import email
    from email import policy

    payload = json.loads(email.message_from_bytes(raw, policy=policy.default).get_content())
    result = whatsapp.send(payload)
    return outbox.Outcome(result.ok, result.permanent, result.detail)


outbox.register_kind(EMAIL_KIND, cancel_reason=_cancel_if_opted_out)
outbox.register_kind(WHATSAPP_KIND, cancel_reason=_cancel_if_opted_out, transport=_send_whatsapp)


# --- opting out (the portal) ------------------------------------------------------------


def opt_out_in(session: Session, complaint_id: int, *, now: datetime | None = None) -> None:
    """Record that this complaint's complainant wants no more messages (idempotent)."""
    if opted_out(session, complaint_id):
        return
    try:
        with session.begin_nested():
            session.add(ComplainantOptOut(complaint_id=complaint_id, at=now or datetime.now(UTC)))
    except IntegrityError:
        pass  # two tabs at once: the first one recorded it


def pending_for(complaint_id: int) -> list[OutboxMessage]:
    """The complaint's unsent complainant messages (for tests and the admin)."""
    with read_session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.complaint_id == complaint_id,
                OutboxMessage.kind.in_((EMAIL_KIND, WHATSAPP_KIND)),
                OutboxMessage.status.in_(outbox.OPEN_STATUSES),
            )
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)
