"""Phone-size screenshots of the app for the README (docs/screenshots/*.png).

Needs a running server with demo data, e.g.:
    doorstep init-db && doorstep seed-demo && doorstep serve --port 8000
    ../.venv/bin/python scripts/screenshots.py http://127.0.0.1:8000
"""

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

OUT.mkdir(parents=True, exist_ok=True)
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", device_scale_factor=1)
    page = ctx.new_page()
    page.goto(f"{URL}/?lang=vi")
    page.get_by_label("Tên đăng nhập").fill("canbo1")
    page.get_by_label("Mật khẩu").fill("doorstep2024")
    page.get_by_role("button", name="Đăng nhập").click()
    status = page.get_by_role("status")
    expect(status).to_have_text("0 đang chờ", timeout=30_000)
    # The first sync is done when the list has replaced its loading message.
    expect(page.get_by_text("Đang tải dữ liệu lần đầu")).to_have_count(0, timeout=60_000)
    expect(status).to_have_text("0 đang chờ", timeout=30_000)
    page.screenshot(path=str(OUT / "household-list.png"))

    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    ctx.set_offline(True)
    ctx.route("**/*", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="Thêm hộ").click()
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
    page.get_by_label("Ghi chú").fill("Tuyên truyền BHYT hộ gia đình; hẹn quay lại tuần sau.")
    page.get_by_label("Cần theo dõi lại").check()
    page.get_by_role("button", name="Lưu").click()
    page.get_by_role("button", name="Thêm đăng ký").click()
    page.get_by_label("Số người").fill("4")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_role("button", name="Ghi lượt thăm").wait_for()
    page.screenshot(path=str(OUT / "household-page.png"))

    page.get_by_role("link", name="Đồng bộ").click()
    expect(status).to_have_text("3 đang chờ · Ngoại tuyến")
    page.screenshot(path=str(OUT / "sync-screen.png"))
    browser.close()
