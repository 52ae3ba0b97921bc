"""Working time: office hours, weekends, national holidays and cuti bersama."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from layanan.calendar import OFFICE_TZ, WorkingCalendar, day_bounds, day_start, office_today
from layanan.clocks import RegulatoryStandards, regulatory_clocks

CAL = WorkingCalendar()


def wita(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=OFFICE_TZ)


def test_a_plain_morning_counts_every_minute():
    assert CAL.working_minutes(wita(2026, 11, 23, 8, 0), wita(2026, 11, 23, 9, 30)) == 90


def test_time_outside_office_hours_does_not_count():
    # Monday 06:00 -> 08:00 counts only from 07:30; 15:00 -> 18:00 only to 16:00.
    assert CAL.working_minutes(wita(2026, 11, 23, 6), wita(2026, 11, 23, 8)) == 30
    assert CAL.working_minutes(wita(2026, 11, 23, 15), wita(2026, 11, 23, 18)) == 60


def test_a_weekend_is_not_working_time():
    # Friday 16:00 (office open until 16:30) -> Monday 08:00: 30 + 30 minutes.
    assert CAL.working_minutes(wita(2026, 11, 27, 16), wita(2026, 11, 30, 8)) == 60


def test_a_step_started_at_1550_on_a_friday_is_due_on_monday_morning():
    # 30 minutes: 40 minutes remain on Friday (closes 16:30), so it is due Friday 16:20;
    # a 60-minute step (step 8) runs over the weekend to Monday 07:50.
    assert CAL.add_working_minutes(wita(2026, 11, 27, 15, 50), 30) == wita(2026, 11, 27, 16, 20)
    assert CAL.add_working_minutes(wita(2026, 11, 27, 15, 50), 60) == wita(2026, 11, 30, 7, 50)


def test_a_national_holiday_is_skipped():
    # Independence Day, Monday 17 August 2026.
    assert CAL.is_holiday(date(2026, 8, 17))
    start = wita(2026, 8, 14, 16, 20)  # Friday, 10 minutes before closing
    assert CAL.add_working_minutes(start, 30) == wita(2026, 8, 18, 7, 50)
    assert CAL.working_minutes(start, wita(2026, 8, 18, 7, 50)) == 30


def test_a_cuti_bersama_day_is_skipped():
    # Thursday 24 December 2026 is cuti bersama for Christmas, Friday 25 is Christmas.
    assert CAL.is_holiday(date(2026, 12, 24)) and CAL.is_holiday(date(2026, 12, 25))
    start = wita(2026, 12, 23, 15, 45)  # Wednesday
    assert CAL.add_working_minutes(start, 30) == wita(2026, 12, 28, 7, 45)


def test_local_additions_and_removals_change_the_calendar():
    local = WorkingCalendar(
        added_holidays=frozenset({date(2026, 11, 30)}),  # e.g. a provincial day off
        removed_holidays=frozenset({date(2026, 12, 24)}),  # office opens on cuti bersama
    )
    assert not local.is_working_day(date(2026, 11, 30))
    assert local.is_working_day(date(2026, 12, 24))
    assert local.add_working_minutes(wita(2026, 11, 27, 16, 20), 30) == wita(2026, 12, 1, 7, 50)


def test_office_hours_are_configurable():
    saturday_office = WorkingCalendar(office_hours={5: (time(8), time(12))})
    assert saturday_office.working_minutes(wita(2026, 11, 27, 0), wita(2026, 11, 29, 0)) == 240


def test_deadline_at_closing_time_stays_on_that_day():
    assert CAL.add_working_minutes(wita(2026, 11, 23, 15, 30), 30) == wita(2026, 11, 23, 16, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        CAL.working_minutes(datetime(2026, 1, 1), datetime(2026, 1, 2))


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20)),
    minutes=st.integers(min_value=0, max_value=3000),
)
def test_adding_minutes_then_counting_them_gives_them_back(start, minutes):
    begin = start.replace(tzinfo=OFFICE_TZ)
    due = CAL.add_working_minutes(begin, minutes)
    assert CAL.working_minutes(begin, due) == minutes


def test_regulatory_clocks_count_working_days_from_receipt():
    received = wita(2026, 11, 27, 10)  # Friday
    clocks = regulatory_clocks(
        CAL,
        RegulatoryStandards(),
        received_at=received,
        supervisory=False,
        done_steps={4: wita(2026, 11, 30, 9)},
        form=None,
    )
    verification, follow_up, completion = clocks
    assert verification.due_at == wita(2026, 12, 2, 16)  # Wednesday closing
    assert verification.state(wita(2026, 12, 10)) == "tepat waktu"
    assert follow_up.due_at == wita(2026, 12, 4, 16, 30)  # Friday closing
    assert follow_up.state(wita(2026, 12, 10)) == "terlambat"
    assert completion.due_at == wita(2026, 12, 17, 16)  # 14th working day, a Thursday


def test_regulatory_days_skip_cuti_bersama_and_christmas():
    clocks = regulatory_clocks(
        CAL,
        RegulatoryStandards(),
        received_at=wita(2026, 12, 21, 9),
        supervisory=False,
        done_steps={},
        form=None,
    )
    # 22, 23, (24 cuti bersama, 25 Christmas), 28, 29, 30 December.
    assert clocks[1].due_at == wita(2026, 12, 30, 16)


def test_supervisory_complaints_get_sixty_working_days():
    clocks = regulatory_clocks(
        CAL,
        RegulatoryStandards(),
        received_at=wita(2026, 11, 27, 10),
        supervisory=True,
        done_steps={},
        form=None,
    )
    assert clocks[2].label.startswith("Penyelesaian (60")
    assert CAL.working_days_between(wita(2026, 11, 27, 16, 30), clocks[2].due_at) > 55


def test_standards_must_be_positive():
    with pytest.raises(ValueError):
        RegulatoryStandards(verification_days=0)


# --- one working-day length, one office-today, one local-day bounds -------------------


def test_a_working_day_is_mondays_hours():
    assert CAL.day_minutes == 510  # 07:30-16:00
    late = WorkingCalendar(office_hours={0: (time(8, 0), time(15, 0))})
    assert late.day_minutes == 420
    assert late.working_days_between(wita(2026, 11, 23, 8), wita(2026, 11, 24, 8)) == 1


def test_office_today_is_the_date_in_wita_not_in_utc():
    # 23:30 UTC on Sunday 22 November is 07:30 on Monday 23 November at the office.
    with time_machine.travel(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), tick=False):
        assert office_today() == date(2026, 11, 23)
    with time_machine.travel(datetime(2026, 11, 22, 15, 59, tzinfo=UTC), tick=False):
        assert office_today() == date(2026, 11, 22)  # 23:59 WITA
    assert office_today(datetime(2026, 11, 22, 16, 0, tzinfo=UTC)) == date(2026, 11, 23)
    with pytest.raises(ValueError):
        office_today(datetime(2026, 11, 22, 16, 0))


def test_local_day_bounds_are_wita_midnights_in_utc():
    assert day_start(date(2026, 11, 23)) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    lo, hi = day_bounds(date(2026, 11, 1), date(2026, 11, 30))
    assert lo == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert hi == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert lo.tzinfo is UTC and hi.tzinfo is UTC
    # The last minute of 30 November (WITA) is inside, midnight after it is not.
    assert lo <= wita(2026, 11, 30, 23, 59) < hi <= wita(2026, 12, 1, 0, 0)
