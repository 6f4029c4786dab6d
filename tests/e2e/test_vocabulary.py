"""One vocabulary on a 360 px phone, in Vietnamese and English: the field app's forms offer the
values and words of `server/vocabulary.json`, the words the report to the district prints, and a
gift recorded on the phone reads the same in the server's export."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from playwright.sync_api import expect

from server.vocabulary import Kind, label, labels

from .conftest import SMALL_PHONE

pytestmark = pytest.mark.e2e

WORDS = {
    "vi": {
        "category": "Diện hộ",
        "log_visit": "Ghi lượt thăm",
        "add_support": "Ghi nhận chăm lo",
        "purpose": "Mục đích",
        "kind": "Loại",
        "value": "Giá trị (đồng)",
        "cancel": "Huỷ",
        "save": "Lưu",
    },
    "en": {
        "category": "Category",
        "log_visit": "Log visit",
        "add_support": "Record support",
        "purpose": "Purpose",
        "kind": "Kind",
        "value": "Value (VND)",
        "cancel": "Cancel",
        "save": "Save",
    },
}


def offered(select):
    """The choices a select offers, without its empty "— Choose —" / "— All —" one."""
    return select.locator("option:not([value=''])")


def expected(kind: Kind, lang: str) -> list[str]:
    return list(labels(kind, "vi" if lang == "vi" else "en").values())


def exported_support_kind(server, head: str) -> str:
    """The support kind of `head`'s household as the raw export (CSV) writes it."""
    headers = server.login("admin").headers
    r = requests.get(f"{server.url}/api/v1/exports/support.csv", headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    (row,) = [row for row in rows if row["Chủ hộ"] == head]
    return row["Hình thức chăm lo"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_forms_offer_the_reports_words_and_a_gift_reads_the_same_in_the_export(
    town, make_worker, lang
):
    quarter = town.quarter()
    worker = town.person("field", [quarter])
    household = town.household(worker, quarter)
    w = make_worker(town.server, worker["username"], lang=lang, viewport=SMALL_PHONE)
    page, words = w.page, WORDS[lang]

    category = page.get_by_label(words["category"], exact=True)
    expect(offered(category)).to_have_text(expected("category", lang))

    w.open_household(household["head"])
    page.get_by_role("button", name=words["log_visit"]).click()
    purpose = page.get_by_label(words["purpose"], exact=True)
    expect(offered(purpose)).to_have_text(expected("purpose", lang))
    if lang == "vi":
        # The district's report says "Theo dõi tiếp", never the app's old "Theo dõi lại".
        expect(offered(purpose).filter(has_text="Theo dõi tiếp")).to_have_count(1)
    page.get_by_role("button", name=words["cancel"]).click()

    page.get_by_role("button", name=words["add_support"]).click()
    kind = page.get_by_label(words["kind"], exact=True)
    expect(offered(kind)).to_have_text(expected("support_kind", lang))
    gift = label("support_kind", "gift", "vi" if lang == "vi" else "en")
    assert gift == ("Quà tặng" if lang == "vi" else "Gift")
    kind.select_option(label=gift)
    page.get_by_label(words["value"], exact=True).fill("500000")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_text(f"{gift} · ", exact=False)).to_be_visible()

    w.wait_synced()
    # The export for the district uses the report's Vietnamese words, the app's in Vietnamese.
    assert exported_support_kind(town.server, household["head"]) == "Quà tặng"
