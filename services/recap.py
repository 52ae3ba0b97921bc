"""Monthly recapitulation (Rekapitulasi Pengaduan) as Excel and Word, for managers.

The figures are the dashboard's for one office-local calendar month
(``services.dashboard``): complaints received in the month by channel, category, unit
and status now, and the on-time share of the SOP steps done in the month. The Word
file is the ``rekapitulasi`` template of letter_templates/ (or the admin's replacement),
filled through ``documents.contexts.recap_context``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from babel.dates import format_date
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from db import stats
from db.engine import read_session
from db.models import User
from documents.contexts import recap_context
from documents.render import DOCX_MIME
from documents.spreadsheet import XLSX_MIME, styled
from layanan import sop
from layanan.errors import NotAllowed
from layanan.sop import Role
from layanan.text import tanggal
from services import authz, dashboard, letter_settings
from services.document_files import Download, render_template

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class StepShare:
    step: int
    name: str
    count: int
    on_time: int

    @property
    def share(self) -> float | None:
        return self.on_time / self.count if self.count else None


@dataclass(frozen=True)
class Recap:
    year: int
    month: int
    periode: str  # "November 2026"
    total: int
    per_channel: list[tuple[str, int]]
    per_category: list[tuple[str, int]]
    per_unit: list[tuple[str, int]]
    per_status: list[tuple[str, int]]
    on_time: list[StepShare]
    printed: str  # "28 November 2026"
    made_by: int | None = None  # the user who built it: "Yang membuat"


@dataclass(frozen=True)
class RecapFiles:
    recap: Recap
    xlsx: Download
    docx: Download


def _noop(_fraction: float, _text: str) -> None:
    return None


def monthly_recap(
    *, user, year: int, month: int, now: datetime | None = None, url: str | None = None
) -> Recap:
    """The month's figures (refused for anyone who may not open the dashboard)."""
    with read_session(url) as session:
        authz.require(session, user_id=user.id, capability=dashboard.VIEW)
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise NotAllowed("Bulan atau tahun rekapitulasi tidak valid.")
    now = now or datetime.now(UTC)
    filters = dashboard.month_filters(year, month)
    board = dashboard.dashboard(user=user, filters=filters, now=now, url=url)
    with read_session(url) as session:
        statuses = dict(stats.status_counts(session=session, filters=filters, now=now))
    volume = board.volume
    by_channel = volume.groupby("channel")["count"].sum().to_dict()
    by_category = volume.groupby("category")["count"].sum().to_dict()
    per_unit_counts = board.volume_by_unit.groupby("unit_id", dropna=False)["count"].sum()
    per_unit = [
        (name, int(per_unit_counts.get(uid, 0)))
        for uid, name in sorted(board.units.items(), key=lambda kv: kv[1])
    ]
    unassigned = int(board.volume_by_unit[board.volume_by_unit.unit_id.isna()]["count"].sum())
    per_unit.append((dashboard.UNASSIGNED, unassigned))
    steps = board.step_times
    return Recap(
        year=year,
        month=month,
        periode=format_date(date(year, month, 1), "MMMM y", locale="id"),
        total=int(volume["count"].sum()),
        per_channel=[
            (label, int(by_channel.get(channel.value, 0)))
            for channel, label in sop.CHANNEL_LABELS.items()
        ],
        per_category=[(c, int(by_category.get(c, 0))) for c in sop.CATEGORIES],
        per_unit=per_unit,
        per_status=[
            (label, int(statuses.get(key, 0))) for key, label in dashboard.STATUS_LABELS.items()
        ],
        on_time=[
            # r["name"]: the step's name; r.name would be the row's index (0-11).
            StepShare(int(r["step"]), str(r["name"]), int(r["count"]), int(r["on_time"]))
            for _, r in steps.iterrows()
        ],
        printed=tanggal(now),
        made_by=user.id,
    )


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def recap_excel(recap: Recap) -> bytes:
    """The recap as an .xlsx workbook: one sheet, a table per dimension.

    Written in openpyxl's write-only mode like the register (``documents.spreadsheet``):
    widths come first, every cell carries its own style.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Rekapitulasi")
    widths = {1: 34, 2: 62, 3: 18, 4: 14, 5: 22}
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")

    def line(values: list, **style) -> None:
        ws.append([styled(ws, v, alignment=wrap, **style) for v in values])

    line(["REKAPITULASI PENGADUAN"], font=Font(bold=True, size=14))
    line([f"Periode: {recap.periode}"])
    line([f"Jumlah pengaduan diterima: {recap.total}"])
    line([f"Dicetak: {recap.printed}"])

    def table(title: str, headers: list[str], rows: list[list]) -> None:
        ws.append([])
        line([title], font=bold)
        line(headers, font=bold, fill=header_fill)
        for row in rows:
            line(row)

    table("Menurut saluran", ["Saluran", "Jumlah"], [list(r) for r in recap.per_channel])
    table("Menurut kategori", ["Kategori", "Jumlah"], [list(r) for r in recap.per_category])
    table("Menurut unit", ["Unit", "Jumlah"], [list(r) for r in recap.per_unit])
    table("Menurut status", ["Status", "Jumlah"], [list(r) for r in recap.per_status])
    table(
        "Ketepatan waktu per langkah SOP",
        ["Langkah", "Kegiatan", "Jumlah dikerjakan", "Tepat waktu", "Persentase tepat waktu"],
        [[s.step, s.name, s.count, s.on_time, _percent(s.share)] for s in recap.on_time],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def recap_word(recap: Recap) -> bytes:
    """The recap in the ``rekapitulasi`` Word template (letterhead from letter settings)."""
    head = _recap_letterhead(recap.made_by)
    context = recap_context(
        kantor=head["kantor"],
        lambang=head["lambang"],
        periode=recap.periode,
        jumlah_total=recap.total,
        per_saluran=recap.per_channel,
        per_kategori=recap.per_category,
        per_unit=recap.per_unit,
        per_status=recap.per_status,
        ketepatan=[(s.step, s.name, s.share) for s in recap.on_time],
        kepala=head["kepala"],
        pembuat=head["pembuat"],
        tanggal_cetak=recap.printed,
    )
    return _render_recap(context)


def _render_recap(context: dict) -> bytes:
    """The ``rekapitulasi`` document (context from ``documents.contexts.recap_context``)."""
    with read_session() as session:
        return render_template(session, "rekapitulasi", context)


def _person(user: User | None) -> dict[str, str]:
    if user is None:
        return {"nama": "", "jabatan": "", "pangkat": "", "nip": ""}
    return {
        "nama": user.full_name,
        "jabatan": user.position or "",
        "pangkat": user.rank or "",
        "nip": user.nip or "",
    }


def _recap_letterhead(made_by: int | None) -> dict:
    """The ``kantor``, ``lambang``, ``kepala`` and ``pembuat`` keys of the recap.

    The Head's block comes from letter settings; with no name set there, from the
    active Kepala Dinas account (as the reply letter falls back to the Secretary's), so
    the recap never prints a blank name over "NIP. ". ``pembuat`` is the account that
    built the recap."""
    with read_session() as session:
        settings = letter_settings.load(session)
        head = None
        if not settings.kepala_nama:
            head = next(
                (
                    u
                    for u in session.scalars(
                        select(User).where(User.active.is_(True)).order_by(User.id)
                    )
                    if Role.KEPALA_DINAS.value in u.roles
                ),
                None,
            )
        account = _person(head)
        maker = _person(session.get(User, made_by) if made_by is not None else None)
    return {
        "kantor": settings.kantor(),
        "lambang": settings.lambang(),
        "kepala": {
            "nama": settings.kepala_nama or account["nama"],
            "pangkat": settings.kepala_pangkat or account["pangkat"],
            "nip": settings.kepala_nip or account["nip"],
        },
        "pembuat": maker,
    }


def build_recap(
    *,
    user,
    year: int,
    month: int,
    now: datetime | None = None,
    progress: Progress | None = None,
    url: str | None = None,
) -> RecapFiles:
    """Figures, workbook and Word document of one month, reporting progress (0..1)."""
    report = progress or _noop
    report(0.05, "Menghitung angka rekapitulasi…")
    recap = monthly_recap(user=user, year=year, month=month, now=now, url=url)
    report(0.5, "Menyusun berkas Excel…")
    xlsx = recap_excel(recap)
    report(0.75, "Menyusun dokumen Word…")
    docx = recap_word(recap)
    report(1.0, "Rekapitulasi siap diunduh.")
    stem = f"rekapitulasi-pengaduan-{year}-{month:02d}"
    return RecapFiles(
        recap=recap,
        xlsx=Download(f"{stem}.xlsx", xlsx, XLSX_MIME),
        docx=Download(f"{stem}.docx", docx, DOCX_MIME),
    )


__all__ = [
    "Download",
    "Recap",
    "RecapFiles",
    "StepShare",
    "build_recap",
    "monthly_recap",
    "recap_excel",
    "recap_word",
]
