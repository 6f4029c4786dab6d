"""Conflicts (§6): the admin's list, resolution by field, and conflict_stale."""

from __future__ import annotations

import pytest


def open_conflict(field, admin, household, build, patch=None):
    """The admin changes the address; the device, offline since rev 1, changed it too."""
    admin.push_one(
        build.op("households", household["id"], {"address": "14 Hùng Vương"}, base_rev=1)
    )
    result = field.push_one(
        build.op("households", household["id"], patch or {"address": "99 Trần Phú"}, base_rev=1),
        device_id="phone-A",
    )
    assert result["status"] == "conflict"
    return result["conflict_id"]


def resolve(admin, conflict_id, choices, deleted=None):
    body = {"choices": choices}
    if deleted is not None:
        body["deleted"] = deleted
    return admin.post(f"/conflicts/{conflict_id}/resolve", body)


def conflicts(admin, status=None):
    params = {"status": status} if status else {}
    response = admin.get("/conflicts", query_string=params)
    assert response.status_code == 200
    return response.get_json()["conflicts"]


@pytest.mark.parametrize(
    ("choice", "address"),
    [
        ("client", "99 Trần Phú"),
        ("server", "14 Hùng Vương"),
        ({"value": "99 Trần Phú, tổ 3"}, "99 Trần Phú, tổ 3"),
    ],
    ids=["client", "server", "value"],
)
def test_resolving_writes_a_new_rev_and_closes_the_conflict(
    field, admin, household, build, choice, address
):
    conflict_id = open_conflict(field, admin, household, build)
    [listed] = conflicts(admin, "open")
    assert listed["fields"]["address"] == {
        "base": "12 Hùng Vương",
        "server": "14 Hùng Vương",
        "client": "99 Trần Phú",
    }
    assert listed["op"]["device_id"] == "phone-A" and listed["op"]["received_at"]
    response = resolve(admin, conflict_id, {"address": choice})
    assert response.status_code == 200, response.get_json()
    record = response.get_json()
    assert record["fields"]["address"] == address
    assert record["rev"] == 3
    assert record["meta"]["open_conflicts"] == 0
    assert conflicts(admin, "open") == []
    [closed] = conflicts(admin, "resolved")
    assert closed["id"] == conflict_id
    assert closed["resolved_by"]["id"] == admin.id and closed["resolved_at"]
    history = admin.get(f"/records/households/{household['id']}/history").get_json()
    assert history["revisions"][-1]["kind"] == "resolve"


def test_resolution_reaches_the_device_by_pull(field, admin, household, build):
    conflict_id = open_conflict(field, admin, household, build)
    _, cursor = field.pull_all()
    resolve(admin, conflict_id, {"address": "client"})
    [change] = field.pull(cursor)["changes"]
    assert change["record"]["fields"]["address"] == "99 Trần Phú"


