"""The field worker's day on a 360 px phone, in Vietnamese and English: flagged work comes back,
nothing typed is lost, no answer is given for the worker, reassignment and stranded changes, what
the screen says is true, fast and usable with a thumb."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import expect

from .conftest import SMALL_PHONE

pytestmark = pytest.mark.e2e

VISITED_AT = "2024-10-14T09:00:00+07:00"


def eventually(check, timeout_s: float = 20, page=None) -> None:
    """Poll `check()` until it is true (the phone syncs on its own schedule). With a `page`,
    waits through it, so that Playwright runs route handlers meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        if page is None:
            time.sleep(0.2)
        else:
            page.wait_for_timeout(200)


def household_with_records(town, worker: dict, quarter: dict) -> dict:
    """A household of `worker`'s, pushed through the API, with a visit and a registration."""
    client = town.server.login(worker["username"])
    head = town.head_name()
    household_id = str(uuid.uuid4())
    _, visit, registration = town.push(
        client,
        {
            "collection": "households",
            "id": household_id,
            "fields": {"quarter_id": quarter["id"], "address": "4 Lê Lợi", "head_name": head},
        },
        {
            "collection": "visits",
            "fields": {
                "household_id": household_id,
                "visited_at": VISITED_AT,
                "purpose": "outreach",
                "notes": "Tuyên truyền BHYT",
            },
        },
        {
            "collection": "registrations",
            "fields": {
                "household_id": household_id,
                "kind": "health_insurance",
                "status": "registered",
                "persons": 2,
                "registered_on": "2024-10-14",
            },
        },
    )
    return {
        "head": head,
        "id": household_id,
        "visit": visit["id"],
        "registration": registration["id"],
    }


@pytest.fixture
def flagged(town):
    """A worker's household whose visit a supervisor flagged and whose registration was rejected."""
    quarter = town.quarter()
    worker = town.person("field", [quarter])
    supervisor = town.person("supervisor", [quarter])
    h = household_with_records(town, worker, quarter)
    reviewer = town.server.login(supervisor["username"])
    h["visit_comment"] = "Ghi rõ hộ hẹn ngày nào quay lại"
    h["registration_comment"] = "Trùng với đăng ký tháng trước"
    reviewer.post(
        f"/records/visits/{h['visit']}/review",
        {"status": "has_issues", "comment": h["visit_comment"]},
    )
    reviewer.post(
        f"/records/registrations/{h['registration']}/review",
        {"status": "rejected", "comment": h["registration_comment"]},
    )
    return {**h, "worker": worker, "supervisor": supervisor, "quarter": quarter}


# -- 1. Flagged work comes back to the worker ------------------------------------------------


def test_flagged_work_is_listed_fixed_and_leaves_the_list(town, flagged, make_worker):
    w = make_worker(town.server, flagged["worker"]["username"], viewport=SMALL_PHONE)
    page = w.page
    # Only the record flagged "has issues" is counted; the rejected one is listed, not counted.
    to_fix = page.get_by_role("button", name="1 to fix")
    expect(to_fix).to_be_visible()

    # The household card carries a badge, and the flagged filter finds it by its child records.
    page.get_by_label("Flagged by supervisor").check()
    card = page.get_by_role("link", name=re.compile(re.escape(flagged["head"])))
    expect(card).to_have_count(1)
    expect(card.get_by_text("Has records to fix")).to_be_visible()

    to_fix.click()
    expect(page.get_by_role("heading", name="To fix")).to_be_visible()
    items = page.get_by_role("list", name="To fix").get_by_role("listitem")
    expect(items).to_have_count(2)
    visit = items.filter(has_text="Visit 14/10/2024 · Outreach")
    expect(visit.get_by_text(flagged["head"])).to_be_visible()
    expect(visit.get_by_text(flagged["visit_comment"])).to_be_visible()
    expect(visit.get_by_text(f"Flagged by {flagged['supervisor']['name']} on")).to_be_visible()
    registration = items.filter(has_text="Registration: Health insurance")
    expect(registration.get_by_text("Rejected", exact=True)).to_be_visible()
    expect(registration.get_by_text(flagged["registration_comment"])).to_be_visible()

    # The form of the flagged visit shows the comment above its fields; saving sends the fix.
    visit.get_by_role("button", name="Fix").click()
    note = page.get_by_role("note", name="Supervisor comment")
    expect(note).to_contain_text(flagged["visit_comment"])
    assert note.bounding_box()["y"] < page.get_by_label("Notes", exact=True).bounding_box()["y"]
    page.get_by_label("Notes", exact=True).fill("Tuyên truyền BHYT, hẹn thứ Bảy quay lại")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=flagged["head"])).to_be_visible()

    # Once the server has it (review status `edited`), it leaves the list and the count.
    eventually(
        lambda: (
            town.admin.get(f"/records/visits/{flagged['visit']}")["meta"]["review"]["status"]
            == "edited"
        )
    )
    w.wait_synced()
    expect(to_fix).to_have_count(0)
    page.goto(f"{town.server.url}/to-fix")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Registration: Health insurance")


