"""The registry of a complaint's official documents: what the complaint page offers.

The documents and their templates, labels and file names are the rows of
``sop.OFFICIAL_DOCUMENTS``; when each is offered comes from the steps of the SOP table
that declare its template (``Step.template``); how each is built (its context) is the
builder below. A document with a frozen copy (the signed reply letter) is a DRAF until
that copy exists, and that exact file after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Complaint
from layanan import sop
from layanan.errors import NotFound
from services import authz, disposition_sheet, receipt, reply_letter, signed_letter
from services.document_files import (
    Download,
    document_filename,
    first_step_with,
    load_complaint,
    reached,
)

# How each per-complaint document is built: (complaint_id=, user_id=) -> Download.
BUILDERS: dict[str, Callable[..., Download]] = {
    "tanda_terima": receipt.receipt_for_staff,
    "lembar_disposisi": disposition_sheet.disposition_sheet,
    "surat_jawaban": reply_letter.reply_letter,
}


@dataclass(frozen=True)
class Offer:
    """A document the complaint page may offer, and why not when it is not available."""

    key: str  # sop.OFFICIAL_DOCUMENTS key (the template key)
    label: str
    available: bool
    reason: str = ""
    final: bool = False  # the frozen copy (the signed reply letter)
    draft: bool = False  # a draft of a document that is frozen later (marked DRAF)
    # The frozen copy's PDF is converted (the signed letter, seconds after signing);
    # until then the page says so and offers nothing in its place.
    ready: bool = True


def per_complaint_documents() -> list[sop.OfficialDocument]:
    """The registry's per-complaint documents, in the order the page lists them."""
    return [d for d in sop.OFFICIAL_DOCUMENTS.values() if d.per_complaint]


def _offer(session: Session, complaint: Complaint, doc: sop.OfficialDocument) -> Offer:
    first = first_step_with(doc.key)
    if doc.frozen_kind is not None:
        # The reply letter: the frozen, signed file once it exists; a draft while a step
        # that works on it is current and its text is written.
        if complaint.signed_at is not None:
            row = signed_letter.latest(session, complaint.id)
            ready = row is not None and row.pdf_sha256 is not None
            return Offer(
                doc.key,
                f"{doc.label} bertanda tangan ({complaint.letter_number})",
                True,
                "" if ready else signed_letter.NOT_READY,
                final=True,
                ready=ready,
            )
        working = complaint.current_step in sop.table().steps_with_template(doc.key)
        if working and complaint.reply_body:
            return Offer(doc.key, f"Draf {doc.label.lower()} (DRAF)", True, draft=True)
        return Offer(
            doc.key,
            doc.label,
            False,
            f"Tersedia setelah unit menulis draf jawaban (langkah {first}).",
        )
    if reached(session, complaint, doc.key):
        return Offer(doc.key, doc.label, True)
    return Offer(
        doc.key, doc.label, False, f"Tersedia untuk pengaduan tertulis mulai langkah {first}."
    )


def available_documents(*, complaint_id: int, user_id: int) -> list[Offer]:
    """The documents of a complaint, each available or with the reason it is not."""
    with read_session() as session:
        authz.require(session, user_id=user_id, capability="staff")
        complaint = load_complaint(session, complaint_id)
        return [_offer(session, complaint, doc) for doc in per_complaint_documents()]


def document_download(*, key: str, complaint_id: int, user_id: int) -> Download:
    """One of the complaint's documents by key (``Offer.key``)."""
    build = BUILDERS.get(key)
    if build is None:
        raise NotFound(f"Dokumen {key} tidak dikenal.")
    return build(complaint_id=complaint_id, user_id=user_id)


__all__ = [
    "BUILDERS",
    "Offer",
    "available_documents",
    "document_download",
    "document_filename",
    "per_complaint_documents",
]
