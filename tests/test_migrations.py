"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, inspect, select, text

from config import ROOT
from db import audit
from db.models import NOT_MODELLED, TEXT_SEARCH_COLUMNS, Base, in_schema_comparison
from services import audit as audit_service
from services.seed import DEMO_USERS, UNITS
from tests.databases import alembic_config, empty_database


def test_migrations_have_one_head():
    script = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    assert len(script.get_heads()) == 1


def test_migrated_database_matches_the_models(db):
    engine = create_engine(db)
    with engine.connect() as conn:
        diff = compare_metadata(_context(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def _context(conn) -> MigrationContext:
    """A comparison that leaves out only what the models declare not modelled."""
    include = in_schema_comparison(conn.dialect.name)
    return MigrationContext.configure(conn, opts={"include_object": include})


def test_the_comparison_leaves_out_only_the_text_search_objects(db, backend):
    """The FTS5 table (SQLite) is in the database but not a model: the filter leaves out
    it and its shadow tables, and still sees a table or an index nobody declared."""
    engine = create_engine(db)
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        if backend == "sqlite":
            assert tables >= NOT_MODELLED
        else:
            assert not NOT_MODELLED & tables
            trgm = {ix["name"] for ix in inspect(conn).get_indexes("complaints")}
            assert {f"ix_complaints_{c}_trgm" for c in TEXT_SEARCH_COLUMNS} <= trgm
        conn.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE INDEX ix_stray_complaints ON complaints (form)"))
        diff = compare_metadata(_context(conn), Base.metadata)
        conn.execute(text("DROP INDEX ix_stray_complaints"))
        conn.execute(text("DROP TABLE stray"))
    engine.dispose()
    kinds = sorted((d[0], d[1].name) for d in diff)
    assert kinds == [("remove_index", "ix_stray_complaints"), ("remove_table", "stray")]


# --- every earlier revision upgrades to the models, keeping its rows --------------------

NOW = datetime(2026, 11, 30, 2, 15, 30, 123456, tzinfo=UTC)
RELEASED_0004 = "0004-released"


def _revisions() -> list[str]:
    """Every revision but the head, oldest first, plus 0004 as it was released."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    revisions = [r.revision for r in reversed(list(script.walk_revisions())) if r.revision != head]
    return [*revisions, RELEASED_0004]


def _rows_of_an_old_office(tables: dict) -> dict[str, list[dict]]:
    """Rows as the app wrote them at any revision: only columns the table has then."""
    events = []
    for complaint_id, actions in ((1, ["meet", "receive", "hand_over"]), (2, ["meet"])):
        for seq, action in enumerate(actions, start=1):
            events.append(
                {
                    "complaint_id": complaint_id,
                    "seq": seq,
                    "step": seq,
                    "action": action,
                    "to_step": seq + 1,
                    "actor_id": 1,
                    "actor_name": "Rina Marlina, S.Sos.",
                    "role": "petugas",
                    "at": NOW + timedelta(minutes=seq),
                    "step_entered_at": NOW,
                    "working_minutes": seq * 7,
                    "standard_minutes": 15,
                    "note": f"Catatan \u2014 {seq}" if seq > 1 else None,
                    "payload": {"documents": [], "b": [2, 1]},
                }
            )
    if "hash" in tables["step_events"].c:  # 0005 on: the app chained every insert
        prev = {}
        for event in events:
            event["prev_hash"] = prev.get(event["complaint_id"], audit.GENESIS)
            event["hash"] = prev[event["complaint_id"]] = audit.event_hash(
                event["prev_hash"], event
            )
    complaint = {
        "channel": "datang_langsung",
        "anonymous": False,
        "confidential": False,
        "supervisory": False,
        "category": "Lainnya",
        "step_entered_at": NOW,
        "arrived_at": NOW,
        "received_at": NOW,
        "draft_rounds": 0,
        "created_at": NOW,
    }
    rows = {
        "units": [{"id": 1, "code": "SBU", "name": "Sub Bagian Umum", "active": True}],
        "users": [
            {
                "id": 1,
                "username": "petugas",
                "full_name": "Rina Marlina, S.Sos.",
                "unit_id": 1,
                "password_hash": "$argon2id$dummy",
                "active": True,
                "failed_logins": 0,
                "created_at": NOW,
            }
        ],
        "user_roles": [{"user_id": 1, "role": "petugas"}],
        "counters": [{"name": "ticket-2026", "value": 2}],
        "settings": [
            {"key": "office_hours", "value": {"0": ["07:30", "16:00"]}, "updated_at": NOW}
        ],
        "complaints": [
            {
                **complaint,
                "id": 1,
                "ticket": "ADU-2026-000001",
                "complainant_name": "Siti \u201cAminah\u201d",
                "subject": "Sertifikat belum diterima",
                "body": "Isi aduan\nbaris dua",
                "current_step": 4,
                "version": 4,
                "guest_book_entry": "BT-20261130-01",
            },
            {
                **complaint,
                "id": 2,
                "ticket": "ADU-2026-000002",
                "anonymous": True,
                "subject": "Kotak pengaduan terkunci",
                "body": "Isi",
                "current_step": 2,
                "version": 2,
            },
        ],
        "complaint_units": [{"complaint_id": 1, "unit_id": 1}],
        "step_events": events,
        "documents": [
            {
                "complaint_id": 1,
                "kind": "complaint_letter",
                "filename": "surat-aduan.pdf",
                "content_type": "application/pdf",
                "size": 5,
                "sha256": hashlib.sha256(b"%PDF-").hexdigest(),
                "data": b"%PDF-",
                "step": 1,
                "uploaded_by_id": 1,
                "uploaded_at": NOW,
            }
        ],
        "outbox_messages": [
            {
                "id": 1,
                "kind": "reply_email",
                "complaint_id": 1,
                "recipient": "siti@example.id",
                "message_id": "<1@diskop.example>",
                "message": b"Subject: x\r\n\r\nisi",
                "status": "sent",
                "attempts": 1,
                "next_attempt_at": NOW,
                "sent_at": NOW,
                "created_at": NOW,
            }
        ],
        "outbox_attempts": [{"message_id": 1, "at": NOW, "ok": True}],
    }
    return {name: values for name, values in rows.items() if name in tables}


def _snapshot(url: str) -> dict[str, list[dict]]:
    """Every row of every table, read through the schema the database has now."""
    engine = create_engine(url)
    meta = MetaData()
    with engine.connect() as conn:
        meta.reflect(conn)
        snapshot = {
            name: sorted((dict(row) for row in conn.execute(select(table)).mappings()), key=repr)
            for name, table in meta.tables.items()
            if name != "alembic_version"
        }
    engine.dispose()
    return snapshot


@pytest.mark.parametrize("revision", _revisions())
def test_a_database_at_every_earlier_revision_upgrades_to_the_models_with_its_rows(
    revision, backend, tmp_path
):
    with empty_database(backend, tmp_path, "rev") as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, "0004" if revision == RELEASED_0004 else revision)
        engine = create_engine(url)
        with engine.begin() as conn:
            if revision == RELEASED_0004:
                # 0004 as released (before commit e0573ee) had no open-complaint index.
                conn.execute(text("DROP INDEX ix_complaints_open_received"))
            meta = MetaData()
            meta.reflect(conn)
            for name, rows in _rows_of_an_old_office(meta.tables).items():
                for row in rows:
                    conn.execute(meta.tables[name].insert().values(row))
        before = _snapshot(url)
        assert before["step_events"] and before["documents"]

        command.upgrade(cfg, "head")

        with engine.connect() as conn:
            diff = compare_metadata(_context(conn), Base.metadata)
        engine.dispose()
        assert diff == []
        after = _snapshot(url)
        for name, rows in before.items():
            kept = [{k: row[k] for k in rows[0]} for row in after[name]] if rows else after[name]
            assert kept == rows, name
        result = audit_service.verify(url)
        assert result.ok and result.events == len(before["step_events"])
        # Upgrading a database already at head changes nothing (0007 is idempotent).
        # (verify opened the app's engine, whose migrate has filled the aggregates.)
        after = _snapshot(url)
        command.upgrade(cfg, "head")
        assert _snapshot(url) == after


# --- two processes starting on one empty database -----------------------------------

RACE_ROUNDS = 2  # on main 4 of 4 rounds failed (2 per database)
# Each seeder imports the app, says so, and starts when the test tells both at once.
_START_TOGETHER = (
    "import sys\n"
    "from scripts import seed_demo\n"
    "print('ready', flush=True)\n"
    "sys.stdin.readline()\n"
    "sys.exit(seed_demo.main(['--if-empty', '--count', '1']))\n"
)


@pytest.mark.parametrize("round_number", range(RACE_ROUNDS))
def test_two_demo_seeders_starting_on_one_empty_database_give_one_set_of_rows(
    round_number, backend, tmp_path
):
    """scripts/run-demo twice at once: both migrate and seed the same empty database
    (imports done, they start within a millisecond). Before the schema lock one failed
    with "table counters already exists" (SQLite) or an IntegrityError (PostgreSQL)."""
    with empty_database(backend, tmp_path, "race") as url:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", _START_TOGETHER],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for process in processes:
            assert process.stdout.readline() == "ready\n"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in processes]
        assert [code for code, _, _ in results] == [0, 0], results
        outputs = sorted(out for _, out, _ in results)
        assert outputs[0].startswith("Database already has data"), outputs
        assert outputs[1].startswith("Demo data created"), outputs
        engine = create_engine(url)
        with engine.connect() as conn:
            users = conn.execute(text("SELECT username FROM users")).scalars().all()
            units = conn.execute(text("SELECT count(*) FROM units")).scalar()
            # The demo generator is seeded: a second set would repeat every phone number.
            phones = conn.execute(text("SELECT complainant_phone FROM complaints")).scalars().all()
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        engine.dispose()
        assert sorted(users) == sorted(u.username for u in DEMO_USERS)
        assert units == len(UNITS)
        assert phones and len(phones) == len(set(phones))
        assert len(versions) == 1


def test_0013_turns_an_old_sifat_rahasia_into_the_confidential_flag(backend, tmp_path):
    """One notion of confidentiality: a complaint registered with Sifat "rahasia" before
    0013 is rahasia (the flag masking reads) afterwards, with Sifat "biasa"."""
    with empty_database(backend, tmp_path, "sifat") as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, "0010")
        engine = create_engine(url)
        with engine.begin() as conn:
            meta = MetaData()
            meta.reflect(conn)
            rows = _rows_of_an_old_office(meta.tables)
            rows["complaints"][0]["sifat"] = "rahasia"
            rows["complaints"][1]["sifat"] = "segera"
            for name, values in rows.items():
                for row in values:
                    conn.execute(meta.tables[name].insert().values(row))
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            got = conn.execute(
                text("SELECT id, sifat, confidential FROM complaints ORDER BY id")
            ).all()
        engine.dispose()
    assert [(i, s, bool(c)) for i, s, c in got] == [(1, "biasa", True), (2, "segera", False)]
