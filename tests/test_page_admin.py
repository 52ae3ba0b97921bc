"""Administrasi (pages/admin.py, services/admin.py): each form's happy path and refusals,
and that no other role gets in, neither through the page nor through the service."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from config import get_settings
from db import audit as db_audit
from db.engine import get_engine, read_session
from db.models import LocalHoliday, Setting, Unit, User
from layanan.calendar import national_holidays
from layanan.clocks import step_due_at
from layanan.errors import NotAllowed
from layanan.sop import Role
from services import admin, audit, auth, calendar_settings
from services.calendar_settings import OFFICE_HOURS_KEY, REGULATORY_KEY
from services.seed import DEMO_PASSWORD
from tests.factories import events, new_complaint
from ui.session import USER_KEY

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "admin.py")
NO_ACCESS = "Anda tidak memiliki akses ke halaman ini."


def admin_page(staff) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state[USER_KEY] = staff.admin.id
    at.run()
    assert not at.exception
    return at


def press(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    at.run()
    assert not at.exception
    return at


def message(at: AppTest) -> tuple[str, str]:
    if at.error:
        return "error", at.error[0].value
    return "success", at.success[0].value


def account(username: str) -> User | None:
    with read_session() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is not None:
            _ = user.roles, user.unit
            session.expunge_all()
        return user


def unit_id(code: str) -> int:
    with read_session() as session:
        return session.scalars(select(Unit.id).where(Unit.code == code)).one()


def fill_new_user(at: AppTest, **values) -> AppTest:
    fields = {
        "username": "budi.santoso",
        "name": "Budi Santoso, S.E.",
        "nip": "19900505 201503 1 002",
        "rank": "Penata Muda (III/a)",
        "position": "Analis Kebijakan",
        "email": "budi@sulteng.go.id",
        "password": "Rahasia-2026",
    }
    fields.update({k: v for k, v in values.items() if k in fields})
    for name, text in fields.items():
        at.text_input(key=f"new_{name}").input(text)
    at.selectbox(key="new_unit").set_value(values.get("unit", unit_id("BKOP")))
    at.multiselect(key="new_roles").set_value(values.get("roles", [Role.UNIT, Role.ARSIPARIS]))
    return at


# --- users -------------------------------------------------------------------------------


def test_admin_creates_a_user_with_several_roles(staff):
    at = press(fill_new_user(admin_page(staff)), "create_user")

    assert message(at) == ("success", "Akun budi.santoso dibuat.")
    user = account("budi.santoso")
    assert user.full_name == "Budi Santoso, S.E."
    assert user.nip == "19900505 201503 1 002"
    assert user.rank == "Penata Muda (III/a)"
    assert user.position == "Analis Kebijakan"
    assert user.email == "budi@sulteng.go.id"
    assert user.unit.code == "BKOP"
    assert user.roles == {"unit", "arsiparis"}
    assert user.password_hash != "Rahasia-2026"
    assert auth.login(username="budi.santoso", password="Rahasia-2026", client=None).id == user.id
    # The form is emptied for the next account.
    assert at.text_input(key="new_username").value == ""


def test_duplicate_username_is_refused(staff):
    at = press(fill_new_user(admin_page(staff), username="petugas"), "create_user")
    assert message(at) == ("error", "Nama pengguna petugas sudah dipakai.")
    assert at.text_input(key="new_name").value == "Budi Santoso, S.E."  # nothing retyped


def test_weak_password_is_refused(staff):
    at = press(fill_new_user(admin_page(staff), password="pendek1"), "create_user")
    assert message(at) == ("error", "Kata sandi minimal 10 karakter.")
    at = press(fill_new_user(at, password="hanyahurufsaja"), "create_user")
    assert message(at) == ("error", "Kata sandi harus memuat huruf dan angka atau simbol.")
    assert account("budi.santoso") is None


def test_account_without_role_or_with_a_bad_nip_is_refused(staff):
    at = press(fill_new_user(admin_page(staff), roles=[]), "create_user")
    assert message(at) == ("error", "Pilih paling sedikit satu peran.")
    at = press(fill_new_user(at, nip="1990"), "create_user")
    assert message(at) == ("error", "NIP harus 18 angka (boleh dengan spasi).")
    at = press(fill_new_user(at, roles=[Role.UNIT], unit=None), "create_user")
    assert message(at) == ("error", "Peran Sekretariat/Bidang/UPT memerlukan unit kerja.")
    assert account("budi.santoso") is None


def choose_account(at: AppTest, user_id: int) -> AppTest:
    at.selectbox(key="edit_user").set_value(user_id)
    at.run()
    return at


def test_admin_changes_roles_and_unit(staff):
    uid = staff.unit_ukm.id
    at = choose_account(admin_page(staff), uid)
    assert at.text_input(key=f"edit{uid}_name").value == "Sri Wahyuni Tombolotutu, S.E."
    at.selectbox(key=f"edit{uid}_unit").set_value(unit_id("UPT"))
    at.multiselect(key=f"edit{uid}_roles").set_value([Role.UNIT, Role.PETUGAS])
    at.text_input(key=f"edit{uid}_position").input("Pengelola Pelatihan")
    at = press(at, "save_user")

    assert message(at) == ("success", "Perubahan akun disimpan.")
    user = account("unit_ukm")
    assert user.unit.code == "UPT"
    assert user.roles == {"unit", "petugas"}
    assert user.position == "Pengelola Pelatihan"


def test_admin_deactivates_and_reactivates_an_account(staff):
    opened = auth.create_session(user_id=staff.petugas.id)
    at = press(choose_account(admin_page(staff), staff.petugas.id), "deactivate_user")

    assert message(at) == ("success", "Akun petugas dinonaktifkan.")
    assert account("petugas").active is False
    assert auth.resolve_session(token=opened.token) is None  # logged out at once
    with pytest.raises(auth.AccountInactive):
        auth.login(username="petugas", password=DEMO_PASSWORD, client=None)

    at = press(at, "activate_user")
    assert message(at) == ("success", "Akun petugas aktif kembali.")
    assert auth.login(username="petugas", password=DEMO_PASSWORD, client=None)


def test_admin_cannot_deactivate_own_account(staff):
    at = press(choose_account(admin_page(staff), staff.admin.id), "deactivate_user")
    assert message(at) == ("error", "Anda tidak dapat menonaktifkan akun Anda sendiri.")
    assert account("admin").active is True


def test_last_admin_cannot_drop_the_admin_role(staff):
    uid = staff.admin.id
    at = choose_account(admin_page(staff), uid)
    at.multiselect(key=f"edit{uid}_roles").set_value([Role.PETUGAS])
    at = press(at, "save_user")
    assert message(at) == ("error", "Harus tetap ada paling sedikit satu administrator aktif.")
    assert account("admin").roles == {"admin"}


def test_password_reset_unlocks_the_account(staff, monkeypatch):
    monkeypatch.setenv("LOGIN_ACCOUNT_MAX_FAILURES", "2")
    get_settings.cache_clear()
    # Locked for everyone by failures from many clients, and held on this one.
    for n in range(get_settings().login_account_max_failures):
        with contextlib.suppress(auth.BadCredentials):
            auth.login(username="unit_kop", password="bukan-sandinya-1", client=f"10.1.{n}.1")
    for _ in range(get_settings().login_max_failures):
        with contextlib.suppress(auth.BadCredentials):
            auth.login(username="unit_kop", password="bukan-sandinya-1", client=None)
    assert account("unit_kop").locked_until is not None

    at = choose_account(admin_page(staff), staff.unit_kop.id)
    at.text_input(key="reset_password").input("Sandi-Baru-77")
    at = press(at, "reset_user_password")

    assert message(at) == ("success", "Kata sandi unit_kop diganti; kunci akun dibuka.")
    assert account("unit_kop").locked_until is None
    # Neither the account's lock nor this client's hold remains.
    assert auth.login(username="unit_kop", password="Sandi-Baru-77", client=None)
    monkeypatch.undo()
    get_settings.cache_clear()


def test_password_reset_refuses_a_weak_password(staff):
    at = choose_account(admin_page(staff), staff.unit_kop.id)
    at.text_input(key="reset_password").input("123")
    at = press(at, "reset_user_password")
    assert message(at) == ("error", "Kata sandi minimal 10 karakter.")
    assert auth.login(username="unit_kop", password=DEMO_PASSWORD, client=None)


# --- units -------------------------------------------------------------------------------


def test_admin_creates_renames_and_deactivates_a_unit(staff):
    at = admin_page(staff)
    at.text_input(key="unit_code").input("ppid")
    at.text_input(key="unit_name").input("Pejabat Pengelola Informasi")
    at = press(at, "create_unit")
    assert message(at) == ("success", "Unit ditambahkan.")
    new_id = unit_id("PPID")

    at.selectbox(key="edit_unit").set_value(new_id)
    at.run()
    at.text_input(key=f"unit_rename_{new_id}").input("Pejabat Pengelola Informasi dan Dokumentasi")
    at = press(at, "rename_unit")
    assert message(at) == ("success", "Nama unit disimpan.")

    at = press(at, "toggle_unit")
    with read_session() as session:
        unit = session.get(Unit, new_id)
        assert (unit.name, unit.active) == ("Pejabat Pengelola Informasi dan Dokumentasi", False)
    # A deactivated unit is not offered for new accounts.
    assert new_id not in at.selectbox(key="new_unit").options


def test_duplicate_unit_code_and_empty_name_are_refused(staff):
    at = admin_page(staff)
    at.text_input(key="unit_code").input("SEK")
    at.text_input(key="unit_name").input("Sekretariat Kedua")
    at = press(at, "create_unit")
    assert message(at) == ("error", "Kode unit SEK sudah dipakai.")
    at.text_input(key="unit_code").input("BARU")
    at.text_input(key="unit_name").input("   ")
    at = press(at, "create_unit")
    assert message(at) == ("error", "Nama unit wajib diisi.")


# --- office hours, time standards ---------------------------------------------------------


def test_admin_sets_office_hours(staff):
    at = admin_page(staff)
    at.checkbox(key="open_5").check()  # Sabtu
    at.time_input(key="start_5").set_value(time(8, 0))
    at.time_input(key="end_5").set_value(time(12, 0))
    at.time_input(key="end_4").set_value(time(11, 30))  # Jumat
    at = press(at, "save_hours")

    assert message(at) == (
        "success",
        "Jam kerja disimpan; tidak ada pengaduan yang sedang berjalan.",
    )
    with read_session() as session:
        stored = session.get(Setting, OFFICE_HOURS_KEY).value
    assert stored["5"] == ["08:00", "12:00"]
    assert stored["4"] == ["07:30", "11:30"]
    assert "6" not in stored


def test_saving_office_hours_recomputes_open_deadlines_and_counts_them(staff):
    from tests.factories import bring_to, state

    open_ids = [bring_to(staff, 4), bring_to(staff, 7)]
    bring_to(staff, None, oral=True)  # closed: nothing to recompute
    at = admin_page(staff)
    at.time_input(key="start_0").set_value(time(6, 0))
    at = press(at, "save_hours")

    assert message(at) == (
        "success",
        "Jam kerja disimpan; tenggat 2 pengaduan yang sedang berjalan dihitung ulang.",
    )
    with read_session() as session:
        calendar = calendar_settings.load_calendar(session)
    for cid in open_ids:
        complaint = state(cid)
        assert complaint.step_due_at == step_due_at(
            calendar, complaint.current_step, complaint.step_entered_at
        )


def test_office_hours_ending_before_they_start_are_refused(staff):
    at = admin_page(staff)
    at.time_input(key="start_0").set_value(time(16, 0))
    at.time_input(key="end_0").set_value(time(7, 30))
    at = press(at, "save_hours")

    assert message(at) == ("error", "Jam pulang Senin harus setelah jam masuk.")
    with read_session() as session:
        assert session.get(Setting, OFFICE_HOURS_KEY) is None


def test_office_with_no_working_day_is_refused(staff):
    at = admin_page(staff)
    for day in range(7):
        at.checkbox(key=f"open_{day}").uncheck()
    at = press(at, "save_hours")
    assert message(at) == ("error", "Paling sedikit satu hari kerja harus diisi.")


def test_admin_sets_the_regulatory_standards(staff):
    at = admin_page(staff)
    at.number_input(key="std_verification_days").set_value(2)
    at.number_input(key="std_completion_days").set_value(10)
    at = press(at, "save_standards")

    assert message(at) == ("success", "Standar waktu disimpan.")
    with read_session() as session:
        assert session.get(Setting, REGULATORY_KEY).value == {
            "verification_days": 2,
            "follow_up_days": 5,
            "completion_days": 10,
            "supervisory_completion_days": 60,
        }


def test_completion_shorter_than_follow_up_is_refused(staff):
    at = admin_page(staff)
    at.number_input(key="std_completion_days").set_value(4)
    at = press(at, "save_standards")
    assert message(at) == (
        "error",
        "Batas penyelesaian tidak boleh lebih pendek dari batas tindak lanjut.",
    )


# --- holidays ----------------------------------------------------------------------------


def holiday_page(staff) -> AppTest:
    at = admin_page(staff)
    at.number_input(key="hol_year").set_value(2026)
    return at.run()


def test_admin_adds_a_local_day_off(staff):
    day = date(2026, 9, 28)
    assert day not in national_holidays(2026)
    at = holiday_page(staff)
    at.date_input(key="hol_day").set_value(day)
    at.text_input(key="hol_name").input("HUT Kota Palu")
    at = press(at, "add_holiday_btn")

    assert message(at) == (
        "success",
        "Hari libur lokal ditambahkan; tidak ada pengaduan yang sedang berjalan.",
    )
    with read_session() as session:
        row = session.get(LocalHoliday, day)
        assert (row.name, row.is_holiday) == ("HUT Kota Palu", True)
    shown = at.dataframe[-1].value
    assert "HUT Kota Palu" in set(shown["Keterangan"])


def test_national_holiday_cannot_be_added_again(staff):
    at = holiday_page(staff)
    at.date_input(key="hol_day").set_value(date(2026, 8, 17))
    at.text_input(key="hol_name").input("Kemerdekaan")
    at = press(at, "add_holiday_btn")
    assert message(at) == ("error", "Tanggal itu sudah hari libur nasional atau cuti bersama.")


def test_admin_keeps_the_office_open_on_a_national_holiday_and_undoes_it(staff):
    at = holiday_page(staff)
    national = national_holidays(2026)
    assert date(2026, 8, 17) in national
    at.selectbox(key="cancel_day").set_value(date(2026, 8, 17))
    at.text_input(key="cancel_reason").input("Pelayanan tetap buka")
    at = press(at, "cancel_holiday_btn")

    assert message(at) == (
        "success",
        "Hari itu menjadi hari kerja; tidak ada pengaduan yang sedang berjalan.",
    )
    with read_session() as session:
        assert session.get(LocalHoliday, date(2026, 8, 17)).is_holiday is False

    at.selectbox(key="undo_day").set_value(date(2026, 8, 17))
    at = press(at, "undo_holiday")
    assert message(at) == (
        "success",
        "Perubahan lokal dibatalkan; tidak ada pengaduan yang sedang berjalan.",
    )
    with read_session() as session:
        assert session.get(LocalHoliday, date(2026, 8, 17)) is None


def test_national_list_of_the_year_is_shown(staff):
    at = holiday_page(staff)
    shown = at.dataframe[-1].value
    assert len(shown) == len(national_holidays(2026))
    assert set(shown["Sumber"]) == {"nasional/cuti bersama"}


# --- audit trail --------------------------------------------------------------------------

CHECKED_AT = datetime(2026, 12, 1, 1, 40, tzinfo=UTC)  # 09.40 WITA


def test_admin_runs_the_audit_check_and_sees_its_result(staff):
    new_complaint(staff)
    new_complaint(staff)  # two complaints, two events each (steps 1 and 2)
    at = admin_page(staff)
    assert [i.value for i in at.info] == ["Jejak audit belum pernah diperiksa."]

    at = press(at, "run_audit_check")

    assert message(at) == ("success", "Pemeriksaan jejak audit selesai.")
    last = at.success[-1].value
    assert last.startswith("Pemeriksaan jejak audit terakhir: ")
    assert last.endswith(" WITA \u2014 utuh, 4 peristiwa diperiksa.")
    assert not at.error and not at.info


def test_admin_page_shows_the_last_recorded_check(staff):
    new_complaint(staff)
    audit.check_and_record(now=CHECKED_AT)
    at = admin_page(staff)
    assert at.success[-1].value == (
        "Pemeriksaan jejak audit terakhir: 1 Desember 2026 pukul 09.40 WITA \u2014 utuh, "
        "2 peristiwa diperiksa."
    )


def test_admin_page_shows_a_broken_trail_in_red(staff):
    created = new_complaint(staff)
    second = events(created.complaint_id)[1]
    with get_engine().begin() as conn:  # behind the triggers' back
        db_audit.drop_append_only(conn)
        conn.exec_driver_sql(
            f"UPDATE step_events SET actor_name = 'Orang Lain' WHERE id = {second.id}"
        )
        db_audit.install_append_only(conn)
    audit.check_and_record(now=CHECKED_AT)

    at = admin_page(staff)

    assert [e.value for e in at.error] == [
        "Pemeriksaan jejak audit terakhir: 1 Desember 2026 pukul 09.40 WITA \u2014 RUSAK pada "
        f"pengaduan {created.ticket}, peristiwa ke-2 (id {second.id}): isi peristiwa tidak "
        "cocok dengan hash-nya: baris ini diubah (1 peristiwa sebelumnya utuh)."
    ]


# --- no admin access for anyone else -------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["petugas", "subbag", "kepala", "sekretaris", "unit_kop", "arsiparis", "outsider"]
)
def test_other_roles_get_no_admin_page(staff, who):
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state[USER_KEY] = getattr(staff, who).id
    at.run()

    assert [e.value for e in at.error] == [NO_ACCESS]
    assert not at.button and not at.text_input and not at.dataframe


def test_visitor_without_login_gets_no_admin_page(db):
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert at.warning[0].value == "Silakan masuk terlebih dahulu."
    assert not at.button


def test_admin_services_refuse_everyone_but_an_admin(staff):
    data = admin.UserData(
        username="penyusup", full_name="Penyusup", unit_id=None, roles=(Role.ADMIN,)
    )
    calls = {
        "list_users": lambda me: admin.list_users(acting_user_id=me),
        "create_user": lambda me: admin.create_user(
            acting_user_id=me, data=data, password="Rahasia-2026"
        ),
        "update_user": lambda me: admin.update_user(acting_user_id=me, user_id=me, data=data),
        "set_user_active": lambda me: admin.set_user_active(
            acting_user_id=me, user_id=staff.admin.id, active=False
        ),
        "reset_password": lambda me: admin.reset_password(
            acting_user_id=me, user_id=staff.admin.id, new_password="Rahasia-2026"
        ),
        "list_units": lambda me: admin.list_units(acting_user_id=me),
        "create_unit": lambda me: admin.create_unit(acting_user_id=me, code="X", name="X"),
        "rename_unit": lambda me: admin.rename_unit(
            acting_user_id=me, unit_id=unit_id("SEK"), name="X"
        ),
        "set_unit_active": lambda me: admin.set_unit_active(
            acting_user_id=me, unit_id=unit_id("SEK"), active=False
        ),
        "office_hours": lambda me: admin.office_hours(acting_user_id=me),
        "save_office_hours": lambda me: admin.save_office_hours(
            acting_user_id=me, hours={0: ("00:00", "23:59")}
        ),
        "regulatory_standards": lambda me: admin.regulatory_standards(acting_user_id=me),
        "save_regulatory_standards": lambda me: admin.save_regulatory_standards(
            acting_user_id=me,
            standards={
                "verification_days": 30,
                "follow_up_days": 50,
                "completion_days": 140,
                "supervisory_completion_days": 600,
            },
        ),
        "holidays_of_year": lambda me: admin.holidays_of_year(acting_user_id=me, year=2026),
        "add_local_holiday": lambda me: admin.add_local_holiday(
            acting_user_id=me, day=date(2026, 9, 28), name="X"
        ),
        "cancel_national_holiday": lambda me: admin.cancel_national_holiday(
            acting_user_id=me, day=date(2026, 8, 17), reason="X"
        ),
        "undo_local_change": lambda me: admin.undo_local_change(
            acting_user_id=me, day=date(2026, 8, 17)
        ),
        "audit_check_status": lambda me: admin.audit_check_status(acting_user_id=me),
        "run_audit_check": lambda me: admin.run_audit_check(acting_user_id=me),
    }
    public = {
        name
        for name in dir(admin)
        if callable(getattr(admin, name))
        and not name.startswith("_")
        and getattr(getattr(admin, name), "__module__", "") == admin.__name__
        and name[0].islower()
    }
    assert public - {"role_choices"} == set(calls)  # every service function is checked here
    for who in ("petugas", "kepala", "sekretaris", "outsider"):
        me = getattr(staff, who).id
        for call in calls.values():
            with pytest.raises(NotAllowed, match="Hanya administrator"):
                call(me)
    # A deactivated administrator is refused too.
    second = admin.create_user(
        acting_user_id=staff.admin.id,
        data=admin.UserData(
            username="admin2", full_name="Admin Kedua", unit_id=None, roles=(Role.ADMIN,)
        ),
        password="Rahasia-2026",
    )
    admin.set_user_active(acting_user_id=staff.admin.id, user_id=second, active=False)
    with pytest.raises(NotAllowed):
        admin.list_users(acting_user_id=second)
    # Nothing was changed by the refused calls.
    assert account("penyusup") is None
    with read_session() as session:
        assert session.get(Setting, OFFICE_HOURS_KEY) is None
        assert session.get(Setting, REGULATORY_KEY) is None
        assert session.get(LocalHoliday, date(2026, 9, 28)) is None
        assert session.get(Setting, audit.AUDIT_CHECK_KEY) is None


# --- notifications -------------------------------------------------------------------------


def test_admin_sets_the_notification_thresholds_email_and_recipients(staff):
    from services import notifications

    at = admin_page(staff)
    at.number_input(key="ntf_warn").set_value(70)
    at.number_input(key="ntf_escalate").set_value(45)
    at.checkbox(key="ntf_email").uncheck()
    at.multiselect(key="ntf_step_8").set_value([Role.UNIT, Role.SUBBAG_UMUM])
    at = press(at, "save_notify")

    assert message(at) == ("success", "Pengaturan pemberitahuan disimpan.")
    saved = notifications.notification_settings(user_id=staff.admin.id)
    assert (saved.warn_percent, saved.escalate_after_minutes, saved.email) == (70, 45, False)
    assert saved.recipients_of(8) == (Role.UNIT, Role.SUBBAG_UMUM)
    assert saved.recipients_of(10) == (Role.SEKRETARIS,)  # unchanged: the step's role
    with pytest.raises(NotAllowed):
        notifications.notification_settings(user_id=staff.kepala.id)


def test_admin_turns_complainant_messages_on_and_a_bad_placeholder_is_refused(staff):
    from services import complainant_messages

    at = admin_page(staff)
    at.checkbox(key="cm_email").check()
    at.text_area(key="cm_body_diterima").input("Halo {nama_pemohon}")
    at = press(at, "save_told")
    kind, text = message(at)
    assert kind == "error" and "tidak dikenal" in text and "Isian yang tersedia" in text
    at.text_area(key="cm_body_diterima").input("{sapaan}, tiket {tiket}.")
    at = press(at, "save_told")
    assert message(at) == ("success", "Pesan kepada pengadu disimpan.")
    saved = complainant_messages.message_settings(user_id=staff.admin.id)
    assert saved.email and not saved.whatsapp
    assert saved.texts["diterima"][1] == "{sapaan}, tiket {tiket}."