def test_flagged_work_in_vietnamese(town, flagged, make_worker):
    w = make_worker(town.server, flagged["worker"]["username"], lang="vi", viewport=SMALL_PHONE)
    page = w.page
    page.get_by_role("button", name="1 cần sửa").click()
    expect(page.get_by_role("heading", name="Cần sửa")).to_be_visible()
    visit = page.get_by_role("listitem").filter(has_text="Lượt thăm 14/10/2024 · Tuyên truyền")
    expect(visit.get_by_text(flagged["visit_comment"])).to_be_visible()
    expect(visit.get_by_text(f"{flagged['supervisor']['name']} đánh dấu lúc")).to_be_visible()
    rejected = page.get_by_role("listitem").filter(has_text="Đăng ký Bảo hiểm y tế")
    expect(rejected.get_by_text("Không duyệt", exact=True)).to_be_visible()
    visit.get_by_role("button", name="Sửa").click()
    expect(page.get_by_role("note", name="Nhận xét của giám sát")).to_contain_text(
        flagged["visit_comment"]
    )


# -- 2. Drafts: a half-filled form is never lost ---------------------------------------------

DRAFT_TYPED = """(text) => new Promise((resolve) => {
  const req = indexedDB.open('doorstep');
  req.onsuccess = () => {
    const db = req.result;
    const all = db.transaction('drafts').objectStore('drafts').getAll();
    all.onsuccess = () => {
      resolve(all.result.some((d) => JSON.stringify(d.form).includes(text)));
      db.close();
    };
  };
})"""


def wait_for_draft(page, text: str) -> None:
    """The draft holding `text` is in IndexedDB (what a killed tab leaves behind)."""
    eventually(lambda: page.evaluate(DRAFT_TYPED, text))


