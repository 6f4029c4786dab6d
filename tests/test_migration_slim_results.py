"""The migration that takes the record's fields out of the op log's results (its revision holds
them), on SQLite and PostgreSQL: results kept in full by an older server are slimmed where their
revision has exactly their fields, and every op, replayed after the upgrade, answers byte for
byte what it first answered; a result whose fields are not its revision's stays whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from conftest import TEST_CONFIG, household_fields, new_id, op, stored_results
from sqlalchemy import text

BEFORE = "a8e2c6f0b931"


def test_results_kept_whole_before_are_slimmed_and_replay_the_same(
    fresh_url: str, tmp_path: Path
) -> None:
    from flask_migrate import downgrade, upgrade

    from server import create_app
    from server.extensions import db
    from server.schemas import catalogue
    from sync.actor import Actor
    from sync.push import push

    app = create_app({"DATABASE_URL": fresh_url, "MEDIA_DIR": str(tmp_path), **TEST_CONFIG})
    directory = app.extensions["migrate"].directory
    admin = Actor(new_id(), "admin", None, "office-pc")
    quarter, household, other = new_id(), new_id(), new_id()
    ops = [
        op("quarters", quarter, {"code": "KP1", "name": "Khu phố 1"}),
        op("households", household, household_fields(quarter)),
        op("households", household, {"phone": "0987654321"}, base_rev=1),
        op("households", other, household_fields(quarter, head_name="Lê Văn Cường")),
        op("households", other, base_rev=1, delete=True),
        op("households", new_id(), household_fields(quarter, phone="1")),
    ]
    now = datetime(2024, 10, 12, 8, 0, tzinfo=UTC)
    with app.app_context():
        session = db.session
        upgrade(directory=directory)
        first = [orjson.dumps(r) for r in push(session, catalogue, admin, ops, now)]
        session.commit()
        assert "fields" not in stored_results(session)[ops[1]["op_id"]]["record"]
        # A migration that drops an index of `ops` waits for every transaction that read it.
        session.commit()

        # As an older server kept them: every result whole, a create's changes written out.
        downgrade(directory=directory, revision=BEFORE)
        whole = stored_results(session)
        assert all("fields" in whole[o["op_id"]]["record"] for o in ops[:5])
        history = session.execute(
            text("SELECT changes FROM revisions WHERE record_id = :id AND rev = 1"),
            {"id": household},
        ).scalar_one()
        changes = orjson.loads(history) if isinstance(history, str) else history
        assert changes["head_name"] == {"from": None, "to": "Nguyễn Văn An"}
        # One result whose fields are not its revision's (an older server's odd row).
        odd = whole[ops[3]["op_id"]]
        odd["record"]["fields"] = {**odd["record"]["fields"], "notes": "kept as it was"}
        session.execute(
            text("UPDATE ops SET result = :result WHERE op_id = :op_id"),
            {"result": orjson.dumps(odd).decode(), "op_id": ops[3]["op_id"]},
        )
        session.commit()

        upgrade(directory=directory)
        slim = stored_results(session)
        assert [("fields" in slim[o["op_id"]]["record"]) for o in ops[:5]] == [
            False,
            False,
            False,
            True,
            False,
        ]
        assert slim[ops[5]["op_id"]]["record"] is None
        replayed = push(session, catalogue, admin, ops, now)
        session.commit()
        assert [r.pop("replayed") for r in replayed] == [True] * len(ops)
        expected = [*first[:3], orjson.dumps(odd), *first[4:]]
        assert [orjson.dumps(r) for r in replayed] == expected
        db.engine.dispose()
