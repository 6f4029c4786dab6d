"""POST /sync/push (§4): every row of the rule table, the rule order, replays, and the op log."""

from __future__ import annotations

import json

import orjson
import pytest


def revisions(api, record) -> list[dict]:
    response = api.get(f"/records/{record['collection']}/{record['id']}/history")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["revisions"]


def open_conflicts(admin) -> list[dict]:
    response = admin.get("/conflicts", query_string={"status": "open"})
    assert response.status_code == 200
    return response.get_json()["conflicts"]


@pytest.fixture
def edited_by_server(admin, household, build):
    """The household as the device saw it (rev 1), then changed on the server by an admin."""
    result = admin.push_one(
        build.op("households", household["id"], {"address": "14 Hùng Vương"}, base_rev=1)
    )
    assert result["status"] == "applied" and result["rev"] == 2
    return household


# -- the rule table ------------------------------------------------------------------------


def test_create_applies_at_rev_one_with_defaults(field, quarters, build):
    record_id = build.id()
    result = field.push_one(build.op("households", record_id, build.household(quarters["KP1"])))
    assert result["status"] == "applied"
    assert result["id"] == record_id and result["rev"] == 1
    record = result["record"]
    assert record["rev"] == 1 and record["deleted"] is False
    assert record["fields"]["members_count"] == 1 and record["fields"]["categories"] == []
    assert record["meta"]["quarter_id"] == quarters["KP1"]
    assert record["meta"]["created_by"]["id"] == field.id
    assert record["meta"]["review"]["status"] == "pending"
    assert field.record("households", record_id)["fields"]["head_name"] == "Nguyễn Văn An"


def test_a_result_shows_the_record_as_a_read_of_it_does(field, supervisor, household, build):
    response = supervisor.post(
        f"/records/households/{household['id']}/review",
        {"status": "has_issues", "comment": "Thiếu số điện thoại"},
    )
    assert response.status_code == 200, response.get_json()
    result = field.push_one(
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=2)
    )
    assert result["record"]["meta"]["review"]["by"]["id"] == supervisor.id
    assert result["record"] == field.record("households", household["id"])


def test_create_of_existing_record_conflicts_on_differing_fields(field, admin, household, build):
    result = field.push_one(
        build.op(
            "households",
            household["id"],
            {**household["fields"], "phone": "0987654321", "head_name": "Trần Thị Bình"},
        )
    )
    assert result["status"] == "conflict" and result["conflict_id"]
    assert result["record"]["fields"]["phone"] == "0912345678", "the server's value stays"
    [conflict] = open_conflicts(admin)
    assert conflict["id"] == result["conflict_id"]
    assert conflict["kind"] == "fields"
    assert conflict["fields"] == {
        "head_name": {"base": None, "server": "Nguyễn Văn An", "client": "Trần Thị Bình"},
        "phone": {"base": None, "server": "0912345678", "client": "0987654321"},
    }


def test_create_resent_with_identical_content_under_new_op_id_changes_nothing(
    field, admin, household, build
):
    result = field.push_one(build.op("households", household["id"], dict(household["fields"])))
    assert result["status"] == "applied"
    assert result["rev"] == 1
    assert open_conflicts(admin) == []


def test_edit_at_current_rev_applies_and_bumps_rev(field, household, build):
    result = field.push_one(
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    )
    assert result["status"] == "applied" and result["rev"] == 2
    assert result["record"]["fields"]["phone"] == "0987654321"
    assert field.record("households", household["id"])["rev"] == 2


def test_stale_edit_of_other_fields_merges_on_top_of_server(field, edited_by_server, build):
    result = field.push_one(
        build.op("households", edited_by_server["id"], {"phone": "0987654321"}, base_rev=1)
    )
    assert result["status"] == "merged" and result["rev"] == 3
    fields = field.record("households", edited_by_server["id"])["fields"]
    assert fields["address"] == "14 Hùng Vương"
    assert fields["phone"] == "0987654321"


