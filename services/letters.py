"""The office's documents: reply letter, disposition sheet, receipt, complaint register.

Every function checks who asks (an active staff account; the receipt for the public
needs the tracking PIN), gathers the complaint's data in one read, and renders a
template from ``letter_templates/`` (or the admin's uploaded replacement). The reply
letter is a draft marked DRAF until it is signed; the ``sign`` hook then numbers the
final letter and stores its bytes in the signing transaction of ``workflow.perform``,
and every later download returns exactly those stored bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import qrcode
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import read_session, write_session
from db.models import (
    Complaint,
    Disposition,
    Document,
    LetterTemplate,
    StepEvent,
    Unit,
    User,
)
from documents import numbering, pdf
from documents.contexts import KEYS, REQUIRED, checkboxes, lampiran_text, sample_context
from documents.render import (
    DOCX_MIME,
    Image,
    Paragraphs,
    RenderError,
    render,
    sha256,
    template_file_bytes,
    undeclared_variables,
)
from documents.spreadsheet import XLSX_MIME, register_workbook
from layanan import permissions, sop
from layanan.calendar import day_bounds
from layanan.errors import InvalidInput, NotAllowed, NotFound
from layanan.sop import Role
from layanan.text import tanggal, tanggal_jam
from services import authz, letter_settings, workflow
from services.authz import Actor
from services.letter_settings import LetterSettings
from services.pins import pin_matches
from services.workflow import NewDocument

STAFF, TEMPLATES = "staff", "manage_templates"  # services.authz capabilities
PDF_MIME = "application/pdf"
TEMPLATE_MAX_BYTES = 5 * 1024 * 1024
MASKED = "(identitas dirahasiakan)"
TEMPLATE_LABELS: dict[str, str] = {
    "surat_jawaban": "Surat Jawaban Pengaduan",
    "lembar_disposisi": "Lembar Disposisi",
    "tanda_terima": "Tanda Terima Pengaduan",
    "buku_pengaduan": "Buku Pengaduan",
    "rekapitulasi": "Rekapitulasi Pengaduan",
}


@dataclass(frozen=True)
class Download:
    """A file for ``st.download_button``."""

    filename: str
    data: bytes
    mime: str


@dataclass(frozen=True)
class Offer:
    """A document the complaint page may offer, and why not when it is not available."""

    key: str  # reply_letter | disposition_sheet | receipt
    label: str
    available: bool
    reason: str = ""
    final: bool = False  # the signed, frozen reply letter


# --- access ----------------------------------------------------------------------------


def _complaint(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("Pengaduan tidak ditemukan.")
    return complaint


def _sees_identity(actor: Actor, complaint: Complaint) -> bool:
    return permissions.sees_identity(actor.roles, confidential=complaint.confidential)


def _complainant(complaint: Complaint, *, masked: bool) -> str:
    if masked:
        return MASKED
    if complaint.anonymous or not complaint.complainant_name:
        return "Anonim"
    return complaint.complainant_name


# --- templates: the file, or the admin's replacement -------------------------------------

_uploaded_cache: dict[str, bytes] = {}


def _active_upload(session: Session, key: str) -> LetterTemplate | None:
    return session.scalars(
        select(LetterTemplate)
        .where(LetterTemplate.key == key, LetterTemplate.active.is_(True))
        .order_by(LetterTemplate.uploaded_at.desc(), LetterTemplate.id.desc())
        .limit(1)
    ).first()


def template_source(session: Session, key: str) -> bytes | None:
    """The uploaded replacement of ``key`` in force, or None for the file's template."""
    row = _active_upload(session, key)
    if row is None:
        return None
    cached = _uploaded_cache.get(row.sha256)
    if cached is None:
        cached = row.data
        _uploaded_cache[row.sha256] = cached
    return cached


def _render(session: Session, key: str, context: dict) -> bytes:
    try:
        return render(key, context, template=template_source(session, key))
    except RenderError as exc:
        raise InvalidInput(exc.message) from exc


# --- the reply letter (steps 8-12) -----------------------------------------------------


