"""The engine's unit of work: one writing transaction over the synced records.

Every change to records goes through one `UnitOfWork`: a push (§4), a review (§6), a conflict
resolution (§6) and a stranded change an admin applies (§6a). It

- takes the feed lock first, in its constructor (see `sync.feed`: every writing transaction locks
  the feed before it takes sequence numbers), so units of work from several processes apply one
  after another and each sees the others' results; or, for a push on PostgreSQL, works without
  it and takes it at the end (`lock_unchanged`): under the lock only what it read is checked
  again (the records' sequence numbers; what it creates, the unique keys check as it is
  written), and its numbers are made real, so a push of one process loads and validates while
  another's writes;
- loads the rows it needs in a handful of queries on primary keys, and answers from memory after
  that (so a later change of the unit sees what an earlier one did);
- applies changes in memory: a create, a patch, a tombstone, a review, a move to another
  neighbourhood (with a household's children), a revision for each, a conflict;
- flushes them at the end in one INSERT or UPDATE per table, and publishes its sequence numbers.

It decides nothing: the rules (who may write what, the order of §4) belong to its callers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any

import orjson
from sqlalchemy import Table, bindparam, select, tuple_, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import sqltypes

from . import derived
from .actor import Actor
from .catalogue import CHILDREN, HOUSEHOLD_SCOPED, Catalogue, CollectionRule
from .feed import SequenceLock
from .ids import canonical_uuid
from .merge import FieldConflict, changed_fields
from .models import Conflict, Move, Op, Record, Revision
from .state import COLUMNS, RecordState, among, load_states, user_names, wire_names_for
from .text import fold

FLAGGED = frozenset({"has_issues", "rejected"})
# A new record's columns as the flush takes them, all but `seq` (which goes last, see
# `prepare_rows`).
NEW_COLUMNS = [name for name in COLUMNS if name != "seq"]
NEW_ROW = attrgetter(*NEW_COLUMNS)
# PostgreSQL's SQLSTATE for a duplicate key.
UNIQUE_VIOLATION = "23505"


class UnitOfWork:
    """One writing transaction: the feed lock, the records it works on, and what it changes."""

    def __init__(
        self,
        session: Session,
        catalogue: Catalogue,
        actor: Actor,
        now: datetime,
        *,
        locked: bool = True,
    ) -> None:
        self.session = session
        self.catalogue = catalogue
        self.actor = actor
        self.now = now
        # Without the lock (`locked=False`) the numbers taken are provisional (1, 2…) until
        # `lock_unchanged` shifts them past the feed's.
        self.lock: SequenceLock | None = SequenceLock(session) if locked else None
        self.provisional = 0
        # What a unit of work without the lock read that `lock_unchanged` cannot check again
        # (a whole collection for a unique value, a household's children): it is redone.
        self.unsure = False
        # Every key asked for that was not there, to check again under the lock.
        self.absent: set[tuple[str, str]] = set()
        self.records: dict[tuple[str, str], RecordState] = {}
        # Ops already in the log, by op_id: (author, content hash, result).
        self.logged: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.found_ops: set[str] = set()
        self.names: dict[str, str] = {}
        self.revisions: list[dict[str, Any]] = []
        # The fields of each revision written here, by (collection, record id, rev).
        self.fields_at: dict[tuple[str, str, int], dict[str, Any]] = {}
        self.ops: list[dict[str, Any]] = []
        # The op that holds each record meta kept whole here, by that meta's JSON text.
        self.kept_metas: dict[bytes, str] = {}
        # The same, by the meta object itself (its id): (the meta, the op holding it).
        self.meta_holders: dict[int, tuple[Any, str]] = {}
        self.conflicts: list[dict[str, Any]] = []
        self.moves: list[dict[str, Any]] = []
        self.children_loaded: set[str] = set()
        # The rows converted for the flush (`prepare`), and their values' conversions.
        self.new_states: list[RecordState] = []
        self.prepared: list[PreparedRows] | None = None
        self.memo: dict[Any, Any] = {}
        # The changes of every create's revision (never changed in place).
        self.no_changes: dict[str, Any] = {}

    # -- loading -------------------------------------------------------------------------

    def load(self, keys: Iterable[tuple[str, str]]) -> None:
        """Load the records with these (collection, id) keys that are not loaded yet."""
        missing = [key for key in keys if key not in self.records and key not in self.absent]
        if missing:
            found = load_states(self.session, missing)
            self.records.update(found)
            self.absent.update(key for key in missing if key not in found)

    def load_references(self) -> None:
        """Load what the loaded records point at: a patch is validated on the whole record (§4),
        stored references included, and a child record's household gives its neighbourhood."""
        self.load(
            {
                (target, ref)
                for s in list(self.records.values())
                for name, target in self.catalogue[s.collection].references.items()
                if (ref := canonical_uuid(s.fields.get(name)))
            }
        )

    def load_ops(self, op_ids: Iterable[str]) -> None:
        """Read these ops from the log, if they are there (a replay, §4 rule 1), each with its
        result as first answered (see `kept_result`)."""
        wanted = sorted(set(op_ids))
        for start in range(0, len(wanted), 500):
            rows = self.session.execute(
                select(Op.op_id, Op.user_id, Op.payload_hash, Op.result).where(
                    among(self.session, Op.op_id, wanted[start : start + 500])
                )
            )
            for op_id, user_id, digest, result in rows:
                self.logged[op_id] = (user_id, digest, result)
                self.found_ops.add(op_id)
        slim = {
            op_id: result["record"]
            for op_id, (_, _, result) in self.logged.items()
            if result.get("record") is not None and "fields" not in result["record"]
        }
        if not slim:
            return
        metas = self.kept_metas_of({r["meta_of"] for r in slim.values() if "meta_of" in r})
        keys = sorted({(r["collection"], r["id"], r["rev"]) for r in slim.values()})
        revision = (Revision.collection, Revision.record_id, Revision.rev)
        fields = {}
        for start in range(0, len(keys), 500):
            rows = self.session.execute(
                select(*revision, Revision.fields).where(
                    tuple_(*revision).in_(keys[start : start + 500])
                )
            )
            fields.update(((c, i, r), f) for c, i, r, f in rows)
        for op_id, record in slim.items():
            user_id, digest, result = self.logged[op_id]
            found = fields[(record["collection"], record["id"], record["rev"])]
            meta = record["meta"] if "meta_of" not in record else metas[record["meta_of"]]
            whole = with_fields(record, found, meta)
            self.logged[op_id] = (user_id, digest, {**result, "record": whole})

    def kept_metas_of(self, op_ids: set[str]) -> dict[str, Any]:
        """The record meta that these ops' kept results hold (see `kept_result`), by op id: from
        the ops loaded already, the others read from the log."""
        metas = {}
        for op_id in op_ids:
            if op_id in self.logged:
                metas[op_id] = self.logged[op_id][2]["record"]["meta"]
        wanted = sorted(op_ids - metas.keys())
        for start in range(0, len(wanted), 500):
            rows = self.session.execute(
                select(Op.op_id, Op.result).where(
                    among(self.session, Op.op_id, wanted[start : start + 500])
                )
            )
            metas.update((op_id, result["record"]["meta"]) for op_id, result in rows)
        return metas

    def load_names(self) -> None:
        """The display names of everyone the loaded records (and the actor) mention."""
        self.names = user_names(
            self.session, wire_names_for(self.records.values()) | {self.actor.user_id}
        )

    def state(self, collection: str, record_id: str | None) -> RecordState | None:
        """A loaded record (deleted or not), or None."""
        if record_id is None:
            return None
        return self.records.get((collection, record_id))

    def live(self, collection: str, record_id: str | None) -> RecordState | None:
        """A loaded record that is not deleted, or None."""
        state = self.state(collection, record_id)
        return None if state is None or state.deleted else state

    def quarter_of(
        self, rule: CollectionRule, record_id: str, fields: Mapping[str, Any]
    ) -> str | None:
        """The neighbourhood a record with these fields belongs to."""
        if rule.scope == "household":
            household = self.state("households", canonical_uuid(fields.get("household_id")))
            return household.quarter_id if household is not None else None
        return rule.quarter_of(record_id, fields)

    def validate(
        self, rule: CollectionRule, fields: Mapping[str, Any], record_id: str
    ) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The fields as a record would have them, cleaned, and what is wrong with them: their
        values, the records they point at (live, the group in the same neighbourhood), and the
        values that must be unique."""
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
        return clean, errors

    def taken(self, collection: str, name: str, value: Any, record_id: str) -> bool:
        """True when another live record of the collection has this value (folded)."""
        if value is None:
            return False
        wanted = fold(str(value))
        self.unsure = self.lock is None
        keys = self.session.execute(
            select(Record.collection, Record.id).where(
                Record.collection == collection, Record.deleted.is_(False)
            )
        ).all()
        self.load(tuple(k) for k in keys)
        return any(
            s.collection == collection
            and not s.deleted
            and s.id != record_id
            and fold(str(s.fields.get(name))) == wanted
            for s in self.records.values()
        )

    def children_of(self, household_id: str) -> list[RecordState]:
        """The records that belong to a household (visits, enrolments…, and their photos),
        loaded once."""
        if household_id not in self.children_loaded:
            self.children_loaded.add(household_id)
            self.unsure = self.lock is None
            keys = self.session.execute(
                select(Record.collection, Record.id).where(
                    Record.household_id == household_id,
                    Record.collection.in_(sorted(HOUSEHOLD_SCOPED)),
                )
            )
            self.load(tuple(k) for k in keys)
        return [
            s
            for s in self.records.values()
            if s.collection in HOUSEHOLD_SCOPED and s.household_id == household_id
        ]

    def photos_of(self, state: RecordState, household_id: str) -> list[RecordState]:
        """The photo records of a child record, found among that household's records."""
        return [
            s
            for s in self.children_of(household_id)
            if s.collection == "photos"
            and s.fields.get("record_collection") == state.collection
            and s.fields.get("record_id") == state.id
        ]

    def revision_fields(self, state: RecordState, rev: int) -> dict[str, Any]:
        """The record's fields at revision `rev` (the base of a three-way merge)."""
        for row in reversed(self.revisions):
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

    # -- applying changes -----------------------------------------------------------------

    def create(
        self, rule: CollectionRule, record_id: str, fields: dict[str, Any], op_id: str | None
    ) -> RecordState:
        """A new record at rev 1, with its `create` revision."""
        state = RecordState.created(
            rule.name,
            record_id,
            fields,
            quarter_id=self.quarter_of(rule, record_id, fields),
            unit_id=self.actor.unit_id if rule.credits_unit else None,
            user_id=self.actor.user_id,
            now=self.now,
            seq=self.next_seq(),
            rule=rule,
        )
        self.records[state.key] = state
        # A create's changes are its fields, which the revision holds: not written twice (see
        # `Revision`). One empty object for all of them, converted once for the flush.
        self.add_revision(state, "create", self.no_changes, op_id)
        return state

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
        if state.collection in HOUSEHOLD_SCOPED:
            was, state.household_id = state.household_id, state.fields.get("household_id")
            if state.collection in CHILDREN and was and was != state.household_id:
                # A record moved to another household takes its photos along.
                for photo in self.photos_of(state, was):
                    self.change(
                        self.catalogue["photos"],
                        photo,
                        {"household_id": state.household_id},
                        "edit",
                        None,
                    )
        self.relocate(state, self.quarter_of(rule, state.id, state.fields))

    def tombstone(self, state: RecordState, op_id: str | None, kind: str = "delete") -> None:
        """Delete a record, keeping its last fields (§2 tombstone)."""
        state.deleted = True
        state.rev += 1
        state.updated_at = self.now
        state.updated_by = self.actor.user_id
        self.touch(state)
        self.add_revision(state, kind, {"deleted": {"from": False, "to": True}}, op_id)

    def review(
        self,
        state: RecordState,
        status: str,
        comment: str | None,
        by: str | None,
        at: datetime | None,
    ) -> None:
        """Give a record a review: a new rev with a `review` revision that field staff pull (§6)."""
        changes = {}
        if state.review_status != status:
            changes["review.status"] = {"from": state.review_status, "to": status}
        if state.review_comment != comment:
            changes["review.comment"] = {"from": state.review_comment, "to": comment}
        state.review_status, state.review_comment = status, comment
        state.review_by, state.review_at = by, at
        state.rev += 1
        self.touch(state)
        self.add_revision(state, "review", changes, None)

    def open_conflict(
        self,
        state: RecordState,
        conflicts: Mapping[str, FieldConflict],
        kind: str,
        base_rev: int | None,
        op_id: str,
        client_time: str | None,
    ) -> str:
        """Open a conflict on a record for an admin to resolve (§6); returns its id."""
        conflict_id = str(uuid.uuid4())
        self.conflicts.append(
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
                "op_id": op_id,
                "user_id": self.actor.user_id,
                "device_id": self.actor.device_id,
                "client_time": client_time,
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
        return conflict_id

    def close_conflict(self, state: RecordState) -> None:
        """One conflict of the record is resolved (its resolution is the next change)."""
        state.open_conflicts = max(0, state.open_conflicts - 1)

    def log(self, op_id: str | None, payload: dict[str, Any], digest: str, result: dict) -> None:
        """Keep an op in the log with its payload and result, whatever became of it (§1.1)."""
        client_time = payload.get("client_time")
        self.ops.append(
            {
                "op_id": op_id,
                "user_id": self.actor.user_id,
                "device_id": self.actor.device_id,
                "received_at": self.now,
                "client_time": short_text(client_time, 64)
                if isinstance(client_time, str)
                else None,
                "collection": short_text(payload.get("collection"), 40),
                "record_id": short_text(payload.get("id"), 100),
                "payload": payload,
                "payload_hash": digest,
                "status": result["status"],
                "result": self.kept_result(result, op_id),
            }
        )
        if op_id:
            self.logged[op_id] = (self.actor.user_id, digest, result)

    def kept_result(self, result: dict[str, Any], op_id: str | None = None) -> dict[str, Any]:
        """A result as the op log keeps it: without the record's fields when they are those of
        the revision it names (written here), which a replay reads back (`load_ops`); a copy of
        the record in every op would be written again for nothing.

        Such a result's record meta (its people's names as they were then, which a replay must
        give again) is kept whole by the first op of this unit of work that answers with it;
        every later one keeps `meta_of`, that op's id. The ops of one push share a few metas
        (one per neighbourhood, for a batch of creates): about 400 bytes an op, written once."""
        record = result.get("record")
        if record is None:
            return result
        written = self.fields_at.get((record["collection"], record["id"], record["rev"]))
        if written is None or written is not record["fields"]:
            return result
        kept = {
            "id": record["id"],
            "collection": record["collection"],
            "rev": record["rev"],
            "deleted": record["deleted"],
        }
        meta = record["meta"]
        # Results share meta objects (`PageWriter.state`): one met before is known by itself.
        held = self.meta_holders.get(id(meta))
        if held is not None and held[0] is meta:
            holder = held[1]
        else:
            text = orjson.dumps(meta)
            holder = self.kept_metas.get(text)
            if holder is None:
                kept["meta"] = meta
                if op_id is not None:
                    self.kept_metas[text] = op_id
                    self.meta_holders[id(meta)] = (meta, op_id)
                return {**result, "record": kept}
            self.meta_holders[id(meta)] = (meta, holder)
        kept["meta_of"] = holder
        return {**result, "record": kept}

    def touch(self, state: RecordState) -> None:
        """The record changed: it takes the next sequence number and will be written."""
        state.seq = self.next_seq()
        state.dirty = True

    def next_seq(self) -> int:
        """The next sequence number (provisional without the lock)."""
        if self.lock is not None:
            return self.lock.next()
        self.provisional += 1
        return self.provisional

    def lock_unchanged(self) -> bool:
        """Take the feed lock after working without it. True when nothing the work read has
        changed since (no record it loaded or found missing was written): its results stand,
        and its numbers are made real. False when it must be done again under the lock.

        What it writes anew is not looked up again: a record it creates or an op it logs that
        another process wrote meanwhile is refused by the table's unique key as it is written,
        and `flush_unless_taken` says so."""
        self.lock = lock = SequenceLock(self.session)
        if self.unsure or not self.records_unchanged():
            return False
        taken, offset = self.provisional, lock.last
        for state in self.records.values():
            if state.dirty:
                state.seq += offset
        for move in self.moves:
            move["seq"] += offset
        lock.last += taken
        return True

    def records_unchanged(self) -> bool:
        """Each record read is as it was: every write of a record gives it a new sequence number
        (a purge deletes it). The records it found missing and creates are left to their
        primary key (`flush_unless_taken`)."""
        read = {key: s.stored[0] for key, s in self.records.items() if s.stored is not None}
        read.update(dict.fromkeys(k for k in self.absent if self.records.get(k) is None))
        now: dict[tuple[str, str], int | None] = dict.fromkeys(read)
        by_collection: dict[str, list[str]] = {}
        for collection, record_id in sorted(read):
            by_collection.setdefault(collection, []).append(record_id)
        for collection, ids in by_collection.items():
            for start in range(0, len(ids), 500):
                rows = self.session.execute(
                    select(Record.id, Record.seq).where(
                        Record.collection == collection,
                        among(self.session, Record.id, ids[start : start + 500]),
                    )
                )
                now.update(((collection, record_id), seq) for record_id, seq in rows)
        return now == read

    def flush_unless_taken(self) -> bool:
        """`flush` after `lock_unchanged`, in a savepoint: False, with nothing written, when a
        record it creates or an op it logs is there already (another process wrote it while this
        work was done without the lock), so that it is done again under the lock. Under the lock
        no other writer is left uncommitted, so such a row is refused at once."""
        try:
            with self.session.begin_nested():
                self.flush()
        except IntegrityError as exc:
            if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
                raise
            return False
        return True

    def relocate(self, state: RecordState, quarter: str | None) -> None:
        """Move a record (and a household's children) to another neighbourhood (domain.md)."""
        if quarter == state.quarter_id:
            return
        self.moves.append(
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

    def add_revision(
        self, state: RecordState, kind: str, changes: dict[str, Any], op_id: str | None
    ) -> None:
        self.revisions.append(
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
        self.fields_at[(state.collection, state.id, state.rev)] = state.fields

    # -- flushing -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Convert the new records, the revisions and the ops for the flush, all but the
        records' sequence numbers (see `prepare_rows`): on PostgreSQL a push does this before it
        takes the feed lock, so that under it there is only writing left. Nothing but sequence
        numbers may change after it (`lock_unchanged` shifts them)."""
        dialect = self.session.get_bind().dialect
        self.new_states = [s for s in self.records.values() if s.dirty and s.is_new]
        self.prepared = [
            prepare_rows(dialect, table, rows, self.memo, late, names)
            for table, rows, late, names in (
                (Record.__table__, [NEW_ROW(s) for s in self.new_states], "seq", NEW_COLUMNS),
                (Revision.__table__, self.revisions, None, None),
                (Op.__table__, self.ops, None, None),
            )
            if rows
        ]

    def flush(self) -> None:
        """Write every change: one executemany (or COPY) per table, then the sequence numbers
        taken. The caller commits."""
        connection = self.session.connection()
        if self.prepared is None:
            self.prepare()
        assert self.prepared is not None
        written = [s for s in self.records.values() if s.dirty]
        assert {id(s) for s in written if s.is_new} == {id(s) for s in self.new_states}
        changed = [s.row() for s in written if not s.is_new]
        records = Record.__table__
        for prepared in self.prepared:
            late = [s.seq for s in self.new_states] if prepared.table is records else None
            write_rows(connection, prepared, late)
        if changed:
            connection.execute(
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
        for model, rows in ((Conflict, self.conflicts), (Move, self.moves)):
            if rows:
                insert_rows(connection, model.__table__, rows, self.memo)
        derived.write(connection, written)
        for state in written:
            state.is_new = state.dirty = False
            state.stored = (state.seq, state.search_text, state.count_key())
        self.prepared, self.memo = None, {}
        assert self.lock is not None, "a unit of work writes under the feed lock"
        self.lock.close()


def with_fields(record: Mapping[str, Any], fields: dict[str, Any], meta: Any) -> dict[str, Any]:
    """A record of a kept result with its fields and meta back, in `to_wire`'s order."""
    return {
        "id": record["id"],
        "collection": record["collection"],
        "rev": record["rev"],
        "deleted": record["deleted"],
        "fields": fields,
        "meta": meta,
    }


def short_text(value: Any, length: int) -> str | None:
    """A value for one of the op log's short text columns, which must take anything a device
    sends (PostgreSQL refuses NUL and overlong text); the payload keeps it exactly as sent."""
    if value is None:
        return None
    return str(value).replace("\x00", "")[:length]


class PreparedRows:
    """Rows of one table converted for the driver, ready to be written (`prepare_rows`).

    On PostgreSQL each row is already its line of COPY text, so that writing them is one
    `copy.write` of their bytes; elsewhere (or for a value COPY text is not made here for) each
    row is its list of converted values. A `late` column (the records' `seq`, which the feed
    lock gives) is left out until the rows are written, and then goes last.
    """

    __slots__ = ("late", "lines", "names", "table", "values")

    def __init__(
        self,
        table: Table,
        names: list[str],
        lines: list[str] | None,
        values: list[tuple[Any, ...]] | None,
        late: str | None,
    ) -> None:
        self.table, self.names, self.late = table, names, late
        self.lines, self.values = lines, values


class Unformatted(Exception):
    """A value `copy_text` does not write: the driver converts the row."""


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
NULL_TEXT = "\\N"


def needs_escape(text: str) -> bool:
    """True when text has a character COPY text escapes (four scans are quicker than a regular
    expression's one)."""
    return "\\" in text or "\n" in text or "\t" in text or "\r" in text


def copy_text(value: Any) -> str:
    """A value as PostgreSQL's COPY text format writes it (what psycopg's `write_row` sends):
    NULL as `\\N`, booleans as t/f, moments as `str` does, a backslash, tab or line break
    escaped."""
    kind = type(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES) if needs_escape(value) else value
    if value is None:
        return NULL_TEXT
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is datetime:
        return str(value)
    raise Unformatted(kind.__name__)


def copy_bool(value: Any) -> str:
    """A boolean column's value in COPY text (its bind processor takes 0 and 1 as well)."""
    if value is None:
        return NULL_TEXT
    if type(value) is not bool and value not in (0, 1):
        raise Unformatted(type(value).__name__)
    return "t" if value else "f"


def prepare_rows(
    dialect: Dialect,
    table: Table,
    rows: list[dict[str, Any]] | list[tuple[Any, ...]],
    memo: dict[Any, Any],
    late: str | None = None,
    names: list[str] | None = None,
) -> PreparedRows:
    """Convert these rows (each with the same keys, or values in the order of `names`) for
    `write_rows`.

    Each value is converted as SQLAlchemy would store it: by its column type's own bind
    processor, or on PostgreSQL into the COPY text psycopg would send for it (a JSON value
    serialised by the engine's own serializer, as the driver is set up to do). SQLAlchemy's
    per-row parameter processing, and psycopg's per-row `write_row`, cost more than the
    database's insert itself. A value met again (the moment of the flush, a record's fields in
    its revision) is converted once: `memo` holds the conversions by kind and object, for as
    long as the rows (and so their values) live.
    """
    if names is None:  # rows of dicts
        names = [name for name in rows[0] if name != late]
        get: Callable[[Any], Any] = (
            itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        )
    else:  # rows of values in the order of `names`
        get = tuple
    if dialect.name == "postgresql":
        try:
            lines = copy_lines(dialect, table, names, rows, get, memo)
        except Unformatted:
            pass
        else:
            return PreparedRows(table, names, lines, None, late)
    columns: list[Any] = list(zip(*[get(row) for row in rows], strict=True))
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    # A column null in every row (a household's household_id, review and campaign columns) is
    # left out when it would be stored as NULL and the table gives it no default: the same
    # NULL, without binding it row by row (sqlite3 looks for an adapter for each None it binds).
    empty = {
        i
        for i, name in enumerate(names)
        if columns[i][0] is None
        and table.c[name].server_default is None
        and (processors[i] is None or processors[i](None) is None)
        and columns[i].count(None) == len(columns[i])
    }
    if empty and len(empty) < len(names):
        names = [name for i, name in enumerate(names) if i not in empty]
        columns = [column for i, column in enumerate(columns) if i not in empty]
        processors = [process for i, process in enumerate(processors) if i not in empty]
    for i, (name, process) in enumerate(zip(names, processors, strict=True)):
        if process is None:
            continue
        kind = table.c[name].type
        # The conversions of this column type, by the object converted; the loops over a column
        # are the builtins' own (a thousand rows share a few moments and convert each once).
        seen = memo.setdefault((type(kind), 0), {})
        ids = list(map(id, columns[i]))
        for value, key in zip(columns[i], ids, strict=True):
            if key not in seen:
                seen[key] = process(value)
        columns[i] = list(map(seen.__getitem__, ids))
    values = list(zip(*columns, strict=True))
    return PreparedRows(table, names, None, values, late)


def copy_lines(
    dialect: Dialect,
    table: Table,
    names: list[str],
    rows: list[Any],
    get: Callable[[Any], Any],
    memo: dict[Any, Any],
) -> list[str]:
    """Each row's line of COPY text (tab-separated, no line break); `Unformatted` when a value
    is of a type `copy_text` does not write. Made a column at a time: most columns need no
    escaping at all, which one search of the whole column tells."""
    serialize = dialect._json_serializer or json.dumps  # type: ignore[attr-defined]
    columns = list(zip(*[get(row) for row in rows], strict=True)) if names else []
    texts: list[list[str]] = []
    for name, values in zip(names, columns, strict=True):
        kind = table.c[name].type
        if isinstance(kind, sqltypes.JSON):
            if kind.none_as_null:
                raise Unformatted("JSON, none as null")
            text = []
            for value in values:
                key = ("copy", id(value))
                found = memo.get(key)
                if found is None:
                    found = memo[key] = serialize(value)
                text.append(found)
            values = text
        elif isinstance(kind, sqltypes.Boolean):
            texts.append([copy_bool(value) for value in values])
            continue
        elif kind._cached_bind_processor(dialect) is not None:
            raise Unformatted(type(kind).__name__)
        kinds = set(map(type, values))
        if kinds <= {int, datetime, type(None)}:  # numbers and moments: a few distinct ones
            once: dict[int, str] = {}
            texts.append([once.get(id(v)) or once.setdefault(id(v), copy_text(v)) for v in values])
            continue
        if not kinds <= {str, type(None)}:
            texts.append([copy_text(value) for value in values])
            continue
        present = values if type(None) not in kinds else [v for v in values if v is not None]
        if needs_escape("".join(present)):
            texts.append([copy_text(value) for value in values])
        elif len(present) < len(values):
            texts.append([NULL_TEXT if value is None else value for value in values])
        else:
            texts.append(list(values))
    return ["\t".join(parts) for parts in zip(*texts, strict=True)]


def write_rows(
    connection: Connection, prepared: PreparedRows, late: list[Any] | None = None
) -> None:
    """INSERT prepared rows straight through the driver: one executemany on SQLite, one COPY on
    PostgreSQL; `late` has the value of the `late` column for each row."""
    names = prepared.names if prepared.late is None else [*prepared.names, prepared.late]
    assert (late is None) == (prepared.late is None)
    columns = ", ".join(names)
    dialect = connection.dialect
    table = prepared.table.name
    if dialect.name == "sqlite":
        marks = ", ".join("?" for _ in names)
        statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    else:
        statement = f"COPY {table} ({columns}) FROM STDIN"
    values = prepared.values
    if values is not None and late is not None:
        values = [(*value, last) for value, last in zip(values, late, strict=True)]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if dialect.name == "sqlite":
            cursor.executemany(statement, values)
        else:
            # COPY text goes in the connection's encoding, as psycopg's own rows would.
            encoding = cursor.connection.info.encoding
            with cursor.copy(statement) as copy:
                if prepared.lines is None:
                    for value in values or ():
                        copy.write_row(value)
                elif late is None:
                    copy.write(("\n".join(prepared.lines) + "\n").encode(encoding))
                else:
                    text = "".join(
                        f"{line}\t{copy_text(last)}\n"
                        for line, last in zip(prepared.lines, late, strict=True)
                    )
                    copy.write(text.encode(encoding))
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy would have raised it (a full disk is a 507, a duplicate an IntegrityError).
        raise DBAPIError.instance(
            statement, None, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    finally:
        cursor.close()


def insert_rows(
    connection: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    memo: dict[Any, Any] | None = None,
) -> None:
    """INSERT these rows (each with the same keys) straight through the driver (see
    `prepare_rows` and `write_rows`)."""
    memo = {} if memo is None else memo
    write_rows(connection, prepare_rows(connection.dialect, table, rows, memo))
