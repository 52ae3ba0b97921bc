"""Browser end-to-end: the front desk downloads the signed reply letter and it opens.

The complaint is brought to step 11 in-process through the services the pages call
(the Secretary's signing freezes the letter), against the e2e database the server
uses; then headless Chromium logs in as ``petugas``, opens the complaint page and
downloads the letter, which is read back with python-docx.
"""

from __future__ import annotations

import hashlib
import io

import docx
import pytest
from sqlalchemy import select

import config
from db.engine import read_session
from db.models import Complaint, Document, User
from layanan import sop
from services import workflow
from services.seed import DEMO_PASSWORD, DEMO_PDF

pytestmark = pytest.mark.e2e

BODY = "Sertifikat pelatihan Saudara telah dicetak & dapat diambil <di kantor> mulai 1 Desember."


def _ids() -> dict[str, int]:
    with read_session() as session:
        return dict(session.execute(select(User.username, User.id)).all())


def complaint_approved(*, subject: str, reply_body: str, tag: str) -> tuple[str, int]:
    """A complaint walked in-process through the one door to the Head's approval (step
    10 next, the Secretary's signing); returns its ticket and id."""
    ids = _ids()
    with read_session() as session:
        unit_id = session.get(User, ids["unit_kop"]).unit_id
    created = workflow.intake(
        data=workflow.IntakeData(
            channel=sop.Channel.DATANG_LANGSUNG,
            subject=subject,
            body=f"{subject}. Mohon ditindaklanjuti.",
            category="Pelatihan dan sertifikasi",
            complainant_name="Siti Aminah",
            complainant_phone="081234567890",
        ),
        user_id=ids["petugas"],
    )

    def act(username: str, action: str, payload=None, documents=()) -> None:
        with read_session() as session:
            version = session.get(Complaint, created.complaint_id).version
        workflow.perform(
            complaint_id=created.complaint_id,
            action=action,
            user_id=ids[username],
            expected_version=version,
            payload=payload,
            documents=documents,
        )

    act("petugas", "hand_over", {"guest_book_entry": f"BT-E2E-{tag}"})
    act("subbag", "classify_written")
    act("subbag", "register", {"agenda_number": f"701/E2E-{tag}/XI/2026", "sifat": "biasa"})
    act("kepala", "dispose", {"units": [unit_id], "instruction": "Siapkan jawaban"})
    supporting = workflow.NewDocument("supporting", "data.pdf", "application/pdf", DEMO_PDF)
    act("unit_kop", "submit_draft", {"reply_body": reply_body}, [supporting])
    act("kepala", "approve", {"paraf": True})
    return created.ticket, created.complaint_id


def complaint_at_step_eleven() -> tuple[str, int]:
    ticket, complaint_id = complaint_approved(
        subject="Sertifikat pelatihan belum diterima", reply_body=BODY, tag="LETTER"
    )
    with read_session() as session:
        version = session.get(Complaint, complaint_id).version
    workflow.perform(
        complaint_id=complaint_id,
        action="sign",
        user_id=_ids()["sekretaris"],
        expected_version=version,
    )
    return ticket, complaint_id


def test_the_front_desk_downloads_the_signed_letter_and_it_opens(
    page, app_url, e2e_database, monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", e2e_database)
    config.get_settings.cache_clear()
    ticket, complaint_id = complaint_at_step_eleven()
    with read_session() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint.current_step == 11
        number = complaint.letter_number
        stored = session.scalars(
            select(Document).where(
                Document.complaint_id == complaint_id, Document.kind == "reply_letter_signed"
            )
        ).one()
        stored_sha = stored.sha256

    page.goto(app_url)
    page.get_by_role("textbox", name="Nama pengguna").fill("petugas")
    page.get_by_role("textbox", name="Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="Masuk").wait_for(state="detached")

    page.goto(f"{app_url}/pengaduan?tiket={ticket}")
    page.get_by_text("Surat dan dokumen resmi", exact=True).wait_for()
    page.get_by_text("Penyampaian surat jawaban (langkah 11)", exact=True).wait_for()
    # The .docx frozen at signing, kept beside the signed PDF.
    with page.expect_download() as download:
        page.get_by_role("button", name="Berkas Word (arsip)").click()
    assert download.value.suggested_filename == f"surat-jawaban-{ticket}.docx"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == stored_sha  # exactly the frozen bytes

    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert BODY in text
    assert number in cells
    assert "Yth. Sdr. Siti Aminah" in text
    assert "DRAF" not in text + cells
    page.screenshot(path=str(tmp_path / "pengaduan.png"), full_page=True)
