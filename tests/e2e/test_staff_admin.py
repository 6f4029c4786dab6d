"""The admin console in a real Chromium against `doorstep serve`: conflicts, users and devices,
the audit log."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from .test_staff_review import add_household

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def local_household(worker, head_name: str) -> dict:
    """The household's fields as this phone's IndexedDB holds them."""
    return worker.page.evaluate(
        """(head) => new Promise((resolve, reject) => {
            const req = indexedDB.open('doorstep');
            req.onsuccess = () => {
              const all = req.result.transaction('records').objectStore('records').getAll();
              all.onsuccess = () => {
                const found = all.result.find(
                  (r) => r.collection === 'households' && r.fields.head_name === head,
                );
                resolve(found?.fields ?? null);
                req.result.close();
              };
              all.onerror = () => reject(all.error);
            };
            req.onerror = () => reject(req.error);
          })""",
        head_name,
    )


def edit_household(worker, head: str, *, phone: str, members: str) -> None:
    page = worker.page
    worker.open_household(head)
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Phone", exact=True).fill(phone)
    page.get_by_label("Members").fill(members)
    page.get_by_role("button", name="Save").click()
    expect(worker.status).to_have_text(re.compile(r"^1 waiting"))


def test_admin_resolves_conflict_and_both_phones_agree(server, make_worker):
    a = make_worker(server, "canbo1")
    head = unique("Trần Thị Xung Đột")
    add_household(a.page, head, address="9 Trần Hưng Đạo", quarter="Khu phố 1", phone="0900000001")
    a.wait_synced()
    b = make_worker(server, "canbo2")
    b.open_household(head)

    # Both phones change the same two fields offline, to different values.
    a.go_offline()
    b.go_offline()
    edit_household(a, head, phone="0911111111", members="4")
    edit_household(b, head, phone="0922222222", members="5")
    a.go_online()
    a.sync_now()
    a.wait_synced()
    b.go_online()
    b.sync_now()
    expect(b.status).to_have_text(re.compile(r"1 waiting for admin"))

    admin = make_worker(server, "admin")
    page = admin.page
    page.get_by_role("link", name="Manage").click()
    page.get_by_role("navigation", name="Supervision and admin").get_by_role(
        "link", name="Conflicts"
    ).click()
    card = page.locator("section.conflict-card", has_text=head)
    expect(card).to_have_count(1)
    # Base, server and device values side by side, with who sent the device's side.
    phone_row = card.get_by_role("row", name=re.compile(r"^Phone"))
    expect(phone_row.get_by_role("cell", name="0900000001")).to_be_visible()
    expect(phone_row.get_by_role("cell", name="0911111111")).to_be_visible()
    expect(phone_row.get_by_role("cell", name="0922222222")).to_be_visible()
    expect(card.get_by_text(re.compile(r"Sent by Bùi Hoàng Linh"))).to_be_visible()

    card.get_by_role("button", name="Resolve").click()  # nothing chosen yet: the app says what
    expect(card.get_by_role("alert")).to_contain_text("Choose for: Phone, Members")
    card.get_by_role("radiogroup", name="Phone").get_by_label("Take device").check()
    card.get_by_role("radiogroup", name="Members").get_by_label("Type a value").check()
    card.get_by_label("Value for Members").fill("6")
    card.get_by_role("button", name="Resolve").click()
    expect(card).to_have_count(0)

    # Listed under resolved, with who and how.
    page.get_by_role("tab", name="Resolved").click()
    done = page.locator("section.conflict-card", has_text="took device (0922222222)").first
    expect(done).to_contain_text("typed: 6")
    expect(done).to_contain_text("Resolved by Văn phòng UBND thị trấn")

    for worker in (a, b):
        worker.sync_now()
        worker.wait_synced()
        worker.open_household(head)
        expect(worker.page.get_by_text("0922222222")).to_be_visible()
        fields = local_household(worker, head)
        assert (fields["phone"], fields["members_count"]) == ("0922222222", 6)
    expect(b.status).to_have_text(re.compile(r"^0 waiting$"))
    record = server.login("admin").get("/records/households", q=head)["records"][0]
    assert (record["fields"]["phone"], record["fields"]["members_count"]) == ("0922222222", 6)


def test_stale_conflict_says_reload_and_choose_again(server, make_worker):
    a = make_worker(server, "canbo1")
    head = unique("Phạm Văn Cũ")
    add_household(a.page, head, address="4 Lý Tự Trọng", quarter="Khu phố 2", phone="0900000002")
    a.wait_synced()
    b = make_worker(server, "canbo1")
    b.open_household(head)
    a.go_offline()
    b.go_offline()
    edit_household(a, head, phone="0933333333", members="2")
    edit_household(b, head, phone="0944444444", members="2")
    for w in (a, b):
        w.go_online()
        w.sync_now()
    expect(b.status).to_have_text(re.compile(r"waiting for admin"))
    expect(a.status).to_have_text(re.compile(r"^0 waiting"))

    admin = make_worker(server, "admin")
    page = admin.page
    page.goto(f"{server.url}/conflicts")
    card = page.locator("section.conflict-card", has_text=head)
    card.get_by_role("radiogroup", name="Phone").get_by_label("Keep server").check()
    # Meanwhile the phone is changed again on the server.
    a.open_household(head)
    a.page.get_by_role("button", name="Edit").click()
    a.page.get_by_label("Phone", exact=True).fill("0955555555")
    a.page.get_by_role("button", name="Save").click()
    # "0 waiting" can show before the save reaches the outbox: wait for the server to have it.
    checker = server.login("admin")
    deadline = time.monotonic() + 20
    while checker.get("/records/households", q=head)["records"][0]["fields"]["phone"] != (
        "0955555555"
    ):
        assert time.monotonic() < deadline, "the phone's edit never reached the server"
        time.sleep(0.2)
    card.get_by_role("button", name="Resolve").click()
    expect(card.get_by_role("alert")).to_have_text(
        "The record changed meanwhile. Reload and choose again."
    )
    card.get_by_role("button", name="Reload").click()
    card = page.locator("section.conflict-card", has_text=head)
    expect(card).to_have_count(1)  # still open, to choose again


def test_sign_out_every_device_wipes_the_phone_but_keeps_the_outbox(server, make_worker):
    worker = make_worker(server, "canbo3")  # Khu phố 4
    pulled = set(worker.local_ids("households"))
    head = unique("Đỗ Thị Mất Máy")
    worker.go_offline()
    add_household(worker.page, head, address="1 Nguyễn Trãi", quarter="Khu phố 4")
    expect(worker.status).to_have_text(re.compile(r"^1 waiting"))

    admin = make_worker(server, "admin")
    page = admin.page
    page.goto(f"{server.url}/users")
    # On a phone the row is a card, read as "Username canbo3 …".
    row = page.get_by_role("row", name=re.compile(r"^(Username )?canbo3 "))
    row.get_by_role("button", name="Edit canbo3").click()
    devices = page.get_by_role("table", name="Devices")
    expect(devices.get_by_text("Signed in", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Sign out all devices").click()
    assert any("Sign" in d and "every device" in d for d in admin.dialogs)
    expect(page.get_by_text(re.compile(r"Signed out \d+ sessions\."))).to_be_visible()
    expect(devices.get_by_text("Signed in", exact=True)).to_have_count(0)
    # The audit log says who signed whom out.
    users = server.login("admin").get("/users")["users"]
    name = next(u["display_name"] for u in users if u["username"] == "canbo3")
    page.goto(f"{server.url}/audit")
    page.get_by_label("Action").select_option(label="Signed someone else's devices out")
    row = page.get_by_role("table", name="Audit log").get_by_role("row").filter(has_text=name)
    expect(row.first).to_contain_text(re.compile(r"Sessions signed out: [1-9]"))

    # The phone's next sync hears "revoked": what it pulled is gone, the change still waits.
    worker.go_online()
    phone = worker.page
    expect(phone.get_by_text("You were signed out of this phone")).to_be_visible()
    assert not set(worker.local_ids("households")) & pulled
    assert local_household(worker, head) is not None
    checker = server.login("admin")
    assert checker.get("/records/households", q=head)["total"] == 0

    phone.get_by_label("Username", exact=True).fill("canbo3")
    phone.get_by_label("Password", exact=True).fill("doorstep2024")
    phone.get_by_role("button", name="Sign in", exact=True).click()
    worker.wait_synced()
    assert checker.get("/records/households", q=head)["total"] == 1


def test_the_audit_log_says_who_looked_at_which_household(server, make_worker):
    supervisor = server.login("giamsat1")
    [household] = supervisor.get("/records/households", limit=1)["records"]
    supervisor.get(f"/records/households/{household['id']}")
    supervisor.get(f"/records/households/{household['id']}/history")

    admin = make_worker(server, "admin")
    page = admin.page
    page.goto(f"{server.url}/audit")
    log = page.get_by_role("table", name="Audit log")
    page.get_by_label("Action").select_option(label="Viewed a history")
    row = log.get_by_role("row").filter(has_text=household["fields"]["head_name"]).first
    expect(row).to_contain_text(f"Households: {household['fields']['head_name']}")
    expect(row).to_contain_text("Viewed a history")
    expect(log.get_by_text("Viewed a record", exact=True)).to_have_count(0)
    page.get_by_label("Action").select_option(label="Listed records")
    expect(log.get_by_role("row").filter(has_text="Listed records").first).to_contain_text(
        "Records shown: 1"
    )


def test_a_field_user_needs_a_neighbourhood_and_the_editor_closes_by_name(
    server, make_worker, town
):
    quarter = town.quarter()
    admin = make_worker(server, "admin", viewport={"width": 1366, "height": 900})
    page = admin.page
    page.goto(f"{server.url}/users")
    page.get_by_role("button", name="New user").click()
    form = page.get_by_role("form", name="New user")
    username = f"cb{uuid.uuid4().hex[:8]}"
    form.get_by_label("Username").fill(username)
    form.get_by_label("Full name").fill(town.full_name())
    form.get_by_label("Password").fill("doorstep2024")
    form.get_by_role("button", name="Create").click()  # field staff, no neighbourhood ticked
    expect(form.get_by_role("alert")).to_have_text(
        "A field or supervisor user needs at least one neighbourhood."
    )
    checker = server.login("admin")
    assert username not in {u["username"] for u in checker.get("/users")["users"]}
    form.get_by_label(quarter["name"]).check()
    form.get_by_role("button", name="Create").click()
    row = page.get_by_role("row", name=re.compile(f"^{username}"))
    expect(row).to_be_visible()

    # The editor's button says what it does, to a screen reader too.
    row.get_by_role("button", name=f"Edit {username}").click()
    close = row.get_by_role("button", name="Close", exact=True)
    expect(close).to_have_attribute("aria-expanded", "true")
    editor = page.locator(".user-panel")
    editor.get_by_label(quarter["name"]).uncheck()
    editor.get_by_role("button", name="Save").click()
    expect(editor.get_by_role("alert")).to_have_text(
        "A field or supervisor user needs at least one neighbourhood."
    )
    (user,) = [u for u in checker.get("/users")["users"] if u["username"] == username]
    assert user["quarters"] == [quarter["id"]]
    close.click()
    expect(editor).to_have_count(0)
    expect(row.get_by_role("button", name=f"Edit {username}")).to_have_attribute(
        "aria-expanded", "false"
    )


def test_devices_are_named_readably_with_their_last_use(server, make_worker, town):
    quarter = town.quarter()
    person = town.person("field", [quarter])
    make_worker(server, person["username"])  # signs in on this Chromium
    admin = make_worker(server, "admin", viewport={"width": 1366, "height": 900})
    page = admin.page
    page.goto(f"{server.url}/users")
    row = page.get_by_role("row", name=re.compile(f"^{person['username']}"))
    row.get_by_role("button", name=f"Edit {person['username']}").click()
    devices = page.get_by_role("table", name="Devices")
    phone = devices.get_by_role("row").filter(has_text=re.compile(r"Chromium \d+ · Linux"))
    expect(phone).to_have_count(1)
    expect(phone.get_by_role("cell").nth(2)).to_have_text(
        re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")
    )
    expect(phone.get_by_role("button", name="Sign out this device")).to_be_visible()
