"""The op log is read on its indexes only: a user's stranded changes are found among the few
escalated ops, never by scanning every op anyone pushed (SQLite query plans, not timings)."""

from __future__ import annotations

from test_api_stranded import escalate, mine, moved  # noqa: F401 (the fixture)
from test_query_plans import full_scans, sqlite_only, statements  # noqa: F401 (the fixture)


def test_my_stranded_changes_are_read_on_an_index(sqlite_only, app, moved, build):  # noqa: F811
    moved.worker.push(
        *(
            build.op("households", build.id(), build.household(moved.quarters["KP1"]))
            for _ in range(5)
        )
    )
    assert escalate(moved.worker, moved.op["op_id"]).status_code == 200
    with statements(app) as seen:
        listed = mine(moved.worker)
    assert [(o["op_id"], o["state"]) for o in listed] == [(moved.op["op_id"], "escalated")]
    assert full_scans(app, seen) == []
