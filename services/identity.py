"""Identity is classified data: what of a complainant's identity each viewer gets.

A complaint's identity is its complainant's name, phone, e-mail and address. Everything
the app keeps about a complaint is classified here ONCE: each column of the complaint
(``COMPLAINT_COLUMNS``), each stored document kind (``DOCUMENTS``), each official
document rendered from a template (``RENDERED``), the outbox e-mails and the texts of
the timeline. ``disclosure`` is the one function that decides, from the viewer's roles
and the complaint's flags, what this viewer gets (the rule of docs/portal.md, "Who sees
a complainant's identity"); every surface (complaint page, downloads, lists, register,
dashboard, exports) asks it instead of deciding for itself.

What a viewer may not see becomes "[dirahasiakan]" (a value), is replaced in free text
(``Redactor``: the stored values in every common spelling, and any e-mail address or
mobile number), or is withheld (a document). Every opening of a *rahasia* complaint,
and every download of one of its documents, is logged as a ``ConfidentialView``
(append-only, like the step events).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from db.engine import read_session, write_session
from db.models import Complaint, ConfidentialView, Document
from layanan import permissions
from layanan.errors import NotAllowed, NotFound
from layanan.sop import Role
from services import authz

HIDDEN = "[dirahasiakan]"
ANONYMOUS = "Anonim"


class Carries(StrEnum):
    """What a piece of complaint data holds of the complainant's identity."""

    IDENTITY = "identity"  # is (or holds) the identity: shown only to who may see it
    FREE_TEXT = "free_text"  # typed by people: may quote the identity, shown redacted
    NOTHING = "nothing"  # codes, dates, flags, numbers and choices the office sets


# Every column of ``complaints`` (a test fails on an undeclared one).
COMPLAINT_COLUMNS: dict[str, Carries] = {
    "complainant_name": Carries.IDENTITY,
    "complainant_phone": Carries.IDENTITY,
    "complainant_email": Carries.IDENTITY,
    "complainant_address": Carries.IDENTITY,
    "complainant_city": Carries.IDENTITY,  # part of the address ("di <kota>")
    "subject": Carries.FREE_TEXT,
    "body": Carries.FREE_TEXT,
    "guest_book_entry": Carries.FREE_TEXT,
    "agenda_number": Carries.FREE_TEXT,
    "reply_body": Carries.FREE_TEXT,
    "archive_code": Carries.FREE_TEXT,
    "archive_location": Carries.FREE_TEXT,
    "oral_outcome": Carries.FREE_TEXT,
    **{
        c: Carries.NOTHING
        for c in (
            "id",
            "ticket",
            "tracking_pin_hash",
            "channel",
            "anonymous",
            "confidential",
            "supervisory",
            "category",
            "form",
            "current_step",
            "step_entered_at",
            "step_due_at",
            "version",
            "last_actor_id",
            "arrived_at",
            "received_at",
            "closed_at",
            "sifat",
            "draft_rounds",
            "approved_at",
            "signed_at",
            "letter_number",
            # The incoming letter's own number and date (its sender's, at intake).
            "incoming_letter_number",
            "incoming_letter_date",
            "delivered_at",
            "delivery_method",
            "created_at",
        )
    },
}
# The other tables that hold complaint data. The timeline's texts (step events' notes
# and payload values: reasons, evidence, the WhatsApp number, the e-mail recipient)
# and the disposition's note are FREE_TEXT, shown through ``Disclosure.redact``; an
# outbox e-mail (recipient, the message bytes) carries the identity and is shown only
# in the step-11 delivery panel (capability ``deliver``, a role that sees it); a
# rating's comment is FREE_TEXT and shown nowhere yet.
EVENT_TEXT = Carries.FREE_TEXT
DISPOSITION_NOTE = Carries.FREE_TEXT
OUTBOX_MESSAGE = Carries.IDENTITY
RATING_COMMENT = Carries.FREE_TEXT


@dataclass(frozen=True)
class DocumentClass:
    """How a stored document kind is classified."""

    carries: Carries  # IDENTITY or NOTHING (a file cannot be redacted)
    why: str
    # A capability whose holders get the file although the identity is hidden from them,
    # because their SOP step works on that very file (permissions.CAPABILITIES).
    also_for: str | None = None


