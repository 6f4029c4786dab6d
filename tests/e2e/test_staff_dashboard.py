"""The campaign dashboard and the map in a real Chromium against `doorstep serve`: coverage from
the report's figures, charts with labelled axes, the per-neighbourhood table at 1366 px."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from .conftest import DoorstepServer

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
CAMPAIGN = "Dân vận đợt 2/2024"  # made by `doorstep seed-demo`


def campaign_id(admin) -> str:
    campaigns = admin.get("/records/campaigns")["records"]
    return next(c["id"] for c in campaigns if c["fields"]["name"] == CAMPAIGN)


def visited_neighbourhood(town, admin, *, visited: int, not_visited: int) -> dict:
    """A neighbourhood of the test's own with households, `visited` of them visited in the
    demo campaign (two visits each)."""
    quarter = town.quarter()
    households = town.push(
        admin,
        *(
            {
                "collection": "households",
                "fields": {
                    "quarter_id": quarter["id"],
                    "address": f"{n} Đường 3 Tháng 2",
                    "head_name": town.head_name(),
                    "location": {"lat": 10.92 + n / 1000, "lon": 107.40, "accuracy_m": 10},
                },
            }
            for n in range(visited + not_visited)
        ),
    )
    campaign = campaign_id(admin)
    town.push(
        admin,
        *(
            {
                "collection": "visits",
                "fields": {
                    "household_id": h["id"],
                    "visited_at": f"2024-10-1{day}T09:00:00+07:00",
                    "purpose": "outreach",
                    "campaign_id": campaign,
                },
            }
            for h in households[:visited]
            for day in (3, 5)
        ),
    )
    return {**quarter, "households": [h["id"] for h in households]}


# How many bars a chart's canvas shows, read from its pixels: the runs of the bar colour across
# the bars just above their base (upright bars) or just right of it (lying bars).
BARS_DRAWN = """([canvas, lying]) => {
  const { width, height } = canvas;
  const px = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const red = (x, y) => {
    const i = 4 * (y * width + x);
    return px[i] === 183 && px[i + 1] === 28 && px[i + 2] === 28;
  };
  let base = lying ? width : -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (red(x, y)) base = lying ? Math.min(base, x) : Math.max(base, y);
  if (base < 0 || base === width) return 0;
  let runs = 0;
  let inside = false;
  const n = lying ? height : width;
  for (let i = 0; i < n; i++) {
    const hit = lying ? red(base + 2, i) : red(i, base - 2);
    if (hit && !inside) runs++;
    inside = hit;
  }
  return runs;
}"""


def bars_drawn(figure, lying: bool = False) -> int:
    canvas = figure.locator("canvas").first
    expect(canvas).to_be_visible()
    return canvas.evaluate(f"(c) => ({BARS_DRAWN})([c, {str(lying).lower()}])")


def open_dashboard(worker) -> None:
    page = worker.page
    page.goto(f"{worker.server.url}/dashboard")
    page.get_by_label("Campaign").select_option(label=CAMPAIGN)
    expect(page.get_by_role("heading", name=CAMPAIGN)).to_be_visible()


def test_dashboard_shows_the_reports_coverage_and_charts_with_labelled_axes(
    server, make_worker, town
):
    admin = server.login("admin")
    quarter = visited_neighbourhood(town, admin, visited=3, not_visited=1)
    supervisor = town.person("supervisor", [quarter])
    worker = make_worker(server, supervisor["username"], viewport=DESKTOP)
    open_dashboard(worker)
    page = worker.page

    # Coverage, as the report's figures have it: 3 of the 4 households on the register.
    report = admin.get(f"/reports/campaign/{campaign_id(admin)}", quarters=quarter["id"])
    assert report["total"]["coverage"] == {"households": 4, "visited": 3}
    kpi = page.locator(".kpi", has_text="Coverage")
    expect(kpi).to_contain_text("75%")
    expect(kpi).to_contain_text("Coverage: 3/4 households visited")
    table = page.get_by_role("table", name="By neighbourhood")
    row = table.get_by_role("row", name=re.compile(re.escape(quarter["name"])))
    expect(row.get_by_role("cell").first).to_have_text("3/4 · 75%")

    # Three charts, each with a title on both axes and the figures drawn.
    daily = page.get_by_role("figure", name="Visits per day")
    expect(daily.locator(".chart-axis-title.x")).to_have_text("Day")
    expect(daily.locator(".chart-axis-title.y")).to_have_text("Visits")
    expect(daily.locator(".chart-plot")).to_have_attribute(
        "aria-label", re.compile(r"12/10: 0; 13/10: 3; 14/10: 0; 15/10: 3; 16/10: 0")
    )
    assert bars_drawn(daily) == 2  # 13/10 and 15/10
    cumulative = page.get_by_role("figure", name="Cumulative visits")
    expect(cumulative.locator(".chart-axis-title.y")).to_have_text("Visits so far")
    expect(cumulative.locator("canvas").first).to_be_visible()
    expect(cumulative.locator(".chart-plot")).to_have_attribute("aria-label", re.compile(r": 6$"))
    coverage = page.get_by_role("figure", name="Coverage per neighbourhood")
    expect(coverage.locator(".chart-axis-title.x")).to_have_text("Households visited (%)")
    expect(coverage.locator(".chart-axis-title.y")).to_have_text("Neighbourhood")
    assert bars_drawn(coverage, lying=True) == 1
    expect(coverage.locator(".chart-plot")).to_have_attribute(
        "aria-label", re.compile(re.escape(f"{quarter['name']}: 75%"))
    )


def test_per_neighbourhood_table_fits_1366_px(server, make_worker, town):
    admin = server.login("admin")
    visited_neighbourhood(town, admin, visited=1, not_visited=1)  # a long name among the rows
    worker = make_worker(server, "admin", viewport=DESKTOP)
    open_dashboard(worker)
    page = worker.page
    table = page.get_by_role("table", name="By neighbourhood")
    expect(table.get_by_role("row")).to_have_count(
        len(admin.get("/records/quarters")["records"]) + 2
    )
    sizes = table.evaluate(
        "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth,"
        " document.scrollingElement.scrollWidth]"
    )
    assert sizes[0] <= sizes[1], f"the table scrolls sideways: {sizes}"
    assert sizes[2] <= DESKTOP["width"], f"the page scrolls sideways: {sizes}"


def test_the_chart_library_comes_only_with_the_staff_views(server, make_worker):
    def scripts(page) -> list[str]:
        return page.evaluate(
            "performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => n.endsWith('.js'))"
        )

    field = make_worker(server, "canbo1")
    field.page.reload()
    field.page.get_by_role("button", name="Add household").wait_for()
    assert not [s for s in scripts(field.page) if "/assets/views-" in s]
    staff = make_worker(server, "giamsat1")
    open_dashboard(staff)
    expect(staff.page.locator(".chart canvas").first).to_be_visible()
    views = [s for s in scripts(staff.page) if "/assets/views-" in s]
    assert views, scripts(staff.page)


def mapped_neighbourhood(town, admin) -> dict:
    """A neighbourhood of the test's own: a household visited in the demo campaign, one not yet,
    one visited but flagged, one without a location. Their names by state."""
    quarter = town.quarter()
    names = {state: town.head_name() for state in ("visited", "not_visited", "flagged", "nowhere")}
    households = town.push(
        admin,
        *(
            {
                "collection": "households",
                "fields": {
                    "quarter_id": quarter["id"],
                    "address": f"{n + 1} Đường Lê Duẩn",
                    "head_name": name,
                    # About a kilometre apart: never one cluster once the map fits them.
                    "location": None
                    if state == "nowhere"
                    else {"lat": 10.90 + n / 100, "lon": 107.40, "accuracy_m": 8},
                },
            }
            for n, (state, name) in enumerate(names.items())
        ),
    )
    ids = dict(zip(names, (h["id"] for h in households), strict=True))
    campaign = campaign_id(admin)
    town.push(
        admin,
        *(
            {
                "collection": "visits",
                "fields": {
                    "household_id": ids[state],
                    "visited_at": "2024-10-14T09:00:00+07:00",
                    "purpose": "outreach",
                    "campaign_id": campaign,
                },
            }
            for state in ("visited", "flagged")
        ),
    )
    admin.post(
        f"/records/households/{ids['flagged']}/review",
        {"status": "has_issues", "comment": "Sai địa chỉ"},
    )
    return {**quarter, "names": names, "ids": ids}


def on_map(page, state: str):
    return page.locator(f".campaign-map .leaflet-marker-icon.map-point.{state}")


def test_map_shows_households_by_state_and_a_click_opens_one(server, make_worker, town):
    admin = server.login("admin")
    quarter = mapped_neighbourhood(town, admin)
    supervisor = town.person("supervisor", [quarter])
    worker = make_worker(server, supervisor["username"], viewport=DESKTOP)
    page = worker.page
    # Whatever the tile server does (here: unreachable), the households are drawn.
    worker.context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page.get_by_role("link", name="Manage").click()
    page.get_by_role("navigation", name="Supervision and admin").get_by_role(
        "link", name="Map"
    ).click()
    expect(page.get_by_role("heading", name="Households map")).to_be_visible()
    page.get_by_label("Campaign").select_option(label=CAMPAIGN)

    legend = page.get_by_role("list", name="Legend")
    expect(legend).to_contain_text("Visited in this campaign: 1")
    expect(legend).to_contain_text("Not yet visited: 1")
    expect(legend).to_contain_text("Flagged: 1")
    expect(page.get_by_role("status", name="Households on the map")).to_contain_text(
        "3 households with a location on the map · 1 without a location"
    )
    for state in ("visited", "not_visited", "flagged"):
        expect(on_map(page, state)).to_have_count(1)
    expect(page.locator(".campaign-map .leaflet-tile-pane")).to_have_count(1)

    names = quarter["names"]
    page.get_by_role("button", name=re.compile(re.escape(names["flagged"]))).click()
    expect(page).to_have_url(re.compile(f"/review/households/{quarter['ids']['flagged']}$"))
    expect(
        page.get_by_role("heading", name=re.compile(re.escape(names["flagged"])))
    ).to_be_visible()


def map_drawn(page) -> None:
    """The map answers what is asked now and has drawn all its households: nothing is busy."""
    results = page.locator(".results").filter(has=page.locator(".campaign-map"))
    expect(results).to_have_attribute("aria-busy", "false")
    expect(page.locator(".campaign-map")).to_have_attribute("aria-busy", "false")


def test_map_clusters_crowded_households_and_filters_by_neighbourhood(server, make_worker, town):
    admin = server.login("admin")
    quarter = mapped_neighbourhood(town, admin)
    earlier = f"Dân vận đợt 1/2024 {quarter['code']}"
    town.push(
        admin,
        {
            "collection": "campaigns",
            "fields": {
                "name": earlier,
                "starts_on": "2024-03-01",
                "ends_on": "2024-03-10",
                "active": False,
            },
        },
    )
    worker = make_worker(server, "admin", viewport=DESKTOP)
    page = worker.page
    worker.context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto(f"{server.url}/map")
    page.get_by_label("Campaign").select_option(label=earlier)
    map_drawn(page)

    # While the demo campaign's households are asked, the earlier campaign's map stays, dimmed
    # and busy: never taken for the demo campaign's.
    held = []
    worker.context.route("**/reports/campaign/*/map*", lambda route: held.append(route))
    page.get_by_label("Campaign").select_option(label=CAMPAIGN)
    results = page.locator(".results").filter(has=page.locator(".campaign-map"))
    expect(results).to_have_attribute("aria-busy", "true")
    expect(results).to_have_class(re.compile(r"\bstale\b"))
    for _ in range(200):  # until the page has asked (Playwright runs route handlers meanwhile)
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the map was never asked for the demo campaign"
    for route in held:
        route.continue_()
    worker.context.unroute("**/reports/campaign/*/map*")
    map_drawn(page)

    shown = page.get_by_role("status", name="Households on the map")
    expect(shown).to_contain_text("households with a location on the map")
    total = int(re.search(r"(\d+) households with", shown.inner_text()).group(1))
    clusters = page.locator(".campaign-map .map-cluster")
    expect(clusters.first).to_be_visible()
    # Every household is in a cluster or a dot of its own, once.
    in_clusters = sum(int(n) for n in clusters.all_inner_texts())
    single = page.locator(".campaign-map .leaflet-marker-icon.map-point").count()
    assert in_clusters + single == total

    page.get_by_label("Neighbourhood").select_option(label=quarter["name"])
    map_drawn(page)
    expect(shown).to_contain_text("3 households with a location on the map")
    expect(clusters).to_have_count(0)
    expect(page.locator(".campaign-map .leaflet-marker-icon.map-point")).to_have_count(3)


@pytest.fixture
def server_without_tiles(tmp_path) -> Iterator[DoorstepServer]:
    """A server of the test's own with DOORSTEP_MAP_TILES empty: no tile server at all."""
    srv = DoorstepServer(tmp_path, households=12)
    srv.env["DOORSTEP_MAP_TILES"] = ""
    srv.start()
    yield srv
    srv.stop()


