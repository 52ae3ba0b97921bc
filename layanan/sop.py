"""The SOP "Mekanisme Layanan Pengaduan di Lingkungan Organisasi" as data.

This table is the single source of truth for the workflow: the engine in
``services.workflow`` refuses every move that is not a row of ``ACTIONS``, and the
pages ask ``actions_at`` which forms to show. ``tests/test_sop_table.py`` checks the
table as a whole (every step reachable, every non-final step has an exit, every role,
field and template it names exists).

Step numbers, time standards and outputs follow the source document in
``shared/sop``; see ``docs/sop.md`` for how each step is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Actors of the SOP ("Pelaksana"), plus the system administrator."""

    PETUGAS = "petugas"  # Petugas Pelayanan: front-desk service officer
    SUBBAG_UMUM = "subbag_umum"  # Sub Bagian (Kepegawaian dan) Umum
    KEPALA_DINAS = "kepala_dinas"  # Head of Office
    SEKRETARIS = "sekretaris"  # Office Secretary acting as PPID
    UNIT = "unit"  # staff of Sekretariat / a Bidang / UPT (incl. humas)
    ARSIPARIS = "arsiparis"  # archivist of Sub Bagian Umum (step 12)
    ADMIN = "admin"  # system administrator (not an SOP actor)
    PEMOHON = "pemohon"  # the complainant: no account, acts through the portal


ROLE_LABELS: dict[Role, str] = {
    Role.PETUGAS: "Petugas Pelayanan",
    Role.SUBBAG_UMUM: "Subbagian Umum",
    Role.KEPALA_DINAS: "Kepala Dinas",
    Role.SEKRETARIS: "Sekretaris (PPID)",
    Role.UNIT: "Sekretariat/Bidang/UPT",
    Role.ARSIPARIS: "Arsiparis",
    Role.ADMIN: "Administrator",
    Role.PEMOHON: "Pengadu",
}


class Channel(StrEnum):
    """How a complaint arrives (SOP step 2, "Keterangan")."""

    DATANG_LANGSUNG = "datang_langsung"
    TELEPON = "telepon"
    SURAT = "surat"
    KOTAK_PENGADUAN = "kotak_pengaduan"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    ONLINE = "online"


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.DATANG_LANGSUNG: "Datang langsung",
    Channel.TELEPON: "Telepon",
    Channel.SURAT: "Surat",
    Channel.KOTAK_PENGADUAN: "Kotak pengaduan",
    Channel.EMAIL: "Pos-el",
    Channel.WHATSAPP: "WhatsApp",
    Channel.ONLINE: "Daring (portal)",
}

# Channels whose complaint arrives as paper: the scanned letter must be attached
# before the front desk can confirm receipt (SOP step 2, kelengkapan "Surat aduan").
PAPER_CHANNELS = frozenset({Channel.SURAT, Channel.KOTAK_PENGADUAN})
# Written messages whose own date is the moment they arrived (the disposition sheet's
# "Tanggal surat" for them; paper letters carry the date captured at intake).
MESSAGE_CHANNELS = frozenset({Channel.EMAIL, Channel.WHATSAPP})


class Form(StrEnum):
    """Oral or written complaint, decided by Sub Bagian Umum at step 4."""

    LISAN = "lisan"
    TERTULIS = "tertulis"


class DeliveryMethod(StrEnum):
    """How the reply reaches the complainant (SOP step 11)."""

    LANGSUNG = "langsung"
    EMAIL = "email"
    WHATSAPP = "whatsapp"


DELIVERY_LABELS: dict[DeliveryMethod, str] = {
    DeliveryMethod.LANGSUNG: "Diserahkan langsung",
    DeliveryMethod.EMAIL: "Pos-el",
    DeliveryMethod.WHATSAPP: "WhatsApp",
}

CATEGORIES: tuple[str, ...] = (
    "Pelayanan perizinan koperasi",
    "Pembinaan dan pengawasan koperasi",
    "Pemberdayaan UMKM",
    "Pelatihan dan sertifikasi",
    "Bantuan dan pembiayaan usaha",
    "Perilaku aparatur",
    "Informasi publik",
    "Lainnya",
)

# Sifat is the letter's urgency only. Confidentiality is one notion, the complaint's
# ``confidential`` flag (rahasia): masking, the portal and every document read it, and
# documents print it as "Rahasia" (``sifat_label``, the disposition sheet's
# "Klasifikasi"). Migration 0013 turned the old Sifat "rahasia" into the flag.
SIFAT_SURAT: tuple[str, ...] = ("sangat segera", "segera", "biasa")
CONFIDENTIAL_LABEL = "Rahasia"


