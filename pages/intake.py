"""Intake at the front desk (SOP steps 1-3): one fast form for every channel.

Saving records the arrival (step 1) and the receipt (step 2) through
``services.workflow.intake``; the complaint then waits at step 3 for the hand-over to
Sub Bagian Umum. Possible duplicates are shown while the form is filled in.
"""

from datetime import UTC, datetime, timedelta

import streamlit as st

from layanan import sop
from layanan.calendar import OFFICE_TZ
from layanan.errors import WorkflowError
from layanan.markup import md
from services import complaint_lists, uploads, workflow
from services.uploads import UPLOAD_EXTENSIONS
from ui.complaint_view import complaint_link, esc
from ui.documents import receipt_download
from ui.session import require_page

CREATED_KEY = "intake_created"
GEN_KEY = "intake_generation"
CHANNELS = [c.value for c in sop.Channel if c is not sop.Channel.ONLINE]
# Per channel: label of the arrival time, label of the meeting time, a hint.
CHANNEL_FORM = {
    "datang_langsung": (
        "Waktu pengadu datang",
        "Waktu ditemui petugas",
        "Pengadu hadir: catat identitas dan isi aduannya, lalu serahkan tanda terima.",
    ),
    "telepon": (
        "Waktu telepon masuk",
        "Waktu telepon dijawab",
        "Catat nomor telepon pengadu dan ringkasan pembicaraan.",
    ),
    "surat": (
        "Waktu surat diterima",
        "Waktu surat dibuka petugas",
        "Pindai surat aduan dan lampirkan: wajib untuk pengaduan melalui surat.",
    ),
    "kotak_pengaduan": (
        "Waktu kotak pengaduan dibuka",
        "Waktu surat dicatat petugas",
        "Pindai surat dari kotak pengaduan dan lampirkan: wajib.",
    ),
    "email": (
        "Waktu pos-el masuk",
        "Waktu pos-el dibaca petugas",
        "Salin isi pos-el dan catat alamat pos-el pengadu.",
    ),
    "whatsapp": (
        "Waktu pesan WhatsApp masuk",
        "Waktu pesan dibalas petugas",
        "Salin isi pesan dan catat nomor WhatsApp pengadu.",
    ),
}


def office_now() -> datetime:
    """Now on the office's wall clock (WITA), to the minute, without zone (widget value)."""
    return datetime.now(UTC).astimezone(OFFICE_TZ).replace(second=0, microsecond=0, tzinfo=None)


def as_utc(value: datetime | None) -> datetime | None:
    """A WITA wall-clock widget value as an aware UTC instant."""
    return None if value is None else value.replace(tzinfo=OFFICE_TZ).astimezone(UTC)


user = require_page("intake")
st.title("Penerimaan pengaduan")

DISMISS = "Saya sudah mencatat PIN"


@st.dialog("Pengaduan tersimpan", width="medium", dismissible=False)
def saved_dialog(created: dict) -> None:
    """Ticket, PIN and receipt in a modal the officer must close: the PIN is shown once.

    The PIN exists only in the intake result kept for this dialog (the database holds its
    hash); closing the dialog drops it.
    """
    st.success(
        f"Pengaduan tersimpan dengan nomor tiket **{created['ticket']}**. "
        f"PIN pelacakan: **{created['pin']}**."
    )
    left, right = st.columns(2)
    left.metric("Nomor tiket", created["ticket"])
    right.metric("PIN pelacakan", created["pin"])
    st.warning(
        "PIN hanya ditampilkan sekali ini: tuliskan pada tanda terima untuk pengadu "
        "atau unduh tanda terima yang memuat PIN."
    )
    receipt_download(complaint_id=created["id"], pin=created["pin"], key="intake-receipt")
    complaint_link(created["ticket"], f"Buka pengaduan {created['ticket']}")
    if st.button(DISMISS, type="primary", key="intake-dismiss", width="stretch"):
        st.session_state.pop(CREATED_KEY, None)
        st.rerun()


created = st.session_state.get(CREATED_KEY)
if created:
    saved_dialog(created)

generation = st.session_state.setdefault(GEN_KEY, 0)


def key(name: str) -> str:
    return f"intake:{generation}:{name}"


opened_at = st.session_state.setdefault(key("opened_at"), office_now())

channel = st.radio(
    "Saluran pengaduan",
    CHANNELS,
    format_func=lambda v: sop.CHANNEL_LABELS[sop.Channel(v)],
    horizontal=True,
    key=key("channel"),
)
arrival_label, meeting_label, hint = CHANNEL_FORM[channel]
paper = sop.Channel(channel) in sop.PAPER_CHANNELS
st.caption(hint)

c1, c2 = st.columns(2)
# Indonesian order (day/month/year); the hint spells it in Indonesian, not "dd/mm/yyyy".
DATE_HELP = "Tanggal dan jam: hh/bb/tttt jj:mm (hari/bulan/tahun, jam:menit), waktu WITA."
arrived = c1.datetime_input(
    arrival_label + " (WITA)",
    value=opened_at,
    key=key("arrived"),
    step=timedelta(minutes=1),
    format="DD/MM/YYYY",
    help=DATE_HELP,
)
met = c2.datetime_input(
    meeting_label + " (WITA)",
    value=opened_at,
    key=key("met"),
    step=timedelta(minutes=1),
    format="DD/MM/YYYY",
    help=DATE_HELP,
)

