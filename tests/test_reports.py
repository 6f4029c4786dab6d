"""The campaign report: figures against a small data set whose totals are known by hand,
scope, filters, and the CSV/XLSX/PDF files read back. Runs on SQLite and on PostgreSQL.

The data set (campaign C = 12/10/2024..24/10/2024, D = another campaign):

    KP1: H1 (policy family, poor), H2 (near poor)
    KP2: H3 (meritorious, hardship), H4, H5 (never visited)
    KP3: H6 (never visited), H7 (rejected: not on the register)
    visits  V1 H1 12/10 C follow-up (approved)   V2 H1 13/10 untagged   V3 H2 20/10 C
            V4 H3 15/10 C follow-up (approved)   V5 H3 25/10 00:30 local, untagged: outside
            V6 H4 01/10 tagged C: counts         V7 H4 14/10 tagged D: not C's
            V8 H2 16/10 C, deleted               V9 H2 17/10 C, rejected
    registrations R1 H1 BHYT registered 3 people 12/10 C    R2 H2 BHYT registered 2 people 14/10
                  R3 H3 BHYT already enrolled 4 people C    R4 H1 waste registered 13/10 C
                  R5 H4 clean water declined 20/10 C        R6 H4 BHYT registered 30/09: outside
    support  S1 H1 gift 500.000 12/10 C   S2 H1 cash 1.000.000 13/10   S3 H2 scholarship 1.500.000
             S4 H3 gift 300.000 15/10 C   S5 H4 housing 20.000.000 02/11 D: not C's
    assessments A1 H1 2024 model   A2 H3 2024 not yet   A3 H2 2023 model: other year
    nominations N1 KP1 individual economy C   N2 KP2 collective, untagged, created today: outside
                N3 KP2 individual security C
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pdfplumber
import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from server import create_app
from server.cli import apply_migrations
from server.extensions import db
from server.models import AuditEntry
from server.testing import PostgresUnavailable, temporary_postgres
from server.users import add_user

PASSWORD = "report-tests-2024"


# -- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this module, dropped at the end."""
    pytest.importorskip("psycopg")
    try:
        with temporary_postgres("doorstep_reports") as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def town(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Town]:
    """The app on one database, with the data set above pushed through the real API."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'doorstep.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "PASSWORD_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        apply_migrations()
    built = Town(app)
    built.build()
    yield built
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Town:
    """The test town: users, their tokens, and the ids of what was pushed."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    def user(self, username: str, role: str, quarters: list[str]) -> None:
        with self.app.app_context():
            add_user(
                db.session, username, PASSWORD, role=role, quarters=[self.ids[q] for q in quarters]
            )
            db.session.commit()
        answer = self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.json
        self.tokens[username] = answer.json["token"]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def push(self, *ops: tuple[str, str, dict[str, Any]]) -> None:
        """Create records as the admin: (name, collection, fields)."""
        wire = []
        for name, collection, fields in ops:
            self.ids[name] = str(uuid.uuid4())
            wire.append(
                {
                    "op_id": str(uuid.uuid4()),
                    "collection": collection,
                    "id": self.ids[name],
                    "base_rev": None,
                    "fields": fields,
                }
            )
        answer = self.client.post(
            "/api/v1/sync/push",
            json={"device_id": "tests", "ops": wire},
            headers=self.headers("admin"),
        )
        assert answer.status_code == 200, answer.json
        bad = [r for r in answer.json["results"] if r["status"] != "applied"]
        assert not bad, bad

    def get(self, path: str, user: str = "admin", **params: Any) -> Any:
        return self.client.get(path, headers=self.headers(user), query_string=params)

    def report(self, user: str = "admin", suffix: str = "", **params: Any) -> Any:
        return self.get(f"/api/v1/reports/campaign/{self.ids['C']}{suffix}", user, **params)

    def build(self) -> None:
        with self.app.app_context():
            add_user(db.session, "admin", PASSWORD, role="admin", display_name="Văn phòng")
            db.session.commit()
        login = self.client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
        )
        self.tokens["admin"] = login.json["token"]
        self.push(
            *((f"KP{n}", "quarters", {"code": f"KP{n}", "name": f"Khu phố {n}"}) for n in (1, 2, 3))
        )
        self.push(
            (
                "C",
                "campaigns",
                {
                    "name": "Dân vận đợt 2/2024",
                    "starts_on": "2024-10-12",
                    "ends_on": "2024-10-24",
                    "launch_on": "2024-10-12",
                    "report_due_on": "2024-10-25",
                },
            ),
            (
                "D",
                "campaigns",
                {"name": "Đợt khác", "starts_on": "2024-11-01", "ends_on": "2024-11-10"},
            ),
        )
        ids = self.ids

        def household(quarter: str, head: str, categories: list[str]) -> dict[str, Any]:
            return {
                "quarter_id": ids[quarter],
                "address": f"{head} số 1 Hùng Vương",
                "head_name": head,
                "categories": categories,
            }

        self.push(
            ("H1", "households", household("KP1", "Nguyễn Văn Ấn", ["policy_family", "poor"])),
            ("H2", "households", household("KP1", "Trần Thị Bích", ["near_poor"])),
            ("H3", "households", household("KP2", "Lê Văn Cường", ["meritorious", "hardship"])),
            ("H4", "households", household("KP2", "Phạm Thị Dung", [])),
            ("H5", "households", household("KP2", "Hoàng Văn Em", [])),
            ("H6", "households", household("KP3", "Vũ Thị Phương", [])),
            ("H7", "households", household("KP3", "Đặng Văn Giang", [])),
        )

        def visit(h: str, at: str, campaign: str | None, follow: bool = False) -> dict[str, Any]:
            return {
                "household_id": ids[h],
                "visited_at": at,
                "purpose": "outreach",
                "campaign_id": ids[campaign] if campaign else None,
                "follow_up_needed": follow,
            }

        self.push(
            ("V1", "visits", visit("H1", "2024-10-12T08:00:00+07:00", "C", follow=True)),
            ("V2", "visits", visit("H1", "2024-10-13T09:00:00+07:00", None)),
            ("V3", "visits", visit("H2", "2024-10-20T10:00:00+07:00", "C")),
            ("V4", "visits", visit("H3", "2024-10-15T08:00:00+07:00", "C", follow=True)),
            ("V5", "visits", visit("H3", "2024-10-25T00:30:00+07:00", None)),
            ("V6", "visits", visit("H4", "2024-10-01T08:00:00+07:00", "C")),
            ("V7", "visits", visit("H4", "2024-10-14T08:00:00+07:00", "D")),
            ("V8", "visits", visit("H2", "2024-10-16T08:00:00+07:00", "C")),
            ("V9", "visits", visit("H2", "2024-10-17T08:00:00+07:00", "C")),
        )

        def registration(
            h: str, kind: str, status: str, persons: int, on: str, campaign: str | None
        ) -> dict[str, Any]:
            return {
                "household_id": ids[h],
                "kind": kind,
                "status": status,
                "persons": persons,
                "registered_on": on,
                "campaign_id": ids[campaign] if campaign else None,
            }

        self.push(
            (
                "R1",
                "registrations",
                registration("H1", "health_insurance", "registered", 3, "2024-10-12", "C"),
            ),
            (
                "R2",
                "registrations",
                registration("H2", "health_insurance", "registered", 2, "2024-10-14", None),
            ),
            (
                "R3",
                "registrations",
                registration("H3", "health_insurance", "already_enrolled", 4, "2024-10-15", "C"),
            ),
            (
                "R4",
                "registrations",
                registration("H1", "waste_collection", "registered", 0, "2024-10-13", "C"),
            ),
            (
                "R5",
                "registrations",
                registration("H4", "clean_water", "declined", 0, "2024-10-20", "C"),
            ),
            (
                "R6",
                "registrations",
                registration("H4", "health_insurance", "registered", 5, "2024-09-30", None),
            ),
        )

        def support(h: str, kind: str, vnd: int, on: str, campaign: str | None) -> dict[str, Any]:
            return {
                "household_id": ids[h],
                "kind": kind,
                "value_vnd": vnd,
                "sponsor": "Hội Chữ thập đỏ",
                "given_on": on,
                "campaign_id": ids[campaign] if campaign else None,
            }

        self.push(
            ("S1", "support", support("H1", "gift", 500_000, "2024-10-12", "C")),
            ("S2", "support", support("H1", "cash", 1_000_000, "2024-10-13", None)),
            ("S3", "support", support("H2", "scholarship", 1_500_000, "2024-10-14", "C")),
            ("S4", "support", support("H3", "gift", 300_000, "2024-10-15", "C")),
            ("S5", "support", support("H4", "housing", 20_000_000, "2024-11-02", "D")),
        )
        self.push(
            ("A1", "assessments", {"household_id": ids["H1"], "year": 2024, "result": "model"}),
            ("A2", "assessments", {"household_id": ids["H3"], "year": 2024, "result": "not_yet"}),
            ("A3", "assessments", {"household_id": ids["H2"], "year": 2023, "result": "model"}),
        )

        def nomination(q: str, who: str, kind: str, domain: str, campaign: str | None) -> dict:
            return {
                "quarter_id": ids[q],
                "nominee": who,
                "nominee_kind": kind,
                "domain": domain,
                "achievement": "Vận động 30 hộ tham gia bảo hiểm y tế.",
                "campaign_id": ids[campaign] if campaign else None,
            }

        self.push(
            ("N1", "nominations", nomination("KP1", "Nguyễn Văn Ấn", "individual", "economy", "C")),
            ("N2", "nominations", nomination("KP2", "Tổ 3", "collective", "culture_society", None)),
            (
                "N3",
                "nominations",
                nomination("KP2", "Lê Thị Hoa", "individual", "security_defence", "C"),
            ),
        )
        deleted = self.client.post(
            "/api/v1/sync/push",
            json={
                "device_id": "tests",
                "ops": [
                    {
                        "op_id": str(uuid.uuid4()),
                        "collection": "visits",
                        "id": ids["V8"],
                        "base_rev": 1,
                        "delete": True,
                    }
                ],
            },
            headers=self.headers("admin"),
        )
        assert deleted.json["results"][0]["status"] == "applied"
        for name, status in (
            ("V1", "approved"),
            ("V4", "approved"),
            ("V9", "rejected"),
            ("H7", "rejected"),
        ):
            collection = "households" if name.startswith("H") else "visits"
            reviewed = self.client.post(
                f"/api/v1/records/{collection}/{ids[name]}/review",
                json={"status": status, "comment": None if status == "approved" else "Sai hộ"},
                headers=self.headers("admin"),
            )
            assert reviewed.status_code == 200, reviewed.json
        self.user("giamsat1", "supervisor", ["KP1"])
        self.user("canbo1", "field", ["KP1", "KP2"])


