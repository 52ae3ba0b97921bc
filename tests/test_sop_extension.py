"""The SOP table is the whole truth: a new step is a new row, and nothing else changes.

The test builds a copy of the table with a 13th step between steps 9 and 10 and runs a
written complaint through it with the real engine, pages' read model and portal, with no
other module touched: proof that no step number is written anywhere but the table.
"""

from __future__ import annotations

import dataclasses

import pytest

from layanan import sop
from layanan.errors import InvalidInput, MissingItem, WrongRole
from layanan.sop import Role
from services import complaint_detail, portal, workflow
from tests.factories import (
    PDF,
    actor_for,
    bring_to,
    do,
    events,
    new_complaint,
    payload_for,
    state,
    version_of,
)

CHECK = sop.Step(
    13,
    "Memeriksa kelengkapan surat jawaban sebelum ditandatangani",
    Role.SUBBAG_UMUM,
    30,
    ("reply_body", "paraf"),
    "Draf surat jawaban yang telah diparaf",
    "Surat jawaban siap ditandatangani",
    public_label="Jawaban diperiksa kelengkapannya",
)
CHECK_ACTION = sop.Action("check_reply", 13, 10, "Nyatakan lengkap", optional_fields=("reason",))


def table_with_a_thirteenth_step() -> sop.SopTable:
    """The SOP table, with the Head's approval leading to step 13 and 13 to signing."""
    steps = (*sop.STEPS, CHECK)
    actions = tuple(
        dataclasses.replace(a, to=CHECK.number) if a.key == "approve" else a for a in sop.ACTIONS
    )
    return sop.SopTable(steps, (*actions, CHECK_ACTION))


def take_next_step(staff, complaint_id: int, table: sop.SopTable) -> list[int]:
    """Do the action that moves the complaint along the written path of ``table``."""
    step = state(complaint_id).current_step
    path = table.path(sop.Form.TERTULIS)
    act = next(
        a
        for a in table.actions_at(step)
        if a.moves and not a.secondary and (a.to is None or a.to in path)
    )
    actor = actor_for(act.key, staff)  # from the role the table gives the action
    documents = [PDF] if act.upload and act.upload.kind == "supporting" else []
    do(actor, complaint_id, act.key, payload_for(act.key, staff), documents=documents)
    return [step]


def test_a_thirteenth_step_between_two_steps_runs_with_no_other_module_changed(staff):
    table = table_with_a_thirteenth_step()
    assert table.path(sop.Form.TERTULIS) == (1, 2, 3, 4, 6, 7, 8, 9, 13, 10, 11, 12)
    with sop.using(table):
        created = new_complaint(staff)
        # Front desk has done steps 1-2; walk the rest of the path to the archive.
        at_check = None
        done = []
        while (step := state(created.complaint_id).current_step) is not None:
            if step == CHECK.number:
                at_check = complaint_detail.complaint_detail(
                    ticket=created.ticket, user_id=staff.subbag.id
                )
                with pytest.raises(WrongRole):
                    do(staff.sekretaris, created.complaint_id, CHECK_ACTION.key)
            done += take_next_step(staff, created.complaint_id, table)
        history = events(created.complaint_id)
        status = portal.track(ticket=created.ticket, pin=created.pin, client="test-13")

    assert done == [3, 4, 6, 7, 8, 9, 13, 10, 11, 12]
    final = state(created.complaint_id)
    assert final.closed_at is not None and final.letter_number  # signed after step 13
    check_event = next(e for e in history if e.step == CHECK.number)
    assert (check_event.action, check_event.to_step, check_event.role) == (
        "check_reply",
        10,
        "subbag_umum",
    )
    assert check_event.standard_minutes == 30
    assert [e.step for e in history if e.action == "approve"] == [9]
    assert next(e for e in history if e.action == "approve").to_step == CHECK.number
    # The complaint page offered the new step's form to Sub Bagian Umum, from the table.
    assert at_check is not None
    assert at_check.step_label == f"Langkah 13: {CHECK.name}"
    assert [a.key for a in at_check.actions] == ["check_reply"]
    assert [r.key for r in at_check.requirements] == ["reply_body", "paraf"]
    # The complainant's progress line has the new step in its place.
    assert [s.number for s in status.steps] == [1, 2, 3, 4, 6, 7, 8, 9, 13, 10, 11, 12]
    assert CHECK.public_label in [s.label for s in status.steps]


