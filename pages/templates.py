"""Templat Surat (admin): letter settings (kop surat, signers, numbering) and templates."""

from __future__ import annotations

import base64
from dataclasses import asdict

import streamlit as st

from documents import numbering
from documents import page as page_setup
from documents.contexts import KEYS, REQUIRED
from layanan.errors import WorkflowError
from layanan.markup import md
from layanan.text import tanggal_jam
from services import document_files, letter_settings, letter_templates
from ui.session import require_page

user = require_page("templates")
st.title("Templat Surat")

notice = st.session_state.pop("templates_notice", None)
if notice:
    st.success(md(notice))

settings = letter_settings.get_letter_settings()

st.subheader("Pengaturan surat")
with st.form("letter_settings"):
    st.markdown("**Kop surat**")
    provinsi = st.text_input("Nama pemerintah daerah", settings.provinsi)
    nama_dinas = st.text_input("Nama dinas", settings.nama_dinas)
    alamat = st.text_input("Alamat", settings.alamat)
    c1, c2, c3 = st.columns(3)
    telepon = c1.text_input("Telepon", settings.telepon)
    faksimile = c2.text_input("Faksimile", settings.faksimile)
    kode_pos = c3.text_input("Kode pos", settings.kode_pos)
    c4, c5, c6 = st.columns(3)
    email = c4.text_input("Pos-el", settings.email)
    website = c5.text_input("Laman", settings.website)
    kota = c6.text_input("Kota (tempat surat dibuat)", settings.kota)
    if settings.lambang_b64:
        st.image(base64.b64decode(settings.lambang_b64), width=80, caption="Lambang saat ini")
    emblem = st.file_uploader("Lambang daerah (PNG/JPEG, opsional)", type=["png", "jpg", "jpeg"])
    drop_emblem = st.checkbox("Hapus lambang", disabled=not settings.lambang_b64)

    st.markdown("**Kertas dan margin**")
    papers = list(page_setup.PAPERS)
    p1, p2, p3, p4, p5 = st.columns(5)
    kertas = p1.selectbox(
        "Ukuran kertas",
        papers,
        index=papers.index(settings.kertas),
        format_func=lambda paper: "{} ({:g} × {:g} mm)".format(paper, *page_setup.PAPERS[paper]),
    )
    low, high = page_setup.MARGIN_RANGE
    margins = {
        key: column.number_input(
            f"{label} (mm)",
            min_value=low,
            max_value=high,
            value=float(getattr(settings, key)),
            step=1.0,
        )
        for column, (key, label) in zip(
            (p2, p3, p4, p5), letter_settings.MARGINS.items(), strict=True
        )
    }

    st.markdown("**Penandatangan**")
    atas_nama = st.text_input("Atas nama (a.n.)", settings.atas_nama)
    jabatan = st.text_input("Jabatan penandatangan", settings.jabatan_penandatangan)
    s1, s2, s3 = st.columns(3)
    sekretaris_nama = s1.text_input("Nama Sekretaris", settings.sekretaris_nama)
    sekretaris_pangkat = s2.text_input("Pangkat/golongan Sekretaris", settings.sekretaris_pangkat)
    sekretaris_nip = s3.text_input("NIP Sekretaris", settings.sekretaris_nip)
    st.caption(
        "Bila nama Sekretaris kosong, surat memakai nama, pangkat dan NIP dari akun "
        "Sekretaris yang menandatangani."
    )
    k1, k2, k3 = st.columns(3)
    kepala_nama = k1.text_input("Nama Kepala Dinas", settings.kepala_nama)
    kepala_pangkat = k2.text_input("Pangkat/golongan Kepala Dinas", settings.kepala_pangkat)
    kepala_nip = k3.text_input("NIP Kepala Dinas", settings.kepala_nip)

    st.markdown("**Penomoran**")
    n1, n2, n3 = st.columns(3)
    nomor_pola = n1.text_input("Pola nomor surat", settings.nomor_pola)
    klasifikasi = n2.text_input("Kode klasifikasi", settings.klasifikasi)
    kode_unit = n3.text_input("Kode unit tetap (opsional)", settings.kode_unit)
    st.caption(
        "Isian pola: "
        + "; ".join(f"{{{key}}} = {text}" for key, text in numbering.PLACEHOLDERS.items())
        + ". Nomor urut dimulai dari 1 setiap tahun."
    )
    tembusan = st.text_area(
        "Tembusan (satu per baris)",
        "\n".join(settings.tembusan),
        help="Arsip kantor tidak dicantumkan sebagai tembusan.",
    )
    st.markdown("**Dasar hukum**")
    dasar_hukum = st.text_area(
        "Dasar hukum layanan pengaduan (satu peraturan per baris)",
        "\n".join(settings.dasar_hukum),
        height=140,
        help="Ditampilkan di halaman Administrasi (standar waktu).",
    )
    if st.form_submit_button("Simpan pengaturan", type="primary"):
        values = {
            **asdict(settings),
            "provinsi": provinsi,
            "nama_dinas": nama_dinas,
            "alamat": alamat,
            "telepon": telepon,
            "faksimile": faksimile,
            "kode_pos": kode_pos,
            "kertas": kertas,
            **margins,
            "email": email,
            "website": website,
            "kota": kota,
            "atas_nama": atas_nama,
            "jabatan_penandatangan": jabatan,
            "sekretaris_nama": sekretaris_nama,
            "sekretaris_pangkat": sekretaris_pangkat,
            "sekretaris_nip": sekretaris_nip,
            "kepala_nama": kepala_nama,
            "kepala_pangkat": kepala_pangkat,
            "kepala_nip": kepala_nip,
            "nomor_pola": nomor_pola,
            "klasifikasi": klasifikasi,
            "kode_unit": kode_unit,
            "tembusan": tembusan,
            "dasar_hukum": dasar_hukum,
            "lambang_b64": emblem.getvalue()
            if emblem is not None
            else ("" if drop_emblem else settings.lambang_b64),
        }
        try:
            letter_settings.save_letter_settings(user_id=user.id, values=values)
        except WorkflowError as err:
            st.error(md(err.message))
        else:
            st.session_state["templates_notice"] = "Pengaturan surat disimpan."
            st.rerun()

