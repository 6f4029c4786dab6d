"""The error envelope (§7), versions (§5a), body limits (§4), service (§8), and no 500s."""

from __future__ import annotations

import json

import pytest


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The answer is the §7 envelope with that status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def test_health_needs_no_sign_in(anonymous):
    response = anonymous.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"]


def test_openapi_describes_every_endpoint(anonymous):
    document = anonymous.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    for path in (
        "/auth/login",
        "/auth/logout",
        "/me",
        "/sync/push",
        "/sync/pull",
        "/records/{collection}",
        "/records/{collection}/{record_id}",
        "/records/{collection}/{record_id}/history",
        "/records/{collection}/{record_id}/review",
        "/conflicts",
        "/conflicts/{conflict_id}/resolve",
        "/users",
        "/users/{user_id}",
        "/users/{user_id}/revoke-tokens",
        "/users/{user_id}/devices",
        "/health",
    ):
        assert path in document["paths"], path


# -- 400 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{", b"", b"nul", b'{"ops": [}', '{"ops": "\u00e9"'.encode("latin-1")],
    ids=["truncated", "empty", "garbage", "bad-array", "not-utf8"],
)
def test_malformed_json_is_bad_request(field, body):
    response = field.call(
        "POST", "/sync/push", data=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("body", [[], "ops", 3, None], ids=["list", "string", "number", "null"])
def test_json_that_is_not_an_object_is_bad_request(field, body):
    response = field.call(
        "POST", "/sync/push", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "5001"}, {"limit": "many"}, {"limit": "-1"}],
    ids=["zero", "too-big", "word", "negative"],
)
def test_bad_pull_parameter_is_bad_request(field, params):
    assert_error(field.get("/sync/pull", query_string=params), 400, "bad_request")


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", "eyJ2IjoxfQ", "!!!", "e30", "W10"],
    ids=["garbage", "missing-fields", "not-base64", "empty-object", "array"],
)
def test_malformed_cursor_is_bad_request(field, cursor):
    assert_error(field.get("/sync/pull", query_string={"cursor": cursor}), 400, "bad_request")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/records/households", {"limit": "0"}),
        ("/records/households", {"review": "maybe"}),
        ("/records/households", {"quarter": "KP1"}),
        ("/records/households", {"updated_since": "yesterday"}),
        ("/conflicts", {"status": "sleeping"}),
    ],
    ids=["limit", "review", "quarter", "updated_since", "conflict-status"],
)
def test_bad_list_parameter_is_bad_request(admin, path, params):
    assert_error(admin.get(path, query_string=params), 400, "bad_request")


# -- 404, 405, 413, 415 --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/sync",
        "/records/people",
        "/records/households/00000000-0000-4000-8000-000000000000",
        "/records/households/not-a-uuid",
    ],
)
def test_unknown_api_path_or_record_is_not_found(admin, path):
    assert_error(admin.get(path), 404, "not_found")


