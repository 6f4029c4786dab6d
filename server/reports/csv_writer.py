"""The report as CSV (UTF-8 with a BOM, for Excel): first one grid, a row per figure (table,
figure) and a column per neighbourhood and the total, numbers plain (money in đồng, shares in
percent) so that a spreadsheet can add them up; then each list, under its title."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from .cells import BOM, csv_cell
from .sections import Column, Document, Table

UNIT = {"money": " (đồng)", "share": " (%)"}


def figure_value(column: Column, value: Any) -> Any:
    """A figure as a spreadsheet reads it: a share in percent with one decimal, "" for none."""
    if column.kind == "share":
        return "" if value is None else round(value * 100, 1)
    return value


def grid(tables: Iterable[Table]) -> list[list[Any]]:
    """The neighbourhood tables as one grid: a row per figure, a column per row of the tables."""
    tables = list(tables)
    if not tables:
        return []
    rows: list[list[Any]] = [["Mục", "Chỉ tiêu", *(row[0] for row in tables[0].rows)]]
    for table in tables:
        for index, column in enumerate(table.columns[1:], start=1):
            title = column.title + UNIT.get(column.kind, "")
            values = (figure_value(column, row[index]) for row in table.rows)
            rows.append([table.title, title, *values])
    return rows


def listing(table: Table) -> list[list[Any]]:
    """A list under its title, after an empty row."""
    return [[], [table.title], [c.title for c in table.columns], *map(list, table.rows)]


def report_csv(doc: Document) -> bytes:
    """The whole report as one CSV file."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows = grid(t for t in doc.tables if t.by_quarter)
    for table in doc.tables:
        if not table.by_quarter:
            rows += listing(table)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")
