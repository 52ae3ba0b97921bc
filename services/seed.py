"""Reference data (units) and demo data (one user per role, ~300 complaints).

Demo complaints are played through ``services.workflow.perform`` with their own
timestamps, so their events and working minutes are exactly what real use would give.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import get_settings
from db.engine import get_engine, schema_lock, write_session
from db.models import Complaint, Unit, User, UserRole
from documents.numbering import ROMAN
from layanan import sop
from layanan.calendar import OFFICE_TZ, WorkingCalendar
from layanan.errors import InvalidInput
from layanan.sop import Role
from services import authz, signed_letter, workflow
from services.calendar_settings import load_calendar
from services.letter_settings import DEFAULT_CLASSIFICATION
from services.passwords import hash_password
from services.pins import PIN_HASHER

UNITS: tuple[tuple[str, str], ...] = (
    ("SEK", "Sekretariat"),
    ("SBU", "Subbagian Kepegawaian dan Umum"),
    ("BKOP", "Bidang Kelembagaan dan Pengawasan Koperasi"),
    ("BPK", "Bidang Pemberdayaan Koperasi"),
    ("BUKM", "Bidang Usaha Kecil dan Menengah"),
    ("UPT", "UPT Pelatihan Koperasi UKM"),
)

DEMO_PASSWORD = "Pengaduan-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    roles: tuple[Role, ...]
    unit_code: str | None
    nip: str
    rank: str
    position: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "petugas",
        "Rina Marlina, S.Sos.",
        (Role.PETUGAS,),
        "SBU",
        "19880312 201101 2 004",
        "Penata Muda (III/a)",
        "Petugas Pelayanan",
    ),
    DemoUser(
        "subbag",
        "Ahmad Fauzi Lamarauna, S.E.",
        (Role.SUBBAG_UMUM,),
        "SBU",
        "19800521 200604 1 012",
        "Penata (III/c)",
        "Kepala Subbagian Kepegawaian dan Umum",
    ),
    DemoUser(
        "kepala",
        "Dr. Hasanuddin Rahim, M.Si.",
        (Role.KEPALA_DINAS,),
        None,
        "19700707 199512 1 001",
        "Pembina Utama Muda (IV/c)",
        "Kepala Dinas",
    ),
    DemoUser(
        "sekretaris",
        "Nurhayati Lamadjido, S.H., M.H.",
        (Role.SEKRETARIS,),
        "SEK",
        "19750214 200003 2 003",
        "Pembina Tingkat I (IV/b)",
        "Sekretaris Dinas selaku PPID",
    ),
    DemoUser(
        "unit_kop",
        "Moh. Irfan Daeng Masiga, S.T.",
        (Role.UNIT,),
        "BKOP",
        "19850909 201001 1 007",
        "Penata Tingkat I (III/d)",
        "Analis Kelembagaan Koperasi",
    ),
    DemoUser(
        "unit_ukm",
        "Sri Wahyuni Tombolotutu, S.E.",
        (Role.UNIT,),
        "BUKM",
        "19890101 201402 2 002",
        "Penata Muda Tingkat I (III/b)",
        "Analis UMKM",
    ),
    DemoUser(
        "arsiparis",
        "Yusuf Labaco, A.Md.",
        (Role.ARSIPARIS,),
        "SBU",
        "19920417 201503 1 005",
        "Pengatur (II/c)",
        "Arsiparis",
    ),
    DemoUser(
        "admin",
        "Admin Sistem",
        (Role.ADMIN,),
        "SEK",
        "19900101 201501 1 001",
        "Penata Muda (III/a)",
        "Pranata Komputer",
    ),
)


def ensure_units(session: Session) -> dict[str, Unit]:
    """Create the office's units if missing; return them by code."""
    existing = {u.code: u for u in session.scalars(select(Unit))}
    for code, name in UNITS:
        if code not in existing:
            existing[code] = Unit(code=code, name=name, active=True)
            session.add(existing[code])
    session.flush()
    return existing


