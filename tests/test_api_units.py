"""Units and their concrete deeds (domain.md): units as town-wide reference data, a user's unit,
the creator's unit kept on field records (`meta.unit_id`), deeds written by admins and by
supervisors for their own unit only, and a unit as a collective nominee."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.demo import UNITS


@pytest.fixture
def units(admin, build) -> dict[str, str]:
    """The plan's units, made by an admin push: name → id."""
    ids = {name: build.id() for name, _ in UNITS}
    results = admin.push(
        *(build.op("units", ids[name], {"name": name, "kind": kind}) for name, kind in UNITS)
    )
    assert [r["status"] for r in results] == ["applied"] * len(UNITS)
    return ids


WOMEN, YOUTH = "Hội Liên hiệp Phụ nữ thị trấn", "Đoàn Thanh niên thị trấn"


@pytest.fixture
def campaign(admin, build) -> str:
    campaign_id = build.id()
    result = admin.push_one(
        build.op(
            "campaigns",
            campaign_id,
            {"name": "Dân vận đợt 2/2024", "starts_on": "2024-10-12", "ends_on": "2024-10-24"},
        )
    )
    assert result["status"] == "applied", result
    return campaign_id


def place(admin, user, unit_id: str | None) -> dict[str, Any]:
    """Put a user in a unit (PATCH /users/<id>); returns the user as the API shows them."""
    response = admin.patch(f"/users/{user.id}", {"unit_id": unit_id})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def deed(unit_id: str, campaign_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "campaign_id": campaign_id,
        "title": "Trao quà cho hộ nghèo, cận nghèo",
        "planned_on": "2024-10-12",
        **overrides,
    }


# -- units ---------------------------------------------------------------------------------


def test_units_are_written_by_admins_only(units, field, supervisor, build):
    for api in (field, supervisor):
        result = api.push_one(
            build.op("units", build.id(), {"name": "Hội Khuyến học", "kind": "other"})
        )
        assert result["status"] == "rejected" and result["code"] == "forbidden"


def test_a_unit_name_is_unique_without_case_or_diacritics(admin, units, build):
    result = admin.push_one(
        build.op("units", build.id(), {"name": "hoi lien hiep phu nu thi tran", "kind": "other"})
    )
    assert result["status"] == "rejected" and result["code"] == "validation"
    assert "name" in result["errors"]


def test_a_unit_kind_must_be_known(admin, build):
    result = admin.push_one(
        build.op("units", build.id(), {"name": "Hội Khuyến học", "kind": "club"})
    )
    assert result["status"] == "rejected" and result["errors"].keys() == {"kind"}


def test_every_user_pulls_every_unit_whatever_their_neighbourhoods(units, make_user):
    elsewhere = make_user("field", ["KP3"])
    changes, _ = elsewhere.pull_all()
    pulled = {c["id"] for c in changes if c["collection"] == "units"}
    assert pulled == set(units.values())


# -- a user's unit -------------------------------------------------------------------------


def test_admin_creates_a_user_in_a_unit_and_moves_them(admin, client, units, quarters):
    response = admin.post(
        "/users",
        {
            "username": "canbo9",
            "password": "mat-khau-dai",
            "display_name": "Cán bộ 9",
            "role": "field",
            "quarters": [quarters["KP1"]],
            "unit_id": units[WOMEN],
        },
    )
    assert response.status_code == 201, response.get_json()
    user = response.get_json()
    assert user["unit_id"] == units[WOMEN]
    moved = admin.patch(f"/users/{user['id']}", {"unit_id": units[YOUTH]}).get_json()
    assert moved["unit_id"] == units[YOUTH]
    listed = {u["username"]: u for u in admin.get("/users").get_json()["users"]}
    assert listed["canbo9"]["unit_id"] == units[YOUTH]
    assert admin.patch(f"/users/{user['id']}", {"unit_id": None}).get_json()["unit_id"] is None


def test_a_user_sees_their_own_unit(admin, field, units):
    place(admin, field, units[WOMEN])
    assert field.get("/me").get_json()["unit_id"] == units[WOMEN]


