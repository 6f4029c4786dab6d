"""The report as XLSX (openpyxl): a sheet about the report, then a sheet per table (frozen
heading, thousands separators, money in ₫, shares in %), text cells always typed as text."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .cells import (
    COUNT_FORMAT,
    DATE_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    MONEY_FORMAT,
    SHARE_FORMAT,
    xlsx_cell,
)
from .sections import Document, Table

WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
FORMATS = {"count": COUNT_FORMAT, "money": MONEY_FORMAT, "share": SHARE_FORMAT}
# Column widths in characters, for a relative width of 1.
WIDTH = 15


def facts_sheet(ws: Worksheet, doc: Document) -> None:
    """What the report is: the town, the campaign, the period, which records count."""
    ws.title = "Thông tin"
    for label, value in doc.facts:
        ws.append([xlsx_cell(ws, label), xlsx_cell(ws, value)])
        ws.cell(ws.max_row, 1).font = HEADER_FONT
        if isinstance(value, date):
            ws.cell(ws.max_row, 2).number_format = DATE_FORMAT
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 60


def table_sheet(ws: Worksheet, table: Table) -> None:
    """A table on its own sheet; a neighbourhood table keeps its first column in view and its
    total in bold."""
    ws.append([xlsx_cell(ws, column.title) for column in table.columns])
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
    for row in table.rows:
        ws.append([xlsx_cell(ws, value) for value in row])
        for index, column in enumerate(table.columns, start=1):
            if column.kind in FORMATS:
                ws.cell(ws.max_row, index).number_format = FORMATS[column.kind]
    ws.row_dimensions[1].height = 45
    for index, column in enumerate(table.columns, start=1):
        least = 1.4 if column.kind == "money" else 1  # `1.000.000.000 ₫` shows whole
        ws.column_dimensions[get_column_letter(index)].width = WIDTH * max(column.width, least)
    if table.by_quarter:
        for cell in ws[ws.max_row]:
            cell.font = HEADER_FONT
        ws.freeze_panes = "B2"
    else:
        ws.freeze_panes = "A2"


def report_xlsx(doc: Document) -> bytes:
    """The whole report as one workbook."""
    wb = Workbook()
    facts_sheet(wb.active, doc)
    for table in doc.tables:
        table_sheet(wb.create_sheet(table.sheet[:31]), table)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