# Every document kind the app stores (sop.DOCUMENT_KINDS, the uploads of the SOP table,
# the frozen copies of sop.OFFICIAL_DOCUMENTS): a test fails on an undeclared kind.
DOCUMENTS: dict[str, DocumentClass] = {
    "complaint_letter": DocumentClass(Carries.IDENTITY, "the complainant's own letter"),
    "attachment": DocumentClass(Carries.IDENTITY, "files the complainant gave"),
    "receipt": DocumentClass(Carries.IDENTITY, "the receipt names the complainant"),
    "disposition_sheet": DocumentClass(Carries.IDENTITY, "the sheet names the sender (surat dari)"),
    "reply_letter_signed": DocumentClass(
        Carries.IDENTITY,
        "addressed to the complainant by name and address",
        also_for="download_signed_original",
    ),
    "delivery_evidence": DocumentClass(
        Carries.IDENTITY, "the sent e-mail (.eml, To: the address) or the signed hand-over"
    ),
    "supporting": DocumentClass(
        Carries.NOTHING, "written by the unit, which does not see a hidden identity"
    ),
    "archive_receipt": DocumentClass(
        Carries.NOTHING, "the archivist's filing receipt, made without the identity"
    ),
}
# Kept for callers that only need the set.
IDENTITY_DOCUMENT_KINDS = frozenset(
    k for k, c in DOCUMENTS.items() if c.carries is Carries.IDENTITY
)
# Official documents rendered from a template on request (sop.OFFICIAL_DOCUMENTS): each is
# filled for its viewer through ``disclosure`` (name, address and texts as the viewer
# gets them); a test fails on an undeclared one.
RENDERED: dict[str, str] = {
    "tanda_terima": "services.receipt: name by disclosure, subject and summary redacted",
    "lembar_disposisi": "services.disposition_sheet: sender by disclosure, texts redacted",
    "surat_jawaban": "services.reply_letter: the draft by disclosure; signed = frozen kind",
    "buku_pengaduan": "services.register_book: name by disclosure, subject redacted",
    "rekapitulasi": "services.recap: counts only, no complaint's text",
}


# --- the rule: who gets what (docs/portal.md, "Who sees a complainant's identity") ----


def sees_any_identity(roles: Iterable[Role]) -> bool:
    """Whether these roles see the identity of a rahasia complaint (name search, lists)."""
    return permissions.sees_identity(roles, confidential=True)


def _trusted(roles: Iterable[Role], *, confidential: bool, anonymous: bool) -> bool:
    # An anonim complaint's contact details are as confidential as a rahasia identity:
    # the complainant chose not to be known, the details are only for the reply.
    return permissions.sees_identity(roles, confidential=confidential or anonymous)


def complainant_label(
    *, name: str | None, anonymous: bool, confidential: bool, visible: bool
) -> str:
    """What a list shows as the complainant: the name, "Anonim" or "[dirahasiakan]"."""
    if anonymous:
        return ANONYMOUS
    if confidential and not visible:
        return HIDDEN
    return name or "-"


_SEP = r"[\s.\-()/]*"
# Any e-mail address, any Indonesian mobile number (08.., 628.., +62 8..), spelled with
# spaces, dashes, dots or brackets: a complainant may write a second address or number.
_ANY_EMAIL = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
_ANY_MOBILE = r"(?<![\w+])(?:\+62|0{0,2}62|0)" + _SEP + r"8(?:" + _SEP + r"\d){7,11}(?!\d)"


def _phone_pattern(phone: str) -> str | None:
    """The stored number in every spelling: with or without 0 / 62 / +62, any separators."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("62"):
        digits = digits[2:]
    digits = digits.lstrip("0")
    if len(digits) < 6:
        return None
    body = _SEP.join(digits)
    return rf"(?<!\d)(?:(?:\+|00)?62|0)?{_SEP}{body}(?!\d)"


def _spelled_words(text: str) -> list[str]:
    """The words of a name or an address that a pattern spells out; none when the
    text is too short to look for (under three characters)."""
    words = text.split()
    return words if len(" ".join(words)) >= 3 else []


def _words_pattern(words: list[str]) -> str:
    """A name or an address as typed, with any spacing and line breaks between words."""
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"


_DIGIT = re.compile(r"\d")
# Every phone alternative needs this many digits: the stored number's own pattern at
# least 6 (``_phone_pattern``), any mobile number 8 (``_ANY_MOBILE``).
_PHONE_DIGITS = 6


class Redactor:
    """Replaces in free text what of the identity the viewer may not see.

    The one pattern of a complaint (its name, number, address and any e-mail or mobile
    number) costs ~2 ms to compile, more than rendering a register row: it is compiled
    on the first text that may hold one of them, and a text that cannot is returned
    as it is. "Cannot" is exact: every alternative needs either ``_PHONE_DIGITS``
    digits, an "@", or the first word of a name or address part, looked for with the
    same case-insensitive literal match the pattern itself uses.
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        address: str | None = None,
        hide_name: bool = False,
        hide_contact: bool = False,
    ) -> None:
        self._contact = hide_contact
        self._phone, self._email = phone or "", (email or "").strip()
        texts = [name or ""] if hide_name or hide_contact else []
        if hide_contact:
            address = address or ""
            texts.append(address)
            # A line or comma-separated part of the address (the street, the village).
            texts += [part for part in re.split(r"[,\n;]", address) if len(part.strip()) >= 10]
        # The names and address parts a pattern spells out (``_words_pattern``); the
        # patterns themselves are built with the compiled one, when a text needs it.
        self._words = [words for words in map(_spelled_words, texts) if words]
        self._literals = sorted({re.escape(words[0]) for words in self._words})
        if hide_contact and self._email and "@" not in self._email:
            self._literals.append(re.escape(self._email))  # needs none of the cues
        self.active = hide_contact or bool(self._words)
        self._pattern: re.Pattern[str] | None = None

    @property
    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and self.active:
            patterns: list[str | None] = [_words_pattern(words) for words in self._words]
            if self._contact:
                patterns.append(_phone_pattern(self._phone))
                patterns.append(re.escape(self._email) if self._email else None)
                patterns += [_ANY_EMAIL, _ANY_MOBILE]
            # Longest first: the whole address before one of its parts.
            found = sorted({p for p in patterns if p}, key=len, reverse=True)
            self._pattern = re.compile("|".join(found), re.IGNORECASE)
        return self._pattern

    def _may_hold(self, text: str) -> bool:
        """Whether some alternative of the pattern could match in ``text``."""
        if self._contact and ("@" in text or len(_DIGIT.findall(text)) >= _PHONE_DIGITS):
            return True
        return any(re.search(literal, text, re.IGNORECASE) for literal in self._literals)

    def __call__(self, text: str | None) -> str | None:
        if text is None or not self.active or not self._may_hold(text):
            return text
        return self.pattern.sub(HIDDEN, text)


