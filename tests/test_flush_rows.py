"""The flush's own INSERT (`sync.unit_of_work.insert_rows`) writes what SQLAlchemy's would."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
)

from sync.unit_of_work import insert_rows


def twin_tables() -> tuple[MetaData, Table, Table]:
    metadata = MetaData()
    tables = [
        Table(
            name,
            metadata,
            Column("id", String(36), primary_key=True),
            Column("note", String(20)),
            Column("at", DateTime(timezone=True)),
            Column("flag", Boolean),
            Column("extra", JSON),
        )
        for name in ("ours", "theirs")
    ]
    return metadata, tables[0], tables[1]


def test_columns_null_in_every_row_are_stored_as_sqlalchemy_stores_them():
    """A column null in every row may be left out of the INSERT, but a JSON column's None is
    the JSON text null, not SQL NULL, and must stay so."""
    metadata, ours, theirs = twin_tables()
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    now = datetime(2024, 10, 12, 1, 30, tzinfo=UTC)
    rows = [
        {"id": f"r{n}", "note": None, "at": now if n % 2 else None, "flag": None, "extra": None}
        for n in range(4)
    ]
    with engine.begin() as connection:
        insert_rows(connection, ours, rows)
        connection.execute(insert(theirs), rows)
        shown = "SELECT id, typeof(note), typeof(at), at, typeof(flag), typeof(extra), extra FROM "
        stored = connection.exec_driver_sql(shown + "ours ORDER BY id").all()
        expected = connection.exec_driver_sql(shown + "theirs ORDER BY id").all()
    assert stored == expected
    assert {row[5] for row in stored} == {"text"}  # the JSON null
