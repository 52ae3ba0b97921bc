"""The SOP table checked as a whole, the way python-statemachine validates a machine."""

from __future__ import annotations

from pathlib import Path

from layanan import permissions, sop
from layanan.sop import Role

ROOT = Path(__file__).resolve().parents[1]


def test_it_has_the_twelve_steps_of_the_sop_with_their_time_standards():
    assert [s.number for s in sop.STEPS] == list(range(1, 13))
    assert {s.number: s.minutes for s in sop.STEPS} == {
        n: 60 if n == 8 else 30 for n in range(1, 13)
    }
    # All twelve steps add up to 11 x 30 + 60 working minutes, as the SOP notes say;
    # the written path (without the oral step 5) to 10 x 30 + 60.
    assert sum(s.minutes for s in sop.STEPS) == 390
    assert sum(sop.step(n).minutes for n in sop.WRITTEN_PATH) == 360


def test_every_step_is_reachable_from_step_one():
    reached, frontier = {sop.FIRST_STEP}, [sop.FIRST_STEP]
    while frontier:
        for act in sop.actions_at(frontier.pop()):
            if act.to is not None and act.to not in reached:
                reached.add(act.to)
                frontier.append(act.to)
    assert reached == set(sop.STEP_BY_NUMBER)


def test_every_step_has_an_exit_and_every_step_can_reach_closure():
    for step in sop.STEPS:
        assert sop.actions_at(step.number), f"step {step.number} has no action"
    can_close = {a.at for a in sop.ACTIONS if a.to is None}
    changed = True
    while changed:
        changed = False
        for act in sop.ACTIONS:
            if act.to in can_close and act.at not in can_close:
                can_close.add(act.at)
                changed = True
    assert can_close == set(sop.STEP_BY_NUMBER)


def test_only_the_oral_step_and_archiving_close_a_complaint():
    assert {a.key for a in sop.ACTIONS if a.to is None} == {"resolve_oral", "archive"}


def test_every_name_the_table_uses_exists():
    for step in sop.STEPS:
        assert step.role in Role
        assert set(step.requires) <= set(sop.REQUIREMENTS)
        if step.template:
            assert step.template in sop.TEMPLATES
        assert step.public_label
    for act in sop.ACTIONS:
        assert act.at in sop.STEP_BY_NUMBER
        assert act.to is None or act.to in sop.STEP_BY_NUMBER
        assert set(act.fields) | set(act.optional_fields) <= set(sop.FIELDS)
        assert set(act.requires) <= set(sop.REQUIREMENTS)
        assert sop.action_role(act) in Role
    assert len(sop.ACTION_BY_KEY) == len(sop.ACTIONS), "action keys must be unique"
    for role in Role:
        assert role in sop.ROLE_LABELS


def test_every_staff_role_of_an_action_has_pages_to_work_from():
    for act in sop.ACTIONS:
        role = sop.action_role(act)
        if role is not Role.PEMOHON:
            assert "queue" in permissions.PAGES_BY_ROLE[role]


def test_step_nine_returns_to_step_eight_and_approves_to_ten():
    assert {(a.key, a.to) for a in sop.actions_at(9)} == {("approve", 10), ("return_draft", 8)}
    assert "reason" in sop.action("return_draft").fields


def test_the_split_at_step_four_leads_to_the_oral_and_the_written_path():
    assert {a.to for a in sop.actions_at(4) if a.moves} == {5, 6}
    assert {a.key for a in sop.actions_at(4) if not a.moves} == {"correct_intake"}
    assert {a.to for a in sop.actions_at(5)} == {None, 6}


def test_the_domain_imports_neither_streamlit_nor_sqlalchemy():
    for path in (ROOT / "layanan").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "import streamlit" not in source and "from streamlit" not in source, path
        assert "sqlalchemy" not in source, path


def test_the_sop_page_in_docs_is_generated_from_the_table():
    from scripts.sop_table import render

    assert (ROOT / "docs" / "sop.md").read_text(encoding="utf-8") == render()
