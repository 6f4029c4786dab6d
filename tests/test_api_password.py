"""Anyone changes their own password (§9): the current one proves it is them, a wrong one counts
as a failed sign-in (§3), and every other device of theirs is signed out."""

from __future__ import annotations

import pytest
from conftest import ADMIN_PASSWORD, PASSWORD, login

NEW = "mat-khau-moi-2024"


def change(api, current: str, new: str = NEW):
    return api.post("/me/password", {"current_password": current, "new_password": new})


def sign_in(client, username: str, password: str):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def error(response) -> dict:
    return response.get_json()["error"]


@pytest.mark.parametrize(
    ("who", "username", "password"),
    [("field", "canbo1", PASSWORD), ("admin", "admin", ADMIN_PASSWORD)],
)
def test_a_user_changes_their_own_password(request, client, who, username, password):
    api = request.getfixturevalue(who)
    response = change(api, password)
    assert response.status_code == 200, response.get_json()
    assert sign_in(client, username, password).status_code == 401
    assert sign_in(client, username, NEW).status_code == 200


def test_the_other_devices_are_signed_out_and_this_one_stays(client, field):
    phone = login(client, "canbo1", PASSWORD, device_id="old-phone")
    tablet = login(client, "canbo1", PASSWORD, device_id="tablet")
    phone.pull()
    response = change(field, PASSWORD)
    assert response.get_json() == {"revoked": 2}
    pulled = phone.get("/sync/pull")
    assert pulled.status_code == 401
    assert error(pulled)["details"]["reason"] == "revoked"
    assert tablet.get("/me").status_code == 401
    assert field.get("/me").status_code == 200, "the device making the change"
    assert field.pull()["changes"] is not None


def test_only_the_users_own_devices_are_signed_out(field, supervisor, admin):
    assert change(field, PASSWORD).status_code == 200
    assert supervisor.get("/me").status_code == 200
    assert admin.get("/me").status_code == 200


def test_a_wrong_current_password_changes_nothing(client, field):
    other = login(client, "canbo1", PASSWORD, device_id="tablet")
    response = change(field, "not-my-password")
    assert response.status_code == 403
    assert error(response)["code"] == "wrong_password"
    assert "current_password" in error(response)["details"]
    assert other.get("/me").status_code == 200
    assert sign_in(client, "canbo1", PASSWORD).status_code == 200
    assert sign_in(client, "canbo1", NEW).status_code == 401


def test_wrong_current_passwords_count_toward_the_sign_in_throttle(client, field):
    for _ in range(3):
        assert change(field, "not-my-password").status_code == 403
    for _ in range(2):
        assert sign_in(client, "canbo1", "not-my-password").status_code == 401
    throttled = change(field, PASSWORD)
    assert throttled.status_code == 429
    assert error(throttled)["code"] == "too_many_attempts"
    assert sign_in(client, "canbo1", PASSWORD).status_code == 429
    assert sign_in(client, "canbo1", NEW).status_code == 429, "the password did not change"
    assert field.get("/me").status_code == 200, "being throttled signs no one out"


@pytest.mark.parametrize(
    "new",
    ["short12", "", "x" * 201],
    ids=["seven-characters", "empty", "too-long"],
)
def test_a_new_password_follows_the_same_rules_as_one_an_admin_sets(client, admin, field, new):
    response = change(field, PASSWORD, new)
    assert response.status_code == 422
    assert error(response)["code"] == "validation"
    assert "new_password" in error(response)["details"]
    by_admin = admin.patch(f"/users/{field.id}", {"password": new})
    assert by_admin.status_code == 422
    assert sign_in(client, "canbo1", PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"new_password": NEW}, {"current_password": PASSWORD}, {}],
    ids=["no-current", "no-new", "empty"],
)
def test_both_passwords_are_required(field, body):
    response = field.post("/me/password", body)
    assert response.status_code == 422
    assert error(response)["code"] == "validation"


def test_signing_in_is_needed(anonymous, field):
    response = change(anonymous, PASSWORD)
    assert response.status_code == 401


@pytest.mark.parametrize("who", ["field", "supervisor", "admin"])
def test_the_change_is_in_the_audit_log_without_the_password(request, admin, who):
    api = request.getfixturevalue(who)
    current = ADMIN_PASSWORD if who == "admin" else PASSWORD
    assert change(api, current).status_code == 200
    response = admin.get("/audit", query_string={"action": "change_password"})
    assert response.status_code == 200
    [entry] = response.get_json()["entries"]
    assert entry["user"]["id"] == api.id
    assert entry["target"] == f"users/{api.id}"
    assert NEW not in str(entry) and current not in str(entry)


def test_a_refused_change_is_not_in_the_audit_log(admin, field):
    assert change(field, "not-my-password").status_code == 403
    response = admin.get("/audit", query_string={"action": "change_password"})
    assert response.get_json()["entries"] == []
