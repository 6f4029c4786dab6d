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
override in the cursor).

A user who loses a neighbourhood Q may hold any record that was in Q at the cursor's position S.
Each such record is now either still in Q, or it has left Q since S (a row in `moves` from Q
after S). So before any further change, the device gets an `evict` for every record in Q, then
for every record that moved out of Q after S and is not in the scope now. Both scans run until
they find nothing more, in that order: a record that leaves Q while the first scan runs is caught
by the second. Whatever moves back into the scope later has a newer sequence number than S, so its
upsert follows the evictions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import json
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from .errors import BadCursor, CursorExpired
from .ids import CANONICAL_UUID
from .models import FeedState, Move, Record, RecordCount
from .state import SEQ_AT, WIRE_COLUMNS, PageWriter, people_of, user_names

CURSOR_VERSION = 2
# `remaining` is counted exactly up to this many changes; beyond, it is estimated: from the live
# records in scope (`record_counts`, before any counting on a first sync), then carried in the
# cursor and lowered by each page sent, uncounted while it stays at this many or more (counting a
# big town's neighbourhoods would cost a page what the town holds).
COUNTED_UP_TO = 10_000
# Positions are BIGINT sequence numbers: anything larger is no position this server made.
MAX_SEQ = 2**63 - 1


class SequenceLock:
    """The feed lock held by one writing transaction, handing out sequence numbers."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) until commit, and
        # gives the counter back (RETURNING) in the same statement. On the table, not the ORM
        # class: an ORM update would first look for FeedState objects to bring up to date on
        # every push, and no writer keeps one.
        feed = FeedState.__table__
        self.last = session.execute(
            update(feed).where(feed.c.id == 1).values(seq=feed.c.seq).returning(feed.c.seq)
        ).scalar_one()
        self.first = self.last + 1

    def next(self) -> int:
        """The next sequence number."""
        self.last += 1
        return self.last

    def close(self) -> None:
        """Record the numbers taken; the caller's commit publishes them."""
        if self.last >= self.first:
            feed = FeedState.__table__
            self.session.execute(update(feed).where(feed.c.id == 1).values(seq=self.last))


def stored_secret(session: Session) -> str:
    """The cursor-signing secret kept in the database (made by `init-db`)."""
    return session.execute(select(FeedState.secret).where(FeedState.id == 1)).scalar_one()


def _signature(secret: bytes, body: str) -> str:
    digest = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _malformed() -> BadCursor:
    return BadCursor("The cursor is not valid.", {"cursor": ["Malformed cursor."]})


