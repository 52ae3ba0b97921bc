"""One permission check: capabilities as data (layanan.permissions), one services.authz."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db.engine import read_session, write_session
from db.models import User, UserRole
from layanan import permissions
from layanan.errors import NotAllowed
from layanan.sop import Role
from services import auth, authz

ROOT = Path(__file__).resolve().parent.parent


# --- the table ---------------------------------------------------------------------------


def test_each_page_is_a_capability_of_exactly_the_roles_that_list_it():
    for role, pages in permissions.PAGES_BY_ROLE.items():
        for page in pages:
            assert role in permissions.CAPABILITIES[f"page:{page}"]
    for name, roles in permissions.CAPABILITIES.items():
        if name.startswith("page:"):
            page = name.removeprefix("page:")
            assert roles == {r for r, p in permissions.PAGES_BY_ROLE.items() if page in p}


def test_every_capability_has_roles_and_an_indonesian_refusal():
    for name, roles in permissions.CAPABILITIES.items():
        assert roles, name
        assert Role.PEMOHON not in roles, name  # the complainant has no account
        assert permissions.refusal(name).endswith("."), name
    assert set(permissions.REFUSALS) <= set(permissions.CAPABILITIES)


def test_the_page_list_comes_from_the_same_table():
    assert permissions.pages_for({Role.ADMIN}) == (
        "admin",
        "dashboard",
        "search",
        "complaint",
        "templates",
    )
    assert permissions.pages_for({Role.PETUGAS, Role.ARSIPARIS}) == (
        "queue",
        "notifications",
        "intake",
        "complaint",
        "search",
        "register_book",
    )
    for role in Role:
        for page in permissions.pages_for({role}):
            assert permissions.may_open({role}, page)
            assert permissions.allows({role}, f"page:{page}")
    assert not permissions.may_open({Role.ADMIN}, "queue")
    assert not permissions.may_open({Role.ADMIN}, "no-such-page")


# --- the check ----------------------------------------------------------------------------


def test_require_returns_the_actor_holding_the_capability(staff):
    with read_session() as session:
        actor = authz.require(session, user_id=staff.admin.id, capability="manage_users")
    assert actor.user_id == staff.admin.id and Role.ADMIN in actor.roles


@pytest.mark.parametrize(
    ("who", "capability", "message"),
    [
        ("petugas", "manage_users", "Hanya administrator yang dapat melakukan ini."),
        ("kepala", "manage_templates", "Hanya administrator yang dapat mengelola templat surat."),
        ("unit_kop", "print_register", "Buku pengaduan hanya dapat dicetak oleh"),
        ("petugas", "view_dashboard", "Dasbor pemantauan hanya untuk"),
        ("unit_kop", "deliver", "Penyampaian surat jawaban dilakukan oleh Petugas Pelayanan."),
        ("outsider", "staff", "Akun Anda belum memiliki peran."),
        ("admin", "page:queue", "Anda tidak memiliki akses ke halaman ini."),
    ],
)
def test_require_refuses_with_the_capabilitys_message(staff, who, capability, message):
    with read_session() as session, pytest.raises(NotAllowed) as err:
        authz.require(session, user_id=getattr(staff, who).id, capability=capability)
    assert err.value.message.startswith(message)


def test_the_account_is_read_in_one_statement_with_its_unit_and_every_role(staff):
    """Every service call checks its user, several times a page: one plain query
    (the ORM's get with the joined unit and the selectin roles took two, and a quarter
    of a page's server CPU, issue 14)."""
    from tests.databases import statements_run

    with write_session() as session:
        user = session.get(User, staff.unit_kop.id)
        user.role_rows.append(UserRole(role=Role.ARSIPARIS.value))
    with read_session() as session, statements_run() as statements:
        actor = authz.load_actor(session, staff.unit_kop.id)
        selects = [s for s, _ in statements if s.lstrip().upper().startswith("SELECT")]
        nobody = authz.account(session, 10**9)
    assert len(selects) == 1, selects
    assert actor.roles == {Role.UNIT, Role.ARSIPARIS}
    assert actor.unit_id == staff.unit_kop.unit_id and actor.username == "unit_kop"
    assert nobody is None
    current = auth.load_current_user(user_id=staff.unit_kop.id)
    assert current.roles == actor.roles and current.unit_name


def test_a_deactivated_account_is_refused_before_its_roles_count(staff):
    with write_session() as session:
        session.get(User, staff.admin.id).active = False
    with read_session() as session, pytest.raises(NotAllowed, match="tidak aktif"):
        authz.require(session, user_id=staff.admin.id, capability="manage_users")


def test_an_unknown_capability_is_a_programming_error(staff):
    with read_session() as session, pytest.raises(KeyError):
        authz.require(session, user_id=staff.admin.id, capability="manage_everything")


# --- no second style of check ------------------------------------------------------------

# A role tested against an actor's or user's roles, or a private check function of the
# styles this module replaced. Converting roles (``for r in user.roles``) is not a check.
ROLE_CHECK = re.compile(
    r"(?<!for r )\bin\s+(actor|user|current)\.roles\b"
    r"|[&|]\s*(actor|user)\.roles\b|\b(actor|user)\.roles\s*[-&]"
    r"|\bRole\.\w+(\.value)?\s+(not\s+)?in\s+(actor|user)\.roles\b"
    r"|def\s+(_require_admin|require_manager|_viewer|_staff|_admin)\b"
)
# The SOP engine checks the role of each SOP action (a column of the SOP table, not a
# capability), and the intake's front-desk check lives in the same engine; both are in
# services/workflow.py, which is being rewritten around the SOP table.
ENGINE_CHECKS = {
    ("services/workflow.py", "if role not in actor.roles:"),
}


def test_no_second_style_of_permission_check_comes_back():
    found = []
    for folder in ("services", "ui", "pages", "db", "documents", "charts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "services/authz.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if ROLE_CHECK.search(line) and (rel, line.strip()) not in ENGINE_CHECKS:
                    found.append(f"{rel}:{number}: {line.strip()}")
    app = (ROOT / "app.py").read_text()
    assert not ROLE_CHECK.search(app)
    assert found == [], "use services.authz.require (capabilities in layanan.permissions)"


def test_the_guard_recognises_the_styles_it_forbids():
    for line in (
        "if Role.ADMIN not in actor.roles:",
        "if Role.ADMIN.value not in user.roles:",
        "if sop.Role.PETUGAS in user.roles:",
        "if not (REGISTER_ROLES & actor.roles):",
        "if not (actor.roles - {Role.PEMOHON}):",
        "def _require_admin(session, acting_user_id):",
    ):
        assert ROLE_CHECK.search(line), line
    assert not ROLE_CHECK.search("roles=frozenset(Role(r) for r in user.roles),")
