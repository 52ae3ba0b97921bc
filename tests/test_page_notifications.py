"""The "Pemberitahuan" page and its badge: a unit user sees their reminders, unread
first marked "Baru", and opens the complaint from the list (which marks it read)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services import notifications
from tests.apptest_helpers import open_page, texts, unescape
from tests.factories import state
from tests.test_navigation import APP, titles
from tests.test_notifications import BREACH, at_drafting
from ui.session import USER_KEY


def test_the_unit_user_sees_the_list_and_opens_the_complaint_from_it(staff):
    ticket = state(at_drafting(staff)).ticket
    notifications.evaluate(now=BREACH)

    at = open_page("notifications", staff.unit_kop)
    shown = unescape(texts(at))
    assert "Terlambat" in shown and ticket in shown
    assert "1 pemberitahuan, 1 belum dibaca." in shown
    assert ":orange-badge[Baru]" in [m.value for m in at.markdown]
    at.button(key=f"n_open_{notifications.inbox(user_id=staff.unit_kop.id)[0].id}").click().run()
    assert not at.exception
    assert notifications.unread_count(user_id=staff.unit_kop.id) == 0
    assert at.query_params["tiket"] == ticket

    other = open_page("notifications", staff.unit_ukm)  # another unit: nothing
    assert "Belum ada pemberitahuan." in texts(other)


def test_the_navigation_and_sidebar_carry_the_unread_count(staff):
    ticket = state(at_drafting(staff)).ticket
    notifications.evaluate(now=BREACH)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[USER_KEY] = staff.unit_kop.id
    at.run()
    assert not at.exception
    assert titles(at)["pemberitahuan"] == "Pemberitahuan (1)"
    badges = [m.value for m in at.sidebar.markdown if "badge[" in m.value]
    assert any("1 pemberitahuan belum dibaca" in b for b in badges), badges
    at.switch_page("pages/notifications.py").run()
    [item] = notifications.inbox(user_id=staff.unit_kop.id)
    at.button(key=f"n_open_{item.id}").click().run()
    assert not at.exception
    assert f"Pengaduan {ticket}" in [t.value for t in at.title]  # the complaint page
