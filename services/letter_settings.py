"""Letter settings (kop surat, signers, numbering) stored in ``Setting("letter_settings")``.

The admin edits them on the "Templat Surat" page; nothing is edited by hand. Missing
keys fall back to the defaults below, so adding a field never breaks stored settings.
"""

from __future__ import annotations

import base64
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Setting
from documents import numbering
from documents import page as page_setup
from documents.render import Image
from layanan import validate as check
from layanan.errors import InvalidInput
from layanan.validate import email_address
from services import authz
from services.uploads import detect_type

KEY = "letter_settings"
MARGINS: dict[str, str] = {
    "margin_atas": "Margin atas",
    "margin_bawah": "Margin bawah",
    "margin_kiri": "Margin kiri",
    "margin_kanan": "Margin kanan",
}
EMBLEM_MAX_BYTES = 1024 * 1024
# Permendagri 83/2022 (kode klasifikasi arsip): 000.8.3 "Ketatalaksanaan" (business
# processes, SOP, public service), the successor of the old scheme's 065; see
# docs/letters.md for what could not be verified.
DEFAULT_CLASSIFICATION = "000.8.3"
# What the SOP cites, with PermenPANRB 24/2014 replaced by the regulation that revoked
# it (docs/letters.md, "Legal basis and classification").
DEFAULT_LEGAL_BASIS: tuple[str, ...] = (
    "Peraturan Presiden Nomor 76 Tahun 2013 tentang Pengelolaan Pengaduan Pelayanan Publik",
    "Peraturan Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi Nomor 62 Tahun "
    "2018 tentang Pedoman Sistem Pengelolaan Pengaduan Pelayanan Publik Nasional "
    "(pengganti Peraturan Menteri PANRB Nomor 24 Tahun 2014 yang dikutip SOP)",
    "Peraturan Menteri Dalam Negeri Nomor 8 Tahun 2023 tentang Pengelolaan Pengaduan di "
    "Lingkungan Kementerian Dalam Negeri dan Pemerintahan Daerah",
)
LIST_LIMITS: dict[str, tuple[str, int, int]] = {
    # key: (label, most lines, characters per line)
    "tembusan": ("Tembusan", 10, 200),
    "dasar_hukum": ("Dasar hukum", 10, 300),
}
NIP_RE = re.compile(r"^\d{8} ?\d{6} ?\d ?\d{3}$")


@dataclass(frozen=True)
class LetterSettings:
    provinsi: str = "PEMERINTAH PROVINSI SULAWESI TENGAH"
    # The SOP's own kop (shared/sop: "DINAS KOPERASI, USAHA KECIL DAN MENENGAH").
    nama_dinas: str = "DINAS KOPERASI, USAHA KECIL DAN MENENGAH"
    alamat: str = "Jalan Prof. Moh. Yamin, Palu, Sulawesi Tengah"
    telepon: str = ""
    faksimile: str = ""
    email: str = ""
    website: str = ""
    kode_pos: str = ""
    kota: str = "Palu"
    lambang_b64: str = ""  # PNG or JPEG, base64; empty = no emblem
    kepala_nama: str = ""
    kepala_pangkat: str = ""
    kepala_nip: str = ""
    sekretaris_nama: str = ""  # empty: the signing Secretary's own account
    sekretaris_pangkat: str = ""
    sekretaris_nip: str = ""
    atas_nama: str = "KEPALA DINAS KOPERASI DAN USAHA KECIL DAN MENENGAH PROVINSI SULAWESI TENGAH"
    jabatan_penandatangan: str = "SEKRETARIS"
    nomor_pola: str = numbering.DEFAULT_PATTERN
    # Kode klasifikasi arsip of the reply letters (Permendagri 83/2022; source and what
    # could not be verified: docs/letters.md, "Legal basis and classification").
    klasifikasi: str = DEFAULT_CLASSIFICATION
    kode_unit: str = ""  # empty: code of the unit the complaint was dispositioned to
    # The office's own file copy is no tembusan (Tata Naskah Dinas): "Arsip" is dropped.
    tembusan: tuple[str, ...] = field(
        default=("Kepala Dinas Koperasi dan UKM Provinsi Sulawesi Tengah (sebagai laporan)",)
    )
    # The regulations the complaint service follows, shown on the admin page and in the
    # recap; editable (one per line) on "Templat Surat".
    dasar_hukum: tuple[str, ...] = field(default=DEFAULT_LEGAL_BASIS)
    # Paper and margins in mm (documents.page; defaults and their source: docs/letters.md).
    kertas: str = page_setup.DEFAULT_PAPER
    margin_atas: float = page_setup.DEFAULT_MARGINS[0]
    margin_bawah: float = page_setup.DEFAULT_MARGINS[1]
    margin_kiri: float = page_setup.DEFAULT_MARGINS[2]
    margin_kanan: float = page_setup.DEFAULT_MARGINS[3]

    @property
    def emblem(self) -> bytes | None:
        return base64.b64decode(self.lambang_b64) if self.lambang_b64 else None

    def kantor(self) -> dict[str, str]:
        """The kop surat as the templates' ``kantor`` key.

        The contact lines in the order of Tata Naskah Dinas's kop: telephone and fax on
        one line, website, e-mail and postcode on the next (so that no address is cut
        in two by the wrap), each with its label; an empty field is left out."""

        def joined(*parts: str) -> str:
            return ", ".join(p for p in parts if p)

        contact = "\n".join(
            line
            for line in (
                joined(
                    f"Telepon {self.telepon}" if self.telepon else "",
                    f"Faksimile {self.faksimile}" if self.faksimile else "",
                ),
                joined(
                    f"Laman {self.website}" if self.website else "",
                    f"Pos-el {self.email}" if self.email else "",
                    f"Kode Pos {self.kode_pos}" if self.kode_pos else "",
                ),
            )
            if line
        )
        return {
            "provinsi": self.provinsi,
            "nama": self.nama_dinas,
            "alamat": self.alamat,
            "kontak": contact,
            "kota": self.kota,
        }

    def lambang(self) -> Image | str:
        data = self.emblem
        return Image(data, 22) if data else ""

    def page(self) -> page_setup.PageSetup:
        """The paper and margins every document is rendered on."""
        return page_setup.PageSetup(
            paper=self.kertas,
            top=self.margin_atas,
            bottom=self.margin_bawah,
            left=self.margin_kiri,
            right=self.margin_kanan,
        )