def title_case(text: str) -> str:
    """ "sangat segera" as "Sangat Segera" (labels of naskah dinas)."""
    return " ".join(word[:1].upper() + word[1:] for word in text.split())


def sifat_label(sifat: str | None, *, confidential: bool) -> str:
    """The Sifat a document prints: the urgency in title case, with "Rahasia" for a
    confidential complaint ("Rahasia" alone when it is otherwise Biasa)."""
    urgency = title_case(sifat or "biasa")
    if not confidential:
        return urgency
    return CONFIDENTIAL_LABEL if urgency == "Biasa" else f"{urgency}, {CONFIDENTIAL_LABEL}"


DISPOSITION_INSTRUCTIONS: tuple[str, ...] = (
    "Tanggapan dan saran",
    "Proses lebih lanjut",
    "Koordinasi/konfirmasi",
    "Untuk diketahui",
    "Siapkan jawaban",
)


@dataclass(frozen=True)
class Field:
    """An item an actor supplies with an action (part of the step's kelengkapan)."""

    key: str
    label: str
    kind: str = "text"  # one of FIELD_KINDS
    choices: tuple[str, ...] = ()  # kind "choice": the allowed values
    choice_labels: tuple[tuple[str, str], ...] = ()  # value -> label, where not the value


# text: one line; longtext: a paragraph; unit/units: active unit ids; choice: one of
# ``Field.choices``; date: a calendar date; bool: a tick that must be given (paraf);
# flag: a tick that may be true or false (the form starts it at the complaint's
# attribute of the same name); email: an e-mail address.
FIELD_KINDS = frozenset(
    {"text", "longtext", "unit", "units", "choice", "date", "bool", "flag", "email"}
)

# Every field an action may ask for. Pages render them generically; the engine
# refuses an action whose required fields are empty.
FIELDS: dict[str, Field] = {
    f.key: f
    for f in (
        Field("guest_book_entry", "Nomor/entri buku tamu"),
        Field("unit", "Unit yang menyelesaikan (humas/bidang terkait)", "unit"),
        Field("outcome", "Hasil penyelesaian pengaduan lisan", "longtext"),
        Field("reason", "Alasan", "longtext"),
        Field("anonymous", "Anonim (nama pengadu tidak ditampilkan)", "flag"),
        Field(
            "confidential",
            "Rahasia (identitas hanya untuk petugas, Subbagian Umum dan Kepala Dinas)",
            "flag",
        ),
        Field("supervisory", "Berkadar pengawasan (penyelesaian 60 hari kerja)", "flag"),
        Field("agenda_number", "Nomor agenda TNDE"),
        Field("sifat", "Sifat surat", "choice", SIFAT_SURAT),
        Field("units", "Diteruskan kepada (unit)", "units"),
        Field("instruction", "Instruksi disposisi", "choice", DISPOSITION_INSTRUCTIONS),
        Field("due_date", "Batas waktu disposisi", "date"),
        Field("reply_body", "Isi draf surat jawaban", "longtext"),
        Field("paraf", "Paraf persetujuan Kepala Dinas", "bool"),
        Field(
            "delivery_method",
            "Cara penyampaian",
            "choice",
            tuple(DeliveryMethod),
            tuple((m.value, label) for m, label in DELIVERY_LABELS.items()),
        ),
        Field("delivered_on", "Tanggal penyampaian", "date"),
        Field("evidence", "Bukti penyampaian", "longtext"),
        Field("recipient_email", "Alamat pos-el pengadu", "email"),
        Field("archive_code", "Kode arsip"),
        Field("archive_location", "Lokasi simpan arsip"),
    )
}


@dataclass(frozen=True)
class Requirement:
    """Something that must already exist on the complaint before an action.

    It is met when every named complaint attribute is filled (``columns``) and a
    document of every named kind is stored (``documents``); ``documents_for`` limits the
    document check to complaints that came on those channels (paper: the scan).
    """

    key: str
    label: str
    columns: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    documents_for: frozenset[Channel] | None = None  # None: every channel


