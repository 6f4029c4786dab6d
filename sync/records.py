"""Reading records for people (§6): lists, one record, its history; and the review of a record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .catalogue import Catalogue
from .errors import Forbidden, NotFound
from .feed import SequenceLock
from .models import Record, Revision
from .push import Actor, Push
from .state import RecordState, iso, load_states, person, to_wire, user_names, wire_names_for
from .stranded import authors
from .text import fold


def visible_to(actor: Actor, quarter_id: str | None) -> bool:
    """True when a record of that neighbourhood is in the actor's scope (§3)."""
    return actor.quarters is None or quarter_id is None or quarter_id in actor.quarters


def live_quarters(session: Session, quarter_ids: list[str]) -> frozenset[str]:
    """The neighbourhoods among these that exist and are not deleted: what a user may see (§3).

    A deleted neighbourhood leaves its users' scope, so their devices evict its records (§5).
    """
    if not quarter_ids:
        return frozenset()
    return frozenset(
        session.execute(
            select(Record.id).where(
                Record.collection == "quarters",
                Record.id.in_(sorted(set(quarter_ids))),
                Record.deleted.is_(False),
            )
        ).scalars()
    )


def list_records(
    session: Session,
    actor: Actor,
    collection: str,
    *,
    quarter: str | None = None,
    review: str | None = None,
    q: str | None = None,
    updated_since: datetime | None = None,
    created_by: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Records of a collection in the actor's scope, newest first, with the total (§6)."""
    query = select(Record.__table__).where(
        Record.collection == collection, Record.deleted.is_(False)
    )
    if actor.quarters is not None:
        query = query.where(
            Record.quarter_id.in_(sorted(actor.quarters)) | Record.quarter_id.is_(None)
        )
    if quarter:
        query = query.where(Record.quarter_id == quarter)
    if review:
        query = query.where(Record.review_status == review)
    if q and fold(q):
        pattern = "%" + fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Record.search_text.like(pattern, escape="\\"))
    if updated_since is not None:
        query = query.where(Record.updated_at > updated_since)
    if created_by:
        query = query.where(Record.created_by == created_by)
    if date_from is not None:
        query = query.where(Record.created_at >= date_from)
    if date_to is not None:
        query = query.where(Record.created_at < date_to)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = (
        session.execute(
            query.order_by(Record.updated_at.desc(), Record.id.desc()).limit(limit).offset(offset)
        )
        .mappings()
        .all()
    )
    names = user_names(session, wire_names_for(rows))
    return [to_wire(row, names) for row in rows], total


def get_record(session: Session, actor: Actor, collection: str, record_id: str) -> dict[str, Any]:
    """One record in the actor's scope, or NotFound/Forbidden."""
    state = _load(session, actor, collection, record_id)
    return to_wire(state, user_names(session, wire_names_for([state])))


def _load(session: Session, actor: Actor, collection: str, record_id: str) -> RecordState:
    state = load_states(session, [(collection, record_id)]).get((collection, record_id))
    if state is None:
        raise NotFound("No such record.")
    if not visible_to(actor, state.quarter_id):
        raise Forbidden("This record is outside your neighbourhoods.")
    return state


def history(session: Session, actor: Actor, collection: str, record_id: str) -> dict[str, Any]:
    """The record and every revision of it, oldest first: who, which device, when, what (§6)."""
    state = _load(session, actor, collection, record_id)
    revisions = (
        session.execute(
            select(Revision)
            .where(Revision.collection == collection, Revision.record_id == record_id)
            .order_by(Revision.rev)
        )
        .scalars()
        .all()
    )
    # A stranded change an admin applied (§6a): the revision is the admin's, the op its author's.
    on_behalf = authors(session, {r.op_id for r in revisions if r.op_id})
    names = user_names(
        session,
        wire_names_for([state])
        | {r.user_id for r in revisions if r.user_id}
        | set(on_behalf.values()),
    )
    out = []
    for r in revisions:
        revision = {
            "rev": r.rev,
            "at": iso(r.at),
            "by": person(r.user_id, names),
            "device_id": r.device_id,
            "kind": r.kind,
            "changes": r.changes,
            "op_id": r.op_id,
        }
        if r.op_id in on_behalf:
            revision["on_behalf_of"] = person(on_behalf[r.op_id], names)
        out.append(revision)
    return {"record": to_wire(state, names), "revisions": out}


def review(
    session: Session,
    catalogue: Catalogue,
    actor: Actor,
    collection: str,
    record_id: str,
    status: str,
    comment: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Approve, flag or reject a record: a new rev that field staff receive by pull (§6)."""
    if actor.role not in ("supervisor", "admin"):
        raise Forbidden("Only supervisors and admins review records.")
    work = Push(session, catalogue, actor, now)
    work.lock = SequenceLock(session)
    work.batch.records.update(load_states(session, [(collection, record_id)]))
    state = work.state(collection, record_id)
    if state is None:
        raise NotFound("No such record.")
    if not visible_to(actor, state.quarter_id) or (
        actor.quarters is not None and state.quarter_id is None
    ):
        raise Forbidden("This record is outside your neighbourhoods.")
    changes = {}
    if state.review_status != status:
        changes["review.status"] = {"from": state.review_status, "to": status}
    if state.review_comment != comment:
        changes["review.comment"] = {"from": state.review_comment, "to": comment}
    state.review_status, state.review_comment = status, comment
    state.review_by, state.review_at = actor.user_id, now
    state.rev += 1
    work.touch(state)
    work.add_revision(state, "review", changes, None)
    work.write()
    return to_wire(state, user_names(session, wire_names_for([state])))
