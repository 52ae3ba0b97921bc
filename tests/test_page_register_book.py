"""AppTest of "Buku Pengaduan": the register for Sub Bagian Umum and the archivist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from layanan.calendar import OFFICE_TZ
from tests.apptest_helpers import open_page, texts
from tests.factories import bring_to


def _prepared(at, label: str, key: str):
    """Click a "Siapkan ..." button, let the background job finish, run the page again."""
    [button] = [b for b in at.button if b.label == label]
    button.click()
    at.run()
    job = at.session_state["export_jobs"][key]
    assert job.wait(60)
    at.run()
    return job


def test_subbag_umum_sees_this_months_register_and_prepares_both_files(staff):
    bring_to(staff, 7)
    bring_to(staff, 4)
    at = open_page("register_book", staff.subbag)
    assert not at.exception
    shown = texts(at)
    assert "Buku Pengaduan" in shown
    assert "2 pengaduan" in shown
    assert [b.label for b in at.button] == ["Tampilkan", "Siapkan Word", "Siapkan Excel"]
    assert not at.get("download_button")
    [table] = at.dataframe
    assert list(table.value["nomor_agenda"]) == ["123/TNDE/XI/2026", "-"]
    excel = _prepared(at, "Siapkan Excel", "register_xlsx")
    assert excel.error is None and excel.result.filename.endswith(".xlsx")
    word = _prepared(at, "Siapkan Word", "register_docx")
    assert word.error is None and word.result.filename.endswith(".docx")
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Unduh Word", "Unduh Excel"]


def test_a_period_too_large_for_word_offers_excel_with_the_reason(staff, monkeypatch):
    from services import register_book

    monkeypatch.setattr(register_book, "WORD_ROW_LIMIT", 1)
    bring_to(staff, 7)
    bring_to(staff, 4)
    at = open_page("register_book", staff.arsiparis)
    assert not at.exception
    [warning] = at.warning
    assert "lebih dari 1 baris" in warning.value and "Excel" in warning.value
    assert [b.label for b in at.button] == ["Tampilkan", "Siapkan Excel"]
    _prepared(at, "Siapkan Excel", "register_xlsx")
    assert [b.label for b in at.get("download_button")] == ["Unduh Excel"]


def test_the_archivist_chooses_an_empty_period(staff):
    bring_to(staff, 3)
    at = open_page("register_book", staff.arsiparis)
    today = datetime.now(UTC).astimezone(OFFICE_TZ).date()
    at.date_input[0].set_value(today - timedelta(days=400))
    at.date_input[1].set_value(today - timedelta(days=390))
    at.button[0].click()
    at.run()
    assert "Tidak ada pengaduan yang diterima pada periode ini." in texts(at)


def test_a_reversed_period_is_refused(staff):
    at = open_page("register_book", staff.subbag)
    today = datetime.now(UTC).astimezone(OFFICE_TZ).date()
    at.date_input[0].set_value(today)
    at.date_input[1].set_value(today - timedelta(days=3))
    at.button[0].click()
    at.run()
    assert "Tanggal akhir periode harus sama dengan atau setelah tanggal awal." in texts(at)


def test_other_roles_cannot_open_the_register(staff):
    for user in (staff.petugas, staff.unit_kop, staff.kepala, staff.admin, staff.outsider):
        at = open_page("register_book", user)
        assert "Anda tidak memiliki akses ke halaman ini." in texts(at)
        assert not at.get("download_button")
