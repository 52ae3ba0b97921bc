"""The reply letter (SOP steps 8-12): a DRAF rendered on request until it is signed;
the ``sign`` hook numbers the final letter, prints its electronic-signature block
(verification code and QR code, ``services.signed_letter``) and freezes its .docx in the
signing transaction. The signed letter handed out is the PDF converted from that .docx
after commit; every later download returns exactly those PDF bytes.
"""

import hashlib
import io
import threading
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import (
    Complaint,
    Document,
    User,
)
from documents import numbering
from documents.contexts import lampiran_text
from documents.pdf import PdfUnavailable, pdf_unavailable_reason
from documents.render import (
    DOCX_MIME,
    Image,
    Paragraphs,
)
from layanan import permissions, sop, validate
from layanan.errors import InvalidInput, NotAllowed, NotFound
from layanan.sop import Role
from layanan.text import tanggal
from services import authz, letter_settings, signed_letter, workflow
from services.document_files import (
    MASKED,
    PDF_MIME,
    Download,
    as_pdf,
    complainant_name,
    document_filename,
    first_step_with,
    load_complaint,
    qr_png,
    render_template,
    shown_to,
)
from services.identity import Disclosure
from services.letter_settings import LetterSettings
from services.workflow import NewDocument

STAFF = "staff"  # services.authz capability


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
    shown: Disclosure | None = None,
    verification_code: str | None = None,
) -> dict:
    """The ``surat_jawaban`` context of a complaint: for a viewer's draft as ``shown``
    gives the identity (``services.identity``); ``None`` (signing) the real letter."""
    unit = _unit_code(session, complaint, settings)
    number = letter_number or numbering.draft_number(
        settings.nomor_pola, klasifikasi=settings.klasifikasi, unit=unit, when=when
    )
    masked = shown is not None and not shown.name
    name = complainant_name(complaint, masked=masked)
    address = complaint.complainant_address or ""
    city = complaint.complainant_city or ""
    if shown is not None:
        address, city = (address, city) if shown.contact else ("", "")
        body = shown.redact(body) or ""
    return {
        "kantor": settings.kantor(),
        "lambang": settings.lambang(),
        "draf": draft,
        "tanggal_surat": tanggal(when),
        "nomor_surat": number,
        "sifat": sop.sifat_label(complaint.sifat, confidential=bool(complaint.confidential)),
        "lampiran": lampiran_text(_supporting_count(session, complaint.id)),
        "hal": f"Jawaban atas Pengaduan Nomor {complaint.ticket}",
        "penerima": {
            "nama": addressee(name, complaint.ticket),
            "alamat": address.strip(),
            "tempat": city.strip() or "Tempat",
        },
        "isi_surat": Paragraphs(body),
        "penandatangan": _signer(session, settings, signer),
        "tembusan": [t for t in settings.tembusan if not letter_settings.is_archive_copy(t)],
        "tte": None if verification_code is None else tte_context(verification_code, when),
    }


def tte_context(code: str, when: datetime) -> dict:
    """The electronic-signature block of the signed letter (``tte`` in the template)."""
    url = signed_letter.verification_url(code)
    return {
        "tanggal": tanggal(when),
        "kode": signed_letter.show_code(code),
        "qr": Image(qr_png(url), 24),
        "alamat": url.split("?", 1)[0],
    }


def addressee(name: str, ticket: str) -> str:
    """The "Yth." line: "Sdr. <name>", as the body says "Saudara"; an anonymous
    complainant is addressed by role (the glossary's word for the complainant) and the
    ticket, never as "Anonim"; a name this viewer may not see stays masked."""
    if name == MASKED:
        return name
    if name == "Anonim":
        return f"Sdr. Pengadu (Nomor Pengaduan {ticket})"
    return f"Sdr. {name}"


def reply_filename(ticket: str, *, draft: bool, ext: str = "docx") -> str:
    return document_filename("surat_jawaban", ticket, final=not draft, ext=ext)


def signed_document(session: Session, complaint_id: int) -> Document | None:
    return session.scalars(
        select(Document)
        .where(Document.complaint_id == complaint_id, Document.kind == "reply_letter_signed")
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
        .limit(1)
    ).first()


def signed_reply(session: Session, *, complaint_id: int) -> Download | None:
    """The signed reply letter as handed out: the PDF converted from the .docx frozen at
    step 10, exactly as stored (None before signing and while the PDF is not ready).

    No access check: the caller decides who may have it (the portal, after ticket + PIN).
    """
    found = signed_letter.pdf_of(session, complaint_id)
    if found is None:
        return None
    complaint = session.get(Complaint, complaint_id)
    return Download(reply_filename(complaint.ticket, draft=False, ext="pdf"), found[1], PDF_MIME)


def signed_reply_or_wait(session: Session, *, complaint_id: int) -> Download:
    """``signed_reply`` after signing; ``NotReady`` while its PDF is being converted."""
    letter = signed_reply(session, complaint_id=complaint_id)
    if letter is None:
        if signed_letter.latest(session, complaint_id) is None:
            raise NotFound(
                "Berkas surat jawaban bertanda tangan tidak ditemukan. Hubungi administrator."
            )
        raise signed_letter.NotReady(signed_letter.NOT_READY)
    return letter


def signed_docx(*, complaint_id: int, user_id: int) -> Download:
    """The .docx frozen at signing, kept beside the PDF (for the archive)."""
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability=STAFF)
        complaint = load_complaint(session, complaint_id)
        if not shown_to(actor, complaint).document("reply_letter_signed"):
            raise NotAllowed(permissions.refusal("download_signed_original"))
        doc = signed_document(session, complaint_id)
        if doc is None:
            raise NotFound("Berkas surat jawaban bertanda tangan tidak ditemukan.")
        return Download(doc.filename, doc.data, doc.content_type)


