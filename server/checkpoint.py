"""Upkeep off the request path: work a commit would otherwise do inside its request, done by a
background thread of each server process, woken when a connection that committed goes back to the
pool (the engine's `commit` event comes before the commit is written).

SQLite: the WAL checkpoint. In WAL mode a commit appends to the write-ahead log; by default the
commit that takes the log past 1,000 pages then copies it back into the database file and syncs
that too, inside its request (a push of a thousand records does so nearly every time). Here the
thread checkpoints instead. Its checkpoints are PASSIVE: they never wait for, nor block, a reader
or a writer. SQLite's own automatic checkpoint stays, as a cap: should the thread fall behind (a
long read holding the log), the commit that takes the log past `CAP_PAGES` checkpoints as before,
and `journal_size_limit` then cuts the file back to that size. Durability is unchanged:
synchronous=FULL syncs the log on every commit.

PostgreSQL: the search index's pending list. The pg_trgm GIN index that `q` searches takes new
entries into a pending list (`fastupdate`), and the insert that takes the list past the index's
`gin_pending_list_limit` merges all of it into the index, inside its transaction. On a push that
is while it holds the feed lock, which every other push then waits for (4 MB, the default, is a
few pushes of households). Here the thread merges the list with `gin_clean_pending_list`, outside
any request, once the feed has gone `MERGE_EVERY` records past the last merge; the index's limit
is raised (a migration) so that an insert merges the list itself only when the threads fall
behind. An insert never waits for a merge (one that finds a merge under way only appends to the
list), and a search reads the list as well as the index, so nothing is missed meanwhile.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

# 64 MiB of 4 KiB pages.
CAP_PAGES = 16384
CAP_BYTES = CAP_PAGES * 4096
# A woken thread lets the commit that woke it finish, and the commits right behind it land, first.
SETTLE_SECONDS = 0.05

# The GIN index whose pending list the PostgreSQL thread merges, and the list's size (in kB) past
# which an insert merges it itself (the index's `gin_pending_list_limit`, set by its migration).
SEARCH_INDEX = "ix_records_search_trgm"
PENDING_LIMIT_KB = 16384
# The list is merged once the feed has gone this many records past the last merge (by any server
# process: the `search_merged` sequence holds the feed's seq at the last merge; a sequence, since
# setting and reading one never waits for a transaction). A merge costs less per entry the more it
# merges at once: measured on households, about 17 ms per 1,000 merged after each push of 1,000,
# 8 to 10 ms per 1,000 in merges of 4,000 to 6,000. One merge runs at a time (an advisory lock);
# a process that finds one under way leaves the list to it.
MERGE_EVERY = 4000
MERGED_AT = "search_merged"
MERGE_LOCK = 0x64_6F_6F_72  # "door"
INSUFFICIENT_PRIVILEGE = "42501"


def configure(dbapi_connection: Any) -> None:
    """Every SQLite connection: WAL (pulls read while a push writes), foreign keys, every commit
    synced, and the automatic checkpoint only as the cap."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={CAP_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={CAP_BYTES}")
    cursor.close()


def watch(engine: Engine) -> None:
    """After the engine's commits, in the background: checkpoint a SQLite file's log, or merge
    PostgreSQL's search index pending list."""
    path = engine.url.database
    upkeep: Upkeep | None = None
    if engine.dialect.name == "sqlite" and path and path != ":memory:":
        upkeep = Upkeep(lambda: checkpoint(path), "wal-checkpoint", SETTLE_SECONDS)
    elif engine.dialect.name == "postgresql":
        upkeep = Upkeep(PendingListCleaner(engine), "search-pending-list", SETTLE_SECONDS)
    if upkeep is not None:
        event.listen(engine, "commit", upkeep.note_commit)
        event.listen(engine, "checkin", upkeep.wake_if_committed)
        event.listen(engine, "engine_disposed", upkeep.release)


def checkpoint(path: str) -> bool:
    """One PASSIVE checkpoint of a SQLite file's log; False when the database was busy."""
    try:
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        return True
    except sqlite3.Error:
        return False
    finally:
        connection.close()


