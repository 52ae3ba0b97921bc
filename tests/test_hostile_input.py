"""Hostile input at every door: refused cleanly, in Indonesian, naming the field; nothing
half-written; on SQLite and PostgreSQL alike (issue 10, item 4).

Hypothesis throws NUL and the other C0/C1 controls, lone surrogates, Unicode
non-characters and oddities, huge strings (around and far beyond every column's
length), numbers out of range and values of the wrong type at: the front desk's intake,
the portal form, every field of every SOP action (the SOP table is walked, not listed
here), the admin forms and the letters rendered with what was accepted. Every call must
either succeed or raise a ``WorkflowError`` whose message is Indonesian, names the field
by its label on the form, repeats no long value and no column name; a refused call must
leave every table's row count (and the complaint's state) as it was.

Problems are collected, not raised at the first one, so a run reports how many inputs
crashed (``HOSTILE_REPORT=path`` appends the figures to that file).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from db.engine import get_engine, read_session
from db.models import Base, Complaint
from layanan import sop
from layanan.errors import InvalidInput, WorkflowError
from services import admin, letter_settings, letter_templates, portal, reply_letter, workflow
from tests.factories import (
    PDF,
    WRITTEN_PATH,
    actor_for,
    bring_to,
    do,
    new_complaint,
    payload_for,
    state,
)

# --- hostile values -----------------------------------------------------------------------

CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)] + [
    chr(c) for c in range(0x80, 0xA0)
]
NONCHARACTERS = ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff"]
ODDITIES = [
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte-order mark
    "e\u0301",  # combining acute
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",  # family emoji (ZWJ sequence)
    "\ufdfa",  # one character that NFKC makes 18
    "\uff21\uff22",  # full-width letters
    "\u00a0",  # no-break space
    "\u2028\u2029",  # line and paragraph separators
    "\u0130\u00df",  # dotted capital I, sharp s (case mapping changes length)
    "\U000e0001",  # language tag
    "\ue000",  # private use
    "{{ kantor }}{% if 1 %}",  # template syntax (letters)
    "'; DROP TABLE complaints; --",
    "%s %(x)s \\x00 \\u0000",
]
LENGTHS = [1, 20, 21, 30, 31, 40, 41, 59, 60, 61, 99, 100, 101, 199, 200, 201, 255, 256]
LENGTHS += [300, 301, 2000, 2001, 20_000, 20_001, 60_000]

base_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), max_size=12)


def _insert(text: str, bad: str, at: int) -> str:
    at = at % (len(text) + 1)
    return text[:at] + bad + text[at:]


bad_char = st.one_of(
    st.sampled_from(CONTROLS),
    st.integers(0xD800, 0xDFFF).map(chr),  # lone surrogates
    st.sampled_from(NONCHARACTERS),
)
with_bad_char = st.builds(_insert, base_text, bad_char, st.integers(0, 20))
huge = st.builds(
    lambda unit, n: (unit * n)[:n] if len(unit) == 1 else unit * max(1, n // len(unit)),
    st.sampled_from(["x", "\u00e9", "\U0001f600", " ", "ab", "\u0130"]),
    st.one_of(st.sampled_from(LENGTHS), st.integers(1, 70_000)),
)
odd = st.lists(st.one_of(st.sampled_from(ODDITIES), base_text), min_size=1, max_size=6).map("".join)
hostile_text = st.one_of(with_bad_char, with_bad_char, huge, odd, st.text(max_size=30))
wrong_type = st.one_of(
    st.integers(-(2**80), 2**80),
    st.sampled_from([2**31, 2**31 - 1, 2**63, -(2**63) - 1, -1, 0, 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(-(2**70), 2**70), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.binary(max_size=8),
    st.just(object()),
)
hostile = st.one_of(hostile_text, hostile_text, hostile_text, wrong_type)

# --- what a refusal must look like -------------------------------------------------------

ENGLISH = re.compile(
    r"\b(the|is|are|not|invalid|error|must|value|field|too|long|characters?|null|string|"
    r"required|exception|none|true|false|object|type|traceback|integer)\b",
    re.IGNORECASE,
)
# Column and field keys (complainant_phone, guest_book_entry, ...): never shown to a user.
COLUMN_NAME = re.compile(
    r"\b("
    + "|".join(
        sorted(
            {c.name for t in Base.metadata.sorted_tables for c in t.columns if "_" in c.name}
            | {key for key in sop.FIELDS if "_" in key}
        )
    )
    + r")\b"
)


class Findings:
    """What the examples found, by kind; the test fails if anything but "ok" appears."""

    def __init__(self, name: str, backend: str) -> None:
        self.name, self.backend = name, backend
        self.counts: Counter[str] = Counter()
        self.examples: list[str] = []

    def add(self, kind: str, detail: str) -> None:
        self.counts[kind] += 1
        if kind != "ok" and len(self.examples) < 8:
            self.examples.append(f"{kind}: {detail[:300]}")

    def check_refusal(self, err: WorkflowError, *, label: str, value: object) -> None:
        message = err.message
        problems = []
        if ENGLISH.search(message):
            problems.append("english")
        if COLUMN_NAME.search(message):
            problems.append("column-name")
        if label.casefold() not in message.casefold():
            problems.append("no-label")
        snippet = value.strip()[:61] if isinstance(value, str) else ""
        if len(message) > 600 or (len(snippet) > 60 and snippet in message):
            problems.append("echo")
        for kind in problems:
            self.add(kind, f"{label!r}: {message!r} for {value!r:.80}")
        if not problems:
            self.counts["ok"] += 1

    def run(self, call, *, label: str, value: object, counts) -> str:
        """Call; classify the outcome; a refusal must leave ``counts()`` as it was."""
        before = counts()
        self.counts["inputs"] += 1
        try:
            call()
        except WorkflowError as err:
            self.check_refusal(err, label=label, value=value)
            after = counts()
            if after != before:
                self.add("half-written", f"{label!r}: {before} -> {after} for {value!r:.80}")
            return "refused"
        except Exception as exc:
            self.add("crash", f"{label!r}: {type(exc).__name__}: {exc!s:.150} for {value!r:.80}")
            return "crash"
        self.counts["accepted"] += 1
        return "accepted"

    def finish(self, minimum: int) -> None:
        line = (
            f"{self.name}[{self.backend}]: {self.counts['inputs']} inputs, "
            f"{self.counts['accepted']} accepted, {self.counts['crash']} crashes, "
            f"{self.counts['half-written']} half-written, "
            + ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))
        )
        if os.environ.get("HOSTILE_REPORT"):
            with open(os.environ["HOSTILE_REPORT"], "a", encoding="utf-8") as out:
                out.write(line + "\n")
        assert self.counts["inputs"] >= minimum, line
        bad = {k: v for k, v in self.counts.items() if k not in ("ok", "inputs", "accepted")}
        assert not bad, line + "\n" + "\n".join(self.examples)


def row_counts() -> tuple[int, ...]:
    with read_session() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        )


FAST = settings(
    deadline=None,
    phases=[Phase.generate],  # nothing raises inside an example: nothing to shrink
    database=None,  # every run draws afresh: the figures are of this run's inputs
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def light_hashing(monkeypatch):
    """Accepted intakes hash a PIN, accepted accounts a password: a light argon2 keeps
    hundreds of them fast (what is tested is the checking before, not the hash)."""
    from services import passwords

    light = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(workflow, "PIN_HASHER", light, raising=False)
    monkeypatch.setattr(passwords, "_hasher", light, raising=False)


# --- intake: the front desk's form and the portal's ---------------------------------------

# The labels of pages/intake.py and of pages/ajukan.py, as the user reads them.
DESK_LABELS = {
    "subject": "Perihal",
    "body": "Isi pengaduan",
    "category": "Kategori",
    "complainant_name": "Nama pengadu",
    "complainant_phone": "Nomor telepon/WhatsApp",
    "complainant_email": "Pos-el",
    "complainant_address": "Alamat",
    "guest_book_entry": "Entri buku tamu",
    "anonymous": "Anonim",
    "confidential": "Rahasia",
    "supervisory": "Berkadar pengawasan",
}
PORTAL_LABELS = {
    **{k: v for k, v in DESK_LABELS.items() if k not in ("guest_book_entry", "supervisory")},
    "complainant_name": "Nama lengkap",
    "anonymous": "anonim",
    "confidential": "Rahasiakan",
}


INTAKE_TARGETS = [
    *(("desk", attr) for attr in sorted(DESK_LABELS)),
    *(("portal", attr) for attr in sorted(PORTAL_LABELS)),
]


def _intake_data(channel: sop.Channel) -> workflow.IntakeData:
    return workflow.IntakeData(
        channel=channel,
        subject="Sertifikat pelatihan belum diterima",
        body="Sertifikat pelatihan kewirausahaan belum dibagikan.",
        category="Pelatihan dan sertifikasi",
        complainant_name="Siti Aminah",
        complainant_phone="081234567890",
        complainant_email="siti@example.id",
        complainant_address="Jalan Sam Ratulangi 12, Palu",
        guest_book_entry=None if channel is sop.Channel.ONLINE else "BT-001",
    )


def test_intake_and_portal_refuse_hostile_input(staff, backend):
    """The front desk's intake and the portal form."""
    found = Findings("intake+portal", backend)
    clients = iter(range(10**6))

    @settings(FAST, max_examples=100)
    @given(target=st.sampled_from(INTAKE_TARGETS), value=hostile)
    def run(target, value):
        door, attr = target
        if door == "desk":
            data = replace(_intake_data(sop.Channel.DATANG_LANGSUNG), **{attr: value})
            found.run(
                lambda: workflow.intake(data=data, user_id=staff.petugas.id),
                label=DESK_LABELS[attr],
                value=value,
                counts=row_counts,
            )
        else:
            data = replace(_intake_data(sop.Channel.ONLINE), **{attr: value})
            found.run(
                lambda: portal.submit(data=data, client=f"hostile-{next(clients)}"),
                label=PORTAL_LABELS[attr],
                value=value,
                counts=row_counts,
            )

    run()
    found.finish(minimum=95)


