"""Health, the OpenAPI description, and the built app served at `/`."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Blueprint, current_app, send_from_directory
from sqlalchemy import text
from werkzeug.routing import PathConverter

from .errors import ApiError
from .extensions import db
from .openapi import openapi_document
from .requests import endpoint
from .schemas import Health

bp = Blueprint("service", __name__)
web = Blueprint("web", __name__)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

NO_APP = """<!doctype html><html lang="vi"><meta charset="utf-8"><title>Doorstep</title>
<p>Ứng dụng chưa được build. Chạy <code>./scripts/run</code> (hoặc <code>cd pwa && npm ci &&
npm run build</code>).</p><p>The app is not built yet: run <code>./scripts/run</code>.</p></html>"""


class AppPath(PathConverter):
    """Any path outside `/api/`, so unknown API paths stay 404/405 with the error envelope."""

    regex = r"(?!api(?:/|$))[^/].*?"


def app_version() -> str:
    try:
        return version("doorstep")
    except PackageNotFoundError:
        return "0.0.0"


@bp.get("/health")
@endpoint("Service health (§8)", answer=Health)
def health():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # a health check reports, it does not crash
        current_app.logger.warning("health check: database unreachable: %s", exc)
        database = "unreachable"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "version": app_version(),
    }
    return body, 200 if database == "ok" else 503


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
        if path in ("sw.js", "index.html", "manifest.webmanifest", "registerSW.js"):
            response.headers["Cache-Control"] = "no-cache"
        elif path.startswith("assets/"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
    if "." in path.rsplit("/", 1)[-1]:
        raise ApiError(404, "not_found", "No such file.")
    response = send_from_directory(dist, "index.html")  # a client-side route of the app
    response.headers["Cache-Control"] = "no-cache"
    return response