def test_drafts_survive_leaving_reload_and_a_closed_tab(town, make_worker):
    quarter = town.quarter()
    worker = town.person("field", [quarter])
    w = make_worker(town.server, worker["username"], viewport=SMALL_PHONE)
    page = w.page
    head = town.head_name()

    page.get_by_role("button", name="Add household").click()
    page.get_by_label("Head of household", exact=True).fill(head)
    page.get_by_label("Address", exact=True).fill("27 Nguyễn Trãi")
    # Leaving by the bottom navigation: the sync screen lists the draft, nothing is pushed.
    page.get_by_role("link", name="Sync").click()
    drafts = page.get_by_role("region", name="Drafts")
    expect(drafts.get_by_text(f"Household – {head}")).to_be_visible()
    w.wait_synced()

    page.get_by_role("link", name="Households").click()
    page.get_by_role("button", name="Add household").click()
    expect(page.get_by_text("Draft restored")).to_be_visible()
    expect(page.get_by_label("Head of household", exact=True)).to_have_value(head)
    page.get_by_label("Phone", exact=True).fill("0912000111")
    wait_for_draft(page, "0912000111")

    # A reload, then the tab closed by the phone (no unload handlers run): it comes back each time.
    page.reload()
    expect(page.get_by_text("Draft restored")).to_be_visible()
    expect(page.get_by_label("Phone", exact=True)).to_have_value("0912000111")
    page.get_by_label("Members", exact=True).fill("5")
    wait_for_draft(page, '"members_count":"5"')
    page.close(run_before_unload=False)
    page = w.page = w.new_page()
    page.goto(f"{town.server.url}/")
    page.get_by_role("button", name="Add household").click()
    expect(page.get_by_text("Draft restored")).to_be_visible()
    expect(page.get_by_label("Address", exact=True)).to_have_value("27 Nguyễn Trãi")
    expect(page.get_by_label("Members", exact=True)).to_have_value("5")
    assert town.admin.get("/records/households", q=head)["total"] == 0  # a draft is never pushed

    # Saving deletes the draft: "Add household" starts empty again.
    page.get_by_label("Neighbourhood", exact=True).select_option(label=quarter["name"])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=head)).to_be_visible()
    eventually(lambda: town.admin.get("/records/households", q=head)["total"] == 1)

    # The edit form of a record keeps its draft too, and "Discard draft" gives the record back.
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Phone", exact=True).fill("0988777666")
    page.get_by_role("link", name="Households").click()
    page.get_by_role("link", name=re.compile(re.escape(head))).click()
    page.get_by_role("button", name="Edit").click()
    expect(page.get_by_label("Phone", exact=True)).to_have_value("0988777666")
    page.get_by_role("button", name="Discard draft").click()
    expect(page.get_by_label("Phone", exact=True)).to_have_value("0912000111")
    expect(page.get_by_text("Draft restored")).to_have_count(0)

    # A visit's draft, kept per household.
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Log visit").click()
    page.get_by_label("Notes", exact=True).fill("Hẹn gặp lại chủ hộ chiều mai")
    page.get_by_role("link", name="Nominations").click()
    page.get_by_role("link", name="Households").click()
    page.get_by_role("link", name=re.compile(re.escape(head))).click()
    page.get_by_role("button", name="Log visit").click()
    expect(page.get_by_label("Notes", exact=True)).to_have_value("Hẹn gặp lại chủ hộ chiều mai")

    page.get_by_role("link", name="Sync").click()
    drafts = page.get_by_role("region", name="Drafts")
    expect(drafts.get_by_role("listitem")).to_have_count(1)
    expect(drafts.get_by_text(f"Visit – {head}")).to_be_visible()
    w.wait_synced()


def test_draft_restored_in_vietnamese(town, make_worker):
    quarter = town.quarter()
    worker = town.person("field", [quarter])
    w = make_worker(town.server, worker["username"], lang="vi", viewport=SMALL_PHONE)
    page = w.page
    page.get_by_role("link", name="Dân vận khéo").click()
    page.get_by_role("button", name="Đề xuất Dân vận khéo").click()
    nominee = town.full_name()
    page.get_by_label("Người/tập thể được đề xuất").fill(nominee)
    page.get_by_role("link", name="Đồng bộ").click()
    expect(page.get_by_role("region", name="Bản nháp").get_by_text(nominee)).to_be_visible()
    page.get_by_role("region", name="Bản nháp").get_by_role("link").click()
    expect(page.get_by_text("Đã khôi phục bản nháp")).to_be_visible()
    expect(page.get_by_label("Người/tập thể được đề xuất")).to_have_value(nominee)
    page.get_by_role("button", name="Bỏ bản nháp").click()
    expect(page.get_by_label("Người/tập thể được đề xuất")).to_have_value("")


# -- 3. No answer is given for the worker ----------------------------------------------------