def test_stale_edit_with_equal_change_merges_without_new_rev(field, edited_by_server, build):
    result = field.push_one(
        build.op("households", edited_by_server["id"], {"address": "14 Hùng Vương"}, base_rev=1)
    )
    assert result["status"] == "merged"
    assert result["rev"] == 2
    assert len(revisions(field, edited_by_server)) == 2


def test_stale_edit_of_same_field_conflicts_and_applies_the_rest(
    field, admin, edited_by_server, build
):
    result = field.push_one(
        build.op(
            "households",
            edited_by_server["id"],
            {"address": "99 Trần Phú", "members_count": 4},
            base_rev=1,
        ),
        device_id="phone-A",
    )
    assert result["status"] == "conflict"
    assert result["rev"] == 3, "the non-conflicting field made a new rev"
    fields = result["record"]["fields"]
    assert fields["address"] == "14 Hùng Vương", "conflicting field keeps the server's value"
    assert fields["members_count"] == 4
    assert result["record"]["meta"]["open_conflicts"] == 1
    [conflict] = open_conflicts(admin)
    assert conflict["id"] == result["conflict_id"]
    assert conflict["record_id"] == edited_by_server["id"]
    assert conflict["fields"] == {
        "address": {"base": "12 Hùng Vương", "server": "14 Hùng Vương", "client": "99 Trần Phú"}
    }
    assert conflict["op"]["user"]["id"] == field.id
    assert conflict["op"]["device_id"] == "phone-A"
    assert conflict["status"] == "open"


def test_stale_edit_with_only_conflicting_fields_makes_no_new_rev(field, edited_by_server, build):
    result = field.push_one(
        build.op("households", edited_by_server["id"], {"address": "99 Trần Phú"}, base_rev=1)
    )
    assert result["status"] == "conflict"
    assert result["rev"] == 2
    assert len(revisions(field, edited_by_server)) == 2


@pytest.mark.parametrize("base_rev", [2, 7], ids=["one-ahead", "far-ahead"])
def test_edit_from_a_revision_the_server_never_had_is_unknown_base(
    field, household, build, base_rev
):
    result = field.push_one(
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=base_rev)
    )
    assert result["status"] == "rejected" and result["code"] == "unknown_base"
    assert result["record"] is None and result["rev"] is None
    assert field.record("households", household["id"])["fields"]["phone"] == "0912345678"


@pytest.mark.parametrize("who", ["admin", "field"])
@pytest.mark.parametrize("delete", [False, True], ids=["edit", "delete"])
def test_edit_or_delete_of_unknown_record_is_unknown_base(request, who, delete, build, quarters):
    api = request.getfixturevalue(who)
    fields = None if delete else {"phone": "0987654321"}
    result = api.push_one(build.op("households", build.id(), fields, base_rev=1, delete=delete))
    assert result["status"] == "rejected"
    assert result["code"] == "unknown_base"


def test_delete_at_current_rev_leaves_a_tombstone(field, household, build):
    result = field.push_one(build.op("households", household["id"], base_rev=1, delete=True))
    assert result["status"] == "applied" and result["rev"] == 2
    assert result["record"]["deleted"] is True
    assert result["record"]["fields"]["head_name"] == "Nguyễn Văn An", "tombstone keeps fields"
    history = revisions(field, household)
    assert history[-1]["kind"] == "delete"


def test_stale_delete_of_an_edited_record_conflicts_and_keeps_it(
    field, admin, edited_by_server, build
):
    result = field.push_one(build.op("households", edited_by_server["id"], base_rev=1, delete=True))
    assert result["status"] == "conflict"
    assert result["record"]["deleted"] is False
    assert field.record("households", edited_by_server["id"])["deleted"] is False
    [conflict] = open_conflicts(admin)
    assert conflict["kind"] == "delete_vs_edit"
    assert "address" in conflict["fields"]