def reply_letter(*, complaint_id: int, user_id: int, body: str | None = None) -> Download:
    """The reply letter: the signed PDF after step 10 (``NotReady`` for the few seconds
    its conversion takes), else a DRAF (.docx) rendered now.

    ``body`` previews the text being typed in the step-8 form before it is submitted.
    """
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability=STAFF)
        complaint = load_complaint(session, complaint_id)
        shown = shown_to(actor, complaint)
        if complaint.signed_at is not None:
            # The frozen file is the stored kind reply_letter_signed: classified once.
            if not shown.document("reply_letter_signed"):
                raise NotAllowed(permissions.refusal("download_signed_original"))
            return signed_reply_or_wait(session, complaint_id=complaint_id)
        if complaint.current_step not in sop.table().steps_with_template("surat_jawaban"):
            raise NotFound(
                "Draf surat jawaban baru tersedia setelah disposisi, saat unit menyusun "
                f"jawaban (langkah {first_step_with('surat_jawaban')})."
            )
        # The text being typed is checked as the step-8 field will be on submit.
        text = (
            validate.text(
                body,
                label=sop.FIELDS["reply_body"].label,
                max_length=workflow.field_limit("reply_body"),
            )
            if body is not None
            else complaint.reply_body
        )
        if not (text or "").strip():
            raise NotFound("Isi draf surat jawaban belum ditulis oleh unit.")
        settings = letter_settings.load(session)
        data = render_template(
            session,
            "surat_jawaban",
            reply_context(
                session,
                complaint,
                settings,
                body=text,
                draft=True,
                when=datetime.now(UTC),
                shown=shown,
            ),
        )
        return Download(reply_filename(complaint.ticket, draft=True), data, DOCX_MIME)


@dataclass(frozen=True)
class LetterPreview:
    """The reply letter as it prints: the first pages as PNG images."""

    pages: tuple[bytes, ...]
    page_count: int  # pages of the whole letter (``pages`` may be fewer)
    seconds: float  # how long rendering took (Word, PDF, images)


# Rendered previews by the content of the letter they show (``_content_key``): the Head
# opening the same draft again, in a new session or on another day, gets it at once
# instead of another LibreOffice conversion. Keyed by what the letter says as this user
# may read it, so no viewer is shown another's rendering of different content.
PREVIEW_CACHE_SIZE = 32
_previews: OrderedDict[str, LetterPreview] = OrderedDict()
_previews_lock = threading.Lock()


def _content_key(docx: bytes, max_pages: int, scale: float) -> str:
    """A digest of the .docx's parts, not of the zip: each save stamps the zip entries
    with the time, while the parts are the same for the same letter."""
    digest = hashlib.sha256(f"{max_pages}:{scale}".encode())
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        for name in sorted(archive.namelist()):
            digest.update(name.encode() + b"\0")
            digest.update(hashlib.sha256(archive.read(name)).digest())
    return digest.hexdigest()


def reply_preview(
    *, complaint_id: int, user_id: int, max_pages: int = 3, scale: float = 1.4
) -> LetterPreview:
    """The letter ``reply_letter`` gives this user, rendered to images for the page.

    The .docx is converted by LibreOffice (``as_pdf``; ``PdfUnavailable`` says why when
    it cannot be) and its pages rasterised with PDFium. That takes seconds, so the
    result is kept per letter content (``PREVIEW_CACHE_SIZE`` letters per process).
    """
    # Asked first, also when a rendering is kept: the page must say the converter is
    # gone (its PDF downloads fail too) rather than show an image from before.
    reason = pdf_unavailable_reason()
    if reason:
        raise PdfUnavailable(reason)
    started = time.perf_counter()
    letter = reply_letter(complaint_id=complaint_id, user_id=user_id)
    key = _content_key(letter.data, max_pages, scale)
    with _previews_lock:
        cached = _previews.get(key)
        if cached is not None:
            _previews.move_to_end(key)
            return cached
    preview = _render_preview(letter, max_pages=max_pages, scale=scale, started=started)
    with _previews_lock:
        _previews[key] = preview
        while len(_previews) > PREVIEW_CACHE_SIZE:
            _previews.popitem(last=False)
    return preview


def _render_preview(letter, *, max_pages: int, scale: float, started: float) -> LetterPreview:
    import pypdfium2  # imported here: only the preview needs it

    document = as_pdf(letter)
    pdf = pypdfium2.PdfDocument(document.data)
    try:
        images = []
        for index in range(min(len(pdf), max_pages)):
            bitmap = pdf[index].render(scale=scale)
            buffer = io.BytesIO()
            bitmap.to_pil().save(buffer, format="PNG", optimize=True)
            images.append(buffer.getvalue())
        count = len(pdf)
    finally:
        pdf.close()
    return LetterPreview(tuple(images), count, time.perf_counter() - started)


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
    code = signed_letter.new_code()
    context = reply_context(
        session,
        complaint,
        settings,
        body=complaint.reply_body,
        draft=False,
        when=ctx.now,
        letter_number=number,
        signer=signer,
        verification_code=code,
    )
    data = render_template(session, "surat_jawaban", context)
    # The verification record; its PDF is converted from ``data`` after commit.
    signed_letter.record(
        session,
        complaint,
        code=code,
        letter_number=number,
        signed_at=ctx.now,
        hal=context["hal"],
        signer=context["penandatangan"],
        docx=data,
    )
    ctx.data["letter_number"] = number
    ctx.documents.append(
        NewDocument(
            "reply_letter_signed", reply_filename(complaint.ticket, draft=False), DOCX_MIME, data
        )
    )
