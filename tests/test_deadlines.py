"""Step and regulatory deadlines exposed for a complaint (frozen time)."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from services.deadlines import complaint_deadlines
from tests.factories import do, new_complaint, payload_for

# Friday 27 November 2026, 15:50 WITA (07:50 UTC).
FRIDAY_1550 = datetime(2026, 11, 27, 7, 50, tzinfo=UTC)


def test_a_complaint_received_friday_at_1550_has_its_deadlines_after_the_weekend(staff):
    with time_machine.travel(FRIDAY_1550, tick=False):
        created = new_complaint(staff)
        deadlines = complaint_deadlines(complaint_id=created.complaint_id)
    # Step 3 (30 working minutes) from 15:50 Friday: the office closes 16:30, so 16:20.
    assert deadlines.step == 3
    assert deadlines.step_due_at == datetime(2026, 11, 27, 8, 20, tzinfo=UTC)
    verification, follow_up, completion = deadlines.regulatory
    assert verification.due_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # Wed 16:00 WITA
    assert follow_up.due_at == datetime(2026, 12, 4, 8, 30, tzinfo=UTC)  # Fri 16:30 WITA
    assert completion.due_at == datetime(2026, 12, 17, 8, 0, tzinfo=UTC)  # Thu 16:00 WITA
    assert verification.done_at is None


def test_the_verification_clock_stops_when_sub_bagian_umum_classifies(staff):
    with time_machine.travel(FRIDAY_1550, tick=False):
        created = new_complaint(staff)
        do(staff.petugas, created.complaint_id, "hand_over", payload_for("hand_over", staff))
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    with time_machine.travel(monday, tick=False):
        do(staff.subbag, created.complaint_id, "classify_written")
        deadlines = complaint_deadlines(complaint_id=created.complaint_id)
    verification = deadlines.regulatory[0]
    assert verification.done_at == monday
    assert verification.state(monday) == "tepat waktu"
    assert deadlines.regulatory[1].done_at is None  # follow-up waits for the disposition
