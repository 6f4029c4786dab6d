"""Reading request bodies and headers, with §7 errors for anything malformed."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from marshmallow import Schema, ValidationError

from .errors import ApiError
from .schemas import flatten

SCHEMA_HEADER = "X-Doorstep-Schema"


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The JSON object of the body: 415 for another media type, 400 for bad JSON or a non-object."""
    if optional and not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than any parser goes: still just bad JSON (§7)
        data = None
    if data is None:
        raise ApiError(400, "bad_request", "The body is not valid JSON.")
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return data


def check_schema_version() -> None:
    """§5a: a data schema version the server no longer accepts → 426 with the one it wants."""
    raw = request.headers.get(SCHEMA_HEADER)
    if raw is None:
        return
    try:
        version = int(raw.strip())
    except ValueError as exc:
        raise ApiError(400, "bad_request", f"{SCHEMA_HEADER} must be an integer.") from exc
    if version < current_app.config["MIN_SCHEMA"]:
        wanted = current_app.config["SCHEMA_VERSION"]
        raise ApiError(
            426,
            "upgrade_required",
            "This version of the app is too old; update it. Your unsent changes are kept.",
            {"required": wanted, "minimum": current_app.config["MIN_SCHEMA"]},
        )


def query_args(schema: Schema) -> dict[str, Any]:
    """Parse query parameters; a bad one is a 400 `bad_request` naming it (§7).

    An empty parameter (`?quarter=&review=`, as the spec writes them) means "not given".
    """
    given = {name: value for name, value in request.args.items() if value != ""}
    try:
        return schema.load(given)
    except ValidationError as err:
        raise ApiError(
            400, "bad_request", "A query parameter is not valid.", flatten(err.messages)
        ) from err
