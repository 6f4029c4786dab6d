"""schemathesis over /api/v1/openapi.json (§8), on SQLite and on PostgreSQL: whatever it sends, as a
field user, a supervisor or an admin, the server never answers 500 (§7), its answers match the
document, and invalid input is refused. Generated ids are aimed at records that exist. Then
every list, report and export is read back, to prove that nothing the fuzzer stored broke them.

Per operation, role and database: schemathesis' coverage cases (each parameter at its bounds and
just past them, wrong types, missing required parts, unsupported methods), then `EXAMPLES`
generated examples in each of the positive and negative modes. The stateful phase (sequences
linked by the ids answers carry) runs `SCENARIOS` scenarios of up to 8 calls per role.
`pytest -s` prints how many requests each operation got.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from conftest import (
    ADMIN_PASSWORD,
    PASSWORD,
    TEST_CONFIG,
    Api,
    empty_database,
    read_back_everything,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from photo_files import jpeg, png, webp
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 10
SCENARIOS = 5
ROLES = ("field", "supervisor", "admin")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Target:
    """The WSGI app schemathesis calls: the app on the database the current test runs on."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


def _document_app():
    """An app that only serves the document (loaded when the module is collected: schemathesis'
    lazy fixture schema does not run on pytest 9); tests point `TARGET` at a real database."""
    from server import create_app

    return create_app({"DATABASE_URL": "sqlite://", **TEST_CONFIG})


TARGET = Target(_document_app())
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", TARGET)
# The bearer token is the test's own (a generated Authorization header would be replaced).
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
    with_security_parameters=False,
)
# Refusals the server may give invalid input: §7's 4xx, 426 for an old X-Doorstep-Schema first.
schema.config.checks.negative_data_rejection.expected_statuses = [
    str(status) for status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 426, 429)
]

# -- household registers, as the import endpoints take them ------------------------------------

REGISTER_TITLES = [
    "Khu phố",
    "Tổ",
    "Chủ hộ",
    "Địa chỉ",
    "Số điện thoại",
    "Số nhân khẩu",
    "Diện hộ",
    "Ghi chú",
    "STT",
]
REGISTER_CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=30),
    st.integers(-5, 100),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.sampled_from(["KP1", "1", "Khu phố 2", "Tổ 1", "Hộ nghèo, người có công", "=1+1"]),
)


@st.composite
def register_rows(draw) -> list[list[Any]]:
    """Some of the template's titles, then a few rows of generated cells."""
    titles = draw(st.lists(st.sampled_from(REGISTER_TITLES), min_size=1, unique=True))
    row = st.lists(REGISTER_CELL, min_size=len(titles), max_size=len(titles) + 1)
    return [titles, *draw(st.lists(row, max_size=4))]