@pytest.mark.parametrize("comment", ["Terima\x00kasih", "\ud800", "x" * 2001, 42])
def test_the_portal_rating_comment_is_checked_before_anything(db, comment):
    """Checked before the ticket and PIN are (no argon2 spent, no guess counted): on main
    a NUL reached the database (PostgreSQL: DataError) once the PIN matched."""
    with pytest.raises(InvalidInput, match=r"^Komentar ") as refused:
        portal.rate(ticket="ADU-2026-000001", pin="123456", client="c", score=5, comment=comment)
    assert len(refused.value.message) < 120
    assert row_counts() == tuple(0 for _ in Base.metadata.sorted_tables)


# --- every SOP action's fields --------------------------------------------------------------


# Two complaints walk the SOP table: one submitted online along the written path (it
# waits where online complaints wait), one walk-in along the oral path; each step's
# actions get their examples when a complaint first stands there.
WALKS = (
    (sop.Channel.ONLINE, ("receive", *WRITTEN_PATH)),
    (sop.Channel.DATANG_LANGSUNG, ("hand_over", "classify_oral", "resolve_oral")),
)
EXAMPLES_PER_TARGET = 2
# Valid payloads the factories do not give (actions no path of theirs takes).
VALID_PAYLOAD = {"correct_intake": {"reason": "Kategori dikoreksi saat verifikasi."}}