def _unit_code(session: Session, complaint: Complaint, settings: LetterSettings) -> str:
    if settings.kode_unit:
        return settings.kode_unit
    codes = sorted(u.code for u in complaint.units)
    return codes[0] if codes else "SEK"


def _signer(session: Session, settings: LetterSettings, user: User | None) -> dict[str, str]:
    if user is None and not settings.sekretaris_nama:
        # A draft before signing: the Secretary's account, if there is one.
        user = next(
            (
                u
                for u in session.scalars(
                    select(User).where(User.active.is_(True)).order_by(User.id)
                )
                if Role.SEKRETARIS.value in u.roles
            ),
            None,
        )
    return {
        "atas_nama": settings.atas_nama,
        "jabatan": settings.jabatan_penandatangan,
        "nama": settings.sekretaris_nama or (user.full_name if user else ""),
        "pangkat": settings.sekretaris_pangkat or ((user.rank or "") if user else ""),
        "nip": settings.sekretaris_nip or ((user.nip or "") if user else ""),
    }


def _supporting_count(session: Session, complaint_id: int) -> int:
    return len(
        session.scalars(
            select(Document.id).where(
                Document.complaint_id == complaint_id, Document.kind == "supporting"
            )
        ).all()
    )


def reply_context(
    session: Session,
    complaint: Complaint,
    settings: LetterSettings,
    *,
    body: str,
    draft: bool,
    when: datetime,
    letter_number: str | None = None,
    signer: User | None = None,
    masked: bool = False,
) -> dict:
    """The ``surat_jawaban`` context of a complaint."""
    unit = _unit_code(session, complaint, settings)
    number = letter_number or numbering.draft_number(
        settings.nomor_pola, klasifikasi=settings.klasifikasi, unit=unit, when=when
    )
    name = _complainant(complaint, masked=masked)
    return {
        "kantor": settings.kantor(),
        "lambang": settings.lambang(),
        "draf": draft,
        "tanggal_surat": tanggal(when),
        "nomor_surat": number,
        "sifat": (complaint.sifat or "biasa").capitalize(),
        "lampiran": lampiran_text(_supporting_count(session, complaint.id)),
        "hal": f"Jawaban atas Pengaduan Nomor {complaint.ticket}",
        "penerima": {
            "nama": name if name in (MASKED, "Anonim") else f"Bapak/Ibu {name}",
            "alamat": "" if masked else (complaint.complainant_address or ""),
        },
        "isi_surat": Paragraphs(body),
        "penandatangan": _signer(session, settings, signer),
        "tembusan": list(settings.tembusan),
    }


def reply_filename(ticket: str, *, draft: bool, ext: str = "docx") -> str:
    return f"{'draf-' if draft else ''}surat-jawaban-{ticket}.{ext}"


def _signed_document(session: Session, complaint_id: int) -> Document | None:
    return session.scalars(
        select(Document)
        .where(Document.complaint_id == complaint_id, Document.kind == "reply_letter_signed")
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
        .limit(1)
    ).first()


def signed_reply(session: Session, *, complaint_id: int) -> Download | None:
    """The frozen signed reply letter exactly as stored at step 10 (None before signing).

    No access check: the caller decides who may have it (the portal, after ticket + PIN).
    """
    doc = _signed_document(session, complaint_id)
    return None if doc is None else Download(doc.filename, doc.data, doc.content_type)


