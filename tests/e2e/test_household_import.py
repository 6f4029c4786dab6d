"""Import households in a real Chromium: an admin downloads the template, uploads a register,
reads the preview (errors in Vietnamese), downloads the rows with errors, applies it; a field
worker's next sync has the households; the same file again adds nothing."""

from __future__ import annotations

import io
import re

import pytest
from faker import Faker
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TITLES = ["Khu phố", "Tổ", "Chủ hộ", "Địa chỉ", "Số điện thoại", "Số nhân khẩu", "Diện hộ"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register(quarter: dict, heads: list[str], fake: Faker) -> bytes:
    """The register of a khu phố head: the households, then one row with a wrong phone."""
    book = Workbook()
    ws = book.active
    ws.append(TITLES)
    for n, head in enumerate(heads):
        ws.append([quarter["code"], None, head, fake.street_address(), None, 1 + n % 5, "Hộ nghèo"])
    ws.append([quarter["name"], None, "Hộ sai số", fake.street_address(), "12345", 2, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def saved(download) -> list[list]:
    """The first sheet of a downloaded workbook, row by row."""
    book = load_workbook(io.BytesIO(download.path().read_bytes()))
    return [[c.value for c in row] for row in book.worksheets[0].iter_rows()]


def test_admin_imports_a_register_and_field_staff_sync_it(server, make_worker, town):
    quarter = town.quarter()
    worker = town.person("field", [quarter])
    fake = Faker("vi_VN")
    heads = [town.head_name() for _ in range(12)]
    data = register(quarter, heads, fake)

    admin = make_worker(server, "admin", viewport={"width": 1280, "height": 900})
    page = admin.page
    page.get_by_role("link", name="Manage").click()
    page.get_by_role("navigation", name="Supervision and admin").get_by_role(
        "link", name="Import households"
    ).click()
    expect(page.get_by_role("heading", name="Import households")).to_be_visible()

    with page.expect_download() as template:
        page.get_by_role("button", name="Download the template (XLSX)").click()
    assert saved(template.value)[0][:7] == TITLES

    page.get_by_label("Choose a file to preview").set_input_files(
        {"name": "so-ho.xlsx", "mimeType": XLSX, "buffer": data}
    )
    counts = page.get_by_role("status", name="Summary")
    expect(counts).to_contain_text("12 new households to add")
    expect(counts).to_contain_text("1 rows with errors")
    # The row with errors, its row number and what is wrong, in Vietnamese.
    bad = page.locator("tr.import-error")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").first).to_have_text("14")
    expect(bad).to_contain_text("Số điện thoại: Không phải số điện thoại Việt Nam")

    with page.expect_download() as errors:
        page.get_by_role("button", name="Download the rows with errors (XLSX)").click()
    rows = saved(errors.value)
    assert rows[0][-1] == "Lỗi" and len(rows) == 2
    assert rows[1][-1].startswith("Dòng 14 — Số điện thoại:")

    page.get_by_role("tab", name="New (12)").click()
    expect(page.locator("tr.import-add")).to_have_count(12)
    page.get_by_role("button", name="Import 12 households").click()
    expect(page.get_by_role("status").filter(has_text="Added 12 households")).to_be_visible(
        timeout=60_000
    )

    # The field worker of that neighbourhood gets them on the next sync.
    phone = make_worker(server, worker["username"])
    assert len(phone.local_ids("households")) == 12
    phone.open_household(heads[0])
    expect(phone.page.get_by_text("Poor")).to_be_visible()

    # The same file again: everything is already on the register, nothing to import.
    page.get_by_role("button", name="Import another file").click()
    page.get_by_label("Choose a file to preview").set_input_files(
        {"name": "so-ho.xlsx", "mimeType": XLSX, "buffer": data}
    )
    expect(counts).to_contain_text("0 new households to add")
    expect(counts).to_contain_text(re.compile(r"12 already on the register"))
    expect(page.get_by_role("button", name="Import 0 households")).to_be_disabled()


def test_a_file_that_is_not_a_register_says_so(server, make_worker):
    admin = make_worker(server, "admin", lang="vi", viewport={"width": 1280, "height": 900})
    page = admin.page
    page.goto(f"{server.url}/import")
    page.get_by_label("Chọn tệp để xem trước").set_input_files(
        {"name": "anh.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(64)}
    )
    expect(page.get_by_role("alert")).to_contain_text(
        "Tệp không phải bảng tính Excel (.xlsx) hay CSV."
    )
