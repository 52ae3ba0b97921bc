"""The office's documents from real complaints: draft, signing, frozen letter, sheets."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime

import pytest
from docx import Document as DocxDocument
from openpyxl import load_workbook
from sqlalchemy import select

from db.engine import read_session
from db.models import Complaint, Counter, Document, StepEvent
from documents.pdf import PdfUnavailable
from layanan.errors import InvalidInput, NotAllowed, NotFound, StaleVersion, WrongRole
from services import (
    disposition_sheet,
    document_files,
    letter_settings,
    letter_templates,
    official_documents,
    receipt,
    register_book,
    reply_letter,
    signed_letter,
    workflow,
)
from tests.factories import bring_to, do, new_complaint, payload_for, state, version_of
from tests.test_render import text_of

KODE = letter_settings.DEFAULT_CLASSIFICATION


def sign(staff, complaint_id: int, **kwargs):
    return workflow.perform(
        complaint_id=complaint_id,
        action="sign",
        user_id=staff.sekretaris.id,
        expected_version=version_of(complaint_id),
        **kwargs,
    )


def signed_documents(complaint_id: int) -> list[Document]:
    with read_session() as session:
        rows = session.scalars(
            select(Document).where(
                Document.complaint_id == complaint_id, Document.kind == "reply_letter_signed"
            )
        ).all()
        return [(r.filename, r.sha256, r.data) for r in rows]


def test_the_draft_is_marked_draf_until_the_secretary_signs(staff):
    complaint_id = bring_to(staff, 9)
    letter = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.kepala.id)
    ticket = state(complaint_id).ticket
    assert letter.filename == f"draf-surat-jawaban-{ticket}.docx"
    assert letter.mime == document_files.DOCX_MIME
    text = text_of(letter.data)
    assert "DRAF \u2014 BELUM DITANDATANGANI" in text
    assert f"{KODE}/...../BKOP/" in text  # the number is taken only at signing
    assert payload_for("submit_draft", staff)["reply_body"] in text
    assert "Yth. Sdr. Siti Aminah" in text
    assert f"Jawaban atas Pengaduan Nomor {ticket}" in text
    assert "Nurhayati Lamadjido, S.H., M.H." in text  # the Secretary's account
    assert "NIP. 19750214 200003 2 003" in text


def test_the_unit_previews_the_text_it_is_typing(staff):
    complaint_id = bring_to(staff, 8)
    with pytest.raises(NotFound):
        reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.unit_kop.id)
    preview = reply_letter.reply_letter(
        complaint_id=complaint_id, user_id=staff.unit_kop.id, body="Teks <baru> & {{ x }}"
    )
    assert "Teks <baru> & {{ x }}" in text_of(preview.data)


def test_no_reply_letter_before_the_unit_drafts(staff):
    complaint_id = bring_to(staff, 7)
    with pytest.raises(NotFound) as err:
        reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.kepala.id)
    assert "langkah 8" in err.value.message


def test_signing_numbers_and_freezes_the_letter(staff):
    complaint_id = bring_to(staff, 10)
    result = sign(staff, complaint_id)
    assert result.to_step == 11
    complaint = state(complaint_id)
    year = datetime.now(UTC).year
    assert complaint.letter_number == f"{KODE}/1/BKOP/{year}"
    assert complaint.signed_at is not None
    [(filename, digest, data)] = signed_documents(complaint_id)
    assert filename == f"surat-jawaban-{complaint.ticket}.docx"
    assert hashlib.sha256(data).hexdigest() == digest
    text = text_of(data)
    assert "DRAF" not in text
    assert f"{KODE}/1/BKOP/{year}" in text
    with read_session() as session:
        event = session.scalars(
            select(StepEvent).where(
                StepEvent.complaint_id == complaint_id, StepEvent.action == "sign"
            )
        ).one()
        assert event.payload["letter_number"] == complaint.letter_number
        assert len(event.payload["documents"]) == 1
    # Every later download returns exactly the stored PDF, whoever asks; the .docx is
    # kept beside it.
    with read_session() as session:
        pdf_digest = signed_letter.latest(session, complaint_id).pdf_sha256
    for user in (staff.petugas, staff.sekretaris, staff.arsiparis, staff.kepala):
        again = reply_letter.reply_letter(complaint_id=complaint_id, user_id=user.id)
        assert again.filename == filename.replace(".docx", ".pdf")
        assert hashlib.sha256(again.data).hexdigest() == pdf_digest
        kept = reply_letter.signed_docx(complaint_id=complaint_id, user_id=user.id)
        assert hashlib.sha256(kept.data).hexdigest() == digest


def test_the_signed_letter_does_not_change_when_settings_change(staff):
    complaint_id = bring_to(staff, 10)
    sign(staff, complaint_id)
    before = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.petugas.id).data
    kept = reply_letter.signed_docx(complaint_id=complaint_id, user_id=staff.petugas.id).data
    letter_settings.save_letter_settings(
        user_id=staff.admin.id, values={"nama_dinas": "DINAS BARU", "kota": "Donggala"}
    )
    after = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.petugas.id).data
    assert after == before
    assert (
        reply_letter.signed_docx(complaint_id=complaint_id, user_id=staff.petugas.id).data == kept
    )
    assert "DINAS BARU" not in text_of(kept)


def test_a_refused_signing_uses_no_number(staff):
    complaint_id = bring_to(staff, 10)
    with pytest.raises(WrongRole):
        workflow.perform(
            complaint_id=complaint_id,
            action="sign",
            user_id=staff.unit_kop.id,
            expected_version=version_of(complaint_id),
        )
    with pytest.raises(StaleVersion):
        workflow.perform(
            complaint_id=complaint_id,
            action="sign",
            user_id=staff.sekretaris.id,
            expected_version=version_of(complaint_id) - 1,
        )
    assert signed_documents(complaint_id) == []
    sign(staff, complaint_id)
    assert state(complaint_id).letter_number.startswith(f"{KODE}/1/")


def test_numbers_follow_each_other_and_restart_each_year(staff):
    first = bring_to(staff, 10)
    second = bring_to(staff, 10)
    third = bring_to(staff, 10)
    sign(staff, first)
    sign(staff, second)
    year = datetime.now(UTC).year
    assert state(second).letter_number == f"{KODE}/2/BKOP/{year}"
    next_year = datetime(year + 1, 1, 5, 1, 0, tzinfo=UTC)
    workflow.perform(
        action="sign",
        complaint_id=third,
        user_id=staff.sekretaris.id,
        expected_version=version_of(third),
        now=next_year,
    )
    assert state(third).letter_number == f"{KODE}/1/BKOP/{year + 1}"
    with read_session() as session:
        counters = dict(session.execute(select(Counter.name, Counter.value)).all())
    assert counters[f"letter-{year}"] == 2 and counters[f"letter-{year + 1}"] == 1


def test_the_number_pattern_comes_from_the_settings(staff):
    letter_settings.save_letter_settings(
        user_id=staff.admin.id,
        values={
            "nomor_pola": "{klasifikasi}/{urut}/DISKOP-{unit}/{bulan}/{tahun}",
            "klasifikasi": "800",
        },
    )
    complaint_id = bring_to(staff, 10)
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    workflow.perform(
        action="sign",
        complaint_id=complaint_id,
        user_id=staff.sekretaris.id,
        expected_version=version_of(complaint_id),
        now=max(now, datetime.now(UTC)),
    )
    number = state(complaint_id).letter_number
    assert number.startswith("800/1/DISKOP-BKOP/")
    assert number.split("/")[3] in (
        "I",
        "II",
        "III",
        "IV",
        "V",
        "VI",
        "VII",
        "VIII",
        "IX",
        "X",
        "XI",
        "XII",
    )


def test_settings_signer_and_kop_are_printed(staff):
    letter_settings.save_letter_settings(
        user_id=staff.admin.id,
        values={
            "sekretaris_nama": "Ir. Budi Santoso, M.M.",
            "sekretaris_pangkat": "Pembina (IV/a)",
            "sekretaris_nip": "19780707 199712 1 001",
            "telepon": "(0451) 421234",
            "faksimile": "(0451) 421235",
            "email": "diskop@example.go.id",
            "website": "diskop.example.go.id",
            "kode_pos": "94111",
        },
    )
    complaint_id = bring_to(staff, 10)
    sign(staff, complaint_id)
    text = text_of(  # the .docx frozen at signing (its PDF: test_signed_letter)
        reply_letter.signed_docx(complaint_id=complaint_id, user_id=staff.petugas.id).data
    )
    assert "Ir. Budi Santoso, M.M." in text
    assert "NIP. 19780707 199712 1 001" in text
    # The full contact line of the kop, in Tata Naskah Dinas's order, with labels.
    assert (
        "Telepon (0451) 421234, Faksimile (0451) 421235\n"
        "Laman diskop.example.go.id, Pos-el diskop@example.go.id, Kode Pos 94111"
    ) in text


def test_paper_and_margins_come_from_the_letter_settings(staff):
    """F4 by default; A4 and other margins when the admin chooses them, with every
    table scaled to the new line and its grid still equal to its cells."""
    from tests.test_render import grid_problems, page_of

    complaint_id = bring_to(staff, 9)

    def draft():
        return reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.kepala.id).data

    assert page_of(draft()) == {
        "w": 12189,
        "h": 18709,
        "top": 1134,
        "bottom": 1417,
        "left": 1417,
        "right": 1134,
    }
    letter_settings.save_letter_settings(
        user_id=staff.admin.id,
        values={
            "kertas": "A4",
            "margin_atas": 30,
            "margin_bawah": "20",
            "margin_kiri": 30,
            "margin_kanan": 15,
        },
    )
    data = draft()
    assert page_of(data) == {
        "w": 11906,
        "h": 16838,
        "top": 1701,
        "bottom": 1134,
        "left": 1701,
        "right": 850,
    }
    assert grid_problems(data) == []
    doc = DocxDocument(io.BytesIO(data))
    line = 11906 - 1701 - 850
    widths = [sum(c.w.twips for c in t._tbl.tblGrid.gridCol_lst) for t in doc.tables]
    assert widths and all(abs(w - line) <= 3 for w in widths), (widths, line)
    # The register (landscape) turns the paper, not the margins.
    book = register_book.register_word(
        user_id=staff.subbag.id, start=date(2026, 1, 1), end=date(2026, 12, 31)
    )
    assert page_of(book.data) == {
        "w": 16838,
        "h": 11906,
        "top": 1701,
        "bottom": 1134,
        "left": 1701,
        "right": 850,
    }


def test_paper_margins_and_postcode_are_checked(staff):
    for values, fragment in (
        ({"kertas": "Letter"}, "Ukuran kertas"),
        ({"margin_atas": 5}, "Margin atas harus angka 10 sampai 50 mm"),
        ({"margin_kanan": "lebar"}, "Margin kanan"),
        ({"margin_kiri": float("nan")}, "Margin kiri"),
        ({"kode_pos": "9411"}, "Kode pos harus 5 angka"),
    ):
        with pytest.raises(InvalidInput) as err:
            letter_settings.save_letter_settings(user_id=staff.admin.id, values=values)
        assert fragment in err.value.message, values
    assert letter_settings.get_letter_settings().kertas == "F4"


def test_settings_are_checked_and_only_the_admin_saves_them(staff):
    with pytest.raises(NotAllowed):
        letter_settings.save_letter_settings(user_id=staff.sekretaris.id, values={})
    for values, fragment in (
        ({"nomor_pola": "{klasifikasi}/{unit}"}, "{urut}"),
        ({"nomor_pola": "{urut}/{tahun}/{kode}"}, "kode"),
        ({"nomor_pola": "{urut/{tahun}"}, "tidak valid"),
        ({"kepala_nip": "12345"}, "18 angka"),
        ({"nama_dinas": "  "}, "Nama dinas wajib diisi"),
        ({"email": "bukan-email"}, "Pos-el"),
        ({"lambang_b64": b"not an image"}, "PNG atau JPEG"),
        ({"lambang_b64": b"GIF89a" + b"\0" * 100}, "PNG atau JPEG"),  # by content
        ({"lambang_b64": document_files.qr_png("x") + b"\0" * (1024 * 1024)}, "maksimal 1 MB"),
    ):
        with pytest.raises(InvalidInput) as err:
            letter_settings.save_letter_settings(user_id=staff.admin.id, values=values)
        assert fragment in err.value.message, values
    png = document_files.qr_png("lambang")
    saved = letter_settings.save_letter_settings(
        user_id=staff.admin.id, values={"lambang_b64": png}
    )
    assert saved.emblem == png
    assert letter_settings.get_letter_settings().emblem == png


def test_the_disposition_sheet_follows_steps_six_and_seven(staff):
    complaint_id = bring_to(staff, 4)
    with pytest.raises(NotFound):
        disposition_sheet.disposition_sheet(complaint_id=complaint_id, user_id=staff.subbag.id)
    do(staff.subbag, complaint_id, "classify_written")
    blank = text_of(
        disposition_sheet.disposition_sheet(complaint_id=complaint_id, user_id=staff.subbag.id).data
    )
    assert "LEMBAR DISPOSISI" in blank and "Surat dari: Siti Aminah" in blank
    assert "\u2611" not in blank  # nothing ticked yet
    do(
        staff.subbag,
        complaint_id,
        "register",
        {"agenda_number": "77/TNDE/XI/2026", "sifat": "segera"},
    )
    do(
        staff.kepala,
        complaint_id,
        "dispose",
        {
            "units": [staff.unit_kop.unit_id],
            "instruction": "Proses lebih lanjut",
            "due_date": "2026-12-04",
        },
        note="Mohon segera <dijawab> & dilaporkan.",
    )
    sheet = disposition_sheet.disposition_sheet(complaint_id=complaint_id, user_id=staff.subbag.id)
    ticket = state(complaint_id).ticket
    assert sheet.filename == f"lembar-disposisi-{ticket}.docx"
    text = text_of(sheet.data)
    assert "Nomor agenda: 77/TNDE/XI/2026" in text
    assert "Nomor surat: -" in text and "Tanggal surat: -" in text  # no letter: walk-in
    assert "\u2611 Segera" in text and "\u2610 Biasa" in text
    assert "\u2611 Bidang Kelembagaan dan Pengawasan Koperasi" in text
    assert "\u2610 Sekretariat" in text
    assert "\u2611 Proses lebih lanjut" in text and "\u2610 Siapkan jawaban" in text
    assert "Mohon segera <dijawab> & dilaporkan." in text
    assert "Batas waktu: 4 Desember 2026" in text
    assert "Paraf Kepala Dinas:" in text and "Dr. Hasanuddin Rahim" not in text
    assert "Hal: Sertifikat pelatihan belum diterima" in text


def test_a_confidential_complainant_is_masked_for_those_who_may_not_see_them(staff):
    complaint_id = bring_to(staff, 10, confidential=True)
    sheet = text_of(
        disposition_sheet.disposition_sheet(
            complaint_id=complaint_id, user_id=staff.unit_kop.id
        ).data
    )
    assert "Siti Aminah" not in sheet and document_files.MASKED in sheet
    assert "Siti Aminah" in text_of(
        disposition_sheet.disposition_sheet(complaint_id=complaint_id, user_id=staff.subbag.id).data
    )
    sign(staff, complaint_id)
    with pytest.raises(NotAllowed):
        reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.unit_kop.id)
    with pytest.raises(NotAllowed):
        reply_letter.signed_docx(complaint_id=complaint_id, user_id=staff.unit_kop.id)
    original = reply_letter.signed_docx(complaint_id=complaint_id, user_id=staff.arsiparis.id)
    assert "Siti Aminah" in text_of(original.data)


def test_the_receipt_carries_the_pin_only_when_given(staff):
    created = new_complaint(staff, body="Isi <pengaduan> & {% if %} lengkap.")
    with pytest.raises(NotAllowed):
        receipt.receipt_download(
            complaint_id=created.complaint_id,
            pin="000000" if created.pin != "000000" else "111111",
            client="c",
        )
    file = receipt.receipt_download(complaint_id=created.complaint_id, pin=created.pin, client="c")
    assert file.filename == f"tanda-terima-{created.ticket}.docx"
    text = text_of(file.data)
    assert created.ticket in text and created.pin in text
    assert "Datang langsung" in text
    assert "Isi <pengaduan> & {% if %} lengkap." in text
    assert "Rina Marlina, S.Sos." in text and "NIP. 19880312 201101 2 004" in text
    assert f"/lacak?tiket={created.ticket}" in text
    doc = DocxDocument(io.BytesIO(file.data))
    assert len(doc.inline_shapes) == 1  # the QR code
    staff_copy = text_of(
        receipt.receipt_for_staff(complaint_id=created.complaint_id, user_id=staff.subbag.id).data
    )
    assert created.ticket in staff_copy
    assert "PIN pelacakan" not in staff_copy and created.pin not in staff_copy


def test_the_qr_code_reads_the_tracking_address(staff, monkeypatch):
    created = new_complaint(staff)
    url = document_files.tracking_url(created.ticket)
    assert url.endswith(f"/lacak?tiket={created.ticket}")
    file = receipt.receipt_download(complaint_id=created.complaint_id, pin=created.pin, client="c")
    doc = DocxDocument(io.BytesIO(file.data))
    blobs = [r.target_part.blob for r in doc.part.rels.values() if r.reltype.endswith("/image")]
    assert document_files.qr_png(url) in blobs


def test_the_page_offers_what_exists_at_each_step(staff):
    complaint_id = bring_to(staff, 3)
    offers = {
        o.key: o
        for o in official_documents.available_documents(
            complaint_id=complaint_id, user_id=staff.petugas.id
        )
    }
    assert offers["tanda_terima"].available
    assert (
        not offers["lembar_disposisi"].available
        and "langkah 6" in offers["lembar_disposisi"].reason
    )
    assert not offers["surat_jawaban"].available
    complaint_id = bring_to(staff, 9)
    offers = {
        o.key: o
        for o in official_documents.available_documents(
            complaint_id=complaint_id, user_id=staff.kepala.id
        )
    }
    assert offers["lembar_disposisi"].available
    assert offers["surat_jawaban"].available and not offers["surat_jawaban"].final
    complaint_id = bring_to(staff, 10)
    sign(staff, complaint_id)
    offers = {
        o.key: o
        for o in official_documents.available_documents(
            complaint_id=complaint_id, user_id=staff.petugas.id
        )
    }
    assert offers["surat_jawaban"].final
    with pytest.raises(NotAllowed):
        official_documents.available_documents(complaint_id=complaint_id, user_id=staff.outsider.id)


def test_pdf_conversion_with_libreoffice(staff):
    complaint_id = bring_to(staff, 9)
    letter = reply_letter.reply_letter(complaint_id=complaint_id, user_id=staff.kepala.id)
    converted = document_files.as_pdf(letter)
    assert converted.data.startswith(b"%PDF")
    assert converted.filename == letter.filename.replace(".docx", ".pdf")
    assert converted.mime == "application/pdf"


def test_without_libreoffice_pdf_says_why(staff, monkeypatch):
    import config

    monkeypatch.setenv("SOFFICE_PATH", "/nonexistent/soffice")
    config.get_settings.cache_clear()
    try:
        from documents.pdf import pdf_unavailable_reason

        reason = pdf_unavailable_reason()
        assert reason and "LibreOffice" in reason
        with pytest.raises(PdfUnavailable) as err:
            document_files.as_pdf(document_files.Download("a.docx", b"x", document_files.DOCX_MIME))
        assert err.value.message == reason
    finally:
        monkeypatch.delenv("SOFFICE_PATH")
        config.get_settings.cache_clear()


# A converter that hangs like LibreOffice does: the wrapper starts a child that keeps
# writing into the profile directory, and both outlive the timeout.
HANGING_SOFFICE = """#!/bin/sh
profile="${1#-env:UserInstallation=file://}"
( while :; do mkdir -p "$profile/user/x$$" && touch "$profile/user/x$$/f"; sleep 0.01; done ) &
echo $! > "$PIDFILE"
sleep 60
"""


def test_a_hung_conversion_stops_whole_with_its_own_message(tmp_path, monkeypatch):
    import os
    import time

    import config
    from documents.pdf import to_pdf

    fake = tmp_path / "soffice"
    fake.write_text(HANGING_SOFFICE)
    fake.chmod(0o755)
    pidfile = tmp_path / "child.pid"
    monkeypatch.setenv("SOFFICE_PATH", str(fake))
    monkeypatch.setenv("PIDFILE", str(pidfile))
    config.get_settings.cache_clear()
    try:
        with pytest.raises(PdfUnavailable) as err:
            to_pdf(b"docx", timeout=1)
        assert "melebihi 1 detik" in err.value.message
        child = int(pidfile.read_text())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break  # the converter's child was stopped with it
            time.sleep(0.05)
        else:
            pytest.fail("the converter's child process is still running")
    finally:
        config.get_settings.cache_clear()


# --- the register --------------------------------------------------------------------


def test_the_register_lists_a_period_in_word_and_excel(staff):
    first = bring_to(staff, 7)
    bring_to(staff, 3, subject='=HYPERLINK("http://x") <b>rumus</b>')
    today = datetime.now(UTC).astimezone(sop_tz()).date()
    book = register_book.register_book(user_id=staff.subbag.id, start=today, end=today)
    assert [r["no"] for r in book.rows] == [1, 2]
    row = book.rows[0]
    assert row["nomor_agenda"] == "123/TNDE/XI/2026"
    assert row["pengadu"] == "Siti Aminah"
    assert row["diteruskan_ke"] == "-"
    assert row["status"].startswith("Langkah 7")
    assert state(first).ticket in row["keterangan"]
    text = text_of(book.docx.data)
    assert "BUKU PENGADUAN" in text and '=HYPERLINK("http://x") <b>rumus</b>' in text
    assert book.docx.filename == f"buku-pengaduan-{today}-sd-{today}.docx"
    sheet = load_workbook(io.BytesIO(book.xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[3] == [
        "No",
        "Tanggal terima",
        "Nomor agenda",
        "Nomor dan tanggal surat",
        "Saluran",
        "Kode klasifikasi",
        "Pengadu",
        "Isi ringkas",
        "Diteruskan ke",
        "Status",
        "Keterangan",
    ]
    assert values[5][7] == '=HYPERLINK("http://x") <b>rumus</b>'
    assert sheet.cell(row=6, column=8).data_type == "s"  # text, not a formula
    empty = register_book.register_book(
        user_id=staff.arsiparis.id, start=date(2020, 1, 1), end=date(2020, 1, 31)
    )
    assert empty.rows == []


def test_the_register_is_for_subbag_umum_and_the_archivist(staff):
    today = date.today()
    for user in (staff.petugas, staff.unit_kop, staff.kepala, staff.outsider):
        with pytest.raises(NotAllowed):
            register_book.register_book(user_id=user.id, start=today, end=today)
    with pytest.raises(InvalidInput):
        register_book.register_book(user_id=staff.subbag.id, start=today, end=date(2000, 1, 1))


def sop_tz():
    from layanan.calendar import OFFICE_TZ

    return OFFICE_TZ


# --- template administration -----------------------------------------------------------


def _edited_template(key: str, extra: str) -> bytes:
    from documents.render import template_file_bytes

    doc = DocxDocument(io.BytesIO(template_file_bytes(key)))
    doc.add_paragraph(extra)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_an_admin_replaces_a_template_after_it_is_checked(staff):
    data = _edited_template("tanda_terima", "Templat pengganti untuk {{ tiket }}")
    info = letter_templates.upload_template(user_id=staff.admin.id, key="tanda_terima", data=data)
    assert info.source == "unggahan"
    overview = {i.key: i for i in letter_templates.template_overview(user_id=staff.admin.id)}
    assert overview["tanda_terima"].source == "unggahan"
    assert overview["surat_jawaban"].source == "bawaan"
    created = new_complaint(staff)
    text = text_of(
        receipt.receipt_download(
            complaint_id=created.complaint_id, pin=created.pin, client="c"
        ).data
    )
    assert f"Templat pengganti untuk {created.ticket}" in text
    assert (
        letter_templates.template_download(user_id=staff.admin.id, key="tanda_terima").data == data
    )
    letter_templates.revert_template(user_id=staff.admin.id, key="tanda_terima")
    text = text_of(
        receipt.receipt_download(
            complaint_id=created.complaint_id, pin=created.pin, client="c"
        ).data
    )
    assert "Templat pengganti" not in text


@pytest.mark.parametrize(
    ("key", "data", "fragment"),
    [
        (
            "tanda_terima",
            lambda: _edited_template("tanda_terima", "{{ password_hash }}"),
            "password_hash",
        ),
        ("surat_jawaban", lambda: _edited_template("tanda_terima", ""), "tidak dikenal"),
        ("tanda_terima", lambda: _edited_template("tanda_terima", "{% if tiket %}"), "tidak valid"),
        (
            "tanda_terima",
            lambda: _edited_template("tanda_terima", "{{ kantor.rahasia }}"),
            "rahasia",
        ),
        ("tanda_terima", lambda: b"PK\x03\x04 not really a docx", "bukan dokumen Word"),
        ("tanda_terima", lambda: b"", "kosong"),
    ],
)
def test_a_template_with_unknown_or_broken_placeholders_is_refused(staff, key, data, fragment):
    with pytest.raises(InvalidInput) as err:
        letter_templates.upload_template(user_id=staff.admin.id, key=key, data=data())
    assert fragment in err.value.message
    assert {i.key: i.source for i in letter_templates.template_overview(user_id=staff.admin.id)}[
        key
    ] == "bawaan"


def test_a_template_missing_a_required_placeholder_is_refused(staff):
    doc = DocxDocument()
    doc.add_paragraph("Tiket {{ tiket }} tanpa PIN")
    out = io.BytesIO()
    doc.save(out)
    with pytest.raises(InvalidInput) as err:
        letter_templates.upload_template(
            user_id=staff.admin.id, key="tanda_terima", data=out.getvalue()
        )
    assert "pin" in err.value.message and "tanggal_jam" in err.value.message


def test_only_the_admin_manages_templates(staff):
    data = _edited_template("tanda_terima", "ok")
    for user in (staff.sekretaris, staff.subbag):
        with pytest.raises(NotAllowed):
            letter_templates.upload_template(user_id=user.id, key="tanda_terima", data=data)
        with pytest.raises(NotAllowed):
            letter_templates.template_overview(user_id=user.id)


def test_demo_seed_freezes_its_signed_letters(db):
    from db.engine import write_session
    from services.seed import seed_demo

    with write_session() as session:
        seed_demo(session, count=25, now=datetime(2026, 11, 27, 8, tzinfo=UTC))
    with read_session() as session:
        signed = session.scalars(select(Complaint).where(Complaint.signed_at.isnot(None))).all()
        assert signed
        numbers = [c.letter_number for c in signed]
        assert len(set(numbers)) == len(numbers) and all(numbers)
        for complaint in signed:
            doc = session.scalars(
                select(Document).where(
                    Document.complaint_id == complaint.id, Document.kind == "reply_letter_signed"
                )
            ).one()
            assert complaint.letter_number in text_of(doc.data)