@pytest.fixture
def campaign_today(town) -> Iterator[dict]:
    """A worker with a household that has a clean-water registration in the campaign running
    today; an older campaign, still marked active, does not run today."""
    town.push(
        town.admin,
        {
            "collection": "campaigns",
            "fields": {
                "name": f"Đợt cũ {uuid.uuid4().hex[:4]}",
                "starts_on": "2024-10-12",
                "ends_on": "2024-10-24",
                "active": True,
            },
        },
    )
    with town.campaign_today() as campaign:
        quarter = town.quarter()
        worker = town.person("field", [quarter])
        client = town.server.login(worker["username"])
        head = town.head_name()
        household_id = str(uuid.uuid4())
        fields = {"quarter_id": quarter["id"], "address": "8 Lý Tự Trọng", "head_name": head}
        _, registration = town.push(
            client,
            {"collection": "households", "id": household_id, "fields": fields},
            {
                "collection": "registrations",
                "fields": {
                    "household_id": household_id,
                    "kind": "clean_water",
                    "status": "considering",
                    "registered_on": date.today().isoformat(),
                    "campaign_id": campaign["id"],
                },
            },
        )
        yield {
            "worker": worker,
            "head": head,
            "campaign": campaign["name"],
            "registration": registration["id"],
            "household": household_id,
        }


def test_forms_start_empty_and_refuse_an_untouched_save(town, campaign_today, make_worker):
    w = make_worker(town.server, campaign_today["worker"]["username"], viewport=SMALL_PHONE)
    page = w.page
    w.open_household(campaign_today["head"])

    page.get_by_role("button", name="Log visit").click()
    purpose = page.get_by_label("Purpose", exact=True)
    expect(purpose).to_have_value("")
    expect(purpose).to_have_attribute("aria-required", "true")  # marked before the first save
    mark = page.locator(".label-row", has=page.get_by_text("Purpose", exact=True))
    expect(mark).to_have_text("Purpose*")
    campaign = page.get_by_label("Campaign", exact=True)
    expect(campaign.locator("option:checked")).to_have_text(campaign_today["campaign"])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Choose one.")).to_be_visible()
    expect(purpose).to_be_focused()
    page.get_by_role("button", name="Cancel").click()

    page.get_by_role("button", name="Add registration").click()
    for label in ("Kind", "Status"):
        expect(page.get_by_label(label, exact=True)).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Choose one.")).to_have_count(2)
    page.get_by_role("button", name="Cancel").click()

    page.get_by_role("button", name="Record support").click()
    expect(page.get_by_label("Kind", exact=True)).to_have_value("")
    expect(page.get_by_label("Value (VND)", exact=True)).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Choose one.")).to_be_visible()
    expect(page.get_by_text("Required.", exact=True)).to_be_visible()
    page.get_by_role("button", name="Cancel").click()

    page.get_by_role("button", name="Model-family assessment").click()
    expect(page.get_by_label("Result", exact=True)).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Choose one.")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()

    # None of those taps made a record.
    w.wait_synced()
    children = town.admin.get(f"/records/households/{campaign_today['household']}/history")
    assert children["record"]["rev"] == 1
    for collection in ("visits", "support", "assessments"):
        assert town.admin.get(f"/records/{collection}", q=campaign_today["head"])["total"] == 0


def test_a_second_registration_of_a_kind_is_warned_in_vietnamese(town, campaign_today, make_worker):
    w = make_worker(
        town.server, campaign_today["worker"]["username"], lang="vi", viewport=SMALL_PHONE
    )
    page = w.page
    w.open_household(campaign_today["head"])
    page.get_by_role("button", name="Thêm đăng ký").click()
    expect(page.get_by_text("Mục có dấu * là bắt buộc.")).to_be_visible()
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Hãy chọn một mục.")).to_have_count(2)
    page.get_by_label("Loại", exact=True).select_option(label="Nước sạch")
    warning = page.get_by_role("alert").filter(has_text="Hộ này đã có đăng ký Nước sạch")
    expect(warning).to_contain_text("Đang cân nhắc")
    warning.get_by_role("link", name="Mở đăng ký đó").click()
    expect(page).to_have_url(
        re.compile(f"/records/registrations/{campaign_today['registration']}/edit$")
    )
    expect(page.get_by_label("Tình trạng", exact=True)).to_have_value("considering")


