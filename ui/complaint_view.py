"""Widgets shared by the queue, search and complaint pages (rendering only, no queries).

User-written text (names, subjects, notes) goes through ``esc`` (``layanan.markup.md``)
before any Markdown element so that it is shown as typed; no HTML is ever allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from urllib.parse import quote

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from layanan import sop
from layanan.markup import md as esc  # the one escaper; the name kept for its callers
from layanan.text import durasi, tanggal, tanggal_jam
from services.complaint_detail import ComplaintDetail
from services.complaint_lists import ListItem, ListPage
from services.identity import HIDDEN

COMPLAINT_PAGE = Path(__file__).resolve().parents[1] / "pages" / "complaint.py"
STATUS_MARKS = {
    "terlambat": ":red[**Terlambat**]",
    "segera": ":orange[**Segera jatuh tempo**]",
    "berjalan": ":green[Dalam waktu]",
    "selesai": "Selesai",
}
# The arrival line of the complaint page, worded for how the complaint came in: a
# complainant "datang" only at the front desk.
ARRIVAL_LABELS = {
    sop.Channel.DATANG_LANGSUNG: "Datang",
    sop.Channel.TELEPON: "Telepon masuk",
    sop.Channel.SURAT: "Surat diterima",
    sop.Channel.KOTAK_PENGADUAN: "Kotak pengaduan dibuka",
    sop.Channel.EMAIL: "Diterima melalui pos-el",
    sop.Channel.WHATSAPP: "Pesan WhatsApp masuk",
    sop.Channel.ONLINE: "Dikirim melalui portal",
}


def arrival_label(channel: str) -> str:
    """ "Datang", "Diterima melalui e-mail", ...: the label of the arrival time."""
    try:
        return ARRIVAL_LABELS[sop.Channel(channel)]
    except ValueError:
        return "Masuk"


def complaint_link(ticket: str, label: str | None = None) -> None:
    """A link that opens the complaint page for ``ticket`` inside the app."""
    try:
        st.page_link(
            str(COMPLAINT_PAGE),
            label=label or ticket,
            query_params={"tiket": ticket},
            icon=":material/description:",
        )
    except StreamlitPageNotFoundError:
        # Page run on its own (not through app.py's navigation): a plain link.
        st.markdown(f"[{esc(label or ticket)}](pengaduan?tiket={quote(ticket)})")


def time_left(minutes: int | None, *, day_minutes: int | None = None) -> str:
    """ "1 jam 5 menit lagi", "lewat 45 menit" or "lewat 12 hari kerja" (working time)."""
    if minutes is None:
        return "-"
    span = durasi(abs(minutes))
    if day_minutes and abs(minutes) >= day_minutes:
        span = f"{abs(minutes) / day_minutes:.1f}".replace(".", ",").removesuffix(",0")
        span += " hari kerja"
    return f"lewat {span}" if minutes < 0 else f"{span} lagi"


def days_left(days: float | None) -> str:
    """ "4,5 hari kerja lagi" or "lewat 2 hari kerja"."""
    if days is None:
        return "-"
    text = f"{abs(days):.1f}".replace(".", ",").removesuffix(",0")
    return f"lewat {text} hari kerja" if days < 0 else f"{text} hari kerja lagi"


def status_mark(status: str) -> str:
    return STATUS_MARKS.get(status, status)


def render_list(page: ListPage, *, empty: str) -> None:
    """One row per complaint: its link, then what it is about and its step deadline.

    Two cells per row keep a page of 25 rows cheap to draw (the page must stay as fast
    with 100,000 complaints as with a few: see benchmarks/bench_pages.py). The cells sit
    in a wrapping flex row, not in fixed-ratio columns: the ticket link keeps its own
    width (never cut, at any window width) and the text takes the rest of the row.
    """
    if not page.items:
        st.info(empty)
        return
    for item in page.items:
        _row(item)


def _row(item: ListItem) -> None:
    row = st.container(
        horizontal=True, wrap=False, vertical_alignment="center", key=f"row-{item.ticket}"
    )
    with row:
        complaint_link(item.ticket)
    lock = " :material/lock:" if item.confidential else ""
    if item.step is None:
        clock = f"Selesai · {tanggal_jam(item.closed_at)}" if item.closed_at else "Selesai"
    else:
        clock = (
            f"{status_mark(item.status)} · "
            f"{time_left(item.minutes_left, day_minutes=item.day_minutes)} · Langkah "
            f"{item.step}, tenggat {tanggal_jam(item.due_at)}"
        )
    row.markdown(
        f"**{esc(item.subject)}** · {clock}  \n"
        f":gray[{esc(item.complainant)}{lock} · {esc(item.channel_label)} · "
        f"{esc(item.category)} · diterima {tanggal(item.received_at)} · "
        f"{esc(item.step_label)}]{snippet_markdown(item.snippet)}",
        width="stretch",
    )


def snippet_markdown(pieces: Sequence[tuple[str, bool]]) -> str:
    """A search snippet on a line of its own ("" without one), its matches marked: every
    piece escaped (``esc``), then a match put in a highlight directive, so the marking is
    ours and the text stays text."""
    if not pieces:
        return ""
    return "  \n" + "".join(
        f":orange-background[{esc(piece)}]" if match else esc(piece) for piece, match in pieces
    )


def page_caption(page: ListPage) -> str:
    if not page.total:
        return "Tidak ada pengaduan."
    first = (page.page - 1) * page.page_size + 1
    last = first + len(page.items) - 1
    if page.capped:
        cap = f"{page.total:,}".replace(",", ".")
        return (
            f"Menampilkan {first}-{last} dari lebih dari {cap} pengaduan "
            f"(halaman {page.page} dari {page.pages}). Yang ditampilkan hanya {cap} "
            "pengaduan terbaru yang cocok; persempit pencarian dengan kata lain atau saringan."
        )
    return (
        f"Menampilkan {first}-{last} dari {page.total} pengaduan "
        f"(halaman {page.page} dari {page.pages})."
    )


# --- the complaint page -------------------------------------------------------------


def render_summary(detail: ComplaintDetail) -> None:
    """Ticket, step, complainant (or why it is hidden), subject and text."""
    flags = []
    if detail.confidential:
        flags.append(":lock: Rahasia")
    if detail.anonymous:
        flags.append("Anonim")
    if detail.supervisory:
        flags.append("Berkadar pengawasan")
    st.markdown(f"**{esc(detail.step_label)}**" + (f"  \n{' · '.join(flags)}" if flags else ""))
    left, right = st.columns(2)
    with left:
        st.markdown("##### Pengadu")
        if detail.anonymous:
            # The name is shown to nobody; the contact details (for the reply) only to
            # the roles that may see them (services.identity.disclosure).
            contact = detail.identity
            st.markdown(
                "Anonim (nama pengadu tidak ditampilkan)."
                + (
                    f"  \nTelepon: {esc(contact.phone)}  \nPos-el: {esc(contact.email)}  \n"
                    f"Alamat: {esc(contact.address)}"
                    if contact is not None
                    else ""
                )
            )
        elif detail.identity is None:
            st.markdown(
                f"{HIDDEN}  \n:gray[Identitas pengadu pengaduan rahasia hanya "
                "dapat dilihat Petugas Pelayanan, Subbagian Umum dan Kepala Dinas.]"
            )
        else:
            ident = detail.identity
            st.markdown(
                f"**{esc(ident.name)}**  \n"
                f"Telepon: {esc(ident.phone)}  \nPos-el: {esc(ident.email)}  \n"
                f"Alamat: {esc(ident.address)}"
            )
    with right:
        st.markdown("##### Data pengaduan")
        st.markdown(
            f"Saluran: {esc(detail.channel_label)}  \n"
            f"Kategori: {esc(detail.category)}  \n"
            f"Bentuk: {esc(detail.form_label)}  \n"
            f"{arrival_label(detail.channel)}: {tanggal_jam(detail.arrived_at)}  \n"
            f"Diterima: {tanggal_jam(detail.received_at)}"
            + (f"  \nBuku tamu: {esc(detail.guest_book_entry)}" if detail.guest_book_entry else "")
        )
    st.markdown(f"##### Perihal: {esc(detail.subject)}")
    st.markdown(esc(detail.body))
    facts = [
        ("Nomor agenda TNDE", detail.agenda_number),
        ("Sifat surat", detail.sifat),
        ("Unit", ", ".join(detail.units) if detail.units else None),
        ("Putaran draf jawaban", str(detail.draft_rounds) if detail.draft_rounds else None),
        ("Paraf Kepala Dinas", tanggal_jam(detail.approved_at) if detail.approved_at else None),
        ("Ditandatangani", tanggal_jam(detail.signed_at) if detail.signed_at else None),
        ("Nomor surat jawaban", detail.letter_number),
        (
            "Disampaikan",
            f"{tanggal_jam(detail.delivered_at)} ({detail.delivery_label})"
            if detail.delivered_at
            else None,
        ),
        ("Kode arsip", detail.archive_code),
        ("Lokasi arsip", detail.archive_location),
        ("Hasil penyelesaian lisan", detail.oral_outcome),
    ]
    shown = [(label, value) for label, value in facts if value]
    if shown:
        st.markdown("  \n".join(f"{label}: {esc(value)}" for label, value in shown))
    if detail.reply_body and not detail.previews_letter:
        # At the steps that work on the letter, the preview shows it (ui.documents).
        with st.expander("Draf surat jawaban terakhir"):
            st.markdown(esc(detail.reply_body))


def render_clocks(detail: ComplaintDetail) -> None:
    """The step clock (SOP) and the regulatory clocks (SP4N-LAPOR!)."""
    left, right = st.columns(2)
    with left:
        st.markdown("##### Jam langkah (SOP)")
        clock = detail.step_clock
        if clock is None:
            st.markdown(f"Pengaduan selesai {tanggal_jam(detail.closed_at)}.")
        else:
            st.markdown(
                f"Tenggat langkah {clock.step}: **{tanggal_jam(clock.due_at)}**  \n"
                f"Standar {durasi(clock.standard_minutes)} kerja · "
                f"{time_left(clock.minutes_left)} · {status_mark(clock.status)}"
            )
    with right:
        st.markdown("##### Jam regulasi (SP4N-LAPOR!)")
        lines = []
        for reg in detail.regulatory:
            if reg.done_at is not None:
                state = ":green[tepat waktu]" if reg.status == "tepat waktu" else ":red[terlambat]"
                lines.append(f"{esc(reg.label)}: selesai {tanggal_jam(reg.done_at)} ({state})")
            else:
                state = ":red[**terlambat**]" if reg.status == "terlambat" else "berjalan"
                lines.append(
                    f"{esc(reg.label)}: tenggat {tanggal(reg.due_at)} ({state}, "
                    f"{days_left(reg.days_left)})"
                )
        st.markdown("  \n".join(lines))


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} B"


def render_documents(detail: ComplaintDetail, *, fetch: Callable[[int], bytes]) -> None:
    """Every stored document the user may see, each with its download button."""
    if not detail.documents and not detail.hidden_documents:
        st.caption("Belum ada dokumen.")
    for doc in detail.documents:
        st.download_button(
            f"{doc.kind_label}: {esc(doc.filename)} ({_size(doc.size)})",
            data=partial(fetch, doc.id),
            file_name=doc.filename,
            mime=doc.content_type,
            key=f"doc-{doc.id}",
            on_click="ignore",
            icon=":material/download:",
        )
        st.caption(
            f"Langkah {doc.step or '-'} · {tanggal_jam(doc.uploaded_at)} · "
            f"{esc(doc.uploaded_by or 'Pengadu')}"
        )
    if detail.hidden_documents:
        st.caption(
            f"{detail.hidden_documents} dokumen memuat identitas pengadu yang dirahasiakan "
            "dan tidak ditampilkan."
        )


def step_channel_category(
    step_col, channel_col, category_col, *, steps: Sequence[int], prefix: str
) -> tuple[int | None, str | None, str | None]:
    """The step, channel and category filters of a list, keyed ``{prefix}_step`` etc."""
    step = step_col.selectbox(
        "Langkah",
        steps,
        index=None,
        format_func=sop.step_label,
        key=f"{prefix}_step",
        placeholder="Semua langkah",
    )
    channel = channel_col.selectbox(
        "Saluran",
        [c.value for c in sop.Channel],
        index=None,
        format_func=lambda v: sop.CHANNEL_LABELS[sop.Channel(v)],
        key=f"{prefix}_channel",
        placeholder="Semua",
    )
    category = category_col.selectbox(
        "Kategori", sop.CATEGORIES, index=None, key=f"{prefix}_category", placeholder="Semua"
    )
    return step, channel, category


def page_number(key: str, filters: tuple) -> int:
    """The page chosen in a ``st.pagination`` with ``key``; back to 1 when filters change."""
    marker = f"{key}:filters"
    if st.session_state.get(marker) != filters:
        st.session_state[marker] = filters
        st.session_state.pop(key, None)
    return st.session_state.get(key, 1)


def pagination(key: str, page: ListPage) -> None:
    """Page buttons under a list (none when everything fits on one page)."""
    if page.pages <= 1:
        return
    if st.session_state.get(key, 1) > page.pages:
        st.session_state.pop(key, None)
    st.pagination(page.pages, default=page.page, key=key)
