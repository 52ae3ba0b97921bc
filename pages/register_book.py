"""Buku Pengaduan: the complaint register for a period, in Word and Excel.

The files are built in the background on request (``ui.export_jobs``): a month can
hold tens of thousands of rows. The page shows the period's count and its first rows.
"""

from __future__ import annotations

import streamlit as st

from layanan.calendar import office_today
from layanan.errors import WorkflowError
from layanan.markup import md
from services import register_book
from ui import export_jobs
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
    period = register_book.register_period(user_id=user.id, start=start, end=end)
except WorkflowError as err:
    st.error(md(err.message))
    st.stop()

st.caption(f"Periode {period.periode}: {period.count} pengaduan.")
if not period.count:
    st.info("Tidak ada pengaduan yang diterima pada periode ini.")
    st.stop()

word, excel = st.columns(2)
if period.word_refusal is None:
    export_jobs.offer(
        word,
        "register_docx",
        params=(user.id, start, end),
        prepare="Siapkan Word",
        download="Unduh Word",
        icon=":material/description:",
        work=lambda progress: register_book.register_word(
            user_id=user.id, start=start, end=end, progress=progress
        ),
    )
else:
    word.warning(md(period.word_refusal))
export_jobs.offer(
    excel,
    "register_xlsx",
    params=(user.id, start, end),
    prepare="Siapkan Excel",
    download="Unduh Excel",
    icon=":material/table:",
    work=lambda progress: register_book.register_excel(
        user_id=user.id, start=start, end=end, progress=progress
    ),
)
if period.count > len(period.preview):
    st.caption(
        f"Pratinjau {len(period.preview)} pengaduan pertama; seluruhnya ada di berkas unduhan."
    )
st.dataframe(
    period.preview,
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
