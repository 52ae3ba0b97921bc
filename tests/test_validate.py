"""One e-mail and one phone check: the rules, and the entry points that now agree."""

from __future__ import annotations

import pytest

from layanan import sop
from layanan.errors import InvalidInput, StaleVersion
from layanan.validate import email_address, phone_number
from services import admin, delivery, portal, workflow
from tests.factories import bring_to, version_of

ADDRESSES = [  # (address, accepted)
    ("siti@example.id", True),
    ("  Siti.Aminah+pengaduan@Sulteng.go.id ", True),
    ("rahmat_h@mail.example.co.id", True),
    ("bukan alamat", False),
    ("siti@example", False),  # no dot in the domain: accepted at intake before
    ("siti@@example.id", False),
    ("siti@example..id", False),
    ("Siti <siti@example.id>", False),  # accepted at intake before, refused at delivery
    ("siti@example.id, rahmat@example.id", False),
    ("siti@exa mple.id", False),
]

NUMBERS = [  # (number, "mobile" | "landline" | "invalid")
    ("081234567890", "mobile"),
    ("+62 812-3456-7890", "mobile"),
    ("(0812) 345 678 90", "mobile"),
    ("(0451) 421234", "landline"),
    ("021-12345678", "landline"),
    ("tidak ada", "invalid"),  # accepted at intake before, refused at delivery
    ("0812", "invalid"),
    ("+1 415 555 0100", "invalid"),
    ("08123456789012345", "invalid"),
]


# --- the rules ------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "accepted"), ADDRESSES)
def test_an_email_address_is_accepted_or_refused_naming_the_field(address, accepted):
    if accepted:
        assert email_address(address, label="E-mail") == address.strip()
    else:
        with pytest.raises(InvalidInput) as err:
            email_address(address, label="Alamat e-mail pemohon")
        assert err.value.message.startswith("Alamat e-mail pemohon \u201c")
        assert "tidak valid" in err.value.message


def test_an_empty_address_is_none_and_a_long_one_is_refused():
    assert email_address("", label="E-mail") is None
    assert email_address("   ", label="E-mail") is None
    assert email_address(None, label="E-mail") is None
    with pytest.raises(InvalidInput, match="E-mail terlalu panjang"):
        email_address("a" * 190 + "@example.id", label="E-mail")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("62812 3456 7890", "+6281234567890"),
        ("8123456789", "+628123456789"),
        ("(0451) 421234", "+62451421234"),
        ("021-12345678", "+622112345678"),
    ],
)
def test_indonesian_numbers_are_normalised(raw, expected):
    assert phone_number(raw, label="Nomor telepon") == expected


def test_only_a_mobile_number_reaches_whatsapp():
    assert phone_number("0812-3456-7890", label="Nomor WhatsApp", mobile=True) == "+6281234567890"
    with pytest.raises(InvalidInput) as err:
        phone_number("(0451) 421234", label="Nomor WhatsApp", mobile=True)
    assert err.value.message.startswith("Nomor WhatsApp \u201c(0451) 421234\u201d")
    assert "nomor telepon rumah/kantor" in err.value.message
    assert phone_number("", label="Nomor WhatsApp", mobile=True) is None


@pytest.mark.parametrize(("raw", "kind"), [n for n in NUMBERS if n[1] == "invalid"])
def test_garbage_numbers_are_refused_naming_the_field(raw, kind):
    with pytest.raises(InvalidInput) as err:
        phone_number(raw, label="Nomor telepon/WhatsApp")
    assert err.value.message.startswith("Nomor telepon/WhatsApp \u201c")


# --- the entry points agree -------------------------------------------------------------


def _intake_data(**fields) -> workflow.IntakeData:
    return workflow.IntakeData(
        channel=sop.Channel.ONLINE,
        subject="Dana bergulir koperasi belum cair",
        body="Pengajuan dana bergulir koperasi kami belum ada kabar.",
        category="Bantuan dan pembiayaan usaha",
        complainant_name="Yusuf Lamato",
        **fields,
    )


def _outcome(call) -> bool:
    """True if ``call`` got past the check, False if it refused the input."""
    try:
        call()
    except InvalidInput:
        return False
    except StaleVersion:  # delivery: checked the address, then refused the stale page
        return True
    return True


def _front_desk(staff, **fields):
    data = _intake_data(**fields)
    data.channel = sop.Channel.DATANG_LANGSUNG
    data.guest_book_entry = "BT-009"
    return lambda: workflow.intake(data=data, user_id=staff.petugas.id)


def _portal(index: int, **fields):
    return lambda: portal.submit(data=_intake_data(**fields), client=f"198.51.100.{index}")


def _at_step_eleven(staff) -> int:
    complaint_id = bring_to(staff, 10)
    workflow.perform(
        complaint_id=complaint_id,
        action="sign",
        user_id=staff.sekretaris.id,
        expected_version=version_of(complaint_id),
    )
    return complaint_id


def test_intake_portal_accounts_and_delivery_agree_on_email_addresses(staff):
    complaint_id = _at_step_eleven(staff)
    for index, (address, accepted) in enumerate(ADDRESSES):
        outcomes = {
            "front desk": _outcome(_front_desk(staff, complainant_email=address)),
            "portal": _outcome(_portal(index, complainant_email=address)),
            "admin": _outcome(
                lambda address=address, index=index: admin.create_user(
                    acting_user_id=staff.admin.id,
                    data=admin.UserData(
                        username=f"akun{index}",
                        full_name="Akun Uji",
                        unit_id=None,
                        roles=(sop.Role.PETUGAS,),
                        email=address,
                    ),
                    password="kata-sandi-yang-panjang-sekali",
                )
            ),
            "delivery": _outcome(
                # An accepted address queues the e-mail (the step stays open: no mail
                # server is configured, so the message fails at once and can be re-sent).
                lambda address=address: delivery.send_email(
                    complaint_id=complaint_id,
                    user_id=staff.petugas.id,
                    expected_version=version_of(complaint_id),
                    recipient=address,
                )
            ),
        }
        assert outcomes == dict.fromkeys(outcomes, accepted), address


def test_intake_portal_and_whatsapp_agree_on_phone_numbers(staff):
    complaint_id = _at_step_eleven(staff)
    for index, (number, kind) in enumerate(NUMBERS):
        front_desk = _outcome(_front_desk(staff, complainant_phone=number))
        online = _outcome(_portal(index, complainant_phone=number))
        whatsapp = _outcome(
            lambda number=number: delivery.whatsapp_link(
                complaint_id=complaint_id, user_id=staff.petugas.id, phone=number
            )
        )
        assert front_desk == online == (kind != "invalid"), number
        assert whatsapp == (kind == "mobile"), number  # a landline has no WhatsApp
