"""Letter numbers from a configurable pattern, e.g. ``{klasifikasi}/{urut}/{unit}/{tahun}``.

The sequence ``urut`` comes from the counter ``letter-<year>`` (``db.counters.next_counter``,
atomic on SQLite and PostgreSQL), so it starts again at 1 each year simply because a new
year uses a new counter. The number is taken inside the signing transaction: if the
signing is refused or fails, the counter goes back with it, and two people signing at
once get two numbers (``Complaint.letter_number`` is UNIQUE as a last guard).
"""

from __future__ import annotations

import string
from datetime import datetime

from sqlalchemy.orm import Session

from db.counters import next_counter
from layanan.calendar import OFFICE_TZ
from layanan.errors import InvalidInput

PLACEHOLDERS: dict[str, str] = {
    "klasifikasi": "kode klasifikasi arsip, mis. 000.8.3",
    "urut": "nomor urut surat dalam tahun berjalan (mulai 1 setiap tahun)",
    "unit": "kode unit pengolah (unit yang didisposisikan), mis. BKOP",
    "tahun": "tahun surat, mis. 2026",
    "bulan": "bulan surat dalam angka Romawi, mis. XI",
}
DEFAULT_PATTERN = "{klasifikasi}/{urut}/{unit}/{tahun}"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def counter_name(year: int) -> str:
    return f"letter-{year}"


def validate_pattern(pattern: str) -> str:
    """The pattern if usable; otherwise InvalidInput with the reason in Indonesian."""
    pattern = (pattern or "").strip()
    if not pattern:
        raise InvalidInput("Pola nomor surat wajib diisi.")
    if len(pattern) > 80:
        raise InvalidInput("Pola nomor surat terlalu panjang (maksimal 80 karakter).")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError as exc:
        raise InvalidInput(
            f"Pola nomor surat tidak valid: kurung kurawal tidak seimbang ({exc})."
        ) from exc
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise InvalidInput(
            f"Pola nomor surat memuat isian yang tidak dikenal: {', '.join(unknown)}. "
            f"Yang dapat dipakai: {allowed}."
        )
    for needed in ("urut", "tahun"):
        if needed not in names:
            raise InvalidInput(
                f"Pola nomor surat harus memuat {{{needed}}} agar setiap surat bernomor unik."
            )
    try:
        format_number(pattern, klasifikasi="065", urut=1, unit="SEK", year=2026, month=1)
    except (ValueError, IndexError, KeyError) as exc:
        raise InvalidInput(f"Pola nomor surat tidak valid: {exc}.") from exc
    return pattern


def format_number(
    pattern: str, *, klasifikasi: str, urut: int | str, unit: str, year: int, month: int
) -> str:
    return pattern.format(
        klasifikasi=klasifikasi, urut=urut, unit=unit, tahun=year, bulan=ROMAN[month - 1]
    )


def draft_number(pattern: str, *, klasifikasi: str, unit: str, when: datetime) -> str:
    """What a draft shows: the pattern with dots where the sequence will go."""
    local = when.astimezone(OFFICE_TZ)
    return format_number(
        pattern,
        klasifikasi=klasifikasi,
        urut=".....",
        unit=unit,
        year=local.year,
        month=local.month,
    )


def allocate(session: Session, *, pattern: str, klasifikasi: str, unit: str, when: datetime) -> str:
    """The next letter number of ``when``'s year (office time), inside ``session``."""
    local = when.astimezone(OFFICE_TZ)
    sequence = next_counter(session, counter_name(local.year))
    return format_number(
        pattern,
        klasifikasi=klasifikasi,
        urut=sequence,
        unit=unit,
        year=local.year,
        month=local.month,
    )