def test_map_without_a_tile_server_still_shows_the_households(server_without_tiles, make_worker):
    worker = make_worker(server_without_tiles, "admin", viewport=DESKTOP)
    page = worker.page
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "tile" in r.url else None)
    page.goto(f"{server_without_tiles.url}/map")
    expect(page.get_by_role("status", name="Households on the map")).to_contain_text(
        "households with a location on the map"
    )
    expect(page.locator(".campaign-map .leaflet-marker-icon").first).to_be_visible()
    expect(page.locator(".campaign-map .leaflet-tile-container")).to_have_count(0)
    assert tiles == []


def unit_at_work(town, admin) -> dict:
    """A unit of the test's own whose field worker, in a neighbourhood of the test's own, visits
    two households three times in the demo campaign, registers one for health insurance (4
    people) and gives the other a gift of 500.000 ₫."""
    quarter = town.quarter()
    unit = town.unit()
    person = town.person("field", [quarter], unit)
    field = town.server.login(person["username"])
    first, second = (
        r["id"]
        for r in town.push(
            field,
            *(
                {
                    "collection": "households",
                    "fields": {
                        "quarter_id": quarter["id"],
                        "address": f"{n} Hùng Vương",
                        "head_name": town.head_name(),
                    },
                }
                for n in (2, 4)
            ),
        )
    )
    campaign = campaign_id(admin)
    visits = [(first, "2024-10-13"), (first, "2024-10-15"), (second, "2024-10-14")]
    town.push(
        field,
        *(
            {
                "collection": "visits",
                "fields": {
                    "household_id": household,
                    "visited_at": f"{day}T09:00:00+07:00",
                    "purpose": "outreach",
                    "campaign_id": campaign,
                },
            }
            for household, day in visits
        ),
        {
            "collection": "registrations",
            "fields": {
                "household_id": first,
                "kind": "health_insurance",
                "status": "registered",
                "persons": 4,
                "registered_on": "2024-10-13",
                "campaign_id": campaign,
            },
        },
        {
            "collection": "support",
            "fields": {
                "household_id": second,
                "kind": "gift",
                "value_vnd": 500_000,
                "given_on": "2024-10-14",
            },
        },
    )
    return {"quarter": quarter, "unit": unit}


