"""feed_state: the secret that signs pull cursors

Revision ID: b7c1d2e3f4a5
Revises: 98afd0b0ba79
Create Date: 2026-12-01 09:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = '98afd0b0ba79'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feed_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.String(length=64), nullable=True))
    # A database that already has its feed gets its own secret now (older cursors become 400).
    feed_state = sa.table('feed_state', sa.column('secret', sa.String))
    op.get_bind().execute(feed_state.update().values(secret=secrets.token_urlsafe(32)))
    with op.batch_alter_table('feed_state', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table('feed_state', schema=None) as batch_op:
        batch_op.drop_column('secret')
