"""PIN guesses are counted before argon2 runs, per client and per ticket, on both databases.

The budgets (defaults, config.py): per client 3 free failures, then slowed, at most 10
per 15 minutes; per ticket 10 failures per 60 minutes, then one evaluated guess every
10 minutes (the slow path, through which the owner still gets in).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from argon2 import PasswordHasher

import config
from layanan.errors import NotAllowed, NotFound
from services import clients, pins, portal, receipt
from services.ratelimit import Throttled
from tests.factories import new_complaint

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
PARALLEL = 60
TICKET_BUDGET = 10  # TRACK_TICKET_MAX_FAILURES
CLIENT_FREE = 3  # TRACK_SLOW_AFTER
SLOW = timedelta(minutes=10)  # TRACK_TICKET_SLOW_SECONDS


class CountingHasher:
    """The PIN hasher, counting its verifications (argon2's own object is read-only)."""

    def __init__(self, real) -> None:
        self.real = real
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def verify(self, pin_hash, pin):
        with self.lock:
            self.seen.append(pin_hash)
        return self.real.verify(pin_hash, pin)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """A cheap argon2 cost for the checks and the dummy hash too (new PINs are hashed
    cheaply in every test, tests/conftest.py): what these tests count is how many
    guesses are evaluated, not how long one takes (the production cost stays argon2's
    default)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(pins, "PIN_HASHER", cheap)
    monkeypatch.setattr(pins, "DUMMY_HASH", cheap.hash("dummy"))


@pytest.fixture
def evaluated(monkeypatch, cheap_argon2) -> list[str]:
    """Every argon2 verification of a PIN (the hash it ran against), thread-safe."""
    hasher = CountingHasher(pins.PIN_HASHER)
    monkeypatch.setattr(pins, "PIN_HASHER", hasher)
    return hasher.seen


def wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def outcome(call) -> str:
    try:
        call()
    except Throttled:
        return "throttled"
    except (NotFound, NotAllowed):
        return "wrong"
    return "ok"


def in_parallel(calls) -> Counter:
    """Run every call in its own thread (its own sessions and connections) at once."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call):
        barrier.wait()
        try:
            results.append(outcome(call))
        except Exception as exc:  # counted, so a crashed guess cannot pass unseen
            results.append(f"error: {type(exc).__name__}")

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(results)


def test_parallel_wrong_guesses_from_many_clients_evaluate_only_the_ticket_budget(
    staff, evaluated, backend
):
    created = new_complaint(staff)
    guess = wrong(created.pin)
    calls = [
        (lambda n=n: portal.track(ticket=created.ticket, pin=guess, client=f"198.51.100.{n}"))
        for n in range(PARALLEL)
    ]
    results = in_parallel(calls)
    print(
        f"\n[{backend}] {PARALLEL} parallel guesses, {PARALLEL} clients: {dict(results)}, "
        f"argon2 evaluations {len(evaluated)}"
    )
    assert len(evaluated) == results["wrong"] == TICKET_BUDGET
    assert results == {"wrong": TICKET_BUDGET, "throttled": PARALLEL - TICKET_BUDGET}


def test_parallel_wrong_guesses_from_one_client_evaluate_only_its_free_ones(
    staff, evaluated, backend
):
    created = new_complaint(staff)
    guess = wrong(created.pin)
    calls = [
        (lambda: portal.track(ticket=created.ticket, pin=guess, client="203.0.113.5"))
    ] * PARALLEL
    results = in_parallel(calls)
    print(
        f"\n[{backend}] {PARALLEL} parallel guesses, 1 client: {dict(results)}, "
        f"argon2 evaluations {len(evaluated)}"
    )
    assert len(evaluated) == results["wrong"] == CLIENT_FREE
    assert results == {"wrong": CLIENT_FREE, "throttled": PARALLEL - CLIENT_FREE}


def test_a_hundred_client_keys_share_one_ticket_budget(staff, evaluated):
    created = new_complaint(staff)
    guess = wrong(created.pin)
    evaluated.clear()
    results = Counter()
    with time_machine.travel(T0, tick=False) as clock:
        # 100 addresses, 2 guesses each, spread over 9 minutes (the issue: 600 evaluated).
        for n in range(100):
            for _ in range(2):
                results[
                    outcome(
                        lambda n=n: portal.track(
                            ticket=created.ticket, pin=guess, client=f"192.0.2.{n}"
                        )
                    )
                ] += 1
            clock.shift(timedelta(seconds=5.4))
    assert results["wrong"] == len(evaluated) == TICKET_BUDGET
    assert results["throttled"] == 200 - TICKET_BUDGET


def test_a_spent_ticket_still_opens_for_the_right_pin_through_the_slow_path(staff, evaluated):
    created = new_complaint(staff)
    guess = wrong(created.pin)
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(TICKET_BUDGET):
            assert (
                outcome(
                    lambda n=n: portal.track(ticket=created.ticket, pin=guess, client=f"10.9.0.{n}")
                )
                == "wrong"
            )
        clock.shift(timedelta(minutes=3))
        # The owner, from a fresh address, is told exactly how long to wait...
        with pytest.raises(Throttled) as refused:
            portal.track(ticket=created.ticket, pin=created.pin, client="203.0.113.77")
        assert refused.value.retry_after == 7 * 60
        assert refused.value.message == (
            "Terlalu banyak percobaan PIN yang gagal untuk nomor tiket ini. Demi keamanan, "
            "PIN tiket ini hanya dapat dicoba sekali setiap 10 menit. Coba lagi dalam 7 menit."
        )
        clock.shift(timedelta(seconds=refused.value.retry_after - 1))
        with pytest.raises(Throttled, match="Coba lagi dalam 1 detik"):
            portal.track(ticket=created.ticket, pin=created.pin, client="203.0.113.77")
        clock.shift(timedelta(seconds=1))
        # ... and then gets in; the success is given back, so the next rerun works too.
        assert portal.track(ticket=created.ticket, pin=created.pin, client="203.0.113.77")
        assert portal.track(ticket=created.ticket, pin=created.pin, client="203.0.113.77")
        # A guesser takes the next slot; the owner's page keeps working on its reruns
        # (the pair was verified lately) while the guesser waits.
        clock.shift(SLOW)
        assert (
            outcome(lambda: portal.track(ticket=created.ticket, pin=guess, client="100.65.0.1"))
            == "wrong"
        )
        assert portal.track(ticket=created.ticket, pin=created.pin, client="203.0.113.77")
        with pytest.raises(Throttled):
            portal.track(ticket=created.ticket, pin=guess, client="100.65.0.2")

        # A guesser keeps trying from fresh addresses every 30 s: one guess every
        # 10 minutes is evaluated.
        evaluated.clear()
        results = Counter()
        for n in range(70):  # from minute 20 to 55, before the first failures leave
            results[
                outcome(
                    lambda n=n: portal.track(
                        ticket=created.ticket, pin=guess, client=f"100.64.{n}.1"
                    )
                )
            ] += 1
            clock.shift(timedelta(seconds=30))
    assert results["wrong"] == len(evaluated) == 3  # at minutes 30, 40 and 50
    assert results["throttled"] == 70 - 3


def test_guesses_at_a_ticket_number_not_yet_issued_spend_nothing_of_its_complaint(staff):
    first = new_complaint(staff)
    prefix, number = re.fullmatch(r"(.*?)(\d+)", first.ticket).groups()
    coming = f"{prefix}{int(number) + 1:0{len(number)}d}"  # ticket numbers are sequential
    for n in range(TICKET_BUDGET + 2):
        assert outcome(
            lambda n=n: portal.track(ticket=coming, pin="123456", client=f"10.8.0.{n}")
        ) in {"wrong", "throttled"}
    created = new_complaint(staff)
    assert created.ticket == coming
    assert portal.track(ticket=coming, pin=created.pin, client="203.0.113.78")


def test_the_receipt_download_is_throttled_like_tracking(staff, evaluated):
    created = new_complaint(staff)
    guess = wrong(created.pin)
    with time_machine.travel(T0, tick=False):
        results = [
            outcome(
                lambda: receipt.receipt_download(
                    complaint_id=created.complaint_id, pin=guess, client="198.51.100.99"
                )
            )
            for _ in range(20)
        ]
        assert results == ["wrong"] * CLIENT_FREE + ["throttled"] * (20 - CLIENT_FREE)
        assert len(evaluated) == CLIENT_FREE
        # The same budget as the tracking page: that client is refused there too.
        with pytest.raises(Throttled, match="dari perangkat Anda"):
            portal.track(ticket=created.ticket, pin=created.pin, client="198.51.100.99")
        # The right PIN from another device still gets the receipt.
        file = receipt.receipt_download(
            complaint_id=created.complaint_id, pin=created.pin, client="198.51.100.100"
        )
    assert file.filename == f"tanda-terima-{created.ticket}.docx"


def test_ratings_and_the_letter_use_the_same_throttled_check(staff, evaluated):
    created = new_complaint(staff)
    guess = wrong(created.pin)
    with time_machine.travel(T0, tick=False):
        calls = [
            lambda: portal.rate(ticket=created.ticket, pin=guess, client="c1", score=5),
            lambda: portal.reply_letter(ticket=created.ticket, pin=guess, client="c1"),
        ] * 3
        assert [outcome(call) for call in calls] == ["wrong"] * 3 + ["throttled"] * 3
    assert len(evaluated) == CLIENT_FREE


# --- who the client is ----------------------------------------------------------------


@pytest.fixture
def proxies(monkeypatch):
    def trust(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("TRUST_PROXY_FROM", raising=False)
        else:
            monkeypatch.setenv("TRUST_PROXY_FROM", value)
        config.get_settings.cache_clear()

    yield trust
    monkeypatch.undo()
    config.get_settings.cache_clear()


def key(headers=None, peer=None, session="s1") -> str:
    return clients.throttle_key(headers=headers or {}, peer=peer, session=session)


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(proxies):
    proxies("10.0.0.5")
    spoofed = [key({"X-Forwarded-For": f"198.51.100.{n}"}, peer="203.0.113.9") for n in range(5)]
    assert set(spoofed) == {"ip:203.0.113.9"}
    # No proxy configured at all: the headers mean nothing either.
    proxies(None)
    assert key({"X-Forwarded-For": "198.51.100.1", "X-Real-Ip": "1.2.3.4"}, "203.0.113.9") == (
        "ip:203.0.113.9"
    )


def test_the_right_most_untrusted_hop_is_the_client(proxies):
    proxies("10.0.0.0/24, 127.0.0.1")
    chain = "6.6.6.6, 198.51.100.23, 10.0.0.7"  # forged entry, client, inner proxy
    assert key({"x-forwarded-for": chain}, peer="10.0.0.5") == "ip:198.51.100.23"
    # Streamlit reports no peer for a proxy on the same host (loopback).
    assert key({"X-Forwarded-For": "6.6.6.6, 198.51.100.24"}, peer=None) == "ip:198.51.100.24"
    assert key({"X-Real-Ip": "198.51.100.25"}, peer="10.0.0.5") == "ip:198.51.100.25"
    # Garbage to the right of the forged part: the last trusted hop is all we know.
    assert key({"X-Forwarded-For": "1.1.1.1, rubbish"}, peer="10.0.0.5") == "ip:10.0.0.5"
    # IPv6 clients are keyed by their /64, so one line cannot rotate its budget.
    assert (
        key({"X-Forwarded-For": "2001:db8:1:2::99"}, peer="10.0.0.5")
        == (key({"X-Forwarded-For": "2001:db8:1:2:abcd::1"}, peer="10.0.0.5"))
        == "ip:2001:db8:1:2::/64"
    )


def test_visitors_without_an_address_do_not_share_one_key(proxies, staff):
    proxies(None)
    assert key(peer=None, session="a") != key(peer=None, session="b")
    assert key(peer="127.0.0.1", session="a") == "sesi:a"
    # So one of them spending its budget locks nobody else out.
    created = new_complaint(staff)
    other = new_complaint(staff)
    with time_machine.travel(T0, tick=False):
        for _ in range(CLIENT_FREE + 1):
            outcome(
                lambda: portal.track(ticket=other.ticket, pin="000001", client=key(session="x"))
            )
        with pytest.raises(Throttled):
            portal.track(ticket=other.ticket, pin="000001", client=key(session="x"))
        assert portal.track(ticket=created.ticket, pin=created.pin, client=key(session="y"))


@pytest.mark.parametrize("value", ["10.0.0.300", "proxy.local", "10.0.0.0/33"])
def test_a_bad_trusted_proxy_setting_stops_the_app(proxies, value):
    with pytest.raises(config.ConfigError, match="TRUST_PROXY_FROM"):
        proxies(value)
        config.get_settings()


def test_trusting_proxy_headers_without_naming_the_proxies_stops_the_app(proxies, monkeypatch):
    proxies(None)
    monkeypatch.setenv("TRUST_PROXY_HEADERS", "true")
    config.get_settings.cache_clear()
    with pytest.raises(config.ConfigError, match="TRUST_PROXY_FROM"):
        config.get_settings()
