"""The supervisor and admin views on a 360 px phone, in a real Chromium: nothing wider than the
screen, the tabs scroll to the current one, and every table becomes cards, each value beside its
column's title."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import SMALL_PHONE

pytestmark = pytest.mark.e2e

VIEWS = [
    "/review",
    "/progress",
    "/review-nominations",
    "/dashboard",
    "/map",
    "/conflicts",
    "/stranded",
    "/users",
    "/reference",
    "/audit",
]
# Views that always show a table with rows once they have loaded.
WITH_TABLES = {"/progress", "/dashboard", "/users", "/reference", "/audit"}

# For each table: is its first body row a card, and does each value show its column's title?
CARDS = """() => [...document.querySelectorAll('table.staff-table')].map((table) => {
  const titles = [...table.tHead.rows[0].cells].map((c) => c.textContent.trim());
  const row = table.tBodies[0]?.rows[0];
  if (!row) return null;
  const shown = [...row.cells].map((cell, i) =>
    cell.tagName === 'TD' && titles[i]
      ? getComputedStyle(cell, '::before').content === JSON.stringify(titles[i])
      : true);
  return {
    card: getComputedStyle(row).display === 'block',
    header: getComputedStyle(table.tHead).position === 'absolute',
    titled: shown.every(Boolean),
  };
}).filter(Boolean)"""


def test_staff_views_fit_a_360_px_phone_with_tables_as_cards(server, make_worker):
    worker = make_worker(server, "admin", viewport=SMALL_PHONE)
    page = worker.page
    tables_seen = 0
    for path in VIEWS:
        page.goto(f"{server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_text("Loading…")).to_have_count(0, timeout=20_000)
        if path in WITH_TABLES:
            expect(page.locator("table.staff-table tbody tr").first).to_be_visible()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= SMALL_PHONE["width"], f"{path} is {width} px wide"

        tabs = page.get_by_role("navigation", name="Supervision and admin")
        current = tabs.locator("a.active")
        expect(current).to_be_in_viewport()
        assert tabs.evaluate("n => n.scrollWidth > n.clientWidth"), "the tabs should scroll"

        for table in page.evaluate(CARDS):
            tables_seen += 1
            assert table == {"card": True, "header": True, "titled": True}, (path, table)
    assert tables_seen >= len(WITH_TABLES)


def test_a_desktop_keeps_its_tables(server, make_worker):
    worker = make_worker(server, "admin", viewport={"width": 1366, "height": 900})
    page = worker.page
    page.goto(f"{server.url}/users")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("table.staff-table tbody tr").first).to_be_visible()
    assert page.evaluate(CARDS)[0]["card"] is False
