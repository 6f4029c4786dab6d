"""Records for people (§6): lists with search, one record, its history, and review."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, g

from sync import records as engine

from .audit import RESIDENTS_DATA, audit, filters_of
from .auth import require, utcnow
from .dates import local_midnight
from .errors import ApiError
from .extensions import db
from .requests import endpoint
from .schemas import (
    BulkReviewResponse,
    BulkReviewSchema,
    CollectionPath,
    FieldCollectionPath,
    FieldRecordPath,
    HistoryResponse,
    RecordList,
    RecordListArgs,
    RecordPath,
    RecordSchema,
    ReviewBatchPath,
    ReviewSchema,
    catalogue,
)

bp = Blueprint("records", __name__)


def _day_start(day: date | None, *, next_day: bool = False) -> datetime | None:
    """Midnight in Vietnam of a day (or of the day after, for an inclusive end date)."""
    if day is None:
        return None
    return local_midnight(day, next_day=next_day)


@bp.get("/records/<collection>")
@require("supervisor", "admin")
@endpoint(
    "Records in scope, newest first (§6)",
    path=CollectionPath,
    query=RecordListArgs,
    answer=RecordList,
)
def list_records(collection: str, query: dict[str, Any]):
    args = query
    if args["quarter"] and g.actor.quarters is not None and args["quarter"] not in g.actor.quarters:
        raise ApiError(403, "forbidden", "This neighbourhood is not yours.")
    records, total = engine.list_records(
        db.session,
        g.actor,
        collection,
        quarter=args["quarter"],
        review=args["review"],
        q=args["q"],
        updated_since=args["updated_since"],
        created_by=args["created_by"],
        date_from=_day_start(args["date_from"]),
        date_to=_day_start(args["date_to"], next_day=True),
        limit=args["limit"],
        offset=args["offset"],
    )
    if collection in RESIDENTS_DATA:
        audit("list", collection, {"count": len(records), "total": total, **filters_of(args)})
    db.session.commit()
    return {"records": records, "total": total}


@bp.get("/records/<collection>/<record_id>")
@require()
@endpoint("One record", path=RecordPath, answer=RecordSchema)
def get_record(collection: str, record_id: str):
    record = engine.get_record(db.session, g.actor, collection, record_id)
    if collection in RESIDENTS_DATA:
        audit("view", f"{collection}/{record_id}")
    db.session.commit()
    return record


@bp.get("/records/<collection>/<record_id>/history")
@require()
@endpoint("Every revision of a record, oldest first (§6)", path=RecordPath, answer=HistoryResponse)
def record_history(collection: str, record_id: str):
    found = engine.history(db.session, g.actor, collection, record_id)
    if collection in RESIDENTS_DATA:
        audit("history", f"{collection}/{record_id}")
    db.session.commit()
    return found


@bp.post("/records/<collection>/<record_id>/review")
@require("supervisor", "admin")
@endpoint("Review a record (§6)", path=FieldRecordPath, body=ReviewSchema, answer=RecordSchema)
def review_record(collection: str, record_id: str, body: dict[str, Any]):
    record = engine.review(
        db.session,
        catalogue,
        g.actor,
        collection,
        record_id,
        body["status"],
        body["comment"],
        utcnow(),
    )
    db.session.commit()
    return record


@bp.post("/records/<collection>/reviews")
@require("supervisor", "admin")
@endpoint(
    "Review several records at once (§6): each gets a new rev; the batch can be undone",
    path=FieldCollectionPath,
    body=BulkReviewSchema,
    answer=BulkReviewResponse,
)
def review_records(collection: str, body: dict[str, Any]):
    done = engine.review_many(
        db.session,
        catalogue,
        g.actor,
        collection,
        body["ids"],
        body["status"],
        body["comment"],
        utcnow(),
    )
    db.session.commit()
    return done


@bp.post("/reviews/<batch_id>/undo")
@require("supervisor", "admin")
@endpoint(
    "Undo one's bulk review: each record back to the review it had before, as a new rev; "
    "records reviewed or edited since are skipped. Once only (409)",
    path=ReviewBatchPath,
    answer=BulkReviewResponse,
)
def undo_reviews(batch_id: str):
    done = engine.undo_reviews(db.session, catalogue, g.actor, batch_id, utcnow())
    db.session.commit()
    return done
