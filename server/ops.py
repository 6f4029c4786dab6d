"""Stranded changes (§6a): a rejected op handed by its author to an admin, who applies or
declines it. Thin views over `sync.stranded`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from sync import stranded as engine

from .audit import audit
from .auth import require, utcnow
from .extensions import db
from .requests import endpoint
from .schemas import (
    DeclineSchema,
    EscalateSchema,
    EscalationState,
    MyOps,
    OpListArgs,
    OpPath,
    OpResult,
    StrandedOps,
    catalogue,
)

bp = Blueprint("ops", __name__)


@bp.post("/ops/<op_id>/escalate")
@require()
@endpoint(
    "Hand a rejected op to an admin (its own author; idempotent)",
    path=OpPath,
    body=EscalateSchema,
    body_optional=True,
    answer=EscalationState,
)
def escalate(op_id: str, body: dict[str, Any]):
    answer = engine.escalate(db.session, g.actor, op_id, body["note"], utcnow())
    db.session.commit()
    return answer


@bp.get("/ops/mine")
@require()
@endpoint("The caller's escalated ops and what became of them", answer=MyOps)
def my_ops():
    return {"ops": engine.mine(db.session, g.actor)}


@bp.get("/ops")
@require("admin")
@endpoint("Escalated ops by state, each beside its record", query=OpListArgs, answer=StrandedOps)
def list_ops(query: dict[str, Any]):
    ops = engine.list_ops(db.session, query["state"])
    audit("stranded", "ops", {"state": query["state"], "count": len(ops)})
    db.session.commit()
    return {"ops": ops}


@bp.post("/ops/<op_id>/apply")
@require("admin")
@endpoint(
    "Apply an escalated op on its author's behalf (a push result)", path=OpPath, answer=OpResult
)
def apply_op(op_id: str):
    result = engine.apply(db.session, catalogue, g.actor, op_id, utcnow())
    audit("apply_op", f"ops/{op_id}", {"status": result["status"], "record": result["id"]})
    db.session.commit()
    return result


@bp.post("/ops/<op_id>/decline")
@require("admin")
@endpoint(
    "Decline an escalated op with a reason", path=OpPath, body=DeclineSchema, answer=EscalationState
)
def decline_op(op_id: str, body: dict[str, Any]):
    answer = engine.decline(db.session, g.actor, op_id, body["reason"], utcnow())
    audit("decline_op", f"ops/{op_id}", {"reason": body["reason"]})
    db.session.commit()
    return answer
