"""The timeline of a complaint: every event, who and when, working time against standard."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from layanan.text import durasi, tanggal_jam
from services.complaint_detail import TimelineEntry
from ui.complaint_view import esc


def render_timeline(entries: Sequence[TimelineEntry]) -> None:
    """One bordered block per event, oldest first."""
    if not entries:
        st.caption("Belum ada riwayat.")
        return
    for entry in entries:
        with st.container(border=True):
            title = f"{entry.seq}. Langkah {entry.step}: {entry.action_label}"
            if entry.draft_round:
                title += f" (draf ke-{entry.draft_round})"
            title = f"**{esc(title)}**"
            if entry.returned:
                title += " :red[(draf dikembalikan)]"
            st.markdown(title)
            standard = ":red[melewati standar]" if entry.late else ":green[sesuai standar]"
            st.markdown(
                f":gray[{esc(entry.actor_name)} ({esc(entry.role_label)}) · "
                f"{tanggal_jam(entry.at)} · {durasi(entry.working_minutes)} kerja dari standar "
                f"{durasi(entry.standard_minutes)}] {standard}  \n"
                f":gray[Lanjut ke: {esc(entry.to_label)}]"
            )
            short = [i for i in entry.items if not i.long]
            if short:
                st.markdown("  \n".join(f"{esc(i.label)}: **{esc(i.value)}**" for i in short))
            for item in (i for i in entry.items if i.long):
                if entry.returned:
                    st.warning(f"{esc(item.label)}: {esc(item.value)}")
                elif entry.draft_round:
                    with st.expander(f"{item.label} (draf ke-{entry.draft_round})"):
                        st.markdown(esc(item.value))
                else:
                    st.markdown(f"{esc(item.label)}:  \n{esc(item.value)}")
            if entry.note:
                st.markdown(f"Catatan: {esc(entry.note)}")
