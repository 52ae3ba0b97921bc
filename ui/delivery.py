"""Step 11 on the complaint page: send by e-mail, by WhatsApp, or record a hand-over.

Every way goes through ``services.workflow.perform``. E-mail goes through the outbox:
the page shows the latest e-mail that has not completed the step (failed with the
server's reason, waiting for a retry, being sent) above the form.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from layanan import sop
from layanan.calendar import office_today
from layanan.errors import WorkflowError
from layanan.markup import md
from services import delivery, document_files, outbox, reply_letter, uploads, workflow
from ui.complaint_view import esc

FLASH_KEY = "flash_message"  # shown by ui.action_form.show_flash on the next run


def _done(transition) -> None:
    st.session_state[FLASH_KEY] = (
        f"Penyampaian surat jawaban {transition.ticket} dicatat; pengaduan kini di "
        f"{sop.step_label(transition.to_step)}."
    )
    st.rerun()


def _record(
    *, detail, user_id: int, method: str, delivered_on, scan=None, note: str = "", **given
) -> None:
    """Record step 11 by WhatsApp or in person: show the refusal, or rerun with the flash."""
    try:
        documents = []
        if scan is not None:
            documents.append(
                uploads.check_upload(
                    kind="delivery_evidence", filename=scan.name, data=scan.getvalue()
                )
            )
        result = workflow.perform(
            complaint_id=detail.id,
            action="deliver",
            expected_version=detail.version,
            user_id=user_id,
            payload={
                "delivery_method": method,
                "delivered_on": delivered_on,
                "evidence": (note or "").strip() or delivery.PANEL_NOTE,
            },
            documents=documents,
            hook_input=given,  # number / confirmation / receiver, checked by the hook
        )
    except WorkflowError as err:
        st.error(md(err.message))
    else:
        _done(result)


def _send_email(*, detail, user_id: int, recipient: str, note: str) -> None:
    try:
        with st.spinner("Mengirim pos-el..."):
            result = delivery.send_email(
                complaint_id=detail.id,
                user_id=user_id,
                expected_version=detail.version,
                recipient=recipient,
                note=note,
            )
    except WorkflowError as err:
        st.error(md(err.message))
        return
    if result.delivered:
        st.session_state[FLASH_KEY] = result.text
    # Otherwise the complaint stays at step 11 with a new version; the rerun shows the
    # message's state (the server's refusal, or the time of the next try) above the form.
    st.rerun()


def _default(detail, name: str) -> tuple[str, str | None]:
    """A value the read model knows for this delivery input (intake), and its source."""
    for spec in detail.actions:
        default = spec.default(name)
        if default is not None:
            return str(default.value), default.source
    return "", None


def _source(source: str | None) -> None:
    if source:
        st.caption(esc(source))


def email_status(*, complaint_id: int) -> None:
    """The latest reply e-mail of the complaint, unless it completed the step."""
    messages = delivery.email_messages(complaint_id=complaint_id)
    if not messages:
        return
    latest = messages[0]
    text = delivery.message_text(latest)
    if latest.status == outbox.FAILED:
        st.error(md(text), icon=":material/error:")
    elif latest.status in (outbox.PENDING, outbox.SENDING):
        st.warning(md(text), icon=":material/schedule_send:")
    elif latest.status == outbox.SENT and latest.last_error:
        st.warning(md(text))
    elif latest.status == outbox.CANCELLED:
        st.caption(md(text))


def delivery_panel(*, detail, user_id: int) -> None:
    """The three ways of step 11; each records the step only when it succeeded."""
    st.markdown(f"**Penyampaian surat jawaban (langkah {detail.current_step})**")
    email_tab, wa_tab, hand_tab = st.tabs(["Pos-el", "WhatsApp", "Diserahkan langsung"])
    base = f"deliver:{detail.ticket}:{detail.version}"
    with email_tab:
        email_status(complaint_id=detail.id)
        with st.form(f"{base}:email"):
            address, source = _default(detail, "recipient_email")
            recipient = st.text_input("Alamat pos-el pengadu", value=address)
            _source(source if address else None)
            note = st.text_area("Catatan (opsional)", height=70)
            if st.form_submit_button("Kirim pos-el dengan surat terlampir", type="primary"):
                _send_email(detail=detail, user_id=user_id, recipient=recipient, note=note)
    with wa_tab:
        number, source = _default(detail, "phone")
        phone = st.text_input("Nomor WhatsApp pengadu", value=number, key=f"{base}:wa-phone")
        _source(source if number else None)
        try:
            link = delivery.whatsapp_link(complaint_id=detail.id, user_id=user_id, phone=phone)
        except WorkflowError as err:
            st.warning(md(err.message))
            link = None
        if link is not None:
            st.caption(f"Pesan ke {md(link.phone)}:")
            st.text(link.message)
            left, right = st.columns(2)
            left.link_button("Buka WhatsApp", link.url, icon=":material/chat:")
            right.download_button(
                "Unduh surat untuk dilampirkan",
                data=partial(_letter, detail.id, user_id),
                file_name=reply_letter.reply_filename(detail.ticket, draft=False, ext="pdf"),
                mime=document_files.PDF_MIME,
                key=f"{base}:wa-letter",
                on_click="ignore",
            )
            with st.form(f"{base}:wa"):
                day = st.date_input(
                    "Tanggal penyampaian", value=office_today(), format="DD/MM/YYYY"
                )
                confirmed = st.checkbox(
                    "Saya sudah mengirim pesan WhatsApp beserta surat jawaban kepada pengadu."
                )
                note = st.text_area("Catatan (opsional)", height=70)
                if st.form_submit_button("Catat penyampaian melalui WhatsApp", type="primary"):
                    _record(
                        detail=detail,
                        user_id=user_id,
                        method="whatsapp",
                        phone=phone,
                        confirmed=confirmed,
                        delivered_on=day,
                        note=note,
                    )
    with hand_tab, st.form(f"{base}:hand"):
        name, source = _default(detail, "received_by")
        receiver = st.text_input("Nama penerima surat", value=name)
        if name:
            st.caption(esc(f"{source} Ubah bila surat diterima orang lain (kuasa atau keluarga)."))
        day = st.date_input("Tanggal penyerahan", value=office_today(), format="DD/MM/YYYY")
        scan = st.file_uploader(
            "Pindaian tanda terima bertanda tangan (opsional)", type=["pdf", "jpg", "jpeg", "png"]
        )
        note = st.text_area("Catatan (opsional)", height=70)
        if st.form_submit_button("Catat penyerahan langsung", type="primary"):
            _record(
                detail=detail,
                user_id=user_id,
                method="langsung",
                scan=scan,
                received_by=receiver,
                delivered_on=day,
                note=note,
            )


def _letter(complaint_id: int, user_id: int) -> bytes:
    return reply_letter.reply_letter(complaint_id=complaint_id, user_id=user_id).data
