"""A user's devices, as admins see them (issue 4: a lost phone)."""

from __future__ import annotations


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
