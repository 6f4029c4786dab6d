"""records: unit_id, the creator's unit, backfilled from the creators of field records

Revision ID: 8d3f6b2a9c17
Revises: 5a1c9e7d2b40
Create Date: 2026-12-05 09:01:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d3f6b2a9c17'
down_revision = '5a1c9e7d2b40'
branch_labels = None
depends_on = None

# The field data (sync.catalogue.FIELD_DATA as of this revision): what is counted per unit.
FIELD_DATA = ("households", "visits", "registrations", "support", "assessments", "nominations")


def upgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.String(length=36), nullable=True))
    backfill()


def backfill():
    """Field records already there carry their creator's unit (as it is now)."""
    records = sa.table(
        "records",
        sa.column("collection", sa.String),
        sa.column("created_by", sa.String),
        sa.column("unit_id", sa.String),
    )
    users = sa.table("users", sa.column("id", sa.String), sa.column("unit_id", sa.String))
    creator_unit = (
        sa.select(users.c.unit_id).where(users.c.id == records.c.created_by).scalar_subquery()
    )
    op.get_bind().execute(
        records.update()
        .where(records.c.collection.in_(FIELD_DATA), records.c.unit_id.is_(None))
        .values(unit_id=creator_unit)
    )


def downgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('unit_id')
