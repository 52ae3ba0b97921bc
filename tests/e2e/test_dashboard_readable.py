"""In the browser: the dashboard reads as Indonesian and in date order.

Complaints received in different weeks over different channels: the weekly axis runs
in date order with "2 Nov"-style dates (not ISO, not in the order the traces first
mention the weeks), the donut uses a decimal comma, the overdue list shows whole
tickets, and an empty satisfaction chart says "Belum ada penilaian" in words.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from layanan.calendar import OFFICE_TZ
from tests.e2e.conftest import ROOT
from tests.e2e.test_dashboard_page import log_in

SHOTS = "/tmp/wt-dash-shots"

SEED = """
import sys
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from db.engine import write_session
from layanan import sop
from services.seed import ensure_demo_users
from tests.factories import actor_for, do, new_complaint, payload_for
with write_session() as session:
    users = ensure_demo_users(session)
    for user in users.values():
        session.expunge(user)
staff = SimpleNamespace(**users)
now = datetime.now(UTC)
tickets = []
for channel, days_ago in ((sop.Channel.EMAIL, 20), (sop.Channel.EMAIL, 0),
                          (sop.Channel.SURAT, 26)):
    created = new_complaint(staff, channel=channel, now=now - timedelta(days=days_ago))
    tickets.append(created.ticket)
oral = new_complaint(staff, channel=sop.Channel.TELEPON, now=now - timedelta(days=1))
for action in ("hand_over", "classify_oral"):
    do(actor_for(action, staff), oral.complaint_id, action, payload_for(action, staff))
print(" ".join(tickets))
"""


def seed(database_url: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SEED],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.split()


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@pytest.mark.e2e
def test_the_dashboard_reads_in_date_order_with_decimal_commas(page, e2e_database):
    tickets = seed(e2e_database)
    log_in(page, "kepala")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Dasbor").click()
    expect(page.get_by_role("heading", name="Dasbor pemantauan pengaduan")).to_be_visible(
        timeout=30_000
    )
    channel_chart = page.get_by_test_id("stPlotlyChart").first
    ticks = channel_chart.locator(".xtick text")
    expect(ticks.first).to_be_visible(timeout=30_000)
    labels = ticks.evaluate_all("els => els.map(e => e.textContent)")
    today = datetime.now(OFFICE_TZ).date()
    weeks = [monday(today - timedelta(days=d)) for d in (26, 20, 0)]
    expected = [format_date(w, "d MMM", locale="id") for w in weeks]
    assert [label for label in labels if label in expected] == expected, labels
    assert not any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", label) for label in labels), labels

    donut = page.get_by_test_id("stPlotlyChart").nth(1)
    slices = donut.locator(".slicetext")
    expect(slices.first).to_be_visible()
    texts = slices.evaluate_all("els => els.map(e => e.textContent)")
    assert texts and all(re.fullmatch(r"\d+,\d%", t) for t in texts), texts
    channel_chart.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/dashboard-volume.png")

    page.get_by_role("tab", name="Waktu per langkah").click()
    steps_chart = page.locator(".st-key-dash_chart_steps [data-testid=stPlotlyChart]")
    step_ticks = steps_chart.locator(".xtick text")
    expect(step_ticks.first).to_be_attached()
    names = step_ticks.evaluate_all("els => els.map(e => e.textContent)")
    assert names and all(re.fullmatch(r"Langkah \d+", n) for n in names), names
    steps_chart.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/dashboard-steps.png")

    page.get_by_role("tab", name="Antrean dan keterlambatan").click()
    oldest = tickets[2]  # received 26 days ago: among the most overdue
    link = page.get_by_test_id("stPageLink-NavLink").filter(has_text=oldest).first
    expect(link).to_be_visible()
    cut = link.evaluate(
        "el => [...el.querySelectorAll('*')].concat([el])"
        ".some(e => e.scrollWidth > e.clientWidth + 1)"
    )
    assert not cut, "the ticket is cut off in the overdue list"
    link.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/dashboard-overdue.png")

    page.get_by_role("tab", name="Kepatuhan dan kepuasan").click()
    expect(page.get_by_text("Belum ada penilaian pada periode ini")).to_be_visible()
    page.get_by_text("Belum ada penilaian pada periode ini").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/dashboard-quality.png")
