"""Changing office hours or holidays recomputes the stored step deadlines of open
complaints (``services.calendar_settings.recompute_open_deadlines``), in the same
transaction, without bumping the optimistic lock and without a step event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from db.engine import read_session, write_session
from db.models import Complaint, LocalHoliday, Setting
from layanan import clocks
from services import admin, calendar_settings, workflow
from services.calendar_settings import OFFICE_HOURS_KEY
from tests.factories import bring_to, events, payload_for, state, version_of

MONDAY_9 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Senin 23 November 2026, 09:00 WITA
SHORT_DAYS = {d: ("10:00", "14:00") for d in range(5)}  # opens after 09:00


def stored(complaint_id: int) -> Complaint:
    return state(complaint_id)


def expected_due(complaint: Complaint) -> datetime:
    with read_session() as session:
        calendar = calendar_settings.load_calendar(session)
    return clocks.step_due_at(calendar, complaint.current_step, complaint.step_entered_at)


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        yield clock


def test_new_office_hours_recompute_open_deadlines_without_bumping_the_version(staff, frozen):
    open_ids = [bring_to(staff, 4), bring_to(staff, 7)]
    closed_id = bring_to(staff, None, oral=True)
    frozen.shift(timedelta(hours=2))
    before = {cid: stored(cid) for cid in open_ids}
    events_before = {cid: len(events(cid)) for cid in open_ids}

    seen: list[tuple[float, str]] = []
    count = admin.save_office_hours(
        acting_user_id=staff.admin.id,
        hours=SHORT_DAYS,
        progress=lambda fraction, text: seen.append((fraction, text)),
    )

    assert count == 2
    assert seen[-1][0] == 1.0 and "2 dari 2" in seen[-1][1]
    for cid in open_ids:
        after = stored(cid)
        assert after.step_due_at == expected_due(after)
        assert after.step_due_at != before[cid].step_due_at  # 4-hour days: later
        assert after.step_due_at > before[cid].step_due_at
        assert after.version == before[cid].version
        assert after.step_entered_at == before[cid].step_entered_at
        assert after.current_step == before[cid].current_step
        assert len(events(cid)) == events_before[cid]
    assert stored(closed_id).step_due_at is None


def test_the_clerk_still_acts_with_the_version_the_page_had(staff, frozen):
    cid = bring_to(staff, 4)
    version = version_of(cid)
    admin.save_office_hours(acting_user_id=staff.admin.id, hours=SHORT_DAYS)
    # The page loaded before the change still carries ``version``: no lost race.
    workflow.perform(
        complaint_id=cid,
        action="classify_written",
        user_id=staff.subbag.id,
        expected_version=version,
        payload=payload_for("classify_written", staff),
    )
    assert stored(cid).version == version + 1


def test_a_local_holiday_on_the_due_day_moves_the_deadline_past_it(staff, frozen):
    cid = bring_to(staff, 7)  # several working days of standard from Monday
    due = stored(cid).step_due_at
    with read_session() as session:
        tz = calendar_settings.load_calendar(session).tz
    day = due.astimezone(tz).date()
    assert admin.add_local_holiday(acting_user_id=staff.admin.id, day=day, name="HUT Kota") == 1
    moved = stored(cid).step_due_at
    assert moved.astimezone(tz).date() > day
    assert moved == expected_due(stored(cid))
    assert admin.undo_local_change(acting_user_id=staff.admin.id, day=day) == 1
    assert stored(cid).step_due_at == due


def test_cancelling_a_national_holiday_recomputes_too(staff):
    # Friday 25 December 2026 is Christmas: a step entered the day before is due later.
    with time_machine.travel(datetime(2026, 12, 24, 1, 0, tzinfo=UTC), tick=False):
        cid = bring_to(staff, 7)
        due = stored(cid).step_due_at
        count = admin.cancel_national_holiday(
            acting_user_id=staff.admin.id, day=date(2026, 12, 25), reason="Tetap melayani"
        )
    assert count == 1
    assert stored(cid).step_due_at < due
    assert stored(cid).step_due_at == expected_due(stored(cid))


def test_a_failed_recompute_keeps_the_old_hours_and_deadlines(staff, frozen, monkeypatch):
    cid = bring_to(staff, 4)
    due = stored(cid).step_due_at

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(calendar_settings, "step_due_at", broken)
    with pytest.raises(RuntimeError):
        admin.save_office_hours(acting_user_id=staff.admin.id, hours=SHORT_DAYS)
    with read_session() as session:
        assert session.get(Setting, OFFICE_HOURS_KEY) is None
        assert session.scalar(select(LocalHoliday).limit(1)) is None
    assert stored(cid).step_due_at == due


def test_recompute_runs_in_batches(staff, frozen, monkeypatch):
    monkeypatch.setattr(calendar_settings, "RECOMPUTE_BATCH", 2)
    ids = [bring_to(staff, 4) for _ in range(5)]
    seen: list[float] = []
    with write_session() as session:
        calendar_settings.save_office_hours(session, SHORT_DAYS)
        count = calendar_settings.recompute_open_deadlines(
            session, progress=lambda fraction, _text: seen.append(fraction)
        )
    assert count == 5
    assert seen == [0.0, 0.4, 0.8, 1.0]
    assert all(stored(c).step_due_at == expected_due(stored(c)) for c in ids)
