"""The one check of a typed text, an e-mail address and a phone number, for every form.

``text`` is what every entry point (intake, the portal, every SOP action's fields, the
admin forms, letter settings) runs on what a person typed before anything is written:
it refuses what SQLite stores but PostgreSQL or a Word letter cannot (NUL and other
control characters, lone surrogates, Unicode non-characters) and what is longer than the
column holding it (``column_limit`` reads that length from the model, the one place it is
declared). Intake (front desk and portal), user accounts, letter settings and step-11
delivery all call ``email_address`` and ``phone_number``, so an address accepted when a
complaint is recorded is the address the reply can be sent to. Pure functions: no
streamlit, no database. Each returns the cleaned value, ``None`` when nothing was typed,
or raises ``InvalidInput`` whose Indonesian message names the field as the user sees it
(``label``) and never repeats a refused value.
"""

from __future__ import annotations

import re
from typing import Any

from layanan.errors import InvalidInput

MAX_EMAIL = 200
# The largest value of an INTEGER column on both databases (PostgreSQL int4).
MAX_INT = 2**31 - 1
# Refused in any text: C0 controls except tab and line ends, DEL and the C1 controls (NUL
# makes PostgreSQL raise DataError; the others are invisible and cannot be written into
# a .docx), lone surrogates (not encodable as UTF-8) and the Unicode non-characters
# (U+FDD0-U+FDEF and every U+xFFFE/U+xFFFF, not allowed in a Word document's XML).
_REFUSED_RE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(rf"\U{plane:04x}fffe\U{plane:04x}ffff" for plane in range(1, 17))
    + "]"
)
QUOTE_MAX = 60  # the longest typed value a refusal repeats back
_INTEGER_RE = re.compile(r"^[+-]?[0-9]{1,12}$")


def column_limit(column: Any) -> int | None:
    """The most characters ``column`` (a model attribute, e.g. ``Complaint.subject``)
    holds: its ``String(n)`` length, else the ``info["max_length"]`` a ``Text`` column
    declares for what people may type into it; None when it declares neither."""
    expression = getattr(column, "expression", column)
    length = getattr(expression.type, "length", None)
    return length or expression.info.get("max_length")


def text(value: Any, *, label: str, max_length: int | None) -> str | None:
    """``value`` stripped if it is text a person may store; None if nothing was typed.

    Line ends are normalised to ``\\n``; tab and newline are the only control characters
    kept. ``label`` is the field's name on the form; the refusal never repeats the value
    (it may be huge, or invisible).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{label} harus berupa teks.")
    if _REFUSED_RE.search(value):
        raise InvalidInput(
            f"{label} memuat karakter yang tidak diizinkan (karakter kendali atau kode tak "
            "sah). Hapus isian itu lalu ketik ulang."
        )
    cleaned = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if max_length is not None and len(cleaned) > max_length:
        raise InvalidInput(f"{label} terlalu panjang: paling banyak {max_length} karakter.")
    return cleaned or None


def integer(value: Any, *, label: str, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """A whole number within [minimum, maximum] (an int or its digits; never a bool or a
    float, which would be silently cut)."""
    if isinstance(value, str) and _INTEGER_RE.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidInput(f"{label} harus bilangan bulat antara {minimum} dan {maximum}.")
    return value


def flag(value: Any, *, label: str) -> bool:
    """A tick: True or False, nothing else."""
    if not isinstance(value, bool):
        raise InvalidInput(f"{label} harus dicentang atau tidak dicentang.")
    return value


# One "@", no spaces or characters that would split a header (<>,;"), a dot in the domain.
_EMAIL_RE = re.compile(r'^[^@\s<>,;"]+@[^@\s<>,;"]+\.[^@\s<>,;"]+$')
_PHONE_CHARS_RE = re.compile(r"[^\d\s\-+().]")
_LANDLINE_RE = re.compile(r"^[2-79]\d{7,10}$")  # area code (21, 451, ...) + subscriber


def _quoted(text: str) -> str:
    """`` "<text>"`` to show what was typed, if it is short; else nothing (never a wall of
    text, nor an invisible character, repeated back)."""
    return f" \u201c{text}\u201d" if len(text) <= QUOTE_MAX and text.isprintable() else ""


def email_address(value: str | None, *, label: str) -> str | None:
    """``value`` stripped if it is a deliverable-looking address; None if empty.

    ``label`` is the field's name on the form, e.g. "Alamat e-mail pemohon".
    """
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL:
        raise InvalidInput(f"{label} terlalu panjang (maksimal {MAX_EMAIL} karakter).")
    domain = text.rpartition("@")[2]
    if (
        not text.isprintable()
        or not _EMAIL_RE.match(text)
        or not all(domain.split("."))
        or text.startswith(".")
    ):
        raise InvalidInput(f"{label}{_quoted(text)} tidak valid; tulis seperti nama@domain.go.id.")
    return text


def phone_number(value: str | None, *, label: str, mobile: bool = False) -> str | None:
    """An Indonesian number as +62...; None if empty; InvalidInput for anything else.

    Accepts 0812-3456-7890, 62812..., +62 812 3456 7890, (0812) 345 678 90, and, unless
    ``mobile`` (WhatsApp reaches only mobile numbers), a landline such as (0451) 421234.
    """
    text = (value or "").strip()
    if not text:
        return None
    if (
        not text.isprintable()
        or _PHONE_CHARS_RE.search(text)
        or text.count("+") > 1
        or "+" in text[1:]
    ):
        raise InvalidInput(f"{label}{_quoted(text)} tidak valid: hanya angka.")
    digits = re.sub(r"\D", "", text)
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif digits.startswith("8") and not text.startswith("+"):
        national = digits
    else:
        raise InvalidInput(
            f"{label}{_quoted(text)} bukan nomor Indonesia (awali dengan 08, 62 atau +62)."
        )
    if national.startswith("8") and 9 <= len(national) <= 12:
        return "+62" + national
    if _LANDLINE_RE.match(national):
        if mobile:
            raise InvalidInput(
                f"{label}{_quoted(text)} adalah nomor telepon rumah/kantor; WhatsApp "
                "memerlukan nomor seluler yang diawali 08."
            )
        return "+62" + national
    raise InvalidInput(
        f"{label}{_quoted(text)} tidak valid: nomor seluler Indonesia diawali 08 dan "
        "terdiri dari 10-13 angka"
        + ("." if mobile else "; nomor telepon rumah/kantor diawali kode wilayah (0451...).")
    )
