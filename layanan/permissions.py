"""Who may do what: role to pages and to SOP actions, from the SOP table.

The page list in ``app.py`` and the checks in the service layer both read this module:
hiding a page is convenience, the service refusal is the security.
"""

from __future__ import annotations

from collections.abc import Iterable

from layanan.sop import Role

# Page keys per role. ``app.py`` maps each key to its file in ``pages/``.
PAGES_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.PETUGAS: ("queue", "intake", "complaint", "search"),
    Role.SUBBAG_UMUM: ("queue", "complaint", "search", "register_book"),
    Role.KEPALA_DINAS: ("queue", "complaint", "search", "dashboard"),
    Role.SEKRETARIS: ("queue", "complaint", "search", "dashboard"),
    Role.UNIT: ("queue", "complaint", "search"),
    Role.ARSIPARIS: ("queue", "complaint", "search", "register_book"),
    Role.ADMIN: ("admin", "dashboard", "search", "complaint", "templates"),
}

# Roles that see a *rahasia* complaint's complainant identity (issue "Staff workspace").
SEES_CONFIDENTIAL_IDENTITY = frozenset({Role.PETUGAS, Role.SUBBAG_UMUM, Role.KEPALA_DINAS})


def pages_for(roles: Iterable[Role]) -> tuple[str, ...]:
    """The page keys granted to a set of roles, in a stable order, without repeats."""
    seen: dict[str, None] = {}
    for role in sorted(set(roles), key=list(Role).index):
        for page in PAGES_BY_ROLE.get(role, ()):
            seen.setdefault(page, None)
    return tuple(seen)


def may_open(roles: Iterable[Role], page: str) -> bool:
    return page in pages_for(roles)


def sees_identity(roles: Iterable[Role], *, confidential: bool) -> bool:
    """Whether these roles see the complainant's identity of a complaint."""
    return not confidential or bool(SEES_CONFIDENTIAL_IDENTITY & set(roles))
