"""Text as files may hold it: every writer (CSV, XLSX, PDF, DOCX) puts text through here.

No spreadsheet takes a cell for a formula (OWASP's rule against CSV injection: a CSV cell starting
with `=`, `+`, `-`, `@`, tab or CR gets a `'` in front; XLSX text cells are typed as strings), and
text loses the control characters that XML (XLSX, DOCX) and the PDF fonts refuse, which push
refuses too but older rows may hold.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any) -> Any:
    """Text without the control characters XML (XLSX, DOCX) and fonts (PDF) refuse; tab, newline
    and CR stay. Lists, tuples and dicts are cleaned all through (the report)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    return value


def csv_cell(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would read as a formula gets a `'` in front."""
    if isinstance(value, str):
        value = plain(value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def xlsx_cell(ws: Any, value: Any, number_format: str | None = None) -> Any:
    """An XLSX cell: text is always a string cell (never a formula); numbers and dates may get
    a number format."""
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=plain(value))
        cell.data_type = "s"
        return cell
    if number_format and value is not None:
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell
    return value


# -- how spreadsheets show values ----------------------------------------------------------------

BOM = "\ufeff"
MONEY_FORMAT = '#,##0 "₫"'
COUNT_FORMAT = "#,##0"
SHARE_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def as_date(value: str | None) -> date | None:
    """A `YYYY-MM-DD` text as a date (None stays None)."""
    return date.fromisoformat(value) if value else None
