"""The change feed: sequence numbers, cursors, and the pull of §5.

Completeness (§1.3) rests on one rule: **every writing transaction first locks the single
`feed_state` row and holds that lock until it commits**, and only then takes sequence numbers.
So transactions that take sequence numbers commit one after another, in sequence order; a reader
that sees sequence N committed knows that every smaller number is committed too (PostgreSQL makes
a transaction visible before it releases its locks). On SQLite the same UPDATE takes the database
write lock, which gives the same order. A pull reads the committed counter first and never reads
past it, so no later commit can land behind a cursor it handed out.

Each record row carries the sequence number of its latest change, so a page holds a record at
most once, at its newest state, and costs an index range scan the size of the page. A record that
leaves a neighbourhood leaves a row in `moves`: devices scoped to the old neighbourhood get an
`evict` for it. A user who gains a neighbourhood gets its whole history (a per-neighbourhood
override in the cursor); one who loses one gets an `evict` for each of its records.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from .errors import BadCursor, CursorExpired
from .ids import CANONICAL_UUID
from .models import FeedState, Move, Record
from .state import to_wire, user_names, wire_names_for

CURSOR_VERSION = 1


class SequenceLock:
    """The feed lock held by one writing transaction, handing out sequence numbers."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) until commit.
        session.execute(update(FeedState).where(FeedState.id == 1).values(seq=FeedState.seq))
        self.last = session.execute(select(FeedState.seq).where(FeedState.id == 1)).scalar_one()
        self.first = self.last + 1

    def next(self) -> int:
        """The next sequence number."""
        self.last += 1
        return self.last

    def close(self) -> None:
        """Record the numbers taken; the caller's commit publishes them."""
        if self.last >= self.first:
            self.session.execute(update(FeedState).where(FeedState.id == 1).values(seq=self.last))


def ensure_feed_state(session: Session, epoch: str) -> None:
    """Create the feed's counter row if the database is new."""
    if session.get(FeedState, 1) is None:
        session.add(FeedState(id=1, seq=0, purged_seq=0, epoch=epoch))
        session.flush()


@dataclass
class Cursor:
    """Where a device stands in the feed (opaque on the wire: base64 of this, as JSON).

    `seq` covers every neighbourhood in `scope` except those in `catching_up` (gained since,
    each with its own position); `evicting` lists neighbourhoods lost since, with the progress
    of their evictions. `scope` is None for an admin, who sees everything.
    """

    epoch: str
    seq: int = 0
    scope: list[str] | None = None
    catching_up: dict[str, int] = field(default_factory=dict)
    evicting: dict[str, int] = field(default_factory=dict)

    def encode(self) -> str:
        body = {"v": CURSOR_VERSION, "e": self.epoch, "s": self.seq, "q": self.scope}
        if self.catching_up:
            body["a"] = self.catching_up
        if self.evicting:
            body["x"] = self.evicting
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse a cursor; anything this server did not make → `BadCursor` (400)."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            body = json.loads(raw)
            if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
                raise ValueError("version")
            scope = body["q"]
            if scope is not None and not isinstance(scope, list):
                raise ValueError("scope")
            cursor = cls(
                epoch=str(body["e"]),
                seq=_non_negative(body["s"]),
                scope=None if scope is None else [_quarter(q) for q in scope],
                catching_up={_quarter(k): _non_negative(v) for k, v in body.get("a", {}).items()},
                evicting={_quarter(k): _non_negative(v) for k, v in body.get("x", {}).items()},
            )
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            binascii.Error,
            UnicodeDecodeError,
        ) as exc:
            raise BadCursor("The cursor is not valid.", {"cursor": ["Malformed cursor."]}) from exc
        return cursor


def _quarter(value: Any) -> str:
    if not isinstance(value, str) or not CANONICAL_UUID.fullmatch(value):
        raise ValueError("quarter")
    return value


