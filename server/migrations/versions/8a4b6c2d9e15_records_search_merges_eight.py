"""records_search (SQLite): FTS5 merges its segments eight at a time instead of four

Every push adds a segment of trigrams to the contentless FTS5 index that `q` searches, and FTS5
merges segments of one level into the next as they pile up: by default once there are 4
(`automerge`), so each trigram is written again at every level, and a push of 1,000 households
paid about as much again for merging as for its own segment. At 8 there are fewer levels to
pass through: measured over 60 pushes of 1,000 of the bench's households, 5.8-6.0 ms of index
work per push instead of 7.7-11.3 ms, with a search as quick (a query reads at most 7 segments a
level instead of 3, of about half as many levels). PostgreSQL's pg_trgm index is not concerned.

Revision ID: 8a4b6c2d9e15
Revises: 6c1e9a3f2d70
Create Date: 2026-11-30 16:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8a4b6c2d9e15'
down_revision = '6c1e9a3f2d70'
branch_labels = None
depends_on = None


def merge_at(segments):
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "INSERT INTO records_search (records_search, rank) "
            f"VALUES ('automerge', {segments})"
        )


def upgrade():
    merge_at(8)


def downgrade():
    merge_at(4)
