"""The disposition sheet (lembar disposisi): filled with what is known at the step."""

from sqlalchemy import select

from db.engine import read_session
from db.models import (
    Disposition,
    StepEvent,
    Unit,
)
from documents.contexts import checkboxes
from documents.render import (
    DOCX_MIME,
)
from layanan import sop
from layanan.errors import NotFound
from layanan.text import tanggal
from services import authz, letter_settings
from services.document_files import (
    Download,
    complainant_name,
    first_step_with,
    load_complaint,
    reached,
    render_template,
    shown_to,
)

STAFF = "staff"  # services.authz capability


def disposition_sheet(*, complaint_id: int, user_id: int) -> Download:
    """The Lembar Disposisi, filled with what is known at the complaint's step."""
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability=STAFF)
        complaint = load_complaint(session, complaint_id)
        if not reached(session, complaint, "lembar_disposisi"):
            raise NotFound(
                "Lembar disposisi dibuat untuk pengaduan tertulis mulai langkah "
                f"{first_step_with('lembar_disposisi')} (pencatatan di TNDE)."
            )
        shown = shown_to(actor, complaint)
        settings = letter_settings.load(session)
        disposition = session.scalars(
            select(Disposition)
            .where(Disposition.complaint_id == complaint.id)
            .order_by(Disposition.created_at.desc(), Disposition.id.desc())
            .limit(1)
        ).first()
        dispose_event = session.scalars(
            select(StepEvent)
            .where(
                StepEvent.complaint_id == complaint.id,
                StepEvent.action.in_(
                    [a.key for a in sop.table().actions if "disposition" in a.records]
                ),
            )
            .order_by(StepEvent.seq.desc())
            .limit(1)
        ).first()
        units = session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)).all()
        chosen = [u.name for u in complaint.units] if disposition else []
        context = {
            "kantor": settings.kantor(),
            "lambang": settings.lambang(),
            "surat_dari": complainant_name(complaint, masked=not shown.name),
            # The incoming letter's own number and date, as captured at intake; "-"
            # for a complaint that came as no letter (never the ticket or arrival).
            "nomor_surat": complaint.incoming_letter_number or "-",
            "tanggal_surat": tanggal(
                complaint.arrived_at
                if sop.Channel(complaint.channel) in sop.MESSAGE_CHANNELS
                else complaint.incoming_letter_date
            ),
            "diterima_tanggal": tanggal(complaint.received_at),
            "nomor_agenda": complaint.agenda_number or "",
            "klasifikasi": sop.CONFIDENTIAL_LABEL if complaint.confidential else "Biasa",
            "sifat_pilihan": checkboxes(
                [sop.title_case(s) for s in sop.SIFAT_SURAT],
                sop.title_case(complaint.sifat or ""),
            ),
            "hal": shown.redact(complaint.subject),
            "diteruskan_kepada": checkboxes([u.name for u in units], chosen),
            "instruksi": checkboxes(
                sop.DISPOSITION_INSTRUCTIONS, disposition.instruction if disposition else None
            ),
            "catatan": (shown.redact(disposition.note) or "") if disposition else "",
            "batas_waktu": tanggal(disposition.due_date)
            if disposition and disposition.due_date
            else "",
            # Not printed by the built-in sheet (the Head initials its paraf box by
            # hand); still given to templates uploaded before the box replaced it.
            "paraf_nama": dispose_event.actor_name if dispose_event else "",
            "paraf_tanggal": tanggal(dispose_event.at) if dispose_event else "",
        }
        data = render_template(session, "lembar_disposisi", context)
        return Download(f"lembar-disposisi-{complaint.ticket}.docx", data, DOCX_MIME)
