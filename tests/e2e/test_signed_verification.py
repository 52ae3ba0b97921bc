"""Browser end-to-end: the Secretary signs, the signed PDF's QR code leads to /verifikasi.

The complaint is brought to step 10 in-process (as in test_letter_download); the
Secretary then signs in the browser, so the *server* freezes the letter and its
converter thread makes the PDF with the warm LibreOffice. The PDF is downloaded, its
first page rendered with PDFium and the QR code decoded with zxing-cpp; the decoded
address opens /verifikasi without login and shows the letter; the original file is
confirmed and a changed copy refused.
"""

from __future__ import annotations

import hashlib
import time

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect
from sqlalchemy import select

import config
from db.engine import read_session
from db.models import SignedLetter, User
from services import reply_letter
from services.seed import DEMO_PASSWORD
from tests.e2e.test_letter_download import complaint_approved

pytestmark = pytest.mark.e2e


def complaint_at_step_ten() -> tuple[str, int]:
    return complaint_approved(
        subject="Sisa hasil usaha belum dibagikan",
        reply_body="SHU dibagikan pada bulan Desember.",
        tag="TTE",
    )


def stored(complaint_id: int) -> SignedLetter | None:
    with read_session() as session:
        row = session.scalars(
            select(SignedLetter).where(SignedLetter.complaint_id == complaint_id)
        ).first()
        if row is not None:
            session.expunge(row)
        return row


def test_the_signed_pdf_qr_code_opens_its_verification(
    page, browser, app_url, e2e_database, monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", e2e_database)
    config.get_settings.cache_clear()
    ticket, complaint_id = complaint_at_step_ten()

    page.goto(app_url)
    page.get_by_role("textbox", name="Nama pengguna").fill("sekretaris")
    page.get_by_role("textbox", name="Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="Masuk").wait_for(state="detached")
    page.goto(f"{app_url}/pengaduan?tiket={ticket}")
    title = "Tandatangani surat jawaban"
    sign = page.locator('[data-testid="stForm"]').filter(has_text=title)
    sign.get_by_role("button", name=title).click()
    # Generous: the signing renders the letter and its QR code on a shared CPU.
    expect(page.get_by_text("kini di Langkah 11").first).to_be_visible(timeout=60_000)

    # The server converts after the signing's commit: wait for the stored PDF.
    row = stored(complaint_id)
    assert row is not None  # the verification record is written with the signing
    deadline = time.monotonic() + 60
    while row.pdf_sha256 is None and time.monotonic() < deadline:
        time.sleep(0.1)
        row = stored(complaint_id)
    assert row.pdf_sha256 is not None, row.last_error
    ready = (row.pdf_ready_at - row.signed_at).total_seconds()
    print(f"signing -> PDF ready: {ready:.2f} s")

    # The download serves the stored bytes (timed at the service the button calls).
    started = time.perf_counter()
    served = reply_letter.reply_letter(complaint_id=complaint_id, user_id=_id("sekretaris"))
    print(f"download (service): {(time.perf_counter() - started) * 1000:.0f} ms")
    assert served.mime == "application/pdf"

    page.reload()
    number = row.letter_number
    button = page.get_by_role("button", name=f"Surat jawaban bertanda tangan ({number}) (PDF)")
    started = time.perf_counter()
    with page.expect_download() as download:
        button.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    print(f"download (browser click to file): {(time.perf_counter() - started) * 1000:.0f} ms")
    assert download.value.suggested_filename == f"surat-jawaban-{ticket}.pdf"
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == row.pdf_sha256

    # Read the QR code off the printed page, as a phone would.
    document = pypdfium2.PdfDocument(data)
    try:
        images = [document[i].render(scale=3).to_pil().convert("L") for i in range(len(document))]
    finally:
        document.close()
    decoded = [b.text for image in images for b in zxingcpp.read_barcodes(image)]
    assert decoded == [f"{app_url}/verifikasi?kode={row.code}"]

    public = browser.new_context(base_url=app_url, locale="id-ID", accept_downloads=True)
    try:
        visitor = public.new_page()
        visitor.set_default_timeout(20_000)
        visitor.goto(decoded[0])  # no login
        expect(visitor.get_by_text(f"Nomor surat: {number}")).to_be_visible(timeout=30_000)
        expect(visitor.get_by_text(f"Hal: {row.hal}")).to_be_visible()
        expect(visitor.get_by_text(row.pdf_sha256)).to_be_visible()
        uploader = visitor.get_by_test_id("stFileUploader")
        changed = data + b"%% diubah\n"  # still opens as a PDF, one line longer
        uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            {"name": "surat-diubah.pdf", "mimeType": "application/pdf", "buffer": changed}
        )
        refused = visitor.get_by_text("Berkas ini BUKAN surat asli", exact=False)
        expect(refused).to_be_visible(timeout=30_000)
        uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            {"name": "surat.pdf", "mimeType": "application/pdf", "buffer": data}
        )
        expect(visitor.get_by_text("Berkas ini asli", exact=False)).to_be_visible(timeout=30_000)
        visitor.screenshot(path=str(tmp_path / "verifikasi.png"), full_page=True)
    finally:
        public.close()


def _id(username: str) -> int:
    with read_session() as session:
        return session.scalar(select(User.id).where(User.username == username))
