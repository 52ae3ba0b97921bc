"""Browser: a unit user sees the unread badge and the Pemberitahuan list, and opens the
complaint from it. Its own app server and database (a complaint late at the unit's step),
so the shared e2e database keeps only the complaints the other browser tests create."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import config
from db import engine as db_engine
from db.engine import read_session, write_session
from db.models import User
from services import notifications
from services.seed import DEMO_PASSWORD, ensure_demo_users
from tests.e2e.conftest import running_app
from tests.factories import state
from tests.test_notifications import at_drafting

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)


def test_a_unit_user_sees_the_badge_and_the_list_and_opens_the_complaint(
    browser, tmp_path, monkeypatch
):
    url = f"sqlite:///{tmp_path / 'notify.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    config.get_settings.cache_clear()
    try:
        with write_session() as session:
            ensure_demo_users(session)
        with read_session() as session:
            users = {u.username: u for u in session.scalars(select(User))}
            session.expunge_all()
        staff = SimpleNamespace(**users)
        # A week at the unit's drafting step: late, in real time.
        complaint_id = at_drafting(staff, entered=datetime.now(UTC) - timedelta(days=7))
        ticket = state(complaint_id).ticket
        assert notifications.evaluate().notifications >= 1
    finally:
        db_engine.dispose_all()
        config.get_settings.cache_clear()

    with running_app(url, tmp_path / "streamlit.log") as app_url:
        context = browser.new_context(base_url=app_url, locale="id-ID")
        page = context.new_page()
        page.goto(app_url + "/")
        page.get_by_label("Nama pengguna").fill("unit_kop")
        page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page.get_by_text("1 pemberitahuan belum dibaca")).to_be_visible()
        page.get_by_role("link", name="Pemberitahuan (1)").click()
        expect(page.get_by_role("heading", name="Pemberitahuan")).to_be_visible()
        expect(page.get_by_text(f"Terlambat · {ticket}")).to_be_visible()
        page.get_by_role("button", name="Buka pengaduan").click()
        expect(page.get_by_role("heading", name=f"Pengaduan {ticket}")).to_be_visible()
        expect(page.get_by_text("pemberitahuan belum dibaca")).to_have_count(0)
        context.close()
