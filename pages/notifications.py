"""Pemberitahuan: the user's own reminders and escalations, unread first in attention.

Everything comes from ``services.notifications`` (the user's rows only); opening one
marks it read and goes to the complaint page, which checks what the user may see.
"""

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from layanan.errors import WorkflowError
from layanan.markup import md
from layanan.text import angka, tanggal_jam
from services import notifications
from ui.complaint_view import COMPLAINT_PAGE
from ui.session import require_page

user = require_page("notifications")
st.title("Pemberitahuan")


def open_complaint(notification_id: int, ticket: str) -> None:
    notifications.mark_read(user_id=user.id, notification_id=notification_id)
    try:
        st.switch_page(str(COMPLAINT_PAGE), query_params={"tiket": ticket})
    except StreamlitPageNotFoundError:  # page run on its own (not through app.py)
        st.query_params["tiket"] = ticket


try:
    unread_only = st.toggle("Belum dibaca saja", key="n_unread")
    items = notifications.inbox(user_id=user.id, unread_only=unread_only)
except WorkflowError as err:
    st.error(md(err.message))
    st.stop()

unread = sum(1 for item in items if not item.read)
c1, c2 = st.columns([3, 1], vertical_alignment="center")
c1.caption(f"{angka(len(items))} pemberitahuan, {angka(unread)} belum dibaca.")
if unread and c2.button("Tandai semua dibaca", key="n_all"):
    notifications.mark_read(user_id=user.id)
    st.rerun()

if not items:
    st.info("Belum ada pemberitahuan.")
for item in items:
    with st.container(border=True):
        head, button = st.columns([5, 1.4], vertical_alignment="center")
        status = "Sudah dibaca" if item.read else "Baru"
        head.markdown(
            f"{'' if item.read else '**'}{md(item.kind_label)} · {md(item.ticket)}"
            f"{'' if item.read else '**'}"
        )
        head.badge(status, color="gray" if item.read else "orange")
        head.caption(f"{md(item.message)} · {tanggal_jam(item.created_at)}")
        if button.button("Buka pengaduan", key=f"n_open_{item.id}"):
            open_complaint(item.id, item.ticket)
