"""Raw exports: every live record of a collection in the reader's scope, as CSV (UTF-8 with BOM,
for Excel) or XLSX, with Vietnamese column titles and labels.

An export can hold every record of a collection: rows are read in chunks (`yield_per`) and
streamed, CSV row by row, XLSX through openpyxl's write-only mode into a temporary file that is
then sent in chunks. Every cell goes through `cells` (no formulas, no illegal characters).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from sync.catalogue import FIELD_DATA, HOUSEHOLD_SCOPED
from sync.models import Record

from ..dates import VN
from ..models import User
from ..vocabulary import Kind, label, labels
from .cells import (
    BOM,
    DATE_FORMAT,
    DATETIME_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    MONEY_FORMAT,
    as_date,
    csv_cell,
    xlsx_cell,
)

CHUNK = 1000

# Column titles of every collection's fields, in the order they are exported.
FIELD_TITLES: dict[str, tuple[tuple[str, str], ...]] = {
    "quarters": (("code", "Mã khu phố"), ("name", "Tên khu phố")),
    "groups": (("name", "Tên tổ nhân dân"), ("model_status", "Tổ nhân dân kiểu mẫu")),
    "campaigns": (
        ("name", "Tên đợt ra quân"),
        ("starts_on", "Ngày bắt đầu"),
        ("ends_on", "Ngày kết thúc"),
        ("launch_on", "Ngày phát động"),
        ("report_due_on", "Hạn báo cáo"),
        ("active", "Đang thực hiện"),
    ),
    "households": (
        ("head_name", "Chủ hộ"),
        ("address", "Địa chỉ"),
        ("group_id", "Tổ nhân dân"),
        ("phone", "Số điện thoại"),
        ("members_count", "Số nhân khẩu"),
        ("categories", "Diện chính sách"),
        ("location", "Vị trí (vĩ độ, kinh độ)"),
        ("notes", "Ghi chú"),
    ),
    "visits": (
        ("visited_at", "Thời gian thăm"),
        ("purpose", "Mục đích"),
        ("campaign_id", "Đợt ra quân"),
        ("follow_up_needed", "Cần theo dõi tiếp"),
        ("location", "Vị trí (vĩ độ, kinh độ)"),
        ("notes", "Ghi chú"),
    ),
    "registrations": (
        ("kind", "Loại đăng ký"),
        ("status", "Tình trạng"),
        ("persons", "Số người"),
        ("registered_on", "Ngày đăng ký"),
        ("campaign_id", "Đợt ra quân"),
        ("notes", "Ghi chú"),
    ),
    "support": (
        ("kind", "Hình thức chăm lo"),
        ("value_vnd", "Giá trị (đồng)"),
        ("sponsor", "Đơn vị, cá nhân tài trợ"),
        ("given_on", "Ngày trao"),
        ("campaign_id", "Đợt ra quân"),
        ("notes", "Ghi chú"),
    ),
    "assessments": (
        ("year", "Năm"),
        ("criteria_met", "Tiêu chí đạt"),
        ("result", "Kết quả"),
        ("notes", "Ghi chú"),
    ),
    "nominations": (
        ("nominee", "Cá nhân / tập thể được đề xuất"),
        ("nominee_kind", "Loại"),
        ("domain", "Lĩnh vực"),
        ("achievement", "Thành tích"),
        ("unit_id", "Đơn vị được đề xuất"),
        ("campaign_id", "Đợt ra quân"),
    ),
    "units": (("name", "Tên đơn vị"), ("kind", "Loại đơn vị"), ("active", "Đang hoạt động")),
    "deeds": (
        ("unit_id", "Đơn vị"),
        ("campaign_id", "Đợt ra quân"),
        ("title", "Việc làm cụ thể"),
        ("description", "Nội dung"),
        ("quarter_id", "Địa bàn"),
        ("planned_on", "Ngày thực hiện"),
        ("status", "Tiến độ"),
        ("result", "Kết quả"),
        ("beneficiaries", "Số người, hộ được giúp"),
        ("value_vnd", "Giá trị (đồng)"),
    ),
    "photos": (
        ("record_collection", "Ảnh của"),
        ("record_id", "Mã bản ghi có ảnh"),
        ("content_type", "Định dạng"),
        ("width", "Rộng (điểm ảnh)"),
        ("height", "Cao (điểm ảnh)"),
        ("size", "Dung lượng (byte)"),
        ("sha256", "SHA-256"),
    ),
}
# The vocabulary's kind of each enum field (`server/vocabulary.json`).
ENUM_OF: dict[str, Kind] = {
    "purpose": "purpose",
    "categories": "category",
    "nominee_kind": "nominee_kind",
    "domain": "domain",
    "model_status": "model_status",
}
# Fields whose kind depends on the collection: (collection, field) → kind.
ENUM_IN: dict[tuple[str, str], Kind] = {
    ("registrations", "kind"): "registration_kind",
    ("registrations", "status"): "registration_status",
    ("assessments", "result"): "assessment_result",
    ("support", "kind"): "support_kind",
    ("units", "kind"): "unit_kind",
    ("deeds", "status"): "deed_status",
    ("photos", "record_collection"): "photo_of",
}
DATE_FIELDS = frozenset(
    {
        "starts_on",
        "ends_on",
        "launch_on",
        "report_due_on",
        "registered_on",
        "given_on",
        "planned_on",
    }
)
# Fields naming a reference record, shown by its name.
NAMED = frozenset({"campaign_id", "group_id", "unit_id", "quarter_id"})


@dataclass(frozen=True)
class RawColumn:
    """A column of a raw export: title, how to get its value from a row, and its XLSX format."""

    title: str
    get: Callable[[Any], Any]
    number_format: str | None = None
    width: float = 16


def _local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN).replace(tzinfo=None)


def _visit_time(value: Any) -> datetime | None:
    """The visit's wall-clock time where it happened (the offset the phone sent)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


