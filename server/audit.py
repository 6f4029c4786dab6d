"""The audit log: every supervisor or admin look at personal data, and every export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request
from sqlalchemy import func, select

from sync.models import AuditEntry
from sync.state import iso, user_names

from .auth import require, utcnow
from .extensions import db

bp = Blueprint("audit", __name__)


def audit(action: str, target: str | None, details: dict[str, Any] | None = None) -> None:
    """Note that the current supervisor or admin did `action` on `target` (field staff: no)."""
    if g.user.role not in ("supervisor", "admin"):
        return
    db.session.add(
        AuditEntry(
            at=utcnow(), user_id=g.user.id, action=action, target=target, details=details or {}
        )
    )


@bp.get("/audit")
@require("admin")
def audit_log():
    try:
        limit = min(max(int(request.args.get("limit", 100)), 1), 500)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        limit, offset = 100, 0
    entries = (
        db.session.execute(
            select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
        )
        .scalars()
        .all()
    )
    total = db.session.execute(select(func.count(AuditEntry.id))).scalar_one()
    names = user_names(db.session, {e.user_id for e in entries})
    return {
        "entries": [
            {
                "id": e.id,
                "at": iso(e.at),
                "user": {"id": e.user_id, "name": names.get(e.user_id, "")},
                "action": e.action,
                "target": e.target,
                "details": e.details,
            }
            for e in entries
        ],
        "total": total,
    }
