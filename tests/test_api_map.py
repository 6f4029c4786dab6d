"""The households map (`GET /reports/campaign/<id>/map`): each household on the register that has a
location, with its state in the campaign as the report counts it. SQLite and PostgreSQL.

The data: campaign C (12/10/2024..24/10/2024), KP1 supervised by `supervisor`.

    KP1  A visited in C            B visited before C only: not yet     F visited, flagged
         N no location             R rejected: not on the register
    KP2  K flagged through its registration (has issues), never visited
"""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def town(admin, supervisor, quarters, build):
    campaign = admin.push_one(
        build.op(
            "campaigns",
            build.id(),
            {"name": "Dân vận đợt 2/2024", "starts_on": "2024-10-12", "ends_on": "2024-10-24"},
        )
    )["id"]
    ids: dict[str, str] = {"C": campaign}
    for n, (name, quarter, located) in enumerate(
        [
            ("A", "KP1", True),
            ("B", "KP1", True),
            ("F", "KP1", True),
            ("N", "KP1", False),
            ("R", "KP1", True),
            ("K", "KP2", True),
        ]
    ):
        fields = build.household(quarters[quarter], head_name=f"Hộ {name}")
        fields["location"] = (
            {"lat": 10.9 + n / 100, "lon": 107.4, "accuracy_m": 9.5} if located else None
        )
        ids[name] = admin.push_one(build.op("households", build.id(), fields))["id"]
    for name, day in (
        ("A", "2024-10-13"),
        ("B", "2024-10-02"),
        ("F", "2024-10-14"),
        ("R", "2024-10-15"),
    ):
        admin.push_one(
            build.op(
                "visits", build.id(), build.visit(ids[name], visited_at=f"{day}T08:00:00+07:00")
            )
        )
    registration = admin.push_one(
        build.op(
            "registrations",
            build.id(),
            {
                "household_id": ids["K"],
                "kind": "clean_water",
                "status": "considering",
                "registered_on": "2024-10-15",
            },
        )
    )["id"]
    for collection, record, status in (
        ("households", ids["F"], "has_issues"),
        ("households", ids["R"], "rejected"),
        ("registrations", registration, "has_issues"),
    ):
        reviewed = admin.post(
            f"/records/{collection}/{record}/review", {"status": status, "comment": "Kiểm tra lại"}
        )
        assert reviewed.status_code == 200, reviewed.get_json()
    return ids


def states(api, campaign, **params):
    answer = api.get(f"/reports/campaign/{campaign}/map", query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_each_located_household_on_the_register_with_its_state(admin, town):
    found = states(admin, town["C"])
    by_id = {p["id"]: p["state"] for p in found["households"]}
    assert by_id == {
        town["A"]: "visited",
        town["B"]: "not_visited",
        town["F"]: "flagged",
        town["K"]: "flagged",
    }
    assert found["without_location"] == 1  # N
    a = next(p for p in found["households"] if p["id"] == town["A"])
    assert (a["head_name"], a["lat"], a["lon"]) == ("Hộ A", 10.9, 107.4)


def test_the_map_agrees_with_the_reports_coverage(admin, town):
    found = states(admin, town["C"])
    report = admin.get(f"/reports/campaign/{town['C']}").get_json()
    on_map = found["households"]
    assert report["total"]["coverage"]["households"] == len(on_map) + found["without_location"]
    visited = {p["id"] for p in on_map if p["state"] == "visited"} | {town["F"]}  # F: flagged
    assert report["total"]["coverage"]["visited"] == len(visited)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"quarters": "KP2"}, {"K": "flagged"}),
        # The period chooses the visits that count.
        (
            {"date_from": "2024-10-14", "quarters": "KP1"},
            {"A": "not_visited", "B": "not_visited", "F": "flagged"},
        ),
    ],
)
def test_the_map_follows_the_filters(admin, town, params, expected):
    found = states(admin, town["C"], **params)
    assert {p["id"]: p["state"] for p in found["households"]} == {
        town[name]: state for name, state in expected.items()
    }


def test_a_supervisor_sees_their_neighbourhoods_only(supervisor, town):
    found = states(supervisor, town["C"])
    assert {p["id"] for p in found["households"]} == {town["A"], town["B"], town["F"]}


@pytest.mark.parametrize(
    ("who", "campaign", "params", "status"),
    [
        ("field", "C", {}, 403),
        ("supervisor", "C", {"quarters": "KP2"}, 403),
        ("admin", "C", {"review": "maybe"}, 400),
        ("admin", "not-a-uuid", {}, 404),
        ("admin", str(uuid.UUID(int=1)), {}, 404),
    ],
)
def test_refusals_use_the_envelope(request, town, who, campaign, params, status):
    api = request.getfixturevalue(who)
    answer = api.get(f"/reports/campaign/{town.get(campaign, campaign)}/map", query_string=params)
    assert answer.status_code == status
    assert "error" in answer.get_json()
