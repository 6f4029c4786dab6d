"""Stranded changes (§6a): a change refused because its author lost the neighbourhood is handed
to an admin, who applies it on the author's behalf or declines it with a reason."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def moved(make_user, admin, quarters, build) -> SimpleNamespace:
    """A worker of KP1 + KP2 made a household in KP2, was then moved to KP1 only, and edited it
    offline: the edit is rejected as forbidden, and kept."""
    worker = make_user("field", ["KP1", "KP2"], username="canbo_moved")
    household = build.id()
    created = worker.push_one(build.op("households", household, build.household(quarters["KP2"])))
    assert created["status"] == "applied"
    response = admin.patch(f"/users/{worker.id}", {"quarters": [quarters["KP1"]]})
    assert response.status_code == 200
    edit = build.op("households", household, {"phone": "0987654321"}, base_rev=1)
    result = worker.push_one(edit, device_id="phone-moved")
    assert (result["status"], result["code"]) == ("rejected", "forbidden")
    return SimpleNamespace(worker=worker, household=household, op=edit, quarters=quarters)


def escalate(api, op_id, body=None):
    return api.post(f"/ops/{op_id}/escalate", body if body is not None else {})


def queue(admin, state="escalated"):
    response = admin.get("/ops", query_string={"state": state})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["ops"]


def mine(api):
    response = api.get("/ops/mine")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["ops"]


def test_the_author_hands_a_rejected_op_to_the_admins(moved, admin):
    op_id = moved.op["op_id"]
    response = escalate(moved.worker, op_id, {"note": "Hộ này tôi đã thăm trước khi đổi khu phố"})
    assert response.status_code == 200
    assert response.get_json() == {"op_id": op_id, "state": "escalated"}
    assert escalate(moved.worker, op_id).get_json() == {"op_id": op_id, "state": "escalated"}

    (listed,) = queue(admin)
    assert listed["op_id"] == op_id
    assert listed["user"] == {"id": moved.worker.id, "name": "Cán bộ canbo_moved"}
    assert listed["device_id"] == "phone-moved"
    assert (listed["collection"], listed["id"], listed["base_rev"]) == (
        "households",
        moved.household,
        1,
    )
    assert listed["fields"] == {"phone": "0987654321"}
    assert listed["delete"] is False
    assert listed["code"] == "forbidden"
    assert listed["errors"]
    assert listed["note"] == "Hộ này tôi đã thăm trước khi đổi khu phố"
    assert listed["state"] == "escalated"
    assert listed["escalated_at"] and listed["received_at"]
    # The op's fields beside the record as it is now.
    assert listed["record"]["fields"]["phone"] == "0912345678"

    (own,) = mine(moved.worker)
    assert own["op_id"] == op_id
    assert (own["collection"], own["id"], own["state"]) == (
        "households",
        moved.household,
        "escalated",
    )
    assert "reason" not in own


def test_the_admin_applies_it_on_the_authors_behalf(moved, admin):
    op_id = moved.op["op_id"]
    escalate(moved.worker, op_id)
    response = admin.post(f"/ops/{op_id}/apply")
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["op_id"], result["status"], result["rev"]) == (op_id, "applied", 2)
    assert result["record"]["fields"]["phone"] == "0987654321"
    assert result["record"]["meta"]["updated_by"]["id"] == admin.id

    history = admin.get(f"/records/households/{moved.household}/history").get_json()
    last = history["revisions"][-1]
    assert last["by"]["id"] == admin.id
    assert last["on_behalf_of"] == {"id": moved.worker.id, "name": "Cán bộ canbo_moved"}
    assert last["op_id"] == op_id
    assert "on_behalf_of" not in history["revisions"][0]

    assert mine(moved.worker)[0]["state"] == "applied"
    assert queue(admin) == []
    assert [o["op_id"] for o in queue(admin, "applied")] == [op_id]
    audit = admin.get("/audit", query_string={"action": "apply_op"}).get_json()["entries"]
    assert [e["target"] for e in audit] == [f"ops/{op_id}"]

    # A second decision, either way, is refused; the device's replay still gets its first answer.
    assert admin.post(f"/ops/{op_id}/apply").status_code == 409
    again = admin.post(f"/ops/{op_id}/decline", {"reason": "Trùng"})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "already_decided")
    replay = moved.worker.push_one(moved.op, device_id="phone-moved")
    assert (replay["status"], replay["code"], replay["replayed"]) == ("rejected", "forbidden", True)
    assert admin.record("households", moved.household)["rev"] == 2


def test_the_admin_declines_it_with_a_reason(moved, admin):
    op_id = moved.op["op_id"]
    escalate(moved.worker, op_id)
    missing = admin.post(f"/ops/{op_id}/decline", {"reason": "  "})
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (422, "validation")
    response = admin.post(f"/ops/{op_id}/decline", {"reason": "Khu phố 2 đã có cán bộ khác sửa"})
    assert response.status_code == 200
    assert response.get_json() == {"op_id": op_id, "state": "declined"}

    (own,) = mine(moved.worker)
    assert (own["state"], own["reason"]) == ("declined", "Khu phố 2 đã có cán bộ khác sửa")
    assert admin.record("households", moved.household)["fields"]["phone"] == "0912345678"
    assert admin.post(f"/ops/{op_id}/apply").status_code == 409
    audit = admin.get("/audit", query_string={"action": "decline_op"}).get_json()["entries"]
    assert audit[0]["details"]["reason"] == "Khu phố 2 đã có cán bộ khác sửa"


def test_a_new_record_is_created_by_the_apply(make_user, admin, quarters, build):
    worker = make_user("field", ["KP1"], username="canbo_new")
    household = build.id()
    sent = build.op("households", household, build.household(quarters["KP3"]))
    assert worker.push_one(sent)["code"] == "forbidden"
    escalate(worker, sent["op_id"])
    assert queue(admin)[0]["record"] is None
    result = admin.post(f"/ops/{sent['op_id']}/apply").get_json()
    assert (result["status"], result["rev"]) == ("applied", 1)
    assert admin.record("households", household)["meta"]["quarter_id"] == quarters["KP3"]


def test_applying_an_edit_of_a_record_deleted_meanwhile_opens_a_conflict(moved, admin, build):
    op_id = moved.op["op_id"]
    escalate(moved.worker, op_id)
    admin.push_one(build.op("households", moved.household, delete=True, base_rev=1))
    response = admin.post(f"/ops/{op_id}/apply")
    assert response.status_code == 200
    result = response.get_json()
    assert result["status"] == "conflict"  # an edit of a deleted record goes to the conflicts
    assert mine(moved.worker)[0]["state"] == "applied"


def test_an_apply_that_is_rejected_again_stays_escalated(make_user, admin, quarters, build):
    worker = make_user("field", ["KP1"], username="canbo_bad")
    record = build.id()
    sent = build.op("visits", record, build.visit(build.id()))  # no such household
    result = worker.push_one(sent)
    assert result["code"] == "validation"
    escalate(worker, sent["op_id"])
    answer = admin.post(f"/ops/{sent['op_id']}/apply").get_json()
    assert (answer["status"], answer["code"]) == ("rejected", "validation")
    assert answer["errors"]["household_id"]
    assert [o["op_id"] for o in queue(admin)] == [sent["op_id"]]


def test_only_the_author_may_escalate_and_only_a_rejected_op(moved, make_user, build, quarters):
    other = make_user("field", ["KP1"], username="canbo_other")
    op_id = moved.op["op_id"]
    response = escalate(other, op_id)
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "forbidden")
    assert escalate(moved.worker, build.id()).status_code == 404
    assert escalate(moved.worker, "not-a-uuid").status_code == 404
    applied = build.op("households", build.id(), build.household(quarters["KP1"]))
    assert moved.worker.push_one(applied)["status"] == "applied"
    refused = escalate(moved.worker, applied["op_id"])
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "not_rejected")
    assert mine(other) == []


def test_only_admins_see_and_decide(moved, supervisor):
    op_id = moved.op["op_id"]
    escalate(moved.worker, op_id)
    assert moved.worker.get("/ops").status_code == 403
    assert supervisor.get("/ops").status_code == 403
    assert supervisor.post(f"/ops/{op_id}/apply").status_code == 403
    assert supervisor.post(f"/ops/{op_id}/decline", {"reason": "x"}).status_code == 403


def test_a_never_escalated_op_cannot_be_decided(moved, admin):
    response = admin.post(f"/ops/{moved.op['op_id']}/apply")
    assert response.status_code == 404
    assert admin.get("/ops", query_string={"state": "sideways"}).status_code == 400