class RawExport:
    """The columns and rows of one collection's raw export, for one reader's scope."""

    def __init__(
        self,
        session: Session,
        collection: str,
        quarters: frozenset[str] | None,
        review: str | None,
    ) -> None:
        self.session, self.collection = session, collection
        self.quarters, self.review = quarters, review
        # Reference data is small: names of neighbourhoods, groups, campaigns, units and users.
        self.names: dict[str, str] = {}
        for row in session.execute(
            select(Record.id, Record.fields).where(
                Record.collection.in_(("quarters", "groups", "campaigns", "units"))
            )
        ):
            self.names[row.id] = str(row.fields.get("name") or row.fields.get("code") or "")
        self.users = dict(session.execute(select(User.id, User.display_name)).all())
        self.columns = self._columns()

    def _field(self, name: str) -> RawColumn:
        title = dict(FIELD_TITLES[self.collection])[name]
        kind = ENUM_IN.get((self.collection, name), ENUM_OF.get(name))
        words = labels(kind) if kind else None

        def value(row: Any) -> Any:
            v = row.fields.get(name)
            if v is None:
                return None
            if name in NAMED:
                return self.names.get(v, v)
            if name == "visited_at":
                return _visit_time(v)
            if name in DATE_FIELDS:
                return as_date(v) if isinstance(v, str) else None
            if isinstance(v, bool):
                return "Có" if v else "Không"
            if name == "location" and isinstance(v, dict):
                return f"{v.get('lat')}, {v.get('lon')}"
            if isinstance(v, list):
                return "; ".join(str((words or {}).get(x, x)) for x in v)
            if words:
                return words.get(v, v)
            return v

        fmt = None
        if name == "visited_at":
            fmt = DATETIME_FORMAT
        elif name in DATE_FIELDS:
            fmt = DATE_FORMAT
        elif name == "value_vnd":
            fmt = MONEY_FORMAT
        wide = name in ("address", "notes", "achievement", "criteria_met", "head_name", "nominee")
        return RawColumn(title, value, fmt, 36 if wide else 16)

    def _columns(self) -> list[RawColumn]:
        cols = [
            RawColumn("Mã bản ghi", lambda r: r.id, width=38),
            RawColumn("Khu phố", lambda r: self.names.get(r.quarter_id, r.quarter_id or "")),
        ]
        if self.collection in HOUSEHOLD_SCOPED:
            cols += [
                RawColumn("Chủ hộ", lambda r: (r.household or {}).get("head_name"), width=26),
                RawColumn("Địa chỉ hộ", lambda r: (r.household or {}).get("address"), width=30),
            ]
        cols += [self._field(name) for name, _ in FIELD_TITLES[self.collection]]
        if self.collection in FIELD_DATA:
            # Whose work it is: the unit its author belonged to when they recorded it.
            cols.append(RawColumn("Đơn vị nhập", lambda r: self.names.get(r.unit_id, ""), width=26))
        cols += [
            RawColumn("Trạng thái duyệt", lambda r: label("review", r.review_status)),
            RawColumn("Ý kiến duyệt", lambda r: r.review_comment, width=30),
            RawColumn("Người nhập", lambda r: self.users.get(r.created_by, ""), width=22),
            RawColumn("Ngày nhập", lambda r: _local(r.created_at), DATETIME_FORMAT),
            RawColumn("Cập nhật lần cuối", lambda r: _local(r.updated_at), DATETIME_FORMAT),
            RawColumn("Phiên bản", lambda r: r.rev, width=10),
        ]
        return cols

    def _query(self) -> Any:
        household = aliased(Record)
        columns = [
            Record.id,
            Record.rev,
            Record.fields,
            Record.quarter_id,
            Record.unit_id,
            Record.review_status,
            Record.review_comment,
            Record.created_by,
            Record.created_at,
            Record.updated_at,
        ]
        query = select(*columns)
        if self.collection in HOUSEHOLD_SCOPED:
            query = select(*columns, household.fields.label("household")).outerjoin(
                household,
                (household.collection == "households") & (household.id == Record.household_id),
            )
        query = query.where(Record.collection == self.collection, Record.deleted.is_(False))
        if self.quarters is not None:
            query = query.where(Record.quarter_id.in_(sorted(self.quarters)))
        if self.review == "not_rejected":
            query = query.where(Record.review_status != "rejected")
        elif self.review and self.review != "all":
            query = query.where(Record.review_status == self.review)
        return query.order_by(Record.quarter_id, Record.created_at, Record.id)

    def count(self) -> int:
        """How many rows the export has (sent ahead, so the app can show progress)."""
        query = self._query().order_by(None).subquery()
        return int(self.session.execute(select(func.count()).select_from(query)).scalar_one())

    def rows(self) -> Iterator[list[Any]]:
        """The values of every row, read from the database CHUNK rows at a time."""
        result = self.session.execute(self._query().execution_options(yield_per=CHUNK))
        for row in result:
            yield [col.get(row) for col in self.columns]

    def titles(self) -> list[str]:
        return [c.title for c in self.columns]


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else value


