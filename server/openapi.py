"""The OpenAPI 3 description (§8), built from the views' own declarations.

Every API view declares its path, query, body and answer schemas once, with
`server.requests.endpoint`; the same schema objects parse the request and, here, through apispec's
marshmallow plugin, describe it. The app's URL map gives the paths and methods, `require` the
roles. Push ops are parsed by `schemas.OpSchema` and their `fields` by each collection's schema,
so `Op` below is both of them put together.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields
from werkzeug.routing import Rule

from . import schemas as s
from .requests import SCHEMA_HEADER, Declaration

PREFIX = "/api/v1"
ERROR = {"$ref": "#/components/schemas/ErrorEnvelope"}


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(required=True)


class ErrorEnvelope(Schema):
    error = fields.Nested(ErrorBody, required=True)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def op_component(collection: str) -> dict[str, Any]:
    """One collection's op: a create (all `<c>_fields`), an edit (a patch of them) or a delete."""
    envelope = _ref("OpEnvelope")
    name = {"type": "string", "enum": [collection]}
    rev = {"type": "integer", "minimum": 1}
    not_delete = {"type": "boolean", "enum": [False]}
    written = {}
    if not s.catalogue[collection].writers:
        written = {
            "description": f"`{collection}` is written by the server alone: a push of it is "
            "rejected with code `forbidden` (§4)."
        }
    return {
        **written,
        "oneOf": [
            {
                "title": f"create {collection}",
                "allOf": [
                    envelope,
                    {
                        "type": "object",
                        "required": ["fields"],
                        "properties": {
                            "collection": name,
                            "base_rev": {"type": "integer", "nullable": True, "enum": [None]},
                            "delete": not_delete,
                            "fields": _ref(f"{collection}_fields"),
                        },
                    },
                ],
            },
            {
                "title": f"edit {collection}",
                "allOf": [
                    envelope,
                    {
                        "type": "object",
                        "required": ["base_rev", "fields"],
                        "properties": {
                            "collection": name,
                            "base_rev": rev,
                            "delete": not_delete,
                            "fields": _ref(f"{collection}_patch"),
                        },
                    },
                ],
            },
            {
                "title": f"delete {collection}",
                "allOf": [
                    envelope,
                    {
                        "type": "object",
                        "required": ["base_rev", "delete"],
                        "properties": {
                            "collection": name,
                            "base_rev": rev,
                            "delete": {"type": "boolean", "enum": [True]},
                        },
                    },
                ],
            },
        ],
    }


def openapi_path(rule: Rule) -> str:
    """`/api/v1/records/<collection>/<record_id>` → `/records/{collection}/{record_id}`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))


def writes(method: str, roles: tuple[str, ...] | None) -> bool:
    """Whether the operation may write to the database, so may meet a full disk (507, §7): every
    change, and every signed-in read (the token's last use, the audit log)."""
    return method != "get" or roles is not None


def operation(declared: Declaration, roles: tuple[str, ...] | None, method: str) -> dict[str, Any]:
    """One operation of the document, from a view's declaration, its roles and its method."""
    content: dict[str, Any] = {}
    if declared.answer is not None:
        content["application/json"] = {"schema": declared.answer}
    for media_type in declared.files:
        content[media_type] = {"schema": {"type": "string", "format": "binary"}}
    op: dict[str, Any] = {
        "summary": declared.summary,
        "responses": {
            str(declared.status): {"description": "OK", "content": content},
            "default": {
                "description": "Error (§7)",
                "content": {"application/json": {"schema": ERROR}},
            },
        },
    }
    for code, description, schema in declared.also:
        op["responses"][str(code)] = {
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    if writes(method, roles):
        op["responses"]["507"] = {
            "description": "insufficient_storage: the server's disk is full; nothing was applied",
            "content": {"application/json": {"schema": ERROR}},
        }
    parameters: list[dict[str, Any]] = []
    if declared.path is not None:
        parameters.append({"in": "path", "schema": declared.path})
    if declared.query is not None:
        parameters.append({"in": "query", "schema": declared.query})
    if declared.headers is not None:
        parameters.append({"in": "header", "schema": declared.headers})
    if declared.versioned:
        parameters.append(
            {
                "in": "header",
                "name": SCHEMA_HEADER,
                "required": False,
                "schema": {"type": "integer"},
                "description": "The app's data schema version (§5a); too old → 426.",
            }
        )
    if parameters:
        op["parameters"] = parameters
    if declared.body is not None:
        op["requestBody"] = {
            "required": not declared.body_optional,
            "content": {"application/json": {"schema": declared.body}},
        }
    if declared.upload:
        op["requestBody"] = {
            "required": True,
            "description": "The file itself as the body (not a form).",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in declared.upload
            },
        }
    if roles is not None:
        op["security"] = [{"bearer": []}]
        op["description"] = f"Roles: {', '.join(roles)}."
    return op


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document for every declared view under `/api/v1`."""
    spec = APISpec(
        title="Doorstep sync API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        servers=[{"url": PREFIX}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("ErrorEnvelope", schema=ErrorEnvelope)
    # Each collection's fields, from the schemas that validate them (domain.md): all of them on
    # a create, any of them in an edit's patch.
    for name, schema in s.COLLECTION_SCHEMAS.items():
        spec.components.schema(f"{name}_fields", schema=type(schema))
        spec.components.schema(f"{name}_patch", schema=type(schema)(partial=True))
    spec.components.schema("OpEnvelope", schema=s.OpSchema)
    for name in s.COLLECTION_SCHEMAS:
        spec.components.schema(f"{name}_op", component=op_component(name))
    spec.components.schema(
        "Op", component={"oneOf": [_ref(f"{name}_op") for name in s.COLLECTION_SCHEMAS]}
    )

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "declaration", None)
        if declared is None or not rule.rule.startswith(PREFIX + "/"):
            continue
        roles = getattr(view, "roles", None)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        spec.path(
            path=openapi_path(rule),
            operations={m.lower(): operation(declared, roles, m.lower()) for m in methods},
        )
    document = spec.to_dict()
    for operations in document["paths"].values():
        for op in operations.values():
            for parameter in op.get("parameters", []):
                if parameter["in"] == "query":
                    # An empty value (`?q=`) means the parameter was not given.
                    parameter["allowEmptyValue"] = True
    return document
