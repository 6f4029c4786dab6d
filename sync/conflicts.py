"""Conflicts (§6): listing them for admins and resolving them field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actor import Actor
from .catalogue import Catalogue
from .errors import Invalid, NotFound, Stale
from .models import Conflict
from .state import iso, person, to_wire, user_names, wire_names_for
from .unit_of_work import UnitOfWork


def conflict_to_wire(conflict: Conflict, names: dict[str, str]) -> dict[str, Any]:
    """A conflict as §6 shows it, plus who resolved it and how."""
    return {
        "id": conflict.id,
        "collection": conflict.collection,
        "record_id": conflict.record_id,
        "quarter_id": conflict.quarter_id,
        "kind": conflict.kind,
        "fields": conflict.fields,
        "base_rev": conflict.base_rev,
        "server_rev": conflict.server_rev,
        "op": {
            "op_id": conflict.op_id,
            "user": person(conflict.user_id, names),
            "device_id": conflict.device_id,
            "client_time": conflict.client_time,
            "received_at": iso(conflict.received_at),
        },
        "status": conflict.status,
        "created_at": iso(conflict.created_at),
        "resolved_by": person(conflict.resolved_by, names),
        "resolved_at": iso(conflict.resolved_at),
        "resolution": conflict.resolution,
    }


def list_conflicts(session: Session, status: str | None) -> list[dict[str, Any]]:
    """Every conflict with that status (all when None), newest first."""
    query = select(Conflict).order_by(Conflict.created_at.desc(), Conflict.id)
    if status:
        query = query.where(Conflict.status == status)
    conflicts = session.execute(query).scalars().all()
    names = user_names(
        session,
        {c.user_id for c in conflicts} | {c.resolved_by for c in conflicts if c.resolved_by},
    )
    return [conflict_to_wire(c, names) for c in conflicts]


def resolve(
    session: Session,
    catalogue: Catalogue,
    actor: Actor,
    conflict_id: str,
    choices: dict[str, Any],
    deleted: bool | None,
    now: datetime,
) -> dict[str, Any]:
    """Apply an admin's choices as a new rev and close the conflict (§6)."""
    work = UnitOfWork(session, catalogue, actor, now)
    conflict = session.get(Conflict, conflict_id)
    if conflict is None:
        raise NotFound("No such conflict.")
    key = (conflict.collection, conflict.record_id)
    work.load([key])
    work.load_references()
    state = work.records[key]
    names = user_names(session, wire_names_for([state]))
    if conflict.status != "open":
        raise Stale("This conflict is already resolved.", {"record": to_wire(state, names)})
    moved_on = [
        name for name, sides in conflict.fields.items() if state.fields.get(name) != sides["server"]
    ]
    if moved_on or state.deleted != conflict.server_deleted:
        raise Stale(
            "The record changed since the conflict opened: reload it and choose again.",
            {"record": to_wire(state, names), "fields": moved_on},
        )

    errors: dict[str, list[str]] = {}
    needs_choices = conflict.kind != "delete_vs_edit"
    for name in sorted(set(choices) - set(conflict.fields)):
        errors[name] = ["Not a conflicting field."]
    if needs_choices:
        for name in sorted(set(conflict.fields) - set(choices)):
            errors[name] = ["Choose a value for this field."]
    if conflict.kind == "delete_vs_edit" and deleted is None:
        errors["deleted"] = ["Choose whether the record stays deleted or is kept."]
    patch: dict[str, Any] = {}
    for name, choice in choices.items():
        if name not in conflict.fields:
            continue
        if choice == "server":
            continue
        if choice == "client":
            patch[name] = conflict.fields[name]["client"]
        elif isinstance(choice, dict) and set(choice) == {"value"}:
            patch[name] = choice["value"]
        else:
            errors[name] = ['Must be "server", "client" or {"value": …}.']
    if errors:
        raise Invalid("Every conflicting field needs a valid choice.", errors)

    rule = catalogue[conflict.collection]
    keep_deleted = state.deleted if deleted is None else deleted
    if conflict.kind == "fields":
        keep_deleted = state.deleted
    _, errors = work.validate(rule, {**state.fields, **patch}, state.id)
    if errors:
        raise Invalid("The chosen values are not valid.", errors)

    work.close_conflict(state)
    patch = {k: v for k, v in patch.items() if state.fields.get(k) != v}
    if keep_deleted and not state.deleted:
        if patch:
            work.change(rule, state, patch, "resolve", None)
        work.tombstone(state, None, kind="resolve")
    else:
        if state.deleted and not keep_deleted:
            state.deleted = False
        work.change(rule, state, patch, "resolve", None, force=True)
    conflict.status = "resolved"
    conflict.resolved_by = actor.user_id
    conflict.resolved_at = now
    conflict.resolution = {"choices": choices, "deleted": keep_deleted, "rev": state.rev}
    work.flush()
    return to_wire(state, user_names(session, wire_names_for([state]) | {actor.user_id}))
