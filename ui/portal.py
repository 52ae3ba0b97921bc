"""Widgets of the public portal: who the client is, and the progress line."""

from __future__ import annotations

import streamlit as st

from layanan.errors import WorkflowError
from layanan.markup import md
from layanan.text import tanggal
from services import receipt
from services.portal import CURRENT, DONE, WAITING, PublicStatus, Submitted
from ui.session import client_key

ICONS = {
    DONE: ":green[:material/check_circle:]",
    CURRENT: ":orange[:material/pending:]",
    WAITING: ":gray[:material/radio_button_unchecked:]",
}


def render_status(status: PublicStatus) -> None:
    """The public status: summary, progress line with dates, expected completion."""
    st.subheader(f"Pengaduan {status.ticket}")
    left, right = st.columns(2)
    left.markdown(
        f"**Diterima:** {tanggal(status.received_at)}  \n**Saluran:** {md(status.channel)}"
    )
    if status.closed:
        right.markdown(f"**Status:** Selesai  \n**Diselesaikan:** {tanggal(status.completed_at)}")
    else:
        right.markdown(
            f"**Status:** {md(status.current)}  \n"
            f"**Perkiraan selesai:** paling lambat {tanggal(status.expected_completion)}"
        )
    if status.confidential:
        st.info("Pengaduan ini bersifat rahasia: portal hanya menampilkan kemajuan penanganannya.")
    else:
        # Plain text widgets: the complainant's own words are never rendered as markup.
        st.text(f"Perihal: {status.subject}")
        st.text(f"Kategori: {status.category}")

    done = sum(1 for s in status.steps if s.state == DONE)
    st.progress(done / len(status.steps), text=f"{done} dari {len(status.steps)} tahap selesai")
    for step in status.steps:
        when = ""
        if step.state == DONE and step.at is not None:
            when = f" \u2014 {tanggal(step.at)}"
        elif step.state == CURRENT:
            when = f" \u2014 sejak {tanggal(step.at)}"
        st.markdown(f"{ICONS[step.state]} {step.label} *({step.state})*{when}")


HONEYPOT_KEY = "portal_website"

# Complainants use phones: every tap target of the portal at least 44 px high (WCAG 2.5.5),
# long words (tickets, e-mail addresses) wrap instead of widening the page, and the ticket
# and PIN figures fit a 360 px screen whole. Static CSS, no user text.
PORTAL_CSS = """
<style>
[data-testid="stMain"] button,
[data-testid="stMain"] [data-baseweb="input"],
[data-testid="stMain"] [data-baseweb="select"] > div,
[data-testid="stMain"] [data-testid="stFileUploaderDropzone"] {
  min-height: 44px;
}
[data-testid="stMain"] label[data-baseweb="checkbox"],
[data-testid="stMain"] label[data-baseweb="radio"] {
  min-height: 44px;
  align-items: center;
}
[data-testid="stMain"] [data-testid="stMarkdownContainer"],
[data-testid="stMain"] [data-testid="stText"] {
  overflow-wrap: anywhere;
}
[data-testid="stMain"] h3 {
  font-size: clamp(1.3rem, 6vw, 1.75rem);
}
[data-testid="stMetricValue"] > div {
  font-size: clamp(1.75rem, 8vw, 2.25rem);
  letter-spacing: 0.04em;
  white-space: nowrap;
  overflow: visible;
}
</style>
"""


def portal_style() -> None:
    """The portal's phone-friendly sizes (see ``PORTAL_CSS``)."""
    st.html(PORTAL_CSS)


def hide_honeypot() -> None:
    """Hide the honeypot field from people (static CSS on its key class, no user text)."""
    st.html(f"<style>.st-key-{HONEYPOT_KEY} {{display: none;}}</style>")


def receipt_button(submitted: Submitted) -> None:
    """Download of the receipt (tanda terima) with the PIN, right after submitting."""
    try:
        file = receipt.receipt_download(
            complaint_id=submitted.complaint_id, pin=submitted.pin, client=client_key()
        )
    except WorkflowError as err:
        st.error(md(err.message))
        return
    st.download_button(
        "Unduh tanda terima",
        data=file.data,
        file_name=file.filename,
        mime=file.mime,
        type="primary",
    )
