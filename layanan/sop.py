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
    Role.SUBBAG_UMUM: "Sub Bagian Umum",
    Role.KEPALA_DINAS: "Kepala Dinas",
    Role.SEKRETARIS: "Sekretaris (PPID)",
    Role.UNIT: "Sekretariat/Bidang/UPT",
    Role.ARSIPARIS: "Arsiparis",
    Role.ADMIN: "Administrator",
    Role.PEMOHON: "Pemohon",
}

# Roles that may see the monitoring dashboard (issue "Monitoring dashboard").
MANAGER_ROLES = frozenset({Role.KEPALA_DINAS, Role.SEKRETARIS, Role.ADMIN})


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
    Channel.EMAIL: "E-mail",
    Channel.WHATSAPP: "WhatsApp",
    Channel.ONLINE: "Online (portal)",
}

# Channels whose complaint arrives as paper: the scanned letter must be attached
# before the front desk can confirm receipt (SOP step 2, kelengkapan "Surat aduan").
PAPER_CHANNELS = frozenset({Channel.SURAT, Channel.KOTAK_PENGADUAN})


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
    DeliveryMethod.EMAIL: "E-mail",
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

SIFAT_SURAT: tuple[str, ...] = ("sangat segera", "segera", "rahasia", "biasa")

DISPOSITION_INSTRUCTIONS: tuple[str, ...] = (
    "Tanggapan dan saran",
    "Proses lebih lanjut",
    "Koordinasi/konfirmasi",
    "Untuk diketahui",
    "Siapkan jawaban",
)


@dataclass(frozen=True)
class Field:
    """An item an actor must supply with an action (part of the step's kelengkapan)."""

    key: str
    label: str
    kind: str = "text"  # text | longtext | units | unit | choice | date | bool | int


# Every field an action may ask for. Pages render them generically; the engine
# refuses an action whose required fields are empty.
FIELDS: dict[str, Field] = {
    f.key: f
    for f in (
        Field("guest_book_entry", "Nomor/entri buku tamu"),
        Field("unit", "Unit yang menyelesaikan (humas/bidang terkait)", "unit"),
        Field("outcome", "Hasil penyelesaian pengaduan lisan", "longtext"),
        Field("reason", "Alasan", "longtext"),
        Field("agenda_number", "Nomor agenda TNDE"),
        Field("sifat", "Sifat surat", "choice"),
        Field("units", "Diteruskan kepada (unit)", "units"),
        Field("instruction", "Instruksi disposisi", "choice"),
        Field("due_date", "Batas waktu disposisi", "date"),
        Field("reply_body", "Isi draf surat jawaban", "longtext"),
        Field("paraf", "Paraf persetujuan Kepala Dinas", "bool"),
        Field("delivery_method", "Cara penyampaian", "choice"),
        Field("delivered_on", "Tanggal penyampaian", "date"),
        Field("evidence", "Bukti penyampaian", "longtext"),
        Field("archive_code", "Kode arsip"),
        Field("archive_location", "Lokasi simpan arsip"),
    )
}


@dataclass(frozen=True)
class Requirement:
    """Something that must already exist on the complaint before an action."""

    key: str
    label: str


