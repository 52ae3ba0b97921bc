"""The complainant portal: tracking with ticket + PIN, online submission, rating."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, update

from db.engine import read_session, write_session
from db.models import Complaint, Document, Rating, SignedLetter
from layanan import sop
from layanan.errors import InvalidInput, NotAllowed, NotFound
from services import authz, pins, portal, workflow
from services.complaint_lists import my_queue
from services.pins import PIN_HASHER
from services.portal import CURRENT, DONE, WAITING, WRONG_CREDENTIALS
from services.ratelimit import Throttled
from services.seed import DEMO_PDF
from services.workflow import IntakeData
from tests.factories import bring_to, do, new_complaint, payload_for, state, version_of

PIN = "246810"
CLIENT = "198.51.100.20"
WRITTEN = (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)


def with_pin(complaint_id: int, pin: str = PIN) -> str:
    """Give a factory complaint a known tracking PIN (the receipt's PIN is random)."""
    with write_session() as session:
        session.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id)
            .values(tracking_pin_hash=PIN_HASHER.hash(pin))
        )
    return state(complaint_id).ticket


def states(status) -> list[tuple[int, str]]:
    return [(s.number, s.state) for s in status.steps]


def expected(path, current) -> list[tuple[int, str]]:
    position = path.index(current) if current in path else len(path)
    return [
        (n, DONE if i < position else CURRENT if i == position else WAITING)
        for i, n in enumerate(path)
    ]


def online(**fields) -> IntakeData:
    values = {
        "channel": sop.Channel.ONLINE,
        "subject": "Dana bergulir koperasi belum cair",
        "body": "Pengajuan dana bergulir koperasi kami sejak Agustus belum ada kabar.",
        "category": "Bantuan dan pembiayaan usaha",
        "complainant_name": "Yusuf Lamato",
        "complainant_phone": "082199998888",
    }
    values.update(fields)
    return IntakeData(**values)


# --- tracking -------------------------------------------------------------------------


def test_an_online_complaint_waiting_at_the_front_desk_shows_step_two(staff):
    created = new_complaint(staff, channel=sop.Channel.ONLINE)
    status = portal.track(ticket=created.ticket, pin=created.pin, client=CLIENT)
    assert states(status) == expected(WRITTEN, 2)
    assert status.current == "Pengaduan diterima petugas"
    assert status.steps[0].at is not None and status.steps[2].at is None
    assert not status.closed and not status.can_rate and not status.letter_available


@pytest.mark.parametrize("step", [3, 4, 6, 7, 8, 9, 10, 11, 12, None])
def test_tracking_shows_the_written_path_at_each_step(staff, step):
    ticket = with_pin(bring_to(staff, step))
    status = portal.track(ticket=ticket, pin=PIN, client=CLIENT)
    assert states(status) == expected(WRITTEN, step)
    assert [s.label for s in status.steps] == [sop.step(n).public_label for n in WRITTEN]
    assert all(s.at is not None for s in status.steps if s.state != WAITING)
    assert status.closed is (step is None)
    assert status.current == ("Pengaduan selesai" if step is None else sop.step(step).public_label)


@pytest.mark.parametrize("step", [5, None])
def test_tracking_shows_the_oral_path(staff, step):
    ticket = with_pin(bring_to(staff, step, oral=True))
    status = portal.track(ticket=ticket, pin=PIN, client=CLIENT)
    assert states(status) == expected((1, 2, 3, 4, 5), step)
    if step is None:
        assert status.completed_at is not None  # settled on the spot: the clock stopped


def test_an_oral_complaint_turned_written_shows_step_five_on_its_path(staff):
    complaint_id = bring_to(staff, 5, oral=True)
    do(staff.unit_kop, complaint_id, "convert_to_written", payload_for("convert_to_written", staff))
    status = portal.track(ticket=with_pin(complaint_id), pin=PIN, client=CLIENT)
    assert [n for n, _ in states(status)] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert dict(states(status))[5] == DONE and dict(states(status))[6] == CURRENT