def test_stale_delete_after_only_a_review_is_merged(field, supervisor, household, build):
    reviewed = supervisor.post(
        f"/records/households/{household['id']}/review", {"status": "approved"}
    )
    assert reviewed.status_code == 200 and reviewed.get_json()["rev"] == 2
    result = field.push_one(build.op("households", household["id"], base_rev=1, delete=True))
    assert result["status"] == "merged" and result["rev"] == 3
    assert result["record"]["deleted"] is True


def test_edit_equal_to_current_fields_makes_no_new_rev(field, household, build):
    result = field.push_one(
        build.op("households", household["id"], {"phone": "0912345678"}, base_rev=1)
    )
    assert result["status"] in ("applied", "merged")
    assert result["rev"] == 1
    assert len(revisions(field, household)) == 1


def test_edit_of_deleted_record_conflicts_and_it_stays_deleted(field, admin, household, build):
    assert (
        admin.push_one(build.op("households", household["id"], base_rev=1, delete=True))["status"]
        == "applied"
    )
    result = field.push_one(
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    )
    assert result["status"] == "conflict"
    assert result["record"]["deleted"] is True
    [conflict] = open_conflicts(admin)
    assert conflict["kind"] == "edit_vs_delete"
    assert conflict["fields"]["phone"]["client"] == "0987654321"
    assert field.record("households", household["id"])["deleted"] is True


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field_name"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "+8491234567"}, "phone"),
        ({"members_count": 0}, "members_count"),
        ({"members_count": 51}, "members_count"),
        ({"members_count": "3"}, "members_count"),
        ({"address": ""}, "address"),
        ({"head_name": "x" * 101}, "head_name"),
        ({"categories": ["rich"]}, "categories"),
        ({"location": {"lat": 91, "lon": 106}}, "location"),
        ({"notes": "x" * 2001}, "notes"),
        ({"nickname": "Út"}, "nickname"),
        ({"group_id": "00000000-0000-4000-8000-000000000000"}, "group_id"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_create_is_rejected_with_field_messages(
    field, quarters, build, overrides, field_name
):
    record_id = build.id()
    fields = build.household(quarters["KP1"], **overrides)
    result = field.push_one(build.op("households", record_id, fields))
    assert result["status"] == "rejected" and result["code"] == "validation"
    assert field_name in "".join(result["errors"]), result["errors"]
    assert all(isinstance(m, str) for msgs in result["errors"].values() for m in msgs)
    assert field.get(f"/records/households/{record_id}").status_code == 404


def test_phone_error_names_the_rule(field, quarters, build):
    fields = build.household(quarters["KP1"], phone="12345")
    result = field.push_one(build.op("households", build.id(), fields))
    assert result["errors"] == {"phone": ["Not a Vietnamese phone number."]}


def test_missing_required_field_on_create_is_validation(field, quarters, build):
    fields = build.household(quarters["KP1"])
    del fields["head_name"]
    result = field.push_one(build.op("households", build.id(), fields))
    assert result["code"] == "validation" and "head_name" in result["errors"]


def test_patch_cannot_break_a_required_field(field, household, build):
    result = field.push_one(build.op("households", household["id"], {"head_name": ""}, base_rev=1))
    assert result["code"] == "validation" and "head_name" in result["errors"]
    assert field.record("households", household["id"])["fields"]["head_name"] == "Nguyễn Văn An"


def test_child_of_unknown_household_is_a_validation_error_on_that_field(field, quarters, build):
    result = field.push_one(build.op("visits", build.id(), build.visit(build.id())))
    assert result["status"] == "rejected" and result["code"] == "validation"
    assert "household_id" in result["errors"]


def test_visit_more_than_a_day_in_the_future_is_rejected(field, household, build):
    fields = build.visit(household["id"], visited_at="2999-01-01T08:00:00+07:00")
    result = field.push_one(build.op("visits", build.id(), fields))
    assert result["code"] == "validation" and "visited_at" in result["errors"]


def test_health_insurance_registration_needs_a_person(field, household, build):
    fields = {
        "household_id": household["id"],
        "kind": "health_insurance",
        "status": "registered",
        "persons": 0,
        "registered_on": "2024-10-12",
    }
    result = field.push_one(build.op("registrations", build.id(), fields))
    assert result["code"] == "validation" and "persons" in result["errors"]
    result = field.push_one(build.op("registrations", build.id(), {**fields, "persons": 2}))
    assert result["status"] == "applied"
    assert result["record"]["meta"]["quarter_id"] == household["meta"]["quarter_id"]


@pytest.mark.parametrize(
    "malformed",
    [
        {"op_id": "not-a-uuid"},
        {"id": "not-a-uuid"},
        {"op_id": 12},
        {"collection": "people"},
        {"collection": {}},
        {"collection": ["households"]},
        {"fields": None},
        {"fields": ["a"]},
        {"base_rev": "1"},
        {"base_rev": 0},
        {"delete": "yes"},
        {"surprise": 1},
    ],
    ids=lambda m: next(iter(m)),
)
def test_malformed_op_is_rejected_as_validation(field, quarters, build, malformed):
    sent = {**build.op("households", build.id(), build.household(quarters["KP1"])), **malformed}
    result = field.push_one(sent)
    assert result["status"] == "rejected" and result["code"] == "validation"
    assert set(malformed) & set(result["errors"]), result["errors"]


def test_ops_that_are_not_objects_are_rejected_alone(field, quarters, build):
    good = build.op("households", build.id(), build.household(quarters["KP1"]))
    results = field.push("just a string", None, 42, good)
    assert [r["status"] for r in results] == ["rejected"] * 3 + ["applied"]
    assert {r["code"] for r in results[:3]} == {"validation"}


# -- scope and role ------------------------------------------------------------------------


@pytest.fixture
def kp2_household(admin, quarters, build):
    result = admin.push_one(build.op("households", build.id(), build.household(quarters["KP2"])))
    assert result["status"] == "applied"
    return result["record"]


@pytest.mark.parametrize(
    "collection", ["quarters", "groups", "campaigns"], ids=lambda c: f"field-writes-{c}"
)
def test_reference_collections_are_read_only_for_field_staff(field, quarters, build, collection):
    fields = {
        "quarters": {"code": "KP9", "name": "Khu phố 9"},
        "groups": {"quarter_id": quarters["KP1"], "name": "Tổ 1"},
        "campaigns": {"name": "Đợt 3", "starts_on": "2024-11-01", "ends_on": "2024-11-30"},
    }[collection]
    result = field.push_one(build.op(collection, build.id(), fields))
    assert result["status"] == "rejected" and result["code"] == "forbidden"


def test_supervisor_may_not_write_field_data(supervisor, quarters, build):
    result = supervisor.push_one(
        build.op("households", build.id(), build.household(quarters["KP1"]))
    )
    assert result["code"] == "forbidden"


def test_field_staff_may_not_create_in_another_neighbourhood(field, quarters, build):
    result = field.push_one(build.op("households", build.id(), build.household(quarters["KP2"])))
    assert result["status"] == "rejected" and result["code"] == "forbidden"


def test_field_staff_may_not_edit_a_record_stored_elsewhere(field, kp2_household, build):
    result = field.push_one(
        build.op("households", kp2_household["id"], {"phone": "0987654321"}, base_rev=1)
    )
    assert result["code"] == "forbidden"


def test_field_staff_may_not_move_a_household_out_of_their_neighbourhoods(
    field, household, quarters, build
):
    result = field.push_one(
        build.op("households", household["id"], {"quarter_id": quarters["KP2"]}, base_rev=1)
    )
    assert result["code"] == "forbidden"
    assert field.record("households", household["id"])["meta"]["quarter_id"] == quarters["KP1"]


def test_field_staff_may_not_add_a_visit_to_a_household_elsewhere(field, kp2_household, build):
    result = field.push_one(build.op("visits", build.id(), build.visit(kp2_household["id"])))
    assert result["code"] == "forbidden"


def test_admin_may_write_everywhere(admin, kp2_household, quarters, build):
    result = admin.push_one(
        build.op("households", kp2_household["id"], {"quarter_id": quarters["KP3"]}, base_rev=1)
    )
    assert result["status"] == "applied"
    assert result["record"]["meta"]["quarter_id"] == quarters["KP3"]


# -- rule order ----------------------------------------------------------------------------


def test_rule_order_malformed_before_forbidden(field, build):
    sent = build.op("quarters", build.id(), {"code": "KP9", "name": "Khu phố 9"})
    sent["op_id"] = "not-a-uuid"
    assert field.push_one(sent)["code"] == "validation"


def test_rule_order_forbidden_before_unknown_base(field, kp2_household, build):
    result = field.push_one(
        build.op("households", kp2_household["id"], {"phone": "0987654321"}, base_rev=9)
    )
    assert result["code"] == "forbidden"


def test_rule_order_forbidden_before_field_validation(field, quarters, build):
    fields = build.household(quarters["KP2"], phone="12345")
    assert field.push_one(build.op("households", build.id(), fields))["code"] == "forbidden"


def test_rule_order_unknown_base_before_field_validation(field, household, build):
    result = field.push_one(build.op("households", household["id"], {"phone": "1"}, base_rev=5))
    assert result["code"] == "unknown_base"


def test_rule_order_replay_before_everything(field, quarters, build):
    sent = build.op("households", build.id(), build.household(quarters["KP1"], phone="1"))
    first = field.push_one(sent)
    assert first["code"] == "validation"
    again = field.push_one(sent)
    assert again["replayed"] is True
    assert again["code"] == "validation" and again["errors"] == first["errors"]


# -- exactly once --------------------------------------------------------------------------


def test_replayed_op_returns_first_result(field, household, build, sql):
    sent = build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    first = field.push_one(sent)
    # The device never saw the answer and sends it again, after someone else changed the record.
    field.push_one(build.op("households", household["id"], {"members_count": 3}, base_rev=2))
    again = field.push_one(sent)
    assert again["replayed"] is True
    assert {k: v for k, v in again.items() if k != "replayed"} == first
    assert "replayed" not in first
    record = field.record("households", household["id"])
    assert record["rev"] == 3
    assert record["fields"]["members_count"] == 3
    assert len(revisions(field, household)) == 3


def test_replays_answer_byte_for_byte_what_the_ops_first_answered(
    field, admin, household, quarters, build
):
    """Each outcome's answer, replayed after the records moved on, is the first one to the byte
    (plus `replayed`): a create, an edit, a merge, a conflict, a delete, a create of a record
    that is already there, a rejection."""
    created = build.id()
    ops = [
        build.op("households", household["id"], household["fields"]),
        build.op("households", created, build.household(quarters["KP1"], head_name="Lê Văn Cường")),
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1),
        build.op("households", household["id"], {"address": "7 Lý Thường Kiệt"}, base_rev=1),
        build.op("households", household["id"], {"phone": "0911111111"}, base_rev=1),
        build.op("households", created, base_rev=1, delete=True),
        build.op("households", build.id(), build.household(quarters["KP1"], phone="1")),
    ]
    first = field.post("/sync/push", {"device_id": "phone-1", "ops": ops})
    assert first.status_code == 200
    assert [r["status"] for r in first.get_json()["results"]] == [
        *("applied", "applied", "applied", "merged", "conflict", "applied", "rejected")
    ]
    admin.push(build.op("households", household["id"], {"members_count": 5}, base_rev=4))
    again = field.post("/sync/push", {"device_id": "phone-1", "ops": ops})
    assert again.status_code == 200
    replayed = orjson.loads(again.data)
    assert [r.pop("replayed") for r in replayed["results"]] == [True] * len(ops)
    assert orjson.dumps(replayed) == first.data


