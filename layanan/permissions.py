"""Who may do what, as data: capabilities, each granted to a set of roles.

``CAPABILITIES`` is the one table of permissions. Each page of ``PAGES_BY_ROLE`` is a
capability ``page:<key>``; the other capabilities name what a service does. The page
list in ``app.py`` (``pages_for``) and every service check (``services.authz.require``)
read this module: hiding a page is convenience, the service refusal is the security.
SOP actions are not here: who performs a step is a column of the SOP table
(``layanan.sop``), checked by the workflow engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from layanan.sop import Role

# Page keys per role, in the order the navigation lists them. ``app.py`` maps each key to
# its file in ``pages/``; each key is also the capability ``page:<key>``.
PAGES_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.PETUGAS: ("queue", "notifications", "intake", "complaint", "search"),
    Role.SUBBAG_UMUM: ("queue", "notifications", "complaint", "search", "register_book"),
    Role.KEPALA_DINAS: ("queue", "notifications", "complaint", "search", "dashboard"),
    Role.SEKRETARIS: ("queue", "notifications", "complaint", "search", "dashboard"),
    Role.UNIT: ("queue", "notifications", "complaint", "search"),
    Role.ARSIPARIS: ("queue", "notifications", "complaint", "search", "register_book"),
    Role.ADMIN: ("admin", "dashboard", "search", "complaint", "templates"),
}

# Roles that see a *rahasia* complaint's complainant identity (issue "Staff workspace").
SEES_CONFIDENTIAL_IDENTITY = frozenset({Role.PETUGAS, Role.SUBBAG_UMUM, Role.KEPALA_DINAS})

STAFF_ROLES = frozenset(Role) - {Role.PEMOHON}


def page_capability(page: str) -> str:
    """The capability that opens a page: ``page:<key>``."""
    return f"page:{page}"


def _grants(page: str) -> frozenset[Role]:
    return frozenset(role for role, pages in PAGES_BY_ROLE.items() if page in pages)


_PAGES = tuple(dict.fromkeys(p for pages in PAGES_BY_ROLE.values() for p in pages))

# Capability -> the roles that hold it.
CAPABILITIES: dict[str, frozenset[Role]] = {
    **{page_capability(p): _grants(p) for p in _PAGES},
    # Any staff account with a role: the documents of a complaint it can open.
    "staff": STAFF_ROLES,
    # Accounts, units, office hours, regulatory clocks, local holidays.
    "manage_users": frozenset({Role.ADMIN}),
    "manage_templates": frozenset({Role.ADMIN}),
    "manage_letter_settings": frozenset({Role.ADMIN}),
    # Reminder thresholds, e-mail on/off, recipients per step (services.notifications).
    "manage_notifications": frozenset({Role.ADMIN}),
    # The monitoring dashboard and its monthly recapitulation.
    "view_dashboard": _grants("dashboard"),
    # The Buku Pengaduan (complaint register) in Word and Excel.
    "print_register": _grants("register_book"),
    # Step 11 at the front desk: the WhatsApp link and the delivery panel.
    "deliver": frozenset({Role.PETUGAS}),
    # The signed original of a rahasia complaint: step 10 signs it, step 12 files it.
    "download_signed_original": frozenset({Role.SEKRETARIS, Role.ARSIPARIS}),
}

# The refusal shown when a capability is missing; it names what is refused.
NO_PAGE = "Anda tidak memiliki akses ke halaman ini."
REFUSALS: dict[str, str] = {
    "staff": "Akun Anda belum memiliki peran. Hubungi administrator.",
    "manage_users": "Hanya administrator yang dapat melakukan ini.",
    "manage_templates": "Hanya administrator yang dapat mengelola templat surat.",
    "manage_letter_settings": "Hanya administrator yang dapat mengubah pengaturan surat.",
    "manage_notifications": "Hanya administrator yang dapat mengubah pengaturan pemberitahuan.",
    "view_dashboard": ("Dasbor pemantauan hanya untuk Kepala Dinas, Sekretaris dan Administrator."),
    "print_register": "Buku pengaduan hanya dapat dicetak oleh Subbagian Umum dan arsiparis.",
    "deliver": "Penyampaian surat jawaban dilakukan oleh Petugas Pelayanan.",
    "download_signed_original": (
        "Surat jawaban bertanda tangan memuat identitas pengadu yang dirahasiakan dan tidak "
        "dapat diunduh dengan peran Anda."
    ),
}


def refusal(capability: str) -> str:
    """The Indonesian refusal for a missing capability."""
    return NO_PAGE if capability.startswith("page:") else REFUSALS[capability]


def allows(roles: Iterable[Role], capability: str) -> bool:
    """True if one of the roles holds the capability (KeyError for an unknown name)."""
    return bool(CAPABILITIES[capability] & frozenset(roles))


def pages_for(roles: Iterable[Role]) -> tuple[str, ...]:
    """The page keys granted to a set of roles, in a stable order, without repeats."""
    seen: dict[str, None] = {}
    for role in sorted(set(roles), key=list(Role).index):
        for page in PAGES_BY_ROLE.get(role, ()):
            seen.setdefault(page, None)
    return tuple(seen)


def may_open(roles: Iterable[Role], page: str) -> bool:
    """True if the roles hold ``page:<page>`` (False for an unknown page)."""
    capability = page_capability(page)
    return capability in CAPABILITIES and allows(roles, capability)


def sees_identity(roles: Iterable[Role], *, confidential: bool) -> bool:
    """Whether these roles see the complainant's identity of a complaint."""
    return not confidential or bool(SEES_CONFIDENTIAL_IDENTITY & set(roles))
