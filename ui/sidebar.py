"""The sidebar of a logged-in user: who they are, their roles and unit, and "Keluar"."""

from __future__ import annotations

import streamlit as st

from layanan.markup import md
from layanan.sop import ROLE_LABELS, Role
from layanan.text import angka
from services.auth import CurrentUser
from ui.session import log_out


def role_labels(roles: frozenset[Role]) -> str:
    return ", ".join(ROLE_LABELS[role] for role in sorted(roles, key=list(Role).index))


def render_user(user: CurrentUser, *, unread: int = 0) -> None:
    with st.sidebar:
        st.markdown(f"**{md(user.full_name)}**")
        if unread:
            st.badge(
                f"{angka(unread)} pemberitahuan belum dibaca",
                icon=":material/notifications:",
                color="orange",
            )
        st.caption(f"Peran: {role_labels(user.roles) or '-'}")
        st.caption(f"Unit: {md(user.unit_name or '-')}")
        st.button("Keluar", key="logout", on_click=log_out, icon=":material/logout:")