def test_replay_within_one_batch_is_applied_once(field, quarters, build):
    sent = build.op("households", build.id(), build.household(quarters["KP1"]))
    first, again = field.push(sent, sent)
    assert first["status"] == "applied" and "replayed" not in first
    assert again["replayed"] is True and again["rev"] == 1


def test_replayed_create_does_not_open_a_conflict(field, admin, quarters, build):
    sent = build.op("households", build.id(), build.household(quarters["KP1"]))
    field.push_one(sent)
    assert field.push_one(sent)["status"] == "applied"
    assert open_conflicts(admin) == []


def test_reused_op_id_with_other_content_is_rejected(field, household, build):
    sent = build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    field.push_one(sent)
    reused = {**sent, "fields": {"phone": "0911111111"}, "base_rev": 2}
    result = field.push_one(reused)
    assert result["status"] == "rejected" and result["code"] == "op_id_reused"
    assert field.record("households", household["id"])["fields"]["phone"] == "0987654321"


def test_op_id_case_does_not_dodge_replay(field, quarters, build):
    sent = build.op("households", build.id(), build.household(quarters["KP1"]))
    field.push_one(sent)
    shouting = {**sent, "op_id": sent["op_id"].upper()}
    result = field.push_one(shouting)
    assert result["status"] == "rejected" and result["code"] == "op_id_reused"


