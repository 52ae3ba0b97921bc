"""What every official document of a complaint shares: the file, the complaint, the
template in force (the file's, or the admin's replacement), PDF, and the tracking link.
"""

import io
from dataclasses import dataclass

import qrcode
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from config import get_settings
from db.models import (
    Complaint,
    LetterTemplate,
    StepEvent,
)
from documents import pdf
from documents.render import (
    DOCX_MIME,
    RenderError,
    render,
)
from layanan import sop
from layanan.errors import InvalidInput, NotFound
from services import identity, letter_settings
from services.authz import Actor

PDF_MIME = "application/pdf"
MASKED = "(identitas dirahasiakan)"


@dataclass(frozen=True)
class Download:
    """A file for ``st.download_button``."""

    filename: str
    data: bytes
    mime: str


# --- access ----------------------------------------------------------------------------


def load_complaint(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("Pengaduan tidak ditemukan.")
    return complaint


def shown_to(actor: Actor, complaint: Complaint) -> identity.Disclosure:
    """What this actor gets of the complaint's identity (``services.identity``)."""
    return identity.disclosure(actor.roles, complaint)


def identity_visible(actor: Actor, complaint: Complaint) -> bool:
    return shown_to(actor, complaint).contact


def complainant_name(complaint: Complaint, *, masked: bool) -> str:
    if complaint.anonymous or not complaint.complainant_name:
        return "Anonim"
    if masked:
        return MASKED
    return complaint.complainant_name


# --- templates: the file, or the admin's replacement -------------------------------------

_uploaded_cache: dict[str, bytes] = {}


def active_upload(session: Session, key: str) -> LetterTemplate | None:
    return session.scalars(
        select(LetterTemplate)
        .where(LetterTemplate.key == key, LetterTemplate.active.is_(True))
        .order_by(LetterTemplate.uploaded_at.desc(), LetterTemplate.id.desc())
        .limit(1)
    ).first()


def template_source(session: Session, key: str) -> bytes | None:
    """The uploaded replacement of ``key`` in force, or None for the file's template."""
    row = active_upload(session, key)
    if row is None:
        return None
    cached = _uploaded_cache.get(row.sha256)
    if cached is None:
        cached = row.data
        _uploaded_cache[row.sha256] = cached
    return cached


def render_template(session: Session, key: str, context: dict) -> bytes:
    """``key`` rendered with ``context`` from the template in force, on the paper and
    margins of the letter settings."""
    page = letter_settings.load(session).page()
    try:
        return render(key, context, template=template_source(session, key), page=page)
    except RenderError as exc:
        raise InvalidInput(exc.message) from exc


def tracking_url(ticket: str) -> str:
    return f"{get_settings().public_base_url}/lacak?tiket={ticket}"


def qr_png(text: str) -> bytes:
    """A QR code of ``text`` as PNG bytes."""
    image = qrcode.make(text, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def as_pdf(download: Download) -> Download:
    """The same document as PDF (LibreOffice); PdfUnavailable says why when it cannot."""
    if download.mime == PDF_MIME:
        return download
    data = pdf.to_pdf(download.data)
    stem = download.filename.rsplit(".", 1)[0]
    return Download(f"{stem}.pdf", data, PDF_MIME)


def document_filename(key: str, ticket: str, *, final: bool = False, ext: str = "docx") -> str:
    """The file name of a complaint's document (``sop.OFFICIAL_DOCUMENTS``):
    ``[draf-]<file_stem>-<ticket>.<ext>``, "draf-" until a frozen copy exists."""
    doc = sop.OFFICIAL_DOCUMENTS[key]
    draft = doc.frozen_kind is not None and not final
    return f"{'draf-' if draft else ''}{doc.file_stem}-{ticket}.{ext}"


# --- when a complaint's document exists (the steps that declare its template) ---------


def first_step_with(template: str) -> int:
    """The first step of the written path that works on ``template`` (for messages)."""
    steps = sop.table().steps_with_template(template)
    return next(n for n in sop.table().path(sop.Form.TERTULIS) if n in steps)


def reached(session: Session, complaint: Complaint, template: str) -> bool:
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


__all__ = [
    "DOCX_MIME",
    "MASKED",
    "PDF_MIME",
    "Download",
    "active_upload",
    "as_pdf",
    "complainant_name",
    "document_filename",
    "first_step_with",
    "identity_visible",
    "load_complaint",
    "qr_png",
    "reached",
    "render_template",
    "shown_to",
    "template_source",
    "tracking_url",
]