def stream_csv(export: RawExport) -> Iterator[bytes]:
    """The CSV, with a BOM, a few hundred rows per chunk."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write(BOM)
    writer.writerow(export.titles())
    for n, row in enumerate(export.rows(), start=1):
        writer.writerow([csv_cell(_csv_value(v)) for v in row])
        if n % 500 == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def write_xlsx(export: RawExport, sheet_title: str) -> str:
    """Write the XLSX in openpyxl's write-only mode to a temporary file; returns its path."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title[:31])
    ws.freeze_panes = "A2"
    for index, col in enumerate(export.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.width
    header = []
    for title in export.titles():
        cell = WriteOnlyCell(ws, value=title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    ws.append(header)
    formats = [c.number_format for c in export.columns]
    for row in export.rows():
        ws.append([xlsx_cell(ws, value, fmt) for value, fmt in zip(row, formats, strict=True)])
    handle, path = tempfile.mkstemp(prefix="doorstep-export-", suffix=".xlsx")
    os.close(handle)
    wb.save(path)
    return path


def stream_file(path: str, chunk: int = 256 * 1024) -> Iterable[bytes]:
    """A file's bytes in chunks; the file is removed once sent (or when the client goes away)."""
    try:
        with open(path, "rb") as handle:
            while data := handle.read(chunk):
                yield data
    finally:
        remove_file(path)


def remove_file(path: str) -> None:
    """Remove a temporary export file, if it is still there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
