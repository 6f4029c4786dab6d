"""Phone-size screenshots of the app for the README (docs/screenshots/*.png).

Needs a running server with demo data, e.g.:
    doorstep init-db && doorstep seed-demo && doorstep serve --port 8000
    ../.venv/bin/python scripts/screenshots.py http://127.0.0.1:8000
"""

import sys
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]



def flag_some_work() -> None:
    """A supervisor of Khu phố 1 flags a visit and rejects a registration, with comments."""
    login = requests.post(
        f"{URL}/api/v1/auth/login",
        json={"username": "giamsat1", "password": "doorstep2024"},
        timeout=10,
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    for collection, status, comment in (
        ("visits", "has_issues", "Ghi rõ ngày hẹn quay lại và ai đã gặp"),
        ("registrations", "rejected", "Hộ đã có thẻ BHYT từ năm trước, không tính đăng ký mới"),
    ):
        records = requests.get(
            f"{URL}/api/v1/records/{collection}",
            params={"review": "pending", "limit": 1},
            headers=headers,
            timeout=10,
        ).json()["records"]
        requests.post(
            f"{URL}/api/v1/records/{collection}/{records[0]['id']}/review",
            json={"status": status, "comment": comment},
            headers=headers,
            timeout=10,
        ).raise_for_status()


OUT.mkdir(parents=True, exist_ok=True)
flag_some_work()
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", device_scale_factor=1)
    page = ctx.new_page()
    page.goto(f"{URL}/?lang=vi")
    page.get_by_label("Tên đăng nhập").fill("canbo1")
    page.get_by_label("Mật khẩu").fill("doorstep2024")
    page.get_by_role("button", name="Đăng nhập").click()
    status = page.get_by_role("status", name="Trạng thái đồng bộ")
    expect(status).to_have_text("0 đang chờ", timeout=30_000)
    # The first sync is done when the list has replaced its loading message.
    expect(page.get_by_text("Đang tải dữ liệu lần đầu")).to_have_count(0, timeout=60_000)
    expect(status).to_have_text("0 đang chờ", timeout=30_000)
    page.screenshot(path=str(OUT / "household-list.png"))

    page.get_by_role("button", name="cần sửa").click()
    expect(page.get_by_role("heading", name="Cần sửa")).to_be_visible()
    page.screenshot(path=str(OUT / "to-fix.png"))

    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    ctx.set_offline(True)
    ctx.route("**/*", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("link", name="Hộ dân").click()
    page.get_by_role("button", name="Thêm hộ").click()
    page.get_by_label("Chủ hộ").fill("Nguyễn Thị Mai")
    page.get_by_label("Địa chỉ").fill("15 Lý Thường Kiệt")
    # Leaving the form half filled, then coming back to it: the draft is restored.
    page.get_by_role("link", name="Đồng bộ").click()
    page.get_by_role("link", name="Hộ dân").click()
    page.get_by_role("button", name="Thêm hộ").click()
    expect(page.get_by_text("Đã khôi phục bản nháp")).to_be_visible()
    page.screenshot(path=str(OUT / "draft-restored.png"))
    page.get_by_label("Chủ hộ").fill("Nguyễn Thị Mai")
    page.get_by_label("Địa chỉ").fill("15 Lý Thường Kiệt")
    page.get_by_label("Khu phố", exact=True).select_option(label="Khu phố 1")
    page.get_by_label("Số điện thoại").fill("091234567")
    page.get_by_label("Số nhân khẩu").fill("4")
    page.get_by_label("Hộ cận nghèo").check()
    page.get_by_role("button", name="Lưu").click()
    page.screenshot(path=str(OUT / "household-form.png"))

    page.get_by_label("Số điện thoại").fill("0912345678")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_role("button", name="Ghi lượt thăm").click()
    page.get_by_label("Mục đích").select_option(index=1)
    page.get_by_label("Ghi chú").fill("Tuyên truyền BHYT hộ gia đình; hẹn quay lại tuần sau.")
    page.get_by_label("Cần theo dõi lại").check()
    page.get_by_role("button", name="Lưu").click()
    page.get_by_role("button", name="Thêm đăng ký").click()
    page.get_by_label("Loại").select_option(index=1)
    page.get_by_label("Tình trạng").select_option(index=1)
    page.get_by_label("Số người").fill("4")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_role("button", name="Ghi lượt thăm").wait_for()
    page.screenshot(path=str(OUT / "household-page.png"))

    page.get_by_role("link", name="Đồng bộ").click()
    expect(status).to_have_text("3 đang chờ · Ngoại tuyến")
    page.screenshot(path=str(OUT / "sync-screen.png"))
    browser.close()
