"""Supervisor review in a real Chromium against `doorstep serve`: flag, fix and approve; bulk
review."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def add_household(page, head_name: str, *, address: str, quarter: str, phone: str = "") -> None:
    page.get_by_role("link", name="Households").click()
    page.get_by_role("button", name="Add household").click()
    page.get_by_label("Head of household").fill(head_name)
    page.get_by_label("Address").fill(address)
    page.get_by_label("Neighbourhood").select_option(label=quarter)
    page.get_by_label("Phone", exact=True).fill(phone)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=head_name)).to_be_visible()


def open_in_queue(page, url: str, head_name: str, review: str = "") -> None:
    """The supervisor finds a household in the queue (search ignores diacritics) and opens it."""
    page.goto(f"{url}/review" + (f"?review={review}" if review else ""))
    page.get_by_label("Search names and addresses (accents optional)").fill(
        head_name.replace("ễ", "e").replace("ị", "i")  # typed without accents
    )
    expect(page.get_by_role("status", name="Records found")).to_have_text("1 records")
    page.get_by_role("link", name=re.compile(re.escape(head_name))).click()
    expect(page.get_by_role("heading", name=re.compile(re.escape(head_name)))).to_be_visible()


def test_flag_edit_and_approve_round_trip(server, make_worker):
    worker = make_worker(server, "canbo1")  # field, Khu phố 1 + 2
    head = unique("Nguyễn Thị Duyệt")
    add_household(
        worker.page, head, address="21 Hai Bà Trưng", quarter="Khu phố 1", phone="0901234567"
    )
    worker.wait_synced()

    supervisor = make_worker(server, "giamsat1")  # supervisor, Khu phố 1–4
    sp = supervisor.page
    open_in_queue(sp, server.url, head)
    comment = "Số điện thoại sai, kiểm tra lại với chủ hộ"
    sp.get_by_role("button", name="Flag: has issues").click()  # no comment: refused in the app
    expect(sp.get_by_text("Say what needs fixing.")).to_be_visible()
    sp.get_by_label("Comment (required to flag or reject)").fill(comment)
    sp.get_by_role("button", name="Flag: has issues").click()
    review = sp.get_by_role("region", name="Review")
    expect(review.get_by_text("Has issues", exact=True)).to_be_visible()
    expect(review.get_by_text(comment)).to_be_visible()
    # The history shows the review as a revision, by the supervisor.
    expect(sp.get_by_text(re.compile(r"Revision 2 · Reviewed"))).to_be_visible()

    # The worker's next sync brings the flag and the comment, and the flagged filter finds it.
    worker.sync_now()
    worker.wait_synced()
    wp = worker.page
    wp.get_by_role("link", name="Households").click()
    wp.get_by_label("Flagged by supervisor").check()
    wp.get_by_role("searchbox").fill(head)
    wp.get_by_role("link", name=re.compile(re.escape(head))).click()
    expect(wp.get_by_text("Has issues", exact=True)).to_be_visible()
    expect(wp.get_by_text(comment)).to_be_visible()

    wp.get_by_role("button", name="Edit").click()
    wp.get_by_label("Phone", exact=True).fill("0987654321")
    wp.get_by_role("button", name="Save").click()
    worker.wait_synced()

    # Back to the supervisor as "edited"; approved there.
    open_in_queue(sp, server.url, head, review="edited")
    review = sp.get_by_role("region", name="Review")
    expect(review.get_by_text("Edited", exact=True)).to_be_visible()
    expect(
        sp.get_by_role("cell", name="0987654321")
    ).to_be_visible()  # what changed, in the history
    sp.get_by_role("button", name="Approve").click()
    expect(review.get_by_text("Approved", exact=True)).to_be_visible()

    worker.sync_now()
    worker.wait_synced()
    expect(wp.get_by_text("Approved", exact=True)).to_be_visible()
    expect(wp.get_by_text("0987654321")).to_be_visible()


def test_bulk_approve_asks_first_and_can_be_undone(server, make_worker):
    worker = make_worker(server, "canbo2")  # Khu phố 1 + 3
    tag = uuid.uuid4().hex[:6]
    heads = [f"Lê Văn Hàng Loạt {tag} {i}" for i in range(3)]
    for head in heads:
        add_household(worker.page, head, address="3 Lê Lợi", quarter="Khu phố 3")
    worker.wait_synced()
    admin = server.login("admin")
    (flagged,) = [r for r in admin.get("/records/households", q=heads[0])["records"]]
    admin.post(
        f"/records/households/{flagged['id']}/review", {"status": "has_issues", "comment": "Sai"}
    )

    supervisor = make_worker(server, "giamsat1")
    sp = supervisor.page
    sp.goto(f"{server.url}/review?review=all")
    sp.get_by_label("Search names and addresses (accents optional)").fill(f"le van hang loat {tag}")
    found = sp.get_by_role("status", name="Records found")
    expect(found).to_have_text("3 records")
    sp.get_by_label("Select page").check()

    # The count is confirmed first; Escape or Cancel changes nothing, and the keyboard is back
    # on the button that asked.
    approve = sp.get_by_role("button", name="Approve 3 selected")
    dialog = sp.get_by_role("dialog", name="Approve 3 records?")
    approve.focus()
    sp.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("(d) => d.contains(document.activeElement)")
    sp.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(approve).to_be_focused()
    approve.click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(approve).to_be_focused()
    assert {
        r["meta"]["review"]["status"] for r in admin.get("/records/households", q=tag)["records"]
    } == {"pending", "has_issues"}

    sp.get_by_role("button", name="Approve 3 selected").click()
    sp.get_by_role("dialog", name="Approve 3 records?").get_by_role(
        "button", name="Approve 3"
    ).click()
    outcome = sp.locator(".bulk-outcome")
    expect(outcome).to_contain_text("Approved 3 of 3")
    # The button that asked is disabled now: the keyboard is on what was done, Undo next.
    expect(outcome).to_be_focused()
    sp.keyboard.press("Tab")
    expect(outcome.get_by_role("button", name="Undo")).to_be_focused()
    expect(sp.locator(".staff-list .badge", has_text="Approved")).to_have_count(3)
    found_records = admin.get("/records/households", q=f"hang loat {tag}")["records"]
    assert sorted(r["fields"]["head_name"] for r in found_records) == heads
    assert {r["meta"]["review"]["status"] for r in found_records} == {"approved"}

    # Undo puts each record back to the status it had, as a new revision.
    outcome.get_by_role("button", name="Undo").click()
    expect(outcome).to_contain_text("Undone: 3 records back to their previous status")
    expect(outcome.get_by_role("button", name="Undo")).to_have_count(0)
    expect(outcome).to_be_focused()
    expect(sp.locator(".staff-list .badge", has_text="Approved")).to_have_count(0)
    expect(sp.locator(".staff-list .badge", has_text="Has issues")).to_have_count(1)
    undone = {
        r["fields"]["head_name"]: r for r in admin.get("/records/households", q=tag)["records"]
    }
    assert undone[heads[0]]["meta"]["review"]["status"] == "has_issues"
    assert undone[heads[0]]["meta"]["review"]["comment"] == "Sai"
    assert {undone[h]["meta"]["review"]["status"] for h in heads[1:]} == {"pending"}
    kinds = [
        r["kind"]
        for r in admin.get(f"/records/households/{undone[heads[1]]['id']}/history")["revisions"]
    ]
    assert kinds == ["create", "review", "review"]


def test_queue_opens_on_pending_and_finds_visits_by_their_household(server, make_worker, town):
    admin = server.login("admin")
    quarter = town.quarter()
    supervisor_user = town.person("supervisor", [quarter])
    head = town.head_name()
    (household,) = town.push(
        admin,
        {
            "collection": "households",
            "fields": {
                "quarter_id": quarter["id"],
                "address": "7 Đường Hùng Vương",
                "head_name": head,
            },
        },
    )
    visits = town.push(
        admin,
        *(
            {
                "collection": "visits",
                "fields": {
                    "household_id": household["id"],
                    "visited_at": f"2024-10-1{day}T09:00:00+07:00",
                    "purpose": "outreach",
                },
            }
            for day in (2, 3)
        ),
    )
    admin.post(f"/records/visits/{visits[0]['id']}/review", {"status": "approved", "comment": None})

    supervisor = make_worker(server, supervisor_user["username"])
    sp = supervisor.page
    sp.get_by_role("link", name="Manage").click()
    status = sp.get_by_label("Review status")
    expect(status).to_have_value("pending")
    expect(status.locator("option:checked")).to_have_text("Pending review")
    sp.get_by_label("Collection").select_option(label="Visits")
    # The household's name typed without accents finds its pending visit; "All" finds both.
    sp.get_by_label("Search names and addresses (accents optional)").fill(fold_ascii(head))
    found = sp.get_by_role("status", name="Records found")
    expect(found).to_have_text("1 records")
    expect(sp.locator(".staff-list").get_by_text(head)).to_be_visible()
    status.select_option(label="All")
    expect(found).to_have_text("2 records")
    sp.get_by_label("Search names and addresses (accents optional)").fill("duong hung vuong")
    expect(found).to_have_text("2 records")
    assert "review=all" in sp.url


def fold_ascii(text: str) -> str:
    """What a supervisor types without Vietnamese accents."""
    import unicodedata

    bare = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in bare if not unicodedata.combining(c)).lower()


STAFF_PATHS = [
    "/review",
    "/progress",
    "/review-nominations",
    "/dashboard",
    "/map",
    "/conflicts",
    "/users",
    "/reference",
    "/audit",
]


def test_field_worker_cannot_open_staff_views_and_server_refuses(server, make_worker):
    worker = make_worker(server, "canbo1")
    page = worker.page
    # No way in from the menu.
    links = page.get_by_role("navigation", name="Navigation").get_by_role("link")
    expect(links).to_have_text(["Households", "Nominations", "Deeds", "Sync", "Settings"])
    expect(page.get_by_role("link", name="Manage")).to_have_count(0)
    for path in STAFF_PATHS:
        page.goto(f"{server.url}{path}")
        expect(page.get_by_text("You are not allowed to see this.")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_count(0)

    token = requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": "canbo1", "password": PASSWORD},
        timeout=10,
    ).json()["token"]
    admin = server.login("admin")
    some = admin.get("/records/households", limit=1)["records"][0]
    users = admin.get("/users")["users"]
    canbo1 = next(u for u in users if u["username"] == "canbo1")
    calls = [
        ("GET", "/records/households", None),
        (
            "POST",
            f"/records/households/{some['id']}/review",
            {"status": "approved", "comment": None},
        ),
        ("GET", "/conflicts?status=open", None),
        ("GET", "/users", None),
        ("POST", f"/users/{canbo1['id']}/revoke-tokens", {}),
        ("GET", f"/users/{canbo1['id']}/devices", None),
        ("GET", "/audit", None),
    ]
    for method, path, body in calls:
        r = requests.request(
            method,
            f"{server.url}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    # The refused review changed nothing.
    assert (
        admin.get(f"/records/households/{some['id']}")["meta"]["review"] == some["meta"]["review"]
    )


def test_staff_views_say_they_need_a_connection_offline(server, make_worker):
    supervisor = make_worker(server, "giamsat1")
    page = supervisor.page
    page.get_by_role("link", name="Manage").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_role("status", name="Records found")).to_have_text(
        re.compile(r"^\d+ records$")
    )
    supervisor.go_offline()
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    for tab in ("Progress", "Nominations", "Report", "Review"):
        page.get_by_role("navigation", name="Supervision and admin").get_by_role(
            "link", name=tab
        ).click()
        expect(page.get_by_role("alert").filter(has_text="Needs a connection")).to_be_visible()
    # The field screens still work offline.
    page.get_by_role("link", name="Households").click()
    expect(page.get_by_role("button", name="Add household")).to_be_visible()
    supervisor.go_online()
