"""The complaint page: summary, clocks, documents, timeline and the current step's form.

Opened with ``?tiket=ADU-2026-000123``. Everything shown comes from
``services.complaint_detail.complaint_detail``, which checks the user may view the complaint,
masks a *rahasia* complainant's identity and logs the view.
"""

import streamlit as st

from layanan.errors import WorkflowError
from layanan.markup import md
from services import complaint_detail, identity
from ui.action_form import render_action_forms, render_returned_draft, show_flash
from ui.complaint_view import esc, render_clocks, render_documents, render_summary
from ui.documents import documents_section, letter_preview
from ui.session import require_page
from ui.timeline import render_timeline

user = require_page("complaint")
show_flash()

ticket = st.query_params.get("tiket", "")
if not ticket:
    st.title("Pengaduan")
    typed = st.text_input("Nomor tiket", placeholder="ADU-2026-000123")
    if typed.strip():
        st.query_params["tiket"] = typed.strip().upper()
        st.rerun()
    st.stop()

try:
    detail = complaint_detail.complaint_detail(ticket=ticket, user_id=user.id)
except WorkflowError as err:
    st.title("Pengaduan")
    st.error(md(err.message))
    st.stop()

st.title(f"Pengaduan {detail.ticket}")
render_summary(detail)
render_clocks(detail)

st.subheader("Tindakan langkah ini")
render_returned_draft(detail)
letter_preview(detail=detail, user_id=user.id)
render_action_forms(detail, user_id=user.id)

st.subheader("Dokumen")
render_documents(
    detail,
    fetch=lambda document_id: identity.document_file(document_id=document_id, user_id=user.id).data,
)

# Letters (surat jawaban, lembar disposisi, tanda terima): Word and PDF downloads.
documents_section(detail=detail, user=user)

st.subheader("Riwayat")
st.caption(esc(f"{len(detail.timeline)} peristiwa, dari yang terlama."))
render_timeline(detail.timeline)
