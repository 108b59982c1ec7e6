"""Settings: defaults, then ``QA_APP_*`` environment variables, then create_app's mapping."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = "secret_key"


def instance_path() -> Path:
    """Where the SQLite database and the generated secret key live."""
    return Path(os.environ.get("QA_APP_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(instance: Path, overrides: Mapping | None = None) -> dict:
    """Build the Flask config mapping for one app instance."""
    settings = {
        "DATABASE_URL": os.environ.get("QA_APP_DATABASE_URL")
        or f"sqlite:///{instance / 'qa_app.sqlite3'}",
        "RUBRICS_DIR": os.environ.get("QA_APP_RUBRICS_DIR") or str(PROJECT_ROOT / "rubrics"),
        # New reviews use the newest loaded version of this rubric id.
        "RUBRIC_ID": os.environ.get("QA_APP_RUBRIC") or "empathy",
        "SESSION_COOKIE_SECURE": _env_flag("QA_APP_SECURE_COOKIES", False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CHECK_SCHEMA": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 100 * 1024 * 1024,
        "TRUSTED_PROXIES": int(os.environ.get("QA_APP_TRUSTED_PROXIES") or 0),
    }
    secret = os.environ.get("QA_APP_SECRET_KEY")
    if secret:
        settings["SECRET_KEY"] = secret
    settings.update(overrides or {})
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = instance_secret_key(instance)
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