def ensure_demo_users(session: Session, password: str = DEMO_PASSWORD) -> dict[str, User]:
    units = ensure_units(session)
    users = {u.username: u for u in session.scalars(select(User))}
    password_hash = hash_password(password)
    for demo in DEMO_USERS:
        if demo.username in users:
            continue
        user = User(
            username=demo.username,
            full_name=demo.full_name,
            nip=demo.nip,
            rank=demo.rank,
            position=demo.position,
            unit_id=units[demo.unit_code].id if demo.unit_code else None,
            password_hash=password_hash,
            active=True,
        )
        user.role_rows = [UserRole(role=r.value) for r in demo.roles]
        session.add(user)
        users[demo.username] = user
    session.flush()
    return users


SUBJECTS: tuple[tuple[str, str, str], ...] = (
    (
        "Pelayanan perizinan koperasi",
        "Pengesahan akta perubahan anggaran dasar koperasi belum selesai",
        "Kami pengurus Koperasi Serba Usaha {org} telah mengajukan pengesahan perubahan "
        "anggaran dasar sejak tiga bulan lalu namun belum ada kabar. Mohon kejelasan.",
    ),
    (
        "Pembinaan dan pengawasan koperasi",
        "Rapat anggota tahunan koperasi tidak pernah dilaksanakan",
        "Sebagai anggota Koperasi Simpan Pinjam {org}, kami tidak pernah diundang RAT "
        "selama dua tahun. Kami mohon dinas melakukan pemeriksaan.",
    ),
    (
        "Pemberdayaan UMKM",
        "Pendampingan sertifikasi halal bagi pelaku UMKM",
        "Usaha kami ({org}) di {place} ingin mengikuti program sertifikasi halal gratis "
        "tetapi pendaftaran tidak dapat diakses.",
    ),
    (
        "Pelatihan dan sertifikasi",
        "Sertifikat pelatihan kewirausahaan belum diterima",
        "Saya peserta pelatihan kewirausahaan di UPT Pelatihan Koperasi UKM bulan lalu, "
        "sampai sekarang sertifikat belum dibagikan.",
    ),
    (
        "Bantuan dan pembiayaan usaha",
        "Bantuan modal usaha mikro tidak tepat sasaran",
        "Di {place} ada penerima bantuan modal usaha yang bukan pelaku usaha. Mohon "
        "verifikasi ulang data penerima.",
    ),
    (
        "Perilaku aparatur",
        "Petugas lapangan meminta biaya pendampingan",
        "Petugas pendamping meminta biaya untuk pengurusan NIB usaha {org}. Apakah ini resmi?",
    ),
    (
        "Informasi publik",
        "Permintaan data koperasi aktif di {place}",
        "Mohon informasi daftar koperasi aktif di {place} untuk keperluan penelitian.",
    ),
    (
        "Lainnya",
        "Kotak pengaduan di kantor dinas terkunci",
        "Kotak pengaduan di lobi kantor tidak dapat diisi karena lubangnya tertutup.",
    ),
)
NAMES = (
    "Abdul Rahman",
    "Siti Aminah",
    "I Made Sudarsana",
    "Yohanis Tandi",
    "Fitriani Lasahido",
    "Muhammad Akbar",
    "Ni Luh Putu Ayu",
    "Arifin Tanjung",
    "Maria Sumendap",
    "Hendra Pakaya",
    "Dewi Sartika Lamasitudju",
    "Rusli Mangge",
    "Hartono Wijaya",
    "Nurul Fadilah",
)
PLACES = (
    "Palu",
    "Donggala",
    "Sigi",
    "Parigi Moutong",
    "Poso",
    "Tojo Una-Una",
    "Banggai",
    "Tolitoli",
    "Buol",
    "Morowali",
)
STREETS = (
    "Jalan Sisingamangaraja",
    "Jalan Tadulako",
    "Jalan Moh. Hatta",
    "Jalan Dewi Sartika",
    "Jalan Trans Sulawesi",
)
ORGS = (
    "Sejahtera Bersama",
    "Maju Jaya",
    "Tadulako Mandiri",
    "Karya Nelayan",
    "Sintuwu Maroso",
    "Bina Usaha",
    "Lestari",
)

