"""photos: every complete photo gets its record in the feed (collection `photos`)

Revision ID: f1a2b3c4d5e6
Revises: e7f8a9b0c1d2
Create Date: 2026-11-30 04:30:00.000000

From now on the server writes a photo's record in the feed in the transaction that records the
complete upload, so other devices learn of the photo. The photos already there get theirs here,
at rev 1, made by whoever sent the photo when it arrived, in the neighbourhood and household of
the record they are of, with fresh sequence numbers (taken under the feed lock, as every writer
takes them: see sync/feed.py), so every device pulls them after its cursor. No schema change.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'e7f8a9b0c1d2'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
feed_state = sa.table("feed_state", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger))
photos = sa.table(
    "photos",
    sa.column("id", sa.String),
    sa.column("collection", sa.String),
    sa.column("record_id", sa.String),
    sa.column("size", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("content_type", sa.String),
    sa.column("width", sa.Integer),
    sa.column("height", sa.Integer),
    sa.column("uploaded_by", sa.String),
    sa.column("device_id", sa.String),
    sa.column("uploaded_at", TS),
)
records = sa.table(
    "records",
    sa.column("collection", sa.String),
    sa.column("id", sa.String),
    sa.column("rev", sa.Integer),
    sa.column("deleted", sa.Boolean),
    sa.column("fields", sa.JSON),
    sa.column("quarter_id", sa.String),
    sa.column("household_id", sa.String),
    sa.column("seq", sa.BigInteger),
    sa.column("created_at", TS),
    sa.column("created_by", sa.String),
    sa.column("updated_at", TS),
    sa.column("updated_by", sa.String),
    sa.column("review_status", sa.String),
    sa.column("open_conflicts", sa.Integer),
    sa.column("search_text", sa.Text),
)
revisions = sa.table(
    "revisions",
    sa.column("collection", sa.String),
    sa.column("record_id", sa.String),
    sa.column("rev", sa.Integer),
    sa.column("at", TS),
    sa.column("user_id", sa.String),
    sa.column("device_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("changes", sa.JSON),
    sa.column("fields", sa.JSON),
    sa.column("deleted", sa.Boolean),
    sa.column("op_id", sa.String),
)


def upgrade():
    bind = op.get_bind()
    # The feed lock first (the row lock on PostgreSQL, the write lock on SQLite).
    bind.execute(feed_state.update().where(feed_state.c.id == 1).values(seq=feed_state.c.seq))
    seq = bind.execute(sa.select(feed_state.c.seq).where(feed_state.c.id == 1)).scalar_one()
    of = records.alias("of")
    mine = records.alias("mine")
    rows = bind.execute(
        sa.select(photos, of.c.quarter_id, of.c.household_id)
        .join(of, (of.c.collection == photos.c.collection) & (of.c.id == photos.c.record_id))
        .where(
            ~sa.exists().where((mine.c.collection == "photos") & (mine.c.id == photos.c.id))
        )
        .order_by(photos.c.uploaded_at, photos.c.id)
    ).all()
    new_records, new_revisions = [], []
    for row in rows:
        seq += 1
        fields = {
            "record_collection": row.collection,
            "record_id": row.record_id,
            "household_id": row.household_id,
            "size": row.size,
            "sha256": row.sha256,
            "content_type": row.content_type,
            "width": row.width,
            "height": row.height,
        }
        new_records.append(
            {
                "collection": "photos",
                "id": row.id,
                "rev": 1,
                "deleted": False,
                "fields": fields,
                "quarter_id": row.quarter_id,
                "household_id": row.household_id,
                "seq": seq,
                "created_at": row.uploaded_at,
                "created_by": row.uploaded_by,
                "updated_at": row.uploaded_at,
                "updated_by": row.uploaded_by,
                "review_status": "pending",
                "open_conflicts": 0,
                "search_text": "",
            }
        )
        new_revisions.append(
            {
                "collection": "photos",
                "record_id": row.id,
                "rev": 1,
                "at": row.uploaded_at,
                "user_id": row.uploaded_by,
                "device_id": row.device_id,
                "kind": "create",
                "changes": {name: {"from": None, "to": fields[name]} for name in sorted(fields)},
                "fields": fields,
                "deleted": False,
                "op_id": None,
            }
        )
    if new_records:
        bind.execute(records.insert(), new_records)
        bind.execute(revisions.insert(), new_revisions)
        bind.execute(feed_state.update().where(feed_state.c.id == 1).values(seq=seq))


def downgrade():
    bind = op.get_bind()
    bind.execute(revisions.delete().where(revisions.c.collection == "photos"))
    bind.execute(records.delete().where(records.c.collection == "photos"))
    bind.execute(sa.text("DELETE FROM moves WHERE collection = 'photos'"))