def test_every_conflicting_field_must_be_chosen(field, admin, household, build):
    admin.push_one(build.op("households", household["id"], {"members_count": 2}, base_rev=1))
    admin.push_one(
        build.op("households", household["id"], {"address": "14 Hùng Vương"}, base_rev=2)
    )
    result = field.push_one(
        build.op(
            "households",
            household["id"],
            {"address": "99 Trần Phú", "members_count": 5},
            base_rev=1,
        )
    )
    assert result["status"] == "conflict"
    response = resolve(admin, result["conflict_id"], {"address": "client"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation"
    assert list(error["details"]) == ["members_count"]
    assert [c["status"] for c in conflicts(admin)] == ["open"]


@pytest.mark.parametrize(
    "choice",
    ["mine", {"value": ""}, {"val": "x"}, None],
    ids=["unknown-word", "invalid-value", "bad-object", "null"],
)
def test_invalid_choice_is_validation(field, admin, household, build, choice):
    conflict_id = open_conflict(field, admin, household, build)
    response = resolve(admin, conflict_id, {"address": choice})
    assert response.status_code == 422
    assert "address" in response.get_json()["error"]["details"]


def test_choosing_a_field_that_did_not_conflict_is_validation(field, admin, household, build):
    conflict_id = open_conflict(field, admin, household, build)
    response = resolve(admin, conflict_id, {"address": "server", "phone": "client"})
    assert response.status_code == 422
    assert "phone" in response.get_json()["error"]["details"]


def test_conflict_on_a_record_changed_since_is_stale(field, admin, household, build):
    conflict_id = open_conflict(field, admin, household, build)
    admin.push_one(build.op("households", household["id"], {"address": "1 Lê Lợi"}, base_rev=2))
    response = resolve(admin, conflict_id, {"address": "client"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict_stale"
    assert error["details"]["record"]["fields"]["address"] == "1 Lê Lợi"
    assert admin.record("households", household["id"])["fields"]["address"] == "1 Lê Lợi"


def test_change_of_another_field_does_not_make_it_stale(field, admin, household, build):
    conflict_id = open_conflict(field, admin, household, build)
    admin.push_one(build.op("households", household["id"], {"notes": "ghi chú"}, base_rev=2))
    assert resolve(admin, conflict_id, {"address": "client"}).status_code == 200


def test_resolving_twice_is_stale(field, admin, household, build):
    conflict_id = open_conflict(field, admin, household, build)
    assert resolve(admin, conflict_id, {"address": "client"}).status_code == 200
    assert resolve(admin, conflict_id, {"address": "server"}).status_code == 409


@pytest.mark.parametrize("conflict_id", ["00000000-0000-4000-8000-000000000000", "nope"])
def test_unknown_conflict_is_not_found(admin, conflict_id):
    assert resolve(admin, conflict_id, {}).status_code == 404


def test_field_staff_may_not_resolve(field, admin, household, build):
    conflict_id = open_conflict(field, admin, household, build)
    assert resolve(field, conflict_id, {"address": "client"}).status_code == 403


# -- deletes -------------------------------------------------------------------------------


@pytest.fixture
def delete_vs_edit(field, admin, household, build):
    admin.push_one(build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1))
    result = field.push_one(build.op("households", household["id"], base_rev=1, delete=True))
    assert result["status"] == "conflict"
    [conflict] = conflicts(admin, "open")
    assert conflict["kind"] == "delete_vs_edit"
    return conflict


@pytest.mark.parametrize("deleted", [True, False])
def test_delete_vs_edit_is_resolved_by_choosing_delete_or_keep(
    admin, household, delete_vs_edit, deleted
):
    response = resolve(admin, delete_vs_edit["id"], {}, deleted=deleted)
    assert response.status_code == 200, response.get_json()
    record = response.get_json()
    assert record["deleted"] is deleted
    assert record["fields"]["phone"] == "0987654321"
    assert admin.record("households", household["id"])["deleted"] is deleted


def test_delete_vs_edit_needs_the_delete_decision(admin, delete_vs_edit):
    response = resolve(admin, delete_vs_edit["id"], {})
    assert response.status_code == 422
    assert "deleted" in response.get_json()["error"]["details"]


def test_edit_vs_delete_can_bring_the_record_back_with_the_edit(field, admin, household, build):
    admin.push_one(build.op("households", household["id"], base_rev=1, delete=True))
    result = field.push_one(
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    )
    [conflict] = conflicts(admin, "open")
    assert conflict["kind"] == "edit_vs_delete" and conflict["id"] == result["conflict_id"]
    response = resolve(admin, conflict["id"], {"phone": "client"}, deleted=False)
    assert response.status_code == 200, response.get_json()
    record = response.get_json()
    assert record["deleted"] is False
    assert record["fields"]["phone"] == "0987654321"


def test_edit_vs_delete_can_stay_deleted(field, admin, household, build):
    admin.push_one(build.op("households", household["id"], base_rev=1, delete=True))
    result = field.push_one(
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    )
    response = resolve(admin, result["conflict_id"], {"phone": "server"}, deleted=True)
    assert response.status_code == 200
    assert response.get_json()["deleted"] is True
