"""Administration: accounts, units, office hours, regulatory clocks, local holidays and
the audit-trail check.

Every function takes the acting user's id and checks again that this user is an active
administrator: the admin page being hidden from other roles is convenience, this check
is the security. Refusals are ``WorkflowError``s with Indonesian messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import aggregates
from db.engine import read_session, write_session
from db.models import LocalHoliday, Setting, Unit, User, UserRole, utcnow
from layanan import validate
from layanan.calendar import national_holidays
from layanan.clocks import RegulatoryStandards
from layanan.errors import InvalidInput, NotFound
from layanan.sop import ROLE_LABELS, Role
from services import audit, authz, calendar_settings
from services.auth import lift_lock, normalise_username, revoke_user_sessions
from services.passwords import hash_password

MANAGE = "manage_users"
STAFF_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.PEMOHON)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
UNIT_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
MAX_STANDARD_DAYS = 365  # as the form offers: a deadline that far ahead is still a date
# The standards form's labels (pages/admin.py), by ``RegulatoryStandards`` field.
STANDARD_LABELS: dict[str, str] = {
    "verification_days": "Verifikasi",
    "follow_up_days": "Tindak lanjut",
    "completion_days": "Penyelesaian",
    "supervisory_completion_days": "Penyelesaian berkadar pengawasan",
}


# --- read models --------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    full_name: str
    nip: str | None
    rank: str | None
    position: str | None
    email: str | None
    unit_id: int | None
    unit_name: str | None
    roles: tuple[Role, ...]
    active: bool
    locked_until: datetime | None
    oidc_linked: bool


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    active: bool
    members: int


@dataclass(frozen=True)
class UserData:
    """What the admin types for an account (the password only when creating)."""

    username: str
    full_name: str
    unit_id: int | None
    roles: tuple[Role, ...]
    nip: str | None = None
    rank: str | None = None
    position: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class HolidayRow:
    day: date
    name: str
    national: bool  # on the national list (libur nasional / cuti bersama)
    off: bool  # the office is closed that day after local changes
    local_change: str | None  # "ditambahkan" / "tetap masuk: <alasan>" / None


# --- the admin check: services.authz, capability "manage_users" ----------------------


def _active_admin_ids(session: Session) -> set[int]:
    rows = session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN.value, User.active.is_(True))
    )
    return set(rows)


def _keep_one_admin(session: Session, user: User, *, active: bool, roles: Iterable[str]) -> None:
    """Refuse a change that would leave the office without an active administrator."""
    stays_admin = active and Role.ADMIN.value in set(roles)
    if not stays_admin and _active_admin_ids(session) <= {user.id}:
        raise InvalidInput("Harus tetap ada paling sedikit satu administrator aktif.")


# --- users ------------------------------------------------------------------------------


def list_users(*, acting_user_id: int) -> list[UserRow]:
    """Every account, by name."""
    with read_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        users = session.scalars(select(User).order_by(User.full_name)).all()
        return [
            UserRow(
                id=u.id,
                username=u.username,
                full_name=u.full_name,
                nip=u.nip,
                rank=u.rank,
                position=u.position,
                email=u.email,
                unit_id=u.unit_id,
                unit_name=u.unit.name if u.unit else None,
                roles=tuple(r for r in STAFF_ROLES if r.value in u.roles),
                active=u.active,
                locked_until=u.locked_until,
                oidc_linked=u.oidc_subject is not None,
            )
            for u in users
        ]


# The account form's labels (pages/admin.py), by ``User`` column, for refusals.
USER_LABELS: dict[str, str] = {
    "username": "Nama pengguna",
    "full_name": "Nama lengkap",
    "nip": "NIP",
    "rank": "Pangkat/golongan",
    "position": "Jabatan",
    "email": "Pos-el",
}


def _user_text(data: UserData, attr: str) -> str | None:
    """A typed account field, held to the length of its ``User`` column."""
    limit = validate.column_limit(getattr(User, attr))
    return validate.text(getattr(data, attr), label=USER_LABELS[attr], max_length=limit)


def _record_id(value: object) -> int | None:
    """A record id as the forms pass it; None for anything no row can have."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= validate.MAX_INT:
        return None
    return value


