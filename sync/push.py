"""The push of §4: each op checked in the rule order, applied atomically, kept with its result.

The rules alone, in their order; the unit of work (`sync.unit_of_work`) takes the feed lock,
loads every row the batch needs up front, applies each op's changes in memory (so a later op of
the batch sees what an earlier one did) and writes them all at the end. An op changes nothing
unless it passes every rule: each rule either raises `Rejected` or lets the op through.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from .actor import Actor
from .catalogue import Catalogue, CollectionRule
from .ids import canonical_uuid
from .merge import FieldConflict, changed_fields, create_conflicts, merge
from .state import PageWriter, RecordState
from .unit_of_work import UnitOfWork


def push(
    session: Session, catalogue: Catalogue, actor: Actor, ops: list[Any], now: datetime
) -> list[dict[str, Any]]:
    """Apply a push (§4) and return one result per op, in order. The caller commits.

    On PostgreSQL, where several server processes push at once, the batch is worked out before
    the feed lock is taken, its rows converted for writing too, and under the lock only checked
    again and written: done again under the lock if anything it read has changed meanwhile (see
    `UnitOfWork.lock_unchanged`).
    """
    early = session.get_bind().dialect.name == "postgresql"
    work = UnitOfWork(session, catalogue, actor, now, locked=not early)
    results = Push(work).run(ops)
    if early:
        work.prepare()  # the rows' conversion too, so that under the lock only writing is left
        if work.lock_unchanged() and work.flush_unless_taken():
            return results
        work = UnitOfWork(session, catalogue, actor, now)
        results = Push(work).run(ops)
    work.flush()
    return results


def content_hash(op: Any) -> str:
    """A fingerprint of an op's content, to tell a replay from a reused `op_id` (§4)."""
    try:
        text = orjson.dumps(op, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # beyond what orjson encodes (huge integers): the slow, exact way
        text = json.dumps(op, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(text).hexdigest()


class Rejected(Exception):
    """An op that is rejected (§4): kept with its code and errors, nothing applied."""

    def __init__(self, code: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.errors = dict(errors or {})


@dataclass
class ParsedOp:
    """An op that passed the structural checks of rule (2)."""

    op_id: str
    collection: str
    id: str
    base_rev: int | None
    fields: dict[str, Any] | None
    delete: bool
    client_time: str | None


class Push:
    """The rules of §4 over one unit of work."""

    def __init__(self, work: UnitOfWork) -> None:
        self.work = work
        self.actor = work.actor
        self.catalogue = work.catalogue
        # Renders the results' records; made again with the names once they are loaded.
        self.wire = PageWriter(work.names)

    def run(self, raw_ops: list[Any]) -> list[dict[str, Any]]:
        """Every op of a batch, in order: its result (nothing is written yet)."""
        self.preload(raw_ops)
        return [self.apply(raw) for raw in raw_ops]

    def preload(self, raw_ops: list[Any]) -> None:
        """Load, in a few queries, the earlier ops and every record the batch names."""
        ops = [op for op in raw_ops if isinstance(op, dict)]
        self.work.load_ops(o for op in ops if (o := canonical_uuid(op.get("op_id"))))
        keys: set[tuple[str, str]] = set()
        for op in ops:
            if op.get("collection") not in self.catalogue:
                continue
            if record_id := canonical_uuid(op.get("id")):
                keys.add((op["collection"], record_id))
            if isinstance(fields := op.get("fields"), dict):
                for name, target in self.catalogue[op["collection"]].references.items():
                    if ref := canonical_uuid(fields.get(name)):
                        keys.add((target, ref))
        self.work.load(keys)
        self.work.load_references()
        self.work.load_names()
        self.wire = PageWriter(self.work.names)

    def apply(self, raw: Any) -> dict[str, Any]:
        """Decide one op (rules 1–6) and keep it with its result in the op log."""
        op_id_raw = raw.get("op_id") if isinstance(raw, dict) else None
        op_id = canonical_uuid(op_id_raw)
        digest = content_hash(raw)
        payload = raw if isinstance(raw, dict) else {"op": raw}
        if op_id and op_id in self.work.logged:  # (1) replay
            first_user, first_digest, first_result = self.work.logged[op_id]
            # Another user's op_id is never answered with their result (§3 scope).
            if first_digest == digest and first_user == self.actor.user_id:
                return {**first_result, "replayed": True}
            result = self.rejection(op_id_raw, raw, Rejected("op_id_reused"))
            self.work.log(None, payload, digest, result)
            return result
        result = self.decide(raw, op_id_raw)
        self.work.log(op_id, payload, digest, result)
        return result

    def decide(self, raw: Any, op_id: Any) -> dict[str, Any]:
        """Rules 2–6 for one op: its result, a rejection included (nothing applied then)."""
        try:
            return self.rules(self.parse(raw))
        except Rejected as rejection:
            return self.rejection(op_id, raw, rejection)

    def parse(self, raw: Any) -> ParsedOp:
        """Rule (2): a malformed op is a `validation` rejection (the server's parser decides)."""
        if not isinstance(raw, dict):
            raise Rejected("validation", {"op": ["Each op must be an object."]})
        clean, errors = self.catalogue.parse_op(raw)
        if errors:
            raise Rejected("validation", errors)
        return ParsedOp(**clean)

    def rules(self, op: ParsedOp) -> dict[str, Any]:
        rule = self.catalogue[op.collection]
        current = self.work.state(op.collection, op.id)
        self.check_permission(rule, op, current)  # (3)
        if op.base_rev is not None and (current is None or op.base_rev > current.rev):  # (4)
            raise Rejected(
                "unknown_base", {"base_rev": ["The server does not know this revision."]}
            )
        if op.delete:
            assert current is not None
            return self.delete(op, current)
        assert op.fields is not None
        unknown = sorted(set(op.fields) - rule.field_names)
        if unknown:
            raise Rejected("validation", {name: ["Unknown field."] for name in unknown})
        if op.base_rev is None:
            return self.create(rule, op, current)
        assert current is not None
        return self.edit(rule, op, current)

    # -- rule (3) -------------------------------------------------------------------------

    def check_permission(
        self, rule: CollectionRule, op: ParsedOp, current: RecordState | None
    ) -> None:
        """Rule (3): the collection, and the record as stored and as it would be after the op."""
        if self.actor.role not in rule.writers:
            raise Rejected("forbidden", {"collection": ["You may not write this collection."]})
        if rule.unit_field is not None:
            self.check_unit(rule.unit_field, op, current)
        if self.actor.quarters is None or rule.scope == "global":
            return  # town-wide records belong to no neighbourhood
        if current is None and op.base_rev is not None:
            return  # an edit or delete of a record the server does not know: rule (4)
        if current is not None and not self.actor.may_write_in(
            self.work.quarter_of(rule, current.id, current.fields)
        ):
            raise Rejected("forbidden", {"id": ["This record is outside your neighbourhoods."]})
        after = dict(current.fields) if current is not None else {}
        after.update(op.fields or {})
        quarter = self.work.quarter_of(rule, op.id, after)
        if quarter is None and rule.scope == "household":
            return  # the household does not exist: a validation error, rule (5)
        if not self.actor.may_write_in(quarter):
            raise Rejected("forbidden", {"quarter_id": ["This neighbourhood is not yours."]})

    def check_unit(self, name: str, op: ParsedOp, current: RecordState | None) -> None:
        """Rule (3) for a unit's records: the unit as stored, and as it would be after the op,
        must be the writer's own (admins write every unit's)."""
        if current is None and op.base_rev is not None:
            return  # an edit or delete of a record the server does not know: rule (4)
        stored = current.fields.get(name) if current is not None else None
        after = (op.fields or {}).get(name, stored)
        named = [stored, after] if current is not None else [after]
        if not all(self.actor.may_write_for(canonical_uuid(u)) for u in named):
            raise Rejected("forbidden", {name: ["This belongs to another unit."]})

    # -- rule (5) -------------------------------------------------------------------------

    def validate(
        self, rule: CollectionRule, fields: Mapping[str, Any], record_id: str
    ) -> dict[str, Any]:
        """Rule (5): the fields as they would be after the op, and the records they point at."""
        clean, errors = self.work.validate(rule, fields, record_id)
        if errors:
            raise Rejected("validation", errors)
        return clean

    # -- rule (6): the outcomes -----------------------------------------------------------

    def create(
        self, rule: CollectionRule, op: ParsedOp, current: RecordState | None
    ) -> dict[str, Any]:
        assert op.fields is not None
        clean = self.validate(rule, op.fields, op.id)
        if current is None:
            return self.outcome(op, "applied", self.work.create(rule, op.id, clean, op.op_id))
        # §4 "create, R already exists": the differing sent fields conflict, base = none.
        conflicts = create_conflicts(current.fields, {k: clean[k] for k in op.fields})
        if not conflicts and not current.deleted:
            return self.outcome(op, "applied", current)
        kind = "edit_vs_delete" if current.deleted else "fields"
        return self.conflict(op, current, conflicts, kind, base_rev=None)

    def edit(self, rule: CollectionRule, op: ParsedOp, current: RecordState) -> dict[str, Any]:
        assert op.fields is not None and op.base_rev is not None
        clean = self.validate(rule, {**current.fields, **op.fields}, current.id)
        # Keep the patch in its cleaned form (trimmed text, canonical ids), as a create would.
        op.fields = {name: clean.get(name) for name in op.fields}
        if current.deleted:
            base = self.work.revision_fields(current, op.base_rev)
            conflicts = {
                name: FieldConflict(base.get(name), current.fields.get(name), value)
                for name, value in sorted(op.fields.items())
                if value != base.get(name)
            }
            return self.conflict(op, current, conflicts, "edit_vs_delete", op.base_rev)
        if op.base_rev == current.rev:
            patch = {k: v for k, v in op.fields.items() if current.fields.get(k) != v}
            self.work.change(rule, current, patch, "edit", op.op_id)
            return self.outcome(op, "applied", current)
        base = self.work.revision_fields(current, op.base_rev)
        result = merge(base, current.fields, op.fields)
        applied = result.applied
        if result.conflicts and applied:
            # A partial merge must still be a valid record; if not, take nothing and let an
            # admin decide every field the device changed.
            _, errors = rule.validate({**current.fields, **applied}, self.work.now)
            if errors:
                extra = {
                    name: FieldConflict(base.get(name), current.fields.get(name), value)
                    for name, value in applied.items()
                }
                result.conflicts.update(extra)
                applied = {}
        self.work.change(rule, current, applied, "merge", op.op_id)
        if result.conflicts:
            return self.conflict(op, current, result.conflicts, "fields", op.base_rev)
        return self.outcome(op, "merged", current)

    def delete(self, op: ParsedOp, current: RecordState) -> dict[str, Any]:
        assert op.base_rev is not None
        if current.deleted:
            return self.outcome(op, "applied", current)
        if op.base_rev == current.rev:
            self.work.tombstone(current, op.op_id)
            return self.outcome(op, "applied", current)
        base = self.work.revision_fields(current, op.base_rev)
        edited = changed_fields(base, current.fields)
        if edited:
            conflicts = {
                name: FieldConflict(change["from"], change["to"], None)
                for name, change in edited.items()
            }
            return self.conflict(op, current, conflicts, "delete_vs_edit", op.base_rev)
        self.work.tombstone(current, op.op_id)
        return self.outcome(op, "merged", current)

    # -- results --------------------------------------------------------------------------

    def conflict(
        self,
        op: ParsedOp,
        state: RecordState,
        conflicts: Mapping[str, FieldConflict],
        kind: str,
        base_rev: int | None,
    ) -> dict[str, Any]:
        conflict_id = self.work.open_conflict(
            state, conflicts, kind, base_rev, op.op_id, op.client_time
        )
        return {**self.outcome(op, "conflict", state), "conflict_id": conflict_id}

    def outcome(self, op: ParsedOp, status: str, state: RecordState) -> dict[str, Any]:
        """A result with the record as it stands right after this op (fields are never mutated
        in place, so the rendering is a snapshot)."""
        return {
            "op_id": op.op_id,
            "status": status,
            "id": state.id,
            "rev": state.rev,
            "record": self.wire.state(state),
        }

    def rejection(self, op_id: Any, raw: Any, rejection: Rejected) -> dict[str, Any]:
        record_id = raw.get("id") if isinstance(raw, dict) else None
        return {
            "op_id": op_id,
            "status": "rejected",
            "id": record_id,
            "rev": None,
            "record": None,
            "code": rejection.code,
            "errors": rejection.errors,
        }
