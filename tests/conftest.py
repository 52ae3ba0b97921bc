"""Shared fixtures: a database per backend, named users per SOP role, frozen time.

Every test that uses ``db`` runs once on SQLite and once on PostgreSQL when
``TEST_POSTGRES_URL`` is set (``scripts/test`` starts a throwaway cluster and sets it).
In CI a missing PostgreSQL is an error, never a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

import config
from db import audit
from db import engine as db_engine
from db.models import Base, User
from layanan.sop import Role

POSTGRES_SERVER_URL = os.environ.get("TEST_POSTGRES_URL", "")
# No background sender thread in tests: each test sends exactly when it says so
# (services.outbox.send_now / process_due, or a sender subprocess).
os.environ["OUTBOX_WORKER"] = "external"
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_SERVER_URL else [])

if os.environ.get("CI") and not POSTGRES_SERVER_URL:
    raise pytest.UsageError(
        "CI=true but TEST_POSTGRES_URL is not set: run the suite through scripts/test, "
        "which starts PostgreSQL, so that no PostgreSQL test is skipped in CI."
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items) -> None:
    """Groups for pytest-xdist's ``--dist loadgroup`` (scripts/test): a module's tests
    run on one worker, so its module fixtures are built once; every browser test runs
    on the same worker, so that two Streamlit servers and two Chromiums never share the
    CPUs while their timeouts run. The scale-out test is the exception: it brings its
    own replicas, worker and nginx (no shared server), and as the longest browser test it
    runs beside the others on the other worker, which keeps CI inside its time."""
    for item in items:
        if item.path.stem == "test_scale_out":
            group = "scale-out"
        else:
            group = "browser" if "e2e" in item.path.parts else item.path.stem
        item.add_marker(pytest.mark.xdist_group(group))


def _use_database(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated, empty database on one backend for the whole session."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.db"
        url = f"sqlite:///{path}"
        yield url
        db_engine.dispose_all()
        return
    name = f"layanan_test_{uuid.uuid4().hex[:10]}"
    server = create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_SERVER_URL.rpartition("/")
    url = f"{base}/{name}"
    yield url
    db_engine.dispose_all()
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def _empty_all_tables(url: str) -> None:
    """Empty every table; the append-only triggers are (re)installed afterwards.

    PostgreSQL's TRUNCATE does not fire the row triggers; SQLite's DELETE would, so the
    triggers are dropped first. Both reinstall them through ``db.audit`` (the function
    migration 0005 uses), which also restores them after a test that dropped them.
    """
    engine = db_engine.get_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            audit.drop_append_only(conn)
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
        audit.install_append_only(conn)


def stand_in_pdf(docx: bytes) -> bytes:
    """A valid one-page PDF per .docx (blank; its last line names the .docx's digest),
    instead of a LibreOffice conversion."""
    import hashlib
    import io

    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    try:
        document.new_page(595, 842)
        out = io.BytesIO()
        document.save(out)
    finally:
        document.close()
    return out.getvalue() + b"% " + hashlib.sha256(docx).hexdigest().encode() + b"\n"


@pytest.fixture(autouse=True)
def _stand_in_converter(request, monkeypatch) -> None:
    """Every signing converts its letter to PDF after commit (services.signed_letter);
    LibreOffice takes 0.3-4 s a letter, so tests that do not read that PDF get a
    stand-in. A test about the PDF itself asks for ``real_converter``."""
    from services import signed_letter

    # An AppTest run of app.py would start the converter thread in this test process:
    # it would warm a LibreOffice, poll databases other tests have dropped, and take
    # later tests' conversions off their commit. Tests convert at commit instead (no
    # thread in the process); real servers (e2e) run their own thread.
    monkeypatch.setattr(signed_letter, "start_worker", lambda: False)
    if "real_converter" in request.fixturenames:
        return
    from documents import converter

    monkeypatch.setattr(converter, "convert", stand_in_pdf)


@pytest.fixture(autouse=True)
def _cheap_pin_hashes(monkeypatch) -> None:
    """New complaints' PINs hashed with a cheap argon2 cost. Every intake hashes one
    (0.1-0.2 s at argon2's default cost) and most tests create complaints; a check of a
    PIN reads the cost from the stored hash, so it stays an argon2 check of that hash.
    Production keeps argon2's default (``services.pins.PIN_HASHER``, asserted in
    test_portal), and the dummy hash of unknown tickets stays at that cost."""
    from argon2 import PasswordHasher

    from services import seed, workflow

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(workflow, "PIN_HASHER", cheap)
    monkeypatch.setattr(seed, "PIN_HASHER", cheap)


@pytest.fixture(scope="session")
def real_converter() -> Iterator[None]:
    """The real converter: this worker's own warm LibreOffice (unoserver), stopped after."""
    from documents import converter

    yield
    converter.stop()


@pytest.fixture
def db(db_url) -> Iterator[str]:
    """The database URL, made the app's DATABASE_URL, emptied after the test."""
    _use_database(db_url)
    db_engine.get_engine(db_url)  # migrates on first use
    yield db_url
    _empty_all_tables(db_url)


@pytest.fixture
def backend(db_url) -> str:
    return "postgresql" if db_url.startswith("postgresql") else "sqlite"


@dataclass(frozen=True)
class Staff:
    """Named fixture users, one per SOP role (plus an outsider with no role)."""

    petugas: User
    subbag: User
    kepala: User
    sekretaris: User
    unit_kop: User
    unit_ukm: User
    arsiparis: User
    admin: User
    outsider: User


@pytest.fixture(scope="session")
def demo_password_hash() -> str:
    """One argon2 hash of the demo password for the session: hashing it for every test's
    users cost 0.1-0.2 s a test, and every hash of it verifies the same way."""
    from services.passwords import hash_password
    from services.seed import DEMO_PASSWORD

    return hash_password(DEMO_PASSWORD)


@pytest.fixture
def staff(db, demo_password_hash, monkeypatch) -> Staff:
    from db.engine import write_session
    from services import seed
    from services.seed import DEMO_PASSWORD, ensure_demo_users

    real_hash = seed.hash_password
    monkeypatch.setattr(
        seed,
        "hash_password",
        lambda password: demo_password_hash if password == DEMO_PASSWORD else real_hash(password),
    )
    with write_session() as session:
        users = ensure_demo_users(session)
        outsider = User(
            username="tamu",
            full_name="Tamu Tanpa Peran",
            unit_id=users["unit_kop"].unit_id,
            password_hash=users["admin"].password_hash,
            active=True,
        )
        session.add(outsider)
        session.flush()
        users["outsider"] = outsider
        for user in users.values():
            session.expunge(user)
    assert DEMO_PASSWORD
    return Staff(**{k: v for k, v in users.items() if k in Staff.__dataclass_fields__})


@pytest.fixture
def smtp_server(monkeypatch):
    """Start a real SMTP server on localhost; the app's SMTP settings point to it.

    ``smtp_server(refuse="550 ...", port=...)`` returns its ``tests.mailserver.Inbox``;
    ``.stop()`` of the returned inbox's controller is done at teardown.
    """
    from tests.mailserver import Inbox, free_port, start_server

    def start(refuse: str | bool | None = None, port: int | None = None) -> Inbox:
        if refuse is True:
            refuse = "550 5.1.1 Mailbox unavailable"
        inbox = Inbox(refuse=refuse or None)
        port = port or free_port()
        inbox.controller = start_server(inbox, port)
        inbox.port = port
        started.append(inbox.controller)
        point_smtp_to(monkeypatch, port)
        return inbox

    started: list = []
    yield start
    for controller in started:
        controller.stop(no_assert=True)  # the test may have stopped it already
    config.get_settings.cache_clear()


def point_smtp_to(monkeypatch, port: int) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    monkeypatch.setenv("SMTP_SENDER", "Layanan Pengaduan <pengaduan@diskop.example.go.id>")
    config.get_settings.cache_clear()


@pytest.fixture
def roles() -> type[Role]:
    return Role


@pytest.fixture
def wa_server(monkeypatch):
    """A local WhatsApp Cloud API (tests.whatsapp_server); the app's settings point to it."""
    from tests.whatsapp_server import PHONE_NUMBER_ID, TOKEN, CloudApi

    api = CloudApi()
    monkeypatch.setenv("WHATSAPP_API_BASE_URL", api.base_url)
    monkeypatch.setenv("WHATSAPP_TOKEN", TOKEN)
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
    config.get_settings.cache_clear()
    yield api
    api.stop()
    config.get_settings.cache_clear()