@dataclass(frozen=True)
class Disclosure:
    """What one viewer gets of one complaint's identity (``disclosure``)."""

    roles: frozenset[Role]
    confidential: bool
    anonymous: bool
    name: bool  # the complainant's name
    contact: bool  # phone, e-mail, address, and the documents that carry the identity
    redact: Redactor  # free text (COMPLAINT_COLUMNS FREE_TEXT, EVENT_TEXT)

    @property
    def masked(self) -> bool:
        """The identity is hidden from this viewer (rendered documents print it masked)."""
        return not self.contact

    def complainant(self, name: str | None) -> str:
        """The complainant as a list or document names them."""
        if self.anonymous:
            return ANONYMOUS
        if not self.name:
            return HIDDEN
        return name or "-"

    def column(self, column: str, value: Any) -> Any:
        """A complaint column's value as this viewer gets it (COMPLAINT_COLUMNS)."""
        carries = COMPLAINT_COLUMNS[column]
        if carries is Carries.IDENTITY:
            shown = self.name if column == "complainant_name" else self.contact
            return value if shown else None
        if carries is Carries.FREE_TEXT and isinstance(value, str):
            return self.redact(value)
        return value

    def document(self, kind: str) -> bool:
        """Whether this viewer may have a stored document of this kind (DOCUMENTS)."""
        cls = DOCUMENTS.get(kind)
        if cls is None:
            return False  # an unclassified kind is withheld until it is declared
        if cls.carries is not Carries.IDENTITY or self.contact:
            return True
        return cls.also_for is not None and permissions.allows(self.roles, cls.also_for)


def disclosure(roles: Iterable[Role], complaint: Any) -> Disclosure:
    """The one decision of what a viewer with ``roles`` gets of ``complaint``'s identity.

    ``complaint`` is a ``Complaint`` or a row with its ``confidential``, ``anonymous`` and
    ``complainant_*`` attributes.
    """
    roles = frozenset(roles)
    anonymous = bool(complaint.anonymous)
    confidential = bool(complaint.confidential)
    contact = _trusted(roles, confidential=confidential, anonymous=anonymous)
    name = contact and not anonymous
    redact = Redactor(
        name=complaint.complainant_name,
        phone=getattr(complaint, "complainant_phone", None),
        email=getattr(complaint, "complainant_email", None),
        address=getattr(complaint, "complainant_address", None),
        hide_name=not name,
        hide_contact=not contact,
    )
    return Disclosure(roles, confidential, anonymous, name, contact, redact)


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
    """A stored document's content, for a user who may have it (``Disclosure.document``);
    downloads of a rahasia complaint's documents are logged like views."""
    now = now or datetime.now(UTC)
    with read_session() as session:
        actor = authz.require(session, user_id=user_id, capability="page:complaint")
        doc = session.get(Document, document_id)
        if doc is None:
            raise NotFound("Dokumen tidak ditemukan.")
        complaint = session.get(Complaint, doc.complaint_id)
        shown = disclosure(actor.roles, complaint)
        if not shown.document(doc.kind):
            raise NotAllowed("Dokumen ini memuat identitas pengadu yang dirahasiakan.")
        result = DocumentFile(doc.filename, doc.content_type, doc.data)
        confidential, complaint_id = complaint.confidential, complaint.id
    if confidential:
        log_confidential_view(complaint_id, user_id, shown.contact, now)
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
