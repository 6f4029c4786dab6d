"""The push of §4: each op checked in the rule order, applied atomically, kept with its result.

A batch is worked in memory and written in bulk. All the rows it reads are loaded in a handful of
queries up front; each op is then decided against that in-memory state (so a later op of the batch
sees what an earlier one did); nothing of an op is written unless the whole op succeeded; and at the
end the new and changed records, revisions, ops, conflicts and moves go out in one INSERT or UPDATE
per table. The feed lock (see `sync.feed`) is taken first, so batches from several processes apply
one after another and each sees the others' results.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from .catalogue import CHILDREN, Catalogue, CollectionRule
from .feed import SequenceLock
from .ids import canonical_uuid
from .merge import FieldConflict, changed_fields, create_conflicts, merge
from .models import Conflict, Move, Op, Record, Revision
from .state import COLUMNS, RecordState, load_states, to_wire, user_names, wire_names_for
from .text import fold

FLAGGED = frozenset({"has_issues", "rejected"})


@dataclass(frozen=True)
class Actor:
    """Who is pushing: the user, their role and neighbourhoods (None = all), their device,
    and the unit they belong to (None = none)."""

    user_id: str
    role: str
    quarters: frozenset[str] | None
    device_id: str | None = None
    unit_id: str | None = None

    def may_write_in(self, quarter_id: str | None) -> bool:
        """True when this user may write a record of that neighbourhood (§3)."""
        if self.quarters is None:
            return True
        return quarter_id is not None and quarter_id in self.quarters

    def may_write_for(self, unit_id: str | None) -> bool:
        """True when this user may write a record of that unit: admins any, others their own."""
        return self.role == "admin" or (self.unit_id is not None and unit_id == self.unit_id)


def content_hash(op: Any) -> str:
    """A fingerprint of an op's content, to tell a replay from a reused `op_id` (§4)."""
    try:
        text = orjson.dumps(op, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # beyond what orjson encodes (huge integers): the slow, exact way
        text = json.dumps(op, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(text).hexdigest()


def short_text(value: Any, length: int) -> str | None:
    """A value for one of the op log's short text columns, which must take anything a device
    sends (PostgreSQL refuses NUL and overlong text); the payload keeps it exactly as sent."""
    if value is None:
        return None
    return str(value).replace("\x00", "")[:length]


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


@dataclass
class Batch:
    """What one push changes, written in bulk at the end."""

    records: dict[tuple[str, str], RecordState] = field(default_factory=dict)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    ops: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)


class Push:
    """Applies one push request. Use `push()`."""

    def __init__(self, session: Session, catalogue: Catalogue, actor: Actor, now: datetime) -> None:
        self.session = session
        self.catalogue = catalogue
        self.actor = actor
        self.now = now
        self.batch = Batch()
        self.seen_ops: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.children_loaded: set[str] = set()
        self.lock: SequenceLock | None = None
        self.names: dict[str, str] = {}

    # -- loading -------------------------------------------------------------------------

    def preload(self, raw_ops: list[Any]) -> None:
        """Read everything the batch needs in a few queries: earlier ops, records, references."""
        op_ids = [canonical_uuid(op.get("op_id")) for op in raw_ops if isinstance(op, dict)]
        op_ids = [o for o in op_ids if o]
        for start in range(0, len(op_ids), 500):
            rows = self.session.execute(
                select(Op.op_id, Op.user_id, Op.payload_hash, Op.result).where(
                    Op.op_id.in_(op_ids[start : start + 500])
                )
            )
            for op_id, user_id, digest, result in rows:
                self.seen_ops[op_id] = (user_id, digest, result)

        keys: set[tuple[str, str]] = set()
        for op in raw_ops:
            if not isinstance(op, dict) or op.get("collection") not in self.catalogue:
                continue
            record_id = canonical_uuid(op.get("id"))
            if record_id:
                keys.add((op["collection"], record_id))
            fields = op.get("fields")
            if isinstance(fields, dict):
                for name, target in self.catalogue[op["collection"]].references.items():
                    ref = canonical_uuid(fields.get(name))
                    if ref:
                        keys.add((target, ref))
        self.batch.records.update(load_states(self.session, keys))
        self.load_references()
        self.names = user_names(
            self.session, wire_names_for(self.batch.records.values()) | {self.actor.user_id}
        )

    def load_references(self) -> None:
        """Load what the loaded records point at: a patch is validated on the whole record (§4),
        stored references included, and a child record's household gives its neighbourhood."""
        wanted = {
            (target, ref)
            for s in list(self.batch.records.values())
            for name, target in self.catalogue[s.collection].references.items()
            if (ref := canonical_uuid(s.fields.get(name)))
        }
        missing = wanted - self.batch.records.keys()
        if missing:
            self.batch.records.update(load_states(self.session, missing))

    def state(self, collection: str, record_id: str | None) -> RecordState | None:
        if record_id is None:
            return None
        return self.batch.records.get((collection, record_id))

    def live(self, collection: str, record_id: str | None) -> RecordState | None:
        state = self.state(collection, record_id)
        return None if state is None or state.deleted else state

    # -- the rules, in order ---------------------------------------------------------------

    def apply(self, raw: Any) -> dict[str, Any]:
        """Decide one op (rules 1–6 of §4) and return its result."""
        op_id_raw = raw.get("op_id") if isinstance(raw, dict) else None
        op_id = canonical_uuid(op_id_raw)
        digest = content_hash(raw)
        if op_id and op_id in self.seen_ops:  # (1) replay
            first_user, first_digest, first_result = self.seen_ops[op_id]
            # Another user's op_id is never answered with their result (§3 scope).
            if first_digest == digest and first_user == self.actor.user_id:
                return {**first_result, "replayed": True}
            result = self.rejection(op_id_raw, raw, Rejected("op_id_reused"))
            self.keep(None, raw, digest, result)
            return result
        try:
            op = self.parse(raw)  # (2)
            result = self.decide(op)
        except Rejected as rejection:
            result = self.rejection(op_id_raw, raw, rejection)
        self.keep(op_id, raw, digest, result)
        if op_id:
            self.seen_ops[op_id] = (self.actor.user_id, digest, result)
        return result

    def parse(self, raw: Any) -> ParsedOp:
        """Rule (2): a malformed op is a `validation` rejection (the server's parser decides)."""
        if not isinstance(raw, dict):
            raise Rejected("validation", {"op": ["Each op must be an object."]})
        clean, errors = self.catalogue.parse_op(raw)
        if errors:
            raise Rejected("validation", errors)
        return ParsedOp(**clean)

    def decide(self, op: ParsedOp) -> dict[str, Any]:
        rule = self.catalogue[op.collection]
        current = self.state(op.collection, op.id)
        self.check_permission(rule, op, current)  # (3)
        if op.base_rev is not None and (current is None or op.base_rev > current.rev):  # (4)
            raise Rejected(
                "unknown_base", {"base_rev": ["The server does not know this revision."]}
            )
        if op.delete:
            assert current is not None
            return self.delete(rule, op, current)
        assert op.fields is not None
        unknown = sorted(set(op.fields) - rule.field_names)
        if unknown:
            raise Rejected("validation", {name: ["Unknown field."] for name in unknown})
        if op.base_rev is None:
            return self.create(rule, op, current)
        assert current is not None
        return self.edit(rule, op, current)

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
            self.scope_of(rule, current.id, current.fields)
        ):
            raise Rejected("forbidden", {"id": ["This record is outside your neighbourhoods."]})
        after = dict(current.fields) if current is not None else {}
        after.update(op.fields or {})
        quarter = self.scope_of(rule, op.id, after)
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

    def scope_of(
        self, rule: CollectionRule, record_id: str, fields: Mapping[str, Any]
    ) -> str | None:
        """The neighbourhood a record with these fields belongs to."""
        if rule.scope == "household":
            household = self.state("households", canonical_uuid(fields.get("household_id")))
            return household.quarter_id if household is not None else None
        return rule.quarter_of(record_id, fields)

    def validate(
        self, rule: CollectionRule, fields: Mapping[str, Any], record_id: str
    ) -> dict[str, Any]:
        """Rule (5): the fields as they would be after the op, and the records they point at."""
        clean, errors = rule.validate(fields, self.now)
        for name in rule.unique:
            if name not in errors and self.taken(rule.name, name, clean.get(name), record_id):
                errors[name] = ["Already used by another record."]
        group = self.live("groups", canonical_uuid(clean.get("group_id")))
        if group is not None and group.fields.get("quarter_id") != clean.get("quarter_id"):
            errors["group_id"] = ["This group belongs to another neighbourhood."]
        for name, target in rule.references.items():
            if name in errors or clean.get(name) is None:
                continue
            ref = canonical_uuid(clean[name])
            if ref is None or self.live(target, ref) is None:
                errors[name] = ["No such record."]
            else:
                clean[name] = ref
        if errors:
            raise Rejected("validation", errors)
        return clean

    def taken(self, collection: str, name: str, value: Any, record_id: str) -> bool:
        """True when another live record of the collection has this value (folded)."""
        if value is None:
            return False
        wanted = fold(str(value))
        keys = self.session.execute(
            select(Record.collection, Record.id).where(
                Record.collection == collection, Record.deleted.is_(False)
            )
        ).all()
        fresh = [tuple(k) for k in keys if tuple(k) not in self.batch.records]
        self.batch.records.update(load_states(self.session, fresh))
        return any(
            s.collection == collection
            and not s.deleted
            and s.id != record_id
            and fold(str(s.fields.get(name))) == wanted
            for s in self.batch.records.values()
        )

    # -- rule (6): the outcomes -----------------------------------------------------------

    def create(
        self, rule: CollectionRule, op: ParsedOp, current: RecordState | None
    ) -> dict[str, Any]:
        assert op.fields is not None
        clean = self.validate(rule, op.fields, op.id)
        if current is not None:
            # §4 "create, R already exists": the differing sent fields conflict, base = none.
            conflicts = create_conflicts(current.fields, {k: clean[k] for k in op.fields})
            kind = "edit_vs_delete" if current.deleted else "fields"
            if not conflicts and not current.deleted:
                return self.outcome(op, "applied", current)
            return self.open_conflict(op, rule, current, conflicts, kind, base_rev=None)
        state = RecordState.created(
            op.collection,
            op.id,
            clean,
            quarter_id=self.scope_of(rule, op.id, clean),
            unit_id=self.actor.unit_id if rule.credits_unit else None,
            user_id=self.actor.user_id,
            now=self.now,
            seq=self.next_seq(),
            rule=rule,
        )
        self.batch.records[state.key] = state
        self.add_revision(state, "create", changed_fields({}, clean), op.op_id)
        return self.outcome(op, "applied", state)

    def edit(self, rule: CollectionRule, op: ParsedOp, current: RecordState) -> dict[str, Any]:
        assert op.fields is not None and op.base_rev is not None
        clean = self.validate(rule, {**current.fields, **op.fields}, current.id)
        # Keep the patch in its cleaned form (trimmed text, canonical ids), as a create would.
        op.fields = {name: clean.get(name) for name in op.fields}
        if current.deleted:
            base = self.revision_fields(current, op.base_rev)
            conflicts = {
                name: FieldConflict(base.get(name), current.fields.get(name), value)
                for name, value in sorted(op.fields.items())
                if value != base.get(name)
            }
            return self.open_conflict(op, rule, current, conflicts, "edit_vs_delete", op.base_rev)
        if op.base_rev == current.rev:
            patch = {k: v for k, v in op.fields.items() if current.fields.get(k) != v}
            self.change(rule, current, patch, "edit", op.op_id)
            return self.outcome(op, "applied", current)
        base = self.revision_fields(current, op.base_rev)
        result = merge(base, current.fields, op.fields)
        applied = result.applied
        if result.conflicts and applied:
            # A partial merge must still be a valid record; if not, take nothing and let an
            # admin decide every field the device changed.
            _, errors = rule.validate({**current.fields, **applied}, self.now)
            if errors:
                extra = {
                    name: FieldConflict(base.get(name), current.fields.get(name), value)
                    for name, value in applied.items()
                }
                result.conflicts.update(extra)
                applied = {}
        self.change(rule, current, applied, "merge", op.op_id)
        if result.conflicts:
            return self.open_conflict(op, rule, current, result.conflicts, "fields", op.base_rev)
        return self.outcome(op, "merged", current)

    def delete(self, rule: CollectionRule, op: ParsedOp, current: RecordState) -> dict[str, Any]:
        assert op.base_rev is not None
        if current.deleted:
            return self.outcome(op, "applied", current)
        if op.base_rev == current.rev:
            self.tombstone(current, op.op_id)
            return self.outcome(op, "applied", current)
        base = self.revision_fields(current, op.base_rev)
        edited = changed_fields(base, current.fields)
        if edited:
            conflicts = {
                name: FieldConflict(change["from"], change["to"], None)
                for name, change in edited.items()
            }
            return self.open_conflict(op, rule, current, conflicts, "delete_vs_edit", op.base_rev)
        self.tombstone(current, op.op_id)
        return self.outcome(op, "merged", current)

    # -- changing state -------------------------------------------------------------------

    def next_seq(self) -> int:
        if self.lock is None:
            self.lock = SequenceLock(self.session)
        return self.lock.next()

    def change(
        self,
        rule: CollectionRule,
        state: RecordState,
        patch: Mapping[str, Any],
        kind: str,
        op_id: str | None,
        *,
        force: bool = False,
    ) -> None:
        """Apply a patch to a record: new rev, history, review status, scope moves.

        An empty patch changes nothing unless `force` (a conflict resolution is always a rev).
        """
        if not patch and not force:
            return
        before = state.fields
        state.fields = {**before, **patch}
        state.rev += 1
        state.updated_at = self.now
        state.updated_by = self.actor.user_id
        if self.actor.role == "field" and state.review_status in FLAGGED:
            state.review_status = "edited"
        state.refresh_derived(rule)
        self.touch(state)
        self.add_revision(state, kind, changed_fields(before, state.fields), op_id)
        if state.collection in CHILDREN:
            state.household_id = state.fields.get("household_id")
        self.relocate(state, self.scope_of(rule, state.id, state.fields))

    def tombstone(self, state: RecordState, op_id: str | None, kind: str = "delete") -> None:
        """Delete a record, keeping its last fields (§2 tombstone)."""
        state.deleted = True
        state.rev += 1
        state.updated_at = self.now
        state.updated_by = self.actor.user_id
        self.touch(state)
        self.add_revision(state, kind, {"deleted": {"from": False, "to": True}}, op_id)

    def touch(self, state: RecordState) -> None:
        state.seq = self.next_seq()
        state.dirty = True

    def relocate(self, state: RecordState, quarter: str | None) -> None:
        """Move a record (and a household's children) to another neighbourhood (domain.md)."""
        if quarter == state.quarter_id:
            return
        self.batch.moves.append(
            {
                "seq": state.seq,
                "collection": state.collection,
                "record_id": state.id,
                "from_quarter": state.quarter_id,
                "to_quarter": quarter,
            }
        )
        state.quarter_id = quarter
        if state.collection == "households":
            for child in self.children_of(state.id):
                self.touch(child)
                self.relocate(child, quarter)

    def children_of(self, household_id: str) -> list[RecordState]:
        if household_id not in self.children_loaded:
            self.children_loaded.add(household_id)
            keys = self.session.execute(
                select(Record.collection, Record.id).where(
                    Record.household_id == household_id, Record.collection.in_(sorted(CHILDREN))
                )
            )
            fresh = [k for k in keys if k not in self.batch.records]
            self.batch.records.update(load_states(self.session, fresh))
        return [
            s
            for s in self.batch.records.values()
            if s.collection in CHILDREN and s.household_id == household_id
        ]

    def revision_fields(self, state: RecordState, rev: int) -> dict[str, Any]:
        """The record's fields at revision `rev` (the base of a three-way merge)."""
        for row in reversed(self.batch.revisions):
            if (row["collection"], row["record_id"], row["rev"]) == (
                state.collection,
                state.id,
                rev,
            ):
                return row["fields"]
        found = self.session.execute(
            select(Revision.fields).where(
                Revision.collection == state.collection,
                Revision.record_id == state.id,
                Revision.rev == rev,
            )
        ).scalar_one_or_none()
        return found if found is not None else {}

    def add_revision(
        self, state: RecordState, kind: str, changes: dict[str, Any], op_id: str | None
    ) -> None:
        self.batch.revisions.append(
            {
                "collection": state.collection,
                "record_id": state.id,
                "rev": state.rev,
                "at": self.now,
                "user_id": self.actor.user_id,
                "device_id": self.actor.device_id,
                "kind": kind,
                "changes": changes,
                "fields": state.fields,
                "deleted": state.deleted,
                "op_id": op_id,
            }
        )

    def open_conflict(
        self,
        op: ParsedOp,
        rule: CollectionRule,
        state: RecordState,
        conflicts: Mapping[str, FieldConflict],
        kind: str,
        base_rev: int | None,
    ) -> dict[str, Any]:
        conflict_id = str(uuid.uuid4())
        self.batch.conflicts.append(
            {
                "id": conflict_id,
                "collection": state.collection,
                "record_id": state.id,
                "quarter_id": state.quarter_id,
                "kind": kind,
                "fields": {
                    n: {"base": c.base, "server": c.server, "client": c.client}
                    for n, c in conflicts.items()
                },
                "base_rev": base_rev,
                "server_rev": state.rev,
                "server_deleted": state.deleted,
                "op_id": op.op_id,
                "user_id": self.actor.user_id,
                "device_id": self.actor.device_id,
                "client_time": op.client_time,
                "received_at": self.now,
                "status": "open",
                "created_at": self.now,
                "resolved_by": None,
                "resolved_at": None,
                "resolution": None,
            }
        )
        state.open_conflicts += 1
        self.touch(state)
        result = self.outcome(op, "conflict", state)
        result["conflict_id"] = conflict_id
        return result

    # -- results --------------------------------------------------------------------------

    def outcome(self, op: ParsedOp, status: str, state: RecordState) -> dict[str, Any]:
        """A result with the record as it stands right after this op (fields are never mutated
        in place, so the rendering is a snapshot)."""
        return {
            "op_id": op.op_id,
            "status": status,
            "id": state.id,
            "rev": state.rev,
            "record": to_wire(state, self.names),
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

    def keep(self, op_id: str | None, raw: Any, digest: str, result: dict[str, Any]) -> None:
        """§1.1: every op is kept with its payload and result, whatever became of it."""
        payload = raw if isinstance(raw, dict) else {"op": raw}
        self.batch.ops.append(
            {
                "op_id": op_id,
                "user_id": self.actor.user_id,
                "device_id": self.actor.device_id,
                "received_at": self.now,
                "client_time": short_text(payload.get("client_time"), 64)
                if isinstance(payload.get("client_time"), str)
                else None,
                "collection": short_text(payload.get("collection"), 40),
                "record_id": short_text(payload.get("id"), 100),
                "payload": payload,
                "payload_hash": digest,
                "status": result["status"],
                "result": result,
            }
        )

    # -- writing --------------------------------------------------------------------------

    def write(self) -> None:
        """Write the batch: one executemany per table (SQLAlchemy Core, no ORM unit of work)."""
        execute = self.session.connection().execute
        new = [s.row() for s in self.batch.records.values() if s.is_new]
        changed = [s.row() for s in self.batch.records.values() if s.dirty and not s.is_new]
        records = Record.__table__
        if new:
            execute(insert(records), new)
        if changed:
            execute(
                update(records)
                .where(
                    records.c.collection == bindparam("k_collection"),
                    records.c.id == bindparam("k_id"),
                )
                .values(
                    {name: bindparam(name) for name in COLUMNS if name not in ("collection", "id")}
                ),
                [{**row, "k_collection": row["collection"], "k_id": row["id"]} for row in changed],
            )
        for model, rows in (
            (Revision, self.batch.revisions),
            (Conflict, self.batch.conflicts),
            (Move, self.batch.moves),
            (Op, self.batch.ops),
        ):
            if rows:
                execute(insert(model.__table__), rows)
        if self.lock is not None:
            self.lock.close()


def push(
    session: Session, catalogue: Catalogue, actor: Actor, ops: list[Any], now: datetime
) -> list[dict[str, Any]]:
    """Apply a push (§4) and return one result per op, in order. The caller commits."""
    work = Push(session, catalogue, actor, now)
    # Lock first: batches from several processes then apply strictly one after another.
    work.lock = SequenceLock(session)
    work.preload(ops)
    results = [work.apply(raw) for raw in ops]
    work.write()
    return results