def _workbook(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


# A register the import reads, or bytes that are none; schemathesis has no strategy of its own
# for these media types.
schemathesis.openapi.media_type(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    st.one_of(register_rows().map(_workbook), st.binary()),
    aliases=["application/vnd.ms-excel"],
)
schemathesis.openapi.media_type("text/csv", st.one_of(register_rows().map(_csv), st.binary()))
# A chunk of a photo: the start of a real one, or any bytes.
schemathesis.openapi.media_type(
    "image/jpeg",
    st.one_of(st.sampled_from([jpeg(64, 48), png(64, 48), webp(64, 48)]), st.binary()),
    aliases=["image/png", "image/webp"],
)

# What exists, filled by the `town` fixture: ids by collection, and the users the fuzzer may
# change (never the ones it signs in as).
KNOWN: dict[str, list[str]] = {}
# Requests sent, by operation (printed by the last test, `pytest -s`, to tell how much ran).
CALLS: Counter[str] = Counter()


UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _aimed(value: Any, choices: list[str]) -> st.SearchStrategy[Any]:
    """The value as generated or one that exists; a value made invalid on purpose (negative
    testing) stays as it is, or the request would no longer be the invalid one it claims to be."""
    valid = isinstance(value, str) and UUID.match(value) is not None
    return st.sampled_from([value, *choices]) if choices and valid else st.just(value)


@schema.hook
def flatmap_path_parameters(ctx, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    """Path ids aimed at records, conflicts, users and campaigns that exist (or left as made)."""
    if not path_parameters:
        return st.just(path_parameters)
    params = dict(path_parameters)
    strategies = {name: st.just(value) for name, value in params.items()}
    if "record_id" in params:
        strategies["record_id"] = _aimed(
            params["record_id"], KNOWN.get(str(params.get("collection")), [])
        )
    if "conflict_id" in params:
        strategies["conflict_id"] = _aimed(params["conflict_id"], KNOWN.get("conflicts", []))
    if "user_id" in params:
        strategies["user_id"] = _aimed(params["user_id"], KNOWN.get("victims", []))
    if "campaign_id" in params:
        files = [
            c + suffix
            for c in KNOWN.get("campaigns", [])
            for suffix in ("", ".csv", ".xlsx", ".pdf")
        ]
        strategies["campaign_id"] = _aimed(params["campaign_id"], files)
    return st.fixed_dictionaries(strategies)


REFERENCES = {
    "quarter_id": "quarters",
    "household_id": "households",
    "campaign_id": "campaigns",
    "group_id": "groups",
}


def _aimed_op(op: Any) -> st.SearchStrategy[Any]:
    if not isinstance(op, dict) or op.get("collection") not in KNOWN:
        return st.just(op)
    parts: dict[str, st.SearchStrategy[Any]] = {k: st.just(v) for k, v in op.items()}
    parts["id"] = _aimed(op.get("id"), KNOWN[op["collection"]])
    if isinstance(op.get("base_rev"), int):
        parts["base_rev"] = st.sampled_from([op["base_rev"], 1, 2])
    fields = op.get("fields")
    if isinstance(fields, dict):
        parts["fields"] = st.fixed_dictionaries(
            {
                name: _aimed(value, KNOWN.get(REFERENCES.get(name, ""), []))
                for name, value in fields.items()
            }
        )
    return st.fixed_dictionaries(parts)


@schema.hook
def flatmap_body(ctx, body: Any) -> st.SearchStrategy:
    """Pushed ops aimed at records that exist, and at real households, neighbourhoods, ..."""
    if ctx.operation.path != "/sync/push" or not isinstance(body, dict):
        return st.just(body)
    ops = body.get("ops")
    if not isinstance(ops, list):
        return st.just(body)
    return st.tuples(*(_aimed_op(op) for op in ops)).map(lambda aimed: {**body, "ops": list(aimed)})


@schema.hook
def flatmap_query(ctx, query: Any) -> st.SearchStrategy:
    """A neighbourhood filter that names a real neighbourhood, now and then."""
    if not isinstance(query, dict) or "quarter" not in query:
        return st.just(query)
    return _aimed(query["quarter"], KNOWN.get("quarters", [])).map(
        lambda quarter: {**query, "quarter": quarter}
    )


# -- the town the fuzzer works in ------------------------------------------------------------


def _op(collection: str, record_id: str, fields: dict[str, Any], base_rev: int | None = None):
    return {
        "op_id": str(uuid.uuid4()),
        "collection": collection,
        "id": record_id,
        "base_rev": base_rev,
        "fields": fields,
    }


def _sign_in(client, username: str, password: str) -> Api:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return Api(client, body["token"], body["user"])


@pytest.fixture(scope="module")
def town(app):
    """Two neighbourhoods, a campaign, a household of each with one record of every kind, a
    conflict, a signed-in field user, supervisor and admin, and two users the fuzzer may change."""
    from server.extensions import db
    from server.users import add_user

    empty_database(app)
    client = app.test_client()
    with app.app_context():
        add_user(db.session, "admin", ADMIN_PASSWORD, role="admin", display_name="Văn phòng")
        db.session.commit()
    admin = _sign_in(client, "admin", ADMIN_PASSWORD)
    ids = {name: str(uuid.uuid4()) for name in ("KP1", "KP2", "G", "C", "H1", "H2")}
    ops = [
        _op("quarters", ids["KP1"], {"code": "KP1", "name": "Khu phố 1"}),
        _op("quarters", ids["KP2"], {"code": "KP2", "name": "Khu phố 2"}),
        _op("groups", ids["G"], {"quarter_id": ids["KP1"], "name": "Tổ 1"}),
        _op(
            "campaigns",
            ids["C"],
            {"name": "Dân vận 2024", "starts_on": "2024-10-12", "ends_on": "2024-10-24"},
        ),
    ]
    for household, quarter in (("H1", "KP1"), ("H2", "KP2")):
        h = ids[household]
        ops += [
            _op(
                "households",
                h,
                {"quarter_id": ids[quarter], "address": "1 Lê Lợi", "head_name": "Nguyễn Văn An"},
            ),
            _op(
                "visits",
                str(uuid.uuid4()),
                {
                    "household_id": h,
                    "visited_at": "2024-10-13T09:00:00+07:00",
                    "purpose": "outreach",
                    "campaign_id": ids["C"],
                },
            ),
            _op(
                "registrations",
                str(uuid.uuid4()),
                {
                    "household_id": h,
                    "kind": "health_insurance",
                    "status": "registered",
                    "persons": 2,
                    "registered_on": "2024-10-13",
                },
            ),
            _op(
                "support",
                str(uuid.uuid4()),
                {"household_id": h, "kind": "gift", "value_vnd": 500_000, "given_on": "2024-10-13"},
            ),
            _op(
                "assessments",
                str(uuid.uuid4()),
                {"household_id": h, "year": 2024, "result": "model"},
            ),
            _op(
                "nominations",
                str(uuid.uuid4()),
                {
                    "quarter_id": ids[quarter],
                    "nominee": "Trần Thị Bình",
                    "nominee_kind": "individual",
                    "domain": "economy",
                    "achievement": "Vận động 30 hộ",
                    "campaign_id": ids["C"],
                },
            ),
        ]
    results = admin.push(*ops)
    assert {r["status"] for r in results} == {"applied"}, results
    # Two edits of one field from the same base: the second opens a conflict.
    first = admin.push_one(_op("households", ids["H1"], {"address": "2 Lê Lợi"}, base_rev=1))
    second = admin.push_one(_op("households", ids["H1"], {"address": "3 Lê Lợi"}, base_rev=1))
    assert (first["status"], second["status"]) == ("applied", "conflict")

    users = {}
    for username, role in (
        ("canbo1", "field"),
        ("giamsat1", "supervisor"),
        ("nannhan1", "field"),
        ("nannhan2", "supervisor"),
    ):
        response = admin.post(
            "/users",
            {
                "username": username,
                "password": PASSWORD,
                "display_name": username,
                "role": role,
                "quarters": [ids["KP1"]],
            },
        )
        assert response.status_code == 201, response.get_json()
        users[username] = response.get_json()["id"]

    KNOWN.clear()
    for result in results:
        KNOWN.setdefault(result["record"]["collection"], []).append(result["id"])
    KNOWN["conflicts"] = [second["conflict_id"]]
    KNOWN["victims"] = [users["nannhan1"], users["nannhan2"]]
    TARGET.app = app
    signed_in = {
        "admin": admin,
        "supervisor": _sign_in(client, "giamsat1", PASSWORD),
        "field": _sign_in(client, "canbo1", PASSWORD),
    }
    yield signed_in
    KNOWN.clear()


def _fresh_token(api: Api) -> str:
    """A new sign-in for the same user, made in the database (signing in through the API could
    meet the throttle the fuzzer may have set off for that username)."""
    from server.auth import token_digest, utcnow
    from server.extensions import db
    from server.models import Token

    token, now = secrets.token_urlsafe(32), utcnow()
    with api.client.application.app_context():
        db.session.add(
            Token(
                id=str(uuid.uuid4()),
                user_id=api.id,
                token_hash=token_digest(token),
                device_id="fuzz",
                device_name="fuzz",
                created_at=now,
                last_used_at=now,
                expires_at=now + timedelta(days=1),
            )
        )
        db.session.commit()
    return token


def _headers(town: dict[str, Api], role: str, case) -> dict[str, str]:
    # Signing out must not sign the fuzzer's users out for the operations that follow.
    if case.path == "/auth/logout":
        return {"Authorization": f"Bearer {_fresh_token(town[role])}"}
    # Nor may changing a user, or signing one out everywhere, touch the fuzzer's own users.
    params = case.path_parameters or {}
    if params.get("user_id") in {api.id for api in town.values()}:
        params["user_id"] = KNOWN["victims"][0]
    return town[role].headers()


def _checks(case) -> list:
    # A push answers 200 with one result per op, a bad op rejected in its result (§4): the
    # batch is never refused for it, so an invalid op is not "negative data" for the request.
    if case.path == "/sync/push":
        return CHECKS
    return [*CHECKS, negative_data_rejection]


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_gets_a_server_error(case, town, role):
    CALLS[f"{case.method} {case.path}"] += 1
    response = case.call(headers=_headers(town, role, case))
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    case.validate_response(response, checks=_checks(case))


@pytest.mark.parametrize("role", ROLES)
def test_call_sequences_never_get_a_server_error(town, role):
    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": _headers(town, role, case)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            CALLS[f"stateful {case.method} {case.path}"] += 1
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            case.validate_response(response, checks=_checks(case))

    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_everything_stored_still_reads_back(town):
    campaigns = town["admin"].get("/records/campaigns", query_string={"limit": 500})
    ids = [record["id"] for record in campaigns.get_json()["records"]]
    if not ids:
        # The fuzzer may delete the campaign, as any admin may: the reports then read everything
        # it stored through a new one.
        made = town["admin"].push_one(
            _op(
                "campaigns",
                str(uuid.uuid4()),
                {"name": "Dân vận 2025", "starts_on": "2024-10-01", "ends_on": "2024-10-31"},
            )
        )
        assert made["status"] == "applied", made
        ids = [made["id"]]
    for role in ("admin", "supervisor"):
        read_back_everything(town[role], ids)
    for label, count in sorted(CALLS.items()):
        print(f"{count:6d}  {label}")