def by_code(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["code"]: q for q in report["quarters"]}


# -- the figures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("review", "visited"),
    [
        ("not_rejected", {"KP1": 2, "KP2": 2, "KP3": 0}),
        ("approved", {"KP1": 1, "KP2": 1, "KP3": 0}),
    ],
)
def test_coverage_is_households_visited_out_of_those_on_the_register(
    town: Town, review: str, visited: dict[str, int]
) -> None:
    # On the register: KP1 H1, H2; KP2 H3, H4, H5; KP3 H6 (H7 is rejected), whatever the filter.
    report = town.report(review=review).json
    kp = by_code(report)
    assert {code: kp[code]["coverage"]["households"] for code in kp} == {
        "KP1": 2,
        "KP2": 3,
        "KP3": 1,
    }
    assert {code: kp[code]["coverage"]["visited"] for code in kp} == visited
    assert report["total"]["coverage"] == {"visited": sum(visited.values()), "households": 6}


def test_visits_count_tagged_or_dated_records_once_per_household(town: Town) -> None:
    report = town.report().json
    kp = by_code(report)
    assert kp["KP1"]["visits"] == {
        "households": 2,
        "visits": 3,
        "follow_up": 1,
        "follow_up_households": 1,
    }
    assert kp["KP2"]["visits"] == {
        "households": 2,
        "visits": 2,
        "follow_up": 1,
        "follow_up_households": 1,
    }
    assert kp["KP3"]["visits"]["visits"] == 0
    assert report["total"]["visits"]["visits"] == 5
    assert report["total"]["visits"]["households"] == 4


