"""Identity is classified once, and no surface shows it to a role outside the rule.

The rule (docs/portal.md, "Who sees a complainant's identity"): a *rahasia* complaint's
identity (name, phone, e-mail, address) only to Petugas Pelayanan, Sub Bagian Umum and
Kepala Dinas; an *anonim* complaint's name to nobody, its contact details to those same
roles; the signed reply letter besides to the Secretary and the archivist (who sign and
file it). ``test_no_surface_shows_an_identity_to_a_role_outside_the_rule`` drives a
rahasia complaint through e-mail delivery, another through WhatsApp delivery and an anonim
one (name kept at the step-4 correction) through e-mail delivery, with the identity quoted
in the subject, text, notes and payloads in several spellings, then reads every surface
that shows complaint data as every role, and looks for the identity in what comes out
(DOCX/XLSX XML, PDF text, e-mail headers and decoded parts, the read models' strings).
"""

from __future__ import annotations

import dataclasses
import email
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from email import policy
from html import unescape as html_unescape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.engine import read_session
from db.models import Complaint, Document
from layanan import permissions, sop
from layanan.calendar import office_today
from layanan.errors import WorkflowError
from layanan.sop import Role
from services import (
    complaint_detail,
    complaint_lists,
    dashboard,
    delivery,
    identity,
    official_documents,
    recap,
    register_book,
    workflow,
)
from tests.apptest_helpers import open_page, texts
from tests.factories import PDF, do, new_complaint, payload_for, state, version_of

TRUSTED = frozenset({Role.PETUGAS, Role.SUBBAG_UMUM, Role.KEPALA_DINAS})
SIGNED_ORIGINAL = TRUSTED | {Role.SEKRETARIS, Role.ARSIPARIS}
# One fixture user per role (the rule is a function of the viewer's roles).
ROLE_OF = {
    "petugas": Role.PETUGAS,
    "subbag": Role.SUBBAG_UMUM,
    "kepala": Role.KEPALA_DINAS,
    "sekretaris": Role.SEKRETARIS,
    "unit_kop": Role.UNIT,
    "arsiparis": Role.ARSIPARIS,
    "admin": Role.ADMIN,
}


@dataclasses.dataclass(frozen=True)
class Person:
    name: str
    phone: str  # as typed at intake
    email: str
    address: str

    def needles(self) -> dict[str, list[str]]:
        """What betrays each part of the identity in a normalised text."""
        digits = re.sub(r"\D", "", self.phone).removeprefix("62").lstrip("0")
        return {
            "name": [_norm(self.name)],
            "phone": [digits],  # any spelling: separators are removed by _norm
            "email": [self.email.lower(), self.email.split("@")[0].lower() + "@"],
            "address": [_norm(self.address), _norm(self.address.split(",")[0])],
        }


RAHASIA_EMAIL = Person(
    "Wulandari Kusumawati",
    "0812-3456-7890",
    "wulan.kusuma@contoh.id",
    "Jl. Merpati Nomor 17, Kelurahan Besusu Barat, Palu",
)
RAHASIA_WA = Person(
    "Hendrik Pasaribu",
    "0853 1122 3344",
    "hendrik.p@contoh.id",
    "Jl. Cendrawasih Nomor 3, Kelurahan Talise, Palu",
)
ANONIM = Person(
    "Maria Magdalena Tumewu",
    "+62 821-7654-3210",
    "maria.tumewu@contoh.id",
    "Jl. Kakatua Nomor 88, Kelurahan Lolu Utara, Palu",
)


def _norm(text: str) -> str:
    """Lower case, one space for any run of whitespace, no separators between digits."""
    text = html_unescape(text).casefold()
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"(?<=\d)[\s.\-()/+]+(?=\d)", "", text)


def _quoted(p: Person, phone_as: str) -> str:
    return f"Saya {p.name}, tinggal di {p.address}. Hubungi saya di {phone_as} atau {p.email}."


# --- bytes as text ----------------------------------------------------------------------


def _zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [
            archive.read(n).decode("utf-8", "replace")
            for n in archive.namelist()
            if n.endswith((".xml", ".rels"))
        ]
    # Word splits text in runs: drop the tags, keep the text as it reads.
    return re.sub(r"<[^>]+>", "", "".join(parts))


def _pdf_text(data: bytes) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def _eml_text(data: bytes) -> str:
    message = email.message_from_bytes(data, policy=policy.default)
    parts = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        parts += [f"{k}: {v}" for k, v in part.items()]
        content = part.get_content()  # base64 / quoted-printable decoded
        parts.append(bytes_text(content) if isinstance(content, bytes) else content)
    return "\n".join(parts)


