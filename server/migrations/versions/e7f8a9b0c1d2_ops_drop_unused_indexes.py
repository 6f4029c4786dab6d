"""ops: drop the indexes on user_id and record_id, which no query uses (every push paid to keep them)

Revision ID: e7f8a9b0c1d2
Revises: d5e6f7a8b9c0
Create Date: 2026-11-30 02:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e7f8a9b0c1d2'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_ops_user_id', table_name='ops')
    op.drop_index('ix_ops_record_id', table_name='ops')


def downgrade():
    op.create_index('ix_ops_record_id', 'ops', ['record_id'], unique=False)
    op.create_index('ix_ops_user_id', 'ops', ['user_id'], unique=False)
