"""The §7 error envelope for every failure: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from sync.errors import SyncError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "cursor_expired",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation",
    426: "upgrade_required",
    429: "too_many_attempts",
}

SYNC_STATUS = {
    "bad_request": 400,
    "cursor_expired": 410,
    "not_found": 404,
    "forbidden": 403,
    "validation": 422,
    "conflict_stale": 409,
    "not_rejected": 409,
    "already_decided": 409,
    "conflict": 409,
}


class ApiError(Exception):
    """A failure to answer with an HTTP status and an error code."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def envelope(status: int, code: str, message: str, details: dict[str, Any] | None = None):
    """The JSON answer for one error."""
    return jsonify({"error": {"code": code, "message": message, "details": details or {}}}), status


def register(app: Flask) -> None:
    """Route every failure through the envelope, including 404/405 and malformed JSON."""

    @app.errorhandler(ApiError)
    def api_error(err: ApiError):
        return envelope(err.status, err.code, err.message, err.details)

    @app.errorhandler(SyncError)
    def sync_error(err: SyncError):
        return envelope(SYNC_STATUS.get(err.code, 400), err.code, err.message, err.details)

    @app.errorhandler(ValidationError)
    def validation_error(err: ValidationError):
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        return envelope(422, "validation", "Some fields are not valid.", messages)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        response, status = envelope(
            status, HTTP_CODES.get(status, "error"), err.description or err.name
        )
        # Keep what werkzeug says besides the body, such as a 405's `Allow`.
        for name, value in err.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        log.exception("unhandled error")
        return envelope(500, "internal", "Something went wrong on the server; nothing was lost.")

    @app.errorhandler(DBAPIError)
    def database_error(err: DBAPIError):
        if not disk_full(err):
            return unexpected(err)
        log.error("the database's disk is full: %s", err.orig)
        # The request's transaction rolls back with the session: nothing of it was applied.
        return envelope(
            507, "insufficient_storage", "The server's disk is full; nothing was applied."
        )


def disk_full(err: DBAPIError) -> bool:
    """SQLite's "database or disk is full", or PostgreSQL's DiskFull (SQLSTATE 53100)."""
    return (
        getattr(err.orig, "sqlite_errorname", None) == "SQLITE_FULL"
        or getattr(err.orig, "sqlstate", None) == "53100"
    )
