"""In the browser: the admin changes office hours and the open complaints' deadlines
follow, with the count in the confirmation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT
from tests.e2e.test_dashboard_page import log_in
from tests.e2e.test_dashboard_readable import SHOTS

SEED = """
from types import SimpleNamespace
from db.engine import write_session
from services.seed import ensure_demo_users
from tests.factories import new_complaint
with write_session() as session:
    users = ensure_demo_users(session)
    for user in users.values():
        session.expunge(user)
print(new_complaint(SimpleNamespace(**users)).complaint_id)
"""

CHECK = """
import json, sys
from datetime import UTC
from db.engine import read_session
from db.models import Complaint
from layanan.clocks import step_due_at
from services.calendar_settings import load_calendar
with read_session() as session:
    calendar = load_calendar(session)
    c = session.get(Complaint, int(sys.argv[1]))
    due = step_due_at(calendar, c.current_step, c.step_entered_at)
    print(json.dumps({
        "saturday": 5 in calendar.office_hours,
        "version": c.version,
        "stored": c.step_due_at.astimezone(UTC).isoformat(),
        "expected": due.astimezone(UTC).isoformat(),
    }))
"""


def run(database_url: str, script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def save_hours(page, *, saturday: bool) -> None:
    page.get_by_role("tab", name="Jam kerja").click()
    box = page.get_by_test_id("stCheckbox").filter(has_text="Sabtu")
    expect(box).to_be_visible()
    (box.get_by_role("checkbox").check if saturday else box.get_by_role("checkbox").uncheck)(
        force=True
    )
    page.get_by_role("button", name="Simpan jam kerja").click()


@pytest.mark.e2e
def test_saving_office_hours_recomputes_the_open_deadlines(page, e2e_database):
    complaint_id = run(e2e_database, SEED)
    before = json.loads(run(e2e_database, CHECK, complaint_id))
    log_in(page, "admin")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Administrasi").click()
    expect(page.get_by_role("heading", name="Administrasi")).to_be_visible(timeout=30_000)

    save_hours(page, saturday=True)
    done = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Jam kerja disimpan")
    expect(done).to_contain_text("pengaduan yang sedang berjalan dihitung ulang.")
    expect(done).to_contain_text("Jam kerja disimpan; tenggat ")
    page.screenshot(path=f"{SHOTS}/admin-hours.png")
    after = json.loads(run(e2e_database, CHECK, complaint_id))
    assert after["saturday"] and after["stored"] == after["expected"]
    assert after["version"] == before["version"]

    save_hours(page, saturday=False)  # the other browser tests keep a five-day week
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(has_text="Jam kerja disimpan")
    ).to_be_visible()
    restored = json.loads(run(e2e_database, CHECK, complaint_id))
    assert not restored["saturday"] and restored["stored"] == restored["expected"]
