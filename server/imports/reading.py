"""Reading a register file: an XLSX workbook, or a CSV file as Excel and LibreOffice save them
(UTF-8 with or without a BOM, Windows-1258, UTF-16; comma, semicolon or tab between cells), into
the row of column titles and the rows of cells below it.

A file that cannot be read is a `FileProblem`, which the view answers as a 4xx (§7) and the command
line as an error message: nothing of it is ever applied. Cells keep what the file holds: text (in
NFC), numbers, dates, and formulas as their text, marked, so that they are never evaluated.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook

from sync.text import fold

MAX_ROWS = 50_000
MAX_COLUMNS = 60
# The row of titles may sit below a title line or two ("DANH SÁCH HỘ GIA ĐÌNH ...").
HEADER_SEARCH = 10
# Excel files often carry thousands of formatted but empty rows below the data: this many empty
# rows in a row end the data.
EMPTY_RUN = 1000
# An XLSX is a zip: more than this much once unpacked is not a register (a zip bomb).
MAX_UNPACKED = 300 * 1024 * 1024

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class FileProblem(Exception):
    """A file that cannot be imported at all: HTTP status, a reason code, and what to do."""

    def __init__(
        self, status: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.details = {"reason": reason, **(details or {})}


def not_a_spreadsheet(extra: str = "") -> FileProblem:
    return FileProblem(
        415,
        "not_a_spreadsheet",
        "Tệp không phải bảng tính Excel (.xlsx) hay CSV." + (f" {extra}" if extra else ""),
    )


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula: its text, never evaluated."""

    text: str


@dataclass
class Sheet:
    """What was read: the format, the titles, and the data rows by their spreadsheet row number."""

    format: str  # "xlsx" | "csv"
    encoding: str | None
    sheet_name: str | None
    header_row: int
    titles: list[str]
    rows: list[tuple[int, list[Any]]]
    other_sheets: list[str] = field(default_factory=list)


def read_register(data: bytes, known_titles: Iterable[str]) -> Sheet:
    """Read a register file; `known_titles` (folded, compacted) find the row of column titles."""
    if not data.strip():
        raise FileProblem(422, "empty", "Tệp trống: không có dòng nào.")
    known = frozenset(known_titles)
    if data.startswith(OLE_MAGIC):
        raise not_a_spreadsheet("Tệp .xls cũ: hãy lưu lại dạng .xlsx (Excel Workbook) hoặc CSV.")
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, known)
    return _read_csv(data, known)


def title_key(title: Any) -> str:
    """A column title as it is compared: no diacritics, case, spaces or punctuation."""
    return re.sub(r"[\W_]+", "", fold(str(title or "")))


def clean_text(value: str) -> str:
    """Text as stored: NFC (Windows-1258 and macOS write tone marks apart), no-break spaces as
    spaces, surrounding space trimmed."""
    return unicodedata.normalize("NFC", value).replace("\u00a0", " ").strip()


def _cell(value: Any, formula: bool = False) -> Any:
    if value is None:
        return None
    if formula:
        return Formula(clean_text(str(value)))
    if isinstance(value, str):
        text = clean_text(value)
        return text or None
    if isinstance(value, datetime | date | time | bool | int | float):
        return value
    return clean_text(str(value)) or None


