"""A user's devices, as admins see them, and signing them out (§3, §9: a lost phone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import ADMIN_PASSWORD, PASSWORD, login


def devices(admin, user):
    response = admin.get(f"/users/{user.id}/devices")
    assert response.status_code == 200, response.get_json()
    return {d["device_id"]: d for d in response.get_json()["devices"]}


def test_devices_show_each_sign_in_and_its_last_sync(admin, field):
    field.pull()
    listed = devices(admin, field)
    assert listed["phone-canbo1"]["active"] is True
    assert listed["phone-canbo1"]["last_sync_at"] is not None


def test_an_expired_sign_in_is_not_shown_as_active(admin, field, sql):
    sql(
        "UPDATE tokens SET expires_at = :past WHERE user_id = :user",
        past="2020-01-01 00:00:00+00:00",
        user=field.id,
    )
    assert devices(admin, field)["phone-canbo1"]["active"] is False


def test_a_signed_out_device_is_not_shown_as_active(admin, field):
    assert admin.post(f"/users/{field.id}/revoke-tokens").status_code == 200
    assert devices(admin, field)["phone-canbo1"]["active"] is False


def reason(response) -> str | None:
    assert response.status_code == 401
    return response.get_json()["error"]["details"].get("reason")


def test_revoking_one_device_signs_out_only_that_phone(admin, field, client):
    tablet = login(client, "canbo1", PASSWORD, device_id="tablet-canbo1")
    response = admin.post(f"/users/{field.id}/devices/phone-canbo1/revoke")
    assert response.status_code == 200 and response.get_json() == {"revoked": 1}
    assert reason(field.get("/sync/pull")) == "revoked"
    assert tablet.get("/sync/pull").status_code == 200
    listed = devices(admin, field)
    assert listed["phone-canbo1"]["active"] is False
    assert listed["tablet-canbo1"]["active"] is True


def test_revoking_a_device_the_user_never_used_is_not_found(admin, field):
    response = admin.post(f"/users/{field.id}/devices/someone-elses-phone/revoke")
    assert response.status_code == 404
    assert field.get("/me").status_code == 200


def test_only_admins_revoke_a_device(supervisor, field):
    response = supervisor.post(f"/users/{field.id}/devices/phone-canbo1/revoke")
    assert response.status_code == 403
    assert field.get("/me").status_code == 200


def test_a_password_change_by_an_admin_signs_the_user_out_everywhere(admin, field, client):
    tablet = login(client, "canbo1", PASSWORD, device_id="tablet-canbo1")
    assert admin.patch(f"/users/{field.id}", {"password": "a-new-password"}).status_code == 200
    assert reason(field.get("/me")) == "revoked"
    assert reason(tablet.get("/me")) == "revoked"
    assert admin.get("/me").status_code == 200
    assert login(client, "canbo1", "a-new-password").get("/me").status_code == 200


def test_an_admin_changing_their_own_password_stays_signed_in_only_here(admin, client):
    laptop = login(client, "admin", ADMIN_PASSWORD, device_id="admin-laptop")
    assert admin.patch(f"/users/{admin.id}", {"password": "another-password"}).status_code == 200
    assert admin.get("/me").status_code == 200, "the device making the change"
    assert reason(laptop.get("/me")) == "revoked"


def test_a_sign_in_that_ended_says_why(admin, field, make_user, sql):
    assert admin.post(f"/users/{field.id}/revoke-tokens").status_code == 200
    assert reason(field.get("/me")) == "revoked"
    expired = make_user("field", ["KP1"])
    sql(
        "UPDATE tokens SET expires_at = :past WHERE user_id = :user",
        past="2020-01-01 00:00:00+00:00",
        user=expired.id,
    )
    assert reason(expired.get("/me")) == "expired"
    gone = make_user("supervisor", ["KP1"])
    assert admin.patch(f"/users/{gone.id}", {"active": False}).status_code == 200
    assert reason(gone.get("/me")) == "deactivated"


def test_an_unknown_token_gives_no_reason_to_wipe_the_phone(anonymous):
    anonymous.token = "not-a-token-this-server-made"
    assert reason(anonymous.get("/me")) is None


ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("device_name", "label"),
    [
        # What the app sends where the browser has client hints.
        ("Chrome 131 · Android 14", "Chrome 131 · Android 14"),
        # Other browsers' user agents, read by the server.
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari 17 · iOS 17",
        ),
        (
            "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
            "Firefox 133 · Android 14",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome 131 · Windows 10",
        ),
        # No name given: the request's own user agent.
        (None, "Chrome 131 · Android 10"),
    ],
)
def test_devices_have_readable_names(admin, field, client, device_name, label):
    response = client.post(
        "/api/v1/auth/login",
        json={
            "username": "canbo1",
            "password": PASSWORD,
            "device_id": "tablet-canbo1",
            "device_name": device_name,
        },
        headers={"User-Agent": ANDROID_CHROME},
    )
    assert response.status_code == 200, response.get_json()
    assert devices(admin, field)["tablet-canbo1"]["device_label"] == label


def test_a_device_without_a_name_is_called_by_its_id(admin, field, sql):
    sql("UPDATE tokens SET device_name = NULL WHERE user_id = :user", user=field.id)
    assert devices(admin, field)["phone-canbo1"]["device_label"] == "phone-canbo1"


@pytest.mark.parametrize(
    "ago, noted", [(timedelta(seconds=30), False), (timedelta(minutes=2), True)]
)
def test_a_push_notes_the_devices_sync_at_most_once_a_minute(admin, field, sql, ago, noted):
    earlier = (datetime.now(UTC) - ago).replace(microsecond=0)
    sql(
        "UPDATE tokens SET last_sync_at = :at WHERE user_id = :user",
        at=earlier.isoformat(sep=" "),
        user=field.id,
    )
    field.push()
    shown = datetime.fromisoformat(devices(admin, field)["phone-canbo1"]["last_sync_at"])
    assert (shown > earlier) is noted
