"""The field app in a real Chromium against a real `doorstep serve`: offline entry, a second
phone, conflicts, a killed server."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def add_household(
    page,
    head_name: str,
    *,
    address: str,
    quarter: str = "Khu phố 1",
    phone: str = "",
    members: str = "3",
    notes: str = "",
) -> None:
    page.get_by_role("link", name="Households").click()
    page.get_by_role("button", name="Add household").click()
    page.get_by_label("Head of household", exact=True).fill(head_name)
    page.get_by_label("Address", exact=True).fill(address)
    page.get_by_label("Neighbourhood", exact=True).select_option(label=quarter)
    page.get_by_label("Phone", exact=True).fill(phone)
    page.get_by_label("Members", exact=True).fill(members)
    if notes:
        page.get_by_label("Notes", exact=True).fill(notes)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=head_name)).to_be_visible()


def log_visit(page, notes: str) -> None:
    page.get_by_role("button", name="Log visit").click()
    page.get_by_label("Purpose", exact=True).select_option(label="Outreach")
    page.get_by_label("Notes", exact=True).fill(notes)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Log visit").wait_for()


def add_registration(page, persons: str = "4") -> None:
    page.get_by_role("button", name="Add registration").click()
    page.get_by_label("Kind", exact=True).select_option(label="Health insurance")
    page.get_by_label("Status", exact=True).select_option(label="Registered")
    page.get_by_label("Persons covered", exact=True).fill(persons)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Add registration").wait_for()


def new_records(before: dict, after: dict) -> dict:
    return {k: v for k, v in after.items() if k not in before}


@pytest.fixture(scope="module")
def offline_entry(browser, server):
    """Scenario 1, done once for the module: canbo1 adds a household, a visit and a registration
    offline, reopens the app offline, then syncs. Returns what the tests check."""
    from .conftest import Worker

    admin = server.login("admin")
    before = admin.all_records()
    worker = Worker(browser, server)
    worker.sign_in("canbo1")
    page = worker.page

    worker.go_offline()
    page.reload()
    expect(page.get_by_role("button", name="Add household")).to_be_visible()
    expect(worker.status).to_have_text("0 waiting · Offline")  # it opens offline, nothing waiting

    head = unique("Nguyễn Thị Ngoại Tuyến")
    add_household(page, head, address="15 Lý Thường Kiệt", phone="0912345678", members="4")
    log_visit(page, "Tuyên truyền BHYT, hẹn quay lại")
    add_registration(page, persons="4")
    expect(worker.status).to_have_text(re.compile(r"^3 waiting"))

    # Close the app and open it again, still offline: the three changes are still waiting.
    page.close()
    page = worker.page = worker.new_page()
    page.goto(f"{server.url}/")
    expect(worker.status).to_have_text(re.compile(r"^3 waiting"))
    worker.open_household(head)
    expect(page.get_by_text("Tuyên truyền BHYT, hẹn quay lại")).to_be_visible()
    status_offline = worker.status.inner_text()

    worker.go_online()
    worker.sync_now()
    worker.wait_synced()
    after = admin.all_records()
    data = {
        "worker": worker,
        "head": head,
        "status_offline": status_offline,
        "new": new_records(before, after),
        "local": {c: worker.local_ids(c) for c in ("households", "visits", "registrations")},
    }
    yield data
    worker.close()


def test_offline_entry_reaches_the_server_exactly_once(offline_entry):
    new = offline_entry["new"]
    assert sorted(c for c, _ in new) == ["households", "registrations", "visits"]
    household = next(r for (c, _), r in new.items() if c == "households")
    visit = next(r for (c, _), r in new.items() if c == "visits")
    registration = next(r for (c, _), r in new.items() if c == "registrations")
    assert household["fields"]["head_name"] == offline_entry["head"]
    assert household["fields"]["address"] == "15 Lý Thường Kiệt"
    assert household["fields"]["phone"] == "0912345678"
    assert household["fields"]["members_count"] == 4
    assert household["rev"] == 1
    assert visit["fields"]["household_id"] == household["id"]
    assert visit["fields"]["notes"] == "Tuyên truyền BHYT, hẹn quay lại"
    assert visit["fields"]["purpose"] == "outreach"
    assert registration["fields"]["household_id"] == household["id"]
    assert registration["fields"]["kind"] == "health_insurance"
    assert registration["fields"]["persons"] == 4
    # The ids the phone chose are the server's ids.
    assert household["id"] in offline_entry["local"]["households"]
    assert visit["id"] in offline_entry["local"]["visits"]
    assert registration["id"] in offline_entry["local"]["registrations"]
    assert offline_entry["status_offline"].startswith("3 waiting")
    expect(offline_entry["worker"].status).to_have_text("0 waiting")


def test_second_worker_receives_them(offline_entry, server, make_worker):
    other = make_worker(server, "canbo2")  # KP1 + KP3: shares Khu phố 1 with canbo1
    other.open_household(offline_entry["head"])
    page = other.page
    expect(page.get_by_text("15 Lý Thường Kiệt")).to_be_visible()
    expect(page.get_by_text("Tuyên truyền BHYT, hẹn quay lại")).to_be_visible()
    expect(page.get_by_text("Health insurance · Registered")).to_be_visible()
    # Its first sync was pulled and stored by the pull worker, not on the page's own thread.
    assert any("pull-worker" in w.url for w in page.workers)


def test_same_field_edited_on_two_phones_goes_to_the_admin(server, make_worker):
    admin = server.login("admin")
    a = make_worker(server, "canbo1")
    head = unique("Trần Văn Hai Máy")
    add_household(a.page, head, address="7 Trần Phú", phone="0900000001")
    a.wait_synced()
    b = make_worker(server, "canbo2")
    b.open_household(head)

    for worker, phone in ((a, "0911111111"), (b, "0922222222")):
        worker.go_offline()
        if worker is a:
            worker.open_household(head)
        worker.page.get_by_role("button", name="Edit").click()
        worker.page.get_by_label("Phone", exact=True).fill(phone)
        worker.page.get_by_role("button", name="Save").click()
        expect(worker.status).to_have_text(re.compile(r"^1 waiting"))

    a.go_online()
    a.sync_now()
    a.wait_synced()
    expect(a.page.get_by_text("0911111111")).to_be_visible()
    expect(a.page.get_by_text("waiting for admin")).to_have_count(0)

    b.go_online()
    b.sync_now()
    expect(b.page.get_by_text("waiting for admin").first).to_be_visible()
    expect(b.status).to_have_text(re.compile(r"^0 waiting · 1 waiting for admin"))
    # The phone shows the server's value; its own waits for the admin.
    expect(b.page.get_by_text("0911111111")).to_be_visible()

    household_id = b.page.url.rstrip("/").split("/")[-1]
    conflicts = [c for c in admin.open_conflicts() if c["record_id"] == household_id]
    assert len(conflicts) == 1
    assert conflicts[0]["fields"]["phone"]["server"] == "0911111111"
    assert conflicts[0]["fields"]["phone"]["client"] == "0922222222"
    assert admin.get(f"/records/households/{household_id}")["fields"]["phone"] == "0911111111"


def test_server_killed_during_sync_everything_arrives_once(own_server, make_worker):
    srv = own_server
    admin = srv.login("admin")
    before = admin.all_records()
    w = make_worker(srv, "canbo3")  # Khu phố 4
    w.go_offline()
    names = [unique(f"Lê Văn Mất Điện {i}") for i in range(3)]
    for name in names:
        add_household(w.page, name, address="3 Nguyễn Huệ", quarter="Khu phố 4")
        log_visit(w.page, f"Thăm {name}")
    expect(w.status).to_have_text(re.compile(r"^6 waiting"))

    # The server receives the push and applies it, then dies before its answer reaches the phone.
    killed = []

    def die_after_applying(route):
        if not killed:
            route.fetch()
            srv.kill()
            killed.append(True)
        route.abort("connectionreset")

    w.context.route("**/api/v1/sync/push", die_after_applying)
    w.go_online()  # the app syncs by itself when the connection comes back
    for _ in range(200):
        if killed:
            break
        w.page.wait_for_timeout(100)  # lets Playwright run the route handler
    expect(w.page.get_by_role("button", name="Sync now")).to_be_enabled()
    expect(w.status).to_have_text(re.compile(r"^6 waiting"))
    assert killed == [True]
    w.context.unroute("**/api/v1/sync/push")

    srv.start()
    w.sync_now()
    w.wait_synced()

    new = new_records(before, admin.all_records())
    households = [r for (c, _), r in new.items() if c == "households"]
    visits = [r for (c, _), r in new.items() if c == "visits"]
    assert sorted(h["fields"]["head_name"] for h in households) == sorted(names)
    assert len(visits) == 3
    assert all(r["rev"] == 1 for r in households + visits)


def test_markup_in_a_note_is_shown_as_text(server, make_worker):
    w = make_worker(server, "canbo1")
    head = unique("Phạm Văn Ghi Chú")
    add_household(w.page, head, address="9 Hai Bà Trưng", notes=f"Ghi chú {XSS}")
    log_visit(w.page, XSS)
    w.wait_synced()
    w.page.reload()  # what the server sent back, rendered again
    expect(w.page.get_by_text(f"Ghi chú {XSS}")).to_be_visible()
    expect(w.page.get_by_text(XSS, exact=True)).to_be_visible()
    assert w.page.locator("img[src='x']").count() == 0
    assert w.dialogs == []
