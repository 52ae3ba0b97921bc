"""AppTest of "Templat Surat": letter settings and templates, for the admin only."""

from __future__ import annotations

import io

from docx import Document as DocxDocument

from documents.render import template_file_bytes
from services import letter_settings, letter_templates
from tests.apptest_helpers import open_page, texts


def _by_label(widgets, label: str):
    return next(w for w in widgets if w.label == label)


def test_the_admin_sees_settings_and_every_template(staff):
    at = open_page("templates", staff.admin)
    assert not at.exception
    shown = texts(at)
    assert "Templat Surat" in shown
    for label in letter_templates.TEMPLATE_LABELS.values():
        assert label in shown
    assert shown.count("bawaan aplikasi") == 5
    assert (
        _by_label(at.text_input, "Pola nomor surat").value == "{klasifikasi}/{urut}/{unit}/{tahun}"
    )
    assert _by_label(at.text_input, "Kota (tempat surat dibuat)").value == "Palu"


def test_the_admin_saves_letter_settings(staff):
    at = open_page("templates", staff.admin)
    _by_label(at.text_input, "Kota (tempat surat dibuat)").input("Donggala")
    _by_label(at.text_input, "NIP Sekretaris").input("19780707 199712 1 001")
    _by_label(at.text_area, "Tembusan (satu per baris)").input("Gubernur\nArsip")
    _by_label(at.text_area, "Dasar hukum layanan pengaduan (satu peraturan per baris)").input(
        "Peraturan Presiden Nomor 76 Tahun 2013\nPeraturan Menteri PANRB Nomor 62 Tahun 2018"
    )
    _by_label(at.text_input, "Faksimile").input("(0451) 421235")
    _by_label(at.text_input, "Kode pos").input("94111")
    _by_label(at.selectbox, "Ukuran kertas").select("A4")
    _by_label(at.number_input, "Margin kiri (mm)").set_value(30.0)
    _by_label(at.button, "Simpan pengaturan").click()
    at.run()
    assert not at.exception
    assert "Pengaturan surat disimpan." in texts(at)
    saved = letter_settings.get_letter_settings()
    assert (saved.kertas, saved.margin_kiri, saved.margin_atas) == ("A4", 30.0, 20.0)
    assert (saved.faksimile, saved.kode_pos) == ("(0451) 421235", "94111")
    assert saved.kota == "Donggala"
    assert saved.sekretaris_nip == "19780707 199712 1 001"
    assert saved.tembusan == ("Gubernur",)  # the office's file copy is no tembusan
    assert saved.dasar_hukum == (
        "Peraturan Presiden Nomor 76 Tahun 2013",
        "Peraturan Menteri PANRB Nomor 62 Tahun 2018",
    )


def test_bad_settings_are_refused_with_the_reason_and_not_saved(staff):
    at = open_page("templates", staff.admin)
    _by_label(at.text_input, "Pola nomor surat").input("{klasifikasi}/{tahun}")
    _by_label(at.button, "Simpan pengaturan").click()
    at.run()
    assert "{urut}" in "\n".join(e.value for e in at.error)
    assert letter_settings.get_letter_settings().nomor_pola == "{klasifikasi}/{urut}/{unit}/{tahun}"


def test_an_uploaded_template_is_shown_and_can_be_reverted(staff):
    doc = DocxDocument(io.BytesIO(template_file_bytes("lembar_disposisi")))
    doc.add_paragraph("Versi kantor {{ nomor_agenda }}")
    out = io.BytesIO()
    doc.save(out)
    letter_templates.upload_template(
        user_id=staff.admin.id, key="lembar_disposisi", data=out.getvalue()
    )
    at = open_page("templates", staff.admin)
    shown = texts(at)
    assert shown.count("bawaan aplikasi") == 4
    assert "unggahan Admin Sistem" in shown
    _by_label(at.button, "Kembali ke bawaan").click()
    at.run()
    assert "Lembar Disposisi: kembali ke templat bawaan." in texts(at)
    overview = {i.key: i.source for i in letter_templates.template_overview(user_id=staff.admin.id)}
    assert overview["lembar_disposisi"] == "bawaan"


def test_other_roles_cannot_open_the_page(staff):
    for user in (staff.sekretaris, staff.petugas, staff.subbag, staff.outsider):
        at = open_page("templates", user)
        assert "Anda tidak memiliki akses ke halaman ini." in texts(at)
        assert not at.text_input
    at = open_page("templates", None)
    assert "Silakan masuk terlebih dahulu." in texts(at)
