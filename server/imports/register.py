"""The register an import is compared with, read from the database: neighbourhoods, groups, and
the households of the neighbourhoods the file names. Then `preview_file`: the file, read and
previewed against it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.models import Record

from ..schemas import catalogue
from ..vocabulary import labels
from .preview import (
    TITLE_KEYS,
    CellError,
    Group,
    Household,
    Preview,
    Quarter,
    References,
    Register,
    file_digest,
    map_columns,
    preview,
)
from .reading import Sheet, read_register


def _live(session: Session, collection: str) -> list[tuple[str, dict]]:
    rows = session.execute(
        select(Record.id, Record.fields)
        .where(Record.collection == collection, Record.deleted.is_(False))
        .order_by(Record.created_at, Record.id)
    )
    return [(row.id, row.fields) for row in rows]


def reference_data(session: Session) -> Register:
    """Neighbourhoods (by code), groups, and the categories' words; no households yet."""
    quarters = sorted(
        (
            Quarter(id, str(f.get("code") or ""), str(f.get("name") or ""))
            for id, f in _live(session, "quarters")
        ),
        key=lambda q: (len(q.code), q.code),
    )
    groups = [
        Group(id, str(f.get("quarter_id") or ""), str(f.get("name") or ""))
        for id, f in _live(session, "groups")
    ]
    return Register(quarters, groups, (), labels("category"))


def quarters_named(sheet: Sheet, register: Register) -> set[str]:
    """The neighbourhoods the file's "Khu phố" cells name (those that name one)."""
    mapped, _, _ = map_columns(sheet)
    index = next(i for i, key in mapped.items() if key == "quarter")
    refs = References(register)
    named: set[str] = set()
    for value in {cells[index] for _, cells in sheet.rows if cells[index] is not None}:
        try:
            named.add(refs.quarter(value))
        except CellError:
            continue
    return named


def load_register(session: Session, sheet: Sheet) -> Register:
    """The register as the file is compared with it: its neighbourhoods' households, oldest
    first (the first of two alike is the one a row matches)."""
    register = reference_data(session)
    named = sorted(quarters_named(sheet, register))
    households: list[Household] = []
    for start in range(0, len(named), 500):
        rows = session.execute(
            select(Record.id, Record.rev, Record.fields)
            .where(
                Record.collection == "households",
                Record.deleted.is_(False),
                Record.quarter_id.in_(named[start : start + 500]),
            )
            .order_by(Record.created_at, Record.id)
        )
        households += [Household(row.id, row.rev, row.fields) for row in rows]
    return replace(register, households=households)


def preview_file(session: Session, data: bytes, now: datetime) -> Preview:
    """Read the file (a `FileProblem` if it cannot be) and preview it against the register."""
    sheet = read_register(data, TITLE_KEYS)
    register = load_register(session, sheet)
    return preview(sheet, register, file_digest(data), catalogue["households"].validate, now)
