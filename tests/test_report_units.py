"""The report per unit (domain.md "The campaign report"): figures per unit hand-computed below and
read back from every format (JSON, CSV, XLSX, PDF, DOCX), and each unit's concrete deed.
Runs on SQLite and PostgreSQL.

Units: Phụ nữ (WOMEN), Thanh niên (YOUTH), Nông dân (FARMERS, no work, no deed). Campaign C
12/10..24/10/2024. Households H1, H2 (KP1), H3 (KP2), made by the admin (no unit).

    canbo1, of WOMEN:   V1 H1, V2 H1, V3 H2; R1 H1 BHYT registered 3 people, R2 H2 BHYT already
                        enrolled, R3 H2 waste registered; S1 H1 gift 500.000, S2 H2 cash 1.000.000
    canbo2, of YOUTH:   V4 H1; V5 H2 01/11 (outside C); V6 H3 (rejected); R4 H1 BHYT registered
                        2 people; S3 H1 housing 20.000.000
    canbo1, moved to YOUTH: V7 H3; R5 H3 BHYT registered 4 people
    canbo3, of no unit: V8 H3; S4 H3 gift 300.000

    WOMEN:    2 households, 3 visits, BHYT 1 household / 3 people, support 2 / 1.500.000
    YOUTH:    2 households (H1, H3), 2 visits, BHYT 2 / 6, support 1 / 20.000.000
    FARMERS:  nothing
    no unit:  1 household, 1 visit, BHYT 0 / 0, support 1 / 300.000

Deeds of C: WOMEN's (by its supervisor; done, 20 helped, 10.000.000), YOUTH's (by the admin;
planned). FARMERS has none. A YOUTH deed of another campaign does not show.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pdfplumber
import pytest
from docx import Document
from openpyxl import load_workbook

WOMEN, YOUTH, FARMERS = (
    "Hội Liên hiệp Phụ nữ thị trấn",
    "Đoàn Thanh niên thị trấn",
    "Hội Nông dân thị trấn",
)
NO_UNIT = "Chưa xác định đơn vị"
# name, households visited, visits, BHYT households, BHYT people, support count, support ₫
EXPECTED = [
    (YOUTH, 2, 2, 2, 6, 1, 20_000_000),
    (WOMEN, 2, 3, 1, 3, 2, 1_500_000),
    (FARMERS, 0, 0, 0, 0, 0, 0),
    (NO_UNIT, 1, 1, 0, 0, 1, 300_000),
]
UNITS_TITLE = "11. Kết quả theo đơn vị"
DEEDS_TITLE = "12. Việc làm cụ thể của các ban ngành, đơn vị"
WOMENS_DEED = "Trao quà cho hộ nghèo, cận nghèo và hộ có hoàn cảnh khó khăn"
YOUTHS_DEED = "Ra quân dọn vệ sinh, trồng cây xanh trên tuyến đường khu phố"


def applied(api, *ops: dict[str, Any]) -> list[dict[str, Any]]:
    results = api.push(*ops)
    assert all(r["status"] == "applied" for r in results), results
    return results


@pytest.fixture
def town(admin, make_user, quarters, build) -> dict[str, Any]:
    """The data set of the module docstring, pushed through the API; the ids by name."""
    ids: dict[str, str] = {}

    def make(api, name: str, collection: str, fields: dict[str, Any]) -> None:
        ids[name] = build.id()
        applied(api, build.op(collection, ids[name], fields))

    for name in (WOMEN, YOUTH, FARMERS):
        make(admin, name, "units", {"name": name, "kind": "mass_organisation"})
    for name, start, end in (("C", "2024-10-12", "2024-10-24"), ("D", "2024-11-01", "2024-11-10")):
        make(admin, name, "campaigns", {"name": f"Đợt {name}", "starts_on": start, "ends_on": end})
    people = {
        "canbo1": (make_user("field", ["KP1", "KP2"], username="canbo1"), WOMEN),
        "canbo2": (make_user("field", ["KP1", "KP2"], username="canbo2"), YOUTH),
        "canbo3": (make_user("field", ["KP2"], username="canbo3"), None),
        "giamsat1": (make_user("supervisor", ["KP1"], username="giamsat1"), WOMEN),
    }
    for api, unit in people.values():
        if unit:
            answer = admin.patch(f"/users/{api.id}", {"unit_id": ids[unit]})
            assert answer.status_code == 200, answer.get_json()
    canbo1, canbo2, canbo3, giamsat1 = (api for api, _ in people.values())
    for name, quarter in (("H1", "KP1"), ("H2", "KP1"), ("H3", "KP2")):
        make(admin, name, "households", build.household(quarters[quarter], head_name=name))

    def visit(h: str, day: str = "2024-10-14") -> dict[str, Any]:
        return build.visit(ids[h], visited_at=f"{day}T09:00:00+07:00", campaign_id=ids["C"])

    def registration(h: str, kind: str, status: str, persons: int) -> dict[str, Any]:
        return {
            "household_id": ids[h],
            "kind": kind,
            "status": status,
            "persons": persons,
            "registered_on": "2024-10-14",
            "campaign_id": ids["C"],
        }

    def support(h: str, kind: str, vnd: int) -> dict[str, Any]:
        return {"household_id": ids[h], "kind": kind, "value_vnd": vnd, "given_on": "2024-10-15"}

    for name, fields in (
        ("V1", visit("H1")),
        ("V2", visit("H1", "2024-10-15")),
        ("V3", visit("H2")),
        ("R1", registration("H1", "health_insurance", "registered", 3)),
        ("R2", registration("H2", "health_insurance", "already_enrolled", 2)),
        ("R3", registration("H2", "waste_collection", "registered", 0)),
        ("S1", support("H1", "gift", 500_000)),
        ("S2", support("H2", "cash", 1_000_000)),
    ):
        make(canbo1, name, _collection(name), fields)
    outside = build.visit(ids["H2"], visited_at="2024-11-01T09:00:00+07:00")
    for name, fields in (
        ("V4", visit("H1")),
        ("V5", outside),
        ("V6", visit("H3")),
        ("R4", registration("H1", "health_insurance", "registered", 2)),
        ("S3", support("H1", "housing", 20_000_000)),
    ):
        make(canbo2, name, _collection(name), fields)
    rejected = admin.post(
        f"/records/visits/{ids['V6']}/review", {"status": "rejected", "comment": "Sai hộ"}
    )
    assert rejected.status_code == 200
    moved = admin.patch(f"/users/{canbo1.id}", {"unit_id": ids[YOUTH]})
    assert moved.status_code == 200
    make(canbo1, "V7", "visits", visit("H3"))
    make(canbo1, "R5", "registrations", registration("H3", "health_insurance", "registered", 4))
    make(canbo3, "V8", "visits", visit("H3"))
    make(canbo3, "S4", "support", support("H3", "gift", 300_000))

    deed = {"campaign_id": ids["C"], "planned_on": "2024-10-12"}
    make(
        giamsat1,
        "deed_women",
        "deeds",
        {
            **deed,
            "unit_id": ids[WOMEN],
            "title": WOMENS_DEED,
            "quarter_id": quarters["KP1"],
            "status": "done",
            "result": "Trao 20 suất quà, mỗi suất 500.000 đồng.",
            "beneficiaries": 20,
            "value_vnd": 10_000_000,
        },
    )
    make(admin, "deed_youth", "deeds", {**deed, "unit_id": ids[YOUTH], "title": YOUTHS_DEED})
    make(
        admin,
        "deed_other",
        "deeds",
        {**deed, "unit_id": ids[YOUTH], "campaign_id": ids["D"], "title": "Việc của đợt khác"},
    )
    return ids


def _collection(name: str) -> str:
    return {"V": "visits", "R": "registrations", "S": "support"}[name[0]]


def report(admin, ids: dict[str, str], suffix: str = "") -> Any:
    answer = admin.get(f"/reports/campaign/{ids['C']}{suffix}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer


def test_figures_per_unit_in_json(admin, town) -> None:
    body = report(admin, town).get_json()
    rows = [
        (
            u["name"],
            u["visits"]["households"],
            u["visits"]["visits"],
            u["health_insurance"]["households"],
            u["health_insurance"]["persons"],
            u["support"]["count"],
            u["support"]["value_vnd"],
        )
        for u in body["units"]
    ]
    assert rows == EXPECTED
    assert [u["id"] for u in body["units"]] == [town[YOUTH], town[WOMEN], town[FARMERS], None]
    # Every visit that counts is some unit's (or nobody's): the per-unit rows add up.
    assert sum(r[2] for r in rows) == body["total"]["visits"]["visits"] == 6


def test_deeds_of_the_campaign_and_units_without_one_in_json(admin, town) -> None:
    body = report(admin, town).get_json()
    assert [(d["unit"], d["title"], d["status"]) for d in body["deeds"]] == [
        (YOUTH, YOUTHS_DEED, "planned"),
        (WOMEN, WOMENS_DEED, "done"),
    ]
    women = body["deeds"][1]
    assert women["quarter"] == "Khu phố 1" and women["planned_on"] == "2024-10-12"
    assert (women["beneficiaries"], women["value_vnd"]) == (20, 10_000_000)
    assert body["units_without_deed"] == [{"id": town[FARMERS], "name": FARMERS}]


def test_a_supervisor_reads_units_within_their_neighbourhoods_and_every_deed(
    client, town, make_user
) -> None:
    from conftest import PASSWORD, login

    reader = login(client, "giamsat1", PASSWORD)
    body = report(reader, town).get_json()
    by_name = {u["name"]: (u["visits"]["visits"], u["support"]["value_vnd"]) for u in body["units"]}
    # KP1 only: H1 and H2; YOUTH's V4 and S3, WOMEN's V1–V3, S1, S2; H3's work is KP2's.
    assert by_name == {YOUTH: (1, 20_000_000), WOMEN: (3, 1_500_000), FARMERS: (0, 0)}
    assert len(body["deeds"]) == 2


def test_figures_per_unit_in_csv(admin, town) -> None:
    text = report(admin, town, ".csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    start = rows.index([UNITS_TITLE])
    assert rows[start + 1][0] == "Đơn vị"
    listed = rows[start + 2 : start + 2 + len(EXPECTED)]
    assert listed == [[str(v) for v in row] for row in EXPECTED]
    deeds = rows[rows.index([DEEDS_TITLE]) + 2 :][:2]
    assert [r[1:3] for r in deeds] == [[YOUTH, YOUTHS_DEED], [WOMEN, WOMENS_DEED]]
    assert deeds[1][5:] == [
        "Đã hoàn thành",
        "Trao 20 suất quà, mỗi suất 500.000 đồng.",
        "20",
        "10000000",
    ]


def test_figures_per_unit_in_xlsx(admin, town) -> None:
    book = load_workbook(io.BytesIO(report(admin, town, ".xlsx").get_data()))
    sheet = book["Theo đơn vị"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        list(row) for row in EXPECTED
    ]
    assert "₫" in sheet.cell(2, 7).number_format
    deeds = [[c.value for c in row] for row in book["Việc làm cụ thể"].iter_rows(min_row=2)]
    assert deeds[1] == [
        2,
        WOMEN,
        WOMENS_DEED,
        "Khu phố 1",
        "12/10/2024",
        "Đã hoàn thành",
        "Trao 20 suất quà, mỗi suất 500.000 đồng.",
        20,
        10_000_000,
    ]


def test_figures_per_unit_in_pdf(admin, town) -> None:
    with pdfplumber.open(io.BytesIO(report(admin, town, ".pdf").get_data())) as pdf:
        tables = [table for page in pdf.pages for table in page.extract_tables()]
    units = next(t for t in tables if t[0][0] == "Đơn vị")
    flat = [[" ".join((cell or "").split()) for cell in row] for row in units[1:]]
    assert flat == [printed(row) for row in EXPECTED]
    deeds = next(t for t in tables if t[0][:2] == ["STT", "Đơn vị"])
    women = [" ".join((cell or "").split()) for cell in deeds[2]]
    assert women[1] == WOMEN and women[2] == WOMENS_DEED and women[5] == "Đã hoàn thành"
    assert women[-2:] == ["20", "10.000.000 ₫"]


def test_figures_per_unit_in_docx(admin, town) -> None:
    word = Document(io.BytesIO(report(admin, town, ".docx").get_data()))
    tables = [[[cell.text for cell in row.cells] for row in t.rows] for t in word.tables]
    units = next(t for t in tables if t[0][0] == "Đơn vị")
    assert [[c.replace("\u00a0", " ") for c in row] for row in units[1:]] == [
        printed(row) for row in EXPECTED
    ]
    deeds = next(t for t in tables if t[0][:2] == ["STT", "Đơn vị"])
    assert [row[1:3] for row in deeds[1:]] == [[YOUTH, YOUTHS_DEED], [WOMEN, WOMENS_DEED]]
    assert deeds[2][5:7] == ["Đã hoàn thành", "Trao 20 suất quà, mỗi suất 500.000 đồng."]


def printed(row: tuple) -> list[str]:
    """A row of EXPECTED as it reads on paper: `1.500.000 ₫`."""
    name, *counts, money = row
    return [name, *(f"{n:,}".replace(",", ".") for n in counts), f"{money:,} ₫".replace(",", ".")]
