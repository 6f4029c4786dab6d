"""records: the counts and the search index are written by the engine, not by triggers

The triggers of f3a9c1d7e2b4 kept `record_counts` and (on SQLite) the FTS5 table
`records_search` row by row: an upsert per record written, and an FTS5 insert per record inside a
trigger, where FTS5 writes out its pending terms at each statement (a new index segment for every
record, merged again later). They cost a push about a third of its time. The engine now writes
both itself, in the transaction that writes the records (`sync.derived`): one upsert per count
key and one insert of all the search texts per flush. Counts and index are already exact; only
the triggers go. A migration that rebuilds `records` has no triggers to make again.

Revision ID: a8e2c6f0b931
Revises: f3a9c1d7e2b4
Create Date: 2026-11-30 07:40:00.000000

"""
import importlib

from alembic import op


# revision identifiers, used by Alembic.
revision = 'a8e2c6f0b931'
down_revision = 'f3a9c1d7e2b4'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    "records_count_insert",
    "records_count_delete",
    "records_count_update",
    "records_search_insert",
    "records_search_delete",
    "records_search_update",
)
POSTGRES_TRIGGERS = ("records_count_insert", "records_count_delete", "records_count_update")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON records")
        op.execute("DROP FUNCTION IF EXISTS records_count_changes()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def downgrade():
    earlier = importlib.import_module(
        "server.migrations.versions.f3a9c1d7e2b4_records_counts_and_search"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(earlier.POSTGRES_COUNTS)
    else:
        earlier.create_sqlite_triggers()
