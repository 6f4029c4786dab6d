"""Screenshots of the supervisor and admin views for the README (docs/screenshots/staff-*.png):
the review queue, the conflict inbox, the report dashboard (its figures, its charts, and the work
and deeds of each unit), the households map, the stranded changes and the household import, at
desktop and phone size, in Vietnamese.

Needs a running server with demo data (see scripts/screenshots.py). Makes one open conflict (two
field workers change the same household), a few reviews and one stranded change first, through
the API.
    ../.venv/bin/python scripts/staff_screenshots.py http://127.0.0.1:8000
"""

import re
import sys
import uuid
from pathlib import Path

import requests
from import_screenshots import XLSX, register
from playwright.sync_api import expect, sync_playwright

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
API = f"{URL}/api/v1"
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


def login(username):
    r = requests.post(f"{API}/auth/login", json={"username": username, "password": "doorstep2024"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def prepare():
    """An open conflict and some reviewed records, so the views show what they are for."""
    admin, sup = login("admin"), login("giamsat1")
    if requests.get(f"{API}/conflicts?status=open", headers=admin).json()["conflicts"]:
        return
    kp1 = next(
        q["id"]
        for q in requests.get(f"{API}/records/quarters", headers=admin).json()["records"]
        if q["fields"]["code"] == "KP1"
    )
    households = requests.get(
        f"{API}/records/households?quarter={kp1}&limit=30", headers=sup
    ).json()["records"]
    # Reviewed ones with a location, so that the map shows a flagged household too.
    households = [h for h in households if h["fields"].get("location")][:6]
    target = households[0]
    for user, phone, members in (("canbo1", "0911111111", 4), ("canbo2", "0922222222", 5)):
        op = {"op_id": str(uuid.uuid4()), "collection": "households", "id": target["id"],
              "base_rev": target["rev"], "fields": {"phone": phone, "members_count": members}}
        requests.post(f"{API}/sync/push", headers=login(user),
                      json={"device_id": f"phone-{user}", "ops": [op]}).raise_for_status()
    reviews = [("approved", None), ("has_issues", "Thiếu số điện thoại của chủ hộ"),
               ("approved", None), ("rejected", "Trùng với hộ đã có ở tổ 3")]
    for h, (status, comment) in zip(households[1:], reviews):
        requests.post(f"{API}/records/households/{h['id']}/review", headers=sup,
                      json={"status": status, "comment": comment}).raise_for_status()


def strand_a_change():
    """A stranded change (§6a), as it happens: a worker now of Khu phố 4 only edits, from the
    copy on their phone, a household of Khu phố 5 they used to visit; the server refuses it as
    forbidden, and the worker hands it to the admins with a note."""
    admin, worker = login("admin"), login("canbo3")
    if requests.get(f"{API}/ops?state=escalated", headers=admin).json()["ops"]:
        return
    kp5 = next(
        q["id"]
        for q in requests.get(f"{API}/records/quarters", headers=admin).json()["records"]
        if q["fields"]["code"] == "KP5"
    )
    household = requests.get(
        f"{API}/records/households?quarter={kp5}&limit=1", headers=admin
    ).json()["records"][0]
    op = {"op_id": str(uuid.uuid4()), "collection": "households", "id": household["id"],
          "base_rev": household["rev"],
          "fields": {"phone": "0903456789",
                     "members_count": household["fields"]["members_count"] + 1}}
    pushed = requests.post(f"{API}/sync/push", headers=worker,
                           json={"device_id": "phone-canbo3", "ops": [op]})
    pushed.raise_for_status()
    [result] = pushed.json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "forbidden"), result
    requests.post(f"{API}/ops/{op['op_id']}/escalate", headers=worker,
                  json={"note": "Hộ này tôi thăm trước khi chuyển sang Khu phố 4; "
                                "chủ hộ vừa đổi số điện thoại và có thêm cháu mới sinh."}
                  ).raise_for_status()


def shoot(browser, username, path, name, ready):
    for size, viewport in SIZES.items():
        ctx = browser.new_context(viewport=viewport, locale="vi-VN", device_scale_factor=1)
        page = ctx.new_page()
        page.goto(f"{URL}/?lang=vi")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill("doorstep2024")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("status", name="Trạng thái đồng bộ")).to_have_text(
            "0 đang chờ", timeout=60_000
        )
        page.goto(f"{URL}{path}")
        ready(page)
        page.screenshot(path=str(OUT / f"staff-{name}-{size}.png"))
        ctx.close()


def charts_in_view(page):
    heading = page.get_by_role("heading", name="Biểu đồ")
    expect(page.locator(".chart canvas").first).to_be_visible()
    heading.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, document.querySelector('h2 + .grid-2').getBoundingClientRect().top - 70)")
    page.wait_for_timeout(300)


def units_in_view(page):
    heading = page.get_by_role("heading", name="Kết quả theo đơn vị")
    expect(page.get_by_role("figure", name="Công việc của từng đơn vị").locator("canvas")).to_be_visible()
    heading.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, [...document.querySelectorAll('h2')].find((h) => h.textContent === 'Kết quả theo đơn vị').getBoundingClientRect().top - 70)")
    page.wait_for_timeout(300)


def import_previewed(page):
    page.get_by_label("Chọn tệp để xem trước").set_input_files(
        {"name": "so-ho-khu-pho.xlsx", "mimeType": XLSX, "buffer": register()}
    )
    expect(page.get_by_role("status", name="Tóm tắt")).to_contain_text("40 hộ mới")


def map_drawn(page):
    # No tile server is reachable from here: the households are drawn on a blank map.
    expect(page.locator(".campaign-map .leaflet-marker-icon").first).to_be_visible()
    page.wait_for_timeout(500)


prepare()
strand_a_change()
OUT.mkdir(parents=True, exist_ok=True)
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    shoot(browser, "giamsat1", "/review", "review-queue",
          lambda page: expect(page.get_by_role("status", name="Số hồ sơ")).to_have_text(
              re.compile(r"^\d+ hồ sơ$")))
    shoot(browser, "admin", "/conflicts", "conflict-inbox",
          lambda page: expect(page.locator("section.conflict-card h2").first).to_contain_text("–"))
    shoot(browser, "admin", "/dashboard", "dashboard",
          lambda page: expect(page.get_by_text("Hạn báo cáo: 25/10/2024")).to_be_visible())
    shoot(browser, "admin", "/dashboard", "dashboard-charts", charts_in_view)
    shoot(browser, "admin", "/dashboard", "dashboard-units", units_in_view)
    shoot(browser, "giamsat1", "/map", "map", map_drawn)
    shoot(browser, "admin", "/stranded", "stranded",
          lambda page: expect(page.locator("section.conflict-card h2").first).to_be_visible())
    shoot(browser, "admin", "/import", "import-preview", import_previewed)
    browser.close()
