"""GET /sync/pull (§5): pages, cursors, tombstones, reference data, eviction, catch-up, 410."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


def keys(changes) -> list[tuple[str, str, str]]:
    return [(c["op"], c["collection"], c["id"]) for c in changes]


def create_households(api, quarter_id, build, count):
    results = api.push(
        *(
            build.op("households", build.id(), build.household(quarter_id, head_name=f"Hộ {i}"))
            for i in range(count)
        )
    )
    assert {r["status"] for r in results} == {"applied"}
    return [r["id"] for r in results]


def test_first_sync_comes_in_pages_with_every_record_once(field, quarters, build):
    ids = create_households(field, quarters["KP1"], build, 5)
    seen, cursor, pages = [], None, 0
    while True:
        page = field.pull(cursor, limit=2)
        pages += 1
        assert len(page["changes"]) <= 2
        seen += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert pages >= 3
    assert keys(seen) == [("upsert", "quarters", quarters["KP1"])] + [
        ("upsert", "households", i) for i in ids
    ], "in commit order, each once"
    assert all(c["record"]["rev"] == c["rev"] == 1 for c in seen)


def test_a_page_is_ascii_with_names_escaped_and_reads_as_sent(field, quarters, build):
    [hid] = create_households(field, quarters["KP1"], build, 1)
    field.push_one(build.op("households", hid, {"address": "Đường Lê Lợi 😀"}, base_rev=1))
    response = field.get("/sync/pull")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.data.isascii()
    assert b"\\u1ed9" in response.data, "Hộ: each non-ASCII character as a JSON escape"
    [record] = [c["record"] for c in response.get_json()["changes"] if c["id"] == hid]
    assert record["fields"]["head_name"] == "Hộ 0"
    assert record["fields"]["address"] == "Đường Lê Lợi 😀"


def test_incremental_pull_returns_only_what_changed_since(field, quarters, build):
    create_households(field, quarters["KP1"], build, 2)
    _, cursor = field.pull_all()
    assert field.pull(cursor)["changes"] == []
    [new] = create_households(field, quarters["KP1"], build, 1)
    page = field.pull(cursor)
    assert keys(page["changes"]) == [("upsert", "households", new)]
    assert page["more"] is False


def test_a_record_appears_once_per_page_at_its_newest_state(field, household, build):
    _, cursor = field.pull_all()
    field.push_one(build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1))
    field.push_one(build.op("households", household["id"], {"members_count": 4}, base_rev=2))
    changes, _ = field.pull_all(cursor)
    assert keys(changes) == [("upsert", "households", household["id"])]
    assert changes[0]["rev"] == 3
    assert changes[0]["record"]["fields"]["members_count"] == 4
    assert changes[0]["record"]["fields"]["phone"] == "0987654321"


def test_deleted_record_comes_as_delete_with_its_tombstone(field, household, build):
    _, cursor = field.pull_all()
    field.push_one(build.op("households", household["id"], base_rev=1, delete=True))
    [change] = field.pull(cursor)["changes"]
    assert change["op"] == "delete" and change["id"] == household["id"] and change["rev"] == 2
    assert change["record"]["deleted"] is True


def test_reference_collections_come_through_the_feed_in_scope(admin, field, quarters, build):
    campaign, kp1_group, kp2_group = build.id(), build.id(), build.id()
    admin.push(
        build.op(
            "campaigns",
            campaign,
            {"name": "Dân vận đợt 2/2024", "starts_on": "2024-10-12", "ends_on": "2024-10-24"},
        ),
        build.op("groups", kp1_group, {"quarter_id": quarters["KP1"], "name": "Tổ 1"}),
        build.op("groups", kp2_group, {"quarter_id": quarters["KP2"], "name": "Tổ 9"}),
    )
    changes, _ = field.pull_all()
    got = {(c["collection"], c["id"]) for c in changes}
    assert ("quarters", quarters["KP1"]) in got
    assert ("campaigns", campaign) in got
    assert ("groups", kp1_group) in got
    assert ("quarters", quarters["KP2"]) not in got
    assert ("groups", kp2_group) not in got


def test_records_of_other_neighbourhoods_never_reach_the_device(admin, field, quarters, build):
    [elsewhere] = create_households(admin, quarters["KP2"], build, 1)
    [mine] = create_households(admin, quarters["KP1"], build, 1)
    changes, _ = field.pull_all()
    ids = {c["id"] for c in changes}
    assert mine in ids and elsewhere not in ids


def test_admin_pulls_everything(admin, quarters, build):
    made = create_households(admin, quarters["KP2"], build, 1) + create_households(
        admin, quarters["KP3"], build, 1
    )
    changes, _ = admin.pull_all()
    assert set(made) | set(quarters.values()) <= {c["id"] for c in changes}


@pytest.fixture
def household_with_visit(field, household, build):
    visit = field.push_one(build.op("visits", build.id(), build.visit(household["id"])))
    assert visit["status"] == "applied"
    return household, visit["record"]


def test_household_moved_away_is_evicted_with_its_children(
    admin, field, household_with_visit, quarters, build
):
    household, visit = household_with_visit
    _, cursor = field.pull_all()
    moved = admin.push_one(
        build.op("households", household["id"], {"quarter_id": quarters["KP2"]}, base_rev=1)
    )
    assert moved["status"] == "applied"
    changes, _ = field.pull_all(cursor)
    assert ("evict", "households", household["id"]) in keys(changes)
    assert ("evict", "visits", visit["id"]) in keys(changes)
    assert not [c for c in changes if c["op"] == "upsert"], "nothing of KP2 is sent"
    assert field.get(f"/records/visits/{visit['id']}").status_code in (403, 404)


def test_household_moved_in_arrives_with_its_children(
    admin, make_user, quarters, household_with_visit, build
):
    household, visit = household_with_visit
    other = make_user("field", ["KP2"])
    _, cursor = other.pull_all()
    admin.push_one(
        build.op("households", household["id"], {"quarter_id": quarters["KP2"]}, base_rev=1)
    )
    changes, _ = other.pull_all(cursor)
    assert ("upsert", "households", household["id"]) in keys(changes)
    assert ("upsert", "visits", visit["id"]) in keys(changes)


def test_losing_a_neighbourhood_evicts_its_records(admin, field, household_with_visit, quarters):
    household, visit = household_with_visit
    _, cursor = field.pull_all()
    response = admin.patch(f"/users/{field.id}", {"quarters": [quarters["KP2"]]})
    assert response.status_code == 200
    changes, _ = field.pull_all(cursor)
    evicted = {(c["collection"], c["id"]) for c in changes if c["op"] == "evict"}
    assert {
        ("households", household["id"]),
        ("visits", visit["id"]),
        ("quarters", quarters["KP1"]),
    } <= evicted
    assert ("upsert", "quarters", quarters["KP2"]) in keys(changes), "the new one arrives"


@pytest.fixture
def two_quarter_field(make_user, household_with_visit, quarters):
    """A field user of KP1 and KP2 whose device holds the KP1 household and its visit."""
    user = make_user("field", ["KP1", "KP2"])
    _, cursor = user.pull_all()
    return user, cursor


def move_household(admin, household, quarter_id, build):
    moved = admin.push_one(
        build.op("households", household["id"], {"quarter_id": quarter_id}, base_rev=1)
    )
    assert moved["status"] == "applied", moved


def take_kp1(admin, user, quarters):
    response = admin.patch(f"/users/{user.id}", {"quarters": [quarters["KP2"]]})
    assert response.status_code == 200


@pytest.mark.parametrize("order", ["lose_then_move", "move_then_lose"])
def test_losing_a_neighbourhood_and_its_household_moving_away_evicts_it_in_either_order(
    admin, two_quarter_field, household_with_visit, quarters, build, order
):
    user, cursor = two_quarter_field
    household, visit = household_with_visit
    if order == "lose_then_move":
        take_kp1(admin, user, quarters)
        move_household(admin, household, quarters["KP3"], build)
    else:
        move_household(admin, household, quarters["KP3"], build)
        take_kp1(admin, user, quarters)
    changes, _ = user.pull_all(cursor, limit=1)
    evicted = {(c["collection"], c["id"]) for c in changes if c["op"] == "evict"}
    assert {("households", household["id"]), ("visits", visit["id"])} <= evicted
    assert not [c for c in changes if c["op"] != "evict" and c["id"] != quarters["KP2"]]


def test_a_household_moved_into_the_remaining_neighbourhood_stays(
    admin, two_quarter_field, household_with_visit, quarters, build
):
    user, cursor = two_quarter_field
    household, visit = household_with_visit
    take_kp1(admin, user, quarters)
    move_household(admin, household, quarters["KP2"], build)
    changes, _ = user.pull_all(cursor)
    held = {}
    for change in changes:
        key = (change["collection"], change["id"])
        held[key] = change["op"]
    assert held[("households", household["id"])] == "upsert", "evicted first, then sent again"
    assert held[("visits", visit["id"])] == "upsert"


def test_a_deleted_neighbourhood_is_evicted_with_everything_in_it(
    admin, field, household_with_visit, quarters, build
):
    household, visit = household_with_visit
    _, cursor = field.pull_all()
    admin.patch(f"/users/{field.id}", {"quarters": [quarters["KP1"], quarters["KP2"]]})
    _, cursor = field.pull_all(cursor)
    deleted = admin.push_one(build.op("quarters", quarters["KP1"], base_rev=1, delete=True))
    assert deleted["status"] == "applied"
    changes, _ = field.pull_all(cursor)
    evicted = {(c["collection"], c["id"]) for c in changes if c["op"] == "evict"}
    assert {
        ("quarters", quarters["KP1"]),
        ("households", household["id"]),
        ("visits", visit["id"]),
    } <= evicted
    assert not [c for c in changes if c["op"] != "evict"]
    assert field.get(f"/records/households/{household['id']}").status_code == 403


def test_a_deactivated_user_gets_nothing_more(admin, field, household):
    _, cursor = field.pull_all()
    assert admin.patch(f"/users/{field.id}", {"active": False}).status_code == 200
    response = field.get("/sync/pull", query_string={"cursor": cursor})
    assert response.status_code == 401


def test_gaining_a_neighbourhood_catches_up_on_its_history(admin, field, quarters, build):
    [kp2_household] = create_households(admin, quarters["KP2"], build, 1)
    _, cursor = field.pull_all()
    admin.patch(f"/users/{field.id}", {"quarters": [quarters["KP1"], quarters["KP2"]]})
    changes, cursor = field.pull_all(cursor, limit=1)
    assert ("upsert", "households", kp2_household) in keys(changes)
    assert ("upsert", "quarters", quarters["KP2"]) in keys(changes)
    # And from then on the device follows both neighbourhoods.
    [later] = create_households(admin, quarters["KP2"], build, 1)
    changes, _ = field.pull_all(cursor)
    assert keys(changes) == [("upsert", "households", later)]


def test_cursor_older_than_purged_tombstones_is_expired(app, field, household, build):
    from server.extensions import db
    from sync.tombstones import purge

    _, old_cursor = field.pull_all()
    field.push_one(build.op("households", household["id"], base_rev=1, delete=True))
    with app.app_context():
        assert purge(db.session, datetime.now(UTC) + timedelta(days=1)) == 1
        db.session.commit()
    response = field.get("/sync/pull", query_string={"cursor": old_cursor})
    assert response.status_code == 410
    assert response.get_json()["error"]["code"] == "cursor_expired"
    # The device starts again from no cursor and gets a complete picture.
    changes, _ = field.pull_all()
    assert household["id"] not in {c["id"] for c in changes}


def test_cursor_from_another_database_is_expired(field, sql):
    _, cursor = field.pull_all()
    sql("UPDATE feed_state SET epoch = 'another-database'")
    assert field.get("/sync/pull", query_string={"cursor": cursor}).status_code == 410


def test_review_reaches_field_staff_by_pull(field, supervisor, household):
    _, cursor = field.pull_all()
    supervisor.post(
        f"/records/households/{household['id']}/review",
        {"status": "has_issues", "comment": "Thiếu số điện thoại"},
    )
    [change] = field.pull(cursor)["changes"]
    assert change["record"]["meta"]["review"]["status"] == "has_issues"
    assert change["record"]["meta"]["review"]["comment"] == "Thiếu số điện thoại"


def test_pages_over_unevenly_filled_neighbourhoods_bring_every_record_once_in_order(
    admin, make_user, quarters, build
):
    """A page is cut where its `limit`-th record of the scope lies, wherever the neighbourhoods'
    records fall: in long runs of one, then of the other, and among records of others."""
    user = make_user("field", ["KP1", "KP2"])
    expected = []
    for code, count in (("KP1", 150), ("KP3", 40), ("KP2", 20), ("KP1", 5), ("KP2", 130)):
        ids = create_households(admin, quarters[code], build, count)
        if code != "KP3":
            expected += ids
    for limit in (70, 133):
        changes, _ = user.pull_all(limit=limit)
        households = [c["id"] for c in changes if c["collection"] == "households"]
        assert households == expected, f"every household of KP1 and KP2 once, in order ({limit})"
