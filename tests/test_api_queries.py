"""Query parameters of the record lists (§6) as a client written from the spec sends them."""

from __future__ import annotations


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
