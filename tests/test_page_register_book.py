"""AppTest of "Buku Pengaduan": the register for Sub Bagian Umum and the archivist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from layanan.calendar import OFFICE_TZ
from tests.apptest_helpers import open_page, texts
from tests.factories import bring_to


def test_subbag_umum_sees_this_months_register_with_both_downloads(staff):
    bring_to(staff, 7)
    bring_to(staff, 4)
    at = open_page("register_book", staff.subbag)
    assert not at.exception
    shown = texts(at)
    assert "Buku Pengaduan" in shown
    assert "2 pengaduan" in shown
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Unduh Word", "Unduh Excel"]
    [table] = at.dataframe
    assert list(table.value["nomor_agenda"]) == ["123/TNDE/XI/2026", "-"]


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
