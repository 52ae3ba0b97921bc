"""Administrasi (admin only): accounts, units, office hours, time standards, holidays,
staff notifications (thresholds, e-mail, recipients per step), the audit-trail check.

Each form's button calls one function of ``services.admin`` in its callback (so the
tables below already show the change) and leaves a message for the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

import pandas as pd
import streamlit as st

from config import get_settings, is_local_url
from layanan import sop
from layanan.calendar import office_today
from layanan.errors import WorkflowError
from layanan.markup import md
from layanan.sop import ROLE_LABELS
from layanan.text import angka, tanggal, tanggal_jam
from services import admin, complainant_messages, notifications
from services.calendar_settings import DAY_NAMES
from services.letter_settings import get_letter_settings
from ui.session import require_page

user = require_page("admin")
ME = user.id
FLASH = "admin_flash"


def act(
    success: str | Callable[[], str], call: Callable[[], object], clear: tuple[str, ...] = ()
) -> None:
    """Run one service call; keep its outcome to show on this run; empty ``clear`` on success."""
    try:
        call()
    except WorkflowError as err:
        st.session_state[FLASH] = ("error", err.message)
    else:
        st.session_state[FLASH] = ("success", success() if callable(success) else success)
        for key in clear:
            st.session_state.pop(key, None)


def act_button(
    label: str,
    *,
    success: str | Callable[[], str],
    call: Callable[[], object],
    clear: tuple[str, ...] = (),
    form: bool = True,
    **kwargs,
) -> None:
    """A form's submit button (or, with ``form=False``, a button) that runs ``act`` on click."""
    button = st.form_submit_button if form else st.button
    button(label, on_click=act, args=(success, call, clear), **kwargs)


def recomputed(done: str) -> Callable[[int], str]:
    """ "Jam kerja disimpan; tenggat 37 pengaduan yang sedang berjalan dihitung ulang." """

    def message(count: int) -> str:
        if not count:
            return f"{done}; tidak ada pengaduan yang sedang berjalan."
        return f"{done}; tenggat {angka(count)} pengaduan yang sedang berjalan dihitung ulang."

    return message


def calendar_button(
    label: str,
    *,
    key: str,
    success: Callable[[int], str],
    call: Callable[[Callable[[float, str], object]], int],
    form: bool = True,
) -> None:
    """A button for a calendar change: the open complaints' deadlines are recomputed in
    the same call, with a progress bar in place; the message counts them."""
    button = st.form_submit_button if form else st.button
    if not button(label, key=key):
        return
    bar = st.progress(0.0, text="Menyimpan dan menghitung ulang tenggat…")
    counted: list[int] = []
    act(
        lambda: success(counted[0]),
        lambda: counted.append(call(lambda fraction, text: bar.progress(fraction, text=text))),
    )
    st.rerun()


def value(key: str):
    return st.session_state.get(key)


st.title("Administrasi")
public_url = get_settings().public_base_url
if is_local_url(public_url):
    # Production refuses to start like this (config.py); other modes are warned here.
    st.warning(
        f"Alamat publik aplikasi (PUBLIC_BASE_URL) masih {md(public_url)}: kode QR dan "
        "tautan pelacakan pada tanda terima tidak dapat dibuka oleh masyarakat. Atur "
        "PUBLIC_BASE_URL ke alamat portal yang sebenarnya."
    )
flash = st.session_state.pop(FLASH, None)
if flash:
    kind, message = flash
    (st.success if kind == "success" else st.error)(md(message))

units = admin.list_units(acting_user_id=ME)
unit_names = {u.id: f"{u.name} ({u.code})" for u in units}
active_unit_ids = [u.id for u in units if u.active]
roles = admin.role_choices()

tab_users, tab_units, tab_hours, tab_clocks, tab_holidays, tab_notify, tab_audit = st.tabs(
    [
        "Pengguna",
        "Unit kerja",
        "Jam kerja",
        "Standar waktu",
        "Hari libur",
        "Pemberitahuan",
        "Jejak audit",
    ]
)