# Facts about the complaint that ``services.workflow`` checks before an action.
REQUIREMENTS: dict[str, Requirement] = {
    r.key: r
    for r in (
        # "Surat aduan": the scanned letter for paper channels, the typed record otherwise.
        Requirement(
            "complaint_letter",
            "Surat aduan (pindaian surat untuk pengaduan tertulis)",
            columns=("body",),
            documents=("complaint_letter",),
            documents_for=PAPER_CHANNELS,
        ),
        Requirement("guest_book_entry", "Entri buku tamu", columns=("guest_book_entry",)),
        Requirement(
            "agenda_number", "Nomor agenda dan lembar disposisi", columns=("agenda_number",)
        ),
        Requirement("assigned_units", "Unit tujuan disposisi", columns=("units",)),
        Requirement("reply_body", "Draf surat jawaban", columns=("reply_body",)),
        Requirement("supporting_documents", "Dokumen pendukung", documents=("supporting",)),
        Requirement("paraf", "Paraf persetujuan Kepala Dinas", columns=("approved_at",)),
        # Signed means numbered and frozen: the number and the stored letter, not a date.
        Requirement(
            "signed_letter",
            "Surat jawaban yang ditandatangani",
            columns=("signed_at", "letter_number"),
            documents=("reply_letter_signed",),
        ),
        Requirement("delivery", "Bukti penyampaian surat jawaban", columns=("delivered_at",)),
    )
}

# Document kinds the system stores (``db.models.Document.kind``).
DOCUMENT_KINDS: dict[str, str] = {
    "complaint_letter": "Surat aduan",
    "attachment": "Lampiran pengaduan",
    "supporting": "Dokumen pendukung",
    "disposition_sheet": "Lembar disposisi",
    "receipt": "Tanda terima pengaduan",
    "reply_letter_signed": "Surat jawaban (ditandatangani)",
    "delivery_evidence": "Bukti penyampaian",
    "archive_receipt": "Tanda terima arsip",
}


@dataclass(frozen=True)
class OfficialDocument:
    """A document the office issues, rendered from ``letter_templates/<key>.docx``.

    A per-complaint document is offered on the complaint page from the first step that
    declares its template (``Step.template``) on; ``services.official_documents`` builds
    it (its context) and names its file ``<file_stem>-<ticket>.docx``.
    """

    key: str  # the template key, and the document's key everywhere
    title: str  # as its heading and the template administration name it
    label: str  # as the complaint page lists it
    file_stem: str
    per_complaint: bool = True
    # Document kind of its frozen copy: a draft (DRAF) until then, that file after.
    frozen_kind: str | None = None


# The one registry of the office's documents, in the order the complaint page lists them.
OFFICIAL_DOCUMENTS: dict[str, OfficialDocument] = {
    d.key: d
    for d in (
        OfficialDocument(
            "tanda_terima", "Tanda Terima Pengaduan", "Tanda terima pengaduan", "tanda-terima"
        ),
        OfficialDocument(
            "lembar_disposisi", "Lembar Disposisi", "Lembar disposisi", "lembar-disposisi"
        ),
        OfficialDocument(
            "surat_jawaban",
            "Surat Jawaban Pengaduan",
            "Surat jawaban",
            "surat-jawaban",
            frozen_kind="reply_letter_signed",
        ),
        OfficialDocument(
            "buku_pengaduan", "Buku Pengaduan", "Buku pengaduan", "buku-pengaduan", False
        ),
        OfficialDocument(
            "rekapitulasi", "Rekapitulasi Pengaduan", "Rekapitulasi", "rekapitulasi", False
        ),
    )
}
# Template keys in ``letter_templates/`` (file ``<key>.docx``).
TEMPLATES: tuple[str, ...] = tuple(OFFICIAL_DOCUMENTS)


@dataclass(frozen=True)
class Upload:
    """A file an action's form takes; it satisfies a requirement when it is given."""

    kind: str  # a key of DOCUMENT_KINDS
    label: str
    satisfies: str | None = None  # a key of REQUIREMENTS


@dataclass(frozen=True)
class Step:
    """One row of the SOP table ("Kegiatan" with its "Mutu Baku")."""

    number: int
    name: str  # Indonesian activity, shown to users
    role: Role
    minutes: int  # time standard ("Waktu")
    requires: tuple[str, ...]  # keys of REQUIREMENTS checked on entry to an action
    kelengkapan: str  # the SOP's own wording of the required items
    output: str  # expected output, as written in the SOP
    template: str | None = None  # the official document worked on at this step
    public_label: str = ""  # plain Indonesian for the complainant's progress line
    short: str = ""  # a few words for staff where the whole activity is too long (register)
    ends_clocks: tuple[str, ...] = ()  # regulatory clocks (REGULATORY_CLOCKS) it ends


