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
from server.checkpoint import MERGE_LOCK, PENDING_LIMIT_KB, SEARCH_INDEX, PendingListCleaner
from server.extensions import db


@pytest.fixture
def postgres_app(app, is_postgres):
    """The app on PostgreSQL, with autovacuum kept off `records` (its analyze merges the list
    too) so that only the server's own thread merges it."""
    if not is_postgres:
        pytest.skip("PostgreSQL's search index; SQLite's FTS5 index has no pending list")
    with app.app_context():
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        db.session.execute(text("ALTER TABLE records SET (autovacuum_enabled = false)"))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.execute(text("ALTER TABLE records RESET (autovacuum_enabled)"))
        db.session.commit()


def value(app, statement: str, **params) -> int:
    with app.app_context():
        found = db.session.execute(text(statement), params).scalar_one()
        db.session.commit()
        return found


def pending_pages(app) -> int:
    """The pages of the list, once any merge under way is over."""
    with app.app_context():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MERGE_LOCK})
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
    # 300 households fit in the pending list many times over: the server's own thread merges
    # them into the index once the feed is 250 records past the last merge, and notes where.
    seq = value(postgres_app, "SELECT seq FROM feed_state")
    for _ in range(200):  # the thread runs on its own; give it up to about 20 s
        if value(postgres_app, "SELECT last_value FROM search_merged") == seq:
            break
        time.sleep(0.1)
    assert value(postgres_app, "SELECT last_value FROM search_merged") == seq
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


def test_the_thread_outlives_a_failed_run():
    calls: list[int] = []

    def work() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the first run fails")
        return True

    upkeep = checkpoint.Upkeep(work, "test-upkeep", 0.01)
    upkeep.wake()
    for _ in range(200):
        if calls:
            break
        time.sleep(0.05)
    upkeep.wake()
    for _ in range(200):
        if len(calls) == 2:
            break
        time.sleep(0.05)
    assert len(calls) == 2


def test_a_database_out_of_reach_is_left_for_the_next_commit():
    from sqlalchemy import create_engine

    pytest.importorskip("psycopg")
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    merge = PendingListCleaner(engine)
    try:
        assert merge() is True  # no error out of the thread's work
        assert not merge.refused  # the next commit tries again
    finally:
        engine.dispose()


def test_a_role_that_may_not_merge_is_told_once_and_left_alone(postgres_app, caplog):
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    role = f"doorstep_reader_{new_id()[:8]}"
    with postgres_app.app_context():
        url = make_url(postgres_app.config["DATABASE_URL"])
        db.session.execute(text(f"CREATE ROLE {role} LOGIN"))
        # The tables, as a read-only role might have them; not the merge position, nor the index.
        db.session.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        db.session.commit()
    engine = create_engine(url.set(username=role))
    try:
        merge = PendingListCleaner(engine)
        with caplog.at_level("WARNING", logger="server.checkpoint"):
            assert merge() is True
            assert merge() is True
        told = [r for r in caplog.records if "may not merge" in r.getMessage()]
        assert len(told) == 1
        assert merge.refused
    finally:
        engine.dispose()
        with postgres_app.app_context():
            db.session.execute(text(f"DROP OWNED BY {role}"))
            db.session.execute(text(f"DROP ROLE {role}"))
            db.session.commit()