def test_the_default_table_is_back_after_the_block(staff):
    with sop.using(table_with_a_thirteenth_step()):
        assert sop.action("approve").to == CHECK.number
    assert sop.action("approve").to == 10
    assert sop.table() is sop.TABLE


# --- signing only with its number and frozen letter ------------------------------------


def test_signing_without_the_frozen_letter_is_refused_by_the_engine(staff, monkeypatch):
    complaint_id = bring_to(staff, 10)
    # A sign hook that forgets its work (no number, no letter) cannot sign.
    monkeypatch.setitem(workflow._HOOKS, "sign", lambda ctx: None)
    count = len(events(complaint_id))
    with pytest.raises(MissingItem, match="Surat jawaban yang ditandatangani") as refused:
        do(staff.sekretaris, complaint_id, "sign")
    assert refused.value.missing == ("signed_letter",)
    after = state(complaint_id)
    assert (after.current_step, after.signed_at, after.letter_number) == (10, None, None)
    assert len(events(complaint_id)) == count


def test_a_letter_number_cannot_be_passed_in_by_the_caller(staff):
    complaint_id = bring_to(staff, 10)
    # Refused without repeating the key: a column name is not shown to a user.
    with pytest.raises(InvalidInput, match="tidak menerima isian itu"):
        workflow.perform(
            complaint_id=complaint_id,
            action="sign",
            user_id=staff.sekretaris.id,
            expected_version=version_of(complaint_id),
            payload={"letter_number": "065/999/X/2026"},
        )
    assert state(complaint_id).current_step == 10 and state(complaint_id).letter_number is None


def test_signing_through_the_one_door_numbers_and_freezes_the_letter(staff):
    complaint_id = bring_to(staff, 10)
    result = do(staff.sekretaris, complaint_id, "sign")
    after = state(complaint_id)
    assert result.to_step == 11 and after.letter_number and after.signed_at is not None
    signed = events(complaint_id)[-1]
    assert signed.action == "sign" and signed.payload["letter_number"] == after.letter_number
    assert len(signed.payload["documents"]) == 1  # the frozen letter, attached by the hook


# --- the table validates itself --------------------------------------------------------


def test_a_table_with_an_unreachable_step_is_refused():
    with pytest.raises(sop.InvalidTable, match="step 13 cannot be reached"):
        sop.SopTable((*sop.STEPS, CHECK), (*sop.ACTIONS, CHECK_ACTION))


def test_a_table_with_a_step_without_exit_is_refused():
    actions = tuple(
        dataclasses.replace(a, to=CHECK.number) if a.key == "approve" else a for a in sop.ACTIONS
    )
    with pytest.raises(sop.InvalidTable, match="step 13 has no exit"):
        sop.SopTable((*sop.STEPS, CHECK), actions)


def test_a_table_naming_an_unknown_field_or_attribute_is_refused():
    bad = dataclasses.replace(CHECK_ACTION, fields=("no_such_field",))
    with pytest.raises(sop.InvalidTable, match="unknown field"):
        sop.SopTable((*sop.STEPS, CHECK), (*sop.ACTIONS, bad))
    bad = dataclasses.replace(CHECK_ACTION, stamps=("no_such_column",))
    with pytest.raises(sop.InvalidTable, match="unknown attribute no_such_column"):
        sop.SopTable((*sop.STEPS, CHECK), (*sop.ACTIONS, bad))


def test_a_table_naming_a_hook_no_service_registers_is_refused(staff):
    bad = dataclasses.replace(CHECK_ACTION, hook="fax_the_letter")
    actions = tuple(
        dataclasses.replace(a, to=CHECK.number) if a.key == "approve" else a for a in sop.ACTIONS
    )
    table = sop.SopTable((*sop.STEPS, CHECK), (*actions, bad))
    with pytest.raises(sop.InvalidTable, match="fax_the_letter"):
        workflow.hooks_for(table)
    assert set(workflow.hooks_for(sop.TABLE)) == {"sign", "queue_email", "deliver"}
