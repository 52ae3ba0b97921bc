"""Benchmark (not a test): render 1,000 reply letters and report milliseconds per letter.

    python -m benchmarks.bench_letters            # 1,000 letters
    python -m benchmarks.bench_letters --count 200

Each render is what signing or a draft download does: a fresh ``DocxTemplate`` from
the cached template bytes, autoescaped rendering of a full ``surat_jawaban`` context
(a body of about 2,000 characters in four paragraphs, a QR-free letterhead), and saving
the .docx to memory. The target is a median under 50 ms per letter on the office's
server. No database is used, so the figure is the document work alone.
"""

from __future__ import annotations

import argparse
import statistics
import time

from documents.contexts import sample_context
from documents.render import Paragraphs, render

BODY = "\n\n".join(
    [
        "Menindaklanjuti pengaduan Saudara tanggal 27 November 2026 perihal sertifikat "
        "pelatihan kewirausahaan yang belum diterima, bersama ini kami sampaikan hal-hal "
        "sebagai berikut. " * 2,
        "Berdasarkan hasil penelusuran pada UPT Pelatihan Koperasi UKM, sertifikat telah "
        "dicetak & ditandatangani pada 25 November 2026 dan dapat diambil di kantor "
        "<UPT> pada jam kerja dengan menunjukkan kartu identitas. " * 2,
        "Apabila Saudara berhalangan, sertifikat dapat dikirim melalui pos ke alamat yang "
        "tercantum dalam formulir pendaftaran pelatihan. " * 2,
        "Demikian kami sampaikan. Atas perhatian Saudara kami ucapkan terima kasih.",
    ]
)


def run(count: int) -> dict[str, float]:
    timings = []
    size = 0
    for n in range(count):
        context = sample_context("surat_jawaban")
        context.update(
            {
                "draf": n % 2 == 0,
                "nomor_surat": f"065/{n + 1}/BKOP/2026",
                "isi_surat": Paragraphs(BODY),
            }
        )
        start = time.perf_counter()
        data = render("surat_jawaban", context)
        timings.append((time.perf_counter() - start) * 1000)
        size = len(data)
    timings.sort()
    return {
        "count": count,
        "median_ms": statistics.median(timings),
        "p95_ms": timings[int(0.95 * (count - 1))],
        "max_ms": timings[-1],
        "total_s": sum(timings) / 1000,
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    result = run(args.count)
    print(
        f"{result['count']} reply letters: median {result['median_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, max {result['max_ms']:.1f} ms per letter; "
        f"total {result['total_s']:.1f} s; {result['bytes']:,} bytes each"
    )


if __name__ == "__main__":
    main()
