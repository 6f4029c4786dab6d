"""Reading records for people (§6): lists, one record, its history; and the review of a record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import column, func, insert, literal_column, select, table, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from .actor import Actor
from .catalogue import CHILDREN, Catalogue
from .errors import AlreadyDone, Forbidden, NotFound
from .merge import changed_fields
from .models import Record, RecordCount, ReviewBatch, Revision
from .state import RecordState, iso, load_states, person, to_wire, user_names, wire_names_for
from .stranded import authors
from .text import fold
from .unit_of_work import UnitOfWork


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
    """Records of a collection in the actor's scope, newest first, with the exact total (§6).

    The total of a list filtered by nothing but scope, neighbourhood and review status is read from
    `record_counts` (a few rows, whatever the size of the town); any other filter counts the rows
    it matches, which is quick when they are few (a rare `q`, through its index) and grows with
    them otherwise.
    """
    folded = fold(q)
    by_index = _search_index_finds(session, folded)
    # When the search index finds the records, no other filter may look them up through an index
    # of its own: SQLite has no statistics to tell it that `collection = ?` holds for nearly every
    # record (nor a neighbourhood for an eighth of them), and would walk them all.
    key = _hidden if by_index else _shown
    query = select(Record.__table__).where(
        key(Record.collection) == collection, Record.deleted.is_(False)
    )
    if actor.quarters is not None:
        query = query.where(
            key(Record.quarter_id).in_(sorted(actor.quarters)) | key(Record.quarter_id).is_(None)
        )
    if quarter:
        query = query.where(key(Record.quarter_id) == quarter)
    if review:
        query = query.where(Record.review_status == review)
    if folded:
        query = query.where(_matches(collection, folded, by_index))
    if updated_since is not None:
        query = query.where(Record.updated_at > updated_since)
    if created_by:
        query = query.where(Record.created_by == created_by)
    if date_from is not None:
        query = query.where(Record.created_at >= date_from)
    if date_to is not None:
        query = query.where(Record.created_at < date_to)
    counted = not (folded or updated_since or created_by or date_from or date_to)
    if counted:
        total = _counted(session, actor, collection, quarter, review)
    else:
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


def _counted(
    session: Session, actor: Actor, collection: str, quarter: str | None, review: str | None
) -> int:
    """How many live records of the collection the actor sees, in that neighbourhood and review
    status when given: a sum over `record_counts`, whose keys are exactly these filters."""
    counts = select(func.coalesce(func.sum(RecordCount.n), 0)).where(
        RecordCount.collection == collection
    )
    if actor.quarters is not None:
        # Records of no neighbourhood (counted under '') are everyone's.
        counts = counts.where(RecordCount.quarter_key.in_([*sorted(actor.quarters), ""]))
    if quarter:
        counts = counts.where(RecordCount.quarter_key == quarter)
    if review:
        counts = counts.where(RecordCount.review_status == review)
    return int(session.execute(counts).scalar_one())


# The FTS5 index of the search text on SQLite (contentless, trigram; its rowid is the record's
# seq), made by migration f3a9c1d7e2b4 and kept with every write of records (`sync.derived`).
_search_index = table("records_search", column("rowid"))
# Trigrams: a shorter query has none to look up, and is matched by LIKE over the records.
_TRIGRAM = 3


def _search_index_finds(session: Session, folded: str) -> bool:
    """True when SQLite's FTS5 index finds the records matching `folded` (3 characters or more).

    PostgreSQL's pg_trgm index serves LIKE itself, and its planner has statistics to choose it.
    """
    return len(folded) >= _TRIGRAM and session.get_bind().dialect.name == "sqlite"


def _shown(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return column


def _hidden(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The column behind a unary plus: the same value, which SQLite looks up through no index."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _matches(collection: str, folded: str, by_index: bool) -> ColumnElement[bool]:
    """`q` (already folded) in the record's own search text or, for a child record, in its
    household's (head's name, address, phone).

    The household's text is read at query time, by a subquery on the (collection, id) key, rather
    than copied into every child: a renamed or moved household is then found at once, and no
    write has to touch its children.

    `by_index`: SQLite's FTS5 `records_search` gives the seq of the records whose text holds
    `folded` (a phrase of trigrams is exactly a substring: the tokenizer keeps spaces and case).
    Otherwise LIKE, which PostgreSQL answers from its pg_trgm index (3 characters or more).
    """
    household = aliased(Record)
    if by_index:
        phrase = '"' + folded.replace('"', '""') + '"'
        found = select(_search_index.c.rowid).where(
            literal_column("records_search").op("MATCH")(phrase)
        )
        own = Record.seq.in_(found)
        in_household = household.seq.in_(found)
        household_collection = _hidden(household.collection)
    else:
        pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        own = Record.search_text.like(pattern, escape="\\")
        in_household = household.search_text.like(pattern, escape="\\")
        household_collection = household.collection
    if collection not in CHILDREN:
        return own
    households = select(household.id).where(household_collection == "households", in_household)
    return own | Record.household_id.in_(households)


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
            "changes": changes_of(r),
            "op_id": r.op_id,
        }
        if r.op_id in on_behalf:
            revision["on_behalf_of"] = person(on_behalf[r.op_id], names)
        out.append(revision)
    return {"record": to_wire(state, names), "revisions": out}


def changes_of(revision: Revision) -> dict[str, Any]:
    """What a revision changed: a create written without its changes changed its fields."""
    if revision.kind == "create" and not revision.changes:
        return changed_fields({}, revision.fields)
    return revision.changes


def _reviewing(
    session: Session,
    catalogue: Catalogue,
    actor: Actor,
    now: datetime,
    keys: list[tuple[str, str]],
) -> UnitOfWork:
    """A unit of work that reviews these records (the feed lock first, then their states)."""
    if actor.role not in ("supervisor", "admin"):
        raise Forbidden("Only supervisors and admins review records.")
    work = UnitOfWork(session, catalogue, actor, now)
    work.load(keys)
    return work


def _may_review(actor: Actor, state: RecordState) -> bool:
    """Supervisors review the records of their neighbourhoods, never town-wide ones (§6)."""
    return visible_to(actor, state.quarter_id) and not (
        actor.quarters is not None and state.quarter_id is None
    )


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
    work = _reviewing(session, catalogue, actor, now, [(collection, record_id)])
    state = work.state(collection, record_id)
    if state is None:
        raise NotFound("No such record.")
    if not _may_review(actor, state):
        raise Forbidden("This record is outside your neighbourhoods.")
    work.review(state, status, comment, actor.user_id, now)
    work.flush()
    return to_wire(state, user_names(session, wire_names_for([state])))


def review_many(
    session: Session,
    catalogue: Catalogue,
    actor: Actor,
    collection: str,
    record_ids: list[str],
    status: str,
    comment: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Review several records at once (§6 bulk review): each that may be reviewed gets a new rev;
    one that cannot (unknown, deleted, outside the reviewer's neighbourhoods) is reported and
    the rest proceed. The batch is kept, with each record's review before it, for `undo_reviews`.
    """
    ids = list(dict.fromkeys(record_ids))
    work = _reviewing(session, catalogue, actor, now, [(collection, i) for i in ids])
    results, items = [], []
    for record_id in ids:
        state = work.state(collection, record_id)
        if state is None or state.deleted:
            results.append(_skipped(record_id, "not_found"))
            continue
        if not _may_review(actor, state):
            results.append(_skipped(record_id, "forbidden"))
            continue
        before = {
            "status": state.review_status,
            "comment": state.review_comment,
            "by": state.review_by,
            "at": iso(state.review_at),
        }
        work.review(state, status, comment, actor.user_id, now)
        items.append({"id": record_id, "rev": state.rev, "before": before})
        results.append({"id": record_id, "status": "reviewed", "record": state})
    work.flush()
    batch_id = str(uuid.uuid4())
    session.execute(
        insert(ReviewBatch.__table__).values(
            id=batch_id,
            user_id=actor.user_id,
            collection=collection,
            status=status,
            at=now,
            items=items,
            undone_at=None,
        )
    )
    return {"batch_id": batch_id, "results": _rendered(session, results)}