@dataclass(frozen=True)
class Action:
    """A move allowed at a step, declared whole. ``to=None`` closes the complaint.

    Effects, applied by ``services.workflow`` in this order: ``sets_form``; ``sets``
    copies a field's value into a complaint attribute (``units`` assigns the units);
    ``stamps`` writes the action's time; ``clears`` empties; ``counts`` adds one;
    ``records`` adds a record of that name (``disposition``). ``hook`` names the service
    function that produces what leaves the office (registered in ``services.workflow``).
    An action whose ``to`` equals ``at`` stays at the step and keeps its clock running.
    """

    key: str
    at: int
    to: int | None
    label: str  # the button text
    role: Role | None = None  # defaults to the step's role
    fields: tuple[str, ...] = ()  # keys of FIELDS required in the payload
    optional_fields: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # extra REQUIREMENTS besides the step's
    upload: Upload | None = None
    sets_form: Form | None = None
    sets: tuple[tuple[str, str], ...] = ()  # (field key, complaint attribute)
    stamps: tuple[str, ...] = ()
    clears: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    hook: str | None = None
    secondary: bool = False  # the alternative way out of a step (return, convert)
    # Messages to the complainant this action sends (keys of COMPLAINANT_MESSAGES),
    # written to the outbox in the action's transaction (services.complainant_messages).
    tells: tuple[str, ...] = ()

    @property
    def moves(self) -> bool:
        """Whether the action leaves its step (a timed completion of the step)."""
        return self.to != self.at


# Complaint attributes an action may write (``Action.sets/stamps/clears/counts``).
COMPLAINT_ATTRIBUTES = frozenset(
    {
        "guest_book_entry",
        "anonymous",
        "confidential",
        "supervisory",
        "units",
        "oral_outcome",
        "agenda_number",
        "sifat",
        "reply_body",
        "draft_rounds",
        "approved_at",
        "signed_at",
        "letter_number",
        "delivered_at",
        "delivery_method",
        "archive_code",
        "archive_location",
    }
)
RECORDS = frozenset({"disposition"})
# The moments the complainant is told about (issue 13): received (ticket and tracking
# link), being handled (disposition made), reply sent, closed, and the rating request.
COMPLAINANT_MESSAGES = ("diterima", "ditangani", "jawaban_dikirim", "selesai", "penilaian")
# The SP4N-LAPOR! clocks (``layanan.clocks``) that steps end (``Step.ends_clocks``),
# per form: a clock is ended by the last completion of a step of the complaint's form.
REGULATORY_CLOCKS = ("verifikasi", "tindak_lanjut", "penyelesaian")

CLOSED = None  # ``Complaint.current_step`` of a closed complaint