TEXT_LIMITS: dict[str, tuple[str, int, bool]] = {
    # key: (label, max length, required)
    "provinsi": ("Nama pemerintah daerah", 150, True),
    "nama_dinas": ("Nama dinas", 200, True),
    "alamat": ("Alamat", 300, True),
    "telepon": ("Telepon", 60, False),
    "faksimile": ("Faksimile", 60, False),
    "email": ("Pos-el", 120, False),
    "website": ("Laman", 120, False),
    "kode_pos": ("Kode pos", 5, False),
    "kota": ("Kota", 60, True),
    "kepala_nama": ("Nama Kepala Dinas", 200, False),
    "kepala_pangkat": ("Pangkat/golongan Kepala Dinas", 100, False),
    "kepala_nip": ("NIP Kepala Dinas", 30, False),
    "sekretaris_nama": ("Nama Sekretaris", 200, False),
    "sekretaris_pangkat": ("Pangkat/golongan Sekretaris", 100, False),
    "sekretaris_nip": ("NIP Sekretaris", 30, False),
    "atas_nama": ("Atas nama (a.n.)", 200, True),
    "jabatan_penandatangan": ("Jabatan penandatangan", 100, True),
    "nomor_pola": ("Pola nomor surat", 80, True),
    "klasifikasi": ("Kode klasifikasi", 20, True),
    "kode_unit": ("Kode unit tetap", 30, False),
}


def _from_value(value: dict[str, Any] | None) -> LetterSettings:
    known = {f.name for f in fields(LetterSettings)}
    data = {k: v for k, v in (value or {}).items() if k in known}
    for key in LIST_LIMITS:
        if key in data:
            data[key] = tuple(data[key])
    if "tembusan" in data:  # stored before "Arsip" stopped being a tembusan
        data["tembusan"] = tuple(t for t in data["tembusan"] if not is_archive_copy(t))
    return LetterSettings(**data)


def load(session: Session) -> LetterSettings:
    """The stored letter settings, with defaults for anything not stored."""
    row = session.get(Setting, KEY)
    return _from_value(row.value if row else None)


def get_letter_settings() -> LetterSettings:
    """The letter settings (for pages)."""
    with read_session() as session:
        return load(session)