st.subheader("Templat dokumen")
st.caption(
    "Unduh templat yang berlaku, ubah di Word (isian ditulis {{ nama_isian }}), lalu unggah "
    "kembali. Templat diperiksa sebelum diterima: hanya isian yang dikenal yang boleh dipakai."
)
try:
    overview = letter_templates.template_overview(user_id=user.id)
except WorkflowError as err:
    st.error(md(err.message))
    st.stop()

for info in overview:
    with st.container(border=True):
        source = (
            f"unggahan {md(info.uploaded_by or '')} ({tanggal_jam(info.uploaded_at)})"
            if info.source == "unggahan"
            else "bawaan aplikasi"
        )
        st.markdown(f"**{info.label}**")
        st.caption(f"Templat berlaku: {source} · SHA-256 {info.sha256[:16]}…")
        a, b, c = st.columns(3)
        a.download_button(
            "Unduh templat",
            data=letter_templates.template_download(user_id=user.id, key=info.key).data,
            file_name=f"templat-{info.key}.docx",
            mime=document_files.DOCX_MIME,
            key=f"tpl-dl:{info.key}",
            on_click="ignore",
        )
        b.download_button(
            "Unduh contoh terisi",
            data=letter_templates.template_preview(user_id=user.id, key=info.key).data,
            file_name=f"contoh-{info.key}.docx",
            mime=document_files.DOCX_MIME,
            key=f"tpl-preview:{info.key}",
            on_click="ignore",
        )
        if info.source == "unggahan" and c.button(
            "Kembali ke bawaan", key=f"tpl-revert:{info.key}"
        ):
            letter_templates.revert_template(user_id=user.id, key=info.key)
            st.session_state["templates_notice"] = f"{info.label}: kembali ke templat bawaan."
            st.rerun()
        with st.expander("Isian yang tersedia"):
            for name, text in KEYS[info.key].items():
                wajib = " (wajib)" if name in REQUIRED[info.key] else ""
                st.markdown(f"- `{name}`{wajib}: {text}")
        with st.form(f"tpl-up:{info.key}", clear_on_submit=True):
            upload = st.file_uploader("Templat pengganti (.docx)", type=["docx"])
            if st.form_submit_button("Periksa dan pasang"):
                if upload is None:
                    st.error("Pilih berkas .docx terlebih dahulu.")
                else:
                    try:
                        letter_templates.upload_template(
                            user_id=user.id, key=info.key, data=upload.getvalue()
                        )
                    except WorkflowError as err:
                        st.error(md(err.message))
                    else:
                        st.session_state["templates_notice"] = (
                            f"{info.label}: templat pengganti diperiksa dan dipasang."
                        )
                        st.rerun()