STEPS: tuple[Step, ...] = (
    Step(
        1,
        "Pengadu mendatangi dinas dan menemui Petugas Pelayanan",
        Role.PETUGAS,
        30,
        (),
        "Surat aduan",
        "Pengadu bertemu Petugas Pelayanan",
        public_label="Pengaduan disampaikan",
        short="Pengadu menemui petugas",
    ),
    Step(
        2,
        "Menerima tamu yang bermaksud menyampaikan pengaduan",
        Role.PETUGAS,
        30,
        ("complaint_letter",),
        "Surat aduan",
        "Dokumen diterima dengan baik",
        template="tanda_terima",
        public_label="Pengaduan diterima petugas",
        short="Penerimaan pengaduan",
    ),
    Step(
        3,
        "Menyampaikan ke Subbagian Kepegawaian dan Umum",
        Role.PETUGAS,
        30,
        ("complaint_letter",),
        "Surat aduan dan buku tamu",
        "Surat aduan diterima petugas",
        public_label="Diteruskan ke Subbagian Umum",
        short="Penyerahan ke Subbagian Umum",
    ),
    Step(
        4,
        "Menerima pengaduan secara lisan atau tertulis",
        Role.SUBBAG_UMUM,
        30,
        ("complaint_letter", "guest_book_entry"),
        "Surat aduan",
        "Aduan tersampaikan",
        public_label="Diverifikasi Subbagian Umum",
        short="Verifikasi Subbagian Umum",
        ends_clocks=("verifikasi",),
    ),
    Step(
        5,
        "Menyelesaikan pengaduan lisan oleh humas/bidang terkait",
        Role.UNIT,
        30,
        ("assigned_units",),
        "Pengaduan",
        "Aduan tersampaikan",
        public_label="Ditangani langsung oleh unit terkait",
        short="Penyelesaian lisan",
        ends_clocks=("tindak_lanjut", "penyelesaian"),
    ),
    Step(
        6,
        "Memproses pengaduan tertulis melalui aplikasi TNDE",
        Role.SUBBAG_UMUM,
        30,
        ("complaint_letter",),
        "Surat aduan",
        "Surat aduan dilampiri lembar disposisi",
        template="lembar_disposisi",
        public_label="Dicatat dalam agenda surat",
        short="Pencatatan di TNDE",
    ),
    Step(
        7,
        "Menelaah surat pengaduan untuk didisposisikan oleh Kepala Dinas",
        Role.KEPALA_DINAS,
        30,
        ("complaint_letter", "agenda_number"),
        "Surat aduan dan lembar disposisi",
        "Surat masuk dapat ditelaah dengan baik",
        template="lembar_disposisi",
        public_label="Ditelaah Kepala Dinas",
        short="Telaah dan disposisi",
        ends_clocks=("tindak_lanjut",),
    ),
    Step(
        8,
        "Menyusun draf surat jawaban aduan untuk persetujuan Kepala Dinas",
        Role.UNIT,
        60,
        ("assigned_units",),
        "Draf surat jawaban dan dokumen pendukung",
        "Draf surat jawaban dan dokumen pendukung diterima sekretaris",
        template="surat_jawaban",
        public_label="Jawaban sedang disusun",
        short="Penyusunan draf jawaban",
    ),
    Step(
        9,
        "Menelaah draf surat jawaban: paraf persetujuan atau dikembalikan",
        Role.KEPALA_DINAS,
        30,
        ("complaint_letter", "reply_body"),
        "Surat aduan dan draf jawaban",
        "Surat jawaban aduan",
        template="surat_jawaban",
        public_label="Jawaban diperiksa Kepala Dinas",
        short="Pemeriksaan draf",
    ),
    Step(
        10,
        "Menandatangani surat jawaban aduan oleh Sekretaris selaku PPID",
        Role.SEKRETARIS,
        30,
        ("reply_body", "supporting_documents", "paraf"),
        "Surat jawaban aduan dan dokumen pendukung",
        "Surat jawaban aduan",
        template="surat_jawaban",
        public_label="Jawaban ditandatangani",
        short="Penandatanganan",
    ),
    Step(
        11,
        "Menyampaikan surat jawaban kepada pengadu (langsung, pos-el, WhatsApp)",
        Role.PETUGAS,
        30,
        ("signed_letter",),
        "Surat jawaban aduan",
        "Surat jawaban aduan siap dikirim",
        template="surat_jawaban",
        public_label="Jawaban disampaikan kepada Anda",
        short="Penyampaian jawaban",
        ends_clocks=("penyelesaian",),
    ),
    Step(
        12,
        "Mengarsip surat jawaban aduan",
        Role.ARSIPARIS,
        30,
        ("signed_letter", "delivery"),
        "Surat jawaban aduan",
        "Tanda terima surat jawaban, arsip surat jawaban aduan disimpan",
        public_label="Diarsipkan, pengaduan selesai",
        short="Pengarsipan",
    ),
)

