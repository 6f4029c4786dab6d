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


OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def tile_template(value: str) -> str:
    """A map tile URL template (`https://…/{z}/{x}/{y}.png`), or empty for no base layer."""
    value = value.strip()
    if value and not (
        value.startswith(("https://", "http://")) and all(p in value for p in ("{z}", "{x}", "{y}"))
    ):
        raise ValueError(
            "DOORSTEP_MAP_TILES must be an http(s) URL with {z}, {x} and {y}, or empty."
        )
    return value


# Settings whose empty value is a choice (no tile server at all), not "use the default".
EMPTY_IS_A_VALUE = frozenset({"MAP_TILES"})

# name → (default, parser, description); the README's configuration table lists these.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "DATABASE_URL": (None, str, "SQLAlchemy URL; default a SQLite file in the instance folder"),
    "MEDIA_DIR": (None, str, "Folder of uploaded photos; default `media` in the instance folder"),
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
    "MAP_TILES": (
        OSM_TILES,
        tile_template,
        "Map tile URL template for record locations in the console; empty: no base layer "
        "(the point is still shown). Each tile request tells that server where a resident lives",
    ),
    "LOG_LEVEL": ("WARNING", str, "Python log level"),
}


def from_environment() -> dict[str, Any]:
    """The `DOORSTEP_*` settings present in the environment, parsed."""
    found: dict[str, Any] = {}
    for name, (_, parse, _) in SETTINGS.items():
        raw = os.environ.get(f"DOORSTEP_{name}")
        if raw is not None and (raw != "" or name in EMPTY_IS_A_VALUE):
            found[name] = parse(raw)
    return found


def defaults() -> dict[str, Any]:
    return {name: default for name, (default, _, _) in SETTINGS.items()}