# Facts about the complaint that ``services.workflow`` checks before an action.
REQUIREMENTS: dict[str, Requirement] = {
    r.key: r
    for r in (
        Requirement("complaint_letter", "Surat aduan (pindaian surat untuk pengaduan tertulis)"),
        Requirement("guest_book_entry", "Entri buku tamu"),
        Requirement("agenda_number", "Nomor agenda dan lembar disposisi"),
        Requirement("assigned_units", "Unit tujuan disposisi"),
        Requirement("reply_body", "Draf surat jawaban"),
        Requirement("supporting_documents", "Dokumen pendukung"),
        Requirement("paraf", "Paraf persetujuan Kepala Dinas"),
        Requirement("signed_letter", "Surat jawaban yang ditandatangani"),
        Requirement("delivery", "Bukti penyampaian surat jawaban"),
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

# Template keys in ``letter_templates/`` (file ``<key>.docx``).
TEMPLATES: tuple[str, ...] = (
    "surat_jawaban",
    "lembar_disposisi",
    "tanda_terima",
    "buku_pengaduan",
    "rekapitulasi",
)


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
    template: str | None = None  # document produced at this step, if any
    public_label: str = ""  # plain Indonesian for the complainant's progress line


@dataclass(frozen=True)
class Action:
    """A move allowed at a step. ``to=None`` closes the complaint."""

    key: str
    at: int
    to: int | None
    label: str  # the button text
    role: Role | None = None  # defaults to the step's role
    fields: tuple[str, ...] = ()  # keys of FIELDS required in the payload
    optional_fields: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # extra REQUIREMENTS besides the step's
    sets_form: Form | None = None


CLOSED = None  # ``Complaint.current_step`` of a closed complaint

STEPS: tuple[Step, ...] = (
    Step(
        1,
        "Pemohon mendatangi dinas dan menemui Petugas Pelayanan",
        Role.PETUGAS,
        30,
        (),
        "Surat aduan",
        "Pemohon aduan bertemu Petugas Pelayanan",
        public_label="Pengaduan disampaikan",
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
    ),
    Step(
        3,
        "Menyampaikan ke Sub Bagian Kepegawaian dan Umum",
        Role.PETUGAS,
        30,
        ("complaint_letter",),
        "Surat aduan dan buku tamu",
        "Surat aduan diterima petugas",
        public_label="Diteruskan ke Sub Bagian Umum",
    ),
    Step(
        4,
        "Menerima pengaduan secara lisan atau tertulis",
        Role.SUBBAG_UMUM,
        30,
        ("complaint_letter", "guest_book_entry"),
        "Surat aduan",
        "Aduan tersampaikan",
        public_label="Diverifikasi Sub Bagian Umum",
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
    ),
    Step(
        7,
        "Menelaah surat pengaduan untuk didisposisi oleh Kepala Dinas",
        Role.KEPALA_DINAS,
        30,
        ("complaint_letter", "agenda_number"),
        "Surat aduan dan lembar disposisi",
        "Surat masuk dapat ditelaah dengan baik",
        template="lembar_disposisi",
        public_label="Ditelaah Kepala Dinas",
    ),
    Step(
        8,
        "Menyusun draf surat jawaban aduan untuk persetujuan Kepala Dinas",
        Role.UNIT,
        60,
        ("assigned_units",),
        "Draft surat jawaban dan dokumen pendukung",
        "Draft surat jawaban dan dokumen pendukung diterima sekretaris",
        template="surat_jawaban",
        public_label="Jawaban sedang disusun",
    ),
    Step(
        9,
        "Menelaah draf surat jawaban: paraf persetujuan atau dikembalikan",
        Role.KEPALA_DINAS,
        30,
        ("complaint_letter", "reply_body"),
        "Surat aduan dan draft jawaban",
        "Surat jawaban aduan",
        template="surat_jawaban",
        public_label="Jawaban diperiksa Kepala Dinas",
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
    ),
    Step(
        11,
        "Menyampaikan surat jawaban kepada pemohon (langsung, e-mail, WhatsApp)",
        Role.PETUGAS,
        30,
        ("signed_letter",),
        "Surat jawaban aduan",
        "Surat jawaban aduan siap dikirim",
        template="surat_jawaban",
        public_label="Jawaban disampaikan kepada Anda",
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
    ),
)

ACTIONS: tuple[Action, ...] = (
    # Step 1: the complainant arrives (walk-in, phone, letter, ...) or submits online.
    Action("meet", 1, 2, "Catat kedatangan pemohon"),
    Action("submit_online", 1, 2, "Kirim pengaduan online", role=Role.PEMOHON),
    # Step 2: receipt by the front desk; the receipt (tanda terima) is produced.
    Action("receive", 2, 3, "Terima pengaduan"),
    # Step 3: hand over to Sub Bagian Umum with the guest-book entry.
    Action(
        "hand_over",
        3,
        4,
        "Serahkan ke Sub Bagian Umum",
        fields=("guest_book_entry",),
    ),
    # Step 4: the SOP splits here.
    Action(
        "classify_oral",
        4,
        5,
        "Pengaduan lisan: teruskan ke humas/bidang terkait",
        fields=("unit",),
        sets_form=Form.LISAN,
    ),
    Action("classify_written", 4, 6, "Pengaduan tertulis: proses di TNDE", sets_form=Form.TERTULIS),
    # Step 5: oral complaints are settled on the spot, or turned into written ones.
    Action("resolve_oral", 5, CLOSED, "Selesaikan pengaduan lisan", fields=("outcome",)),
    Action(
        "convert_to_written",
        5,
        6,
        "Tidak dapat diselesaikan lisan: jadikan pengaduan tertulis",
        fields=("reason",),
        sets_form=Form.TERTULIS,
    ),
    # Step 6: register in TNDE, attach the disposition sheet.
    Action(
        "register",
        6,
        7,
        "Catat di TNDE dan lampirkan lembar disposisi",
        fields=("agenda_number", "sifat"),
    ),
    # Step 7: the Head dispositions to one or more units.
    Action(
        "dispose",
        7,
        8,
        "Disposisikan",
        fields=("units", "instruction"),
        optional_fields=("due_date",),
    ),
    # Step 8: the unit drafts the reply with supporting documents.
    Action(
        "submit_draft",
        8,
        9,
        "Kirim draf jawaban ke Kepala Dinas",
        fields=("reply_body",),
        requires=("supporting_documents",),
    ),
    # Step 9: approve with paraf, or return to the unit (any number of times).
    Action("approve", 9, 10, "Setujui (paraf)", fields=("paraf",)),
    Action("return_draft", 9, 8, "Kembalikan ke unit", fields=("reason",)),
    # Step 10: the Secretary as PPID signs; the letter is frozen.
    Action("sign", 10, 11, "Tandatangani surat jawaban"),
    # Step 11: delivery with date and evidence.
    Action(
        "deliver",
        11,
        12,
        "Catat penyampaian surat jawaban",
        fields=("delivery_method", "delivered_on", "evidence"),
    ),
    # Step 12: archive and close.
    Action(
        "archive",
        12,
        CLOSED,
        "Arsipkan dan tutup",
        fields=("archive_code", "archive_location"),
    ),
)

STEP_BY_NUMBER: dict[int, Step] = {s.number: s for s in STEPS}
ACTION_BY_KEY: dict[str, Action] = {a.key: a for a in ACTIONS}
FIRST_STEP = 1
# The written path: steps 1-4 and 6-12, 10 x 30 + 60 = 360 standard minutes (the SOP's
# twelve steps together, step 5 included, are the 11 x 30 + 60 = 390 its notes mention).
WRITTEN_PATH = (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)


def step(number: int) -> Step:
    """The SOP step with this number (KeyError if there is none)."""
    return STEP_BY_NUMBER[number]


def action(key: str) -> Action:
    """The action with this key (KeyError if there is none)."""
    return ACTION_BY_KEY[key]


def action_role(act: Action) -> Role:
    """The role that performs an action: its own, else its step's."""
    return act.role or STEP_BY_NUMBER[act.at].role


def actions_at(step_number: int | None) -> tuple[Action, ...]:
    """Every action allowed at a step (none for a closed complaint)."""
    if step_number is None:
        return ()
    return tuple(a for a in ACTIONS if a.at == step_number)


def step_label(step_number: int | None) -> str:
    """Short Indonesian label, e.g. "Langkah 8: Menyusun draf ..." or "Selesai"."""
    if step_number is None:
        return "Selesai"
    return f"Langkah {step_number}: {STEP_BY_NUMBER[step_number].name}"
