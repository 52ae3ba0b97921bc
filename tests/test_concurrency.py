"""Two people acting on one complaint at the same moment: exactly one wins."""

from __future__ import annotations

import threading

from db.engine import write_session
from db.models import User, UserRole
from layanan.errors import StaleVersion
from services import workflow
from tests.factories import events, new_complaint, state, version_of

ROUNDS = 20


def test_twenty_rounds_of_two_simultaneous_hand_overs_give_one_success_each(staff):
    with write_session() as session:
        second = User(
            username="petugas2",
            full_name="Budi Santoso",
            active=True,
            unit_id=staff.petugas.unit_id,
        )
        second.role_rows = [UserRole(role="petugas")]
        session.add(second)
        session.flush()
        second_id = second.id
    for round_number in range(ROUNDS):
        complaint_id = new_complaint(staff).complaint_id
        seen = version_of(complaint_id)
        barrier = threading.Barrier(2)
        outcomes: dict[int, object] = {}

        def act(
            user_id: int,
            complaint_id=complaint_id,
            seen=seen,
            barrier=barrier,
            outcomes=outcomes,
            round_number=round_number,
        ) -> None:
            barrier.wait()
            try:
                outcomes[user_id] = workflow.perform(
                    complaint_id=complaint_id,
                    action="hand_over",
                    user_id=user_id,
                    expected_version=seen,
                    payload={"guest_book_entry": f"BT-{round_number}-{user_id}"},
                )
            except StaleVersion as refusal:
                outcomes[user_id] = refusal

        threads = [
            threading.Thread(target=act, args=(uid,)) for uid in (staff.petugas.id, second_id)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        wins = [uid for uid, out in outcomes.items() if isinstance(out, workflow.Transition)]
        losses = [out for out in outcomes.values() if isinstance(out, StaleVersion)]
        assert len(wins) == 1 and len(losses) == 1, f"round {round_number}: {outcomes}"
        winner_name = staff.petugas.full_name if wins[0] == staff.petugas.id else "Budi Santoso"
        assert winner_name in losses[0].message
        complaint = state(complaint_id)
        assert complaint.current_step == 4 and complaint.version == seen + 1
        hand_overs = [e for e in events(complaint_id) if e.action == "hand_over"]
        assert len(hand_overs) == 1 and hand_overs[0].actor_id == wins[0]
        assert complaint.guest_book_entry == f"BT-{round_number}-{wins[0]}"
