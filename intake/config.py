"""Settings read from environment variables, with safe defaults for a laptop."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised when the configuration cannot work; the message is one line for a human."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _int(value: str | None, name: str, *, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ConfigError(f"{name} cannot be negative")
    return number


def _trusted_hosts(value: str | None, production: bool, public_base_url: str | None
                   ) -> list[str] | None:
    if value and value.strip():
        return [host.strip() for host in value.split(",") if host.strip()]
    if not production:
        return None
    # The public address, and local names for a health check made on the machine itself.
    host = urlsplit(public_base_url or "").hostname
    return [name for name in (host, "localhost", "127.0.0.1") if name]


def check_database_url(url: str) -> str:
    """Return a usable SQLAlchemy URL or raise ConfigError naming the problem."""
    url = _normalise_database_url(url.strip())
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(
            "DATABASE_URL is malformed: expected e.g. postgresql://user@host:5432/dbname "
            "or sqlite:///path/to/file.db"
        ) from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"DATABASE_URL uses '{parsed.get_backend_name()}': only sqlite and postgresql "
            "are supported"
        )
    return url


# Published in the source: anyone can sign sessions, CSRF tokens and links with it, so it is
# only accepted where nobody else can reach the portal (see check_development_key_allowed).
DEVELOPMENT_KEY = "dev-only-insecure-key-change-me"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_development_key_allowed(*, production: bool, database_url: str,
                                  public_base_url: str | None, testing: bool) -> None:
    """Refuse the published development key unless this is a laptop: SQLite, localhost.

    Outside tests and debug mode, a portal on PostgreSQL or on a public address signing
    with the published key would let anyone forge workspace links and letter tokens.
    """
    if production:
        raise ConfigError("SECRET_KEY is the published development key: production mode "
                          "refuses it (set SECRET_KEY to a long random string)")
    if testing:
        return
    # Unset, links follow the request: a laptop serving itself.
    host = (urlsplit(public_base_url or "http://127.0.0.1").hostname or "").lower()
    if make_url(database_url).get_backend_name() != "sqlite" or host not in LOCAL_HOSTS:
        raise ConfigError("SECRET_KEY is not set: the built-in development key is only "
                          "accepted with SQLite on localhost (set SECRET_KEY to a long random "
                          "string, or unset DATABASE_URL and PUBLIC_BASE_URL)")


def build_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Collect the settings from the environment; `overrides` (tests) win."""
    env = os.environ
    overrides = overrides or {}
    production = _bool(env.get("INTAKE_PRODUCTION")) or env.get("FLASK_ENV") == "production"
    production = overrides.get("PRODUCTION", production)

    default_db = "sqlite:///" + str(Path(instance_path) / "intake.db")
    overrides = dict(overrides)
    database_url = check_database_url(
        overrides.pop("SQLALCHEMY_DATABASE_URI", None) or env.get("DATABASE_URL") or default_db
    )
    public_base_url = overrides.get("PUBLIC_BASE_URL",
                                    (env.get("PUBLIC_BASE_URL") or "").strip() or None)

    secret_key = overrides.get("SECRET_KEY", env.get("SECRET_KEY"))
    if not secret_key:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set: production mode refuses to start without it "
                "(set SECRET_KEY to a long random string shared by all web processes)"
            )
        secret_key = DEVELOPMENT_KEY
    if secret_key == DEVELOPMENT_KEY:
        check_development_key_allowed(
            production=production, database_url=database_url, public_base_url=public_base_url,
            testing=bool(overrides.get("TESTING")) or _bool(env.get("FLASK_DEBUG")))

    config = {
        "PRODUCTION": production,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RQ_QUEUES": ["scoring", "documents", "mail", "default", "exports"],
        "JOB_TIMEOUT": int(env.get("JOB_TIMEOUT", "120")),
        # Kinds of job that run longer than JOB_TIMEOUT: a large export writes for minutes.
        "JOB_TIMEOUTS": {"exports.write": int(env.get("EXPORT_JOB_TIMEOUT", "3600"))},
        # Exports of more cities than this are written by a background job (a progress bar,
        # then a download link) instead of streamed from the page.
        "EXPORT_INLINE_MAX_CITIES": int(env.get("EXPORT_INLINE_MAX_CITIES", "500")),
        # A prepared export's file is deleted this many hours after it was asked for.
        "EXPORT_RETENTION_HOURS": int(env.get("EXPORT_RETENTION_HOURS", "24")),
        "JOB_RETRIES": int(env.get("JOB_RETRIES", "3")),
        # Days a city gets to collect its data once its letter is acknowledged, until the
        # secretariat changes the default in the portal.
        "COLLECTION_DAYS": int(env.get("COLLECTION_DAYS", "120")),
        # A job row still running this long after JOB_TIMEOUT is a dead worker's: the
        # reaper hands it to another worker.
        "JOB_LEASE_GRACE": int(env.get("JOB_LEASE_GRACE", "60")),
        # How often a worker cleans RQ's registries and tries to take over the scheduler
        # (RQ's default, 10 minutes, let retries wait behind a dead scheduler's lock).
        "WORKER_MAINTENANCE_INTERVAL": int(env.get("WORKER_MAINTENANCE_INTERVAL", "15")),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "u4ssc-intake@localhost"),
        "SECRETARIAT_EMAIL": env.get("SECRETARIAT_EMAIL", "u4ssc@localhost"),
        # The address e-mailed links start with. Unset, e-mails use the address of the request
        # that sends them (pages always use the request's own address).
        "PUBLIC_BASE_URL": public_base_url,
        # Uploads (evidence files, workbooks) are capped; forms themselves are small.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(12 * 1024 * 1024))),
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 2_000,
        # The CSRF token lives as long as the session, so a long lunch in the middle of
        # a wizard step does not invalidate the form (pallets-eco/flask-wtf#347).
        "WTF_CSRF_TIME_LIMIT": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=7),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), default=True),
        # If Redis (the shared counter store) is down, serve the request rather than fail it,
        # and keep counting in this process's memory (the same limits) until it is back.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # How many reverse proxies in front of the app set X-Forwarded-For (0: none, the
        # socket address is the client). Too high lets a client pick its own address.
        "TRUSTED_PROXIES": _int(env.get("TRUSTED_PROXIES"), "TRUSTED_PROXIES", default=0),
        # Flask refuses requests whose Host is not listed (None: any, for a laptop).
        "TRUSTED_HOSTS": _trusted_hosts(env.get("TRUSTED_HOSTS"), production, public_base_url),
        # A second factor for secretariat accounts: "required" in production (a secretariat
        # account without one is sent to set it up after the password), else "optional".
        "TOTP_FOR_SECRETARIAT": env.get("TOTP_FOR_SECRETARIAT")
        or ("required" if production else "optional"),
        "UPLOAD_FOLDER": str(Path(instance_path) / "uploads"),
        # New cities and letters the public assistant may create per hour, all visitors
        # together (the secretariat's own paths are not counted or held back).
        "ASSISTANT_LETTERS_PER_HOUR": int(env.get("ASSISTANT_LETTERS_PER_HOUR", "20")),
        # Snapshot PDFs (about 2 s of CPU each) made at once per web process, and how long
        # a request waits for a turn before a 503 "busy, retry".
        "SNAPSHOT_PDF_CONCURRENCY": int(env.get("SNAPSHOT_PDF_CONCURRENCY", "2")),
        "SNAPSHOT_PDF_WAIT": float(env.get("SNAPSHOT_PDF_WAIT", "10")),
        # An unfinished assistant conversation without a turn for this long is deleted.
        "CONVERSATION_TTL_DAYS": int(env.get("CONVERSATION_TTL_DAYS", "30")),
        # A previewed workbook not applied within this many seconds is deleted.
        "PENDING_IMPORT_TTL": int(env.get("PENDING_IMPORT_TTL", "3600")),
        # Evidence per city: at most this many files and bytes.
        "EVIDENCE_QUOTA_FILES": int(env.get("EVIDENCE_QUOTA_FILES", "300")),
        "EVIDENCE_QUOTA_BYTES": int(env.get("EVIDENCE_QUOTA_BYTES", str(500 * 1024 * 1024))),
        "DOCUMENT_FOLDER": str(Path(instance_path) / "documents"),
        "EXPORT_FOLDER": str(Path(instance_path) / "exports"),
    }
    config.update(overrides)
    if config["PRODUCTION"] and not config.get("PUBLIC_BASE_URL"):
        raise ConfigError(
            "PUBLIC_BASE_URL is not set: production mode refuses to start without it "
            "(set it to the portal's public address, e.g. https://intake.example.org)"
        )
    return config
