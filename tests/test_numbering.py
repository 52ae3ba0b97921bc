"""Letter numbers: the pattern, and no two letters with one number when signed at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from db.engine import write_session
from db.models import User, UserRole
from documents import numbering
from layanan.errors import InvalidInput, StaleVersion
from services import reply_letter, workflow
from services.letter_settings import DEFAULT_CLASSIFICATION
from tests.factories import bring_to, state, version_of

SIGNERS = 8


def test_the_default_pattern():
    assert numbering.DEFAULT_PATTERN == "{klasifikasi}/{urut}/{unit}/{tahun}"
    number = numbering.format_number(
        numbering.DEFAULT_PATTERN, klasifikasi="065", urut=12, unit="BKOP", year=2026, month=11
    )
    assert number == "065/12/BKOP/2026"


def test_month_in_roman_numerals_and_the_draft_placeholder():
    when = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 December in Palu (UTC+8)
    pattern = "{klasifikasi}/{urut}/{unit}/{bulan}/{tahun}"
    assert numbering.draft_number(pattern, klasifikasi="065", unit="SEK", when=when) == (
        "065/...../SEK/XII/2026"
    )


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("", "wajib"),
        ("{klasifikasi}/{unit}/{tahun}", "{urut}"),
        ("{klasifikasi}/{urut}/{unit}", "{tahun}"),
        ("{urut}/{tahun}/{nama}", "nama"),
        ("{urut}/{tahun}/{0}", "0"),
        ("{urut/{tahun}", "tidak valid"),
        ("{urut}/{tahun}}", "tidak valid"),
        ("{urut:Z}/{tahun}", "tidak valid"),
        ("x" * 81 + "{urut}{tahun}", "terlalu panjang"),
    ],
)
def test_a_bad_pattern_is_refused_with_the_reason(pattern, fragment):
    with pytest.raises(InvalidInput) as err:
        numbering.validate_pattern(pattern)
    assert fragment in err.value.message


def test_a_good_pattern_is_accepted():
    assert numbering.validate_pattern(" {urut:03d}/{klasifikasi}/{tahun} ") == (
        "{urut:03d}/{klasifikasi}/{tahun}"
    )


def _more_secretaries(staff, count: int) -> list[int]:
    with write_session() as session:
        ids = []
        for n in range(count):
            user = User(
                username=f"sekretaris{n}",
                full_name=f"Sekretaris {n}",
                active=True,
                unit_id=staff.sekretaris.unit_id,
            )
            user.role_rows = [UserRole(role="sekretaris")]
            session.add(user)
            session.flush()
            ids.append(user.id)
        return ids


def test_many_signings_at_once_never_share_a_number(staff):
    complaints = [bring_to(staff, 10) for _ in range(SIGNERS)]
    signers = _more_secretaries(staff, SIGNERS)
    versions = {c: version_of(c) for c in complaints}
    barrier = threading.Barrier(SIGNERS)
    errors: list[BaseException] = []

    def sign(complaint_id: int, user_id: int) -> None:
        barrier.wait()
        try:
            workflow.perform(
                action="sign",
                complaint_id=complaint_id,
                user_id=user_id,
                expected_version=versions[complaint_id],
            )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=sign, args=(c, u)) for c, u in zip(complaints, signers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    numbers = [state(c).letter_number for c in complaints]
    year = datetime.now(UTC).year
    assert sorted(numbers, key=lambda n: int(n.split("/")[1])) == [
        f"{DEFAULT_CLASSIFICATION}/{n}/BKOP/{year}" for n in range(1, SIGNERS + 1)
    ]
    for complaint_id, number in zip(complaints, numbers, strict=True):
        # The frozen .docx kept beside the signed PDF carries the number it was given.
        kept = reply_letter.signed_docx(complaint_id=complaint_id, user_id=staff.petugas.id)
        from tests.test_render import text_of

        assert number in text_of(kept.data)


def test_two_secretaries_signing_one_letter_at_once_give_one_number(staff):
    complaint_id = bring_to(staff, 10)
    [other] = _more_secretaries(staff, 1)
    seen = version_of(complaint_id)
    barrier = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def sign(user_id: int) -> None:
        barrier.wait()
        try:
            outcomes[user_id] = workflow.perform(
                action="sign", complaint_id=complaint_id, user_id=user_id, expected_version=seen
            )
        except StaleVersion as refusal:
            outcomes[user_id] = refusal

    threads = [threading.Thread(target=sign, args=(u,)) for u in (staff.sekretaris.id, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(o).__name__ for o in outcomes.values()) == ["StaleVersion", "Transition"]
    assert state(complaint_id).letter_number.startswith(f"{DEFAULT_CLASSIFICATION}/1/")
    # The loser's number went back with its rollback: the next letter gets 2.
    second = bring_to(staff, 10)
    workflow.perform(
        action="sign",
        complaint_id=second,
        user_id=staff.sekretaris.id,
        expected_version=version_of(second),
    )
    assert state(second).letter_number.startswith(f"{DEFAULT_CLASSIFICATION}/2/")


def test_documents_import_no_service():
    root = Path(__file__).resolve().parent.parent / "documents"
    for path in root.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "from services" not in source and "import services" not in source, path
