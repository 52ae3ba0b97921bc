"""Issue 12, item 10: wording that fits (a title's period, closure, channel, step 6)."""

from __future__ import annotations

import pytest

from layanan import sop
from layanan.text import kalimat, posisi
from tests.test_delivery import at_step_eleven, by_hand, deliver_events
from ui.complaint_view import ARRIVAL_LABELS, arrival_label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oleh Rina Marlina, S.Sos.", "oleh Rina Marlina, S.Sos."),
        ("oleh Budi Santoso", "oleh Budi Santoso."),
        ("Sudah diterima?", "Sudah diterima?"),
        ("oleh Ahmad, S.E. ", "oleh Ahmad, S.E."),
    ],
)
def test_a_sentence_ending_in_a_title_gets_no_second_period(text, expected):
    assert kalimat(text) == expected


def test_a_closed_complaint_is_said_to_be_finished_not_at_a_step():
    assert posisi("ADU-2026-000001", None) == "pengaduan ADU-2026-000001 selesai"
    assert posisi("ADU-2026-000001", 7) == (
        f"pengaduan ADU-2026-000001 kini di {sop.step_label(7)}"
    )


def test_the_arrival_label_fits_each_channel():
    assert set(ARRIVAL_LABELS) == set(sop.Channel)  # every channel has its own label
    assert arrival_label("datang_langsung") == "Datang"
    assert arrival_label("email") == "Diterima melalui pos-el"
    assert arrival_label("whatsapp") == "Pesan WhatsApp masuk"
    assert arrival_label("online") == "Dikirim melalui portal"
    others = [label for channel, label in ARRIVAL_LABELS.items() if channel != "datang_langsung"]
    assert "Datang" not in others


def test_step_six_does_not_promise_to_attach_the_sheet_it_generates():
    label = sop.ACTION_BY_KEY["register"].label
    assert "lampirkan" not in label and "lembar disposisi dibuat otomatis" in label


def test_in_person_delivery_by_an_officer_with_a_title_has_one_period(staff):
    complaint_id = at_step_eleven(staff)
    by_hand(staff.petugas, complaint_id, "langsung", received_by="Siti Aminah")
    [event] = deliver_events(complaint_id)
    evidence = event.payload["evidence"]
    assert staff.petugas.full_name.endswith(".")  # "Rina Marlina, S.Sos."
    assert f"oleh {staff.petugas.full_name}" in evidence
    assert ".." not in evidence
