"""ops: a result keeps its record without the fields, which its revision holds

Every op's result held a full copy of the record it answered with, though the revision it names
(collection, id, rev) holds the same fields: the engine now writes the result without them and a
replay reads them back from that revision (`sync.unit_of_work`). This slims the rows written
before, each only where its revision's fields are exactly the result's (same values, same
order), so a replay still answers byte for byte what it first answered; any other row stays as
it is, which the engine reads as before. Downgrading puts the fields back, and writes out the
changes of the creates written without them (`sync.records.changes_of`).

Revision ID: 0b6d2e8f4c31
Revises: a8e2c6f0b931
Create Date: 2026-11-30 10:45:00.000000

"""
import json

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0b6d2e8f4c31'
down_revision = 'a8e2c6f0b931'
branch_labels = None
depends_on = None

BATCH = 2000

ops = sa.table("ops", sa.column("pk", sa.BigInteger), sa.column("result", sa.JSON))
revisions = sa.table(
    "revisions",
    sa.column("collection", sa.String),
    sa.column("record_id", sa.String),
    sa.column("rev", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("changes", sa.JSON),
    sa.column("fields", sa.JSON),
)


def exact(value):
    """A JSON value's text with its keys in their order: equal only if a reply would be."""
    return json.dumps(value, ensure_ascii=False)


def record_key(result):
    """The revision a result's record is at, or None for a result with no record."""
    record = result.get("record") if isinstance(result, dict) else None
    if not isinstance(record, dict):
        return None
    key = (record.get("collection"), record.get("id"), record.get("rev"))
    if not (isinstance(key[0], str) and isinstance(key[1], str) and isinstance(key[2], int)):
        return None
    return key


def fields_at(bind, keys):
    """The fields of these revisions, by (collection, record id, rev)."""
    found = {}
    keys = sorted(keys)
    for start in range(0, len(keys), 500):
        rows = bind.execute(
            sa.select(
                revisions.c.collection, revisions.c.record_id, revisions.c.rev, revisions.c.fields
            ).where(
                sa.tuple_(revisions.c.collection, revisions.c.record_id, revisions.c.rev).in_(
                    keys[start : start + 500]
                )
            )
        )
        found.update(((c, i, r), f) for c, i, r, f in rows)
    return found


def rewrite_results(change):
    """Rewrite the ops' results in batches: `change(result, fields)` gives the new result, or
    None to leave the row as it is."""
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
        keyed = [(pk, result, key) for pk, result in rows if (key := record_key(result))]
        found = fields_at(bind, {key for _, _, key in keyed})
        updates = []
        for pk, result, key in keyed:
            if key in found and (new := change(result, found[key])) is not None:
                updates.append({"k": pk, "new": new})
        if updates:
            bind.execute(
                ops.update().where(ops.c.pk == sa.bindparam("k")).values(result=sa.bindparam("new")),
                updates,
            )


def slimmed(result, fields):
    record = result["record"]
    if "fields" not in record or exact(record["fields"]) != exact(fields):
        return None
    return {**result, "record": {k: v for k, v in record.items() if k != "fields"}}


def filled(result, fields):
    record = result["record"]
    if "fields" in record:
        return None
    whole = {}
    for name, value in record.items():
        whole[name] = value
        if name == "deleted":
            whole["fields"] = fields
    return {**result, "record": whole}


def upgrade():
    rewrite_results(slimmed)


def downgrade():
    rewrite_results(filled)
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            revisions.c.collection, revisions.c.record_id, revisions.c.rev, revisions.c.fields
        ).where(revisions.c.kind == "create", sa.cast(revisions.c.changes, sa.Text) == "{}")
    ).all()
    updates = [
        {
            "c": c,
            "i": i,
            "r": r,
            "changes": {
                name: {"from": None, "to": fields[name]}
                for name in sorted(fields)
                if fields[name] is not None
            },
        }
        for c, i, r, fields in rows
        if fields
    ]
    if updates:
        bind.execute(
            revisions.update()
            .where(
                revisions.c.collection == sa.bindparam("c"),
                revisions.c.record_id == sa.bindparam("i"),
                revisions.c.rev == sa.bindparam("r"),
            )
            .values(changes=sa.bindparam("changes")),
            updates,
        )
