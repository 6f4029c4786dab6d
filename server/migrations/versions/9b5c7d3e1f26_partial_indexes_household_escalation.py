"""records and ops: the household and escalation indexes hold only rows that have one

`ix_records_household_id` held an entry for every record, households included (whose
`household_id` is null), and `ix_ops_escalation` one for every op, though only escalated ops
have an escalation. Every read on either asks for a value (one household's records, the ops in
an escalation state), which a null never matches: each index now holds only the rows that are
not null, and a push of 1,000 household creates writes 2,000 index entries fewer.

Revision ID: 9b5c7d3e1f26
Revises: 8a4b6c2d9e15
Create Date: 2026-11-30 16:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b5c7d3e1f26'
down_revision = '8a4b6c2d9e15'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_records_household_id", "records", ["household_id"], "household_id IS NOT NULL"),
    ("ix_ops_escalation", "ops", ["escalation", "escalated_at"], "escalation IS NOT NULL"),
]


def upgrade():
    for name, table, columns, where in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(
            name,
            table,
            columns,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade():
    for name, table, columns, _ in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