def _check_user_data(session: Session, data: UserData, *, user_id: int | None) -> UserData:
    full_name = _user_text(data, "full_name")
    if not full_name:
        raise InvalidInput("Nama lengkap wajib diisi.")
    try:
        roles = tuple(dict.fromkeys(Role(r) for r in data.roles))
    except (TypeError, ValueError):
        raise InvalidInput("Peran tidak dikenal; pilih dari daftar.") from None
    if not roles:
        raise InvalidInput("Pilih paling sedikit satu peran.")
    if Role.PEMOHON in roles:
        raise InvalidInput("Peran Pengadu tidak diberikan kepada akun staf.")
    if Role.UNIT in roles and data.unit_id is None:
        raise InvalidInput("Peran Sekretariat/Bidang/UPT memerlukan unit kerja.")
    if data.unit_id is not None:
        unit_id = _record_id(data.unit_id)
        unit = session.get(Unit, unit_id) if unit_id is not None else None
        if unit is None or not unit.active:
            raise InvalidInput("Unit kerja tidak dikenal atau sudah nonaktif.")
    nip = _user_text(data, "nip")
    if nip is not None:
        digits = nip.replace(" ", "")
        if not (digits.isascii() and digits.isdigit()) or len(digits) != 18:
            raise InvalidInput("NIP harus 18 angka (boleh dengan spasi).")
    email = validate.email_address(_user_text(data, "email"), label=USER_LABELS["email"])
    if email is not None:
        email = email.lower()
        taken = session.scalars(
            select(User.id).where(func.lower(User.email) == email, User.id != (user_id or -1))
        ).first()
        if taken is not None:
            raise InvalidInput("Alamat pos-el sudah dipakai akun lain.")
    return UserData(
        username=data.username,
        full_name=full_name,
        unit_id=data.unit_id,
        roles=roles,
        nip=nip,
        rank=_user_text(data, "rank"),
        position=_user_text(data, "position"),
        email=email,
    )


def create_user(*, acting_user_id: int, data: UserData, password: str) -> int:
    """Create an active account with its roles and a first password; returns its id."""
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        username = normalise_username(_user_text(data, "username") or "")
        if not USERNAME_RE.fullmatch(username):
            raise InvalidInput(
                "Nama pengguna 3-60 karakter: huruf kecil, angka, titik, garis bawah "
                "atau tanda hubung."
            )
        if session.scalars(select(User.id).where(User.username == username)).first():
            raise InvalidInput(f"Nama pengguna {username} sudah dipakai.")
        clean = _check_user_data(session, data, user_id=None)
        user = User(
            username=username,
            full_name=clean.full_name,
            nip=clean.nip,
            rank=clean.rank,
            position=clean.position,
            email=clean.email,
            unit_id=clean.unit_id,
            password_hash=hash_password(
                password, user_inputs=(username, clean.full_name, clean.email or "")
            ),
            active=True,
        )
        user.role_rows = [UserRole(role=r.value) for r in clean.roles]
        session.add(user)
        session.flush()
        return user.id


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, _record_id(user_id)) if _record_id(user_id) else None
    if user is None:
        raise NotFound("Akun tidak ditemukan.")
    return user


def update_user(*, acting_user_id: int, user_id: int, data: UserData) -> None:
    """Change an account's identity, unit and roles (the username stays)."""
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        user = _target(session, user_id)
        clean = _check_user_data(session, data, user_id=user_id)
        _keep_one_admin(session, user, active=user.active, roles=(r.value for r in clean.roles))
        user.full_name = clean.full_name
        user.nip = clean.nip
        user.rank = clean.rank
        user.position = clean.position
        user.email = clean.email
        user.unit_id = clean.unit_id
        wanted = {r.value for r in clean.roles}
        user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
            UserRole(role=role) for role in sorted(wanted - user.roles)
        ]


def set_user_active(
    *, acting_user_id: int, user_id: int, active: bool, now: datetime | None = None
) -> None:
    """Deactivate (ending every login session at once) or reactivate an account."""
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        user = _target(session, user_id)
        if not active:
            if user.id == acting_user_id:
                raise InvalidInput("Anda tidak dapat menonaktifkan akun Anda sendiri.")
            _keep_one_admin(session, user, active=False, roles=user.roles)
            revoke_user_sessions(session, user_id=user.id, now=now or utcnow())
        user.active = active


def reset_password(
    *, acting_user_id: int, user_id: int, new_password: str, now: datetime | None = None
) -> None:
    """Set a new password, lift a lockout and end the account's open login sessions."""
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        user = _target(session, user_id)
        user.password_hash = hash_password(
            new_password, user_inputs=(user.username, user.full_name, user.email or "")
        )
        lift_lock(session, user)
        revoke_user_sessions(session, user_id=user.id, now=now or utcnow())


# --- units ------------------------------------------------------------------------------


