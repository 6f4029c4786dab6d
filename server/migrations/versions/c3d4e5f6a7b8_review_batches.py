"""review_batches: bulk reviews, kept so that their reviewer can undo them

Revision ID: c3d4e5f6a7b8
Revises: c4e1f0a2b7d9
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'c4e1f0a2b7d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'review_batches',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('collection', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_batches')),
    )
    with op.batch_alter_table('review_batches', schema=None) as batch_op:
        batch_op.create_index('ix_review_batches_user_at', ['user_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('review_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_review_batches_user_at')
    op.drop_table('review_batches')
