"""Tables of the sync engine.

Plain SQLAlchemy (no Flask). Alembic migrations are generated from this metadata and the
server's (`server.models`: the people who sign in, their tokens, the audit log).

Every synced record of every collection lives in `records` (its fields as JSON, the scope and
review as columns); every revision of it in `revisions` (a full snapshot, which is what the §4
three-way merge reads its base from); every op a device sent in `ops` (§1.1, nothing typed is lost).
`feed_state` holds the change-feed counter: see `sync.feed` for how it keeps pulls complete.
`record_counts` holds how many live records each collection has per neighbourhood and review
status, for a record list's `total`; the unit of work keeps it (and, on SQLite, the FTS5 index
`records_search` that `q` searches) in step with every write, in the writing transaction
(`sync.derived`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UUID_LEN = 36
TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base of the engine's tables."""

    metadata = MetaData(naming_convention=NAMING)


class Record(Base):
    """The current state of one synced record (§2)."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_quarter_seq", "quarter_id", "seq"),
        Index("ix_records_collection_updated", "collection", "updated_at"),
        # The report's: only the records that have a date or a campaign. Households, most of
        # what a push creates, have neither, and a key shared by every one of them costs an
        # insert as much as a distinct one (PostgreSQL: about 2.5 ms per 1,000 households each).
        Index(
            "ix_records_collection_dated",
            "collection",
            "dated_on",
            sqlite_where=text("dated_on IS NOT NULL"),
            postgresql_where=text("dated_on IS NOT NULL"),
        ),
        Index(
            "ix_records_collection_campaign",
            "collection",
            "campaign_id",
            sqlite_where=text("campaign_id IS NOT NULL"),
            postgresql_where=text("campaign_id IS NOT NULL"),
        ),
        # Only the records that belong to a household: a household (most of what a push
        # creates) has none, and every read here asks for one household's records.
        Index(
            "ix_records_household_id",
            "household_id",
            sqlite_where=text("household_id IS NOT NULL"),
            postgresql_where=text("household_id IS NOT NULL"),
        ),
    )

    collection: Mapped[str] = mapped_column(String(20), primary_key=True)
    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    rev: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The neighbourhood the record belongs to (derived for child records); null = everyone's.
    quarter_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    household_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    created_by: Mapped[str | None] = mapped_column(String(UUID_LEN))
    updated_at: Mapped[datetime] = mapped_column(TS)
    updated_by: Mapped[str | None] = mapped_column(String(UUID_LEN))
    review_status: Mapped[str] = mapped_column(String(12), default="pending")
    review_comment: Mapped[str | None] = mapped_column(Text)
    review_by: Mapped[str | None] = mapped_column(String(UUID_LEN))
    review_at: Mapped[datetime | None] = mapped_column(TS)
    open_conflicts: Mapped[int] = mapped_column(Integer, default=0)
    # Names and addresses without diacritics, lower case: what `q` searches (§6).
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Copied from the fields for the campaign report's filters, so they can use an index:
    # the campaign it is tagged with, and the day it happened (`YYYY-MM-DD`, local to the visit).
    campaign_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    dated_on: Mapped[str | None] = mapped_column(String(10))
    # The creator's unit when the record was created (field data only): work counts for the
    # unit that did it, even after its author moves to another unit.
    unit_id: Mapped[str | None] = mapped_column(String(UUID_LEN))


class RecordCount(Base):
    """How many live (not deleted) records of a collection a neighbourhood has in a review status.

    Written with the records, by the flush of the unit of work (`sync.derived`): a record list
    asks it for `total` when no filter other than scope, neighbourhood and review status applies.
    """

    __tablename__ = "record_counts"

    collection: Mapped[str] = mapped_column(String(20), primary_key=True)
    # The record's quarter_id, or '' for a record of no neighbourhood (everyone's).
    quarter_key: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    review_status: Mapped[str] = mapped_column(String(12), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class Revision(Base):
    """One revision of a record: who, which device, when, what changed, and the full state.

    A create's `changes` are written empty, since its fields are all it changed
    (`sync.records.changes_of`); older rows hold them in full, which reads the same."""

    __tablename__ = "revisions"

    collection: Mapped[str] = mapped_column(String(20), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    rev: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(TS)
    user_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    device_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    op_id: Mapped[str | None] = mapped_column(String(UUID_LEN))


class Op(Base):
    """Every op a device pushed, with its payload and result, kept for good (§1.1).

    A rejected op its author handed to an admin (§6a) carries that escalation's state, note and
    decision (who, when, and the reason of a decline or the result of an apply)."""

    __tablename__ = "ops"
    # Only the escalated ops (few), which are the only ones read by their escalation: every op a
    # push logs would otherwise add an entry.
    __table_args__ = (
        Index(
            "ix_ops_escalation",
            "escalation",
            "escalated_at",
            sqlite_where=text("escalation IS NOT NULL"),
            postgresql_where=text("escalation IS NOT NULL"),
        ),
    )

    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # Null when the device sent something that is not a UUID: the op is still kept.
    op_id: Mapped[str | None] = mapped_column(String(UUID_LEN), unique=True)
    user_id: Mapped[str] = mapped_column(String(UUID_LEN))
    device_id: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(TS)
    client_time: Mapped[str | None] = mapped_column(String(64))
    collection: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    escalation: Mapped[str | None] = mapped_column(String(10))
    escalated_at: Mapped[datetime | None] = mapped_column(TS)
    escalation_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(UUID_LEN))
    decided_at: Mapped[datetime | None] = mapped_column(TS)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Conflict(Base):
    """A conflict an admin must resolve (§6), with the values of both sides."""

    __tablename__ = "conflicts"
    __table_args__ = (Index("ix_conflicts_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    collection: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    quarter_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    kind: Mapped[str] = mapped_column(String(16))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_rev: Mapped[int | None] = mapped_column(Integer)
    server_rev: Mapped[int] = mapped_column(Integer)
    server_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    op_id: Mapped[str] = mapped_column(String(UUID_LEN))
    user_id: Mapped[str] = mapped_column(String(UUID_LEN))
    device_id: Mapped[str | None] = mapped_column(String(100))
    client_time: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(TS)
    resolved_by: Mapped[str | None] = mapped_column(String(UUID_LEN))
    resolved_at: Mapped[datetime | None] = mapped_column(TS)
    resolution: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Move(Base):
    """A record leaving a neighbourhood: devices scoped to `from_quarter` get an `evict` (§5)."""

    __tablename__ = "moves"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    collection: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(UUID_LEN))
    from_quarter: Mapped[str | None] = mapped_column(String(UUID_LEN), index=True)
    to_quarter: Mapped[str | None] = mapped_column(String(UUID_LEN))


class FeedState(Base):
    """The single row that orders the change feed (see `sync.feed`)."""

    __tablename__ = "feed_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Tombstones with seq <= purged_seq are gone: older cursors get 410 (§5).
    purged_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    epoch: Mapped[str] = mapped_column(String(36))
    # Signs pull cursors (§5) unless the server is given DOORSTEP_SECRET_KEY; made by `init-db`,
    # so every server process on one database shares it.
    secret: Mapped[str] = mapped_column(String(64))


class ReviewBatch(Base):
    """One bulk review (§6): the records it reviewed and the review each had before, so that the
    reviewer can undo it."""

    __tablename__ = "review_batches"
    __table_args__ = (Index("ix_review_batches_user_at", "user_id", "at"),)

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(UUID_LEN))
    collection: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(TS)
    # [{"id", "rev" (the record's rev after it), "before": {"status", "comment", "by", "at"}}]
    items: Mapped[list[Any]] = mapped_column(JSON)
    undone_at: Mapped[datetime | None] = mapped_column(TS)
