"""Formatting for users: Indonesian dates, durations, numbers, ticket numbers."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal

from layanan import sop
from layanan.calendar import OFFICE_TZ


def tanggal(value: date | datetime | None) -> str:
    """A date as "28 November 2026" (in the office's zone for instants)."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.astimezone(OFFICE_TZ).date()
    return _format_tanggal(value)


@lru_cache(maxsize=4096)
def _format_tanggal(value: date) -> str:
    # Cached: babel resolves the locale on every call, and a register of 87,000 rows
    # has only some thirty distinct dates.
    return format_date(value, "d MMMM y", locale="id")


def tanggal_jam(value: datetime | None) -> str:
    """An instant as "28 November 2026 pukul 14.05 WITA" (EYD V)."""
    if value is None:
        return "-"
    local = value.astimezone(OFFICE_TZ)
    return f"{tanggal(local.date())} pukul {local:%H.%M} WITA"


def durasi(minutes: int | float | None) -> str:
    """Working minutes as "1 jam 5 menit" / "45 menit"."""
    if minutes is None:
        return "-"
    total = round(minutes)
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 60)
    if hours and rest:
        return f"{sign}{hours} jam {rest} menit"
    if hours:
        return f"{sign}{hours} jam"
    return f"{sign}{rest} menit"


def angka(value: int) -> str:
    """A count as Indonesians write it: "3.120", "1.000.000"."""
    return format_decimal(value, locale="id")


def ticket_number(year: int, sequence: int) -> str:
    """Ticket number such as ADU-2026-000123."""
    return f"ADU-{year}-{sequence:06d}"


def kalimat(text: str) -> str:
    """``text`` ended as a sentence: a full stop added unless it already ends in one.

    Names may end in a title's period ("Rina Marlina, S.Sos."): "oleh " + name + "."
    would print "S.Sos..". Use ``kalimat(f"... oleh {name}")`` instead.
    """
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def posisi(ticket: str, step_number: int | None) -> str:
    """Where a complaint is after an action: "pengaduan ADU-... kini di Langkah 7: ..."
    or, once closed, "pengaduan ADU-... selesai" (never "kini di Selesai")."""
    if step_number is None:
        return f"pengaduan {ticket} selesai"
    return f"pengaduan {ticket} kini di {sop.step_label(step_number)}"
