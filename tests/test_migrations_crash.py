"""Setting up and upgrading survive SIGKILL at any moment (SQLite).

`doorstep init-db` is killed at random moments while it creates a new database, and while it
upgrades one made by the first revision. Each time, a second `init-db` completes and the schema
(and the data) equals that of a run never interrupted. To keep 60 kills cheap, the processes are
forked from one interpreter that has already imported the server (`FORKER`); each child runs the
real `doorstep` entry point, and is killed from outside with SIGKILL.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

KILLS = 30
FIRST_REVISION = "4fbc08086f4a"

# Reads "<database file> <delay>" lines and forks `doorstep init-db` on that file. Once the child
# has opened the database (its -wal file appears), waits <delay> seconds and SIGKILLs it (never if
# <delay> is negative). Answers "<killed|exit N> <seconds from opening the database to the end>".
FORKER = r"""
import os, signal, sys, time
from server import create_app
from server.cli import main

create_app({"DATABASE_URL": "sqlite://"})  # imports every module the command needs
for line in sys.stdin:
    path, delay = line.rsplit(" ", 1)
    delay = float(delay)
    child = os.fork()
    if child == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.environ["DOORSTEP_DATABASE_URL"] = "sqlite:///" + path
        sys.argv = ["doorstep", "init-db"]
        try:
            main()
        except SystemExit as done:
            os._exit(done.code or 0)
        os._exit(0)
    done, status = 0, 0
    while not done and not os.path.exists(path + "-wal"):
        done, status = os.waitpid(child, os.WNOHANG)
        time.sleep(0.0005)
    opened = time.monotonic()
    if not done:
        if delay >= 0:
            time.sleep(delay)
            os.kill(child, signal.SIGKILL)
        _, status = os.waitpid(child, 0)
    outcome = "killed" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
    print(outcome, round(time.monotonic() - opened, 4), flush=True)
"""


class Forker:
    """Runs `doorstep init-db` on a SQLite file, optionally killed a while after it opened it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", FORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def init_db(self, path: Path, kill_after: float = -1.0) -> tuple[str, float]:
        """(outcome, seconds it ran after opening the database)."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(f"{path} {kill_after}\n")
        self.process.stdin.flush()
        outcome, ran = self.process.stdout.readline().rsplit(" ", 1)
        return outcome, float(ran)

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    running = Forker()
    yield running
    running.close()


def schema(path: Path) -> dict:
    """What must equal a clean run: every table and index as SQLite stores it, the revision, the
    feed's counter row, and the records (data the upgrade carries over)."""
    with closing(sqlite3.connect(path)) as connection:
        return {
            "objects": connection.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall(),
            "revision": connection.execute("SELECT version_num FROM alembic_version").fetchall(),
            "feed_rows": connection.execute(
                "SELECT id, seq, purged_seq FROM feed_state"
            ).fetchall(),
            "records": connection.execute(
                "SELECT collection, id, rev, campaign_id, dated_on FROM records ORDER BY id"
            ).fetchall(),
        }


def revision(path: Path) -> str | None:
    """The revision a database is at; None when it has none (or no file)."""
    if not path.exists():
        return None
    with closing(sqlite3.connect(path)) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None


def first_revision_database(path: Path) -> None:
    """A database made by the first revision, with its feed row and a few dated records."""
    from server import create_app
    from server.extensions import db

    app = create_app({"DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory, revision=FIRST_REVISION)
        db.engine.dispose()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute(
            "INSERT INTO feed_state VALUES (1, 40, 0, 'epoch-of-the-first-revision')"
        )
        connection.executemany(
            "INSERT INTO records (collection, id, rev, deleted, fields, seq, created_at, "
            "updated_at, review_status, open_conflicts, search_text) "
            "VALUES ('visits', ?, 1, 0, ?, ?, '2024-10-12', '2024-10-12', 'pending', 0, '')",
            [
                (
                    f"00000000-0000-4000-8000-{n:012d}",
                    f'{{"visited_at": "2024-10-{n % 28 + 1:02d}T08:00:00+07:00", '
                    f'"campaign_id": "c{n % 3}"}}',
                    n,
                )
                for n in range(1, 41)
            ],
        )
        connection.commit()


def kill_at_random_moments(forker: Forker, start: Path | None, work: Path) -> int:
    """Kill `init-db` KILLS times on copies of `start` (None: no file); after each kill a second
    `init-db` must complete with the schema of an uninterrupted run. Returns how many kills left
    a database file behind the newest revision (killed before the upgrade committed)."""
    clean = work / "clean.db"
    if start:
        shutil.copy(start, clean)
    outcome, duration = forker.init_db(clean)
    assert outcome == "exit 0"
    expected = schema(clean)
    newest = revision(clean)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    left: Counter[str] = Counter()
    for n in range(KILLS):
        target = work / f"killed-{n}.db"
        if start:
            shutil.copy(start, target)
        delay = rng.uniform(0, duration)
        outcome, _ = forker.init_db(target, kill_after=delay)
        left[f"{outcome} at {revision(target) if target.exists() else 'no file'}"] += 1
        again, _ = forker.init_db(target)
        assert again == "exit 0", f"init-db after a kill at {delay:.3f}s failed (seed {seed})"
        assert schema(target) == expected, f"kill at {delay:.3f}s (seed {seed}): schema differs"
    print(f"\n{KILLS} kills within {duration:.3f}s (seed {seed}): {dict(left)}")
    return sum(
        n
        for where, n in left.items()
        if where.startswith("killed at") and not where.endswith(("no file", str(newest)))
    )


def test_init_db_killed_at_any_moment_on_a_new_database_can_always_finish(forker, tmp_path):
    # Some kills must land inside the migration, or this test would prove nothing.
    assert kill_at_random_moments(forker, None, tmp_path) >= 3


def test_init_db_killed_at_any_moment_during_an_upgrade_can_always_finish(forker, tmp_path):
    start = tmp_path / "first-revision.db"
    first_revision_database(start)
    assert kill_at_random_moments(forker, start, tmp_path) >= 3
