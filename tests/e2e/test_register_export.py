"""Browser end-to-end: the register's Excel file is prepared in the background and
offered for download when ready (the progress fragment polls, then the page reruns)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import config
from db.engine import read_session
from db.models import User
from layanan import sop
from services import workflow
from services.seed import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def test_the_register_excel_is_prepared_then_downloaded(page, app_url, e2e_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", e2e_database)
    config.get_settings.cache_clear()
    with read_session() as session:
        petugas = session.scalar(select(User.id).where(User.username == "petugas"))
    created = workflow.intake(
        data=workflow.IntakeData(
            channel=sop.Channel.DATANG_LANGSUNG,
            subject="Register diunduh lewat peramban",
            body="Sertifikat pelatihan belum diterima.",
            category="Pelatihan dan sertifikasi",
            complainant_name="Siti Aminah",
            complainant_phone="081234567890",
        ),
        user_id=petugas,
    )

    page.goto(app_url)
    page.get_by_role("textbox", name="Nama pengguna").fill("subbag")
    page.get_by_role("textbox", name="Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="Masuk").wait_for(state="detached")
    page.goto(f"{app_url}/buku-pengaduan")
    page.get_by_role("button", name="Siapkan Excel").click()
    download_button = page.get_by_role("button", name="Unduh Excel")
    download_button.wait_for()
    with page.expect_download() as download:
        download_button.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    values = list(sheet.values)
    assert values[0][0] == "BUKU PENGADUAN"
    remarks = values[3].index("Keterangan")  # the header row names the columns
    assert any(created.ticket in (row[remarks] or "") for row in values[4:-2])
