"""In the browser: Sub Bagian Umum corrects the intake flags at verification (the
self-loop "Koreksi data penerimaan" of the SOP table), with the reason recorded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_admin_calendar import run
from tests.e2e.test_dashboard_readable import SHOTS
from tests.e2e.test_staff_flow import form, login, open_complaint

SEED = """
from types import SimpleNamespace
from db.engine import write_session
from services.seed import ensure_demo_users
from tests.factories import bring_to, state
with write_session() as session:
    users = ensure_demo_users(session)
    for user in users.values():
        session.expunge(user)
print(state(bring_to(SimpleNamespace(**users), 4)).ticket)
"""

TITLE = "Koreksi data penerimaan"


@pytest.mark.e2e
def test_verification_marks_a_complaint_confidential_with_a_reason(browser, app_url, e2e_database):
    ticket = run(e2e_database, SEED)
    page = login(browser, app_url, "subbag")
    open_complaint(page, app_url, ticket)
    correction = form(page, TITLE)
    expect(correction).to_be_visible()
    correction.get_by_text("Rahasia (identitas hanya untuk").click()
    correction.get_by_text("Berkadar pengawasan (penyelesaian").click()
    correction.get_by_label("Alasan").fill("Pemohon meminta identitasnya dirahasiakan.")
    correction.get_by_role("button", name=TITLE).click()
    expect(page.get_by_text(f"{TITLE}: pengaduan {ticket}").first).to_be_visible()
    # The summary line under the step names both flags now ("🔒 Rahasia · Berkadar ...").
    expect(page.get_by_text("Rahasia · Berkadar pengawasan")).to_be_visible()
    # The ticks now start at the complaint's flags, and the split is still offered.
    again = form(page, TITLE)
    confidential = again.get_by_role("checkbox", name="Rahasia (identitas hanya untuk")
    # While the rerun replaces the form, the old and the new box stand side by side.
    expect(confidential).to_have_count(1)
    expect(confidential).to_be_checked()
    expect(form(page, "Pengaduan tertulis: proses di TNDE")).to_be_visible()
    expect(page.get_by_text("Pemohon meminta identitasnya dirahasiakan.").first).to_be_attached()
    again.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/step4-correction.png", full_page=True)
    page.context.close()
