"""Bulk review and its undo (§6): each record a new revision, the previous review restored."""

from __future__ import annotations

import pytest


def bulk(api, ids, status="approved", comment=None, collection="households"):
    return api.post(
        f"/records/{collection}/reviews", {"ids": ids, "status": status, "comment": comment}
    )


def undo(api, batch_id):
    return api.post(f"/reviews/{batch_id}/undo")


def review(api, record_id, status, comment=None):
    response = api.post(
        f"/records/households/{record_id}/review", {"status": status, "comment": comment}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def three(field, supervisor, quarters, build):
    """Three households of KP1: one pending, one flagged by the supervisor, one flagged then
    edited by field staff: their ids, in that order."""
    ids = [build.id() for _ in range(3)]
    field.push(*(build.op("households", i, build.household(quarters["KP1"])) for i in ids))
    review(supervisor, ids[1], "has_issues", "Thiếu số điện thoại")
    review(supervisor, ids[2], "rejected", "Trùng hộ")
    edited = field.push_one(build.op("households", ids[2], {"notes": "đã sửa"}, base_rev=2))
    assert edited["record"]["meta"]["review"]["status"] == "edited"
    return ids


def statuses(api, ids):
    return [api.record("households", i)["meta"]["review"]["status"] for i in ids]


def test_bulk_approve_gives_each_record_a_review_revision(supervisor, three):
    revs = [supervisor.record("households", i)["rev"] for i in three]
    response = bulk(supervisor, three)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == ["reviewed"] * 3
    assert statuses(supervisor, three) == ["approved"] * 3
    assert [supervisor.record("households", i)["rev"] for i in three] == [r + 1 for r in revs]
    history = supervisor.get(f"/records/households/{three[1]}/history").get_json()["revisions"]
    assert history[-1]["kind"] == "review"
    assert history[-1]["changes"]["review.status"] == {"from": "has_issues", "to": "approved"}


def test_undo_restores_each_previous_review_as_a_new_revision(field, supervisor, three):
    before = [supervisor.record("households", i)["meta"]["review"] for i in three]
    batch = bulk(supervisor, three).get_json()["batch_id"]
    revs = [supervisor.record("households", i)["rev"] for i in three]

    response = undo(supervisor, batch)
    assert response.status_code == 200, response.get_json()
    assert [r["status"] for r in response.get_json()["results"]] == ["undone"] * 3
    after = [supervisor.record("households", i) for i in three]
    assert [r["meta"]["review"] for r in after] == before  # status, comment, who and when
    assert [r["rev"] for r in after] == [r + 1 for r in revs]
    history = supervisor.get(f"/records/households/{three[0]}/history").get_json()["revisions"]
    assert [r["kind"] for r in history] == ["create", "review", "review"]
    assert history[-1]["changes"]["review.status"] == {"from": "approved", "to": "pending"}
    assert history[-1]["by"]["id"] == supervisor.id
    # Field staff get the undone review by pull, like any review.
    changes, _ = field.pull_all()
    pulled = {c["id"]: c["record"]["meta"]["review"]["status"] for c in changes if c["id"] in three}
    assert pulled == dict(zip(three, ["pending", "has_issues", "edited"], strict=True))


def test_undo_leaves_records_reviewed_or_edited_since(make_user, supervisor, field, three, build):
    batch = bulk(supervisor, three, "has_issues", "Bổ sung ảnh").get_json()["batch_id"]
    other = make_user("supervisor", ["KP1"])
    review(other, three[0], "approved")
    current = field.record("households", three[1])
    field.push_one(
        build.op("households", three[1], {"notes": "đã bổ sung"}, base_rev=current["rev"])
    )

    results = undo(supervisor, batch).get_json()["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("skipped", "changed_since"),
        ("skipped", "changed_since"),
        ("undone", None),
    ]
    assert statuses(supervisor, three) == ["approved", "edited", "edited"]


def test_bulk_review_skips_what_the_reviewer_may_not_review(
    admin, supervisor, three, quarters, build
):
    elsewhere = admin.push_one(
        build.op("households", build.id(), build.household(quarters["KP2"]))
    )["id"]
    unknown = build.id()
    results = bulk(supervisor, [three[0], elsewhere, unknown]).get_json()["results"]
    assert [(r["id"], r["status"], r.get("reason")) for r in results] == [
        (three[0], "reviewed", None),
        (elsewhere, "skipped", "forbidden"),
        (unknown, "skipped", "not_found"),
    ]
    assert admin.record("households", elsewhere)["meta"]["review"]["status"] == "pending"


def test_a_bulk_review_is_undone_once_and_only_by_its_reviewer(make_user, supervisor, three):
    batch = bulk(supervisor, three).get_json()["batch_id"]
    other = make_user("supervisor", ["KP1"])
    assert undo(other, batch).status_code == 404
    assert undo(supervisor, batch).status_code == 200
    again = undo(supervisor, batch)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"
    assert statuses(supervisor, three) == ["pending", "has_issues", "edited"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/records/households/reviews", {"ids": [], "status": "approved"}, 422),
        ("/records/households/reviews", {"ids": ["nope"], "status": "approved"}, 422),
        ("/records/households/reviews", {"ids": "NEW", "status": "has_issues"}, 422),
        ("/records/quarters/reviews", "NEW", 404),
        ("/reviews/not-a-uuid/undo", None, 404),
        ("/reviews/00000000-0000-4000-8000-000000000000/undo", None, 404),
    ],
)
def test_bulk_review_refusals_use_the_envelope(supervisor, three, path, body, status):
    if body == "NEW":
        body = {"ids": three, "status": "approved"}
    elif isinstance(body, dict) and body["ids"] == "NEW":
        body = {**body, "ids": three}  # has_issues without a comment
    response = supervisor.post(path, body)
    assert response.status_code == status, response.get_json()
    assert "error" in response.get_json()
    assert statuses(supervisor, three) == ["pending", "has_issues", "edited"]


def test_too_many_ids_is_validation(supervisor, build):
    response = bulk(supervisor, [build.id() for _ in range(501)])
    assert response.status_code == 422
    assert "ids" in response.get_json()["error"]["details"]


def test_field_staff_may_not_bulk_review_or_undo(field, supervisor, three):
    batch = bulk(supervisor, three).get_json()["batch_id"]
    assert bulk(field, three).status_code == 403
    assert undo(field, batch).status_code == 403
