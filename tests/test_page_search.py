"""Search over every complaint: all staff, filters, pagination, masked identities."""

from __future__ import annotations

from tests.apptest_helpers import open_page, texts, tickets, unescape
from tests.factories import bring_to, new_complaint, state


def shown(at) -> str:
    return unescape(texts(at))


def test_every_staff_role_may_search_but_not_visitors_or_outsiders(staff):
    ticket = state(bring_to(staff, 3)).ticket
    for user in (
        staff.petugas,
        staff.subbag,
        staff.kepala,
        staff.sekretaris,
        staff.unit_ukm,
        staff.arsiparis,
        staff.admin,
    ):
        assert tickets(open_page("search", user)) == [ticket], user.username
    assert "tidak memiliki akses" in shown(open_page("search", staff.outsider))
    assert "Silakan masuk" in shown(open_page("search", None))


def test_search_by_ticket_name_and_text(staff):
    first = state(bring_to(staff, 3, complainant_name="Budi Santoso")).ticket
    second = state(bring_to(staff, 5, oral=True, body="Kotak pengaduan terkunci.")).ticket
    at = open_page("search", staff.unit_ukm)
    at.text_input(key="s_text").input(first.lower()).run()
    assert tickets(at) == [first]
    at.text_input(key="s_text").input("Budi").run()
    assert tickets(at) == [first]
    at.text_input(key="s_text").input("terkunci").run()
    assert tickets(at) == [second]


def test_filter_by_status_step_and_category(staff):
    closed = state(bring_to(staff, None, oral=True)).ticket
    open_ = state(bring_to(staff, 4)).ticket
    at = open_page("search", staff.kepala)
    at.selectbox(key="s_status").select("closed").run()
    assert tickets(at) == [closed]
    at.selectbox(key="s_status").select("open").run()
    assert tickets(at) == [open_]
    at.selectbox(key="s_status").select(None).run()
    at.selectbox(key="s_step").select(4).run()
    assert tickets(at) == [open_]
    at.selectbox(key="s_step").select(None).run()
    at.selectbox(key="s_category").select("Lainnya").run()
    assert "Tidak ada pengaduan yang cocok." in shown(at)


def test_confidential_identity_is_masked_and_not_searchable_by_name(staff):
    ticket = state(bring_to(staff, 7, confidential=True, complainant_name="Rahmat Hidayat")).ticket
    at = open_page("search", staff.sekretaris)
    assert tickets(at) == [ticket]
    assert "Rahmat" not in shown(at) and "[dirahasiakan]" in shown(at)
    at.text_input(key="s_text").input("Rahmat").run()
    assert tickets(at) == []
    at = open_page("search", staff.subbag)
    at.text_input(key="s_text").input("Rahmat").run()
    assert tickets(at) == [ticket] and "Rahmat Hidayat" in shown(at)


def test_search_results_are_paginated_newest_first(staff):
    made = [new_complaint(staff) for _ in range(26)]
    at = open_page("search", staff.admin)
    assert "Menampilkan 1-25 dari 26 pengaduan (halaman 1 dari 2)." in shown(at)
    assert tickets(at)[0] == made[-1].ticket
    at.get("pagination")[0].set_value(2).run()
    assert tickets(at) == [made[0].ticket]
