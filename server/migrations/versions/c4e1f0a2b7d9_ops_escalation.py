"""ops: escalation of stranded changes to an admin (§6a)

Revision ID: c4e1f0a2b7d9
Revises: 8d3f6b2a9c17
Create Date: 2026-11-29 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1f0a2b7d9'
down_revision = '8d3f6b2a9c17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalation', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalation_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.JSON(), nullable=True))
        batch_op.create_index('ix_ops_escalation', ['escalation', 'escalated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ops', schema=None) as batch_op:
        batch_op.drop_index('ix_ops_escalation')
        batch_op.drop_column('decision')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by')
        batch_op.drop_column('escalation_note')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('escalation')
