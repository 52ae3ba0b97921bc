"""A NUL typed into the portal form or the intake form: the page shows the Indonesian
refusal naming the field, never Streamlit's English crash page, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.engine import read_session
from db.models import Complaint
from tests.apptest_helpers import open_page

ROOT = Path(__file__).resolve().parents[1]
AJUKAN = str(ROOT / "pages" / "ajukan.py")
REFUSED = "memuat karakter yang tidak diizinkan"


def complaints() -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


@pytest.mark.parametrize(
    ("label", "widget"), [("Perihal *", "text_input"), ("Isi pengaduan *", "text_area")]
)
def test_the_portal_form_refuses_a_nul_in_indonesian(db, label, widget):
    at = AppTest.from_file(AJUKAN, default_timeout=30).run()
    values = {
        "Nama lengkap *": "Yusuf Lamato",
        "Perihal *": "Dana bergulir belum cair",
        "Isi pengaduan *": "Pengajuan dana bergulir sejak Agustus belum ada kabar.",
    }
    values[label] = values[label][:5] + "\x00" + values[label][5:]
    for element in (*at.text_input, *at.text_area):
        if element.label in values:
            element.input(values[element.label])
    at.selectbox[0].select("Bantuan dan pembiayaan usaha")
    [button] = [b for b in at.button if b.label == "Kirim pengaduan"]
    button.click().run()
    assert not at.exception  # no "This app has encountered an error"
    [error] = at.error
    assert error.value.startswith(label.removesuffix(" *")) and REFUSED in error.value
    assert complaints() == 0


def test_intake_refuses_a_nul_in_the_name_in_indonesian(staff):
    at = open_page("intake", staff.petugas)
    key = "intake:0:"
    # Typing runs the duplicate check on every rerun: it must not crash either.
    for name, value in {
        "name": "Budi\x00Santoso",
        "phone": "081299887766",
        "subject": "Izin koperasi belum terbit",
    }.items():
        at.text_input(key=key + name).input(value)
    at.text_area(key=key + "body").input("Pengesahan akta koperasi kami belum terbit.")
    at.selectbox(key=key + "category").select("Pelayanan perizinan koperasi")
    at.run()
    assert not at.exception
    at = at.button(key=key + "save").click().run()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Nama pengadu") and REFUSED in error.value
    assert complaints() == 0