def _rows_after_header(
    rows: Iterator[tuple[int, list[Any]]], known: frozenset[str]
) -> tuple[int, list[str], list[tuple[int, list[Any]]]]:
    """Find the title row among the first rows, then collect the data rows below it."""
    header: tuple[int, list[Any]] | None = None
    for number, cells in rows:
        matches = sum(1 for c in cells if c is not None and title_key(_text(c)) in known)
        if matches >= 2:
            header = (number, cells)
            break
        if number >= HEADER_SEARCH:
            break
    if header is None:
        raise FileProblem(
            422,
            "no_header",
            "Không tìm thấy dòng tiêu đề cột (Khu phố, Chủ hộ, Địa chỉ, ...) trong "
            f"{HEADER_SEARCH} dòng đầu. Hãy dùng tệp mẫu.",
        )
    header_row, header_cells = header
    titles = [_text(c) if c is not None else "" for c in header_cells]
    while titles and not titles[-1]:
        titles.pop()
    if len(titles) > MAX_COLUMNS:
        raise FileProblem(
            422, "too_many_columns", f"Tệp có hơn {MAX_COLUMNS} cột; hãy dùng tệp mẫu."
        )
    data: list[tuple[int, list[Any]]] = []
    empty_run = 0
    for number, cells in rows:
        if all(c is None for c in cells):
            empty_run += 1
            if empty_run >= EMPTY_RUN:
                break
            continue
        empty_run = 0
        if len(data) >= MAX_ROWS:
            raise FileProblem(
                413,
                "too_many_rows",
                f"Tệp có hơn {MAX_ROWS:,} dòng; hãy chia thành nhiều tệp.".replace(",", "."),
                {"max_rows": MAX_ROWS},
            )
        width = len(titles)
        extra = [c for c in cells[width:] if c is not None]
        row = list(cells[:width]) + [None] * (width - len(cells))
        if extra:
            row.append(extra)  # cells beyond the titled columns: reported, never dropped
        data.append((number, row))
    if not data:
        raise FileProblem(422, "empty", "Tệp chỉ có dòng tiêu đề, không có hộ nào.")
    return header_row, titles, data


def _text(value: Any) -> str:
    if isinstance(value, Formula):
        return value.text
    return str(value)


# -- XLSX -------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, known: frozenset[str]) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise not_a_spreadsheet() from exc
    if unpacked > MAX_UNPACKED:
        raise FileProblem(413, "too_large", "Tệp quá lớn khi giải nén; hãy chia thành nhiều tệp.")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # a damaged or foreign zip fails in many ways inside openpyxl
        raise not_a_spreadsheet() from exc
    try:
        sheets = book.worksheets
        if not sheets:
            raise FileProblem(422, "empty", "Tệp không có trang tính nào.")
        sheet = sheets[0]
        header_row, titles, rows = _rows_after_header(_xlsx_rows(sheet), known)
        return Sheet(
            format="xlsx",
            encoding=None,
            sheet_name=sheet.title,
            header_row=header_row,
            titles=titles,
            rows=rows,
            other_sheets=[s.title for s in sheets[1:]],
        )
    except FileProblem:
        raise
    except Exception as exc:  # a damaged sheet inside a readable zip
        raise not_a_spreadsheet() from exc
    finally:
        book.close()


def _xlsx_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    # Read-only sheets yield every row from the first, empty ones included, so the count is the
    # row number Excel shows.
    rows = sheet.iter_rows(min_row=1, min_col=1, max_col=MAX_COLUMNS + 1)
    for number, row in enumerate(rows, start=1):
        yield number, [_cell(c.value, c.data_type == "f") for c in row]


# -- CSV --------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: a BOM says UTF-8 or UTF-16; without
    one, UTF-8 if it decodes, else Windows-1258 (what Excel saves "CSV" in on Vietnamese
    Windows)."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            text, encoding = data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text, encoding = data.decode("utf-16"), "utf-16"
        else:
            try:
                text, encoding = data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                text, encoding = data.decode("cp1258"), "windows-1258"
    except UnicodeDecodeError as exc:
        raise not_a_spreadsheet() from exc
    if CONTROL.search(text):
        # Binary data (an image, a PDF, a zip that is not a workbook) decodes to control
        # characters, which no typed register holds.
        raise not_a_spreadsheet()
    return text, encoding


def delimiter(text: str) -> str:
    """The separator the first line uses most: `,`, `;` (Excel where the decimal mark is a
    comma, Vietnamese Windows included) or tab (Excel's "Unicode Text")."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(data: bytes, known: frozenset[str]) -> Sheet:
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in enumerate(reader, start=1):
            if len(cells) > MAX_COLUMNS + 1:
                cells = cells[: MAX_COLUMNS + 1]
            yield number, [_cell(c) for c in cells]

    try:
        header_row, titles, data_rows = _rows_after_header(rows(), known)
    except csv.Error as exc:  # a NUL, or a cell longer than the csv module's limit
        raise not_a_spreadsheet(f"CSV không đọc được: {exc}.") from exc
    return Sheet(
        format="csv",
        encoding=encoding,
        sheet_name=None,
        header_row=header_row,
        titles=titles,
        rows=data_rows,
    )
