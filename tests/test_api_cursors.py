"""Pull cursors are tamper-proof (§5): signed, bound to their user, held to the scope now."""

from __future__ import annotations

import base64
import json
import string
from typing import Any

import pytest
from conftest import TEST_CONFIG, login

from server import create_app
from server.extensions import db
from sync.feed import Cursor, stored_secret


def body_of(cursor: str) -> dict[str, Any]:
    text = cursor.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def unsigned(body: dict[str, Any], signature: str) -> str:
    """The body re-encoded as a device could, with some signature it made up or kept."""
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + signature


@pytest.fixture
def sign(app):
    """Sign a cursor with the server's own secret, as only the server can."""

    def make(body: dict[str, Any]) -> str:
        with app.app_context():
            secret = stored_secret(db.session).encode()
        return Cursor(
            epoch=body["e"],
            user=body["u"],
            seq=body["s"],
            scope=body["q"],
            catching_up=body.get("a", {}),
            evicting=body.get("x", {}),
        ).encode(secret)

    return make


def pull_status(api, cursor: str) -> tuple[int, dict[str, Any]]:
    response = api.get("/sync/pull", query_string={"cursor": cursor})
    return response.status_code, response.get_json()


@pytest.fixture
def kp2_household(admin, quarters, build) -> str:
    made = admin.push_one(
        build.op("households", build.id(), build.household(quarters["KP2"], head_name="Trần Thị B"))
    )
    assert made["status"] == "applied"
    return made["id"]


def test_the_catch_up_forgery_reads_nothing_of_another_neighbourhood(
    field, quarters, kp2_household
):
    # The attack: decode the cursor, catch up on KP2 from 0, re-encode, keep the signature.
    _, cursor = field.pull_all()
    body = body_of(cursor)
    body["a"] = {quarters["KP2"]: 0}
    body["s"] = 0
    status, answer = pull_status(field, unsigned(body, cursor.split(".")[1]))
    assert status == 400
    assert answer["error"]["code"] == "bad_request"


def test_every_altered_character_of_a_cursor_is_bad_request(field, household):
    _, cursor = field.pull_all()
    alphabet = string.ascii_letters + string.digits + "-_."
    for index, char in enumerate(cursor):
        other = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        altered = cursor[:index] + other + cursor[index + 1 :]
        status, answer = pull_status(field, altered)
        assert (status, answer["error"]["code"]) == (400, "bad_request"), index
    for altered in (cursor + "A", cursor[:-1], cursor.split(".")[0], "." + cursor):
        assert pull_status(field, altered)[0] == 400


def test_a_cursor_handed_to_another_user_is_bad_request(make_user, household):
    first = make_user("field", ["KP1"])
    second = make_user("field", ["KP1"])
    _, cursor = first.pull_all()
    status, answer = pull_status(second, cursor)
    assert status == 400
    assert answer["error"]["details"] == {"cursor": ["Not your cursor."]}


def test_a_signed_cursor_naming_another_neighbourhood_still_returns_only_the_scope(
    field, quarters, kp2_household, sign
):
    # Even signed (a leaked secret), what a cursor names is held to the user's scope now.
    _, cursor = field.pull_all()
    body = body_of(cursor)
    forged = [
        {**body, "s": 0, "a": {quarters["KP2"]: 0}},
        {**body, "s": 0, "q": [quarters["KP1"], quarters["KP2"]], "a": {quarters["KP2"]: 0}},
    ]
    for forgery in forged:
        changes, _ = field.pull_all(sign(forgery))
        sent = {c["id"] for c in changes if c["op"] != "evict"}
        assert kp2_household not in sent
        assert quarters["KP2"] not in sent
        assert all(
            c["record"]["meta"]["quarter_id"] in (quarters["KP1"], None)
            for c in changes
            if c["op"] != "evict"
        )


@pytest.mark.parametrize("position", [99999999999999999999, 2**63, -1, "0", 1.5, True])
def test_an_impossible_position_is_bad_request_even_when_signed(field, household, sign, position):
    _, cursor = field.pull_all()
    status, answer = pull_status(field, sign({**body_of(cursor), "s": position}))
    assert (status, answer["error"]["code"]) == (400, "bad_request")


