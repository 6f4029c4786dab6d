"""Changing one's own password in Settings (§9), on a phone: the new one signs in, the old one is
refused, a wrong current password is said beside its field, the other devices are signed out, and
without a connection nothing is sent or queued."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "mat-khau-moi-2024"
OUTBOX_SIZE = """() => new Promise((resolve, reject) => {
  const req = indexedDB.open('doorstep');
  req.onsuccess = () => {
    const count = req.result.transaction('outbox').objectStore('outbox').count();
    count.onsuccess = () => { resolve(count.result); req.result.close(); };
    count.onerror = () => reject(count.error);
  };
  req.onerror = () => reject(req.error);
})"""


def test_a_field_user_changes_their_password_and_signs_in_with_the_new_one(
    server, town, make_worker
):
    quarter = town.quarter()
    person = town.person("field", [quarter])
    other_device = server.login(person["username"])
    phone = make_worker(server, person["username"], lang="vi")
    page = phone.page
    page.get_by_role("link", name="Cài đặt", exact=True).click()
    form = page.get_by_role("region", name="Đổi mật khẩu")
    current = form.get_by_label("Mật khẩu hiện tại", exact=True)
    new = form.get_by_label("Mật khẩu mới", exact=True)
    repeat = form.get_by_label("Nhập lại mật khẩu mới", exact=True)
    submit = form.get_by_role("button", name="Đổi mật khẩu")
    for field in (current, new, repeat):
        expect(field).to_have_attribute("aria-required", "true")
    expect(form.get_by_text("Mục có dấu * là bắt buộc.")).to_be_visible()

    # Checked on the phone first: the two new passwords must match.
    current.fill(PASSWORD)
    new.fill(NEW_PASSWORD)
    repeat.fill(NEW_PASSWORD + "x")
    submit.click()
    expect(form.get_by_text("Hai lần nhập mật khẩu mới chưa khớp nhau.")).to_be_visible()
    expect(repeat).to_have_attribute("aria-invalid", "true")
    expect(repeat).to_be_focused()

    # A wrong current password: the server refuses, said beside the field, focus on it.
    current.fill("khong-phai-mat-khau")
    repeat.fill(NEW_PASSWORD)
    submit.click()
    expect(form.get_by_text("Mật khẩu hiện tại không đúng.")).to_be_visible()
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(current).to_be_focused()

    current.fill(PASSWORD)
    submit.click()
    done = form.get_by_role("status").filter(has_text="Đã đổi mật khẩu.")
    expect(done).to_be_visible()
    expect(done).to_be_focused()
    expect(current).to_have_value("")

    # The other device is signed out: its next pull is refused; this phone still syncs.
    pulled = requests.get(
        f"{server.url}/api/v1/sync/pull", headers=other_device.headers, timeout=10
    )
    assert pulled.status_code == 401
    assert pulled.json()["error"]["details"]["reason"] == "revoked"
    phone.sync_now()
    phone.wait_synced()

    # Sign out, then sign in: the old password is refused, the new one works.
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_label("Tên đăng nhập", exact=True).fill(person["username"])
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    page.get_by_label("Mật khẩu", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("button", name="Thêm hộ")).to_be_visible()
    phone.wait_synced()


def test_a_staff_user_changes_their_password_only_online_and_nothing_is_queued(
    server, town, make_worker
):
    quarter = town.quarter()
    person = town.person("supervisor", [quarter])
    phone = make_worker(server, person["username"])
    page = phone.page
    page.get_by_role("link", name="Settings", exact=True).click()
    form = page.get_by_role("region", name="Change password")
    submit = form.get_by_role("button", name="Change password")
    form.get_by_label("Current password", exact=True).fill(PASSWORD)
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("New password again", exact=True).fill(NEW_PASSWORD)

    # The browser thinks it is online but the request never arrives: said, and not queued.
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/me/password" in r.url else None)
    phone.context.route("**/api/v1/me/password", lambda route: route.abort("internetdisconnected"))
    submit.click()
    expect(form.get_by_role("alert")).to_have_text("Changing the password needs a connection.")
    phone.context.unroute("**/api/v1/me/password")

    # Offline: the form says so and cannot be sent.
    phone.go_offline()
    offline = form.get_by_role("status").filter(
        has_text="Changing the password needs a connection."
    )
    expect(offline).to_be_visible()
    expect(submit).to_be_disabled()
    form.get_by_label("New password again", exact=True).press("Enter")
    assert page.evaluate(OUTBOX_SIZE) == 0
    assert len(sent) == 1, "only the attempt that was cut off"

    phone.go_online()
    expect(offline).to_be_hidden()
    expect(submit).to_be_enabled()
    submit.click()
    expect(form.get_by_role("status").filter(has_text="Password changed.")).to_be_visible()
    assert page.evaluate(OUTBOX_SIZE) == 0
    refused = requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": person["username"], "password": PASSWORD},
        timeout=10,
    )
    assert refused.status_code == 401
    server.login(person["username"], NEW_PASSWORD)
    expect(page.get_by_role("link", name="Manage", exact=True)).to_be_visible()