def list_units(*, acting_user_id: int) -> list[UnitRow]:
    with read_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        counts = dict(
            session.execute(
                select(User.unit_id, func.count(User.id))
                .where(User.active.is_(True))
                .group_by(User.unit_id)
            ).all()
        )
        return [
            UnitRow(u.id, u.code, u.name, u.active, counts.get(u.id, 0))
            for u in session.scalars(select(Unit).order_by(Unit.name))
        ]


def _unit_name(name: str) -> str:
    name = validate.text(name, label="Nama unit", max_length=validate.column_limit(Unit.name))
    if not name:
        raise InvalidInput("Nama unit wajib diisi.")
    return name


def create_unit(*, acting_user_id: int, code: str, name: str) -> int:
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        limit = validate.column_limit(Unit.code)
        code = (validate.text(code, label="Kode unit", max_length=limit) or "").upper()
        if not UNIT_CODE_RE.fullmatch(code):
            raise InvalidInput("Kode unit 1-20 karakter: huruf besar, angka atau tanda hubung.")
        if session.scalars(select(Unit.id).where(Unit.code == code)).first():
            raise InvalidInput(f"Kode unit {code} sudah dipakai.")
        unit = Unit(code=code, name=_unit_name(name), active=True)
        session.add(unit)
        session.flush()
        return unit.id


def _unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, _record_id(unit_id)) if _record_id(unit_id) else None
    if unit is None:
        raise NotFound("Unit tidak ditemukan.")
    return unit


def rename_unit(*, acting_user_id: int, unit_id: int, name: str) -> None:
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        unit = _unit(session, unit_id)
        unit.name = _unit_name(name)


def set_unit_active(*, acting_user_id: int, unit_id: int, active: bool) -> None:
    """A deactivated unit is no longer offered for accounts or dispositions; history stays."""
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        unit = _unit(session, unit_id)
        unit.active = active


# --- working calendar and clocks --------------------------------------------------------


def office_hours(*, acting_user_id: int) -> dict[int, tuple[str, str]]:
    """Weekday (0 = Senin) -> ("07:30", "16:00") for the days the office is open."""
    with read_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        calendar = calendar_settings.load_calendar(session)
        return {
            day: (start.strftime("%H:%M"), end.strftime("%H:%M"))
            for day, (start, end) in sorted(calendar.office_hours.items())
        }


def save_office_hours(
    *,
    acting_user_id: int,
    hours: dict[int, tuple[str, str]],
    progress: calendar_settings.Progress | None = None,
) -> int:
    """Store the opening hours per weekday and, in the same transaction, recompute the
    step deadlines of the open complaints with them; returns how many were recomputed."""
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        calendar_settings.save_office_hours(session, hours)
        return calendar_settings.recompute_open_deadlines(session, progress=progress)


def regulatory_standards(*, acting_user_id: int) -> RegulatoryStandards:
    with read_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        return calendar_settings.load_standards(session)


def save_regulatory_standards(*, acting_user_id: int, standards: dict[str, int]) -> None:
    """Store the SP4N-LAPOR! day counts (every one a positive whole number of days)."""
    with write_session() as session:
        # Who asks is checked first: a refusal of the values tells nothing to others.
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        checked = _checked_standards(standards)
        row = session.get(Setting, calendar_settings.REGULATORY_KEY)
        if row is None:
            session.add(Setting(key=calendar_settings.REGULATORY_KEY, value=asdict(checked)))
        else:
            row.value = asdict(checked)
        session.flush()  # the new day counts, so that the clock aggregate judges by them
        aggregates.rebuild_clocks(session.connection())


def _checked_standards(standards: dict[str, int]) -> RegulatoryStandards:
    names = {f.name for f in fields(RegulatoryStandards)}
    if not isinstance(standards, dict) or set(standards) != names:
        raise InvalidInput("Isian standar waktu tidak lengkap.")
    values = {
        k: validate.integer(
            v, label=f"{STANDARD_LABELS[k]} (hari kerja)", minimum=1, maximum=MAX_STANDARD_DAYS
        )
        for k, v in standards.items()
    }
    checked = RegulatoryStandards(**values)
    if checked.follow_up_days < checked.verification_days:
        raise InvalidInput("Batas tindak lanjut tidak boleh lebih pendek dari batas verifikasi.")
    if checked.completion_days < checked.follow_up_days:
        raise InvalidInput("Batas penyelesaian tidak boleh lebih pendek dari batas tindak lanjut.")
    if checked.supervisory_completion_days < checked.completion_days:
        raise InvalidInput(
            "Batas penyelesaian berkadar pengawasan tidak boleh lebih pendek dari batas "
            "penyelesaian biasa."
        )
    return checked


