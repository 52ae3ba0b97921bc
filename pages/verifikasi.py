"""Verifikasi Surat (public): is this letter one the office signed, and is this file it?

Opened from the QR code in a signed letter's signature block as
``/verifikasi?kode=...``: shows the letter's number, date, Hal, signer and the SHA-256
of its PDF, and compares an uploaded file with it byte for byte. No login. What is shown
is decided by ``services.signed_letter.verify`` (nothing of a rahasia complaint's
identity); a malformed and an unknown code get one and the same answer.
"""

from __future__ import annotations

import streamlit as st

from layanan.errors import WorkflowError
from layanan.markup import md
from services import signed_letter
from ui.portal import client_key, portal_style

CODE = "verifikasi_kode"  # the code last asked for, this browser tab only

portal_style()
st.title("Verifikasi Surat")
st.write(
    "Periksa keaslian surat jawaban yang ditandatangani secara elektronik oleh Dinas: "
    "pindai kode QR pada surat, atau ketik kode verifikasi yang tercetak di bawahnya."
)

with st.form("verifikasi"):
    typed = st.text_input(
        "Kode verifikasi",
        value=st.query_params.get("kode", ""),
        placeholder="ABCD-EFGH-JKMN",
        max_chars=40,
    )
    if st.form_submit_button("Periksa", type="primary"):
        st.session_state[CODE] = typed

code = st.session_state.get(CODE)
if code is None and st.query_params.get("kode"):
    code = st.session_state[CODE] = st.query_params.get("kode")
if code is None:
    st.stop()

client = client_key()
try:
    letter = signed_letter.verify(code=code, client=client)
except WorkflowError as err:
    st.error(md(err.message))
    st.stop()

st.success("Surat ini terdaftar sebagai surat yang ditandatangani secara elektronik.")
rows = [
    ("Nomor surat", letter.letter_number),
    ("Tanggal", letter.date),
    ("Hal", letter.hal),
    ("Penanda tangan", letter.signer_name),
    ("Jabatan", letter.signer_title),
    ("NIP", letter.signer_nip or "-"),
]
if letter.addressee:
    rows.append(("Kepada", letter.addressee))
rows.append(("Kode verifikasi", letter.code))
# Plain text: the values come from the letter and are never rendered as markup.
for label, value in rows:
    st.text(f"{label}: {value}")
if letter.pdf_sha256:
    st.caption("Sidik jari berkas PDF asli (SHA-256):")
    st.code(letter.pdf_sha256, language=None)
else:
    st.info(md(signed_letter.NOT_READY))

st.subheader("Periksa berkas")
st.write(
    "Unggah berkas PDF surat yang Anda terima untuk memastikan isinya sama persis dengan "
    "surat asli."
)
upload = st.file_uploader("Berkas surat (PDF)", type=["pdf"], key=f"berkas:{letter.code}")
if upload is not None:
    try:
        result = signed_letter.check_file(code=code, data=upload.getvalue(), client=client)
    except WorkflowError as err:
        st.error(md(err.message))
    else:
        if result.original:
            st.success(md(result.text))
        else:
            st.error(md(result.text))
        st.caption(f"SHA-256 berkas yang diunggah: {result.sha256}")
