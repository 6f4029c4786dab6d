"""Failures of the sync engine. The server turns each into the §7 error envelope."""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """Base class: `code` is the §7 error code, `details` goes into the envelope."""

    code = "bad_request"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadCursor(SyncError):
    """A cursor that is not one this server made (400)."""

    code = "bad_request"


class CursorExpired(SyncError):
    """A cursor older than what the server can still answer completely (410)."""

    code = "cursor_expired"


class NotFound(SyncError):
    """No such record in the caller's scope (404)."""

    code = "not_found"


class Forbidden(SyncError):
    """Outside the caller's role or neighbourhoods (403)."""

    code = "forbidden"


class Invalid(SyncError):
    """Fields that fail validation (422); `details` maps field → messages."""

    code = "validation"


class Stale(SyncError):
    """The record changed since the conflict opened (409 `conflict_stale`)."""

    code = "conflict_stale"


class AlreadyDone(SyncError):
    """Something that can be done once was done already (409 `conflict`)."""

    code = "conflict"
