"""Long exports in a background thread, so a page can show progress and the user can
keep working on other pages meanwhile (``ui.export_jobs`` keeps one per session).

A job runs ``work(progress)``, which returns a ``Download``; ``progress(fraction,
text)`` updates what the page shows. At most ``CONCURRENT_JOBS`` run at once on the
server (the others wait their turn): an export is CPU work, and the office server has
two cores that also serve every page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from layanan.errors import WorkflowError
from services.document_files import Download

log = logging.getLogger("layanan.export_jobs")  # under the configured "layanan" logger

CONCURRENT_JOBS = 2
FAILED = "Berkas gagal disusun. Coba lagi; bila terulang, hubungi administrator."
WAITING = "Menunggu giliran menyusun berkas…"

Progress = Callable[[float, str], None]
_slots = threading.BoundedSemaphore(CONCURRENT_JOBS)


@dataclass
class Job:
    """One export: its state is read by the page while the thread writes it."""

    params: tuple
    fraction: float = 0.0
    text: str = WAITING
    result: Download | None = None
    error: str | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def _report(self, fraction: float, text: str) -> None:
        self.fraction = max(0.0, min(1.0, fraction))
        self.text = text


def start(work: Callable[[Progress], Download], *, params: tuple = ()) -> Job:
    """Run ``work`` in a daemon thread; ``params`` says what the job is of (the page
    compares them to know whether the job still answers the question on screen)."""
    job = Job(params=params)

    def run() -> None:
        try:
            with _slots:
                job._report(0.0, "Mulai menyusun berkas…")
                job.result = work(job._report)
                job._report(1.0, "Berkas siap diunduh.")
        except WorkflowError as err:
            job.error = err.message
        except Exception:
            log.exception("export failed")
            job.error = FAILED
        finally:
            job._done.set()

    threading.Thread(target=run, name="export", daemon=True).start()
    return job


__all__ = ["CONCURRENT_JOBS", "FAILED", "Job", "start"]
