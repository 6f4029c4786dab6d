"""SQLite: commits are synced, and the log is copied back into the database file by the server's
background thread rather than by the commit that happens to fill it."""

from __future__ import annotations

import shutil
import sqlite3
import time

from conftest import ADMIN_PASSWORD, household_fields, login, new_id, op
from sqlalchemy import text

from server import create_app
from server.checkpoint import CAP_PAGES
from server.cli import apply_migrations
from server.extensions import db
from server.users import add_user


def households_in_file_alone(path, tmp_path) -> int:
    """Households in the database file itself, ignoring its write-ahead log."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as connection:
        return connection.execute(
            "SELECT count(*) FROM records WHERE collection = 'households'"
        ).fetchone()[0]


def test_pushed_records_reach_the_database_file_in_the_background(tmp_path):
    path = tmp_path / "doorstep.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "PASSWORD_METHOD": "pbkdf2:sha256:1"})
    with app.app_context():
        apply_migrations()
        add_user(db.session, "admin", ADMIN_PASSWORD, role="admin")
        db.session.commit()
        assert db.session.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == CAP_PAGES
    admin = login(app.test_client(), "admin", ADMIN_PASSWORD)
    quarter = new_id()
    admin.push(op("quarters", quarter, {"code": "KP1", "name": "Khu phố 1"}))
    results = admin.push(
        *(
            op("households", new_id(), household_fields(quarter, head_name=f"Hộ {i}"))
            for i in range(300)
        )
    )
    assert {r["status"] for r in results} == {"applied"}
    for _ in range(200):  # the thread runs on its own; give it up to about 20 s
        if households_in_file_alone(path, tmp_path) == 300:
            break
        time.sleep(0.1)
    assert households_in_file_alone(path, tmp_path) == 300
    with app.app_context():
        db.engine.dispose()