def test_registrations_by_kind_and_status_with_persons_covered(town: Town) -> None:
    report = town.report().json
    kp1, kp2 = by_code(report)["KP1"], by_code(report)["KP2"]
    assert kp1["registrations"]["health_insurance"]["registered"] == {"households": 2, "persons": 5}
    assert kp1["registrations"]["waste_collection"]["registered"]["households"] == 1
    assert kp2["registrations"]["health_insurance"]["registered"]["households"] == 0
    assert kp2["registrations"]["health_insurance"]["already_enrolled"] == {
        "households": 1,
        "persons": 4,
    }
    assert kp2["registrations"]["clean_water"]["declined"]["households"] == 1
    assert report["total"]["health_insurance_persons"] == 5
    assert report["total"]["registrations"]["health_insurance"]["total"]["households"] == 3


def test_support_sums_vnd_by_kind_and_counts_households_by_category(town: Town) -> None:
    report = town.report().json
    kp1, kp2 = by_code(report)["KP1"]["support"], by_code(report)["KP2"]["support"]
    assert (kp1["count"], kp1["value_vnd"], kp1["households"]) == (3, 3_000_000, 2)
    assert kp1["households_by_category"] == {
        "policy_family": 1,
        "meritorious": 0,
        "poor": 1,
        "near_poor": 1,
        "hardship": 0,
    }
    assert (kp2["count"], kp2["value_vnd"], kp2["households"]) == (1, 300_000, 1)
    # Every category of the vocabulary is counted, "hoàn cảnh khó khăn" as well (the town's plan).
    assert kp2["households_by_category"]["meritorious"] == 1
    assert kp2["households_by_category"]["hardship"] == 1
    total = report["total"]["support"]
    assert total["value_vnd"] == 3_300_000
    assert total["by_kind"]["gift"] == {"count": 2, "value_vnd": 800_000}
    assert total["by_kind"]["housing"] == {"count": 0, "value_vnd": 0}