def bytes_text(data: bytes) -> str:
    """Everything readable in a file: the raw bytes, and its decoded content."""
    found = [data.decode("utf-8", "replace")]
    if data[:2] == b"PK":
        found.append(_zip_text(data))
    elif data[:5] == b"%PDF-":
        found.append(_pdf_text(data))
    elif b"Message-ID:" in data[:4000] or b"MIME-Version:" in data[:4000]:
        found.append(_eml_text(data))
    return "\n".join(found)


def strings(value) -> str:
    """Every string in a read model (dataclasses, tuples, dicts, frames), joined."""
    out: list[str] = []

    def walk(v) -> None:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, bytes):
            out.append(bytes_text(v))
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            for f in dataclasses.fields(v):
                walk(getattr(v, f.name))
        elif isinstance(v, dict):
            for k, item in v.items():
                walk(k)
                walk(item)
        elif isinstance(v, (list, tuple, set, frozenset)):
            for item in v:
                walk(item)
        elif hasattr(v, "to_csv"):  # a pandas frame
            out.append(v.to_csv())

    walk(value)
    return "\n".join(out)


# --- the complaints ---------------------------------------------------------------------


def _intake(staff, p: Person, **flags) -> int:
    # The number is stored as typed; the text spells it +62 ..., the hand-over note as typed,
    # the disposition note without dashes, the WhatsApp hook stores +62... (normalised).
    created = new_complaint(
        staff,
        complainant_name=p.name,
        complainant_phone=p.phone,
        complainant_email=p.email,
        complainant_address=p.address,
        subject=f"Sertifikat {p.name} belum diterima",
        body=_quoted(p, "+62 " + p.phone.lstrip("+620").lstrip()),
        guest_book_entry=p.name[:40],
        **flags,
    )
    return created.complaint_id


def _to_step_eleven(staff, cid: int, p: Person, *, anonymous_at_four: bool = False) -> None:
    do(staff.petugas, cid, "hand_over", {"guest_book_entry": p.name[:40]}, note=_quoted(p, p.phone))
    if anonymous_at_four:
        do(
            staff.subbag,
            cid,
            "correct_intake",
            {"reason": f"{p.name} minta anonim", "anonymous": True},
        )
    do(staff.subbag, cid, "classify_written", note=f"Surat dari {p.name}")
    do(staff.subbag, cid, "register", payload_for("register", staff))
    do(
        staff.kepala,
        cid,
        "dispose",
        {"units": [staff.unit_kop.unit_id], "instruction": "Siapkan jawaban"},
        note=f"Hubungi {p.name} di {p.phone.replace('-', '')}",
    )
    do(
        staff.unit_kop,
        cid,
        "submit_draft",
        {"reply_body": "Dengan hormat, pengaduan Saudara telah kami tindak lanjuti."},
        documents=[PDF],
    )
    do(staff.kepala, cid, "approve", {"paraf": True})
    do(staff.sekretaris, cid, "sign")
    assert state(cid).current_step == 11


def _by_email(staff, cid: int, p: Person) -> None:
    result = delivery.send_email(
        complaint_id=cid,
        user_id=staff.petugas.id,
        expected_version=version_of(cid),
        recipient=p.email,
        note=f"Dikirim ke {p.email} atas permintaan {p.name}",
    )
    assert result.delivered, result.text


def _by_whatsapp(staff, cid: int, p: Person) -> None:
    workflow.perform(
        complaint_id=cid,
        action="deliver",
        user_id=staff.petugas.id,
        expected_version=version_of(cid),
        payload={
            "delivery_method": "whatsapp",
            "delivered_on": office_today(datetime.now(UTC)).isoformat(),
            "evidence": delivery.PANEL_NOTE,
        },
        hook_input={"phone": p.phone, "confirmed": True},
    )