def reply_letter(*, complaint_id: int, user_id: int, body: str | None = None) -> Download:
    """The reply letter: the frozen signed file after step 10, else a DRAF rendered now.

    ``body`` previews the text being typed in the step-8 form before it is submitted.
    """
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability=STAFF)
        complaint = _complaint(session, complaint_id)
        masked = not _sees_identity(actor, complaint)
        if complaint.signed_at is not None:
            if masked:  # Secretary and archivist handle the signed original by the SOP
                authz.check(actor, capability="download_signed_original")
            doc = _signed_document(session, complaint_id)
            if doc is None:
                raise NotFound(
                    "Berkas surat jawaban bertanda tangan tidak ditemukan. Hubungi administrator."
                )
            return Download(doc.filename, doc.data, doc.content_type)
        if complaint.current_step not in sop.table().steps_with_template("surat_jawaban"):
            raise NotFound(
                "Draf surat jawaban baru tersedia setelah disposisi, saat unit menyusun "
                f"jawaban (langkah {_first_step_with('surat_jawaban')})."
            )
        text = body if body is not None else complaint.reply_body
        if not (text or "").strip():
            raise NotFound("Isi draf surat jawaban belum ditulis oleh unit.")
        settings = letter_settings.load(session)
        data = _render(
            session,
            "surat_jawaban",
            reply_context(
                session,
                complaint,
                settings,
                body=text,
                draft=True,
                when=datetime.now(UTC),
                masked=masked,
            ),
        )
        return Download(reply_filename(complaint.ticket, draft=True), data, DOCX_MIME)


@workflow.hook("sign")
def _sign(ctx: workflow.HookContext) -> None:
    """Step 10's hook: take the year's next letter number and freeze the final letter.

    Runs inside the signing transaction with the complaint row locked, so the letter
    printed is the complaint as it is at signing, and a refused signing gives its number
    back with the rollback. The engine then refuses the signing unless the frozen letter
    and the number are there (requirement ``signed_letter``).
    """
    session, complaint = ctx.session, ctx.complaint
    if not (complaint.reply_body or "").strip():
        raise InvalidInput("Surat jawaban belum memiliki isi; tidak dapat ditandatangani.")
    settings = letter_settings.load(session)
    number = numbering.allocate(
        session,
        pattern=settings.nomor_pola,
        klasifikasi=settings.klasifikasi,
        unit=_unit_code(session, complaint, settings),
        when=ctx.now,
    )
    signer = session.get(User, ctx.actor.user_id) if ctx.actor.user_id else None
    data = _render(
        session,
        "surat_jawaban",
        reply_context(
            session,
            complaint,
            settings,
            body=complaint.reply_body,
            draft=False,
            when=ctx.now,
            letter_number=number,
            signer=signer,
        ),
    )
    ctx.data["letter_number"] = number
    ctx.documents.append(
        NewDocument(
            "reply_letter_signed", reply_filename(complaint.ticket, draft=False), DOCX_MIME, data
        )
    )


# --- the disposition sheet (steps 6-7 onward) -------------------------------------------


def disposition_sheet(*, complaint_id: int, user_id: int) -> Download:
    """The Lembar Disposisi, filled with what is known at the complaint's step."""
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability=STAFF)
        complaint = _complaint(session, complaint_id)
        if not _reached(session, complaint, "lembar_disposisi"):
            raise NotFound(
                "Lembar disposisi dibuat untuk pengaduan tertulis mulai langkah "
                f"{_first_step_with('lembar_disposisi')} (pencatatan di TNDE)."
            )
        masked = not _sees_identity(actor, complaint)
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
            "surat_dari": _complainant(complaint, masked=masked),
            "nomor_surat": complaint.ticket,
            "tanggal_surat": tanggal(complaint.arrived_at),
            "diterima_tanggal": tanggal(complaint.received_at),
            "nomor_agenda": complaint.agenda_number or "",
            "sifat_pilihan": checkboxes(
                [s.capitalize() for s in sop.SIFAT_SURAT],
                (complaint.sifat or "").capitalize(),
            ),
            "hal": complaint.subject,
            "diteruskan_kepada": checkboxes([u.name for u in units], chosen),
            "instruksi": checkboxes(
                sop.DISPOSITION_INSTRUCTIONS, disposition.instruction if disposition else None
            ),
            "catatan": (disposition.note or "") if disposition else "",
            "batas_waktu": tanggal(disposition.due_date)
            if disposition and disposition.due_date
            else "",
            "paraf_nama": dispose_event.actor_name if dispose_event else "",
            "paraf_tanggal": tanggal(dispose_event.at) if dispose_event else "",
        }
        data = _render(session, "lembar_disposisi", context)
        return Download(f"lembar-disposisi-{complaint.ticket}.docx", data, DOCX_MIME)


