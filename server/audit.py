"""The audit log: every supervisor or admin look at personal data, every export, everyone's
password changes and an admin's changes to users."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Blueprint, g
from sqlalchemy import func, select, text

from sync.catalogue import FIELD_DATA, HOUSEHOLD_SCOPED, SCOPES
from sync.ids import canonical_uuid
from sync.state import iso, load_states, user_names

from .auth import require, utcnow
from .dates import local_midnight
from .extensions import db
from .models import AuditEntry
from .requests import endpoint
from .schemas import AuditArgs, AuditList

bp = Blueprint("audit", __name__)

# Whose reads of residents' data are noted (field staff read nothing outside their scope).
AUDITED_ROLES = ("supervisor", "admin")
# The collections whose records are residents' data, each read of them (a list, one record, its
# history) noted: the field data, and the records of their photos (what a photo is of, whose
# household, who took it).
RESIDENTS_DATA = FIELD_DATA | {"photos"}


def audit(
    action: str,
    target: str | None,
    details: dict[str, Any] | None = None,
    *,
    everyone: bool = False,
) -> None:
    """Note that the current supervisor or admin did `action` on `target`; field staff only for
    what is noted of `everyone` (their own account), since they read nothing outside their
    scope."""
    if not everyone and g.user.role not in AUDITED_ROLES:
        return
    db.session.add(
        AuditEntry(
            at=utcnow(), user_id=g.user.id, action=action, target=target, details=details or {}
        )
    )


def audit_together(
    action: str, key: str, looks: Mapping[str, list[Any]], within: timedelta
) -> None:
    """Note looks as `audit` does, one per target (`looks`: the values seen of each), but fold
    each into the same person's entry of the same action and target if that entry is younger
    than `within`: its `key` lists every value seen (parts of one record shown together, its
    photos' thumbnails, are one look at it). Two requests at the same moment are folded one
    after the other (`_hold_looks`), into one entry; the targets are held in a stable order
    (sorted), so that two requests never wait on each other's locks. One read finds the entries
    of every target."""
    if g.user.role not in AUDITED_ROLES or not looks:
        return
    targets = sorted(looks)
    for target in targets:
        _hold_looks(f"doorstep-audit:{g.user.id}:{action}:{target}")
    entries: dict[str, AuditEntry] = {}
    for entry in db.session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.at >= utcnow() - within,
            AuditEntry.user_id == g.user.id,
            AuditEntry.action == action,
            AuditEntry.target.in_(targets),
        )
        .order_by(AuditEntry.id)
    ).scalars():
        entries[entry.target] = entry  # the latest of each target stays
    for target in targets:
        values = list(dict.fromkeys(looks[target]))
        entry = entries.get(target)
        seen = entry.details.get(key) if entry is not None else None
        if not isinstance(seen, list):
            audit(action, target, {key: values})
            continue
        new = [v for v in values if v not in seen]
        if new:
            assert entry is not None
            entry.details = {**entry.details, key: [*seen, *new]}


def _hold_looks(key: str) -> None:
    """Serialise the folding of looks at `key` until this transaction ends, across processes, so
    that the second of two looks at the same moment reads the entry the first made.

    PostgreSQL: a transaction-level advisory lock on the key (the read that follows, in its own
    snapshot, sees what the first committed). SQLite: the database's write lock (one writer at a
    time), taken now by a write that changes nothing rather than at the INSERT after the read.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )
    else:
        db.session.execute(text("UPDATE audit_log SET id = id WHERE 1 = 0"))


def filters_of(args: dict[str, Any]) -> dict[str, Any]:
    """The search term and filters a list was asked with, as JSON (for the log)."""
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in args.items()
        if value is not None and name != "limit"
    }


@bp.get("/audit")
@require("admin")
@endpoint("Who looked at personal data, newest first", query=AuditArgs, answer=AuditList)
def audit_log(query: dict[str, Any]):
    where = []
    if query["user"]:
        where.append(AuditEntry.user_id == query["user"])
    if query["action"]:
        where.append(AuditEntry.action == query["action"])
    if query["date_from"]:
        where.append(AuditEntry.at >= local_midnight(query["date_from"]))
    if query["date_to"]:
        where.append(AuditEntry.at < local_midnight(query["date_to"], next_day=True))
    entries = (
        db.session.execute(
            select(AuditEntry)
            .where(*where)
            .order_by(AuditEntry.id.desc())
            .limit(query["limit"])
            .offset(query["offset"])
        )
        .scalars()
        .all()
    )
    total = db.session.execute(select(func.count(AuditEntry.id)).where(*where)).scalar_one()
    # A password or account change names the person by name, not by id.
    people = {
        e.target: e.target.removeprefix("users/")
        for e in entries
        if e.target and e.target.startswith("users/")
    }
    names = user_names(db.session, {e.user_id for e in entries} | set(people.values()))
    subjects = _subjects([e.target for e in entries])
    for target, user_id in people.items():
        subjects[target] = {"collection": "users", "id": user_id, "label": names.get(user_id)}
    return {
        "entries": [
            {
                "id": e.id,
                "at": iso(e.at),
                "user": {"id": e.user_id, "name": names.get(e.user_id, "")},
                "action": e.action,
                "target": e.target,
                "subject": subjects.get(e.target or ""),
                "details": e.details,
            }
            for e in entries
        ],
        "total": total,
    }


def _subjects(targets: list[str | None]) -> dict[str, dict[str, Any]]:
    """The records that `collection/id` targets name, told by the household they are about
    (or the nominee): what an admin reads in the log instead of ids."""
    keys: dict[str, tuple[str, str]] = {}
    for target in targets:
        collection, _, record_id = (target or "").partition("/")
        if collection in SCOPES and canonical_uuid(record_id) == record_id:
            keys[f"{collection}/{record_id}"] = (collection, record_id)
    records = load_states(db.session, keys.values())
    households = load_states(
        db.session,
        {
            ("households", s.household_id)
            for s in records.values()
            if s.collection in HOUSEHOLD_SCOPED and s.household_id
        },
    )
    subjects: dict[str, dict[str, Any]] = {}
    for target, key in keys.items():
        state = records.get(key)
        if state is None:
            continue
        about = households.get(("households", state.household_id or "")) or state
        label = about.fields.get("head_name") or about.fields.get("nominee") or None
        if about.collection == "households":
            label = f"{label} · {about.fields.get('address', '')}".strip(" ·")
        subjects[target] = {"collection": key[0], "id": key[1], "label": label}
    return subjects