def test_assessments_of_the_campaign_year_and_nominations_of_the_campaign(town: Town) -> None:
    report = town.report().json
    kp1, kp2 = by_code(report)["KP1"], by_code(report)["KP2"]
    assert kp1["assessments"] == {"count": 1, "households": 1, "model": 1, "not_yet": 0}
    assert kp2["assessments"] == {"count": 1, "households": 1, "model": 0, "not_yet": 1}
    assert report["total"]["nominations"]["count"] == 2
    assert report["total"]["nominations"]["individual"] == 2
    assert report["total"]["nominations"]["collective"] == 0
    assert kp2["nominations"]["by_domain"]["security_defence"] == 1
    assert sorted(n["nominee"] for n in report["nominees"]) == ["Lê Thị Hoa", "Nguyễn Văn Ấn"]


def test_campaign_calendar_and_visits_per_day_for_the_progress_chart(town: Town) -> None:
    report = town.report().json
    campaign = report["campaign"]
    assert campaign["report_due_on"] == "2024-10-25"
    assert campaign["days_total"] == 13
    assert isinstance(campaign["days_left"], int)
    days = {d["date"]: d for d in report["daily_visits"]}
    # The tagged visit of 01/10 widens the axis back to that day; every day is present.
    assert report["daily_visits"][0]["date"] == "2024-10-01"
    assert report["daily_visits"][-1]["date"] == "2024-10-24"
    assert len(report["daily_visits"]) == 24
    assert days["2024-10-12"]["visits"] == 1
    assert days["2024-10-11"]["visits"] == 0
    assert report["daily_visits"][-1]["cumulative_visits"] == 5


@pytest.mark.parametrize(
    ("review", "kp1_visits", "kp2_visits"),
    [("not_rejected", 3, 2), ("all", 4, 2), ("approved", 1, 1), ("rejected", 1, 0)],
)
def test_review_filter(town: Town, review: str, kp1_visits: int, kp2_visits: int) -> None:
    report = town.report(review=review).json
    assert by_code(report)["KP1"]["visits"]["visits"] == kp1_visits
    assert by_code(report)["KP2"]["visits"]["visits"] == kp2_visits


