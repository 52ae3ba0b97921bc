"""The complaint register (Buku Pengaduan) of a period, in Word and Excel."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import (
    Complaint,
)
from documents.render import (
    DOCX_MIME,
)
from documents.spreadsheet import XLSX_MIME, register_workbook
from layanan import sop
from layanan.calendar import day_bounds
from layanan.errors import InvalidInput
from layanan.text import tanggal
from services import authz, letter_settings
from services.authz import Actor
from services.document_files import (
    Download,
    complainant_name,
    render_template,
    shown_to,
)


@dataclass(frozen=True)
class RegisterBook:
    periode: str
    rows: list[dict]
    docx: Download
    xlsx: Download


def register_rows(session: Session, *, start: date, end: date, actor: Actor) -> list[dict]:
    """Complaints received in [start, end] (office dates) as register rows, oldest first."""
    lo, hi = day_bounds(start, end)
    complaints = session.scalars(
        select(Complaint)
        .where(Complaint.received_at >= lo, Complaint.received_at < hi)
        .order_by(Complaint.received_at, Complaint.id)
    ).all()
    rows = []
    for number, complaint in enumerate(complaints, start=1):
        shown = shown_to(actor, complaint)
        notes = [complaint.ticket]
        if complaint.letter_number:
            notes.append(f"Surat jawaban {complaint.letter_number}")
        if complaint.confidential:
            notes.append("Rahasia")
        rows.append(
            {
                "no": number,
                "tanggal_terima": tanggal(complaint.received_at),
                "nomor_agenda": complaint.agenda_number or "-",
                "pengadu": complainant_name(complaint, masked=not shown.name),
                "isi_ringkas": shown.redact(complaint.subject),
                "diteruskan_ke": ", ".join(sorted(u.name for u in complaint.units)) or "-",
                "status": sop.step_label(complaint.current_step)
                if complaint.current_step is not None
                else "Selesai",
                "keterangan": "; ".join(notes),
            }
        )
    return rows


def register_book(*, user_id: int, start: date, end: date) -> RegisterBook:
    """The Buku Pengaduan for a period, in Word and Excel (Sub Bagian Umum, arsiparis)."""
    if end < start:
        raise InvalidInput("Tanggal akhir periode harus sama dengan atau setelah tanggal awal.")
    if (end - start).days > 366:
        raise InvalidInput("Periode buku pengaduan paling lama satu tahun.")
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="print_register")
        rows = register_rows(session, start=start, end=end, actor=actor)
        settings = letter_settings.load(session)
        periode = f"{tanggal(start)} s.d. {tanggal(end)}"
        printed = tanggal(datetime.now(UTC))
        context = {
            "kantor": settings.kantor(),
            "lambang": settings.lambang(),
            "periode": periode,
            "baris": rows,
            "jumlah": len(rows),
            "dicetak_oleh": actor.name,
            "tanggal_cetak": printed,
        }
        docx = render_template(session, "buku_pengaduan", context)
    stem = f"buku-pengaduan-{start.isoformat()}-sd-{end.isoformat()}"
    xlsx = register_workbook(
        title="BUKU PENGADUAN", periode=periode, rows=rows, printed=f"{printed} oleh {actor.name}"
    )
    return RegisterBook(
        periode=periode,
        rows=rows,
        docx=Download(f"{stem}.docx", docx, DOCX_MIME),
        xlsx=Download(f"{stem}.xlsx", xlsx, XLSX_MIME),
    )
