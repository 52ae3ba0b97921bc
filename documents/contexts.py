"""What each template may print: its context keys, documented, with a full sample.

``KEYS`` is the contract between the code that gathers data (the builders of
``services.official_documents``, the dashboard's monthly recap) and the templates,
including admin-uploaded replacements: a replacement may use only these names and must use
the ``REQUIRED`` ones.
``sample_context`` fills every key; the template check renders a replacement with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from documents.render import Image, Paragraphs

COMMON_KEYS: dict[str, str] = {
    "kantor": "Kop surat: kantor.provinsi, kantor.nama, kantor.alamat, kantor.kontak, kantor.kota",
    "lambang": "Gambar lambang daerah (kosong bila tidak diunggah)",
}

KEYS: dict[str, dict[str, str]] = {
    "surat_jawaban": {
        **COMMON_KEYS,
        "draf": "True sebelum ditandatangani (langkah 8-10): cetak tanda DRAF",
        "tanggal_surat": "Tanggal surat, mis. 28 November 2026",
        "nomor_surat": "Nomor surat (kosong/titik-titik pada draf)",
        "sifat": "Sifat surat (Biasa, Segera, Sangat Segera; Rahasia bila pengaduan rahasia)",
        "lampiran": "Lampiran, mis. 1 (satu) berkas",
        "hal": "Hal (perihal) surat",
        "penerima": "Yth.: penerima.nama (mis. Sdr. Siti Aminah), penerima.alamat (kosong: "
        "tanpa baris), penerima.tempat (kota/kabupaten pengadu, atau Tempat)",
        "isi_surat": "Isi surat dari unit (paragraf); isi_surat.blocks: daftar {teks, "
        "penanda, butir} dengan butir bernomor sebagai paragraf tersendiri",
        "penandatangan": "Tanda tangan: penandatangan.atas_nama, .jabatan, .nama, .pangkat, .nip",
        "tembusan": "Daftar tembusan (teks)",
        "tte": (
            "Tanda tangan elektronik (kosong pada draf): tte.qr (kode QR alamat verifikasi), "
            "tte.tanggal, tte.kode (kode verifikasi), tte.alamat (alamat halaman verifikasi)"
        ),
    },
    "lembar_disposisi": {
        **COMMON_KEYS,
        "surat_dari": "Pengirim surat aduan",
        "nomor_surat": "Nomor surat aduan yang dicatat saat penerimaan (- bila bukan surat)",
        "tanggal_surat": "Tanggal surat aduan (- bila bukan surat)",
        "diterima_tanggal": "Tanggal diterima",
        "nomor_agenda": "Nomor agenda TNDE",
        "klasifikasi": "Klasifikasi keamanan: Rahasia atau Biasa",
        "sifat_pilihan": "Pilihan sifat (kesegeraan): daftar {kotak, label}",
        "hal": "Hal (perihal) pengaduan",
        "diteruskan_kepada": "Unit tujuan: daftar {kotak, label}",
        "instruksi": "Instruksi disposisi: daftar {kotak, label}",
        "catatan": "Catatan Kepala Dinas",
        "batas_waktu": "Batas waktu disposisi",
        "paraf_tanggal": "Tanggal disposisi",
    },
    "tanda_terima": {
        **COMMON_KEYS,
        "tiket": "Nomor tiket",
        "pin": "PIN pelacakan (kosong bila tidak dicetak)",
        "tanggal_jam": "Tanggal dan jam diterima",
        "saluran": "Saluran pengaduan",
        "pengadu": "Nama pengadu (atau Anonim)",
        "perihal": "Perihal pengaduan",
        "ringkasan": "Ringkasan isi pengaduan",
        "petugas": "Petugas penerima: petugas.nama, petugas.nip",
        "tanggal_cetak": "Tanggal tanda terima",
        "alamat_lacak": "Alamat pelacakan",
        "qr": "Kode QR alamat pelacakan",
    },
    "buku_pengaduan": {
        **COMMON_KEYS,
        "periode": "Periode buku, mis. 1 November 2026 s.d. 30 November 2026",
        "baris": "Daftar {no, tanggal_terima, nomor_agenda, surat (nomor dan tanggal surat), "
        "saluran, klasifikasi, pengadu, isi_ringkas, diteruskan_ke, status, keterangan}",
        "jumlah": "Jumlah pengaduan",
        "dicetak_oleh": "Nama pencetak",
        "tanggal_cetak": "Tanggal cetak",
    },
    "rekapitulasi": {
        **COMMON_KEYS,
        "periode": "Periode rekap, mis. November 2026",
        "jumlah_total": "Jumlah pengaduan pada periode",
        "per_saluran": "Daftar {label, count} per saluran",
        "per_kategori": "Daftar {label, count} per kategori",
        "per_unit": "Daftar {label, count} per unit",
        "per_status": "Daftar {label, count} per status",
        "ketepatan": "Daftar {step, name, share} ketepatan waktu per langkah SOP",
        "kepala": "Mengetahui: kepala.nama, kepala.pangkat, kepala.nip",
        "pembuat": "Yang membuat: pembuat.nama, pembuat.jabatan, pembuat.pangkat, pembuat.nip",
        "tanggal_cetak": "Tanggal cetak",
    },
}

# Names a replacement template must print, so that no official content disappears.
REQUIRED: dict[str, frozenset[str]] = {
    # tte: a signed letter without its verification block could not be checked.
    "surat_jawaban": frozenset(
        {"draf", "nomor_surat", "tanggal_surat", "isi_surat", "penerima", "tte"}
    ),
    "lembar_disposisi": frozenset({"nomor_agenda", "diteruskan_kepada", "instruksi"}),
    "tanda_terima": frozenset({"tiket", "pin", "tanggal_jam"}),
    "buku_pengaduan": frozenset({"baris"}),
    "rekapitulasi": frozenset({"periode", "ketepatan"}),
}


def terbilang(n: int) -> str:
    """Small whole numbers in Indonesian words (for "1 (satu) berkas")."""
    ones = [
        "nol",
        "satu",
        "dua",
        "tiga",
        "empat",
        "lima",
        "enam",
        "tujuh",
        "delapan",
        "sembilan",
        "sepuluh",
        "sebelas",
    ]
    if n < 12:
        return ones[n]
    if n < 20:
        return f"{ones[n - 10]} belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        return f"{ones[tens]} puluh" + (f" {ones[rest]}" if rest else "")
    return str(n)


def lampiran_text(count: int) -> str:
    return f"{count} ({terbilang(count)}) berkas" if count else "-"


def checkboxes(options: Sequence[str], chosen: Sequence[str] | str | None) -> list[dict]:
    """Options as {kotak, label} with a ticked box for the chosen ones."""
    picked = {chosen} if isinstance(chosen, str) else set(chosen or ())
    return [{"kotak": "\u2611" if o in picked else "\u2610", "label": o} for o in options]


def counts(rows: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    """(label, count) pairs as the list of {label, count} the recap template prints."""
    return [{"label": label, "count": count} for label, count in rows]


def share_text(share: float | None) -> str:
    """0.875 as "87,5%"; None (no data) as "-"."""
    if share is None:
        return "-"
    return f"{share * 100:.1f}".replace(".", ",") + "%"


def recap_context(
    *,
    kantor: dict[str, str],
    periode: str,
    jumlah_total: int,
    per_saluran: Sequence[tuple[str, int]],
    per_kategori: Sequence[tuple[str, int]],
    per_unit: Sequence[tuple[str, int]],
    per_status: Sequence[tuple[str, int]],
    ketepatan: Sequence[tuple[int, str, float | None]],
    kepala: dict[str, str],
    tanggal_cetak: str,
    pembuat: dict[str, str] | None = None,
    lambang: Any = "",
) -> dict[str, Any]:
    """The ``rekapitulasi`` context from plain counts (shares as fractions 0..1)."""
    return {
        "kantor": kantor,
        "lambang": lambang,
        "periode": periode,
        "jumlah_total": jumlah_total,
        "per_saluran": counts(per_saluran),
        "per_kategori": counts(per_kategori),
        "per_unit": counts(per_unit),
        "per_status": counts(per_status),
        "ketepatan": [
            {"step": step, "name": name, "share": share_text(share)}
            for step, name, share in ketepatan
        ],
        "kepala": kepala,
        "pembuat": pembuat or {"nama": "", "jabatan": "", "pangkat": "", "nip": ""},
        "tanggal_cetak": tanggal_cetak,
    }


SAMPLE_KANTOR = {
    "provinsi": "PEMERINTAH PROVINSI SULAWESI TENGAH",
    "nama": "DINAS KOPERASI, USAHA KECIL DAN MENENGAH",
    "alamat": "Jalan Prof. Moh. Yamin, Palu, Sulawesi Tengah",
    "kontak": "Telepon (0451) 421234, Faksimile (0451) 421235\n"
    "Laman diskopukm.example.go.id, Pos-el pengaduan@example.go.id, Kode Pos 94111",
    "kota": "Palu",
}


def _sample_qr() -> bytes:
    import io

    import qrcode

    out = io.BytesIO()
    qrcode.make("https://pengaduan.example.go.id/verifikasi?kode=7KQ4M2XH9RTB").save(out)
    return out.getvalue()


def sample_context(key: str) -> dict[str, Any]:
    """A context filling every key of ``key``'s template with realistic values."""
    from layanan import sop

    common = {"kantor": dict(SAMPLE_KANTOR), "lambang": ""}
    signer = {
        "atas_nama": "KEPALA DINAS KOPERASI DAN UKM PROVINSI SULAWESI TENGAH",
        "jabatan": "SEKRETARIS",
        "nama": "Nurhayati Lamadjido, S.H., M.H.",
        "pangkat": "Pembina Tingkat I (IV/b)",
        "nip": "19750214 200003 2 003",
    }
    samples: dict[str, dict[str, Any]] = {
        "surat_jawaban": {
            "draf": True,
            "tanggal_surat": "28 November 2026",
            "nomor_surat": "000.8.3/12/BKOP/2026",
            "sifat": "Biasa",
            "lampiran": lampiran_text(1),
            "hal": "Jawaban atas Pengaduan ADU-2026-000123",
            "penerima": {
                "nama": "Sdr. Siti Aminah",
                "alamat": "Jalan Sisingamangaraja 5, Kelurahan Besusu Barat",
                "tempat": "Palu",
            },
            "isi_surat": Paragraphs(
                "Menindaklanjuti pengaduan Saudara, kami sampaikan hal berikut.\n"
                "1. Sertifikat pelatihan telah dicetak.\n"
                "2. Sertifikat dapat diambil di Sekretariat.\n\n"
                "Demikian kami sampaikan. Atas perhatian Saudara kami ucapkan terima kasih."
            ),
            "penandatangan": signer,
            "tte": {
                "tanggal": "28 November 2026",
                "kode": "7KQ4-M2XH-9RTB",
                "qr": Image(_sample_qr(), 24),
                "alamat": "https://pengaduan.example.go.id/verifikasi",
            },
            "tembusan": ["Kepala Dinas (sebagai laporan)"],
        },
        "lembar_disposisi": {
            "surat_dari": "Siti Aminah",
            "nomor_surat": "12/KUD-MS/XI/2026",
            "tanggal_surat": "25 November 2026",
            "diterima_tanggal": "27 November 2026",
            "nomor_agenda": "123/TNDE/XI/2026",
            "klasifikasi": "Biasa",
            "sifat_pilihan": checkboxes([sop.title_case(s) for s in sop.SIFAT_SURAT], "Segera"),
            "hal": "Sertifikat pelatihan belum diterima",
            "diteruskan_kepada": checkboxes(
                ["Sekretariat", "Bidang Kelembagaan dan Pengawasan Koperasi"],
                ["Sekretariat"],
            ),
            "instruksi": checkboxes(sop.DISPOSITION_INSTRUCTIONS, "Siapkan jawaban"),
            "catatan": "Segera ditindaklanjuti.",
            "batas_waktu": "4 Desember 2026",
            "paraf_tanggal": "28 November 2026",
        },
        "tanda_terima": {
            "tiket": "ADU-2026-000123",
            "pin": "123456",
            "tanggal_jam": "27 November 2026 pukul 09.15 WITA",
            "saluran": "Datang langsung",
            "pengadu": "Siti Aminah",
            "perihal": "Sertifikat pelatihan belum diterima",
            "ringkasan": "Sertifikat pelatihan kewirausahaan belum dibagikan.",
            "petugas": {"nama": "Rina Marlina, S.Sos.", "nip": "19880312 201101 2 004"},
            "tanggal_cetak": "27 November 2026",
            "alamat_lacak": "http://localhost:8501/lacak?tiket=ADU-2026-000123",
            "qr": "",
        },
        "buku_pengaduan": {
            "periode": "1 November 2026 s.d. 30 November 2026",
            "baris": [
                {
                    "no": 1,
                    "tanggal_terima": "27 November 2026",
                    "nomor_agenda": "123/TNDE/XI/2026",
                    "surat": "12/KUD-MS/XI/2026, 25 November 2026",
                    "saluran": "Surat",
                    "klasifikasi": "000.8.3",
                    "pengadu": "Siti Aminah",
                    "isi_ringkas": "Sertifikat pelatihan belum diterima",
                    "diteruskan_ke": "Sekretariat",
                    "status": "Langkah 8: Penyusunan draf jawaban",
                    "keterangan": "ADU-2026-000123",
                }
            ],
            "jumlah": 1,
            "dicetak_oleh": "Ahmad Fauzi Lamarauna, S.E.",
            "tanggal_cetak": "30 November 2026",
        },
        "rekapitulasi": recap_context(
            kantor=dict(SAMPLE_KANTOR),
            periode="November 2026",
            jumlah_total=3,
            per_saluran=[("Datang langsung", 2), ("Pos-el", 1)],
            per_kategori=[("Pemberdayaan UMKM", 3)],
            per_unit=[("Sekretariat", 3)],
            per_status=[("Selesai", 2), ("Dalam proses", 1)],
            ketepatan=[(2, "Menerima tamu", 0.875), (8, "Menyusun draf", None)],
            kepala={
                "nama": "Dr. Hasanuddin Rahim, M.Si.",
                "pangkat": "Pembina Utama Muda (IV/c)",
                "nip": "19700707 199512 1 001",
            },
            pembuat={
                "nama": "Nurhayati Lamadjido, S.H., M.H.",
                "jabatan": "Sekretaris Dinas selaku PPID",
                "pangkat": "Pembina Tingkat I (IV/b)",
                "nip": "19750214 200003 2 003",
            },
            tanggal_cetak="1 Desember 2026",
        ),
    }
    return {**common, **samples[key]}