@pytest.fixture
def complaints(staff, smtp_server):
    """Three complaints, each with the person whose identity must not leak and the rule."""
    smtp_server()
    rahasia_mail = _intake(staff, RAHASIA_EMAIL, confidential=True)
    _to_step_eleven(staff, rahasia_mail, RAHASIA_EMAIL)
    _by_email(staff, rahasia_mail, RAHASIA_EMAIL)

    rahasia_wa = _intake(staff, RAHASIA_WA, confidential=True)
    _to_step_eleven(staff, rahasia_wa, RAHASIA_WA)
    _by_whatsapp(staff, rahasia_wa, RAHASIA_WA)
    do(staff.arsiparis, rahasia_wa, "archive", payload_for("archive", staff))

    anonim = _intake(staff, ANONIM)
    _to_step_eleven(staff, anonim, ANONIM, anonymous_at_four=True)
    _by_email(staff, anonim, ANONIM)
    assert state(anonim).anonymous and state(anonim).complainant_name == ANONIM.name
    return [(rahasia_mail, RAHASIA_EMAIL), (rahasia_wa, RAHASIA_WA), (anonim, ANONIM)]


def allowed(role: Role, *, anonymous: bool, part: str, signed_original: bool) -> bool:
    """The rule of docs/portal.md, written out independently of services.identity."""
    if anonymous and part == "name":
        return False
    return role in (SIGNED_ORIGINAL if signed_original else TRUSTED)


# --- the walk ---------------------------------------------------------------------------


class Walk:
    def __init__(self, complaints) -> None:
        self.complaints = complaints
        self.checked = 0  # surfaces x roles read
        self.leaking = 0  # of them, those that showed an identity outside the rule
        self.leaks: list[str] = []

    def check(self, surface: str, who: str, text: str, *, signed_original=False) -> None:
        """One surface as one role: every complaint's identity parts it may not show."""
        role = ROLE_OF[who]
        seen = _norm(text)
        self.checked += 1
        before = len(self.leaks)
        for cid, person in self.complaints:
            anonymous = person is ANONIM
            for part, needles in person.needles().items():
                if allowed(role, anonymous=anonymous, part=part, signed_original=signed_original):
                    continue
                if any(n in seen for n in needles):
                    self.leaks.append(f"{surface} [{who}] shows the {part} of complaint {cid}")
        self.leaking += len(self.leaks) > before


def _refused(call, **kwargs):
    """What ``call`` gives, or None when the service refuses this viewer."""
    try:
        return call(**kwargs)
    except WorkflowError:
        return None