# -- 4. Reassignment and stranded changes ----------------------------------------------------


@pytest.fixture
def reassigned(town):
    """A worker of neighbourhoods A and B, with a household in each, and one in C."""
    a, b, c = town.quarter(), town.quarter(), town.quarter()
    worker = town.person("field", [a, b])
    return {
        "worker": worker,
        "a": a,
        "b": b,
        "c": c,
        "in_a": town.household(worker, a),
        "in_c": town.household(None, c),
    }


def stranded_edit(town, reassigned, w) -> None:
    """The worker edits A's household offline, loses A meanwhile, and syncs: refused."""
    page = w.page
    w.go_offline()
    w.open_household(reassigned["in_a"]["head"])
    page.get_by_role("button", name=w.words["edit"]).click()
    page.get_by_label(w.words["phone"], exact=True).fill("0977123456")
    page.get_by_role("button", name=w.words["save"]).click()
    town.move(reassigned["worker"], [reassigned["b"], reassigned["c"]])
    w.go_online()
    w.sync_now()


def test_reassigned_worker_gets_the_new_neighbourhoods(town, reassigned, make_worker):
    w = make_worker(town.server, reassigned["worker"]["username"], viewport=SMALL_PHONE)
    page = w.page
    town.move(reassigned["worker"], [reassigned["b"], reassigned["c"]])
    w.sync_now()
    w.wait_synced()
    page.get_by_role("searchbox").fill(reassigned["in_c"]["head"])
    card = page.get_by_role("link", name=re.compile(re.escape(reassigned["in_c"]["head"])))
    expect(card).to_contain_text(reassigned["c"]["name"])
    page.get_by_role("searchbox").fill(reassigned["in_a"]["head"])
    expect(page.get_by_text(re.compile("No household matches"))).to_be_visible()

    page.get_by_role("button", name="Add household").click()
    options = page.get_by_label("Neighbourhood", exact=True).locator("option")
    expect(options).to_have_count(3)
    assert sorted(options.all_inner_texts()) == sorted(
        ["— Choose —", reassigned["b"]["name"], reassigned["c"]["name"]]
    )


def test_a_stranded_change_goes_to_the_admin_who_applies_it(town, reassigned, make_worker):
    w = make_worker(town.server, reassigned["worker"]["username"], viewport=SMALL_PHONE)
    page = w.page
    stranded_edit(town, reassigned, w)
    expect(w.status).to_have_text(re.compile(r"^0 waiting · 1 need attention"))

    page.get_by_role("link", name="Sync").click()
    attention = page.get_by_role("region", name="Needs attention")
    expect(attention.get_by_role("heading")).to_have_text("Needs attention (1)")
    expect(page.get_by_text("Changes waiting to be sent (0)")).to_be_visible()
    expect(attention).to_contain_text(
        f"{reassigned['a']['name']} is not one of your neighbourhoods, so the server did not"
        f" accept this change to the household of {reassigned['in_a']['head']}."
    )
    expect(attention).not_to_contain_text("quarter_id")
    for name in ("Fix", "Discard change", "Send to admin"):
        expect(attention.get_by_role("button", name=name)).to_be_visible()
    attention.get_by_role("button", name="Send to admin").click()
    sent = page.get_by_role("region", name="Sent to an admin")
    expect(sent).to_contain_text(f"Household – {reassigned['in_a']['head']}")
    expect(sent).to_contain_text("Waiting for an admin")
    expect(attention).to_have_count(0)
    expect(w.status).to_have_text(re.compile(r"^0 waiting$"))

    admin = make_worker(town.server, "admin", viewport={"width": 1280, "height": 900})
    ap = admin.page
    ap.goto(f"{town.server.url}/stranded")
    expect(ap.get_by_role("heading", name="Stranded changes", exact=True)).to_be_visible()
    card = ap.get_by_role("region", name=re.compile(re.escape(reassigned["in_a"]["head"])))
    row = card.get_by_role("row", name=re.compile("^Phone"))
    expect(row).to_contain_text("0977123456")  # the change, beside the record as it is now
    expect(card).to_contain_text("Sent by")
    card.get_by_role("button", name="Apply the change").click()
    expect(card).to_have_count(0)

    assert (
        town.admin.get(f"/records/households/{reassigned['in_a']['id']}")["fields"]["phone"]
        == "0977123456"
    )
    w.sync_now()
    expect(sent).to_contain_text("An admin applied this change")