def _walk(staff):
    """(complaint id, step) at each step that has actions, once; moved on afterwards."""
    seen = set()
    for channel, path in WALKS:
        complaint_id = new_complaint(staff, channel=channel).complaint_id
        for action in path:
            step = state(complaint_id).current_step
            if sop.action(action).at != step:
                continue
            if step not in seen:
                seen.add(step)
                yield complaint_id, step
            documents = [PDF] if action == "submit_draft" else []
            do(
                actor_for(action, staff),
                complaint_id,
                action,
                payload_for(action, staff),
                documents,
            )


def _targets(step: int) -> list[tuple[str, str]]:
    """(action, field | the note | an undeclared key) for the staff actions at ``step``."""
    return [
        (act.key, target)
        for act in sop.actions_at(step)
        if sop.action_role(act) is not sop.Role.PEMOHON
        for target in (*act.fields, *act.optional_fields, "(catatan)", "(lain)")
    ]


def test_every_action_field_refuses_hostile_input(staff, backend):
    found = Findings("actions", backend)
    engine = get_engine(for_writing=True)
    steps_done = []

    def examples_at(complaint_id: int, targets: list[tuple[str, str]]) -> None:
        @settings(FAST, max_examples=EXAMPLES_PER_TARGET * len(targets))
        @given(target=st.sampled_from(targets), value=hostile)
        def run(target, value):
            key, field_key = target
            act = sop.action(key)
            payload = {**payload_for(key, staff), **VALID_PAYLOAD.get(key, {})}
            note = None
            if field_key == "(catatan)":
                note, label = value, "Catatan"  # the action form's "Catatan (opsional)"
            elif field_key == "(lain)":
                payload[value if isinstance(value, str) else "x"] = value
                label = act.label
            else:
                payload[field_key] = value
                label = sop.FIELDS[field_key].label
            documents = [PDF] if act.upload and act.upload.kind == "supporting" else []
            # One transaction per example, rolled back afterwards so the complaint is
            # reused: a refusal must not have written a row even inside it.
            session = sessionmaker(engine, expire_on_commit=False)()
            try:
                session.begin()
                session.begin_nested()

                def counts():
                    state = session.execute(
                        select(Complaint.version, Complaint.current_step).where(
                            Complaint.id == complaint_id
                        )
                    ).one()
                    return (
                        tuple(state),
                        *(
                            session.scalar(select(func.count()).select_from(table))
                            for table in Base.metadata.sorted_tables
                        ),
                    )

                version = session.get(Complaint, complaint_id).version
                found.run(
                    lambda: workflow.perform(
                        complaint_id=complaint_id,
                        action=key,
                        user_id=actor_for(key, staff).id,
                        expected_version=version,
                        payload=payload,
                        documents=documents,
                        note=note,
                        session=session,
                    ),
                    label=label,
                    value=value,
                    counts=counts,
                )
            finally:
                session.rollback()
                session.close()

        run()

    for complaint_id, step in _walk(staff):
        if _targets(step):
            examples_at(complaint_id, _targets(step))
            steps_done.append(step)
    # Every step with a staff action was reached (the walk follows the table); the first
    # step's is performed by the intake itself, tested above.
    staffed = {a.at for a in sop.table().actions if sop.action_role(a) is not sop.Role.PEMOHON}
    assert set(steps_done) == staffed - {sop.FIRST_STEP}
    found.finish(minimum=100)