def test_a_returned_draft_shows_the_reply_being_drafted_again(staff):
    complaint_id = bring_to(staff, 9)
    do(staff.kepala, complaint_id, "return_draft", payload_for("return_draft", staff))
    status = portal.track(ticket=with_pin(complaint_id), pin=PIN, client=CLIENT)
    assert states(status) == expected(WRITTEN, 8)


def test_dates_and_expected_completion_come_from_the_events_and_the_clock(staff):
    friday = datetime(2026, 11, 27, 7, 50, tzinfo=UTC)  # 15:50 WITA
    with time_machine.travel(friday, tick=False):
        created = new_complaint(staff)
        status = portal.track(ticket=created.ticket, pin=created.pin, client=CLIENT)
    assert status.received_at == friday
    assert status.steps[0].at == friday and status.steps[2].at == friday
    # Completion: 14 working days, the same regulatory clock staff see.
    assert status.expected_completion == datetime(2026, 12, 17, 8, 0, tzinfo=UTC)


def test_the_ticket_is_read_without_spaces_or_case(staff):
    created = new_complaint(staff)
    status = portal.track(ticket=f"  {created.ticket.lower()} ", pin=created.pin, client=CLIENT)
    assert status.ticket == created.ticket


def test_a_wrong_ticket_and_a_wrong_pin_get_the_same_answer(staff, monkeypatch):
    created = new_complaint(staff)
    verified = []
    real = pins._verify
    monkeypatch.setattr(pins, "_verify", lambda h, p: verified.append(h) or real(h, p))
    answers = []
    for ticket, pin in (
        ("ADU-2000-999999", created.pin),  # no such ticket
        (created.ticket, "000000" if created.pin != "000000" else "111111"),  # wrong PIN
        (created.ticket, ""),  # no PIN
    ):
        with pytest.raises(NotFound) as refused:
            portal.track(ticket=ticket, pin=pin, client=CLIENT)
        answers.append((type(refused.value), refused.value.message))
    assert answers == [(NotFound, WRONG_CREDENTIALS)] * 3
    # One argon2 verification each time: against a dummy hash for the unknown ticket.
    assert len(verified) == 3 and verified[0] == portal._DUMMY_HASH
    assert verified[1] == verified[2] != portal._DUMMY_HASH


def test_the_status_holds_only_public_fields(staff):
    complaint_id = bring_to(staff, 10)
    status = portal.track(ticket=with_pin(complaint_id), pin=PIN, client=CLIENT)
    text = repr(dataclasses.asdict(status))
    for secret in (
        "Siti Aminah",
        "081234567890",
        "siti@example.id",
        "123/TNDE",
        "Dengan hormat",
        staff.petugas.full_name,
        staff.kepala.full_name,
        "BT-001",
    ):
        assert secret not in text
    assert status.subject == "Sertifikat pelatihan belum diterima"


@pytest.mark.parametrize("how", ["at_intake", "at_registration"])
def test_a_rahasia_complaint_shows_only_its_progress(staff, how):
    if how == "at_intake":
        complaint_id = bring_to(staff, None, confidential=True)
    else:
        # A letter its sender marked confidential is made rahasia when registered
        # (the one notion of confidentiality: the flag, not a Sifat).
        complaint_id = bring_to(staff, 6)
        do(
            staff.subbag,
            complaint_id,
            "register",
            {"agenda_number": "9/R", "sifat": "segera", "confidential": True},
        )
    status = portal.track(ticket=with_pin(complaint_id), pin=PIN, client=CLIENT)
    text = repr(dataclasses.asdict(status))
    for secret in ("Siti Aminah", "Sertifikat pelatihan", "kewirausahaan", "081234", "siti@"):
        assert secret not in text
    assert status.confidential and status.subject is None and status.category is None
    assert not status.letter_available
    assert len(status.steps) == len(WRITTEN)


# --- throttling -------------------------------------------------------------------------


