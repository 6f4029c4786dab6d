"""Health, the OpenAPI description, and the built app served at `/`."""

from __future__ import annotations

import os
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request, send_from_directory
from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from werkzeug.routing import PathConverter

from sync.models import FeedState

from .auth import require
from .errors import ApiError
from .extensions import db
from .openapi import openapi_document
from .requests import endpoint
from .schemas import ClientSettings, Health

bp = Blueprint("service", __name__)
web = Blueprint("web", __name__)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

NO_APP = """<!doctype html><html lang="vi"><meta charset="utf-8"><title>Doorstep</title>
<p>Ứng dụng chưa được build. Chạy <code>./scripts/run</code> (hoặc <code>cd pwa && npm ci &&
npm run build</code>).</p><p>The app is not built yet: run <code>./scripts/run</code>.</p></html>"""


class AppPath(PathConverter):
    """Any path outside `/api/`, so unknown API paths stay 404/405 with the error envelope."""

    regex = r"(?!api(?:/|$))[^/].*?"


def tile_origin(template: str) -> str | None:
    """Where map tiles come from, as a CSP source (`https://*.tile.example.org` for `{s}`)."""
    if not template:
        return None
    parts = urlsplit(template)
    return f"{parts.scheme}://{re.sub(r'{[^}]*}', '*', parts.netloc)}"


def content_security_policy(tiles: str) -> str:
    """The app shell's policy: its own scripts only (no inline script), images also from the
    map tile server, never framed."""
    images = " ".join(filter(None, ["'self'", "data:", "blob:", tile_origin(tiles)]))
    return (
        f"default-src 'self'; img-src {images}; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


@web.after_app_request
def security_headers(response: Response) -> Response:
    """Headers on every answer: the API's are never stored by a browser or a proxy (they carry
    residents' data); the app shell gets its content security policy."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers["Content-Security-Policy"] = content_security_policy(
            current_app.config["MAP_TILES"]
        )
    return response


def app_version() -> str:
    try:
        return version("doorstep")
    except PackageNotFoundError:
        return "0.0.0"


@bp.get("/health")
@endpoint(
    "Service health (§8): 200 ok, or 503 degraded with the reasons in `details`",
    answer=Health,
    also={503: ("Degraded: the reason for each failing check in `details`", Health)},
)
def health():
    """§8: ok, or 503 `degraded` with every reason in `details`."""
    details: dict[str, str] = {}
    database = "read_only" if sqlite_is_read_only() else "ok"
    try:
        connection = db.session.connection()
        problem = setup_problem(connection)
        if problem:
            details["schema"] = problem
        if postgres_is_read_only(connection):
            database = "read_only"
    except Exception as exc:  # a health check reports, it does not crash
        current_app.logger.warning("health check: database unreachable: %s", exc)
        if database == "ok":  # a read-only SQLite may fail to open: read-only is the cause
            database = "unreachable"
    if database != "ok":
        details["database"] = {
            "read_only": "The database accepts no writes (read-only).",
            "unreachable": "The database does not answer.",
        }[database]
    free_mb, minimum = free_disk_mb(), current_app.config["MIN_FREE_MB"]
    if free_mb is not None and free_mb < minimum:
        details["disk"] = f"{free_mb} MB free where the database is, below {minimum} MB."
    body = {
        "status": "degraded" if details else "ok",
        "database": database,
        "version": app_version(),
    }
    if details:
        body["details"] = details
    return body, 503 if details else 200


def schema_heads() -> set[str]:
    """The newest migration(s) of this version of the code, read once per app."""
    from alembic.script import ScriptDirectory

    heads = current_app.extensions.get("doorstep_schema_heads")
    if heads is None:
        config = current_app.extensions["migrate"].migrate.get_config()
        heads = set(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["doorstep_schema_heads"] = heads
    return heads


def setup_problem(connection: Connection) -> str | None:
    """Why this database cannot serve yet (schema not this version's, feed row missing), or None."""
    from alembic.runtime.migration import MigrationContext

    current = set(MigrationContext.configure(connection).get_current_heads())
    if current != schema_heads():
        return (
            f"The database schema is at {', '.join(sorted(current)) or 'nothing'}; this version "
            f"needs {', '.join(sorted(schema_heads()))}: run `doorstep init-db`."
        )
    if connection.execute(select(FeedState.id).where(FeedState.id == 1)).first() is None:
        return (
            "The change feed's row (table feed_state) is missing, so every push and pull would "
            "fail: this database was not set up by `doorstep init-db`; restore a backup."
        )
    return None


def postgres_is_read_only(connection: Connection) -> bool:
    """A standby, or a database set to `default_transaction_read_only`."""
    if connection.dialect.name != "postgresql":
        return False
    return connection.execute(text("SHOW transaction_read_only")).scalar_one() == "on"


def sqlite_is_read_only() -> bool:
    """The SQLite file, or the folder its journal goes to, can't be written (a read-only mount)."""
    path = sqlite_path()
    if path is None or not path.parent.is_dir():
        return False
    folder = path.parent
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not (
        os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    )


def sqlite_path() -> Path | None:
    """The SQLite database file, or None (PostgreSQL, or SQLite in memory)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve()


def free_disk_mb() -> int | None:
    """Free space (MB) on the SQLite database's file system; None on PostgreSQL (its own disk)."""
    path = sqlite_path()
    try:
        stats = os.statvfs(path.parent) if path else None
    except OSError:  # no such folder: the database is unreachable, which health reports
        return None
    return stats and stats.f_bavail * stats.f_frsize // (1024 * 1024)


@bp.get("/settings")
@require()
@endpoint("What the app needs from this server's settings: the map tiles", answer=ClientSettings)
def client_settings():
    return {"map_tiles": current_app.config["MAP_TILES"] or None}


@bp.get("/openapi.json")
@endpoint("This description (§8)", answer={"type": "object"})
def openapi():
    return openapi_document(current_app)


def _dist() -> Path:
    return Path(current_app.config["PWA_DIST"])


def _is_file_in(folder: Path, path: str) -> bool:
    """True when `path` names a file inside `folder`; a path no file can have (a name too long
    for the file system) is simply not one (§7: 404, never a 500)."""
    try:
        target = (folder / path).resolve()
        return target.is_file() and folder.resolve() in target.parents
    except (OSError, ValueError):
        return False


@web.get("/")
@web.get("/<app_path:path>")
def app_shell(path: str = "index.html"):
    dist = _dist()
    if not (dist / "index.html").is_file():
        return NO_APP, 200, {"Content-Type": "text/html; charset=utf-8"}
    if CONTROL.search(path):  # no file or page of the app has a control character in its name
        raise ApiError(404, "not_found", "No such page.")
    if _is_file_in(dist, path):
        response = send_from_directory(dist, path)
        if path in ("sw.js", "index.html", "manifest.webmanifest"):
            response.headers["Cache-Control"] = "no-cache"
        elif path.startswith("assets/"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
    if "." in path.rsplit("/", 1)[-1]:
        raise ApiError(404, "not_found", "No such file.")
    response = send_from_directory(dist, "index.html")  # a client-side route of the app
    response.headers["Cache-Control"] = "no-cache"
    return response
