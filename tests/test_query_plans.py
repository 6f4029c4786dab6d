"""The cost of sync follows the work, not the size of the town (§5 "Cost").

Every statement that a push, a pull and a record read send to SQLite is explained; none may scan a
whole table. (A full scan once hid here: records were looked up by id alone, not by their primary
key, so each push batch read every record.) Plans, not timings: tests never assert on time.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from server.extensions import db

TABLES = ("records", "revisions", "ops", "moves", "conflicts", "tokens", "users")


@contextmanager
def statements(app):
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def full_scans(app, seen) -> list[str]:
    scans = []
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            for statement, parameters in seen:
                for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters):
                    detail = row[-1]
                    if any(detail == f"SCAN {table}" for table in TABLES):
                        scans.append(f"{detail}: {statement[:120]}")
        finally:
            connection.close()
    return scans


@pytest.fixture
def sqlite_only(is_postgres):
    if is_postgres:
        pytest.skip("query plans are checked on SQLite")


def test_push_pull_and_reads_use_indexes(sqlite_only, app, field, supervisor, build, quarters):
    households = [
        build.op("households", build.id(), build.household(quarters["KP1"])) for _ in range(30)
    ]
    field.push(*households)
    with statements(app) as seen:
        created = field.push(
            build.op("visits", build.id(), build.visit(households[0]["id"])),
            build.op("households", households[1]["id"], {"phone": "0987654321"}, base_rev=1),
        )
        assert [r["status"] for r in created] == ["applied", "applied"]
        page = field.pull(limit=10)
        field.pull(cursor=page["cursor"], limit=10)
        assert supervisor.get(f"/records/households/{households[2]['id']}").status_code == 200
    assert seen, "no statement was captured"
    assert full_scans(app, seen) == []


def test_evictions_use_indexes(sqlite_only, app, admin, make_user, build, quarters):
    user = make_user("field", ["KP1", "KP2"])
    households = [
        build.op("households", build.id(), build.household(quarters[code]))
        for code in ("KP1", "KP1", "KP2")
    ]
    admin.push(*households)
    _, cursor = user.pull_all()
    admin.push_one(
        build.op("households", households[0]["id"], {"quarter_id": quarters["KP3"]}, base_rev=1)
    )
    admin.patch(f"/users/{user.id}", {"quarters": [quarters["KP2"]]})
    with statements(app) as seen:
        changes, _ = user.pull_all(cursor, limit=1)
    assert {c["id"] for c in changes if c["op"] == "evict"} >= {h["id"] for h in households[:2]}
    assert full_scans(app, seen) == []


def test_searching_child_records_by_household_uses_indexes(
    sqlite_only, app, admin, supervisor, build, quarters
):
    households = [
        build.op(
            "households", build.id(), build.household(quarters["KP1"], head_name=f"Lê Văn {n}")
        )
        for n in range(20)
    ]
    admin.push(*households)
    admin.push(*(build.op("visits", build.id(), build.visit(h["id"])) for h in households))
    with statements(app) as seen:
        for collection in ("visits", "households"):
            found = supervisor.get(
                f"/records/{collection}", query_string={"q": "le van 1", "review": "pending"}
            )
            assert found.get_json()["total"] == 11  # Lê Văn 1, 10..19
    assert full_scans(app, seen) == []


def plans(app, seen) -> list[tuple[str, list[str]]]:
    """Each captured statement with the lines of its SQLite plan."""
    out = []
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            for statement, parameters in seen:
                rows = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                out.append((statement, [row[-1] for row in rows]))
        finally:
            connection.close()
    return out


def test_a_list_reads_its_total_from_the_counts(
    sqlite_only, app, admin, make_user, build, quarters
):
    admin.push(
        *(build.op("households", build.id(), build.household(quarters["KP1"])) for _ in range(5))
    )
    kp1 = make_user("supervisor", ["KP1"])
    with statements(app) as seen:
        assert kp1.get("/records/households").get_json()["total"] == 5
        assert (
            admin.get(
                "/records/households",
                query_string={"quarter": quarters["KP1"], "review": "pending"},
            ).get_json()["total"]
            == 5
        )
    counts = [s for s, _ in seen if "count(" in s.lower()]
    assert counts == [], "a total was counted over the records"
    assert sum("FROM record_counts" in s for s, _ in seen) == 2
    assert full_scans(app, seen) == []


@pytest.mark.parametrize("collection", ["households", "visits"])
def test_a_search_starts_from_the_search_index(
    sqlite_only, app, admin, make_user, build, quarters, collection
):
    """A search of three characters or more finds its records through the FTS5 index and their
    seq, never by walking the collection or a neighbourhood (which is every record of it)."""
    households = [
        build.op("households", build.id(), build.household(quarters["KP1"], head_name=f"Ksor {n}"))
        for n in range(10)
    ]
    admin.push(*households)
    admin.push(*(build.op("visits", build.id(), build.visit(h["id"])) for h in households))
    kp1 = make_user("supervisor", ["KP1", "KP2"])
    with statements(app) as seen:
        for api in (admin, kp1):
            found = api.get(f"/records/{collection}", query_string={"q": "ksor 1", "limit": 5})
            assert found.get_json()["total"] == 1
    searches = [(s, p) for s, p in plans(app, seen) if "records_search" in s]
    assert len(searches) == 4  # the total and the page, for each of the two
    for statement, plan in searches:
        assert any("records_search VIRTUAL TABLE" in line for line in plan), plan
        walks = [
            line for line in plan if line.startswith("SEARCH records ") and "(seq=?)" not in line
        ]
        walks = [line for line in walks if "(household_id=?)" not in line]
        assert walks == [], f"{plan}: {statement[:200]}"
    assert full_scans(app, seen) == []


def test_a_search_can_use_the_trigram_index_on_postgresql(is_postgres, app, admin, build, quarters):
    if not is_postgres:
        pytest.skip("PostgreSQL's pg_trgm index")
    admin.push(build.op("households", build.id(), build.household(quarters["KP1"])))
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN SELECT id FROM records WHERE search_text LIKE '%ksor%'")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            connection.rollback()
            connection.close()
    assert "ix_records_search_trgm" in plan, plan


def test_a_long_first_sync_does_not_count_what_remains_until_near_the_end(
    app, field, admin, build, quarters, monkeypatch
):
    """Counting what remains reads up to `COUNTED_UP_TO` index entries of every range: a page of
    a long first sync takes its estimate from the counts instead, and counts only near the end."""
    import sync.feed

    monkeypatch.setattr(sync.feed, "COUNTED_UP_TO", 4)
    field.push(
        *(build.op("households", build.id(), build.household(quarters["KP1"])) for _ in range(11))
    )
    admin.push(build.op("households", build.id(), build.household(quarters["KP3"])))
    remaining, counting, cursor = [], [], None
    while True:
        with statements(app) as seen:
            page = field.pull(cursor, limit=2)
        remaining.append(page["remaining"])
        counting.append(any("count(" in s.lower() and "records" in s.lower() for s, _ in seen))
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert remaining == [10, 8, 6, 4, 2, 0]
    # Counted once the estimate falls below the bound, to end on the exact figure.
    assert counting == [False, False, False, False, True, False]
