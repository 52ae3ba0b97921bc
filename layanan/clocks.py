"""The two clocks of a complaint: the SOP step clock and the regulatory clocks.

The step clock comes from the SOP table (30 working minutes, step 8: 60). The
regulatory clocks follow the SP4N-LAPOR! standards: verification within 3 working days,
follow-up within 5, completion within 14, or 60 for complaints "berkadar pengawasan".
The day counts are settings (``RegulatoryStandards``); the regulations they come from
are a setting too (``services.letter_settings.LetterSettings.dasar_hukum``, shown on the
admin page), since the one the SOP cites (PermenPANRB 24/2014) has been replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from layanan import sop
from layanan.calendar import WorkingCalendar


@dataclass(frozen=True)
class RegulatoryStandards:
    verification_days: int = 3
    follow_up_days: int = 5
    completion_days: int = 14
    supervisory_completion_days: int = 60

    def __post_init__(self) -> None:
        for name in (
            "verification_days",
            "follow_up_days",
            "completion_days",
            "supervisory_completion_days",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive number of working days")


# Which SOP step ends each regulatory clock is declared on the steps of the SOP table
# (``Step.ends_clocks``): verification when Sub Bagian Umum has classified the
# complaint; follow-up when a unit acts on it (oral: settled; written: the Head's
# disposition); completion when the reply is delivered or the oral complaint settled.


@dataclass(frozen=True)
class Clock:
    key: str
    label: str
    due_at: datetime
    done_at: datetime | None

    def state(self, now: datetime) -> str:
        """ "tepat waktu", "terlambat" (done late or overdue), or "berjalan"."""
        if self.done_at is not None:
            return "tepat waktu" if self.done_at <= self.due_at else "terlambat"
        return "terlambat" if now > self.due_at else "berjalan"


def step_due_at(calendar: WorkingCalendar, step_number: int, entered_at: datetime) -> datetime:
    """Deadline of a step: entry + its time standard in working minutes."""
    return calendar.add_working_minutes(entered_at, sop.step(step_number).minutes)


def regulatory_clocks(
    calendar: WorkingCalendar,
    standards: RegulatoryStandards,
    *,
    received_at: datetime,
    supervisory: bool,
    done_steps: dict[int, datetime],
    form: sop.Form | None,
) -> tuple[Clock, ...]:
    """The three regulatory clocks of a complaint, given when each step was completed.

    ``done_steps`` maps a step number to the instant it was last completed.
    """
    completion_days = (
        standards.supervisory_completion_days if supervisory else standards.completion_days
    )
    form_for_lookup = form or sop.Form.TERTULIS
    table = sop.table()

    def done(clock: str) -> datetime | None:
        return done_steps.get(table.clock_steps(clock)[form_for_lookup])

    return (
        Clock(
            "verifikasi",
            f"Verifikasi ({standards.verification_days} hari kerja)",
            calendar.add_working_days(received_at, standards.verification_days),
            done("verifikasi"),
        ),
        Clock(
            "tindak_lanjut",
            f"Tindak lanjut ({standards.follow_up_days} hari kerja)",
            calendar.add_working_days(received_at, standards.follow_up_days),
            done("tindak_lanjut") if form else None,
        ),
        Clock(
            "penyelesaian",
            f"Penyelesaian ({completion_days} hari kerja)",
            calendar.add_working_days(received_at, completion_days),
            done("penyelesaian") if form else None,
        ),
    )
