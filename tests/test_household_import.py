"""The household register from a spreadsheet: real XLSX and CSV files (UTF-8 with and without a
BOM, Windows-1258, UTF-16 as Excel saves them) made here with Faker's vi_VN names, previewed,
applied through the push engine, uploaded again, and every kind of bad file refused (§7)."""

from __future__ import annotations

import csv
import io
import os
import unicodedata
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from conftest import Api, household_fields, new_id, op
from faker import Faker
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

TITLES = [
    "Khu phố",
    "Tổ",
    "Chủ hộ",
    "Địa chỉ",
    "Số điện thoại",
    "Số nhân khẩu",
    "Diện hộ",
    "Ghi chú",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


# -- files, as Excel and LibreOffice save them -------------------------------------------------


def cp1258(text: str) -> bytes:
    """Text in Windows-1258 as Excel writes it: letters with a circumflex, breve or horn are
    single bytes, tone marks follow as combining characters."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            base = "".join(c for c in decomposed if c not in TONE_MARKS)
            tones = "".join(c for c in decomposed if c in TONE_MARKS)
            out += unicodedata.normalize("NFC", base).encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


def xlsx_file(rows: list[list[Any]], titles: list[str] = TITLES, above: int = 0) -> bytes:
    book = Workbook()
    ws = book.active
    for n in range(above):
        ws.append([f"DANH SÁCH HỘ GIA ĐÌNH {n}"])
    ws.append(titles)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(
    rows: list[list[Any]],
    encoding: str = "utf-8",
    delimiter: str = ",",
    titles: list[str] = TITLES,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(titles)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    text = out.getvalue()
    if encoding == "windows-1258":
        return cp1258(text)
    return text.encode(encoding)


FORMATS = {
    "xlsx": lambda rows: xlsx_file(rows),
    "csv-utf8": lambda rows: csv_file(rows),
    "csv-utf8-bom": lambda rows: csv_file(rows, "utf-8-sig"),
    "csv-windows-1258": lambda rows: csv_file(rows, "windows-1258"),
    # Excel's "Unicode Text": UTF-16 with a BOM, cells separated by tabs.
    "csv-utf16-tabs": lambda rows: csv_file(rows, "utf-16", "\t"),
    # Excel where the decimal mark is a comma (Vietnamese Windows) separates with semicolons.
    "csv-semicolons": lambda rows: csv_file(rows, "utf-8-sig", ";"),
}


def full_name(fake: Faker) -> str:
    """A Vietnamese name as a register writes it: family, middle and given name."""
    given = fake.first_name_female() if fake.boolean() else fake.first_name_male()
    return f"{fake.last_name()} {fake.middle_name()} {given}"


def register_rows(n: int, seed: int = 14) -> list[list[Any]]:
    """`n` households with Faker vi_VN names and addresses; the neighbourhood written as a code,
    a name or a number, and some with a group and categories in Vietnamese words."""
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    quarter = ["KP1", "Khu phố 2", "3", "kp 1", "khu pho 2"]
    categories = ["Hộ nghèo", "hộ cận nghèo, Người có công", "", "Gia đình chính sách"]
    return [
        [
            quarter[i % len(quarter)],
            "Tổ 1" if i % len(quarter) == 0 else None,
            full_name(fake),
            fake.street_address(),
            "09" + fake.numerify("########"),
            1 + i % 6,
            categories[i % len(categories)],
            fake.sentence() if i % 3 == 0 else None,
        ]
        for i in range(n)
    ]


# -- fixtures and calls -----------------------------------------------------------------------


@pytest.fixture
def town(admin: Api, quarters: dict[str, str]) -> dict[str, str]:
    """KP1..KP3, with the groups Tổ 1 and Tổ 2 in KP1: code or name → id."""
    ids = dict(quarters)
    for name in ("Tổ 1", "Tổ 2"):
        group = op("groups", new_id(), {"quarter_id": quarters["KP1"], "name": name})
        assert admin.push_one(group)["status"] == "applied"
        ids[name] = group["id"]
    return ids


def upload(api: Api, path: str, data: bytes, content_type: str = "application/octet-stream"):
    return api.client.post(
        "/api/v1/imports/households" + path,
        data=data,
        headers=api.headers({"Content-Type": content_type}),
    )


def preview(api: Api, data: bytes) -> dict[str, Any]:
    response = upload(api, "/preview", data)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def apply(api: Api, data: bytes, digest: str, matches: str = "skip"):
    return upload(api, f"/apply?digest={digest}&matches={matches}", data)


def applied(api: Api, data: bytes, matches: str = "skip") -> dict[str, Any]:
    response = apply(api, data, preview(api, data)["digest"], matches)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def households(app) -> list[dict[str, Any]]:
    from server.extensions import db
    from sync.models import Record

    with app.app_context():
        rows = db.session.execute(
            select(Record.fields).where(Record.collection == "households")
        ).scalars()
        return list(rows)


def row_errors(result: dict[str, Any]) -> dict[int, list[tuple[str | None, str]]]:
    return {
        r["row"]: [(e["column"], e["message"]) for e in r["errors"]]
        for r in result["rows"]
        if r["errors"]
    }


# -- the template -----------------------------------------------------------------------------


def test_template_has_the_columns_and_the_towns_neighbourhoods(admin, town):
    response = admin.get("/imports/households/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.data))
    first = book.worksheets[0]
    assert [c.value for c in first[1]] == TITLES
    assert first.max_row == 1  # nothing to delete before filling it in
    guide = [[c.value for c in row] for row in book["Hướng dẫn"].iter_rows()]
    assert [row[0] for row in guide[1:9]] == TITLES
    town_sheet = [[c.value for c in row if c.value] for row in book.worksheets[2].iter_rows()]
    assert ["KP1", "Khu phố 1", "Tổ 1, Tổ 2"] in town_sheet
    assert ["Hộ cận nghèo"] in town_sheet
    # The template itself, filled in, imports.
    first.append(["KP1", "Tổ 2", "Lê Thị Hoa", "5 Lý Thường Kiệt", "0912345678", 3, "", ""])
    out = io.BytesIO()
    book.save(out)
    assert preview(admin, out.getvalue())["counts"]["add"] == 1


def test_only_admins_import(make_user, town):
    data = xlsx_file(register_rows(2))
    for role in ("field", "supervisor"):
        api = make_user(role, ["KP1"])
        for path in ("/preview", "/errors.xlsx", "/apply?digest=" + "0" * 64):
            response = upload(api, path, data)
            assert response.status_code == 403
            assert response.get_json()["error"]["code"] == "forbidden"
        assert api.get("/imports/households/template.xlsx").status_code == 403


# -- preview ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_preview_reads_every_kind_of_file_excel_saves(app, admin, town, kind):
    rows = register_rows(25)
    result = preview(admin, FORMATS[kind](rows))
    assert result["counts"] == {"rows": 25, "add": 25, "match": 0, "changed": 0, "error": 0}
    assert result["file"]["format"] == ("xlsx" if kind == "xlsx" else "csv")
    got = result["rows"]
    # Vietnamese names come through exactly, whatever the encoding.
    assert [r["fields"]["head_name"] for r in got] == [row[2] for row in rows]
    assert [r["row"] for r in got] == list(range(2, 27))
    quarters = [r["fields"]["quarter_id"] for r in got[:5]]
    assert quarters == [town["KP1"], town["KP2"], town["KP3"], town["KP1"], town["KP2"]]
    assert got[0]["fields"]["group_id"] == town["Tổ 1"]
    assert got[1]["fields"]["categories"] == ["near_poor", "meritorious"]
    assert got[3]["fields"]["categories"] == ["policy_family"]
    assert got[5]["fields"]["members_count"] == 6
    assert households(app) == []  # a preview writes nothing


def test_column_titles_match_without_diacritics_case_or_spacing(admin, town):
    titles = ["KHU PHO", "to", "chu  ho", "Dia-chi", "so dien thoai", "SỐ NHÂN KHẨU", "dien ho"]
    titles += ["ghi chu", "STT", "Ngày sinh"]
    rows = [[*row, n, "01/01/1960"] for n, row in enumerate(register_rows(3), start=1)]
    result = preview(admin, xlsx_file(rows, titles))
    assert [c["column"] for c in result["columns"]] == [
        "quarter",
        "group",
        "head_name",
        "address",
        "phone",
        "members_count",
        "categories",
        "notes",
    ]
    assert result["unknown_columns"] == ["STT", "Ngày sinh"]
    assert result["counts"]["add"] == 3


def test_only_the_required_columns_are_needed_and_the_others_are_listed(admin, town):
    rows = [["KP1", "Võ Văn Kiệt", "7 Lê Duẩn"]]
    result = preview(admin, csv_file(rows, titles=["Khu phố", "Chủ hộ", "Địa chỉ"]))
    assert result["missing_columns"] == [
        "Tổ",
        "Số điện thoại",
        "Số nhân khẩu",
        "Diện hộ",
        "Ghi chú",
    ]
    assert result["rows"][0]["fields"]["members_count"] == 1


def test_the_title_row_may_sit_below_a_heading(admin, town):
    result = preview(admin, xlsx_file(register_rows(2), above=2))
    assert result["file"]["header_row"] == 3
    assert [r["row"] for r in result["rows"]] == [4, 5]
    assert result["notices"]


def test_errors_are_in_vietnamese_with_their_row_and_column(admin, town):
    fake = Faker("vi_VN")
    fake.seed_instance(3)
    good = register_rows(1)[0]
    rows = [
        good,
        ["KP9", None, full_name(fake), fake.street_address(), None, None, None, None],
        ["KP1", None, "", fake.street_address(), None, None, None, None],
        ["KP1", None, full_name(fake), fake.street_address(), "12345", None, None, None],
        ["KP1", None, full_name(fake), fake.street_address(), None, "năm", None, None],
        ["KP1", None, full_name(fake), fake.street_address(), None, 0, None, None],
        ["KP1", None, full_name(fake), fake.street_address(), None, None, "Hộ giàu", None],
        ["KP2", "Tổ 1", full_name(fake), fake.street_address(), None, None, None, None],
        ["KP1", None, full_name(fake), "x" * 201, None, None, None, None],
        [good[0], None, good[2].upper(), good[3] + ".", None, None, None, None],
    ]
    result = preview(admin, xlsx_file(rows))
    assert result["counts"]["error"] == 9
    errors = row_errors(result)
    assert errors[3] == [("Khu phố", "Không có khu phố “KP9” (ghi mã như KP1, tên, hoặc số).")]
    assert errors[4] == [("Chủ hộ", "Không được để trống.")]
    assert errors[5] == [
        (
            "Số điện thoại",
            "Không phải số điện thoại Việt Nam (10 chữ số bắt đầu bằng 0, hoặc +84 và 9 chữ số).",
        )
    ]
    assert errors[6] == [("Số nhân khẩu", "Phải là số nguyên, không phải “năm”.")]
    assert errors[7] == [("Số nhân khẩu", "Phải từ 1 đến 50.")]
    assert errors[8][0][0] == "Diện hộ" and "“Hộ giàu”" in errors[8][0][1]
    assert errors[9] == [("Tổ", "Khu phố KP2 không có tổ “Tổ 1”.")]
    assert errors[10] == [("Địa chỉ", "Dài quá 200 ký tự.")]
    # The same household twice in one file (case and punctuation aside): the second is an error.
    assert errors[11] == [(None, "Trùng với dòng 2 (cùng khu phố, chủ hộ và địa chỉ).")]


def test_errors_download_as_the_rows_with_a_loi_column(admin, town):
    fake = Faker("vi_VN")
    fake.seed_instance(4)
    rows = register_rows(3)
    bad_name = full_name(fake)
    rows.insert(1, ["KP7", None, bad_name, "3 Hai Bà Trưng", 912345678, "ba", None, "=1+1"])
    response = upload(admin, "/errors.xlsx", xlsx_file(rows))
    assert response.status_code == 200
    assert response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    got = [[c.value for c in row] for row in sheet.iter_rows()]
    assert got[0] == [*TITLES, "Lỗi"]
    assert len(got) == 2  # the title row and the one row with errors
    assert got[1][:8] == ["KP7", None, bad_name, "3 Hai Bà Trưng", 912345678, "ba", None, "=1+1"]
    assert got[1][8].startswith("Dòng 3 — Khu phố: Không có khu phố “KP7”")
    assert "Số nhân khẩu: Phải là số nguyên" in got[1][8]
    assert sheet["H2"].data_type == "s"  # the formula comes back as text, never as a formula


def test_numbers_and_dates_written_as_text_or_as_numbers(admin, town):
    fake = Faker("vi_VN")
    fake.seed_instance(5)
    rows = [
        ["KP1", "2", full_name(fake), fake.street_address(), 912345678, "5", None, None],
        ["1", None, full_name(fake), fake.street_address(), "091 234.5678", 3.0, None, None],
        ["KP1", None, full_name(fake), fake.street_address(), None, date(2024, 3, 5), None, None],
        ["KP1", None, full_name(fake), fake.street_address(), None, 2.5, None, None],
        ["KP1", None, full_name(fake), "12/3 Hùng Vương", None, " 4 ", None, datetime(2024, 1, 2)],
    ]
    result = preview(admin, xlsx_file(rows))
    got = {r["row"]: r for r in result["rows"]}
    assert got[2]["fields"]["group_id"] == town["Tổ 2"]
    # Excel dropped the phone's leading 0 (a number cell): put back, and said so.
    assert got[2]["fields"]["phone"] == "0912345678"
    assert got[2]["warnings"][0]["column"] == "Số điện thoại"
    assert got[2]["fields"]["members_count"] == 5
    assert got[3]["fields"]["phone"] == "0912345678"
    assert got[3]["fields"]["members_count"] == 3
    assert got[4]["action"] == "error"
    assert got[4]["errors"][0]["column"] == "Số nhân khẩu"
    assert "ngày tháng (05/03/2024)" in got[4]["errors"][0]["message"]
    assert got[5]["errors"] == [
        {"column": "Số nhân khẩu", "message": "Phải là số nguyên, không phải 2.5."}
    ]
    assert got[6]["fields"]["members_count"] == 4
    assert got[6]["fields"]["notes"] == "02/01/2024"


def test_a_formula_is_imported_as_its_text_and_never_evaluated(app, admin, town):
    fake = Faker("vi_VN")
    fake.seed_instance(6)
    formula = '=HYPERLINK("http://example.com","Bấm vào")'
    address = fake.street_address()
    rows = [
        ["KP1", None, formula, address, None, 2, None, "=A1"],
        ["KP1", None, full_name(fake), fake.street_address(), None, "=1+1", None, None],
    ]
    result = preview(admin, xlsx_file(rows))
    first, second = result["rows"]
    assert first["fields"]["head_name"] == formula
    assert first["fields"]["notes"] == "=A1"
    assert {w["column"] for w in first["warnings"]} == {"Chủ hộ", "Ghi chú"}
    assert second["errors"] == [
        {"column": "Số nhân khẩu", "message": "Phải là số nguyên, không phải “=1+1”."}
    ]
    applied(admin, xlsx_file(rows))
    (stored,) = households(app)
    assert (stored["head_name"], stored["notes"]) == (formula, "=A1")
    # In a CSV a formula is just text too (the exports keep it from ever running).
    other = csv_file([["KP2", None, formula, address, None, 2, None, "=1+1"]])
    assert preview(admin, other)["rows"][0]["fields"]["notes"] == "=1+1"


# -- apply ------------------------------------------------------------------------------------


def test_apply_adds_the_households_through_the_engine_and_field_staff_sync_them(
    app, admin, field, town
):
    rows = register_rows(30)
    data = FORMATS["csv-windows-1258"](rows)
    outcome = applied(admin, data)
    assert outcome == {
        "added": 30,
        "updated": 0,
        "already_imported": 0,
        "skipped": 0,
        "unchanged": 0,
        "errors": 0,
    }
    assert sorted(h["head_name"] for h in households(app)) == sorted(r[2] for r in rows)
    # Field staff of KP1 get KP1's households on their next sync, and only those.
    changes, _ = field.pull_all()
    pulled = [c["record"] for c in changes if c["collection"] == "households"]
    in_kp1 = [r[2] for r in rows if r[0] in ("KP1", "kp 1")]
    assert sorted(r["fields"]["head_name"] for r in pulled) == sorted(in_kp1)
    # Each has its revision, by the admin, like any other change.
    record = pulled[0]
    assert record["rev"] == 1
    assert record["meta"]["created_by"]["id"] == admin.id
    history = admin.get(f"/records/households/{record['id']}/history").get_json()
    assert [r["kind"] for r in history["revisions"]] == ["create"]
    assert history["revisions"][0]["device_id"].startswith("import:")
    audit = admin.get("/audit", query_string={"action": "import"}).get_json()["entries"]
    assert [e["details"]["step"] for e in audit] == ["apply", "preview"]
    assert audit[0]["details"]["added"] == 30


def test_uploading_the_same_file_again_adds_nothing(app, admin, town):
    data = xlsx_file(register_rows(20))
    first = preview(admin, data)
    assert apply(admin, data, first["digest"]).status_code == 200
    again = preview(admin, data)
    assert again["counts"] == {"rows": 20, "add": 0, "match": 20, "changed": 0, "error": 0}
    assert applied(admin, data, "update") == {
        "added": 0,
        "updated": 0,
        "already_imported": 0,
        "skipped": 0,
        "unchanged": 20,
        "errors": 0,
    }
    # The first preview no longer describes the register: applying it again is refused.
    stale = apply(admin, data, first["digest"])
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "preview_stale"
    assert len(households(app)) == 20


def test_the_same_preview_applied_twice_at_once_adds_each_household_once(app, admin, town):
    """Two applies of one preview (two tabs, two server processes) push the same op ids: the
    second is answered as replays (§4 rule 1)."""
    from server.auth import actor_for, utcnow
    from server.extensions import db
    from server.imports.apply import apply_preview
    from server.imports.register import preview_file
    from server.models import User
    from server.schemas import catalogue

    data = xlsx_file(register_rows(12))
    with app.app_context():
        user = db.session.get(User, admin.id)
        plans = [preview_file(db.session, data, utcnow()) for _ in range(2)]
        outcomes = []
        for plan in plans:
            outcomes.append(
                apply_preview(
                    db.session,
                    catalogue,
                    actor_for(user, "tab"),
                    plan,
                    update=False,
                    now=utcnow(),
                )
            )
            db.session.commit()
    assert (outcomes[0].added, outcomes[1].added, outcomes[1].already_imported) == (12, 0, 12)
    assert len(households(app)) == 12


def test_matches_are_skipped_or_updated_as_the_admin_chooses(app, admin, field, town):
    existing = field.push_one(
        op(
            "households",
            new_id(),
            household_fields(town["KP1"], head_name="Nguyễn Văn An", phone="0912345678"),
        )
    )["record"]
    # Same household: no diacritics, other case and punctuation; a new phone and categories.
    row = ["kp1", "Tổ 2", "NGUYEN VAN AN", "12, Hung Vuong", "0987654321", None, "Hộ nghèo", None]
    data = xlsx_file([row, *register_rows(2)])
    result = preview(admin, data)
    assert result["counts"] == {"rows": 3, "add": 2, "match": 1, "changed": 1, "error": 0}
    match = result["rows"][0]
    assert match["action"] == "match"
    assert match["household_id"] == existing["id"]
    assert match["changes"] == {
        "group_id": {"from": None, "to": town["Tổ 2"]},
        "phone": {"from": "0912345678", "to": "0987654321"},
        "categories": {"from": [], "to": ["poor"]},
    }

    skipped = apply(admin, data, result["digest"], "skip").get_json()
    assert (skipped["added"], skipped["skipped"], skipped["updated"]) == (2, 1, 0)
    assert admin.record("households", existing["id"])["fields"]["phone"] == "0912345678"

    updated = applied(admin, data, "update")
    assert (updated["added"], updated["updated"]) == (0, 1)
    record = admin.record("households", existing["id"])
    assert record["rev"] == 2
    # What matched stays as it was typed; an empty cell (members) changes nothing.
    assert record["fields"]["head_name"] == "Nguyễn Văn An"
    assert record["fields"]["address"] == "12 Hùng Vương"
    assert (record["fields"]["phone"], record["fields"]["categories"]) == ("0987654321", ["poor"])
    assert record["fields"]["members_count"] == existing["fields"]["members_count"]
    history = admin.get(f"/records/households/{existing['id']}/history").get_json()
    assert [r["kind"] for r in history["revisions"]] == ["create", "edit"]
    assert history["revisions"][1]["by"]["id"] == admin.id
    # And the field worker's phone gets the change on its next sync.
    changes, _ = field.pull_all()
    pulled = {c["id"]: c["record"] for c in changes if c["collection"] == "households"}
    assert pulled[existing["id"]]["fields"]["phone"] == "0987654321"


def test_a_file_changed_since_its_preview_is_refused(app, admin, town):
    rows = register_rows(3)
    digest = preview(admin, xlsx_file(rows))["digest"]
    rows[0][2] = Faker("vi_VN").name()
    response = apply(admin, xlsx_file(rows), digest)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "preview_stale"
    assert households(app) == []


def test_rows_with_errors_are_left_out_and_the_rest_applied(app, admin, town):
    rows = [*register_rows(4), ["KP9", None, "Đặng Thị Lan", "1 Lê Lai", None, None, None, None]]
    outcome = applied(admin, xlsx_file(rows))
    assert (outcome["added"], outcome["errors"]) == (4, 1)
    assert "Đặng Thị Lan" not in [h["head_name"] for h in households(app)]


# -- bad files --------------------------------------------------------------------------------


def _zip_that_is_not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    return out.getvalue()


BAD_FILES = {
    "empty": (lambda: b"", 422, "empty"),
    "only spaces": (lambda: b"  \r\n ", 422, "empty"),
    "only the titles": (lambda: xlsx_file([]), 422, "empty"),
    "no title row": (lambda: csv_file([["a", "b"]], titles=["x", "y"]), 422, "no_header"),
    "a required column missing": (
        lambda: csv_file([["KP1", "A"]], titles=["Khu phố", "Chủ hộ"]),
        422,
        "missing_columns",
    ),
    "a column twice": (
        lambda: csv_file(
            [["KP1", "A", "B", "1 Lê Lợi"]],
            titles=["Khu phố", "Chủ hộ", "Họ tên chủ hộ", "Địa chỉ"],
        ),
        422,
        "duplicate_column",
    ),
    "random bytes": (lambda: os.urandom(4096), 415, "not_a_spreadsheet"),
    "a PDF": (lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n\x00\x01", 415, None),
    "a zip": (_zip_that_is_not_a_workbook, 415, "not_a_spreadsheet"),
    "a damaged workbook": (lambda: xlsx_file(register_rows(2))[:900], 415, "not_a_spreadsheet"),
    "an old .xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, 415, None),
    "more than 50,000 rows": (
        lambda: csv_file([["KP1", None, f"Hộ {n}", f"{n} Lê Lợi"] for n in range(50_001)]),
        413,
        "too_many_rows",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_a_clear_4xx_and_nothing_is_written(app, admin, town, name):
    make, status, reason = BAD_FILES[name]
    data = make()
    for path in ("/preview", "/errors.xlsx", "/apply?digest=" + "0" * 64):
        response = upload(admin, path, data)
        assert response.status_code == status, (path, response.get_data()[:300])
        error = response.get_json()["error"]
        assert error["message"]
        if reason:
            assert error["details"]["reason"] == reason
    assert households(app) == []


def test_a_body_that_is_not_a_file_is_415(admin, town):
    response = admin.post("/imports/households/preview", {"rows": []})
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_a_file_larger_than_a_json_body_may_be_is_read(admin, town):
    """50,000 rows saved as UTF-16 text are about 12 MiB: more than a JSON body's 10 MiB."""
    data = csv_file(register_rows(1)) + b"\r\n" * (6 * 2**20)
    assert len(data) > 11 * 2**20
    assert preview(admin, data)["counts"]["add"] == 1


def test_a_file_larger_than_an_upload_may_be_is_413(admin, town):
    from server.requests import MAX_UPLOAD

    response = upload(admin, "/preview", b"a" * (MAX_UPLOAD + 1), "text/csv")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


@pytest.mark.parametrize("query", ["", "digest=abc", f"digest={'0' * 64}&matches=all"])
def test_apply_without_a_good_digest_or_choice_is_400(admin, town, query):
    response = upload(admin, f"/apply?{query}", xlsx_file(register_rows(1)))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


# -- the command line -------------------------------------------------------------------------


def test_command_line_import_dry_run_then_apply_then_again(app, admin, town, tmp_path):
    rows = register_rows(8)
    rows.append(["KP1", None, "", "9 Lê Lai", None, None, None, None])
    path = tmp_path / "so-ho.xlsx"
    path.write_bytes(xlsx_file(rows))
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["import-households", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "8 to add" in dry.output and "1 with errors" in dry.output
    assert "Dòng 10 — Chủ hộ: Không được để trống." in dry.output
    assert households(app) == []

    done = runner.invoke(args=["import-households", str(path)])
    assert done.exit_code == 0, done.output
    assert "8 added" in done.output
    again = runner.invoke(args=["import-households", str(path)])
    assert again.exit_code == 0, again.output
    assert "0 added" in again.output
    assert len(households(app)) == 8

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = runner.invoke(args=["import-households", str(empty)])
    assert refused.exit_code == 1
    assert "Tệp trống" in refused.output
