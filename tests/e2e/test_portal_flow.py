"""Browser end-to-end: a complaint submitted online, tracked, finished by staff, rated.

The complainant's part runs in headless Chromium against ``streamlit run app.py``; the
staff's part (steps 2-11) runs in-process through the same services the staff pages
call, against the e2e database the server uses.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import config
from db.engine import read_session
from db.models import Complaint, Rating, SignedLetter, User
from services import workflow
from services.seed import DEMO_PDF
from tests.e2e.test_staff_flow import choose

pytestmark = pytest.mark.e2e


def user_ids() -> dict[str, int]:
    with read_session() as session:
        return dict(session.execute(select(User.username, User.id)).all())


def finish_by_staff(ticket: str) -> int:
    """Staff move the complaint from step 2 to step 12 (delivered), signing for real."""
    ids = user_ids()
    with read_session() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.ticket == ticket))
        complaint_id = complaint.id
        unit_id = session.get(User, ids["unit_kop"]).unit_id

    def act(username: str, action: str, payload=None, documents=()) -> None:
        with read_session() as session:
            version = session.get(Complaint, complaint_id).version
        workflow.perform(
            complaint_id=complaint_id,
            action=action,
            user_id=ids[username],
            expected_version=version,
            payload=payload,
            documents=documents,
        )

    supporting = workflow.NewDocument("supporting", "data.pdf", "application/pdf", DEMO_PDF)
    act("petugas", "receive")
    act("petugas", "hand_over", {"guest_book_entry": "BT-E2E-1"})
    act("subbag", "classify_written")
    act("subbag", "register", {"agenda_number": "500/E2E/XI/2026", "sifat": "segera"})
    act("kepala", "dispose", {"units": [unit_id], "instruction": "Siapkan jawaban"})
    act(
        "unit_kop",
        "submit_draft",
        {"reply_body": "Dana bergulir koperasi Saudara dicairkan pada bulan Desember 2026."},
        [supporting],
    )
    act("kepala", "approve", {"paraf": True})
    act("sekretaris", "sign")  # freezes the signed letter (the sign hook in services.reply_letter)
    act(
        "petugas",
        "deliver",
        {"delivery_method": "langsung", "delivered_on": "2026-11-28", "evidence": "Diserahkan"},
    )
    return complaint_id


@pytest.fixture
def staff_database(e2e_database, monkeypatch):
    """This process talks to the server's database while the test plays the staff."""
    monkeypatch.setenv("DATABASE_URL", e2e_database)
    config.get_settings.cache_clear()
    yield e2e_database
    monkeypatch.undo()
    config.get_settings.cache_clear()


def test_a_complainant_submits_tracks_downloads_the_reply_and_rates(
    page, app_url, staff_database, tmp_path
):
    # 1. Submit online, without logging in.
    page.goto(f"{app_url}/ajukan")
    page.get_by_role("textbox", name="Nama lengkap *", exact=True).fill("Yusuf Lamato")
    page.get_by_role("textbox", name="Nomor telepon/WhatsApp", exact=True).fill("082199998888")
    page.get_by_role("textbox", name="Perihal *", exact=True).fill(
        "Dana bergulir koperasi belum cair"
    )
    choose(page, "Kategori *", "Bantuan dan pembiayaan usaha")
    page.get_by_role("textbox", name="Isi pengaduan *", exact=True).fill(
        "Pengajuan dana bergulir koperasi kami sejak Agustus 2026 belum ada kabar."
    )
    page.get_by_role("button", name="Kirim pengaduan").click()
    page.get_by_text("Pengaduan Anda telah terkirim").wait_for()
    values = page.get_by_test_id("stMetricValue")
    ticket, pin = values.nth(0).inner_text().strip(), values.nth(1).inner_text().strip()
    assert re.fullmatch(r"ADU-\d{4}-\d{6}", ticket) and re.fullmatch(r"\d{6}", pin)
    with page.expect_download() as receipt:
        page.get_by_role("button", name="Unduh tanda terima").click()
    assert receipt.value.suggested_filename.endswith(".docx")
    page.screenshot(path=str(tmp_path / "ajukan.png"))

    # 2. Track it: the QR code's address fills in the ticket, the PIN is typed.
    page.goto(f"{app_url}/lacak?tiket={ticket}")
    # expect() waits for the page's rerun to fill the field; a plain read could come first.
    expect(page.get_by_role("textbox", name="Nomor tiket", exact=True)).to_have_value(ticket)
    page.get_by_role("textbox", name="PIN", exact=True).fill(pin)
    page.get_by_role("button", name="Lacak").click()
    page.get_by_text("Pengaduan diterima petugas (sedang berjalan)").wait_for()
    assert page.get_by_text("Silakan masuk").count() == 0

    # 3. Staff finish it (steps 2-11), the Secretary signing the letter for real.
    complaint_id = finish_by_staff(ticket)

    # 4. Track again: delivered, the reply letter downloads and opens.
    page.goto(f"{app_url}/lacak?tiket={ticket}")
    page.get_by_role("textbox", name="PIN", exact=True).fill(pin)
    page.get_by_role("button", name="Lacak").click()
    page.get_by_text("Jawaban disampaikan kepada Anda (selesai)").wait_for()
    with page.expect_download() as letter:
        page.get_by_role("button", name="Unduh surat jawaban").click()
    path = tmp_path / letter.value.suggested_filename
    letter.value.save_as(path)
    # The signed PDF exactly as stored after signing (its content: test_signed_letter).
    assert letter.value.suggested_filename == f"surat-jawaban-{ticket}.pdf"
    with read_session() as session:
        pdf = session.scalar(
            select(SignedLetter.pdf).where(SignedLetter.complaint_id == complaint_id)
        )
    assert path.read_bytes() == pdf
    page.screenshot(path=str(tmp_path / "lacak.png"), full_page=True)

    # 5. Rate the handling, once.
    page.get_by_text("4 \u2013 Puas").click()
    page.get_by_role("textbox", name="Komentar (tidak wajib)", exact=True).fill(
        "Jawaban jelas, terima kasih."
    )
    page.get_by_role("button", name="Kirim penilaian").click()
    page.get_by_text("Terima kasih. Penilaian Anda: 4 \u2013 Puas.").wait_for()
    assert page.get_by_role("button", name="Kirim penilaian").count() == 0
    with read_session() as session:
        rating = session.get(Rating, complaint_id)
        assert (rating.score, rating.comment) == (4, "Jawaban jelas, terima kasih.")