# --- admin forms and the letters they print ---------------------------------------------

USER_FIELDS = {
    "username": "Nama pengguna",
    "full_name": "Nama lengkap",
    "nip": "NIP",
    "rank": "Pangkat/golongan",
    "position": "Jabatan",
    "email": "Pos-el",
    "unit_id": "Unit kerja",
    "roles": "Peran",
}
SETTING_LABELS = {key: label for key, (label, _, _) in letter_settings.TEXT_LIMITS.items()}
ADMIN_TARGETS = [
    *(("user", f) for f in USER_FIELDS),
    ("unit", "code"),
    ("unit", "name"),
    ("holiday", "name"),
    ("holiday", "day"),
    ("cancel", "reason"),
    ("hours", "day"),
    ("hours", "start"),
    ("standards", "completion_days"),
    ("year", "year"),
    *(("letter", key) for key in (*SETTING_LABELS, "tembusan")),
]


def _admin_call(staff, kind: str, name: str, value, n: int):
    """(the call with ``value`` in field ``name`` of form ``kind``, the field's label)."""
    me = staff.admin.id
    if kind == "user":
        base = admin.UserData(
            username=f"hostile{n}",
            full_name="Rahmat Hidayat",
            unit_id=staff.unit_kop.unit_id,
            roles=(sop.Role.UNIT,),
            nip="197807071997121001",
            rank="Penata Muda",
            position="Analis",
            email=f"rahmat{n}@example.id",
        )
        data = replace(base, **{name: value})
        return (
            lambda: admin.create_user(acting_user_id=me, data=data, password="Sandi-Aman-2026!"),
            USER_FIELDS[name],
        )
    if kind == "unit":
        code, unit_name = (value, "Bidang Uji") if name == "code" else (f"UJI{n}", value)
        label = "Kode unit" if name == "code" else "Nama unit"
        return lambda: admin.create_unit(acting_user_id=me, code=code, name=unit_name), label
    if kind == "holiday":
        day, text = (date(2027, 3, 2), value) if name == "name" else (value, "Hari jadi")
        label = "Keterangan" if name == "name" else "tanggal"
        return lambda: admin.add_local_holiday(acting_user_id=me, day=day, name=text), label
    if kind == "cancel":
        return (
            lambda: admin.cancel_national_holiday(
                acting_user_id=me, day=date(2026, 12, 25), reason=value
            ),
            "Alasan",
        )
    if kind == "hours":
        try:
            hash(value)
        except TypeError:
            value = repr(value)  # a weekday key must be hashable to be sent at all
        hours = {0: (value, "16:00")} if name == "start" else {value: ("07:30", "16:00")}
        return lambda: admin.save_office_hours(acting_user_id=me, hours=hours), (
            "Jam" if name == "start" else "Hari"
        )
    if kind == "standards":
        values = {
            "verification_days": 3,
            "follow_up_days": 5,
            "completion_days": value,
            "supervisory_completion_days": 60,
        }
        return (
            lambda: admin.save_regulatory_standards(acting_user_id=me, standards=values),
            "Penyelesaian",
        )
    if kind == "year":
        return lambda: admin.holidays_of_year(acting_user_id=me, year=value), "Tahun"
    values = {name: value}

    def save_and_print() -> None:  # what was accepted is printed in the kop surat at once
        letter_settings.save_letter_settings(user_id=me, values=values)
        letter_templates.template_preview(user_id=me, key="surat_jawaban")

    return save_and_print, SETTING_LABELS.get(name, "Tembusan")


