"""Stranded changes (§6a): ops the server rejected for a reason their author cannot fix (they lost
the neighbourhood), handed by the author to an admin, who applies or declines them.

The op is already kept in `ops` (§1.1); escalation adds its state there. Applying runs the op
through the push engine (§4 rules 3–6, the rule order kept) with the admin as the actor: the
revision's `by` is the admin and its `op_id` is the author's op, so the history keeps both.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actor import Actor
from .catalogue import Catalogue
from .errors import Forbidden, NotFound, SyncError
from .models import Op
from .push import Push
from .state import USERS, iso, load_states, person, to_wire, user_names, wire_names_for
from .unit_of_work import UnitOfWork

STATES = ("escalated", "applied", "declined")


class NotRejected(SyncError):
    """Only an op the server rejected can be handed to an admin (409)."""

    code = "not_rejected"


class AlreadyDecided(SyncError):
    """An admin already applied or declined this op (409)."""

    code = "already_decided"


def _op(session: Session, op_id: str) -> Op:
    op = session.execute(select(Op).where(Op.op_id == op_id)).scalar_one_or_none()
    if op is None:
        raise NotFound("No such op.")
    return op


def escalate(session: Session, actor: Actor, op_id: str, note: str | None, now: datetime) -> dict:
    """Hand a rejected op to an admin (by its own author); asking again changes nothing."""
    op = _op(session, op_id)
    if op.user_id != actor.user_id:
        raise Forbidden("Only the person who made a change can send it to an admin.")
    if op.status != "rejected":
        raise NotRejected("The server did not reject this change; there is nothing to send.")
    if op.escalation is None:
        op.escalation = "escalated"
        op.escalated_at = now
        op.escalation_note = note
    return {"op_id": op.op_id, "state": op.escalation}


def mine(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The caller's escalated ops and what became of them, newest first (read on the escalation
    index: escalations are few, a user's ops are many)."""
    ops = session.execute(
        select(Op)
        .where(Op.escalation.in_(STATES), Op.user_id == actor.user_id)
        .order_by(Op.escalated_at.desc(), Op.pk.desc())
    ).scalars()
    out = []
    for op in ops:
        item = {
            "op_id": op.op_id,
            "collection": op.collection,
            "id": op.record_id,
            "state": op.escalation,
            "at": iso(op.decided_at or op.escalated_at),
        }
        if op.escalation == "declined":
            item["reason"] = (op.decision or {}).get("reason")
        out.append(item)
    return out


def list_ops(session: Session, state: str) -> list[dict[str, Any]]:
    """Escalated ops in that state, oldest first, each beside the record as it is now."""
    ops = (
        session.execute(select(Op).where(Op.escalation == state).order_by(Op.escalated_at, Op.pk))
        .scalars()
        .all()
    )
    keys = [(op.collection, op.record_id) for op in ops if op.collection and op.record_id]
    states = load_states(session, keys)
    names = user_names(
        session,
        wire_names_for(states.values())
        | {op.user_id for op in ops}
        | {op.decided_by for op in ops if op.decided_by},
    )
    out = []
    for op in ops:
        payload = op.payload if isinstance(op.payload, dict) else {}
        current = states.get((op.collection, op.record_id))
        decision = op.decision or {}
        out.append(
            {
                "op_id": op.op_id,
                "user": person(op.user_id, names),
                "device_id": op.device_id,
                "collection": op.collection,
                "id": op.record_id,
                "base_rev": payload.get("base_rev"),
                "fields": payload.get("fields"),
                "delete": bool(payload.get("delete", False)),
                "code": op.result.get("code"),
                "errors": op.result.get("errors") or {},
                "received_at": iso(op.received_at),
                "escalated_at": iso(op.escalated_at),
                "note": op.escalation_note,
                "state": op.escalation,
                "record": to_wire(current, names) if current is not None else None,
                "decided_by": person(op.decided_by, names),
                "decided_at": iso(op.decided_at),
                "reason": decision.get("reason"),
            }
        )
    return out


def _undecided(session: Session, op_id: str) -> Op:
    op = _op(session, op_id)
    if op.escalation is None:
        raise NotFound("No change with this id was sent to an admin.")
    if op.escalation != "escalated":
        raise AlreadyDecided(f"This change was already {op.escalation}.", {"state": op.escalation})
    return op


def apply(
    session: Session, catalogue: Catalogue, actor: Actor, op_id: str, now: datetime
) -> dict[str, Any]:
    """Apply an escalated op with the admin as the actor, on its author's behalf (§6a). Returns
    its push result (§4); a rejected result leaves the op waiting for another decision."""
    op = _undecided(session, op_id)
    # The work is the author's: a record it creates counts for the author's unit (meta.unit_id).
    unit_id = session.execute(
        select(USERS.c.unit_id).where(USERS.c.id == op.user_id)
    ).scalar_one_or_none()
    work = UnitOfWork(session, catalogue, replace(actor, unit_id=unit_id), now)
    rules = Push(work)
    rules.preload([op.payload])
    result = rules.decide(op.payload, op.op_id)
    work.flush()
    if result["status"] != "rejected":
        op.escalation = "applied"
        op.decided_by = actor.user_id
        op.decided_at = now
        op.decision = {
            "status": result["status"],
            "rev": result["rev"],
            "conflict_id": result.get("conflict_id"),
        }
    return result


def decline(session: Session, actor: Actor, op_id: str, reason: str, now: datetime) -> dict:
    """Decline an escalated op with a reason its author will read (§6a)."""
    op = _undecided(session, op_id)
    op.escalation = "declined"
    op.decided_by = actor.user_id
    op.decided_at = now
    op.decision = {"reason": reason}
    return {"op_id": op.op_id, "state": op.escalation}


def authors(session: Session, op_ids: set[str]) -> dict[str, str]:
    """The author of each op applied by an admin on their behalf, by op id (for histories)."""
    if not op_ids:
        return {}
    rows = session.execute(
        select(Op.op_id, Op.user_id).where(Op.op_id.in_(sorted(op_ids)), Op.escalation == "applied")
    )
    return {op_id: user_id for op_id, user_id in rows}