def test_a_declined_stranded_change_in_vietnamese(town, reassigned, make_worker):
    w = make_worker(town.server, reassigned["worker"]["username"], lang="vi", viewport=SMALL_PHONE)
    page = w.page
    stranded_edit(town, reassigned, w)
    page.get_by_role("link", name="Đồng bộ").click()
    attention = page.get_by_role("region", name="Cần xử lý")
    expect(attention).to_contain_text(
        f"{reassigned['a']['name']} không thuộc khu phố bạn phụ trách, nên máy chủ không nhận"
        f" thay đổi của hộ {reassigned['in_a']['head']}."
    )
    attention.get_by_role("button", name="Gửi quản trị xử lý").click()
    sent = page.get_by_role("region", name="Đã gửi quản trị xử lý")
    expect(sent).to_contain_text("Đang chờ quản trị xử lý")

    admin = make_worker(town.server, "admin", lang="vi", viewport={"width": 1280, "height": 900})
    ap = admin.page
    ap.get_by_role("link", name="Quản lý").click()
    ap.get_by_role("link", name="Thay đổi bị kẹt").click()
    card = ap.get_by_role("region", name=re.compile(re.escape(reassigned["in_a"]["head"])))
    card.get_by_role("button", name="Không nhận").click()
    expect(card.get_by_text("Hãy ghi lý do.")).to_be_visible()
    card.get_by_label("Lý do không nhận (cán bộ sẽ đọc được)").fill("Hộ đã chuyển cho cán bộ khác")
    card.get_by_role("button", name="Không nhận").click()
    expect(card).to_have_count(0)

    w.sync_now()
    expect(sent).to_contain_text("Quản trị không nhận: Hộ đã chuyển cho cán bộ khác")


# -- 5. What the screen says is true ---------------------------------------------------------

ONE_LINE = """(el) => el.getBoundingClientRect().height
    <= 1.5 * parseFloat(getComputedStyle(el).lineHeight)"""