def validate(values: dict[str, Any]) -> LetterSettings:
    """Checked settings from a form; InvalidInput with every problem named.

    Every text goes through ``layanan.validate.text``: it is printed in every letter, so
    a control character refused here is one no rendered .docx can trip over."""
    if not isinstance(values, dict):
        raise InvalidInput("Pengaturan surat tidak valid. Muat ulang halaman.")
    current = asdict(LetterSettings())
    current.update(values)
    problems: list[str] = []
    cleaned: dict[str, Any] = {}
    for key, (label, limit, required) in TEXT_LIMITS.items():
        try:
            text = check.text(current.get(key), label=label, max_length=limit) or ""
        except InvalidInput as exc:
            problems.append(exc.message.rstrip("."))
            text = ""
        else:
            if required and not text:
                problems.append(f"{label} wajib diisi")
        cleaned[key] = text
    for who in ("kepala", "sekretaris"):
        nip = cleaned[f"{who}_nip"]
        if nip and not NIP_RE.match(nip):
            problems.append(
                f"NIP {'Kepala Dinas' if who == 'kepala' else 'Sekretaris'} harus 18 angka, "
                "mis. 19780707 199712 1 001"
            )
    try:
        email_address(cleaned["email"], label="Pos-el kantor")
    except InvalidInput:
        problems.append("Pos-el kantor tidak valid")
    if cleaned["kode_pos"] and not re.fullmatch(r"\d{5}", cleaned["kode_pos"]):
        problems.append("Kode pos harus 5 angka, mis. 94111")
    paper = current.get("kertas")
    if paper not in page_setup.PAPERS:
        problems.append(f"Ukuran kertas harus salah satu dari: {', '.join(page_setup.PAPERS)}")
    cleaned["kertas"] = paper if paper in page_setup.PAPERS else page_setup.DEFAULT_PAPER
    low, high = page_setup.MARGIN_RANGE
    for key, label in MARGINS.items():
        value = current.get(key)
        try:
            number = float(str(value).replace(",", "."))
        except (TypeError, ValueError):
            number = None
        if number is None or number != number or not low <= number <= high:
            problems.append(f"{label} harus angka {low:g} sampai {high:g} mm")
            number = getattr(LetterSettings(), key)
        cleaned[key] = round(number, 1)
    if problems:
        raise InvalidInput("Pengaturan surat belum benar: " + "; ".join(problems) + ".")
    cleaned["nomor_pola"] = numbering.validate_pattern(cleaned["nomor_pola"])
    for key, (label, most, width) in LIST_LIMITS.items():
        cleaned[key] = _lines(current.get(key), label=label, most=most, width=width)
    cleaned["tembusan"] = tuple(t for t in cleaned["tembusan"] if not is_archive_copy(t))
    emblem = current.get("lambang_b64") or ""
    if isinstance(emblem, bytes):
        emblem = base64.b64encode(check_emblem(emblem)).decode()
    elif emblem:  # the stored emblem kept as it was: it must still decode to one
        try:
            check_emblem(base64.b64decode(emblem, validate=True))
        except (TypeError, ValueError):
            raise InvalidInput("Gambar lambang harus berupa PNG atau JPEG.") from None
    cleaned["lambang_b64"] = emblem
    return LetterSettings(**cleaned)


def is_archive_copy(line: str) -> bool:
    """ "Arsip" (the office's own file copy) is never listed as a tembusan."""
    return line.strip().rstrip(".").casefold() == "arsip"


def _lines(value: Any, *, label: str, most: int, width: int) -> tuple[str, ...]:
    """A list setting typed one per line: each checked as text, empty lines dropped."""
    if value is None:
        value = ()
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{label} harus berupa teks, satu per baris.")
    lines = [check.text(line, label=label, max_length=width) for line in value]
    result = tuple(line for line in lines if line)
    if len(result) > most:
        raise InvalidInput(f"{label} paling banyak {most} baris, masing-masing {width} karakter.")
    return result


def check_emblem(data: bytes) -> bytes:
    """An emblem image if it is a PNG or JPEG of at most 1 MB."""
    if len(data) > EMBLEM_MAX_BYTES:
        raise InvalidInput("Gambar lambang terlalu besar (maksimal 1 MB).")
    if detect_type(data) not in ("image/png", "image/jpeg"):
        raise InvalidInput("Gambar lambang harus berupa PNG atau JPEG.")
    return data


def save_letter_settings(*, user_id: int, values: dict[str, Any]) -> LetterSettings:
    """Store checked letter settings; administrators only."""
    settings = validate(values)
    with write_session() as session:
        authz.require(session, user_id=user_id, capability="manage_letter_settings")
        value = asdict(settings)
        for key in LIST_LIMITS:
            value[key] = list(getattr(settings, key))
        row = session.get(Setting, KEY)
        if row is None:
            session.add(Setting(key=KEY, value=value))
        else:
            row.value = value
    return settings
