"""Reading requests: each view declares its path, query, body and answer schemas once, with
`endpoint`, which parses with them (§7 errors for anything malformed) and is what the OpenAPI
description (`server/openapi.py`) is built from."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields

from .errors import ApiError
from .fastload import fast_loader
from .jsonio import JSONError, strict_loads
from .schemas import flatten

SCHEMA_HEADER = "X-Doorstep-Schema"
# A file sent as a body (a register of 50,000 households saved by Excel as UTF-16 text is about
# 12 MiB) may be larger than the 10 MiB of a JSON body (§4).
MAX_UPLOAD = 32 * 1024 * 1024

F = TypeVar("F", bound=Callable[..., Any])
SchemaLike = type[Schema] | Schema


def _instance(schema: SchemaLike | None) -> Schema | None:
    return schema() if isinstance(schema, type) else schema


@dataclass(frozen=True)
class Declaration:
    """What a view takes and gives, as `endpoint` was told."""

    summary: str
    path: Schema | None
    query: Schema | None
    headers: Schema | None
    body: Schema | None
    body_optional: bool
    answer: Schema | None
    status: int
    files: tuple[str, ...]
    versioned: bool
    upload: tuple[str, ...] = ()
    also: tuple[tuple[int, str, Schema], ...] = ()
    upload_limit: int = MAX_UPLOAD


def endpoint(
    summary: str,
    *,
    path: SchemaLike | None = None,
    query: SchemaLike | None = None,
    headers: SchemaLike | None = None,
    body: SchemaLike | None = None,
    body_optional: bool = False,
    answer: SchemaLike | None = None,
    status: int = 200,
    files: tuple[str, ...] = (),
    versioned: bool = False,
    upload: tuple[str, ...] = (),
    also: dict[int, tuple[str, SchemaLike]] | None = None,
    upload_limit: int = MAX_UPLOAD,
) -> Callable[[F], F]:
    """Declare a view's schemas; the view then receives its path values parsed (a bad one: 404),
    `query=`, `headers=` (each field's `data_key` a header's name; 400 `bad_request`) and `body=`
    (415, 400, 422 `validation`).

    `upload` (media types) makes the body a file instead, up to `upload_limit` bytes, which the
    view receives as `upload=` bytes (another media type: 415; larger: 413). `answer` (the
    success body, status `status`), `also` (another status answered with a body of its own, not
    the error envelope: {status: (description, schema)}) and `files` (media types of a
    download) only document;
    `versioned` checks `X-Doorstep-Schema` first (§5a). Put it under `require`, so a caller is
    authenticated before anything they sent is read.
    """
    declared = Declaration(
        summary,
        _instance(path),
        _instance(query),
        _instance(headers),
        _instance(body),
        body_optional,
        _instance(answer),
        status,
        files,
        versioned,
        upload,
        tuple(
            (code, description, _instance(schema))
            for code, (description, schema) in (also or {}).items()
        ),
        upload_limit,
    )
    fast_body = fast_loader(declared.body) if declared.body is not None else None

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def parsed(**values: Any) -> Any:
            if declared.versioned:
                check_schema_version()
            if declared.path is not None:
                values = path_values(declared.path, values)
            if declared.query is not None:
                values["query"] = query_args(declared.query)
            if declared.headers is not None:
                values["headers"] = header_values(declared.headers)
            if declared.body is not None and fast_body is not None:
                data = json_body(optional=declared.body_optional)
                # The schema's fast path when it vouches for the body; else marshmallow, which
                # raises every error.
                body = fast_body(data)
                values["body"] = declared.body.load(data) if body is None else body
            if declared.upload:
                values["upload"] = file_body(declared.upload, declared.upload_limit)
            return view(**values)

        parsed.declaration = declared  # type: ignore[attr-defined]
        return parsed  # type: ignore[return-value]

    return wrap


def path_values(schema: Schema, values: dict[str, Any]) -> dict[str, Any]:
    """Parse the path's values: one that cannot name anything is a 404 (§7)."""
    try:
        return schema.load(values)
    except ValidationError as err:
        raise ApiError(404, "not_found", "No such thing here.", flatten(err.messages)) from err


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The JSON object of the body: 415 for another media type, 400 for bad JSON (duplicate keys
    included) or a non-object."""
    raw = request.get_data(cache=True)
    if optional and not raw:
        return {}
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        data = strict_loads(raw)
    except JSONError as exc:
        raise ApiError(400, "bad_request", f"The body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return data


def file_body(media_types: tuple[str, ...], limit: int = MAX_UPLOAD) -> bytes:
    """The bytes of an uploaded file: 415 for a media type not declared, 413 beyond `limit`."""
    if request.mimetype not in media_types:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the file as the body, as one of: " + ", ".join(media_types) + ".",
        )
    request.max_content_length = limit
    return request.get_data(cache=True)


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

    An empty parameter (`?quarter=&review=`, as the spec writes them) means "not given"; a
    list parameter may be repeated.
    """
    given: dict[str, Any] = {}
    for name in request.args:
        values = [value for value in request.args.getlist(name) if value != ""]
        if values:
            many = isinstance(schema.fields.get(name), fields.List)
            given[name] = values if many else values[0]
    try:
        return schema.load(given)
    except ValidationError as err:
        raise ApiError(
            400, "bad_request", "A query parameter is not valid.", flatten(err.messages)
        ) from err


def header_values(schema: Schema) -> dict[str, Any]:
    """Parse the request headers a schema names (by `data_key`); a bad one is a 400."""
    given = {
        key: request.headers[key]
        for key in (f.data_key or name for name, f in schema.fields.items())
        if key in request.headers
    }
    try:
        return schema.load(given)
    except ValidationError as err:
        raise ApiError(
            400, "bad_request", "A request header is not valid.", flatten(err.messages)
        ) from err