st.markdown("##### Identitas pengadu")
f1, f2, f3 = st.columns(3)
anonymous = f1.checkbox("Anonim (pengadu tidak menyebutkan nama)", key=key("anonymous"))
confidential = f2.checkbox(
    "Rahasia (identitas hanya untuk petugas, Subbagian Umum dan Kepala Dinas)",
    key=key("confidential"),
)
supervisory = f3.checkbox(
    "Berkadar pengawasan (penyelesaian 60 hari kerja)", key=key("supervisory")
)
i1, i2, i3 = st.columns(3)
name = i1.text_input("Nama pengadu", key=key("name"), disabled=anonymous, max_chars=200)
phone = i2.text_input("Nomor telepon/WhatsApp", key=key("phone"), max_chars=40, placeholder="08...")
email = i3.text_input("Pos-el", key=key("email"), max_chars=200)
a1, a2 = st.columns([3, 1])
address = a1.text_input("Alamat", key=key("address"), max_chars=2000)
# The reply letter's "di ..." line; empty prints "di Tempat".
city = a2.text_input("Kota/kabupaten", key=key("city"), max_chars=100, placeholder="mis. Palu")

letter_number, letter_date = "", None
if paper:
    st.markdown("##### Surat aduan")
    s1, s2 = st.columns(2)
    letter_number = s1.text_input(
        "Nomor surat",
        key=key("letter_number"),
        max_chars=100,
        help="Nomor pada surat aduan itu sendiri; kosongkan bila surat tidak bernomor.",
    )
    letter_date = s2.date_input(
        "Tanggal surat",
        value=None,
        max_value=office_now().date(),
        key=key("letter_date"),
        format="DD/MM/YYYY",
        help="Tanggal yang tertulis pada surat aduan (hari/bulan/tahun).",
    )

st.markdown("##### Isi pengaduan")
subject = st.text_input("Perihal", key=key("subject"), max_chars=300)
body = st.text_area("Isi pengaduan", key=key("body"), height=160, max_chars=20_000)
k1, k2 = st.columns(2)
category = k1.selectbox(
    "Kategori", sop.CATEGORIES, index=None, key=key("category"), placeholder="Pilih kategori"
)
guest_book = k2.text_input(
    "Entri buku tamu", key=key("guest_book"), max_chars=100, placeholder="BT-..."
)

u1, u2 = st.columns(2)
letter = u1.file_uploader(
    "Pindaian surat aduan" + (" (wajib)" if paper else " (bila ada)"),
    type=UPLOAD_EXTENSIONS,
    key=key("letter"),
)
attachments = u2.file_uploader(
    "Lampiran: foto, PDF",
    type=UPLOAD_EXTENSIONS,
    accept_multiple_files=True,
    key=key("attachments"),
)

if (name and not anonymous) or phone or email or subject:
    duplicates = complaint_lists.possible_duplicates(
        user_id=user.id,
        name=None if anonymous else name,
        phone=phone,
        email=email,
        subject=subject,
    )
    if duplicates:
        with st.container(border=True):
            st.warning(
                f"Kemungkinan duplikat: {len(duplicates)} pengaduan dalam 30 hari terakhir "
                "dari pengadu yang sama atau dengan perihal mirip. Periksa sebelum menyimpan."
            )
            for dup in duplicates:
                d1, d2 = st.columns([1.3, 4])
                with d1:
                    complaint_link(dup.ticket)
                d2.markdown(
                    f"{esc(dup.subject)}  \n:gray[{esc(dup.complainant)} · "
                    f"{esc(dup.step_label)} · {esc(', '.join(dup.reasons))}]"
                )

if st.button("Simpan pengaduan", type="primary", key=key("save")):
    try:
        documents = []
        if letter is not None:
            documents.append(
                uploads.check_upload(
                    kind="complaint_letter", filename=letter.name, data=letter.getvalue()
                )
            )
        documents += [
            uploads.check_upload(kind="attachment", filename=f.name, data=f.getvalue())
            for f in attachments or []
        ]
        result = workflow.intake(
            data=workflow.IntakeData(
                channel=sop.Channel(channel),
                subject=subject,
                body=body,
                category=category or "",
                complainant_name=None if anonymous else name,
                complainant_phone=phone,
                complainant_email=email,
                complainant_address=address,
                complainant_city=city,
                incoming_letter_number=letter_number,
                incoming_letter_date=letter_date,
                anonymous=anonymous,
                confidential=confidential,
                supervisory=supervisory,
                guest_book_entry=guest_book,
                arrived_at=as_utc(arrived),
                met_at=as_utc(met),
            ),
            user_id=user.id,
            documents=documents,
        )
    except WorkflowError as err:
        st.error(md(err.message))
    else:
        st.session_state[CREATED_KEY] = {
            "id": result.complaint_id,
            "ticket": result.ticket,
            "pin": result.pin,
        }
        st.session_state[GEN_KEY] = generation + 1  # a fresh, empty form
        st.rerun()
