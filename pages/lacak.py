"""Lacak Pengaduan (public): the complainant follows a complaint with ticket + PIN.

Opened from the receipt's QR code as ``/lacak?tiket=ADU-...``: the ticket is filled in,
the PIN never travels in the address. No login, and nothing of the staff pages.
"""

from __future__ import annotations

import streamlit as st

from layanan.errors import WorkflowError
from layanan.markup import md
from services import portal
from ui.portal import client_key, portal_style, render_status

AUTH = "portal_tracking"  # (ticket, pin) after a successful check, this browser tab only
SCORES = {
    1: "1 \u2013 Sangat tidak puas",
    2: "2 \u2013 Tidak puas",
    3: "3 \u2013 Cukup",
    4: "4 \u2013 Puas",
    5: "5 \u2013 Sangat puas",
}

portal_style()
st.title("Lacak Pengaduan")
st.write(
    "Masukkan nomor tiket dan PIN yang tercetak pada tanda terima pengaduan Anda untuk "
    "melihat sampai di mana pengaduan Anda ditangani."
)

with st.form("lacak"):
    ticket = st.text_input(
        "Nomor tiket",
        value=st.query_params.get("tiket", ""),
        placeholder="ADU-2026-000123",
        max_chars=30,
    )
    pin = st.text_input("PIN", type="password", max_chars=12, help="6 angka pada tanda terima")
    if st.form_submit_button("Lacak", type="primary"):
        st.session_state[AUTH] = (ticket, pin)

credentials = st.session_state.get(AUTH)
if credentials is None:
    st.stop()

client = client_key()
ticket, pin = credentials
try:
    status = portal.track(ticket=ticket, pin=pin, client=client)
except WorkflowError as err:
    st.session_state.pop(AUTH, None)
    st.error(md(err.message))
    st.stop()

render_status(status)

st.subheader("Surat jawaban")
if status.letter_available:
    try:
        letter = portal.reply_letter(ticket=ticket, pin=pin, client=client)
    except WorkflowError as err:
        st.error(md(err.message))
    else:
        st.download_button(
            "Unduh surat jawaban",
            data=letter.data,
            file_name=letter.filename,
            mime=letter.content_type,
            type="primary",
        )
elif status.delivered_at is not None and status.confidential:
    st.info("Surat jawaban pengaduan rahasia disampaikan langsung kepada Anda, tidak di portal.")
elif status.delivered_at is not None:
    st.warning("Surat jawaban belum tersedia di portal. Hubungi Petugas Pelayanan.")
else:
    st.caption("Surat jawaban dapat diunduh di sini setelah disampaikan kepada Anda.")

if status.delivered_at is not None:
    st.subheader("Penilaian layanan")
    if status.rating is not None:
        st.success(f"Terima kasih. Penilaian Anda: {SCORES[status.rating]}.")
    elif status.can_rate:
        with st.form("penilaian"):
            score = st.radio(
                "Seberapa puas Anda dengan penanganan pengaduan ini?",
                options=list(SCORES),
                format_func=SCORES.get,
                index=None,
                horizontal=True,
            )
            comment = st.text_area("Komentar (tidak wajib)", max_chars=portal.MAX_COMMENT)
            if st.form_submit_button("Kirim penilaian"):
                if score is None:
                    st.error("Pilih salah satu nilai dari 1 sampai 5.")
                else:
                    try:
                        portal.rate(
                            ticket=ticket, pin=pin, client=client, score=score, comment=comment
                        )
                    except WorkflowError as err:
                        st.error(md(err.message))
                    else:
                        st.rerun()

st.subheader("Pesan tentang pengaduan ini")
if status.messages_stopped:
    st.caption("Anda tidak lagi menerima pesan pos-el atau WhatsApp tentang pengaduan ini.")
elif not status.message_channels:
    st.caption(
        "Kami tidak mengirim pesan tentang pengaduan ini; pantau perkembangannya di "
        "halaman ini dengan nomor tiket dan PIN Anda."
    )
else:
    st.caption(
        f"Kami mengirim kabar lewat {md(' dan '.join(status.message_channels))} ke kontak yang "
        "Anda berikan saat pengaduan diterima, sedang ditangani, dijawab dan selesai."
    )
    if st.button("Berhenti menerima pesan", key="stop_messages"):
        try:
            portal.stop_messages(ticket=ticket, pin=pin, client=client)
        except WorkflowError as err:
            st.error(md(err.message))
        else:
            st.rerun()

if st.button("Selesai melacak"):
    st.session_state.pop(AUTH, None)
    st.rerun()