def test_admin_forms_and_letters_refuse_hostile_input(staff, backend):
    """The admin forms; what the letter settings accept is printed at once in a letter
    (the template preview), and step 8's draft text is previewed as it is typed."""
    complaint_id = bring_to(staff, sop.action("submit_draft").at)
    found = Findings("admin+letters", backend)
    numbers = iter(range(10**6))

    @settings(FAST, max_examples=100)
    @given(target=st.sampled_from([*ADMIN_TARGETS, ("draft", "reply_body")]), value=hostile)
    def run(target, value):
        kind, name = target
        if kind == "draft":
            found.run(
                lambda: reply_letter.reply_letter(
                    complaint_id=complaint_id, user_id=staff.unit_kop.id, body=value
                ),
                label=sop.FIELDS["reply_body"].label,
                value=value,
                counts=row_counts,
            )
            return
        call, label = _admin_call(staff, kind, name, value, next(numbers))
        outcome = found.run(call, label=label, value=value, counts=row_counts)
        if outcome == "accepted" and kind in ("hours", "holiday", "cancel"):
            # Keep the calendar as it was for the next example (and the other tests).
            if kind == "hours":
                admin.save_office_hours(
                    acting_user_id=staff.admin.id, hours={0: ("07:30", "16:00")}
                )
            else:
                day = date(2027, 3, 2) if kind == "holiday" and name == "name" else value
                if kind == "cancel":
                    day = date(2026, 12, 25)
                admin.undo_local_change(acting_user_id=staff.admin.id, day=day)

    run()
    found.finish(minimum=90)