@pytest.mark.parametrize("unit", ["unknown", "deleted"])
def test_a_user_cannot_be_put_in_a_unit_that_does_not_exist(admin, field, units, build, unit):
    unit_id = units[YOUTH]
    if unit == "unknown":
        unit_id = build.id()
    else:
        result = admin.push_one(build.op("units", unit_id, base_rev=1, delete=True))
        assert result["status"] == "applied"
    response = admin.patch(f"/users/{field.id}", {"unit_id": unit_id})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"unit_id": ["No such unit."]}
    assert field.get("/me").get_json()["unit_id"] is None


def test_only_admins_place_users_in_units(supervisor, field, units):
    response = supervisor.patch(f"/users/{field.id}", {"unit_id": units[YOUTH]})
    assert response.status_code == 403


# -- the creator's unit on field records ----------------------------------------------------


def test_a_field_record_carries_its_creators_unit_for_good(admin, field, units, quarters, build):
    place(admin, field, units[WOMEN])
    household = field.push_one(build.op("households", build.id(), build.household(quarters["KP1"])))
    visit = field.push_one(build.op("visits", build.id(), build.visit(household["id"])))
    assert household["record"]["meta"]["unit_id"] == units[WOMEN]
    assert visit["record"]["meta"]["unit_id"] == units[WOMEN]

    place(admin, field, units[YOUTH])
    edited = field.push_one(
        build.op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
    )
    assert edited["status"] == "applied" and edited["rev"] == 2
    assert edited["record"]["meta"]["unit_id"] == units[WOMEN], "kept after a unit change"
    corrected = admin.push_one(build.op("visits", visit["id"], {"purpose": "support"}, base_rev=1))
    assert corrected["record"]["meta"]["unit_id"] == units[WOMEN], "an admin's edit keeps it"
    later = field.push_one(build.op("visits", build.id(), build.visit(household["id"])))
    assert later["record"]["meta"]["unit_id"] == units[YOUTH]

    changes, _ = field.pull_all()
    pulled = {c["id"]: c["record"]["meta"]["unit_id"] for c in changes}
    assert pulled[household["id"]] == pulled[visit["id"]] == units[WOMEN]
    assert pulled[later["id"]] == units[YOUTH]
    assert field.record("households", household["id"])["meta"]["unit_id"] == units[WOMEN]


def test_the_unit_is_never_taken_from_the_device(admin, field, units, quarters, build):
    place(admin, field, units[WOMEN])
    result = field.push_one(
        build.op(
            "households",
            build.id(),
            build.household(quarters["KP1"]),
            meta={"unit_id": units[YOUTH]},
        )
    )
    # `meta` is the server's (§2): an op carrying one is malformed, nothing is applied.
    assert result["status"] == "rejected" and result["code"] == "validation"


def test_records_of_a_user_without_a_unit_and_reference_data_carry_none(
    admin, field, units, household, quarters
):
    assert household["meta"]["unit_id"] is None
    place(admin, admin, units[WOMEN])
    assert admin.record("quarters", quarters["KP1"])["meta"]["unit_id"] is None
    assert admin.record("units", units[YOUTH])["meta"]["unit_id"] is None


def test_a_stranded_record_an_admin_applies_counts_for_its_authors_unit(
    admin, make_user, units, quarters, build
):
    worker = make_user("field", ["KP1"])
    place(admin, worker, units[WOMEN])
    place(admin, admin, units[YOUTH])
    sent = build.op("households", build.id(), build.household(quarters["KP3"]))
    assert worker.push_one(sent)["code"] == "forbidden"
    assert worker.post(f"/ops/{sent['op_id']}/escalate", {}).status_code == 200
    result = admin.post(f"/ops/{sent['op_id']}/apply").get_json()
    assert result["status"] == "applied"
    assert result["record"]["meta"]["unit_id"] == units[WOMEN]


# -- deeds -----------------------------------------------------------------------------------


@pytest.fixture
def women_supervisor(admin, supervisor, units):
    """The KP1 supervisor, of the Women's Union."""
    place(admin, supervisor, units[WOMEN])
    return supervisor


def test_a_supervisor_records_and_updates_their_own_units_deed(
    women_supervisor, units, campaign, build
):
    deed_id = build.id()
    made = women_supervisor.push_one(build.op("deeds", deed_id, deed(units[WOMEN], campaign)))
    assert made["status"] == "applied", made
    fields = made["record"]["fields"]
    assert fields["status"] == "planned" and fields["beneficiaries"] == 0
    assert fields["value_vnd"] == 0 and fields["quarter_id"] is None
    done = women_supervisor.push_one(
        build.op(
            "deeds",
            deed_id,
            {
                "status": "done",
                "result": "Trao 20 suất quà.",
                "beneficiaries": 20,
                "value_vnd": 10_000_000,
            },
            base_rev=1,
        )
    )
    assert done["status"] == "applied" and done["rev"] == 2
    assert done["record"]["fields"]["status"] == "done"


