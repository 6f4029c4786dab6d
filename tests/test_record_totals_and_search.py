"""A record list's `total` and its `q` search (§6) stay exact through every kind of write.

The total of a list filtered only by scope, neighbourhood and review status comes from counts the
database keeps beside the records; a search of three characters or more from an index of the
search text. The engine writes both in the writing transaction, so these tests change records
every way the engine can (create, edit, move, review, bulk review and its undo, delete, conflict
resolution, a stranded change applied, tombstone purge) and then compare what the list says with
what the records are, and the counts and the index themselves with the records.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest

from sync.text import fold

REVIEWS = ("pending", "approved", "has_issues", "rejected")


def listing(api, collection: str = "households", **params: Any) -> dict[str, Any]:
    response = api.get(f"/records/{collection}", query_string={"limit": 500, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def review(api, collection: str, record_id: str, status: str) -> None:
    response = api.post(
        f"/records/{collection}/{record_id}/review",
        {"status": status, "comment": None if status == "approved" else "Xem lại"},
    )
    assert response.status_code == 200, response.get_json()


def assert_totals_exact(api, quarter_ids: list[str], collection: str = "households") -> None:
    """For every filter the counts answer (none, a neighbourhood, a review status, both), the
    total is the number of records the list holds."""
    for quarter in [None, *quarter_ids]:
        for status in [None, *REVIEWS]:
            params = {k: v for k, v in (("quarter", quarter), ("review", status)) if v}
            body = listing(api, collection, **params)
            assert body["total"] == len(body["records"]), (collection, params)


def assert_counts_match_the_records(sql) -> None:
    """Every count is the number of live records of its key; no live record is uncounted."""
    counts = sql(
        "SELECT collection, quarter_key, review_status, n FROM record_counts WHERE n <> 0 "
        "ORDER BY 1, 2, 3"
    )
    records = sql(
        "SELECT collection, coalesce(quarter_id, ''), review_status, count(*) FROM records "
        "WHERE NOT deleted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    assert [tuple(r) for r in counts] == [tuple(r) for r in records]


def assert_search_index_matches_the_records(sql, is_postgres: bool) -> None:
    """SQLite's FTS5 index holds each record's present search text under its present seq, and
    nothing else: for the text of every record and pieces of it, the index finds exactly the
    records (tombstones included) whose text holds it."""
    if is_postgres:
        return  # pg_trgm is an index on the column itself
    rows = [(seq, text) for seq, text in sql("SELECT seq, search_text FROM records")]
    needles = {text for _, text in rows if text}
    needles |= {word[:3] for text in needles for word in text.split() if len(word) >= 3}
    for needle in sorted(needles):
        phrase = '"' + needle.replace('"', '""') + '"'
        found = sql(
            "SELECT rowid FROM records_search WHERE records_search MATCH :phrase", phrase=phrase
        )
        assert sorted(r[0] for r in found) == sorted(s for s, t in rows if needle in t), needle


def test_totals_follow_creates_edits_moves_reviews_and_deletes(
    admin, make_user, quarters, build, sql, is_postgres
):
    rng = random.Random(7)
    kp1 = make_user("supervisor", ["KP1"])
    kp12 = make_user("supervisor", ["KP1", "KP2"])
    codes = ["KP1", "KP2", "KP3"]
    live: dict[str, dict[str, Any]] = {}  # id → {"quarter", "rev"}

    def create(code: str) -> str:
        record_id = build.id()
        admin.push_one(build.op("households", record_id, build.household(quarters[code])))
        live[record_id] = {"quarter": code, "rev": 1}
        return record_id

    for _ in range(24):
        create(rng.choice(codes))
    visits = {
        admin.push_one(build.op("visits", build.id(), build.visit(h)))["id"]: h
        for h in rng.sample(sorted(live), 8)
    }
    for step in range(40):
        record_id = rng.choice(sorted(live))
        kind = rng.choice(["create", "edit", "move", "review", "delete"])
        if kind == "create":
            create(rng.choice(codes))
            continue
        current = admin.record("households", record_id)
        if kind == "edit":
            fields = {"phone": f"09{step:08d}"}
        elif kind == "move":
            live[record_id]["quarter"] = rng.choice(codes)
            fields = {"quarter_id": quarters[live[record_id]["quarter"]]}
        elif kind == "review":
            review(admin, "households", record_id, rng.choice(REVIEWS[1:]))
            continue
        else:
            fields = None
        result = admin.push_one(
            build.op(
                "households", record_id, fields, base_rev=current["rev"], delete=kind == "delete"
            )
        )
        assert result["status"] == "applied", result
        if kind == "delete":
            del live[record_id]

    # A bulk review and its undo change many statuses in one write.
    some = rng.sample(sorted(live), 6)
    batch = admin.post("/records/households/reviews", {"ids": some, "status": "approved"})
    assert batch.status_code == 200, batch.get_json()
    assert_totals_exact(admin, [quarters[c] for c in codes])
    undone = admin.post(f"/reviews/{batch.get_json()['batch_id']}/undo")
    assert undone.status_code == 200, undone.get_json()

    ids = {c: quarters[c] for c in codes}
    assert_totals_exact(admin, list(ids.values()))
    assert_totals_exact(kp1, [ids["KP1"]])
    assert_totals_exact(kp12, [ids["KP1"], ids["KP2"]])
    assert_totals_exact(admin, list(ids.values()), "visits")
    assert_totals_exact(kp1, [ids["KP1"]], "visits")

    # And against what the test itself did, so that the list and the counts cannot agree on a
    # wrong answer.
    expected = {c: sum(1 for r in live.values() if r["quarter"] == c) for c in codes}
    assert listing(admin, limit=1)["total"] == len(live)
    assert listing(kp1, limit=1)["total"] == expected["KP1"]
    assert listing(kp12, limit=1)["total"] == expected["KP1"] + expected["KP2"]
    for code in codes:
        assert listing(admin, limit=1, quarter=ids[code])["total"] == expected[code]
    # Visits follow their household's moves; a deleted household's visits are still there.
    visit_quarters = sql(
        "SELECT quarter_id FROM records WHERE collection = 'visits' AND NOT deleted"
    )
    assert len(visit_quarters) == len(visits)
    in_kp1 = sum(1 for (q,) in visit_quarters if q == ids["KP1"])
    assert listing(kp1, "visits", limit=1)["total"] == in_kp1
    assert_counts_match_the_records(sql)
    assert_search_index_matches_the_records(sql, is_postgres)


def open_conflict(field, admin, household: str, fields: dict | None, delete: bool) -> str:
    """The admin changed or deleted the household at rev 1; the device, offline, did the other."""
    admin.push_one(
        {"op_id": str(uuid.uuid4()), "collection": "households", "id": household,
         "base_rev": 1, "fields": None if delete else {"phone": "0911111111"}, "delete": delete}
    )  # fmt: skip
    result = field.push_one(
        {"op_id": str(uuid.uuid4()), "collection": "households", "id": household,
         "base_rev": 1, "fields": fields, "delete": fields is None}
    )  # fmt: skip
    assert result["status"] == "conflict", result
    return result["conflict_id"]


def test_counts_and_index_follow_conflict_resolutions_and_stranded_changes(
    admin, make_user, quarters, build, sql, is_postgres
):
    field = make_user("field", ["KP1", "KP2"])
    made = []
    for n in range(4):
        record_id = build.id()
        fields = build.household(quarters["KP1"], head_name=f"Rơ Mah Hương {n}")
        assert field.push_one(build.op("households", record_id, fields))["status"] == "applied"
        made.append(record_id)
    # Kept deleted, brought back with the device's edit, deleted after all, edited and moved.
    for record_id, fields, delete, body in (
        (made[0], {"address": "Buôn Ea Nao"}, True, {"choices": {"address": "server"},
                                                     "deleted": True}),
        (made[1], {"address": "Buôn Ea Nao"}, True, {"choices": {"address": "client"},
                                                     "deleted": False}),
        (made[2], None, False, {"choices": {}, "deleted": True}),
        (made[3], {"phone": "0922222222", "head_name": "Rcom H'Nga",
                   "quarter_id": quarters["KP2"]}, False, {"choices": {"phone": "client"}}),
    ):  # fmt: skip
        conflict_id = open_conflict(field, admin, record_id, fields, delete)
        response = admin.post(f"/conflicts/{conflict_id}/resolve", body)
        assert response.status_code == 200, response.get_json()
    assert listing(admin, q="ea nao")["total"] == 1
    assert listing(admin, q="rcom h'nga")["total"] == 1
    assert_counts_match_the_records(sql)
    assert_search_index_matches_the_records(sql, is_postgres)

    # A change refused when its author lost the neighbourhood, applied by an admin (§6a).
    response = admin.patch(f"/users/{field.id}", {"quarters": [quarters["KP2"]]})
    assert response.status_code == 200, response.get_json()
    edit = build.op("households", made[1], {"quarter_id": quarters["KP2"],
                                           "head_name": "Ksor Nguyễn"}, base_rev=3)  # fmt: skip
    result = field.push_one(edit)
    assert (result["status"], result.get("code")) == ("rejected", "forbidden"), result
    assert field.post(f"/ops/{edit['op_id']}/escalate", {}).status_code == 200
    response = admin.post(f"/ops/{edit['op_id']}/apply")
    assert response.status_code == 200, response.get_json()
    assert [r["id"] for r in listing(admin, q="ksor ng")["records"]] == [made[1]]
    assert listing(admin, quarter=quarters["KP2"])["total"] == 2
    assert_counts_match_the_records(sql)
    assert_search_index_matches_the_records(sql, is_postgres)


def test_town_wide_records_count_for_every_supervisor(admin, make_user, build):
    for n in range(3):
        fields = {"name": f"Đợt {n}", "starts_on": "2024-10-12", "ends_on": "2024-10-24"}
        admin.push_one(build.op("campaigns", build.id(), fields))
    kp3 = make_user("supervisor", ["KP3"])
    assert listing(kp3, "campaigns", limit=1)["total"] == 3
    assert listing(admin, "campaigns", limit=1)["total"] == 3


def test_totals_with_other_filters_count_the_matching_records(admin, quarters, build):
    """Filters the counts do not hold (date, author, search) are counted over the records."""
    for n in range(5):
        fields = build.household(quarters["KP1"], head_name=f"Lý Thị {n}")
        admin.push_one(build.op("households", build.id(), fields))
    assert listing(admin, q="ly thi", limit=2)["total"] == 5
    assert listing(admin, q="ly thi 3", limit=2)["total"] == 1
    assert listing(admin, created_by=admin.id, limit=2)["total"] == 5
    assert listing(admin, updated_since="2000-01-01T00:00:00Z", limit=2)["total"] == 5
    assert listing(admin, updated_since="2999-01-01T00:00:00Z", limit=2)["total"] == 0
    assert listing(admin, date_from="2000-01-01", review="pending", limit=2)["total"] == 5
    assert listing(admin, date_to="2000-01-01", limit=2)["total"] == 0


# -- search --------------------------------------------------------------------------------

NAMES = [
    "Nguyễn Văn An",
    "Đặng Thị Đào",
    "Trần Minh Khôi",
    "Ksor H'Bia",
    'Lê "Tư" Bé',
    "Phạm Thị Ngọc Ánh",
    "Hồ Văn Đức",
    "Y Nguyễn",
]
ADDRESSES = ["12 Hùng Vương", "5 Đường Lê Lợi", "8 Nguyễn Trãi", "Ấp Bàu Sen", "100% Hẻm 4"]
QUERIES = [
    "a",
    "d",
    "đ",
    "an",
    "Ng",
    "uye",
    "nguyen",
    "NGUYỄN VĂN",
    "van an",
    "dao",
    "h'b",
    "ksor h'bia",
    'tu"',
    '"tu" be',
    "100%",
    "0% h",
    "_",
    "le loi",
    "uong",
    "ngoc anh",
    "bau sen",
    "0912",
    "khoi 8",
    "zzz",
    "an OR khoi",
    "nguyen*",
    "NEAR(an khoi)",
]


def expected_ids(households: dict[str, dict[str, Any]], query: str) -> set[str]:
    """The spec's search: the folded query is a substring of the folded head's name, address or
    phone (joined by spaces, as the server keeps them)."""
    needle = fold(query)
    return {
        record_id
        for record_id, fields in households.items()
        if needle in fold(" ".join([fields["head_name"], fields["address"], fields["phone"]]))
    }


def test_search_finds_folded_substrings_through_edits_deletes_and_purges(
    app, admin, make_user, quarters, build, sql, is_postgres
):
    rng = random.Random(11)
    households: dict[str, dict[str, Any]] = {}
    for _ in range(30):
        record_id = build.id()
        fields = build.household(
            quarters[rng.choice(["KP1", "KP2"])],
            head_name=rng.choice(NAMES),
            address=rng.choice(ADDRESSES),
            phone=f"09{rng.randrange(10**8):08d}",
        )
        admin.push_one(build.op("households", record_id, fields))
        households[record_id] = fields
    for step in range(25):
        record_id = rng.choice(sorted(households))
        current = admin.record("households", record_id)
        if step % 5 == 4:
            admin.push_one(build.op("households", record_id, base_rev=current["rev"], delete=True))
            del households[record_id]
            continue
        change = {"head_name": rng.choice(NAMES)} if step % 2 else {"address": "Tổ 3, Ấp Bàu Sen"}
        admin.push_one(build.op("households", record_id, change, base_rev=current["rev"]))
        households[record_id].update(change)
        if step % 3 == 0:
            review(admin, "households", record_id, "approved")

    def check() -> None:
        for query in QUERIES:
            body = listing(admin, q=query)
            assert {r["id"] for r in body["records"]} == expected_ids(households, query), query
            assert body["total"] == len(body["records"]), query

    check()
    # Purged tombstones leave the index with their records.
    from server.extensions import db
    from sync.tombstones import purge

    with app.app_context():
        assert purge(db.session, admin_now(admin) + timedelta(days=1)) == 5
        db.session.commit()
    check()
    assert_counts_match_the_records(sql)
    assert_search_index_matches_the_records(sql, is_postgres)

    # A supervisor finds only what is in their neighbourhood.
    kp1 = make_user("supervisor", ["KP1"])
    in_kp1 = {i for i, f in households.items() if f["quarter_id"] == quarters["KP1"]}
    for query in ("nguyen", "a", "ksor", "bau sen"):
        found = {r["id"] for r in listing(kp1, q=query)["records"]}
        assert found == expected_ids(households, query) & in_kp1, query


def admin_now(admin) -> Any:
    """The server's clock, as the newest record's update time says."""
    from datetime import datetime

    newest = listing(admin, limit=1)["records"][0]["meta"]["updated_at"]
    return datetime.fromisoformat(newest)


@pytest.mark.parametrize("query", ["van", "hung vuong", "an"])
def test_a_visit_is_found_by_its_households_text_after_the_household_is_renamed(
    admin, quarters, build, query
):
    household = build.id()
    admin.push_one(
        build.op("households", household, build.household(quarters["KP1"], head_name="Lò Thị Sa"))
    )
    visit = admin.push_one(build.op("visits", build.id(), build.visit(household)))["id"]
    assert listing(admin, "visits", q=query)["total"] == (1 if query == "hung vuong" else 0)
    admin.push_one(build.op("households", household, {"head_name": "Hà Văn An"}, base_rev=1))
    assert [r["id"] for r in listing(admin, "visits", q=query)["records"]] == [visit]


# -- the migration -------------------------------------------------------------------------


def test_the_upgrade_counts_and_indexes_the_records_already_there(tmp_path):
    """A database with records from before the counts and the index gets both filled."""
    import sqlite3
    from contextlib import closing

    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db

    path = tmp_path / "old.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "MEDIA_DIR": str(tmp_path)})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="f1a2b3c4d5e6")  # the one before
        db.engine.dispose()
    rows = [
        ("households", f"00000000-0000-4000-8000-{n:012d}", n, quarter, deleted, status, text)
        for n, (quarter, deleted, status, text) in enumerate(
            [
                ("q1", 0, "pending", "ksor h'bia 12 hung vuong"),
                ("q1", 0, "approved", "nguyen van an"),
                ("q2", 0, "pending", "dang thi dao"),
                ("q2", 1, "pending", "ksor deleted"),
                (None, 0, "pending", ""),
            ],
            start=1,
        )
    ]
    with closing(sqlite3.connect(path)) as connection:
        connection.executemany(
            "INSERT INTO records (collection, id, rev, deleted, fields, quarter_id, seq, "
            "created_at, updated_at, review_status, open_conflicts, search_text) "
            "VALUES (?, ?, 1, ?, '{}', ?, ?, '2024-10-12', '2024-10-12', ?, 0, ?)",
            [(c, i, d, q, seq, s, t) for c, i, seq, q, d, s, t in rows],
        )
        connection.commit()
    with app.app_context():
        upgrade(directory=directory)
        db.engine.dispose()
    with closing(sqlite3.connect(path)) as connection:
        counts = connection.execute(
            "SELECT quarter_key, review_status, n FROM record_counts ORDER BY 1, 2"
        ).fetchall()
        found = connection.execute(
            "SELECT rowid FROM records_search WHERE records_search MATCH '\"ksor\"' ORDER BY 1"
        ).fetchall()
    assert counts == [("", "pending", 1), ("q1", "approved", 1), ("q1", "pending", 1),
                      ("q2", "pending", 1)]  # fmt: skip
    assert found == [(1,), (4,)]  # the tombstone too: the list leaves deleted records out


def test_no_trigger_on_records_writes_the_counts_or_the_index(app, is_postgres, sql):
    """The engine writes the counts and the index itself: a trigger doing it as well (one a
    migration made again, say) would count every record twice."""
    if is_postgres:
        names = {r[0] for r in sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    else:
        names = {r[0] for r in sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert not {n for n in names if n.startswith(("records_count", "records_search"))}
