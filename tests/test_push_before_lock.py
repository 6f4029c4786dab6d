"""A push on PostgreSQL is worked out before the feed lock and only checked and written under it
(`UnitOfWork.lock_unchanged`): what another process wrote meanwhile is never overwritten nor
applied twice, the push is done again when it read something that changed, and its sequence
numbers follow the other's when it did not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

NOW = datetime(2024, 10, 12, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(app, admin, is_postgres):
    """The engine's push as the server calls it, for an admin, in the app's session."""
    if not is_postgres:
        pytest.skip("only a push on PostgreSQL works before it takes the feed lock")
    from server.extensions import db
    from server.schemas import catalogue
    from sync.actor import Actor
    from sync.push import push

    actor = Actor(admin.id, "admin", None, "office-pc")

    def run(session: Session, *ops: dict[str, Any]) -> list[dict[str, Any]]:
        return push(session, catalogue, actor, list(ops), NOW)

    with app.app_context():
        yield run, db


@pytest.fixture
def meanwhile(monkeypatch) -> Callable[[Callable[[], None]], list[int]]:
    """Run `write` (another process's push, committed) just before the next push takes the feed
    lock; returns the list of `Push.run` calls' op counts, to see a push done again."""
    from sync.push import Push
    from sync.unit_of_work import UnitOfWork

    def arrange(write: Callable[[], None]) -> list[int]:
        runs: list[int] = []
        original_lock, original_run = UnitOfWork.lock_unchanged, Push.run
        pending = [write]

        def lock_unchanged(self: UnitOfWork) -> bool:
            if pending:
                pending.pop()()
            return original_lock(self)

        def run(self: Push, raw_ops: list[Any]) -> list[dict[str, Any]]:
            runs.append(len(raw_ops))
            return original_run(self, raw_ops)

        monkeypatch.setattr(UnitOfWork, "lock_unchanged", lock_unchanged)
        monkeypatch.setattr(Push, "run", run)
        return runs

    return arrange


def test_a_record_written_meanwhile_has_the_push_done_again_under_the_lock(
    engine, meanwhile, household, build, field
):
    run, db = engine
    other = build.op("households", household["id"], {"address": "7 Lý Thường Kiệt"}, base_rev=1)
    ours = build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)

    def write() -> None:
        with Session(db.engine) as session:
            [result] = run(session, other)
            session.commit()
        assert (result["status"], result["rev"]) == ("applied", 2)

    runs = meanwhile(write)
    [result] = run(db.session, ours)
    db.session.commit()
    # As if it had come after the other: a merge on rev 2, nothing of either lost.
    assert (result["status"], result["rev"]) == ("merged", 3)
    assert runs == [1, 1, 1], "worked out, the other push, worked out again under the lock"
    record = field.record("households", household["id"])
    assert record["rev"] == 3
    assert record["fields"]["address"] == "7 Lý Thường Kiệt"
    assert record["fields"]["phone"] == "0987654321"


def test_an_op_logged_meanwhile_by_another_process_is_answered_as_a_replay(
    engine, meanwhile, household, build, field
):
    run, db = engine
    ours = build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    first: list[dict[str, Any]] = []

    def write() -> None:  # the device gave up waiting and sent it again, to another process
        with Session(db.engine) as session:
            first.extend(run(session, ours))
            session.commit()

    meanwhile(write)
    [result] = run(db.session, ours)
    db.session.commit()
    assert result == {**first[0], "replayed": True}
    assert field.record("households", household["id"])["rev"] == 2


def test_an_op_refused_meanwhile_by_another_process_is_answered_as_a_replay(
    engine, meanwhile, quarters, build, sql
):
    """Nothing the op names changed (it was refused), yet its op id is in the log now."""
    run, db = engine
    ours = build.op("households", build.id(), {**build.household(quarters["KP1"]), "x": 1})
    first: list[dict[str, Any]] = []

    def write() -> None:
        with Session(db.engine) as session:
            first.extend(run(session, ours))
            session.commit()

    runs = meanwhile(write)
    [result] = run(db.session, ours)
    db.session.commit()
    assert first[0]["status"] == "rejected"
    assert result == {**first[0], "replayed": True}
    assert runs == [1, 1, 1], "worked out, the other push, worked out again under the lock"
    assert sql("SELECT count(*) FROM ops WHERE op_id = :id", id=ours["op_id"])[0][0] == 1


def test_a_record_created_meanwhile_is_not_created_twice(engine, meanwhile, quarters, build, sql):
    run, db = engine
    record_id = build.id()
    theirs = build.op("households", record_id, build.household(quarters["KP1"]))
    ours = build.op("households", record_id, build.household(quarters["KP1"], phone="0911111111"))

    def write() -> None:
        with Session(db.engine) as session:
            run(session, theirs)
            session.commit()

    runs = meanwhile(write)
    [result] = run(db.session, ours)
    db.session.commit()
    assert result["status"] == "conflict", "a create of a record already there (§4)"
    assert runs == [1, 1, 1], "worked out, the other push, worked out again under the lock"
    assert sql("SELECT count(*) FROM revisions WHERE record_id = :id", id=record_id)[0][0] == 1


def test_a_push_that_read_nothing_written_meanwhile_keeps_its_work_and_numbers_after_it(
    engine, meanwhile, quarters, build, sql
):
    run, db = engine
    theirs, ours = build.id(), build.id()

    def write() -> None:
        with Session(db.engine) as session:
            run(session, build.op("households", theirs, build.household(quarters["KP1"])))
            session.commit()

    runs = meanwhile(write)
    run(
        db.session,
        build.op("households", ours, build.household(quarters["KP1"])),
        build.op("households", ours, {"phone": "0987654321"}, base_rev=1),
    )
    db.session.commit()
    assert runs == [2, 1], "not done again"
    seqs = dict(sql("SELECT id, seq FROM records WHERE id IN (:a, :b)", a=theirs, b=ours))
    assert seqs[ours] == seqs[theirs] + 2, "its two numbers come after the other's"
    assert sql("SELECT seq FROM feed_state")[0][0] == seqs[ours]
    assert sql("SELECT count(DISTINCT seq) = count(*) FROM records")[0][0]