@dataclass
class Cursor:
    """Where a device stands in the feed (§5).

    On the wire: base64 of this as JSON, a dot, and its HMAC-SHA256 under the server's secret, so
    a device can neither read another neighbourhood through it nor hand it to another user.
    `seq` covers every neighbourhood in `scope` except those in `catching_up` (gained since,
    each with its own position). For each neighbourhood lost since, `evicting` holds the progress
    of the scan of its records, then `departed` that of the scan of the records that moved out
    of it (see the module docstring). `scope` is None for an admin, who sees everything.
    """

    epoch: str
    user: str
    seq: int = 0
    scope: list[str] | None = None
    catching_up: dict[str, int] = field(default_factory=dict)
    evicting: dict[str, int] = field(default_factory=dict)
    departed: dict[str, int] = field(default_factory=dict)
    # The `remaining` of the page this cursor came with, when it was estimated rather than
    # counted (see `remaining`).
    estimate: int | None = None

    def encode(self, secret: bytes) -> str:
        """The signed, opaque form handed to the device."""
        body = {"v": CURSOR_VERSION, "e": self.epoch, "u": self.user, "s": self.seq}
        body["q"] = self.scope
        if self.catching_up:
            body["a"] = self.catching_up
        if self.evicting:
            body["x"] = self.evicting
        if self.departed:
            body["m"] = self.departed
        if self.estimate is not None:
            body["r"] = self.estimate
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{text}.{_signature(secret, text)}"

    @classmethod
    def decode(cls, text: str, secret: bytes, user: str) -> Cursor:
        """Check the signature and the owner first, then parse: else `BadCursor` (400)."""
        body_text, dot, signature = text.partition(".")
        if not dot or not body_text.isascii() or not signature.isascii():
            raise _malformed()
        if not hmac.compare_digest(signature, _signature(secret, body_text)):
            raise BadCursor(
                "The cursor is not valid; sync again from the start.",
                {"cursor": ["Not signed by this server."]},
            )
        try:
            raw = base64.urlsafe_b64decode(body_text + "=" * (-len(body_text) % 4))
            body = json.loads(raw)
            if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
                raise ValueError("version")
            scope = body["q"]
            if scope is not None and not isinstance(scope, list):
                raise ValueError("scope")
            cursor = cls(
                epoch=str(body["e"]),
                user=str(body["u"]),
                seq=_position(body["s"]),
                scope=None if scope is None else [_quarter(q) for q in scope],
                catching_up={_quarter(k): _position(v) for k, v in body.get("a", {}).items()},
                evicting={_quarter(k): _position(v) for k, v in body.get("x", {}).items()},
                departed={_quarter(k): _position(v) for k, v in body.get("m", {}).items()},
                estimate=None if body.get("r") is None else _position(body["r"]),
            )
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            binascii.Error,
            UnicodeDecodeError,
        ) as exc:
            raise _malformed() from exc
        if cursor.user != user:
            raise BadCursor(
                "This cursor was given to someone else.", {"cursor": ["Not your cursor."]}
            )
        return cursor

    def positions(self) -> list[int]:
        """Every feed position the cursor names."""
        return [
            self.seq,
            *self.catching_up.values(),
            *self.evicting.values(),
            *self.departed.values(),
        ]


def _quarter(value: Any) -> str:
    if not isinstance(value, str) or not CANONICAL_UUID.fullmatch(value):
        raise ValueError("quarter")
    return value


