"""Browser: the complainant stops the messages on /lacak, and the rest of the complaint's
life sends nothing more (issue 13). Its own app server and database, with e-mail to
complainants switched on and a real SMTP server the outbox sends through."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import config
from db import engine as db_engine
from db.engine import read_session, write_session
from db.models import OutboxMessage, User
from services import complainant_messages as cm
from services import outbox
from services.seed import ensure_demo_users
from tests.e2e.conftest import running_app
from tests.factories import new_complaint
from tests.test_complainant_messages import walk

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)


def _use(url: str, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    config.get_settings.cache_clear()
    db_engine.dispose_all()


def test_the_complainant_opts_out_on_lacak_and_receives_nothing_more(
    browser, tmp_path, monkeypatch, smtp_server
):
    inbox = smtp_server()
    url = f"sqlite:///{tmp_path / 'opt-out.db'}"
    _use(url, monkeypatch)
    with write_session() as session:
        ensure_demo_users(session)
    with read_session() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        session.expunge_all()
    staff = SimpleNamespace(**users)
    cm.save_settings(
        user_id=staff.admin.id,
        email=True,
        whatsapp=False,
        texts=dict(cm.DEFAULT_TEXTS),
        templates=dict(cm.DEFAULT_TEMPLATES),
    )
    created = new_complaint(staff)  # its "received" e-mail is queued, not yet sent
    db_engine.dispose_all()

    with running_app(url, tmp_path / "streamlit.log") as app_url:
        page = browser.new_page(base_url=app_url, locale="id-ID")
        page.goto(f"{app_url}/lacak?tiket={created.ticket}")
        expect(page.get_by_role("textbox", name="Nomor tiket", exact=True)).to_have_value(
            created.ticket
        )
        page.get_by_role("textbox", name="PIN", exact=True).fill(created.pin)
        page.get_by_role("button", name="Lacak").click()
        page.get_by_role("button", name="Berhenti menerima pesan").click()
        expect(
            page.get_by_text("Anda tidak lagi menerima pesan pos-el atau WhatsApp")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Berhenti menerima pesan")).to_have_count(0)
        page.close()

    _use(url, monkeypatch)
    walk(staff, created.complaint_id)  # disposition, reply, delivery, archive
    outbox.process_due()
    assert inbox.messages == []
    with read_session() as session:
        statuses = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.kind == cm.EMAIL_KIND)
        ).all()
    # Only the message queued before the opt-out, cancelled when the sender took it.
    assert statuses == [outbox.CANCELLED]
    db_engine.dispose_all()
