"""The workbooks an import hands back: the template (the columns, and a sheet saying what to write
in each, with the town's neighbourhoods, groups and categories), and the rows with errors, as the
file had them, with a "Lỗi" column added, to fix and upload again. Every text cell goes through
`reports.cells` (typed as text, never a formula)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..reports.cells import DATE_FORMAT, HEADER_FILL, HEADER_FONT, xlsx_cell
from .preview import COLUMNS, Preview, Problem, Register
from .reading import Formula

SHEET = "Danh sách hộ"
WIDTHS = {
    "quarter": 12,
    "group": 10,
    "head_name": 28,
    "address": 34,
    "phone": 16,
    "members_count": 14,
    "categories": 32,
    "notes": 36,
}
# What to write in each column, with an example (sync-protocol.md's own).
GUIDE = {
    "quarter": ("Mã (KP1), tên (Khu phố 1) hoặc số (1) của khu phố.", "KP1"),
    "group": ("Tên (Tổ 3) hoặc số (3) của tổ nhân dân trong khu phố; có thể để trống.", "3"),
    "head_name": ("Họ và tên chủ hộ.", "Nguyễn Văn A"),
    "address": ("Số nhà, đường (tối đa 200 ký tự).", "12 Hùng Vương"),
    "phone": ("10 chữ số bắt đầu bằng 0, hoặc +84 và 9 chữ số; có thể để trống.", "0912345678"),
    "members_count": ("Số người trong hộ, từ 1 đến 50; để trống là 1.", "4"),
    "categories": (
        "Một hoặc nhiều diện, cách nhau bằng dấu phẩy; để trống nếu không thuộc diện nào.",
        "Hộ nghèo, Người có công",
    ),
    "notes": ("Ghi chú thêm (tối đa 2000 ký tự).", ""),
}
WRAP = Alignment(wrap_text=True, vertical="top")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _heading(ws: Any, titles: Sequence[str]) -> None:
    ws.append([xlsx_cell(ws, title) for title in titles])
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL


def template(register: Register) -> bytes:
    """The template: the columns to fill, and a guide with what the town has today."""
    book = Workbook()
    ws = book.active
    ws.title = SHEET
    _heading(ws, [c.title for c in COLUMNS])
    ws.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = WIDTHS[column.key]
        if column.key in ("group", "phone"):
            # Typed as text, so that Excel keeps a phone's leading 0 and never makes a date of
            # a group such as "1/2".
            ws.column_dimensions[letter].number_format = "@"

    guide = book.create_sheet("Hướng dẫn")
    _heading(guide, ["Cột", "Bắt buộc", "Ghi gì", "Ví dụ"])
    for column in COLUMNS:
        words, example = GUIDE[column.key]
        guide.append(
            [
                xlsx_cell(guide, value)
                for value in (column.title, "Có" if column.required else "", words, example)
            ]
        )
    guide.append([])
    guide.append([xlsx_cell(guide, "Tên cột không phân biệt dấu, chữ hoa hay khoảng trắng.")])
    guide.append(
        [xlsx_cell(guide, "Hộ đã có (cùng khu phố, chủ hộ và địa chỉ) được bỏ qua hoặc cập nhật.")]
    )
    for width, letter in zip((16, 10, 70, 28), "ABCD", strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP

    town = book.create_sheet("Khu phố, tổ, diện hộ")
    _heading(town, ["Mã khu phố", "Tên khu phố", "Tổ nhân dân"])
    for quarter in register.quarters:
        groups = sorted(g.name for g in register.groups if g.quarter_id == quarter.id)
        town.append([xlsx_cell(town, v) for v in (quarter.code, quarter.name, ", ".join(groups))])
    town.append([])
    _heading(town, ["Diện hộ"])
    for label in register.categories.values():
        town.append([xlsx_cell(town, label)])
    for width, letter in zip((14, 24, 60), "ABC", strict=True):
        town.column_dimensions[letter].width = width
    return _save(book)


def _problems(problems: Sequence[Problem]) -> str:
    return "; ".join(f"{p.column}: {p.message}" if p.column else p.message for p in problems)


def error_text(row: int, problems: Sequence[Problem]) -> str:
    """`Dòng 7 — Số điện thoại: ...; Khu phố: ...`."""
    return f"Dòng {row} — {_problems(problems)}"


def errors_workbook(result: Preview) -> bytes:
    """The rows with errors, every cell as the file had it, and what is wrong in "Lỗi"."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(SHEET)
    titles = [t or f"Cột {get_column_letter(i + 1)}" for i, t in enumerate(result.sheet.titles)]
    ws.freeze_panes = "A2"
    for index in range(len(titles)):
        ws.column_dimensions[get_column_letter(index + 1)].width = 20
    ws.column_dimensions[get_column_letter(len(titles) + 1)].width = 80
    header = []
    for title in [*titles, "Lỗi"]:
        cell = xlsx_cell(ws, title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    ws.append(header)
    wrong = {plan.row: plan for plan in result.rows if plan.action == "error"}
    red = Font(color="C00000")
    for number, cells in result.sheet.rows:
        plan = wrong.get(number)
        if plan is None:
            continue
        values = [_cell(ws, value) for value in cells[: len(titles)]]
        values += [None] * (len(titles) - len(values))
        message = xlsx_cell(ws, error_text(number, plan.errors))
        message.font = red
        ws.append([*values, message])
    return _save(book)


def _cell(ws: Any, value: Any) -> Any:
    """A cell written back as it was read: a formula as its text, a date as a date."""
    if isinstance(value, Formula):
        return xlsx_cell(ws, value.text)
    if isinstance(value, datetime | date):
        return xlsx_cell(ws, value, DATE_FORMAT)
    return xlsx_cell(ws, value)
