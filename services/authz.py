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

from sqlalchemy.orm import Session

from db.models import User
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


def load_actor(session: Session, user_id: int) -> Actor:
    """The active user as an Actor; refused if unknown or deactivated."""
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        raise NotAllowed("Akun Anda tidak aktif. Hubungi administrator.")
    return Actor(
        user_id=user.id,
        name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles),
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


__all__ = ["PEMOHON", "Actor", "check", "load_actor", "require"]
