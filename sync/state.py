"""A record's current state in memory, and its shape on the wire (§2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from .ascii_json import ascii_dumps, ascii_text
from .catalogue import CollectionRule
from .derived import CountKey, count_key
from .models import Record
from .text import fold

COLUMNS = tuple(c.name for c in Record.__table__.columns)

# The server's table of people (its model lives in the server): the engine reads their names for
# the wire format, and a user's unit for the work done on their behalf (§6a).
USERS = table("users", column("id"), column("display_name"), column("unit_id"))


class RecordState:
    """One row of `records`, held while a request works on it, then written back in bulk."""

    # `stored`: (seq, search text, count key) as the database holds them, None for a new record;
    # what the flush takes out of the counts and the search index (see `sync.derived`).
    __slots__ = (*COLUMNS, "is_new", "dirty", "stored")

    collection: str
    id: str
    rev: int
    deleted: bool
    fields: dict[str, Any]
    quarter_id: str | None
    household_id: str | None
    seq: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None
    review_status: str
    review_comment: str | None
    review_by: str | None
    review_at: datetime | None
    open_conflicts: int
    search_text: str
    unit_id: str | None

    def __init__(self, row: Mapping[str, Any], *, is_new: bool = False) -> None:
        for name in COLUMNS:
            setattr(self, name, row.get(name))
        self.is_new = is_new
        self.dirty = is_new
        self.stored: tuple[int, str, CountKey | None] | None = (
            None if is_new else (self.seq, self.search_text, self.count_key())
        )

    @classmethod
    def created(
        cls,
        collection: str,
        record_id: str,
        fields: dict[str, Any],
        *,
        quarter_id: str | None,
        unit_id: str | None,
        user_id: str,
        now: datetime,
        seq: int,
        rule: CollectionRule,
    ) -> RecordState:
        """A brand-new record at rev 1; `unit_id` is its creator's unit, kept for good."""
        # Set one by one rather than through `__init__`'s row: a push makes a thousand of these.
        state = cls.__new__(cls)
        state.collection, state.id, state.rev, state.deleted = collection, record_id, 1, False
        state.fields, state.quarter_id = fields, quarter_id
        state.household_id = fields.get("household_id")
        state.seq = seq
        state.created_at = state.updated_at = now
        state.created_by = state.updated_by = user_id
        state.review_status, state.review_comment = "pending", None
        state.review_by = state.review_at = None
        state.open_conflicts = 0
        state.search_text, state.campaign_id, state.dated_on = "", None, None
        state.unit_id = unit_id
        state.is_new = state.dirty = True
        state.stored = None
        state.refresh_derived(rule)
        return state

    def count_key(self) -> CountKey | None:
        """The key the record is counted under in `record_counts` (None: not counted)."""
        return count_key(self.collection, self.quarter_id, self.review_status, self.deleted)

    @property
    def key(self) -> tuple[str, str]:
        return (self.collection, self.id)

    def refresh_derived(self, rule: CollectionRule) -> None:
        """Recompute the columns copied from the fields: search text, campaign, date."""
        parts = [self.fields.get(name) for name in rule.search_fields]
        self.search_text = fold(" ".join([str(p) for p in parts if p]))
        campaign = self.fields.get("campaign_id")
        self.campaign_id = campaign if isinstance(campaign, str) else None
        day = self.fields.get(rule.date_field) if rule.date_field else None
        self.dated_on = day[:10] if isinstance(day, str) else None

    def row(self) -> dict[str, Any]:
        """The columns, for a bulk INSERT or UPDATE."""
        return {name: getattr(self, name) for name in COLUMNS}


def load_states(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], RecordState]:
    """Load the current state of the records with these (collection, id) keys.

    One query per collection and 500 ids, on the primary key (collection, id): the cost follows
    the number of keys, not the size of the table.
    """
    by_collection: dict[str, set[str]] = {}
    for collection, record_id in keys:
        by_collection.setdefault(collection, set()).add(record_id)
    found: dict[tuple[str, str], RecordState] = {}
    table = Record.__table__
    for collection, wanted in sorted(by_collection.items()):
        ids = sorted(wanted)
        for start in range(0, len(ids), 500):
            query = select(table).where(
                table.c.collection == collection,
                among(session, table.c.id, ids[start : start + 500]),
            )
            for row in session.execute(query).mappings():
                found[(row["collection"], row["id"])] = RecordState(row)
    return found


