"""A user object kept by a page is never trusted: every service that takes one reloads the
account, so a deactivation (or a role taken away) takes effect on the very next call."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from db.stats import Drill
from layanan.errors import NotAllowed
from layanan.sop import Role
from services import admin, auth, dashboard, recap

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def manager_calls(user, board):
    filters = dashboard.month_filters(2026, 11)
    return {
        "dashboard": lambda: dashboard.dashboard(user=user, filters=filters, now=NOW),
        "drill-down list": lambda: dashboard.complaints_behind(
            user=user, board=board, drill=Drill("received")
        ),
        "unit filter": lambda: dashboard.units_for_filter(user=user),
        "monthly recap": lambda: recap.monthly_recap(user=user, year=2026, month=11, now=NOW),
        "recap files": lambda: recap.build_recap(user=user, year=2026, month=11, now=NOW),
    }


@pytest.fixture
def kepala(staff):
    """The head of office as a page holds him: loaded at login, kept in memory."""
    user = auth.load_current_user(user_id=staff.kepala.id)
    board = dashboard.dashboard(user=user, filters=dashboard.month_filters(2026, 11), now=NOW)
    return user, board


def test_a_deactivated_managers_stale_object_is_refused_everywhere(staff, kepala):
    user, board = kepala
    dashboard.clear_cache()
    admin.set_user_active(acting_user_id=staff.admin.id, user_id=user.id, active=False)

    refused = {}
    for name, call in manager_calls(user, board).items():
        with pytest.raises(NotAllowed) as err:
            call()
        refused[name] = err.value.message
    assert set(refused.values()) == {"Akun Anda tidak aktif. Hubungi administrator."}


def test_roles_claimed_by_an_object_count_for_nothing(staff, kepala):
    _user, board = kepala
    clerk = auth.load_current_user(user_id=staff.petugas.id)
    claims = replace(clerk, roles=frozenset({Role.KEPALA_DINAS, Role.ADMIN}))

    refused = set()
    for name, call in manager_calls(claims, board).items():
        with pytest.raises(NotAllowed):
            call()
        refused.add(name)
    assert len(refused) == 5
