"""Entry point: log the user in, then offer only the pages their roles grant.

``streamlit run app.py`` finds the ``st.App`` below and serves the app through it, which
adds the two login-cookie routes of ``ui/auth_routes.py`` beside Streamlit's own. The
ASGI server imports this file as a module (``__name__ == "app"``) only to get that
object; Streamlit runs it as ``__main__`` for every page view, and that run builds the
navigation. A page that the user's roles do not grant (``layanan.permissions``) is not
in the navigation at all, so typing its URL leads to "page not found".
"""

from __future__ import annotations

import streamlit as st

from layanan import permissions


def public_pages() -> list[st.Page]:
    """Pages for everyone without a login: the login itself and the complainant portal."""
    return [
        st.Page("pages/login.py", title="Masuk", url_path="login", icon=":material/login:"),
        st.Page(
            "pages/ajukan.py", title="Ajukan Pengaduan", url_path="ajukan", icon=":material/edit:"
        ),
        st.Page(
            "pages/lacak.py", title="Lacak Pengaduan", url_path="lacak", icon=":material/search:"
        ),
    ]


def staff_pages() -> dict[str, st.Page]:
    """Every staff page, by its key in ``layanan.permissions.PAGES_BY_ROLE``."""
    return {
        "queue": st.Page(
            "pages/queue.py", title="Antrean Saya", url_path="antrean", icon=":material/inbox:"
        ),
        "intake": st.Page(
            "pages/intake.py",
            title="Terima Pengaduan",
            url_path="terima",
            icon=":material/add_box:",
        ),
        "complaint": st.Page(
            "pages/complaint.py",
            title="Detail Pengaduan",
            url_path="pengaduan",
            icon=":material/description:",
        ),
        "search": st.Page(
            "pages/search.py",
            title="Cari Pengaduan",
            url_path="cari",
            icon=":material/manage_search:",
        ),
        "register_book": st.Page(
            "pages/register_book.py",
            title="Buku Pengaduan",
            url_path="buku-pengaduan",
            icon=":material/menu_book:",
        ),
        "dashboard": st.Page(
            "pages/dashboard.py", title="Dasbor", url_path="dasbor", icon=":material/monitoring:"
        ),
        "templates": st.Page(
            "pages/templates.py",
            title="Templat Surat",
            url_path="templat",
            icon=":material/article:",
        ),
        "admin": st.Page(
            "pages/admin.py",
            title="Administrasi",
            url_path="admin",
            icon=":material/admin_panel_settings:",
        ),
    }


def _no_role() -> None:
    st.title("Belum ada peran")
    st.info("Akun Anda belum diberi peran. Hubungi administrator.")


def main() -> None:
    from ui import session, sidebar

    st.set_page_config(
        page_title="Layanan Pengaduan", page_icon=":material/support_agent:", layout="wide"
    )
    session.restore_login()
    session.clear_cookie_if_logged_out()
    user = session.current_user()
    if user is None:
        pages = public_pages()
    else:
        granted = staff_pages()
        pages = [granted[key] for key in permissions.pages_for(user.roles)]
        pages = pages or [st.Page(_no_role, title="Beranda", url_path="beranda")]
        sidebar.render_user(user)
    st.navigation(pages).run()


if __name__ == "__main__":
    main()
else:
    from ui.auth_routes import ROUTES

    app = st.App(__file__, routes=ROUTES)