def test_a_supervisor_may_not_write_another_units_deed(
    admin, women_supervisor, units, campaign, build
):
    other = women_supervisor.push_one(build.op("deeds", build.id(), deed(units[YOUTH], campaign)))
    assert other["status"] == "rejected" and other["code"] == "forbidden"
    assert other["errors"] == {"unit_id": ["This belongs to another unit."]}

    youths = build.id()
    assert admin.push_one(build.op("deeds", youths, deed(units[YOUTH], campaign)))["status"] == (
        "applied"
    )
    for op in (
        build.op("deeds", youths, {"status": "done"}, base_rev=1),
        build.op("deeds", youths, base_rev=1, delete=True),
    ):
        result = women_supervisor.push_one(op)
        assert result["status"] == "rejected" and result["code"] == "forbidden"

    own = build.id()
    women_supervisor.push_one(build.op("deeds", own, deed(units[WOMEN], campaign)))
    moved = women_supervisor.push_one(build.op("deeds", own, {"unit_id": units[YOUTH]}, base_rev=1))
    assert moved["status"] == "rejected" and moved["code"] == "forbidden", "nor give it away"
    assert admin.record("deeds", own)["fields"]["unit_id"] == units[WOMEN]


def test_a_supervisor_without_a_unit_and_field_staff_write_no_deed(
    admin, supervisor, field, units, campaign, build
):
    place(admin, field, units[WOMEN])
    for api in (supervisor, field):
        result = api.push_one(build.op("deeds", build.id(), deed(units[WOMEN], campaign)))
        assert result["status"] == "rejected" and result["code"] == "forbidden"


def test_an_admin_writes_any_units_deed_and_supervisors_of_the_unit_take_it_over(
    admin, women_supervisor, units, campaign, build
):
    deed_id = build.id()
    assert admin.push_one(build.op("deeds", deed_id, deed(units[WOMEN], campaign)))["status"] == (
        "applied"
    )
    result = women_supervisor.push_one(
        build.op("deeds", deed_id, {"status": "in_progress"}, base_rev=1)
    )
    assert result["status"] == "applied"


