"""All configuration, read in one place; a bad value stops the app with a clear message.

Sources, first found wins: environment variables, then ``.streamlit/secrets.toml``
(the file ``st.secrets`` reads; only ``secrets.toml.example`` is committed), then the
defaults below. Settings that the admin edits in the app (office hours, letter
settings) live in the database, not here.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed."""


def _secrets() -> dict:
    path = Path(os.environ.get("LAYANAN_SECRETS_FILE", SECRETS_FILE))
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _raw(name: str, secrets: dict) -> str | None:
    if name in os.environ:
        return os.environ[name]
    value = secrets.get(name)
    if value is None:
        # secrets.toml may group keys: [smtp] host = ... -> SMTP_HOST
        section, _, key = name.partition("_")
        group = secrets.get(section.lower())
        if isinstance(group, dict):
            value = group.get(key.lower())
    return None if value is None else str(value)


def env_str(name: str, default: str, secrets: dict | None = None) -> str:
    value = _raw(name, secrets or {})
    return default if value is None or value == "" else value


def env_int(name: str, default: int, secrets: dict | None = None, *, minimum: int = 0) -> int:
    value = _raw(name, secrets or {})
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r}: expected a whole number") from exc
    if number < minimum:
        raise ConfigError(f"{name}={number}: must be at least {minimum}")
    return number


def env_bool(name: str, default: bool, secrets: dict | None = None) -> bool:
    value = _raw(name, secrets or {})
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r}: expected true or false")


def env_networks(name: str, secrets: dict | None = None) -> tuple:
    """A comma- or space-separated list of IP addresses / CIDR networks (empty: none)."""
    value = _raw(name, secrets or {})
    networks = []
    # A TOML list (["10.0.0.5", "fd00::/8"]) arrives stringified: brackets and quotes
    # never occur in an address, so they separate like commas.
    for item in (value or "").translate(str.maketrans(",[]'\"", "     ")).split():
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(
                f"{name}: {item!r} is not an IP address or CIDR network (e.g. 10.0.0.5, "
                "10.0.0.0/24, fd00::/8)"
            ) from exc
    return tuple(networks)


@dataclass(frozen=True)
class Settings:
    database_url: str
    public_base_url: str
    upload_max_mb: int
    session_hours: int
    login_max_failures: int
    lockout_minutes: int
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_sender: str
    smtp_starttls: bool
    soffice_path: str
    # The warm PDF converter (documents.converter): the Python with LibreOffice's uno
    # bridge that runs our own unoserver, or the address of one run elsewhere.
    unoserver_python: str = "/usr/bin/python3"
    unoserver_address: str = ""
    # Public portal throttling (services.ratelimit; numbers explained in docs/portal.md).
    track_max_failures: int = 10
    track_window_minutes: int = 15
    track_slow_after: int = 3
    track_delay_seconds: int = 5
    # Per ticket, whoever asks (services.ratelimit.ticket_policy): a budget of failures
    # per window, then the slow path: one evaluated guess per TRACK_TICKET_SLOW_SECONDS.
    track_ticket_max_failures: int = 10
    track_ticket_window_minutes: int = 60
    track_ticket_slow_seconds: int = 600
    submit_max_per_hour: int = 5
    # Proxies whose X-Forwarded-For / X-Real-Ip are believed (services.clients).
    trust_proxy_from: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    trust_proxy_headers: bool = False  # True iff trust_proxy_from is not empty
    # Outbox (services.outbox; docs/architecture.md "Outbox").
    smtp_timeout_seconds: int = 20
    outbox_worker: str = "embedded"  # embedded | external
    outbox_poll_seconds: int = 5
    outbox_max_attempts: int = 6
    outbox_backoff_seconds: int = 60
    outbox_lease_seconds: int = 120
    # Login throttling beside the per-account lock (services.auth; docs/auth.md).
    login_client_max_failures: int = 20
    login_account_max_failures: int = 50
    # Secure flag of the login cookie: auto (when PUBLIC_BASE_URL or the request is
    # https), true (always: TLS ends at a proxy that talks http to the app), false.
    cookie_secure: str = "auto"
    # WhatsApp Business Cloud API (services.whatsapp; docs/notifications.md). Without a
    # token and phone-number id there is no gateway: the click-to-chat link stays.
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_timeout_seconds: int = 15
    whatsapp_language: str = "id"
    # Operations (services.health, services.metrics, services.logs; docs/operations.md).
    # /healthz fails when the oldest due, unsent outbox message has waited longer than
    # this, or no outbox worker has beaten its heartbeat for longer than that.
    health_outbox_max_lag_seconds: int = 600
    health_worker_max_silence_seconds: int = 180
    health_timeout_seconds: int = 5
    metrics_token: str = ""  # when set, /metrics wants "Authorization: Bearer <token>"
    log_format: str = "json"  # json | text
    log_level: str = "INFO"
    # development | production: production refuses a local PUBLIC_BASE_URL.
    app_env: str = "development"

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_token and self.whatsapp_phone_number_id)