def _first_step_with(template: str) -> int:
    """The first step of the written path that works on ``template`` (for messages)."""
    steps = sop.table().steps_with_template(template)
    return next(n for n in sop.table().path(sop.Form.TERTULIS) if n in steps)


def _reached(session: Session, complaint: Complaint, template: str) -> bool:
    """Whether the complaint is at, or has been through, a step that declares
    ``template`` (``sop.Step.template``): the document exists from then on."""
    steps = sop.table().steps_with_template(template)
    if complaint.current_step in steps:
        return True
    return bool(
        session.scalar(
            select(
                exists().where(StepEvent.complaint_id == complaint.id, StepEvent.step.in_(steps))
            )
        )
    )


# --- the receipt (step 2) ----------------------------------------------------------------


def tracking_url(ticket: str) -> str:
    return f"{get_settings().public_base_url}/lacak?tiket={ticket}"


def qr_png(text: str) -> bytes:
    """A QR code of ``text`` as PNG bytes."""
    image = qrcode.make(text, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _receipt(session: Session, complaint: Complaint, *, pin: str | None, masked: bool) -> Download:
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
        "pengadu": _complainant(complaint, masked=masked),
        "perihal": complaint.subject,
        "ringkasan": _summary(complaint.body),
        "petugas": {
            "nama": officer.full_name if officer else "(menunggu penerimaan petugas)",
            "nip": (officer.nip or "-") if officer else "-",
        },
        "tanggal_cetak": tanggal(receive.at if receive else complaint.received_at),
        "alamat_lacak": url,
        "qr": Image(qr_png(url), 30),
    }
    data = _render(session, "tanda_terima", context)
    return Download(f"tanda-terima-{complaint.ticket}.docx", data, DOCX_MIME)


def _summary(body: str, limit: int = 600) -> str:
    text = " ".join(body.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def receipt_download(*, complaint_id: int, pin: str) -> Download:
    """The receipt with the tracking PIN, for the intake page and the portal (PIN checked)."""
    with read_session() as session:
        complaint = _complaint(session, complaint_id)
        if not pin_matches(complaint.tracking_pin_hash, pin):
            raise NotAllowed("PIN pelacakan tidak cocok dengan pengaduan ini.")
        return _receipt(session, complaint, pin=pin, masked=False)


def receipt_for_staff(*, complaint_id: int, user_id: int) -> Download:
    """A copy of the receipt for staff (without the PIN, which is never stored in clear)."""
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability=STAFF)
        complaint = _complaint(session, complaint_id)
        return _receipt(session, complaint, pin=None, masked=not _sees_identity(actor, complaint))


# --- what the complaint page offers ------------------------------------------------------


@dataclass(frozen=True)
class OfficialDocument:
    """One document of the registry: what it is, its template, file name and builder."""

    key: str  # Offer.key
    template: str  # key in letter_templates/ (sop.TEMPLATES)
    label: str
    file_stem: str  # "<file_stem>-<ticket>.docx"
    build: Callable[..., Download]  # (complaint_id=, user_id=) -> Download


def _offer(session: Session, complaint: Complaint, doc: OfficialDocument) -> Offer:
    """The document as the complaint page offers it: when and why not come from the
    steps of the SOP table that declare its template."""
    first = _first_step_with(doc.template)
    if doc.key == "reply_letter":
        if complaint.signed_at is not None:
            return Offer(
                doc.key,
                f"Surat jawaban bertanda tangan ({complaint.letter_number})",
                True,
                final=True,
            )
        drafting = complaint.current_step in sop.table().steps_with_template(doc.template)
        if drafting and complaint.reply_body:
            return Offer(doc.key, "Draf surat jawaban (DRAF)", True)
        return Offer(
            doc.key,
            "Surat jawaban",
            False,
            f"Tersedia setelah unit menulis draf jawaban (langkah {first}).",
        )
    if _reached(session, complaint, doc.template):
        return Offer(doc.key, doc.label, True)
    return Offer(
        doc.key, doc.label, False, f"Tersedia untuk pengaduan tertulis mulai langkah {first}."
    )