def test_no_surface_shows_an_identity_to_a_role_outside_the_rule(staff, complaints):
    walk = Walk(complaints)
    users = {who: getattr(staff, who) for who in ROLE_OF}
    now = datetime.now(UTC)
    today = office_today(now)
    with read_session() as session:
        documents = session.execute(select(Document.id, Document.kind, Document.complaint_id)).all()
    for who, user in users.items():
        for cid, _person in complaints:
            one = Walk([c for c in complaints if c[0] == cid])
            ticket = state(cid).ticket
            detail = _refused(complaint_detail.complaint_detail, ticket=ticket, user_id=user.id)
            if detail is not None:
                sections = {
                    "complaint page: summary": [
                        detail.identity,
                        detail.subject,
                        detail.body,
                        detail.guest_book_entry,
                        detail.agenda_number,
                        detail.reply_body,
                        detail.archive_code,
                        detail.archive_location,
                        detail.oral_outcome,
                    ],
                    "complaint page: documents": detail.documents,
                    "complaint page: timeline": detail.timeline,
                    "complaint page: forms": [detail.actions, detail.returned_draft],
                }
                for surface, section in sections.items():
                    one.check(surface, who, strings(section))
            # Rendered per viewer: once per complaint kind (the WhatsApp one renders alike).
            for key in official_documents.BUILDERS if cid != complaints[1][0] else ():
                file = _refused(
                    official_documents.document_download, key=key, complaint_id=cid, user_id=user.id
                )
                one.check(
                    f"official document {key}",
                    who,
                    bytes_text(file.data) if file else "",
                    signed_original=key == "surat_jawaban" and state(cid).signed_at is not None,
                )
            for doc_id, kind, owner in documents:
                if owner != cid:
                    continue
                file = _refused(identity.document_file, document_id=doc_id, user_id=user.id)
                one.check(
                    f"stored document {kind}",
                    who,
                    bytes_text(file.data) if file else "",
                    signed_original=kind == "reply_letter_signed",
                )
            walk.checked += one.checked
            walk.leaking += one.leaking
            walk.leaks += one.leaks
        # Lists: every complaint at once.
        search = _refused(complaint_lists.search, user_id=user.id)
        walk.check("search results", who, strings(search))
        for person in (RAHASIA_EMAIL, ANONIM):
            by_name = _refused(
                complaint_lists.search,
                user_id=user.id,
                filters=complaint_lists.ComplaintFilter(text=person.name),
            )
            walk.check("search by name", who, strings(by_name))
            # Finding the complaint by the name says who complained, even redacted.
            found = {i.id for i in by_name.items} if by_name else set()
            for cid, p in complaints:
                if p is not person:
                    continue
                walk.checked += 1
                may = allowed(
                    ROLE_OF[who], anonymous=p is ANONIM, part="name", signed_original=False
                )
                if cid in found and not may:
                    walk.leaking += 1
                    walk.leaks.append(f"search by name [{who}] finds complaint {cid}")
        walk.check("queue", who, strings(_refused(complaint_lists.my_queue, user_id=user.id)))
        walk.check(
            "possible duplicates",
            who,
            strings(
                _refused(
                    complaint_lists.possible_duplicates,
                    user_id=user.id,
                    subject="Sertifikat belum diterima",
                )
            ),
        )
        book = _refused(
            register_book.register_book, user_id=user.id, start=today - timedelta(days=1), end=today
        )
        if book is not None:
            walk.check("register rows", who, strings(book.rows))
            walk.check("register Word", who, bytes_text(book.docx.data))
            walk.check("register Excel", who, bytes_text(book.xlsx.data))
        files = _refused(recap.build_recap, user=user, year=today.year, month=today.month)
        if files is not None:
            walk.check("recap Excel", who, bytes_text(files.xlsx.data))
            walk.check("recap Word", who, bytes_text(files.docx.data))
        filters = dashboard.month_filters(today.year, today.month)
        board = _refused(dashboard.dashboard, user=user, filters=filters)
        if board is not None:
            walk.check("dashboard overdue list", who, strings(board.overdue))
            for kind, value in (("received", None), ("closed", None), ("open", None)):
                behind = dashboard.complaints_behind(
                    user=user, board=board, drill=dashboard.Drill(kind, value)
                )
                walk.check(f"dashboard drill-down {kind}", who, strings(behind.rows))
    # The page as drawn (AppTest): the rahasia complaint delivered by WhatsApp (its
    # timeline holds the number as the hook normalised it, +62...) for each masked
    # role, and the anonim one for the front desk (who may see its contact, not its name).
    rahasia_wa, anonim = complaints[1][0], complaints[2][0]
    pages = [(who, rahasia_wa) for who in ("sekretaris", "unit_kop", "arsiparis", "admin")]
    drawn: dict[tuple[str, int], str] = {}
    for who, cid in [*pages, ("petugas", anonim)]:
        at = open_page("complaint", users[who], tiket=state(cid).ticket)
        assert not at.exception
        shown = texts(at).replace("\\", "")
        walk.check("complaint page (AppTest)", who, shown)
        drawn[who, cid] = shown
    print(
        f"\nidentity walk: {walk.checked} surfaces x roles checked, {walk.leaking} showed an "
        f"identity outside the rule ({len(walk.leaks)} identity parts)"
    )
    assert not walk.leaks, "\n".join(walk.leaks)
    # The timeline is there, with the number replaced (not merely left out).
    for who, _cid in pages:
        assert "Dikirim melalui WhatsApp ke [dirahasiakan]" in drawn[who, rahasia_wa]


# --- classified once ----------------------------------------------------------------------


def test_every_document_kind_and_complaint_column_is_classified():
    kinds = set(sop.DOCUMENT_KINDS)
    kinds |= {a.upload.kind for a in sop.table().actions if a.upload}
    kinds |= {d.frozen_kind for d in sop.OFFICIAL_DOCUMENTS.values() if d.frozen_kind}
    assert kinds - set(identity.DOCUMENTS) == set(), "declare it in services.identity.DOCUMENTS"
    assert set(sop.OFFICIAL_DOCUMENTS) - set(identity.RENDERED) == set()
    assert set(identity.DOCUMENTS) - set(sop.DOCUMENT_KINDS) == set()  # no stale entry
    columns = {c.name for c in Complaint.__table__.columns}
    assert columns ^ set(identity.COMPLAINT_COLUMNS) == set(), "declare it in COMPLAINT_COLUMNS"
    # The outbox e-mail (recipient) is shown only in the delivery panel: its roles must
    # be roles that see the identity; each exception names a real capability.
    assert permissions.CAPABILITIES["deliver"] <= permissions.SEES_CONFIDENTIAL_IDENTITY
    for cls in identity.DOCUMENTS.values():
        assert cls.also_for is None or cls.also_for in permissions.CAPABILITIES