def _non_negative(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("position")
    return value


def pull(
    session: Session, scope: frozenset[str] | None, cursor_text: str | None, limit: int
) -> dict[str, Any]:
    """One page of changes after `cursor_text` for a user seeing `scope` (None = everything)."""
    state = session.execute(select(FeedState)).scalar_one()
    # Read the committed counter first: everything up to it is already visible (see above).
    head = state.seq
    scope_list = None if scope is None else sorted(scope)
    if cursor_text:
        cursor = Cursor.decode(cursor_text)
        if cursor.epoch != state.epoch:
            raise CursorExpired(
                "This cursor belongs to another database; sync again from the start."
            )
        if cursor.seq > head:
            raise BadCursor("The cursor is ahead of the server.", {"cursor": ["Unknown position."]})
        if cursor.seq < state.purged_seq:
            raise CursorExpired("The cursor is too old; sync again from the start.")
        _adjust_scope(cursor, scope_list)
    else:
        cursor = Cursor(epoch=state.epoch, seq=0, scope=scope_list)

    if cursor.evicting:
        return _evictions_page(session, cursor, limit)
    return _changes_page(session, cursor, scope, head, limit)


def _adjust_scope(cursor: Cursor, scope: list[str] | None) -> None:
    """Start catch-up for neighbourhoods gained and evictions for those lost since the cursor."""
    if cursor.scope == scope:
        return
    if cursor.scope is None or scope is None:
        raise CursorExpired("Your access changed; sync again from the start.")
    before, now = set(cursor.scope), set(scope)
    for quarter in now - before:
        cursor.catching_up[quarter] = 0
        cursor.evicting.pop(quarter, None)
    for quarter in before - now:
        cursor.catching_up.pop(quarter, None)
        cursor.evicting[quarter] = 0
    cursor.scope = scope


def _evictions_page(session: Session, cursor: Cursor, limit: int) -> dict[str, Any]:
    """Evict every record of the neighbourhoods the user lost, a page at a time."""
    changes: list[dict[str, Any]] = []
    for quarter in sorted(cursor.evicting):
        room = limit - len(changes)
        if room <= 0:
            break
        rows = session.execute(
            select(Record.collection, Record.id, Record.seq)
            .where(Record.quarter_id == quarter, Record.seq > cursor.evicting[quarter])
            .order_by(Record.seq)
            .limit(room)
        ).all()
        changes.extend({"op": "evict", "collection": c, "id": i} for c, i, _ in rows)
        if len(rows) < room:
            del cursor.evicting[quarter]
        else:
            cursor.evicting[quarter] = rows[-1].seq
    return {"changes": changes, "cursor": cursor.encode(), "more": True}


def _changes_page(
    session: Session, cursor: Cursor, scope: frozenset[str] | None, head: int, limit: int
) -> dict[str, Any]:
    table = Record.__table__
    in_range = table.c.seq <= head
    if scope is None:
        visible = table.c.seq > cursor.seq
    else:
        steady = [q for q in scope if q not in cursor.catching_up]
        clauses = [
            and_(
                or_(table.c.quarter_id.in_(steady), table.c.quarter_id.is_(None)),
                table.c.seq > cursor.seq,
            )
        ]
        clauses += [
            and_(table.c.quarter_id == q, table.c.seq > position)
            for q, position in cursor.catching_up.items()
        ]
        visible = or_(*clauses)
    rows = (
        session.execute(
            select(table).where(visible, in_range).order_by(table.c.seq).limit(limit + 1)
        )
        .mappings()
        .all()
    )

    departures: list[Any] = []
    if scope is not None:
        departures = session.execute(
            select(Move.seq, Move.collection, Move.record_id, Record.quarter_id)
            .join(Record, and_(Record.collection == Move.collection, Record.id == Move.record_id))
            .where(Move.seq > cursor.seq, Move.seq <= head, Move.from_quarter.in_(scope))
            .order_by(Move.seq)
            .limit(limit + 1)
        ).all()

    events: list[tuple[int, str, Any]] = [(row["seq"], "record", row) for row in rows]
    events += [(d.seq, "move", d) for d in departures]
    events.sort(key=lambda event: event[0])
    more = len(events) > limit or len(rows) > limit or len(departures) > limit
    events = events[:limit]
    last = events[-1][0] if (more and events) else head

    names = user_names(session, wire_names_for(row for _, kind, row in events if kind == "record"))
    changes: list[dict[str, Any]] = []
    evicted: set[tuple[str, str]] = set()
    for _, kind, item in events:
        if kind == "record":
            changes.append(
                {
                    "op": "delete" if item["deleted"] else "upsert",
                    "collection": item["collection"],
                    "id": item["id"],
                    "rev": item["rev"],
                    "record": to_wire(item, names),
                }
            )
            continue
        key = (item.collection, item.record_id)
        if (
            key in evicted
            or item.quarter_id is None
            or (scope is not None and item.quarter_id in scope)
        ):
            continue  # back in scope: its upsert comes in this page or a later one
        evicted.add(key)
        changes.append({"op": "evict", "collection": item.collection, "id": item.record_id})

    cursor.seq = max(cursor.seq, last)
    for quarter, position in list(cursor.catching_up.items()):
        position = max(position, last)
        if position >= cursor.seq:
            del cursor.catching_up[quarter]
        else:
            cursor.catching_up[quarter] = position
    return {"changes": changes, "cursor": cursor.encode(), "more": more}
