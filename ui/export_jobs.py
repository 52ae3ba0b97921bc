"""A file that takes long to build: a button starts it in the background
(``services.export_jobs``), a progress bar follows it, then the download button.

The job lives in the session, not in the script run: the user may open other pages
while it runs and finds the file ready on coming back. Only the progress bar re-runs
(an ``st.fragment`` polling every second); when the job ends the page runs once more
to show the download button, and polling stops.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from layanan.markup import md
from services import export_jobs
from services.document_files import Download

STATE = "export_jobs"
POLL_SECONDS = 1.0


def _jobs() -> dict[str, export_jobs.Job]:
    return st.session_state.setdefault(STATE, {})


def job(key: str) -> export_jobs.Job | None:
    return _jobs().get(key)


@st.fragment(run_every=POLL_SECONDS)
def _follow(key: str) -> None:
    current = job(key)
    if current is None or current.done:
        st.rerun(scope="app")
    st.progress(current.fraction, text=current.text)


def offer(
    container,
    key: str,
    *,
    params: tuple,
    prepare: str,
    download: str,
    icon: str,
    work: Callable[[export_jobs.Progress], Download],
) -> None:
    """In ``container``: the "prepare" button, the progress of the job, or its download.

    ``params`` identify what the file is of (e.g. the period): a job of other params is
    dropped, so the button always builds what the page shows.
    """
    current = job(key)
    if current is not None and current.params != params:
        _jobs().pop(key, None)
        current = None
    with container:
        if current is not None and current.done and current.result is not None:
            result = current.result
            st.download_button(
                md(download),
                data=result.data,
                file_name=result.filename,
                mime=result.mime,
                on_click="ignore",
                icon=icon,
                key=f"{key}_download",
            )
            return
        if current is not None and not current.done:
            _follow(key)
            return
        if current is not None and current.error:
            st.error(md(current.error))
        if st.button(md(prepare), key=f"{key}_prepare", icon=icon):
            _jobs()[key] = export_jobs.start(work, params=params)
            st.rerun()
