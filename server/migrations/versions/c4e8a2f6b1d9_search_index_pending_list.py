"""records (PostgreSQL): the search index takes up to 16 MB of new entries before an insert merges them

The pg_trgm GIN index that `q` searches keeps new entries in a pending list, and the insert that
takes the list past `gin_pending_list_limit` (4 MB by default, a few pushes of households) merges
it into the index inside its own transaction: on a push, while it holds the feed lock every other
push waits for. The server processes now merge the list in the background once the feed has gone
a few thousand records past the last merge, which the `search_merged` sequence keeps
(`server.checkpoint`); the higher limit leaves the merge to an insert only when they fall behind.
SQLite's FTS5 index is not concerned.

Revision ID: c4e8a2f6b1d9
Revises: 9b5c7d3e1f26
Create Date: 2026-11-30 21:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e8a2f6b1d9'
down_revision = '9b5c7d3e1f26'
branch_labels = None
depends_on = None

# In kB, as `server.checkpoint.PENDING_LIMIT_KB` (a migration stands alone).
PENDING_LIMIT_KB = 16384


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER INDEX ix_records_search_trgm "
            f"SET (fastupdate = on, gin_pending_list_limit = {PENDING_LIMIT_KB})"
        )
        # The feed's seq at the last merge (none yet: the first push past a few thousand merges).
        op.execute("CREATE SEQUENCE IF NOT EXISTS search_merged MINVALUE 0 START WITH 0")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS search_merged")
        op.execute("ALTER INDEX ix_records_search_trgm RESET (fastupdate, gin_pending_list_limit)")
