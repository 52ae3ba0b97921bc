"""Entry point: log the user in, then offer only the pages their roles grant.

``streamlit run app.py`` finds the ``st.App`` below and serves the app through it, which
adds the two login-cookie routes of ``ui/auth_routes.py`` and ``/healthz`` and ``/metrics``
of ``ui/ops_routes.py`` beside Streamlit's own, and the security headers of
``ui/http_headers.py`` on every response; importing it also configures the structured
logs (``services.logs``). Every script run is timed (``layanan_page_run_seconds``) and
logged with its user, page and ticket. The
ASGI server imports this file as a module (``__name__ == "app"``) only to get that
object; Streamlit runs it as ``__main__`` for every page view, and that run builds the
navigation. A page that the user's roles do not grant (``layanan.permissions``) is not
in the navigation at all, so typing its URL leads to "page not found".
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import asynccontextmanager

import streamlit as st

from layanan import permissions

# Every page: key -> (file, title, url path, icon). The staff keys are those of
# ``layanan.permissions.PAGES_BY_ROLE``; a Page object is made only for granted pages.
# Our own addresses differ from the file names where we can (masuk, administrasi): a run
# in Streamlit's old pages/ mode (AppTest starts every run in it) maps an address equal
# to a file name straight to that file, bypassing this one. /lacak and /ajukan stay, as
# receipts and letters print them.
PUBLIC_PAGES: dict[str, tuple[str, str, str, str]] = {
    "login": ("pages/login.py", "Masuk", "masuk", ":material/login:"),
    "ajukan": ("pages/ajukan.py", "Ajukan Pengaduan", "ajukan", ":material/edit:"),
    "lacak": ("pages/lacak.py", "Lacak Pengaduan", "lacak", ":material/search:"),
    "verifikasi": ("pages/verifikasi.py", "Verifikasi Surat", "verifikasi", ":material/verified:"),
}
STAFF_PAGES: dict[str, tuple[str, str, str, str]] = {
    "queue": ("pages/queue.py", "Antrean Saya", "antrean", ":material/inbox:"),
    "notifications": (
        "pages/notifications.py",
        "Pemberitahuan",
        "pemberitahuan",
        ":material/notifications:",
    ),
    "intake": ("pages/intake.py", "Terima Pengaduan", "terima", ":material/add_box:"),
    "complaint": ("pages/complaint.py", "Detail Pengaduan", "pengaduan", ":material/description:"),
    "search": ("pages/search.py", "Cari Pengaduan", "cari", ":material/manage_search:"),
    "register_book": (
        "pages/register_book.py",
        "Buku Pengaduan",
        "buku-pengaduan",
        ":material/menu_book:",
    ),
    "dashboard": ("pages/dashboard.py", "Dasbor", "dasbor", ":material/monitoring:"),
    "templates": ("pages/templates.py", "Templat Surat", "templat", ":material/article:"),
    "admin": (
        "pages/admin.py",
        "Administrasi",
        "administrasi",
        ":material/admin_panel_settings:",
    ),
}


def page(entry: tuple[str, str, str, str]) -> st.Page:
    file, title, url_path, icon = entry
    return st.Page(file, title=title, url_path=url_path, icon=icon)


def _with_badge(key: str, unread: int) -> tuple[str, str, str, str]:
    """The page entry; the notifications page's title carries the unread count."""
    file, title, url_path, icon = STAFF_PAGES[key]
    if key == "notifications" and unread:
        title = f"{title} ({unread})"
    return file, title, url_path, icon


_page_log = logging.getLogger("layanan.page")

# A ticket in the address (?tiket=...) is logged only when it looks like one: the
# parameter is typed by whoever opened the page.
_TICKET_RE = re.compile(r"^ADU-\d{4}-\d{6}$")


def _ticket_in_address() -> str | None:
    ticket = st.query_params.get("tiket", "")
    return ticket if _TICKET_RE.fullmatch(ticket or "") else None


def _no_role() -> None:
    st.title("Belum ada peran")
    st.info("Akun Anda belum diberi peran. Hubungi administrator.")


def main() -> None:
    """One script run, timed and logged as one ``page_run`` line whatever ends it (a
    rerun, st.stop or an error: the ``finally``)."""
    from services import logs, metrics, process

    started = time.perf_counter()
    page_path = {"path": "-"}
    with logs.request_context(event="page_run"):
        try:
            _run(page_path)
        finally:
            seconds = time.perf_counter() - started
            metrics.observe_page_run(page=page_path["path"], seconds=seconds)
            logs.bind(page=page_path["path"], duration_ms=round(seconds * 1000, 1))
            _page_log.info("page %s", page_path["path"])
            # After the first run the pages' modules are loaded: from then on the
            # collector no longer walks them inside every later page run.
            process.freeze_startup_heap()


def _run(page_path: dict[str, str]) -> None:
    from services import logs, notifications, outbox, signed_letter
    from ui import session, sidebar

    # The sender of e-mail and other outgoing messages (OUTBOX_WORKER=embedded, the
    # default): one thread per process, started by the first run; later runs find it.
    outbox.start_embedded_worker()
    # The converter of signed letters to PDF (one warm LibreOffice), woken by a signing.
    signed_letter.start_worker()
    st.set_page_config(
        page_title="Layanan Pengaduan", page_icon=":material/support_agent:", layout="wide"
    )
    session.restore_login()
    session.clear_cookie_if_logged_out()
    with session.checked_for_this_run() as user:
        if user is None:
            entries = list(PUBLIC_PAGES.values())
        else:
            logs.bind(
                user=user.username, user_id=user.id, roles=sorted(r.value for r in user.roles)
            )
            granted = permissions.pages_for(user.roles)
            unread = (
                notifications.unread_count(user_id=user.id) if "notifications" in granted else 0
            )
            entries = [_with_badge(key, unread) for key in granted]
            if entries:
                # A letter's QR code opens /verifikasi in whatever browser scans it: staff
                # logged in there (the Secretary checking a letter brought back) reach it too.
                entries.append(PUBLIC_PAGES["verifikasi"])
            sidebar.render_user(user, unread=unread)
        pages = [page(entry) for entry in entries]
        paths = {id(p): entry[2] for p, entry in zip(pages, entries, strict=True)}
        if not pages:
            pages = [st.Page(_no_role, title="Beranda", url_path="beranda")]
            paths = {id(pages[0]): "beranda"}
        chosen = st.navigation(pages)
        page_path["path"] = paths.get(id(chosen), "-")
        logs.bind(page=page_path["path"], ticket=_ticket_in_address())
        chosen.run()


if __name__ == "__main__":
    main()
else:
    from streamlit.runtime.pages_manager import PagesManager

    from services import logs
    from ui.auth_routes import ROUTES as AUTH_ROUTES
    from ui.http_headers import MIDDLEWARE
    from ui.ops_routes import ROUTES as OPS_ROUTES

    logs.configure()

    @asynccontextmanager
    async def _lifespan(_app):
        from services import outbox

        # The embedded sender (OUTBOX_WORKER=embedded) starts with the server, not with
        # its first page view: /healthz reads its heartbeat from the start.
        outbox.start_embedded_worker()
        yield

    # pages/ holds our page files, but this app lists its pages itself (st.navigation).
    # Without this, Streamlit treats a pages/ folder as the old multipage mode until the
    # first st.navigation call of the process, and a fresh server's first request for,
    # say, /admin would run pages/admin.py without passing through this file.
    PagesManager.uses_pages_directory = False
    app = st.App(
        __file__, routes=[*AUTH_ROUTES, *OPS_ROUTES], middleware=MIDDLEWARE, lifespan=_lifespan
    )
