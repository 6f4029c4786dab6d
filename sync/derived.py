"""What the database keeps beside `records`, written with the records by the unit of work.

- `record_counts`: how many live records each (collection, neighbourhood, review status) has, so
  a record list's `total` is a sum of a few rows. A flush adds up the net change of each key over
  the records it writes and applies it in one upsert per key.
- `records_search` (SQLite only): the FTS5 trigram index of the search text that `q` searches,
  contentless, its rowid the record's `seq`. A flush removes the rows of the records it rewrites
  (a contentless table forgets a row given the text it indexed: the record's stored seq and text)
  and adds their new ones. On PostgreSQL a pg_trgm index on `records.search_text` serves `q`, and
  the database keeps it itself.

Both are written in the writing transaction, by the statements that write the records, so they
are exact whenever a transaction commits. Every write of `records` goes through here: the unit of
work (push, review, resolve, photos, a stranded change an admin applies) and the tombstone purge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, column, insert, literal, select, table, text
from sqlalchemy.engine import Connection

from .models import Record

if TYPE_CHECKING:
    from .state import RecordState

# The key a live record is counted under: (collection, quarter_id or '', review_status).
CountKey = tuple[str, str, str]

UPSERT_COUNTS = text(
    "INSERT INTO record_counts (collection, quarter_key, review_status, n) "
    "VALUES (:collection, :quarter_key, :review_status, :n) "
    "ON CONFLICT (collection, quarter_key, review_status) "
    "DO UPDATE SET n = record_counts.n + excluded.n"
)
SEARCH_FORGET = (
    "INSERT INTO records_search (records_search, rowid, search_text) VALUES ('delete', ?, ?)"
)
SEARCH = table("records_search", column("records_search"), column("rowid"), column("search_text"))
SEARCH_ADD = "INSERT INTO records_search (rowid, search_text) VALUES (?, ?)"


def count_key(
    collection: str, quarter_id: str | None, review_status: str, deleted: bool
) -> CountKey | None:
    """The key a record is counted under, or None for a deleted record (never counted)."""
    return None if deleted else (collection, quarter_id or "", review_status)


def write(connection: Connection, states: Iterable[RecordState]) -> None:
    """Bring the counts and the search index in step with these records, which the caller writes
    in the same transaction (`stored` is what the database held of each before)."""
    counts: Counter[CountKey] = Counter()
    forget: list[tuple[int, str]] = []
    add: list[tuple[int, str]] = []
    for state in states:
        before = state.stored
        after = state.count_key()
        if before is not None:
            seq, search_text, key = before
            if key is not None:
                counts[key] -= 1
            if search_text:
                forget.append((seq, search_text))
        if after is not None:
            counts[after] += 1
        if state.search_text:
            add.append((state.seq, state.search_text))
    changes = [
        {"collection": c, "quarter_key": q, "review_status": r, "n": n}
        for (c, q, r), n in sorted(counts.items())
        if n
    ]
    if changes:
        connection.execute(UPSERT_COUNTS, changes)
    if connection.dialect.name == "sqlite":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if forget:
                cursor.executemany(SEARCH_FORGET, forget)
            if add:
                cursor.executemany(SEARCH_ADD, add)
        finally:
            cursor.close()


def forget_deleted(connection: Connection, doomed: ColumnElement[bool]) -> None:
    """Before the records matching `doomed` are deleted for good: take them out of the search
    index. Only tombstones are ever deleted, and they are not counted."""
    if connection.dialect.name != "sqlite":
        return
    rows = select(literal("delete"), Record.seq, Record.search_text).where(
        doomed, Record.search_text != ""
    )
    connection.execute(insert(SEARCH).from_select(["records_search", "rowid", "search_text"], rows))