def test_unknown_api_path_is_not_found_without_sign_in(anonymous):
    assert_error(anonymous.get("/no/such/thing"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/sync/push"), ("DELETE", "/me"), ("PUT", "/users"), ("POST", "/health")],
)
def test_wrong_method_is_405_in_the_envelope(admin, method, path):
    assert_error(admin.call(method, path), 405)


def test_more_than_1000_ops_is_too_large_and_nothing_applied(admin, quarters, build, sql):
    ops = [build.op("quarters", build.id(), {"code": f"X{i}", "name": "x"}) for i in range(1001)]
    response = admin.post("/sync/push", {"ops": ops})
    assert_error(response, 413, "too_large")
    assert sql("SELECT count(*) FROM records")[0][0] == 3
    assert sql("SELECT count(*) FROM ops")[0][0] == 3


def test_exactly_1000_ops_is_accepted(admin, build):
    ops = [build.op("quarters", build.id(), {"code": f"X{i}", "name": "x"}) for i in range(1000)]
    response = admin.post("/sync/push", {"ops": ops})
    assert response.status_code == 200
    assert {r["status"] for r in response.get_json()["results"]} == {"applied"}


def test_body_over_10_mib_is_too_large(admin, quarters, build, sql):
    fat = build.op("households", build.id(), build.household(quarters["KP1"], notes="x" * 1000))
    body = json.dumps({"ops": [fat], "padding": "x" * (10 * 1024 * 1024)})
    response = admin.call(
        "POST", "/sync/push", data=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "too_large")
    assert sql("SELECT count(*) FROM records WHERE collection = 'households'")[0][0] == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", None], ids=str
)
def test_body_that_is_not_json_is_unsupported_media_type(field, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = field.call("POST", "/sync/push", data='{"ops": []}', headers=headers)
    assert_error(response, 415, "unsupported_media_type")


def test_login_with_form_body_is_unsupported_media_type(anonymous):
    response = anonymous.call("POST", "/auth/login", data={"username": "a", "password": "b"})
    assert_error(response, 415, "unsupported_media_type")


def test_login_missing_fields_is_validation_naming_them(anonymous):
    error = assert_error(anonymous.post("/auth/login", {"username": "a"}), 422, "validation")
    assert "password" in error["details"]


# -- 426 -----------------------------------------------------------------------------------


def test_old_schema_push_gets_upgrade_required_and_nothing_applied(field, quarters, build, sql):
    sent = build.op("households", build.id(), build.household(quarters["KP1"]))
    response = field.post("/sync/push", {"ops": [sent]}, headers={"X-Doorstep-Schema": "1"})
    error = assert_error(response, 426, "upgrade_required")
    assert error["details"]["required"] == 2
    assert sql("SELECT count(*) FROM ops WHERE op_id = :o", o=sent["op_id"])[0][0] == 0
    # After updating the app, the same op goes through.
    response = field.post("/sync/push", {"ops": [sent]}, headers={"X-Doorstep-Schema": "2"})
    assert response.get_json()["results"][0]["status"] == "applied"


def test_old_schema_pull_gets_upgrade_required(field):
    assert_error(field.get("/sync/pull", headers={"X-Doorstep-Schema": "1"}), 426)
    assert field.get("/sync/pull", headers={"X-Doorstep-Schema": "2"}).status_code == 200


def test_non_integer_schema_header_is_bad_request(field):
    assert_error(field.get("/sync/pull", headers={"X-Doorstep-Schema": "two"}), 400)


# -- never a 500 ---------------------------------------------------------------------------

WEIRD_OPS = {
    "nan-in-fields": '{"ops": [{"op_id": "%s", "collection": "households", "id": "%s", '
    '"base_rev": null, "fields": {"quarter_id": "%s", "address": "a", "head_name": "b", '
    '"notes": NaN}}]}',
    "infinity-in-op": '{"ops": [{"op_id": "%s", "collection": "households", "id": "%s", '
    '"base_rev": null, "fields": {"quarter_id": "%s"}, "client_time": Infinity}]}',
    "nul-in-name": '{"ops": [{"op_id": "%s", "collection": "households", "id": "%s", '
    '"base_rev": null, "fields": {"quarter_id": "%s", "address": "a", '
    '"head_name": "Nguy\\u0000n"}}]}',
    "long-client-time": '{"ops": [{"op_id": "%s", "collection": "households", "id": "%s", '
    '"base_rev": null, "fields": {"quarter_id": "%s", "address": "a", "head_name": "b"}, '
    '"client_time": "' + "2024-10-12T08:30:00+07:00" * 10 + '"}]}',
    "huge-base-rev": '{"ops": [{"op_id": "%s", "collection": "households", "id": "%s", '
    '"base_rev": 123456789012345678901234567890, "fields": {"quarter_id": "%s"}}]}',
    "huge-number": '{"ops": [{"op_id": "%s", "collection": "households", "id": "%s", '
    '"base_rev": null, "fields": {"quarter_id": "%s", "address": "a", "head_name": "b", '
    '"members_count": 1e400}}]}',
}


@pytest.mark.parametrize("name", sorted(WEIRD_OPS))
def test_odd_ops_never_cause_a_server_error(field, quarters, build, name):
    body = WEIRD_OPS[name] % (build.id(), build.id(), quarters["KP1"])
    response = field.call(
        "POST", "/sync/push", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code == 200:
        assert response.get_json()["results"][0]["status"] in ("applied", "rejected")


def test_deeply_nested_json_is_not_a_server_error(field):
    body = '{"ops": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = field.call(
        "POST", "/sync/push", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/records/households", {"q": "Nguy\x00n"}),
        ("/sync/pull", {"cursor": "\x00"}),
        ("/records/households", {"offset": "99999999999999999999"}),
    ],
    ids=["nul-in-search", "nul-in-cursor", "huge-offset"],
)
def test_odd_query_parameters_never_cause_a_server_error(admin, path, params):
    assert admin.get(path, query_string=params).status_code < 500


