"""Identity is classified data: what of a complainant's identity each viewer gets.

A complaint's identity is its complainant's name, phone, e-mail and address, and the
documents that carry them (``IDENTITY_DOCUMENT_KINDS``). For a *rahasia* complaint only
the roles of ``permissions.SEES_CONFIDENTIAL_IDENTITY`` (front desk, Sub Bagian Umum,
the Head) see it; everyone else gets "[dirahasiakan]", free text with the identity
replaced (``Redactor``), and no identity document. Every opening of a *rahasia*
complaint, and every download of one of its documents, is logged as a
``ConfidentialView`` (append-only, like the step events).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from db.engine import read_session, write_session
from db.models import Complaint, ConfidentialView, Document
from layanan import permissions
from layanan.errors import NotAllowed, NotFound
from layanan.sop import Role
from services import authz

HIDDEN = "[dirahasiakan]"
ANONYMOUS = "Anonim"
# Documents that carry the complainant's identity: withheld with the identity.
IDENTITY_DOCUMENT_KINDS = frozenset({"complaint_letter", "attachment", "receipt"})


def sees_any_identity(roles: Iterable[Role]) -> bool:
    return permissions.sees_identity(roles, confidential=True)


def complainant_label(
    *, name: str | None, anonymous: bool, confidential: bool, visible: bool
) -> str:
    """What a list shows as the complainant: the name, "Anonim" or "[dirahasiakan]"."""
    if anonymous:
        return ANONYMOUS
    if confidential and not visible:
        return HIDDEN
    return name or "-"


class Redactor:
    """Replaces the complainant's identity in free text (rahasia, hidden identity)."""

    def __init__(self, values: Iterable[str | None], active: bool) -> None:
        words = sorted({v.strip() for v in values if v and len(v.strip()) >= 3}, key=len)
        self.pattern = (
            re.compile("|".join(re.escape(w) for w in reversed(words)), re.IGNORECASE)
            if active and words
            else None
        )

    def __call__(self, text: str | None) -> str | None:
        if text is None or self.pattern is None:
            return text
        return self.pattern.sub(HIDDEN, text)


def log_confidential_view(complaint_id: int, user_id: int, shown: bool, now: datetime) -> None:
    with write_session() as session:
        session.add(
            ConfidentialView(
                complaint_id=complaint_id, user_id=user_id, at=now, identity_shown=shown
            )
        )


@dataclass(frozen=True)
class DocumentFile:
    filename: str
    content_type: str
    data: bytes


def document_file(*, document_id: int, user_id: int, now: datetime | None = None) -> DocumentFile:
    """A stored document's content, for a user who may see it (downloads of a rahasia
    complaint's documents are logged like views)."""
    now = now or datetime.now(UTC)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:complaint")
        doc = session.get(Document, document_id)
        if doc is None:
            raise NotFound("Dokumen tidak ditemukan.")
        complaint = session.get(Complaint, doc.complaint_id)
        visible = permissions.sees_identity(actor.roles, confidential=complaint.confidential)
        if not visible and doc.kind in IDENTITY_DOCUMENT_KINDS:
            raise NotAllowed("Dokumen ini memuat identitas pemohon yang dirahasiakan.")
        result = DocumentFile(doc.filename, doc.content_type, doc.data)
        confidential, complaint_id = complaint.confidential, complaint.id
    if confidential:
        log_confidential_view(complaint_id, user_id, visible, now)
    return result


def confidential_views(*, complaint_id: int) -> list[tuple[int, bool]]:
    """(user id, identity shown) of each logged view of a complaint, oldest first."""
    with read_session() as session:
        return list(
            session.execute(
                select(ConfidentialView.user_id, ConfidentialView.identity_shown)
                .where(ConfidentialView.complaint_id == complaint_id)
                .order_by(ConfidentialView.id)
            )
            .tuples()
            .all()
        )