ACTIONS: tuple[Action, ...] = (
    # Step 1: the complainant arrives (walk-in, phone, letter, ...) or submits online.
    Action("meet", 1, 2, "Catat kedatangan pengadu"),
    Action("submit_online", 1, 2, "Kirim pengaduan daring", role=Role.PEMOHON),
    # Step 2: receipt by the front desk; the receipt (tanda terima) is produced.
    Action(
        "receive",
        2,
        3,
        "Terima pengaduan",
        upload=Upload(
            "complaint_letter", "Pindaian surat aduan (PDF/JPEG/PNG)", "complaint_letter"
        ),
        tells=("diterima",),
    ),
    # Step 3: hand over to Sub Bagian Umum with the guest-book entry.
    Action(
        "hand_over",
        3,
        4,
        "Serahkan ke Subbagian Umum",
        fields=("guest_book_entry",),
        sets=(("guest_book_entry", "guest_book_entry"),),
    ),
    # Step 4: the SOP splits here.
    Action(
        "classify_oral",
        4,
        5,
        "Pengaduan lisan: teruskan ke humas/bidang terkait",
        fields=("unit",),
        sets_form=Form.LISAN,
        sets=(("unit", "units"),),
        tells=("ditangani",),
    ),
    Action("classify_written", 4, 6, "Pengaduan tertulis: proses di TNDE", sets_form=Form.TERTULIS),
    # Verification may correct what intake recorded (portal complaints cannot set these
    # flags at all). It stays at the step, so the step's clock keeps running; the event
    # keeps the reason and the flags as set. Marking anonymous keeps the stored name,
    # hidden wherever the complaint is shown (services.identity).
    Action(
        "correct_intake",
        4,
        4,
        "Koreksi data penerimaan",
        fields=("reason",),
        optional_fields=("anonymous", "confidential", "supervisory"),
        sets=(
            ("anonymous", "anonymous"),
            ("confidential", "confidential"),
            ("supervisory", "supervisory"),
        ),
        secondary=True,
    ),
    # Step 5: oral complaints are settled on the spot, or turned into written ones.
    Action(
        "resolve_oral",
        5,
        CLOSED,
        "Selesaikan pengaduan lisan",
        fields=("outcome",),
        sets=(("outcome", "oral_outcome"),),
        tells=("selesai",),
    ),
    Action(
        "convert_to_written",
        5,
        6,
        "Tidak dapat diselesaikan lisan: jadikan pengaduan tertulis",
        fields=("reason",),
        sets_form=Form.TERTULIS,
        secondary=True,
    ),
    # Step 6: register in TNDE, attach the disposition sheet.
    Action(
        "register",
        6,
        7,
        "Catat di TNDE (lembar disposisi dibuat otomatis)",
        fields=("agenda_number", "sifat"),
        # A letter marked confidential by its sender is made rahasia here (the one
        # notion of confidentiality; Sifat is urgency only).
        optional_fields=("confidential",),
        sets=(
            ("agenda_number", "agenda_number"),
            ("sifat", "sifat"),
            ("confidential", "confidential"),
        ),
    ),
    # Step 7: the Head dispositions to one or more units.
    Action(
        "dispose",
        7,
        8,
        "Disposisikan",
        fields=("units", "instruction"),
        optional_fields=("due_date",),
        sets=(("units", "units"),),
        records=("disposition",),
        tells=("ditangani",),
    ),
    # Step 8: the unit drafts the reply with supporting documents; each submission is a
    # new round, and any earlier paraf no longer applies to the new text.
    Action(
        "submit_draft",
        8,
        9,
        "Kirim draf jawaban ke Kepala Dinas",
        fields=("reply_body",),
        requires=("supporting_documents",),
        upload=Upload(
            "supporting", "Dokumen pendukung (PDF/JPEG/PNG/DOCX)", "supporting_documents"
        ),
        sets=(("reply_body", "reply_body"),),
        counts=("draft_rounds",),
        clears=("approved_at",),
    ),
    # Step 9: approve with paraf, or return to the unit (any number of times).
    Action("approve", 9, 10, "Setujui (paraf)", fields=("paraf",), stamps=("approved_at",)),
    Action(
        "return_draft",
        9,
        8,
        "Kembalikan ke unit",
        fields=("reason",),
        clears=("approved_at",),
        secondary=True,
    ),
    # Step 10: the Secretary as PPID signs; the hook numbers the letter and freezes it.
    Action(
        "sign",
        10,
        11,
        "Tandatangani surat jawaban",
        requires=("signed_letter",),
        sets=(("letter_number", "letter_number"),),
        stamps=("signed_at",),
        hook="sign",
    ),
    # Step 11: by e-mail the message is queued (the step stays open) and the sender
    # records the delivery once the mail server has accepted it; WhatsApp and in person
    # are recorded by the officer.
    Action(
        "send_email",
        11,
        11,
        "Kirim surat jawaban melalui pos-el",
        fields=("recipient_email",),
        hook="queue_email",
    ),
    Action(
        "deliver",
        11,
        12,
        "Catat penyampaian surat jawaban",
        fields=("delivery_method", "delivered_on", "evidence"),
        upload=Upload("delivery_evidence", "Bukti penyampaian (pindaian/foto), bila ada"),
        sets=(("delivery_method", "delivery_method"),),
        stamps=("delivered_at",),
        hook="deliver",
        tells=("jawaban_dikirim", "penilaian"),
    ),
    # Step 12: archive and close.
    Action(
        "archive",
        12,
        CLOSED,
        "Arsipkan dan tutup",
        fields=("archive_code", "archive_location"),
        sets=(("archive_code", "archive_code"), ("archive_location", "archive_location")),
        tells=("selesai",),
    ),
)