# --- Pengguna -----------------------------------------------------------------------------
with tab_users:
    users = admin.list_users(acting_user_id=ME)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Nama pengguna": u.username,
                    "Nama": u.full_name,
                    "NIP": u.nip or "",
                    "Jabatan": u.position or "",
                    "Unit": u.unit_name or "",
                    "Peran": ", ".join(ROLE_LABELS[r] for r in u.roles),
                    "Status": "aktif" if u.active else "nonaktif",
                    "Terkunci sampai": tanggal_jam(u.locked_until) if u.locked_until else "",
                }
                for u in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )

    def profile_fields(prefix: str, current: admin.UserRow | None) -> None:
        st.text_input(
            "Nama lengkap", value=current.full_name if current else "", key=f"{prefix}_name"
        )
        left, right = st.columns(2)
        left.text_input("NIP", value=(current.nip or "") if current else "", key=f"{prefix}_nip")
        right.text_input(
            "Pangkat/golongan", value=(current.rank or "") if current else "", key=f"{prefix}_rank"
        )
        left.text_input(
            "Jabatan", value=(current.position or "") if current else "", key=f"{prefix}_position"
        )
        right.text_input(
            "Pos-el", value=(current.email or "") if current else "", key=f"{prefix}_email"
        )
        options = [None, *active_unit_ids]
        if current and current.unit_id is not None and current.unit_id not in options:
            options.append(current.unit_id)
        st.selectbox(
            "Unit kerja",
            options,
            index=options.index(current.unit_id) if current else 0,
            format_func=lambda uid: "(tanpa unit)" if uid is None else unit_names[uid],
            key=f"{prefix}_unit",
        )
        st.multiselect(
            "Peran",
            list(roles),
            default=list(current.roles) if current else [],
            format_func=roles.get,
            key=f"{prefix}_roles",
        )

    def profile(prefix: str, username: str) -> admin.UserData:
        return admin.UserData(
            username=username,
            full_name=value(f"{prefix}_name") or "",
            unit_id=value(f"{prefix}_unit"),
            roles=tuple(value(f"{prefix}_roles") or ()),
            nip=value(f"{prefix}_nip"),
            rank=value(f"{prefix}_rank"),
            position=value(f"{prefix}_position"),
            email=value(f"{prefix}_email"),
        )

    NEW_USER_KEYS = tuple(
        f"new_{field}"
        for field in (
            "username",
            "password",
            "name",
            "nip",
            "rank",
            "position",
            "email",
            "unit",
            "roles",
        )
    )
    with (
        st.expander("Tambah pengguna", icon=":material/person_add:"),
        st.form("new_user", clear_on_submit=False),
    ):
        st.text_input("Nama pengguna", key="new_username")
        profile_fields("new", None)
        st.text_input("Kata sandi awal", type="password", key="new_password")
        act_button(
            "Simpan pengguna",
            type="primary",
            key="create_user",
            success=lambda: f"Akun {value('new_username')} dibuat.",
            call=lambda: admin.create_user(
                acting_user_id=ME,
                data=profile("new", value("new_username") or ""),
                password=value("new_password") or "",
            ),
            clear=NEW_USER_KEYS,
        )

    st.subheader("Ubah pengguna")
    by_id = {u.id: u for u in users}
    chosen = st.selectbox(
        "Pilih akun",
        list(by_id),
        format_func=lambda uid: f"{by_id[uid].full_name} ({by_id[uid].username})",
        key="edit_user",
    )
    if chosen is not None:
        current = by_id[chosen]
        prefix = f"edit{current.id}"
        with st.form(f"edit_user_{current.id}"):
            profile_fields(prefix, current)
            act_button(
                "Simpan perubahan",
                key="save_user",
                success="Perubahan akun disimpan.",
                call=lambda: admin.update_user(
                    acting_user_id=ME,
                    user_id=current.id,
                    data=profile(prefix, current.username),
                ),
            )
        with st.form(f"reset_{current.id}", clear_on_submit=True):
            st.text_input("Kata sandi baru", type="password", key="reset_password")
            act_button(
                "Atur ulang kata sandi",
                key="reset_user_password",
                success=f"Kata sandi {current.username} diganti; kunci akun dibuka.",
                call=lambda: admin.reset_password(
                    acting_user_id=ME,
                    user_id=current.id,
                    new_password=value("reset_password") or "",
                ),
            )
        act_button(
            "Nonaktifkan akun" if current.active else "Aktifkan kembali",
            key="deactivate_user" if current.active else "activate_user",
            success=f"Akun {current.username} "
            + ("dinonaktifkan." if current.active else "aktif kembali."),
            call=lambda: admin.set_user_active(
                acting_user_id=ME, user_id=current.id, active=not current.active
            ),
            form=False,
        )