def available_documents(*, complaint_id: int, user_id: int) -> list[Offer]:
    """The documents of a complaint, each available or with the reason it is not."""
    with read_session() as session:
        authz.require(session, user_id=user_id, capability=STAFF)
        complaint = _complaint(session, complaint_id)
        return [_offer(session, complaint, doc) for doc in DOCUMENTS.values()]


def document_filename(key: str, ticket: str, *, final: bool = False) -> str:
    """The file name of a registry document of a complaint."""
    if key == "reply_letter":
        return reply_filename(ticket, draft=not final)
    return f"{DOCUMENTS[key].file_stem}-{ticket}.docx"


def document_download(*, key: str, complaint_id: int, user_id: int) -> Download:
    """One of the complaint's documents by key (``Offer.key``)."""
    doc = DOCUMENTS.get(key)
    if doc is None:
        raise NotFound(f"Dokumen {key} tidak dikenal.")
    return doc.build(complaint_id=complaint_id, user_id=user_id)


def as_pdf(download: Download) -> Download:
    """The same document as PDF (LibreOffice); PdfUnavailable says why when it cannot."""
    if download.mime == PDF_MIME:
        return download
    data = pdf.to_pdf(download.data)
    stem = download.filename.rsplit(".", 1)[0]
    return Download(f"{stem}.pdf", data, PDF_MIME)


# --- the complaint register (Buku Pengaduan) ----------------------------------------------


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
        masked = not _sees_identity(actor, complaint)
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
                "pengadu": _complainant(complaint, masked=masked),
                "isi_ringkas": complaint.subject,
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
        docx = _render(session, "buku_pengaduan", context)
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


# --- the monthly recap, rendered for the dashboard ----------------------------------------


def render_recap(context: dict) -> bytes:
    """The ``rekapitulasi`` document (context from ``documents.contexts.recap_context``)."""
    with read_session() as session:
        return _render(session, "rekapitulasi", context)


def recap_letterhead() -> dict:
    """The ``kantor``, ``lambang`` and ``kepala`` keys of the recap, from letter settings."""
    settings = letter_settings.get_letter_settings()
    return {
        "kantor": settings.kantor(),
        "lambang": settings.lambang(),
        "kepala": {
            "nama": settings.kepala_nama,
            "pangkat": settings.kepala_pangkat,
            "nip": settings.kepala_nip,
        },
    }


# --- template administration (admin) ------------------------------------------------------


@dataclass(frozen=True)
class TemplateInfo:
    key: str
    label: str
    source: str  # "bawaan" (letter_templates/) or "unggahan" (uploaded replacement)
    sha256: str
    uploaded_at: datetime | None = None
    uploaded_by: str | None = None


def check_template(key: str, data: bytes) -> set[str]:
    """The names a replacement template uses, if all are allowed; else InvalidInput."""
    if key not in KEYS:
        raise InvalidInput(f"Templat {key!r} tidak dikenal.")
    if not data:
        raise InvalidInput("Berkas templat kosong.")
    if len(data) > TEMPLATE_MAX_BYTES:
        raise InvalidInput("Berkas templat terlalu besar (maksimal 5 MB).")
    try:
        used = undeclared_variables(data)
    except RenderError as exc:
        raise InvalidInput(exc.message) from exc
    unknown = sorted(used - set(KEYS[key]))
    if unknown:
        raise InvalidInput(
            "Templat ditolak: isian berikut tidak dikenal untuk "
            f"{TEMPLATE_LABELS[key]}: {', '.join(unknown)}. Isian yang tersedia: "
            f"{', '.join(sorted(KEYS[key]))}."
        )
    missing = sorted(REQUIRED[key] - used)
    if missing:
        raise InvalidInput(f"Templat ditolak: isian wajib tidak ada: {', '.join(missing)}.")
    try:  # a trial render catches wrong attributes (kantor.xyz) and broken tags
        render(key, sample_context(key), template=data)
    except RenderError as exc:
        raise InvalidInput(f"Templat ditolak: {exc.message}") from exc
    return used


