"""What the documents say (issue 11, items 3 and 4): addressing, the incoming letter's
own number and date, one notion of confidentiality, the staff receipt, the register's
buku-agenda columns, the legal basis and classification, and the production check of
PUBLIC_BASE_URL."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from docx import Document as DocxDocument
from sqlalchemy import func, select

import config
from db.engine import read_session
from db.models import Complaint
from documents.contexts import sample_context
from documents.render import Paragraphs, render
from layanan import sop
from layanan.calendar import OFFICE_TZ, office_today
from layanan.errors import InvalidInput
from layanan.text import tanggal
from services import disposition_sheet, letter_settings, receipt, register_book, reply_letter
from tests.factories import (
    PDF,
    WRITTEN_PATH,
    actor_for,
    bring_to,
    do,
    new_complaint,
    payload_for,
    state,
)
from tests.test_render import text_of

LETTER_NUMBER = "12/KUD-MS/XI/2026"


def _advance(staff, complaint_id: int, to_step: int, **payloads) -> None:
    """Move a complaint along the written path to ``to_step``, with payload overrides."""
    for action in WRITTEN_PATH:
        current = state(complaint_id).current_step
        if current == to_step:
            return
        if sop.action(action).at != current:  # done before this call
            continue
        payload = {**payload_for(action, staff), **payloads.get(action, {})}
        documents = [PDF] if action == "submit_draft" else []
        do(actor_for(action, staff), complaint_id, action, payload, documents=documents)
    assert state(complaint_id).current_step == to_step


def _lines(data: bytes) -> list[str]:
    return [p.text for p in DocxDocument(io.BytesIO(data)).paragraphs]


def _nomor_block(data: bytes) -> dict[str, str]:
    return {
        row.cells[0].text: row.cells[2].text
        for table in DocxDocument(io.BytesIO(data)).tables
        for row in table.rows
        if len(row.cells) == 3
    }


def test_a_letter_complaint_carries_its_own_number_date_city_and_one_notion_of_rahasia(staff):
    letter_date = office_today() - timedelta(days=5)
    created = new_complaint(
        staff,
        channel=sop.Channel.SURAT,
        incoming_letter_number=LETTER_NUMBER,
        incoming_letter_date=letter_date,
        complainant_address="Jalan Sisingamangaraja 5, Kelurahan Besusu Barat",
        complainant_city="Palu",
        confidential=True,
    )
    complaint_id = created.complaint_id
    _advance(staff, complaint_id, 6)
    # Sifat is urgency only: "rahasia" is the flag, no longer a Sifat.
    with pytest.raises(InvalidInput, match="Sifat surat"):
        do(staff.subbag, complaint_id, "register", {"agenda_number": "9/R", "sifat": "rahasia"})
    _advance(staff, complaint_id, 9, register={"sifat": "sangat segera"})

    sheet = text_of(
        disposition_sheet.disposition_sheet(complaint_id=complaint_id, user_id=staff.subbag.id).data
    )
    assert f"Nomor surat: {LETTER_NUMBER}" in sheet and created.ticket not in sheet
    assert f"Tanggal surat: {tanggal(letter_date)}" in sheet
    assert "Klasifikasi: Rahasia" in sheet
    assert "\u2611 Sangat Segera" in sheet
    assert "\u2610 Rahasia" not in sheet and "\u2611 Rahasia" not in sheet  # not a Sifat
    assert "Paraf Kepala Dinas:" in sheet and staff.kepala.full_name not in sheet

    letter = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.kepala.id).data
    lines = _lines(letter)
    yth = lines.index("Yth. Sdr. Siti Aminah")
    assert lines[yth + 1 : yth + 4] == [
        "Jalan Sisingamangaraja 5, Kelurahan Besusu Barat",
        "di",
        "Palu",
    ]
    assert _nomor_block(letter)["Sifat"] == "Sangat Segera, Rahasia"
    assert not [line for line in lines if line.endswith(". Arsip")]  # no tembusan "Arsip"


def test_an_anonymous_complaint_without_address_is_addressed_by_its_ticket(staff):
    complaint_id = bring_to(staff, 9, anonymous=True, complainant_name=None)
    ticket = state(complaint_id).ticket
    letter = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.kepala.id).data
    lines = _lines(letter)
    yth = lines.index(f"Yth. Sdr. Pengadu (Nomor Pengaduan {ticket})")
    # No address: no blank line between the addressee and "di"; no city: "Tempat".
    assert lines[yth + 1 : yth + 3] == ["di", "Tempat"]
    assert not any("Anonim" in line for line in lines)
    # Sifat in title case, as naskah dinas print it.
    sifat = payload_for("register", staff)["sifat"]
    assert _nomor_block(letter)["Sifat"] == sifat[:1].upper() + sifat[1:]


def test_the_units_draft_keeps_its_paragraphs_line_breaks_and_numbered_items():
    body = (
        "Menindaklanjuti pengaduan Saudara,\nkami sampaikan hal berikut:\n"
        "1. Sertifikat telah dicetak dan\n   dapat diambil di Sekretariat.\n"
        "2. Pengambilan pada jam kerja.\n\n"
        "Demikian kami sampaikan."
    )
    data = render(
        "surat_jawaban", {**sample_context("surat_jawaban"), "isi_surat": Paragraphs(body)}
    )
    doc = DocxDocument(io.BytesIO(data))
    by_text = {p.text: p for p in doc.paragraphs}
    intro = by_text["Menindaklanjuti pengaduan Saudara,\nkami sampaikan hal berikut:"]
    first = by_text["1.\tSertifikat telah dicetak dan\ndapat diambil di Sekretariat."]
    second = by_text["2.\tPengambilan pada jam kerja."]
    closing = by_text["Demikian kami sampaikan."]
    for item in (first, second):  # a hanging indent: the marker left of the text
        fmt = item.paragraph_format
        assert fmt.first_line_indent < 0 and fmt.left_indent > 0
        assert fmt.left_indent + fmt.first_line_indent >= 0
    assert intro.paragraph_format.first_line_indent > 0
    assert closing.paragraph_format.first_line_indent > 0
    # A line ended by a line break is not stretched across the justified paragraph.
    settings = doc.settings.element.xml
    assert "doNotExpandShiftReturn" in settings


def test_intake_checks_the_incoming_letter_fields_and_keeps_nothing_it_refuses(staff):
    today = office_today()
    tomorrow = today + timedelta(days=1)
    arrived = datetime.now(UTC) - timedelta(days=3)
    cases = [
        (
            {"channel": sop.Channel.SURAT, "incoming_letter_date": tomorrow},
            "Tanggal surat tidak boleh di masa depan",
        ),
        (
            {
                "channel": sop.Channel.SURAT,
                "arrived_at": arrived,
                "incoming_letter_date": arrived.astimezone(OFFICE_TZ).date() + timedelta(days=1),
            },
            "Tanggal surat tidak boleh sesudah tanggal surat diterima",
        ),
        (
            {"channel": sop.Channel.SURAT, "incoming_letter_date": "2026-11-20"},
            "Tanggal surat tidak valid",
        ),
        (
            {"incoming_letter_number": LETTER_NUMBER},
            "Nomor surat dan Tanggal surat hanya diisi untuk pengaduan yang datang sebagai surat",
        ),
        (
            {"channel": sop.Channel.SURAT, "incoming_letter_number": "9" * 101},
            "Nomor surat",
        ),
        ({"complainant_city": "P" * 101}, "Kota/kabupaten"),
    ]
    for overrides, message in cases:
        with pytest.raises(InvalidInput) as err:
            new_complaint(staff, **overrides)
        assert message in err.value.message, overrides
    with read_session() as session:
        assert session.scalar(select(func.count(Complaint.id))) == 0
    kept = new_complaint(
        staff,
        channel=sop.Channel.KOTAK_PENGADUAN,
        incoming_letter_number=f"  {LETTER_NUMBER} ",
        incoming_letter_date=today,
        complainant_city="Kabupaten Sigi",
    )
    complaint = state(kept.complaint_id)
    assert complaint.incoming_letter_number == LETTER_NUMBER
    assert complaint.incoming_letter_date == today
    assert complaint.complainant_city == "Kabupaten Sigi"


def test_the_staff_copy_of_the_receipt_says_what_it_is_for_and_the_register_row(staff):
    created = new_complaint(
        staff,
        channel=sop.Channel.SURAT,
        incoming_letter_number=LETTER_NUMBER,
        incoming_letter_date=office_today(),
    )
    staff_copy = text_of(
        receipt.receipt_for_staff(complaint_id=created.complaint_id, user_id=staff.subbag.id).data
    )
    assert "SALINAN UNTUK PETUGAS" in staff_copy
    assert "Lacak pengaduan Anda dengan nomor tiket dan PIN" not in staff_copy
    assert " pukul " in staff_copy and " WITA" in staff_copy
    own = text_of(
        receipt.receipt_download(
            complaint_id=created.complaint_id, pin=created.pin, client="c"
        ).data
    )
    assert "Lacak pengaduan Anda dengan nomor tiket dan PIN" in own
    assert "SALINAN UNTUK PETUGAS" not in own

    walk_in = new_complaint(staff)
    today = office_today()
    book = register_book.register_book(user_id=staff.subbag.id, start=today, end=today)
    letter_row, walk_in_row = book.rows
    assert letter_row["surat"] == f"{LETTER_NUMBER}, {tanggal(today)}"
    assert letter_row["saluran"] == "Surat" and walk_in_row["saluran"] == "Datang langsung"
    assert walk_in_row["surat"] == "-"
    assert letter_row["klasifikasi"] == letter_settings.DEFAULT_CLASSIFICATION
    # The step's short name, not the SOP's whole sentence.
    step = state(walk_in.complaint_id).current_step
    assert walk_in_row["status"] == f"Langkah {step}: {sop.table().step(step).short}"
    assert sop.table().step(step).name not in walk_in_row["status"]
    text = text_of(book.docx.data)
    assert "Nomor dan tanggal surat" in text and "Kode klasifikasi" in text


def test_every_step_has_a_short_name():
    for step in sop.table().steps:
        assert step.short and len(step.short) <= 30, step.number


def test_the_defaults_follow_the_sop_kop_and_the_current_regulations():
    defaults = letter_settings.LetterSettings()
    assert defaults.nama_dinas == "DINAS KOPERASI, USAHA KECIL DAN MENENGAH"
    assert defaults.klasifikasi != "065"
    assert "Arsip" not in defaults.tembusan
    assert any("Nomor 62 Tahun 2018" in rule for rule in defaults.dasar_hukum)
    assert any("Nomor 8 Tahun 2023" in rule for rule in defaults.dasar_hukum)
    assert not any(
        rule.startswith(
            (
                "PermenPANRB 24",
                "Peraturan Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi Nomor 24",
            )
        )
        for rule in defaults.dasar_hukum
    )
    saved = letter_settings.validate(
        {
            "tembusan": "Kepala Dinas (sebagai laporan)\nArsip\n",
            "dasar_hukum": "Peraturan A\n\nPeraturan B",
        }
    )
    assert saved.tembusan == ("Kepala Dinas (sebagai laporan)",)
    assert saved.dasar_hukum == ("Peraturan A", "Peraturan B")
    with pytest.raises(InvalidInput, match="Dasar hukum"):
        letter_settings.validate({"dasar_hukum": ["x" * 301]})
    # Settings stored before: "Arsip" is dropped, a missing legal basis is the default.
    old = letter_settings._from_value({"tembusan": ["Sekretaris", "Arsip"]})
    assert old.tembusan == ("Sekretaris",) and old.dasar_hukum == defaults.dasar_hukum


@pytest.fixture
def environment(monkeypatch):
    def set_env(**values):
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        config.get_settings.cache_clear()

    yield set_env
    config.get_settings.cache_clear()


@pytest.mark.parametrize(
    "url", [None, "http://localhost:8501", "http://127.0.0.1:8501/", "https://localhost"]
)
def test_production_refuses_a_local_or_missing_public_address(environment, url):
    environment(APP_ENV="production", PUBLIC_BASE_URL=url)
    with pytest.raises(config.ConfigError, match="PUBLIC_BASE_URL"):
        config.get_settings()


def test_production_starts_with_a_public_address_and_development_with_localhost(environment):
    environment(APP_ENV="production", PUBLIC_BASE_URL="https://pengaduan.sultengprov.go.id")
    assert config.get_settings().public_base_url == "https://pengaduan.sultengprov.go.id"
    environment(APP_ENV=None, PUBLIC_BASE_URL=None)
    assert config.get_settings().app_env == "development"
    environment(APP_ENV="staging")
    with pytest.raises(config.ConfigError, match="APP_ENV"):
        config.get_settings()
