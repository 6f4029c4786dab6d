"""ops: the results of one push share their record meta

The engine now keeps a result's record meta (neighbourhood, unit, moments, people with their
names as they were, review) whole only in the first op of a push that answers with it; each
later op of that push with the same meta keeps `meta_of`, that op's id, and a replay reads it
from there (`sync.unit_of_work`). Results kept before hold their meta whole, which the engine
reads as before: nothing to rewrite on the way up. Downgrading writes every shared meta back
into each result that names it, as an older server reads them.

Revision ID: 6c1e9a3f2d70
Revises: 0b6d2e8f4c31
Create Date: 2026-11-30 16:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '6c1e9a3f2d70'
down_revision = '0b6d2e8f4c31'
branch_labels = None
depends_on = None

BATCH = 2000

ops = sa.table(
    "ops", sa.column("pk", sa.BigInteger), sa.column("op_id", sa.String), sa.column("result", sa.JSON)
)


def shared_from(result):
    """The op id a result's record takes its meta from, or None."""
    record = result.get("record") if isinstance(result, dict) else None
    return record.get("meta_of") if isinstance(record, dict) else None


def upgrade():
    pass


def downgrade():
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(ops.c.pk, ops.c.result)
            .where(ops.c.pk > last)
            .order_by(ops.c.pk)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1].pk
        sharing = [(pk, result) for pk, result in rows if shared_from(result)]
        holders = sorted({shared_from(result) for _, result in sharing})
        metas = {}
        for start in range(0, len(holders), 500):
            found = bind.execute(
                sa.select(ops.c.op_id, ops.c.result).where(
                    ops.c.op_id.in_(holders[start : start + 500])
                )
            )
            metas.update((op_id, result["record"]["meta"]) for op_id, result in found)
        updates = []
        for pk, result in sharing:
            record = {}
            for name, value in result["record"].items():
                if name == "meta_of":
                    record["meta"] = metas[value]
                else:
                    record[name] = value
            updates.append({"k": pk, "new": {**result, "record": record}})
        if updates:
            bind.execute(
                ops.update().where(ops.c.pk == sa.bindparam("k")).values(result=sa.bindparam("new")),
                updates,
            )