def test_dashboard_charts_the_work_of_each_unit(server, make_worker, town):
    admin = server.login("admin")
    work = unit_at_work(town, admin)
    unit = work["unit"]["name"]
    supervisor = town.person("supervisor", [work["quarter"]])
    worker = make_worker(server, supervisor["username"], viewport=DESKTOP)
    open_dashboard(worker)
    page = worker.page
    expect(page.get_by_role("heading", name="Results by unit")).to_be_visible()

    # The counts as grouped bars, one colour per measure, named in the legend.
    chart = page.get_by_role("figure", name="Each unit's work")
    expect(chart.get_by_role("list", name="Legend").get_by_role("listitem")).to_have_text(
        [
            "Households visited",
            "Visits",
            "Health insurance registrations",
            "People insured",
            "Support given",
        ]
    )
    expect(chart.locator(".chart-axis-title.x")).to_have_text("Number")
    expect(chart.locator(".chart-axis-title.y")).to_have_text("Unit")
    # Only this neighbourhood is the supervisor's: only this unit has work in it.
    expect(chart.locator(".chart-plot")).to_have_attribute(
        "aria-label",
        f"Each unit's work. {unit}: Households visited 2, Visits 3, "
        "Health insurance registrations 1, People insured 4, Support given 1",
    )
    assert bars_drawn(chart, lying=True) == 1  # the households visited of the one unit

    # The support's value on an axis of its own, in millions of đồng.
    value = page.get_by_role("figure", name="Support value by unit")
    expect(value.locator(".chart-axis-title.x")).to_have_text("Value (million VND)")
    expect(value.locator(".chart-plot")).to_have_attribute(
        "aria-label", f"Support value by unit. {unit}: 500.000 ₫"
    )
    assert bars_drawn(value, lying=True) == 1
    # The units with nothing recorded are named rather than drawn.
    expect(
        page.get_by_text(re.compile(r"^Nothing recorded yet: .*Hội Nông dân thị trấn"))
    ).to_be_visible()


