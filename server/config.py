"""Settings: defaults, then `DOORSTEP_*` environment variables, then the test config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

MIN_SECRET_KEY = 32


def secret_key(value: str) -> str:
    """A cursor-signing secret: long enough that it cannot be guessed."""
    if len(value) < MIN_SECRET_KEY:
        raise ValueError(
            f"DOORSTEP_SECRET_KEY needs at least {MIN_SECRET_KEY} characters "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    return value


# name → (default, parser, description); the README's configuration table lists these.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "DATABASE_URL": (None, str, "SQLAlchemy URL; default a SQLite file in the instance folder"),
    "CORS_ORIGINS": ("", str, "Comma-separated origins allowed to call the API from a browser"),
    "SECRET_KEY": (
        None,
        secret_key,
        "Signs pull cursors; every server process needs the same one. Default: a secret made by "
        "`init-db` and kept in the database",
    ),
    "TOKEN_DAYS": (30, int, "A sign-in expires this many days after it was last used"),
    "SCHEMA_VERSION": (1, int, "The app data schema version this server speaks"),
    "MIN_SCHEMA": (1, int, "Oldest `X-Doorstep-Schema` accepted; older gets 426"),
    "TOMBSTONE_DAYS": (180, int, "Deleted records are kept at least this long"),
    "PASSWORD_METHOD": ("scrypt", str, "werkzeug password hash method (slow and salted)"),
    "PWA_DIST": (str(ROOT / "pwa" / "dist"), str, "Folder of the built app served at /"),
    "TOWN_NAME": ("Thị trấn Gia Ray", str, "The town's name on reports"),
    "REPORT_SIGNER": ("Lương Thanh Tùng", str, "Who signs the report (the chairman)"),
    "REPORT_RECIPIENT": ("Phòng Nội vụ huyện", str, "Whom the report is addressed to"),
    "MIN_FREE_MB": (200, int, "/health is degraded below this much free disk (MB) for SQLite"),
    "LOG_LEVEL": ("WARNING", str, "Python log level"),
}


def from_environment() -> dict[str, Any]:
    """The `DOORSTEP_*` settings present in the environment, parsed."""
    found: dict[str, Any] = {}
    for name, (_, parse, _) in SETTINGS.items():
        raw = os.environ.get(f"DOORSTEP_{name}")
        if raw not in (None, ""):
            found[name] = parse(raw)
    return found


def defaults() -> dict[str, Any]:
    return {name: default for name, (default, _, _) in SETTINGS.items()}
