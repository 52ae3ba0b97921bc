"""Tuning of the app server's process: one Streamlit process serves every session."""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_startup_heap() -> bool:
    """Take the objects alive now out of the garbage collector's walks, once per
    process; returns whether this call did it.

    Why: CPython's oldest-generation collection walks every tracked object, and this
    server's heap after its first page run (the imported modules, pandas, plotly,
    SQLAlchemy's mappers: about 250,000 objects) took 115-135 ms to walk. The walk fell
    inside whichever page run crossed the collector's threshold: every second cold
    12-month dashboard at 1,000,000 complaints. Frozen (``gc.freeze``), the same
    collection takes 2-7 ms. These objects live as long as the process, so no garbage
    is kept by it; ``gc.collect`` first frees what is garbage already.
    """
    global _frozen
    with _lock:
        if _frozen:
            return False
        gc.collect()
        gc.freeze()
        _frozen = True
        return True


__all__ = ["freeze_startup_heap"]