def test_failures_are_slowed_then_refused_for_a_while(staff):
    created = new_complaint(staff)
    t0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    def attempt(pin: str) -> str:
        try:
            portal.track(ticket=created.ticket, pin=pin, client=CLIENT)
        except Throttled:
            return "throttled"
        except NotFound:
            return "wrong"
        return "ok"

    wrong = "000000" if created.pin != "000000" else "111111"
    with time_machine.travel(t0, tick=False) as clock:
        assert [attempt(wrong) for _ in range(3)] == ["wrong"] * 3
        # From the 4th failure on: wait 5 s, then 10, 20, 40, 60, 60, 60 (defaults).
        assert attempt(created.pin) == "throttled"
        for wait in (5, 10, 20, 40, 60, 60, 60):
            clock.shift(timedelta(seconds=wait - 1))
            assert attempt(wrong) == "throttled"
            clock.shift(timedelta(seconds=1))
            assert attempt(wrong) == "wrong"
        # 10 failures within 15 minutes: refused even with the right PIN...
        clock.shift(timedelta(minutes=2))
        with pytest.raises(Throttled) as refused:
            portal.track(ticket=created.ticket, pin=created.pin, client=CLIENT)
        assert "Terlalu banyak percobaan yang gagal" in refused.value.message
        assert "menit" in refused.value.message
        # ... while another client is not affected at another ticket.
        other = new_complaint(staff)
        assert portal.track(ticket=other.ticket, pin=other.pin, client="203.0.113.9")
        # After the window the right PIN works again (the ticket's own budget, spent by
        # these 10 failures, is tested in tests/test_pin_throttling.py).
        clock.shift(timedelta(minutes=15))
        assert attempt(created.pin) == "ok"


def test_a_successful_tracking_is_not_counted_as_a_failure(staff):
    created = new_complaint(staff)
    for _ in range(12):
        portal.track(ticket=created.ticket, pin=created.pin, client=CLIENT)


# --- online submission ------------------------------------------------------------------


def test_an_online_submission_enters_the_front_desk_queue_at_step_two(staff):
    submitted = portal.submit(data=online(), client=CLIENT)
    with read_session() as session:
        complaint = session.get(Complaint, submitted.complaint_id)
        assert (complaint.channel, complaint.current_step) == ("online", 2)
        # Step 2 belongs to the front desk, whose officer may now receive it.
        assert sop.step(complaint.current_step).role is sop.Role.PETUGAS
        actor = authz.load_actor(session, staff.petugas.id)
        actions = workflow.allowed_actions(session, complaint=complaint, actor=actor)
        assert [a.key for a in actions] == ["receive"]
        assert PIN_HASHER.verify(complaint.tracking_pin_hash, submitted.pin)
        assert submitted.pin not in complaint.tracking_pin_hash
    # The front desk's own queue (the staff workspace's read model) lists it at step 2.
    queue = my_queue(user_id=staff.petugas.id)
    assert [(i.ticket, i.step) for i in queue.page.items] == [(submitted.ticket, 2)]
    assert my_queue(user_id=staff.subbag.id).page.items == ()
    status = portal.track(ticket=submitted.ticket, pin=submitted.pin, client=CLIENT)
    assert status.channel == "Daring (portal)" and states(status) == expected(WRITTEN, 2)


def test_an_anonymous_submission_keeps_no_name(staff):
    submitted = portal.submit(data=online(anonymous=True), client=CLIENT)
    complaint = state(submitted.complaint_id)
    assert complaint.anonymous and complaint.complainant_name is None


