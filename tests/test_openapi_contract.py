"""The OpenAPI document says what the server enforces (§8): a push op is parsed by the very schema
the document shows, and every API route is described."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema_rs
import pytest


def as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as plain JSON Schema (`null` allowed too)."""
    if isinstance(node, list):
        return [as_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: as_json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def op_validator(anonymous):
    document = anonymous.get("/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/Op", "components": document["components"]}
    return jsonschema_rs.validator_for(as_json_schema(copy.deepcopy(schema)))


MALFORMED = [
    {"op_id": "not-a-uuid"},
    {"id": "0b6b6c1e4f0e4c559a555a4f3f4b2a10"},
    {"collection": "people"},
    {"fields": ["a"]},
    {"base_rev": 0},
    {"base_rev": "1"},
    {"delete": "yes"},
    {"client_time": "12/10/2024 08:30"},
    {"surprise": 1},
]


@pytest.mark.parametrize("change", MALFORMED, ids=lambda c: next(iter(c)))
def test_an_op_the_document_refuses_is_rejected_as_malformed(
    field, quarters, build, op_validator, change
):
    sent = {**build.op("households", build.id(), build.household(quarters["KP1"])), **change}
    assert not op_validator.is_valid(sent)
    result = field.push_one(sent)
    assert result["code"] == "validation" and set(change) & set(result["errors"])


def test_creates_edits_and_deletes_the_document_allows_are_applied(
    field, quarters, build, op_validator
):
    household = build.id()
    sent = [
        build.op(
            "households",
            household,
            build.household(quarters["KP1"]),
            client_time="2024-10-12T08:31:02+07:00",
        ),
        build.op("households", household, {"phone": None}, base_rev=1),
        build.op("households", household, base_rev=2, delete=True),
    ]
    assert all(op_validator.is_valid(op) for op in sent)
    assert [r["status"] for r in field.push(*sent)] == ["applied"] * 3


def test_an_edit_without_its_base_or_a_delete_without_it_is_refused(
    field, quarters, build, op_validator
):
    create_without_fields = build.op("households", build.id())
    delete_without_base = build.op("households", build.id(), delete=True)
    for sent in (create_without_fields, delete_without_base):
        assert not op_validator.is_valid(sent)
        assert field.push_one(sent)["code"] == "validation"


def test_every_api_route_is_in_the_document(app, anonymous):
    from server.openapi import openapi_path

    paths = anonymous.get("/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths.get(openapi_path(rule), {}), (method, rule.rule)


def documented_body(document: dict[str, Any], path: str, method: str, status: str) -> Any:
    """A JSON Schema validator for the body the document gives that status."""
    answer = document["paths"][path][method]["responses"][status]
    schema = {
        **answer["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    return jsonschema_rs.validator_for(as_json_schema(schema))


def test_a_degraded_health_answer_is_the_503_the_document_describes(tmp_path):
    from conftest import TEST_CONFIG

    from server import create_app

    unset = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", **TEST_CONFIG})
    client = unset.test_client()
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["status"] == "degraded"
    document = client.get("/api/v1/openapi.json").get_json()
    documented_body(document, "/health", "get", "503").validate(response.get_json())


def test_every_change_and_every_signed_in_call_may_answer_a_full_disk(anonymous):
    from server.openapi import ERROR

    document = anonymous.get("/openapi.json").get_json()
    may_write = [
        (path, method, op)
        for path, operations in document["paths"].items()
        for method, op in operations.items()
        if method != "get" or "security" in op
    ]
    assert ("/sync/push", "post") in {(path, method) for path, method, _ in may_write}
    assert ("/records/{collection}", "get") in {(path, method) for path, method, _ in may_write}
    for path, method, op in may_write:
        full = op["responses"].get("507")
        assert full is not None, (method, path)
        assert full["content"]["application/json"]["schema"] == ERROR
        assert "insufficient_storage" in full["description"]
    assert "507" not in document["paths"]["/health"]["get"]["responses"]
