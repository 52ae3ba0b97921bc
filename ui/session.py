"""The logged-in user of this browser session, and the page guard every page calls."""

from __future__ import annotations

import streamlit as st

from layanan import permissions
from services.auth import CurrentUser, load_current_user

USER_KEY = "user_id"


def current_user() -> CurrentUser | None:
    """The logged-in, still active user, or None."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
    return load_current_user(user_id=user_id)


def require_page(page_key: str) -> CurrentUser:
    """Stop the page unless a user is logged in and one of their roles grants it."""
    user = current_user()
    if user is None:
        st.warning("Silakan masuk terlebih dahulu.")
        st.stop()
    if not permissions.may_open(user.roles, page_key):
        st.error("Anda tidak memiliki akses ke halaman ini.")
        st.stop()
    return user
