"""Buku Pengaduan: the complaint register for a period, in Word and Excel."""

from __future__ import annotations

import streamlit as st

from layanan.calendar import office_today
from layanan.errors import WorkflowError
from layanan.markup import md
from services import register_book
from ui.session import require_page

user = require_page("register_book")
st.title("Buku Pengaduan")

today = office_today()
with st.form("register_period"):
    left, right = st.columns(2)
    start = left.date_input("Dari tanggal", value=today.replace(day=1), format="DD/MM/YYYY")
    end = right.date_input("Sampai tanggal", value=today, format="DD/MM/YYYY")
    st.form_submit_button("Tampilkan", type="primary")

if not start or not end:
    st.info("Pilih tanggal awal dan akhir periode.")
    st.stop()
try:
    book = register_book.register_book(user_id=user.id, start=start, end=end)
except WorkflowError as err:
    st.error(md(err.message))
    st.stop()

st.caption(f"Periode {book.periode}: {len(book.rows)} pengaduan.")
word, excel = st.columns(2)
word.download_button(
    "Unduh Word",
    data=book.docx.data,
    file_name=book.docx.filename,
    mime=book.docx.mime,
    on_click="ignore",
    icon=":material/description:",
)
excel.download_button(
    "Unduh Excel",
    data=book.xlsx.data,
    file_name=book.xlsx.filename,
    mime=book.xlsx.mime,
    on_click="ignore",
    icon=":material/table:",
)
if book.rows:
    st.dataframe(
        book.rows,
        hide_index=True,
        column_config={
            "no": "No",
            "tanggal_terima": "Tanggal terima",
            "nomor_agenda": "Nomor agenda",
            "pengadu": "Pengadu",
            "isi_ringkas": "Isi ringkas",
            "diteruskan_ke": "Diteruskan ke",
            "status": "Status",
            "keterangan": "Keterangan",
        },
    )
else:
    st.info("Tidak ada pengaduan yang diterima pada periode ini.")
