"""The signed reply letter is a PDF with a verification block, checked on /verifikasi.

Issue 11 item 2: signing freezes the .docx and, after commit, its PDF (converted off the
request path by the warm LibreOffice, ``documents.converter``); the PDF carries
"Ditandatangani secara elektronik", the signer, the date, a QR code and the code;
/verifikasi answers for the code (``services.signed_letter.verify``) and compares an
uploaded file byte for byte; what is delivered is that PDF and nothing before it exists.
"""

from __future__ import annotations

import email
import hashlib
import io
import time
from email import policy

import pdfplumber
import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import OutboxMessage, SignedLetter
from documents import converter
from documents.pdf import PdfUnavailable
from services import delivery, ratelimit, reply_letter, signed_letter, workflow
from tests.factories import bring_to, state, version_of

CLIENT = "198.51.100.7"


def sign(staff, complaint_id: int) -> None:
    workflow.perform(
        complaint_id=complaint_id,
        action="sign",
        user_id=staff.sekretaris.id,
        expected_version=version_of(complaint_id),
    )


def record_of(complaint_id: int) -> SignedLetter:
    with read_session() as session:
        row = session.scalars(
            select(SignedLetter).where(SignedLetter.complaint_id == complaint_id)
        ).one()
        _ = row.pdf  # deferred: load before the session closes
        session.expunge(row)
        return row


def test_signing_makes_a_pdf_with_the_verification_block(staff, real_converter):
    complaint_id = bring_to(staff, 10)
    started = time.perf_counter()
    sign(staff, complaint_id)  # converts after commit (no converter thread in tests)
    row = record_of(complaint_id)
    ready_after = time.perf_counter() - started
    assert row.pdf is not None and row.pdf.startswith(b"%PDF")
    assert row.pdf_sha256 == hashlib.sha256(row.pdf).hexdigest()
    with pdfplumber.open(io.BytesIO(row.pdf)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
        images = sum(len(page.images) for page in document.pages)
    flat = " ".join(text.split())
    assert "Ditandatangani secara elektronik" in flat
    assert f"Kode verifikasi: {signed_letter.show_code(row.code)}" in flat
    assert state(complaint_id).letter_number in flat
    assert row.signer_name and row.signer_name in flat
    assert f"NIP. {row.signer_nip}" in flat
    assert "DRAF" not in flat
    assert images >= 1  # the QR code (decoded in tests/e2e/test_signed_verification.py)
    # The download is the stored PDF itself, byte for byte.
    letter = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.petugas.id)
    assert letter.mime == "application/pdf" and letter.data == row.pdf
    print(f"signing -> PDF ready: {ready_after:.2f} s")


def test_an_unknown_or_malformed_code_gets_one_plain_answer_and_is_throttled(staff, monkeypatch):
    complaint_id = bring_to(staff, 10)
    sign(staff, complaint_id)
    code = record_of(complaint_id).code
    other = ("2" if code[0] != "2" else "3") + code[1:]  # well formed, not a letter's
    answers = set()
    guesses = (other, "abc", "", None, "O0O0-I1I1-LLLL", code + "X", "<b>x</b>")
    for number, guess in enumerate(guesses):
        with pytest.raises(signed_letter.UnknownCode) as refused:
            signed_letter.verify(code=guess, client=f"{CLIENT}-{number}")
        answers.add(refused.value.message)
    assert answers == {signed_letter.UNKNOWN_CODE}
    # The real code is read in any spelling, hyphens and case aside.
    shown = signed_letter.verify(code=signed_letter.show_code(code).lower(), client="other")
    assert shown.letter_number == state(complaint_id).letter_number
    # Guessing is counted per client, as on the tracking page.
    monkeypatch.setattr(signed_letter, "verify_policy", lambda: _tight())
    for _ in range(2):
        with pytest.raises(signed_letter.UnknownCode):
            signed_letter.verify(code=other, client="guesser")
    with pytest.raises(ratelimit.Throttled):
        signed_letter.verify(code=code, client="guesser")


def _tight() -> ratelimit.Policy:
    from datetime import timedelta

    return ratelimit.Policy(
        bucket=signed_letter.VERIFY_BUCKET,
        max_hits=2,
        window=timedelta(minutes=15),
        refusal="Terlalu banyak kode verifikasi yang tidak dikenal dari perangkat Anda.",
    )


def test_a_rahasia_letter_is_verified_without_any_identity(staff):
    open_id = bring_to(staff, 10, complainant_name="Siti Aminah")
    secret_id = bring_to(staff, 10, complainant_name="Rahmat Lasama", confidential=True)
    for complaint_id in (open_id, secret_id):
        sign(staff, complaint_id)
    plain = signed_letter.verify(code=record_of(open_id).code, client=CLIENT)
    assert plain.addressee == "Siti Aminah"  # identity.py lets the public see it here
    secret = signed_letter.verify(code=record_of(secret_id).code, client=CLIENT)
    assert secret.addressee is None
    assert "Rahmat" not in repr(secret) and "Lasama" not in repr(secret)
    assert secret.letter_number == state(secret_id).letter_number


def test_nothing_is_delivered_before_the_pdf_and_the_pdf_after(staff, smtp_server, monkeypatch):
    inbox = smtp_server()

    def broken(_docx: bytes) -> bytes:
        raise PdfUnavailable("Konversi PDF gagal.")

    monkeypatch.setattr(converter, "convert", broken)
    complaint_id = bring_to(staff, 10)
    sign(staff, complaint_id)
    assert state(complaint_id).current_step == 11  # signed; its PDF is not there yet
    for attempt in (
        lambda: reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.petugas.id),
        lambda: delivery.whatsapp_link(complaint_id=complaint_id, user_id=staff.petugas.id),
        lambda: delivery.send_email(
            complaint_id=complaint_id,
            user_id=staff.petugas.id,
            expected_version=version_of(complaint_id),
        ),
    ):
        with pytest.raises(signed_letter.NotReady, match="sedang disiapkan sebagai PDF"):
            attempt()
    with read_session() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
    assert record_of(complaint_id).last_error == "Konversi PDF gagal."

    # The converter works again: the next round (the worker's loop) converts it.
    monkeypatch.setattr(converter, "convert", lambda docx: b"%PDF-1.4\n% ok\n%%EOF\n")
    monkeypatch.setattr(signed_letter, "RETRY_AFTER", signed_letter.RETRY_AFTER * 0)
    assert signed_letter.convert_pending() == 1
    row = record_of(complaint_id)
    result = delivery.send_email(
        complaint_id=complaint_id,
        user_id=staff.petugas.id,
        expected_version=version_of(complaint_id),
    )
    assert result.delivered
    [(_, _, raw)] = inbox.messages
    [attachment] = list(email.message_from_bytes(raw, policy=policy.default).iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == row.pdf

    # /verifikasi: that file is the original, a changed copy is not.
    same = signed_letter.check_file(code=row.code, data=row.pdf, client=CLIENT)
    assert same.original and same.sha256 == row.pdf_sha256
    changed = signed_letter.check_file(code=row.code, data=row.pdf + b" ", client=CLIENT)
    assert not changed.original and "BUKAN surat asli" in changed.text