def upload_template(*, user_id: int, key: str, data: bytes) -> TemplateInfo:
    """Accept an admin's replacement template after checking its placeholders."""
    check_template(key, data)
    with write_session() as session:
        actor = authz.require(session, user_id=user_id, capability=TEMPLATES)
        for row in session.scalars(
            select(LetterTemplate).where(LetterTemplate.key == key, LetterTemplate.active)
        ):
            row.active = False
        row = LetterTemplate(
            key=key, data=data, sha256=sha256(data), uploaded_by_id=actor.user_id, active=True
        )
        session.add(row)
        session.flush()
        return TemplateInfo(
            key, TEMPLATE_LABELS[key], "unggahan", row.sha256, row.uploaded_at, actor.name
        )


def revert_template(*, user_id: int, key: str) -> None:
    """Go back to the template in ``letter_templates/`` (uploads are kept, inactive)."""
    with write_session() as session:
        authz.require(session, user_id=user_id, capability=TEMPLATES)
        for row in session.scalars(
            select(LetterTemplate).where(LetterTemplate.key == key, LetterTemplate.active)
        ):
            row.active = False


def template_overview(*, user_id: int) -> list[TemplateInfo]:
    """Each template and whether the file's or an upload is in force."""
    with read_session() as session:
        authz.require(session, user_id=user_id, capability=TEMPLATES)
        result = []
        for key in sop.TEMPLATES:
            row = _active_upload(session, key)
            if row is None:
                result.append(
                    TemplateInfo(
                        key, TEMPLATE_LABELS[key], "bawaan", sha256(template_file_bytes(key))
                    )
                )
            else:
                uploader = session.get(User, row.uploaded_by_id)
                result.append(
                    TemplateInfo(
                        key,
                        TEMPLATE_LABELS[key],
                        "unggahan",
                        row.sha256,
                        row.uploaded_at,
                        uploader.full_name if uploader else None,
                    )
                )
        return result


def template_download(*, user_id: int, key: str) -> Download:
    """The template in force, to edit in Word and upload again."""
    if key not in KEYS:
        raise NotFound(f"Templat {key} tidak dikenal.")
    with read_session() as session:
        authz.require(session, user_id=user_id, capability=TEMPLATES)
        data = template_source(session, key) or template_file_bytes(key)
        return Download(f"templat-{key}.docx", data, DOCX_MIME)


def template_preview(*, user_id: int, key: str) -> Download:
    """The template in force filled with the sample context and the stored kop surat."""
    if key not in KEYS:
        raise NotFound(f"Templat {key} tidak dikenal.")
    with read_session() as session:
        authz.require(session, user_id=user_id, capability=TEMPLATES)
        settings = letter_settings.load(session)
        context = {
            **sample_context(key),
            "kantor": settings.kantor(),
            "lambang": settings.lambang(),
        }
        data = _render(session, key, context)
        return Download(f"contoh-{key}.docx", data, DOCX_MIME)


# The official documents of a complaint, in the order the complaint page lists them.
DOCUMENTS: dict[str, OfficialDocument] = {
    d.key: d
    for d in (
        OfficialDocument(
            "receipt",
            "tanda_terima",
            "Tanda terima pengaduan",
            "tanda-terima",
            receipt_for_staff,
        ),
        OfficialDocument(
            "disposition_sheet",
            "lembar_disposisi",
            "Lembar disposisi",
            "lembar-disposisi",
            disposition_sheet,
        ),
        OfficialDocument(
            "reply_letter", "surat_jawaban", "Surat jawaban", "surat-jawaban", reply_letter
        ),
    )
}


__all__: Sequence[str] = (
    "Download",
    "Offer",
    "RegisterBook",
    "TemplateInfo",
    "as_pdf",
    "available_documents",
    "check_template",
    "disposition_sheet",
    "document_download",
    "document_filename",
    "receipt_download",
    "receipt_for_staff",
    "register_book",
    "render_recap",
    "reply_letter",
    "revert_template",
    "template_download",
    "template_overview",
    "template_preview",
    "upload_template",
)
