"""Print docs/sop.md from the SOP table: ``python -m scripts.sop_table > docs/sop.md``."""

from __future__ import annotations

from layanan import sop

HEADER = """# The SOP as implemented

Generated from `layanan/sop.py`, the single source of truth (regenerate with
`python -m scripts.sop_table > docs/sop.md`; `tests/test_sop_table.py` fails when this page
is out of date). Times are working minutes (office hours, weekends, national holidays and
cuti bersama excluded; see `layanan/calendar.py`). The source SOP and its English reading
are in `shared/sop/`.

How the source is read:
- Steps 1 and 2 happen at the desk while the complainant is present: one save of the
  intake form performs both. An online submission is step 1 by the complainant; the front
  desk then receives it (step 2).
- Step 4 splits the paths: oral complaints go to step 5 (settled by humas or the related
  unit, outcome recorded, closed) or are turned into written ones (to step 6); written
  complaints go 6 to 12.
- Step 9 returns the draft to step 8 as often as needed, each time with a reason.
- Step 11 by e-mail: "Kirim ... pos-el" queues the message in the outbox and the step stays
  open; the sender records the delivery once the mail server has accepted the message.
- `{hook: name}` marks an action whose output leaves the office; the service that
  produces it registers the hook by that name (`services.workflow.hook`).
- "Surat aduan" is the scanned letter for paper channels (surat, kotak pengaduan) and the
  typed complaint record for the others.
"""


def render() -> str:
    rows = [
        HEADER,
        "| # | activity | actor | kelengkapan (checked) | time | output | actions |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in sop.STEPS:
        requires = ", ".join(sop.REQUIREMENTS[key].label for key in step.requires) or "-"
        actions = []
        for act in sop.actions_at(step.number):
            target = "selesai" if act.to is None else f"langkah {act.to}"
            if not act.moves:
                target = "tetap di langkah ini"
            fields = ", ".join(sop.FIELDS[f].label for f in act.fields)
            role = sop.ROLE_LABELS[sop.action_role(act)]
            extra = f" [{fields}]" if fields else ""
            if act.hook:
                extra += f" {{hook: {act.hook}}}"
            actions.append(f"{act.label} ({role}){extra} -> {target}")
        rows.append(
            f"| {step.number} | {step.name} | {sop.ROLE_LABELS[step.role]} | "
            f"{step.kelengkapan}: {requires} | {step.minutes} | {step.output} | "
            + "<br>".join(actions)
            + " |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(render(), end="")
