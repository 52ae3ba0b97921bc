"""Throttling of public requests, stored in the database (sliding window, slowing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from db.engine import read_session
from db.models import RateLimitHit
from services import ratelimit
from services.ratelimit import Policy, Throttled

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

SLOWED = Policy(
    bucket="uji",
    max_hits=5,
    window=timedelta(minutes=15),
    refusal="Terlalu sering.",
    slow_after=2,
    base_delay=timedelta(seconds=5),
    max_delay=timedelta(seconds=12),
)


def hits_stored() -> list[tuple[str, datetime]]:
    with read_session() as session:
        return [tuple(row) for row in session.execute(select(RateLimitHit.client, RateLimitHit.at))]


def test_it_lets_a_client_go_until_the_slowing_starts(db):
    for _ in range(2):
        ratelimit.check(policy=SLOWED, client="10.0.0.1", now=T0)
        ratelimit.hit(policy=SLOWED, client="10.0.0.1", now=T0)
    assert ratelimit.retry_after(policy=SLOWED, client="10.0.0.1", now=T0) == 5


def test_it_doubles_the_wait_after_each_further_hit_up_to_the_cap(db):
    waits = []
    now = T0
    for _ in range(4):
        ratelimit.hit(policy=SLOWED, client="c", now=now)
        waits.append(ratelimit.retry_after(policy=SLOWED, client="c", now=now))
        now += timedelta(seconds=waits[-1])
    # 1 hit: free; 2: 5 s; 3: 10 s; 4: 20 s capped at 12 s.
    assert waits == [0, 5, 10, 12]


def test_it_refuses_with_an_indonesian_message_and_the_wait(db):
    for _ in range(2):
        ratelimit.hit(policy=SLOWED, client="c", now=T0)
    with pytest.raises(Throttled) as refused:
        ratelimit.check(policy=SLOWED, client="c", now=T0 + timedelta(seconds=1))
    assert refused.value.retry_after == 4
    assert refused.value.message == "Terlalu sering. Coba lagi dalam 4 detik."
    ratelimit.check(policy=SLOWED, client="c", now=T0 + timedelta(seconds=5))


def test_it_refuses_for_the_rest_of_the_window_at_the_maximum(db):
    for minute in range(5):
        ratelimit.hit(policy=SLOWED, client="c", now=T0 + timedelta(minutes=minute))
    later = T0 + timedelta(minutes=10)
    with pytest.raises(Throttled) as refused:
        ratelimit.check(policy=SLOWED, client="c", now=later)
    # Allowed again when the oldest hit leaves the window (T0 + 15 min).
    assert refused.value.retry_after == 5 * 60
    assert "Coba lagi dalam 5 menit." in refused.value.message
    # Then the slowing still applies (4 hits left in the window), measured from the last.
    assert ratelimit.retry_after(policy=SLOWED, client="c", now=T0 + timedelta(minutes=15)) == 0


def test_clients_are_counted_apart_and_stored_hashed(db):
    for _ in range(5):
        ratelimit.hit(policy=SLOWED, client="203.0.113.7", now=T0)
    with pytest.raises(Throttled):
        ratelimit.check(policy=SLOWED, client="203.0.113.7", now=T0)
    ratelimit.check(policy=SLOWED, client="203.0.113.8", now=T0)
    assert all("203.0.113" not in client for client, _ in hits_stored())
    assert {client for client, _ in hits_stored()} == {ratelimit.client_id("203.0.113.7")}


def test_an_unknown_client_shares_one_key(db):
    assert ratelimit.client_id(None) == ratelimit.client_id("  ") == ratelimit.client_id("")


def test_hits_older_than_the_window_are_forgotten(db):
    ratelimit.hit(policy=SLOWED, client="a", now=T0)
    ratelimit.hit(policy=SLOWED, client="b", now=T0 + timedelta(minutes=20))
    assert [at for _, at in hits_stored()] == [T0 + timedelta(minutes=20)]


def test_policies_follow_the_settings(db, monkeypatch):
    import config

    monkeypatch.setenv("TRACK_MAX_FAILURES", "4")
    monkeypatch.setenv("SUBMIT_MAX_PER_HOUR", "2")
    config.get_settings.cache_clear()
    try:
        assert ratelimit.track_policy().max_hits == 4
        assert ratelimit.submit_policy().max_hits == 2
        monkeypatch.setenv("TRACK_SLOW_AFTER", "tiga")
        config.get_settings.cache_clear()
        with pytest.raises(config.ConfigError, match="TRACK_SLOW_AFTER"):
            ratelimit.track_policy()
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()


def test_the_time_of_a_hit_is_now_when_not_given(db):
    with time_machine.travel(T0, tick=False):
        ratelimit.hit(policy=SLOWED, client="c")
    with read_session() as session:
        assert session.scalar(select(func.max(RateLimitHit.at))) == T0