# --- Unit kerja ---------------------------------------------------------------------------
with tab_units:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Kode": u.code,
                    "Nama": u.name,
                    "Status": "aktif" if u.active else "nonaktif",
                    "Pegawai aktif": u.members,
                }
                for u in units
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    with st.form("new_unit", clear_on_submit=True):
        left, right = st.columns([1, 3])
        left.text_input("Kode unit", key="unit_code")
        right.text_input("Nama unit", key="unit_name")
        act_button(
            "Tambah unit",
            key="create_unit",
            success="Unit ditambahkan.",
            call=lambda: admin.create_unit(
                acting_user_id=ME, code=value("unit_code") or "", name=value("unit_name") or ""
            ),
        )
    unit_by_id = {u.id: u for u in units}
    picked = st.selectbox(
        "Pilih unit", list(unit_by_id), format_func=unit_names.get, key="edit_unit"
    )
    if picked is not None:
        unit = unit_by_id[picked]
        with st.form(f"rename_unit_{unit.id}"):
            st.text_input("Nama baru", value=unit.name, key=f"unit_rename_{unit.id}")
            act_button(
                "Simpan nama",
                key="rename_unit",
                success="Nama unit disimpan.",
                call=lambda: admin.rename_unit(
                    acting_user_id=ME,
                    unit_id=unit.id,
                    name=value(f"unit_rename_{unit.id}") or "",
                ),
            )
        act_button(
            "Nonaktifkan unit" if unit.active else "Aktifkan unit",
            key="toggle_unit",
            success="Status unit diubah.",
            call=lambda: admin.set_unit_active(
                acting_user_id=ME, unit_id=unit.id, active=not unit.active
            ),
            form=False,
        )

# --- Jam kerja ----------------------------------------------------------------------------
with tab_hours:
    hours = admin.office_hours(acting_user_id=ME)
    st.caption(
        "Tenggat langkah SOP dihitung dalam menit kerja menurut jam ini (WITA). Menyimpan "
        "jam kerja atau mengubah hari libur menghitung ulang tenggat langkah pengaduan yang "
        "sedang berjalan."
    )
    with st.form("office_hours"):
        for day, name in enumerate(DAY_NAMES):
            start, end = hours.get(day, ("07:30", "16:00"))
            cols = st.columns([1, 2, 2])
            cols[0].checkbox(name, value=day in hours, key=f"open_{day}")
            cols[1].time_input(
                f"Masuk {name}", value=time.fromisoformat(start), key=f"start_{day}", step=900
            )
            cols[2].time_input(
                f"Pulang {name}", value=time.fromisoformat(end), key=f"end_{day}", step=900
            )

        def collect_hours() -> dict[int, tuple[str, str]]:
            return {
                day: (
                    value(f"start_{day}").strftime("%H:%M"),
                    value(f"end_{day}").strftime("%H:%M"),
                )
                for day in range(7)
                if value(f"open_{day}")
            }

        calendar_button(
            "Simpan jam kerja",
            key="save_hours",
            success=recomputed("Jam kerja disimpan"),
            call=lambda progress: admin.save_office_hours(
                acting_user_id=ME, hours=collect_hours(), progress=progress
            ),
        )

