"""My queue, per role: what waits for whom, marks, counts, search, filters, pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.apptest_helpers import open_page, texts, tickets, unescape
from tests.factories import bring_to, new_complaint, state


def shown(at) -> str:
    return unescape(texts(at))


def test_each_role_sees_the_complaints_waiting_at_its_steps(staff):
    at_3 = state(bring_to(staff, 3)).ticket
    at_7 = state(bring_to(staff, 7)).ticket
    at_10 = state(bring_to(staff, 10)).ticket
    at_12 = state(bring_to(staff, 12)).ticket
    assert tickets(open_page("queue", staff.petugas)) == [at_3]
    assert tickets(open_page("queue", staff.kepala)) == [at_7]
    assert tickets(open_page("queue", staff.sekretaris)) == [at_10]
    assert tickets(open_page("queue", staff.arsiparis)) == [at_12]
    assert tickets(open_page("queue", staff.subbag)) == []
    assert "Tidak ada pengaduan yang menunggu Anda." in shown(open_page("queue", staff.subbag))


def test_a_unit_does_not_see_a_complaint_dispositioned_to_another_unit(staff):
    ticket = state(bring_to(staff, 8)).ticket  # dispositioned to unit_kop
    assert tickets(open_page("queue", staff.unit_kop)) == [ticket]
    assert tickets(open_page("queue", staff.unit_ukm)) == []


def test_admin_and_visitors_have_no_queue(staff):
    assert "tidak memiliki akses" in shown(open_page("queue", staff.admin))
    assert "Silakan masuk" in shown(open_page("queue", None))


def test_overdue_and_due_soon_marks_with_time_left_in_working_time(staff):
    new_complaint(staff, now=datetime.now(UTC) - timedelta(days=7))
    bring_to(staff, 3)
    at = open_page("queue", staff.petugas)
    text = shown(at)
    assert ":red[**Terlambat**]" in text
    assert "lewat " in text  # time past the deadline, in working time
    assert "menit lagi" in text  # the fresh one: time left before its deadline
    [metric] = at.metric
    assert (metric.label, metric.value) == ("Langkah 3", "2")


def test_search_and_filters(staff):
    letter = state(bring_to(staff, 3, channel="surat", subject="Koperasi tidak RAT")).ticket
    walk_in = state(bring_to(staff, 3, complainant_name="Budi Santoso")).ticket
    at = open_page("queue", staff.petugas)
    assert sorted(tickets(at)) == sorted([letter, walk_in])
    at.text_input(key="q_text").input("budi").run()
    assert tickets(at) == [walk_in]
    at.text_input(key="q_text").input("").run()
    at.selectbox(key="q_channel").select("surat").run()
    assert tickets(at) == [letter]
    at.selectbox(key="q_channel").select(None).run()
    at.checkbox(key="q_overdue").check().run()
    assert tickets(at) == []
    assert [o for o in at.selectbox(key="q_step").options] == [
        "Langkah 1: Pengadu mendatangi dinas dan menemui Petugas Pelayanan",
        "Langkah 2: Menerima tamu yang bermaksud menyampaikan pengaduan",
        "Langkah 3: Menyampaikan ke Subbagian Kepegawaian dan Umum",
        "Langkah 11: Menyampaikan surat jawaban kepada pengadu (langsung, pos-el, WhatsApp)",
    ]


def test_the_queue_is_paginated(staff):
    now = datetime.now(UTC)
    made = [new_complaint(staff, now=now - timedelta(minutes=30 - i)) for i in range(27)]
    at = open_page("queue", staff.petugas)
    assert "Menampilkan 1-25 dari 27 pengaduan (halaman 1 dari 2)." in shown(at)
    assert len(tickets(at)) == 25
    at.get("pagination")[0].set_value(2).run()
    assert "Menampilkan 26-27 dari 27 pengaduan (halaman 2 dari 2)." in shown(at)
    assert tickets(at) == [c.ticket for c in made[-2:]]
    at.text_input(key="q_text").input("ADU").run()  # new filters: back to page 1
    assert "(halaman 1 dari 2)" in shown(at)


def test_a_confidential_complainant_is_masked_in_the_secretarys_queue(staff):
    bring_to(staff, 10, confidential=True, complainant_name="Rahmat Hidayat")
    text = shown(open_page("queue", staff.sekretaris))
    assert "Rahmat" not in text and "[dirahasiakan]" in text


def test_each_row_keeps_the_ticket_whole_beside_its_text(staff):
    """Issue 12, item 9: no fixed-ratio column that clips the ticket at 1024-1400 px.

    Each row is a flex row that does not wrap: the ticket link at its own width (content),
    the text stretching over the rest; no ``st.columns`` cell around the ticket. (The
    widths in pixels are checked in the browser: tests/e2e/test_clerk_day_intake.py.)
    """
    from streamlit.proto.Block_pb2 import Block

    tickets_shown = [state(bring_to(staff, 3)).ticket for _ in range(2)]
    at = open_page("queue", staff.petugas)
    rows = []

    def is_link(node) -> bool:  # a page link, or its plain fallback outside app.py
        return node.type == "page_link" or (
            node.type == "markdown" and node.value.startswith("[ADU")
        )

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            kids = list(getattr(child, "children", {}).values())
            if getattr(child, "type", None) == "column":
                assert not any(is_link(k) for k in kids), "a ticket in a fixed-width column"
            if getattr(child, "type", None) == "flex_container" and kids and is_link(kids[0]):
                rows.append((child, kids))
            walk(child)

    walk(at.main)
    assert len(rows) == len(tickets_shown) and sorted(tickets(at)) == sorted(tickets_shown)
    for row, (_link, text) in rows:
        flex = row.proto.flex_container
        assert flex.direction == Block.FlexContainer.Direction.HORIZONTAL
        assert not flex.wrap  # the text never drops below the ticket
        assert text.type == "markdown" and "diterima" in text.value  # ticket, then its text