def test_header_tells_offline_and_syncing_truly_on_one_line(town, make_worker):
    quarter = town.quarter()
    worker = town.person("field", [quarter])
    w = make_worker(town.server, worker["username"], viewport=SMALL_PHONE)
    page = w.page
    assert w.status.evaluate(ONE_LINE)

    # The server cannot be reached, though the phone believes it is online: "Offline".
    w.context.route("**/api/v1/**", lambda route: route.abort("connectionrefused"))
    w.sync_now()
    expect(w.status).to_have_text("0 waiting · Offline")
    assert page.evaluate("navigator.onLine")
    w.context.unroute("**/api/v1/**")

    # "Syncing…" only while a request is in flight.
    held = []
    w.context.route("**/api/v1/sync/pull*", lambda route: held.append(route))
    w.sync_now()
    expect(w.status).to_have_text("0 waiting · Syncing…")
    eventually(lambda: bool(held), page=page)
    for route in held:
        route.continue_()
    w.context.unroute("**/api/v1/sync/pull*")
    w.wait_synced()

    # Everything at once still fits on one line at 360 px.
    flagged = household_with_records(town, worker, quarter)
    supervisor = town.person("supervisor", [quarter])
    town.server.login(supervisor["username"]).post(
        f"/records/visits/{flagged['visit']}/review", {"status": "has_issues", "comment": "Sửa"}
    )
    w.go_offline()
    page.get_by_role("button", name="Add household").click()
    page.get_by_label("Head of household", exact=True).fill(town.head_name())
    page.get_by_label("Address", exact=True).fill("1 Ngô Quyền")
    page.get_by_label("Neighbourhood", exact=True).select_option(label=quarter["name"])
    page.get_by_role("button", name="Save").click()
    expect(w.status).to_have_text("1 waiting · Offline")
    w.go_online()
    w.sync_now()
    w.wait_synced()
    expect(page.get_by_role("button", name="1 to fix")).to_be_visible()
    boxes = [
        el.bounding_box()
        for el in (
            page.get_by_role("link", name="Doorstep – Dân vận"),
            w.status,
            page.get_by_role("button", name="1 to fix"),
            page.get_by_role("button", name="Sync now"),
        )
    ]
    assert max(b["y"] for b in boxes) - min(b["y"] for b in boxes) < 20  # side by side
    assert max(b["x"] + b["width"] for b in boxes) <= 360
    assert w.status.evaluate(ONE_LINE)


def test_first_sync_shows_how_far_it_has_got_in_vietnamese(browser, town):
    from .conftest import PASSWORD, Worker

    quarter = town.quarter()
    worker = town.person("field", [quarter])
    client = town.server.login(worker["username"])
    town.push(
        client,
        *(
            {
                "collection": "households",
                "fields": {
                    "quarter_id": quarter["id"],
                    "address": f"{n} Lê Lợi",
                    "head_name": town.full_name(),
                },
            }
            for n in range(60)
        ),
    )
    w = Worker(browser, town.server, lang="vi", viewport=SMALL_PHONE)
    page = w.page
    pages: list[dict] = []
    held: list = []

    def small_pages(route):
        """Pages of 25, and the third held back so the progress can be read."""
        url = re.sub(r"limit=\d+", "limit=25", route.request.url)
        if len(pages) == 2:
            held.append((route, url))
            return
        response = route.fetch(url=url)
        pages.append(response.json())
        route.fulfill(response=response)

    w.context.route("**/api/v1/sync/pull*", small_pages)
    try:
        page.goto(f"{town.server.url}/?lang=vi")
        page.get_by_label("Tên đăng nhập", exact=True).fill(worker["username"])
        page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập", exact=True).click()
        eventually(lambda: len(held) == 1, page=page)
        applied = sum(len(p["changes"]) for p in pages)
        total = applied + pages[-1]["remaining"]
        progress = page.get_by_role("status", name="Đang tải dữ liệu lần đầu…")
        expect(progress).to_contain_text(f"{applied} / khoảng {total}")
        bar = progress.get_by_role("progressbar", name="Tiến độ tải dữ liệu lần đầu")
        expect(bar).to_have_attribute("value", str(applied))
        expect(bar).to_have_attribute("max", str(total))
        expect(w.status).to_contain_text(f"Đang đồng bộ… {applied} / khoảng {total}")
        route, url = held[0]
        route.continue_(url=url)
        w.context.unroute("**/api/v1/sync/pull*")
        w.wait_synced()
        expect(progress).to_have_count(0)
    finally:
        w.close()


