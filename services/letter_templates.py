"""Template administration (admin): replace a template after checking its placeholders,
go back to the file's, download and preview the one in force."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from db.engine import read_session, write_session
from db.models import (
    LetterTemplate,
    User,
)
from documents.contexts import KEYS, REQUIRED, sample_context
from documents.render import (
    DOCX_MIME,
    RenderError,
    render,
    sha256,
    template_file_bytes,
    undeclared_variables,
)
from layanan import sop
from layanan.errors import InvalidInput, NotFound
from services import authz, letter_settings
from services.document_files import (
    Download,
    active_upload,
    render_template,
    template_source,
)

TEMPLATES = "manage_templates"  # services.authz capability

TEMPLATE_MAX_BYTES = 5 * 1024 * 1024
TEMPLATE_LABELS: dict[str, str] = {d.key: d.title for d in sop.OFFICIAL_DOCUMENTS.values()}


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
        raise InvalidInput("Templat tidak dikenal; pilih templat dari daftar.")
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
            row = active_upload(session, key)
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
        data = render_template(session, key, context)
        return Download(f"contoh-{key}.docx", data, DOCX_MIME)
