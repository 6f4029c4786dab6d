"""Query parameters of the record lists (§6) as a client written from the spec sends them."""

from __future__ import annotations

from datetime import UTC, datetime


def test_empty_parameters_mean_not_given(supervisor, household):
    # The spec writes the list call as `?quarter=&review=&q=&updated_since=&limit=&offset=`.
    response = supervisor.get(
        "/records/households?quarter=&review=&q=&updated_since=&limit=&offset="
    )
    assert response.status_code == 200, response.get_json()
    assert [r["id"] for r in response.get_json()["records"]] == [household["id"]]


def test_listing_a_neighbourhood_that_is_not_yours_is_forbidden(supervisor, quarters):
    theirs = set(supervisor.user["quarters"])
    other = next(q for q in quarters.values() if q not in theirs)
    response = supervisor.get(f"/records/households?quarter={other}")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_date_filters_are_days_in_vietnam(supervisor, household, sql):
    # 20:00 UTC on 12/10 is already 03:00 on 13/10 in Vietnam.
    sql(
        "UPDATE records SET created_at = :at WHERE id = :id",
        at=datetime(2024, 10, 12, 20, 0, tzinfo=UTC),
        id=household["id"],
    )
    on_13th = supervisor.get("/records/households?date_from=2024-10-13&date_to=2024-10-13")
    on_12th = supervisor.get("/records/households?date_from=2024-10-12&date_to=2024-10-12")
    assert [r["id"] for r in on_13th.get_json()["records"]] == [household["id"]]
    assert on_12th.get_json()["records"] == []
