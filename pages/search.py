"""Search every complaint by ticket, name or text, with filters and pagination.

With a text the best matches come first, each with the words found marked in its
subject or text (services.complaint_lists.snippet).

Identities of *rahasia* complaints are masked by the service for roles that may not
see them, and a name search never matches them for those roles.
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
STATUS = {"open": "Dalam proses", "closed": "Selesai"}

user = require_page("search")
st.title("Cari pengaduan")

with st.container(border=True):
    text = st.text_input(
        "Cari tiket, nama pengadu, perihal atau isi", key="s_text", placeholder="ADU-2026-..."
    )
    c1, c2, c3, c4, c5 = st.columns([2.5, 1.5, 1.6, 2, 1.6], vertical_alignment="bottom")
    step, channel, category = step_channel_category(
        c1, c3, c4, steps=[s.number for s in sop.table().steps], prefix="s"
    )
    status = c2.selectbox(
        "Status",
        list(STATUS),
        index=None,
        format_func=STATUS.get,
        key="s_status",
        placeholder="Semua",
    )
    overdue = c5.checkbox("Terlambat saja", key="s_overdue")

try:
    result = complaint_lists.search(
        user_id=user.id,
        filters=complaint_lists.ComplaintFilter(
            text=text,
            step=step,
            closed=None if status is None else status == "closed",
            channel=channel,
            category=category,
            overdue_only=overdue,
        ),
        page=page_number("s_page", (text, step, status, channel, category, overdue)),
        page_size=PAGE_SIZE,
    )
except WorkflowError as err:
    st.error(md(err.message))
    st.stop()

if result.notice:
    st.info(md(result.notice))
st.caption(page_caption(result))
render_list(result, empty="Tidak ada pengaduan yang cocok.")
pagination("s_page", result)