def test_date_range_narrows_the_dated_records(town: Town) -> None:
    report = town.report(date_from="2024-10-13", date_to="2024-10-14").json
    assert report["period"] == {"from": "2024-10-13", "to": "2024-10-14"}
    total = report["total"]
    assert total["visits"]["visits"] == 1  # V2
    assert total["registrations"]["health_insurance"]["registered"]["households"] == 1  # R2
    assert total["registrations"]["waste_collection"]["registered"]["households"] == 1  # R4
    assert total["support"]["value_vnd"] == 2_500_000  # S2 + S3


@pytest.mark.parametrize("quarters", [["KP2"], ["KP2,KP3"], "ids"])
def test_quarters_filter_takes_codes_or_ids_repeated_or_comma_separated(
    town: Town, quarters: Any
) -> None:
    if quarters == "ids":
        quarters = [town.ids["KP2"], town.ids["KP3"]]
    report = town.report(quarters=quarters).json
    assert report["quarters"][0]["code"] == "KP2"
    assert "KP1" not in by_code(report)
    assert report["total"]["visits"]["visits"] == 2


def test_supervisor_sees_only_their_neighbourhoods(town: Town) -> None:
    report = town.report("giamsat1").json
    assert [q["code"] for q in report["quarters"]] == ["KP1"]
    assert report["total"]["visits"]["visits"] == 3
    assert report["total"]["support"]["value_vnd"] == 3_000_000
    assert [n["nominee"] for n in report["nominees"]] == ["Nguyễn Văn Ấn"]


@pytest.mark.parametrize(
    ("user", "params", "status", "code"),
    [
        ("giamsat1", {"quarters": "KP2"}, 403, "forbidden"),
        ("canbo1", {}, 403, "forbidden"),
        ("admin", {"quarters": "KP99"}, 400, "bad_request"),
        ("admin", {"review": "maybe"}, 400, "bad_request"),
        ("admin", {"date_from": "2024-10-20", "date_to": "2024-10-12"}, 400, "bad_request"),
        ("admin", {"date_from": "12/10/2024"}, 400, "bad_request"),
    ],
)
def test_refusals_use_the_error_envelope(
    town: Town, user: str, params: dict[str, str], status: int, code: str
) -> None:
    answer = town.report(user, **params)
    assert answer.status_code == status
    assert answer.json["error"]["code"] == code


@pytest.mark.parametrize("campaign", ["not-a-uuid", str(uuid.UUID(int=1))])
def test_unknown_campaign_is_404(town: Town, campaign: str) -> None:
    answer = town.get(f"/api/v1/reports/campaign/{campaign}")
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"


# -- the report's files ----------------------------------------------------------------------


def test_report_csv_has_a_bom_and_reads_back(town: Town) -> None:
    answer = town.report(suffix=".csv")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows[0] == ["Mục", "Chỉ tiêu", "Khu phố 1", "Khu phố 2", "Khu phố 3", "Tổng cộng"]
    grid = rows[: rows.index([])]
    by_title = {(r[0], r[1]): r[2:] for r in grid[1:]}
    coverage = "1. Tỷ lệ hộ gia đình được thăm"
    assert by_title[(coverage, "Số hộ được thăm")] == ["2", "2", "0", "4"]
    assert by_title[(coverage, "Số hộ trong danh sách")] == ["2", "3", "1", "6"]
    assert by_title[(coverage, "Tỷ lệ hộ được thăm (%)")] == ["100.0", "66.7", "0.0", "66.7"]
    assert by_title[("2. Thăm hộ gia đình", "Số lượt thăm")] == ["3", "2", "0", "5"]
    support = (
        "6. Chăm lo gia đình chính sách, người có công, hộ nghèo, hộ cận nghèo, hoàn cảnh khó khăn"
    )
    assert by_title[(support, "Tổng giá trị (đồng)")] == ["3000000", "300000", "0", "3300000"]
    # The lists follow the grid, each under its title; the nominees come last.
    title = ["13. Danh sách đề xuất biểu dương, khen thưởng “Dân vận khéo”"]
    nominees = rows[rows.index(title) :]
    assert nominees[1][:3] == ["STT", "Khu phố", "Cá nhân / tập thể"]
    assert sorted(r[2] for r in nominees[2:]) == ["Lê Thị Hoa", "Nguyễn Văn Ấn"]