def among(session: Session, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN (values)` with the values as one parameter instead of one each (SQLAlchemy
    would write each into the statement's text, and the driver parse it out again every time):
    on PostgreSQL `column = ANY(array)` (of one comma-separated text when no value has a comma),
    on SQLite `column IN (SELECT value FROM json_each(…))` of a JSON array; either searches the
    index once per value just the same."""
    if session.get_bind().dialect.name == "postgresql":
        if all(value and "," not in value for value in values):
            # One text the server splits: psycopg builds an array parameter in Python, value by
            # value (about five times the CPU for 500 ids).
            joined = bindparam(None, ",".join(values), type_=Text)
            return column == any_(func.string_to_array(joined, ",", type_=ARRAY(Text)))
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    listed = bindparam(None, orjson.dumps(values).decode(), type_=Text)
    return column.in_(select(literal_column("value")).select_from(func.json_each(listed)))


def user_names(session: Session, user_ids: Iterable[str | None]) -> dict[str, str]:
    """Display names of these users, for the `created_by`/`updated_by` of the wire format."""
    ids = sorted({u for u in user_ids if u})
    if not ids:
        return {}
    rows = session.execute(select(USERS.c.id, USERS.c.display_name).where(USERS.c.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with offset; naive datetimes (SQLite) are UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.isoformat(timespec="seconds") + "+00:00"
    return moment.isoformat(timespec="seconds")


def person(user_id: str | None, names: Mapping[str, str]) -> dict[str, str] | None:
    """`{"id", "name"}` of a user, or null."""
    if not user_id:
        return None
    return {"id": user_id, "name": names.get(user_id, "")}


def to_wire(state: RecordState | Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The record as the protocol shows it (§2)."""
    get = state.get if isinstance(state, Mapping) else lambda name: getattr(state, name)
    return {
        "id": get("id"),
        "collection": get("collection"),
        "rev": get("rev"),
        "deleted": bool(get("deleted")),
        "fields": get("fields"),
        "meta": {
            "quarter_id": get("quarter_id"),
            "unit_id": get("unit_id"),
            "created_at": iso(get("created_at")),
            "created_by": person(get("created_by"), names),
            "updated_at": iso(get("updated_at")),
            "updated_by": person(get("updated_by"), names),
            "review": {
                "status": get("review_status"),
                "comment": get("review_comment"),
                "by": person(get("review_by"), names),
                "at": iso(get("review_at")),
            },
            "open_conflicts": get("open_conflicts") or 0,
        },
    }


class PageWriter:
    """Records on the wire for one pull page or one push's results (§2), built for speed: the
    stored fields of a page pass through as the JSON text they were stored as (never parsed and
    re-encoded), and each moment and each person is formatted once (a batch of records shares
    them)."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names
        self.moments: dict[Any, str | None] = {None: None}
        self.people: dict[str | None, dict[str, str] | None] = {None: None}
        # The metas of records in memory, by what they are made of (see `state`).
        self.metas: dict[tuple[Any, ...], dict[str, Any]] = {}
        # The metas of stored rows, as JSON text, by the row's meta columns (see `change`).
        self.meta_texts: dict[tuple[Any, ...], orjson.Fragment] = {}

    def moment(self, value: datetime | None) -> str | None:
        text = self.moments.get(value, False)
        if text is False:
            text = self.moments[value] = iso(value)
        return text  # type: ignore[return-value]

    def person(self, user_id: str | None) -> dict[str, str] | None:
        found = self.people.get(user_id, False)
        if found is False:
            found = self.people[user_id] = person(user_id, self.names)
        return found  # type: ignore[return-value]

    def state(self, state: RecordState) -> dict[str, Any]:
        """`to_wire` of a record in memory. The records of one push share nearly all of their
        meta (one moment, one author, a few neighbourhoods): records with the same meta get
        the same object, built once."""
        key = (
            state.quarter_id,
            state.unit_id,
            state.created_at,
            state.created_by,
            state.updated_at,
            state.updated_by,
            state.review_status,
            state.review_comment,
            state.review_by,
            state.review_at,
            state.open_conflicts or 0,
        )
        meta = self.metas.get(key)
        if meta is None:
            meta = self.metas[key] = self.meta(state)
        return {
            "id": state.id,
            "collection": state.collection,
            "rev": state.rev,
            "deleted": bool(state.deleted),
            "fields": state.fields,
            "meta": meta,
        }

    def change(self, row: Any) -> dict[str, Any]:
        """The change of a pull page (§5) for a row of `WIRE_COLUMNS`, its record as `to_wire`
        shows it: the fields as their stored JSON text, in ASCII as the page will be.

        A page's records share nearly all of their metas (those pushed together have one
        moment and one author): each is written out once, as JSON text in ASCII, and passed
        through for the others."""
        collection, record_id, rev, deleted, _seq, fields_json = row[:META_AT]
        key = row[META_AT:]
        meta = self.meta_texts.get(key)
        if meta is None:
            meta = self.meta_texts[key] = orjson.Fragment(ascii_dumps(self.meta(row)))
        deleted = bool(deleted)
        return {
            "op": "delete" if deleted else "upsert",
            "collection": collection,
            "id": record_id,
            "rev": rev,
            "record": {
                "id": record_id,
                "collection": collection,
                "rev": rev,
                "deleted": deleted,
                "fields": orjson.Fragment(ascii_text(fields_json)),
                "meta": meta,
            },
        }

    def meta(self, record: Any) -> dict[str, Any]:
        """The `meta` of `to_wire` for a record state or a row (both name their columns alike)."""
        return {
            "quarter_id": record.quarter_id,
            "unit_id": record.unit_id,
            "created_at": self.moment(record.created_at),
            "created_by": self.person(record.created_by),
            "updated_at": self.moment(record.updated_at),
            "updated_by": self.person(record.updated_by),
            "review": {
                "status": record.review_status,
                "comment": record.review_comment,
                "by": self.person(record.review_by),
                "at": self.moment(record.review_at),
            },
            "open_conflicts": record.open_conflicts or 0,
        }


# The columns of the wire format's `meta`, last in `WIRE_COLUMNS`: a row's slice from `META_AT`
# tells one meta from another (`PageWriter.change`).
META_COLUMNS = (
    "quarter_id",
    "unit_id",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "review_status",
    "review_comment",
    "review_by",
    "review_at",
    "open_conflicts",
)


# What `PageWriter.change` reads: the columns of the wire format, the fields as their JSON text
# (in this order: `change` unpacks a row's head by position).
WIRE_COLUMNS = (
    *(Record.__table__.c[name] for name in ("collection", "id", "rev", "deleted", "seq")),
    cast(Record.__table__.c.fields, Text).label("fields_json"),
    *(Record.__table__.c[name] for name in META_COLUMNS),
)
META_AT = len(WIRE_COLUMNS) - len(META_COLUMNS)
WIRE_NAMES = [column.name for column in WIRE_COLUMNS]
SEQ_AT = WIRE_NAMES.index("seq")


def people_of(rows: list[Any]) -> set[str]:
    """Every user id the metas of rows of `WIRE_COLUMNS` mention (`wire_names_for` of rows)."""
    ids: set[str] = set()
    for name in ("created_by", "updated_by", "review_by"):
        ids.update(map(itemgetter(WIRE_NAMES.index(name)), rows))
    ids.discard(None)  # type: ignore[arg-type]
    return ids


def wire_names_for(states: Iterable[RecordState | Mapping[str, Any]]) -> set[str]:
    """Every user id a list of records mentions in its meta."""
    ids: set[str] = set()
    for state in states:
        get = state.get if isinstance(state, Mapping) else lambda name, s=state: getattr(s, name)
        ids.update(u for u in (get("created_by"), get("updated_by"), get("review_by")) if u)
    return ids
