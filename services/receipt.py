"""The receipt (tanda terima, SOP step 2): with the tracking PIN for the complainant, a
copy without it for staff."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import (
    Complaint,
    StepEvent,
    User,
)
from documents.render import (
    DOCX_MIME,
    Image,
)
from layanan import sop
from layanan.errors import NotAllowed
from layanan.text import tanggal, tanggal_jam
from services import authz, letter_settings
from services.document_files import (
    Download,
    complainant_name,
    load_complaint,
    qr_png,
    render_template,
    shown_to,
    tracking_url,
)
from services.identity import Disclosure
from services.pins import check_pin

STAFF = "staff"  # services.authz capability


def _receipt(
    session: Session, complaint: Complaint, *, pin: str | None, shown: Disclosure | None
) -> Download:
    """``shown``: what the staff viewer gets of the identity; None for the complainant."""
    masked = shown is not None and not shown.name
    redact = shown.redact if shown is not None else (lambda text: text)
    settings = letter_settings.load(session)
    receive = session.scalars(
        select(StepEvent)
        .where(
            StepEvent.complaint_id == complaint.id,
            StepEvent.step.in_(sop.table().steps_with_template("tanda_terima")),
        )
        .order_by(StepEvent.seq.desc())
        .limit(1)
    ).first()
    officer = session.get(User, receive.actor_id) if receive and receive.actor_id else None
    url = tracking_url(complaint.ticket)
    context = {
        "kantor": settings.kantor(),
        "lambang": settings.lambang(),
        "tiket": complaint.ticket,
        "pin": pin or "",
        "tanggal_jam": tanggal_jam(complaint.received_at),
        "saluran": sop.CHANNEL_LABELS[sop.Channel(complaint.channel)],
        "pengadu": complainant_name(complaint, masked=masked),
        "perihal": redact(complaint.subject),
        "ringkasan": _summary(redact(complaint.body)),
        "petugas": {
            "nama": officer.full_name if officer else "(menunggu penerimaan petugas)",
            "nip": (officer.nip or "-") if officer else "-",
        },
        "tanggal_cetak": tanggal(receive.at if receive else complaint.received_at),
        "alamat_lacak": url,
        "qr": Image(qr_png(url), 30),
    }
    data = render_template(session, "tanda_terima", context)
    return Download(f"tanda-terima-{complaint.ticket}.docx", data, DOCX_MIME)


def _summary(body: str, limit: int = 600) -> str:
    text = " ".join(body.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def receipt_download(*, complaint_id: int, pin: str, client: str) -> Download:
    """The receipt with the tracking PIN, for the intake page and the portal.

    The PIN is checked like a tracking attempt (``services.pins.check_pin``: counted per
    client and per ticket, refused with ``Throttled`` once a budget is spent), so the
    receipt is no way around the tracking page's throttling.
    """
    with read_session() as session:
        complaint = load_complaint(session, complaint_id)
        ticket, pin_hash = complaint.ticket, complaint.tracking_pin_hash
        session.rollback()  # no connection held while argon2 runs (as services.portal)
        if not check_pin(
            ticket=ticket, complaint_id=complaint_id, pin_hash=pin_hash, pin=pin, client=client
        ):
            raise NotAllowed("PIN pelacakan tidak cocok dengan pengaduan ini.")
        return _receipt(session, complaint, pin=pin, shown=None)


def receipt_for_staff(*, complaint_id: int, user_id: int) -> Download:
    """A copy of the receipt for staff (without the PIN, which is never stored in clear)."""
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability=STAFF)
        complaint = load_complaint(session, complaint_id)
        return _receipt(session, complaint, pin=None, shown=shown_to(actor, complaint))