def test_attachments_pass_the_same_checks_as_at_the_front_desk(staff):
    submitted = portal.submit(data=online(), files=[("bukti.pdf", DEMO_PDF)], client=CLIENT)
    with read_session() as session:
        docs = session.execute(
            select(Document.kind, Document.filename, Document.content_type).where(
                Document.complaint_id == submitted.complaint_id
            )
        ).all()
    assert docs == [("attachment", "bukti.pdf", "application/pdf")]
    with pytest.raises(InvalidInput, match="bukan jenis yang diterima"):
        portal.submit(data=online(), files=[("bukti.pdf", b"MZ\x90\x00 not a pdf")], client=CLIENT)
    with pytest.raises(InvalidInput, match="paling banyak 5"):
        portal.submit(data=online(), files=[("a.pdf", DEMO_PDF)] * 6, client=CLIENT)
    assert complaints_count() == 1


def complaints_count() -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def test_a_missing_field_is_refused_with_what_is_missing(staff):
    with pytest.raises(workflow.MissingItem) as refused:
        portal.submit(data=online(subject=" ", complainant_name=""), client=CLIENT)
    # Named as the portal form labels it ("Nama lengkap"), not as the front desk's form.
    assert "Perihal" in refused.value.message and "Nama lengkap" in refused.value.message
    assert complaints_count() == 0


def test_the_honeypot_refuses_a_bot_with_a_message(staff):
    with pytest.raises(InvalidInput) as refused:
        portal.submit(data=online(), honeypot="http://spam.example", client=CLIENT)
    assert refused.value.message == portal.HONEYPOT_REFUSAL
    assert complaints_count() == 0


def test_submissions_are_limited_per_client_per_hour(staff):
    t0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        for _ in range(5):
            portal.submit(data=online(), client=CLIENT)
            clock.shift(timedelta(minutes=1))
        with pytest.raises(Throttled) as refused:
            portal.submit(data=online(), client=CLIENT)
        assert refused.value.message.startswith(
            "Terlalu banyak pengaduan dikirim dari perangkat Anda dalam satu jam."
        )
        portal.submit(data=online(), client="203.0.113.50")  # someone else
        clock.shift(timedelta(minutes=56))  # the first submission left the hour
        portal.submit(data=online(), client=CLIENT)
    assert complaints_count() == 7


def test_honeypot_hits_count_towards_the_limit(staff):
    for _ in range(5):
        with pytest.raises(InvalidInput):
            portal.submit(data=online(), honeypot="x", client=CLIENT)
    with pytest.raises(Throttled):
        portal.submit(data=online(), client=CLIENT)


# --- rating -----------------------------------------------------------------------------


def ratings() -> list[tuple[int, int, str | None]]:
    with read_session() as session:
        return [
            tuple(r)
            for r in session.execute(select(Rating.complaint_id, Rating.score, Rating.comment))
        ]


def test_a_rating_is_refused_before_delivery(staff):
    ticket = with_pin(bring_to(staff, 11))
    assert not portal.track(ticket=ticket, pin=PIN, client=CLIENT).can_rate
    with pytest.raises(NotAllowed, match="setelah surat jawaban disampaikan"):
        portal.rate(ticket=ticket, pin=PIN, client=CLIENT, score=5)
    assert ratings() == []


def test_a_rating_is_given_once_after_delivery(staff):
    complaint_id = bring_to(staff, 12)
    ticket = with_pin(complaint_id)
    assert portal.track(ticket=ticket, pin=PIN, client=CLIENT).can_rate
    portal.rate(ticket=ticket, pin=PIN, client=CLIENT, score=4, comment="  Cepat dan jelas. ")
    with pytest.raises(NotAllowed, match="sudah memberikan penilaian"):
        portal.rate(ticket=ticket, pin=PIN, client=CLIENT, score=1)
    assert ratings() == [(complaint_id, 4, "Cepat dan jelas.")]
    status = portal.track(ticket=ticket, pin=PIN, client=CLIENT)
    assert status.rating == 4 and not status.can_rate


@pytest.mark.parametrize("score", [0, 6, "5", True, None])
def test_a_rating_must_be_one_to_five(staff, score):
    ticket = with_pin(bring_to(staff, 12))
    with pytest.raises(InvalidInput, match="antara 1 dan 5"):
        portal.rate(ticket=ticket, pin=PIN, client=CLIENT, score=score)


