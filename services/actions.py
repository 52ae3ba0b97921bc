"""The entry point pages use to perform an SOP action on a complaint.

Most actions go straight to ``services.workflow.advance``. Actions that produce an
official document in the same transaction (signing freezes the reply letter, delivery
by e-mail sends it) are routed to the service that does that work, which itself calls
``workflow.apply_action``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services import workflow
from services.workflow import NewDocument, Transition


def perform(
    *,
    complaint_id: int,
    action: str,
    user_id: int,
    expected_version: int,
    payload: Mapping[str, Any] | None = None,
    documents: Sequence[NewDocument] = (),
    note: str | None = None,
) -> Transition:
    """Perform one SOP action for a logged-in staff user (refusals raise WorkflowError)."""
    if action == "sign":  # step 10: number the letter and freeze it (services.letters)
        from services import letters

        return letters.sign_reply(
            complaint_id=complaint_id, user_id=user_id, expected_version=expected_version
        )
    if action == "deliver":  # step 11: send by e-mail / confirm WhatsApp / in person
        from services import delivery

        return delivery.deliver_from_payload(
            complaint_id=complaint_id,
            user_id=user_id,
            expected_version=expected_version,
            payload=dict(payload or {}),
            documents=documents,
            note=note,
        )
    return workflow.advance(
        complaint_id=complaint_id,
        action=action,
        user_id=user_id,
        expected_version=expected_version,
        payload=payload,
        documents=documents,
        note=note,
    )
