"""CORS origins come from configuration: listed origins may call the API, others not."""

from __future__ import annotations

import pytest

from server import create_app


@pytest.fixture
def client(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cors.db'}",
            "CORS_ORIGINS": "https://doorstep.gia-ray.vn, http://localhost:5173",
        }
    )
    return app.test_client()


def test_a_configured_origin_may_call_the_api(client):
    response = client.get("/api/v1/health", headers={"Origin": "http://localhost:5173"})
    assert response.headers.get("Access-Control-Allow-Origin") == "http://localhost:5173"


def test_a_preflight_from_a_configured_origin_allows_the_bearer_header(client):
    response = client.options(
        "/api/v1/sync/push",
        headers={
            "Origin": "https://doorstep.gia-ray.vn",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.headers.get("Access-Control-Allow-Origin") == "https://doorstep.gia-ray.vn"
    assert "authorization" in response.headers.get("Access-Control-Allow-Headers", "").lower()


def test_another_origin_gets_no_cors_headers(client):
    response = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_without_configuration_no_origin_is_allowed(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    response = app.test_client().get("/api/v1/health", headers={"Origin": "http://localhost:5173"})
    assert "Access-Control-Allow-Origin" not in response.headers