def test_a_rating_needs_the_right_pin(staff):
    ticket = with_pin(bring_to(staff, 12))
    with pytest.raises(NotFound) as refused:
        portal.rate(ticket=ticket, pin="999999", client=CLIENT, score=5)
    assert refused.value.message == WRONG_CREDENTIALS
    assert ratings() == []


def test_two_ratings_sent_at_once_store_one(staff):
    ticket = with_pin(bring_to(staff, 12))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def send(score: int) -> None:
        barrier.wait()
        try:
            portal.rate(ticket=ticket, pin=PIN, client=CLIENT, score=score)
            outcomes.append("ok")
        except NotAllowed as err:
            outcomes.append(err.message)

    threads = [threading.Thread(target=send, args=(s,)) for s in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Anda sudah memberikan penilaian untuk pengaduan ini.", "ok"]
    assert len(ratings()) == 1


# --- the reply letter -------------------------------------------------------------------


def signed_and_delivered(staff, **intake) -> int:
    """A complaint signed through the one door (its hook freezes the letter), then delivered."""
    complaint_id = bring_to(staff, 10, **intake)
    workflow.perform(
        complaint_id=complaint_id,
        action="sign",
        user_id=staff.sekretaris.id,
        expected_version=version_of(complaint_id),
    )
    return complaint_id


def frozen_letter(complaint_id: int) -> bytes:
    """The signed letter's PDF as stored once after signing (services.signed_letter)."""
    with read_session() as session:
        return session.scalar(
            select(SignedLetter.pdf).where(SignedLetter.complaint_id == complaint_id)
        )


def test_the_reply_letter_is_offered_only_after_delivery(staff):
    complaint_id = signed_and_delivered(staff)
    ticket = with_pin(complaint_id)
    assert not portal.track(ticket=ticket, pin=PIN, client=CLIENT).letter_available
    with pytest.raises(NotAllowed, match="setelah disampaikan"):
        portal.reply_letter(ticket=ticket, pin=PIN, client=CLIENT)
    do(staff.petugas, complaint_id, "deliver", payload_for("deliver", staff))
    assert portal.track(ticket=ticket, pin=PIN, client=CLIENT).letter_available
    letter = portal.reply_letter(ticket=ticket, pin=PIN, client=CLIENT)
    # Exactly the bytes frozen at signature, never a new rendering.
    assert letter.data == frozen_letter(complaint_id)
    assert letter.filename == f"surat-jawaban-{ticket}.pdf"
    assert letter.content_type == "application/pdf"
    with pytest.raises(NotFound) as refused:
        portal.reply_letter(ticket=ticket, pin="999999", client=CLIENT)
    assert refused.value.message == WRONG_CREDENTIALS


def test_a_rahasia_complaint_offers_no_letter(staff):
    complaint_id = signed_and_delivered(staff, confidential=True)
    do(staff.petugas, complaint_id, "deliver", payload_for("deliver", staff))
    ticket = with_pin(complaint_id)
    status = portal.track(ticket=ticket, pin=PIN, client=CLIENT)
    assert status.delivered_at is not None and not status.letter_available
    with pytest.raises(NotAllowed, match="rahasia"):
        portal.reply_letter(ticket=ticket, pin=PIN, client=CLIENT)


def test_pins_are_hashed_at_argon2s_default_cost(monkeypatch):
    """The tests hash new PINs cheaply (tests/conftest.py); the app does not."""
    monkeypatch.undo()  # the cheap hasher of tests/conftest.py
    from argon2 import PasswordHasher, extract_parameters

    from services import pins, workflow

    default = PasswordHasher()
    assert workflow.PIN_HASHER is pins.PIN_HASHER
    for name in ("time_cost", "memory_cost", "parallelism", "hash_len", "salt_len"):
        assert getattr(pins.PIN_HASHER, name) == getattr(default, name), name
    assert extract_parameters(pins.DUMMY_HASH) == extract_parameters(default.hash("x"))
