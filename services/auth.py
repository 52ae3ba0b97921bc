"""Accounts: who is logged in, and what they hold."""

from __future__ import annotations

from dataclasses import dataclass

from db.engine import read_session
from db.models import User
from layanan.sop import Role


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in staff member, re-read from the database on every page run."""

    id: int
    username: str
    full_name: str
    roles: frozenset[Role]
    unit_id: int | None
    unit_name: str | None


def load_current_user(*, user_id: int) -> CurrentUser | None:
    """The active user with this id, or None (unknown or deactivated)."""
    with read_session() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        return CurrentUser(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            roles=frozenset(Role(r) for r in user.roles),
            unit_id=user.unit_id,
            unit_name=user.unit.name if user.unit else None,
        )
