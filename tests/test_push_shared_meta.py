"""The op log keeps a record meta once per push (§4 replays, `UnitOfWork.kept_result`): the
later ops of a push that answered with the same meta name the op that holds it. A replay of any
of them, alone or not, answers byte for byte what it first answered, people's names as they were
then included; downgrading the database writes each shared meta back into every result."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from conftest import TEST_CONFIG, household_fields, new_id, op, stored_results
from sqlalchemy import text

BEFORE = "0b6d2e8f4c31"


def test_later_ops_of_a_push_replay_alone_with_the_meta_they_first_had(
    fresh_url: str, tmp_path: Path
) -> None:
    from flask_migrate import downgrade, upgrade

    from server import create_app
    from server.extensions import db
    from server.schemas import catalogue
    from server.users import add_user
    from sync.actor import Actor
    from sync.push import push

    app = create_app({"DATABASE_URL": fresh_url, "MEDIA_DIR": str(tmp_path), **TEST_CONFIG})
    directory = app.extensions["migrate"].directory
    now = datetime(2024, 10, 12, 8, 0, tzinfo=UTC)
    one, two, household = new_id(), new_id(), new_id()
    with app.app_context():
        session = db.session
        upgrade(directory=directory)
        user = add_user(session, "chi", "a-long-password", role="admin", display_name="Chị Lan")
        session.commit()
        admin = Actor(user.id, "admin", None, "office-pc")
        setup = [
            op("quarters", one, {"code": "KP1", "name": "Khu phố 1"}),
            op("quarters", two, {"code": "KP2", "name": "Khu phố 2"}),
        ]
        push(session, catalogue, admin, setup, now)
        session.commit()
        ops = [
            op("households", household, household_fields(one)),
            op("households", new_id(), household_fields(one, head_name="Lê Văn Cường")),
            op("households", new_id(), household_fields(two, head_name="Trần Thị Bích")),
            op("households", household, {"phone": "0987654321"}, base_rev=1),
            op("households", new_id(), household_fields(two, head_name="Phạm Minh Đức")),
        ]
        first = [orjson.dumps(r) for r in push(session, catalogue, admin, ops, now)]
        session.commit()
        # One meta per neighbourhood in this push: the first op of each holds it.
        kept = stored_results(session)
        records = [kept[o["op_id"]]["record"] for o in ops]
        assert ["meta" in r for r in records] == [True, False, True, False, False]
        assert [r.get("meta_of") for r in records] == [
            None,
            ops[0]["op_id"],
            None,
            ops[0]["op_id"],
            ops[2]["op_id"],
        ]

        # Renamed since: a replay still gives the name the first answer gave.
        session.execute(text("UPDATE users SET display_name = 'Chị Lan Anh'"))
        session.commit()
        for batch in ([ops[4]], [ops[3], ops[1]], ops):
            replayed = push(session, catalogue, admin, batch, now)
            session.commit()
            assert all(r.pop("replayed") for r in replayed)
            assert [orjson.dumps(r) for r in replayed] == [first[ops.index(o)] for o in batch]

        downgrade(directory=directory, revision=BEFORE)
        whole = stored_results(session)
        assert all("meta" in whole[o["op_id"]]["record"] for o in ops)
        assert not any("meta_of" in whole[o["op_id"]]["record"] for o in ops)
        # A migration that drops an index of `ops` waits for every transaction that read it.
        session.commit()
        upgrade(directory=directory)
        replayed = push(session, catalogue, admin, ops, now)
        session.commit()
        assert [r.pop("replayed") for r in replayed] == [True] * len(ops)
        assert [orjson.dumps(r) for r in replayed] == first
        db.engine.dispose()