# A tiny valid PDF: stands in for scanned letters and supporting documents.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]"
    b"/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _work_minutes(rng: random.Random, standard: int, *, late: bool) -> int:
    """Minutes a step took: usually within the standard, sometimes hours or days past it."""
    if late:
        if rng.random() < 0.3:
            return int(rng.uniform(480, 3000))  # waited one to six working days
        return int(standard * rng.uniform(1.3, 6))
    return max(3, int(standard * rng.uniform(0.2, 0.95)))


def _actors(users: dict[str, User]) -> dict[Role, authz.Actor]:
    def actor(username: str) -> authz.Actor:
        user = users[username]
        return authz.Actor(
            user.id, user.full_name, frozenset(Role(r) for r in user.roles), user.unit_id
        )

    return {
        Role.PETUGAS: actor("petugas"),
        Role.SUBBAG_UMUM: actor("subbag"),
        Role.KEPALA_DINAS: actor("kepala"),
        Role.SEKRETARIS: actor("sekretaris"),
        Role.ARSIPARIS: actor("arsiparis"),
    }


def seed_demo(
    session: Session,
    *,
    count: int = 300,
    now: datetime | None = None,
    months: int = 6,
    seed: int = 2026,
) -> int:
    """Create demo users and ``count`` complaints over the last ``months``; returns count."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    # The letters signed here get their PDF from the app's converter thread, in the
    # background, instead of one conversion after another before seeding returns.
    session.info[signed_letter.DEFER] = True
    users = ensure_demo_users(session)
    calendar = load_calendar(session)
    actors = _actors(users)
    unit_actors = {
        users["unit_kop"].unit_id: _actors_unit(users["unit_kop"]),
        users["unit_ukm"].unit_id: _actors_unit(users["unit_ukm"]),
    }
    pin_hash = PIN_HASHER.hash("123456")  # one documented demo PIN for all
    start = now - timedelta(days=30 * months)
    span = (now - start).total_seconds()
    # The last two weeks are busier, so queues are full (at least 11, one waiting at each
    # step, unless fewer complaints were asked for: --count 1 makes one).
    recent = min(max(count // 8, 11), count)
    offsets = [rng.random() * span for _ in range(count - recent)]
    offsets += [span - rng.random() * 14 * 86400 for _ in range(recent)]
    # Some recent complaints wait at each step in turn (all but the first, which intake
    # performs), so every queue has work.
    waits = [s.number for s in sop.STEPS if s.number != sop.FIRST_STEP]
    stops = dict(zip(sorted(offsets)[-recent:], waits * recent, strict=False))
    # Oldest first, so ticket numbers follow the arrival order.
    for offset in sorted(offsets):
        arrived = calendar.add_working_minutes(start + timedelta(seconds=offset), 0)
        if arrived >= now:
            continue
        _play_one(
            session,
            rng,
            calendar,
            actors,
            unit_actors,
            arrived,
            now,
            pin_hash,
            stop_at=stops.get(offset),
        )
    return count


def _actors_unit(user: User) -> authz.Actor:
    return authz.Actor(user.id, user.full_name, frozenset({Role.UNIT}), user.unit_id)


def _play_one(
    session,
    rng,
    calendar: WorkingCalendar,
    actors,
    unit_actors,
    arrived,
    now,
    pin_hash,
    *,
    stop_at: int | None = None,
) -> None:
    category, subject, body = rng.choice(SUBJECTS)
    fill = {"org": rng.choice(ORGS), "place": rng.choice(PLACES)}
    channel = rng.choice(list(sop.Channel))
    anonymous = rng.random() < 0.08
    # A quarter of complaints breach some standards (not those meant to wait at a step,
    # which must reach it before now).
    late_bias = stop_at is None and rng.random() < 0.25
    clock = arrived

    def step_time(step_number: int) -> datetime:
        nonlocal clock
        minutes = _work_minutes(
            rng, sop.step(step_number).minutes, late=late_bias and rng.random() < 0.4
        )
        clock = calendar.add_working_minutes(clock, minutes)
        return clock

    receive_step = sop.action("receive").at
    if stop_at == receive_step:
        channel = sop.Channel.ONLINE  # only online complaints wait for the desk's receipt
    online = channel is sop.Channel.ONLINE
    met = step_time(sop.FIRST_STEP)
    received = met if online else step_time(receive_step)
    if received >= now:
        return
    docs = []
    if channel in sop.PAPER_CHANNELS:
        docs.append(
            workflow.NewDocument("complaint_letter", "surat-aduan.pdf", "application/pdf", DEMO_PDF)
        )
    name = rng.choice(NAMES)
    # Address, city and the incoming letter's own number and date, derived from what
    # was drawn (no further draw: the demo data stays as it was for a given seed).
    place = fill["place"]
    street = STREETS[len(name) % len(STREETS)]
    letter_day = (arrived.astimezone(OFFICE_TZ) - timedelta(days=2)).date()
    paper = channel in sop.PAPER_CHANNELS
    data = workflow.IntakeData(
        channel=channel,
        subject=subject.format(**fill),
        body=body.format(**fill),
        category=category,
        complainant_name=None if anonymous else name,
        complainant_phone=f"08{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}",
        complainant_email=None if anonymous else f"{name.split()[0].lower()}@example.id",
        complainant_address=None if anonymous else f"{street} Nomor {len(name) + 3}, {place}",
        complainant_city=None if anonymous else place,
        incoming_letter_number=(
            f"{letter_day.day:02d}/KOP-{fill['org'].split()[0].upper()}/"
            f"{ROMAN[letter_day.month - 1]}/{letter_day.year}"
            if paper
            else None
        ),
        incoming_letter_date=letter_day if paper else None,
        anonymous=anonymous,
        confidential=rng.random() < 0.05,
        supervisory=category == "Pembinaan dan pengawasan koperasi" and rng.random() < 0.5,
        guest_book_entry=None if online else f"BT-{received:%Y%m%d}-{rng.randint(1, 40):02d}",
        arrived_at=arrived,
        met_at=met,
    )
    created = workflow.create_complaint(
        session,
        data=data,
        actor=authz.PEMOHON if online else actors[Role.PETUGAS],
        documents=docs,
        now=received,
        pin_hash=pin_hash,
    )
    complaint = session.get(Complaint, created.complaint_id)
    oral = channel in (sop.Channel.DATANG_LANGSUNG, sop.Channel.TELEPON) and rng.random() < 0.45
    unit_id = rng.choice(list(unit_actors))

    if stop_at is not None:  # a complaint meant to wait at a step takes the path to it
        oral = stop_at not in sop.WRITTEN_PATH  # a step only the oral path has

    def act(key: str, actor, payload=None, documents=(), note=None, hook_input=None) -> bool:
        step_number = sop.action(key).at
        if step_number == stop_at:
            return False
        at = step_time(step_number)
        if at >= now:
            return False
        # Signing runs its hook as in real use: the letter is numbered and frozen.
        workflow.perform(
            session=session,
            complaint_id=complaint.id,
            action=key,
            actor=actor,
            expected_version=complaint.version,
            payload=payload or {},
            documents=documents,
            note=note,
            now=at,
            calendar=calendar,
            hook_input=hook_input,
        )
        return True

    if online and not act("receive", actors[Role.PETUGAS]):
        return
    guest = complaint.guest_book_entry or f"BT-{received:%Y%m%d}-{rng.randint(1, 40):02d}"
    if not act("hand_over", actors[Role.PETUGAS], {"guest_book_entry": guest}):
        return
    if oral:
        if not act("classify_oral", actors[Role.SUBBAG_UMUM], {"unit": unit_id}):
            return
        if rng.random() < 0.85:
            act(
                "resolve_oral",
                unit_actors[unit_id],
                {"outcome": "Pengadu telah diberi penjelasan dan menerima penyelesaian."},
            )
            return
        if not act(
            "convert_to_written",
            unit_actors[unit_id],
            {"reason": "Perlu penelusuran dokumen, dijawab tertulis."},
        ):
            return
    elif not act("classify_written", actors[Role.SUBBAG_UMUM]):
        return
    agenda = f"{rng.randint(100, 999)}/TNDE/{received:%m}/{received:%Y}"
    if not act(
        "register",
        actors[Role.SUBBAG_UMUM],
        {"agenda_number": agenda, "sifat": rng.choice(sop.SIFAT_SURAT)},
    ):
        return
    if not act(
        "dispose",
        actors[Role.KEPALA_DINAS],
        {"units": [unit_id], "instruction": rng.choice(sop.DISPOSITION_INSTRUCTIONS)},
    ):
        return
    rounds = rng.choices((1, 2, 3, 4), weights=(70, 18, 8, 4))[0]
    for round_number in range(1, rounds + 1):
        supporting = (
            []
            if round_number > 1
            else [
                workflow.NewDocument(
                    "supporting", "dokumen-pendukung.pdf", "application/pdf", DEMO_PDF
                )
            ]
        )
        body_text = (
            f"Menindaklanjuti pengaduan Saudara perihal {complaint.subject.lower()}, "
            "dengan ini kami sampaikan hal-hal sebagai berikut:\n"
            "1. permasalahan tersebut telah kami periksa bersama unit terkait;\n"
            "2. tindak lanjut telah kami lakukan sesuai ketentuan yang berlaku, dan "
            "hasilnya dapat Saudara tanyakan kepada Petugas Pelayanan pada jam kerja.\n\n"
            "Demikian kami sampaikan. Atas perhatian Saudara kami ucapkan terima kasih "
            f"(draf ke-{round_number})."
        )
        if not act(
            "submit_draft", unit_actors[unit_id], {"reply_body": body_text}, documents=supporting
        ):
            return
        returned = round_number == rounds or act(
            "return_draft",
            actors[Role.KEPALA_DINAS],
            {"reason": "Lengkapi dasar hukum dan data pendukung."},
        )
        if not returned:
            return
    if not act("approve", actors[Role.KEPALA_DINAS], {"paraf": True}):
        return
    if not act("sign", actors[Role.SEKRETARIS]):
        return
    # No demo e-mail deliveries: an e-mail delivery is recorded only with the message the
    # mail server accepted (services.outbox), and demo data sends no mail.
    method = _demo_method(rng, complaint)
    if not act(
        "deliver",
        actors[Role.PETUGAS],
        {
            "delivery_method": method.value,
            "delivered_on": clock.date().isoformat(),
            "evidence": f"Disampaikan melalui {sop.DELIVERY_LABELS[method]}.",
        },
        hook_input={"confirmed": True, "received_by": complaint.complainant_name or "Pengadu"},
    ):
        return
    act(
        "archive",
        actors[Role.ARSIPARIS],
        {
            "archive_code": f"{DEFAULT_CLASSIFICATION}/{complaint.id:04d}",
            "archive_location": f"Lemari arsip {rng.randint(1, 4)}, rak {rng.randint(1, 6)}",
        },
    )


def _demo_method(rng: random.Random, complaint: Complaint) -> sop.DeliveryMethod:
    """WhatsApp or in person, as the demo complaint's contact details allow."""
    from services.delivery import normalize_phone

    method = rng.choice([m for m in sop.DeliveryMethod if m is not sop.DeliveryMethod.EMAIL])
    if method is sop.DeliveryMethod.WHATSAPP:
        try:
            normalize_phone(complaint.complainant_phone)
        except InvalidInput:
            return sop.DeliveryMethod.LANGSUNG
    return method


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def seed_demo_if_empty(
    url: str | None = None, *, count: int = 300, now: datetime | None = None
) -> bool:
    """Seed the demo data unless the database has users; True if this call seeded.

    Safe when several processes start on one empty database at once (two ``run-demo``,
    replicas): the emptiness check and the seeding happen in one transaction under the
    schema lock (``db.engine.schema_lock``), so exactly one seeds and the others find
    its users. Without the lock both saw an empty database and the second failed on a
    unique key (PostgreSQL) or seeded a second set of complaints (SQLite).
    """
    url = url or get_settings().database_url
    get_engine(url)  # migrate first: migrate takes the same lock, which is not reentrant
    with schema_lock(url), write_session(url) as session:
        if not database_is_empty(session):
            return False
        seed_demo(session, count=count, now=now)
    return True