def test_report_xlsx_has_a_sheet_per_section_with_frozen_headers(town: Town) -> None:
    answer = town.report(format="xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames[:4] == ["Thông tin", "Tỷ lệ hộ được thăm", "Thăm hộ", "Bảo hiểm y tế"]
    sheet = book["Chăm lo"]
    assert sheet.freeze_panes == "B2"
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Khu phố", "Số lượt chăm lo", "Tổng giá trị"]
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[:3] == ["Tổng cộng", 4, 3_300_000]
    assert "₫" in sheet.cell(sheet.max_row, 3).number_format
    assert book["Thông tin"]["B3"].value == "Dân vận đợt 2/2024"
    coverage = book["Tỷ lệ hộ được thăm"]
    assert [[c.value for c in row] for row in coverage.iter_rows(min_row=2)] == [
        ["Khu phố 1", 2, 2, 1.0],
        ["Khu phố 2", 2, 3, pytest.approx(2 / 3)],
        ["Khu phố 3", 0, 1, 0.0],
        ["Tổng cộng", 4, 6, pytest.approx(4 / 6)],
    ]
    assert coverage["D3"].number_format == "0.0%"


def test_report_pdf_reads_like_an_official_report(town: Town) -> None:
    answer = town.report(suffix=".pdf")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)
    for words in (
        "ỦY BAN NHÂN DÂN",
        "THỊ TRẤN GIA RAY",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO",
        "Dân vận đợt 2/2024",
        "Từ ngày 12/10/2024 đến ngày 24/10/2024",
        "Phòng Nội vụ huyện",
        "25/10/2024",
        "3.300.000 ₫",
        "Thăm hộ gia đình",
        "CHỦ TỊCH",
        "Lương Thanh Tùng",
    ):
        assert words in text, words


def test_report_pdf_has_the_coverage_table(town: Town) -> None:
    with pdfplumber.open(io.BytesIO(town.report(suffix=".pdf").data)) as pdf:
        lines = [line for page in pdf.pages for line in page.extract_text().splitlines()]
    start = lines.index("1. Tỷ lệ hộ gia đình được thăm")
    rows = lines[start : lines.index("2. Thăm hộ gia đình")]
    for row in (
        "Khu phố 1 2 2 100,0%",
        "Khu phố 2 2 3 66,7%",
        "Khu phố 3 0 1 0,0%",
        "Tổng cộng 4 6 66,7%",
    ):
        assert row in rows, rows


def docx_tables(data: bytes) -> list[list[list[str]]]:
    """Every table of a Word file as rows of cell text."""
    word = Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in word.tables]


