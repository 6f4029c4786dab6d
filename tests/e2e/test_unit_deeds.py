"""A unit's concrete deed ("01 việc cụ thể thiết thực") from a supervisor's phone to the report,
in a real Chromium against `doorstep serve`: recorded offline, kept in the outbox, synced, and
read by the admin on the dashboard and in the downloaded XLSX report."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import SMALL_PHONE

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
CAMPAIGN = "Dân vận đợt 2/2024"  # made by `doorstep seed-demo`
DEEDS_SHEET = "Việc làm cụ thể"  # the XLSX sheet of "Việc làm cụ thể của các ban ngành, đơn vị"


def test_a_supervisor_records_their_units_deed_offline_and_the_admin_reads_it_in_the_report(
    server, make_worker, town, tmp_path
):
    admin = server.login("admin")
    quarter = town.quarter()
    unit = town.unit()
    supervisor = town.person("supervisor", [quarter], unit)
    phone = make_worker(server, supervisor["username"], viewport=SMALL_PHONE)
    page = phone.page
    page.get_by_role("link", name="Deeds").click()
    own = page.get_by_role("region", name=unit["name"])
    expect(own).to_contain_text("Your unit")
    expect(own).to_contain_text("No deed yet.")

    title = "Lắp đèn đường cho hẻm tối"
    result = "Lắp 8 bóng đèn năng lượng mặt trời."
    phone.go_offline()
    page.get_by_role("button", name="Add deed").click()
    expect(page.get_by_label("Unit", exact=True)).to_have_value(unit["id"])
    page.get_by_label("Campaign", exact=True).select_option(label=CAMPAIGN)
    page.get_by_label("Deed", exact=True).fill(title)
    page.get_by_label("Where (neighbourhood)", exact=True).select_option(label=quarter["name"])
    page.get_by_label("Date", exact=True).fill("2024-10-16")
    page.get_by_label("Progress", exact=True).select_option(label="Done")
    page.get_by_label("Result", exact=True).fill(result)
    page.get_by_label("People or households helped", exact=True).fill("30")
    page.get_by_label("Value (VND)", exact=True).fill("4000000")
    page.get_by_role("button", name="Save").click()

    # On the phone at once, waiting in the outbox; not on the server yet.
    expect(phone.status).to_have_text("1 waiting · Offline")
    # Back on the screen, on the deed's campaign (not whichever runs today), the deed in it.
    expect(page.get_by_role("button", name="Add deed")).to_be_visible()
    expect(own).to_contain_text(title)
    expect(own).to_contain_text("Not sent")
    expect(own).to_contain_text("Done")
    titles = [d["fields"]["title"] for d in admin.get("/records/deeds", limit=500)["records"]]
    assert title not in titles

    phone.go_online()
    phone.sync_now()
    phone.wait_synced()
    expect(own).not_to_contain_text("Not sent")
    (deed,) = [
        d
        for d in admin.get("/records/deeds", limit=500)["records"]
        if d["fields"]["title"] == title
    ]
    assert deed["fields"]["unit_id"] == unit["id"]
    assert deed["fields"]["status"] == "done"

    # The admin reads it in the campaign report: on the dashboard ...
    office = make_worker(server, "admin", viewport=DESKTOP)
    board = office.page
    board.goto(f"{server.url}/dashboard")
    board.get_by_label("Campaign").select_option(label=CAMPAIGN)
    row = board.get_by_role("table", name="The units' concrete deeds").get_by_role(
        "row", name=re.compile(re.escape(unit["name"]))
    )
    expect(row).to_contain_text(title)
    expect(row).to_contain_text(f"{quarter['name']} · 16/10/2024")
    expect(row).to_contain_text("Done")
    expect(row).to_contain_text(f"{result} · 30 people or households helped · 4.000.000 ₫")
    without = board.get_by_role("list", name=re.compile(r"^Units without a deed yet"))
    expect(without.get_by_text("Hội Nông dân thị trấn", exact=True)).to_be_visible()
    expect(without.get_by_text(unit["name"], exact=True)).to_have_count(0)

    # ... and in the report downloaded for the district.
    with board.expect_download() as download:
        board.get_by_role("button", name="Download XLSX").click()
    path = tmp_path / "report.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path)[DEEDS_SHEET]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][:7] == [
        "STT",
        "Đơn vị",
        "Việc làm cụ thể",
        "Địa bàn",
        "Ngày thực hiện",
        "Tiến độ",
        "Kết quả",
    ]
    (written,) = [r for r in rows if r[1] == unit["name"]]
    assert written[2:] == [
        title,
        quarter["name"],
        "16/10/2024",
        "Đã hoàn thành",
        result,
        30,
        4_000_000,
    ]


@pytest.fixture
def campaign_today(town) -> Iterator[str]:
    """The name of a campaign running today, the one the Deeds screen opens on."""
    with town.campaign_today() as campaign:
        yield campaign["name"]


def test_a_deed_saved_under_an_earlier_campaign_is_shown_under_that_campaign(
    server, make_worker, town, campaign_today
):
    quarter = town.quarter()
    unit = town.unit()
    supervisor = town.person("supervisor", [quarter], unit)
    phone = make_worker(server, supervisor["username"], viewport=SMALL_PHONE)
    page = phone.page
    page.get_by_role("link", name="Deeds").click()
    # Its label's name also holds the chosen campaign's: not an exact match.
    shown = page.get_by_label("Campaign").locator("option:checked")
    expect(shown).to_have_text(campaign_today)

    title = "Sửa cầu gỗ qua kênh"
    page.get_by_role("button", name="Add deed").click()
    form_campaign = page.get_by_label("Campaign", exact=True)
    expect(form_campaign.locator("option:checked")).to_have_text(campaign_today)
    form_campaign.select_option(label=CAMPAIGN)
    page.get_by_label("Deed", exact=True).fill(title)
    page.get_by_label("Date", exact=True).fill("2024-10-18")
    page.get_by_label("Progress", exact=True).select_option(label="In progress")
    page.get_by_role("button", name="Save").click()

    # Back on the Deeds screen, on the campaign the deed was saved under, with the deed in it.
    expect(page.get_by_role("button", name="Add deed")).to_be_visible()
    expect(shown).to_have_text(CAMPAIGN)
    own = page.get_by_role("region", name=unit["name"])
    expect(own).to_contain_text(title)
    expect(own).to_contain_text("In progress")

    # Changed later, it is still where it was.
    own.get_by_role("link", name=re.compile(re.escape(title))).click()
    page.get_by_label("Progress", exact=True).select_option(label="Done")
    page.get_by_role("button", name="Save").click()
    expect(shown).to_have_text(CAMPAIGN)
    expect(own).to_contain_text(title)
    expect(own).to_contain_text("Done")

    # The next deed added from this screen starts on the campaign it shows.
    page.get_by_role("button", name="Add deed").click()
    expect(page.get_by_label("Campaign", exact=True).locator("option:checked")).to_have_text(
        CAMPAIGN
    )
    page.get_by_role("button", name="Cancel").click()
    expect(shown).to_have_text(CAMPAIGN)
