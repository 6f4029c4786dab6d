"""The OpenAPI 3 description (§8), made with apispec from the schemas that validate requests."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields

from sync.catalogue import SCOPES

from . import schemas as s


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class ErrorEnvelope(Schema):
    error = fields.Nested(ErrorBody, required=True)


class OpSchema(Schema):
    """One op of a push (§4). The server checks each op itself and rejects bad ones alone."""

    op_id = fields.UUID(required=True)
    collection = fields.String(required=True, metadata={"enum": sorted(SCOPES)})
    id = fields.UUID(required=True)
    base_rev = fields.Integer(allow_none=True)
    fields_ = fields.Dict(data_key="fields")
    delete = fields.Boolean()
    client_time = fields.String()


class PushBody(Schema):
    device_id = fields.String(allow_none=True)
    ops = fields.List(fields.Nested(OpSchema), required=True, metadata={"maxItems": 1000})


COLLECTION = {
    "name": "collection",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": sorted(SCOPES)},
}


def _id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }


class Person(Schema):
    id = fields.String()
    name = fields.String()


class ReviewState(Schema):
    status = fields.String(
        metadata={"enum": ["pending", "approved", "has_issues", "rejected", "edited"]}
    )
    comment = fields.String(allow_none=True)
    by = fields.Nested(Person, allow_none=True)
    at = fields.String(allow_none=True)


class Meta(Schema):
    quarter_id = fields.String(allow_none=True)
    created_at = fields.String()
    created_by = fields.Nested(Person, allow_none=True)
    updated_at = fields.String()
    updated_by = fields.Nested(Person, allow_none=True)
    review = fields.Nested(ReviewState)
    open_conflicts = fields.Integer()


class RecordSchema(Schema):
    """A record on the wire (§2); `fields` follows the collection's schema (components)."""

    id = fields.String(required=True)
    collection = fields.String(required=True)
    rev = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    fields_ = fields.Dict(data_key="fields", required=True)
    meta = fields.Nested(Meta, required=True)


class OpResult(Schema):
    op_id = fields.Raw()
    status = fields.String(metadata={"enum": ["applied", "merged", "conflict", "rejected"]})
    id = fields.Raw()
    rev = fields.Integer(allow_none=True)
    record = fields.Nested(RecordSchema, allow_none=True)
    conflict_id = fields.String()
    code = fields.String()
    errors = fields.Dict()
    replayed = fields.Boolean()


class PushResponse(Schema):
    results = fields.List(fields.Nested(OpResult), required=True)


class Change(Schema):
    op = fields.String(required=True, metadata={"enum": ["upsert", "delete", "evict"]})
    collection = fields.String(required=True)
    id = fields.String(required=True)
    rev = fields.Integer()
    record = fields.Nested(RecordSchema)


class PullResponse(Schema):
    changes = fields.List(fields.Nested(Change), required=True)
    cursor = fields.String(required=True)
    more = fields.Boolean(required=True)
    remaining = fields.Integer(
        metadata={"description": "About how many changes come after this page"}
    )


class RecordList(Schema):
    records = fields.List(fields.Nested(RecordSchema), required=True)
    total = fields.Integer(required=True)


class LoginResponse(Schema):
    token = fields.String(required=True)
    expires_at = fields.String(required=True)
    user = fields.Nested(s.UserSchema, required=True)


class Health(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    version = fields.String(required=True)


def _op(
    summary: str,
    *,
    body: Any = None,
    query: Any = None,
    params: list | None = None,
    secure: bool = True,
    ok: int = 200,
    answer: Any = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            str(ok): {
                "description": "OK",
                "content": {"application/json": {"schema": answer or {"type": "object"}}},
            },
            "default": {
                "description": "Error",
                "content": {"application/json": {"schema": "ErrorEnvelope"}},
            },
        },
    }
    parameters = list(params or [])
    if query is not None:
        parameters.append({"in": "query", "schema": query})
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if secure:
        op["security"] = [{"bearer": []}]
    return op


PATHS: dict[str, dict[str, dict[str, Any]]] = {
    "/auth/login": {
        "post": _op("Sign in on a device", body=s.LoginSchema, secure=False, answer=LoginResponse)
    },
    "/auth/logout": {"post": _op("Sign out this device")},
    "/me": {"get": _op("The signed-in user", answer=s.UserSchema)},
    "/sync/push": {"post": _op("Push ops (§4)", body=PushBody, answer=PushResponse)},
    "/sync/pull": {
        "get": _op("Pull changes after a cursor (§5)", query=s.PullArgs, answer=PullResponse)
    },
    "/records/{collection}": {
        "get": _op(
            "Records in scope, newest first",
            query=s.RecordListArgs,
            params=[COLLECTION],
            answer=RecordList,
        )
    },
    "/records/{collection}/{id}": {
        "get": _op("One record", params=[COLLECTION, _id("id")], answer=RecordSchema)
    },
    "/records/{collection}/{id}/history": {
        "get": _op("Every revision of a record", params=[COLLECTION, _id("id")])
    },
    "/records/{collection}/{id}/review": {
        "post": _op(
            "Review a record",
            body=s.ReviewSchema,
            params=[COLLECTION, _id("id")],
            answer=RecordSchema,
        )
    },
    "/conflicts": {"get": _op("Conflicts", query=s.ConflictListArgs)},
    "/conflicts/{id}/resolve": {
        "post": _op(
            "Resolve a conflict", body=s.ResolveSchema, params=[_id("id")], answer=RecordSchema
        )
    },
    "/users": {"get": _op("Users"), "post": _op("Create a user", body=s.UserCreateSchema, ok=201)},
    "/users/{id}": {"patch": _op("Change a user", body=s.UserPatchSchema, params=[_id("id")])},
    "/users/{id}/revoke-tokens": {"post": _op("Sign a user out everywhere", params=[_id("id")])},
    "/users/{id}/devices": {"get": _op("A user's devices", params=[_id("id")])},
    "/audit": {"get": _op("The audit log")},
    "/health": {"get": _op("Service health", secure=False, answer=Health)},
    "/openapi.json": {"get": _op("This description", secure=False)},
}


def openapi_document(app: Flask) -> dict[str, Any]:
    """Build the document; blueprints that add paths list them in `app.extensions`."""
    spec = APISpec(
        title="Doorstep sync API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("ErrorEnvelope", schema=ErrorEnvelope)
    # The fields of each collection, from the schemas that validate pushes (domain.md).
    for name, schema in s.COLLECTION_SCHEMAS.items():
        spec.components.schema(f"{name}_fields", schema=type(schema))
    extra = app.extensions.get("doorstep_openapi_paths", {})
    for path, operations in {**PATHS, **extra}.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
