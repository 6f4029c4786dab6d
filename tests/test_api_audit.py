"""The audit log: every look by a supervisor or admin at residents' data, and the admin's view."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PASSWORD

FIELD_COLLECTIONS = ("households", "visits", "registrations", "support", "assessments")


@pytest.fixture
def town(field, quarters, build) -> dict[str, str]:
    """A KP1 household with one record of every kind, and a nomination: collection → id."""
    household = build.id()
    made = {"households": household}
    ops = [
        build.op("households", household, build.household(quarters["KP1"], head_name="Đỗ Thị Hoa"))
    ]
    children = {
        "visits": build.visit(household),
        "registrations": {
            "household_id": household,
            "kind": "waste_collection",
            "status": "considering",
            "registered_on": "2024-10-13",
        },
        "support": {
            "household_id": household,
            "kind": "gift",
            "value_vnd": 500_000,
            "given_on": "2024-10-14",
        },
        "assessments": {"household_id": household, "year": 2024, "result": "not_yet"},
        "nominations": {
            "quarter_id": quarters["KP1"],
            "nominee": "Phan Văn Tâm",
            "nominee_kind": "individual",
            "domain": "economy",
            "achievement": "Vận động 30 hộ tham gia bảo hiểm y tế.",
        },
    }
    for collection, fields in children.items():
        made[collection] = build.id()
        ops.append(build.op(collection, made[collection], fields))
    assert {r["status"] for r in field.push(*ops)} == {"applied"}
    return made


def log(admin, **params: Any) -> dict[str, Any]:
    response = admin.get("/audit", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def entries(admin, **params: Any) -> list[dict[str, Any]]:
    return log(admin, limit=500, **params)["entries"]


@pytest.mark.parametrize("collection", [*FIELD_COLLECTIONS, "nominations"])
def test_every_look_at_a_record_by_a_supervisor_is_audited(admin, supervisor, town, collection):
    record_id = town[collection]
    for path in (
        f"/records/{collection}/{record_id}",
        f"/records/{collection}/{record_id}/history",
    ):
        assert supervisor.get(path).status_code == 200
    assert supervisor.get(f"/records/{collection}").status_code == 200
    mine = entries(admin, user=supervisor.id)
    assert [(e["action"], e["target"]) for e in reversed(mine)] == [
        ("view", f"{collection}/{record_id}"),
        ("history", f"{collection}/{record_id}"),
        ("list", collection),
    ]


def test_field_staff_reading_their_own_scope_is_not_audited(admin, field, town):
    for collection, record_id in town.items():
        assert field.get(f"/records/{collection}/{record_id}").status_code == 200
        assert field.get(f"/records/{collection}/{record_id}/history").status_code == 200
    field.pull_all()
    assert entries(admin, user=field.id) == []


def test_a_list_entry_keeps_the_search_and_the_filters(admin, supervisor, town, quarters):
    params = {"q": "hoa", "review": "pending", "quarter": quarters["KP1"], "offset": 0}
    assert supervisor.get("/records/households", query_string=params).status_code == 200
    [entry] = entries(admin, action="list")
    assert entry["details"] == {"count": 1, "total": 1, **params}


def test_a_supervisor_pull_is_one_entry_with_the_number_of_records(admin, supervisor, town):
    page = supervisor.pull()
    [entry] = entries(admin, action="pull")
    assert entry["user"]["id"] == supervisor.id
    assert entry["details"] == {"records": len(page["changes"])} and len(page["changes"]) >= 7
    supervisor.pull(page["cursor"])  # nothing new: nothing was read
    assert len(entries(admin, action="pull")) == 1


def test_the_conflict_inbox_and_the_report_are_audited(admin, supervisor, build):
    campaign = build.id()
    fields = {"name": "Dân vận đợt 2/2024", "starts_on": "2024-10-12", "ends_on": "2024-10-24"}
    admin.push_one(build.op("campaigns", campaign, fields))
    assert admin.get("/conflicts", query_string={"status": "open"}).status_code == 200
    assert supervisor.get(f"/reports/campaign/{campaign}").status_code == 200
    got = {(e["action"], e["target"]) for e in entries(admin)}
    assert ("conflicts", "conflicts") in got
    assert ("report", f"reports/campaign/{campaign}") in got


def test_the_log_names_records_by_their_household(admin, supervisor, town):
    supervisor.get(f"/records/visits/{town['visits']}")
    supervisor.get(f"/records/nominations/{town['nominations']}")
    subjects = {e["target"].split("/")[0]: e["subject"] for e in entries(admin)}
    assert subjects["visits"]["label"] == "Đỗ Thị Hoa · 12 Hùng Vương"
    assert subjects["nominations"]["label"] == "Phan Văn Tâm"


def test_the_log_filters_by_user_action_and_date(admin, supervisor, make_user, town, sql):
    other = make_user("supervisor", ["KP1"])
    supervisor.get(f"/records/households/{town['households']}")
    other.get("/records/visits")
    assert {e["user"]["id"] for e in entries(admin, user=other.id)} == {other.id}
    assert {e["action"] for e in entries(admin, action="view")} == {"view"}
    sql(
        "UPDATE audit_log SET at = :then WHERE user_id = :user",
        then="2024-10-12 03:00:00",
        user=other.id,
    )
    assert [
        e["user"]["id"] for e in entries(admin, date_from="2024-10-12", date_to="2024-10-12")
    ] == [other.id]
    assert other.id not in {e["user"]["id"] for e in entries(admin, date_from="2024-10-13")}
    assert log(admin, limit=1)["total"] == len(entries(admin))


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "x"},
        {"limit": "0"},
        {"offset": "-1"},
        {"offset": "99999999999999999999"},
        {"offset": "9223372036854775808"},
        {"action": "peek"},
        {"user": "not-a-user"},
        {"date_from": "2024-13-01"},
    ],
)
def test_bad_audit_parameters_are_bad_requests(admin, params):
    response = admin.get("/audit", query_string=params)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_an_admin_setting_someones_password_is_audited_without_it(admin, field):
    secret = "mat-khau-do-van-phong-dat"
    assert admin.patch(f"/users/{field.id}", {"password": secret}).status_code == 200
    [entry] = entries(admin, action="reset_password")
    assert entry["user"]["id"] == admin.id
    assert entry["target"] == f"users/{field.id}"
    assert entry["subject"] == {"collection": "users", "id": field.id, "label": "Cán bộ canbo1"}
    assert entry["details"] == {"signed_out": 1}
    assert secret not in str(entry)
    assert entries(admin, action="change_user") == []


@pytest.fixture
def unit(admin, build) -> str:
    """A unit a user can be put in."""
    unit_id = build.id()
    admin.push_one(
        build.op("units", unit_id, {"name": "Đoàn Thanh niên", "kind": "mass_organisation"})
    )
    return unit_id


@pytest.mark.parametrize(
    ("change", "noted"),
    [
        ({"role": "supervisor"}, {"role": "supervisor"}),
        ({"quarters": ["KP1", "KP2"]}, {"quarters": ["KP1", "KP2"]}),
        ({"unit_id": "unit"}, {"unit_id": "unit"}),
        ({"active": False}, {"active": False}),
        ({"role": "admin", "quarters": []}, {"role": "admin", "quarters": []}),
    ],
    ids=["role", "neighbourhoods", "unit", "deactivated", "made-admin"],
)
def test_an_admin_changing_what_a_user_may_reach_is_audited(
    admin, field, quarters, unit, change, noted
):
    def wire(name: str, value: Any) -> Any:
        if name == "quarters":
            return sorted(quarters[code] for code in value)
        return unit if value == "unit" else value

    body = {name: wire(name, value) for name, value in change.items()}
    assert admin.patch(f"/users/{field.id}", body).status_code == 200, body
    [entry] = entries(admin, action="change_user")
    assert entry["user"]["id"] == admin.id
    assert entry["subject"]["label"] == "Cán bộ canbo1"
    assert entry["details"] == {name: wire(name, value) for name, value in noted.items()}


def test_a_unit_taken_away_is_audited(admin, field, unit):
    assert admin.patch(f"/users/{field.id}", {"unit_id": unit}).status_code == 200
    assert admin.patch(f"/users/{field.id}", {"unit_id": None}).status_code == 200
    assert [e["details"] for e in entries(admin, action="change_user")] == [
        {"unit_id": None},
        {"unit_id": unit},
    ]


@pytest.mark.parametrize(
    "body",
    [{"display_name": "Nguyễn Thị Lan"}, {"role": "field"}, {"active": True}],
    ids=["renamed", "same-role", "still-active"],
)
def test_a_change_that_leaves_access_as_it_was_is_not_audited(admin, field, body):
    assert admin.patch(f"/users/{field.id}", body).status_code == 200
    assert entries(admin, action="change_user") == []


def test_a_refused_change_is_not_audited(admin, field):
    response = admin.patch(f"/users/{field.id}", {"quarters": [], "password": "mat-khau-moi-2024"})
    assert response.status_code == 422
    assert entries(admin, action="change_user") == []
    assert entries(admin, action="reset_password") == []


def test_a_new_user_is_audited_with_what_they_may_reach(admin, field, quarters):
    [entry] = entries(admin, action="create_user")
    assert entry["user"]["id"] == admin.id
    assert entry["target"] == f"users/{field.id}"
    assert entry["details"] == {
        "role": "field",
        "quarters": [quarters["KP1"]],
        "unit_id": None,
        "active": True,
    }
    assert "password" not in str(entry)


def test_renaming_a_user_is_audited_with_both_names(admin, field):
    assert admin.patch(f"/users/{field.id}", {"display_name": "Nguyễn Thị Lan"}).status_code == 200
    [entry] = entries(admin, action="rename_user")
    assert entry["user"]["id"] == admin.id
    assert entry["target"] == f"users/{field.id}"
    assert entry["subject"]["label"] == "Nguyễn Thị Lan"
    assert entry["details"] == {"old_name": "Cán bộ canbo1", "new_name": "Nguyễn Thị Lan"}


def test_a_rename_to_the_same_name_or_a_refused_one_is_not_audited(admin, field):
    assert admin.patch(f"/users/{field.id}", {"display_name": "Cán bộ canbo1"}).status_code == 200
    response = admin.patch(f"/users/{field.id}", {"display_name": "Lan", "quarters": []})
    assert response.status_code == 422
    assert entries(admin, action="rename_user") == []
    assert field.get("/me").get_json()["display_name"] == "Cán bộ canbo1"


def test_signing_a_user_out_everywhere_is_audited(admin, field):
    assert admin.post(f"/users/{field.id}/revoke-tokens").get_json() == {"revoked": 1}
    [entry] = entries(admin, action="sign_out_user")
    assert entry["user"]["id"] == admin.id
    assert entry["target"] == f"users/{field.id}"
    assert entry["subject"]["label"] == "Cán bộ canbo1"
    assert entry["details"] == {"signed_out": 1}


def test_signing_one_device_out_is_audited_with_that_device(admin, field, client):
    response = client.post(
        "/api/v1/auth/login",
        json={
            "username": "canbo1",
            "password": PASSWORD,
            "device_id": "tablet-canbo1",
            "device_name": "Chrome 131 · Android 14",
        },
    )
    assert response.status_code == 200
    revoked = admin.post(f"/users/{field.id}/devices/tablet-canbo1/revoke")
    assert revoked.get_json() == {"revoked": 1}
    [entry] = entries(admin, action="sign_out_user")
    assert entry["target"] == f"users/{field.id}"
    assert entry["details"] == {"device": "Chrome 131 · Android 14", "signed_out": 1}


def test_signing_out_a_device_the_user_never_used_is_not_audited(admin, field):
    response = admin.post(f"/users/{field.id}/devices/someone-elses-phone/revoke")
    assert response.status_code == 404
    assert entries(admin, action="sign_out_user") == []
