"""Login page: username and password, or the office's identity provider when configured."""

from __future__ import annotations

import streamlit as st

from layanan.errors import WorkflowError
from layanan.markup import md
from ui import session

st.title("Masuk")
st.caption("Layanan Pengaduan · Dinas Koperasi dan UKM Provinsi Sulawesi Tengah")

with st.form("login", enter_to_submit=True):
    username = st.text_input("Nama pengguna", autocomplete="username")
    password = st.text_input("Kata sandi", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Masuk", type="primary")

if submitted:
    try:
        user = session.log_in(username=username, password=password)
    except WorkflowError as err:
        st.error(md(err.message))
    else:
        st.success(f"Berhasil masuk sebagai {md(user.full_name)}")

if session.oidc_enabled():
    st.divider()
    error = st.session_state.get(session.OIDC_ERROR_KEY)
    if error:
        st.error(md(error))
        st.button("Keluar dari akun kantor (SSO)", on_click=st.logout)
    else:
        st.button("Masuk dengan akun kantor (SSO)", on_click=st.login)
