"""The report's indexes on `dated_on` and `campaign_id` hold only the records that have one, on
both databases, and the report's date range still reads its index (SQLite's plan)."""

from __future__ import annotations

from conftest import TEST_CONFIG
from sqlalchemy import bindparam, text

from server.extensions import db

BEFORE = "c4e8a2f6b1d9"
INDEXES = {
    "ix_records_collection_dated": "dated_on",
    "ix_records_collection_campaign": "campaign_id",
}
DATE_RANGE = (
    "SELECT count(*) FROM records WHERE collection = 'visits' AND deleted = false "
    "AND dated_on >= '2024-10-01' AND dated_on <= '2024-12-31'"
)


def conditions() -> dict[str, str | None]:
    """Each index's condition, as the database gives its definition back (None: the whole
    table)."""
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN :names"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN :names"
    statement = text(query).bindparams(bindparam("names", expanding=True))
    rows = db.session.execute(statement, {"names": list(INDEXES)}).all()
    db.session.commit()
    found = {}
    for name, definition in rows:
        _, _, where = definition.upper().partition(" WHERE ")
        found[name] = " ".join(where.replace("(", " ").replace(")", " ").split()) or None
    return found


def test_the_report_indexes_leave_out_records_without_a_date_or_campaign(fresh_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from server import create_app

    app = create_app({"DATABASE_URL": fresh_url, "MEDIA_DIR": str(tmp_path), **TEST_CONFIG})
    directory = app.extensions["migrate"].directory
    partial = {name: f"{column.upper()} IS NOT NULL" for name, column in INDEXES.items()}
    with app.app_context():
        try:
            upgrade(directory=directory)
            assert conditions() == partial
            if db.engine.dialect.name == "sqlite":
                plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {DATE_RANGE}")).all()
                assert any("ix_records_collection_dated" in row[-1] for row in plan), plan
            downgrade(directory=directory, revision=BEFORE)
            assert conditions() == dict.fromkeys(INDEXES)
            upgrade(directory=directory)
            assert conditions() == partial
        finally:
            db.session.remove()
            db.engine.dispose()
