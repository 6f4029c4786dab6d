"""Answers on the wire: a pull page goes gzipped to a client that accepts it (the served app's
middleware), and a pulled record is the same record that GET /records shows (its stored fields
passed through untouched)."""

from __future__ import annotations

import gzip

import orjson
import pytest

from server.jsonio import GzipJSON


@pytest.fixture
def served(app, monkeypatch):
    """The app as `doorstep serve` serves it."""
    monkeypatch.setattr(app, "wsgi_app", GzipJSON(app.wsgi_app))


def test_a_pull_page_is_gzipped_for_a_client_that_accepts_it(served, field, quarters, build):
    field.push(
        *(
            build.op(
                "households", build.id(), build.household(quarters["KP1"], head_name=f"Hộ {i}")
            )
            for i in range(20)
        )
    )
    plain = field.get("/sync/pull", query_string={"limit": 100})
    packed = field.get(
        "/sync/pull", query_string={"limit": 100}, headers={"Accept-Encoding": "gzip, br"}
    )
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = orjson.loads(gzip.decompress(packed.get_data()))
    assert len(packed.get_data()) < len(plain.get_data()) / 4
    expected = plain.get_json()
    assert [c["record"] for c in body["changes"]] == [c["record"] for c in expected["changes"]]
    assert len(body["changes"]) == 21


def test_no_gzip_when_refused_or_not_worth_it(served, field, quarters):
    refused = field.get(
        "/sync/pull", query_string={"limit": 100}, headers={"Accept-Encoding": "gzip;q=0"}
    )
    assert refused.headers.get("Content-Encoding") is None
    assert refused.get_json()["changes"]
    small = field.get("/me", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 200
    assert small.headers.get("Content-Encoding") is None
    assert small.get_json()["username"] == "canbo1"


def test_a_pulled_record_is_the_record_as_stored(field, quarters, build):
    fields = build.household(
        quarters["KP1"],
        head_name="  Trần Thị Ánh  ",
        notes='Ghi chú "có ngoặc" \\ và dòng\nmới',
        location={"lat": 10.5, "lon": 107, "accuracy_m": None},
        categories=["poor"],
    )
    result = field.push_one(build.op("households", build.id(), fields))
    pulled = next(c["record"] for c in field.pull_all()[0] if c["id"] == result["id"])
    assert pulled == field.record("households", result["id"]) == result["record"]
    assert pulled["fields"]["head_name"] == "Trần Thị Ánh"
    assert pulled["fields"]["location"] == {"lat": 10.5, "lon": 107.0, "accuracy_m": None}


def test_a_record_stored_with_line_ends_and_tabs_is_pulled_as_json(field, quarters, build, sql):
    # Stored JSON written by another hand (psql, a restore): PostgreSQL keeps a `json` value's
    # text as it came, whitespace and all; the page must still be JSON the phone can read.
    fields = build.household(quarters["KP1"], head_name="Lê Thị Hồng", notes="Dòng\tmột")
    result = field.push_one(build.op("households", build.id(), fields))
    spaced = orjson.dumps(result["record"]["fields"], option=orjson.OPT_INDENT_2).decode()
    sql(
        "UPDATE records SET fields = :text WHERE id = :id",
        text=spaced.replace("\n", "\r\n\t"),
        id=result["id"],
    )
    page = field.get("/sync/pull", query_string={"limit": 100})
    assert page.status_code == 200 and page.get_data().isascii()
    pulled = next(c["record"] for c in page.get_json()["changes"] if c["id"] == result["id"])
    assert pulled["fields"] == result["record"]["fields"]
    assert pulled["fields"]["head_name"] == "Lê Thị Hồng"