class InvalidTable(ValueError):
    """The SOP table contradicts itself (raised when a table is built)."""


@dataclass(frozen=True)
class SopTable:
    """The steps and actions, validated as a whole when built (python-statemachine's habit).

    ``validate`` refuses a table with an unreachable step, a step without an exit, a
    step that cannot reach closure, or a name (role, field, requirement, upload kind,
    template, complaint attribute, record, clock) that does not exist.
    """

    steps: tuple[Step, ...]
    actions: tuple[Action, ...]
    first_step: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_number", {s.number: s for s in self.steps})
        object.__setattr__(self, "by_key", {a.key: a for a in self.actions})
        object.__setattr__(self, "_clock_steps", {})  # clock -> clock_steps (immutable)
        self.validate()

    def validate(self) -> None:
        problems: list[str] = []
        if len(self.by_number) != len(self.steps):
            problems.append("step numbers repeat")
        if len(self.by_key) != len(self.actions):
            problems.append("action keys repeat")
        if self.first_step not in self.by_number:
            problems.append(f"first step {self.first_step} is not a step")
        for s in self.steps:
            if not set(s.requires) <= set(REQUIREMENTS):
                problems.append(f"step {s.number}: unknown requirement")
            if s.template is not None and s.template not in TEMPLATES:
                problems.append(f"step {s.number}: unknown template {s.template}")
            if not set(s.ends_clocks) <= set(REGULATORY_CLOCKS):
                problems.append(f"step {s.number}: unknown clock")
            if not s.public_label:
                problems.append(f"step {s.number}: no public label")
        for a in self.actions:
            where = f"action {a.key}"
            if a.at not in self.by_number or (a.to is not None and a.to not in self.by_number):
                problems.append(f"{where}: unknown step")
            named = set(a.fields) | set(a.optional_fields)
            if not named <= set(FIELDS):
                problems.append(f"{where}: unknown field {sorted(named - set(FIELDS))}")
            if not set(a.requires) <= set(REQUIREMENTS):
                problems.append(f"{where}: unknown requirement")
            if a.upload is not None and (
                a.upload.kind not in DOCUMENT_KINDS
                or (a.upload.satisfies is not None and a.upload.satisfies not in REQUIREMENTS)
            ):
                problems.append(f"{where}: unknown upload kind or requirement")
            for field_key, attribute in a.sets:
                # A hook may supply a value of its own (``sign``: the letter number).
                from_field = field_key in named or a.hook is not None
                if not from_field or attribute not in COMPLAINT_ATTRIBUTES:
                    problems.append(f"{where}: sets {attribute} from {field_key}")
            for attribute in (*a.stamps, *a.clears, *a.counts):
                if attribute not in COMPLAINT_ATTRIBUTES:
                    problems.append(f"{where}: unknown attribute {attribute}")
            if not set(a.tells) <= set(COMPLAINANT_MESSAGES):
                problems.append(f"{where}: unknown complainant message")
            if not set(a.records) <= RECORDS:
                problems.append(f"{where}: unknown record")
        for f in FIELDS.values():
            if f.kind not in FIELD_KINDS or (f.kind == "choice") != bool(f.choices):
                problems.append(f"field {f.key}: bad kind or choices")
        if not problems:
            problems += self._graph_problems()
        if problems:
            raise InvalidTable("; ".join(problems))

    def _graph_problems(self) -> list[str]:
        problems = []
        reached, frontier = {self.first_step}, [self.first_step]
        while frontier:
            for a in self.actions_at(frontier.pop()):
                if a.to is not None and a.to not in reached:
                    reached.add(a.to)
                    frontier.append(a.to)
        for number in sorted(set(self.by_number) - reached):
            problems.append(f"step {number} cannot be reached")
        closing = {a.at for a in self.actions if a.to is CLOSED}
        grown = True
        while grown:
            grown = False
            for a in self.actions:
                if a.moves and a.to in closing and a.at not in closing:
                    closing.add(a.at)
                    grown = True
        for s in self.steps:
            if not any(a.moves for a in self.actions_at(s.number)):
                problems.append(f"step {s.number} has no exit")
            elif s.number not in closing:
                problems.append(f"step {s.number} cannot reach closure")
        return problems

    # --- lookups -------------------------------------------------------------------

    def step(self, number: int) -> Step:
        return self.by_number[number]

    def action(self, key: str) -> Action:
        return self.by_key[key]

    def actions_at(self, step_number: int | None) -> tuple[Action, ...]:
        if step_number is None:
            return ()
        return tuple(a for a in self.actions if a.at == step_number)

    def action_role(self, act: Action) -> Role:
        return act.role or self.by_number[act.at].role

    def path(self, form: Form | None, visited: Sequence[int] = ()) -> tuple[int, ...]:
        """The steps a complaint of ``form`` walks from the first step to closure.

        At a fork the walk follows the step the complaint went to first (``visited``,
        in order of first visit), else the action of its form, else the primary one;
        returns to an earlier step (step 9 to 8) and actions that stay are not part of a
        path. An oral complaint turned written walks the oral steps, then the written.
        """
        form = form or Form.TERTULIS  # undecided (before step 4): the longer, written path
        order = {number: i for i, number in reversed(list(enumerate(visited)))}
        walk = [self.first_step]
        while True:
            ahead = [
                a
                for a in self.actions_at(walk[-1])
                if a.moves and a.to not in walk and a.role is not Role.PEMOHON
            ]
            if not ahead:
                return tuple(walk)

            def preference(a: Action) -> tuple:
                seen = order.get(a.to, len(order))
                return (seen, a.sets_form not in (None, form), a.secondary)

            nxt = min(ahead, key=preference)
            if nxt.to is CLOSED:
                return tuple(walk)
            walk.append(nxt.to)

    def steps_of_role(self, role: Role) -> frozenset[int]:
        return frozenset(a.at for a in self.actions if self.action_role(a) is role)

    def clock_steps(self, clock: str) -> dict[Form, int]:
        """Per form, the step whose last completion ends a regulatory clock."""
        cached = self._clock_steps.get(clock)  # the table never changes once built
        if cached is not None:
            return dict(cached)
        result = {}
        for form in Form:
            for number in self.path(form):
                if clock in self.by_number[number].ends_clocks:
                    result[form] = number
        self._clock_steps[clock] = dict(result)
        return result

    def steps_with_template(self, template: str) -> frozenset[int]:
        return frozenset(s.number for s in self.steps if s.template == template)