APP_ENVS = ("development", "production")
DEFAULT_PUBLIC_BASE_URL = "http://localhost:8501"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def is_local_url(url: str) -> bool:
    """Whether an address points at this machine (localhost, 127.x, ::1) or has no host."""
    host = (urlsplit(url).hostname or "").lower()
    return (
        not host or host in LOCAL_HOSTS or host.endswith(".localhost") or (host.startswith("127."))
    )


OUTBOX_WORKER_MODES = ("embedded", "external")
COOKIE_SECURE_MODES = ("auto", "true", "false")
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# How often the outbox worker writes its heartbeat (services.outbox.heartbeat); here
# because the health thresholds below are checked against it.
WORKER_HEARTBEAT_SECONDS = 30


def _default_database_url() -> str:
    return f"sqlite:///{ROOT / 'data' / 'layanan.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (cached; tests call ``get_settings.cache_clear()``)."""
    secrets = _secrets()
    url = env_str("DATABASE_URL", _default_database_url(), secrets)
    if not url.startswith(("sqlite:", "postgresql")):
        raise ConfigError(f"DATABASE_URL={url!r}: use sqlite:///path or postgresql+psycopg://...")
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver this project pins.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    cookie_secure = env_str("COOKIE_SECURE", "auto", secrets).strip().lower()
    if cookie_secure not in COOKIE_SECURE_MODES:
        raise ConfigError(
            f"COOKIE_SECURE={cookie_secure!r}: use auto (Secure when served over https), "
            "true (always, e.g. behind a TLS-terminating proxy) or false"
        )
    outbox_worker = env_str("OUTBOX_WORKER", "embedded", secrets).strip().lower()
    if outbox_worker not in OUTBOX_WORKER_MODES:
        raise ConfigError(
            f"OUTBOX_WORKER={outbox_worker!r}: use embedded (a sender thread inside the app "
            "process) or external (run python -m services.outbox yourself)"
        )
    smtp_timeout = env_int("SMTP_TIMEOUT_SECONDS", 20, secrets, minimum=1)
    lease = env_int("OUTBOX_LEASE_SECONDS", 120, secrets, minimum=2)
    if lease <= smtp_timeout:
        raise ConfigError(
            f"OUTBOX_LEASE_SECONDS={lease}: must be longer than SMTP_TIMEOUT_SECONDS="
            f"{smtp_timeout}, or a slow send would be claimed twice"
        )
    wa_token = env_str("WHATSAPP_TOKEN", "", secrets)
    wa_phone_id = env_str("WHATSAPP_PHONE_NUMBER_ID", "", secrets)
    if bool(wa_token) != bool(wa_phone_id):
        raise ConfigError(
            "WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID go together: set both to send "
            "through the WhatsApp Business Cloud API, or neither (click-to-chat link only)"
        )
    wa_base = env_str("WHATSAPP_API_BASE_URL", "https://graph.facebook.com/v21.0", secrets)
    if not wa_base.startswith(("https://", "http://")):
        raise ConfigError(f"WHATSAPP_API_BASE_URL={wa_base!r}: expected an http(s) URL")
    trust_proxy_from = env_networks("TRUST_PROXY_FROM", secrets)
    if env_bool("TRUST_PROXY_HEADERS", False, secrets) and not trust_proxy_from:
        # Trusting forwarded headers from anyone lets every request pick its own client
        # key (a fresh throttling budget per request): name the proxies instead.
        raise ConfigError(
            "TRUST_PROXY_HEADERS=true is no longer enough: set TRUST_PROXY_FROM to the "
            "address(es) of your reverse proxy (e.g. 127.0.0.1 or 10.0.0.0/24); headers are "
            "believed only from those peers"
        )
    unoserver_address = env_str("UNOSERVER_ADDRESS", "", secrets).strip()
    if unoserver_address and not re.fullmatch(r"[\w.\-]*:\d{1,5}", unoserver_address):
        raise ConfigError(
            f"UNOSERVER_ADDRESS={unoserver_address!r}: expected host:port, e.g. 127.0.0.1:2003"
        )
    app_env = env_str("APP_ENV", "development", secrets).strip().lower()
    if app_env not in APP_ENVS:
        raise ConfigError(f"APP_ENV={app_env!r}: use development or production")
    public_base_url = env_str("PUBLIC_BASE_URL", DEFAULT_PUBLIC_BASE_URL, secrets).rstrip("/")
    if app_env == "production" and (
        _raw("PUBLIC_BASE_URL", secrets) is None or is_local_url(public_base_url)
    ):
        # Every receipt's QR code and tracking link, and every letter's verification
        # link, print this address: a local one is unreachable for the public.
        raise ConfigError(
            f"APP_ENV=production needs PUBLIC_BASE_URL set to the public address of the "
            f"portal (e.g. https://pengaduan.example.go.id), not {public_base_url!r}: "
            "receipts and letters print it as the tracking link and QR code"
        )
    poll = env_int("OUTBOX_POLL_SECONDS", 5, secrets, minimum=1)
    max_lag = env_int("HEALTH_OUTBOX_MAX_LAG_SECONDS", 600, secrets, minimum=1)
    if max_lag <= poll:
        raise ConfigError(
            f"HEALTH_OUTBOX_MAX_LAG_SECONDS={max_lag}: must be longer than "
            f"OUTBOX_POLL_SECONDS={poll}, or a healthy worker's normal wait reads as a failure"
        )
    silence = env_int("HEALTH_WORKER_MAX_SILENCE_SECONDS", 180, secrets, minimum=1)
    # One loop of a busy worker: a poll, a heartbeat interval and one send that runs
    # into its SMTP timeout, before the next heartbeat is written.
    loop = poll + WORKER_HEARTBEAT_SECONDS + smtp_timeout
    if silence <= loop:
        raise ConfigError(
            f"HEALTH_WORKER_MAX_SILENCE_SECONDS={silence}: must be longer than "
            f"OUTBOX_POLL_SECONDS + {WORKER_HEARTBEAT_SECONDS} s (heartbeat interval) + "
            f"SMTP_TIMEOUT_SECONDS = {loop}, or a working worker reads as silent"
        )
    log_format = env_str("LOG_FORMAT", "json", secrets).strip().lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(
            f"LOG_FORMAT={log_format!r}: use json (one JSON object per line, for a log "
            "collector) or text (one readable line)"
        )
    log_level = env_str("LOG_LEVEL", "INFO", secrets).strip().upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL={log_level!r}: use one of {', '.join(LOG_LEVELS)}")
    return Settings(
        database_url=url,
        app_env=app_env,
        public_base_url=public_base_url,
        upload_max_mb=env_int("UPLOAD_MAX_MB", 10, secrets, minimum=1),
        session_hours=env_int("SESSION_HOURS", 10, secrets, minimum=1),
        login_max_failures=env_int("LOGIN_MAX_FAILURES", 5, secrets, minimum=1),
        lockout_minutes=env_int("LOCKOUT_MINUTES", 15, secrets, minimum=1),
        smtp_host=env_str("SMTP_HOST", "", secrets),
        smtp_port=env_int("SMTP_PORT", 587, secrets, minimum=1),
        smtp_user=env_str("SMTP_USER", "", secrets),
        smtp_password=env_str("SMTP_PASSWORD", "", secrets),
        smtp_sender=env_str("SMTP_SENDER", "pengaduan@localhost", secrets),
        smtp_starttls=env_bool("SMTP_STARTTLS", True, secrets),
        soffice_path=env_str("SOFFICE_PATH", "soffice", secrets),
        unoserver_python=env_str("UNOSERVER_PYTHON", "/usr/bin/python3", secrets),
        unoserver_address=unoserver_address,
        track_max_failures=env_int("TRACK_MAX_FAILURES", 10, secrets, minimum=1),
        track_window_minutes=env_int("TRACK_WINDOW_MINUTES", 15, secrets, minimum=1),
        track_slow_after=env_int("TRACK_SLOW_AFTER", 3, secrets, minimum=1),
        track_delay_seconds=env_int("TRACK_DELAY_SECONDS", 5, secrets, minimum=0),
        submit_max_per_hour=env_int("SUBMIT_MAX_PER_HOUR", 5, secrets, minimum=1),
        track_ticket_max_failures=env_int("TRACK_TICKET_MAX_FAILURES", 10, secrets, minimum=1),
        track_ticket_window_minutes=env_int("TRACK_TICKET_WINDOW_MINUTES", 60, secrets, minimum=1),
        track_ticket_slow_seconds=env_int("TRACK_TICKET_SLOW_SECONDS", 600, secrets, minimum=1),
        trust_proxy_from=trust_proxy_from,
        trust_proxy_headers=bool(trust_proxy_from),
        smtp_timeout_seconds=smtp_timeout,
        outbox_worker=outbox_worker,
        outbox_poll_seconds=poll,
        outbox_max_attempts=env_int("OUTBOX_MAX_ATTEMPTS", 6, secrets, minimum=1),
        outbox_backoff_seconds=env_int("OUTBOX_BACKOFF_SECONDS", 60, secrets, minimum=1),
        outbox_lease_seconds=lease,
        login_client_max_failures=env_int("LOGIN_CLIENT_MAX_FAILURES", 20, secrets, minimum=1),
        login_account_max_failures=env_int("LOGIN_ACCOUNT_MAX_FAILURES", 50, secrets, minimum=1),
        cookie_secure=cookie_secure,
        whatsapp_api_base_url=wa_base.rstrip("/"),
        whatsapp_token=wa_token,
        whatsapp_phone_number_id=wa_phone_id,
        whatsapp_timeout_seconds=env_int("WHATSAPP_TIMEOUT_SECONDS", 15, secrets, minimum=1),
        whatsapp_language=env_str("WHATSAPP_LANGUAGE", "id", secrets),
        health_outbox_max_lag_seconds=max_lag,
        health_worker_max_silence_seconds=silence,
        health_timeout_seconds=env_int("HEALTH_TIMEOUT_SECONDS", 5, secrets, minimum=1),
        metrics_token=env_str("METRICS_TOKEN", "", secrets),
        log_format=log_format,
        log_level=log_level,
    )
