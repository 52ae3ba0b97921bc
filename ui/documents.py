"""The official documents of a complaint on its page, and the receipt for intake/portal.

Word files are generated when the button is clicked (``data`` as a callable), so
opening the page costs nothing. PDF is offered where LibreOffice is installed; it is
converted on request and the button says why when it cannot be.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from documents import pdf
from layanan.errors import WorkflowError
from layanan.markup import md
from services import document_files, official_documents, receipt, reply_letter
from services.document_files import Download
from ui.session import client_key

ICON = ":material/description:"


def _fetch(key: str, complaint_id: int, user_id: int) -> bytes:
    return official_documents.document_download(
        key=key, complaint_id=complaint_id, user_id=user_id
    ).data


def _filename(offer: official_documents.Offer, ticket: str) -> str:
    return official_documents.document_filename(offer.key, ticket, final=offer.final)


def _pdf_controls(
    offer: official_documents.Offer, *, complaint_id: int, ticket: str, version: int, user_id: int
) -> None:
    reason = pdf.pdf_unavailable_reason()
    if reason:
        st.button(
            "PDF",
            key=f"pdf-off:{ticket}:{offer.key}",
            disabled=True,
            help=md(reason),
            icon=":material/picture_as_pdf:",
        )
        return
    # Per version: a draft returned and rewritten must not reuse the old draft's PDF.
    state_key = f"pdf:{ticket}:{version}:{offer.key}"
    ready: Download | None = st.session_state.get(state_key)
    if ready is None:
        if st.button(
            "Buat PDF", key=f"pdf-make:{ticket}:{offer.key}", icon=":material/picture_as_pdf:"
        ):
            try:
                with st.spinner("Mengonversi ke PDF..."):
                    source = official_documents.document_download(
                        key=offer.key, complaint_id=complaint_id, user_id=user_id
                    )
                    st.session_state[state_key] = document_files.as_pdf(source)
            except WorkflowError as err:
                st.error(md(err.message))
                return
            st.rerun()
        return
    st.download_button(
        "Unduh PDF",
        data=ready.data,
        file_name=ready.filename,
        mime=ready.mime,
        key=f"pdf-dl:{ticket}:{offer.key}",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
    )


def documents_section(*, detail, user) -> None:
    """Download buttons for the documents that exist at the complaint's step."""
    st.subheader("Surat dan dokumen resmi")
    try:
        offers = official_documents.available_documents(complaint_id=detail.id, user_id=user.id)
    except WorkflowError as err:
        st.error(md(err.message))
        return
    reason = pdf.pdf_unavailable_reason()
    for offer in offers:
        word, pdf_col, note = st.columns([3, 1, 3], vertical_alignment="center")
        if offer.final:
            with word:
                _signed_letter(offer, detail=detail, user_id=user.id)
            with note:
                if offer.ready:
                    st.caption("PDF bertanda tangan elektronik; setiap unduhan identik.")
                else:
                    st.info(md(offer.reason))
                    st.button("Muat ulang", key=f"letter-reload:{detail.ticket}")
            continue
        with word:
            if offer.available:
                st.download_button(
                    f"{offer.label} (Word)",
                    data=partial(_fetch, offer.key, detail.id, user.id),
                    file_name=_filename(offer, detail.ticket),
                    mime=document_files.DOCX_MIME,
                    key=f"letter:{detail.ticket}:{offer.key}:{offer.final}",
                    on_click="ignore",
                    icon=ICON,
                )
            else:
                st.button(
                    offer.label,
                    key=f"letter-off:{detail.ticket}:{offer.key}",
                    disabled=True,
                    help=md(offer.reason),
                    icon=ICON,
                )
        with pdf_col:
            if offer.available:
                _pdf_controls(
                    offer,
                    complaint_id=detail.id,
                    ticket=detail.ticket,
                    version=detail.version,
                    user_id=user.id,
                )
        with note:
            if not offer.available:
                st.caption(md(offer.reason))
            elif offer.final:
                st.caption("Berkas yang ditandatangani; setiap unduhan identik.")
            elif offer.draft:
                st.caption("Bertanda DRAF sampai ditandatangani Sekretaris.")
    if reason:
        st.caption(md(reason))


def _signed_letter(offer: official_documents.Offer, *, detail, user_id: int) -> None:
    """The signed letter: its PDF (what is delivered), and the .docx kept beside it."""
    st.download_button(
        f"{offer.label} (PDF)",
        data=partial(_fetch, offer.key, detail.id, user_id),
        file_name=official_documents.document_filename(
            offer.key, detail.ticket, final=True, ext="pdf"
        ),
        mime=document_files.PDF_MIME,
        key=f"letter:{detail.ticket}:{offer.key}:signed",
        on_click="ignore",
        disabled=not offer.ready,
        icon=":material/picture_as_pdf:",
    )
    st.download_button(
        "Berkas Word (arsip)",
        data=partial(_signed_docx, detail.id, user_id),
        file_name=official_documents.document_filename(offer.key, detail.ticket, final=True),
        mime=document_files.DOCX_MIME,
        key=f"letter-docx:{detail.ticket}",
        on_click="ignore",
        type="tertiary",
        icon=ICON,
    )


def _signed_docx(complaint_id: int, user_id: int) -> bytes:
    return reply_letter.signed_docx(complaint_id=complaint_id, user_id=user_id).data


def letter_preview(*, detail, user_id: int) -> None:
    """The reply letter as it will print, inline, at the steps that work on it.

    Rendered once per complaint version in the user's session (a new draft, a paraf or
    the signing gives a new version, so a new preview).
    """
    if not detail.previews_letter:
        return
    st.markdown("**Pratinjau surat jawaban** :gray[(seperti akan dicetak)]")
    state_key = f"preview:{detail.ticket}:{detail.version}"
    preview = st.session_state.get(state_key)
    if preview is None:
        try:
            with st.spinner("Menyiapkan pratinjau surat..."):
                preview = reply_letter.reply_preview(complaint_id=detail.id, user_id=user_id)
        except WorkflowError as err:
            st.info(f"Pratinjau surat tidak dapat ditampilkan. {md(err.message)}")
            return
        st.session_state[state_key] = preview
    with st.container(border=True, height=720):
        for number, image in enumerate(preview.pages, start=1):
            # PNG as stored: "auto" would re-encode it to JPEG on every rerun (~14% of
            # the complaint page's server time, py-spy).
            st.image(
                image, caption=f"Halaman {number} dari {preview.page_count}", output_format="PNG"
            )
    more = preview.page_count - len(preview.pages)
    note = f"{more} halaman berikutnya ada di berkas Word/PDF. " if more > 0 else ""
    st.caption(
        f"{note}Draf dengan pengaturan surat saat ini; nomor dan tanda DRAF diganti saat "
        "ditandatangani."
    )


def receipt_download(*, complaint_id: int, pin: str, key: str = "receipt") -> None:
    """The receipt (tanda terima) with the tracking PIN, for the intake page and the portal."""
    try:
        file = receipt.receipt_download(complaint_id=complaint_id, pin=pin, client=client_key())
    except WorkflowError as err:
        st.error(md(err.message))
        return
    st.download_button(
        "Unduh tanda terima (Word)",
        data=file.data,
        file_name=file.filename,
        mime=file.mime,
        key=f"{key}:{complaint_id}",
        on_click="ignore",
        icon=":material/receipt_long:",
    )
    st.caption("Tanda terima memuat PIN pelacakan; PIN tidak dapat dicetak ulang.")
