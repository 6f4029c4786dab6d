"""Sign-in, tokens, throttling (§3) and user administration (§9)."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, login


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def test_login_returns_token_and_user(client, field, quarters):
    response = client.post(
        "/api/v1/auth/login",
        json={"username": "canbo1", "password": PASSWORD, "device_id": "phone-1"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["token"] and body["expires_at"]
    assert body["user"]["username"] == "canbo1"
    assert body["user"]["role"] == "field"
    assert body["user"]["quarters"] == [quarters["KP1"]]
    assert set(body["user"]) >= {"id", "username", "display_name", "role", "quarters"}


def test_me_returns_the_signed_in_user(field):
    response = field.get("/me")
    assert response.status_code == 200
    assert response.get_json()["id"] == field.id


@pytest.mark.parametrize(
    ("username", "password"),
    [("canbo1", "wrong-password"), ("nobody", PASSWORD), ("CANBO1", "wrong-password")],
    ids=["wrong-password", "unknown-user", "wrong-password-other-case"],
)
def test_wrong_username_or_password_gets_the_same_answer(client, field, username, password):
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"


def test_sixth_attempt_after_five_failures_is_throttled_even_with_right_password(client, field):
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/login", json={"username": "canbo1", "password": "wrong-password"}
        )
        assert response.status_code == 401
    response = client.post("/api/v1/auth/login", json={"username": "canbo1", "password": PASSWORD})
    assert response.status_code == 429
    assert error_code(response) == "too_many_attempts"


def test_four_failures_do_not_lock_the_user_out(client, field):
    for _ in range(4):
        client.post("/api/v1/auth/login", json={"username": "canbo1", "password": "nope-nope"})
    response = client.post("/api/v1/auth/login", json={"username": "canbo1", "password": PASSWORD})
    assert response.status_code == 200


def test_throttle_window_passes(client, field, sql):
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"username": "canbo1", "password": "nope-nope"})
    sql("UPDATE login_attempts SET at = :at", at="2000-01-01 00:00:00+00:00")
    response = client.post("/api/v1/auth/login", json={"username": "canbo1", "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer not-a-real-token", "Basic Y2FuYm8xOnNlY3JldA==", "token"],
    ids=["missing", "empty", "unknown", "basic-auth", "no-scheme"],
)
def test_calls_without_a_valid_token_are_unauthorized(client, field, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


def test_logout_revokes_the_token(field):
    assert field.post("/auth/logout", {}).status_code == 200
    response = field.get("/me")
    assert response.status_code == 401


def test_logout_with_no_body(field):
    response = field.call("POST", "/auth/logout")
    assert response.status_code == 200
    assert field.get("/me").status_code == 401


def test_expired_token_is_unauthorized(field, sql):
    sql("UPDATE tokens SET expires_at = :past", past="2001-01-01 00:00:00+00:00")
    response = field.get("/sync/pull")
    assert response.status_code == 401


def test_token_is_stored_hashed(field, sql):
    rows = sql("SELECT token_hash FROM tokens")
    assert rows and all(field.token not in row.token_hash for row in rows)


def test_each_device_keeps_its_own_sign_in(client, field):
    other = login(client, "canbo1", PASSWORD, device_id="tablet")
    assert field.post("/auth/logout").status_code == 200
    assert other.get("/me").status_code == 200


# -- users (§9) ----------------------------------------------------------------------------


def test_admin_creates_a_user(admin, quarters):
    response = admin.post(
        "/users",
        {
            "username": "canbo9",
            "password": "long-enough",
            "display_name": "Lê Văn Chín",
            "role": "field",
            "quarters": [quarters["KP2"]],
        },
    )
    assert response.status_code == 201
    user = response.get_json()
    assert user["username"] == "canbo9" and user["quarters"] == [quarters["KP2"]]
    assert "password" not in user and "password_hash" not in user
    listed = admin.get("/users").get_json()["users"]
    assert "canbo9" in {u["username"] for u in listed}


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"password": "short"}, "password"),
        ({"role": "boss"}, "role"),
        ({"username": ""}, "username"),
        ({"quarters": ["not-a-uuid"]}, "quarters"),
        ({"quarters": ["00000000-0000-4000-8000-000000000000"]}, "quarters"),
        ({"surprise": True}, "surprise"),
    ],
    ids=["short-password", "bad-role", "empty-username", "bad-quarter", "unknown-quarter", "extra"],
)
def test_invalid_user_is_rejected_naming_the_field(admin, quarters, change, field_name):
    body = {
        "username": "canbo9",
        "password": "long-enough",
        "display_name": "Lê Văn Chín",
        "role": "field",
        **change,
    }
    response = admin.post("/users", body)
    assert response.status_code == 422
    assert error_code(response) == "validation"
    assert field_name in "".join(response.get_json()["error"]["details"])


def test_password_is_stored_slow_and_salted(admin, field, sql):
    [row] = sql("SELECT password_hash FROM users WHERE username = 'canbo1'")
    assert PASSWORD not in row.password_hash
    assert row.password_hash.startswith("pbkdf2:sha256:")  # the method the tests configure


@pytest.mark.parametrize("who", ["field", "supervisor"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/users"), ("POST", "/users"), ("GET", "/conflicts")],
)
def test_only_admins_manage_users_and_conflicts(request, quarters, who, method, path):
    api = request.getfixturevalue(who)
    response = api.call(method, path, json={} if method == "POST" else None)
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_deactivating_a_user_signs_them_out_everywhere(admin, field, client):
    response = admin.patch(f"/users/{field.id}", {"active": False})
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert field.get("/me").status_code == 401
    login = client.post("/api/v1/auth/login", json={"username": "canbo1", "password": PASSWORD})
    assert login.status_code == 401


def test_revoke_tokens_signs_out_a_lost_phone(admin, field):
    response = admin.post(f"/users/{field.id}/revoke-tokens")
    assert response.status_code == 200
    assert field.get("/sync/pull").status_code == 401


def test_patch_changes_password_and_role(admin, field, client):
    response = admin.patch(
        f"/users/{field.id}", {"password": "a-new-password", "role": "supervisor"}
    )
    assert response.status_code == 200 and response.get_json()["role"] == "supervisor"
    old = client.post("/api/v1/auth/login", json={"username": "canbo1", "password": PASSWORD})
    assert old.status_code == 401
    new = client.post(
        "/api/v1/auth/login", json={"username": "canbo1", "password": "a-new-password"}
    )
    assert new.status_code == 200


def test_patch_short_password_is_rejected(admin, field):
    response = admin.patch(f"/users/{field.id}", {"password": "short"})
    assert response.status_code == 422 and "password" in response.get_json()["error"]["details"]


@pytest.mark.parametrize("user_id", ["00000000-0000-4000-8000-000000000000", "nope"])
def test_patch_of_unknown_user_is_not_found(admin, user_id):
    response = admin.patch(f"/users/{user_id}", {"display_name": "X"})
    assert response.status_code == 404 and error_code(response) == "not_found"


@pytest.mark.parametrize("role", ["field", "supervisor"])
def test_field_and_supervisor_users_need_a_neighbourhood(admin, role):
    body = {
        "username": "canbo9",
        "password": "long-enough",
        "display_name": "Lê Văn Chín",
        "role": role,
    }
    for quarters in ({}, {"quarters": []}):
        response = admin.post("/users", {**body, **quarters})
        assert response.status_code == 422
        assert error_code(response) == "validation"
        assert "neighbourhood" in response.get_json()["error"]["details"]["quarters"][0]
    assert "canbo9" not in {u["username"] for u in admin.get("/users").get_json()["users"]}


def test_an_admin_needs_no_neighbourhood(admin):
    body = {"username": "quantri2", "password": "long-enough", "display_name": "Văn phòng 2"}
    assert admin.post("/users", {**body, "role": "admin"}).status_code == 201


@pytest.mark.parametrize(
    "change",
    [{"quarters": []}, {"role": "supervisor", "quarters": []}],
    ids=["quarters-emptied", "role-changed-without-quarters"],
)
def test_a_change_may_not_leave_a_field_user_without_a_neighbourhood(admin, field, change):
    response = admin.patch(f"/users/{field.id}", change)
    assert response.status_code == 422
    assert "quarters" in response.get_json()["error"]["details"]
    assert field.get("/me").get_json()["quarters"] == field.user["quarters"]


def test_an_admin_made_field_staff_needs_a_neighbourhood(admin, make_user, quarters):
    other = make_user("admin")
    assert admin.patch(f"/users/{other.id}", {"role": "field"}).status_code == 422
    changed = admin.patch(f"/users/{other.id}", {"role": "field", "quarters": [quarters["KP1"]]})
    assert changed.status_code == 200 and changed.get_json()["role"] == "field"