class PendingListCleaner:
    """Merges the search index's pending list into the index (`MERGE_EVERY`), outside any
    request's transaction, on a connection of the engine's pool used through the driver (so
    that nothing listening to the engine's statements sees it). A database without the index
    (not yet migrated) has nothing to merge; one out of reach is tried again at the next commit.

    A role that may not merge (PostgreSQL lets only the index's owner) is told once in the log,
    and the process stops trying: inserts then merge the list themselves once it passes the
    index's limit, inside their pushes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.refused = False

    def __call__(self) -> bool:
        if self.refused:
            return True
        errors = self.engine.dialect.loaded_dbapi.Error
        try:
            connection = self.engine.raw_connection()
        except errors:
            return True  # the database is out of reach: the next commit tries again
        try:
            cursor = connection.cursor()
            if self.due(cursor):
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (MERGE_LOCK,))
                # Another process merges now, or has just merged: nothing to do.
                if cursor.fetchone()[0] and self.due(cursor):
                    cursor.execute("SELECT seq FROM feed_state WHERE id = 1")
                    seq = cursor.fetchone()[0]
                    cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", (SEARCH_INDEX,))
                    cursor.execute("SELECT setval(%s, %s)", (MERGED_AT, seq))
            cursor.close()
            connection.commit()
        except errors as exc:
            if getattr(exc, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                self.refused = True
                log.warning(
                    "The search index's pending list is left to the pushes (merged at %d kB): "
                    "this role may not merge it (%s). Serve as the role that ran init-db.",
                    PENDING_LIMIT_KB,
                    exc,
                )
            else:
                log.warning("The search index's pending list was not merged: %s", exc)
            try:
                connection.rollback()
            except errors:
                connection.invalidate()  # a broken connection: the pool makes a new one
        finally:
            connection.close()  # back to the pool
        return True

    @staticmethod
    def due(cursor: Any) -> bool:
        """True when the feed has gone `MERGE_EVERY` records past the last merge, or back
        before it (a database restored, emptied); False on a database not yet migrated."""
        cursor.execute("SELECT to_regclass(%s)", (MERGED_AT,))
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute(
            f"SELECT (SELECT seq FROM feed_state WHERE id = 1), last_value FROM {MERGED_AT}"
        )
        seq, merged = cursor.fetchone()
        return seq - merged >= MERGE_EVERY or seq < merged


class Upkeep:
    """Runs one piece of upkeep in a daemon thread, started by the first commit, again after
    each commit (one run for the commits that land while it settles). `work` returns False when
    it could not be done (the database busy): tried again a second later.

    The thread holds nothing open between runs; once the engine is disposed it starts no other
    run until the next commit (a SQLite file is then let go; a PostgreSQL connection a run had
    out goes back to the disposed pool, and closes with it)."""

    def __init__(self, work: Callable[[], bool], name: str, settle: float) -> None:
        self.work, self.name, self.settle = work, name, settle
        self.committed = False  # a commit was made on a connection not yet back in the pool
        self.wanted = threading.Event()
        self.pending = False
        self.thread: threading.Thread | None = None
        self.state = threading.Lock()  # guards `pending` and `thread`
        self.working = threading.Lock()  # held while the work runs

    def note_commit(self, *_: Any) -> None:
        """The engine's `commit` event, which SQLAlchemy sends before the commit itself: only
        note it, since work done now would miss what is about to be written."""
        self.committed = True

    def wake_if_committed(self, *_: Any) -> None:
        """A connection went back to the pool (its commit is done): run if it committed."""
        if self.committed:
            self.committed = False
            self.wake()

    def wake(self) -> None:
        """Run soon."""
        with self.state:
            self.pending = True
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, name=self.name, daemon=True)
                self.thread.start()
        self.wanted.set()

    def release(self, *_: Any) -> None:
        """The engine was disposed: wait for a run under way, and start no other."""
        with self.working, self.state:
            self.pending = False

    def run(self) -> None:
        while True:
            self.wanted.wait()
            time.sleep(self.settle)
            self.wanted.clear()
            with self.working:
                with self.state:
                    due, self.pending = self.pending, False
                try:
                    busy = due and not self.work()
                except Exception:  # the thread stays, for the next commit
                    log.exception("%s failed", self.name)
                    busy = False
                if busy:  # another process is at it: again in a while
                    with self.state:
                        self.pending = True
            if busy:
                time.sleep(1)
                self.wanted.set()