def _position(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SEQ:
        raise ValueError("position")
    return value


def pull(
    session: Session,
    scope: frozenset[str] | None,
    cursor_text: str | None,
    limit: int,
    *,
    user: str,
    secret: bytes,
) -> dict[str, Any]:
    """One page of changes after `cursor_text` for `user`, who sees `scope` (None = everything).

    `secret` signs and checks cursors; a cursor signed for someone else, or altered, is a
    `BadCursor`. Whatever the cursor says, only records in `scope` are returned.
    """
    state = session.execute(select(FeedState)).scalar_one()
    # Read the committed counter first: everything up to it is already visible (see above).
    head = state.seq
    scope_list = None if scope is None else sorted(scope)
    if cursor_text:
        cursor = Cursor.decode(cursor_text, secret, user)
        if cursor.epoch != state.epoch:
            raise CursorExpired(
                "This cursor belongs to another database; sync again from the start."
            )
        if max(cursor.positions()) > head:
            # Signed here, yet past the head: the database was restored from an older backup.
            raise CursorExpired("The server has gone back in time; sync again from the start.")
        if cursor.seq < state.purged_seq:
            raise CursorExpired("The cursor is too old; sync again from the start.")
        _adjust_scope(cursor, scope_list)
    else:
        cursor = Cursor(epoch=state.epoch, user=user, seq=0, scope=scope_list)

    carried = cursor.estimate
    from_start = cursor.seq == 0 and not (cursor.catching_up or cursor.evicting or cursor.departed)
    if cursor.evicting or cursor.departed:
        page = _evictions_page(session, cursor, scope, limit)
    else:
        page = _changes_page(session, cursor, scope, head, limit)
        if carried is not None:
            carried = max(0, carried - len(page["changes"]))
    cursor.estimate = None
    page["remaining"] = 0
    if page["more"]:
        if carried is None and from_start:
            # A first sync: every row in scope is still to come, at least the live records.
            carried = _in_scope(session, scope) - len(page["changes"])
        # An estimate of `COUNTED_UP_TO` or more stands uncounted: counting reads up to that
        # many index entries of every range, on every page. Below it, count exactly.
        counted = None
        if carried is None or carried < COUNTED_UP_TO:
            counted = remaining(session, cursor, scope, head)
        if counted is None:
            if carried is None:  # a long sync: all the live records in scope, but these
                carried = _in_scope(session, scope) - len(page["changes"])
            counted = cursor.estimate = max(COUNTED_UP_TO, carried)
        page["remaining"] = counted
    page["cursor"] = cursor.encode(secret)
    return page


def _adjust_scope(cursor: Cursor, scope: list[str] | None) -> None:
    """Start catch-up for neighbourhoods gained and evictions for those lost since the cursor,
    then hold everything the cursor names to the user's scope now."""
    if cursor.scope != scope:
        cursor.estimate = None  # an estimate of another scope's changes
        if cursor.scope is None or scope is None:
            raise CursorExpired("Your access changed; sync again from the start.")
        before, now = set(cursor.scope), set(scope)
        for quarter in now - before:
            cursor.catching_up[quarter] = 0
            cursor.evicting.pop(quarter, None)
            cursor.departed.pop(quarter, None)
        for quarter in before - now:
            cursor.catching_up.pop(quarter, None)
            cursor.evicting[quarter] = 0
            cursor.departed[quarter] = min(cursor.departed.get(quarter, cursor.seq), cursor.seq)
        cursor.scope = scope
    if scope is None:
        cursor.catching_up.clear()
        cursor.evicting.clear()
        cursor.departed.clear()
        return
    now = set(scope)
    for quarter in set(cursor.catching_up) - now:
        del cursor.catching_up[quarter]
    for quarter in (set(cursor.evicting) | set(cursor.departed)) & now:
        cursor.evicting.pop(quarter, None)
        cursor.departed.pop(quarter, None)


def _evictions_page(
    session: Session, cursor: Cursor, scope: frozenset[str] | None, limit: int
) -> dict[str, Any]:
    """Evict what the user may hold of the neighbourhoods they lost, a page at a time: first
    every record in them, then every record that left them since the cursor (module docstring)."""
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
    for quarter in sorted(cursor.departed) if not cursor.evicting else []:
        room = limit - len(changes)
        if room <= 0:
            break
        rows = session.execute(
            select(Move.seq, Move.collection, Move.record_id, Record.quarter_id)
            .join(Record, and_(Record.collection == Move.collection, Record.id == Move.record_id))
            .where(Move.from_quarter == quarter, Move.seq > cursor.departed[quarter])
            .order_by(Move.seq)
            .limit(room)
        ).all()
        changes.extend(
            {"op": "evict", "collection": c, "id": i}
            for _, c, i, now_in in rows
            if now_in is not None and (scope is None or now_in not in scope)
        )
        if len(rows) < room:
            del cursor.departed[quarter]
        else:
            cursor.departed[quarter] = rows[-1].seq
    return {"changes": changes, "more": True}


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
        # The rows of several index ranges, in seq order: a database reads every row of every
        # range and sorts them (a neighbourhood of a big town holds a great many). First the
        # seq at which the page ends, from about limit + 1 index entries in all (`_page_end`),
        # so that the rows read are only the page's own.
        ranges = [(None, cursor.seq)]
        ranges += [(q, cursor.seq) for q in sorted(steady)]
        ranges += sorted(cursor.catching_up.items())
        in_range = table.c.seq <= _page_end(session, ranges, head, limit + 1)
    rows = session.execute(
        select(*WIRE_COLUMNS).where(visible, in_range).order_by(table.c.seq).limit(limit + 1)
    ).all()

    departures: list[Any] = []
    if scope is not None:
        departures = session.execute(
            select(Move.seq, Move.collection, Move.record_id, Record.quarter_id)
            .join(Record, and_(Record.collection == Move.collection, Record.id == Move.record_id))
            .where(Move.seq > cursor.seq, Move.seq <= head, Move.from_quarter.in_(scope))
            .order_by(Move.seq)
            .limit(limit + 1)
        ).all()

    events: list[tuple[int, str, Any]] = [(row[SEQ_AT], "record", row) for row in rows]
    if departures:  # the records are in seq order already
        events += [(d.seq, "move", d) for d in departures]
        events.sort(key=itemgetter(0))
    more = len(events) > limit or len(rows) > limit or len(departures) > limit
    events = events[:limit]
    last = events[-1][0] if (more and events) else head

    names = user_names(session, people_of([row for _, kind, row in events if kind == "record"]))
    wire = PageWriter(names)
    changes: list[dict[str, Any]] = []
    evicted: set[tuple[str, str]] = set()
    for _, kind, item in events:
        if kind == "record":
            changes.append(wire.change(item))
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
    return {"changes": changes, "more": more}


def _page_end(
    session: Session, ranges: list[tuple[str | None, int]], head: int, wanted: int
) -> int:
    """The seq of the `wanted`-th record, in seq order, of these (neighbourhood, after seq)
    ranges up to `head` (None: records of no neighbourhood), or `head` when they hold fewer.

    Each range is read on the (quarter_id, seq) index alone, a chunk at a time: every seq up to
    the lowest last-read seq of the ranges not yet read to their end is known, so reading stops
    once that many reach `wanted`. About `wanted` entries are read in all, not `wanted` of each.
    """
    seqs: list[int] = []
    # Per range: [quarter, last seq read, read to its end].
    reads: list[list[Any]] = [[quarter, after, False] for quarter, after in ranges]
    chunk = wanted // max(1, len(ranges)) + 1
    for read in reads:
        _read_range(session, read, head, chunk, seqs)
    while True:
        open_reads = [read for read in reads if not read[2]]
        if not open_reads:
            break
        lagging = min(open_reads, key=lambda read: read[1])
        known = sum(1 for seq in seqs if seq <= lagging[1])
        if known >= wanted:
            break
        _read_range(session, lagging, head, max(wanted - known, 64), seqs)
    if len(seqs) < wanted:
        return head
    return heapq.nsmallest(wanted, seqs)[-1]


def _read_range(session: Session, read: list[Any], head: int, count: int, seqs: list[int]) -> None:
    """Read the next `count` seqs of one range of `_page_end` into `seqs`."""
    table = Record.__table__
    quarter, after = read[0], read[1]
    where = table.c.quarter_id.is_(None) if quarter is None else table.c.quarter_id == quarter
    got = list(
        session.scalars(
            select(table.c.seq)
            .where(where, table.c.seq > after, table.c.seq <= head)
            .order_by(table.c.seq)
            .limit(count)
        )
    )
    seqs += got
    if got:
        read[1] = got[-1]
    if len(got) < count:
        read[2] = True


def remaining(
    session: Session, cursor: Cursor, scope: frozenset[str] | None, head: int
) -> int | None:
    """The changes still to come for this cursor (§5 `remaining`), counted when they are fewer
    than `COUNTED_UP_TO`, else None (the caller estimates).

    Counted on the (quarter_id, seq) and seq indexes, each range no further than the bound, so it
    costs what is left up to the bound, never the table.
    """
    table = Record.__table__
    up_to = table.c.seq <= head
    if scope is None:
        wheres = [(table.c.seq > cursor.seq, up_to)]
    else:
        steady = sorted(q for q in scope if q not in cursor.catching_up)
        wheres = [(table.c.quarter_id.is_(None), table.c.seq > cursor.seq, up_to)]
        wheres += [(table.c.quarter_id == q, table.c.seq > cursor.seq, up_to) for q in steady]
        wheres += [
            (table.c.quarter_id == q, table.c.seq > position, up_to)
            for q, position in sorted(cursor.catching_up.items())
        ]
    counts = [
        select(func.count()).select_from(
            select(table.c.seq).where(*where).limit(COUNTED_UP_TO).subquery()
        )
        for where in wheres
    ]
    total = int(session.execute(select(sum(q.scalar_subquery() for q in counts))).scalar_one())
    return total if total < COUNTED_UP_TO else None


def _in_scope(session: Session, scope: frozenset[str] | None) -> int:
    """How many live records the scope holds: a sum of a few rows of `record_counts`."""
    counts = select(func.coalesce(func.sum(RecordCount.n), 0))
    if scope is not None:
        counts = counts.where(RecordCount.quarter_key.in_([*sorted(scope), ""]))
    return int(session.execute(counts).scalar_one())
