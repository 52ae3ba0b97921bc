"""Ajukan Pengaduan (public): a complaint submitted online, channel "online".

The complaint enters the front desk's queue at SOP step 2. The ticket number and the PIN
are shown once, with the receipt to download; only the PIN's hash is stored.
"""

from __future__ import annotations

import streamlit as st

from layanan import sop
from layanan.errors import WorkflowError
from layanan.markup import md
from layanan.text import tanggal_jam
from services import portal
from services.uploads import ALLOWED_TYPES, UPLOAD_EXTENSIONS
from services.workflow import IntakeData
from ui.portal import HONEYPOT_KEY, client_key, hide_honeypot, portal_style, receipt_button

RESULT = "portal_submitted"

portal_style()
st.title("Ajukan Pengaduan")

result = st.session_state.get(RESULT)
if result is not None:
    st.success("Pengaduan Anda telah terkirim dan akan diterima oleh Petugas Pelayanan.")
    left, right = st.columns(2)
    left.metric("Nomor tiket", result.ticket)
    right.metric("PIN pelacakan", result.pin)
    st.warning(
        "Catat atau simpan nomor tiket dan PIN ini sekarang: PIN hanya ditampilkan sekali "
        "dan diperlukan untuk melacak pengaduan di halaman Lacak Pengaduan."
    )
    st.caption(f"Dikirim {tanggal_jam(result.received_at)}.")
    receipt_button(result)
    if st.button("Ajukan pengaduan lain"):
        st.session_state.pop(RESULT, None)
        st.rerun()
    st.stop()

st.write(
    "Sampaikan pengaduan Anda kepada Dinas Koperasi dan UKM Provinsi Sulawesi Tengah. "
    "Kolom bertanda * wajib diisi. Anda dapat mengirim tanpa identitas (anonim)."
)
hide_honeypot()
with st.form("ajukan"):
    st.subheader("Identitas pengadu")
    anonymous = st.checkbox("Kirim tanpa identitas (anonim)")
    name = st.text_input("Nama lengkap *", max_chars=200, help="Tidak perlu diisi bila anonim.")
    phone = st.text_input("Nomor telepon/WhatsApp", max_chars=40)
    email = st.text_input("Pos-el", max_chars=200)
    address = st.text_area("Alamat", max_chars=2000, height=80)
    city = st.text_input("Kota/kabupaten", max_chars=100, placeholder="mis. Palu")
    confidential = st.checkbox(
        "Rahasiakan pengaduan saya (identitas dan isi hanya dilihat pejabat yang berwenang)"
    )
    st.subheader("Pengaduan")
    subject = st.text_input("Perihal *", max_chars=300)
    category = st.selectbox("Kategori *", sop.CATEGORIES, index=None, placeholder="Pilih kategori")
    body = st.text_area("Isi pengaduan *", max_chars=20_000, height=220)
    files = st.file_uploader(
        f"Lampiran (paling banyak {portal.MAX_ATTACHMENTS} berkas: "
        + ", ".join(ALLOWED_TYPES.values())
        + ")",
        type=UPLOAD_EXTENSIONS,
        accept_multiple_files=True,
    )
    # Honeypot: hidden from people, filled in by naive bots.
    trap = st.text_input(
        "Kosongkan kolom ini (pemeriksaan anti-spam)",
        key=HONEYPOT_KEY,
        label_visibility="collapsed",
    )
    sent = st.form_submit_button("Kirim pengaduan", type="primary")

if sent:
    data = IntakeData(
        channel=sop.Channel.ONLINE,
        subject=subject,
        body=body,
        category=category or "",
        complainant_name=name,
        complainant_phone=phone,
        complainant_email=email,
        complainant_address=address,
        complainant_city=city,
        anonymous=anonymous,
        confidential=confidential,
    )
    try:
        submitted = portal.submit(
            data=data,
            files=[(f.name, f.getvalue()) for f in files or []],
            honeypot=trap,
            client=client_key(),
        )
    except WorkflowError as err:
        st.error(md(err.message))
    else:
        st.session_state[RESULT] = submitted
        st.rerun()
