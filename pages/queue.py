"""My queue: the complaints waiting for this user's role (and unit), earliest deadline first.

Counts per step, search and filters; one page of rows at a time from SQL.
"""

import streamlit as st

from layanan import sop
from layanan.errors import WorkflowError
from layanan.markup import md
from services import complaint_lists
from ui.complaint_view import (
    page_caption,
    page_number,
    pagination,
    render_list,
    step_channel_category,
)
from ui.session import require_page

PAGE_SIZE = 25

user = require_page("queue")
st.title("Antrean saya")
roles = ", ".join(sop.ROLE_LABELS[r] for r in sorted(user.roles, key=list(sop.Role).index))
st.caption(roles + (f" · {md(user.unit_name)}" if user.unit_name else ""))

with st.container(border=True):
    c1, c2, c3, c4, c5 = st.columns([3, 2.5, 1.6, 2, 1.6], vertical_alignment="bottom")
    text = c1.text_input("Cari tiket, nama atau isi", key="q_text", placeholder="ADU-2026-...")
    step, channel, category = step_channel_category(
        c2, c3, c4, steps=complaint_lists.queue_steps(roles=user.roles), prefix="q"
    )
    overdue = c5.checkbox("Terlambat saja", key="q_overdue")

page = page_number("q_page", (text, step, channel, category, overdue))
try:
    view = complaint_lists.my_queue(
        user_id=user.id,
        filters=complaint_lists.ComplaintFilter(
            text=text, step=step, channel=channel, category=category, overdue_only=overdue
        ),
        page=page,
        page_size=PAGE_SIZE,
    )
except WorkflowError as err:
    st.error(md(err.message))
    st.stop()

if view.counts:
    cols = st.columns(min(len(view.counts), 6))
    for i, count in enumerate(view.counts):
        cols[i % len(cols)].metric(
            f"Langkah {count.step}",
            count.total,
            delta=f"{count.overdue} terlambat" if count.overdue else None,
            delta_color="inverse",
            delta_arrow="off",
            help=count.label,
        )

if view.page.notice:
    st.info(md(view.page.notice))
st.caption(page_caption(view.page))
render_list(view.page, empty="Tidak ada pengaduan yang menunggu Anda.")
pagination("q_page", view.page)
