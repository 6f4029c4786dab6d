"""Records for people (§6): lists with search, one record, its history, and review."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from flask import Blueprint, g

from sync import records as engine
from sync.catalogue import SCOPES

from .audit import audit
from .auth import require, utcnow
from .dates import local_midnight
from .errors import ApiError
from .extensions import db
from .requests import json_body, query_args
from .schemas import catalogue, record_list_args, review_schema

bp = Blueprint("records", __name__)


def _collection(name: str) -> str:
    if name not in SCOPES:
        raise ApiError(404, "not_found", f"No collection named {name!r}.")
    return name


def _record_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise ApiError(404, "not_found", "No such record.") from exc


def _day_start(day: date | None, *, next_day: bool = False) -> datetime | None:
    """Midnight in Vietnam of a day (or of the day after, for an inclusive end date)."""
    if day is None:
        return None
    return local_midnight(day + timedelta(days=1) if next_day else day)


@bp.get("/records/<collection>")
@require("supervisor", "admin")
def list_records(collection: str):
    args = query_args(record_list_args)
    if args["quarter"] and g.actor.quarters is not None and args["quarter"] not in g.actor.quarters:
        raise ApiError(403, "forbidden", "This neighbourhood is not yours.")
    records, total = engine.list_records(
        db.session,
        g.actor,
        _collection(collection),
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
    if collection == "households":
        audit("list", f"households?offset={args['offset']}", {"count": len(records)})
    db.session.commit()
    return {"records": records, "total": total}


@bp.get("/records/<collection>/<record_id>")
@require()
def get_record(collection: str, record_id: str):
    record = engine.get_record(db.session, g.actor, _collection(collection), _record_id(record_id))
    if collection == "households":
        audit("view", f"{collection}/{record['id']}")
    db.session.commit()
    return record


@bp.get("/records/<collection>/<record_id>/history")
@require()
def record_history(collection: str, record_id: str):
    found = engine.history(db.session, g.actor, _collection(collection), _record_id(record_id))
    if collection == "households":
        audit("history", f"{collection}/{record_id}")
    db.session.commit()
    return found


@bp.post("/records/<collection>/<record_id>/review")
@require("supervisor", "admin")
def review_record(collection: str, record_id: str):
    body = review_schema.load(json_body())
    record = engine.review(
        db.session,
        catalogue,
        g.actor,
        _collection(collection),
        _record_id(record_id),
        body["status"],
        body["comment"],
        utcnow(),
    )
    db.session.commit()
    return record