@pytest.mark.parametrize(
    "username",
    ["canbo\x001", "İ" * 64, "x" * 65],
    ids=["nul", "expands-when-lowered", "too-long"],
)
def test_odd_usernames_never_cause_a_server_error(anonymous, username):
    response = anonymous.post("/auth/login", {"username": username, "password": "whatever1"})
    assert response.status_code in (400, 401, 422)


def test_nul_in_a_name_is_a_validation_error_on_that_field(field, quarters, build):
    fields = build.household(quarters["KP1"], head_name="Nguy\x00n")
    result = field.push_one(build.op("households", build.id(), fields))
    assert result["code"] == "validation" and "head_name" in result["errors"]


@pytest.mark.parametrize(
    "change",
    [
        {"id": "abc\x00"},
        {"collection": "house\x00holds"},
        {"client_time": "2024\x00"},
        {"op_id": "\x00" * 200},
    ],
    ids=["id", "collection", "client_time", "op_id"],
)
def test_nul_in_op_keys_is_rejected_and_still_kept(field, quarters, build, sql, change):
    sent = {**build.op("households", build.id(), build.household(quarters["KP1"])), **change}
    result = field.push_one(sent)
    assert result["status"] == "rejected" and result["code"] == "validation"
    assert sql("SELECT count(*) FROM ops WHERE status = 'rejected'")[0][0] == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sync/push", {"device_id": "phone\x00", "ops": []}),
        ("/auth/login", {"username": "canbo1", "password": "x" * 8, "device_name": "\x00"}),
        (
            "/users",
            {"username": "ab", "password": "x" * 8, "display_name": "\x00", "role": "field"},
        ),
    ],
    ids=["push-device", "login-device-name", "user-display-name"],
)
def test_nul_in_request_strings_is_refused_not_a_server_error(admin, path, body):
    assert_error(admin.post(path, body), 422, "validation")


# -- paths no page has, duplicate keys, 405's Allow ------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/%00", "/a%00b", "/%00/x", "/assets/%00.js", "/%0a", "/api/v1/%00", "/" + "a" * 300 + ".js"],
    ids=["nul", "nul-inside", "nul-folder", "nul-asset", "newline", "nul-api", "name-too-long"],
)
def test_paths_no_page_can_have_are_not_found(anonymous, path):
    assert_error(anonymous.client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        '{"ops": [], "ops": []}',
        '{"device_id": "a", "ops": [{"op_id": "x", "op_id": "y"}]}',
        '{"ops": [{"fields": {"head_name": "A", "head_name": "B"}}]}',
    ],
    ids=["top-level", "in-an-op", "in-fields"],
)
def test_a_key_twice_in_one_object_is_bad_request(field, sql, body):
    kept = sql("SELECT count(*) FROM ops")[0][0]
    response = field.call(
        "POST", "/sync/push", data=body, headers={"Content-Type": "application/json"}
    )
    assert "appears twice" in assert_error(response, 400, "bad_request")["message"]
    assert sql("SELECT count(*) FROM ops")[0][0] == kept


def test_a_key_twice_at_sign_in_is_bad_request(anonymous):
    body = '{"username": "admin", "password": "x", "password": "admin-password"}'
    response = anonymous.call(
        "POST", "/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("GET", "/sync/push", {"POST"}), ("DELETE", "/me", {"GET", "HEAD"}), ("PUT", "/users", None)],
)
def test_wrong_method_keeps_the_allow_header(admin, method, path, allowed):
    response = admin.call(method, path)
    assert_error(response, 405)
    methods = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed is None or allowed <= methods
    assert method not in methods
