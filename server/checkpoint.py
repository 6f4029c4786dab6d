"""SQLite's WAL checkpoints off the request path.

In WAL mode a commit appends to the write-ahead log; by default the commit that takes the log past
1,000 pages then copies it back into the database file and syncs that too, inside its request (a
push of a thousand records does so nearly every time). Here each server process checkpoints in a
background thread instead, woken when a connection that committed goes back to the pool (the
engine's `commit` event comes before the commit is written). Its checkpoints are PASSIVE: they
never wait for, nor block, a reader or a writer. SQLite's own automatic checkpoint stays, as a
cap: should the thread fall behind (a long read holding the log), the commit that takes the log
past `CAP_PAGES` checkpoints as before, and `journal_size_limit` then cuts the file back to that
size.

Durability is unchanged: synchronous=FULL syncs the log on every commit.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

# 64 MiB of 4 KiB pages.
CAP_PAGES = 16384
CAP_BYTES = CAP_PAGES * 4096
# A woken thread lets the commit that woke it finish, and the commits right behind it land, first.
SETTLE_SECONDS = 0.05


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
    """Checkpoint a SQLite file's log in the background after the engine's commits."""
    path = engine.url.database
    if engine.dialect.name == "sqlite" and path and path != ":memory:":
        checkpointer = Checkpointer(path)
        event.listen(engine, "commit", checkpointer.note_commit)
        event.listen(engine, "checkin", checkpointer.wake_if_committed)
        event.listen(engine, "engine_disposed", checkpointer.release)


class Checkpointer:
    """Checkpoints one database file's log in a daemon thread, started by the first commit.

    The thread holds the file open only while it checkpoints; once the engine is disposed it
    leaves the file alone until the next commit (a disposed engine lets go of its database)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.committed = False  # a commit was made on a connection not yet back in the pool
        self.wanted = threading.Event()
        self.pending = False
        self.thread: threading.Thread | None = None
        self.state = threading.Lock()  # guards `pending` and `thread`
        self.working = threading.Lock()  # held while a checkpoint runs

    def note_commit(self, *_: Any) -> None:
        """The engine's `commit` event, which SQLAlchemy sends before the commit itself: only
        note it, since a checkpoint taken now would miss the frames about to be written."""
        self.committed = True

    def wake_if_committed(self, *_: Any) -> None:
        """A connection went back to the pool (its commit is done): checkpoint if it committed."""
        if self.committed:
            self.committed = False
            self.wake()

    def wake(self) -> None:
        """Checkpoint soon."""
        with self.state:
            self.pending = True
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, name="wal-checkpoint", daemon=True)
                self.thread.start()
        self.wanted.set()

    def release(self, *_: Any) -> None:
        """The engine was disposed: wait for a checkpoint under way, and start no other."""
        with self.working, self.state:
            self.pending = False

    def run(self) -> None:
        while True:
            self.wanted.wait()
            time.sleep(SETTLE_SECONDS)
            self.wanted.clear()
            with self.working:
                with self.state:
                    due, self.pending = self.pending, False
                busy = due and not self.checkpoint()
                if busy:  # another process checkpoints: try again in a while
                    with self.state:
                        self.pending = True
            if busy:
                time.sleep(1)
                self.wanted.set()

    def checkpoint(self) -> bool:
        """One PASSIVE checkpoint; False when the database was busy."""
        try:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        except sqlite3.Error:
            return False
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            return True
        except sqlite3.Error:
            return False
        finally:
            connection.close()
