"""The migration that gives photos already uploaded their record in the feed (collection `photos`),
on SQLite and PostgreSQL: a device pulling after its cursor learns of them, in the neighbourhood of
the record each photo is of, and a device of another neighbourhood does not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from conftest import TEST_CONFIG, new_id
from sqlalchemy import text

BEFORE = "e7f8a9b0c1d2"


def record_row(collection: str, record_id: str, fields: dict[str, Any], quarter: str, seq: int):
    return {
        "collection": collection,
        "id": record_id,
        "fields": json.dumps(fields),
        "quarter": quarter,
        "household": fields.get("household_id"),
        "seq": seq,
    }


def test_photos_uploaded_before_get_their_feed_records(fresh_url: str, tmp_path: Path) -> None:
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db
    from sync.feed import pull

    app = create_app({"DATABASE_URL": fresh_url, "MEDIA_DIR": str(tmp_path), **TEST_CONFIG})
    directory = app.extensions["migrate"].directory
    quarter, household, visit, photo, user = (new_id() for _ in range(5))
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        session = db.session
        rows = [
            record_row("quarters", quarter, {"code": "KP1", "name": "Khu phố 1"}, quarter, 1),
            record_row("households", household, {"quarter_id": quarter}, quarter, 2),
            record_row("visits", visit, {"household_id": household}, quarter, 3),
        ]
        session.execute(
            text(
                "INSERT INTO records (collection, id, rev, deleted, fields, quarter_id, "
                "household_id, seq, created_at, updated_at, review_status, open_conflicts, "
                "search_text) VALUES (:collection, :id, 1, false, :fields, :quarter, :household, "
                ":seq, '2024-10-12 08:00:00', '2024-10-12 08:00:00', 'pending', 0, '')"
            ),
            rows,
        )
        session.execute(text("UPDATE feed_state SET seq = 3"))
        session.execute(
            text(
                "INSERT INTO photos (id, collection, record_id, size, sha256, content_type, "
                "width, height, uploaded_by, device_id, uploaded_at) VALUES (:id, 'visits', "
                ":visit, 1234, :sha, 'image/jpeg', 1600, 1200, :user, 'phone-1', "
                "'2024-10-12 09:00:00')"
            ),
            {"id": photo, "visit": visit, "sha": "a" * 64, "user": user},
        )
        session.commit()
        cursor = pull(session, frozenset({quarter}), None, 500, user=user, secret=b"s")["cursor"]
        session.commit()  # a migration waits for the reads under way (PostgreSQL locks)

        upgrade(directory=directory)
        # As a device reads it: the stored fields pass through as their JSON text.
        page = orjson.loads(
            orjson.dumps(pull(session, frozenset({quarter}), cursor, 500, user=user, secret=b"s"))
        )
        assert [(c["op"], c["collection"], c["id"]) for c in page["changes"]] == [
            ("upsert", "photos", photo)
        ]
        record = page["changes"][0]["record"]
        assert record["fields"] == {
            "record_collection": "visits",
            "record_id": visit,
            "household_id": household,
            "size": 1234,
            "sha256": "a" * 64,
            "content_type": "image/jpeg",
            "width": 1600,
            "height": 1200,
        }
        assert record["rev"] == 1
        assert record["meta"]["quarter_id"] == quarter
        assert record["meta"]["created_by"]["id"] == user
        assert record["meta"]["created_at"].startswith("2024-10-12T09:00:00")
        assert session.execute(
            text("SELECT kind, device_id FROM revisions WHERE record_id = :id"), {"id": photo}
        ).all() == [("create", "phone-1")]
        assert session.execute(text("SELECT seq FROM feed_state")).scalar_one() == 4
        # Another neighbourhood's device does not get it.
        elsewhere = pull(session, frozenset({new_id()}), None, 500, user=user, secret=b"s")
        assert elsewhere["changes"] == []
        session.commit()
        db.engine.dispose()
