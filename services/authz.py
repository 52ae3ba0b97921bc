"""The one permission check of the service layer: ``require(session, user_id=, capability=)``.

Every service function that acts for a staff user calls ``require`` first, inside its
own session: the account must exist and be active, then one of its roles must hold the
capability (``layanan.permissions.CAPABILITIES``). A refusal is one ``NotAllowed`` whose
Indonesian message names what is refused. As in Netflix Dispatch's permission classes,
a check is composed from small parts (an active account, then a capability held by a
role) and the grants are data, so a new capability is one row, not a new function.

What the SOP lets a role do at a step is not a capability: the workflow engine checks
the role of each SOP action (``services.workflow``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from db.models import Unit, User, UserRole
from layanan import permissions
from layanan.errors import NotAllowed
from layanan.sop import Role


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user (by id) or the complainant through the portal."""

    user_id: int | None
    name: str
    roles: frozenset[Role]
    unit_id: int | None = None
    username: str | None = None  # for the log line of what it does (services.logs)


PEMOHON = Actor(user_id=None, name="Pengadu", roles=frozenset({Role.PEMOHON}))


@dataclass(frozen=True)
class Account:
    """What every page run and service call checks of a user: one row per role read."""

    id: int
    username: str
    full_name: str
    active: bool
    unit_id: int | None
    unit_name: str | None
    roles: frozenset[Role]


_USERS, _UNITS, _ROLES = User.__table__, Unit.__table__, UserRole.__table__
# Built once: a plain Core statement (table columns, not ORM attributes) skips the ORM's
# compile step on every run; its compiled form is cached by SQLAlchemy.
_ACCOUNT = (
    select(
        _USERS.c.id,
        _USERS.c.username,
        _USERS.c.full_name,
        _USERS.c.active,
        _USERS.c.unit_id,
        _UNITS.c.name,
        _ROLES.c.role,
    )
    .select_from(
        _USERS.outerjoin(_UNITS, _UNITS.c.id == _USERS.c.unit_id).outerjoin(
            _ROLES, _ROLES.c.user_id == _USERS.c.id
        )
    )
    .where(_USERS.c.id == bindparam("user_id"))
)


def account(session: Session, user_id: int) -> Account | None:
    """The user ``user_id`` with its unit's name and its roles, or None if unknown.

    One plain query, no ORM objects: it runs several times in every page run (the
    login check, then every service the page calls), and the ORM's ``session.get`` with
    the user's joined unit and selectin roles cost a quarter of a queue or complaint
    page's server CPU (issue 14, profiled with py-spy).
    """
    rows = session.execute(_ACCOUNT, {"user_id": user_id}).all()
    if not rows:
        return None
    first = rows[0]
    return Account(
        id=first.id,
        username=first.username,
        full_name=first.full_name,
        active=bool(first.active),
        unit_id=first.unit_id,
        unit_name=first.name,
        roles=frozenset(Role(r.role) for r in rows if r.role is not None),
    )


def load_actor(session: Session, user_id: int) -> Actor:
    """The active user as an Actor; refused if unknown or deactivated."""
    user = account(session, user_id) if user_id is not None else None
    if user is None or not user.active:
        raise NotAllowed("Akun Anda tidak aktif. Hubungi administrator.")
    return Actor(
        user_id=user.id,
        name=user.full_name,
        roles=user.roles,
        unit_id=user.unit_id,
        username=user.username,
    )


def check(actor: Actor, *, capability: str) -> Actor:
    """``actor`` if one of its roles holds ``capability``; else the capability's refusal."""
    if not permissions.allows(actor.roles, capability):
        raise NotAllowed(permissions.refusal(capability))
    return actor


def require(session: Session, *, user_id: int, capability: str) -> Actor:
    """The active user holding ``capability``, as an Actor; NotAllowed otherwise."""
    if capability not in permissions.CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}")
    return check(load_actor(session, user_id), capability=capability)


__all__ = ["PEMOHON", "Account", "Actor", "account", "check", "load_actor", "require"]