def test_the_largest_position_is_past_the_head_not_a_server_error(field, household, sign):
    _, cursor = field.pull_all()
    assert pull_status(field, sign({**body_of(cursor), "s": 2**63 - 1}))[0] == 410


def test_a_signed_cursor_past_the_feed_head_is_expired(field, household, sql):
    # A database restored from an older backup: same secret, same epoch, fewer changes.
    _, cursor = field.pull_all()
    sql("UPDATE feed_state SET seq = 0")
    status, answer = pull_status(field, cursor)
    assert status == 410
    assert answer["error"]["code"] == "cursor_expired"


@pytest.mark.parametrize("key", ["a", "x"])
def test_a_signed_position_past_the_head_anywhere_in_the_cursor_is_expired(
    field, quarters, household, sign, key
):
    _, cursor = field.pull_all()
    body = body_of(cursor)
    assert pull_status(field, sign({**body, key: {quarters["KP2"]: body["s"] + 1000}}))[0] == 410


def test_a_different_secret_makes_cursors_bad_requests(app, field, household, database_url):
    # Rotating DOORSTEP_SECRET_KEY: old cursors are refused, the device re-syncs from scratch.
    _, cursor = field.pull_all()
    rotated = create_app({"DATABASE_URL": database_url, **TEST_CONFIG, "SECRET_KEY": "k" * 32})
    other = login(rotated.test_client(), "canbo1", "secret-password")
    status, answer = pull_status(other, cursor)
    assert status == 400 and answer["error"]["code"] == "bad_request"
    changes, rotated_cursor = other.pull_all()
    assert household["id"] in {c["id"] for c in changes}
    assert pull_status(field, rotated_cursor)[0] == 400, "the stored secret is not the same key"
    with rotated.app_context():
        db.engine.dispose()


def test_a_short_secret_key_is_refused_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("DOORSTEP_SECRET_KEY", "too-short")
    with pytest.raises(ValueError, match="at least 32"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"})


def test_first_sync_pages_estimate_what_remains(field, quarters, build):
    field.push(
        *(build.op("households", build.id(), build.household(quarters["KP1"])) for _ in range(5))
    )
    remaining, cursor = [], None
    while True:
        page = field.pull(cursor, limit=2)
        remaining.append(page["remaining"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    # KP1 and its 5 households, 2 a page.
    assert remaining == [4, 2, 0]


def test_a_long_first_sync_estimates_what_remains_without_counting_it(
    field, admin, quarters, build, monkeypatch
):
    """Beyond what the server counts, `remaining` starts at the live records in scope and goes
    down by each page sent, so "pulled / about N" keeps the same N; near the end it is counted
    exactly again."""
    import sync.feed

    monkeypatch.setattr(sync.feed, "COUNTED_UP_TO", 4)
    field.push(
        *(build.op("households", build.id(), build.household(quarters["KP1"])) for _ in range(11))
    )
    admin.push(build.op("households", build.id(), build.household(quarters["KP3"])))
    pulled, totals, remaining, cursor = 0, [], [], None
    while True:
        page = field.pull(cursor, limit=2)
        pulled += len(page["changes"])
        remaining.append(page["remaining"])
        totals.append(pulled + page["remaining"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    # KP1 and its 11 households, 2 a page (KP3's household is no concern of theirs).
    assert remaining == [10, 8, 6, 4, 2, 0]
    assert totals == [12] * 6
    assert "r" in body_of(field.pull(None, limit=2)["cursor"])


def test_the_estimate_counts_a_gained_neighbourhood(admin, field, quarters, build):
    admin.push(
        *(build.op("households", build.id(), build.household(quarters["KP2"])) for _ in range(3))
    )
    _, cursor = field.pull_all()
    admin.patch(f"/users/{field.id}", {"quarters": [quarters["KP1"], quarters["KP2"]]})
    page = field.pull(cursor, limit=1)
    assert page["more"] is True
    assert page["remaining"] == 3, "KP2 and its 3 households, one of them sent"
