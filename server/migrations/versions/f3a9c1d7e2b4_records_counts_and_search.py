"""records: a count per collection, neighbourhood and review status, and an index for `q`

`record_counts` holds how many live records each (collection, neighbourhood, review status) has,
kept by triggers on `records` in the writing transaction itself, so `total` of a record list
filtered only by scope, neighbourhood and review status is a sum of a few rows instead of a count
over the table. Records of no neighbourhood are counted under ''.

The search text gets an index that finds substrings: on SQLite a contentless FTS5 table with the
trigram tokenizer (`records_search`, its rowid the record's `seq`, kept by triggers), on
PostgreSQL a pg_trgm GIN index (LIKE '%…%' uses it; pg_trgm is a trusted extension, so the
database's owner may create it).

Triggers belong to the table: a later migration that rebuilds `records` on SQLite (batch mode
copies it into a new table) must create them again (`create_sqlite_triggers`).

Revision ID: f3a9c1d7e2b4
Revises: f1a2b3c4d5e6
Create Date: 2026-11-30 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a9c1d7e2b4'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


SQLITE_TRIGGERS = {
    # Counts: a live record adds one to its key, leaving the key (deleted, moved, reviewed) takes
    # one away.
    "records_count_insert": """
        CREATE TRIGGER records_count_insert AFTER INSERT ON records WHEN NOT NEW.deleted
        BEGIN
          INSERT INTO record_counts (collection, quarter_key, review_status, n)
          VALUES (NEW.collection, coalesce(NEW.quarter_id, ''), NEW.review_status, 1)
          ON CONFLICT (collection, quarter_key, review_status) DO UPDATE SET n = n + 1;
        END""",
    "records_count_delete": """
        CREATE TRIGGER records_count_delete AFTER DELETE ON records WHEN NOT OLD.deleted
        BEGIN
          UPDATE record_counts SET n = n - 1
          WHERE collection = OLD.collection AND quarter_key = coalesce(OLD.quarter_id, '')
            AND review_status = OLD.review_status;
        END""",
    "records_count_update": """
        CREATE TRIGGER records_count_update
        AFTER UPDATE OF collection, deleted, quarter_id, review_status ON records
        WHEN OLD.collection IS NOT NEW.collection OR OLD.deleted IS NOT NEW.deleted
          OR OLD.quarter_id IS NOT NEW.quarter_id OR OLD.review_status IS NOT NEW.review_status
        BEGIN
          UPDATE record_counts SET n = n - 1
          WHERE NOT OLD.deleted AND collection = OLD.collection
            AND quarter_key = coalesce(OLD.quarter_id, '') AND review_status = OLD.review_status;
          INSERT INTO record_counts (collection, quarter_key, review_status, n)
          SELECT NEW.collection, coalesce(NEW.quarter_id, ''), NEW.review_status, 1
          WHERE NOT NEW.deleted
          ON CONFLICT (collection, quarter_key, review_status) DO UPDATE SET n = n + 1;
        END""",
    # Search: one FTS row per record with a search text, under the record's seq (which every
    # write of the record renews). A contentless table removes a row given the text it indexed.
    "records_search_insert": """
        CREATE TRIGGER records_search_insert AFTER INSERT ON records WHEN NEW.search_text <> ''
        BEGIN
          INSERT INTO records_search (rowid, search_text) VALUES (NEW.seq, NEW.search_text);
        END""",
    "records_search_delete": """
        CREATE TRIGGER records_search_delete AFTER DELETE ON records WHEN OLD.search_text <> ''
        BEGIN
          INSERT INTO records_search (records_search, rowid, search_text)
          VALUES ('delete', OLD.seq, OLD.search_text);
        END""",
    "records_search_update": """
        CREATE TRIGGER records_search_update AFTER UPDATE OF seq, search_text ON records
        WHEN OLD.seq IS NOT NEW.seq OR OLD.search_text IS NOT NEW.search_text
        BEGIN
          INSERT INTO records_search (records_search, rowid, search_text)
          SELECT 'delete', OLD.seq, OLD.search_text WHERE OLD.search_text <> '';
          INSERT INTO records_search (rowid, search_text)
          SELECT NEW.seq, NEW.search_text WHERE NEW.search_text <> '';
        END""",
}

POSTGRES_COUNTS = """
CREATE FUNCTION records_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- One upsert per statement: the net change of each key over the rows it wrote.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO record_counts AS c (collection, quarter_key, review_status, n)
    SELECT collection, coalesce(quarter_id, ''), review_status, count(*) FROM new_rows
    WHERE NOT deleted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (collection, quarter_key, review_status) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE record_counts AS c SET n = c.n - gone.n
    FROM (
      SELECT collection, coalesce(quarter_id, '') AS quarter_key, review_status, count(*) AS n
      FROM old_rows WHERE NOT deleted GROUP BY 1, 2, 3
    ) AS gone
    WHERE c.collection = gone.collection AND c.quarter_key = gone.quarter_key
      AND c.review_status = gone.review_status;
  ELSE
    INSERT INTO record_counts AS c (collection, quarter_key, review_status, n)
    SELECT collection, quarter_key, review_status, sum(delta) FROM (
      SELECT collection, coalesce(quarter_id, '') AS quarter_key, review_status, 1 AS delta
      FROM new_rows WHERE NOT deleted
      UNION ALL
      SELECT collection, coalesce(quarter_id, ''), review_status, -1
      FROM old_rows WHERE NOT deleted
    ) AS changes
    GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (collection, quarter_key, review_status) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER records_count_insert AFTER INSERT ON records
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION records_count_changes();
CREATE TRIGGER records_count_delete AFTER DELETE ON records
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION records_count_changes();
CREATE TRIGGER records_count_update AFTER UPDATE ON records
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_count_changes();
"""


def create_sqlite_triggers() -> None:
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.create_table(
        'record_counts',
        sa.Column('collection', sa.String(length=20), nullable=False),
        sa.Column('quarter_key', sa.String(length=36), nullable=False),
        sa.Column('review_status', sa.String(length=12), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            'collection', 'quarter_key', 'review_status', name=op.f('pk_record_counts')
        ),
    )
    op.execute(
        "INSERT INTO record_counts (collection, quarter_key, review_status, n) "
        "SELECT collection, coalesce(quarter_id, ''), review_status, count(*) FROM records "
        "WHERE NOT deleted GROUP BY collection, coalesce(quarter_id, ''), review_status"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_COUNTS)
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_records_search_trgm ON records USING gin (search_text gin_trgm_ops)"
        )
    else:
        # case_sensitive 1: the text is folded already; a match is then exactly a substring.
        op.execute(
            "CREATE VIRTUAL TABLE records_search USING fts5("
            "search_text, content='', columnsize=0, tokenize='trigram case_sensitive 1')"
        )
        op.execute(
            "INSERT INTO records_search (rowid, search_text) "
            "SELECT seq, search_text FROM records WHERE search_text <> ''"
        )
        create_sqlite_triggers()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_records_search_trgm")
        for name in ("records_count_insert", "records_count_delete", "records_count_update"):
            op.execute(f"DROP TRIGGER {name} ON records")
        op.execute("DROP FUNCTION records_count_changes()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE records_search")
    op.drop_table('record_counts')