TABLE = SopTable(STEPS, ACTIONS)
_current: list[SopTable] = [TABLE]


def table() -> SopTable:
    """The table in force (``TABLE``, unless a test installed another with ``using``)."""
    return _current[-1]


@contextmanager
def using(other: SopTable) -> Iterator[SopTable]:
    """Put another (validated) table in force within the block: for tests of the table."""
    _current.append(other)
    try:
        yield other
    finally:
        _current.remove(other)


STEP_BY_NUMBER: dict[int, Step] = TABLE.by_number
ACTION_BY_KEY: dict[str, Action] = TABLE.by_key
FIRST_STEP = TABLE.first_step
# The written path: steps 1-4 and 6-12, 10 x 30 + 60 = 360 standard minutes (the SOP's
# twelve steps together, step 5 included, are the 11 x 30 + 60 = 390 its notes mention).
WRITTEN_PATH = TABLE.path(Form.TERTULIS)


def step(number: int) -> Step:
    """The SOP step with this number (KeyError if there is none)."""
    return table().step(number)


def action(key: str) -> Action:
    """The action with this key (KeyError if there is none)."""
    return table().action(key)


def action_role(act: Action) -> Role:
    """The role that performs an action: its own, else its step's."""
    return table().action_role(act)


def actions_at(step_number: int | None) -> tuple[Action, ...]:
    """Every action allowed at a step (none for a closed complaint)."""
    return table().actions_at(step_number)


def step_short_label(step_number: int | None) -> str:
    """A step's short name, e.g. "Langkah 8: Penyusunan draf jawaban" or "Selesai"."""
    if step_number is None:
        return "Selesai"
    step = table().step(step_number)
    return f"Langkah {step_number}: {step.short or step.name}"


def step_label(step_number: int | None) -> str:
    """Short Indonesian label, e.g. "Langkah 8: Menyusun draf ..." or "Selesai"."""
    if step_number is None:
        return "Selesai"
    return f"Langkah {step_number}: {table().step(step_number).name}"
