"""Conflicts (§6): the admin's inbox and resolution."""

from __future__ import annotations

import uuid

from flask import Blueprint, g

from sync import conflicts as engine

from .auth import require, utcnow
from .errors import ApiError
from .extensions import db
from .requests import json_body, query_args
from .schemas import catalogue, conflict_list_args, resolve_schema

bp = Blueprint("conflicts", __name__)


@bp.get("/conflicts")
@require("admin")
def list_conflicts():
    args = query_args(conflict_list_args)
    return {"conflicts": engine.list_conflicts(db.session, args["status"])}


@bp.post("/conflicts/<conflict_id>/resolve")
@require("admin")
def resolve_conflict(conflict_id: str):
    try:
        conflict_id = str(uuid.UUID(conflict_id))
    except ValueError as exc:
        raise ApiError(404, "not_found", "No such conflict.") from exc
    body = resolve_schema.load(json_body())
    record = engine.resolve(
        db.session, catalogue, g.actor, conflict_id, body["choices"], body["deleted"], utcnow()
    )
    db.session.commit()
    return record
