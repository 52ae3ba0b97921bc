"""The one check of an e-mail address and of a phone number, for every form that asks.

Intake (front desk and portal), user accounts, letter settings and step-11 delivery all
call these, so an address accepted when a complaint is recorded is the address the reply
can be sent to. Pure functions: no streamlit, no database. Each returns the cleaned
value, ``None`` when nothing was typed, or raises ``InvalidInput`` whose Indonesian
message names the field as the user sees it (``label``).
"""

from __future__ import annotations

import re

from layanan.errors import InvalidInput

MAX_EMAIL = 200
# One "@", no spaces or characters that would split a header (<>,;"), a dot in the domain.
_EMAIL_RE = re.compile(r'^[^@\s<>,;"]+@[^@\s<>,;"]+\.[^@\s<>,;"]+$')
_PHONE_CHARS_RE = re.compile(r"[^\d\s\-+().]")
_LANDLINE_RE = re.compile(r"^[2-79]\d{7,10}$")  # area code (21, 451, ...) + subscriber


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
        raise InvalidInput(
            f"{label} \u201c{text}\u201d tidak valid; tulis seperti nama@domain.go.id."
        )
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
        raise InvalidInput(f"{label} \u201c{text}\u201d tidak valid: hanya angka.")
    digits = re.sub(r"\D", "", text)
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif digits.startswith("8") and not text.startswith("+"):
        national = digits
    else:
        raise InvalidInput(
            f"{label} \u201c{text}\u201d bukan nomor Indonesia (awali dengan 08, 62 atau +62)."
        )
    if national.startswith("8") and 9 <= len(national) <= 12:
        return "+62" + national
    if _LANDLINE_RE.match(national):
        if mobile:
            raise InvalidInput(
                f"{label} \u201c{text}\u201d adalah nomor telepon rumah/kantor; WhatsApp "
                "memerlukan nomor seluler yang diawali 08."
            )
        return "+62" + national
    raise InvalidInput(
        f"{label} \u201c{text}\u201d tidak valid: nomor seluler Indonesia diawali 08 dan "
        "terdiri dari 10-13 angka"
        + ("." if mobile else "; nomor telepon rumah/kantor diawali kode wilayah (0451...).")
    )
