"""Queries of the staff workspace: queues by role and unit, pagination, search, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db import queries
from db.engine import read_session
from layanan.sop import Channel, Role
from tests.factories import bring_to, new_complaint, state


def _now() -> datetime:
    return datetime.now(UTC)


def queue(user_roles, unit_id=None, *, identity_visible=False, limit=25, offset=0, **filters):
    with read_session() as session:
        return queries.queue_page(
            session,
            roles=user_roles,
            unit_id=unit_id,
            now=_now(),
            filters=queries.ComplaintFilter(**filters),
            identity_visible=identity_visible,
            limit=limit,
            offset=offset,
        )


def count(user_roles, unit_id=None, **filters):
    with read_session() as session:
        return queries.queue_count(
            session,
            roles=user_roles,
            unit_id=unit_id,
            now=_now(),
            filters=queries.ComplaintFilter(**filters),
        )


def test_each_role_works_at_the_steps_the_sop_gives_it():
    assert queries.steps_for_role(Role.PETUGAS) == {1, 2, 3, 11}
    assert queries.steps_for_role(Role.SUBBAG_UMUM) == {4, 6}
    assert queries.steps_for_role(Role.KEPALA_DINAS) == {7, 9}
    assert queries.steps_for_role(Role.UNIT) == {5, 8}
    assert queries.steps_for_role(Role.SEKRETARIS) == {10}
    assert queries.steps_for_role(Role.ARSIPARIS) == {12}
    assert queries.steps_for_role(Role.ADMIN) == frozenset()


def test_queue_is_sorted_by_step_deadline(staff):
    # Received 3, 1 and 2 days ago: the oldest step-3 deadline comes first.
    ids = [
        new_complaint(staff, now=_now() - timedelta(days=days)).complaint_id for days in (1, 3, 2)
    ]
    rows = queue({Role.PETUGAS})
    assert [r.id for r in rows] == [ids[1], ids[2], ids[0]]
    assert [r.step_due_at for r in rows] == sorted(r.step_due_at for r in rows)


def test_queue_is_paginated_in_sql_with_a_matching_count(staff):
    ids = [new_complaint(staff, now=_now() - timedelta(hours=h)).complaint_id for h in range(5)]
    first = queue({Role.PETUGAS}, limit=2, offset=0)
    second = queue({Role.PETUGAS}, limit=2, offset=2)
    last = queue({Role.PETUGAS}, limit=2, offset=4)
    assert [len(first), len(second), len(last)] == [2, 2, 1]
    assert {r.id for r in first + second + last} == set(ids)
    assert count({Role.PETUGAS}) == 5


def test_head_does_not_see_front_desk_work_and_vice_versa(staff):
    at_3 = bring_to(staff, 3)
    at_7 = bring_to(staff, 7)
    assert [r.id for r in queue({Role.PETUGAS})] == [at_3]
    assert [r.id for r in queue({Role.KEPALA_DINAS})] == [at_7]
    assert queue({Role.ADMIN}) == []


def test_unit_sees_only_complaints_dispositioned_to_its_own_unit(staff):
    for_kop = bring_to(staff, 8)  # factories disposition to unit_kop's unit
    kop, ukm = staff.unit_kop.unit_id, staff.unit_ukm.unit_id
    assert [r.id for r in queue({Role.UNIT}, kop)] == [for_kop]
    assert queue({Role.UNIT}, ukm) == []
    assert count({Role.UNIT}, ukm) == 0
    assert queue({Role.UNIT}, None) == []  # a unit role without a unit sees nothing


def test_a_person_with_two_roles_sees_both_queues(staff):
    at_4 = bring_to(staff, 4)
    at_12 = bring_to(staff, 12)
    assert {r.id for r in queue({Role.SUBBAG_UMUM, Role.ARSIPARIS})} == {at_4, at_12}


def test_step_counts_include_overdue(staff):
    old = new_complaint(staff, now=_now() - timedelta(days=10)).complaint_id
    fresh = bring_to(staff, 3)
    with read_session() as session:
        counts = queries.queue_step_counts(session, roles={Role.PETUGAS}, unit_id=None, now=_now())
    assert [(c.step, c.total, c.overdue) for c in counts] == [(3, 2, 1)]
    assert state(old).step_due_at < _now() < state(fresh).step_due_at
    assert [r.id for r in queue({Role.PETUGAS}, overdue_only=True)] == [old]


def test_queue_filters_and_search(staff):
    letter = new_complaint(staff, channel=Channel.SURAT, subject="Koperasi tidak RAT").complaint_id
    walk_in = new_complaint(staff, complainant_name="Budi Santoso").complaint_id
    ticket = state(letter).ticket
    assert [r.id for r in queue({Role.PETUGAS}, channel="surat")] == [letter]
    assert [r.id for r in queue({Role.PETUGAS}, text=ticket.lower())] == [letter]
    assert [r.id for r in queue({Role.PETUGAS}, text="budi", identity_visible=True)] == [walk_in]
    assert [r.id for r in queue({Role.PETUGAS}, text="tidak rat")] == [letter]
    assert [r.id for r in queue({Role.PETUGAS}, step=3, category="Lainnya")] == []
    assert queue({Role.PETUGAS}, text="100%_") == []  # LIKE wildcards are taken literally


def test_name_search_does_not_reveal_a_confidential_complainant(staff):
    secret = new_complaint(staff, complainant_name="Rahmat Hidayat", confidential=True)
    with read_session() as session:
        hidden = queries.search_page(
            session,
            now=_now(),
            filters=queries.ComplaintFilter(text="Rahmat"),
            identity_visible=False,
        )
        shown = queries.search_page(
            session,
            now=_now(),
            filters=queries.ComplaintFilter(text="Rahmat"),
            identity_visible=True,
        )
    assert hidden == []
    assert [r.id for r in shown] == [secret.complaint_id]


def test_search_covers_closed_complaints_newest_first(staff):
    closed = bring_to(staff, None, oral=True)
    open_ = bring_to(staff, 3)
    with read_session() as session:
        everything = queries.search_page(session, now=_now())
        only_closed = queries.search_page(
            session, now=_now(), filters=queries.ComplaintFilter(closed=True)
        )
        total = queries.search_bound(
            session, now=_now(), filters=queries.ComplaintFilter(closed=False)
        ).matches
    assert [r.id for r in everything] == [open_, closed]
    assert [r.id for r in only_closed] == [closed]
    assert total == 1


def duplicates(**given):
    with read_session() as session:
        return queries.possible_duplicates(session, now=_now(), **given)


def test_same_phone_in_another_spelling_is_a_possible_duplicate(staff):
    first = new_complaint(staff, complainant_phone="081234567890")
    found = duplicates(phone="+62 812-3456-7890")
    assert [m.row.id for m in found] == [first.complaint_id]
    assert found[0].reasons == ("nomor telepon sama",)


def test_same_name_or_email_is_a_possible_duplicate(staff):
    first = new_complaint(staff)
    assert [m.row.id for m in duplicates(name="siti aminah")] == [first.complaint_id]
    assert [m.row.id for m in duplicates(email="SITI@example.id")] == [first.complaint_id]


def test_a_very_similar_subject_is_a_possible_duplicate(staff):
    first = new_complaint(
        staff,
        complainant_name="A",
        complainant_phone="",
        complainant_email="",
        subject="Sertifikat pelatihan kewirausahaan belum diterima",
    )
    new_complaint(staff, complainant_name="B", subject="Bantuan modal usaha tidak tepat sasaran")
    found = duplicates(subject="Sertifikat pelatihan kewirausahaan belum diterima peserta")
    assert [m.row.id for m in found] == [first.complaint_id]
    assert found[0].reasons[0].startswith("perihal mirip")
    assert duplicates(subject="Permintaan data koperasi aktif di Palu") == []


def test_complaints_older_than_thirty_days_are_not_duplicates(staff):
    new_complaint(staff, now=_now() - timedelta(days=31))
    assert duplicates(name="Siti Aminah", phone="081234567890") == []


def test_subject_similarity_ignores_case_punctuation_and_stopwords():
    assert queries.subject_similarity("Sertifikat BELUM diterima!", "sertifikat diterima") == 1.0
    assert queries.subject_similarity("Kotak pengaduan terkunci", "Bantuan modal") < 0.6
    assert queries.subject_similarity("", "apa saja") == 0.0