def holidays_of_year(*, acting_user_id: int, year: int) -> list[HolidayRow]:
    """The national list of the year merged with the office's local changes, by date."""
    with read_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        year = validate.integer(year, label="Tahun", minimum=1900, maximum=2200)
        national = national_holidays(year)
        local = {
            day: (name, is_holiday)
            for day, name, is_holiday in session.execute(
                select(LocalHoliday.day, LocalHoliday.name, LocalHoliday.is_holiday).where(
                    LocalHoliday.day >= date(year, 1, 1), LocalHoliday.day <= date(year, 12, 31)
                )
            )
        }
    rows = []
    for day in sorted(set(national) | set(local)):
        change = local.get(day)
        if change is None:
            rows.append(HolidayRow(day, national[day], True, True, None))
            continue
        name, is_holiday = change
        if is_holiday:
            rows.append(HolidayRow(day, name, day in national, True, "ditambahkan"))
        else:
            rows.append(
                HolidayRow(day, national.get(day, name), True, False, f"tetap masuk: {name}")
            )
    return rows


def _day(day: date | None) -> date:
    if not isinstance(day, date):
        raise InvalidInput("Pilih tanggalnya.")
    return day.date() if isinstance(day, datetime) else day


def _holiday_text(value: str | None, label: str) -> str | None:
    limit = validate.column_limit(LocalHoliday.name)
    return validate.text(value, label=label, max_length=limit)


def add_local_holiday(
    *,
    acting_user_id: int,
    day: date | None,
    name: str,
    progress: calendar_settings.Progress | None = None,
) -> int:
    """Close the office on a day that is not a national holiday (e.g. a provincial day);
    open complaints' step deadlines are recomputed in the same transaction (their count
    is returned)."""
    day = _day(day)
    name = _holiday_text(name, "Keterangan")
    if not name:
        raise InvalidInput("Keterangan hari libur wajib diisi.")
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        if day in national_holidays(day.year):
            raise InvalidInput("Tanggal itu sudah hari libur nasional atau cuti bersama.")
        if session.get(LocalHoliday, day) is not None:
            raise InvalidInput("Tanggal itu sudah diubah; batalkan perubahan itu dahulu.")
        session.add(LocalHoliday(day=day, name=name, is_holiday=True))
        return calendar_settings.recompute_open_deadlines(session, progress=progress)


def cancel_national_holiday(
    *,
    acting_user_id: int,
    day: date | None,
    reason: str,
    progress: calendar_settings.Progress | None = None,
) -> int:
    """Keep the office open on a national holiday or cuti bersama (recorded with a reason);
    open complaints' step deadlines are recomputed in the same transaction."""
    day = _day(day)
    national = national_holidays(day.year)
    if day not in national:
        raise InvalidInput("Tanggal itu bukan hari libur nasional atau cuti bersama.")
    reason = _holiday_text(reason, "Alasan")
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        if session.get(LocalHoliday, day) is not None:
            raise InvalidInput("Tanggal itu sudah diubah; batalkan perubahan itu dahulu.")
        session.add(
            LocalHoliday(
                day=day,
                name=(reason or national[day])[: validate.column_limit(LocalHoliday.name)],
                is_holiday=False,
            )
        )
        return calendar_settings.recompute_open_deadlines(session, progress=progress)


def undo_local_change(
    *, acting_user_id: int, day: date | None, progress: calendar_settings.Progress | None = None
) -> int:
    """Remove a local addition or restore a cancelled national holiday; open complaints'
    step deadlines are recomputed in the same transaction."""
    day = _day(day)
    with write_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        row = session.get(LocalHoliday, day)
        if row is None:
            raise NotFound("Tidak ada perubahan lokal pada tanggal itu.")
        session.delete(row)
        return calendar_settings.recompute_open_deadlines(session, progress=progress)


# --- audit trail (docs/audit.md) ---------------------------------------------------------


def audit_check_status(*, acting_user_id: int) -> audit.CheckResult | None:
    """The last check of the audit trail (``scripts.verify_audit`` or the button), if any."""
    with read_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
        return audit.last_check(session)


def run_audit_check(*, acting_user_id: int) -> audit.CheckResult:
    """Check every complaint's hash chain now and record the result."""
    with read_session() as session:
        authz.require(session, user_id=acting_user_id, capability=MANAGE)
    return audit.check_and_record()


def role_choices() -> dict[Role, str]:
    """Roles an account can hold, with their Indonesian labels."""
    return {role: ROLE_LABELS[role] for role in STAFF_ROLES}