def test_no_match_and_no_internal_names_in_vietnamese(town, make_worker):
    quarter = town.quarter()
    worker = town.person("field", [quarter])
    h = town.household(worker, quarter, phone="0900000001")
    a = make_worker(town.server, worker["username"], lang="vi", viewport=SMALL_PHONE)
    page = a.page
    page.get_by_role("searchbox").fill("không ai tên này")
    expect(page.get_by_text("Không có hộ nào khớp “không ai tên này”.")).to_be_visible()

    # The same field changed on two phones: the card names it by its label, with this phone's
    # value, and lists only what still differs from the server.
    a.go_offline()
    a.open_household(h["head"])
    page.get_by_role("button", name="Sửa").click()
    page.get_by_label("Số điện thoại", exact=True).fill("0922222222")
    page.get_by_label("Ghi chú", exact=True).fill("Chủ hộ đi làm xa")
    page.get_by_role("button", name="Lưu").click()
    expect(a.status).to_have_text(re.compile(r"^1 đang chờ"))
    town.push(
        town.admin,
        {
            "collection": "households",
            "id": h["id"],
            "base_rev": 1,
            "fields": {"phone": "0911111111"},
        },
    )
    a.go_online()
    a.sync_now()
    page.get_by_role("link", name="Đồng bộ").click()
    card = page.get_by_role("region", name="Chờ quản trị xử lý xung đột").locator("li.card")
    expect(card).to_contain_text("Số điện thoại: máy này ghi 0922222222")
    expect(card).not_to_contain_text("Ghi chú")  # merged: no longer differs
    text = page.locator("main").inner_text()
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text  # no internal names
    for english in ("waiting", "Server", "phone", "notes", "admin"):
        assert english not in text, english


# -- 7. Usable with a thumb --------------------------------------------------------------------

# Every control on screen, as a thumb meets it: a checkbox by its label (the whole label takes
# the tap); links inside a sentence are left out (WCAG 2.5.8's inline exception).
SMALL_TARGETS = """() => {
  const targets = [...document.querySelectorAll(
    'button, a[href], select, input:not([type=checkbox]), textarea, input[type=checkbox]'
  )].map((el) => (el.type === 'checkbox' ? el.closest('label') ?? el : el))
    .filter((el) => !el.closest('p') && !el.classList.contains('skip-link'));
  return targets
    .filter((el) => el.getClientRects().length > 0)
    .map((el) => ({ el, box: el.getBoundingClientRect() }))
    .filter(({ box }) => box.width < 43.5 || box.height < 43.5)
    .map(({ el, box }) => {
      const name = el.innerText || el.getAttribute('aria-label') || el.name || '';
      return `${el.tagName} "${name.trim().slice(0, 30)}" ${box.width}x${box.height}`;
    });
}"""


def test_tap_targets_skip_link_and_focus_after_saving(town, make_worker):
    quarter = town.quarter()
    worker = town.person("field", [quarter])
    h = town.household(worker, quarter, phone="0912345678")
    w = make_worker(town.server, worker["username"], viewport=SMALL_PHONE)
    page = w.page

    # The first Tab reaches "Skip to content", which takes the keyboard past the header.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"

    assert page.evaluate(SMALL_TARGETS) == []  # the list: header, filters, cards, navigation
    w.open_household(h["head"])
    expect(page.get_by_role("link", name="0912345678")).to_be_visible()
    assert page.evaluate(SMALL_TARGETS) == []  # a household: its phone link, its actions
    page.get_by_role("button", name="Log visit").click()
    assert page.evaluate(SMALL_TARGETS) == []  # a form: its checkbox, its fields
    page.get_by_role("link", name="Sync").click()
    assert page.evaluate(SMALL_TARGETS) == []

    # After saving, focus is on what was made.
    page.get_by_role("link", name="Households").click()
    page.get_by_role("button", name="Add household").click()
    head = town.head_name()
    page.get_by_label("Head of household", exact=True).fill(head)
    page.get_by_label("Address", exact=True).fill("2 Phan Chu Trinh")
    page.get_by_label("Neighbourhood", exact=True).select_option(label=quarter["name"])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=head)).to_be_focused()