def test_report_docx_reads_back_with_word_tables_and_the_signature(town: Town) -> None:
    answer = town.report(suffix=".docx")
    assert answer.status_code == 200
    assert answer.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "bao-cao-dan-van-2024-10-12" in answer.headers["Content-Disposition"]
    tables = docx_tables(answer.data)
    heading, signature = tables[0], tables[-1]
    assert heading[0][0].split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "THỊ TRẤN GIA RAY"]
    assert heading[0][1].split("\n")[:2] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert heading[1][0].startswith("Số:") and heading[1][0].endswith("/BC-UBND")
    coverage = tables[1]
    assert coverage == [
        ["Khu phố", "Số hộ được thăm", "Số hộ trong danh sách", "Tỷ lệ hộ được thăm"],
        ["Khu phố 1", "2", "2", "100,0%"],
        ["Khu phố 2", "2", "3", "66,7%"],
        ["Khu phố 3", "0", "1", "0,0%"],
        ["Tổng cộng", "4", "6", "66,7%"],
    ]
    support = tables[6]
    assert support[0][:3] == ["Khu phố", "Số lượt chăm lo", "Tổng giá trị"]
    assert support[-1][:3] == ["Tổng cộng", "4", "3.300.000\u00a0₫"]
    nominees = tables[-2]
    assert sorted(row[2] for row in nominees[1:]) == ["Lê Thị Hoa", "Nguyễn Văn Ấn"]
    copies, chairman = signature[0]
    assert copies.startswith("Nơi nhận:")
    assert chairman.split("\n")[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert chairman.endswith("Lương Thanh Tùng")


def test_exports_are_audited(town: Town) -> None:
    with town.app.app_context():
        before = len(
            db.session.execute(select(AuditEntry).where(AuditEntry.action == "export")).all()
        )
    town.report(suffix=".csv")
    town.report(suffix=".docx")
    town.get("/api/v1/exports/visits.csv")
    with town.app.app_context():
        after = (
            db.session.execute(select(AuditEntry.target).where(AuditEntry.action == "export"))
            .scalars()
            .all()
        )
    assert len(after) == before + 3
    assert "exports/visits.csv" in after
    assert f"reports/campaign/{town.ids['C']}.docx" in after


# -- raw exports -----------------------------------------------------------------------------


def test_raw_csv_export_in_vietnamese_within_scope(town: Town) -> None:
    answer = town.get("/api/v1/exports/visits.csv", "giamsat1")
    assert answer.status_code == 200
    assert answer.is_streamed
    assert answer.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    # KP1 visits: V1, V2, V3 and the rejected V9; the deleted V8 is not exported.
    assert answer.headers["X-Doorstep-Rows"] == "4"
    assert len(rows) == 4
    assert {r["Khu phố"] for r in rows} == {"Khu phố 1"}
    first = next(r for r in rows if r["Mã bản ghi"] == town.ids["V1"])
    assert first["Chủ hộ"] == "Nguyễn Văn Ấn"
    assert first["Thời gian thăm"] == "12/10/2024 08:00"
    assert first["Mục đích"] == "Tuyên truyền, vận động"
    assert first["Cần theo dõi tiếp"] == "Có"
    assert first["Đợt ra quân"] == "Dân vận đợt 2/2024"
    assert first["Trạng thái duyệt"] == "Đã duyệt"


def test_raw_xlsx_export_reads_back_with_dates_and_money(town: Town) -> None:
    answer = town.get("/api/v1/exports/support.xlsx", review="not_rejected")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert "Hình thức chăm lo" in header and "Giá trị (đồng)" in header
    rows = [
        dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)
    ]
    assert len(rows) == 5
    assert sum(r["Giá trị (đồng)"] for r in rows) == 23_300_000
    gift = next(r for r in rows if r["Mã bản ghi"] == town.ids["S1"])
    assert gift["Hình thức chăm lo"] == "Quà tặng"
    assert gift["Ngày trao"] == datetime(2024, 10, 12)
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize(
    ("path", "user", "status"),
    [
        ("/api/v1/exports/visits.csv", "canbo1", 403),
        ("/api/v1/exports/spaceships.csv", "admin", 404),
        ("/api/v1/exports/visits.pdf", "admin", 404),
        ("/api/v1/exports/visits.csv?quarters=KP2", "giamsat1", 403),
    ],
)
def test_raw_export_refusals(town: Town, path: str, user: str, status: int) -> None:
    answer = town.client.get(path, headers=town.headers(user))
    assert answer.status_code == status
    assert "error" in answer.json


def test_report_paths_are_in_the_openapi_document(town: Town) -> None:
    paths = town.client.get("/api/v1/openapi.json").json["paths"]
    report = paths["/reports/campaign/{campaign_id}"]["get"]
    assert "/exports/{name}" in paths
    files = report["responses"]["200"]["content"]
    assert "application/vnd.openxmlformats-officedocument.wordprocessingml.document" in files
    campaign = next(p for p in report["parameters"] if p["name"] == "campaign_id")
    assert re.fullmatch(campaign["schema"]["pattern"], f"{town.ids['C']}.docx")