def test_a_deed_outside_the_supervisors_neighbourhoods_is_still_theirs(
    women_supervisor, units, quarters, campaign, build
):
    result = women_supervisor.push_one(
        build.op("deeds", build.id(), deed(units[WOMEN], campaign, quarter_id=quarters["KP3"]))
    )
    assert result["status"] == "applied", "a unit's deed is town-wide, like the unit"
    assert result["record"]["meta"]["quarter_id"] is None


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"campaign_id": None}, "campaign_id"),
        ({"title": "  "}, "title"),
        ({"status": "cancelled"}, "status"),
        ({"beneficiaries": 100_001}, "beneficiaries"),
        ({"value_vnd": -1}, "value_vnd"),
        ({"planned_on": "2024-13-01"}, "planned_on"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_deed_is_validated(admin, units, campaign, build, change, field_name):
    result = admin.push_one(
        build.op("deeds", build.id(), {**deed(units[WOMEN], campaign), **change})
    )
    assert result["status"] == "rejected" and result["code"] == "validation"
    assert field_name in result["errors"]


@pytest.mark.parametrize("name", ["unit_id", "campaign_id", "quarter_id"])
def test_a_deed_names_records_that_exist(admin, units, campaign, build, name):
    result = admin.push_one(
        build.op("deeds", build.id(), {**deed(units[WOMEN], campaign), name: build.id()})
    )
    assert result["status"] == "rejected" and result["errors"] == {name: ["No such record."]}


def test_every_user_pulls_every_deed(admin, units, campaign, make_user, build):
    ids = {
        admin.push_one(build.op("deeds", build.id(), deed(units[name], campaign)))["id"]
        for name in (WOMEN, YOUTH)
    }
    for api in (make_user("field", ["KP3"]), make_user("supervisor", ["KP2"])):
        changes, _ = api.pull_all()
        assert {c["id"] for c in changes if c["collection"] == "deeds"} == ids


def test_deeds_are_not_reviewed(admin, women_supervisor, units, campaign, build):
    deed_id = women_supervisor.push_one(
        build.op("deeds", build.id(), deed(units[WOMEN], campaign))
    )["id"]
    response = admin.post(f"/records/deeds/{deed_id}/review", {"status": "approved"})
    assert response.status_code == 404


# -- a unit as a nominee ------------------------------------------------------------------------


def nomination(quarter_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "quarter_id": quarter_id,
        "nominee": WOMEN,
        "nominee_kind": "collective",
        "domain": "culture_society",
        "achievement": "Vận động hội viên chăm lo cho hộ nghèo.",
        **overrides,
    }


def test_a_collective_nomination_names_a_unit(field, units, quarters, build):
    result = field.push_one(
        build.op("nominations", build.id(), nomination(quarters["KP1"], unit_id=units[WOMEN]))
    )
    assert result["status"] == "applied"
    assert result["record"]["fields"]["unit_id"] == units[WOMEN]
    free = field.push_one(build.op("nominations", build.id(), nomination(quarters["KP1"])))
    assert free["status"] == "applied" and free["record"]["fields"]["unit_id"] is None


def test_a_unit_nominee_is_a_collective(field, units, quarters, build):
    fields = nomination(quarters["KP1"], unit_id=units[WOMEN], nominee_kind="individual")
    result = field.push_one(build.op("nominations", build.id(), fields))
    assert result["status"] == "rejected"
    assert result["errors"] == {"unit_id": ["Only a collective nominee can be a unit."]}


def test_a_unit_nominee_is_a_unit_that_exists(field, units, quarters, build):
    fields = nomination(quarters["KP1"], unit_id=build.id())
    result = field.push_one(build.op("nominations", build.id(), fields))
    assert result["status"] == "rejected" and result["errors"] == {"unit_id": ["No such record."]}


# -- the migration -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'units.db'}"
        return
    from server.testing import PostgresUnavailable, temporary_postgres

    try:
        with temporary_postgres("doorstep_units") as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(f"{exc}; skipping its tests")


def test_the_migration_gives_existing_field_records_their_creators_unit(empty_database_url):
    """Records already stored when `records.unit_id` arrives get their creator's unit; reference
    data and records of people without a unit get none."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from server import create_app
    from server.extensions import db

    app = create_app({"DATABASE_URL": empty_database_url, "TESTING": True})
    ids = {name: str(uuid.uuid4()) for name in ("unit", "with", "without")}
    records = {
        ("households", "with"): str(uuid.uuid4()),
        ("visits", "with"): str(uuid.uuid4()),
        ("quarters", "with"): str(uuid.uuid4()),
        ("households", "without"): str(uuid.uuid4()),
    }
    directory = app.extensions["migrate"].directory
    try:
        with app.app_context():
            upgrade(directory=directory, revision="5a1c9e7d2b40")  # users have a unit column
            for who, unit in (("with", ids["unit"]), ("without", None)):
                db.session.execute(
                    text(
                        "INSERT INTO users (id, username, display_name, role, quarters, "
                        "password_hash, active, created_at, updated_at, unit_id) VALUES (:id, "
                        ":who, :who, 'field', '[]', 'x', true, :now, :now, :unit)"
                    ),
                    {"id": ids[who], "who": who, "unit": unit, "now": "2024-10-12 08:00:00"},
                )
            for seq, ((collection, who), record_id) in enumerate(records.items(), start=1):
                db.session.execute(
                    text(
                        "INSERT INTO records (collection, id, rev, deleted, fields, seq, "
                        "created_at, created_by, updated_at, review_status, open_conflicts, "
                        "search_text) VALUES (:collection, :id, 1, false, '{}', :seq, :now, "
                        ":by, :now, 'pending', 0, '')"
                    ),
                    {
                        "collection": collection,
                        "id": record_id,
                        "seq": seq,
                        "by": ids[who],
                        "now": "2024-10-12 08:00:00",
                    },
                )
            db.session.commit()
            upgrade(directory=directory)
            units = dict(db.session.execute(text("SELECT id, unit_id FROM records")).all())
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert units == {
        records[("households", "with")]: ids["unit"],
        records[("visits", "with")]: ids["unit"],
        records[("quarters", "with")]: None,
        records[("households", "without")]: None,
    }