def test_dashboard_lists_the_units_without_a_deed_until_they_have_one(server, make_worker, town):
    admin = server.login("admin")
    unit = town.unit()
    worker = make_worker(server, "admin", viewport=DESKTOP)
    open_dashboard(worker)
    page = worker.page
    without = page.get_by_role("list", name=re.compile(r"^Units without a deed yet \(\d+\)$"))
    # A demo unit without a deed, and the test's own; never a demo unit with one.
    expect(without.get_by_text("Hội Nông dân thị trấn", exact=True)).to_be_visible()
    expect(without.get_by_text(unit["name"], exact=True)).to_be_visible()
    expect(without.get_by_text("Hội Liên hiệp Phụ nữ thị trấn", exact=True)).to_have_count(0)
    deeds = page.get_by_role("table", name="The units' concrete deeds")
    expect(
        deeds.get_by_role("row", name=re.compile("Hội Liên hiệp Phụ nữ thị trấn"))
    ).to_contain_text("Trao quà cho hộ nghèo")

    title = "Tặng 10 suất học bổng cho học sinh nghèo"
    town.push(
        admin,
        {
            "collection": "deeds",
            "fields": {
                "unit_id": unit["id"],
                "campaign_id": campaign_id(admin),
                "title": title,
                "planned_on": "2024-10-18",
                "status": "in_progress",
            },
        },
    )
    open_dashboard(worker)
    row = deeds.get_by_role("row", name=re.compile(re.escape(unit["name"])))
    expect(row).to_contain_text(title)
    expect(row).to_contain_text("18/10/2024")
    expect(row).to_contain_text("In progress")
    expect(without.get_by_text("Hội Nông dân thị trấn", exact=True)).to_be_visible()
    expect(without.get_by_text(unit["name"], exact=True)).to_have_count(0)