def test_a_kind_stored_without_a_classification_is_withheld_from_everyone(staff):
    shown = identity.disclosure(
        {Role.KEPALA_DINAS},
        state(_intake(staff, RAHASIA_EMAIL, confidential=True)),
    )
    assert shown.contact and shown.document("complaint_letter")
    assert not shown.document("a_new_kind")


def _redactor(roles: frozenset[Role], person: Person, *, confidential=True, anonymous=False):
    return identity.disclosure(
        roles,
        dataclasses.make_dataclass(
            "Row",
            [
                "confidential",
                "anonymous",
                "complainant_name",
                "complainant_phone",
                "complainant_email",
                "complainant_address",
            ],
        )(confidential, anonymous, *dataclasses.astuple(person)),
    ).redact


@pytest.mark.parametrize(
    "text",
    [
        "Dikirim melalui WhatsApp ke +6281234567890 oleh Rina",
        "hubungi 081234567890",
        "hubungi 0812-3456-7890",
        "hubungi 0812 3456 7890",
        "hubungi 6281234567890",
        "hubungi +62 812-3456-7890",
        "hubungi 0812.3456.7890",
        "hubungi (0812) 3456 7890",
        "nomor lain 0852 9999 0000",
        "tulis ke WULAN.KUSUMA@contoh.id",
        "atau ke alamat lain wk@mail.example.com",
        "wulandari   kusumawati datang",
        "tinggal di Jl. Merpati Nomor 17",
    ],
)
def test_the_redactor_finds_the_identity_in_every_spelling(text):
    redact = _redactor(frozenset({Role.UNIT}), RAHASIA_EMAIL)
    redacted = redact(text)
    assert identity.HIDDEN in redacted
    assert not re.search(r"\d{4}", re.sub(r"[\s.\-()]", "", redacted)), redacted
    assert "@" not in redacted and "merpati" not in redacted.lower()
    assert "wulandari" not in redacted.lower()


# --- the redactor's cost: one pattern compiled only for a text that may need it ------------

_PARTS = [
    "Wulandari",
    "wulandari  KUSUMAWATI",
    "wulandarı kusumawatı",  # dotless i: the case-insensitive match treats it as i
    "Wulandari Kuſumawati",  # long s, likewise
    "0812-3456-7890",
    "+62 812 3456 7890",
    "0852 9999 0000",
    "wulan.kusuma@contoh.id",
    "lain@mail.example.com",
    "Jl. Merpati Nomor 17",
    "jl.  merpati nomor 17",
    "Kelurahan Besusu Barat",
    "Palu",
    "bantuan modal",
    "No. 12/2026",
    "koperasi",
    "123456",
    "\n",
    "@",
]


@given(
    parts=st.lists(st.sampled_from(_PARTS), max_size=6),
    glue=st.sampled_from([" ", "", ", ", "\n"]),
    roles=st.sampled_from([frozenset({Role.UNIT}), frozenset({Role.ARSIPARIS}), TRUSTED]),
    anonymous=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_the_redactor_replaces_exactly_what_its_whole_pattern_replaces(
    parts, glue, roles, anonymous
):
    """Skipping the pattern for a text without a cue never changes what is replaced."""
    redact = _redactor(roles, RAHASIA_EMAIL, anonymous=anonymous)
    text = glue.join(parts)
    whole = redact.pattern.sub(identity.HIDDEN, text) if redact.pattern else text
    assert redact(text) == whole


def test_a_text_without_an_identity_cue_compiles_no_pattern(monkeypatch):
    """A register of a month holds thousands of rahasia and anonim rows: compiling each
    complainant's pattern (~2 ms) for a subject that cannot hold it cost most of the
    Excel file's 30 s at 1,000,000 complaints (issue 14)."""
    compiled: list[str] = []
    real_compile = re.compile

    def counting(pattern, flags=0):
        if isinstance(pattern, str) and "Kusumawati" in pattern:
            compiled.append(pattern)
        return real_compile(pattern, flags)

    monkeypatch.setattr(identity.re, "compile", counting)
    redactors = [_redactor(frozenset({Role.ARSIPARIS}), RAHASIA_EMAIL) for _ in range(200)]
    assert all(
        r("Permohonan bantuan modal koperasi") == "Permohonan bantuan modal koperasi"
        for r in redactors
    )
    assert compiled == []
    # A subject that names the complainant is still redacted (the pattern compiled once).
    named = redactors[0]
    assert named("Keluhan Wulandari Kusumawati") == f"Keluhan {identity.HIDDEN}"
    assert named("telepon 0812 3456 7890") == f"telepon {identity.HIDDEN}"
    assert len(compiled) == 1
