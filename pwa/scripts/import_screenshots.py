"""Screenshot of "Nhập danh sách hộ" for the README (docs/screenshots/staff-import-desktop.png):
the preview of a register made here with Faker's vi_VN names, with a household already on the
register, and two rows with errors.

Needs a running server with demo data (see scripts/screenshots.py); staff_screenshots.py shoots
the same register in the console's set:
    ../.venv/bin/python scripts/import_screenshots.py http://127.0.0.1:8000
"""

import io
import sys
from pathlib import Path

import requests
from faker import Faker
from openpyxl import Workbook
from playwright.sync_api import expect, sync_playwright

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
API = f"{URL}/api/v1"
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TITLES = ["Khu phố", "Tổ", "Chủ hộ", "Địa chỉ", "Số điện thoại", "Số nhân khẩu", "Diện hộ", "Ghi chú"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def full_name(fake: Faker) -> str:
    given = fake.first_name_female() if fake.boolean() else fake.first_name_male()
    return f"{fake.last_name()} {fake.middle_name()} {given}"


def register() -> bytes:
    """A khu phố head's register: 40 households, one already on the register, two mistakes."""
    fake = Faker("vi_VN")
    fake.seed_instance(2024)
    r = requests.post(f"{API}/auth/login", json={"username": "admin", "password": "doorstep2024"})
    admin = {"Authorization": f"Bearer {r.json()['token']}"}
    known = requests.get(f"{API}/records/households?limit=1", headers=admin).json()["records"][0]
    codes = {
        q["id"]: q["fields"]["code"]
        for q in requests.get(f"{API}/records/quarters", headers=admin).json()["records"]
    }
    categories = ["", "Hộ nghèo", "", "Hộ cận nghèo", "", "Gia đình chính sách, Người có công"]
    book = Workbook()
    ws = book.active
    ws.title = "Danh sách hộ"
    ws.append(TITLES)
    ws.append(
        [codes[known["fields"]["quarter_id"]], None, known["fields"]["head_name"],
         known["fields"]["address"], "0987654321", None, None, None]
    )
    for n in range(40):
        ws.append(
            [f"KP{1 + n % 3}", str(1 + n % 4), full_name(fake), fake.street_address(),
             "09" + fake.numerify("########"), 1 + n % 6, categories[n % len(categories)], None]
        )
    ws.append(["KP9", "1", full_name(fake), fake.street_address(), "0912345678", 3, None, None])
    ws.append(["KP2", "2", full_name(fake), fake.street_address(), "091234", "năm", "Hộ nghèo", None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="vi-VN")
        page = ctx.new_page()
        page.goto(f"{URL}/?lang=vi")
        page.get_by_label("Tên đăng nhập").fill("admin")
        page.get_by_label("Mật khẩu").fill("doorstep2024")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("status", name="Trạng thái đồng bộ")).to_have_text(
            "0 đang chờ", timeout=60_000
        )
        page.goto(f"{URL}/import")
        page.get_by_label("Chọn tệp để xem trước").set_input_files(
            {"name": "so-ho-khu-pho.xlsx", "mimeType": XLSX, "buffer": register()}
        )
        expect(page.get_by_role("status", name="Tóm tắt")).to_contain_text("40 hộ mới")
        page.get_by_role("tab", name="Tất cả (43)").click()
        page.screenshot(path=str(OUT / "staff-import-desktop.png"))
        browser.close()
