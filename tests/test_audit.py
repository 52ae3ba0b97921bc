"""Append-only, tamper-evident history (db/audit.py, services/audit.py, migration 0005).

The database refuses UPDATE and DELETE on the event and view-audit tables; every event
is chained to the complaint's previous one; ``scripts.verify_audit`` passes on intact
data (demo, bulk-seeded, migrated) and names the first broken event after a row was
changed behind the triggers' back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from benchmarks.bulk_seed import bulk_seed
from config import ROOT
from db import audit
from db import engine as db_engine
from db.engine import read_session, write_session
from db.models import Complaint, ConfidentialView, StepEvent
from layanan.calendar import OFFICE_TZ
from layanan.text import angka
from scripts import verify_audit
from services import audit as audit_service
from services.seed import seed_demo
from tests.conftest import POSTGRES_SERVER_URL
from tests.factories import bring_to, events, new_complaint

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def _event_count() -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(StepEvent))


def _view(complaint_id: int, user_id: int) -> int:
    with write_session() as session:
        row = ConfidentialView(
            complaint_id=complaint_id, user_id=user_id, at=NOW, identity_shown=False
        )
        session.add(row)
        session.flush()
        return row.id


def _behind_the_triggers(sql: str, **params) -> None:
    """What an intruder with database rights does: drop the triggers, change, restore."""
    engine = db_engine.get_engine()
    with engine.begin() as conn:
        audit.drop_append_only(conn)
        conn.execute(text(sql), params)
        audit.install_append_only(conn)


# --- the triggers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "statement"),
    [
        ("step_events", "UPDATE step_events SET note = 'diubah' WHERE id = :id"),
        ("step_events", "DELETE FROM step_events WHERE id = :id"),
        (
            "confidential_views",
            "UPDATE confidential_views SET identity_shown = true WHERE id = :id",
        ),
        ("confidential_views", "DELETE FROM confidential_views WHERE id = :id"),
    ],
)
def test_update_and_delete_are_refused_by_the_database(staff, table, statement):
    created = new_complaint(staff)
    target = events(created.complaint_id)[0].id if table == "step_events" else None
    if table == "confidential_views":
        target = _view(created.complaint_id, staff.kepala.id)
    before = _rows(table)

    with pytest.raises(DBAPIError, match="append-only"), db_engine.get_engine().begin() as conn:
        conn.execute(text(statement), {"id": target})

    assert _rows(table) == before


def _rows(table: str) -> list[tuple]:
    with db_engine.get_engine().connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]


def test_orm_delete_of_an_event_is_refused_too(staff):
    created = new_complaint(staff)
    with pytest.raises(DBAPIError, match="append-only"), write_session() as session:
        session.delete(session.get(StepEvent, events(created.complaint_id)[0].id))
    assert len(events(created.complaint_id)) == 2


# --- the chain -------------------------------------------------------------------------


def test_each_new_event_chains_to_the_complaints_previous_event(staff):
    first = bring_to(staff, 6)  # intake (2 events), hand-over, classification
    other = new_complaint(staff)

    chain = events(first)
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert len(chain) >= 4
    assert chain[0].prev_hash == audit.GENESIS
    for before, event in pairwise(chain):
        assert event.prev_hash == before.hash
    for event in chain:
        content = {name: getattr(event, name) for name in audit.CONTENT_COLUMNS}
        assert event.hash == audit.event_hash(event.prev_hash, content)
        assert len(event.hash) == 64 and event.hash != event.prev_hash
    # Chains are per complaint: another complaint starts at the genesis value.
    assert events(other.complaint_id)[0].prev_hash == audit.GENESIS


def test_events_added_in_one_flush_chain_in_seq_order(staff):
    created = new_complaint(staff)
    last = events(created.complaint_id)[-1]
    with write_session() as session:
        rows = [
            StepEvent(
                complaint_id=created.complaint_id,
                seq=last.seq + n,
                step=3,
                action="hand_over",
                to_step=4,
                actor_id=None,
                actor_name="Uji",
                role="petugas",
                at=NOW + timedelta(minutes=n),
                step_entered_at=NOW,
                working_minutes=n,
                standard_minutes=15,
                note=None,
            )
            for n in (1, 2)
        ]
        session.add_all(rows)
    chain = events(created.complaint_id)
    assert chain[-2].prev_hash == last.hash
    assert chain[-1].prev_hash == chain[-2].hash
    assert chain[-1].payload == {}


def test_the_hash_covers_every_content_column():
    event = {
        "complaint_id": 7,
        "seq": 2,
        "step": 8,
        "action": "submit_draft",
        "to_step": 9,
        "actor_id": 3,
        "actor_name": "Staf Bidang",
        "role": "unit",
        "at": datetime(2026, 11, 27, 14, 5, 1, 250, tzinfo=UTC),
        "step_entered_at": datetime(2026, 11, 27, 6, 0, tzinfo=UTC),
        "working_minutes": 300,
        "standard_minutes": 480,
        "note": "Catatan \u201cpenting\u201d",
        "payload": {"reply_body": "Dengan hormat", "documents": [4, 5]},
    }
    digest = audit.event_hash(audit.GENESIS, event)
    assert audit.canonical(event).startswith('{"action":"submit_draft","actor_id":3,')
    assert '"at":"2026-11-27T14:05:01.000250Z"' in audit.canonical(event)
    changed = {
        "complaint_id": 8,
        "seq": 3,
        "step": 9,
        "action": "approve",
        "to_step": 10,
        "actor_id": None,
        "actor_name": "Orang lain",
        "role": "kepala_dinas",
        "at": event["at"] + timedelta(microseconds=1),
        "step_entered_at": event["step_entered_at"] - timedelta(minutes=1),
        "working_minutes": 301,
        "standard_minutes": 479,
        "note": None,
        "payload": {"reply_body": "Dengan hormat", "documents": [4]},
    }
    assert set(changed) == set(audit.CONTENT_COLUMNS)
    for name, value in changed.items():
        assert audit.event_hash(audit.GENESIS, {**event, name: value}) != digest, name
    assert audit.event_hash("1" * 64, event) != digest
    # The same instant in another zone is the same content.
    wita = {**event, "at": event["at"].astimezone(OFFICE_TZ)}
    assert audit.event_hash(audit.GENESIS, wita) == digest


# --- verify_audit ----------------------------------------------------------------------


def test_verify_audit_passes_on_a_demo_database_and_prints_the_count(db, capsys):
    with write_session() as session:
        seed_demo(session, count=30, now=NOW)
    total = _event_count()
    assert total > 100

    assert verify_audit.main([]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"OK: {angka(total)} peristiwa diperiksa, rantai hash utuh")
    with read_session() as session:
        recorded = audit_service.last_check(session)
    assert (recorded.ok, recorded.events, recorded.broken) == (True, total, None)


def _closed_chain_target(staff) -> tuple[str, StepEvent, StepEvent | None]:
    """An event in the middle of one closed written complaint's chain among others, and
    the one after it. Three complaints walked to the archive, not the demo data: the
    demo seed took half a minute for each of these tests (CI time)."""
    closed = [bring_to(staff, None) for _ in range(3)]
    with read_session() as session:
        ticket = session.get(Complaint, closed[1]).ticket
    chain = events(closed[1])
    return ticket, chain[3], chain[4]


@pytest.mark.parametrize(
    ("tamper", "named", "problem"),
    [
        ("note", "target", "isi peristiwa tidak cocok dengan hash-nya"),
        ("note_and_hash", "next", "prev_hash tidak sama dengan hash peristiwa sebelumnya"),
        ("delete", "next", "nomor urut melompat (seharusnya 4)"),
    ],
)
def test_verify_audit_names_exactly_the_event_changed_behind_the_triggers(
    staff, capsys, tamper, named, problem
):
    ticket, target, following = _closed_chain_target(staff)
    if tamper == "note":
        _behind_the_triggers(
            "UPDATE step_events SET note = 'Sudah beres' WHERE id = :id", id=target.id
        )
    elif tamper == "note_and_hash":  # a careful intruder re-hashes the edited row
        content = {name: getattr(target, name) for name in audit.CONTENT_COLUMNS}
        forged = audit.event_hash(target.prev_hash, {**content, "note": "Sudah beres"})
        _behind_the_triggers(
            "UPDATE step_events SET note = 'Sudah beres', hash = :h WHERE id = :id",
            id=target.id,
            h=forged,
        )
    else:
        _behind_the_triggers("DELETE FROM step_events WHERE id = :id", id=target.id)
    broken = target if named == "target" else following

    assert verify_audit.main([]) == 1

    err = capsys.readouterr().err
    assert err.startswith(
        f"RUSAK: pengaduan {ticket}, peristiwa ke-{broken.seq} (id {broken.id}): {problem}"
    )
    with read_session() as session:
        recorded = audit_service.last_check(session)
    assert recorded.ok is False
    assert (recorded.broken.ticket, recorded.broken.seq, recorded.broken.event_id) == (
        ticket,
        broken.seq,
        broken.id,
    )


def test_verify_audit_notices_a_deleted_last_event(staff, capsys):
    complaint_id = bring_to(staff, 6)
    last = events(complaint_id)[-1]
    _behind_the_triggers("DELETE FROM step_events WHERE id = :id", id=last.id)
    before = events(complaint_id)[-1]

    assert verify_audit.main([]) == 1

    err = capsys.readouterr().err
    assert f"peristiwa ke-{before.seq} (id {before.id})" in err
    assert "ada peristiwa yang hilang" in err


def test_verify_audit_passes_on_a_bulk_seeded_database(db, capsys):
    # Three busy days: some complaints arrive in the minutes just before now, and are
    # not written at all (the workflow never leaves a complaint without its first event).
    totals = bulk_seed(url=db, count=400, now=NOW, days=3, batch_size=70)
    assert totals["events"] == _event_count() > 2000
    with read_session() as session:
        assert totals["complaints"] == session.scalar(select(func.count(Complaint.id))) <= 400

    assert verify_audit.main([]) == 0
    assert f"OK: {angka(totals['events'])} peristiwa diperiksa" in capsys.readouterr().out


# --- migration 0005 --------------------------------------------------------------------


@pytest.fixture
def fresh_url(backend, tmp_path):
    """An empty database of the backend under test, not migrated yet."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"layanan_mig_{uuid.uuid4().hex[:8]}"
    server = create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{POSTGRES_SERVER_URL.rpartition('/')[0]}/{name}"
    db_engine.dispose_all()
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def _alembic(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "db" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _old_events(url: str) -> int:
    """Complaints and events written before 0005 (no hash columns), tricky values too."""
    engine = create_engine(url)
    complaint_cols = {c.name for c in Complaint.__table__.columns}
    event_table = StepEvent.__table__
    old_columns = {c.name for c in event_table.columns} - {"id", "prev_hash", "hash"}
    count = 0
    with engine.begin() as conn:
        for n in range(1, 4):
            row = {
                "ticket": f"ADU-2026-00000{n}",
                "channel": "datang_langsung",
                "complainant_name": "S\u00efti \u201cAminah\u201d",
                "anonymous": False,
                "confidential": False,
                "supervisory": False,
                "subject": "Perihal",
                "body": "Isi",
                "category": "Pelatihan dan sertifikasi",
                "current_step": None,
                "step_entered_at": NOW,
                "version": 4,
                "arrived_at": NOW,
                "received_at": NOW,
                "draft_rounds": 0,
                "created_at": NOW,
            }
            assert set(row) <= complaint_cols
            cid = conn.execute(insert(Complaint.__table__).values(row)).inserted_primary_key[0]
            for seq, (action, to_step) in enumerate(
                [("meet", 2), ("receive", 3), ("hand_over", None)], start=1
            ):
                values = {
                    "complaint_id": cid,
                    "seq": seq,
                    "step": seq,
                    "action": action,
                    "to_step": to_step,
                    "actor_id": None,
                    "actor_name": "Petugas \u00e9\u00e8",
                    "role": "petugas",
                    "at": NOW + timedelta(minutes=seq, microseconds=123 * seq),
                    "step_entered_at": NOW,
                    "working_minutes": seq,
                    "standard_minutes": 15,
                    "note": None if seq == 1 else f"Catatan\nbaris {seq} \u2014 \u00fc",
                    "payload": {"z": [3, 1], "a": {"y": 1, "b": "teks"}, "documents": []},
                }
                assert set(values) == old_columns
                conn.execute(insert(event_table).values(values))
                count += 1
    engine.dispose()
    return count


def test_migration_backfills_valid_hashes_on_existing_events(fresh_url):
    cfg = _alembic(fresh_url)
    command.upgrade(cfg, "0004")
    written = _old_events(fresh_url)

    command.upgrade(cfg, "head")

    result = audit_service.verify(fresh_url)
    assert (result.ok, result.events, result.broken) == (True, written, None)
    engine = create_engine(fresh_url)
    columns = {c["name"]: c for c in inspect(engine).get_columns("step_events")}
    assert columns["hash"]["nullable"] is False and columns["prev_hash"]["nullable"] is False
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE step_events SET note = 'x'"))

    # Downgrade removes the columns and the triggers; upgrading again re-hashes.
    db_engine.dispose_all()
    command.downgrade(cfg, "0004")
    assert "hash" not in {c["name"] for c in inspect(engine).get_columns("step_events")}
    with engine.begin() as conn:
        conn.execute(text("UPDATE step_events SET working_minutes = working_minutes"))
    command.upgrade(cfg, "head")
    assert audit_service.verify(fresh_url).ok
    engine.dispose()


def _triggers(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        names = set(conn.execute(text(sql)).scalars())
    engine.dispose()
    return names


def test_the_migrated_head_has_the_append_only_triggers(fresh_url, backend):
    """A later migration that rebuilds step_events (SQLite batch mode drops its triggers)
    must reinstall them with db.audit.install_append_only: this test notices if not."""
    command.upgrade(_alembic(fresh_url), "head")
    if backend == "postgresql":
        expected = {f"trg_{t}_append_only" for t in audit.APPEND_ONLY_TABLES}
    else:
        expected = {
            f"trg_{t}_no_{op}" for t in audit.APPEND_ONLY_TABLES for op in ("update", "delete")
        }
    assert _triggers(fresh_url) >= expected
