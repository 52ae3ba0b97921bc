"""Checks on uploaded files: type by content (not by name), size limit, clean file name."""

from __future__ import annotations

import re
import unicodedata

import filetype

from config import get_settings
from layanan.errors import InvalidInput
from services.workflow import NewDocument

# What the office accepts: scanned letters and photos, PDFs, Word documents.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (.docx)",
}

# The same types as file-name extensions, for the upload widgets' first filter (the
# content check above is what decides).
UPLOAD_EXTENSIONS: list[str] = ["pdf", "jpg", "jpeg", "png", "docx"]


def safe_filename(name: str) -> str:
    """A file name safe to store and to offer for download."""
    normalized = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", normalized).strip(".-")
    return cleaned[:120] or "berkas"


def detect_type(data: bytes) -> str | None:
    """MIME type from the file's content; None when it is not one we accept."""
    kind = filetype.guess(data)
    if kind is None:
        return None
    mime = kind.mime
    if mime == "application/zip" or mime.endswith("wordprocessingml.document"):
        # A .docx is a zip file holding word/document.xml.
        if b"word/" in data[:4096] or b"[Content_Types].xml" in data[:4096]:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return None
    return mime if mime in ALLOWED_TYPES else None


def check_upload(*, kind: str, filename: str, data: bytes) -> NewDocument:
    """An uploaded file as a NewDocument, or a clear refusal in Indonesian."""
    limit_mb = get_settings().upload_max_mb
    if not data:
        raise InvalidInput(f"Berkas {filename} kosong.")
    if len(data) > limit_mb * 1024 * 1024:
        raise InvalidInput(f"Berkas {filename} terlalu besar (maksimal {limit_mb} MB).")
    mime = detect_type(data)
    if mime is None:
        allowed = ", ".join(ALLOWED_TYPES.values())
        raise InvalidInput(
            f"Berkas {filename} ditolak: isinya bukan jenis yang diterima ({allowed})."
        )
    return NewDocument(kind=kind, filename=safe_filename(filename), content_type=mime, data=data)
