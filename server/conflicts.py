"""Conflicts (§6): the admin's inbox and resolution."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from sync import conflicts as engine

from .audit import audit, filters_of
from .auth import require, utcnow
from .extensions import db
from .requests import endpoint
from .schemas import (
    ConflictList,
    ConflictListArgs,
    ConflictPath,
    RecordSchema,
    ResolveSchema,
    catalogue,
)

bp = Blueprint("conflicts", __name__)


@bp.get("/conflicts")
@require("admin")
@endpoint("Conflicts, newest first (§6)", query=ConflictListArgs, answer=ConflictList)
def list_conflicts(query: dict[str, Any]):
    conflicts = engine.list_conflicts(db.session, query["status"])
    audit("conflicts", "conflicts", {"count": len(conflicts), **filters_of(query)})
    db.session.commit()
    return {"conflicts": conflicts}


@bp.post("/conflicts/<conflict_id>/resolve")
@require("admin")
@endpoint("Resolve a conflict (§6)", path=ConflictPath, body=ResolveSchema, answer=RecordSchema)
def resolve_conflict(conflict_id: str, body: dict[str, Any]):
    record = engine.resolve(
        db.session, catalogue, g.actor, conflict_id, body["choices"], body["deleted"], utcnow()
    )
    db.session.commit()
    return record