# -- batches and the op log ----------------------------------------------------------------


def test_one_bad_op_does_not_stop_the_others(field, quarters, build):
    results = field.push(
        build.op("households", build.id(), build.household(quarters["KP1"])),
        build.op("households", build.id(), build.household(quarters["KP1"], phone="1")),
        build.op("households", build.id(), build.household(quarters["KP1"])),
    )
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]


def test_ops_apply_in_order_and_each_result_shows_the_record_after_it(field, quarters, build):
    record_id = build.id()
    results = field.push(
        build.op("households", record_id, build.household(quarters["KP1"])),
        build.op("households", record_id, {"phone": "0987654321"}, base_rev=1),
        build.op("households", record_id, base_rev=2, delete=True),
    )
    assert [(r["status"], r["rev"]) for r in results] == [
        ("applied", 1),
        ("applied", 2),
        ("applied", 3),
    ]
    assert results[0]["record"]["fields"]["phone"] == "0912345678"
    assert results[1]["record"]["fields"]["phone"] == "0987654321"
    assert results[2]["record"]["deleted"] is True


def test_every_op_is_kept_even_rejected_ones(field, household, quarters, build, sql):
    rejected = build.op("households", build.id(), build.household(quarters["KP1"], phone="1"))
    conflicting = build.op("households", household["id"], dict(household["fields"], phone=None))
    field.push(rejected, conflicting, device_id="phone-7")
    rows = sql(
        "SELECT op_id, status, payload, device_id, user_id FROM ops WHERE op_id IN (:a, :b)",
        a=rejected["op_id"],
        b=conflicting["op_id"],
    )
    kept = {row.op_id: row for row in rows}
    assert kept[rejected["op_id"]].status == "rejected"
    assert kept[conflicting["op_id"]].status == "conflict"
    payload = kept[rejected["op_id"]].payload
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload["fields"]["phone"] == "1", "what was typed is kept as typed"
    assert {row.device_id for row in rows} == {"phone-7"}
    assert {row.user_id for row in rows} == {field.id}


def test_reused_op_id_is_kept_too(field, household, build, sql):
    sent = build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    field.push_one(sent)
    field.push_one({**sent, "fields": {"phone": "0911111111"}})
    rows = sql("SELECT status FROM ops WHERE record_id = :id", id=household["id"])
    assert sorted(row.status for row in rows) == ["applied", "applied", "rejected"]


def test_device_id_is_recorded_in_history(field, household, build):
    field.push_one(
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1),
        device_id="phone-42",
    )
    assert revisions(field, household)[-1]["device_id"] == "phone-42"
