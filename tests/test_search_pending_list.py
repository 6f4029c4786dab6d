"""PostgreSQL: the search index's pending list is merged in the background, not by a push.

New entries of the pg_trgm GIN index that `q` searches wait in a pending list; past the index's
`gin_pending_list_limit` the insert that finds it full merges it, inside its push and under the
feed lock. The server processes merge it in the background instead (`server.checkpoint`), in
merges of a few thousand records, and the index's limit leaves that to an insert only when they
fall behind.
"""

from __future__ import annotations

import time

import pytest
from conftest import TEST_CONFIG, household_fields, new_id, op
from sqlalchemy import text

from server import checkpoint
from server.checkpoint import PENDING_LIMIT_KB, SEARCH_INDEX, PendingListCleaner
from server.extensions import db


@pytest.fixture
def postgres_app(app, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL's search index; SQLite's FTS5 index has no pending list")
    with app.app_context():
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        db.session.commit()
    return app


def pending_pages(app) -> int:
    with app.app_context():
        pages = db.session.execute(
            text("SELECT pending_pages FROM pgstatginindex(:index)"), {"index": SEARCH_INDEX}
        ).scalar_one()
        db.session.commit()
        return pages


def test_the_index_leaves_its_pending_list_to_the_background_up_to_its_limit(postgres_app):
    with postgres_app.app_context():
        options = db.session.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = :index"),
            {"index": SEARCH_INDEX},
        ).scalar_one()
    assert "fastupdate=on" in options
    assert f"gin_pending_list_limit={PENDING_LIMIT_KB}" in options


def test_pushed_households_leave_the_pending_list_and_are_found(
    postgres_app, admin, quarters, monkeypatch
):
    monkeypatch.setattr(checkpoint, "MERGE_EVERY", 250)
    names = [f"Trịnh Văn Khải {i:03}" for i in range(300)]
    results = admin.push(
        *(op("households", new_id(), household_fields(quarters["KP1"], head_name=n)) for n in names)
    )
    assert {r["status"] for r in results} == {"applied"}
    # 300 households fit in the pending list many times over: only the server's own thread
    # merges them into the index (autovacuum waits for far more rows than these), once the feed
    # is 250 records past the last merge.
    for _ in range(200):  # the thread runs on its own; give it up to about 20 s
        if pending_pages(postgres_app) == 0:
            break
        time.sleep(0.1)
    assert pending_pages(postgres_app) == 0
    found = admin.get("/records/households", query_string={"q": "trinh van khai 042"})
    assert found.status_code == 200
    assert [r["fields"]["head_name"] for r in found.get_json()["records"]] == [names[42]]


def test_the_list_is_merged_once_the_feed_is_past_the_last_merge_by_enough(
    postgres_app, admin, quarters, monkeypatch
):
    monkeypatch.setattr(checkpoint, "MERGE_EVERY", 500)
    with postgres_app.app_context():
        merge = PendingListCleaner(db.engine)

    def push(count: int) -> None:
        households = (household_fields(quarters["KP2"]) for _ in range(count))
        results = admin.push(*(op("households", new_id(), fields) for fields in households))
        assert {r["status"] for r in results} == {"applied"}

    with postgres_app.app_context():  # the same engine as the server's own thread
        # A last merge ahead of the feed (as after a restore): the next run merges.
        db.session.execute(text("SELECT setval('search_merged', 1000000)"))
        db.session.commit()
        merge()
        assert pending_pages(postgres_app) == 0
        push(300)
        merge()  # 300 records since: left for a larger merge
        assert pending_pages(postgres_app) > 0
        push(300)
        merge()  # 600 since: merged
        assert pending_pages(postgres_app) == 0


def test_the_migration_goes_both_ways(fresh_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from server import create_app

    if not fresh_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's search index; SQLite's FTS5 index has no pending list")
    app = create_app({"DATABASE_URL": fresh_url, "MEDIA_DIR": str(tmp_path), **TEST_CONFIG})
    directory = app.extensions["migrate"].directory

    def state() -> tuple[list[str] | None, str | None]:
        options = db.session.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = :index"),
            {"index": SEARCH_INDEX},
        ).scalar_one()
        merged = db.session.execute(text("SELECT to_regclass('search_merged')::text")).scalar()
        db.session.commit()
        return options, merged

    with app.app_context():
        upgrade(directory=directory)
        assert state() == (
            ["fastupdate=on", f"gin_pending_list_limit={PENDING_LIMIT_KB}"],
            "search_merged",
        )
        downgrade(directory=directory, revision="9b5c7d3e1f26")
        assert state() == (None, None)
        upgrade(directory=directory)
        assert state()[1] == "search_merged"
        db.engine.dispose()
