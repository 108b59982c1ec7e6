"""Settings: defaults, then ``QA_APP_*`` environment variables, then create_app's mapping."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from qa_app.resources import shipped_rubrics_dir

SECRET_KEY_FILE = "secret_key"


# Shorter production keys are refused (load_settings).
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(RuntimeError):
    """The environment asks for something that cannot run; the message says what to set."""


def instance_path() -> Path:
    """Where the SQLite database and the generated secret key live.

    ``QA_APP_INSTANCE_PATH`` when set; otherwise the user's data folder
    (``$XDG_DATA_HOME/qa_app``, by default ``~/.local/share/qa_app``). Never inside the
    installed package: site-packages is not a place for secrets or data.
    """
    configured = os.environ.get("QA_APP_INSTANCE_PATH")
    if configured:
        return Path(configured).expanduser().resolve()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return (Path(data_home) / "qa_app").resolve()


def production_mode() -> bool:
    """``QA_APP_ENV=production``: settings that only suit one machine are refused."""
    return (os.environ.get("QA_APP_ENV") or "").strip().lower() == "production"


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_seconds(name: str, default: float) -> float:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 24 * 3600:  # also refuses nan and inf
        raise SettingsError(
            f"{name}={value!r} is not a number of seconds from 0 (no limit) to 86400, e.g. 5"
        )
    return seconds


def _env_whole(name: str, default: int, unit: str, most: int) -> int:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= most:
        raise SettingsError(f"{name}={value!r} is not a whole number of {unit} from 1 to {most}")
    return int(value)


def load_settings(
    instance: Path, overrides: Mapping | None = None, *, make_secret_key: bool = True
) -> dict:
    """Build the Flask config mapping for one app instance.

    ``make_secret_key=False`` (commands, which sign nothing) leaves SECRET_KEY None rather
    than generating the instance's key file; production still refuses a missing key."""
    settings = {
        "DATABASE_URL": os.environ.get("QA_APP_DATABASE_URL")
        or f"sqlite:///{instance / 'qa_app.sqlite3'}",
        "RUBRICS_DIR": os.environ.get("QA_APP_RUBRICS_DIR") or str(shipped_rubrics_dir()),
        # New reviews use the newest loaded version of this rubric id.
        "RUBRIC_ID": os.environ.get("QA_APP_RUBRIC") or "empathy",
        # Shown to customers (panel and survey links) instead of the product's name.
        "ORGANISATION_NAME": (os.environ.get("QA_APP_ORGANISATION_NAME") or "").strip()[:80],
        # Money is shown with it: an ISO code (EUR, GBP, USD, ...) or a symbol; blank: none.
        "CURRENCY": (os.environ.get("QA_APP_CURRENCY") or "").strip()[:10],
        "SESSION_COOKIE_SECURE": _env_flag("QA_APP_SECURE_COOKIES", False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CHECK_SCHEMA": True,
        # A login ends after this long without a request, and this long after it began
        # whatever happens (web/auth.py); Flask refuses older cookies outright too.
        "SESSION_IDLE_MINUTES": _env_whole(
            "QA_APP_SESSION_IDLE_MINUTES", 12 * 60, "minutes", 365 * 24 * 60
        ),
        "SESSION_MAX_DAYS": _env_whole("QA_APP_SESSION_MAX_DAYS", 7, "days", 365),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 100 * 1024 * 1024,
        "TRUSTED_PROXIES": int(os.environ.get("QA_APP_TRUSTED_PROXIES") or 0),
        # How long a web request may wait on the database before it gets the "database is
        # busy, try again" page (db.py); 0 is no limit. Statement and lock: PostgreSQL only.
        "DB_STATEMENT_TIMEOUT": _env_seconds("QA_APP_DB_STATEMENT_TIMEOUT", 15.0),
        "DB_LOCK_TIMEOUT": _env_seconds("QA_APP_DB_LOCK_TIMEOUT", 5.0),
        "DB_BUSY_TIMEOUT": _env_seconds("QA_APP_DB_BUSY_TIMEOUT", 15.0),
        "DB_POOL_TIMEOUT": _env_seconds("QA_APP_DB_POOL_TIMEOUT", 10.0),
        # How long a page waits for an analysis worked out in the background (survival,
        # coaching comparison, mix flag rates) before it shows "being worked out" and asks
        # again (web/background.py); the analysis itself may run for up to
        # ANALYSIS_STATEMENT_TIMEOUT per database statement on PostgreSQL.
        "ANALYSIS_WAIT_SECONDS": _env_seconds("QA_APP_ANALYSIS_WAIT_SECONDS", 1.0),
        "ANALYSIS_STATEMENT_TIMEOUT": _env_seconds("QA_APP_ANALYSIS_STATEMENT_TIMEOUT", 600.0),
        # Requests per token to the HTTP API (Flask-Limiter's notation), counted in memory
        # per process unless QA_APP_API_RATE_STORAGE names a shared store (redis://host:6379).
        "API_RATE_LIMIT": os.environ.get("QA_APP_API_RATE_LIMIT") or "600 per minute",
        "API_RATE_STORAGE": os.environ.get("QA_APP_API_RATE_STORAGE") or "memory://",
        # Requests per client address to the API, whatever tokens it sends.
        "API_ADDRESS_RATE_LIMIT": os.environ.get("QA_APP_API_ADDRESS_RATE_LIMIT")
        or "3000 per minute",
    }
    secret = os.environ.get("QA_APP_SECRET_KEY")
    if secret:
        if production_mode() and len(secret) < MIN_SECRET_KEY_LENGTH:
            # A short key can be guessed offline from one signed cookie, and then anyone can
            # sign a session for any account.
            raise SettingsError(
                f"QA_APP_SECRET_KEY is {len(secret)} characters; in production it must be at "
                f"least {MIN_SECRET_KEY_LENGTH} random characters, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        settings["SECRET_KEY"] = secret
    settings.update(overrides or {})
    settings["PERMANENT_SESSION_LIFETIME"] = timedelta(days=settings["SESSION_MAX_DAYS"])
    if not settings.get("SECRET_KEY"):
        if production_mode():
            raise SettingsError(
                "QA_APP_SECRET_KEY is not set; in production (QA_APP_ENV=production) every server "
                "needs the same secret key: set it to a long random value, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        settings["SECRET_KEY"] = instance_secret_key(instance) if make_secret_key else None
    return settings


def instance_secret_key(instance: Path) -> str:
    """Read the instance's secret key, generating and keeping one on first use.

    Several servers behind one database must share a key: set QA_APP_SECRET_KEY.
    """
    path = instance / SECRET_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