# --- Standar waktu ------------------------------------------------------------------------
with tab_clocks:
    standards = admin.regulatory_standards(acting_user_id=ME)
    legal_basis = get_letter_settings().dasar_hukum
    st.caption("Standar waktu SP4N-LAPOR!, dalam hari kerja. Dasar hukum:")
    # The list lives in the letter settings (edited on "Templat Surat"), not in code.
    st.markdown(
        # Markdown numbers an ordered list itself: every item is written "1.".
        "\n".join(f"1. {md(rule)}" for rule in legal_basis) or "_(belum diisi di Templat Surat)_"
    )
    labels = {
        "verification_days": "Verifikasi",
        "follow_up_days": "Tindak lanjut",
        "completion_days": "Penyelesaian",
        "supervisory_completion_days": "Penyelesaian berkadar pengawasan",
    }
    with st.form("standards"):
        for name, label in labels.items():
            st.number_input(
                f"{label} (hari kerja)",
                min_value=1,
                max_value=365,
                step=1,
                value=getattr(standards, name),
                key=f"std_{name}",
            )
        act_button(
            "Simpan standar waktu",
            key="save_standards",
            success="Standar waktu disimpan.",
            call=lambda: admin.save_regulatory_standards(
                acting_user_id=ME,
                standards={name: value(f"std_{name}") for name in labels},
            ),
        )

# --- Pemberitahuan ------------------------------------------------------------------------
with tab_notify:
    notify = notifications.notification_settings(user_id=ME)
    st.caption(
        "Pengingat untuk petugas dari jam SOP (dalam menit kerja): hampir jatuh tempo, "
        "terlambat, eskalasi ke Kepala Dinas (dan Sekretaris), serta tenggat SP4N-LAPOR!."
    )
    role_names = {role: ROLE_LABELS[role] for role in notifications.RECIPIENT_ROLES}
    steps = sop.table().steps
    with st.form("notify"):
        st.number_input(
            notifications.LABELS["warn_percent"],
            min_value=1,
            max_value=99,
            step=1,
            value=notify.warn_percent,
            key="ntf_warn",
        )
        st.number_input(
            notifications.LABELS["escalate_after_minutes"],
            min_value=0,
            max_value=100_000,
            step=5,
            value=notify.escalate_after_minutes,
            key="ntf_escalate",
        )
        st.checkbox(notifications.LABELS["email"], value=notify.email, key="ntf_email")
        st.multiselect(
            notifications.LABELS["report_roles"]
            + " (rekapitulasi bulanan dan ringkasan keterlambatan mingguan)",
            options=list(notifications.REPORT_ROLES),
            format_func=ROLE_LABELS.get,
            default=list(notify.report_roles),
            key="ntf_report_roles",
        )
        st.markdown(f"**{notifications.LABELS['recipients']}**")
        for definition in steps:
            st.multiselect(
                md(sop.step_label(definition.number)),
                options=list(role_names),
                format_func=role_names.get,
                default=list(notify.recipients_of(definition.number)),
                key=f"ntf_step_{definition.number}",
            )
        act_button(
            "Simpan pengaturan pemberitahuan",
            key="save_notify",
            success="Pengaturan pemberitahuan disimpan.",
            call=lambda: notifications.save_settings(
                user_id=ME,
                warn_percent=value("ntf_warn"),
                escalate_after_minutes=value("ntf_escalate"),
                email=value("ntf_email"),
                report_roles=value("ntf_report_roles") or [],
                recipients={
                    definition.number: value(f"ntf_step_{definition.number}") or []
                    for definition in steps
                },
            ),
        )

    st.subheader("Pesan kepada pengadu")
    told = complainant_messages.message_settings(user_id=ME)
    st.caption(
        "Dikirim saat pengaduan diterima, ditangani, dijawab, selesai, dan untuk meminta "
        "penilaian. Isian yang tersedia: "
        + ", ".join(
            f"`{{{name}}}` ({meaning})"
            for name, meaning in complainant_messages.PLACEHOLDERS.items()
        )
        + ". Pesan tidak pernah memuat isi pengaduan maupun PIN."
    )
    moments = complainant_messages.MOMENT_LABELS
    with st.form("told"):
        st.checkbox("Kirim lewat pos-el", value=told.email, key="cm_email")
        st.checkbox(
            "Kirim lewat WhatsApp Business API (bila dikonfigurasi)",
            value=told.whatsapp,
            key="cm_whatsapp",
        )
        for moment, label in moments.items():
            st.markdown(f"**{label}**")
            subject, body = told.texts[moment]
            st.text_input("Subjek pos-el", value=subject, key=f"cm_subject_{moment}")
            st.text_area("Isi pos-el", value=body, key=f"cm_body_{moment}", height=150)
            st.text_input(
                "Nama templat WhatsApp",
                value=told.templates[moment],
                key=f"cm_template_{moment}",
            )
        act_button(
            "Simpan pesan kepada pengadu",
            key="save_told",
            success="Pesan kepada pengadu disimpan.",
            call=lambda: complainant_messages.save_settings(
                user_id=ME,
                email=value("cm_email"),
                whatsapp=value("cm_whatsapp"),
                texts={m: (value(f"cm_subject_{m}"), value(f"cm_body_{m}")) for m in moments},
                templates={m: value(f"cm_template_{m}") for m in moments},
            ),
        )

