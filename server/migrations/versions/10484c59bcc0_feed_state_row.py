"""feed_state: the change feed's counter row (epoch, signing secret), made by the migration itself

Revision ID: 10484c59bcc0
Revises: b7c1d2e3f4a5
Create Date: 2026-11-28 08:00:00.000000

The row used to be added after the migrations, in a transaction of its own: a process killed
between the two left a database that looked ready while every push and pull failed. Made here, it
commits with the schema. Databases that already have it keep it (and their epoch).
"""
import secrets
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '10484c59bcc0'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade():
    op.get_bind().execute(
        sa.text(
            "INSERT INTO feed_state (id, seq, purged_seq, epoch, secret)"
            " SELECT 1, 0, 0, :epoch, :secret WHERE NOT EXISTS (SELECT 1 FROM feed_state WHERE id = 1)"
        ),
        {"epoch": str(uuid.uuid4()), "secret": secrets.token_urlsafe(32)},
    )


def downgrade():
    pass  # the row stays: the revisions before this one need it as much
