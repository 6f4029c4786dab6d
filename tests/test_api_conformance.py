"""Cases a client written from the spec alone found; each once broke a line of the spec."""

from __future__ import annotations

import pytest


def test_another_users_op_id_never_returns_their_record(field, make_user, build, quarters):
    created = build.op("households", build.id(), build.household(quarters["KP1"]))
    assert field.push_one(created)["status"] == "applied"
    outsider = make_user("field", ["KP2"])
    # The same op, byte for byte, from someone outside KP1 (§3: never returned).
    result = outsider.push_one(created)
    assert result["status"] == "rejected"
    assert result["code"] == "op_id_reused"
    assert result["record"] is None


def test_a_lone_surrogate_is_refused_not_a_server_error(field):
    body = '{"ops": [{"op_id": "x", "fields": {"address": "\\ud800"}}]}'
    response = field.call(
        "POST", "/sync/push", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("code", ["KP1", "kp1", " KP1 "])
def test_neighbourhood_codes_are_unique(admin, quarters, build, code):
    result = admin.push_one(build.op("quarters", build.id(), {"code": code, "name": "Trùng"}))
    assert result["status"] == "rejected"
    assert result["errors"] == {"code": ["Already used by another record."]}


def test_renaming_a_neighbourhood_keeps_its_own_code(admin, quarters, build):
    result = admin.push_one(
        build.op("quarters", quarters["KP1"], {"name": "Khu phố Một"}, base_rev=1)
    )
    assert result["status"] == "applied", result


@pytest.mark.parametrize("phone", ["0912345678\n", "+84٩١٢٣٤٥٦٧٨", "٠٩١٢٣٤٥٦٧٨"])
def test_only_ascii_vietnamese_numbers_are_phone_numbers(field, build, quarters, phone):
    result = field.push_one(
        build.op("households", build.id(), build.household(quarters["KP1"], phone=phone))
    )
    assert result["status"] == "rejected"
    assert "phone" in result["errors"]


def test_a_household_group_must_be_in_its_neighbourhood(admin, field, build, quarters):
    group = build.id()
    made = admin.push_one(
        build.op("groups", group, {"quarter_id": quarters["KP2"], "name": "Tổ 1"})
    )
    assert made["status"] == "applied"
    result = field.push_one(
        build.op("households", build.id(), build.household(quarters["KP1"], group_id=group))
    )
    assert result["status"] == "rejected"
    assert result["errors"] == {"group_id": ["This group belongs to another neighbourhood."]}


@pytest.mark.parametrize("change", [{"role": "field"}, {"active": False}])
def test_the_last_admin_cannot_lock_everyone_out(admin, change):
    response = admin.patch(f"/users/{admin.id}", change)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "last_admin"
    assert admin.get("/me").get_json()["role"] == "admin"


def test_an_admin_can_step_down_once_there_is_another(admin, make_user, quarters):
    make_user("admin")
    response = admin.patch(
        f"/users/{admin.id}", {"role": "supervisor", "quarters": [quarters["KP1"]]}
    )
    assert response.status_code == 200
    assert response.get_json()["role"] == "supervisor"