# --- Hari libur ---------------------------------------------------------------------------
with tab_holidays:
    year = st.number_input(
        "Tahun", min_value=2020, max_value=2100, value=office_today().year, step=1, key="hol_year"
    )
    holidays = admin.holidays_of_year(acting_user_id=ME, year=int(year))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Tanggal": tanggal(h.day),
                    "Keterangan": h.name,
                    "Sumber": "nasional/cuti bersama" if h.national else "lokal",
                    "Kantor": "libur" if h.off else "masuk",
                    "Perubahan lokal": h.local_change or "",
                }
                for h in holidays
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    with st.form("add_holiday", clear_on_submit=True):
        st.markdown("**Tambah hari libur lokal**")
        st.date_input("Tanggal", value=None, key="hol_day", format="DD/MM/YYYY")
        st.text_input("Keterangan", key="hol_name")
        calendar_button(
            "Tambah hari libur",
            key="add_holiday_btn",
            success=recomputed("Hari libur lokal ditambahkan"),
            call=lambda progress: admin.add_local_holiday(
                acting_user_id=ME,
                day=value("hol_day"),
                name=value("hol_name") or "",
                progress=progress,
            ),
        )
    national = [h for h in holidays if h.national and h.local_change is None]
    with st.form("cancel_holiday", clear_on_submit=True):
        st.markdown("**Kantor tetap masuk pada hari libur nasional / cuti bersama**")
        st.selectbox(
            "Hari libur",
            [h.day for h in national],
            format_func=lambda d: f"{tanggal(d)} · {next(h.name for h in national if h.day == d)}",
            key="cancel_day",
        )
        st.text_input("Alasan", key="cancel_reason")
        calendar_button(
            "Tetapkan hari kerja",
            key="cancel_holiday_btn",
            success=recomputed("Hari itu menjadi hari kerja"),
            call=lambda progress: admin.cancel_national_holiday(
                acting_user_id=ME,
                day=value("cancel_day"),
                reason=value("cancel_reason") or "",
                progress=progress,
            ),
        )
    changed = [h for h in holidays if h.local_change]
    if changed:
        undo_day = st.selectbox(
            "Perubahan lokal",
            [h.day for h in changed],
            format_func=lambda d: f"{tanggal(d)} · "
            + next(f"{h.name} ({h.local_change})" for h in changed if h.day == d),
            key="undo_day",
        )
        calendar_button(
            "Batalkan perubahan lokal",
            key="undo_holiday",
            success=recomputed("Perubahan lokal dibatalkan"),
            call=lambda progress: admin.undo_local_change(
                acting_user_id=ME, day=undo_day, progress=progress
            ),
            form=False,
        )

# --- Jejak audit --------------------------------------------------------------------------
with tab_audit:
    st.caption(
        "Riwayat setiap pengaduan dirantai dengan *hash* dan tidak dapat diubah atau dihapus. "
        "Pemeriksaan menghitung ulang seluruh rantai."
    )
    act_button(
        "Periksa jejak audit sekarang",
        key="run_audit_check",
        success=lambda: "Pemeriksaan jejak audit selesai.",
        call=lambda: admin.run_audit_check(acting_user_id=ME),
        form=False,
    )
    last = admin.audit_check_status(acting_user_id=ME)
    if last is None:
        st.info("Jejak audit belum pernah diperiksa.")
    elif last.ok:
        st.success(md(last.summary()), icon=":material/verified:")
    else:
        st.error(md(last.summary()), icon=":material/gpp_bad:")