def undo_reviews(
    session: Session, catalogue: Catalogue, actor: Actor, batch_id: str, now: datetime
) -> dict[str, Any]:
    """Undo a bulk review: each record goes back to the review it had before, as a new rev.

    A record reviewed again since (by anyone), or whose status has moved on (a flagged record
    edited by field staff), is left as it is and reported `skipped`: an undo never overwrites a
    later decision. Only the batch's reviewer may undo it, once (409 `conflict`).
    """
    # The feed lock first: of two undos of one batch, the second sees the first's mark.
    work = _reviewing(session, catalogue, actor, now, [])
    batch = (
        session.execute(select(ReviewBatch.__table__).where(ReviewBatch.id == batch_id))
        .mappings()
        .one_or_none()
    )
    if batch is None or batch["user_id"] != actor.user_id:
        raise NotFound("No such bulk review of yours.")
    if batch["undone_at"] is not None:
        raise AlreadyDone("This bulk review was already undone.")
    collection = batch["collection"]
    items = {item["id"]: item for item in batch["items"]}
    work.load([(collection, i) for i in items])
    reviewed_since = _reviewed_since(session, collection, items)
    results = []
    for record_id, item in items.items():
        state = work.state(collection, record_id)
        if state is None or state.deleted:
            results.append(_skipped(record_id, "not_found"))
        elif not _may_review(actor, state):
            results.append(_skipped(record_id, "forbidden"))
        elif record_id in reviewed_since or state.review_status != batch["status"]:
            results.append(_skipped(record_id, "changed_since"))
        else:
            before = item["before"]
            at = datetime.fromisoformat(before["at"]) if before["at"] else None
            work.review(state, before["status"], before["comment"], before["by"], at)
            results.append({"id": record_id, "status": "undone", "record": state})
    work.flush()
    session.execute(
        update(ReviewBatch.__table__).where(ReviewBatch.id == batch_id).values(undone_at=now)
    )
    return {"batch_id": batch_id, "results": _rendered(session, results)}


def _reviewed_since(session: Session, collection: str, items: dict[str, Any]) -> set[str]:
    """The records with a review revision after the one the batch gave them."""
    rows = session.execute(
        select(Revision.record_id, Revision.rev).where(
            Revision.collection == collection,
            Revision.record_id.in_(sorted(items)),
            Revision.kind == "review",
        )
    )
    return {record_id for record_id, rev in rows if rev > items[record_id]["rev"]}


def _skipped(record_id: str, reason: str) -> dict[str, Any]:
    return {"id": record_id, "status": "skipped", "reason": reason, "record": None}


def _rendered(session: Session, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Results with their records on the wire (one query for every name they mention)."""
    states = [r["record"] for r in results if r["record"] is not None]
    names = user_names(session, wire_names_for(states))
    return [
        {**r, "record": to_wire(r["record"], names) if r["record"] is not None else None}
        for r in results
    ]
